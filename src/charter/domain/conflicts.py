"""The conflict log: conflicts between people, teams, priorities, resources, schedules or technical approaches,
their lifecycle, resolution approaches and the escalation ladder (Task Leader -> PM -> Sponsor).

Lifecycle: open -> resolving -> resolved -> closed; a resolved or closed conflict may be reopened. Resolving
needs an approach (collaborate, compromise, accommodate, force, avoid: the five conflict-handling modes) and
an outcome. While a conflict is open or resolving it sits on one rung of the ladder; after the project's time
limit for that rung it moves one rung up by itself (the Sponsor is the top: no limit there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from charter.domain.errors import Conflict as StateConflict
from charter.domain.errors import ValidationError


class Kind(StrEnum):
    PEOPLE = "people"
    TEAM = "team"
    PRIORITY = "priority"
    RESOURCE = "resource"
    SCHEDULE = "schedule"
    TECHNICAL = "technical"
    BUDGET = "budget"
    CONSTRAINT = "constraint"
    OTHER = "other"


# Conflicts about people or teams are kept to those involved (see services.conflicts.visibility).
SENSITIVE = frozenset({Kind.PEOPLE, Kind.TEAM})


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Status(StrEnum):
    OPEN = "open"
    RESOLVING = "resolving"
    RESOLVED = "resolved"
    CLOSED = "closed"


ACTIVE = frozenset({Status.OPEN, Status.RESOLVING})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.RESOLVING, Status.RESOLVED}),
    Status.RESOLVING: frozenset({Status.OPEN, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.OPEN}),  # open = reopened
    Status.CLOSED: frozenset({Status.OPEN}),  # reopened
}


class Approach(StrEnum):
    COLLABORATE = "collaborate"
    COMPROMISE = "compromise"
    ACCOMMODATE = "accommodate"
    FORCE = "force"
    AVOID = "avoid"


class Level(StrEnum):
    TASK_LEADER = "task_leader"
    PM = "pm"
    SPONSOR = "sponsor"


LADDER: tuple[Level, ...] = (Level.TASK_LEADER, Level.PM, Level.SPONSOR)


class Source(StrEnum):
    MANUAL = "manual"
    DETECTED = "detected"
    RISK = "risk"
    CONCERN = "concern"


MAX_LIMIT_HOURS = 24 * 365


@dataclass(frozen=True)
class Policy:
    """Hours a conflict may stay with the Task Leader, then with the PM, before it moves up."""

    task_leader_hours: int = 72
    pm_hours: int = 120

    def __post_init__(self) -> None:
        for name in ("task_leader_hours", "pm_hours"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= MAX_LIMIT_HOURS:
                raise ValidationError(f"{name} must be a whole number of hours from 1 to {MAX_LIMIT_HOURS}",
                                      field=name)  # fmt: skip

    def limit(self, level: Level) -> timedelta | None:
        if level is Level.TASK_LEADER:
            return timedelta(hours=self.task_leader_hours)
        if level is Level.PM:
            return timedelta(hours=self.pm_hours)
        return None


def parse(cls: type[StrEnum], value: object, field: str) -> StrEnum:
    try:
        return cls(value)  # type: ignore[arg-type]
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise ValidationError(f"{value!r} is not one of: {allowed}", field=field) from None


def add_weekday_time(start: datetime, span: timedelta) -> datetime:
    """`span` of time counted on Mondays to Fridays only, from `start` (a weekend does not use up a limit: the
    concern deadlines count working days the same way). Started on a weekend, the clock starts on Monday."""
    t = start
    left = span
    while True:
        if t.weekday() >= 5:  # skip to the next Monday, 00:00
            t = datetime.combine((t + timedelta(days=7 - t.weekday())).date(), time.min, tzinfo=t.tzinfo)
            continue
        day_end = datetime.combine((t + timedelta(days=1)).date(), time.min, tzinfo=t.tzinfo)
        if t + left <= day_end:
            return t + left
        left -= day_end - t
        t = day_end


def escalate_at(policy: Policy, level: Level, since: datetime, status: Status) -> datetime | None:
    """When a conflict on `level` since `since` moves up: its limit counted on weekdays (Saturdays and Sundays
    do not count); never at the top or once it is settled."""
    if status not in ACTIVE:
        return None
    limit = policy.limit(level)
    return None if limit is None else add_weekday_time(since, limit)


def next_level(level: Level) -> Level | None:
    i = LADDER.index(level)
    return LADDER[i + 1] if i + 1 < len(LADDER) else None


def check_transition(old: Status, new: Status) -> None:
    if new not in TRANSITIONS[old]:
        allowed = ", ".join(sorted(x.value for x in TRANSITIONS[old])) or "nothing"
        raise StateConflict(f"a {old.value} conflict can move to {allowed}, not {new.value}", field="status")


def check_resolution(approach: Approach | None, outcome: str) -> None:
    if approach is None:
        raise ValidationError("say how it was resolved: collaborate, compromise, accommodate, force or avoid",
                              field="approach")  # fmt: skip
    if not outcome.strip():
        raise ValidationError("write the outcome: what was decided and who agreed", field="outcome")


def time_left(at: datetime | None, now: datetime) -> str | None:
    """A short human reading of the time until `at` ("2d 3h", "overdue 5h")."""
    if at is None:
        return None
    seconds = int((at - now).total_seconds())
    late = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    text = f"{days}d {hours}h" if days else (f"{hours}h" if hours else f"{max(rest // 60, 1)}m")
    return f"overdue {text}" if late else text
