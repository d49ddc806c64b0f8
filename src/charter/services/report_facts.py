"""The facts behind a status report, gathered read-only from the project's data through the services that own
them (earned value, schedule, workload, the communication plan) and the registers' tables. The result is
plain JSON (money as strings, dates ISO), so the same shape is shown live for a draft and frozen on
publication. Callers check permission first; the gathering itself runs with the system's authority, because
a report is a project-wide aggregate its readers see without the rights to every register behind it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from charter.domain import quality as Q
from charter.domain import reports as R
from charter.domain import risk as risk_rules
from charter.domain.errors import CharterError
from charter.persistence.models import (
    Baseline,
    BaselineTask,
    ChangeRequest,
    Concern,
    Conflict,
    Defect,
    Deliverable,
    Invoice,
    MetricMeasurement,
    PhaseGate,
    Project,
    ProjectSchedule,
    PurchaseOrder,
    PurchaseRequest,
    QualityMetric,
    Risk,
    Task,
    TaskComputed,
    TechComponent,
    TechUpdate,
    TimesheetEntry,
)
from charter.services.context import SYSTEM, now

OPEN_CONFLICTS = ("open", "resolving")
TOP_RISKS = 5
TREND_MONTHS = 24  # the chart shows the last two years


def jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    return v


def _count(s: Session, q: Any) -> int:
    return int(s.scalar(select(func.count()).select_from(q.subquery())) or 0)


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(days=1)


# --------------------------------------------------------------------------------------------- areas


def _evm(s: Session, pid: int, as_of: dt.date) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    from charter.services import evm

    try:
        figs = evm.compute(s, SYSTEM, pid, as_of)["project"]
        trend = evm.trend(s, SYSTEM, pid, as_of)["months"]
    except CharterError:
        return None, []
    keys = (
        "bac",
        "pv",
        "ev",
        "ac",
        "sv",
        "cv",
        "spi",
        "cpi",
        "eac",
        "etc",
        "vac",
        "tcpi",
        "percent_complete",
    )
    return {k: figs.get(k) for k in keys}, [
        {k: m.get(k) for k in ("month", "pv", "ev", "ac")} for m in trend[-TREND_MONTHS:]
    ]


def _schedule(s: Session, pid: int, start: dt.date, end: dt.date, spi: Any) -> dict[str, Any]:
    sched = s.get(ProjectSchedule, pid)
    base = s.scalars(
        select(Baseline).where(Baseline.project_id == pid).order_by(Baseline.number.desc())
    ).first()
    finish = sched.finish if sched else None
    slip = (finish.date() - base.finish.date()).days if base and base.finish and finish else None
    bfin: dict[int, dt.datetime | None] = {}
    if base is not None:
        q = select(BaselineTask.task_id, BaselineTask.finish).where(BaselineTask.baseline_id == base.id)
        bfin = {tid: fin for tid, fin in s.execute(q)}
    rows = s.execute(
        select(Task.id, Task.name, Task.percent_complete, Task.deadline, TaskComputed.finish)
        .outerjoin(TaskComputed, TaskComputed.task_id == Task.id)
        .where(Task.project_id == pid, Task.milestone.is_(True))
    ).all()
    milestones: list[dict[str, Any]] = []
    for tid, name, pct, deadline, cfin in rows:
        when = cfin or deadline
        b = bfin.get(tid)
        late = (when.date() - b.date()).days if when and b else None
        due = when is not None and start <= when.date() <= end
        if due or (late is not None and late > 0):
            milestones.append({"task_id": tid, "name": name, "finish": when.date() if when else None,
                               "baseline_finish": b.date() if b else None, "slip_days": late,
                               "due_in_period": due, "done": pct >= 100})  # fmt: skip
    milestones.sort(key=lambda m: (m["finish"] or dt.date.max, m["task_id"]))
    slipped = [m["slip_days"] for m in milestones if (m["slip_days"] or 0) > 0]
    facts = {"spi": spi, "finish_slip_days": slip, "baseline": base.number if base else None,
             "finish": finish.date() if finish else None, "baseline_finish": base.finish.date() if base and base.finish else None,
             "milestones_slipped": len(slipped), "max_milestone_slip_days": max(slipped, default=0)}  # fmt: skip
    return {"facts": facts, "milestones": milestones}


def critical_snapshot(s: Session, pid: int) -> dict[str, Any]:
    rows = s.execute(
        select(Task.id, Task.name)
        .join(TaskComputed, TaskComputed.task_id == Task.id)
        .where(Task.project_id == pid, TaskComputed.critical.is_(True))
        .order_by(Task.id)
    ).all()
    sched = s.get(ProjectSchedule, pid)
    return {"task_ids": [r[0] for r in rows], "names": {str(r[0]): r[1] for r in rows},
            "finish": sched.finish.isoformat() if sched and sched.finish else None}  # fmt: skip


def _team(
    s: Session, pid: int, start: dt.date, end: dt.date, as_of: dt.date, th: R.Thresholds
) -> dict[str, Any]:
    from charter.services import workload

    wl = workload.workload(s, SYSTEM, start=start, end=end, project_id=pid)
    stale = _count(s, select(TimesheetEntry.id).where(
        TimesheetEntry.project_id == pid, TimesheetEntry.status == "submitted",
        TimesheetEntry.day < as_of - dt.timedelta(days=th.timesheet_pending_days)))  # fmt: skip
    return {"people": len(wl["resources"]), "overloaded_days": len(wl["overallocations"]),
            "overloaded_people": len({o["resource_id"] for o in wl["overallocations"]}),
            "stale_timesheets": stale}  # fmt: skip


def _conflict(s: Session, pid: int, ref: dt.datetime) -> dict[str, Any]:
    rows = s.execute(
        select(Conflict.severity, Conflict.status, Conflict.level, Conflict.escalate_at).where(
            Conflict.project_id == pid
        )
    ).all()
    live = [r for r in rows if r.status in OPEN_CONFLICTS]
    return {"logged": len(rows), "open": len(live),
            "critical": sum(r.severity == "critical" for r in live), "high": sum(r.severity == "high" for r in live),
            "at_sponsor": sum(r.level == "sponsor" for r in live), "at_pm": sum(r.level == "pm" for r in live),
            "overdue_escalation": sum(r.escalate_at is not None and r.escalate_at < ref for r in live)}  # fmt: skip


def _risk(s: Session, pid: int, as_of: dt.date, th: R.Thresholds) -> dict[str, Any]:
    risks = list(s.scalars(select(Risk).where(Risk.project_id == pid)))
    open_ = [r for r in risks if r.status in {x.value for x in risk_rules.OPEN}]
    scored = []
    for r in open_:
        sc = risk_rules.score(r.probability, risk_rules.impact(r.impact_schedule, r.impact_cost, r.impact_quality,
                                                              r.impact_scope))  # fmt: skip
        scored.append((r, sc))
    threats = [(r, sc) for r, sc in scored if r.kind == "threat"]
    top = sorted(scored, key=lambda x: (-(x[1] or 0), x[0].number))[:TOP_RISKS]
    facts = {"registered": len(risks), "open_threats": len(threats),
             "max_score": max((sc or 0 for _, sc in threats), default=0),
             "unanswered_high": sum(1 for r, sc in threats if (sc or 0) >= th.risk_amber_score and not r.strategy),
             "overdue_reviews": sum(1 for r in open_ if r.review_date and r.review_date < as_of)}  # fmt: skip
    rows = [{"number": r.number, "title": r.title, "kind": r.kind, "status": r.status, "score": sc,
             "band": risk_rules.band(sc), "strategy": r.strategy, "proximity": r.proximity} for r, sc in top]  # fmt: skip
    return {"facts": facts, "top": rows}


def _procurement(s: Session, pid: int, as_of: dt.date) -> dict[str, Any]:
    requests = list(s.scalars(select(PurchaseRequest).where(PurchaseRequest.project_id == pid)))
    orders = list(s.scalars(select(PurchaseOrder).where(PurchaseOrder.project_id == pid)))
    invoices = list(s.scalars(select(Invoice).where(Invoice.project_id == pid)))
    held = [(as_of - i.day).days for i in invoices if i.status == "held"]
    late = [(as_of - o.expected_delivery).days for o in orders
            if o.status == "open" and o.expected_delivery and o.expected_delivery < as_of]  # fmt: skip
    return {"records": len(requests) + len(orders) + len(invoices), "held_invoices": len(held),
            "oldest_hold_days": max(held, default=0), "late_orders": len(late), "max_late_days": max(late, default=0),
            "over_budget_requests": sum(1 for r in requests if r.over_budget and r.status == "submitted")}  # fmt: skip


def _quality(s: Session, p: Project, start: dt.date, ref: dt.datetime) -> dict[str, Any]:
    """Open defects as the quality page and the gate count them (resolved but not verified is open); metrics
    that apply now (the current phase's and the phase-less ones: a later phase's metric is for its gate)."""
    pid = p.id
    defects = s.execute(select(Defect.severity, Defect.status).where(Defect.project_id == pid)).all()
    every = list(s.scalars(select(QualityMetric).where(QualityMetric.project_id == pid)))
    metrics = [m for m in every if Q.metric_applies(m.phase, p.phase)]
    deliverables = _count(s, select(Deliverable.id).where(Deliverable.project_id == pid))
    measured = off = 0
    for m in metrics:
        last = s.scalars(
            select(MetricMeasurement).where(MetricMeasurement.metric_id == m.id, MetricMeasurement.measured_at < ref)
            .order_by(MetricMeasurement.measured_at.desc(), MetricMeasurement.id.desc())
        ).first()  # fmt: skip
        if last is None:
            continue
        measured += 1
        off += not Q.meets(Q.Direction(m.direction), m.target, last.value)
    overridden = _count(s, select(PhaseGate.project_id).where(
        PhaseGate.project_id == pid, PhaseGate.override_reason.is_not(None),
        PhaseGate.closed_at >= _end_of(start) - dt.timedelta(days=1), PhaseGate.closed_at < ref))  # fmt: skip
    live = [d for d in defects if Q.defect_open(d.status)]
    return {"records": len(defects) + len(every) + deliverables, "open_defects": len(live),
            "open_critical": sum(d.severity == "critical" for d in live),
            "open_major": sum(d.severity == "major" for d in live),
            "metrics": len(metrics), "metrics_measured": measured, "metrics_off_target": off,
            "gates_overridden": overridden}  # fmt: skip


def _communications(s: Session, pid: int, ref: dt.datetime) -> dict[str, Any]:
    from charter.services import comm_plan

    plan = comm_plan.list_plan(s, SYSTEM, pid)
    concerns = list(s.scalars(select(Concern).where(Concern.project_id == pid).order_by(Concern.raised_at)))
    past_ack = [
        c for c in concerns if c.acknowledged_at is None and c.status == "open" and c.ack_due_at < ref
    ]
    open_rows = [{"id": c.id, "subject": "(confidential)" if c.confidential else c.subject,
                  "severity": c.severity, "status": c.status, "raised_at": c.raised_at,
                  "ack_due_at": c.ack_due_at, "past_ack": c in past_ack}
                 for c in concerns if c.status in ("open", "acknowledged")]  # fmt: skip
    facts = {"plan_entries": len(plan), "overdue_plan_items": sum(1 for e in plan if e["overdue"]),
             "concerns": len(concerns), "open_concerns": len(open_rows), "concerns_past_ack": len(past_ack)}  # fmt: skip
    return {"facts": facts, "concerns": open_rows}


def _scope(s: Session, pid: int, start: dt.date, ref: dt.datetime) -> dict[str, Any]:
    crs = list(
        s.scalars(select(ChangeRequest).where(ChangeRequest.project_id == pid).order_by(ChangeRequest.number))
    )
    live = [c for c in crs if c.status == "open"]
    ages = [(ref - c.created_at).days for c in live]
    approved = [c for c in crs if c.status == "approved" and c.decided_at
                and _end_of(start) - dt.timedelta(days=1) <= c.decided_at < ref]  # fmt: skip
    facts = {"change_requests": len(crs), "open": len(live), "oldest_open_days": max(ages, default=0),
             "approved_in_period": len(approved)}  # fmt: skip
    rows = [{"number": c.number, "title": c.title, "status": c.status, "age_days": (ref - c.created_at).days,
             "decided_at": c.decided_at} for c in (*live, *approved)]  # fmt: skip
    return {"facts": facts, "change_requests": rows}


def _technology(s: Session, pid: int, as_of: dt.date, th: R.Thresholds) -> dict[str, Any]:
    comps = list(s.scalars(select(TechComponent).where(TechComponent.project_id == pid)))
    ids = [c.id for c in comps]
    from charter.services.tech import CLOSING_STATUSES  # a dismissed item is settled, as a done one

    updates = list(
        s.scalars(
            select(TechUpdate).where(
                TechUpdate.component_id.in_(ids), TechUpdate.status.not_in(CLOSING_STATUSES)
            )
        )
    )
    soon = as_of + dt.timedelta(days=th.eol_warning_days)
    return {"components": len(comps),
            "past_eol": sum(1 for c in comps if c.eol_date and c.eol_date < as_of),
            "eol_soon": sum(1 for c in comps if c.eol_date and as_of <= c.eol_date <= soon),
            "open_updates": len(updates),
            "open_urgent_updates": sum(1 for u in updates if u.severity in ("high", "critical")),
            "critical_overdue": sum(1 for u in updates if u.severity == "critical" and u.due_on and u.due_on < as_of),
            "updates_overdue": sum(1 for u in updates if u.due_on and u.due_on < as_of)}  # fmt: skip


# --------------------------------------------------------------------------------------------- the report


def gather(s: Session, p: Project, period: R.Period, start: dt.date, end: dt.date, th: R.Thresholds,
           previous_critical: dict[str, Any] | None) -> dict[str, Any]:  # fmt: skip
    """Every figure of the report for the period [start, end], rated by the domain rules."""
    today = now().date()
    as_of = min(end, today)
    ref = min(now(), _end_of(end))
    ev, trend = _evm(s, p.id, as_of)
    budget_facts = {"bac": ev.get("bac") if ev else None, "cpi": ev.get("cpi") if ev else None,
                    "eac": ev.get("eac") if ev else None, "ac": ev.get("ac") if ev else None, "currency": p.currency}  # fmt: skip
    spi = ev.get("spi") if ev and ev.get("pv") and Decimal(str(ev["pv"])) > 0 else None
    sched = _schedule(s, p.id, start, end, spi)
    risk = _risk(s, p.id, as_of, th)
    comms = _communications(s, p.id, ref)
    scope = _scope(s, p.id, start, ref)
    facts: dict[str, dict[str, Any]] = {
        "budget": budget_facts, "schedule": sched["facts"], "team": _team(s, p.id, start, end, as_of, th),
        "conflict": _conflict(s, p.id, ref), "risk": risk["facts"], "procurement": _procurement(s, p.id, as_of),
        "quality": _quality(s, p, start, ref), "communications": comms["facts"], "scope": scope["facts"],
        "technology": _technology(s, p.id, as_of, th),
    }  # fmt: skip
    facts = jsonable(facts)
    areas = R.rate(facts, th)
    crit = critical_snapshot(s, p.id)
    out: dict[str, Any] = jsonable({
        "as_of": as_of, "overall": R.overall(areas).value, "areas": [a.as_dict() for a in areas],
        "milestones": sched["milestones"], "critical_path": crit,
        "critical_changes": R.critical_path_changes(previous_critical, crit),
        "top_risks": risk["top"], "concerns": comms["concerns"], "change_requests": scope["change_requests"],
        "evm": ev, "trend": trend, "currency": p.currency, "thresholds": th.as_dict(),
        "generated_at": now(),
    })  # fmt: skip
    return out
