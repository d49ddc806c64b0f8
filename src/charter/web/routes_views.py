"""Saved views on the task table: save the table's filters, sort and columns under a name (shared with the
project by the Project Manager), put new filters in a view, rename, delete. Every change goes through
services.views, as the API and the CLI do; the table shows the views and opens one as a link."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain.errors import CharterError
from charter.services import views
from charter.web.forms import DB, Checked, FormData, req_int

router = APIRouter()


def query_of(params: Any) -> dict[str, Any]:
    """The task table's query parameters (q, wp, critical, baseline, cf/cv, cols, sort/dir) as a view's query
    (domain.views); what the view checks is left to it."""
    out: dict[str, Any] = {}
    if (params.get("q") or "").strip():
        out["q"] = params["q"]
    for key, name in (("wp", "work_package_id"), ("baseline", "baseline")):
        if (params.get(key) or "").strip():
            out[name] = params[key].strip()
    if params.get("critical"):
        out["critical"] = True
    if params.get("cols") == "custom":
        out["custom_columns"] = True
    if (params.get("cf") or "").strip():
        out["fields"] = {params["cf"]: params.get("cv") or ""}
    sort = params.get("sort") or "wbs"
    if sort != "wbs" or params.get("dir") == "desc":
        out["sort"] = ("-" if params.get("dir") == "desc" else "") + sort
    return out


def params_of(query: dict[str, Any]) -> dict[str, str]:
    """A view's query as the task table's parameters (the table filters by one custom field: the first)."""
    out: dict[str, str] = {}
    if query.get("q"):
        out["q"] = query["q"]
    if query.get("work_package_id") is not None:
        out["wp"] = str(query["work_package_id"])
    if query.get("critical"):
        out["critical"] = "1"
    if query.get("baseline") is not None:
        out["baseline"] = str(query["baseline"])
    for name, value in list((query.get("fields") or {}).items())[:1]:
        out["cf"], out["cv"] = name, value
    if query.get("custom_columns"):
        out["cols"] = "custom"
    sort = str(query.get("sort") or "")
    if sort:
        out["sort"] = sort.lstrip("-")
        if sort.startswith("-"):
            out["dir"] = "desc"
    return out


def link_of(project_id: int, view: dict[str, Any]) -> str:
    return f"/projects/{project_id}/schedule?" + urlencode({**params_of(view["query"]), "view": view["id"]})


def _failed(request: Request, db: DB, info: Any, project_id: int, form_name: str, exc: CharterError,
            form: dict[str, str]) -> HTMLResponse:  # fmt: skip
    from charter.web.routes_schedule import _table

    if exc.http_status == 404 and exc.field is None:
        raise exc
    err = {"form": form_name, "message": exc.message, "field": exc.field}
    return _table(request, db, info, project_id, error=err, values={**form, "_form": form_name},
                  status=exc.http_status)  # fmt: skip


@router.post("/projects/{project_id}/views", response_class=HTMLResponse)
def save_view(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        with db.uow() as s:
            v = views.create_view(s, info.actor, project_id, name=form.get("name") or "",
                                  query=query_of(form), shared=form.get("shared") == "on")  # fmt: skip
    except CharterError as exc:
        return _failed(request, db, info, project_id, "view", exc, form)
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
        return _failed(request, db, info, project_id, f"view-{view_id}", exc, form)
    return RedirectResponse(link_of(project_id, v), status_code=303)


@router.post("/projects/{project_id}/views/{view_id}/delete", response_class=HTMLResponse)
def delete_view(
    request: Request, project_id: int, view_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    try:
        with db.uow() as s:
            views.delete_view(s, info.actor, project_id, view_id, req_int(form, "version"))
    except CharterError as exc:
        return _failed(request, db, info, project_id, f"view-{view_id}", exc, form)
    return RedirectResponse(f"/projects/{project_id}/schedule", status_code=303)
