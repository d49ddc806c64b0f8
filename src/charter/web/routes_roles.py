"""Forms that change who holds which role, custom roles and the RACI matrix."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from charter.domain.errors import CharterError, Conflict, NotFound
from charter.services import roles
from charter.services.authz import project_for
from charter.web.forms import DB, Checked, FormData, opt_datetime, opt_int, req_int
from charter.web.routes_projects import form_failed

router = APIRouter()


def _back(
    project_id: int, anchor: str, db: DB | None = None, info: Checked | None = None
) -> RedirectResponse:
    """Back to the project; to the project list if the change took away the actor's last role in it."""
    if db is not None and info is not None:
        with db.uow(readonly=True) as s:
            try:
                project_for(s, info.actor, project_id)
            except NotFound:
                return RedirectResponse("/projects", status_code=303)
    return RedirectResponse(f"/projects/{project_id}#{anchor}", status_code=303)


@router.post("/projects/{project_id}/assignments")
def assign(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        role_id = req_int(form, "role_id")
        user_id = req_int(form, "user_id")
        scope_id = opt_int(form, "work_package_id") or opt_int(form, "department_id")
        with db.uow() as s:
            roles.assign_role(
                s,
                info.actor,
                project_id,
                role_id=role_id,
                user_id=user_id,
                scope_id=scope_id,
                valid_from=opt_datetime(form, "valid_from"),
                valid_until=opt_datetime(form, "valid_until"),
                note=form.get("note", ""),
            )
    except CharterError as exc:
        return form_failed(request, db, info, project_id, "assign", exc, form)
    return _back(project_id, "roles")


@router.post("/projects/{project_id}/assignments/{assignment_id}/end")
def end(
    request: Request, project_id: int, assignment_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    try:
        with db.uow() as s:
            roles.end_assignment(
                s, info.actor, project_id, assignment_id, req_int(form, "version"), note=form.get("note", "")
            )
    except CharterError as exc:
        if exc.http_status == 404:
            raise
        return form_failed(request, db, info, project_id, "end", exc, form)
    return _back(project_id, "roles", db, info)


@router.post("/projects/{project_id}/handover")
def hand_over(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        with db.uow() as s:
            roles.hand_over(
                s,
                info.actor,
                project_id,
                role_id=req_int(form, "role_id"),
                to_user_id=req_int(form, "to_user_id"),
                scope_id=opt_int(form, "scope_id"),
                at=opt_datetime(form, "at"),
                note=form.get("note", ""),
            )
    except CharterError as exc:
        return form_failed(request, db, info, project_id, "handover", exc, form)
    return _back(project_id, "history", db, info)


@router.post("/projects/{project_id}/roles")
def create_role(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        based_on = form.get("based_on") or None
        with db.uow() as s:
            roles.create_role(
                s,
                info.actor,
                project_id,
                name=form.get("name", ""),
                scope_kind=form.get("scope_kind") or "project",
                based_on=based_on,
                description=form.get("description", ""),
                exclusive=form.get("exclusive") == "on",
            )
    except CharterError as exc:
        return form_failed(request, db, info, project_id, "role", exc, form)
    return _back(project_id, "roles")


@router.post("/projects/{project_id}/roles/{role_id}")
def edit_role(
    request: Request, project_id: int, role_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    """Change a role, as PATCH …/roles/{role_id} and `charter role update` do: a built-in role's description;
    a custom role's name, description, one holder per scope and permissions (a ticked box per permission;
    `permissions_shown` says the boxes were on the form, so that none ticked means none)."""
    form_name = f"re-{role_id}"
    try:
        changes: dict[str, Any] = {k: form[k] for k in ("name", "description") if k in form}
        if form.get("permissions_shown"):
            changes["exclusive"] = form.get("exclusive") == "on"
            changes["permissions"] = [k.removeprefix("perm:") for k in form if k.startswith("perm:")]
        version = req_int(form, "version")
        with db.uow() as s:
            roles.update_role(s, info.actor, project_id, role_id, version, **changes)
    except CharterError as exc:
        if exc.http_status == 404:
            raise
        current = exc.current if isinstance(exc, Conflict) else None
        return form_failed(request, db, info, project_id, form_name, exc, form, current=current)
    return _back(project_id, "roles")


@router.post("/projects/{project_id}/raci")
def set_raci(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        with db.uow() as s:
            roles.set_raci(
                s,
                info.actor,
                project_id,
                area=form.get("area", ""),
                role_id=req_int(form, "role_id"),
                letter=form.get("letter") or None,
            )
    except CharterError as exc:
        return form_failed(request, db, info, project_id, "raci", exc, form)
    return _back(project_id, "raci")
