"""Tasks and their links. Every change recomputes the schedule in the same transaction.

A Task Leader edits the tasks of their own work package (and its sub-packages); a worker assigned to a task
may record its progress; a link is edited by whoever may edit its successor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from charter.domain import schedule as rules
from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError, stale
from charter.domain.roles import PROJECT_TARGET, Perm, permits
from charter.engine.calendar import CalendarRangeError
from charter.persistence.db import get_for_update
from charter.persistence.models import (
    Assignment,
    Calendar,
    Project,
    Resource,
    Task,
    TaskComputed,
    TaskLink,
    User,
    WorkPackage,
)
from charter.services import custom_fields, journal, notifications
from charter.services.accounts import find_user_id
from charter.services.authz import grants, is_member, project_for, work_package_target
from charter.services.calendars import calendar_range, project_calendar_row, work_calendar
from charter.services.context import Actor, now
from charter.services.resources import assignees_of, is_assigned, person_resource
from charter.services.scheduling import (
    ENGINE_FIELDS,
    Network,
    lock_plan,
    minutes_per_day,
    plan_changed,
    task_dict,
)
from charter.services.work_packages import next_position, renumber

PROGRESS_FIELDS = frozenset({"percent_complete", "actual_start", "actual_finish", "status"})
EDITABLE = frozenset({
    "name", "description", "work_package_id", "milestone", "duration", "optimistic", "most_likely", "pessimistic",
    "work", "percent_complete", "actual_start", "actual_finish", "status", "priority", "constraint_type",
    "constraint_date", "deadline", "calendar_id", "position", "task_type", "effort_driven", "custom_fields",
    "remaining_duration",
})  # fmt: skip


def _target(s: Session, work_package_id: int | None) -> Any:
    return work_package_target(s, work_package_id) if work_package_id else PROJECT_TARGET


# Fields whose edit can change nothing the schedule is computed from or stored with (no engine input, no WBS
# code, no status derivation, no assignment): such an edit takes the task's row lock without the plan lock,
# so it never queues behind another task's rescheduling (lock order stays plan, then task: an edit of these
# alone never asks for the plan lock afterwards).
PLAN_FREE_FIELDS = frozenset(
    {"name", "description", "priority", "optimistic", "most_likely", "pessimistic", "custom_fields"}
)


def _get(
    s: Session,
    project_id: int,
    task_id: int,
    field: str = "task_id",
    *,
    lock: bool = False,
    plan_lock: bool = True,
) -> Task:
    """`lock`: for a versioned write, the plan lock (unless `plan_lock` is false) then the task's row lock
    (fresh version; see lock_plan)."""
    if lock and plan_lock:
        lock_plan(s, project_id)
    t = get_for_update(s, Task, task_id) if lock else s.get(Task, task_id)
    if t is None or t.project_id != project_id:
        raise NotFound(f"task {task_id} not found in this project", field=field)
    return t


def _check_wp(s: Session, project_id: int, wp_id: int | None) -> None:
    if wp_id is not None:
        w = s.get(WorkPackage, wp_id)
        if w is None or w.project_id != project_id:
            raise NotFound(f"work package {wp_id} not found in this project", field="work_package_id")


ACTUAL_GRACE = dt.timedelta(days=1)  # a form's time is project wall-clock, a person east of UTC is ahead


def actual_limit() -> dt.datetime:
    """The latest actual start or finish a person may record (project wall-clock): now, plus a day's grace for
    time zones, as quality measurements have it."""
    return now().replace(tzinfo=None) + ACTUAL_GRACE


def _normalise(
    s: Session, project_id: int, values: dict[str, Any], where: str, stored: Task | None = None
) -> dict[str, Any]:
    """Parse durations and estimates ("5d", "4h"), enums and dates; check the numbers. `stored`: the task
    being changed, whose actual dates as stored may be re-sent as they are (an imported plan's future ones)."""
    mpd = minutes_per_day(s, project_id)
    out = dict(values)
    if "duration" in out and out["duration"] is not None:
        out["duration"], out["duration_unit"] = rules.parse_duration(out["duration"], mpd)
    kinds: dict[str, bool] = {}  # the estimates given as text: elapsed or not (checked against the duration)
    for k in ("optimistic", "most_likely", "pessimistic", "work"):
        if k in out and out[k] is not None and not isinstance(out[k], int):
            out[k], unit = rules.parse_duration(out[k], mpd, k, elapsed=k != "work")
            if k != "work":
                kinds[k] = unit.elapsed
    if kinds:
        out[_KINDS] = kinds
    if "remaining_duration" in out:
        if out["remaining_duration"] is None or str(out["remaining_duration"]).strip() == "":
            raise ValidationError("give the remaining duration, e.g. 3d (0 when the task is done)",
                                  field="remaining_duration")  # fmt: skip
        out["remaining_duration"], unit = rules.parse_duration(
            out["remaining_duration"], mpd, "remaining_duration"
        )
        out[_REMAINING_ELAPSED] = unit.elapsed
    if "constraint_type" in out:
        out["constraint_type"] = rules.parse_enum(
            rules.ConstraintType, out["constraint_type"], "constraint_type"
        )
    if "status" in out:
        out["status"] = rules.parse_enum(rules.TaskStatus, out["status"], "status")
    if "calendar_id" in out and out["calendar_id"] is not None:
        c = s.get(Calendar, out["calendar_id"])
        if c is None or c.project_id != project_id:
            raise ValidationError(
                f"calendar {out['calendar_id']} is not in this project", field="calendar_id"
            )
    if "task_type" in out and out["task_type"] not in ("fixed_units", "fixed_duration", "fixed_work"):
        raise ValidationError("task type is fixed_units, fixed_duration or fixed_work", field="task_type")
    if out.get("milestone"):
        out["duration"] = 0
    if (
        "custom_fields" in out
    ):  # {name: value} → {field id: stored value}, merged into the task's by the caller
        out["custom_fields"] = custom_fields.parse_task_values(s, project_id, out["custom_fields"])
    dated = [k for k in ("actual_start", "actual_finish", "constraint_date", "deadline")
             if isinstance(out.get(k), dt.datetime)]  # fmt: skip
    project = s.get(Project, project_id) if dated else None
    if project is not None:  # named here, beside its field; the engine's refusal named no field
        first, last = calendar_range(project)
        for k in dated:
            if not first <= out[k].date() <= last:
                raise ValidationError(
                    f"{out[k]:%Y-%m-%d} is outside the project calendar's range ({first} .. {last})", field=k
                )
    latest = actual_limit()
    for k in ("actual_start", "actual_finish"):
        if isinstance(out.get(k), dt.datetime) and out[k] > latest and out[k] != getattr(stored, k, None):
            what = k.replace("_", " ")
            raise ValidationError(
                f"{where + ': ' if where else ''}the {what} {out[k]:%Y-%m-%d %H:%M} is in the future; "
                f"record the {what} once it happened",
                field=k,
            )
    for k in ("name",):
        if k in out and not (out[k] or "").strip():
            raise ValidationError(
                f"{where}: the task needs a name" if where else "the task needs a name", field=k
            )
    return out


_KINDS = "_estimate_kinds"
_REMAINING_ELAPSED = "_remaining_elapsed"


def _apply_remaining(t: Task, values: dict[str, Any], where: str) -> tuple[bool, bool]:
    """A remaining duration stated (`values` parsed by _normalise) becomes the duration and % complete it
    means (domain.schedule.with_remaining, as MS Project's Remaining Duration): the work done stays, the
    duration is what is done plus what remains. A form re-sending the remaining duration it showed changes
    nothing; stating it together with a changed duration or % complete is refused (they would disagree). A
    task with an actual finish that has time remaining is not finished: its actual finish is cleared. Returns
    (the duration moved, the status sent is only a re-send of the stored one and follows progress)."""
    remaining = values.pop("remaining_duration")
    elapsed = values.pop(_REMAINING_ELAPSED, False)
    pre = f"{where}: " if where else ""
    _, shown = rules.split_progress(t.duration, t.percent_complete)
    if remaining == shown and elapsed == rules.is_elapsed(t.duration_unit):
        return False, False
    if t.milestone or values.get("milestone"):
        raise ValidationError(f"{pre}a milestone has no duration, so nothing remains of it",
                              field="remaining_duration")  # fmt: skip
    if elapsed != rules.is_elapsed(t.duration_unit):
        raise ValidationError(
            f"{pre}the duration is {'elapsed' if rules.is_elapsed(t.duration_unit) else 'working time'}, so the "
            f"remaining duration is too (e.g. {'2ed' if rules.is_elapsed(t.duration_unit) else '2d'})",
            field="remaining_duration",
        )
    changed = [
        k for k in ("duration", "percent_complete") if k in values and not _same(k, getattr(t, k), values[k])
    ]
    if changed:
        raise ValidationError(
            f"{pre}give the remaining duration or the {' and '.join(k.replace('_', ' ') for k in changed)}, "
            "not both: the remaining duration sets the duration and % complete from the work done",
            field="remaining_duration",
        )
    duration, percent = rules.with_remaining(t.duration, t.percent_complete, remaining, where)
    values.pop("duration_unit", None)
    values["duration"], values["percent_complete"] = duration, percent
    if remaining > 0 and values.get("actual_finish", t.actual_finish) is not None:
        if "actual_finish" in values and values["actual_finish"] != t.actual_finish:
            raise ValidationError(
                f"{pre}a task with time remaining has no actual finish: clear the actual finish or give "
                "a remaining duration of 0",
                field="remaining_duration",
            )
        values["actual_finish"] = None
    resent = "status" in values and getattr(values["status"], "value", values["status"]) == t.status
    if resent:
        values.pop("status")
    return True, resent


def _check_estimate_kinds(t: Task, kinds: dict[str, bool], was_elapsed: bool | None, where: str) -> None:
    """A task's three-point estimates are counted as its duration is (elapsed or working time): refuse an
    estimate typed in the other kind, and a duration that changes kind under estimates left as they were."""
    pre = f"{where}: " if where else ""
    elapsed = rules.is_elapsed(t.duration_unit)
    for k, e in kinds.items():
        if e != elapsed:
            raise ValidationError(
                f"{pre}the duration is {'elapsed' if elapsed else 'working time'}, so the estimates are too "
                f"(e.g. {'2ed' if elapsed else '2d'})",
                field=k,
            )
    kept = [
        k
        for k in ("optimistic", "most_likely", "pessimistic")
        if k not in kinds and getattr(t, k) is not None
    ]
    if was_elapsed is not None and was_elapsed != elapsed and kept:
        raise ValidationError(
            f"{pre}the three-point estimates are {'elapsed' if was_elapsed else 'working'} time: give them again "
            f"as {'elapsed' if elapsed else 'working'} time with the new duration, or clear them",
            field=kept[0],
        )


def _validate(t: Task, where: str) -> None:
    rules.check_task_numbers(
        duration=t.duration,
        work=t.work,
        percent_complete=t.percent_complete,
        optimistic=t.optimistic,
        most_likely=t.most_likely,
        pessimistic=t.pessimistic,
        priority=t.priority,
        where=where,
    )
    rules.check_constraint(rules.ConstraintType(t.constraint_type), t.constraint_date, where)
    rules.check_actuals(t.actual_start, t.actual_finish, where)


def _derive_status(t: Task, explicit: bool) -> None:
    if explicit:
        return
    if rules.is_done(t.percent_complete, t.actual_finish):
        t.status = rules.TaskStatus.COMPLETED.value
        t.percent_complete = 100.0
    elif t.percent_complete > 0 or t.actual_start is not None:
        if t.status in (rules.TaskStatus.NOT_STARTED.value, rules.TaskStatus.COMPLETED.value):
            t.status = rules.TaskStatus.IN_PROGRESS.value
    elif t.status in (rules.TaskStatus.IN_PROGRESS.value, rules.TaskStatus.COMPLETED.value):
        t.status = rules.TaskStatus.NOT_STARTED.value


def _computed(s: Session, t: Task) -> dict[str, Any]:
    return task_dict(
        t,
        s.get(TaskComputed, t.id),
        minutes_per_day(s, t.project_id),
        _assignees(s, t.id),
        custom_fields.name_map(s, t.project_id),
    )


def _assignees(s: Session, task_id: int) -> list[dict[str, Any]]:
    return assignees_of(s, [task_id]).get(task_id, [])


def get_task(s: Session, actor: Actor, project_id: int, task_id: int) -> dict[str, Any]:
    project_for(s, actor, project_id)
    return _computed(s, _get(s, project_id, task_id))


def create_task(
    s: Session, actor: Actor, project_id: int, *, name: str, work_package_id: int | None = None, **fields: Any
) -> dict[str, Any]:
    project_for(s, actor, project_id)
    _check_wp(s, project_id, work_package_id)
    project_for(s, actor, project_id, Perm.TASK_EDIT, _target(s, work_package_id))
    return _create(s, actor, project_id, name, work_package_id, fields)


def create_task_on_behalf(
    s: Session, actor: Actor, project_id: int, *, name: str, work_package_id: int | None = None, **fields: Any
) -> dict[str, Any]:
    """As create_task, for a service that has checked the actor's right to it by its own rule (a risk's owner
    adds a response action: risk.add_action); created and journaled as the actor's."""
    project_for(s, actor, project_id)
    _check_wp(s, project_id, work_package_id)
    return _create(s, actor, project_id, name, work_package_id, fields, enforce=False)


def _create(
    s: Session,
    actor: Actor,
    project_id: int,
    name: str,
    work_package_id: int | None,
    fields: dict[str, Any],
    *,
    enforce: bool = True,
    batch: bool = False,
) -> dict[str, Any]:
    """`enforce`: a required custom field without a value (and no default) is a 422; a task another record
    makes for its owner (create_task_on_behalf) gets the defaults only. `batch`: one of several (create_tasks
    numbers the WBS and reschedules once, after the last)."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    if "remaining_duration" in fields:
        raise ValidationError(
            "a new task has nothing done yet: give its duration (the remaining duration is for progress)",
            field="remaining_duration",
        )
    values = _normalise(s, project_id, {"name": name, **fields}, "")
    values.setdefault("duration", 0 if values.get("milestone") else minutes_per_day(s, project_id))
    kinds = values.pop(_KINDS, {})
    given = values.pop("custom_fields", {})
    custom = custom_fields.merged(None, custom_fields.for_new_task(s, project_id, given, enforce=enforce))
    t = Task(
        project_id=project_id,
        work_package_id=work_package_id,
        created_at=now(),
        custom=custom,
        position=values.pop("position", None) or next_position(s, project_id, work_package_id),
        **{k: (v.value if hasattr(v, "value") else v) for k, v in values.items()},
    )
    t.name = t.name.strip()
    for attr, default in (
        ("percent_complete", 0.0),
        ("priority", 500),
        ("constraint_type", "asap"),
        ("status", "not_started"),
        ("description", ""),
        ("milestone", False),
    ):
        if getattr(t, attr) is None:
            setattr(t, attr, default)
    _check_estimate_kinds(t, kinds, None, "")
    _validate(t, "")
    _derive_status(t, "status" in fields)
    s.add(t)
    s.flush()
    if batch:
        return {"id": t.id}
    renumber(s, project_id)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="task",
        entity_id=t.id,
        action="create",
        project_id=project_id,
        after=journal.snapshot(t),
    )
    plan_changed(s, project_id)
    return _computed(s, t)


def create_tasks(
    s: Session, actor: Actor, project_id: int, work_package_id: int | None, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Several tasks in one work package at once (a recurring task's occurrences), each row a task's fields
    with its `name`: the permission checked once, each journaled, the WBS numbered and the plan rescheduled
    once after the last (not once per task)."""
    project_for(s, actor, project_id)
    _check_wp(s, project_id, work_package_id)
    project_for(s, actor, project_id, Perm.TASK_EDIT, _target(s, work_package_id))
    ids = []
    for row in rows:
        fields = dict(row)
        ids.append(
            _create(s, actor, project_id, fields.pop("name"), work_package_id, fields, batch=True)["id"]
        )
    renumber(s, project_id)
    s.flush()
    made = [_get(s, project_id, i) for i in ids]
    for t in made:
        journal.record(s, actor, entity_type="task", entity_id=t.id, action="create", project_id=project_id,
                       after=journal.snapshot(t))  # fmt: skip
    plan_changed(s, project_id)
    return [_computed(s, t) for t in made]


def _allowed(s: Session, actor: Actor, held: Any, t: Task, changes: set[str]) -> bool:
    """Task editors of the package may change anything; an assigned worker only the progress fields."""
    if actor.is_admin:
        return True
    target = _target(s, t.work_package_id)
    if permits(held, Perm.TASK_EDIT, target):
        return True
    return (
        changes <= PROGRESS_FIELDS
        and permits(held, Perm.TASK_PROGRESS, target)
        and is_assigned(s, t.id, actor.user_id)
    )


def _may_edit(s: Session, actor: Actor, project_id: int, t: Task, changes: set[str]) -> None:
    held = None if actor.is_admin else grants(s, actor, project_id)
    if not _allowed(s, actor, held, t, changes):
        raise PermissionDenied("your roles do not allow editing this task")


def progress_editable(s: Session, actor: Actor, project_id: int, task_ids: list[int]) -> set[int]:
    """Those of the tasks whose status and progress the actor may change (a board shows them a move form)."""
    project_for(s, actor, project_id)
    held = None if actor.is_admin else grants(s, actor, project_id)
    found = s.scalars(select(Task).where(Task.project_id == project_id, Task.id.in_(task_ids)))
    return {t.id for t in found if _allowed(s, actor, held, t, set(PROGRESS_FIELDS))}


def update_task(
    s: Session, actor: Actor, project_id: int, task_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    project_for(s, actor, project_id)
    plan_free = set(changes) <= PLAN_FREE_FIELDS
    t = _get(s, project_id, task_id, lock=True, plan_lock=not plan_free)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    _may_edit(s, actor, project_id, t, set(changes))
    if t.version != version:
        raise stale("task", version, _computed(s, t))
    if "work_package_id" in changes and changes["work_package_id"] != t.work_package_id:
        _check_wp(s, project_id, changes["work_package_id"])
        project_for(s, actor, project_id, Perm.TASK_EDIT, _target(s, changes["work_package_id"]))
        changes.setdefault("position", next_position(s, project_id, changes["work_package_id"]))
    values = _normalise(s, project_id, changes, f"task {t.name!r}", t)
    before = journal.snapshot(t)
    planned = [getattr(t, k) for k in ENGINE_FIELDS]
    kinds = values.pop(_KINDS, {})
    was_elapsed = rules.is_elapsed(t.duration_unit)
    explicit_status, resized = "status" in changes, False
    if "remaining_duration" in values:
        resized, resent = _apply_remaining(t, values, f"task {t.name!r}")
        explicit_status = explicit_status and not resent
    if "custom_fields" in values:
        kept = custom_fields.merged(t.custom, values.pop("custom_fields"))
        custom_fields.check_kept(s, project_id, t.custom, kept)
        t.custom = kept
    for k, v in values.items():
        setattr(t, k, v.value if hasattr(v, "value") else v)
    if isinstance(t.name, str):
        t.name = t.name.strip()
    _check_estimate_kinds(t, kinds, was_elapsed, "")
    _validate(t, "")
    if not plan_free:  # the status follows progress, which a plan-free edit leaves as it was
        _derive_status(t, explicit_status)
    if "duration" in changes or resized:
        from charter.services.assignments import rebalance

        with s.no_autoflush:  # reading the assignments flushed the task, then its new work a second time (+2)
            rebalance(s, t, changed="duration")
    s.flush()
    if {"work_package_id", "position"} & set(changes):
        renumber(s, project_id)
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
    )
    if [getattr(t, k) for k in ENGINE_FIELDS] != planned:  # the engine's inputs moved: reschedule
        if plan_free:  # cannot happen (test_plan_free_edits_*): the plan lock would come after the task's
            raise AssertionError("a plan-free edit changed the engine's inputs")
        plan_changed(s, project_id, touched={t.id})  # only this task's own fields changed
    else:  # a name, description, priority, notes... edit: the stored schedule stays exactly right
        s.info["charter.changed_tasks"] = []
    if t.status == rules.TaskStatus.COMPLETED.value and before.get("status") != t.status:
        from charter.services.tech_plans import complete_items  # tech_plans builds on this module

        complete_items(s, actor, t.id)
    elif before.get("status") == rules.TaskStatus.COMPLETED.value and t.status != before.get("status"):
        from charter.services.tech_plans import reopen_items

        reopen_items(s, actor, t.id)
    return _computed(s, t)


BOARD_STATUSES = (
    rules.TaskStatus.NOT_STARTED,
    rules.TaskStatus.IN_PROGRESS,
    rules.TaskStatus.COMPLETED,
    rules.TaskStatus.ON_HOLD,
)


def move_task(
    s: Session, actor: Actor, project_id: int, task_id: int, version: int, status: str
) -> dict[str, Any]:
    """A card moved to another column of a board: the status, with what it means for progress (as MS Project
    marks a task started or 100 % complete). In progress records the actual start if there is none; Completed
    sets 100 % and the actual start and finish it lacks. Like MS Project they are the scheduled dates (never
    outside the calendar, unlike "now" for a task planned ahead); who started or finished otherwise corrects
    them on the task page. Not started is refused once progress or actuals are recorded (they would contradict it); a finished
    task is reopened on its task page, by lowering its percent complete. On hold keeps the progress; leaving it
    sets the column's status as above. Permission and versions as update_task (progress fields only)."""
    project_for(s, actor, project_id)
    target = rules.parse_enum(rules.TaskStatus, status, "status")
    if target not in BOARD_STATUSES:
        raise ValidationError(
            "a task moves to not started, in progress, completed or on hold", field="status"
        )
    return _move(s, actor, project_id, task_id, version, target, {})


def patch_task(
    s: Session, actor: Actor, project_id: int, task_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    """A partial update (the API's PATCH, `charter task update`, the task page's form). A status change that
    changes none of percent complete, actual start and actual finish (not sent, or sent with the values they
    have, as a form re-sends them) means what a board move to that status means (move_task: completing sets
    100 % and the actuals, not started is refused once there is progress ...), with the other fields changed
    alongside in the same update; changing any of them sets the fields as given (update_task). Cancelled is
    not a board column: it is set as given."""
    project_for(s, actor, project_id)
    if "status" not in changes:
        return update_task(s, actor, project_id, task_id, version, **changes)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    target = rules.parse_enum(rules.TaskStatus, changes["status"], "status")
    if target not in BOARD_STATUSES:
        return update_task(s, actor, project_id, task_id, version, **changes)
    t = _get(s, project_id, task_id)
    sent = (PROGRESS_FIELDS - {"status"}) & set(changes)
    if any(not _same(k, getattr(t, k), changes[k]) for k in sent):
        return update_task(s, actor, project_id, task_id, version, **changes)
    rest = {k: v for k, v in changes.items() if k not in sent}
    return _move(s, actor, project_id, task_id, version, target, rest)


def _same(field: str, stored: Any, sent: Any) -> bool:
    """Is a value as sent the one stored (a form re-sending what it showed)? A duration is compared as
    parsed (minutes); % complete as a number; actual dates as read."""
    if field == "duration":
        return bool(sent == stored)
    if field == "percent_complete":
        try:
            return sent is not None and float(sent) == float(stored or 0)
        except (TypeError, ValueError):
            return False  # update_task names the bad value
    try:
        return bool(parse_when(sent, field) == stored)
    except ValidationError:
        return False


def _move(
    s: Session,
    actor: Actor,
    project_id: int,
    task_id: int,
    version: int,
    target: rules.TaskStatus,
    changes: dict[str, Any],
) -> dict[str, Any]:
    """Move the task to `target` (with `changes`, which name no progress field but the status, made in the
    same update)."""
    t = _get(s, project_id, task_id, lock=True)
    _may_edit(s, actor, project_id, t, set(PROGRESS_FIELDS) | set(changes))
    if t.version != version:
        raise stale("task", version, _computed(s, t))
    if t.status == target.value:  # nothing the status means is missing: the other fields as given
        if not set(changes) - {"status"}:
            return _computed(s, t)
        return update_task(s, actor, project_id, task_id, version, **changes)
    moved = _move_changes(s, t, target, changes)
    return update_task(s, actor, project_id, task_id, version, **{**changes, **moved})


def _move_changes(
    s: Session, t: Task, target: rules.TaskStatus, other: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The fields a move of `t` to `target` sets, `other` being the fields changed in the same update."""
    S = rules.TaskStatus
    done = t.status == S.COMPLETED.value or t.percent_complete >= 100 or t.actual_finish is not None
    if done and target != S.COMPLETED:
        raise Conflict(
            f"task {t.name!r} is complete: to reopen it, lower its percent complete first",
            field="status",
            current=_computed(s, t),
        )
    if target == S.NOT_STARTED:
        recorded = [what for what, there in (
            (f"{t.percent_complete:g} % complete", t.percent_complete > 0),
            ("an actual start", t.actual_start is not None),
        ) if there]  # fmt: skip
        if recorded:
            raise Conflict(
                f"task {t.name!r} cannot be not started: it has {' and '.join(recorded)} recorded; "
                f"clear {'them' if len(recorded) > 1 else 'it'} first",
                field="status",
                current=_computed(s, t),
            )
        return {"status": target.value}
    if target == S.ON_HOLD:
        return {"status": target.value}
    c = s.get(TaskComputed, t.id)
    wall = now().replace(tzinfo=None)
    latest = actual_limit()  # a task planned ahead and moved now happened now, not on its planned dates
    changes: dict[str, Any] = {"status": target.value}
    start = t.actual_start or (c.start if c and c.start and c.start <= latest else wall)
    if t.actual_start is None:
        changes["actual_start"] = start
    if target == S.COMPLETED:
        changes["percent_complete"] = 100.0
        finish = _finish_as_changed(s, t, start, other or {}) or (c.finish if c and c.finish else wall)
        changes["actual_finish"] = max(start, finish if finish <= latest else wall)
    return changes


def _finish_as_changed(
    s: Session, t: Task, start: dt.datetime, changes: dict[str, Any]
) -> dt.datetime | None:
    """Where `t`, started at `start`, finishes with the duration, milestone flag and calendar `changes` sets in
    the same update (the stored schedule still has the old ones: "it took 8 days and it is done" finishes 8
    working days after the start); None when they change none of them."""
    sent: dict[str, Any] = {k: changes[k] for k in ("duration", "milestone", "calendar_id") if k in changes}
    if not sent:
        return None
    values = _normalise(s, t.project_id, sent, f"task {t.name!r}")
    elapsed = rules.is_elapsed(values.get("duration_unit", t.duration_unit))
    milestone = bool(values.get("milestone", t.milestone))
    duration = 0 if milestone else values.get("duration", t.duration)
    calendar_id = values.get("calendar_id", t.calendar_id)
    if (milestone, duration, calendar_id, elapsed) == (
        bool(t.milestone),
        t.duration,
        t.calendar_id,
        rules.is_elapsed(t.duration_unit),
    ):
        return None
    if duration is None or duration <= 0:
        return start
    if elapsed:  # wall-clock time, whatever the calendar
        return start + dt.timedelta(minutes=int(duration))
    project = s.get(Project, t.project_id)
    row = s.get(Calendar, calendar_id) if calendar_id is not None else project_calendar_row(s, t.project_id)
    if project is None or row is None:
        return None
    try:
        return work_calendar(s, row, calendar_range(project)).add_working(start, int(duration))
    except (CalendarRangeError, ValueError):  # outside the calendar's years: the engine's own error follows
        return None


def delete_task(s: Session, actor: Actor, project_id: int, task_id: int, version: int) -> None:
    project_for(s, actor, project_id)
    t = _get(s, project_id, task_id, lock=True)
    project_for(s, actor, project_id, Perm.TASK_EDIT, _target(s, t.work_package_id))
    if t.version != version:
        raise stale("task", version, _computed(s, t))
    before = journal.snapshot(t)
    for lk in s.scalars(select(TaskLink).where((TaskLink.pred_id == t.id) | (TaskLink.succ_id == t.id))):
        journal.record(
            s,
            actor,
            entity_type="link",
            entity_id=lk.id,
            action="delete",
            project_id=project_id,
            before=journal.snapshot(lk),
            cause=f"task {t.name!r} deleted",
        )
    s.execute(delete(TaskLink).where((TaskLink.pred_id == t.id) | (TaskLink.succ_id == t.id)))
    s.delete(t)
    s.flush()
    renumber(s, project_id)
    journal.record(
        s, actor, entity_type="task", entity_id=task_id, action="delete", project_id=project_id, before=before
    )
    plan_changed(s, project_id)


def tell_assigned(s: Session, actor: Actor, t: Task, user_id: int, assignment_id: int) -> None:
    """Tell a person (not the one who assigned them) that a task is now theirs: inbox and e-mail as their
    preferences say (kind task.assigned), once per assignment."""
    if user_id == actor.user_id:
        return
    person = s.get(User, user_id)
    # a person booked on a project they cannot see is not told its task's name (the webhooks still are)
    sees = person is not None and (person.is_admin or is_member(s, t.project_id, user_id))
    key = s.scalar(select(Project.key).where(Project.id == t.project_id))
    c = s.get(TaskComputed, t.id)
    when = f" It runs {c.start:%Y-%m-%d} to {c.finish:%Y-%m-%d}." if c and c.start and c.finish else ""
    notifications.notify(
        s, recipients=[user_id] if sees else [], kind="task.assigned",
        subject=f"{key} {t.wbs_code} {t.name} is yours"[:300],
        body=f"{actor.username or 'Charter'} assigned you to task {t.wbs_code} {t.name} in {key}.{when}",
        project_id=t.project_id, link=f"/projects/{t.project_id}/tasks/{t.id}",
        event_key=f"task.assigned:{t.id}:{user_id}:{assignment_id}",
    )  # fmt: skip


def find_assignee_ids(s: Session, actor: Actor, project_id: int, task_id: int, names: list[str]) -> list[int]:
    """The users (usernames or ids) to put on the task, for whoever may assign its people (`set_assignees`'s
    check, before the look-up: a refusal does not say whether a name exists)."""
    project_for(s, actor, project_id)
    t = _get(s, project_id, task_id)
    project_for(s, actor, project_id, Perm.TEAM_MANAGE, _target(s, t.work_package_id))
    return [find_user_id(s, n) for n in names]


def set_assignees(
    s: Session, actor: Actor, project_id: int, task_id: int, user_ids: list[int]
) -> dict[str, Any]:
    """Who works on the task: assignments of those people's resources (full time; work follows the duration).
    Non-human resources on the task stay as they are. The Task Leader assigns the workers of their package."""
    project_for(s, actor, project_id)
    t = _get(s, project_id, task_id, lock=True)
    project_for(s, actor, project_id, Perm.TEAM_MANAGE, _target(s, t.work_package_id))
    wanted = set(user_ids)
    for uid in wanted:
        u = s.get(User, uid)
        if u is None or not u.is_active:
            raise ValidationError(f"user {uid} does not exist or is deactivated", field="user_ids")
        if not grants(s, Actor(uid, u.username), project_id):
            raise ValidationError(f"{u.display_name} holds no role in this project", field="user_ids")
    current: dict[int | None, Assignment] = {r.user_id: a for a, r in s.execute(
        select(Assignment, Resource).join(Resource, Resource.id == Assignment.resource_id)
        .where(Assignment.task_id == task_id, Resource.user_id.is_not(None)))}  # fmt: skip
    before = sorted(u for u in current if u is not None)
    for holder, a in current.items():
        if holder not in wanted:
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
    for new_uid in sorted(wanted - set(current)):
        res = person_resource(s, new_uid, actor)
        a = Assignment(
            project_id=project_id,
            task_id=task_id,
            resource_id=res.id,
            units=1.0,
            work=t.duration,
            created_at=now(),
        )
        s.add(a)
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
        tell_assigned(s, actor, t, new_uid, a.id)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="task",
        entity_id=task_id,
        action="update",
        project_id=project_id,
        before={"assignees": before},
        after={"assignees": sorted(wanted)},
    )
    return _computed(s, t)


# --------------------------------------------------------------------------------------------- links


def link_dict(lk: TaskLink, mpd: int) -> dict[str, Any]:
    return {
        "id": lk.id,
        "project_id": lk.project_id,
        "pred_id": lk.pred_id,
        "succ_id": lk.succ_id,
        "type": lk.type,
        "lag": lk.lag,
        "lag_kind": lk.lag_kind,
        "lag_text": rules.format_lag(lk.lag, lk.lag_kind, mpd),
        "version": lk.version,
    }


def _parse_link(s: Session, project_id: int, type_: Any, lag: Any, lag_kind: Any) -> tuple[str, int, str]:
    lt = rules.parse_enum(rules.LinkType, type_, "type")
    if lag_kind is None:
        value, kind = rules.parse_lag(lag if lag is not None else 0, minutes_per_day(s, project_id))
    else:
        kind = rules.parse_enum(rules.LagKind, lag_kind, "lag_kind")
        if isinstance(lag, bool) or not isinstance(lag, int):
            raise ValidationError(
                "with lag_kind given, the lag is a whole number (minutes or percent)", field="lag"
            )
        value = lag
    return lt.value, value, kind.value


def create_link(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    pred_id: int,
    succ_id: int,
    type: str = "FS",
    lag: Any = 0,
    lag_kind: str | None = None,
) -> dict[str, Any]:
    """Link two tasks (FS, SS, FF, SF with a lag in working time, elapsed time or % of the predecessor).
    A link that would close a cycle is refused and the error names the cycle."""
    project_for(s, actor, project_id)
    pred = _get(s, project_id, pred_id, "pred_id")
    succ = _get(s, project_id, succ_id, "succ_id")
    project_for(s, actor, project_id, Perm.TASK_EDIT, _target(s, succ.work_package_id))
    if pred_id == succ_id:
        raise ValidationError("a task cannot depend on itself", field="succ_id")
    if s.scalar(select(TaskLink.id).where(TaskLink.pred_id == pred_id, TaskLink.succ_id == succ_id)):
        raise Conflict(f"{pred.name!r} is already linked to {succ.name!r}", field="succ_id")
    lt, value, kind = _parse_link(s, project_id, type, lag, lag_kind)
    cycle = Network(s, project_id).cycle_if_linked(pred_id, succ_id)
    if cycle:
        names = dict(s.execute(select(Task.id, Task.name).where(Task.id.in_(cycle))).all())
        chain = " -> ".join(names[i] for i in [*cycle, cycle[0]])
        raise ValidationError(
            f"this link would make a cycle: {chain}", field="pred_id", details={"cycle": cycle}
        )
    lk = TaskLink(
        project_id=project_id,
        pred_id=pred_id,
        succ_id=succ_id,
        type=lt,
        lag=value,
        lag_kind=kind,
        created_at=now(),
    )
    s.add(lk)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="link",
        entity_id=lk.id,
        action="create",
        project_id=project_id,
        after=journal.snapshot(lk),
    )
    plan_changed(s, project_id)
    return link_dict(lk, minutes_per_day(s, project_id))


def task_links(s: Session, actor: Actor, project_id: int, task_id: int) -> dict[str, list[dict[str, Any]]]:
    """The task's links: `predecessors` and `successors`, each link with the other task's WBS code and name."""
    project_for(s, actor, project_id)
    _get(s, project_id, task_id)
    mpd = minutes_per_day(s, project_id)
    out: dict[str, list[dict[str, Any]]] = {"predecessors": [], "successors": []}
    for side, mine, other in (("predecessors", TaskLink.succ_id, TaskLink.pred_id),
                              ("successors", TaskLink.pred_id, TaskLink.succ_id)):  # fmt: skip
        q = (
            select(TaskLink, Task.wbs_code, Task.name)
            .join(Task, Task.id == other)
            .where(TaskLink.project_id == project_id, mine == task_id)
            .order_by(TaskLink.id)
        )
        for lk, code, name in s.execute(q):
            out[side].append({**link_dict(lk, mpd), "task_wbs_code": code, "task_name": name})
    return out


def find_link(s: Session, actor: Actor, project_id: int, pred_id: int, succ_id: int) -> dict[str, Any]:
    """The link from one task to another (for the CLI, which names tasks rather than link ids)."""
    project_for(s, actor, project_id)
    lk = s.scalar(
        select(TaskLink).where(
            TaskLink.project_id == project_id, TaskLink.pred_id == pred_id, TaskLink.succ_id == succ_id
        )
    )
    if lk is None:
        raise NotFound("no link from that task to the other", field="link")
    return link_dict(lk, minutes_per_day(s, project_id))


def get_link(s: Session, actor: Actor, project_id: int, link_id: int) -> dict[str, Any]:
    """One link by its id (the CLI reads its version before changing it)."""
    project_for(s, actor, project_id)
    return link_dict(_link(s, project_id, link_id), minutes_per_day(s, project_id))


def _link(s: Session, project_id: int, link_id: int) -> TaskLink:
    lk = s.get(TaskLink, link_id)
    if lk is None or lk.project_id != project_id:
        raise NotFound(f"link {link_id} not found in this project", field="link_id")
    return lk


def update_link(
    s: Session,
    actor: Actor,
    project_id: int,
    link_id: int,
    version: int,
    *,
    type: str | None = None,
    lag: Any = None,
    lag_kind: str | None = None,
) -> dict[str, Any]:
    project_for(s, actor, project_id)
    lk = _link(s, project_id, link_id)
    succ = _get(s, project_id, lk.succ_id)
    project_for(s, actor, project_id, Perm.TASK_EDIT, _target(s, succ.work_package_id))
    mpd = minutes_per_day(s, project_id)
    if lk.version != version:
        raise stale("link", version, link_dict(lk, mpd))
    lt, value, kind = _parse_link(
        s,
        project_id,
        type or lk.type,
        lk.lag if lag is None else lag,
        lk.lag_kind if lag is None and lag_kind is None else lag_kind,
    )
    before = journal.snapshot(lk)
    lk.type, lk.lag, lk.lag_kind = lt, value, kind
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="link",
        entity_id=lk.id,
        action="update",
        project_id=project_id,
        before=before,
        after=journal.snapshot(lk),
    )
    plan_changed(s, project_id)
    return link_dict(lk, mpd)


def delete_link(s: Session, actor: Actor, project_id: int, link_id: int, version: int) -> None:
    project_for(s, actor, project_id)
    lk = _link(s, project_id, link_id)
    succ = _get(s, project_id, lk.succ_id)
    project_for(s, actor, project_id, Perm.TASK_EDIT, _target(s, succ.work_package_id))
    if lk.version != version:
        raise stale("link", version, link_dict(lk, minutes_per_day(s, project_id)))
    journal.record(
        s,
        actor,
        entity_type="link",
        entity_id=lk.id,
        action="delete",
        project_id=project_id,
        before=journal.snapshot(lk),
    )
    s.delete(lk)
    s.flush()
    plan_changed(s, project_id)


def parse_when(value: Any, field: str) -> dt.datetime | None:
    """A wall-clock instant from an ISO date or datetime (a trailing zone is dropped: schedule times are
    project wall-clock)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        return dt.datetime.fromisoformat(str(value)).replace(tzinfo=None)
    except ValueError:
        raise ValidationError(f"{value!r} is not a date or date-time", field=field) from None


def parse_percent(text: str, field: str = "percent_complete") -> float:
    """% complete as typed: "62.5", "62,5" (a decimal comma, as the timesheet takes hours) or "62.5 %". An
    empty text is refused, as the API refuses null, rather than read as 0: clearing it wiped the progress."""
    v = text.strip().removesuffix("%").strip().replace(",", ".")
    if not v:
        raise ValidationError("enter the % complete, from 0 to 100 (0 if no work is done)", field=field)
    try:
        return float(v)
    except ValueError:
        raise ValidationError("must be a number from 0 to 100", field=field) from None
