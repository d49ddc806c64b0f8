"""The conflict log: entries, parties, the escalation ladder and its policy, detection, and conversions from
occurred risks and stakeholder concerns. Every permission is checked in the services."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from charter.api import schemas_conflicts as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import AmountsRoute
from charter.services import conflict_detect, conflicts

router = APIRouter(responses=ERRORS, tags=["conflicts"], route_class=AmountsRoute)
P = "/projects/{project_id}"
C = P + "/conflicts/{conflict_id}"
Obj = dict[str, Any]


@router.get(P + "/conflicts", response_model=list[Obj])
def list_conflicts(
    project_id: int,
    actor: CurrentActor,
    db: DB,
    status: str | None = None,
    level: str | None = None,
    severity: str | None = None,
    kind: str | None = None,
    work_package_id: int | None = None,
    owner_id: int | None = None,
    source: str | None = None,
    active_only: bool = False,
) -> list[Obj]:
    """The entries you may see, active and most severe first, with the ladder rung and the time left."""
    with db.uow(readonly=True) as s:
        return conflicts.list_conflicts(s, actor, project_id, status=status, level=level, severity=severity,
                                        kind=kind, work_package_id=work_package_id, owner_id=owner_id,
                                        source=source, active_only=active_only)  # fmt: skip


@router.post(P + "/conflicts", response_model=Obj, status_code=201)
def raise_conflict(project_id: int, body: S.ConflictIn, actor: CurrentActor, db: DB) -> Obj:
    """Log a conflict; it starts with the Task Leader of its work package (the PM when there is none)."""
    d = body.model_dump(exclude_none=True)
    parties = [p.model_dump(exclude_none=True) for p in body.parties]
    d.pop("parties", None)
    with db.uow() as s:
        return conflicts.raise_conflict(s, actor, project_id, parties=parties, **d)


@router.get(C, response_model=Obj)
def get_conflict(project_id: int, conflict_id: int, actor: CurrentActor, db: DB) -> Obj:
    """The entry with its parties and journal."""
    with db.uow(readonly=True) as s:
        return conflicts.get_conflict(s, actor, project_id, conflict_id)


@router.patch(C, response_model=Obj)
def update_conflict(
    project_id: int, conflict_id: int, body: S.ConflictPatch, actor: CurrentActor, db: DB
) -> Obj:
    d = body.model_dump(exclude_unset=True)
    version = d.pop("version")
    with db.uow() as s:
        return conflicts.update_conflict(s, actor, project_id, conflict_id, version, **d)


@router.post(C + "/resolve", response_model=Obj)
def resolve(project_id: int, conflict_id: int, body: S.ResolveIn, actor: CurrentActor, db: DB) -> Obj:
    """Record the approach and the outcome."""
    with db.uow() as s:
        return conflicts.resolve(s, actor, project_id, conflict_id, body.version, outcome=body.outcome,
                                 approach=body.approach)  # fmt: skip


@router.post(C + "/close", response_model=Obj)
def close(project_id: int, conflict_id: int, body: S.VersionIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return conflicts.close(s, actor, project_id, conflict_id, body.version)


@router.post(C + "/reopen", response_model=Obj)
def reopen(project_id: int, conflict_id: int, body: S.ReasonIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return conflicts.reopen(s, actor, project_id, conflict_id, body.version, body.reason or "")


@router.post(C + "/escalate", response_model=Obj)
def escalate(project_id: int, conflict_id: int, body: S.ReasonIn, actor: CurrentActor, db: DB) -> Obj:
    """Move it one rung up the ladder now."""
    with db.uow() as s:
        return conflicts.escalate(s, actor, project_id, conflict_id, body.version, body.reason or "")


@router.post(C + "/parties", response_model=Obj, status_code=201)
def add_party(project_id: int, conflict_id: int, body: S.PartyIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return conflicts.add_party(s, actor, project_id, conflict_id, **body.model_dump(exclude_none=True))


@router.delete(C + "/parties/{party_id}", response_model=Obj)
def remove_party(project_id: int, conflict_id: int, party_id: int, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return conflicts.remove_party(s, actor, project_id, conflict_id, party_id)


@router.get(P + "/conflict-policy", response_model=Obj)
def get_policy(project_id: int, actor: CurrentActor, db: DB) -> Obj:
    """The escalation ladder's time limits."""
    with db.uow(readonly=True) as s:
        return conflicts.get_policy(s, actor, project_id)


@router.put(P + "/conflict-policy", response_model=Obj)
def set_policy(project_id: int, body: S.PolicyIn, actor: CurrentActor, db: DB) -> Obj:
    """The PM sets the hours a conflict may stay with the Task Leader and with the PM."""
    with db.uow() as s:
        return conflicts.set_policy(s, actor, project_id, body.version, task_leader_hours=body.task_leader_hours,
                                    pm_hours=body.pm_hours)  # fmt: skip


@router.post(P + "/conflicts/detect", response_model=Obj)
def detect(project_id: int, actor: CurrentActor, db: DB) -> Obj:
    """Run the detectors now (over-allocation, violated constraints, budget overruns): opens, updates and
    closes detected entries; idempotent."""
    with db.uow() as s:
        return conflict_detect.detect(s, actor, project_id)


@router.post(P + "/risks/{risk_id}/conflict", response_model=Obj, status_code=201)
def from_risk(project_id: int, risk_id: int, body: S.FromRecordIn, actor: CurrentActor, db: DB) -> Obj:
    """An occurred risk becomes a conflict entry (the risk's owner or the PM)."""
    with db.uow() as s:
        return conflicts.from_risk(s, actor, project_id, risk_id, **body.model_dump(exclude_none=True))


@router.post(P + "/concerns/{concern_id}/conflict", response_model=Obj, status_code=201)
def from_concern(project_id: int, concern_id: int, body: S.FromRecordIn, actor: CurrentActor, db: DB) -> Obj:
    """A stakeholder's concern becomes a conflict entry (the PM or the department's liaison)."""
    with db.uow() as s:
        return conflicts.from_concern(s, actor, project_id, concern_id, **body.model_dump(exclude_none=True))
