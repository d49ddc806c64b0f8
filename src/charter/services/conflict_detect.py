"""Detected conflicts: the log opens entries by itself and closes them when the cause is gone.

Detectors (each finding has a stable `detector_key`, so a run is idempotent):

- **over-allocation** — a person whose load (every project counts, through services.workload) exceeds their
  capacity on some days of an ISO week in the next DETECT_WEEKS weeks, where this project's tasks are among
  the causes: one entry per person and week (``overalloc:<resource>:<year>-W<week>``), listing the project's
  causing tasks and the minutes other projects add (their tasks are not named);
- **schedule** — a task with negative total float or a violated constraint / deadline (``schedule:task:<id>``);
- **budget** — a budget line whose actual + committed cost exceeds its amount (``budget:line:<id>``), and a
  project whose estimate at completion exceeds its budget at completion (``budget:eac``).

Reconciling a run with the log: a new finding opens an entry (source=detected) on the ladder like any other; an
entry whose cause persists is updated when the details change; an active entry whose cause is gone is closed
by the system. An entry a person resolved or closed while the cause was still there is left alone, and is
reopened only if the cause comes back after it had gone (details.cause_present tracks that).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from charter.domain import conflicts as rules
from charter.domain import schedule as srules
from charter.domain.errors import CharterError
from charter.domain.figures import counted
from charter.domain.money import fmt_money, quantise
from charter.domain.roles import Perm
from charter.persistence.models import BudgetLine, Conflict, ConflictPolicy, Project, Task, TaskComputed
from charter.services import conflict_ladder, conflicts, journal
from charter.services.authz import project_for
from charter.services.comms_common import members
from charter.services.context import SYSTEM, Actor, now

log = logging.getLogger(__name__)

DETECT_WEEKS = 8
DETECT_EVERY = dt.timedelta(minutes=15)  # how often the worker runs the detectors for a project


@dataclass
class Finding:
    key: str
    kind: rules.Kind
    severity: rules.Severity
    title: str
    description: str
    work_package_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    parties: list[dict[str, Any]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------- detectors


def over_allocation(s: Session, project_id: int, today: dt.date) -> list[Finding]:
    from charter.services import workload

    end = today + dt.timedelta(days=7 * DETECT_WEEKS - 1)
    w = workload.workload(s, SYSTEM, start=today, end=end, project_id=project_id)
    people = {r["resource_id"]: r for r in w["resources"]}
    groups: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for o in w["overallocations"]:
        if not any(t["project_id"] == project_id for t in o["tasks"]):
            continue  # this project's tasks do not add to that day's load
        iso = o["day"].isocalendar()
        groups[(o["resource_id"], f"{iso.year}-W{iso.week:02d}")].append(o)
    task_wp = dict(
        s.execute(select(Task.id, Task.work_package_id).where(Task.project_id == project_id)).all()
    )
    inside = members(s, project_id)
    out = []
    for (rid, week), days in sorted(groups.items()):
        person = people[rid]
        own: dict[int, dict[str, Any]] = {}
        elsewhere = 0
        peak = 0.0
        for o in days:
            cap = o["capacity_minutes"]
            peak = max(peak, o["load_minutes"] / cap if cap else float("inf"))
            for t in o["tasks"]:
                if t["project_id"] == project_id:
                    row = own.setdefault(
                        t["task_id"], {"task_id": t["task_id"], "task": t["task"], "minutes": 0}
                    )
                    row["minutes"] += t["minutes"]
                else:
                    elsewhere += t["minutes"]
        wps = {task_wp.get(tid) for tid in own}
        sev = rules.Severity.HIGH if peak >= 1.5 else rules.Severity.MEDIUM
        details = {
            "detector": "over_allocation", "resource_id": rid, "resource": person["name"], "week": week,
            "days": [{"day": o["day"].isoformat(), "load_minutes": o["load_minutes"],
                      "capacity_minutes": o["capacity_minutes"]} for o in days],
            "tasks": sorted(own.values(), key=lambda t: t["task_id"]), "other_projects_minutes": elsewhere,
        }  # fmt: skip
        uid = person["user_id"]
        party = {"user_id": uid} if uid is not None and uid in inside else {"label": person["name"]}
        names_ = ", ".join(t["task"] for t in details["tasks"])
        out.append(Finding(
            key=f"overalloc:{rid}:{week}", kind=rules.Kind.RESOURCE, severity=sev,
            title=f"{person['name']} is over-allocated in {week}",
            description=f"{person['name']} has more work than capacity on {counted(len(days), 'day')} of {week}; "
                        f"this project's tasks: {names_}" + (
                            f"; other projects add {elsewhere // 60} h {elsewhere % 60} min" if elsewhere else ""),
            work_package_id=next(iter(wps)) if len(wps) == 1 else None, details=details, parties=[party],
        ))  # fmt: skip
    return out


def schedule(s: Session, project_id: int) -> list[Finding]:
    from charter.services.scheduling import minutes_per_day

    mpd = minutes_per_day(s, project_id)
    rows = s.execute(
        select(Task.id, Task.name, Task.work_package_id, TaskComputed.total_float, TaskComputed.violation,
               TaskComputed.finish, Task.duration_unit)
        .join(TaskComputed, TaskComputed.task_id == Task.id)
        .where(Task.project_id == project_id, Task.status != "cancelled", Task.percent_complete < 100,
               (TaskComputed.total_float < 0) | TaskComputed.violation.is_not(None))
        .order_by(Task.id)
    ).all()  # fmt: skip
    out = []
    for tid, name, wp, total_float, violation, finish, unit in rows:
        # an elapsed task's float is wall-clock minutes (shown in elapsed days), another's working minutes
        elapsed = srules.is_elapsed(unit)
        days = round(total_float / (1440 if elapsed else mpd), 2)
        why = violation or f"negative float ({days:g} {'elapsed' if elapsed else 'working'} days)"
        out.append(Finding(
            key=f"schedule:task:{tid}", kind=rules.Kind.SCHEDULE,
            severity=rules.Severity.HIGH if violation else rules.Severity.MEDIUM,
            title=f"{name}: {'violated constraint' if violation else 'negative float'}"[:300],
            description=f"The schedule cannot meet {name}: {why}.", work_package_id=wp,
            details={"detector": "schedule", "task_id": tid, "task": name, "total_float_minutes": total_float,
                     "violation": violation, "finish": finish.isoformat() if finish else None},
        ))  # fmt: skip
    return out


def budget(s: Session, project_id: int) -> list[Finding]:
    from charter.services import budget as budget_svc
    from charter.services import evm

    p = s.get(Project, project_id)
    assert p is not None
    cols = budget_svc.cost_columns(s, p)["lines"]
    out = []
    for ln in s.scalars(
        select(BudgetLine).where(BudgetLine.project_id == project_id).order_by(BudgetLine.id)
    ):
        c = cols[ln.id]
        spent = Decimal(c["actual"]) + Decimal(c["committed"])
        if spent <= Decimal(ln.amount):
            continue
        over = quantise(spent - Decimal(ln.amount), p.currency)
        ratio = over / Decimal(ln.amount) if ln.amount else Decimal(1)
        sev = rules.Severity.HIGH if ratio >= Decimal("0.1") else rules.Severity.MEDIUM
        out.append(Finding(
            key=f"budget:line:{ln.id}", kind=rules.Kind.BUDGET, severity=sev,
            title=f"Budget line {ln.name} is overrun by {fmt_money(over, p.currency)}"[:300],
            description=f"Actual ({fmt_money(c['actual'], p.currency)}) plus committed "
                        f"({fmt_money(c['committed'], p.currency)}) exceeds the line's budget "
                        f"({fmt_money(c['budget'], p.currency)}).",
            work_package_id=ln.work_package_id,
            details={"detector": "budget_line", "budget_line_id": ln.id, "line": ln.name, "budget": str(c["budget"]),
                     "actual": str(c["actual"]), "committed": str(c["committed"]), "over": str(over)},
        ))  # fmt: skip
    try:
        figs = evm.compute(s, SYSTEM, project_id)["project"]
    except CharterError:
        figs = {}
    eac, bac = figs.get("eac"), figs.get("bac")
    if eac is not None and bac is not None and Decimal(bac) > 0 and Decimal(eac) > Decimal(bac):
        over = quantise(Decimal(eac) - Decimal(bac), p.currency)
        out.append(Finding(
            key="budget:eac", kind=rules.Kind.BUDGET,
            severity=rules.Severity.HIGH if over / Decimal(bac) >= Decimal("0.1") else rules.Severity.MEDIUM,
            title=f"The estimate at completion exceeds the budget by {fmt_money(over, p.currency)}",
            description=f"EAC {fmt_money(eac, p.currency)} is above BAC {fmt_money(bac, p.currency)}"
                        + (f" (CPI {Decimal(str(cpi)):.2f})." if (cpi := figs.get("cpi")) is not None else "."),
            details={"detector": "eac", "eac": str(eac), "bac": str(bac)},
        ))  # fmt: skip
    return out


def findings(s: Session, project_id: int, today: dt.date) -> list[Finding]:
    return [*over_allocation(s, project_id, today), *schedule(s, project_id), *budget(s, project_id)]


# --------------------------------------------------------------------------------------------- reconcile


def _touch(s: Session, c: Conflict, before: dict[str, Any], action: str, cause: str) -> None:
    c.updated_at = now()
    s.flush()
    journal.record(s, SYSTEM, entity_type=conflicts.ENTITY, entity_id=c.id, action=action, before=before,
                   after=journal.snapshot(c), project_id=c.project_id, cause=cause)  # fmt: skip


def reconcile(s: Session, project_id: int, found: list[Finding]) -> dict[str, list[str]]:
    """Bring the project's detected entries in line with the findings (see the module's docstring)."""
    report: dict[str, list[str]] = {"opened": [], "updated": [], "reopened": [], "closed": [], "kept": []}
    conflict_ladder._policy_row(s, project_id, lock=True)
    latest: dict[str, Conflict] = {}
    for c in s.scalars(select(Conflict).where(Conflict.project_id == project_id,
                                              Conflict.source == rules.Source.DETECTED.value,
                                              Conflict.detector_key.is_not(None)).order_by(Conflict.id)):  # fmt: skip
        latest[c.detector_key or ""] = c
    active = {x.value for x in rules.ACTIVE}
    seen: set[str] = set()
    t = now().isoformat()
    for f in found:
        seen.add(f.key)
        found_c = latest.get(f.key)
        details = {**f.details, "cause_present": True}
        if found_c is None:
            new = conflicts._new(
                s, SYSTEM, project_id, title=f.title, source=rules.Source.DETECTED,
                fields={"kind": f.kind.value, "severity": f.severity.value, "description": f.description,
                        "work_package_id": f.work_package_id}, parties=f.parties,
                detector_key=f.key,
            )  # fmt: skip
            new.details = {**details, "detected_since": t}
            s.flush()
            report["opened"].append(f"C-{new.number}")
            continue
        c = found_c
        old = dict(c.details or {})
        merged = {**details, "detected_since": old.get("detected_since", t)}
        if c.status not in active and old.get("cause_present") is False:
            before = journal.snapshot(c)
            conflicts._reopen(s, c)
            c.details, c.description, c.severity = merged, f.description, f.severity.value
            _touch(s, c, before, "reopen", "detector: the cause came back")
            report["reopened"].append(f"C-{c.number}")
        elif {k: v for k, v in old.items() if k != "cause_gone_at"} != merged:
            before = journal.snapshot(c)
            c.details = merged
            if c.status in active:
                c.description, c.severity = f.description, f.severity.value
            _touch(s, c, before, "update", "detector: the details changed")
            report["updated"].append(f"C-{c.number}")
        else:
            report["kept"].append(f"C-{c.number}")
    for key, c in latest.items():
        if key in seen or (c.details or {}).get("cause_present") is False:
            continue
        before = journal.snapshot(c)
        c.details = {**(c.details or {}), "cause_present": False, "cause_gone_at": t}
        if c.status in active:
            c.status, c.escalate_at = rules.Status.CLOSED.value, None
            c.resolved_at, c.resolved_by = now(), None
            c.outcome = (c.outcome + "\n" if c.outcome else "") + f"Closed by the system on {t[:16]} UTC: the cause is gone."  # fmt: skip
            _touch(s, c, before, "close", "detector: the cause is gone")
            report["closed"].append(f"C-{c.number}")
        else:
            _touch(s, c, before, "update", "detector: the cause is gone")
    # a plain UPDATE: the run time is bookkeeping, not an edit of the PM's limits (no version bump)
    s.execute(update(ConflictPolicy).where(ConflictPolicy.project_id == project_id).values(detected_at=now())
              .execution_options(synchronize_session=False))  # fmt: skip
    s.flush()
    return report


def run(s: Session, project_id: int, at: dt.datetime | None = None) -> dict[str, list[str]]:
    return reconcile(s, project_id, findings(s, project_id, (at or now()).date()))


def detect(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    """ "Detect now": the PM runs every detector for the project at once."""
    project_for(s, actor, project_id, Perm.CONFLICT_MANAGE)
    report = run(s, project_id)
    return {"project_id": project_id, "at": now(), **report}


def due_detection(s: Session, at: dt.datetime | None = None) -> dict[int, dict[str, list[str]]]:
    """For the worker: run the detectors of every live project (not deleted, closed or cancelled) whose last
    run is older than DETECT_EVERY.
    A project another worker is detecting is skipped (row lock, SKIP LOCKED); one project's failure does not
    stop the others."""
    t = at or now()
    out: dict[int, dict[str, list[str]]] = {}
    live = select(Project.id).where(
        Project.deleted_at.is_(None), Project.status.not_in(["closed", "cancelled"])
    )
    for pid in list(s.scalars(live.order_by(Project.id))):
        conflict_ladder._policy_row(s, pid)
        row = s.scalars(select(ConflictPolicy).where(ConflictPolicy.project_id == pid)
                        .with_for_update(skip_locked=True)).first()  # fmt: skip
        if row is None or (row.detected_at is not None and t - row.detected_at < DETECT_EVERY):
            continue
        try:
            with s.begin_nested():
                out[pid] = run(s, pid, t)
        except Exception:
            log.exception("conflict detection failed for project %s; it runs again on the next pass", pid)
    return out
