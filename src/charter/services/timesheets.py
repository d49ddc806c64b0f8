"""Timesheets: workers log hours per task per day; Task Leaders approve the hours of their own work packages,
the Project Manager the rest; approved hours are a task's actual work (and, at the resource's rate on each
day, its labour cost). A project's timesheet lock freezes every entry on or before its date.

Rules (each refusal names the field, day or task, and changes nothing):
- the logger is assigned to the task (through their person resource) or may edit its work package's tasks;
- a day is not in the future, not before the task's start (actual, else scheduled) and not after its finish
  (actual, else scheduled + GRACE_DAYS; an unfinished task that has started stays open until today);
- one person's hours on one day, over every task and project, are at most 24;
- entries on or before the project's lock date cannot be logged, changed, deleted, submitted or decided.
Entries go draft -> submitted -> approved | rejected; an edit of a draft, submitted or rejected entry makes it
a draft again; an approved entry changes only by being rejected by an approver.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from charter.domain import schedule as rules
from charter.domain import wbs
from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError, stale
from charter.domain.ids import as_id
from charter.domain.roles import PROJECT_TARGET, Perm, Target, permits
from charter.persistence.db import get_for_update
from charter.persistence.models import (
    Assignment,
    Project,
    Resource,
    Task,
    TaskComputed,
    TimesheetEntry,
    TimesheetLock,
    WorkPackage,
)
from charter.services import journal
from charter.services.authz import grants, project_for, require_user, visible_project_ids, work_package_target
from charter.services.context import Actor, now
from charter.services.resources import is_assigned, rate_on
from charter.services.scheduling import minutes_per_day

GRACE_DAYS = 7  # hours may be logged this many days after a task's scheduled finish
DAY_LIMIT = 24 * 60
DRAFT, SUBMITTED, APPROVED, REJECTED = "draft", "submitted", "approved", "rejected"
CENT = Decimal("0.01")
_CLOCK_RE = re.compile(r"^\s*(\d{1,2}):([0-5]\d)\s*$")
_HOURS_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|hr|hrs|hours?|m|min|mins|minutes?)?\s*$", re.IGNORECASE)


# --------------------------------------------------------------------------------------------- parsing


def parse_hours(value: Any, field: str = "hours") -> int:
    """'2h', '90m', '1.5h', '1,5', '1:30' or a number of hours -> whole minutes (more than zero)."""
    if isinstance(value, bool) or value is None:
        raise ValidationError("give the hours as e.g. 2h, 90m, 1.5h or a number of hours", field=field)
    text = f"{value}h" if isinstance(value, int | float | Decimal) else str(value).replace(",", ".")
    clock = _CLOCK_RE.match(text)
    if clock:  # 1:30 as timesheets and stopwatches write it
        text = f"{int(clock.group(1)) * 60 + int(clock.group(2))}m"
    m = _HOURS_RE.match(text)
    if not m:
        raise ValidationError(
            f"{value!r} is not a number of hours (use e.g. 2h, 90m, 1.5h or 1:30)", field=field
        )
    unit = "m" if (m.group(2) or "h").lower().startswith("m") else "h"
    minutes, _ = rules.parse_duration(f"{m.group(1)}{unit}", 480, field)
    if minutes <= 0:
        raise ValidationError("log at least one minute (delete the entry to remove hours)", field=field)
    return minutes


def parse_week(value: str | None, field: str = "week") -> dt.date:
    """'2030-W02' (ISO week) -> its Monday; None -> the Monday of the current week."""
    if not value:
        today = now().date()
        return today - dt.timedelta(days=today.weekday())
    m = re.fullmatch(r"\s*(\d{4})-?W(\d{1,2})\s*", value, re.IGNORECASE)
    try:
        if not m:
            raise ValueError
        return dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ValidationError(f"{value!r} is not an ISO week (use e.g. 2030-W02)", field=field) from None


def week_label(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def fmt_hours(minutes: int) -> str:
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------------------------- helpers


def _target(s: Session, work_package_id: int | None) -> Target:
    return work_package_target(s, work_package_id) if work_package_id else PROJECT_TARGET


def _task(s: Session, project_id: int, task_id: int) -> Task:
    t = s.get(Task, task_id)
    if t is None or t.project_id != project_id:
        raise NotFound(f"task {task_id} not found in this project", field="task_id")
    return t


def _entry(s: Session, project_id: int | None, entry_id: int, *, lock: bool = False) -> TimesheetEntry:
    """`lock`: read fresh and hold the row lock for a versioned write (see persistence.db.get_for_update)."""
    e = get_for_update(s, TimesheetEntry, entry_id) if lock else s.get(TimesheetEntry, entry_id)
    if e is None or (project_id is not None and e.project_id != project_id):
        raise NotFound(f"timesheet entry {entry_id} not found", field="entry_id")
    return e


def entry_dict(e: TimesheetEntry, task: Task | None = None) -> dict[str, Any]:
    return {
        "id": e.id, "user_id": e.user_id, "project_id": e.project_id, "task_id": e.task_id,
        "task_name": task.name if task else None, "day": e.day, "minutes": e.minutes,
        "hours": round(e.minutes / 60, 2), "overtime": e.overtime, "note": e.note, "status": e.status,
        "decided_by": e.decided_by, "decided_at": e.decided_at, "decision_note": e.decision_note,
        "version": e.version,
    }  # fmt: skip


def lock_date(s: Session, project_id: int) -> dt.date | None:
    lock = s.get(TimesheetLock, project_id)
    return lock.until if lock else None


def _check_unlocked(s: Session, project_id: int, day: dt.date) -> None:
    until = lock_date(s, project_id)
    if until is not None and day <= until:
        raise Conflict(
            f"timesheets of this project are locked until {until.isoformat()}; "
            f"{day.isoformat()} cannot change",
            field="day",
            details={"locked_until": until.isoformat()},
        )


def task_window(s: Session, t: Task) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day hours may be logged on the task (None: open on that side)."""
    c = s.get(TaskComputed, t.id)
    start = t.actual_start or (c.start if c else None)
    first = start.date() if start else None
    if t.actual_finish is not None:
        return first, t.actual_finish.date()
    finish = c.finish if c else None
    last = finish.date() + dt.timedelta(days=GRACE_DAYS) if finish else None
    started = t.actual_start is not None or t.status == rules.TaskStatus.IN_PROGRESS.value
    if last is not None and started:
        last = max(last, now().date())
    return first, last


def _check_day(s: Session, t: Task, day: dt.date) -> None:
    if day > now().date():
        raise ValidationError(f"{day.isoformat()} is in the future; log hours once worked", field="day")
    first, last = task_window(s, t)
    if first is not None and day < first:
        raise ValidationError(
            f"{day.isoformat()} is before task {t.name!r} starts ({first.isoformat()})", field="day"
        )
    if last is not None and day > last:
        raise ValidationError(
            f"{day.isoformat()} is after task {t.name!r} finished ({last.isoformat()} at the latest); "
            "record an actual finish or ask the Task Leader to extend the task",
            field="day",
        )


def _check_day_total(
    s: Session, user_id: int, day: dt.date, minutes: int, exclude: int | None = None
) -> None:
    q = select(func.coalesce(func.sum(TimesheetEntry.minutes), 0)).where(
        TimesheetEntry.user_id == user_id, TimesheetEntry.day == day
    )
    if exclude is not None:
        q = q.where(TimesheetEntry.id != exclude)
    other = int(s.scalar(q) or 0)
    if other + minutes > DAY_LIMIT:
        raise ValidationError(
            f"{day.isoformat()} would have {fmt_hours(other + minutes)} hours logged; a day has at most 24 "
            f"({fmt_hours(other)} h already logged that day)",
            field="hours",
        )


def _check_visible(s: Session, actor: Actor, e: TimesheetEntry) -> None:
    """Another person's entry is 404 to a caller whose roles do not show it (as `time_entries` lists it: the
    caller's own, every entry for whoever approves or reads the budget of its task's work package), so that
    an entry id says nothing about whose hours exist where."""
    if actor.is_admin or e.user_id == actor.user_id:
        return
    t = s.get(Task, e.task_id)
    target = _target(s, t.work_package_id if t else None)
    held = grants(s, actor, e.project_id)
    if not (permits(held, Perm.TIMESHEET_APPROVE, target) or permits(held, Perm.BUDGET_READ, target)):
        raise NotFound(f"timesheet entry {e.id} not found", field="entry_id")


def _may_log(s: Session, actor: Actor, t: Task) -> None:
    if actor.is_admin or is_assigned(s, t.id, actor.user_id):
        return
    if permits(grants(s, actor, t.project_id), Perm.TASK_EDIT, _target(s, t.work_package_id)):
        return
    raise PermissionDenied(f"you are not assigned to task {t.name!r}", field="task_id")


def _record(s: Session, actor: Actor, e: TimesheetEntry, action: str, before: dict[str, Any] | None) -> None:
    after = None if action == "delete" else journal.snapshot(e)
    journal.record(s, actor, entity_type="timesheet_entry", entity_id=e.id, action=action,
                   project_id=e.project_id, before=before, after=after)  # fmt: skip


# --------------------------------------------------------------------------------------------- logging


def log_entry(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    task_id: int,
    day: dt.date,
    hours: Any,
    note: str = "",
    overtime: bool = False,
) -> dict[str, Any]:
    """Log the actor's own hours on a task for a day (a new draft entry)."""
    project_for(s, actor, project_id, Perm.TIMESHEET_LOG)
    if actor.user_id is None:
        raise PermissionDenied("only a person can log hours", field="user_id")
    t = _task(s, project_id, task_id)
    _may_log(s, actor, t)
    minutes = parse_hours(hours)
    _check_unlocked(s, project_id, day)
    _check_day(s, t, day)
    existing = s.scalar(
        select(TimesheetEntry.id).where(
            TimesheetEntry.user_id == actor.user_id, TimesheetEntry.task_id == t.id, TimesheetEntry.day == day
        )
    )
    if existing is not None:
        raise Conflict(
            f"you already logged hours on task {t.name!r} for {day.isoformat()} (entry {existing}); "
            "change that entry instead",
            field="day",
        )
    _check_day_total(s, actor.user_id, day, minutes)
    e = TimesheetEntry(
        user_id=actor.user_id,
        project_id=project_id,
        task_id=t.id,
        day=day,
        minutes=minutes,
        overtime=bool(overtime),
        note=(note or "").strip(),
        status=DRAFT,
        decision_note="",
        created_at=now(),
    )
    s.add(e)
    s.flush()
    _record(s, actor, e, "create", None)
    return entry_dict(e, t)


def _own_editable(s: Session, actor: Actor, project_id: int, entry_id: int, version: int) -> TimesheetEntry:
    project_for(s, actor, project_id)
    e = _entry(s, project_id, entry_id, lock=True)
    _check_visible(s, actor, e)
    if e.user_id != actor.user_id and not actor.is_admin:
        raise PermissionDenied("only the person who logged the hours may change them", field="entry_id")
    if e.user_id == actor.user_id:
        project_for(s, actor, project_id, Perm.TIMESHEET_LOG)
    if e.version != version:
        raise stale("timesheet entry", version, entry_dict(e))
    _check_unlocked(s, project_id, e.day)
    if e.status == APPROVED:
        raise Conflict(
            f"the hours of {e.day.isoformat()} are approved; ask an approver to reject them before changing",
            field="status",
        )
    return e


def own_entry(s: Session, actor: Actor, entry_id: int) -> dict[str, Any]:
    """One of the actor's own entries (an admin: anyone's), wherever it was logged; anyone else's is 404."""
    require_user(actor)
    e = s.get(TimesheetEntry, entry_id)
    if e is None or (e.user_id != actor.user_id and not actor.is_admin):
        raise NotFound(f"timesheet entry {entry_id} not found", field="entry_id")
    project_for(s, actor, e.project_id)
    return entry_dict(e, s.get(Task, e.task_id))


def update_entry(
    s: Session,
    actor: Actor,
    project_id: int,
    entry_id: int,
    version: int,
    *,
    hours: Any = None,
    note: str | None = None,
    overtime: bool | None = None,
) -> dict[str, Any]:
    """Change the hours, note or overtime flag of one's own entry; it becomes a draft again."""
    e = _own_editable(s, actor, project_id, entry_id, version)
    t = _task(s, project_id, e.task_id)
    before = journal.snapshot(e)
    if hours is not None:
        minutes = parse_hours(hours)
        _check_day_total(s, e.user_id, e.day, minutes, exclude=e.id)
        e.minutes = minutes
    if note is not None:
        e.note = note.strip()
    if overtime is not None:
        e.overtime = bool(overtime)
    if journal.diff(before, journal.snapshot(e)):
        e.status, e.decided_by, e.decided_at, e.decision_note = DRAFT, None, None, ""
    s.flush()
    _record(s, actor, e, "update", before)
    return entry_dict(e, t)


def delete_entry(s: Session, actor: Actor, project_id: int, entry_id: int, version: int) -> None:
    e = _own_editable(s, actor, project_id, entry_id, version)
    before = journal.snapshot(e)
    _record(s, actor, e, "delete", before)
    s.delete(e)
    s.flush()


def submit_week(s: Session, actor: Actor, week: str | None = None) -> dict[str, Any]:
    """Submit the actor's draft entries of an ISO week (all or none)."""
    require_user(actor)
    monday = parse_week(week)
    rows = list(s.scalars(select(TimesheetEntry).where(
        TimesheetEntry.user_id == actor.user_id, TimesheetEntry.status == DRAFT,
        TimesheetEntry.day >= monday, TimesheetEntry.day < monday + dt.timedelta(days=7),
    ).order_by(TimesheetEntry.day, TimesheetEntry.id)))  # fmt: skip
    for e in rows:
        _check_unlocked(s, e.project_id, e.day)
    for e in rows:
        before = journal.snapshot(e)
        e.status = SUBMITTED
        s.flush()
        _record(s, actor, e, "submit", before)
    return {"week": week_label(monday), "submitted": len(rows), "entry_ids": [e.id for e in rows]}


# --------------------------------------------------------------------------------------------- approval


def _may_approve(s: Session, actor: Actor, e: TimesheetEntry, t: Task) -> None:
    project_for(s, actor, e.project_id)
    if actor.is_admin:
        return
    held = grants(s, actor, e.project_id)
    if not permits(held, Perm.TIMESHEET_APPROVE, _target(s, t.work_package_id)):
        raise PermissionDenied(
            f"only the Task Leader of task {t.name!r}'s work package or the Project Manager may approve its hours",
            field="entry_id",
        )
    if e.user_id == actor.user_id and not permits(held, Perm.TIMESHEET_APPROVE, PROJECT_TARGET):
        raise PermissionDenied("nobody approves their own hours; the Project Manager does", field="entry_id")


def _decide(
    s: Session, actor: Actor, entry_id: int, project_id: int | None, status: str, reason: str
) -> dict[str, Any]:
    if project_id is not None:
        project_for(s, actor, project_id)
    e = _entry(s, project_id, entry_id)
    t = s.get(Task, e.task_id)
    assert t is not None
    project_for(s, actor, e.project_id)
    _check_visible(s, actor, e)
    _may_approve(s, actor, e, t)
    if status == REJECTED and not reason:
        raise ValidationError("say why the hours are rejected", field="reason")
    _check_unlocked(s, e.project_id, e.day)
    allowed = (SUBMITTED,) if status == APPROVED else (SUBMITTED, APPROVED)
    if e.status not in allowed:
        raise Conflict(f"the entry is {e.status}; only {' or '.join(allowed)} hours can be {status}",
                       field="status", current=entry_dict(e, t))  # fmt: skip
    before = journal.snapshot(e)
    e.status, e.decided_by, e.decided_at, e.decision_note = status, actor.user_id, now(), reason
    s.flush()
    _record(s, actor, e, "approve" if status == APPROVED else "reject", before)
    return entry_dict(e, t)


def approve_entry(s: Session, actor: Actor, entry_id: int, project_id: int | None = None) -> dict[str, Any]:
    return _decide(s, actor, entry_id, project_id, APPROVED, "")


def reject_entry(
    s: Session, actor: Actor, entry_id: int, reason: str, project_id: int | None = None
) -> dict[str, Any]:
    return _decide(s, actor, entry_id, project_id, REJECTED, (reason or "").strip())


def approvals_for(s: Session, actor: Actor) -> list[dict[str, Any]]:
    """Submitted entries the actor may approve, across the projects they can see (their own only if PM)."""
    require_user(actor)
    q = (
        select(TimesheetEntry, Task, Project.key)
        .join(Task, Task.id == TimesheetEntry.task_id)
        .join(Project, Project.id == TimesheetEntry.project_id)
        .where(TimesheetEntry.status == SUBMITTED, Project.deleted_at.is_(None),
               TimesheetEntry.project_id.in_(visible_project_ids(s, actor)))
        .order_by(Project.key, TimesheetEntry.day, TimesheetEntry.id)
    )  # fmt: skip
    held: dict[int, Any] = {}
    targets: dict[int | None, Target] = {}
    names = _user_names(s)
    out: list[dict[str, Any]] = []
    for e, t, key in s.execute(q):
        if not actor.is_admin:
            g = held.setdefault(e.project_id, grants(s, actor, e.project_id))
            if t.work_package_id not in targets:
                targets[t.work_package_id] = _target(s, t.work_package_id)
            if not permits(g, Perm.TIMESHEET_APPROVE, targets[t.work_package_id]):
                continue
            if e.user_id == actor.user_id and not permits(g, Perm.TIMESHEET_APPROVE, PROJECT_TARGET):
                continue
        out.append({**entry_dict(e, t), "project_key": key, "user": names.get(e.user_id, "")})
    return out


def _user_names(s: Session) -> dict[int, str]:
    from charter.persistence.models import User

    return {uid: name for uid, name in s.execute(select(User.id, User.display_name))}


# --------------------------------------------------------------------------------------------- locks


def set_lock(s: Session, actor: Actor, project_id: int, until: dt.date | None) -> dict[str, Any]:
    """Lock the project's timesheets up to and including `until` (None: unlock). Project Manager only."""
    project_for(s, actor, project_id, Perm.TIMESHEET_APPROVE, PROJECT_TARGET)
    lock = s.get(TimesheetLock, project_id)
    before = {"until": lock.until.isoformat()} if lock else {"until": None}
    if until is None:
        if lock is not None:
            s.delete(lock)
    elif lock is None:
        s.add(TimesheetLock(project_id=project_id, until=until, locked_by=actor.user_id, locked_at=now()))
    else:
        lock.until, lock.locked_by, lock.locked_at = until, actor.user_id, now()
    s.flush()
    after = {"until": until.isoformat() if until else None}
    old = before["until"]
    cause = None
    if old and until:
        cause = "lock raised" if until.isoformat() > old else "lock lowered"
    journal.record(s, actor, entity_type="timesheet_lock", entity_id=project_id, action="update",
                   project_id=project_id, before=before, after=after, cause=cause)  # fmt: skip
    return {"project_id": project_id, "until": until, "locked_by": actor.user_id if until else None}


# --------------------------------------------------------------------------------------------- reading


def assigned_tasks(s: Session, actor: Actor) -> list[dict[str, Any]]:
    """The tasks the actor is assigned to, across the projects they can see; an unfinished one is
    `due_this_week` when its scheduled finish falls in this ISO week, `overdue` when that day has passed."""
    require_user(actor)
    rows = s.execute(
        select(Task, TaskComputed, Project.key, Project.id)
        .join(Assignment, Assignment.task_id == Task.id)
        .join(Resource, Resource.id == Assignment.resource_id)
        .join(Project, Project.id == Task.project_id)
        .outerjoin(TaskComputed, TaskComputed.task_id == Task.id)
        .where(Resource.user_id == actor.user_id, Project.deleted_at.is_(None),
               Task.project_id.in_(visible_project_ids(s, actor)))
        .order_by(Project.key, Task.wbs_code, Task.id)
    ).all()  # fmt: skip
    today = now().date()
    out = []
    for t, c, key, pid in rows:
        due, overdue = rules.due_flags(
            c.finish.date() if c and c.finish else None, t.status == "completed", today
        )
        out.append({"id": t.id, "project_id": pid, "project_key": key, "name": t.name, "wbs_code": t.wbs_code,
                    "start": c.start if c else None, "finish": c.finish if c else None,
                    "percent_complete": t.percent_complete, "status": t.status,
                    "due_this_week": due, "overdue": overdue})  # fmt: skip
    return out


def my_week(s: Session, actor: Actor, week: str | None = None) -> dict[str, Any]:
    """The actor's entries of an ISO week as rows (task) x days, with totals; assigned tasks without hours
    appear as empty rows so a grid can offer them."""
    require_user(actor)
    monday = parse_week(week)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    q = (
        select(TimesheetEntry, Task, Project.key)
        .join(Task, Task.id == TimesheetEntry.task_id)
        .join(Project, Project.id == TimesheetEntry.project_id)
        .where(TimesheetEntry.user_id == actor.user_id, TimesheetEntry.day >= days[0],
               TimesheetEntry.day <= days[-1], Project.deleted_at.is_(None))
        .order_by(Project.key, Task.wbs_code, Task.id)
    )  # fmt: skip
    rows: dict[int, dict[str, Any]] = {}

    def row(task_id: int, project_id: int, key: str, name: str, wbs: str) -> dict[str, Any]:
        return rows.setdefault(
            task_id,
            {
                "task_id": task_id,
                "project_id": project_id,
                "project_key": key,
                "task_name": name,
                "wbs_code": wbs,
                "entries": {},
                "total_minutes": 0,
            },
        )

    for e, t, key in s.execute(q):
        r = row(t.id, e.project_id, key, t.name, t.wbs_code)
        r["entries"][e.day.isoformat()] = entry_dict(e, t)
        r["total_minutes"] += e.minutes
    for a in assigned_tasks(s, actor):
        if a["status"] not in (rules.TaskStatus.COMPLETED.value, rules.TaskStatus.CANCELLED.value):
            row(a["id"], a["project_id"], a["project_key"], a["name"], a["wbs_code"])
    ordered = sorted(rows.values(), key=lambda r: (r["project_key"], r["wbs_code"], r["task_id"]))
    day_totals = {d.isoformat(): sum(r["entries"].get(d.isoformat(), {}).get("minutes", 0) for r in ordered)
                  for d in days}  # fmt: skip
    return {
        "week": week_label(monday),
        "days": days,
        "rows": ordered,
        "day_totals": day_totals,
        "total_minutes": sum(day_totals.values()),
        "previous": week_label(monday - dt.timedelta(days=7)),
        "next": week_label(monday + dt.timedelta(days=7)),
    }


def _planned(s: Session, project_id: int) -> dict[int, int]:
    by_assignment = {tid: work for tid, work in s.execute(
        select(Assignment.task_id, func.sum(Assignment.work)).where(Assignment.project_id == project_id)
        .group_by(Assignment.task_id))}  # fmt: skip
    out: dict[int, int] = {}
    mpd = minutes_per_day(s, project_id)
    for tid, work, duration, unit in s.execute(
        select(Task.id, Task.work, Task.duration, Task.duration_unit).where(Task.project_id == project_id)
    ):
        # without work, the duration as one person's: an elapsed one counts its days as working days
        fallback = rules.as_working_minutes(duration or 0, unit, mpd)
        out[tid] = int(work if work is not None else by_assignment.get(tid) or fallback)
    return out


def actual_minutes(s: Session, project_id: int, until: dt.date | None = None) -> dict[int, int]:
    """Approved minutes per task (no permission check: for other services)."""
    q = select(TimesheetEntry.task_id, func.sum(TimesheetEntry.minutes)).where(
        TimesheetEntry.project_id == project_id, TimesheetEntry.status == APPROVED
    )
    if until is not None:
        q = q.where(TimesheetEntry.day <= until)
    return {tid: int(m or 0) for tid, m in s.execute(q.group_by(TimesheetEntry.task_id))}


def approved_by_person(
    s: Session, task_ids: list[int] | None = None, project_id: int | None = None
) -> dict[tuple[int, int], int]:
    """Approved minutes per (task, person) of the given tasks or project: an assignment's actual work, on the
    same rule as actual_minutes and labour_cost (only approved hours are actual). No permission check."""
    q = select(TimesheetEntry.task_id, TimesheetEntry.user_id, func.sum(TimesheetEntry.minutes)).where(
        TimesheetEntry.status == APPROVED
    )
    if task_ids is not None:
        q = q.where(TimesheetEntry.task_id.in_(task_ids))
    if project_id is not None:
        q = q.where(TimesheetEntry.project_id == project_id)
    rows = s.execute(q.group_by(TimesheetEntry.task_id, TimesheetEntry.user_id))
    return {(tid, uid): int(m or 0) for tid, uid, m in rows}


def suggest_percent(actual: int, planned: int, completed: bool) -> float | None:
    """Actual / planned work as a % complete, capped at 99 until the task is marked complete."""
    if completed:
        return 100.0
    if planned <= 0:
        return None
    return min(99.0, round(100.0 * actual / planned, 1))


def actuals(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    """Actual work per task (approved hours), planned work, and a % complete suggestion."""
    project_for(s, actor, project_id)
    actual = actual_minutes(s, project_id)
    planned = _planned(s, project_id)
    pending = {tid: m for tid, m in s.execute(
        select(TimesheetEntry.task_id, func.sum(TimesheetEntry.minutes))
        .where(TimesheetEntry.project_id == project_id, TimesheetEntry.status == SUBMITTED)
        .group_by(TimesheetEntry.task_id))}  # fmt: skip
    items = []
    rows = s.scalars(select(Task).where(Task.project_id == project_id).order_by(Task.id))
    for t in sorted(rows, key=lambda t: wbs.code_key(t.wbs_code)):  # "1.10" after "1.9"
        a, p = actual.get(t.id, 0), planned.get(t.id, 0)
        items.append({
            "task_id": t.id, "wbs_code": t.wbs_code, "name": t.name, "work_package_id": t.work_package_id,
            "planned_minutes": p,
            "actual_minutes": a, "actual_hours": round(a / 60, 2), "submitted_minutes": int(pending.get(t.id) or 0),
            "percent_complete": t.percent_complete,
            "suggested_percent": suggest_percent(a, p, t.status == rules.TaskStatus.COMPLETED.value),
        })  # fmt: skip
    return {"project_id": project_id, "locked_until": lock_date(s, project_id), "tasks": items}


@dataclass
class _Unrated:
    """Approved minutes of one person in one work package that no rate prices, and the days they span."""

    minutes: int
    first: dt.date
    last: dt.date


def _labour(
    s: Session, project_id: int, until: dt.date | None
) -> tuple[
    dict[int, Decimal], dict[tuple[int, str, int | None], int], dict[tuple[int, int | None], _Unrated]
]:
    """Approved minutes priced at the person's rate valid on each day (the overtime rate for overtime
    entries): the cost per task; the minutes that could not be priced per (user, currency, work package) — a
    rate in another currency than the project's is never charged as if it were in the project's currency;
    and the minutes costed 0 because the person has no rate on the day (or no resource at all) per (user,
    work package)."""
    currency = s.scalar(select(Project.currency).where(Project.id == project_id)) or ""
    q = (
        select(TimesheetEntry.task_id, TimesheetEntry.day, TimesheetEntry.minutes, TimesheetEntry.overtime,
               Resource.id, TimesheetEntry.user_id, Task.work_package_id)
        .join(Task, Task.id == TimesheetEntry.task_id)
        .outerjoin(Resource, Resource.user_id == TimesheetEntry.user_id)
        .where(TimesheetEntry.project_id == project_id, TimesheetEntry.status == APPROVED)
    )  # fmt: skip
    if until is not None:
        q = q.where(TimesheetEntry.day <= until)
    rates: dict[tuple[int, dt.date], tuple[Decimal, Decimal, str | None]] = {}
    sums: dict[int, Decimal] = defaultdict(Decimal)
    unpriced: dict[tuple[int, str, int | None], int] = defaultdict(int)
    unrated: dict[tuple[int, int | None], _Unrated] = {}
    for task_id, day, minutes, overtime, resource_id, user_id, wp_id in s.execute(q):
        sums[task_id] += Decimal(0)
        if resource_id is not None:
            key = (resource_id, day)
            if key not in rates:
                r = rate_on(s, resource_id, day)
                rates[key] = (
                    (Decimal(r.standard), Decimal(r.overtime), r.currency)
                    if r
                    else (Decimal(0), Decimal(0), None)
                )
            standard, extra, rate_currency = rates[key]
        else:
            standard, extra, rate_currency = Decimal(0), Decimal(0), None
        if rate_currency is None:
            u = unrated.get((user_id, wp_id))
            if u is None:
                unrated[(user_id, wp_id)] = _Unrated(minutes, day, day)
            else:
                u.minutes, u.first, u.last = u.minutes + minutes, min(u.first, day), max(u.last, day)
            continue
        if rate_currency != currency:
            unpriced[(user_id, rate_currency, wp_id)] += minutes
            continue
        sums[task_id] += Decimal(minutes) * (extra if overtime else standard)
    costs = {tid: (v / 60).quantize(CENT, rounding=ROUND_HALF_UP) for tid, v in sums.items()}
    return costs, dict(unpriced), unrated


def labour_cost(s: Session, project_id: int, until: dt.date | None = None) -> dict[int, Decimal]:
    """Labour cost per task: approved minutes x the person's rate valid on each day (the overtime rate for
    overtime entries), rounded to cents per task. Hours whose rate is in another currency than the project's
    are not priced, hours of a person without a rate on the day are priced 0 (labour_warnings names both). No
    permission check: the budget service calls it."""
    return _labour(s, project_id, until)[0]


def _span(first: dt.date, last: dt.date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"


def labour_warnings(
    s: Session, project_id: int, until: dt.date | None = None, work_packages: set[int | None] | None = None
) -> list[str]:
    """Approved hours the labour cost leaves out or costs 0, with what to fix: per person and currency, hours
    whose rate is in another currency than the project's (add a rate in the project's currency); per person
    and work package, hours on days the person has no rate at all (add a rate from the first such day on).
    `work_packages`: only hours on tasks of these packages (None: every task; a Task Leader's budget view)."""
    p = s.get(Project, project_id)
    _, unpriced, unrated = _labour(s, project_id, until)
    if work_packages is not None:
        unpriced = {k: m for k, m in unpriced.items() if k[2] in work_packages}
        unrated = {k: u for k, u in unrated.items() if k[1] in work_packages}
    if p is None or not (unpriced or unrated):
        return []
    names = _user_names(s)
    by_currency: dict[tuple[int, str], int] = defaultdict(int)
    for (uid, cur, _wp), minutes in unpriced.items():
        by_currency[(uid, cur)] += minutes
    out = [
        f"{fmt_hours(minutes)} h approved for {names.get(uid, f'user {uid}')} are not costed: their rate is in "
        f"{cur}, the project's currency is {p.currency}; add a rate in {p.currency}"
        for (uid, cur), minutes in sorted(
            by_currency.items(), key=lambda x: (names.get(x[0][0], ""), x[0][1])
        )
    ]
    wp_q = select(WorkPackage.id, WorkPackage.name).where(WorkPackage.project_id == project_id)
    wp_names: dict[int, str] = {wp: name for wp, name in s.execute(wp_q)}
    for (uid, wp_id), u in sorted(
        unrated.items(), key=lambda x: (names.get(x[0][0], ""), wp_names.get(x[0][1], "") if x[0][1] else "")
    ):
        where = (
            f"work package {wp_names.get(wp_id, wp_id)}"
            if wp_id is not None
            else "tasks outside any work package"
        )
        who = names.get(uid, f"user {uid}")
        out.append(
            f"{fmt_hours(u.minutes)} h approved for {who} on {where} ({_span(u.first, u.last)}) are costed 0: "
            f"{who} has no rate on those days; add a rate valid from {u.first.isoformat()}"
        )
    return out


def find_task_id(s: Session, actor: Actor, project_id: int, ref: str) -> int:
    """A task of the project by id, WBS code or exact name (for the CLI)."""
    project_for(s, actor, project_id)
    ref = ref.strip()
    if (n := as_id(ref)) is not None:
        t = s.get(Task, n)
        if t is not None and t.project_id == project_id:
            return t.id
    for col in (Task.wbs_code, func.lower(Task.name)):
        value = ref.lower() if col is not Task.wbs_code else ref
        ids = list(s.scalars(select(Task.id).where(Task.project_id == project_id, col == value)))
        if len(ids) == 1:
            return ids[0]
        if len(ids) > 1:
            raise ValidationError(f"{ref!r} names {len(ids)} tasks; use the task id", field="task")
    raise NotFound(f"no task {ref!r} in this project", field="task")
