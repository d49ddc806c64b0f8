"""The inbox page (/me/inbox): notifications, mark read, and the notification preferences form."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain import notifications as kinds
from charter.domain.errors import CharterError
from charter.services import notifications
from charter.web.app import render
from charter.web.forms import DB, Checked, FormData, Session

router = APIRouter()

EMAIL_CHOICES = (("immediate", "Email at once"), ("digest", "Daily digest"), ("off", "No email"))


def _page(
    request: Request,
    db: DB,
    info: Session,
    *,
    error: str | None = None,
    status: int = 200,
    typed: list[dict[str, Any]] | None = None,
) -> HTMLResponse:
    """The inbox; `typed`: the preference rows as the user submitted them (a refused form keeps them)."""
    with db.uow(readonly=True) as s:
        ctx = {
            "items": notifications.list_inbox(s, info.actor, limit=100),
            "unread": notifications.unread_count(s, info.actor),
            "prefs": typed if typed is not None else notifications.get_preferences(s, info.actor),
            "email_choices": EMAIL_CHOICES,
            "kind_groups": kinds.groups(),
            "any_kind": kinds.ANY_KIND,
            "known_kinds": kinds.KINDS,
            "error": error,
        }
    return render(request, "inbox.html", ctx, status=status)


@router.get("/me/inbox", response_class=HTMLResponse)
def inbox(request: Request, db: DB, info: Session) -> HTMLResponse:
    return _page(request, db, info)


@router.post("/me/inbox/{notification_id}/read", response_class=HTMLResponse)
def read_one(notification_id: int, db: DB, info: Checked) -> Response:
    with db.uow() as s:
        notifications.mark_read(s, info.actor, notification_id)
    return RedirectResponse("/me/inbox", status_code=303)


@router.post("/me/inbox/read-all", response_class=HTMLResponse)
def read_all(db: DB, info: Checked) -> Response:
    with db.uow() as s:
        notifications.mark_all_read(s, info.actor)
    return RedirectResponse("/me/inbox", status_code=303)


@router.post("/me/inbox/preferences", response_class=HTMLResponse)
def save_preferences(request: Request, form: FormData, db: DB, info: Checked) -> Response:
    """Rows named kind_<n>, in_app_<n>, email_<n>; a row with an empty kind is dropped."""
    items = []
    for key, kind in form.items():
        if not key.startswith("kind_") or not kind.strip():
            continue
        n = key.removeprefix("kind_")
        items.append(
            {"kind": kind.strip(), "in_app": form.get(f"in_app_{n}") == "on", "email": form.get(f"email_{n}")}
        )
    try:
        with db.uow() as s:
            notifications.set_preferences(s, info.actor, items)
    except CharterError as exc:
        return _page(request, db, info, error=exc.message, status=exc.http_status, typed=items)
    return RedirectResponse("/me/inbox#preferences", status_code=303)
