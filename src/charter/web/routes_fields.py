"""A project's custom fields page: the fields its tasks record beyond the built-in ones (list, add, rename,
change the choices or the order, archive and restore). Every change goes through services.custom_fields, as
the API and the CLI do; the values are set on the task page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain import custom_fields as rules
from charter.domain.errors import CharterError, Conflict
from charter.services import custom_fields, projects, scheduling
from charter.web.app import render
from charter.web.forms import DB, Checked, FormData, Session, opt_int, req_int

router = APIRouter()


def _page(
    request: Request,
    db: DB,
    info: Any,
    project_id: int,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    actor = info.actor
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, actor, project_id)
        caps = projects.capabilities(s, actor, project_id)
        rows = custom_fields.list_fields(s, actor, project_id, archived=True)
        sched = scheduling.get_schedule(s, actor, project_id)
        missing = custom_fields.missing_required(s, project_id)
    used: dict[str, int] = {}  # tasks with a value; a flag counts its "yes" tasks
    for t in sched["tasks"]:
        for name, v in t["custom_fields"].items():
            if v is not None and v is not False:
                used[name] = used.get(name, 0) + 1
    return render(
        request,
        "fields.html",
        {
            "project": project,
            "sched": sched,
            "view": "fields",
            "fields": [f for f in rows if not f["archived"]],
            "archived": [f for f in rows if f["archived"]],
            "used": used,
            "missing": missing,
            "kinds": [k.value for k in rules.FieldKind],
            "may_edit": "project.edit" in caps,
            "error": error,
            "values": values or {},
            **extra,
        },
        status,
    )


def _failed(
    request: Request, db: DB, info: Any, project_id: int, form_name: str, exc: CharterError,
    form: dict[str, str], **extra: Any,
) -> HTMLResponse:  # fmt: skip
    """The page again with the message beside the field and the typed values kept; a refusal of the whole
    action (403) and a field of another project (404) are the error page."""
    if exc.http_status in (403, 404) and exc.field in (None, "field_id", "project"):
        raise exc
    return _page(request, db, info, project_id, status=exc.http_status,
                 error={"form": form_name, "message": exc.message, "field": exc.field},
                 values={**form, "_form": form_name}, **extra)  # fmt: skip


def _back(project_id: int, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(
        f"/projects/{project_id}/fields" + (f"#{anchor}" if anchor else ""), status_code=303
    )


@router.get("/projects/{project_id}/fields", response_class=HTMLResponse)
def fields_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _page(request, db, info, project_id)


@router.post("/projects/{project_id}/fields", response_class=HTMLResponse)
def create_field(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        with db.uow() as s:
            f = custom_fields.create_field(
                s, info.actor, project_id, name=form.get("name") or "", kind=form.get("kind") or "",
                choices=form.get("choices") or None, required=form.get("required") == "on",
                default=form.get("default") or None,
            )  # fmt: skip
    except CharterError as exc:
        return _failed(request, db, info, project_id, "add", exc, form)
    return _back(project_id, f"field-{f['id']}")


@router.post("/projects/{project_id}/fields/{field_id}", response_class=HTMLResponse)
def update_field(
    request: Request, project_id: int, field_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    name = f"edit-{field_id}"
    try:
        changes: dict[str, Any] = {"name": form.get("name") or ""}
        if "choices" in form:
            changes["choices"] = form["choices"]
        position = opt_int(form, "position")
        if position is not None:
            changes["position"] = position
        if "rules" in form:  # the form carries the required box and the default (an unticked box is absent)
            changes["required"] = form.get("required") == "on"
            changes["default"] = form.get("default") or None
        with db.uow() as s:
            custom_fields.update_field(
                s, info.actor, project_id, field_id, req_int(form, "version"), **changes
            )
    except Conflict as exc:
        current = exc.current or {}
        saved = [("name", current.get("name") or ""), ("choices", ", ".join(current.get("choices") or []))]
        return _failed(request, db, info, project_id, name, exc, form,
                       conflict=saved if exc.field == "version" else None)  # fmt: skip
    except CharterError as exc:
        return _failed(request, db, info, project_id, name, exc, form)
    return _back(project_id, f"field-{field_id}")


@router.post("/projects/{project_id}/fields/{field_id}/archive", response_class=HTMLResponse)
def archive_field(
    request: Request, project_id: int, field_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    return _archived(request, project_id, field_id, form, db, info, archived=True)


@router.post("/projects/{project_id}/fields/{field_id}/restore", response_class=HTMLResponse)
def restore_field(
    request: Request, project_id: int, field_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    return _archived(request, project_id, field_id, form, db, info, archived=False)


def _archived(
    request: Request,
    project_id: int,
    field_id: int,
    form: dict[str, str],
    db: DB,
    info: Any,
    *,
    archived: bool,
) -> Response:
    """Archive (hidden from the tasks, values kept) or restore (optionally under a new name)."""
    action = "archive" if archived else "restore"
    try:
        changes: dict[str, Any] = {"archived": archived}
        if not archived and (form.get("name") or "").strip():
            changes["name"] = form["name"]
        with db.uow() as s:
            custom_fields.update_field(
                s, info.actor, project_id, field_id, req_int(form, "version"), **changes
            )
    except CharterError as exc:
        return _failed(request, db, info, project_id, f"{action}-{field_id}", exc, form)
    return _back(project_id, f"field-{field_id}")
