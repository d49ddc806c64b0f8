"""Saved views of a project's task list: GET/POST /projects/{id}/views, GET/PATCH/DELETE …/views/{view_id};
a task list applies one with `GET /projects/{id}/tasks?view={view_id}`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from charter.api import schemas as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.services import views

router = APIRouter(responses=ERRORS, tags=["schedule"])


@router.get("/projects/{project_id}/views", response_model=list[S.ViewOut], response_model_exclude_none=True)
def list_views(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    """Your views of the project's task list and the shared ones, by name."""
    with db.uow(readonly=True) as s:
        return views.list_views(s, actor, project_id)


@router.post(
    "/projects/{project_id}/views",
    response_model=S.ViewOut,
    status_code=201,
    response_model_exclude_none=True,
)
def create_view(project_id: int, body: S.ViewIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Save a view of your own; `shared: true` shows it to everyone who sees the project (project.edit). 409
    when you have a view of that name."""
    with db.uow() as s:
        return views.create_view(s, actor, project_id, name=body.name, shared=body.shared,
                                 query=body.query.model_dump(exclude_none=True))  # fmt: skip


@router.get(
    "/projects/{project_id}/views/{view_id}", response_model=S.ViewOut, response_model_exclude_none=True
)
def get_view(project_id: int, view_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return views.get_view(s, actor, project_id, view_id)


@router.patch(
    "/projects/{project_id}/views/{view_id}", response_model=S.ViewOut, response_model_exclude_none=True
)
def update_view(
    project_id: int, view_id: int, body: S.ViewUpdate, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """Rename, share or stop sharing, or save new filters (`query` replaces them whole). Your own views, or
    a shared one with project.edit."""
    d = body.model_dump(exclude_unset=True)
    version = d.pop("version")
    if body.query is not None:
        d["query"] = body.query.model_dump(exclude_none=True)
    with db.uow() as s:
        return views.update_view(s, actor, project_id, view_id, version, **d)


@router.delete("/projects/{project_id}/views/{view_id}", status_code=204, response_class=Response)
def delete_view(
    project_id: int, view_id: int, actor: CurrentActor, db: DB, version: int = Query(...)
) -> Response:
    with db.uow() as s:
        views.delete_view(s, actor, project_id, view_id, version)
    return Response(status_code=204)
