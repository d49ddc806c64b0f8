"""Recurring tasks (a weekly status meeting, a monthly patch window), as MS Project makes them: a summary - here
a work package named after the task, under the package chosen - holding one task per occurrence ("Status
meeting 1", "Status meeting 2", ...), each starting no earlier than its day (an SNET constraint at the day,
or at the time given). The dates follow `domain.recurrence` on the project's calendar: an occurrence on a
non-working day moves to the next working day or is skipped. One use-case, one transaction: the package and
every occurrence, or nothing. Permission as making the package (WBS edit where it goes) and its tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from charter.domain import recurrence
from charter.domain.errors import ValidationError
from charter.domain.labels import clean_label
from charter.domain.schedule import parse_duration
from charter.persistence.models import WorkPackage
from charter.services import tasks, work_packages
from charter.services.authz import project_for
from charter.services.calendars import calendar_range, project_calendar_row, work_calendar
from charter.services.context import Actor
from charter.services.scheduling import minutes_per_day

NAME_LIMIT = 200  # leaves room for " 200" within a task name's 300 characters


def create_recurring_task(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    name: Any,
    duration: Any,
    work_package_id: int | None = None,
    pattern: Any = None,
    every: Any = None,
    start: Any = None,
    end: Any = None,
    occurrences: Any = None,
    weekdays: Any = None,
    day_of_month: Any = None,
    week_of_month: Any = None,
    time: Any = None,
    non_working: Any = None,
) -> dict[str, Any]:
    """Make the recurring task: its package (under `work_package_id`, or at the top of the WBS) and one task
    of `duration` per occurrence. Returns the package, the tasks, the rule as words, and which days moved off
    a non-working day or were skipped."""
    row = project_for(s, actor, project_id)
    label = clean_label(name, "the recurring task", NAME_LIMIT)
    rule = recurrence.parse({"pattern": pattern, "every": every, "start": start, "end": end,
                             "occurrences": occurrences, "weekdays": weekdays, "day_of_month": day_of_month,
                             "week_of_month": week_of_month, "time": time, "non_working": non_working})  # fmt: skip
    mpd = minutes_per_day(s, project_id)
    duration = duration if duration not in (None, "") else "1d"
    minutes, _ = parse_duration(duration, mpd)
    if minutes <= 0:
        raise ValidationError("each occurrence needs a duration above 0 (e.g. 1h)", field="duration")
    first, last = calendar_range(row)
    begins = row.start_date or row.created_at.date()  # where the schedule starts the project (calendar_range)
    if rule.start < begins:
        raise ValidationError(f"{rule.start} is before the project starts ({begins})", field="start")
    if rule.start < first:
        raise ValidationError(f"{rule.start} is before the project calendar's range ({first} .. {last})",
                              field="start")  # fmt: skip
    cal = work_calendar(s, project_calendar_row(s, project_id), (first, last))
    found = recurrence.occurrences(rule, cal.is_working_day, last)
    described = rule.describe()
    wp = work_packages.create_work_package(
        s, actor, project_id, name=label, parent_id=work_package_id,
        description=f"Recurring task: {described}.",
    )  # fmt: skip
    at = rule.at or dt.time()
    rows = [
        {"name": f"{label} {i}", "duration": duration, "constraint_type": "snet", "constraint_date": dt.datetime.combine(day, at)}
        for i, day in enumerate(found.dates, start=1)
    ]  # fmt: skip
    made = tasks.create_tasks(s, actor, project_id, wp["id"], rows)
    package = s.get(WorkPackage, wp["id"])  # numbered with its tasks
    return {
        "project_id": project_id,
        "work_package_id": wp["id"],
        "wbs_code": package.wbs_code if package is not None else wp["wbs_code"],
        "name": label,
        "rule": described,
        "tasks": made,
        "moved": [{"from": a, "to": b} for a, b in found.moved],
        "skipped": found.skipped,
    }
