"""Notifications: the in-app inbox, per-user preferences, the outbox's admin views, and `notify()`, which every
use-case calls to tell people (and webhooks) that something happened. Managing a project's webhooks is
services/webhooks.py.

`notify()` writes the inbox entries and the outbox rows in the CALLER'S transaction: if the use-case rolls
back, nobody is told; if it commits, the worker (notify/worker.py) will deliver every row, even after a
crash. One outbox row per (event_key, recipient, channel): calling `notify()` twice for the same event tells
nobody twice.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from charter.config import get_settings
from charter.domain import notifications as kinds
from charter.domain.errors import NotFound, ValidationError
from charter.persistence.models import (
    Notification,
    NotificationPreference,
    OutboxMessage,
    Project,
    User,
    Webhook,
)
from charter.services.authz import require_admin, require_user
from charter.services.context import Actor, now
from charter.services.outbox import _insert_once, enqueue

EMAIL_MODES = ("immediate", "digest", "off")
DEFAULT_PREFERENCE = {"kind": "*", "label": kinds.label(kinds.ANY_KIND), "in_app": True, "email": "immediate"}
ANY_KIND = kinds.ANY_KIND


# --------------------------------------------------------------------------------------------- notify


def _preferences(s: Session, user_ids: list[int], kind: str) -> dict[int, tuple[bool, str]]:
    """user id -> (in_app, email mode) for `kind`: the kind's own row, else the user's "*" row, else the
    default (in-app and immediate email)."""
    rows = s.scalars(
        select(NotificationPreference).where(
            NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind.in_([kind, ANY_KIND])
        )
    ).all()
    out: dict[int, tuple[bool, str]] = {}
    for p in sorted(rows, key=lambda p: p.kind != ANY_KIND):  # "*" first, the specific kind overrides
        out[p.user_id] = (p.in_app, p.email)
    return out


def _attachment_refs(attachments: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    refs = [dict(a) for a in attachments or []]
    for a in refs:
        if not isinstance(a.get("kind"), str) or not a["kind"]:
            raise ValueError("an attachment reference needs a kind")
        if len(json.dumps(a, default=str)) > 1000:
            raise ValueError("an attachment reference is a reference (at most 1000 characters), not a file")
    return refs


def notify(
    s: Session,
    *,
    recipients: list[int],
    kind: str,
    subject: str,
    body: str,
    project_id: int | None = None,
    link: str | None = None,
    event_key: str,
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, int]:
    """Tell `recipients` (user ids) about an event, honouring each one's preferences, and post it to the
    project's webhooks subscribed to `kind`. Runs in the caller's transaction. `event_key` names the event
    (e.g. "task.assigned:42:7"); the same key never notifies the same recipient twice.

    `attachments`: references ({"kind": ..., "filename": ..., plus what the kind's resolver needs}) stored
    with each immediate e-mail; the worker produces the files at send time (notify/worker.py), so they
    survive a restart and the outbox never holds file contents. Digests and webhooks carry no attachments."""
    if not event_key or len(event_key) > 200:
        raise ValueError("notify() needs an event_key of 1-200 characters")
    refs = _attachment_refs(attachments)
    t = now()
    ids = list(dict.fromkeys(recipients))
    users = {u.id: u for u in s.scalars(select(User).where(User.id.in_(ids), User.is_active.is_(True)))}
    prefs = _preferences(s, ids, kind) if ids else {}
    project_key = s.scalar(select(Project.key).where(Project.id == project_id)) if project_id else None
    counts = {"inbox": 0, "email": 0, "webhook": 0}
    for uid in ids:
        user = users.get(uid)
        if user is None:
            continue
        in_app, email_mode = prefs.get(uid, (True, "immediate"))
        digest = email_mode == "digest" and bool(user.email)
        if in_app or digest:
            seen = s.scalar(
                select(Notification.id).where(
                    Notification.user_id == uid, Notification.event_key == event_key
                )
            )
            if seen is None:
                _insert_once(
                    s,
                    Notification(
                        user_id=uid,
                        project_id=project_id,
                        kind=kind,
                        event_key=event_key,
                        subject=subject[:300],
                        body=body,
                        link=link,
                        in_app=in_app,
                        digest=digest,
                        created_at=t,
                    ),
                )
                counts["inbox"] += 1
        if email_mode == "immediate" and user.email:
            text = body + (f"\n\n{get_settings().absolute(link)}" if link else "")
            payload: dict[str, Any] = {"to": user.email, "subject": subject, "body": text, "kind": kind,
                                       "user_id": uid}  # fmt: skip
            if refs:
                payload["attachments"] = refs
            counts["email"] += enqueue(
                s, event_key=event_key, recipient=f"user:{uid}", channel="email", payload=payload
            )
    if project_id is not None:
        hooks = s.scalars(
            select(Webhook).where(Webhook.project_id == project_id, Webhook.active.is_(True))
        ).all()
        event = {
            "event_key": event_key,
            "kind": kind,
            "project_id": project_id,
            "project_key": project_key,
            "subject": subject,
            "body": body,
            "link": link,
            "at": t.isoformat(),
        }
        for hook in hooks:
            if hook.events and kind not in hook.events:
                continue
            counts["webhook"] += enqueue(
                s,
                event_key=event_key,
                recipient=f"webhook:{hook.id}",
                channel="webhook",
                payload={"webhook_id": hook.id, "event": event},
            )
    return counts


# --------------------------------------------------------------------------------------------- inbox


def _note(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "project_id": n.project_id,
        "kind": n.kind,
        "label": kinds.label(n.kind),
        "subject": n.subject,
        "body": n.body,
        "link": n.link,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


def list_inbox(
    s: Session, actor: Actor, *, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    require_user(actor)
    q = select(Notification).where(Notification.user_id == actor.user_id, Notification.in_app.is_(True))
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    q = (
        q.order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(min(limit, 200))
        .offset(offset)
    )
    notes = [_note(n) for n in s.scalars(q)]
    return _without_dead_links(s, actor, notes)


def _without_dead_links(s: Session, actor: Actor, notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A notification keeps what it said, but once its reader can no longer see its project (a hand-over, an
    ended role) its link would lead to a 404: drop the link and say so (`project_visible`)."""
    from charter.services.authz import visible_project_ids

    ids = {n["project_id"] for n in notes if n["project_id"] is not None}
    visible = set(s.scalars(visible_project_ids(s, actor))) if ids else set()
    for n in notes:
        n["project_visible"] = n["project_id"] is None or n["project_id"] in visible
        if not n["project_visible"]:
            n["link"] = None
    return notes


def unread_count(s: Session, actor: Actor) -> int:
    if actor.user_id is None:
        return 0
    q = select(func.count()).where(
        Notification.user_id == actor.user_id, Notification.in_app.is_(True), Notification.read_at.is_(None)
    )
    return s.scalar(q) or 0


def mark_read(s: Session, actor: Actor, notification_id: int) -> dict[str, Any]:
    """Mark one of the caller's own notifications read (another user's is NotFound)."""
    require_user(actor)
    n = s.get(Notification, notification_id)
    if n is None or n.user_id != actor.user_id or not n.in_app:
        raise NotFound(f"notification {notification_id} not found")
    if n.read_at is None:
        n.read_at = now()
    return _note(n)


def mark_all_read(s: Session, actor: Actor) -> int:
    require_user(actor)
    result = s.execute(
        update(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        .values(read_at=now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --------------------------------------------------------------------------------------------- preferences


def get_preferences(s: Session, actor: Actor) -> list[dict[str, Any]]:
    """The caller's preferences; the "*" row (every kind without a row of its own) always comes first."""
    require_user(actor)
    rows = s.scalars(
        select(NotificationPreference)
        .where(NotificationPreference.user_id == actor.user_id)
        .order_by(NotificationPreference.kind)
    ).all()
    out = [{"kind": p.kind, "label": kinds.label(p.kind), "in_app": p.in_app, "email": p.email} for p in rows]
    if not any(p["kind"] == ANY_KIND for p in out):
        out.insert(0, dict(DEFAULT_PREFERENCE))
    out.sort(key=lambda p: (p["kind"] != ANY_KIND, p["kind"]))
    return out


def set_preferences(s: Session, actor: Actor, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replace the caller's preferences with `items` ({kind, in_app, email: immediate|digest|off}); a kind is
    one of `domain.notifications.KINDS` or "*" (a misspelt kind would silently never apply)."""
    require_user(actor)
    if actor.user_id is None:
        raise ValidationError("the system account has no preferences")
    seen: dict[str, dict[str, Any]] = {}
    for n, item in enumerate(items, start=1):
        kind = str(item.get("kind", "")).strip()
        if not kind or len(kind) > 60:
            raise ValidationError(
                f"preference {n}: a preference needs a kind of 1-60 characters ('*' for every kind)",
                field="kind",
            )
        if not kinds.is_known(kind):
            raise ValidationError(
                f"preference {n}: {kind!r} is not a notification kind; one of '*', {', '.join(kinds.KINDS)}",
                field="kind",
            )
        if item.get("email") not in EMAIL_MODES:
            raise ValidationError(
                f"preference {n}: email must be one of {', '.join(EMAIL_MODES)}", field="email"
            )
        seen[kind] = {"kind": kind, "in_app": bool(item.get("in_app", True)), "email": item["email"]}
    existing = {
        p.kind: p
        for p in s.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == actor.user_id)
        )
    }
    for kind, p in existing.items():
        if kind not in seen:
            s.delete(p)
    for kind, item in seen.items():
        row = existing.get(kind)
        if row is None:
            s.add(NotificationPreference(user_id=actor.user_id, **item))
        else:
            row.in_app, row.email = item["in_app"], item["email"]
    s.flush()
    return get_preferences(s, actor)


# --------------------------------------------------------------------------------------------- outbox


def _outbox_row(m: OutboxMessage) -> dict[str, Any]:
    payload = m.payload or {}
    return {
        "id": m.id,
        "event_key": m.event_key,
        "recipient": m.recipient,
        "channel": m.channel,
        "status": m.status,
        "attempts": m.attempts,
        "next_attempt_at": m.next_attempt_at,
        "last_error": m.last_error,
        "locked_by": m.locked_by,
        "sent_at": m.sent_at,
        "created_at": m.created_at,
        "subject": payload.get("subject") or (payload.get("event") or {}).get("subject"),
    }


COMPACT_BATCH = 500


def _compacted(payload: dict[str, Any]) -> dict[str, Any]:
    """What a delivered row keeps: what the delivery lists show (kind, subject, the webhook), not the text."""
    event = payload.get("event")
    if isinstance(event, dict):  # a webhook delivery
        kept = {k: event[k] for k in ("event_key", "kind", "project_id", "subject", "at") if k in event}
        return {"webhook_id": payload.get("webhook_id"), "event": kept}
    return {k: payload[k] for k in ("kind", "subject", "user_id") if k in payload}


def compact_outbox(
    s: Session, actor: Actor, *, older_than_days: int | None = None, batch: int = COMPACT_BATCH
) -> dict[str, Any]:
    """Admins (and the worker, every pass): drop the text of deliveries sent more than `older_than_days` ago
    (default `CHARTER_OUTBOX_KEEP_DAYS`; 0 or less: none). The row stays, with its kind and subject: it is what
    keeps `notify()` from sending the same event again (a reminder a scheduled job finds due every day), and
    what the delivery lists show. Pending, sending and failed rows keep everything (they may be sent or
    retried). At most `batch` rows per call on the worker's pass; the command loops until none are left.
    Derived bookkeeping, not a project's record: not journaled."""
    require_user(actor)
    require_admin(actor)
    days = get_settings().outbox_keep_days if older_than_days is None else older_than_days
    before = now() - timedelta(days=max(days, 0))
    if days <= 0:
        return {"compacted": 0, "before": None, "more": False}
    rows = s.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == "sent", OutboxMessage.compacted_at.is_(None),
               OutboxMessage.sent_at < before)
        .order_by(OutboxMessage.sent_at)
        .limit(max(1, batch))
    ).all()  # fmt: skip
    t = now()
    for m in rows:
        m.payload = _compacted(m.payload or {})
        m.compacted_at = t
    s.flush()
    # a full batch may have left some: the caller asks again (the API's `more`, the command's loop)
    return {"compacted": len(rows), "before": before, "more": len(rows) >= max(1, batch)}


def list_outbox(
    s: Session, actor: Actor, *, status: list[str] | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Admins: deliveries not yet done (pending, sending) or given up (failed), newest first."""
    require_user(actor)
    require_admin(actor)
    wanted = status or ["failed", "pending", "sending"]
    q = (
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(wanted))
        .order_by(OutboxMessage.id.desc())
        .limit(min(limit, 1000))
    )
    return [_outbox_row(m) for m in s.scalars(q)]


def queue_test_email(s: Session, actor: Actor, to: str) -> dict[str, Any]:
    """Admins: queue one test message to `to` (delivered by the worker)."""
    require_user(actor)
    require_admin(actor)
    to = to.strip()
    if "@" not in to or len(to) > 254 or any(c in to for c in "\r\n"):
        raise ValidationError(f"{to!r} is not an email address", field="email")
    key = f"test:{now().isoformat()}:{secrets.token_hex(4)}"
    payload = {
        "to": to,
        "subject": "Charter test message",
        "body": "Charter can send you email.",
        "kind": "test",
    }
    enqueue(s, event_key=key, recipient=f"addr:{to.lower()}", channel="email", payload=payload)
    return {"event_key": key, "to": to}


def send_test_email(s: Session, actor: Actor, to: str) -> dict[str, Any]:
    """Admins: send one message to `to` right now, through the configured SMTP server; errors are reported,
    not queued."""
    from charter.notify import email as mail

    require_user(actor)
    require_admin(actor)
    to = to.strip()
    if "@" not in to or len(to) > 254 or any(c in to for c in "\r\n"):
        raise ValidationError(f"{to!r} is not an email address", field="email")
    cfg = mail.SmtpConfig.from_settings(get_settings())
    try:
        mail.send(cfg, to=to, subject="Charter test message", body="Charter can send you email.")
    except mail.EmailNotConfigured as exc:
        raise ValidationError(str(exc), field="smtp_host") from exc
    except Exception as exc:  # OSError, smtplib.SMTPException
        raise ValidationError(
            f"sending to {to} via {cfg.host}:{cfg.port} failed: {type(exc).__name__}: {exc}",
            field="smtp_host",
        ) from exc
    return {"to": to, "smtp": f"{cfg.host}:{cfg.port}"}
