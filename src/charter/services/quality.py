"""Quality management: the lifecycle (phases with entry/exit criteria, quality gates, closing a phase), the
quality plan and its metrics, deliverables and their acceptance, review checklists and reviews, defects.

Closing a phase moves the project to the next one. It is refused (409, listing the failed criteria) while the
phase's gate fails: open critical defects, unaccepted deliverables of the phase, metrics not meeting their
target, reviews of the phase not signed off. The holder of the role ACCOUNTABLE for quality in the RACI may
override with a written reason; the override is journaled and reported to the PM and the sponsor.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain import quality as Q
from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError, stale
from charter.domain.figures import counted
from charter.domain.projects import Phase
from charter.domain.roles import PM, SPONSOR, Area, Perm, Raci
from charter.persistence.models import (
    ChecklistTemplate,
    Defect,
    Deliverable,
    JournalEntry,
    MetricMeasurement,
    PhaseGate,
    QualityMetric,
    QualityPlan,
    RaciCell,
    Review,
    ReviewFinding,
    Role,
    RoleAssignment,
    Task,
    WorkPackage,
)
from charter.services import journal
from charter.services.accounts import find_user_id
from charter.services.authz import can, project_for, require_user, work_package_target
from charter.services.comms_common import current_only, members, names, notify
from charter.services.context import Actor, now

# --------------------------------------------------------------------------------------------- helpers


def _only(changes: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError(f"{unknown[0]} cannot be changed here", field=unknown[0])


def _rec(
    s: Session, actor: Actor, row: Any, kind: str, action: str, project_id: int | None,
    before: dict[str, Any] | None = None, cause: str | None = None,
) -> None:  # fmt: skip
    s.flush()
    after = None if action == "delete" else journal.snapshot(row)
    journal.record(s, actor, entity_type=kind, entity_id=row.id if hasattr(row, "id") else row.project_id,
                   action=action, before=before, after=after, project_id=project_id, cause=cause)  # fmt: skip


def _text(value: str | None, field: str, limit: int = 300) -> str:
    v = (value or "").strip()
    if not v:
        raise ValidationError("is required", field=field)
    if len(v) > limit:
        raise ValidationError(f"is at most {limit} characters", field=field)
    return v


def require_members(s: Session, project_id: int, user_ids: list[int], field: str) -> None:
    inside = members(s, project_id)
    for uid in user_ids:
        if uid not in inside:
            raise ValidationError(f"user {uid} holds no role in this project", field=field)


def holders_of_role(s: Session, project_id: int, role_id: int) -> set[int]:
    q = select(RoleAssignment.user_id).where(
        RoleAssignment.project_id == project_id, RoleAssignment.role_id == role_id
    )
    return set(s.scalars(current_only(q, now())))


def holders_of_key(s: Session, project_id: int, key: str) -> set[int]:
    q = (
        select(RoleAssignment.user_id)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(RoleAssignment.project_id == project_id, Role.key == key)
    )
    return set(s.scalars(current_only(q, now())))


def _phase(value: str | None, field: str = "phase") -> Phase:
    return Q.parse_enum(Phase, value, field)


def _may_manage_wp(s: Session, actor: Actor, project_id: int, wp_id: int | None) -> None:
    """Quality managers (the PM) everywhere; a Task Leader for their work package."""
    if can(s, actor, project_id, Perm.QUALITY_MANAGE):
        return
    if wp_id is not None and can(s, actor, project_id, Perm.WBS_EDIT, work_package_target(s, wp_id)):
        return
    raise PermissionDenied("your roles do not allow managing quality here (quality.manage)")


# --------------------------------------------------------------------------------------------- lifecycle


def _gate_rows(s: Session, project_id: int) -> dict[str, PhaseGate]:
    return {g.phase: g for g in s.scalars(select(PhaseGate).where(PhaseGate.project_id == project_id))}


def _gate_row(s: Session, project_id: int, phase: Phase) -> PhaseGate:
    g = _gate_rows(s, project_id).get(phase.value)
    if g is None:
        g = PhaseGate(
            project_id=project_id, phase=phase.value, entry_criteria="", exit_criteria="", failed=[]
        )
        s.add(g)
        s.flush()
    return g


def _latest(s: Session, metric_ids: list[int]) -> dict[int, MetricMeasurement]:
    out: dict[int, MetricMeasurement] = {}
    if not metric_ids:
        return out
    q = select(MetricMeasurement).where(MetricMeasurement.metric_id.in_(metric_ids))
    for m in s.scalars(q.order_by(MetricMeasurement.measured_at, MetricMeasurement.id)):
        out[m.metric_id] = m
    return out


def gate_facts(s: Session, project_id: int, phase: Phase) -> Q.GateFacts:
    crit = s.scalars(
        select(Defect).where(
            Defect.project_id == project_id,
            Defect.severity == Q.Severity.CRITICAL.value,
            Defect.status.in_(Q.OPEN_DEFECT_VALUES),
        )
    )
    dels = s.scalars(
        select(Deliverable).where(
            Deliverable.project_id == project_id,
            Deliverable.phase == phase.value,
            Deliverable.status != Q.DeliverableStatus.ACCEPTED.value,
        )
    )
    metrics = [
        m
        for m in s.scalars(select(QualityMetric).where(QualityMetric.project_id == project_id))
        if Q.metric_applies(m.phase, phase.value)
    ]
    latest = _latest(s, [m.id for m in metrics])
    failing = []
    for m in metrics:
        v = latest[m.id].value if m.id in latest else None
        if not Q.meets(Q.Direction(m.direction), m.target, v):
            sign = ">=" if m.direction == Q.Direction.AT_LEAST.value else "<="
            failing.append(f"{m.name}: {'no measurement' if v is None else v} (target {sign} {m.target})")
    revs = s.scalars(
        select(Review).where(
            Review.project_id == project_id,
            Review.phase == phase.value,
            Review.status != Q.ReviewStatus.SIGNED_OFF.value,
        )
    )
    return Q.GateFacts(
        open_critical_defects=[f"#{d.id} {d.title}" for d in crit],
        unaccepted_deliverables=[f"{d.name} ({d.status})" for d in dels],
        failing_metrics=failing,
        unsigned_reviews=[r.title for r in revs],
    )


def gate(s: Session, actor: Actor, project_id: int, phase: str | None = None) -> dict[str, Any]:
    p = project_for(s, actor, project_id)
    ph = _phase(phase or p.phase)
    failed = Q.failed_criteria(gate_facts(s, project_id, ph))
    return {"phase": ph.value, "passed": not failed, "failed": failed}


def _gate_dict(s: Session, ph: Phase, g: PhaseGate | None, current: Phase) -> dict[str, Any]:
    who = names(s, [g.closed_by] if g else [])
    return {
        "phase": ph.value,
        "current": ph is current,
        "done": Q.PHASES.index(ph) < Q.PHASES.index(current),
        "entry_criteria": g.entry_criteria if g else "",
        "exit_criteria": g.exit_criteria if g else "",
        "closed_at": g.closed_at if g else None,
        "closed_by": who.get(g.closed_by) if g and g.closed_by else None,
        "failed_at_closing": g.failed if g else [],
        "override_reason": g.override_reason if g else None,
        "version": g.version if g else 0,
    }


def lifecycle(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    p = project_for(s, actor, project_id)
    cur = _phase(p.phase)
    rows = _gate_rows(s, project_id)
    who = names(s, [g.closed_by for g in rows.values() if g.override_reason])
    overrides = [
        {"phase": g.phase, "reason": g.override_reason, "closed_at": g.closed_at, "failed": g.failed,
         "closed_by": who.get(g.closed_by) if g.closed_by else None}
        for g in rows.values()
        if g.override_reason
    ]  # fmt: skip
    return {
        "project_id": project_id,
        "current_phase": cur.value,
        "phases": [_gate_dict(s, ph, rows.get(ph.value), cur) for ph in Q.PHASES],
        "gate": gate(s, actor, project_id, cur.value),
        "overrides": overrides,
        "quality_accountable_role": _accountable_role_name(s, project_id),
    }


def update_phase(
    s: Session, actor: Actor, project_id: int, phase: str, *, entry_criteria: str | None = None,
    exit_criteria: str | None = None, version: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Set a phase's entry/exit criteria. `version`: the phase's version the caller read (0 for a phase whose
    criteria were never set); a stale one is refused with the current state."""
    project_for(s, actor, project_id, Perm.QUALITY_MANAGE)
    ph = _phase(phase)
    existing = _gate_rows(s, project_id).get(ph.value)
    if version is not None and version != (existing.version if existing else 0):
        cur = next(x for x in lifecycle(s, actor, project_id)["phases"] if x["phase"] == ph.value)
        raise stale(f"the {ph.value} phase", version, cur)
    g = existing or _gate_row(s, project_id, ph)
    before = journal.snapshot(g)
    if entry_criteria is not None:
        g.entry_criteria = entry_criteria
    if exit_criteria is not None:
        g.exit_criteria = exit_criteria
    _rec(s, actor, g, "phase_gate", "update", project_id, before)
    return lifecycle(s, actor, project_id)


def _accountable_role(s: Session, project_id: int) -> int | None:
    rid: int | None = s.scalar(
        select(RaciCell.role_id).where(
            RaciCell.project_id == project_id,
            RaciCell.area == Area.QUALITY.value,
            RaciCell.letter == Raci.ACCOUNTABLE.value,
        )
    )
    return rid


def _accountable_role_name(s: Session, project_id: int) -> str | None:
    rid = _accountable_role(s, project_id)
    r = s.get(Role, rid) if rid else None
    return r.name if r else None


def close_phase(
    s: Session, actor: Actor, project_id: int, *, override_reason: str | None = None
) -> dict[str, Any]:
    """Close the current phase (the project moves to the next one)."""
    p = project_for(s, actor, project_id, Perm.PROJECT_EDIT, for_update=True)
    cur = _phase(p.phase)
    nxt = Q.next_phase(cur)
    failed = Q.failed_criteria(gate_facts(s, project_id, cur))
    reason = (override_reason or "").strip()
    if failed and not reason:
        raise Conflict(
            f"the {cur.value} gate fails: {Q.describe_failures(failed)}; fix these, or the role accountable "
            "for quality overrides with a written reason",
            field="phase",
            details={"failed": failed},
        )
    if failed:
        rid = _accountable_role(s, project_id)
        if rid is None or actor.user_id not in holders_of_role(s, project_id, rid):
            who = _accountable_role_name(s, project_id) or "no role (a RACI gap)"
            raise PermissionDenied(
                f"only the holder of the role accountable for quality ({who}) may override a failed gate"
            )
    g = _gate_row(s, project_id, cur)
    before_g = journal.snapshot(g)
    g.closed_at = now()
    g.closed_by = actor.user_id
    g.failed = failed
    g.override_reason = reason if failed else None
    before_p = journal.snapshot(p)
    p.phase = nxt.value
    cause = f"phase {cur.value} closed" + (f"; failed gate overridden: {reason}" if failed else "")
    _rec(s, actor, g, "phase_gate", "override" if failed else "close", project_id, before_g, cause)
    _rec(s, actor, p, "project", "update", project_id, before_p, cause)
    if failed:
        recipients = holders_of_key(s, project_id, PM) | holders_of_key(s, project_id, SPONSOR)
        notify(s, recipients=recipients, kind="quality.gate_override",
               subject=f"{p.key}: {cur.value} gate overridden", body=f"{actor.username}: {reason}\n\n"
               f"Failed: {Q.describe_failures(failed)}", project_id=project_id,
               link=f"/projects/{project_id}/quality", event_key=f"gate:{g.id}:override:{g.version}",
               exclude=actor.user_id)  # fmt: skip
    return lifecycle(s, actor, project_id)


# --------------------------------------------------------------------------------------------- plan, metrics


def _plan_row(s: Session, project_id: int) -> QualityPlan | None:
    return s.get(QualityPlan, project_id)


def ack_days(s: Session, project_id: int) -> int:
    row = _plan_row(s, project_id)
    return row.concern_ack_days if row else 3


def _metric_dict(m: QualityMetric, ms: list[MetricMeasurement], roles: dict[int, str]) -> dict[str, Any]:
    last = ms[-1].value if ms else None
    return {
        "id": m.id, "name": m.name, "unit": m.unit, "direction": m.direction, "target": m.target,
        "phase": m.phase, "responsible_role_id": m.responsible_role_id,
        "responsible_role": roles.get(m.responsible_role_id) if m.responsible_role_id else None,
        "latest": last, "met": Q.meets(Q.Direction(m.direction), m.target, last),
        "measurements": [{"id": x.id, "measured_at": x.measured_at, "value": x.value, "note": x.note} for x in ms],
        "version": m.version,
    }  # fmt: skip


def plan(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    project_for(s, actor, project_id)
    row = _plan_row(s, project_id)
    roles = dict(s.execute(select(Role.id, Role.name).where(Role.project_id == project_id)).all())
    metrics = list(
        s.scalars(
            select(QualityMetric).where(QualityMetric.project_id == project_id).order_by(QualityMetric.id)
        )
    )
    by: dict[int, list[MetricMeasurement]] = {m.id: [] for m in metrics}
    if metrics:
        q = select(MetricMeasurement).where(MetricMeasurement.metric_id.in_(list(by)))
        for x in s.scalars(q.order_by(MetricMeasurement.measured_at, MetricMeasurement.id)):
            by[x.metric_id].append(x)
    rr = row.responsible_role_id if row else None
    return {
        "project_id": project_id,
        "standards": row.standards if row else [],
        "responsible_role_id": rr,
        "responsible_role": roles.get(rr) if rr else None,
        "notes": row.notes if row else "",
        "concern_ack_days": row.concern_ack_days if row else 3,
        "metrics": [_metric_dict(m, by[m.id], roles) for m in metrics],
        "version": row.version if row else 0,
    }


def _role_of(s: Session, project_id: int, role_id: int | None) -> int | None:
    if role_id is not None:
        r = s.get(Role, role_id)
        if r is None or r.project_id != project_id:
            raise ValidationError("name a role of this project", field="responsible_role_id")
    return role_id


KEEP: Any = object()  # set_plan: a responsible role not given stays as it is (None clears it)


def set_plan(
    s: Session, actor: Actor, project_id: int, *, standards: list[str] | None = None,
    responsible_role_id: int | None = KEEP, notes: str | None = None, concern_ack_days: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Change what is given: standards, notes and acknowledgement days when not None, the responsible role
    when given (None clears it)."""
    project_for(s, actor, project_id, Perm.QUALITY_MANAGE)
    row = _plan_row(s, project_id)
    before = journal.snapshot(row) if row else None
    if row is None:
        row = QualityPlan(project_id=project_id, standards=[], notes="", concern_ack_days=3)
        s.add(row)
    if standards is not None:
        row.standards = [x.strip() for x in standards if x.strip()]
    if responsible_role_id is not KEEP:
        row.responsible_role_id = _role_of(s, project_id, responsible_role_id)
    if notes is not None:
        row.notes = notes
    if concern_ack_days is not None:
        if not 0 <= concern_ack_days <= 60:
            raise ValidationError("0 to 60 working days", field="concern_ack_days")
        row.concern_ack_days = concern_ack_days
    _rec(s, actor, row, "quality_plan", "update" if before else "create", project_id, before)
    return plan(s, actor, project_id)


def create_metric(
    s: Session, actor: Actor, project_id: int, *, name: str, direction: str, target: float, unit: str = "",
    phase: str | None = None, responsible_role_id: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    project_for(s, actor, project_id, Perm.QUALITY_MANAGE)
    m = QualityMetric(
        project_id=project_id, name=_text(name, "name", 120), unit=unit.strip()[:30],
        direction=Q.parse_enum(Q.Direction, direction, "direction").value, target=float(target),
        phase=_phase(phase).value if phase else None,
        responsible_role_id=_role_of(s, project_id, responsible_role_id), created_at=now(),
    )  # fmt: skip
    s.add(m)
    _rec(s, actor, m, "quality_metric", "create", project_id)
    return next(x for x in plan(s, actor, project_id)["metrics"] if x["id"] == m.id)


def record_measurement(
    s: Session, actor: Actor, project_id: int, metric_id: int, *, value: float,
    measured_at: datetime | None = None, note: str = "",
) -> dict[str, Any]:  # fmt: skip
    project_for(s, actor, project_id)
    m = s.get(QualityMetric, metric_id)
    if m is None or m.project_id != project_id:
        raise NotFound(f"metric {metric_id} not found in this project", field="metric_id")
    responsible = m.responsible_role_id and actor.user_id in holders_of_role(
        s, project_id, m.responsible_role_id
    )
    if not responsible:
        project_for(s, actor, project_id, Perm.QUALITY_MANAGE)
    if measured_at is not None and measured_at.tzinfo is None:  # as the web form reads it
        measured_at = measured_at.replace(tzinfo=UTC)
    # a day's grace: a form's time is read as UTC, and a person east of it types their own clock
    if measured_at is not None and measured_at > now() + timedelta(days=1):
        raise ValidationError(f"{measured_at:%Y-%m-%d} is in the future; record what was measured",
                              field="measured_at")  # fmt: skip
    x = MetricMeasurement(metric_id=m.id, measured_at=measured_at or now(), value=float(value), note=note,
                          recorded_by=actor.user_id)  # fmt: skip
    s.add(x)
    _rec(s, actor, x, "metric_measurement", "create", project_id)
    return next(y for y in plan(s, actor, project_id)["metrics"] if y["id"] == m.id)


def _metric(s: Session, project_id: int, metric_id: int) -> QualityMetric:
    m = s.get(QualityMetric, metric_id)
    if m is None or m.project_id != project_id:
        raise NotFound(f"metric {metric_id} not found in this project", field="metric_id")
    return m


def update_metric(
    s: Session, actor: Actor, project_id: int, metric_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    """Change a metric's name, unit, direction, target, phase or responsible role (quality managers). Its
    measurements stay; whether it is met is judged against the new target."""
    project_for(s, actor, project_id, Perm.QUALITY_MANAGE)
    m = _metric(s, project_id, metric_id)
    if m.version != version:
        raise stale(
            "metric", version, next(x for x in plan(s, actor, project_id)["metrics"] if x["id"] == m.id)
        )
    _only(changes, {"name", "unit", "direction", "target", "phase", "responsible_role_id"})
    before = journal.snapshot(m)
    if "name" in changes:
        m.name = _text(changes["name"], "name", 120)
    if "unit" in changes:
        m.unit = str(changes["unit"]).strip()[:30]
    if "direction" in changes:
        m.direction = Q.parse_enum(Q.Direction, changes["direction"], "direction").value
    if "target" in changes:
        m.target = float(changes["target"])
    if "phase" in changes:
        m.phase = _phase(changes["phase"]).value if changes["phase"] else None
    if "responsible_role_id" in changes:
        m.responsible_role_id = _role_of(s, project_id, changes["responsible_role_id"])
    _rec(s, actor, m, "quality_metric", "update", project_id, before)
    return next(x for x in plan(s, actor, project_id)["metrics"] if x["id"] == m.id)


def delete_metric(s: Session, actor: Actor, project_id: int, metric_id: int, version: int) -> None:
    """Remove a metric and its measurements from the quality plan (quality managers; journaled)."""
    project_for(s, actor, project_id, Perm.QUALITY_MANAGE)
    m = _metric(s, project_id, metric_id)
    if m.version != version:
        raise stale(
            "metric", version, next(x for x in plan(s, actor, project_id)["metrics"] if x["id"] == m.id)
        )
    before = journal.snapshot(m)
    for x in s.scalars(select(MetricMeasurement).where(MetricMeasurement.metric_id == m.id)):
        s.delete(x)
    s.delete(m)
    _rec(s, actor, m, "quality_metric", "delete", project_id, before)


# --------------------------------------------------------------------------------------------- deliverables


def deliverable_dict(s: Session, d: Deliverable) -> dict[str, Any]:
    who = names(s, [d.acceptor_id, d.decided_by])
    wp = s.get(WorkPackage, d.work_package_id)
    return {
        "id": d.id, "project_id": d.project_id, "work_package_id": d.work_package_id,
        "work_package": f"{wp.wbs_code} {wp.name}".strip() if wp else None, "phase": d.phase, "name": d.name,
        "description": d.description, "acceptance_criteria": d.acceptance_criteria, "acceptor_id": d.acceptor_id,
        "acceptor": who.get(d.acceptor_id) if d.acceptor_id else None, "status": d.status,
        "decided_by": who.get(d.decided_by) if d.decided_by else None, "decided_at": d.decided_at,
        "rejections": d.rejections, "version": d.version,
    }  # fmt: skip


def list_deliverables(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    project_for(s, actor, project_id)
    q = select(Deliverable).where(Deliverable.project_id == project_id).order_by(Deliverable.id)
    return [deliverable_dict(s, d) for d in s.scalars(q)]


def _deliverable(s: Session, project_id: int, deliverable_id: int) -> Deliverable:
    d = s.get(Deliverable, deliverable_id)
    if d is None or d.project_id != project_id:
        raise NotFound(f"deliverable {deliverable_id} not found in this project", field="deliverable_id")
    return d


def find_acceptor_id(
    s: Session, actor: Actor, project_id: int, work_package_id: int, username_or_id: str
) -> int:
    """The acceptor a new deliverable of the work package names, for whoever may add it (`create_deliverable`'s
    check, before the look-up: a refusal does not say whether the name exists)."""
    project_for(s, actor, project_id)
    _wp_of(s, project_id, work_package_id)
    _may_manage_wp(s, actor, project_id, work_package_id)
    return find_user_id(s, username_or_id)


def _wp_of(s: Session, project_id: int, work_package_id: int) -> WorkPackage:
    wp = s.get(WorkPackage, work_package_id)
    if wp is None or wp.project_id != project_id:
        raise NotFound(f"work package {work_package_id} not found in this project", field="work_package_id")
    return wp


def create_deliverable(
    s: Session, actor: Actor, project_id: int, *, work_package_id: int, name: str, acceptor_id: int,
    acceptance_criteria: str = "", description: str = "", phase: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    p = project_for(s, actor, project_id)
    _wp_of(s, project_id, work_package_id)
    _may_manage_wp(s, actor, project_id, work_package_id)
    require_members(s, project_id, [acceptor_id], "acceptor_id")
    d = Deliverable(
        project_id=project_id, work_package_id=work_package_id, phase=_phase(phase or p.phase).value,
        name=_text(name, "name", 200), description=description, acceptance_criteria=acceptance_criteria,
        acceptor_id=acceptor_id, status=Q.DeliverableStatus.PENDING.value, rejections=[], created_at=now(),
    )  # fmt: skip
    s.add(d)
    _rec(s, actor, d, "deliverable", "create", project_id)
    return deliverable_dict(s, d)


def _decide(
    s: Session, actor: Actor, project_id: int, deliverable_id: int, accept: bool, reason: str,
    version: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """`version`: the deliverable as the acceptor read it (its criteria may have changed since: 409)."""
    project_for(s, actor, project_id)
    d = _deliverable(s, project_id, deliverable_id)
    if actor.user_id is None or actor.user_id != d.acceptor_id:
        named = names(s, [d.acceptor_id]).get(d.acceptor_id or 0, "nobody")
        raise PermissionDenied(
            f"only {named}, named as the acceptor of {d.name!r}, may accept or reject it",
            field="deliverable_id",
        )
    if version is not None and d.version != version:
        raise stale("deliverable", version, deliverable_dict(s, d))
    if d.status != Q.DeliverableStatus.PENDING.value:
        raise Conflict(f"{d.name!r} is {d.status}; only a pending deliverable is decided", field="status")
    if not accept and not reason.strip():
        raise ValidationError("say why the deliverable is rejected", field="reason")
    before = journal.snapshot(d)
    d.status = (Q.DeliverableStatus.ACCEPTED if accept else Q.DeliverableStatus.REJECTED).value
    d.decided_by = actor.user_id
    d.decided_at = now()
    if not accept:
        d.rejections = [
            *d.rejections,
            {"by": actor.username, "at": now().isoformat(), "reason": reason.strip()},
        ]
    _rec(
        s,
        actor,
        d,
        "deliverable",
        "accept" if accept else "reject",
        project_id,
        before,
        reason.strip() or None,
    )
    return deliverable_dict(s, d)


def accept_deliverable(
    s: Session,
    actor: Actor,
    project_id: int,
    deliverable_id: int,
    comment: str = "",
    version: int | None = None,
) -> dict[str, Any]:
    return _decide(s, actor, project_id, deliverable_id, True, comment, version)


def reject_deliverable(
    s: Session, actor: Actor, project_id: int, deliverable_id: int, reason: str, version: int | None = None
) -> dict[str, Any]:
    return _decide(s, actor, project_id, deliverable_id, False, reason, version)


def resubmit_deliverable(s: Session, actor: Actor, project_id: int, deliverable_id: int) -> dict[str, Any]:
    """A rejected deliverable, reworked, goes back to its acceptor (the rejections stay on record)."""
    project_for(s, actor, project_id)
    d = _deliverable(s, project_id, deliverable_id)
    _may_manage_wp(s, actor, project_id, d.work_package_id)
    if d.status != Q.DeliverableStatus.REJECTED.value:
        raise Conflict(
            f"{d.name!r} is {d.status}; only a rejected deliverable is resubmitted", field="status"
        )
    before = journal.snapshot(d)
    d.status = Q.DeliverableStatus.PENDING.value
    d.decided_by = None
    d.decided_at = None
    _rec(s, actor, d, "deliverable", "resubmit", project_id, before)
    return deliverable_dict(s, d)


def update_deliverable(
    s: Session, actor: Actor, project_id: int, deliverable_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    """Change a deliverable's name, description, acceptance criteria, acceptor, work package or phase while
    it is not accepted (the Task Leader of its package, or whoever manages quality). An accepted deliverable
    is refused (409): what was accepted stays as accepted."""
    project_for(s, actor, project_id)
    d = _deliverable(s, project_id, deliverable_id)
    _may_manage_wp(s, actor, project_id, d.work_package_id)
    if d.version != version:
        raise stale("deliverable", version, deliverable_dict(s, d))
    _only(changes, {"name", "description", "acceptance_criteria", "acceptor_id", "work_package_id", "phase"})
    if d.status == Q.DeliverableStatus.ACCEPTED.value:
        raise Conflict(f"{d.name!r} was accepted; an accepted deliverable is not changed", field="status",
                       current=deliverable_dict(s, d))  # fmt: skip
    before = journal.snapshot(d)
    if "work_package_id" in changes and changes["work_package_id"] != d.work_package_id:
        wp = s.get(WorkPackage, changes["work_package_id"])
        if wp is None or wp.project_id != project_id:
            raise ValidationError(f"work package {changes['work_package_id']} is not in this project",
                                  field="work_package_id")  # fmt: skip
        _may_manage_wp(s, actor, project_id, wp.id)
        d.work_package_id = wp.id
    if "acceptor_id" in changes:
        require_members(s, project_id, [changes["acceptor_id"]], "acceptor_id")
        d.acceptor_id = changes["acceptor_id"]
    if "name" in changes:
        d.name = _text(changes["name"], "name", 200)
    if "description" in changes:
        d.description = str(changes["description"])
    if "acceptance_criteria" in changes:
        d.acceptance_criteria = str(changes["acceptance_criteria"])
    if "phase" in changes:
        d.phase = _phase(changes["phase"]).value
    _rec(s, actor, d, "deliverable", "update", project_id, before)
    return deliverable_dict(s, d)


def delete_deliverable(s: Session, actor: Actor, project_id: int, deliverable_id: int, version: int) -> None:
    """Remove a deliverable that was never accepted and that no review or defect refers to (409 otherwise,
    naming them)."""
    project_for(s, actor, project_id)
    d = _deliverable(s, project_id, deliverable_id)
    _may_manage_wp(s, actor, project_id, d.work_package_id)
    if d.version != version:
        raise stale("deliverable", version, deliverable_dict(s, d))
    if d.status == Q.DeliverableStatus.ACCEPTED.value:
        raise Conflict(f"{d.name!r} was accepted; an accepted deliverable is kept on record", field="status",
                       current=deliverable_dict(s, d))  # fmt: skip
    reviews = list(s.scalars(select(Review.title).where(Review.deliverable_id == d.id).order_by(Review.id)))
    defects = list(s.scalars(select(Defect.id).where(Defect.deliverable_id == d.id).order_by(Defect.id)))
    if reviews or defects:
        used = [f"review {x!r}" for x in reviews] + [f"defect #{n}" for n in defects]
        raise Conflict(f"{d.name!r} is referred to by {', '.join(used)}; unlink those first",
                       field="deliverable_id", current=deliverable_dict(s, d))  # fmt: skip
    before = journal.snapshot(d)
    s.delete(d)
    _rec(s, actor, d, "deliverable", "delete", project_id, before)


# --------------------------------------------------------------------------------------------- checklists, reviews


def _template_dict(t: ChecklistTemplate) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "items": t.items, "version": t.version}


def list_templates(s: Session, actor: Actor) -> list[dict[str, Any]]:
    require_user(actor)
    return [_template_dict(t) for t in s.scalars(select(ChecklistTemplate).order_by(ChecklistTemplate.name))]


def _may_manage_templates(s: Session, actor: Actor) -> None:
    require_user(actor)
    if not actor.is_admin:
        q = (
            select(Role.permissions)
            .join(RoleAssignment, RoleAssignment.role_id == Role.id)
            .where(RoleAssignment.user_id == actor.user_id)
        )
        if not any(Perm.QUALITY_MANAGE.value in perms for perms in s.scalars(current_only(q, now()))):
            raise PermissionDenied("only quality managers (quality.manage in some project) manage checklists")


def _template(s: Session, template_id: int) -> ChecklistTemplate:
    t = s.get(ChecklistTemplate, template_id)
    if t is None:
        raise NotFound(f"checklist {template_id} not found", field="template_id")
    return t


def update_template(
    s: Session, actor: Actor, template_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    """Rename a checklist or change its items (admins and quality managers). Reviews already started keep
    the items they copied."""
    _may_manage_templates(s, actor)
    t = _template(s, template_id)
    if t.version != version:
        raise stale("checklist", version, _template_dict(t))
    _only(changes, {"name", "items"})
    before = journal.snapshot(t)
    if "name" in changes:
        nm = _text(changes["name"], "name", 120)
        if nm != t.name and s.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.name == nm)):
            raise Conflict(f"a checklist named {nm!r} exists", field="name")
        t.name = nm
    if "items" in changes:
        clean = [i.strip() for i in changes["items"] if i.strip()]
        if not clean:
            raise ValidationError("a checklist needs at least one item", field="items")
        t.items = clean
    _rec(s, actor, t, "checklist_template", "update", None, before)
    return _template_dict(t)


def delete_template(s: Session, actor: Actor, template_id: int, version: int) -> None:
    """Remove a checklist no review was started from (409 otherwise, with how many use it)."""
    _may_manage_templates(s, actor)
    t = _template(s, template_id)
    if t.version != version:
        raise stale("checklist", version, _template_dict(t))
    used = len(list(s.scalars(select(Review.id).where(Review.template_id == t.id))))
    if used:
        raise Conflict(f"checklist {t.name!r} is used by {counted(used, 'review')}; it is kept for them",
                       field="template_id", current=_template_dict(t))  # fmt: skip
    before = journal.snapshot(t)
    s.delete(t)
    _rec(s, actor, t, "checklist_template", "delete", None, before)


def create_template(s: Session, actor: Actor, *, name: str, items: list[str]) -> dict[str, Any]:
    """Organisation-wide: an admin, or anyone who manages quality in some project."""
    _may_manage_templates(s, actor)
    clean = [i.strip() for i in items if i.strip()]
    if not clean:
        raise ValidationError("a checklist needs at least one item", field="items")
    nm = _text(name, "name", 120)
    if s.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.name == nm)):
        raise Conflict(f"a checklist named {nm!r} exists", field="name")
    t = ChecklistTemplate(name=nm, items=clean, created_by=actor.user_id, created_at=now())
    s.add(t)
    _rec(s, actor, t, "checklist_template", "create", None)
    return _template_dict(t)


def review_dict(s: Session, r: Review) -> dict[str, Any]:
    who = names(s, [*r.reviewer_ids, *(x["user_id"] for x in r.signoffs)])
    findings = s.scalars(
        select(ReviewFinding).where(ReviewFinding.review_id == r.id).order_by(ReviewFinding.id)
    )
    signed = {x["user_id"] for x in r.signoffs}
    return {
        "id": r.id, "project_id": r.project_id, "title": r.title, "kind": r.kind, "phase": r.phase,
        "template_id": r.template_id, "deliverable_id": r.deliverable_id, "checklist": r.checklist,
        "reviewers": [{"user_id": u, "name": who.get(u), "signed": u in signed} for u in r.reviewer_ids],
        "signoffs": [{**x, "name": who.get(x["user_id"])} for x in r.signoffs], "status": r.status,
        "findings": [{"id": f.id, "text": f.text, "severity": f.severity, "defect_id": f.defect_id,
                      "created_at": f.created_at} for f in findings],
        "version": r.version,
    }  # fmt: skip


def list_reviews(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    project_for(s, actor, project_id)
    return [
        review_dict(s, r)
        for r in s.scalars(select(Review).where(Review.project_id == project_id).order_by(Review.id))
    ]


def create_review(
    s: Session, actor: Actor, project_id: int, *, title: str, reviewer_ids: list[int], kind: str = "review",
    phase: str | None = None, template_id: int | None = None, deliverable_id: int | None = None,
    items: list[str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    p = project_for(s, actor, project_id, Perm.QUALITY_MANAGE)
    if not reviewer_ids:
        raise ValidationError("name at least one reviewer", field="reviewer_ids")
    require_members(s, project_id, reviewer_ids, "reviewer_ids")
    checklist: list[str] = []
    if template_id is not None:
        t = s.get(ChecklistTemplate, template_id)
        if t is None:
            raise ValidationError(f"checklist {template_id} does not exist", field="template_id")
        checklist += list(t.items)
    checklist += [i.strip() for i in items or [] if i.strip()]
    if deliverable_id is not None:
        _deliverable(s, project_id, deliverable_id)
    r = Review(
        project_id=project_id, title=_text(title, "title", 200), kind=Q.parse_enum(Q.ReviewKind, kind, "kind").value,
        phase=_phase(phase or p.phase).value, template_id=template_id, deliverable_id=deliverable_id,
        checklist=[{"item": i, "result": None} for i in checklist], reviewer_ids=sorted(set(reviewer_ids)),
        signoffs=[], status=Q.ReviewStatus.OPEN.value, created_by=actor.user_id, created_at=now(),
    )  # fmt: skip
    s.add(r)
    _rec(s, actor, r, "review", "create", project_id)
    return review_dict(s, r)


def _review(s: Session, actor: Actor, project_id: int, review_id: int, *, reviewer_only: bool) -> Review:
    project_for(s, actor, project_id)
    r = s.get(Review, review_id)
    if r is None or r.project_id != project_id:
        raise NotFound(f"review {review_id} not found in this project", field="review_id")
    if actor.user_id in r.reviewer_ids:
        return r
    if reviewer_only:
        raise PermissionDenied("only a named reviewer signs this review off")
    project_for(s, actor, project_id, Perm.QUALITY_MANAGE)
    return r


def add_finding(
    s: Session, actor: Actor, project_id: int, review_id: int, *, text: str, severity: str = "minor",
    raise_defect: bool = False,
) -> dict[str, Any]:  # fmt: skip
    r = _review(s, actor, project_id, review_id, reviewer_only=False)
    if r.status == Q.ReviewStatus.SIGNED_OFF.value:
        raise Conflict(f"review {r.title!r} is signed off; findings are added to an open review (start a new "
                       "review, or report a defect)", field="status", current=review_dict(s, r))  # fmt: skip
    sev = Q.parse_enum(Q.Severity, severity, "severity")
    defect_id = None
    if raise_defect:
        d = _new_defect(s, actor, project_id, title=_text(text, "text", 300)[:300], severity=sev.value,
                        found_in=Q.FoundIn.REVIEW.value, deliverable_id=r.deliverable_id)  # fmt: skip
        defect_id = d.id
    f = ReviewFinding(review_id=r.id, text=_text(text, "text", 5000), severity=sev.value, defect_id=defect_id,
                      created_by=actor.user_id, created_at=now())  # fmt: skip
    s.add(f)
    _rec(s, actor, f, "review_finding", "create", project_id)
    return review_dict(s, r)


def sign_off(
    s: Session, actor: Actor, project_id: int, review_id: int, *, results: dict[str, str] | None = None,
    version: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A named reviewer signs off (optionally recording checklist results by item index); the review is
    signed off when every reviewer has. `version`: the review as the reviewer read it (results are by item
    index, so a checklist changed since would take them on other items: 409)."""
    r = _review(s, actor, project_id, review_id, reviewer_only=True)
    if version is not None and r.version != version:
        raise stale("review", version, review_dict(s, r))
    if any(x["user_id"] == actor.user_id for x in r.signoffs):
        raise Conflict("you have signed this review off already", field="review_id")
    before = journal.snapshot(r)
    if results:
        items = [dict(x) for x in r.checklist]
        for k, v in results.items():
            if not str(k).isdecimal() or int(k) >= len(items) or v not in ("pass", "fail", "n/a"):
                raise ValidationError("results map item numbers to pass, fail or n/a", field="results")
            items[int(k)]["result"] = v
        r.checklist = items
    r.signoffs = [*r.signoffs, {"user_id": actor.user_id, "at": now().isoformat()}]
    if {x["user_id"] for x in r.signoffs} >= set(r.reviewer_ids):
        r.status = Q.ReviewStatus.SIGNED_OFF.value
    _rec(s, actor, r, "review", "sign_off", project_id, before)
    return review_dict(s, r)


def update_review(
    s: Session, actor: Actor, project_id: int, review_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    """Change a review's title, reviewers or checklist items before it is signed off (quality managers).
    The checklist is fixed once a reviewer has signed against it (409); removing a reviewer drops their
    sign-off, and when every remaining reviewer has signed the review is signed off."""
    project_for(s, actor, project_id, Perm.QUALITY_MANAGE)
    r = s.get(Review, review_id)
    if r is None or r.project_id != project_id:
        raise NotFound(f"review {review_id} not found in this project", field="review_id")
    if r.version != version:
        raise stale("review", version, review_dict(s, r))
    _only(changes, {"title", "reviewer_ids", "items"})
    if r.status == Q.ReviewStatus.SIGNED_OFF.value:
        raise Conflict(f"review {r.title!r} is signed off; a signed-off review is not changed", field="status",
                       current=review_dict(s, r))  # fmt: skip
    before = journal.snapshot(r)
    if "title" in changes:
        r.title = _text(changes["title"], "title", 200)
    if "items" in changes:
        if r.signoffs:
            raise Conflict("a reviewer has signed against this checklist; its items are fixed now", field="items",
                           current=review_dict(s, r))  # fmt: skip
        results = {x["item"]: x.get("result") for x in r.checklist}
        r.checklist = [
            {"item": i.strip(), "result": results.get(i.strip())} for i in changes["items"] if i.strip()
        ]
    if "reviewer_ids" in changes:
        ids = sorted(set(changes["reviewer_ids"]))
        if not ids:
            raise ValidationError("name at least one reviewer", field="reviewer_ids")
        require_members(s, project_id, ids, "reviewer_ids")
        r.reviewer_ids = ids
        r.signoffs = [x for x in r.signoffs if x["user_id"] in ids]
        if {x["user_id"] for x in r.signoffs} >= set(ids):
            r.status = Q.ReviewStatus.SIGNED_OFF.value
    _rec(s, actor, r, "review", "update", project_id, before)
    return review_dict(s, r)


def delete_review(s: Session, actor: Actor, project_id: int, review_id: int, version: int) -> None:
    """Remove a review that is not signed off, with its findings (quality managers; defects raised from
    findings stay)."""
    project_for(s, actor, project_id, Perm.QUALITY_MANAGE)
    r = s.get(Review, review_id)
    if r is None or r.project_id != project_id:
        raise NotFound(f"review {review_id} not found in this project", field="review_id")
    if r.version != version:
        raise stale("review", version, review_dict(s, r))
    if r.status == Q.ReviewStatus.SIGNED_OFF.value:
        raise Conflict(f"review {r.title!r} is signed off; a signed-off review is kept on record",
                       field="status", current=review_dict(s, r))  # fmt: skip
    before = journal.snapshot(r)
    for f in s.scalars(select(ReviewFinding).where(ReviewFinding.review_id == r.id)):
        s.delete(f)
    s.delete(r)
    _rec(s, actor, r, "review", "delete", project_id, before)


# --------------------------------------------------------------------------------------------- defects


def defect_dict(s: Session, d: Defect) -> dict[str, Any]:
    who = names(s, [d.owner_id, d.reported_by])
    return {
        "id": d.id, "project_id": d.project_id, "title": d.title, "description": d.description,
        "severity": d.severity, "priority": d.priority, "found_in": d.found_in, "status": d.status,
        "owner_id": d.owner_id, "owner": who.get(d.owner_id) if d.owner_id else None, "task_id": d.task_id,
        "deliverable_id": d.deliverable_id, "reported_by": who.get(d.reported_by) if d.reported_by else None,
        "opened_at": d.opened_at, "resolved_at": d.resolved_at, "closed_at": d.closed_at,
        "open": Q.defect_open(d.status),
        "wont_fix_reason": d.resolution if d.status == Q.DefectStatus.WONT_FIX else None, "version": d.version,
    }  # fmt: skip


_WONT_FIX_CAUSE = "won't fix: "


def list_defects(
    s: Session, actor: Actor, project_id: int, *, status: str | None = None, severity: str | None = None
) -> list[dict[str, Any]]:
    project_for(s, actor, project_id)
    q = select(Defect).where(Defect.project_id == project_id)
    if status == "open":
        q = q.where(Defect.status.in_(Q.OPEN_DEFECT_VALUES))
    elif status:
        q = q.where(Defect.status == Q.parse_enum(Q.DefectStatus, status, "status").value)
    if severity:
        q = q.where(Defect.severity == Q.parse_enum(Q.Severity, severity, "severity").value)
    return [defect_dict(s, d) for d in s.scalars(q.order_by(Defect.id))]


def _check_links(s: Session, project_id: int, task_id: int | None, deliverable_id: int | None) -> None:
    if task_id is not None:
        t = s.get(Task, task_id)
        if t is None or t.project_id != project_id:
            raise NotFound(f"task {task_id} not found in this project", field="task_id")
    if deliverable_id is not None:
        _deliverable(s, project_id, deliverable_id)


def _new_defect(s: Session, actor: Actor, project_id: int, **values: Any) -> Defect:
    d = Defect(project_id=project_id, status=Q.DefectStatus.NEW.value, reported_by=actor.user_id,
               opened_at=now(), **values)  # fmt: skip
    d.description = d.description or ""
    d.priority = d.priority or 3
    s.add(d)
    _rec(s, actor, d, "defect", "create", project_id)
    return d


def create_defect(
    s: Session, actor: Actor, project_id: int, *, title: str, severity: str, found_in: str, description: str = "",
    priority: int = 3, task_id: int | None = None, deliverable_id: int | None = None, owner_id: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Anyone who may raise issues in the project (concern.raise) reports a defect."""
    project_for(s, actor, project_id, Perm.CONCERN_RAISE)
    _check_links(s, project_id, task_id, deliverable_id)
    if owner_id is not None:
        require_members(s, project_id, [owner_id], "owner_id")
    if not 1 <= priority <= 5:
        raise ValidationError("priority is 1 (highest) to 5", field="priority")
    d = _new_defect(
        s, actor, project_id, title=_text(title, "title"), description=description,
        severity=Q.parse_enum(Q.Severity, severity, "severity").value, priority=priority,
        found_in=Q.parse_enum(Q.FoundIn, found_in, "found_in").value, task_id=task_id,
        deliverable_id=deliverable_id, owner_id=owner_id,
    )  # fmt: skip
    return defect_dict(s, d)


_DEFECT_CHANGERS = "only quality managers, the package's Task Leader or the owner change this defect"


def _defect(s: Session, project_id: int, defect_id: int) -> Defect:
    d = s.get(Defect, defect_id)
    if d is None or d.project_id != project_id:
        raise NotFound(f"defect {defect_id} not found in this project", field="defect_id")
    return d


def _manages_defect(s: Session, actor: Actor, project_id: int, d: Defect) -> bool:
    """Quality managers, and the Task Leader of the linked task's package: they change anything of it."""
    wp = s.scalar(select(Task.work_package_id).where(Task.id == d.task_id)) if d.task_id else None
    return can(s, actor, project_id, Perm.QUALITY_MANAGE) or (
        wp is not None and can(s, actor, project_id, Perm.TASK_EDIT, work_package_target(s, wp))
    )


def find_defect_owner_id(
    s: Session, actor: Actor, project_id: int, defect_id: int, username_or_id: str
) -> int:
    """The new owner a defect's change names, for whoever may change its owner (`update_defect`'s check, before
    the look-up: a refusal does not say whether the name exists)."""
    project_for(s, actor, project_id)
    if not _manages_defect(s, actor, project_id, _defect(s, project_id, defect_id)):
        raise PermissionDenied(_DEFECT_CHANGERS)
    return find_user_id(s, username_or_id)


def update_defect(
    s: Session, actor: Actor, project_id: int, defect_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    """Triage and move through the workflow. Quality managers and the Task Leader of the linked task's
    package change anything; the defect's owner moves its status. `status="wont_fix"` closes an open defect
    without a fix, from any open status, with a required `reason` (kept as the defect's `resolution` and
    journaled as the change's cause); that decision is the managers', not the owner's alone."""
    project_for(s, actor, project_id)
    d = _defect(s, project_id, defect_id)
    manager = _manages_defect(s, actor, project_id, d)
    reason = changes.pop("reason", None)
    if (
        not manager
        and changes.get("status") == Q.DefectStatus.WONT_FIX
        and d.status != Q.DefectStatus.WONT_FIX
    ):
        raise PermissionDenied(
            "closing a defect as won't fix is decided by quality managers or the package's Task Leader"
        )
    if not manager and not (set(changes) <= {"status"} and d.owner_id and d.owner_id == actor.user_id):
        raise PermissionDenied(_DEFECT_CHANGERS)
    if d.version != version:
        raise stale("defect", version, defect_dict(s, d))
    unknown = set(changes) - {"title", "description", "severity", "priority", "found_in", "status", "owner_id",
                              "task_id", "deliverable_id"}  # fmt: skip
    if unknown:
        raise ValidationError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    if "title" in changes:  # as when it was reported
        changes["title"] = _text(changes["title"], "title")
    if "priority" in changes and not (isinstance(changes["priority"], int) and 1 <= changes["priority"] <= 5):
        raise ValidationError("priority is 1 (highest) to 5", field="priority")
    before = journal.snapshot(d)
    cause = None
    if "status" in changes:
        new = Q.parse_enum(Q.DefectStatus, changes.pop("status"), "status")
        Q.check_transition(Q.DefectStatus(d.status), new)
        if new is Q.DefectStatus.WONT_FIX and d.status != new:
            d.resolution = Q.wont_fix_reason(reason)
            cause = _WONT_FIX_CAUSE + d.resolution
            reason = None
            d.closed_at = now()
        if new is Q.DefectStatus.RESOLVED:
            d.resolved_at = now()
        if new is Q.DefectStatus.CLOSED:
            d.closed_at = now()
        if new is Q.DefectStatus.IN_PROGRESS and d.status in (Q.DefectStatus.RESOLVED, Q.DefectStatus.VERIFIED,
                                                              Q.DefectStatus.CLOSED, Q.DefectStatus.WONT_FIX):  # fmt: skip
            d.resolved_at = None
            d.closed_at = None
            d.resolution = None  # reopened: to be fixed after all
        d.status = new.value
    if reason is not None and str(reason).strip():
        raise ValidationError("a reason is given only when closing a defect as won't fix", field="reason")
    if "severity" in changes:
        changes["severity"] = Q.parse_enum(Q.Severity, changes["severity"], "severity").value
    if "found_in" in changes:
        changes["found_in"] = Q.parse_enum(Q.FoundIn, changes["found_in"], "found_in").value
    if changes.get("owner_id") is not None:
        require_members(s, project_id, [changes["owner_id"]], "owner_id")
    _check_links(s, project_id, changes.get("task_id"), changes.get("deliverable_id"))
    for k, v in changes.items():
        setattr(d, k, v)
    _rec(s, actor, d, "defect", "update", project_id, before, cause)
    return defect_dict(s, d)


def defect_trend(
    s: Session, actor: Actor, project_id: int, *, weeks: int = 12, until: date | None = None
) -> dict[str, Any]:
    """Opened, done and open defects per ISO week, for the `weeks` weeks up to `until` (today). A defect is
    done from when it was verified (or closed), as the one open-defect definition says (`Q.DONE`): the key
    `closed` counts those, and `open` the rest."""
    project_for(s, actor, project_id)
    last = until or now().date()
    weeks = max(1, min(weeks, 104))
    first = last - timedelta(weeks=weeks - 1)
    rows = s.execute(
        select(Defect.id, Defect.opened_at, Defect.resolved_at, Defect.closed_at, Defect.status).where(
            Defect.project_id == project_id
        )
    ).all()
    done_since = _done_since(s, project_id, [r.id for r in rows if not Q.defect_open(r.status)])
    spans = [
        (
            r.opened_at,
            None if Q.defect_open(r.status) else done_since.get(r.id) or r.closed_at or r.resolved_at,
        )
        for r in rows
    ]
    return {"project_id": project_id, "weeks": Q.weekly_trend(spans, first, last)}


def _done_since(s: Session, project_id: int, defect_ids: list[int]) -> dict[int, datetime]:
    """When each of these (done) defects last became done — verified or closed — read from the journal's status
    changes (a defect has no verified timestamp of its own; a closed one that was verified first has been done
    since its verification)."""
    out: dict[int, datetime] = {}
    if not defect_ids:
        return out
    done = {x.value for x in Q.DONE}
    q = (
        select(JournalEntry.entity_id, JournalEntry.at, JournalEntry.changes)
        .where(
            JournalEntry.project_id == project_id,
            JournalEntry.entity_type == "defect",
            JournalEntry.entity_id.in_([str(i) for i in defect_ids]),
        )
        .order_by(JournalEntry.at, JournalEntry.id)
    )
    for entity_id, at, changes in s.execute(q):
        status = (changes or {}).get("status")
        if isinstance(status, list) and len(status) == 2 and status[1] in done and status[0] not in done:
            out[int(entity_id)] = at
    return out
