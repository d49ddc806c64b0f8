"""The schedule's vocabulary and rules: tasks, links, constraints, calendars, and the plan that file formats
(MSPDI, CSV, Excel) read and write.

Schedule instants are *project wall-clock* datetimes (naive, in the project's calendar); durations, work and
working-time lags are whole working minutes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from charter.domain.errors import ValidationError

E = TypeVar("E", bound=StrEnum)


class LinkType(StrEnum):
    FS = "FS"
    SS = "SS"
    FF = "FF"
    SF = "SF"


LINK_CODES: dict[LinkType, int] = {LinkType.FS: 0, LinkType.SS: 1, LinkType.FF: 2, LinkType.SF: 3}


class LagKind(StrEnum):
    WORKING = "working"  # working minutes of the successor's calendar
    ELAPSED = "elapsed"  # wall-clock minutes, 24x7
    PERCENT = "percent"  # percent of the predecessor's duration


LAG_CODES: dict[LagKind, int] = {LagKind.WORKING: 0, LagKind.ELAPSED: 1, LagKind.PERCENT: 2}


class ConstraintType(StrEnum):
    ASAP = "asap"
    ALAP = "alap"
    SNET = "snet"  # start no earlier than
    SNLT = "snlt"  # start no later than
    FNET = "fnet"  # finish no earlier than
    FNLT = "fnlt"  # finish no later than
    MSO = "mso"  # must start on
    MFO = "mfo"  # must finish on


CONSTRAINT_CODES: dict[ConstraintType, int] = {c: i for i, c in enumerate(ConstraintType)}
DATED_CONSTRAINTS = frozenset(ConstraintType) - {ConstraintType.ASAP, ConstraintType.ALAP}


class TaskStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"


class DurationUnit(StrEnum):
    """How a task's duration is counted and shown. DAYS/HOURS: working minutes of the task's calendar; the
    ELAPSED_* units: wall-clock minutes, 24x7 (nights, weekends and holidays count), as MS Project's "3ed"."""

    DAYS = "days"
    HOURS = "hours"
    ELAPSED_MINUTES = "emins"
    ELAPSED_HOURS = "ehours"
    ELAPSED_DAYS = "edays"
    ELAPSED_WEEKS = "eweeks"
    ELAPSED_MONTHS = "emonths"  # 30 elapsed days, as MS Project counts an elapsed month

    @property
    def elapsed(self) -> bool:
        return self in _ELAPSED_UNITS


# elapsed unit -> (wall-clock minutes of one, the suffix it is written with)
_ELAPSED_UNITS: dict[DurationUnit, tuple[int, str]] = {
    DurationUnit.ELAPSED_MINUTES: (1, "em"),
    DurationUnit.ELAPSED_HOURS: (60, "eh"),
    DurationUnit.ELAPSED_DAYS: (1440, "ed"),
    DurationUnit.ELAPSED_WEEKS: (7 * 1440, "ew"),
    DurationUnit.ELAPSED_MONTHS: (30 * 1440, "emo"),
}
_ELAPSED_BY_SUFFIX = {suffix[1:]: unit for unit, (_, suffix) in _ELAPSED_UNITS.items()}
ELAPSED_UNIT_VALUES = frozenset(u.value for u in _ELAPSED_UNITS)


def is_elapsed(unit: DurationUnit | str | None) -> bool:
    """Whether a duration unit (an enum member or its stored text) counts wall-clock time."""
    return unit in ELAPSED_UNIT_VALUES


def is_done(percent_complete: float | None, actual_finish: dt.datetime | None) -> bool:
    """Whether a task's work is over, as the scheduler reads its progress (engine.cpm: 100 % complete or an
    actual finish, which pins it at its actuals): it loads nobody any more, on the workload as in levelling."""
    return (percent_complete or 0) >= 100 or actual_finish is not None


def loads_resources(
    status: str | None, percent_complete: float | None, actual_finish: dt.datetime | None
) -> bool:
    """Whether a task's assignments still load its people: not done and not cancelled (the workload and
    levelling count the same tasks)."""
    return status != "cancelled" and not is_done(percent_complete, actual_finish)


def parse_enum(cls: type[E], value: object, field_name: str) -> E:
    try:
        return cls(str(value).strip().lower() if cls is not LinkType else str(value).strip().upper())
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise ValidationError(f"{value!r} is not one of: {allowed}", field=field_name) from None


MAX_DAYS = 5000  # working days (about 20 years) a duration, estimate, work or lag may span
MAX_MINUTES = MAX_DAYS * 1440  # the same of round-the-clock days, for minutes whose day length is unknown


def check_task_numbers(
    *,
    duration: int | None = None,
    work: int | None = None,
    percent_complete: float | None = None,
    optimistic: int | None = None,
    most_likely: int | None = None,
    pessimistic: int | None = None,
    priority: int | None = None,
    where: str = "",
) -> None:
    """Refuse impossible numbers, naming the field (and the task, in `where`)."""
    pre = f"{where}: " if where else ""
    if duration is not None and duration < 0:
        raise ValidationError(f"{pre}the duration cannot be negative", field="duration")
    if work is not None and work < 0:
        raise ValidationError(f"{pre}work cannot be negative", field="work")
    for name, minutes in (("duration", duration), ("work", work), ("optimistic", optimistic),
                          ("most_likely", most_likely), ("pessimistic", pessimistic)):  # fmt: skip
        if minutes is not None and minutes > MAX_MINUTES:
            raise ValidationError(
                f"{pre}the {name.replace('_', ' ')} may be at most {MAX_DAYS} working days", field=name
            )
    if percent_complete is not None and not 0 <= percent_complete <= 100:
        raise ValidationError(f"{pre}% complete must be between 0 and 100", field="percent_complete")
    if priority is not None and not 0 <= priority <= 1000:
        raise ValidationError(f"{pre}priority must be between 0 and 1000", field="priority")
    three = [x for x in (optimistic, most_likely, pessimistic) if x is not None]
    if three and len(three) != 3:
        raise ValidationError(
            f"{pre}a three-point estimate needs optimistic, most likely and pessimistic", field="optimistic"
        )
    if len(three) == 3:
        o, m, p = three
        if o < 0:
            raise ValidationError(f"{pre}the optimistic estimate cannot be negative", field="optimistic")
        if not o <= m <= p:
            raise ValidationError(
                f"{pre}estimates must satisfy optimistic <= most likely <= pessimistic", field="pessimistic"
            )


def check_constraint(kind: ConstraintType, date: dt.datetime | None, where: str = "") -> None:
    pre = f"{where}: " if where else ""
    if kind in DATED_CONSTRAINTS and date is None:
        raise ValidationError(f"{pre}a {kind.value.upper()} constraint needs a date", field="constraint_date")


def check_actuals(start: dt.datetime | None, finish: dt.datetime | None, where: str = "") -> None:
    pre = f"{where}: " if where else ""
    if start and finish and finish < start:
        raise ValidationError(f"{pre}the actual finish is before the actual start", field="actual_finish")


# ---------------------------------------------------------------------------------------- the plan


@dataclass
class CalendarException:
    date: dt.date
    working: bool = False
    name: str = ""


@dataclass
class CalendarSpec:
    ref: str
    name: str
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    shifts: tuple[tuple[int, int], ...] = ((540, 780), (840, 1080))  # minutes of the day
    country: str | None = None
    subdiv: str | None = None
    exceptions: list[CalendarException] = field(default_factory=list)

    @property
    def minutes_per_day(self) -> int:
        return sum(b - a for a, b in self.shifts)


@dataclass
class BaselineSpec:
    number: int
    start: dt.datetime | None
    finish: dt.datetime | None
    duration: int | None = None
    work: int | None = None
    cost: str | None = None  # Decimal as text


@dataclass
class AssignmentSpec:
    resource_ref: str
    units: float = 1.0
    work: int | None = None
    # MS Project's Actual / Remaining Work (split_work), written on export; an import leaves them None (the
    # actual work in Charter is the approved hours of timesheets, never a file's figure)
    actual_work: int | None = None
    remaining_work: int | None = None


@dataclass
class TaskSpec:
    """One row of a plan: a summary (work package) or a task/milestone. Times in wall-clock, work in minutes."""

    ref: str
    name: str
    parent_ref: str | None = None
    summary: bool = False
    milestone: bool = False
    duration: int = 0
    duration_unit: DurationUnit = DurationUnit.DAYS
    work: int | None = None
    optimistic: int | None = None
    most_likely: int | None = None
    pessimistic: int | None = None
    percent_complete: float = 0.0
    actual_start: dt.datetime | None = None
    actual_finish: dt.datetime | None = None
    constraint_type: ConstraintType = ConstraintType.ASAP
    constraint_date: dt.datetime | None = None
    deadline: dt.datetime | None = None
    priority: int = 500
    description: str = ""
    calendar_ref: str | None = None
    start: dt.datetime | None = None  # as the source computed it (kept to compare)
    finish: dt.datetime | None = None
    baselines: list[BaselineSpec] = field(default_factory=list)
    assignments: list[AssignmentSpec] = field(default_factory=list)
    line: int | None = None  # where it came from, for error messages
    custom: dict[str, Any] = field(default_factory=dict)  # custom field values by field name (CSV/Excel)


@dataclass
class LinkSpec:
    pred_ref: str
    succ_ref: str
    type: LinkType = LinkType.FS
    lag: int = 0  # minutes (working or elapsed) or percent
    lag_kind: LagKind = LagKind.WORKING
    line: int | None = None


@dataclass
class ResourceSpec:
    ref: str
    name: str
    kind: str = "work"  # work | material | cost
    max_units: float = 1.0
    email: str | None = None


@dataclass
class FieldSpec:
    """A custom field of a plan: its name, kind (text, number, date, choice, flag) and a choice's options."""

    name: str
    kind: str
    choices: list[str] = field(default_factory=list)


@dataclass
class PlanSpec:
    name: str
    start: dt.datetime | None = None
    status_date: dt.datetime | None = None
    calendars: list[CalendarSpec] = field(default_factory=list)
    calendar_ref: str | None = None  # the project calendar
    tasks: list[TaskSpec] = field(default_factory=list)  # parents before children, in outline order
    links: list[LinkSpec] = field(default_factory=list)
    resources: list[ResourceSpec] = field(default_factory=list)
    minutes_per_day: int = 480
    custom_fields: list[FieldSpec] = field(default_factory=list)  # in order; values are on the tasks


@dataclass
class ImportProblem:
    """A row or element that could not be taken, with where and why."""

    line: int | None
    message: str
    ref: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else (f"item {self.ref}" if self.ref else "file")
        return f"{where}: {self.message}"


# ---------------------------------------------------------------------------------------- durations and lags

_DUR_RE = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(e?)(mo|d|h|m|w|%)?\s*$", re.IGNORECASE)

MAX_LAG_PERCENT = 10_000  # a percent lag: a hundred times the predecessor's duration


def _within(minutes: float, minutes_per_day: int, what: str, field_name: str) -> None:
    """Refuse a span beyond MAX_DAYS working days: the calendar covers some fifteen years, and the
    stored minutes must fit a 32-bit integer column (a typo such as 99999999d was kept and shown as 1e+08d)."""
    if abs(minutes) > MAX_DAYS * max(minutes_per_day, 1):
        raise ValidationError(
            f"{what} may be at most {MAX_DAYS} working days ({MAX_DAYS * max(minutes_per_day, 1) // 60} h)",
            field=field_name,
        )


def parse_duration(
    value: object, minutes_per_day: int, field_name: str = "duration", *, elapsed: bool = True
) -> tuple[int, DurationUnit]:
    """'5d', '4h', '90m', '2w', 3 (days) or 3.5 -> working minutes and the unit to show it in; '3ed', '12eh',
    '90em', '1ew', '1emo' (elapsed: wall-clock minutes, 24x7) -> elapsed minutes and an elapsed unit.
    `elapsed=False` refuses elapsed values (for fields that are always working time, e.g. work)."""
    if isinstance(value, bool):
        raise ValidationError(
            "the duration must be a number of days or a text like 5d or 4h", field=field_name
        )
    text = f"{value}d" if isinstance(value, int | float) else str(value)
    m = _DUR_RE.match(text)
    unit_text = (m.group(3) or "").lower() if m else ""
    elapsed_text = bool(m and m.group(2))
    if (
        not m
        or unit_text == "%"
        or (elapsed_text and not unit_text)
        or (unit_text == "mo" and not elapsed_text)
    ):
        raise ValidationError(
            f"{value!r} is not a duration (use e.g. 5d, 4h, 90m, or 3ed for elapsed days)", field=field_name
        )
    n = float(m.group(1))
    unit = (m.group(3) or "d").lower()
    if n < 0:
        raise ValidationError("the duration cannot be negative", field=field_name)
    if m.group(2):
        if not elapsed:
            raise ValidationError(
                f"{value!r}: {field_name.replace('_', ' ')} is working time, not elapsed (use e.g. 5d or 4h)",
                field=field_name,
            )
        eunit = _ELAPSED_BY_SUFFIX[unit]
        if n * _ELAPSED_UNITS[eunit][0] > MAX_MINUTES:
            raise ValidationError(
                f"the {field_name.replace('_', ' ')} may be at most {MAX_DAYS} elapsed days", field=field_name
            )
        return round(n * _ELAPSED_UNITS[eunit][0]), eunit
    factor = {"d": minutes_per_day, "h": 60, "m": 1, "w": 5 * minutes_per_day}[unit]
    _within(n * factor, minutes_per_day, f"the {field_name.replace('_', ' ')}", field_name)
    return round(n * factor), DurationUnit.HOURS if unit in ("h", "m") else DurationUnit.DAYS


def parse_lag(value: object, minutes_per_day: int, field_name: str = "lag") -> tuple[int, LagKind]:
    """'2d', '-1d', '4h', '50%', '3ed' (elapsed days), '12eh' (elapsed hours), or a number of working days."""
    if isinstance(value, bool):
        raise ValidationError("the lag must be a number or a text like 2d, -4h, 50% or 3ed", field=field_name)
    text = f"{value}d" if isinstance(value, int | float) else str(value)
    m = _DUR_RE.match(text)
    if not m or (m.group(3) or "").lower() == "mo":
        raise ValidationError(f"{value!r} is not a lag (use e.g. 2d, -4h, 50% or 3ed)", field=field_name)
    n = float(m.group(1))
    elapsed = bool(m.group(2))
    unit = (m.group(3) or "d").lower()
    if unit == "%":
        if elapsed:
            raise ValidationError("a percentage lag cannot be elapsed", field=field_name)
        if abs(n) > MAX_LAG_PERCENT:
            raise ValidationError(f"a percentage lag may be at most {MAX_LAG_PERCENT}%", field=field_name)
        return round(n), LagKind.PERCENT
    if elapsed:
        factor = {"d": 1440, "h": 60, "m": 1, "w": 7 * 1440}[unit]
        _within(n * factor, 1440, "the lag", field_name)
        return round(n * factor), LagKind.ELAPSED
    factor = {"d": minutes_per_day, "h": 60, "m": 1, "w": 5 * minutes_per_day}[unit]
    _within(n * factor, minutes_per_day, "the lag", field_name)
    return round(n * factor), LagKind.WORKING


def elapsed_unit_minutes(unit: DurationUnit | str) -> int:
    """Wall-clock minutes of one of an elapsed unit (1440 for elapsed days)."""
    return _ELAPSED_UNITS[DurationUnit(unit)][0]


def elapsed_suffix(unit: DurationUnit | str) -> str:
    """How an elapsed unit is written after its number: "ed" for elapsed days."""
    return _ELAPSED_UNITS[DurationUnit(unit)][1]


def _shortest(minutes: int, per: int) -> str:
    """``minutes / per`` with the fewest decimals (2 to 4) that read back as the same minutes, never in
    exponent notation: "2.33d" of 1120 minutes read back as 1118, so saving a task page unchanged moved it."""
    for places in (2, 3, 4):
        text = f"{round(minutes / per, places):.{places}f}".rstrip("0").rstrip(".")
        if round(float(text) * per) == minutes:
            return text
    return text


def as_working_minutes(minutes: int, unit: DurationUnit | str, minutes_per_day: int) -> int:
    """A duration as working minutes where it stands in for work nobody planned (planned hours of a task without
    work, EVM weights): a working duration as it is; an elapsed one (wall-clock minutes) counts each elapsed day
    as one working day of `minutes_per_day` (2ed -> 2 working days), not as 24 hours of one person's work."""
    if unit in ELAPSED_UNIT_VALUES:
        return round(minutes * minutes_per_day / 1440)
    return minutes


def split_progress(duration: int, percent_complete: float) -> tuple[int, int]:
    """(actual, remaining) duration of a task, in its duration's own minutes, as MS Project defines them:
    actual duration = duration x % complete, remaining duration = duration - actual duration."""
    actual = min(duration, max(0, round(duration * (percent_complete or 0.0) / 100)))
    return actual, duration - actual


def with_remaining(
    duration: int, percent_complete: float, remaining: int, where: str = ""
) -> tuple[int, float]:
    """The (duration, % complete) a task gets when someone states its remaining duration, as MS Project
    updates a task: the work done stays (actual duration), the duration becomes actual + remaining and
    % complete actual / duration. Remaining 0 completes the task; a task not started keeps 0 % and takes the
    remaining as its duration. Nothing done and nothing remaining is refused (the task would shrink to a
    point, which is a milestone's shape, not progress)."""
    pre = f"{where}: " if where else ""
    if remaining < 0:
        raise ValidationError(f"{pre}the remaining duration cannot be negative", field="remaining_duration")
    actual, _ = split_progress(duration, percent_complete)
    total = actual + remaining
    if total == 0:
        raise ValidationError(
            f"{pre}nothing is done yet, so the remaining duration is the whole duration and cannot be 0 "
            "(set 100 % complete to mark the task done as planned)",
            field="remaining_duration",
        )
    if remaining == 0:
        return total, 100.0
    return total, actual * 100 / total


def split_work(work: int, actual: int) -> tuple[int, int]:
    """(actual, remaining) work of an assignment, in minutes, as MS Project's Actual Work / Remaining Work:
    actual = the hours logged, remaining = work - actual, never below 0 (an overrun leaves nothing remaining,
    the actual work stays what was logged)."""
    actual = max(0, actual)
    return actual, max(0, work - actual)


def percent_work_complete(work: int | None, actual: int) -> int:
    """MS Project's % Work Complete of an assignment: actual / work x 100 as a whole number (half up), 0 with
    no work; 100 only when nothing remains (an overrun is 100, 99.6 % with work left is 99)."""
    if not work or actual <= 0:
        return 0
    if actual >= work:
        return 100
    return min(99, (200 * actual + work) // (2 * work))


def work_with_remaining(actual: int, remaining: int, minutes_per_day: int, where: str = "") -> int:
    """The work an assignment gets when someone states its remaining work, as MS Project updates an
    assignment: the hours logged stay, the work becomes actual + remaining. Nothing logged and nothing
    remaining is refused (the assignment would carry no work at all: take the resource off the task)."""
    pre = f"{where}: " if where else ""
    if remaining < 0:
        raise ValidationError(f"{pre}the remaining work cannot be negative", field="remaining_work")
    if actual + remaining == 0:
        raise ValidationError(
            f"{pre}nothing is logged yet, so the remaining work is the whole work and cannot be 0 "
            "(take the resource off the task instead)",
            field="remaining_work",
        )
    _within(actual + remaining, minutes_per_day, f"{pre}the work (logged + remaining)", "remaining_work")
    return actual + remaining


def format_minutes(minutes: int, unit: DurationUnit | str, minutes_per_day: int) -> str:
    if unit in ELAPSED_UNIT_VALUES:
        per, suffix = _ELAPSED_UNITS[DurationUnit(unit)]
        return f"{_shortest(minutes, per)}{suffix}"
    if unit == DurationUnit.HOURS:
        return f"{_shortest(minutes, 60)}h"
    if not minutes_per_day:
        return "0d"
    return f"{_shortest(minutes, minutes_per_day)}d"


def format_lag(lag: int, kind: LagKind | str, minutes_per_day: int) -> str:
    if kind == LagKind.PERCENT:
        return f"{lag:+d}%"
    if kind == LagKind.ELAPSED:
        return f"{lag / 1440:+g}ed" if lag % 60 == 0 and lag % 1440 == 0 else f"{lag / 60:+g}eh"
    if not minutes_per_day:
        return "+0d"
    text = _shortest(abs(lag), minutes_per_day)
    return f"{'-' if lag < 0 else '+'}{text}d"


def due_flags(finish: dt.date | None, completed: bool, today: dt.date) -> tuple[bool, bool]:
    """(due this week, overdue) of a task for the person doing it: an unfinished task is due this week when
    its scheduled finish falls in today's ISO week (Monday to Sunday), overdue once that day has passed."""
    if completed or finish is None:
        return False, False
    monday = today - dt.timedelta(days=today.weekday())
    return monday <= finish <= monday + dt.timedelta(days=6) and finish >= today, finish < today
