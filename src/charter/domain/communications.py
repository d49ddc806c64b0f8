"""Communications: how a message is routed (through a department's Relationship Liaison or straight to the
Project Manager), when a planned communication is due, and what a liaison changes in the PM's load.

Pure rules; the services load the facts (who is the PM, who is the department's liaison right now) and
apply these functions.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from charter.domain.errors import ValidationError

E = TypeVar("E", bound=StrEnum)


class Route(StrEnum):
    DIRECT = "direct"
    VIA_LIAISON = "via_liaison"


class Status(StrEnum):
    WITH_LIAISON = "with_liaison"  # waiting for the department's liaison (answer or forward)
    OPEN = "open"  # waiting for its addressee (the PM, a person, the department)
    FORWARDED = "forwarded"  # the liaison passed it on to the PM; waiting for the PM
    DELIVERED = "delivered"  # an announcement, or the PM's message the liaison relayed: nobody has to act
    ANSWERED = "answered"
    CLOSED = "closed"


class Direction(StrEnum):
    INBOUND = "inbound"  # towards the Project Manager
    OUTBOUND = "outbound"  # from the Project Manager to a department or a person
    PEER = "peer"  # between other members
    ANNOUNCEMENT = "announcement"


class Audience(StrEnum):
    PM = "pm"
    USER = "user"
    DEPARTMENT = "department"
    ROLE = "role"
    PROJECT = "project"


class ItemKind(StrEnum):
    MESSAGE = "message"
    CONCERN = "concern"
    REQUEST = "request"
    ANNOUNCEMENT = "announcement"


ENTITY_TYPES = (
    "task",
    "work_package",
    "risk",
    "concern",
    "change_request",
    "purchase_order",
    "meeting",
)


class Frequency(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    PER_MILESTONE = "per_milestone"
    ONCE = "once"


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    MEETING = "meeting"
    REPORT = "report"


# The PM's handling time for an item they answer, when they do not say how long it took (minutes).
DEFAULT_PM_MINUTES = 10


@dataclass(frozen=True)
class Routing:
    route: Route
    status: Status
    direction: Direction
    liaison_id: int | None


def route_to_pm(
    *, sender_id: int, sender_department_id: int | None, liaison_id: int | None, direct: bool = False
) -> Routing:
    """A message from a member to the PM. From a department with a current liaison it goes to the liaison
    first; the liaison's own messages to the PM count as already carried by the liaison; anything else goes
    to the PM directly. `direct`: the sender talks to the PM directly whatever their department (a
    department head, the project's Sponsor): the liaison carries the department's communication, not its
    head's."""
    if direct:
        return Routing(Route.DIRECT, Status.OPEN, Direction.INBOUND, None)
    if sender_department_id is not None and liaison_id is not None:
        if sender_id == liaison_id:
            return Routing(Route.VIA_LIAISON, Status.FORWARDED, Direction.INBOUND, liaison_id)
        return Routing(Route.VIA_LIAISON, Status.WITH_LIAISON, Direction.INBOUND, liaison_id)
    return Routing(Route.DIRECT, Status.OPEN, Direction.INBOUND, None)


def route_to_department(liaison_id: int | None) -> Routing:
    """The PM's message to a department goes out through its liaison, when it has one."""
    if liaison_id is not None:
        return Routing(Route.VIA_LIAISON, Status.WITH_LIAISON, Direction.OUTBOUND, liaison_id)
    return Routing(Route.DIRECT, Status.OPEN, Direction.OUTBOUND, None)


_MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9][A-Za-z0-9_.-]{0,63})")


def mentions(text: str) -> list[str]:
    """The usernames mentioned as @name, in order of first appearance (a trailing dot ends a sentence)."""
    out: list[str] = []
    for m in _MENTION.finditer(text or ""):
        name = m.group(1).rstrip(".-").lower()
        if name and name not in out:
            out.append(name)
    return out


def iso_week(when: datetime | date) -> str:
    iso = when.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def weeks_between(start: datetime, end: datetime) -> float:
    """Length of a period in weeks, at least one (a short period is not blown up into a high rate)."""
    return max((end - start).total_seconds() / (7 * 86400), 1.0)


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def next_due(
    frequency: Frequency, starts_on: date, last_done: date | None, milestones: Iterable[date] = ()
) -> date | None:
    """When a planned communication is next due: its start date until it is first done, then one period
    after the last time; per milestone, the first milestone after the last time (None when none is left);
    once, nothing after it is done."""
    if frequency is Frequency.PER_MILESTONE:
        after = last_done or (starts_on - timedelta(days=1))
        upcoming = sorted(d for d in milestones if d > after)
        return upcoming[0] if upcoming else None
    if last_done is None:
        return starts_on
    if frequency is Frequency.ONCE:
        return None
    if frequency is Frequency.WEEKLY:
        return last_done + timedelta(days=7)
    if frequency is Frequency.BIWEEKLY:
        return last_done + timedelta(days=14)
    if frequency is Frequency.MONTHLY:
        return _add_months(last_done, 1)
    return _add_months(last_done, 3)


def parse_enum(cls: type[E], value: str, field: str) -> E:
    try:
        return cls(value)
    except ValueError:
        known = ", ".join(v.value for v in cls)
        raise ValidationError(f"{value!r} is not one of: {known}", field=field) from None


@dataclass(frozen=True)
class PeriodLoad:
    """What one department's communication cost the PM over a period."""

    weeks: float
    raised: int  # items the department raised towards the PM
    reached_pm: int  # of those, how many the PM had to handle (direct, or forwarded by the liaison)
    pm_minutes: int

    @property
    def pm_minutes_per_item(self) -> float | None:
        return self.pm_minutes / self.raised if self.raised else None

    @property
    def pm_minutes_per_week(self) -> float:
        return self.pm_minutes / self.weeks

    @property
    def reach_share(self) -> float | None:
        return self.reached_pm / self.raised if self.raised else None


def reduction(before: PeriodLoad, after: PeriodLoad) -> float | None:
    """The share of the PM's handling time per raised item that a liaison removed: 1 - after/before.
    None without items on both sides or without PM time before."""
    b, a = before.pm_minutes_per_item, after.pm_minutes_per_item
    if b is None or a is None or b == 0:
        return None
    return 1 - a / b


def pooled_reduction(pairs: Iterable[tuple[PeriodLoad, PeriodLoad]]) -> float | None:
    """The reduction over every department that got a liaison, pooled by items (a department with many
    items weighs more than one with two)."""
    before_min = before_items = after_min = after_items = 0
    for b, a in pairs:
        if not b.raised or not a.raised:
            continue
        before_min += b.pm_minutes
        before_items += b.raised
        after_min += a.pm_minutes
        after_items += a.raised
    if not before_items or not after_items or not before_min:
        return None
    return 1 - (after_min / after_items) / (before_min / before_items)
