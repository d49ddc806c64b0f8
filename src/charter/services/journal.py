"""The journal: who changed what, when, each field before -> after, and why (for changes the system makes)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from charter.persistence.models import JournalEntry, User
from charter.services import change_feed
from charter.services.context import Actor, now

# secrets, and bookkeeping that is not the record's content: the version (the entry's own order says it) and
# the plan cache's revision stamp (`plan_rev`, rewritten by the database on every update of a plan row)
SKIP = {"password_hash", "token_hash", "feed_key_hash", "version", "plan_rev"}


def _plain(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, Enum):
        return v.value
    return v


def snapshot(row: Any) -> dict[str, Any]:
    mapper = inspect(row).mapper
    return {c.key: _plain(getattr(row, c.key)) for c in mapper.column_attrs if c.key not in SKIP}


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    before = before or {}
    after = after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def record(
    s: Session,
    actor: Actor,
    *,
    entity_type: str,
    entity_id: Any,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    project_id: int | None = None,
    cause: str | None = None,
) -> JournalEntry | None:
    changes = diff(before, after)
    if action == "update" and not changes:
        return None
    entry = JournalEntry(
        at=now(),
        actor_id=actor.user_id,
        project_id=project_id,
        entity_type=entity_type,
        entity_id=str(entity_id),
        action=action,
        changes=changes,
        cause=cause,
    )
    s.add(entry)
    change_feed.publish(s, actor, entry)  # the project's webhooks subscribed to its changes
    return entry


def entries(
    s: Session,
    *,
    project_id: int | None = None,
    entity_type: str | None = None,
    entity_id: Any = None,
    limit: int = 200,
    offset: int = 0,
    hide_entity_types: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Newest first (by the time of the change, then by id: a record dated in the past, as an import's or the
    demo's history, takes its place in time); `hide_entity_types` leaves out records the reader may not see there (a record's own page
    shows its history to those who may see it)."""
    q = select(JournalEntry, User.username).outerjoin(User, User.id == JournalEntry.actor_id)
    if hide_entity_types:
        q = q.where(JournalEntry.entity_type.not_in(hide_entity_types))
    if project_id is not None:
        q = q.where(JournalEntry.project_id == project_id)
    if entity_type is not None:
        q = q.where(JournalEntry.entity_type == entity_type)
    if entity_id is not None:
        q = q.where(JournalEntry.entity_id == str(entity_id))
    q = q.order_by(JournalEntry.at.desc(), JournalEntry.id.desc()).limit(limit).offset(offset)
    return [
        {
            "id": e.id,
            "at": e.at,
            "actor": username or "system",
            "actor_id": e.actor_id,
            "project_id": e.project_id,
            "entity_type": e.entity_type,
            "entity_id": e.entity_id,
            "action": e.action,
            "changes": e.changes,
            "cause": e.cause,
        }
        for e, username in s.execute(q)
    ]
