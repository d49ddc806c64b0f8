"""Quality management: the lifecycle and its gates, metrics with targets, deliverable acceptance, defects and
their workflow, stakeholders and their concerns. Pure rules; no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from charter.domain.errors import Conflict, ValidationError
from charter.domain.projects import Phase

E = TypeVar("E", bound=StrEnum)


def parse_enum(kind: type[E], value: object, field: str) -> E:
    try:
        return kind(str(value))
    except ValueError:
        raise ValidationError(
            f"{field} must be one of: {', '.join(m.value for m in kind)}", field=field
        ) from None


# --------------------------------------------------------------------------------------------- lifecycle

PHASES: tuple[Phase, ...] = tuple(Phase)


def next_phase(current: Phase) -> Phase:
    i = PHASES.index(current)
    if i + 1 >= len(PHASES):
        raise Conflict(f"{current.value} is the last phase; there is no phase to move to", field="phase")
    return PHASES[i + 1]


class Direction(StrEnum):
    AT_LEAST = "at_least"
    AT_MOST = "at_most"


def metric_applies(metric_phase: str | None, phase: str) -> bool:
    """Whether a metric counts in `phase` (the phase being gated, or the current one for a status report): a
    metric of that phase, or one with no phase (it applies throughout). A later phase's metric is its gate's
    business, not this phase's."""
    return metric_phase is None or metric_phase == phase


def meets(direction: Direction, target: float, value: float | None) -> bool:
    if value is None:
        return False
    return value >= target if direction is Direction.AT_LEAST else value <= target


@dataclass(frozen=True)
class GateFacts:
    """What a phase gate looks at, already narrowed to the phase being closed."""

    open_critical_defects: Sequence[str] = ()
    unaccepted_deliverables: Sequence[str] = ()
    failing_metrics: Sequence[str] = ()  # "name: value vs target"
    unsigned_reviews: Sequence[str] = ()


def failed_criteria(f: GateFacts) -> list[dict[str, object]]:
    """The gate criteria that fail, each with the items that make it fail."""
    out: list[dict[str, object]] = []
    for key, label, items in (
        ("open_critical_defects", "open critical defects", f.open_critical_defects),
        ("unaccepted_deliverables", "deliverables not accepted", f.unaccepted_deliverables),
        ("metrics_below_target", "quality metrics not meeting their target", f.failing_metrics),
        ("unsigned_reviews", "reviews not signed off", f.unsigned_reviews),
    ):
        if items:
            out.append({"criterion": key, "label": label, "items": list(items)})
    return out


def describe_failures(failed: Iterable[dict[str, object]]) -> str:
    parts = []
    for c in failed:
        items = c["items"]
        assert isinstance(items, list)
        parts.append(f"{c['label']} ({len(items)}: {', '.join(str(i) for i in items[:5])})")
    return "; ".join(parts)


# --------------------------------------------------------------------------------------------- deliverables


class DeliverableStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


# --------------------------------------------------------------------------------------------- reviews


class ReviewKind(StrEnum):
    REVIEW = "review"
    INSPECTION = "inspection"


class ReviewStatus(StrEnum):
    OPEN = "open"
    SIGNED_OFF = "signed_off"


# --------------------------------------------------------------------------------------------- defects


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    TRIVIAL = "trivial"


class FoundIn(StrEnum):
    REVIEW = "review"
    TEST = "test"
    PRODUCTION = "production"


class DefectStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    VERIFIED = "verified"
    CLOSED = "closed"
    WONT_FIX = "wont_fix"  # closed without a fix, by decision, with a reason (its resolution; journaled)


_FLOW: dict[DefectStatus, frozenset[DefectStatus]] = {
    DefectStatus.NEW: frozenset({DefectStatus.TRIAGED, DefectStatus.WONT_FIX}),
    DefectStatus.TRIAGED: frozenset({DefectStatus.IN_PROGRESS, DefectStatus.WONT_FIX}),
    DefectStatus.IN_PROGRESS: frozenset({DefectStatus.RESOLVED, DefectStatus.WONT_FIX}),
    DefectStatus.RESOLVED: frozenset(
        {DefectStatus.VERIFIED, DefectStatus.IN_PROGRESS, DefectStatus.WONT_FIX}
    ),  # -> in_progress: reopen
    DefectStatus.VERIFIED: frozenset({DefectStatus.CLOSED, DefectStatus.IN_PROGRESS}),
    DefectStatus.CLOSED: frozenset({DefectStatus.IN_PROGRESS}),
    DefectStatus.WONT_FIX: frozenset({DefectStatus.IN_PROGRESS}),  # reopened: it is to be fixed after all
}
# A defect is "open" until it is verified or closed (fixed, or as won't fix): a resolved defect is not verified
# yet, so it is still open work. The one definition, used by the quality page, the phase gate, the status
# report and the closing checklist.
DONE = frozenset({DefectStatus.VERIFIED, DefectStatus.CLOSED, DefectStatus.WONT_FIX})
OPEN_DEFECT = frozenset(DefectStatus) - DONE
OPEN_DEFECT_VALUES: tuple[str, ...] = tuple(s.value for s in DefectStatus if s in OPEN_DEFECT)


def defect_open(status: str) -> bool:
    """Whether a defect in `status` is open work (new, triaged, in progress, or resolved but not verified)."""
    return status in OPEN_DEFECT_VALUES


def check_transition(old: DefectStatus, new: DefectStatus) -> None:
    if new is old:
        return
    if new not in _FLOW[old]:
        allowed = ", ".join(sorted(s.value for s in _FLOW[old]))
        raise Conflict(f"a {old.value} defect can move to {allowed}, not to {new.value}", field="status")


def wont_fix_reason(reason: str | None) -> str:
    """The reason a defect is closed as won't fix: required, trimmed, at most 2,000 characters."""
    text = (reason or "").strip()
    if not text:
        raise ValidationError("closing a defect as won't fix needs a reason", field="reason")
    if len(text) > 2000:
        raise ValidationError("at most 2,000 characters", field="reason")
    return text


def iso_week(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def weekly_trend(
    defects: Sequence[tuple[datetime, datetime | None]], first: date, last: date
) -> list[dict[str, object]]:
    """Per ISO week from `first` to `last`: defects opened, closed, and open at the end of the week.
    Each defect is (opened_at, closed_at or None)."""
    monday = first - timedelta(days=first.weekday())
    out: list[dict[str, object]] = []
    while monday <= last:
        end = monday + timedelta(days=7)
        opened = sum(1 for o, _ in defects if monday <= o.date() < end)
        closed = sum(1 for _, c in defects if c is not None and monday <= c.date() < end)
        still = sum(1 for o, c in defects if o.date() < end and (c is None or c.date() >= end))
        out.append(
            {"week": iso_week(monday), "monday": monday, "opened": opened, "closed": closed, "open": still}
        )
        monday = end
    return out


# --------------------------------------------------------------------------------------------- stakeholders


class Attitude(StrEnum):
    CHAMPION = "champion"
    SUPPORTER = "supporter"
    NEUTRAL = "neutral"
    CRITIC = "critic"
    BLOCKER = "blocker"


class Engagement(StrEnum):
    UNAWARE = "unaware"
    RESISTANT = "resistant"
    NEUTRAL = "neutral"
    SUPPORTIVE = "supportive"
    LEADING = "leading"


def check_scale(value: int, field: str) -> int:
    if not 1 <= int(value) <= 5:
        raise ValidationError("must be 1 to 5", field=field)
    return int(value)


def grid_quadrant(interest: int, influence: int) -> str:
    """The classic power/interest strategy for a stakeholder."""
    hi_i, hi_p = interest >= 3, influence >= 3
    if hi_p and hi_i:
        return "manage_closely"
    if hi_p:
        return "keep_satisfied"
    if hi_i:
        return "keep_informed"
    return "monitor"


class ConcernArea(StrEnum):
    QUALITY = "quality"
    BUDGET = "budget"
    SCHEDULE = "schedule"
    SCOPE = "scope"
    RISK = "risk"
    TEAM = "team"
    COMMUNICATIONS = "communications"
    TECHNOLOGY = "technology"
    PROCUREMENT = "procurement"


class ConcernSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ConcernStatus(StrEnum):
    OPEN = "open"  # not acknowledged yet
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"
    CHANGE_REQUESTED = "change_requested"  # turned into a change request (the link is kept)
    RISK = "risk"  # turned into a risk in the register (the link is kept)


def add_working_days(start: datetime, days: int) -> datetime:
    """`days` working days (Monday to Friday) after `start`, at the same time of day."""
    t = start
    left = max(int(days), 0)
    while left:
        t += timedelta(days=1)
        if t.weekday() < 5:
            left -= 1
    return t


def parse_areas(values: Iterable[str]) -> list[str]:
    out = [parse_enum(ConcernArea, v, "areas").value for v in values]
    if not out:
        raise ValidationError("tag the concern with at least one area", field="areas")
    return sorted(set(out))
