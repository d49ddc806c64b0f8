"""A project's webhooks: the PM adds, changes, removes and pings them and sees their latest deliveries. What a
webhook is sent comes from `notifications.notify()` (notification kinds) and the change feed
(services/change_feed.py); the worker (notify/worker.py) posts it, signed (notify/webhooks.py), to a URL
checked against private and internal addresses (notify/netguard.py)."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.config import get_settings
from charter.domain import notifications as kinds
from charter.domain.errors import NotFound, ValidationError, stale
from charter.domain.roles import Perm
from charter.notify.netguard import UnsafeUrl, allow_list, check_url
from charter.persistence.models import OutboxMessage, Webhook
from charter.services import change_feed, journal
from charter.services.authz import project_for
from charter.services.context import Actor, now
from charter.services.outbox import enqueue


def _validate_url(url: str) -> str:
    url = (url or "").strip()
    if not url or len(url) > 2000:
        raise ValidationError("a webhook needs a URL of at most 2000 characters", field="url")
    try:
        check_url(url, allow_list(get_settings().webhook_allow_hosts))
    except UnsafeUrl as exc:
        raise ValidationError(f"webhook URL refused: {exc}", field="url", details={"url": url}) from exc
    return url


def _events(events: list[str] | None) -> list[str]:
    """What a webhook is sent: notification kinds (`domain.notifications.KINDS`; none: every kind) and the
    change feed's events (`change.*`, `change.<entity_type>`: services/change_feed.py), which only an explicit
    subscription receives. A misspelt name would silently never fire, so it is refused, named with its place
    in the list."""
    out = []
    for n, e in enumerate(events or [], start=1):
        kind = str(e).strip()
        if not kind:
            continue
        if kind not in kinds.KINDS and not change_feed.is_change_event(kind):
            raise ValidationError(
                f"event {n}: {kind[:60]!r} is not a notification kind (one of {', '.join(kinds.KINDS)}) or "
                "a change event ('change.*' for every recorded change, or 'change.<entity_type>' in lower case, "
                "e.g. 'change.task', 'change.risk')",
                field="events",
            )
        out.append(kind)
    return list(dict.fromkeys(out))


def _hook(w: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": w.id,
        "project_id": w.project_id,
        "url": w.url,
        "events": list(w.events or []),
        "active": w.active,
        "created_by": w.created_by,
        "created_at": w.created_at,
        "version": w.version,
        "secret_hint": w.secret[:4] + "…",
    }
    if with_secret:
        out["secret"] = w.secret
    return out


def _public(w: Webhook) -> dict[str, Any]:
    return {"url": w.url, "events": list(w.events or []), "active": w.active}


def _get_hook(s: Session, project_id: int, webhook_id: int) -> Webhook:
    w = s.get(Webhook, webhook_id)
    if w is None or w.project_id != project_id:
        raise NotFound(f"webhook {webhook_id} not found")
    return w


def list_webhooks(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    project_for(s, actor, project_id, Perm.PROJECT_EDIT)
    rows = s.scalars(select(Webhook).where(Webhook.project_id == project_id).order_by(Webhook.id))
    return [_hook(w) for w in rows]


def create_webhook(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    url: str,
    events: list[str] | None = None,
    secret: str | None = None,
    active: bool = True,
) -> dict[str, Any]:
    """The PM adds a webhook; the secret (generated unless given) is shown in this answer only."""
    project_for(s, actor, project_id, Perm.PROJECT_EDIT)
    if secret is not None and not 16 <= len(secret) <= 200:
        raise ValidationError("a webhook secret has 16-200 characters", field="secret")
    w = Webhook(
        project_id=project_id,
        url=_validate_url(url),
        secret=secret or secrets.token_urlsafe(32),
        events=_events(events),
        active=active,
        created_by=actor.user_id,
        created_at=now(),
    )
    s.add(w)
    s.flush()
    change_feed.forget(s)
    journal.record(
        s,
        actor,
        entity_type="webhook",
        entity_id=w.id,
        action="create",
        after=_public(w),
        project_id=project_id,
    )
    return _hook(w, with_secret=True)


def update_webhook(
    s: Session, actor: Actor, project_id: int, webhook_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    project_for(s, actor, project_id, Perm.PROJECT_EDIT)
    w = _get_hook(s, project_id, webhook_id)
    if w.version != version:
        raise stale("webhook", version, _hook(w))
    before = _public(w)
    rotated = False
    if "url" in changes:
        w.url = _validate_url(changes["url"])
    if "events" in changes:
        w.events = _events(changes["events"])
    if "active" in changes and changes["active"] is not None:
        w.active = bool(changes["active"])
    if changes.get("rotate_secret"):
        w.secret = secrets.token_urlsafe(32)
        rotated = True
    s.flush()
    change_feed.forget(s)
    journal.record(
        s,
        actor,
        entity_type="webhook",
        entity_id=w.id,
        action="update",
        before={**before, "secret_rotated": False},
        after={**_public(w), "secret_rotated": rotated},
        project_id=project_id,
    )
    return _hook(w, with_secret=rotated)


def delete_webhook(s: Session, actor: Actor, project_id: int, webhook_id: int, version: int) -> None:
    """Remove a webhook: the one at `version`, as it was read (else 409 with it as it is now, and nothing
    removed); deliveries still queued for it fail."""
    project_for(s, actor, project_id, Perm.PROJECT_EDIT)
    w = _get_hook(s, project_id, webhook_id)
    if w.version != version:
        raise stale("webhook", version, _hook(w))
    before = _public(w)
    s.delete(w)
    s.flush()
    change_feed.forget(s)
    journal.record(
        s,
        actor,
        entity_type="webhook",
        entity_id=webhook_id,
        action="delete",
        before=before,
        project_id=project_id,
    )


PING = "webhook.ping"


def _delivery(m: OutboxMessage) -> dict[str, Any]:
    event = (m.payload or {}).get("event") or {}
    return {
        "id": m.id,
        "kind": event.get("kind"),
        "subject": event.get("subject"),
        "status": m.status,
        "attempts": m.attempts,
        "last_error": m.last_error or None,
        "created_at": m.created_at,
        "next_attempt_at": m.next_attempt_at if m.status == "pending" else None,
        "sent_at": m.sent_at,
    }


def webhook_deliveries(
    s: Session, actor: Actor, project_id: int, webhook_id: int, *, limit: int = 20
) -> list[dict[str, Any]]:
    """A webhook's latest deliveries, newest first: what was sent, whether it arrived (pending, sending,
    sent, failed), how many attempts and the last error (as GitHub and GitLab show a hook's recent
    deliveries)."""
    project_for(s, actor, project_id, Perm.PROJECT_EDIT)
    _get_hook(s, project_id, webhook_id)
    q = (
        select(OutboxMessage)
        .where(OutboxMessage.recipient == f"webhook:{webhook_id}", OutboxMessage.channel == "webhook")
        .order_by(OutboxMessage.id.desc())
        .limit(max(1, min(limit, 200)))
    )
    return [_delivery(m) for m in s.scalars(q)]


def ping_webhook(s: Session, actor: Actor, project_id: int, webhook_id: int) -> dict[str, Any]:
    """Queue a `webhook.ping` event to the webhook, whatever kinds it subscribes to, so the receiver can be
    checked end to end; the worker delivers it like any other event. An inactive webhook is sent nothing."""
    p = project_for(s, actor, project_id, Perm.PROJECT_EDIT)
    w = _get_hook(s, project_id, webhook_id)
    if not w.active:
        raise ValidationError(
            "the webhook is inactive: activate it before sending a test event", field="active"
        )
    t = now()
    key = f"ping:{w.id}:{t.isoformat()}:{secrets.token_hex(4)}"
    event = {
        "event_key": key,
        "kind": PING,
        "project_id": project_id,
        "project_key": p.key,
        "subject": "Test event from Charter",
        "body": f"{actor.username or 'Charter'} sent a test event to this webhook.",
        "link": f"/projects/{project_id}/webhooks",
        "at": t.isoformat(),
    }
    enqueue(s, event_key=key, recipient=f"webhook:{w.id}", channel="webhook",
            payload={"webhook_id": w.id, "event": event})  # fmt: skip
    row = s.scalar(select(OutboxMessage).where(OutboxMessage.event_key == key))
    assert row is not None
    return _delivery(row)
