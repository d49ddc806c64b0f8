"""Saved views on the task table: save the table's filters, sort and columns under a name (shared with the
project by the Project Manager), put new filters in a view, rename, delete. Every change goes through
services.views, as the API and the CLI do; the table shows the views and opens one as a link."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain.errors import CharterError
from charter.services import views
from charter.web.forms import DB, Checked, FormData, req_int
from charter.web.task_table import failed_page, link_of, query_of

router = APIRouter()


@router.post("/projects/{project_id}/views", response_class=HTMLResponse)
def save_view(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        with db.uow() as s:
            v = views.create_view(s, info.actor, project_id, name=form.get("name") or "",
                                  query=query_of(form), shared=form.get("shared") == "on")  # fmt: skip
    except CharterError as exc:
        return failed_page(request, db, info, project_id, "view", exc, form)
    return RedirectResponse(link_of(project_id, v), status_code=303)


@router.post("/projects/{project_id}/views/{view_id}", response_class=HTMLResponse)
def change_view(
    request: Request, project_id: int, view_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    """Rename and share or stop sharing (`name`, `shared`), or put the table's filters in it (`filters`)."""
    try:
        changes: dict[str, Any] = {}
        if "name" in form:
            changes["name"] = form["name"]
            changes["shared"] = form.get("shared") == "on"
        if form.get("filters"):
            changes["query"] = query_of(form)
        with db.uow() as s:
            v = views.update_view(s, info.actor, project_id, view_id, req_int(form, "version"), **changes)
    except CharterError as exc:
        return failed_page(request, db, info, project_id, f"view-{view_id}", exc, form)
    return RedirectResponse(link_of(project_id, v), status_code=303)


@router.post("/projects/{project_id}/views/{view_id}/delete", response_class=HTMLResponse)
def delete_view(
    request: Request, project_id: int, view_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    try:
        with db.uow() as s:
            views.delete_view(s, info.actor, project_id, view_id, req_int(form, "version"))
    except CharterError as exc:
        return failed_page(request, db, info, project_id, f"view-{view_id}", exc, form)
    return RedirectResponse(f"/projects/{project_id}/schedule", status_code=303)
