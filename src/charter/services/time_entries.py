"""A project's logged time for the people who run it (as Tempo, OpenProject's cost reports or Redmine's
"Spent time"): the entries with task, work package, person, day, hours, status and note, filtered, paged,
with totals per person, per work package and per status, and as a formula-safe CSV or XLSX file.

Who sees which entries (`time_scope`): the Project Manager and whoever reads the budget project-wide (the
Sponsor) or approves hours project-wide see every entry; a Task Leader (timesheet.approve or budget.read on a
work package) sees the entries of the packages they lead, sub-packages included, and their own; anyone else who may
log hours sees only their own; a member who may do none of these is refused (403), a caller who cannot see
the project gets 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from charter.domain.errors import PermissionDenied, ValidationError
from charter.domain.roles import Perm, ScopeKind, permits
from charter.persistence.models import Project, RoleAssignment, Task, TimesheetEntry, User, WorkPackage
from charter.services import accounts
from charter.services.authz import grants, project_for
from charter.services.context import Actor
from charter.services.timesheets import APPROVED, DRAFT, REJECTED, SUBMITTED

STATUSES = (DRAFT, SUBMITTED, APPROVED, REJECTED)
MAX_LIMIT = 1000
CSV_COLUMNS = ("day", "person", "username", "work_package", "task_wbs", "task", "hours", "overtime", "status",
               "note", "entry_id")  # fmt: skip
_LEADS = frozenset({Perm.TIMESHEET_APPROVE, Perm.BUDGET_READ})


@dataclass(frozen=True)
class TimeScope:
    """Which entries of a project a caller sees: every entry (`work_packages` None), or those of these work
    packages plus the caller's own (`user_id`)."""

    kind: str  # "all" | "work_packages" | "own"
    work_packages: frozenset[int] | None
    user_id: int | None

    def condition(self) -> ColumnElement[bool] | None:
        if self.work_packages is None:
            return None
        parts: list[ColumnElement[bool]] = []
        if self.work_packages:
            parts.append(Task.work_package_id.in_(sorted(self.work_packages)))
        if self.user_id is not None:
            parts.append(TimesheetEntry.user_id == self.user_id)
        return or_(*parts) if parts else false()


def _subtree(s: Session, project_id: int, roots: set[int]) -> frozenset[int]:
    parent = dict(
        s.execute(
            select(WorkPackage.id, WorkPackage.parent_id).where(WorkPackage.project_id == project_id)
        ).all()
    )
    out: set[int] = set()
    for wp in parent:
        at: int | None = wp
        seen: set[int] = set()
        while at is not None and at not in seen:
            if at in roots:
                out.add(wp)
                break
            seen.add(at)
            at = parent.get(at)
    return frozenset(out)


def _scope(s: Session, actor: Actor, project_id: int) -> TimeScope | None:
    """The caller's scope, or None when their roles allow no view of the project's time."""
    if actor.is_admin:
        return TimeScope("all", None, actor.user_id)
    held = grants(s, actor, project_id)
    if permits(held, Perm.TIMESHEET_APPROVE) or permits(held, Perm.BUDGET_READ):
        return TimeScope("all", None, actor.user_id)
    roots = {g.scope_id for g in held
             if g.scope_kind is ScopeKind.WORK_PACKAGE and g.scope_id and g.permissions & _LEADS}  # fmt: skip
    if roots:
        return TimeScope("work_packages", _subtree(s, project_id, roots), actor.user_id)
    if permits(held, Perm.TIMESHEET_LOG):
        return TimeScope("own", frozenset(), actor.user_id)
    return None


def time_scope(s: Session, actor: Actor, project_id: int) -> tuple[Project, TimeScope]:
    """The project and the caller's view of its time; 404 when they cannot see the project, 403 when their
    roles allow no view of its time."""
    p = project_for(s, actor, project_id)
    scope = _scope(s, actor, project_id)
    if scope is None:
        raise PermissionDenied(f"your roles in {p.key} do not show the project's time")
    return p, scope


def find_person(s: Session, actor: Actor, project_id: int, username_or_id: str) -> int:
    """The person a filter of the project's time names (username or id). Whoever sees only their own hours
    may name only themselves: anyone else, existing or not, is the same refusal, checked before any look-up,
    so that the answer says nothing about which usernames exist."""
    p, scope = time_scope(s, actor, project_id)
    if accounts.is_self(actor, username_or_id) and actor.user_id is not None:
        return actor.user_id
    if scope.kind == "own":
        raise PermissionDenied(f"your roles in {p.key} show only your own hours", field="user")
    return accounts.find_user_id(s, username_or_id)


def may_list(s: Session, actor: Actor, project_id: int) -> bool:
    """Whether the caller may open the project's time (for showing the tab on a project page the caller was
    already allowed to see; the service still checks)."""
    return _scope(s, actor, project_id) is not None


def filter_choices(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    """What a filter form offers: the people whose hours the caller may see, and the work packages (their
    own for a Task Leader)."""
    _, scope = time_scope(s, actor, project_id)
    q = (
        select(User.id, User.display_name)
        .join(TimesheetEntry, TimesheetEntry.user_id == User.id)
        .join(Task, Task.id == TimesheetEntry.task_id)
        .where(TimesheetEntry.project_id == project_id)
        .distinct()
    )
    if (cond := scope.condition()) is not None:
        q = q.where(cond)
    people = [
        {"id": uid, "name": name} for uid, name in sorted(s.execute(q), key=lambda r: (r[1].lower(), r[0]))
    ]
    wq = select(WorkPackage.id, WorkPackage.wbs_code, WorkPackage.name).where(
        WorkPackage.project_id == project_id
    )
    if scope.kind == "work_packages" and scope.work_packages is not None:
        wq = wq.where(WorkPackage.id.in_(sorted(scope.work_packages)))
    wps = [
        {"id": i, "wbs_code": code, "name": name}
        for i, code, name in s.execute(wq.order_by(WorkPackage.wbs_code))
    ]
    return {"scope": scope.kind, "people": people, "work_packages": wps, "statuses": list(STATUSES)}


def _check_filters(
    s: Session,
    project_id: int,
    date_from: dt.date | None,
    date_to: dt.date | None,
    user_id: int | None,
    work_package_id: int | None,
    task_id: int | None,
    status: str | None,
) -> None:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ValidationError(
            f"the period ends ({date_to.isoformat()}) before it starts ({date_from.isoformat()})",
            field="date_to",
        )
    if status is not None and status not in STATUSES:
        raise ValidationError(f"{status!r} is not a status; use one of {', '.join(STATUSES)}", field="status")
    if (
        work_package_id is not None
        and s.scalar(
            select(WorkPackage.id).where(
                WorkPackage.id == work_package_id, WorkPackage.project_id == project_id
            )
        )
        is None
    ):
        raise ValidationError(
            f"work package {work_package_id} is not in this project", field="work_package_id"
        )
    if (
        task_id is not None
        and s.scalar(select(Task.id).where(Task.id == task_id, Task.project_id == project_id)) is None
    ):
        raise ValidationError(f"task {task_id} is not in this project", field="task_id")
    if user_id is not None:
        member = s.scalar(select(RoleAssignment.id).where(
            RoleAssignment.project_id == project_id, RoleAssignment.user_id == user_id).limit(1))  # fmt: skip
        logged = s.scalar(select(TimesheetEntry.id).where(
            TimesheetEntry.project_id == project_id, TimesheetEntry.user_id == user_id).limit(1))  # fmt: skip
        if member is None and logged is None:
            raise ValidationError(f"user {user_id} has no role and no hours in this project", field="user_id")


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def project_entries(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    user_id: int | None = None,
    work_package_id: int | None = None,
    task_id: int | None = None,
    status: str | None = None,
    limit: int | None = 200,
    offset: int = 0,
) -> dict[str, Any]:
    """The project's time entries the caller may see, oldest day first, with totals over every matching entry
    (not only the page). `work_package_id` includes its sub-packages; `limit` None: every entry."""
    p, scope = time_scope(s, actor, project_id)
    _check_filters(s, project_id, date_from, date_to, user_id, work_package_id, task_id, status)
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit is between 1 and {MAX_LIMIT}", field="limit")
    if offset < 0:
        raise ValidationError("offset cannot be negative", field="offset")
    where: list[ColumnElement[bool]] = [TimesheetEntry.project_id == project_id]
    if (cond := scope.condition()) is not None:
        where.append(cond)
    if date_from is not None:
        where.append(TimesheetEntry.day >= date_from)
    if date_to is not None:
        where.append(TimesheetEntry.day <= date_to)
    if user_id is not None:
        where.append(TimesheetEntry.user_id == user_id)
    if work_package_id is not None:
        where.append(Task.work_package_id.in_(sorted(_subtree(s, project_id, {work_package_id}))))
    if task_id is not None:
        where.append(TimesheetEntry.task_id == task_id)
    if status is not None:
        where.append(TimesheetEntry.status == status)
    matching = and_(*where)

    q = (
        select(TimesheetEntry, Task.wbs_code, Task.name, Task.work_package_id, WorkPackage.name,
               User.display_name, User.username)
        .join(Task, Task.id == TimesheetEntry.task_id)
        .join(User, User.id == TimesheetEntry.user_id)
        .outerjoin(WorkPackage, WorkPackage.id == Task.work_package_id)
        .where(matching)
        .order_by(TimesheetEntry.day, Task.wbs_code, User.display_name, TimesheetEntry.id)
        .offset(offset)
    )  # fmt: skip
    if limit is not None:
        q = q.limit(limit)
    items = [
        {
            "id": e.id, "day": e.day, "user_id": e.user_id, "user": name, "username": username,
            "task_id": e.task_id, "task_wbs": wbs, "task_name": task_name, "work_package_id": wp_id,
            "work_package": wp_name, "minutes": e.minutes, "hours": _hours(e.minutes), "overtime": e.overtime,
            "status": e.status, "note": e.note, "version": e.version,
        }
        for e, wbs, task_name, wp_id, wp_name, name, username in s.execute(q)
    ]  # fmt: skip

    groups = s.execute(
        select(TimesheetEntry.user_id, User.display_name, Task.work_package_id, WorkPackage.name,
               TimesheetEntry.status, func.count(TimesheetEntry.id), func.sum(TimesheetEntry.minutes))
        .join(Task, Task.id == TimesheetEntry.task_id)
        .join(User, User.id == TimesheetEntry.user_id)
        .outerjoin(WorkPackage, WorkPackage.id == Task.work_package_id)
        .where(matching)
        .group_by(TimesheetEntry.user_id, User.display_name, Task.work_package_id, WorkPackage.name,
                  TimesheetEntry.status)
    ).all()  # fmt: skip
    by_user: dict[int, dict[str, Any]] = {}
    by_wp: dict[int | None, dict[str, Any]] = {}
    by_status: dict[str, dict[str, Any]] = {}
    count = total = 0
    for uid, uname, wp_id, wp_name, st, n, minutes in groups:
        m = int(minutes or 0)
        count += int(n)
        total += m
        by_user.setdefault(uid, {"user_id": uid, "user": uname, "minutes": 0})["minutes"] += m
        by_wp.setdefault(wp_id, {"work_package_id": wp_id, "work_package": wp_name, "minutes": 0})[
            "minutes"
        ] += m
        by_status.setdefault(st, {"status": st, "minutes": 0})["minutes"] += m
    for group in (by_user, by_wp, by_status):
        for row in group.values():
            row["hours"] = _hours(row["minutes"])
    return {
        "project_id": project_id,
        "project_key": p.key,
        "scope": scope.kind,
        "items": items,
        "total_count": count,
        "limit": limit,
        "offset": offset,
        "totals": {
            "minutes": total,
            "hours": _hours(total),
            "by_user": sorted(by_user.values(), key=lambda r: (r["user"].lower(), r["user_id"])),
            "by_work_package": sorted(by_wp.values(), key=lambda r: (r["work_package"] is None,
                                                                       (r["work_package"] or "").lower())),
            "by_status": [by_status[x] for x in STATUSES if x in by_status],
        },
    }  # fmt: skip


def csv_rows(data: dict[str, Any]) -> list[list[Any]]:
    """The rows of `project_entries` for a table file (CSV_COLUMNS); hours as a decimal number."""
    return [
        [e["day"].isoformat(), e["user"], e["username"], e["work_package"] or "", e["task_wbs"], e["task_name"],
         (Decimal(e["minutes"]) / 60).quantize(Decimal("0.01")), "yes" if e["overtime"] else "", e["status"],
         e["note"], e["id"]]
        for e in data["items"]
    ]  # fmt: skip


def export(s: Session, actor: Actor, project_id: int, fmt: str = "csv", **filters: Any) -> bytes:
    """Every matching entry the caller may see as CSV (UTF-8 with BOM) or XLSX; text that a spreadsheet would
    run as a formula (a note starting with =, +, - or @) is neutralised."""
    from charter.services.evm import write_table

    data = project_entries(s, actor, project_id, limit=None, **filters)
    return write_table(CSV_COLUMNS, csv_rows(data), fmt, "Time")
