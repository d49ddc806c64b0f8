"""The instance admin's pages: users (/admin/users: the list and a form to add one; /admin/users/{id}: edit
one, set their password, see whether they have a calendar feed address and revoke it) and departments (/admin/departments: the list, add one, rename one or change its
head). Everything goes through services.accounts, services.passwords and services.org, as the API and the
CLI do; those refuse anyone but an instance admin (403). A refusal is shown beside its form with what was
typed kept, passwords excepted: they are never sent back to the browser."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain.errors import CharterError, Conflict, ValidationError
from charter.services import accounts, feeds, org, passwords
from charter.web.app import render
from charter.web.forms import DB, Checked, FormData, Session, opt_int, req_int
from charter.web.session import SESSION_COOKIE

router = APIRouter()

SECRET_FIELDS = ("password", "password_again", "csrf_token")


def _kept(form: dict[str, str], form_name: str) -> dict[str, str]:
    """What a re-rendered form shows again: everything typed but the passwords."""
    return {**{k: v for k, v in form.items() if k not in SECRET_FIELDS}, "_form": form_name}


def _error(exc: CharterError, form_name: str) -> dict[str, Any]:
    """The message beside the form; a refusal that is not about the form (403, 404) is the error page."""
    if exc.http_status in (401, 403, 404) and exc.field is None:
        raise exc
    message = exc.message
    if isinstance(exc, Conflict) and exc.field == "version":
        message += " — the page now shows the saved values; your input is kept"
    return {"form": form_name, "message": message, "field": exc.field}


def _new_password(form: dict[str, str]) -> str:
    """The password typed twice, the same both times."""
    password = form.get("password", "")
    if password != form.get("password_again", ""):
        raise ValidationError("the two passwords differ; type it twice the same", field="password_again")
    return password


# --------------------------------------------------------------------------------------------- users


def _users_page(
    request: Request, db: DB, info: Any, *, error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None, status: int = 200,
) -> HTMLResponse:  # fmt: skip
    with db.uow(readonly=True) as s:
        users = org.users_for_admin(s, info.actor)
        depts = org.list_departments(s, info.actor)
    ctx = {"users": users, "departments": depts, "error": error, "values": values or {}}
    return render(request, "admin_users.html", ctx, status)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, db: DB, info: Session) -> HTMLResponse:
    return _users_page(request, db, info)


@router.post("/admin/users", response_class=HTMLResponse)
def add_user(request: Request, form: FormData, db: DB, info: Checked) -> Response:
    try:
        password = _new_password(form)
        with db.uow() as s:
            u = accounts.create_user(
                s, info.actor, username=form.get("username", ""), display_name=form.get("display_name", ""),
                password=password or None, email=form.get("email"), is_admin=form.get("is_admin") == "on",
                department_id=opt_int(form, "department_id"),
            )  # fmt: skip
    except CharterError as exc:
        error = _error(exc, "add")
        return _users_page(request, db, info, error=error, values=_kept(form, "add"), status=exc.http_status)
    return RedirectResponse(f"/admin/users/{u['id']}?added=1", status_code=303)


def _user_page(
    request: Request, db: DB, info: Any, user_id: int, *, error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None, status: int = 200, notice: str | None = None,
    current: dict[str, Any] | None = None,
) -> HTMLResponse:  # fmt: skip
    with db.uow(readonly=True) as s:
        user = org.user_for_admin(s, info.actor, user_id)
        depts = org.list_departments(s, info.actor)
        feed = feeds.feed_key_status_of(s, info.actor, user_id)
    ctx = {"user": user, "departments": depts, "error": error, "values": values or {}, "notice": notice,
           "is_me": user_id == info.actor.user_id, "current": current, "feed": feed}  # fmt: skip
    return render(request, "admin_user.html", ctx, status)


NOTICES = {
    "added": "The user was added.",
    "saved": "Saved.",
    "password": "The password was set; the user's web sessions are signed out.",
    "feed": "The calendar feed address was revoked; calendars subscribed to it get nothing more.",
    "nofeed": "The user had no calendar feed address; nothing was revoked.",
}


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(request: Request, user_id: int, db: DB, info: Session) -> HTMLResponse:
    notice = next((text for key, text in NOTICES.items() if key in request.query_params), None)
    return _user_page(request, db, info, user_id, notice=notice)


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def edit_user(request: Request, user_id: int, form: FormData, db: DB, info: Checked) -> Response:
    """Display name, e-mail, department, admin and active. The last active admin cannot lose either (409)."""
    try:
        with db.uow() as s:
            u = accounts.update_user(
                s, info.actor, user_id, req_int(form, "version"), display_name=form.get("display_name", ""),
                email=form.get("email"), department_id=opt_int(form, "department_id"),
                is_admin=form.get("is_admin") == "on", is_active=form.get("is_active") == "on",
            )  # fmt: skip
    except CharterError as exc:
        error = _error(exc, "edit")
        current = exc.current if isinstance(exc, Conflict) and exc.field == "version" else None
        return _user_page(request, db, info, user_id, error=error, values=_kept(form, "edit"),
                          status=exc.http_status, current=current)  # fmt: skip
    if user_id == info.actor.user_id and not u["is_active"]:
        return RedirectResponse("/login", status_code=303)  # their own sessions ended with it
    if user_id == info.actor.user_id and not u["is_admin"]:
        return RedirectResponse("/account", status_code=303)  # these pages are no longer theirs
    return RedirectResponse(f"/admin/users/{user_id}?saved=1", status_code=303)


@router.post("/admin/users/{user_id}/password", response_class=HTMLResponse)
def set_password(request: Request, user_id: int, form: FormData, db: DB, info: Checked) -> Response:
    """Set a user's password (typed twice); their web sessions end, the admin's own excepted."""
    try:
        password = _new_password(form)
        with db.uow() as s:
            passwords.reset_password(s, info.actor, user_id, password,
                                     keep_session=request.cookies.get(SESSION_COOKIE))  # fmt: skip
    except CharterError as exc:
        error = _error(exc, "password")
        return _user_page(request, db, info, user_id, error=error, values=_kept(form, "password"),
                          status=exc.http_status)  # fmt: skip
    return RedirectResponse(f"/admin/users/{user_id}?password=set", status_code=303)


@router.post("/admin/users/{user_id}/feed-key/revoke", response_class=HTMLResponse)
def revoke_feed_key(request: Request, user_id: int, db: DB, info: Checked) -> Response:
    """Revoke the user's calendar feed address (a leaked one, say); the user may make a new one themselves."""
    try:
        with db.uow() as s:
            done = feeds.revoke_feed_key_of(s, info.actor, user_id)
    except CharterError as exc:
        error = _error(exc, "feed")
        return _user_page(request, db, info, user_id, error=error, status=exc.http_status)
    return RedirectResponse(f"/admin/users/{user_id}?{'feed' if done['revoked'] else 'nofeed'}=1#feed",
                            status_code=303)  # fmt: skip


# --------------------------------------------------------------------------------------------- departments


def _departments_page(
    request: Request, db: DB, info: Any, *, error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None, status: int = 200,
) -> HTMLResponse:  # fmt: skip
    with db.uow(readonly=True) as s:
        depts = org.departments_for_admin(s, info.actor)
        users = [u for u in accounts.list_users(s, info.actor) if u["is_active"]]
    ctx = {"departments": depts, "users": users, "error": error, "values": values or {}}
    return render(request, "admin_departments.html", ctx, status)


@router.get("/admin/departments", response_class=HTMLResponse)
def departments_page(request: Request, db: DB, info: Session) -> HTMLResponse:
    return _departments_page(request, db, info)


@router.post("/admin/departments", response_class=HTMLResponse)
def add_department(request: Request, form: FormData, db: DB, info: Checked) -> Response:
    try:
        with db.uow() as s:
            d = org.create_department(s, info.actor, name=form.get("name", ""),
                                      head_user_id=opt_int(form, "head_user_id"))  # fmt: skip
    except CharterError as exc:
        return _departments_page(request, db, info, error=_error(exc, "add"), values=_kept(form, "add"),
                                 status=exc.http_status)  # fmt: skip
    return RedirectResponse(f"/admin/departments#dept-{d['id']}", status_code=303)


@router.post("/admin/departments/{dept_id}", response_class=HTMLResponse)
def edit_department(request: Request, dept_id: int, form: FormData, db: DB, info: Checked) -> Response:
    name = f"dept-{dept_id}"
    try:
        with db.uow() as s:
            org.update_department(s, info.actor, dept_id, req_int(form, "version"), name=form.get("name", ""),
                                  head_user_id=opt_int(form, "head_user_id"))  # fmt: skip
    except CharterError as exc:
        return _departments_page(request, db, info, error=_error(exc, name), values=_kept(form, name),
                                 status=exc.http_status)  # fmt: skip
    return RedirectResponse(f"/admin/departments#dept-{dept_id}", status_code=303)
