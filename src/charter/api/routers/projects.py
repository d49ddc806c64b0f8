from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from charter.api import schemas as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import AmountsRoute
from charter.services import journal, projects, work_packages
from charter.services import project_journal as journal_view
from charter.services.authz import require_admin

router = APIRouter(responses=ERRORS, route_class=AmountsRoute)


@router.get("/projects", response_model=list[S.ProjectBrief], tags=["projects"])
def list_projects(
    actor: CurrentActor, db: DB, include_deleted: bool = Query(False, description="admins only")
) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return projects.list_projects(s, actor, include_deleted=include_deleted)


@router.post("/projects", response_model=S.ProjectOut, status_code=201, tags=["projects"])
def create_project(body: S.ProjectCreate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return projects.create_project(s, actor, **body.model_dump())


@router.get("/projects/{project_id}", response_model=S.ProjectOut, tags=["projects"])
def get_project(project_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return projects.get_project(s, actor, project_id)


@router.patch("/projects/{project_id}", response_model=S.ProjectOut, tags=["projects"])
def update_project(project_id: int, body: S.ProjectUpdate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    version = changes.pop("version")
    with db.uow() as s:
        return projects.update_project(s, actor, project_id, version, **changes)


@router.delete("/projects/{project_id}", response_model=S.ProjectOut, tags=["projects"])
def delete_project(project_id: int, actor: CurrentActor, db: DB, version: int = Query(...)) -> dict[str, Any]:
    """Soft delete. An admin can restore the project."""
    with db.uow() as s:
        return projects.delete_project(s, actor, project_id, version)


@router.post("/projects/{project_id}/restore", response_model=S.ProjectOut, tags=["projects"])
def restore_project(project_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return projects.restore_project(s, actor, project_id)


@router.get("/projects/{project_id}/work-packages", response_model=list[S.WorkPackageOut], tags=["work"])
def list_wps(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return work_packages.list_work_packages(s, actor, project_id)


@router.post(
    "/projects/{project_id}/work-packages", response_model=S.WorkPackageOut, status_code=201, tags=["work"]
)
def create_wp(project_id: int, body: S.WorkPackageCreate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return work_packages.create_work_package(s, actor, project_id, **body.model_dump())


@router.patch("/projects/{project_id}/work-packages/{wp_id}", response_model=S.WorkPackageOut, tags=["work"])
def update_wp(
    project_id: int, wp_id: int, body: S.WorkPackageUpdate, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    version = changes.pop("version")
    with db.uow() as s:
        return work_packages.update_work_package(s, actor, project_id, wp_id, version, **changes)


@router.get("/projects/{project_id}/journal", response_model=list[S.JournalOut], tags=["journal"])
def project_journal(
    project_id: int,
    actor: CurrentActor,
    db: DB,
    entity_type: str | None = Query(None, max_length=40),
    entity_id: str | None = Query(None, max_length=80),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    """The project's journal, newest first; filter by record to see one record's history."""
    with db.uow(readonly=True) as s:
        return journal_view.entries(
            s,
            actor,
            project_id,
            entity_type=entity_type,
            entity_id=entity_id,
            limit=limit,
            offset=offset,
        )


@router.get("/journal", response_model=list[S.JournalOut], tags=["journal"])
def instance_journal(
    actor: CurrentActor,
    db: DB,
    entity_type: str | None = Query(None, max_length=40),
    entity_id: str | None = Query(None, max_length=80),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    """The whole instance's journal (users, departments, every project): admins only."""
    with db.uow(readonly=True) as s:
        require_admin(actor)
        return journal.entries(s, entity_type=entity_type, entity_id=entity_id, limit=limit, offset=offset)
