"""Login, logout and the account page (your password, API tokens, calendar feed address)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.config import get_settings
from charter.domain.errors import CharterError, NotAuthenticated, TooManyRequests, ValidationError
from charter.services import accounts, desks, feeds, passwords
from charter.web.app import render
from charter.web.forms import DB, Checked, FormData, Session, errors_of
from charter.web.session import (
    PRELOGIN_COOKIE,
    SESSION_COOKIE,
    check_login_csrf,
    current_session,
    set_session_cookie,
)

router = APIRouter()


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/", response_class=RedirectResponse)
def home(request: Request, db: DB) -> RedirectResponse:
    """Where a person lands: their desk when they hold a role in some project, else the project list."""
    info = current_session(request)
    if info is None:
        return RedirectResponse("/projects", status_code=303)
    with db.uow(readonly=True) as s:
        holds = bool(desks.held_roles(s, info.actor))
    return RedirectResponse("/desk" if holds else "/projects", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    if current_session(request):
        return RedirectResponse(_safe_next(next), status_code=303)
    import secrets

    token = request.cookies.get(PRELOGIN_COOKIE) or secrets.token_urlsafe(24)
    return _with_csrf(request, "login.html", {"next": _safe_next(next), "username": "", "error": None}, token)


def _with_csrf(request: Request, name: str, ctx: dict[str, Any], token: str, status: int = 200) -> Response:
    response = render(request, name, {**ctx, "csrf": token}, status)
    prelogin_token_cookie(request, response, token)
    return response


def prelogin_token_cookie(request: Request, response: Response, token: str) -> None:
    from charter.web.session import cookie_secure

    response.set_cookie(
        PRELOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=cookie_secure(request),
        path="/",
    )


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, form: FormData, db: DB) -> Response:
    username = form.get("username", "")
    nxt = _safe_next(form.get("next"))
    token = request.cookies.get(PRELOGIN_COOKIE) or ""
    ctx = {"next": nxt, "username": username}
    if not check_login_csrf(request, form.get("csrf_token")):
        import secrets

        token = secrets.token_urlsafe(24)
        return _with_csrf(
            request, "login.html", {**ctx, "error": "The form expired; please sign in again."}, token, 403
        )
    ip = request.client.host if request.client else "?"
    try:
        with db.uow() as s:
            try:
                user = accounts.authenticate(s, username, form.get("password", ""), ip)
            except NotAuthenticated:
                s.commit()
                raise
            new = accounts.start_session(s, user)
    except (NotAuthenticated, TooManyRequests) as exc:
        status = 429 if isinstance(exc, TooManyRequests) else 401
        page = _with_csrf(request, "login.html", {**ctx, "error": exc.message}, token, status)
        if isinstance(exc, TooManyRequests):
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    response = RedirectResponse(nxt, status_code=303)
    set_session_cookie(request, response, new.cookie, max_age=get_settings().session_hours * 3600)
    response.delete_cookie(PRELOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, form: FormData, info: Checked, db: DB) -> Response:
    with db.uow() as s:
        accounts.end_session(s, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _account(
    request: Request, db: DB, info: Session, status: int | None = None, **extra: object
) -> HTMLResponse:
    with db.uow(readonly=True) as s:
        tokens = accounts.list_tokens(s, info.actor)
        me = accounts.get_user(s, info.actor, info.actor.user_id or 0)
        feed = feeds.feed_key_status(s, info.actor)
    ctx = {"tokens": tokens, "user": me, "new_token": None, "error": None, "values": {}, "changed": None,
           "feed": feed, "new_feed": None}  # fmt: skip
    return render(request, "account.html", {**ctx, **extra}, status or (422 if extra.get("error") else 200))


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, db: DB, info: Session, changed: str | None = None) -> HTMLResponse:
    """`?changed=password` (where the password form redirects) says so above the form."""
    return _account(request, db, info, changed=changed == "password")


@router.post("/account/password", response_class=HTMLResponse)
def change_password(request: Request, form: FormData, db: DB, info: Checked) -> Response:
    """Your own password: the current one, the new one twice. This session stays signed in; your other
    sessions end. An error is shown beside the form; what was typed is never sent back."""
    new = form.get("new_password", "")
    ip = request.client.host if request.client else "?"
    try:
        if new != form.get("new_password_again", ""):
            raise ValidationError(
                "the two new passwords differ; type it twice the same", field="new_password_again"
            )
        with db.uow() as s:
            try:
                passwords.change_password(s, info.actor, form.get("current_password", ""), new,
                                          keep_session=request.cookies.get(SESSION_COOKIE), ip=ip)  # fmt: skip
            except ValidationError as exc:
                if exc.field == "current_password":
                    s.commit()  # keep the failed check on record for throttling (nothing else was written)
                raise
    except CharterError as exc:
        return _account(request, db, info, exc.http_status, error=errors_of(exc, "password"))
    return RedirectResponse("/account?changed=password#password", status_code=303)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(request: Request, form: FormData, db: DB, info: Checked) -> HTMLResponse:
    try:
        days = int(form.get("expires_in_days") or 90)
        with db.uow() as s:
            created = accounts.create_token(s, info.actor, name=form.get("name", ""), expires_in_days=days)
    except ValueError:
        error = {"form": "token", "field": "expires_in_days", "message": "must be a number"}
        return _account(request, db, info, error=error, values=form)
    except CharterError as exc:
        return _account(request, db, info, error=errors_of(exc, "token"), values=form)
    return _account(request, db, info, new_token=created)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: int, form: FormData, db: DB, info: Checked) -> Response:
    with db.uow() as s:
        accounts.revoke_token(s, info.actor, token_id)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/feed-key", response_class=HTMLResponse)
def make_feed_key(request: Request, form: FormData, db: DB, info: Checked) -> HTMLResponse:
    """A new secret address of your calendar feed (the previous one stops working), shown on this page once."""
    with db.uow() as s:
        made = feeds.make_feed_key(s, info.actor)
    settings = get_settings()

    def whole(path: str) -> str:  # CHARTER_PUBLIC_URL, else where this request came
        url = settings.absolute(path)
        return str(request.base_url).rstrip("/") + path if url == path else url

    projects = [{**p, "url": whole(p["path"])} for p in made["projects"]]
    return _account(request, db, info, new_feed={**made, "url": whole(made["path"]), "projects": projects})


@router.post("/account/feed-key/revoke")
def revoke_feed_key(form: FormData, db: DB, info: Checked) -> Response:
    with db.uow() as s:
        feeds.revoke_feed_key(s, info.actor)
    return RedirectResponse("/account#calendar-feed", status_code=303)
