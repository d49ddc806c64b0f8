"""Assignments of resources to tasks, with MS Project's task types: fixed units, fixed duration, fixed work,
and effort-driven recalculation between duration, work and units (work = duration x units)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from charter.domain import schedule as rules
from charter.domain.errors import Conflict, NotFound, ValidationError, stale
from charter.domain.roles import Perm
from charter.persistence.models import Assignment, Resource, Task, User
from charter.services import journal
from charter.services.authz import project_for, work_package_target
from charter.services.comms_common import members
from charter.services.context import Actor, now
from charter.services.resources import assignees_of, person_resource
from charter.services.scheduling import minutes_per_day, plan_changed
from charter.services.tasks import tell_assigned
from charter.services.timesheets import approved_by_person

TASK_TYPES = ("fixed_units", "fixed_duration", "fixed_work")
MAX_UNITS = 100.0  # 10,000 %: as the API's schema allows


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


def _check_units(units: float) -> None:
    if not math.isfinite(units) or units <= 0 or units > MAX_UNITS:
        raise ValidationError(
            "units must be more than 0 and at most 100 (1.0 = full time, 100 %)", field="units"
        )


def _rows(s: Session, task_id: int) -> list[Assignment]:
    return list(s.scalars(select(Assignment).where(Assignment.task_id == task_id).order_by(Assignment.id)))


def _work_units(s: Session, task_id: int) -> tuple[int, float]:
    rows = _rows(s, task_id)
    return sum(a.work for a in rows), sum(a.units for a in rows)


def rebalance(
    s: Session, t: Task, *, changed: str, before_units: float | None = None, before_work: int | None = None
) -> None:
    """Keep work = duration x units after `changed` ("duration", "units", "work", "added", "removed") moved,
    the way the task type says, and the task's work = the sum of its assignments' (MS Project's Task Work)
    whichever moved. Milestones carry no work. `before_units`, `before_work`: the assignments' before a
    resource was added or taken off.

    A resource added to or taken off an effort-driven task (fixed units or fixed work) leaves the task's work
    as it was, shared by the assignments in proportion to their units, and the duration follows (shorter with
    more units, longer with fewer); otherwise a fixed-work task's duration follows its work and units, and
    the work of a fixed-units or fixed-duration task follows its duration (a resource taken off takes its
    work with it). Taking off what was just added therefore returns the task to its duration and work."""
    rows = _rows(s, t.id)
    if not rows or t.milestone:
        return
    units = sum(a.units for a in rows)
    work = sum(a.work for a in rows)
    moved = changed in ("added", "removed")
    if moved and t.effort_driven and t.task_type != "fixed_duration" and before_units:
        # effort-driven: the same work shared by more units takes less time, by fewer more (fixed work / units)
        kept = before_work if before_work is not None else work
        t.duration = max(1, round(kept / units)) if units else t.duration
        _share(kept, rows)
    elif changed == "duration" and t.task_type == "fixed_work" and t.duration:
        for a in rows:
            a.units = round(a.work / t.duration, 4) if a.work else a.units
    elif (changed in ("units", "added", "removed") and t.task_type == "fixed_work" and units) or (
        changed == "work" and t.task_type in ("fixed_units", "fixed_work") and units
    ):
        t.duration = max(1, round(work / units))
    elif changed == "work" and t.task_type == "fixed_duration" and t.duration:
        for a in rows:
            a.units = round(a.work / t.duration, 4)
    elif changed != "removed":  # taken off: the others keep their work, the task's drops by the removed one's
        _work_follows_duration(t, rows)
    total = sum(a.work for a in rows)
    if t.work != total:  # the assignments' work moved but the task kept its former total (API, exports, EVM)
        t.work = total


def _work_follows_duration(t: Task, rows: list[Assignment]) -> None:
    for a in rows:
        a.work = round(t.duration * a.units)


def _share(work: int, rows: list[Assignment]) -> None:
    """`work` split between the assignments in proportion to their units, to the minute, the remainders to
    the largest fractions (so the parts add up to `work` exactly, as an effort-driven task's work stays)."""
    units = sum(Fraction(a.units) for a in rows)  # exact: the parts' floors never add up past `work`
    exact = [work * Fraction(a.units) / units for a in rows]
    parts = [math.floor(x) for x in exact]
    by_fraction = sorted(range(len(rows)), key=lambda i: (parts[i] - exact[i], i))
    for i in by_fraction[: work - sum(parts)]:
        parts[i] += 1
    for a, part in zip(rows, parts, strict=True):
        a.work = part


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
    _check_units(units)
    if s.scalar(select(Assignment.id).where(Assignment.task_id == t.id, Assignment.resource_id == r.id)):
        raise Conflict(f"{r.name} is already assigned to this task", field="resource_id")
    before_work, before_units = _work_units(s, t.id)
    minutes = (
        rules.parse_duration(work, minutes_per_day(s, project_id), "work", elapsed=False)[0]
        if work is not None
        else None
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
    remaining_work: Any = None,
) -> list[dict[str, Any]]:
    """Change an assignment's units or work; or state its remaining work (MS Project's Remaining Work): the
    work becomes the hours logged + the remaining, which is a change of work (the task type's rule follows)."""
    t = _task(s, project_id, task_id)
    _check_perm(s, actor, project_id, t)
    a = s.get(Assignment, assignment_id)
    if a is None or a.task_id != t.id:
        raise NotFound(f"assignment {assignment_id} not found on this task", field="assignment_id")
    if a.version != version:
        raise _stale(s, a, version)
    mpd = minutes_per_day(s, project_id)
    new_work = rules.parse_duration(work, mpd, "work", elapsed=False)[0] if work is not None else None
    if remaining_work is not None:
        new_work = _apply_remaining(s, a, remaining_work, new_work, mpd)
    if units is None and new_work is None:  # nothing to change (a form saved as it was shown)
        return assignees_of(s, [t.id]).get(t.id, [])
    before_a, before_t = journal.snapshot(a), journal.snapshot(t)
    if units is not None:
        _check_units(units)
    with s.no_autoflush:  # one flush: the assignment's version moves by one however many fields changed
        if units is not None:
            a.units = units
            if new_work is None:
                rebalance(s, t, changed="units")
        if new_work is not None:
            a.work = new_work
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


def _stale(s: Session, a: Assignment, version: int) -> Conflict:
    """The 409 of a change or removal sent with a version not the assignment's: the assignment as it is now (as
    the API lists it), with its work in minutes under `work` as well (what the task page fills its form with)."""
    now = next(x for x in assignees_of(s, [a.task_id]).get(a.task_id, []) if x["assignment_id"] == a.id)
    return stale("assignment", version, {**now, "work": a.work})


def actual_work(s: Session, a: Assignment) -> int:
    """The minutes the assigned person logged on the task (approved entries, as every actual in Charter); 0 for
    a resource with no account (equipment, material, a generic resource)."""
    user_id = s.scalar(select(Resource.user_id).where(Resource.id == a.resource_id))
    if user_id is None:
        return 0
    return approved_by_person(s, [a.task_id]).get((a.task_id, user_id), 0)


def _apply_remaining(s: Session, a: Assignment, remaining: Any, new_work: int | None, mpd: int) -> int | None:
    """The work a stated remaining work means (domain.schedule.work_with_remaining); `new_work` (the work
    sent with it) when the remaining work is the one shown, sent back: a re-send changes nothing. Stating it
    with a changed work is refused (they would disagree)."""
    if str(remaining).strip() == "":
        raise ValidationError(
            "give the remaining work, e.g. 6h (0 when the work is done)", field="remaining_work"
        )
    if str(remaining).strip().startswith("-"):
        raise ValidationError("the remaining work cannot be negative", field="remaining_work")
    minutes = rules.parse_duration(remaining, mpd, "remaining_work", elapsed=False)[0]
    done, shown = rules.split_work(a.work, actual_work(s, a))
    if new_work is not None and new_work != a.work:
        raise ValidationError(
            "give the remaining work or the work, not both: the remaining work sets the work from the hours "
            "logged",
            field="remaining_work",
        )
    if minutes == shown:
        return new_work
    return rules.work_with_remaining(done, minutes, mpd)


def remove_assignment(
    s: Session, actor: Actor, project_id: int, task_id: int, assignment_id: int, version: int
) -> None:
    """Take a resource off the task: the assignment at `version`, as it was read (else 409 with it as it is
    now, and nothing removed). The task follows as adding does in reverse (rebalance): an effort-driven one
    keeps its work and lengthens."""
    t = _task(s, project_id, task_id)
    _check_perm(s, actor, project_id, t)
    a = s.get(Assignment, assignment_id)
    if a is None or a.task_id != t.id:
        raise NotFound(f"assignment {assignment_id} not found on this task", field="assignment_id")
    if a.version != version:
        raise _stale(s, a, version)
    before_work, before_units = _work_units(s, t.id)
    before = journal.snapshot(t)
    name = s.scalar(select(Resource.name).where(Resource.id == a.resource_id))
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
    with s.no_autoflush:  # one flush of the task: its version moves by one
        rebalance(s, t, changed="removed", before_units=before_units, before_work=before_work)
        rest = _rows(s, t.id)
        if t.milestone or not rest:  # rebalance leaves these alone: the last one off leaves no work
            t.work = sum(x.work for x in rest) or None
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="task",
        entity_id=t.id,
        action="update",
        project_id=project_id,
        before=before,
        after=journal.snapshot(t),
        cause=f"{name} taken off ({t.task_type})",
    )
    plan_changed(s, project_id)


# --------------------------------------------------------------------------------------------- by name, by form


def units_from_percent(text: str | None) -> float | None:
    """Units typed as a percentage (a form, `--units`): "50" or "50 %" is half time (0.5); empty is None."""
    v = (text or "").strip().removesuffix("%").strip()
    if not v:
        return None
    try:
        n = float(v)
    except ValueError:
        raise ValidationError(
            f"{text!r} is not a percentage (e.g. 50 for half time)", field="units"
        ) from None
    if not math.isfinite(n) or n <= 0 or n > MAX_UNITS * 100:
        raise ValidationError("units must be more than 0 % and at most 10000 %", field="units")
    return n / 100


def work_from_text(text: str | None) -> str | None:
    """Work as typed (a form, `--work`): a bare number is hours ("16" = 16h); 2d, 16h or 90m as written;
    empty is None (work follows duration x units)."""
    v = (text or "").strip()
    if not v:
        return None
    try:
        float(v)
    except ValueError:
        return v
    return f"{v}h"


def remaining_unless_follows(
    s: Session, project_id: int, shown: dict[str, Any], work: str, remaining: str
) -> str | None:
    """A form's remaining work typed beside a changed work (both as typed, work_from_text): None when it is
    only the work less the hours logged (a form sent again after a 409 carries both as they were shown), else
    the remaining work, which update_assignment refuses beside a changed work."""
    mpd = minutes_per_day(s, project_id)
    try:
        w = rules.parse_duration(work_from_text(work), mpd, "work", elapsed=False)[0]
        r = rules.parse_duration(work_from_text(remaining), mpd, "remaining_work", elapsed=False)[0]
    except ValidationError:
        return remaining
    return None if r == rules.split_work(w, shown["actual_work_minutes"])[1] else remaining


def list_assignments(s: Session, actor: Actor, project_id: int, task_id: int) -> list[dict[str, Any]]:
    """The task's assignments (resource, kind, units, work, version), for whoever may read the project."""
    project_for(s, actor, project_id)
    t = _task(s, project_id, task_id)
    return assignees_of(s, [t.id]).get(t.id, [])


def assignable(s: Session, actor: Actor, project_id: int, task_id: int) -> list[dict[str, Any]]:
    """What the task page's Assign a resource form offers: every active resource not on the task yet (people
    whose account is deactivated left out), and the project's members who have no person resource yet (one is
    made when they are assigned). Each has a `key` ("resource:ID" or "user:ID") for `assign_key`."""
    project_for(s, actor, project_id)
    t = _task(s, project_id, task_id)
    taken = {a.resource_id for a in _rows(s, t.id)}
    q = (select(Resource, User.is_active).outerjoin(User, User.id == Resource.user_id)
         .where(Resource.active.is_(True)))  # fmt: skip
    out, with_resource = [], set()
    for r, user_active in s.execute(q):
        if r.user_id is not None:
            with_resource.add(r.user_id)
        if r.id not in taken and user_active is not False:
            out.append({"key": f"resource:{r.id}", "name": r.name, "kind": r.kind})
    new_people = members(s, project_id) - with_resource
    if new_people:
        q2 = select(User).where(User.id.in_(new_people), User.is_active.is_(True))
        out += [{"key": f"user:{u.id}", "name": u.display_name, "kind": "person"} for u in s.scalars(q2)]
    return sorted(out, key=lambda c: (c["kind"] != "person", c["kind"], c["name"].lower()))


def _person(s: Session, actor: Actor, project_id: int, user_id: int, *, make: bool = True) -> Resource:
    """The person resource of a user. `make`: to assign them (active accounts only), made on first use for a
    member of the project; otherwise one they have (to take them off a task)."""
    u = s.get(User, user_id)
    if u is None:
        raise ValidationError(f"user {user_id} does not exist", field="resource_id")
    existing = s.scalars(select(Resource).where(Resource.user_id == u.id)).first()
    if not make:
        if existing is None:
            raise ValidationError(f"{u.display_name} is not assigned to this task", field="resource")
        return existing
    if not u.is_active:
        raise ValidationError(f"{u.display_name}'s account is deactivated", field="resource_id")
    if existing is not None:
        return existing
    if u.id not in members(s, project_id):
        raise ValidationError(f"{u.display_name} holds no role in this project", field="resource_id")
    return person_resource(s, u.id, actor)


def assign_key(
    s: Session, actor: Actor, project_id: int, task_id: int, key: str, *, units: float = 1.0, work: Any = None
) -> list[dict[str, Any]]:
    """add_assignment for a choice of `assignable`: "resource:ID", or "user:ID" (a member without a person
    resource yet: it is made)."""
    kind, _, ident = (key or "").partition(":")
    if kind not in ("resource", "user") or not ident.isascii() or not ident.isdigit():
        raise ValidationError("choose a resource to assign", field="resource_id")
    t = _task(s, project_id, task_id)
    _check_perm(s, actor, project_id, t)
    rid = int(ident) if kind == "resource" else _person(s, actor, project_id, int(ident)).id
    return add_assignment(s, actor, project_id, task_id, resource_id=rid, units=units, work=work)


def find_resource(s: Session, actor: Actor, project_id: int, name: str, *, make: bool = True) -> Resource:
    """A resource named on the command line: a username (that person's resource; with `make`, one is made for
    a member of the project who has none yet), else a resource's exact name (case does not matter)."""
    ref = name.strip()
    if not ref:
        raise ValidationError("name a resource: a username or a resource's name", field="resource")
    uid = s.scalar(select(User.id).where(User.username == ref))
    if uid is not None:
        return _person(s, actor, project_id, uid, make=make)
    q = select(Resource).where(func.lower(Resource.name) == ref.lower())
    found = list(s.scalars(q.where(Resource.active.is_(True)) if make else q))
    if not found:
        raise ValidationError(f"no user or resource named {ref!r}", field="resource")
    if len(found) > 1:
        ids = ", ".join(str(r.id) for r in found)
        raise ValidationError(f"{len(found)} resources are named {ref!r} (ids {ids})", field="resource")
    return found[0]


def assign_named(
    s: Session,
    actor: Actor,
    project_id: int,
    task_id: int,
    names: list[str],
    *,
    units: float | None = None,
    work: Any = None,
    replace_people: bool = False,
) -> list[dict[str, Any]]:
    """`charter task assign`: each named resource (find_resource) on the task: added (full time unless
    `units`), or, when it is on the task already, its units and work changed to those given. With
    `replace_people` the people not named come off the task (other resources stay)."""
    t = _task(s, project_id, task_id)
    _check_perm(s, actor, project_id, t)
    if not names and not replace_people:
        raise ValidationError("name who to assign: a username or a resource's name", field="resource")
    wanted: dict[int, Resource] = {}
    for n in names:
        r = find_resource(s, actor, project_id, n)
        wanted.setdefault(r.id, r)
    on = {a.resource_id: a for a in _rows(s, t.id)}
    if replace_people:
        people = set(s.scalars(select(Resource.id).where(Resource.id.in_(on), Resource.user_id.is_not(None))))
        for rid in sorted(people - set(wanted)):
            gone = on.pop(rid)
            remove_assignment(s, actor, project_id, task_id, gone.id, gone.version)
    for rid in wanted:
        a = on.get(rid)
        if a is None:
            add_assignment(s, actor, project_id, task_id, resource_id=rid,
                           units=1.0 if units is None else units, work=work)  # fmt: skip
        elif units is not None or work is not None:
            update_assignment(s, actor, project_id, task_id, a.id, a.version, units=units, work=work)
    return assignees_of(s, [t.id]).get(t.id, [])


def unassign_named(s: Session, actor: Actor, project_id: int, task_id: int, names: list[str]) -> list[str]:
    """`charter task unassign`: take the named resources (find_resource) off the task; their names."""
    t = _task(s, project_id, task_id)
    _check_perm(s, actor, project_id, t)
    if not names:
        raise ValidationError("name who to take off the task", field="resource")
    on = {a.resource_id: a for a in _rows(s, t.id)}
    done: list[str] = []
    for n in names:
        r = find_resource(s, actor, project_id, n, make=False)
        a = on.pop(r.id, None)
        if a is None:
            if r.name in done:
                continue
            raise ValidationError(f"{r.name} is not assigned to this task", field="resource")
        remove_assignment(s, actor, project_id, task_id, a.id, a.version)  # the version it read
        done.append(r.name)
    return done
