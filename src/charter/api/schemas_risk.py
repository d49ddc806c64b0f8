"""Request bodies for the risk register and the Monte Carlo simulation (responses are the services' plain
data). Levels, strategies and lifecycle rules are checked by the services, which name the field."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from pydantic import Field

from charter.api.schemas import In, Patch


class _RiskFields(In):
    kind: str | None = Field(None, description="threat or opportunity")
    cause: str | None = None
    event: str | None = None
    effect: str | None = None
    category: str | None = Field(None, description="technical, vendor, people, security, compliance, ...")
    probability: int | None = Field(None, description="1-5 on the project's probability scale")
    impact_schedule: int | None = None
    impact_cost: int | None = None
    impact_quality: int | None = None
    impact_scope: int | None = None
    probability_value: float | None = Field(None, description="0-1; overrides the scale in simulations")
    residual_probability: int | None = None
    residual_impact: int | None = None
    owner_id: int | None = Field(None, description="a project member (default: whoever raises it)")
    work_package_id: int | None = None
    task_id: int | None = Field(None, description="the task a risk event would delay (for simulations)")
    proximity: date | None = None
    strategy: str | None = Field(
        None, description="avoid|mitigate|transfer|accept; exploit|enhance|share|accept"
    )
    response: str | None = None
    triggers: str | None = None
    review_date: date | None = None


class RiskIn(_RiskFields):
    title: str = Field(min_length=1, max_length=300)


class RiskPatch(_RiskFields, Patch):
    nullable: ClassVar[frozenset[str]] = frozenset({
        "probability", "impact_schedule", "impact_cost", "impact_quality", "impact_scope", "probability_value",
        "residual_probability", "residual_impact", "owner_id", "work_package_id", "task_id", "proximity",
        "strategy", "review_date",
    })  # fmt: skip
    version: int
    title: str | None = Field(None, min_length=1, max_length=300)


class StatusIn(In):
    version: int
    status: str = Field(description="identified, assessed, responding, closed or occurred")
    occurred_on: date | None = None
    note: str | None = Field(None, description="what happened (when it occurred)")
    open_conflict: bool = Field(False, description="when it occurred: log it in the conflict log at once")


class CommentIn(In):
    body: str = Field(min_length=1)


class ActionIn(In):
    task_id: int | None = Field(None, description="link an existing task, or create one:")
    name: str | None = None
    duration: str | int | None = None
    work_package_id: int | None = None


class ScaleLevelIn(In):
    dimension: str
    level: int
    label: str | None = None
    low: float | None = None
    high: float | None = None


class ScalesIn(In):
    levels: list[ScaleLevelIn]


class CorrelationGroupIn(In):
    task_ids: list[int]
    rho: float


class SimulationIn(In):
    iterations: int = Field(10_000, description="at most the configured maximum")
    seed: int | None = Field(None, description="same seed, same results; default random")
    distribution: str | None = Field(None, description="triangular (default), pert or uniform")
    spread_low: float | None = Field(None, description="% below the duration for tasks without estimates")
    spread_high: float | None = Field(None, description="% above the duration for tasks without estimates")
    work_package_correlation: float | None = None
    correlation_groups: list[CorrelationGroupIn] | None = None
    target_cost: float | None = None
    bins: int | None = None

    def params(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)
