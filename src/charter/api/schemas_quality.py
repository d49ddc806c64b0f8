"""Request bodies for quality management, stakeholders, concerns and change control (responses are the
services' plain data)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from charter.api.schemas import In, Patch

PhaseName = Literal[
    "initiation", "planning", "execution", "monitoring_and_control", "closing", "post_project_operations"
]
SeverityName = Literal["critical", "major", "minor", "trivial"]


class PhaseIn(In):
    entry_criteria: str | None = None
    exit_criteria: str | None = None
    version: int | None = Field(None, description="the phase's version you read (0: never set); stale -> 409")


class ClosePhaseIn(In):
    override_reason: str | None = Field(
        None, description="the written reason of the role accountable for quality"
    )


class PlanIn(In):
    standards: list[str] | None = None
    responsible_role_id: int | None = None
    notes: str | None = None
    concern_ack_days: int | None = Field(None, ge=0, le=60)


class MetricIn(In):
    name: str = Field(min_length=1, max_length=120)
    direction: Literal["at_least", "at_most"]
    target: float
    unit: str = Field("", max_length=30)
    phase: PhaseName | None = None
    responsible_role_id: int | None = None


class MeasurementIn(In):
    value: float
    measured_at: datetime | None = None
    note: str = ""


class DeliverableIn(In):
    work_package_id: int
    name: str = Field(min_length=1, max_length=200)
    acceptor_id: int = Field(description="the stakeholder or sponsor who accepts it")
    acceptance_criteria: str = ""
    description: str = ""
    phase: PhaseName | None = None


class AcceptIn(In):
    comment: str = ""
    version: int | None = Field(
        None, description="the deliverable's version as read: 409 if it changed since"
    )


class RejectIn(In):
    reason: str = Field(min_length=1)
    version: int | None = Field(
        None, description="the deliverable's version as read: 409 if it changed since"
    )


class EmptyIn(In):
    pass


class TemplateIn(In):
    name: str = Field(min_length=1, max_length=120)
    items: list[str] = Field(min_length=1)


class ReviewIn(In):
    title: str = Field(min_length=1, max_length=200)
    reviewer_ids: list[int] = Field(min_length=1)
    kind: Literal["review", "inspection"] = "review"
    phase: PhaseName | None = None
    template_id: int | None = None
    deliverable_id: int | None = None
    items: list[str] | None = None


class FindingIn(In):
    text: str = Field(min_length=1)
    severity: SeverityName = "minor"
    raise_defect: bool = False


class SignOffIn(In):
    results: dict[str, Literal["pass", "fail", "n/a"]] | None = None
    version: int | None = Field(None, description="the review's version as read: 409 if it changed since")


class DefectIn(In):
    title: str = Field(min_length=1, max_length=300)
    severity: SeverityName
    found_in: Literal["review", "test", "production"]
    description: str = ""
    priority: int = Field(3, ge=1, le=5)
    task_id: int | None = None
    deliverable_id: int | None = None
    owner_id: int | None = None


class DefectPatch(Patch):
    nullable: ClassVar[frozenset[str]] = frozenset({"owner_id", "task_id", "deliverable_id"})
    version: int
    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = None
    severity: SeverityName | None = None
    priority: int | None = Field(None, ge=1, le=5)
    found_in: Literal["review", "test", "production"] | None = None
    status: Literal["new", "triaged", "in_progress", "resolved", "verified", "closed", "wont_fix"] | None = (
        Field(
            None,
            description="wont_fix closes an open defect without a fix, from any open status; needs `reason`",
        )
    )
    reason: str | None = Field(None, max_length=2000, description="why the defect is closed as won't fix")
    owner_id: int | None = None
    task_id: int | None = None
    deliverable_id: int | None = None


class MetricPatch(Patch):
    nullable: ClassVar[frozenset[str]] = frozenset({"phase", "responsible_role_id"})
    version: int
    name: str | None = Field(None, min_length=1, max_length=120)
    direction: Literal["at_least", "at_most"] | None = None
    target: float | None = None
    unit: str | None = Field(None, max_length=30)
    phase: PhaseName | None = None
    responsible_role_id: int | None = None


class DeliverablePatch(Patch):
    version: int
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    acceptance_criteria: str | None = None
    acceptor_id: int | None = None
    work_package_id: int | None = None
    phase: PhaseName | None = None


class TemplatePatch(Patch):
    version: int
    name: str | None = Field(None, min_length=1, max_length=120)
    items: list[str] | None = Field(None, min_length=1)


class ReviewPatch(Patch):
    version: int
    title: str | None = Field(None, min_length=1, max_length=200)
    reviewer_ids: list[int] | None = Field(None, min_length=1)
    items: list[str] | None = None


Engagement = Literal["unaware", "resistant", "neutral", "supportive", "leading"]
Attitude = Literal["champion", "supporter", "neutral", "critic", "blocker"]


class StakeholderIn(In):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["person", "group"] = "person"
    user_id: int | None = None
    department_id: int | None = None
    interest: int = Field(3, ge=1, le=5)
    influence: int = Field(3, ge=1, le=5)
    attitude: Attitude = "neutral"
    current_engagement: Engagement = "neutral"
    desired_engagement: Engagement = "supportive"
    communication_needs: str = ""


class StakeholderPatch(Patch):
    nullable: ClassVar[frozenset[str]] = frozenset({"user_id", "department_id"})
    version: int
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: Literal["person", "group"] | None = None
    user_id: int | None = None
    department_id: int | None = None
    interest: int | None = Field(None, ge=1, le=5)
    influence: int | None = Field(None, ge=1, le=5)
    attitude: Attitude | None = None
    current_engagement: Engagement | None = None
    desired_engagement: Engagement | None = None
    communication_needs: str | None = None


Area = Literal[
    "quality", "budget", "schedule", "scope", "risk", "team", "communications", "technology", "procurement"
]


class ConcernIn(In):
    subject: str = Field(min_length=1, max_length=300)
    areas: list[Area] = Field(min_length=1)
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    body: str = ""
    needed_by: date | None = None
    confidential: bool = False


class AnswerIn(In):
    text: str = Field(min_length=1)


class ToChangeIn(In):
    title: str | None = Field(None, max_length=300)
    changes: list[dict[str, Any]] | None = None


class ToRiskIn(In):
    """Turn a concern into a risk: its subject becomes the event, its text the cause, its areas the effect."""

    title: str | None = Field(None, max_length=300, description="default: the concern's subject")
    kind: Literal["threat", "opportunity"] | None = None
    category: str | None = Field(None, description="technical, vendor, people, security, compliance, ...")
    owner_id: int | None = Field(None, description="a project member; default: whoever turns it into a risk")
    version: int | None = Field(None, description="the concern's version you read (optional)")


class ChangeIn(In):
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    reason: str = ""
    areas: list[Area] | None = None
    changes: list[dict[str, Any]] = Field(
        default_factory=list,
        description="proposed plan changes: {op: task_duration, task_id, duration} | {op: task_update, task_id, "
        "fields} | {op: add_task, name, work_package_id?, duration?, predecessors?} | {op: add_link, pred_id, "
        "succ_id, type?, lag?} | {op: remove_link, link_id} | {op: budget_line, budget_line_id, amount}",
    )
    approver_ids: list[int] | None = Field(
        None, description="a change board; empty: decided by change.decide"
    )
    quorum: int | None = Field(None, ge=0)


class ChangePatch(Patch):
    version: int
    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = None
    reason: str | None = None
    areas: list[Area] | None = None
    changes: list[dict[str, Any]] | None = None
    approver_ids: list[int] | None = None
    quorum: int | None = Field(None, ge=0)


class WithdrawIn(In):
    version: int
    reason: str = Field("", max_length=2000)


class DecideIn(In):
    reason: str = ""
    baseline_number: int | None = Field(None, ge=0, le=10)
