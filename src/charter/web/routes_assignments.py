"""The task page's Assignments section, as MS Project's Assign Resources dialog: assign a resource (a person,
equipment, an environment, a licence ...) with units (a percentage: 50 = half time) and work (hours), change
an assignment's units or work, take it off. Over services.assignments, as the API's POST, PATCH and DELETE
…/tasks/{task_id}/assignments; a refusal re-renders the task page with the error beside its form."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain.errors import CharterError, Conflict, ValidationError
from charter.services import assignments
from charter.web.app import templates
from charter.web.forms import DB, Checked, FormData, req_int
from charter.web.task_page import render_task_page

router = APIRouter()


def units_text(units: float) -> str:
    """Units as the page shows them and the form takes them back: a percentage (0.5 -> "50")."""
    return f"{round(units * 100, 2):g}"


def hours_text(minutes: int | None) -> str:
    """Work in hours, as shown and typed back (960 -> "16")."""
    return f"{round((minutes or 0) / 60, 2):g}"


templates.env.filters["units_pct"] = units_text
templates.env.filters["hours"] = hours_text


def _back(project_id: int, task_id: int) -> RedirectResponse:
    return RedirectResponse(f"/projects/{project_id}/tasks/{task_id}#assignments", status_code=303)


def _failed(
    request: Request,
    db: DB,
    info: Any,
    project_id: int,
    task_id: int,
    name: str,
    exc: CharterError,
    form: dict[str, str],
) -> Response:
    """The task page with the error beside form `name` and what was typed kept; a project or task the caller
    cannot see is the 404 page."""
    if exc.http_status == 404 and exc.field is None:
        raise exc
    if exc.http_status == 403:  # who may not change assignments sees no form: said above the list
        name = "assignments"
    error: dict[str, Any] = {"form": name, "message": exc.message, "field": exc.field}
    if isinstance(exc, Conflict) and exc.current and "units" in exc.current and "units" in form:  # an edit
        error["saved"] = {"units": units_text(exc.current["units"]), "work": hours_text(exc.current["work"])}
    return render_task_page(request, db, info, project_id, task_id, error=error, values={**form, "_form": name},
                      status=exc.http_status)  # fmt: skip


@router.post("/projects/{project_id}/tasks/{task_id}/assignments", response_class=HTMLResponse)
def add_assignment(
    request: Request, project_id: int, task_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    """Assign a resource (or a member of the project who has no resource yet) with units and work."""
    try:
        units = assignments.units_from_percent(form.get("units"))
        work = assignments.work_from_text(form.get("work"))
        with db.uow() as s:
            assignments.assign_key(s, info.actor, project_id, task_id, form.get("resource") or "",
                                   units=1.0 if units is None else units, work=work)  # fmt: skip
    except CharterError as exc:
        return _failed(request, db, info, project_id, task_id, "assign", exc, form)
    return _back(project_id, task_id)


def _typed(form: dict[str, str], key: str, shown: str | None) -> str | None:
    """What the user typed in `key` when it differs from what the form showed (`shown`), else None."""
    v = (form.get(key) or "").strip()
    if v == shown:
        return None
    if not v:
        raise ValidationError("is required", field=key)
    return v


@router.post(
    "/projects/{project_id}/tasks/{task_id}/assignments/{assignment_id}", response_class=HTMLResponse
)
def edit_assignment(
    request: Request, project_id: int, task_id: int, assignment_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    """Change an assignment's units, work or remaining work: only what differs from what the form showed is
    sent (a changed units field keeps the task type's rule for the work, and the other way round; a changed
    remaining work makes the work the hours logged + it)."""
    name = f"assignment-{assignment_id}"
    try:
        version = req_int(form, "version")
        with db.uow() as s:
            rows = assignments.list_assignments(s, info.actor, project_id, task_id)
            now = next((a for a in rows if a["assignment_id"] == assignment_id), None)
            units = _typed(form, "units", units_text(now["units"]) if now else None)
            work = _typed(form, "work", hours_text(now["work_minutes"]) if now else None)
            remaining = (  # a form without the field (or a page of before) states nothing
                _typed(form, "remaining_work", hours_text(now["remaining_work_minutes"]) if now else None)
                if "remaining_work" in form
                else None
            )
            if now and work is not None and remaining is not None:
                remaining = assignments.remaining_unless_follows(s, project_id, now, work, remaining)
            assignments.update_assignment(
                s, info.actor, project_id, task_id, assignment_id, version,
                units=assignments.units_from_percent(units), work=assignments.work_from_text(work),
                remaining_work=assignments.work_from_text(remaining),
            )  # fmt: skip
    except CharterError as exc:
        if exc.http_status == 404 and exc.field == "assignment_id":  # gone: no row to show the error beside
            name = "assignments"
        return _failed(request, db, info, project_id, task_id, name, exc, form)
    return _back(project_id, task_id)


@router.post(
    "/projects/{project_id}/tasks/{task_id}/assignments/{assignment_id}/delete", response_class=HTMLResponse
)
def remove_assignment(
    request: Request, project_id: int, task_id: int, assignment_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    """Take the resource off the task (the assignment as the page showed it: a changed one is 409)."""
    name = f"assignment-{assignment_id}"
    try:
        version = req_int(form, "version")
        with db.uow() as s:
            assignments.remove_assignment(s, info.actor, project_id, task_id, assignment_id, version)
    except CharterError as exc:
        if exc.http_status == 404 and exc.field == "assignment_id":
            name = "assignments"
        return _failed(request, db, info, project_id, task_id, name, exc, form)
    return _back(project_id, task_id)
