"""Your calendar feed at a secret address (services/feeds.py): make, read and revoke it with a token; calendar
applications read it without one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from charter.api import schemas as S
from charter.api.deps import DB, CurrentActor, limiter
from charter.api.errors_doc import ERRORS
from charter.config import get_settings
from charter.services import feeds

router = APIRouter(tags=["calendar feed"])


@router.get(
    "/feeds/{key}/tasks.ics",
    name="calendar_feed",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "iCalendar feed"},
        404: {**ERRORS[404], "description": "No feed at this address (whatever the reason)"},
        429: ERRORS[429],
    },
)
def calendar_feed(key: str, db: DB) -> Response:
    """The tasks assigned to the owner of this secret address, across their projects, as iCalendar (as
    `GET /me/tasks.ics` gives them): for calendar applications, which subscribe to a URL and cannot send a
    token. No `Authorization` header: the key in the address is the credential. An unknown, replaced or
    revoked key, or one of a deactivated user, is 404 all the same. Rate limited per address like a token."""
    limiter.check(f"feed:{key[:16]}", get_settings().token_rate_per_minute, what="calendar feed address")
    with db.uow(readonly=True) as s:
        data = feeds.tasks_feed(s, key)
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="tasks.ics"', "X-Robots-Tag": "noindex"},
    )


@router.get(
    "/feeds/{key}/projects/{project_id}/milestones.ics",
    name="milestones_feed",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "iCalendar feed"},
        404: {**ERRORS[404], "description": "No feed at this address (whatever the reason)"},
        429: ERRORS[429],
    },
)
def milestones_feed(key: str, project_id: int, db: DB) -> Response:
    """A project's milestones as iCalendar (its iCalendar export), at the secret address of someone who may see
    it, read as them: for a team's shared calendar. An unknown, replaced or revoked key, a deactivated user, or
    a project they may not see is 404 all the same. Rate limited with the owner's task feed."""
    limiter.check(f"feed:{key[:16]}", get_settings().token_rate_per_minute, what="calendar feed address")
    with db.uow(readonly=True) as s:
        data = feeds.milestones_feed(s, key, project_id)
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="milestones.ics"', "X-Robots-Tag": "noindex"},
    )


@router.get("/me/feed-key", response_model=S.FeedKeyOut, responses=ERRORS)
def my_feed_key(actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Whether you have a calendar feed address, and since when (the address itself is never shown again)."""
    with db.uow(readonly=True) as s:
        return feeds.feed_key_status(s, actor)


@router.post("/me/feed-key", response_model=S.FeedKeyCreated, status_code=201, responses=ERRORS)
def new_feed_key(request: Request, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Make a secret address of your calendar feed, replacing any earlier one (which stops working at once).
    The `url` is in this response only."""
    with db.uow() as s:
        made = feeds.make_feed_key(s, actor)
    settings = get_settings()
    public = settings.absolute(made["path"])  # CHARTER_PUBLIC_URL, else where this request came
    url = public if public != made["path"] else str(request.url_for("calendar_feed", key=made["key"]))
    projects = [
        {**p, "url": settings.absolute(p["path"]) if public != made["path"]
         else str(request.url_for("milestones_feed", key=made["key"], project_id=p["project_id"]))}
        for p in made["projects"]
    ]  # fmt: skip
    return {**made, "url": url, "projects": projects}


@router.delete("/me/feed-key", response_model=S.FeedKeyOut, responses=ERRORS)
def revoke_feed_key(actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Revoke your calendar feed address: calendars subscribed to it get 404 from now on. Without one,
    nothing changes."""
    with db.uow() as s:
        return feeds.revoke_feed_key(s, actor)
