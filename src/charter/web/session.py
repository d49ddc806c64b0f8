"""Web sessions and CSRF for the server-rendered pages.

Signed-in pages carry the session's CSRF token in every form; the login form, before any session exists,
uses a double-submit cookie. Both are compared in constant time.
"""

from __future__ import annotations

import hmac

from fastapi import Request
from starlette.responses import Response

from charter.config import get_settings
from charter.persistence.db import Database
from charter.services import accounts
from charter.services.accounts import SessionInfo

SESSION_COOKIE = "charter_session"
PRELOGIN_COOKIE = "charter_csrf"
_MISSING = object()


def cookie_secure(request: Request) -> bool:
    forced = get_settings().cookie_secure
    return forced if forced is not None else request.url.scheme == "https"


def current_session(request: Request) -> SessionInfo | None:
    cached = getattr(request.state, "charter_session_info", _MISSING)
    if cached is not _MISSING:
        return cached if isinstance(cached, SessionInfo) else None
    db: Database = request.app.state.db
    cookie = request.cookies.get(SESSION_COOKIE)
    info = None
    if cookie:
        with db.uow() as s:
            info = accounts.resolve_session(s, cookie)
    request.state.charter_session_info = info
    return info


def set_session_cookie(request: Request, response: Response, value: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )


def check_csrf(request: Request, submitted: str | None, info: SessionInfo | None) -> bool:
    if not submitted:
        return False
    expected = info.csrf_token if info else request.cookies.get(PRELOGIN_COOKIE)
    return bool(expected) and hmac.compare_digest(submitted.encode(), (expected or "").encode())


def check_login_csrf(request: Request, submitted: str | None) -> bool:
    """The sign-in form: its double-submit token matches the pre-login cookie, or the browser itself says the
    form was posted from a page of this origin (`Sec-Fetch-Site: same-origin`, which no other site can make a
    browser send) and any `Origin` it names is this one. The second half keeps a form valid when another tab
    or a request racing the page replaced the cookie (the user saw "The form expired" for no reason); a
    cross-site or same-site (other subdomain) post, or one without a token at all, is still refused."""
    if check_csrf(request, submitted, None):
        return True
    if not submitted or request.headers.get("sec-fetch-site") != "same-origin":
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return origin.rstrip("/") == f"{request.url.scheme}://{request.url.netloc}"
