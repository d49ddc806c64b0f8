"""Project and task calendars: working weekdays, working hours, public holidays (the `holidays` package, by
country and region) and custom exceptions."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain.errors import Conflict, NotFound, ValidationError, stale
from charter.domain.roles import Perm
from charter.engine.calendar import WorkCalendar
from charter.persistence.models import Calendar, CalendarExceptionRow, Project
from charter.services import journal
from charter.services.authz import project_for
from charter.services.context import Actor, now

STANDARD_WEEKDAYS = [0, 1, 2, 3, 4]
STANDARD_SHIFTS = [[540, 780], [840, 1080]]
RANGE_BEFORE_DAYS = 3 * 366
RANGE_AFTER_DAYS = 15 * 366


def calendar_dict(c: Calendar, exceptions: list[CalendarExceptionRow]) -> dict[str, Any]:
    return {
        "id": c.id,
        "project_id": c.project_id,
        "name": c.name,
        "is_project_default": c.is_project_default,
        "weekdays": list(c.weekdays),
        "shifts": [list(x) for x in c.shifts],
        "minutes_per_day": sum(b - a for a, b in c.shifts),
        "country": c.country,
        "subdiv": c.subdiv,
        "exceptions": [
            {"id": e.id, "day": e.day, "working": e.working, "name": e.name}
            for e in sorted(exceptions, key=lambda e: e.day)
        ],
        "version": c.version,
    }


def add_standard_calendar(s: Session, project_id: int) -> Calendar:
    c = Calendar(
        project_id=project_id,
        name="Standard",
        is_project_default=True,
        weekdays=STANDARD_WEEKDAYS,
        shifts=STANDARD_SHIFTS,
        created_at=now(),
    )
    s.add(c)
    return c


def _exceptions(s: Session, calendar_id: int) -> list[CalendarExceptionRow]:
    return list(
        s.scalars(select(CalendarExceptionRow).where(CalendarExceptionRow.calendar_id == calendar_id))
    )


def project_calendar_row(s: Session, project_id: int) -> Calendar:
    c = s.scalars(
        select(Calendar).where(Calendar.project_id == project_id, Calendar.is_project_default.is_(True))
    ).first()
    if c is None:
        c = add_standard_calendar(s, project_id)
        s.flush()
    return c


def calendar_range(project: Project) -> tuple[dt.date, dt.date]:
    anchor = project.start_date or project.created_at.date()
    return anchor - dt.timedelta(days=RANGE_BEFORE_DAYS), anchor + dt.timedelta(days=RANGE_AFTER_DAYS)


@lru_cache(maxsize=64)
def _build(key: tuple[Any, ...]) -> WorkCalendar:
    _id, _version, start, end, weekdays, shifts, country, subdiv, off, on, name = key
    return WorkCalendar(
        start,
        end,
        weekdays=weekdays,
        shifts=shifts,
        country=country,
        subdiv=subdiv,
        holidays=off,
        working_dates=on,
        name=name,
    )


def work_calendar(s: Session, c: Calendar, rng: tuple[dt.date, dt.date]) -> WorkCalendar:
    exc = _exceptions(s, c.id)
    key = (
        c.id, c.version, rng[0], rng[1], tuple(c.weekdays), tuple(tuple(x) for x in c.shifts), c.country, c.subdiv,
        tuple(sorted(e.day for e in exc if not e.working)), tuple(sorted(e.day for e in exc if e.working)), c.name,
    )  # fmt: skip
    return _build(key)


EXCEPTION_RANGE_MAX = 366  # days one request adds exceptions for, at most


def _get(s: Session, project_id: int, calendar_id: int) -> Calendar:
    c = s.get(Calendar, calendar_id)
    if c is None or c.project_id != project_id:
        raise NotFound(f"calendar {calendar_id} not found in this project", field="calendar_id")
    return c


def calendar_choices(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    """The project's calendars to pick from (id, name, whether it is the project's default), read only."""
    project_for(s, actor, project_id)
    q = select(Calendar.id, Calendar.name, Calendar.is_project_default).where(
        Calendar.project_id == project_id
    )
    return [
        {"id": i, "name": n, "is_project_default": bool(d)} for i, n, d in s.execute(q.order_by(Calendar.id))
    ]


def list_calendars(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    """The project's calendars with their exceptions, read only (a project gets its Standard calendar when it
    is created, and migration 0002 gave one to every project that existed before calendars)."""
    project_for(s, actor, project_id)
    rows = s.scalars(select(Calendar).where(Calendar.project_id == project_id).order_by(Calendar.id))
    return [calendar_dict(c, _exceptions(s, c.id)) for c in rows]


def _hhmm(minute: int) -> str:
    return (
        f"{minute // 60:02d}:{minute % 60:02d}"
        if isinstance(minute, int) and 0 <= minute <= 1440
        else str(minute)
    )


def _check(
    weekdays: list[int] | None, shifts: list[list[int]] | None, country: str | None, subdiv: str | None
) -> None:
    if weekdays is not None and (not weekdays or any(not 0 <= w <= 6 for w in weekdays)):
        raise ValidationError("working weekdays are 0 (Monday) .. 6 (Sunday), at least one", field="weekdays")
    if shifts is not None:
        prev = 0
        if not shifts:
            raise ValidationError("a calendar needs at least one working period", field="shifts")
        for n, pair in enumerate(shifts, 1):
            what = f"working period {n}"
            if len(pair) != 2:
                raise ValidationError(f"{what} needs a start and an end ([from, to] minutes of the day, "
                                      "09:00 = 540)", field="shifts")  # fmt: skip
            a, b = pair
            what += f" ({_hhmm(a)}-{_hhmm(b)})"
            if not (0 <= a <= 1440 and 0 <= b <= 1440):
                problem = "lies outside the day (00:00-24:00)"
            elif b <= a:
                problem = "ends before it starts"
            elif a < prev:
                problem = (
                    f"starts before the period before it ends ({_hhmm(prev)}): periods are in order, apart"
                )
            else:
                prev = b
                continue
            raise ValidationError(f"{what} {problem}", field="shifts")
    if country:
        import holidays as holidays_pkg

        if country.upper() not in holidays_pkg.list_supported_countries():
            raise ValidationError(f"no public holidays are known for country {country!r}", field="country")
        if subdiv:
            subdivs = holidays_pkg.list_supported_countries()[country.upper()]
            if subdiv not in subdivs:
                raise ValidationError(f"{subdiv!r} is not a region of {country.upper()}", field="subdiv")


def create_calendar(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    name: str,
    weekdays: list[int] | None = None,
    shifts: list[list[int]] | None = None,
    country: str | None = None,
    subdiv: str | None = None,
) -> dict[str, Any]:
    """A further calendar for tasks (e.g. a 24x7 cut-over, a part-time team)."""
    project_for(s, actor, project_id, Perm.TASK_EDIT)
    if not name.strip():
        raise ValidationError("the calendar needs a name", field="name")
    if subdiv and not country:
        raise ValidationError("a region needs its country", field="subdiv")
    _check(weekdays, shifts, country, subdiv)
    c = Calendar(
        project_id=project_id,
        name=name.strip(),
        is_project_default=False,
        weekdays=weekdays or STANDARD_WEEKDAYS,
        shifts=shifts or STANDARD_SHIFTS,
        country=country.upper() if country else None,
        subdiv=subdiv,
        created_at=now(),
    )
    s.add(c)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="calendar",
        entity_id=c.id,
        action="create",
        project_id=project_id,
        after=journal.snapshot(c),
    )
    return calendar_dict(c, [])


def update_calendar(
    s: Session, actor: Actor, project_id: int, calendar_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    project_for(s, actor, project_id, Perm.TASK_EDIT)
    c = _get(s, project_id, calendar_id)
    if c.version != version:
        raise stale("calendar", version, calendar_dict(c, _exceptions(s, c.id)))
    if "name" in changes:
        if not (changes["name"] or "").strip():
            raise ValidationError("the calendar needs a name", field="name")
        changes["name"] = changes["name"].strip()
    country, subdiv = changes.get("country", c.country), changes.get("subdiv", c.subdiv)
    if subdiv and not country:
        raise ValidationError("a region needs its country", field="subdiv")
    _check(changes.get("weekdays"), changes.get("shifts"), country, subdiv)
    if changes.get("country"):
        changes["country"] = changes["country"].upper()
    before = journal.snapshot(c)
    for k, v in changes.items():
        setattr(c, k, v)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="calendar",
        entity_id=c.id,
        action="update",
        project_id=project_id,
        before=before,
        after=journal.snapshot(c),
    )
    _replan(s, project_id)
    return calendar_dict(c, _exceptions(s, c.id))


def _replan(s: Session, project_id: int) -> None:
    """The plan is recomputed in the same transaction: every calendar change moves tasks."""
    from charter.services import scheduling  # scheduling reads calendars: imported when used

    scheduling.plan_changed(s, project_id)


def add_exception(
    s: Session,
    actor: Actor,
    project_id: int,
    calendar_id: int,
    *,
    day: dt.date,
    until: dt.date | None = None,
    working: bool = False,
    name: str = "",
) -> dict[str, Any]:
    """An exception for `day`, or for every day from `day` to `until` (all of them or none, at most
    EXCEPTION_RANGE_MAX days); the plan is recomputed once."""
    project_for(s, actor, project_id, Perm.TASK_EDIT)
    c = _get(s, project_id, calendar_id)
    last = until or day
    if last < day:
        raise ValidationError(f"the last day {last} is before the first {day}", field="until")
    if (last - day).days >= EXCEPTION_RANGE_MAX:
        raise ValidationError(f"at most {EXCEPTION_RANGE_MAX} days at a time", field="until")
    proj = s.get(Project, project_id)
    assert proj is not None
    lo, hi = calendar_range(proj)
    for i in range((last - day).days + 1):
        d = day + dt.timedelta(days=i)
        if not lo <= d <= hi:
            raise ValidationError(f"{d} is outside the calendar's range {lo} .. {hi}", field="day")
        if s.scalar(
            select(CalendarExceptionRow.id).where(
                CalendarExceptionRow.calendar_id == c.id, CalendarExceptionRow.day == d
            )
        ):
            raise Conflict(f"{d} already has an exception in this calendar", field="day")
        e = CalendarExceptionRow(calendar_id=c.id, day=d, working=working, name=name)
        s.add(e)
        s.flush()
        journal.record(
            s,
            actor,
            entity_type="calendar_exception",
            entity_id=e.id,
            action="create",
            project_id=project_id,
            after=journal.snapshot(e),
        )
    _replan(s, project_id)
    return calendar_dict(c, _exceptions(s, c.id))


def remove_exception(
    s: Session, actor: Actor, project_id: int, calendar_id: int, exception_id: int
) -> dict[str, Any]:
    project_for(s, actor, project_id, Perm.TASK_EDIT)
    c = _get(s, project_id, calendar_id)
    e = s.get(CalendarExceptionRow, exception_id)
    if e is None or e.calendar_id != c.id:
        raise NotFound(f"exception {exception_id} not found in this calendar", field="exception_id")
    before = journal.snapshot(e)
    s.delete(e)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="calendar_exception",
        entity_id=exception_id,
        action="delete",
        project_id=project_id,
        before=before,
    )
    _replan(s, project_id)
    return calendar_dict(c, _exceptions(s, c.id))
