"""Helpers every page route shares: the signed-in user, form data, CSRF, parsing typed form fields."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Depends, Request

from charter.domain.errors import NotFound, PermissionDenied, ValidationError
from charter.persistence.db import Database
from charter.services.accounts import SessionInfo
from charter.services.context import Actor
from charter.web.session import check_csrf, current_session


async def _form(request: Request) -> dict[str, str]:
    if request.method != "POST":
        return {}
    form = await request.form()
    # a NUL is never meant in a form (PostgreSQL's text cannot hold one: the save failed): dropped
    out = {k: v.replace("\x00", "") for k, v in form.items() if isinstance(v, str)}
    # a custom field's multi choice sends one "cf:NAME" per option, the task table's filters a "cf" and a "cv"
    # per custom field: one per line
    for k in out:
        if k.startswith("cf:") or k in ("cf", "cv"):
            out[k] = "\n".join(v.replace("\x00", "") for v in form.getlist(k) if isinstance(v, str))
    return out


FormData = Annotated[dict[str, str], Depends(_form)]


async def uploaded_file(request: Request, what: str, field: str = "file") -> tuple[bytes, str]:
    """(content, file name) of a form's file up to the instance's upload limit; none chosen, an empty file or
    a larger one is a 422 on `field` (`what`: "a plan file", for the message)."""
    from charter.config import get_settings

    upload = (await request.form()).get(field)
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise ValidationError(f"choose {what}", field=field)
    limit = get_settings().max_upload_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            f"the file is larger than the limit of {limit // (1024 * 1024)} MB", field=field
        )
    if not data:
        raise ValidationError("the file is empty", field=field)
    return data, upload.filename


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


DB = Annotated[Database, Depends(get_db)]


def signed_in(request: Request) -> SessionInfo:
    from charter.web.app import LoginRequired

    info = current_session(request)
    if info is None:
        raise LoginRequired()
    return info


def checked(
    request: Request, form: FormData, info: Annotated[SessionInfo, Depends(signed_in)]
) -> SessionInfo:
    """A signed-in user whose form carries the right CSRF token."""
    if request.method == "POST" and not check_csrf(request, form.get("csrf_token"), info):
        raise PermissionDenied(
            "the form has expired or did not come from Charter; reload the page and try again"
        )
    return info


Session = Annotated[SessionInfo, Depends(signed_in)]
Checked = Annotated[SessionInfo, Depends(checked)]


def actor(info: SessionInfo) -> Actor:
    return info.actor


_WHOLE = re.compile(r"[+-]?[0-9]+")
INT_LIMIT = 2**31  # the database's integer columns hold -2**31 .. 2**31 - 1 (PostgreSQL's integer)


def opt_int(form: dict[str, str], key: str) -> int | None:
    """A whole number typed in a form (an id, a version, a position), None when left empty. ASCII digits
    with an optional sign only ("１２" and "1e3" are not), and within the database's integers: a 40-digit
    "id" is refused here, beside its field, rather than overflowing the query."""
    v = (form.get(key) or "").strip()
    if not v:
        return None
    if not _WHOLE.fullmatch(v):
        raise ValidationError("must be a whole number", field=key)
    n = int(v)
    if not -INT_LIMIT <= n < INT_LIMIT:  # beyond a database integer: it was a 500 when bound to a query
        raise ValidationError(f"must be a whole number below {INT_LIMIT:,}".replace(",", " "), field=key)
    return n


def ids(values: list[Any]) -> list[int]:
    """The ids among a multi-valued field's values (ticked boxes): ASCII digits only ("²" passes isdigit but
    not int); anything else is not an id and is left out."""
    return [
        int(v) for v in values if isinstance(v, str) and v.isascii() and v.isdigit() and int(v) < INT_LIMIT
    ]


def req_int(form: dict[str, str], key: str) -> int:
    v = opt_int(form, key)
    if v is None:
        raise ValidationError("is required", field=key)
    return v


def decision(form: dict[str, str], choices: dict[str, bool]) -> bool:
    """The button a decide form was sent with (`choices`: {"approve": True, "reject": False}); any other value
    is a 422 on `decision`, never read as the second choice."""
    v = (form.get("decision") or "").strip()
    if v not in choices:
        raise ValidationError(f"choose {' or '.join(choices)}", field="decision")
    return choices[v]


def opt_date(form: dict[str, str], key: str) -> date | None:
    v = (form.get(key) or "").strip()
    if not v:
        return None
    try:
        return date.fromisoformat(v)
    except ValueError:
        raise ValidationError("must be a date (YYYY-MM-DD)", field=key) from None


def opt_datetime(form: dict[str, str], key: str) -> datetime | None:
    """A datetime-local field (taken as UTC) or a plain date (midnight UTC)."""
    v = (form.get(key) or "").strip()
    if not v:
        return None
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        raise ValidationError("must be a date and time (YYYY-MM-DD HH:MM)", field=key) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def errors_of(exc: Exception, form_name: str) -> dict[str, Any]:
    from charter.domain.errors import CharterError

    if isinstance(exc, CharterError):
        return {"form": form_name, "message": exc.message, "field": exc.field}
    raise exc


def unknown_action(what: str) -> NotFound:
    """The answer of a route ending in an action name (`/{what}`) to a name it does not handle: there is no
    such page to post to, so 404 like any other unknown URL (each such route keeps its names in a frozenset
    that the web permission matrix compares with its rows)."""
    return NotFound(f"unknown action {what!r}", field="action")
