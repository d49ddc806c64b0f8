"""A project's webhooks page (/projects/{id}/webhooks), for those who may edit the project: each webhook with
the events it is sent (notification kinds, ticked; change events, typed) and its latest deliveries, and the
forms to add one, change its address, events or state, rotate its secret, send it a test event and remove
it. A new or rotated secret is shown once, on the page that answers the form. Everything goes through
services.notifications, as the API and the CLI do."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain import notifications as kinds
from charter.domain.errors import CharterError, Conflict
from charter.services import projects
from charter.services import webhooks as webhook_admin
from charter.web.app import render
from charter.web.forms import DB, Checked, FormData, Session, req_int

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
    secret: dict[str, Any] | None = None,
) -> HTMLResponse:
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, info.actor, project_id)
        hooks = webhook_admin.list_webhooks(s, info.actor, project_id)
        for h in hooks:
            h["deliveries"] = webhook_admin.webhook_deliveries(s, info.actor, project_id, h["id"], limit=10)
    return render(
        request,
        "webhooks.html",
        {
            "project": project,
            "hooks": hooks,
            "kind_groups": kinds.groups(),
            "kind_label": kinds.label,
            "error": error,
            "values": values or {},
            "secret": secret,
            "typed_events": _events(values or {}),
            "change_events": _changes,
        },
        status,
    )


def _events(form: dict[str, str]) -> list[str]:
    """The ticked kinds (checkboxes named ev_<kind>; none ticked: every kind), then the change events typed in
    `changes` (`change.*`, `change.task` ..., separated by commas or spaces)."""
    ticked = [k.removeprefix("ev_") for k, v in form.items() if k.startswith("ev_") and v == "on"]
    return ticked + form.get("changes", "").replace(",", " ").split()


def _changes(events: list[str]) -> str:
    """A webhook's change events as the `changes` field shows them."""
    return " ".join(e for e in events if e not in kinds.KINDS)


def _failed(
    request: Request,
    db: DB,
    info: Any,
    project_id: int,
    form_name: str,
    exc: CharterError,
    form: dict[str, str],
) -> HTMLResponse:
    """The page again with the message beside the form and what was typed kept; a role that may not manage
    webhooks (403) and a webhook of another project (404) are the error page, as elsewhere."""
    if exc.http_status in (403, 404) and exc.field in (None, "project"):
        raise exc
    message = exc.message
    if isinstance(exc, Conflict):
        message += " — the page now shows the current webhook; make your change again"
    return _page(request, db, info, project_id, status=exc.http_status,
                 error={"form": form_name, "message": message, "field": exc.field},
                 values={**form, "_form": form_name})  # fmt: skip


def _back(project_id: int, webhook_id: int | None = None) -> RedirectResponse:
    anchor = f"#hook-{webhook_id}" if webhook_id else ""
    return RedirectResponse(f"/projects/{project_id}/webhooks{anchor}", status_code=303)


@router.get("/projects/{project_id}/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _page(request, db, info, project_id)


@router.post("/projects/{project_id}/webhooks", response_class=HTMLResponse)
def add_webhook(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        with db.uow() as s:
            hook = webhook_admin.create_webhook(s, info.actor, project_id, url=form.get("url", ""),
                                                events=_events(form), active=form.get("active") == "on")  # fmt: skip
    except CharterError as exc:
        return _failed(request, db, info, project_id, "create", exc, form)
    return _page(
        request, db, info, project_id, status=201, secret={"id": hook["id"], "value": hook["secret"]}
    )


@router.post("/projects/{project_id}/webhooks/{webhook_id}", response_class=HTMLResponse)
def change_webhook(
    request: Request, project_id: int, webhook_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    name = f"edit-{webhook_id}"
    try:
        with db.uow() as s:
            webhook_admin.update_webhook(s, info.actor, project_id, webhook_id, req_int(form, "version"),
                                         url=form.get("url", ""), events=_events(form),
                                         active=form.get("active") == "on")  # fmt: skip
    except CharterError as exc:
        return _failed(request, db, info, project_id, name, exc, form)
    return _back(project_id, webhook_id)


@router.post("/projects/{project_id}/webhooks/{webhook_id}/rotate", response_class=HTMLResponse)
def rotate_secret(
    request: Request, project_id: int, webhook_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    try:
        with db.uow() as s:
            hook = webhook_admin.update_webhook(
                s, info.actor, project_id, webhook_id, req_int(form, "version"), rotate_secret=True
            )
    except CharterError as exc:
        return _failed(request, db, info, project_id, f"rotate-{webhook_id}", exc, form)
    return _page(request, db, info, project_id, secret={"id": webhook_id, "value": hook["secret"]})


@router.post("/projects/{project_id}/webhooks/{webhook_id}/ping", response_class=HTMLResponse)
def ping(
    request: Request, project_id: int, webhook_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    try:
        with db.uow() as s:
            webhook_admin.ping_webhook(s, info.actor, project_id, webhook_id)
    except CharterError as exc:
        return _failed(request, db, info, project_id, f"ping-{webhook_id}", exc, form)
    return _back(project_id, webhook_id)


@router.post("/projects/{project_id}/webhooks/{webhook_id}/delete", response_class=HTMLResponse)
def remove(
    request: Request, project_id: int, webhook_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    try:
        with db.uow() as s:
            webhook_admin.delete_webhook(s, info.actor, project_id, webhook_id, req_int(form, "version"))
    except CharterError as exc:
        return _failed(request, db, info, project_id, f"delete-{webhook_id}", exc, form)
    return _back(project_id)
