"""Writing outbox rows (the worker, notify/worker.py, delivers them): one row per (event_key, recipient,
channel), in the caller's transaction. Used by `notifications.notify()` and by the change feed
(services/change_feed.py), which the journal calls: this module imports neither."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from charter.persistence.models import JournalEntry, Notification, OutboxMessage
from charter.services.context import now


def _insert_once(s: Session, row: Notification | OutboxMessage) -> None:
    """Add a row guarded by a unique key; on PostgreSQL a concurrent twin loses quietly (savepoint)."""
    if s.get_bind().dialect.name == "postgresql":
        try:
            with s.begin_nested():
                s.add(row)
        except IntegrityError:
            pass
    else:
        s.add(row)


def enqueue(
    s: Session,
    *,
    event_key: str,
    recipient: str,
    channel: str,
    payload: dict[str, Any],
    fresh: bool = False,
    journal_entry: JournalEntry | None = None,
) -> bool:
    """One outbox row, unless this (event, recipient, channel) already has one. True when written.

    `fresh`: the event key was just made unique (a uuid) so no row can have it: neither the look-up nor the
    savepoint is needed (the change feed writes one row per journal entry, hundreds in a bulk change)."""
    if not fresh:
        exists = s.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.event_key == event_key,
                OutboxMessage.recipient == recipient,
                OutboxMessage.channel == channel,
            )
        )
        if exists is not None:
            return False
    t = now()
    row = OutboxMessage(
        event_key=event_key,
        recipient=recipient,
        channel=channel,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=t,
        last_error="",
        created_at=t,
    )
    if journal_entry is not None:  # its id, once flushed, goes out with the event (`journal_id`)
        row.journal_entry = journal_entry
    if fresh:
        s.add(row)
    else:
        _insert_once(s, row)
    return True
