"""Risk management rules: threats and opportunities, their ratings, lifecycle and response strategies.

Ratings are on 1-5 scales whose definitions each project can set (labels; and numeric ranges for
probability, schedule and cost, which the quantitative analysis uses).

**Score** = probability x the largest of the four impacts (schedule, cost, quality, scope), so 1..25. A risk
is as serious as its worst consequence: averaging would let a catastrophic cost impact hide behind
negligible quality and scope impacts. The residual score is the residual probability x residual impact
expected once the response works. **Exposure** (the burndown) is the sum of the scores of open threats.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from charter.domain.errors import ValidationError

LEVELS = range(1, 6)


class Kind(StrEnum):
    THREAT = "threat"
    OPPORTUNITY = "opportunity"


class Category(StrEnum):
    TECHNICAL = "technical"
    VENDOR = "vendor"
    PEOPLE = "people"
    SECURITY = "security"
    COMPLIANCE = "compliance"
    OPERATIONAL = "operational"
    SCHEDULE = "schedule"
    FINANCIAL = "financial"
    EXTERNAL = "external"
    OTHER = "other"


class Status(StrEnum):
    IDENTIFIED = "identified"
    ASSESSED = "assessed"
    RESPONDING = "responding"
    CLOSED = "closed"
    OCCURRED = "occurred"  # it happened: an issue now


OPEN = frozenset({Status.IDENTIFIED, Status.ASSESSED, Status.RESPONDING})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.IDENTIFIED: frozenset({Status.ASSESSED, Status.CLOSED, Status.OCCURRED}),
    Status.ASSESSED: frozenset({Status.IDENTIFIED, Status.RESPONDING, Status.CLOSED, Status.OCCURRED}),
    Status.RESPONDING: frozenset({Status.ASSESSED, Status.CLOSED, Status.OCCURRED}),
    Status.CLOSED: frozenset({Status.IDENTIFIED}),  # reopened
    Status.OCCURRED: frozenset({Status.CLOSED}),  # the issue is resolved
}


class Strategy(StrEnum):
    AVOID = "avoid"
    MITIGATE = "mitigate"
    TRANSFER = "transfer"
    ACCEPT = "accept"
    EXPLOIT = "exploit"
    ENHANCE = "enhance"
    SHARE = "share"


STRATEGIES: dict[Kind, frozenset[Strategy]] = {
    Kind.THREAT: frozenset({Strategy.AVOID, Strategy.MITIGATE, Strategy.TRANSFER, Strategy.ACCEPT}),
    Kind.OPPORTUNITY: frozenset({Strategy.EXPLOIT, Strategy.ENHANCE, Strategy.SHARE, Strategy.ACCEPT}),
}


class Dimension(StrEnum):
    PROBABILITY = "probability"
    SCHEDULE = "schedule"
    COST = "cost"
    QUALITY = "quality"
    SCOPE = "scope"


IMPACTS = (Dimension.SCHEDULE, Dimension.COST, Dimension.QUALITY, Dimension.SCOPE)
NUMERIC = frozenset({Dimension.PROBABILITY, Dimension.SCHEDULE, Dimension.COST})


@dataclass(frozen=True)
class ScaleLevel:
    """One level of one scale. ``low``/``high``: a probability in [0, 1], a delay in working days or a cost
    in the project currency (None for quality and scope)."""

    dimension: Dimension
    level: int
    label: str
    low: float | None = None
    high: float | None = None

    @property
    def mid(self) -> float:
        return ((self.low or 0.0) + (self.high or 0.0)) / 2


_LABELS = ("Very low", "Low", "Medium", "High", "Very high")
_PROB = ((0.01, 0.10), (0.10, 0.30), (0.30, 0.50), (0.50, 0.70), (0.70, 0.90))
_DAYS = ((0.0, 2.0), (2.0, 5.0), (5.0, 10.0), (10.0, 20.0), (20.0, 40.0))
_COST = ((0.0, 1000.0), (1000.0, 5000.0), (5000.0, 20000.0), (20000.0, 50000.0), (50000.0, 150000.0))


def default_scales() -> list[ScaleLevel]:
    out: list[ScaleLevel] = []
    for d in Dimension:
        ranges = {Dimension.PROBABILITY: _PROB, Dimension.SCHEDULE: _DAYS, Dimension.COST: _COST}.get(d)
        for i, label in enumerate(_LABELS):
            lo, hi = ranges[i] if ranges else (None, None)
            out.append(ScaleLevel(d, i + 1, label, lo, hi))
    return out


def check_scale(levels: list[ScaleLevel]) -> None:
    """Each dimension has levels 1..5 with labels; numeric dimensions need ranges (low <= high, probabilities
    in [0, 1], non-decreasing with the level)."""
    by_dim: dict[Dimension, dict[int, ScaleLevel]] = {}
    for lv in levels:
        field = f"{lv.dimension.value}.{lv.level}"
        if lv.level not in LEVELS:
            raise ValidationError(f"scale level {lv.level} is outside 1..5", field=field)
        if not lv.label.strip():
            raise ValidationError(f"{field}: every level needs a label", field=field)
        if lv.dimension in NUMERIC:
            if lv.low is None or lv.high is None:
                raise ValidationError(f"{field}: needs a numeric range (low, high)", field=field)
            if lv.low > lv.high:
                raise ValidationError(f"{field}: low ({lv.low:g}) is above high ({lv.high:g})", field=field)
            if lv.low < 0:
                raise ValidationError(f"{field}: low cannot be negative", field=field)
            if lv.dimension is Dimension.PROBABILITY and lv.high > 1:
                raise ValidationError(f"{field}: a probability lies in [0, 1]", field=field)
        by_dim.setdefault(lv.dimension, {})[lv.level] = lv
    for d, lvls in by_dim.items():
        if set(lvls) != set(LEVELS):
            raise ValidationError(f"the {d.value} scale needs exactly the levels 1..5", field=d.value)
        if d in NUMERIC:
            mids = [lvls[i].mid for i in LEVELS]
            if mids != sorted(mids):
                raise ValidationError(f"the {d.value} scale must not decrease with the level", field=d.value)


def check_level(value: int | None, field: str) -> None:
    if value is not None and value not in LEVELS:
        raise ValidationError(f"{field} must be on the 1-5 scale (got {value})", field=field)


def check_strategy(kind: Kind, strategy: Strategy | None) -> None:
    if strategy is not None and strategy not in STRATEGIES[kind]:
        allowed = ", ".join(sorted(s.value for s in STRATEGIES[kind]))
        raise ValidationError(
            f"{strategy.value} is not a strategy for a {kind.value}; use one of: {allowed}", field="strategy"
        )


def check_transition(old: Status, new: Status) -> None:
    if new != old and new not in TRANSITIONS[old]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[old])) or "none"
        raise ValidationError(
            f"a {old.value} risk cannot become {new.value} (allowed: {allowed})", field="status"
        )


def impact(schedule: int | None, cost: int | None, quality: int | None, scope: int | None) -> int | None:
    vals = [v for v in (schedule, cost, quality, scope) if v is not None]
    return max(vals) if vals else None


def score(probability: int | None, max_impact: int | None) -> int | None:
    if probability is None or max_impact is None:
        return None
    return probability * max_impact


def band(value: int | None) -> str:
    """low (1-4), medium (5-9), high (10-16), critical (20-25): the heat map's colours."""
    if value is None:
        return "none"
    if value >= 20:
        return "critical"
    if value >= 10:
        return "high"
    if value >= 5:
        return "medium"
    return "low"
