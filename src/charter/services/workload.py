"""Workload: each person's planned load per day against their capacity, across every project, and the
over-allocations with the tasks that cause them.

A task loads its people over the working time of its span at their units: on its own task calendar when it
has one, as the scheduler places its work there (a night-shift task loads its nights), else on the project
calendar; the people's capacity is their own working week. A task with an
elapsed (24x7) duration loads them round the clock, as MS Project spreads its work: its wall-clock minutes on
each day times the units, so a day's loads add up to the task's work (duration x units; a 2ed task at 100 % is
48 h) and a person on one at full time is over-allocated on each day it runs, weekends included. Levelling
never moves such a task, so that over-allocation stays for the project manager to resolve (lower units, another
person, or none). Nor does it move a task on a task calendar of its own (`own_calendar` among the causes):
its day grid knows only the project calendar."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain import schedule as rules
from charter.domain.errors import ValidationError
from charter.persistence.models import (
    Assignment,
    Calendar,
    Project,
    Resource,
    ResourceException,
    Task,
    TaskComputed,
)
from charter.services.authz import require_user, visible_project_ids
from charter.services.calendars import calendar_range, project_calendar_row, work_calendar
from charter.services.context import Actor

STANDARD_WEEKDAYS = (0, 1, 2, 3, 4)
STANDARD_SHIFTS = ((540, 780), (840, 1080))
MAX_DAYS = 400
TOLERANCE = 1  # minutes: rounding never makes an over-allocation


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    if end < start:
        raise ValidationError("the period ends before it starts", field="to")
    n = (end - start).days + 1
    if n > MAX_DAYS:
        raise ValidationError(f"ask for at most {MAX_DAYS} days at a time", field="to")
    return [start + dt.timedelta(days=i) for i in range(n)]


def capacity(r: Resource, days: list[dt.date], exceptions: dict[dt.date, bool]) -> dict[dt.date, int]:
    """Working minutes the resource can give each day: its own working week (or the standard one), its
    vacations and extra days, times its maximum units."""
    weekdays = set(r.weekdays or STANDARD_WEEKDAYS)
    per_day = sum(b - a for a, b in (r.shifts or STANDARD_SHIFTS))
    out = {}
    for d in days:
        working = exceptions.get(d, d.weekday() in weekdays)
        out[d] = round(per_day * r.max_units) if working else 0
    return out


def task_minutes_by_day(
    cal: Any, start: dt.datetime, finish: dt.datetime, days: Collection[dt.date], *, elapsed: bool = False
) -> dict[dt.date, int]:
    """Minutes of the span [start, finish) on each of `days` that load a person at 100 %: the working minutes
    of `cal`, or for an elapsed (24x7) task every wall-clock minute (its work is spread round the clock)."""
    out: dict[dt.date, int] = {}
    if finish <= start:
        return out
    if elapsed:  # only the days the span covers (a levelling horizon may be thousands of days long)
        wanted = days if isinstance(days, set | frozenset) else set(days)
        d = start.date()
        while d <= finish.date():
            lo = max(start, dt.datetime(d.year, d.month, d.day))
            hi = min(finish, dt.datetime(d.year, d.month, d.day) + dt.timedelta(days=1))
            if d in wanted and hi > lo:
                out[d] = (hi - lo) // dt.timedelta(minutes=1)
            d += dt.timedelta(days=1)
        return out
    for d in days:
        lo = max(start, dt.datetime(d.year, d.month, d.day))
        hi = min(finish, dt.datetime(d.year, d.month, d.day) + dt.timedelta(days=1))
        if hi > lo:
            m = cal.working_between(lo, hi)
            if m > 0:
                out[d] = m
    return out


def workload(
    s: Session,
    actor: Actor,
    *,
    start: dt.date,
    end: dt.date,
    resource_ids: list[int] | None = None,
    project_id: int | None = None,
    kinds: tuple[str, ...] = ("person",),
    exclude_project_id: int | None = None,
) -> dict[str, Any]:
    """Per resource and day: load (every project counts) against capacity; over-allocations with their tasks.
    Tasks of projects the actor cannot see are counted but not named. `project_id` limits the people to those
    assigned in that project (their load still counts everywhere)."""
    require_user(actor)
    days = _days(start, end)
    visible = set(s.scalars(visible_project_ids(s, actor)))
    if project_id is not None and project_id not in visible:
        from charter.domain.errors import NotFound

        raise NotFound(f"project {project_id} not found", field="project")
    q = select(Resource).where(Resource.active.is_(True), Resource.kind.in_(kinds))
    if resource_ids is not None:  # an empty list: nobody (not everybody)
        q = q.where(Resource.id.in_(resource_ids))
    if project_id is not None:
        q = q.where(
            Resource.id.in_(select(Assignment.resource_id).where(Assignment.project_id == project_id))
        )
    resources = list(s.scalars(q.order_by(Resource.name)))
    rids = [r.id for r in resources]
    exc: dict[int, dict[dt.date, bool]] = defaultdict(dict)
    for e in s.scalars(
        select(ResourceException).where(
            ResourceException.resource_id.in_(rids),
            ResourceException.day >= start,
            ResourceException.day <= end,
        )
    ):
        exc[e.resource_id][e.day] = e.working
    rows = s.execute(
        select(Assignment, Task, TaskComputed, Project)
        .join(Task, Task.id == Assignment.task_id)
        .join(Project, Project.id == Task.project_id)
        .join(TaskComputed, TaskComputed.task_id == Task.id)
        .where(Assignment.resource_id.in_(rids), Project.deleted_at.is_(None), Task.status != "cancelled",
               Project.id != (exclude_project_id or -1),
               TaskComputed.start < dt.datetime(end.year, end.month, end.day) + dt.timedelta(days=1),
               TaskComputed.finish > dt.datetime(start.year, start.month, start.day))
    ).all()  # fmt: skip
    cals: dict[tuple[int, int | None], tuple[Any, bool]] = {}

    def calendar_of(t: Task, p: Project) -> tuple[Any, bool]:
        """The calendar the engine schedules the task on: its own (a calendar of its project), else the
        project's; and whether it is a calendar of its own (not the project's), which levelling does not
        move."""
        key = (p.id, t.calendar_id)
        if key not in cals:
            own = s.get(Calendar, t.calendar_id) if t.calendar_id is not None else None
            project_row = project_calendar_row(s, p.id)
            row = own if own is not None and own.project_id == p.id else project_row
            cals[key] = (work_calendar(s, row, calendar_range(p)), row.id != project_row.id)
        return cals[key]

    load: dict[int, dict[dt.date, int]] = {rid: defaultdict(int) for rid in rids}
    causes: dict[tuple[int, dt.date], list[dict[str, Any]]] = defaultdict(list)
    for a, t, c, p in rows:
        if (
            not rules.loads_resources(t.status, t.percent_complete, t.actual_finish)
            or c.start is None
            or c.finish is None
        ):
            continue
        elapsed = rules.is_elapsed(t.duration_unit)
        cal, own_calendar = (None, False) if elapsed else calendar_of(t, p)
        spread = task_minutes_by_day(cal, c.start, c.finish, days, elapsed=elapsed)
        for d, minutes in spread.items():
            m = round(minutes * a.units)
            load[a.resource_id][d] += m
            seen = p.id in visible
            causes[(a.resource_id, d)].append({
                "project_id": p.id if seen else None, "project": p.key if seen else None,
                "task_id": t.id if seen else None, "task": t.name if seen else "(a task in another project)",
                "minutes": m, "units": a.units, "elapsed": elapsed, "own_calendar": own_calendar,
            })  # fmt: skip
    people = []
    over: list[dict[str, Any]] = []
    for r in resources:
        cap = capacity(r, days, exc.get(r.id, {}))
        series: list[dict[str, Any]] = []
        for d in days:
            used, can = load[r.id].get(d, 0), cap[d]
            flag = used > can + TOLERANCE
            series.append({"day": d, "load_minutes": used, "capacity_minutes": can, "over": flag})
            if flag:
                over.append(
                    {
                        "resource_id": r.id,
                        "resource": r.name,
                        "day": d,
                        "load_minutes": used,
                        "capacity_minutes": can,
                        "tasks": causes[(r.id, d)],
                    }
                )
        weeks: dict[str, dict[str, Any]] = {}
        for x in series:
            day: dt.date = x["day"]
            iso = day.isocalendar()
            w = weeks.setdefault(
                f"{iso.year}-W{iso.week:02d}",
                {"week": f"{iso.year}-W{iso.week:02d}", "load_minutes": 0, "capacity_minutes": 0},
            )
            w["load_minutes"] += x["load_minutes"]
            w["capacity_minutes"] += x["capacity_minutes"]
        people.append({"resource_id": r.id, "name": r.name, "user_id": r.user_id, "department_id": r.department_id,
                       "max_units": r.max_units, "days": series, "weeks": list(weeks.values()),
                       "over_days": sum(1 for x in series if x["over"])})  # fmt: skip
    return {"from": start, "to": end, "resources": people, "overallocations": over}
