"""Recurring tasks, as MS Project's: a pattern (daily, weekly on chosen days, monthly on a day or on the first
/ second / third / fourth / last weekday), every N days / weeks / months, from a start date to an end date or
for a number of occurrences. The dates come from `dateutil.rrule` (RFC 5545 recurrence rules); an occurrence
on a day the calendar does not work moves to the next working day or is skipped, as the person chooses.

Input is read here, each refusal naming its field (the API's body, the web form's inputs, the CLI's options
share these names)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dateutil import rrule

from charter.domain.errors import ValidationError

PATTERNS = ("daily", "weekly", "monthly")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKS_OF_MONTH = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
NON_WORKING = ("next", "skip")
MAX_OCCURRENCES = 200  # tasks one recurring task may make (MS Project allows 999; a plan of 200 is plenty)
MAX_INTERVAL = 99
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_RRULE_DAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)


@dataclass(frozen=True)
class Recurrence:
    pattern: str  # daily, weekly, monthly
    every: int  # days / weeks / months between occurrences
    start: dt.date
    end: dt.date | None  # the last day an occurrence may fall on (before moving off a non-working day)
    count: int | None  # or the number of occurrences
    weekdays: tuple[int, ...] = ()  # weekly: Monday = 0; monthly with week_of_month: the one weekday
    day_of_month: int | None = None  # monthly on a day (a day past the month's end: its last day)
    week_of_month: int | None = None  # monthly on the first (1) .. fourth (4) or last (-1) weekday
    at: dt.time | None = None  # the time of day each occurrence starts no earlier than
    non_working: str = "next"  # an occurrence on a non-working day: "next" working day or "skip"

    def describe(self) -> str:
        """The rule as a person says it: "every 2 weeks on Monday and Thursday, from 2026-12-01, 10 times"."""
        unit = {"daily": "day", "weekly": "week", "monthly": "month"}[self.pattern]
        text = f"every {unit}" if self.every == 1 else f"every {self.every} {unit}s"
        if self.pattern == "weekly":
            text += " on " + _and([_DAY_NAMES[d] for d in self.weekdays])
        elif self.pattern == "monthly" and self.week_of_month is not None:
            nth = next(k for k, v in WEEKS_OF_MONTH.items() if v == self.week_of_month)
            text += f" on the {nth} {_DAY_NAMES[self.weekdays[0]]}"
        elif self.pattern == "monthly":
            text += f" on day {self.day_of_month}"
        if self.at is not None:
            text += f" at {self.at:%H:%M}"
        text += f", from {self.start}"
        text += f" to {self.end}" if self.end is not None else f", {self.count} times"
        if self.non_working == "skip":
            text += ", skipping non-working days"
        return text


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _int(value: Any, field: str, low: int, high: int) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not text.lstrip("+-").isascii() or not text.lstrip("+-").isdigit():
        raise ValidationError(f"{value!r} is not a whole number", field=field)
    n = int(text)
    if not low <= n <= high:
        raise ValidationError(f"must be from {low} to {high}", field=field)
    return n


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(f"{value!r} is not a date (YYYY-MM-DD)", field=field) from None


def _weekdays(value: Any, field: str) -> tuple[int, ...]:
    items = value if isinstance(value, list | tuple) else str(value or "").replace(";", ",").split(",")
    days = []
    for item in items:
        key = str(item).strip().lower()[:3]
        if not key:
            continue
        if key not in WEEKDAYS:
            raise ValidationError(
                f"{item!r} is not a weekday (mon, tue, wed, thu, fri, sat, sun)", field=field
            )
        days.append(WEEKDAYS.index(key))
    return tuple(sorted(set(days)))


def parse(values: dict[str, Any]) -> Recurrence:
    """A recurrence from its fields: pattern, every, start, end or occurrences, weekdays, day_of_month,
    week_of_month, time, non_working (absent or None: the default). Each refusal names its field."""
    given = {k: v for k, v in values.items() if v is not None and v != "" and v != []}
    pattern = str(given.get("pattern", "")).strip().lower()
    if pattern not in PATTERNS:
        raise ValidationError("the pattern is daily, weekly or monthly", field="pattern")
    every = _int(given.get("every", 1), "every", 1, MAX_INTERVAL)
    if "start" not in given:
        raise ValidationError("give the date of the first occurrence", field="start")
    start = _date(given["start"], "start")
    end = _date(given["end"], "end") if "end" in given else None
    count = _int(given["occurrences"], "occurrences", 1, MAX_OCCURRENCES) if "occurrences" in given else None
    if (end is None) == (count is None):
        raise ValidationError("give an end date or a number of occurrences (one of them)", field="end")
    if end is not None and end < start:
        raise ValidationError(f"the end ({end}) is before the start ({start})", field="end")
    weekdays = _weekdays(given.get("weekdays", ()), "weekdays")
    day_of_month = week_of_month = None
    if pattern == "weekly":
        weekdays = weekdays or (start.weekday(),)
    elif pattern == "monthly":
        if "week_of_month" in given:
            key = str(given["week_of_month"]).strip().lower()
            if key not in WEEKS_OF_MONTH:
                raise ValidationError("the week of the month is first, second, third, fourth or last",
                                      field="week_of_month")  # fmt: skip
            week_of_month = WEEKS_OF_MONTH[key]
            if len(weekdays) != 1:
                raise ValidationError(
                    f"give one weekday for the {key} weekday of the month", field="weekdays"
                )
            if "day_of_month" in given:
                raise ValidationError("give a day of the month or a week of the month, not both",
                                      field="day_of_month")  # fmt: skip
        else:
            day_of_month = _int(given.get("day_of_month", start.day), "day_of_month", 1, 31)
            if weekdays:
                raise ValidationError("weekdays go with a week of the month (e.g. the first Monday)",
                                      field="weekdays")  # fmt: skip
    elif weekdays:
        raise ValidationError("a daily pattern has no weekdays (use weekly on those days)", field="weekdays")
    at = None
    if "time" in given:
        try:
            at = dt.time.fromisoformat(str(given["time"]).strip())
        except ValueError:
            raise ValidationError(f"{given['time']!r} is not a time of day (HH:MM)", field="time") from None
        if at.tzinfo is not None:
            raise ValidationError("the time is the project's wall-clock time, without a zone", field="time")
    non_working = str(given.get("non_working", "next")).strip().lower()
    if non_working not in NON_WORKING:
        raise ValidationError("an occurrence on a non-working day moves to the next working day (next) or "
                              "is skipped (skip)", field="non_working")  # fmt: skip
    return Recurrence(
        pattern, every, start, end, count, weekdays, day_of_month, week_of_month, at, non_working
    )


def _rule(r: Recurrence) -> rrule.rrule:
    until = dt.datetime.combine(r.end, dt.time()) if r.end is not None else None
    start = dt.datetime.combine(r.start, dt.time())
    if r.pattern == "daily":
        return rrule.rrule(rrule.DAILY, interval=r.every, dtstart=start, until=until)
    if r.pattern == "weekly":
        days = [_RRULE_DAYS[d] for d in r.weekdays]
        return rrule.rrule(rrule.WEEKLY, interval=r.every, byweekday=days, dtstart=start, until=until)
    if r.week_of_month is not None:
        day = _RRULE_DAYS[r.weekdays[0]](r.week_of_month)
        return rrule.rrule(rrule.MONTHLY, interval=r.every, byweekday=day, dtstart=start, until=until)
    d = (
        r.day_of_month or r.start.day
    )  # day d, or the month's last day when it has fewer (day 31 in April: 30)
    return rrule.rrule(rrule.MONTHLY, interval=r.every, bymonthday=tuple(range(min(d, 28), d + 1)),
                       bysetpos=-1, dtstart=start, until=until)  # fmt: skip


@dataclass(frozen=True)
class Occurrences:
    dates: list[dt.date]  # where the occurrences fall, in order, after moving off non-working days
    moved: list[tuple[dt.date, dt.date]]  # (the pattern's day, the working day it moved to)
    skipped: list[
        dt.date
    ]  # the pattern's days dropped: non-working (skip), or moved onto a day already taken


def occurrences(r: Recurrence, is_working: Callable[[dt.date], bool], last_day: dt.date) -> Occurrences:
    """The occurrences of `r` on a calendar (`is_working`), none after `last_day` (the calendar's end). More
    than MAX_OCCURRENCES, or none at all, is refused."""
    dates: list[dt.date] = []
    moved: list[tuple[dt.date, dt.date]] = []
    skipped: list[dt.date] = []
    for at in _rule(r):
        day = at.date()
        if r.count is not None and len(dates) >= r.count:
            break
        if day > last_day:
            raise ValidationError(f"the occurrence of {day} is after the end of the project's calendar "
                                  f"({last_day}): end sooner", field="end" if r.end else "occurrences")  # fmt: skip
        place = day
        if not is_working(day):
            if r.non_working == "skip":
                skipped.append(day)
                continue
            while not is_working(place):
                place += dt.timedelta(days=1)
                if place > last_day:
                    raise ValidationError(f"no working day after {day} in the project's calendar",
                                          field="start")  # fmt: skip
        if dates and place <= dates[-1]:  # moved onto (or before) the last one: one occurrence that day
            skipped.append(day)
            continue
        if place != day:
            moved.append((day, place))
        dates.append(place)
        if len(dates) > MAX_OCCURRENCES:
            raise ValidationError(f"more than {MAX_OCCURRENCES} occurrences: end sooner or recur less often",
                                  field="end")  # fmt: skip
    if not dates:
        raise ValidationError("the pattern has no occurrence on a working day in that range", field="start")
    return Occurrences(dates, moved, skipped)
