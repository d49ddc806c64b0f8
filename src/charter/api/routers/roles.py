from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query

from charter.api import schemas as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import AmountsRoute
from charter.services import roles

router = APIRouter(responses=ERRORS, tags=["roles"], route_class=AmountsRoute)


@router.get("/projects/{project_id}/roles", response_model=list[S.RoleOut])
def list_roles(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return roles.list_roles(s, actor, project_id)


@router.post("/projects/{project_id}/roles", response_model=S.RoleOut, status_code=201)
def create_role(project_id: int, body: S.RoleCreate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Create a custom role at any time in the project's life."""
    with db.uow() as s:
        return roles.create_role(s, actor, project_id, **body.model_dump())


@router.patch("/projects/{project_id}/roles/{role_id}", response_model=S.RoleOut)
def update_role(
    project_id: int, role_id: int, body: S.RoleUpdate, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    version = changes.pop("version")
    with db.uow() as s:
        return roles.update_role(s, actor, project_id, role_id, version, **changes)


@router.get("/projects/{project_id}/assignments", response_model=list[S.AssignmentOut])
def list_assignments(
    project_id: int,
    actor: CurrentActor,
    db: DB,
    current: bool = Query(False, description="only assignments held now; otherwise the whole history"),
) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return roles.list_assignments(s, actor, project_id, current_only=current)


@router.post("/projects/{project_id}/assignments", response_model=S.AssignmentOut, status_code=201)
def assign(project_id: int, body: S.AssignmentCreate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return roles.assign_role(s, actor, project_id, **body.model_dump())


@router.post("/projects/{project_id}/assignments/{assignment_id}/end", response_model=S.AssignmentOut)
def end(
    project_id: int, assignment_id: int, body: S.AssignmentEnd, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    with db.uow() as s:
        return roles.end_assignment(
            s, actor, project_id, assignment_id, body.version, at=body.at, note=body.note
        )


@router.post("/projects/{project_id}/handovers", response_model=S.HandoverOut, status_code=201)
def hand_over(project_id: int, body: S.HandoverCreate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Hand a role to someone else in one action: one assignment ends as the other starts."""
    with db.uow() as s:
        return roles.hand_over(s, actor, project_id, **body.model_dump())


@router.get("/projects/{project_id}/raci", response_model=S.RaciOut)
def get_raci(project_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return roles.raci(s, actor, project_id)


@router.put("/projects/{project_id}/raci/{area}/{role_id}", response_model=S.RaciOut)
def set_raci(
    project_id: int,
    role_id: int,
    body: S.RaciSet,
    actor: CurrentActor,
    db: DB,
    area: str = Path(max_length=20),
) -> dict[str, Any]:
    """Set one cell; making a role Accountable moves accountability (the previous one becomes R)."""
    with db.uow() as s:
        return roles.set_raci(
            s, actor, project_id, area=area, role_id=role_id, letter=body.letter, version=body.version
        )


@router.get("/projects/{project_id}/gaps", response_model=list[S.GapOut])
def get_gaps(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    """Responsibility gaps: areas with no accountable role, or whose accountable role nobody holds now."""
    with db.uow(readonly=True) as s:
        return roles.gaps(s, actor, project_id)
