"""Quality (lifecycle and gates, quality plan and metrics, deliverables, checklists and reviews, defects),
the stakeholder register and concerns, change control. Every permission is checked in the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Response

from charter.api import schemas_quality as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import AmountsRoute, delete_versioned, patch_versioned
from charter.services import change, quality, stakeholders

router = APIRouter(responses=ERRORS, tags=["quality"], route_class=AmountsRoute)
P = "/projects/{project_id}"
Obj = dict[str, Any]


# --------------------------------------------------------------------------------------------- lifecycle


@router.get(P + "/lifecycle", response_model=Obj)
def get_lifecycle(project_id: int, actor: CurrentActor, db: DB) -> Obj:
    """The phases with their entry/exit criteria, the current phase, its gate and the overrides so far."""
    with db.uow(readonly=True) as s:
        return quality.lifecycle(s, actor, project_id)


@router.patch(P + "/lifecycle/{phase}", response_model=Obj)
def update_phase(project_id: int, phase: S.PhaseName, body: S.PhaseIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return quality.update_phase(s, actor, project_id, phase, **body.model_dump(exclude_unset=True))


@router.get(P + "/lifecycle/{phase}/gate", response_model=Obj)
def get_gate(project_id: int, phase: S.PhaseName, actor: CurrentActor, db: DB) -> Obj:
    with db.uow(readonly=True) as s:
        return quality.gate(s, actor, project_id, phase)


@router.post(P + "/lifecycle/close", response_model=Obj)
def close_phase(project_id: int, body: S.ClosePhaseIn, actor: CurrentActor, db: DB) -> Obj:
    """Close the current phase (move to the next). Refused (409) while its gate fails, unless the role
    accountable for quality overrides with a reason."""
    with db.uow() as s:
        return quality.close_phase(s, actor, project_id, override_reason=body.override_reason)


# --------------------------------------------------------------------------------------------- plan, metrics


@router.get(P + "/quality-plan", response_model=Obj)
def get_plan(project_id: int, actor: CurrentActor, db: DB) -> Obj:
    with db.uow(readonly=True) as s:
        return quality.plan(s, actor, project_id)


@router.put(P + "/quality-plan", response_model=Obj)
def set_plan(project_id: int, body: S.PlanIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return quality.set_plan(s, actor, project_id, **body.model_dump(exclude_unset=True))


@router.post(P + "/quality-metrics", response_model=Obj, status_code=201)
def create_metric(project_id: int, body: S.MetricIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return quality.create_metric(s, actor, project_id, **body.model_dump())


@router.post(P + "/quality-metrics/{metric_id}/measurements", response_model=Obj, status_code=201)
def add_measurement(
    project_id: int, metric_id: int, body: S.MeasurementIn, actor: CurrentActor, db: DB
) -> Obj:
    with db.uow() as s:
        return quality.record_measurement(s, actor, project_id, metric_id, **body.model_dump())


@router.patch(P + "/quality-metrics/{metric_id}", response_model=Obj)
def update_metric(project_id: int, metric_id: int, body: S.MetricPatch, actor: CurrentActor, db: DB) -> Obj:
    """Change a metric's name, unit, direction, target, phase or responsible role (stale version: 409)."""
    return patch_versioned(db, actor, quality.update_metric, project_id, metric_id, body=body)


@router.delete(P + "/quality-metrics/{metric_id}", status_code=204, response_class=Response)
def delete_metric(
    project_id: int, metric_id: int, actor: CurrentActor, db: DB, version: int = Query(...)
) -> None:
    """Remove a metric with its measurements (stale version: 409)."""
    delete_versioned(db, actor, quality.delete_metric, project_id, metric_id, version=version)


# --------------------------------------------------------------------------------------------- deliverables


@router.get(P + "/deliverables", response_model=list[Obj])
def list_deliverables(project_id: int, actor: CurrentActor, db: DB) -> list[Obj]:
    with db.uow(readonly=True) as s:
        return quality.list_deliverables(s, actor, project_id)


@router.post(P + "/deliverables", response_model=Obj, status_code=201)
def create_deliverable(project_id: int, body: S.DeliverableIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return quality.create_deliverable(s, actor, project_id, **body.model_dump())


@router.post(P + "/deliverables/{deliverable_id}/accept", response_model=Obj)
def accept_deliverable(
    project_id: int, deliverable_id: int, body: S.AcceptIn, actor: CurrentActor, db: DB
) -> Obj:
    """Only the named acceptor may accept (403 otherwise, saying who is named)."""
    with db.uow() as s:
        return quality.accept_deliverable(s, actor, project_id, deliverable_id, body.comment, body.version)


@router.post(P + "/deliverables/{deliverable_id}/reject", response_model=Obj)
def reject_deliverable(
    project_id: int, deliverable_id: int, body: S.RejectIn, actor: CurrentActor, db: DB
) -> Obj:
    with db.uow() as s:
        return quality.reject_deliverable(s, actor, project_id, deliverable_id, body.reason, body.version)


@router.post(P + "/deliverables/{deliverable_id}/resubmit", response_model=Obj)
def resubmit_deliverable(
    project_id: int, deliverable_id: int, body: S.EmptyIn, actor: CurrentActor, db: DB
) -> Obj:
    with db.uow() as s:
        return quality.resubmit_deliverable(s, actor, project_id, deliverable_id)


@router.patch(P + "/deliverables/{deliverable_id}", response_model=Obj)
def update_deliverable(
    project_id: int, deliverable_id: int, body: S.DeliverablePatch, actor: CurrentActor, db: DB
) -> Obj:
    """Change a deliverable while it is not accepted (accepted: 409; stale version: 409)."""
    return patch_versioned(db, actor, quality.update_deliverable, project_id, deliverable_id, body=body)


@router.delete(P + "/deliverables/{deliverable_id}", status_code=204, response_class=Response)
def delete_deliverable(
    project_id: int, deliverable_id: int, actor: CurrentActor, db: DB, version: int = Query(...)
) -> None:
    """Refused (409) for an accepted deliverable and one a review or defect refers to."""
    delete_versioned(db, actor, quality.delete_deliverable, project_id, deliverable_id, version=version)


# --------------------------------------------------------------------------------------------- checklists, reviews


@router.get("/checklist-templates", response_model=list[Obj])
def list_templates(actor: CurrentActor, db: DB) -> list[Obj]:
    with db.uow(readonly=True) as s:
        return quality.list_templates(s, actor)


@router.post("/checklist-templates", response_model=Obj, status_code=201)
def create_template(body: S.TemplateIn, actor: CurrentActor, db: DB) -> Obj:
    """An organisation-wide checklist (admins and quality managers)."""
    with db.uow() as s:
        return quality.create_template(s, actor, name=body.name, items=body.items)


@router.patch("/checklist-templates/{template_id}", response_model=Obj)
def update_template(template_id: int, body: S.TemplatePatch, actor: CurrentActor, db: DB) -> Obj:
    """Rename a checklist or change its items; reviews already started keep their copy."""
    return patch_versioned(db, actor, quality.update_template, template_id, body=body)


@router.delete("/checklist-templates/{template_id}", status_code=204, response_class=Response)
def delete_template(template_id: int, actor: CurrentActor, db: DB, version: int = Query(...)) -> None:
    """Refused (409) while a review was started from it."""
    delete_versioned(db, actor, quality.delete_template, template_id, version=version)


@router.get(P + "/reviews", response_model=list[Obj])
def list_reviews(project_id: int, actor: CurrentActor, db: DB) -> list[Obj]:
    with db.uow(readonly=True) as s:
        return quality.list_reviews(s, actor, project_id)


@router.post(P + "/reviews", response_model=Obj, status_code=201)
def create_review(project_id: int, body: S.ReviewIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return quality.create_review(s, actor, project_id, **body.model_dump())


@router.post(P + "/reviews/{review_id}/findings", response_model=Obj, status_code=201)
def add_finding(project_id: int, review_id: int, body: S.FindingIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return quality.add_finding(s, actor, project_id, review_id, **body.model_dump())


@router.post(P + "/reviews/{review_id}/sign-off", response_model=Obj)
def sign_off(project_id: int, review_id: int, body: S.SignOffIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return quality.sign_off(
            s, actor, project_id, review_id, results=dict(body.results or {}), version=body.version
        )


@router.patch(P + "/reviews/{review_id}", response_model=Obj)
def update_review(project_id: int, review_id: int, body: S.ReviewPatch, actor: CurrentActor, db: DB) -> Obj:
    """Change a review's title, reviewers or checklist before it is signed off (signed off: 409)."""
    return patch_versioned(db, actor, quality.update_review, project_id, review_id, body=body)


@router.delete(P + "/reviews/{review_id}", status_code=204, response_class=Response)
def delete_review(
    project_id: int, review_id: int, actor: CurrentActor, db: DB, version: int = Query(...)
) -> None:
    """Remove a review that is not signed off, with its findings (signed off: 409)."""
    delete_versioned(db, actor, quality.delete_review, project_id, review_id, version=version)


# --------------------------------------------------------------------------------------------- defects


@router.get(P + "/defects", response_model=list[Obj])
def list_defects(
    project_id: int, actor: CurrentActor, db: DB, status: str | None = Query(None, description="open, or one status"),
    severity: S.SeverityName | None = None,
) -> list[Obj]:  # fmt: skip
    with db.uow(readonly=True) as s:
        return quality.list_defects(s, actor, project_id, status=status, severity=severity)


@router.post(P + "/defects", response_model=Obj, status_code=201)
def create_defect(project_id: int, body: S.DefectIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return quality.create_defect(s, actor, project_id, **body.model_dump())


@router.get(P + "/defects/trend", response_model=Obj)
def defect_trend(
    project_id: int,
    actor: CurrentActor,
    db: DB,
    weeks: int = Query(12, ge=1, le=104),
    until: date | None = None,
) -> Obj:
    """Opened, closed and open defects per ISO week."""
    with db.uow(readonly=True) as s:
        return quality.defect_trend(s, actor, project_id, weeks=weeks, until=until)


@router.patch(P + "/defects/{defect_id}", response_model=Obj)
def update_defect(project_id: int, defect_id: int, body: S.DefectPatch, actor: CurrentActor, db: DB) -> Obj:
    return patch_versioned(db, actor, quality.update_defect, project_id, defect_id, body=body)


# --------------------------------------------------------------------------------------------- stakeholders


@router.get(P + "/stakeholders", response_model=Obj)
def get_register(project_id: int, actor: CurrentActor, db: DB) -> Obj:
    """The stakeholder register and its interest/influence grid (the PM; a liaison: their department)."""
    with db.uow(readonly=True) as s:
        return stakeholders.register(s, actor, project_id)


@router.post(P + "/stakeholders", response_model=Obj, status_code=201)
def create_stakeholder(project_id: int, body: S.StakeholderIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return stakeholders.create_stakeholder(s, actor, project_id, **body.model_dump())


@router.patch(P + "/stakeholders/{stakeholder_id}", response_model=Obj)
def update_stakeholder(
    project_id: int, stakeholder_id: int, body: S.StakeholderPatch, actor: CurrentActor, db: DB
) -> Obj:
    return patch_versioned(db, actor, stakeholders.update_stakeholder, project_id, stakeholder_id, body=body)


@router.get(P + "/concerns", response_model=list[Obj])
def list_concerns(
    project_id: int, actor: CurrentActor, db: DB, mine: bool = False, overdue: bool = False
) -> list[Obj]:
    """Concerns the caller may see, each with its acknowledgement deadline (flagged when overdue) and what
    became of it."""
    with db.uow(readonly=True) as s:
        return stakeholders.list_concerns(s, actor, project_id, mine=mine, overdue=overdue)


@router.post(P + "/concerns", response_model=Obj, status_code=201)
def raise_concern(project_id: int, body: S.ConcernIn, actor: CurrentActor, db: DB) -> Obj:
    """Raise a concern: it reaches the PM through the department's liaison when there is one."""
    with db.uow() as s:
        return stakeholders.raise_concern(s, actor, project_id, **body.model_dump())


@router.post(P + "/concerns/{concern_id}/acknowledge", response_model=Obj)
def acknowledge_concern(
    project_id: int, concern_id: int, body: S.EmptyIn, actor: CurrentActor, db: DB
) -> Obj:
    with db.uow() as s:
        return stakeholders.acknowledge(s, actor, project_id, concern_id)


@router.post(P + "/concerns/{concern_id}/answer", response_model=Obj)
def answer_concern(project_id: int, concern_id: int, body: S.AnswerIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return stakeholders.answer(s, actor, project_id, concern_id, text=body.text)


@router.post(P + "/concerns/{concern_id}/change-request", response_model=Obj, status_code=201)
def concern_to_change(
    project_id: int, concern_id: int, body: S.ToChangeIn, actor: CurrentActor, db: DB
) -> Obj:
    """The PM turns the concern into a change request (the link is kept)."""
    with db.uow() as s:
        return stakeholders.to_change_request(s, actor, project_id, concern_id, **body.model_dump())


@router.post(P + "/concerns/{concern_id}/risk", response_model=Obj, status_code=201)
def concern_to_risk(project_id: int, concern_id: int, body: S.ToRiskIn, actor: CurrentActor, db: DB) -> Obj:
    """The PM or the department's liaison turns the concern into a risk in the register (linked both ways;
    the raiser is told). Returns the new risk."""
    with db.uow() as s:
        return stakeholders.to_risk(s, actor, project_id, concern_id, **body.model_dump())


# --------------------------------------------------------------------------------------------- change control


@router.get(P + "/change-requests", response_model=list[Obj])
def list_changes(project_id: int, actor: CurrentActor, db: DB, status: str | None = None) -> list[Obj]:
    with db.uow(readonly=True) as s:
        return change.list_change_requests(s, actor, project_id, status)


@router.post(P + "/change-requests", response_model=Obj, status_code=201)
def create_change(project_id: int, body: S.ChangeIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return change.create_change_request(s, actor, project_id, **body.model_dump())


@router.get(P + "/change-requests/{cr_id}", response_model=Obj)
def get_change(project_id: int, cr_id: int, actor: CurrentActor, db: DB) -> Obj:
    with db.uow(readonly=True) as s:
        return change.get_change_request(s, actor, project_id, cr_id)


@router.patch(P + "/change-requests/{cr_id}", response_model=Obj)
def update_change(project_id: int, cr_id: int, body: S.ChangePatch, actor: CurrentActor, db: DB) -> Obj:
    return patch_versioned(db, actor, change.update_change_request, project_id, cr_id, body=body)


@router.post(P + "/change-requests/{cr_id}/preview", response_model=Obj)
def preview_change(project_id: int, cr_id: int, body: S.EmptyIn, actor: CurrentActor, db: DB) -> Obj:
    """The impact, computed by the engines on the current plan and rolled back: current vs proposed finish,
    critical path, cost/EAC, milestones, deliverables. Stored with the plan revision."""
    with db.uow() as s:
        return change.preview(s, actor, project_id, cr_id)


@router.post(P + "/change-requests/{cr_id}/approve", response_model=Obj)
def approve_change(project_id: int, cr_id: int, body: S.DecideIn, actor: CurrentActor, db: DB) -> Obj:
    """Approve (or, on a board, vote to approve). 409 when the preview is missing or stale."""
    with db.uow() as s:
        return change.decide(s, actor, project_id, cr_id, approve=True, reason=body.reason,
                             baseline_number=body.baseline_number)  # fmt: skip


@router.post(P + "/change-requests/{cr_id}/reject", response_model=Obj)
def reject_change(project_id: int, cr_id: int, body: S.DecideIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return change.decide(s, actor, project_id, cr_id, approve=False, reason=body.reason)


@router.post(P + "/change-requests/{cr_id}/withdraw", response_model=Obj)
def withdraw_change(project_id: int, cr_id: int, body: S.WithdrawIn, actor: CurrentActor, db: DB) -> Obj:
    """Withdraw an open change request (its requester or a holder of change.decide) at the version read: 409
    when stale or once decided. Nothing is applied; a concern it came from shows it withdrawn."""
    with db.uow() as s:
        return change.withdraw(s, actor, project_id, cr_id, body.version, reason=body.reason)


@router.get(P + "/baselines/{number}/changes", response_model=Obj)
def changes_since_baseline(project_id: int, number: int, actor: CurrentActor, db: DB) -> Obj:
    """What changed since baseline N: tasks whose dates or durations differ, tasks added and removed."""
    with db.uow(readonly=True) as s:
        return change.since_baseline(s, actor, project_id, number)
