from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response

from charter.api import schemas_notify as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import AmountsRoute
from charter.services import notifications
from charter.services import webhooks as webhook_admin

router = APIRouter(responses=ERRORS, tags=["notifications"], route_class=AmountsRoute)


@router.get("/me/notifications", response_model=S.InboxOut)
def inbox(
    actor: CurrentActor,
    db: DB,
    unread: bool = False,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return {
            "unread": notifications.unread_count(s, actor),
            "items": notifications.list_inbox(s, actor, unread_only=unread, limit=limit, offset=offset),
        }


@router.post("/me/notifications/{notification_id}/read", response_model=S.NotificationOut)
def mark_read(notification_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return notifications.mark_read(s, actor, notification_id)


@router.get("/me/notification-preferences", response_model=list[S.PreferenceOut])
def get_preferences(actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return notifications.get_preferences(s, actor)


@router.put("/me/notification-preferences", response_model=list[S.PreferenceOut])
def set_preferences(body: list[S.PreferenceIn], actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    """Replace all preferences. A kind without a row follows the "*" row; without one: in-app + immediate."""
    with db.uow() as s:
        return notifications.set_preferences(s, actor, [p.model_dump() for p in body])


@router.get("/projects/{project_id}/webhooks", response_model=list[S.WebhookOut])
def list_webhooks(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return webhook_admin.list_webhooks(s, actor, project_id)


@router.post("/projects/{project_id}/webhooks", response_model=S.WebhookOut, status_code=201)
def create_webhook(project_id: int, body: S.WebhookCreate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Deliveries are signed: `X-Charter-Signature: sha256=<HMAC-SHA256 of the body with the secret>`."""
    with db.uow() as s:
        return webhook_admin.create_webhook(s, actor, project_id, **body.model_dump())


@router.patch("/projects/{project_id}/webhooks/{webhook_id}", response_model=S.WebhookOut)
def update_webhook(
    project_id: int, webhook_id: int, body: S.WebhookUpdate, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    d = body.model_dump(exclude_unset=True)
    version = d.pop("version")
    with db.uow() as s:
        return webhook_admin.update_webhook(s, actor, project_id, webhook_id, version, **d)


@router.delete("/projects/{project_id}/webhooks/{webhook_id}", status_code=204, response_class=Response)
def delete_webhook(
    project_id: int, webhook_id: int, actor: CurrentActor, db: DB, version: int = Query(...)
) -> None:
    """Remove a webhook: the one at `version` (stale: 409 with it as it is now, nothing removed)."""
    with db.uow() as s:
        webhook_admin.delete_webhook(s, actor, project_id, webhook_id, version)


@router.get(
    "/projects/{project_id}/webhooks/{webhook_id}/deliveries", response_model=list[S.WebhookDeliveryOut]
)
def webhook_deliveries(
    project_id: int, webhook_id: int, actor: CurrentActor, db: DB, limit: int = Query(20, ge=1, le=200)
) -> list[dict[str, Any]]:
    """The webhook's latest deliveries, newest first: status, attempts and the last error."""
    with db.uow(readonly=True) as s:
        return webhook_admin.webhook_deliveries(s, actor, project_id, webhook_id, limit=limit)


@router.post(
    "/projects/{project_id}/webhooks/{webhook_id}/ping", response_model=S.WebhookDeliveryOut, status_code=202
)
def ping_webhook(project_id: int, webhook_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Queue a `webhook.ping` test event to the webhook (delivered by the worker); 422 if it is inactive."""
    with db.uow() as s:
        return webhook_admin.ping_webhook(s, actor, project_id, webhook_id)


@router.post("/outbox/compact", response_model=S.OutboxCompactOut)
def compact_outbox(
    actor: CurrentActor,
    db: DB,
    older_than_days: int | None = Query(
        None, ge=1, le=36500, description="days since sending (default CHARTER_OUTBOX_KEEP_DAYS)"
    ),
    limit: int = Query(notifications.COMPACT_BATCH, ge=1, le=5000),
) -> dict[str, Any]:
    """Admins: drop the text of up to `limit` deliveries sent more than `older_than_days` ago; each keeps
    its row, kind and subject (what stops a reminder from being sent twice). The worker does this on every
    pass; `more` says the batch was full."""
    with db.uow() as s:
        return notifications.compact_outbox(s, actor, older_than_days=older_than_days, batch=limit)


@router.get("/outbox", response_model=list[S.OutboxOut])
def outbox(
    actor: CurrentActor,
    db: DB,
    status: list[Literal["pending", "sending", "sent", "failed"]] | None = Query(None),
    limit: int = Query(200, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """Admins: deliveries pending, in flight or given up (default), newest first."""
    with db.uow(readonly=True) as s:
        return notifications.list_outbox(s, actor, status=list(status) if status else None, limit=limit)
