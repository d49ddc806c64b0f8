"""Assignments of resources to tasks, with MS Project's task types: fixed units, fixed duration, fixed work,
and effort-driven recalculation between duration, work and units (work = duration x units)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain import schedule as rules
from charter.domain.errors import Conflict, NotFound, ValidationError, stale
from charter.domain.roles import Perm
from charter.persistence.models import Assignment, Resource, Task
from charter.services import journal
from charter.services.authz import project_for, work_package_target
from charter.services.context import Actor, now
from charter.services.resources import assignees_of
from charter.services.scheduling import _minutes_per_day, plan_changed
from charter.services.tasks import tell_assigned

TASK_TYPES = ("fixed_units", "fixed_duration", "fixed_work")


def _task(s: Session, project_id: int, task_id: int) -> Task:
    t = s.get(Task, task_id)
    if t is None or t.project_id != project_id:
        raise NotFound(f"task {task_id} not found in this project", field="task_id")
    return t


def _check_perm(s: Session, actor: Actor, project_id: int, t: Task) -> None:
    target = work_package_target(s, t.work_package_id) if t.work_package_id else None
    if target is None:
        project_for(s, actor, project_id, Perm.TEAM_MANAGE)
    else:
        project_for(s, actor, project_id, Perm.TEAM_MANAGE, target)


def _rows(s: Session, task_id: int) -> list[Assignment]:
    return list(s.scalars(select(Assignment).where(Assignment.task_id == task_id).order_by(Assignment.id)))


def _work_units(s: Session, task_id: int) -> tuple[int, float]:
    rows = _rows(s, task_id)
    return sum(a.work for a in rows), sum(a.units for a in rows)


def rebalance(
    s: Session, t: Task, *, changed: str, before_units: float | None = None, before_work: int | None = None
) -> None:
    """Keep work = duration x units after `changed` ("duration", "units", "work", "added") moved, the way
    the task type says. Milestones carry no work. `before_work`: the work before a resource was added."""
    rows = _rows(s, t.id)
    if not rows or t.milestone:
        return
    units = sum(a.units for a in rows)
    work = sum(a.work for a in rows)
    if changed == "added" and t.effort_driven and t.task_type != "fixed_duration" and before_units:
        # effort-driven: the same work shared by more units takes less time (fixed work / fixed units)
        kept = before_work if before_work is not None else work
        t.duration = max(1, round(kept / units)) if units else t.duration
    elif changed == "duration" and t.task_type == "fixed_work" and t.duration:
        for a in rows:
            a.units = round(a.work / t.duration, 4) if a.work else a.units
        return
    elif (changed in ("units", "added") and t.task_type == "fixed_work" and units) or (
        changed == "work" and t.task_type in ("fixed_units", "fixed_work") and units
    ):
        t.duration = max(1, round(work / units))
        return
    elif changed == "work" and t.task_type == "fixed_duration" and t.duration:
        for a in rows:
            a.units = round(a.work / t.duration, 4)
        return
    for a in rows:
        a.work = round(t.duration * a.units)
    t.work = sum(a.work for a in rows)


def add_assignment(
    s: Session,
    actor: Actor,
    project_id: int,
    task_id: int,
    *,
    resource_id: int,
    units: float = 1.0,
    work: Any = None,
) -> list[dict[str, Any]]:
    t = _task(s, project_id, task_id)
    _check_perm(s, actor, project_id, t)
    r = s.get(Resource, resource_id)
    if r is None or not r.active:
        raise NotFound(f"resource {resource_id} not found", field="resource_id")
    if units <= 0:
        raise ValidationError("units must be more than 0", field="units")
    if s.scalar(select(Assignment.id).where(Assignment.task_id == t.id, Assignment.resource_id == r.id)):
        raise Conflict(f"{r.name} is already assigned to this task", field="resource_id")
    before_work, before_units = _work_units(s, t.id)
    minutes = (
        rules.parse_duration(work, _minutes_per_day(s, project_id), "work")[0] if work is not None else None
    )
    a = Assignment(
        project_id=project_id,
        task_id=t.id,
        resource_id=r.id,
        units=units,
        work=minutes if minutes is not None else round(t.duration * units),
        created_at=now(),
    )
    s.add(a)
    s.flush()
    before = journal.snapshot(t)
    rebalance(s, t, changed="work" if minutes is not None else "added", before_units=before_units,
              before_work=before_work)  # fmt: skip
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="assignment",
        entity_id=a.id,
        action="create",
        project_id=project_id,
        after=journal.snapshot(a),
    )
    journal.record(
        s,
        actor,
        entity_type="task",
        entity_id=t.id,
        action="update",
        project_id=project_id,
        before=before,
        after=journal.snapshot(t),
        cause=f"{r.name} assigned ({t.task_type})",
    )
    if r.user_id is not None:
        tell_assigned(s, actor, t, r.user_id, a.id)
    plan_changed(s, project_id)
    return assignees_of(s, [t.id]).get(t.id, [])


def update_assignment(
    s: Session,
    actor: Actor,
    project_id: int,
    task_id: int,
    assignment_id: int,
    version: int,
    *,
    units: float | None = None,
    work: Any = None,
) -> list[dict[str, Any]]:
    t = _task(s, project_id, task_id)
    _check_perm(s, actor, project_id, t)
    a = s.get(Assignment, assignment_id)
    if a is None or a.task_id != t.id:
        raise NotFound(f"assignment {assignment_id} not found on this task", field="assignment_id")
    if a.version != version:
        raise stale("assignment", version, {"units": a.units, "work": a.work, "version": a.version})
    before_a, before_t = journal.snapshot(a), journal.snapshot(t)
    if units is not None:
        if units <= 0:
            raise ValidationError("units must be more than 0", field="units")
        a.units = units
        if work is None:
            rebalance(s, t, changed="units")
    if work is not None:
        a.work = rules.parse_duration(work, _minutes_per_day(s, project_id), "work")[0]
        rebalance(s, t, changed="work")
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="assignment",
        entity_id=a.id,
        action="update",
        project_id=project_id,
        before=before_a,
        after=journal.snapshot(a),
    )
    journal.record(
        s,
        actor,
        entity_type="task",
        entity_id=t.id,
        action="update",
        project_id=project_id,
        before=before_t,
        after=journal.snapshot(t),
        cause=f"assignment changed ({t.task_type})",
    )
    plan_changed(s, project_id)
    return assignees_of(s, [t.id]).get(t.id, [])


def remove_assignment(s: Session, actor: Actor, project_id: int, task_id: int, assignment_id: int) -> None:
    t = _task(s, project_id, task_id)
    _check_perm(s, actor, project_id, t)
    a = s.get(Assignment, assignment_id)
    if a is None or a.task_id != t.id:
        raise NotFound(f"assignment {assignment_id} not found on this task", field="assignment_id")
    journal.record(
        s,
        actor,
        entity_type="assignment",
        entity_id=a.id,
        action="delete",
        project_id=project_id,
        before=journal.snapshot(a),
    )
    s.delete(a)
    s.flush()
    t.work = sum(x.work for x in _rows(s, t.id)) or None
    plan_changed(s, project_id)
