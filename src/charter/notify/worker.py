"""The outbox worker: delivers email and webhook rows, retries with backoff, runs the daily digest.

Delivery is at-least-once, made idempotent by the outbox row:

1. claim (one transaction): due rows -> `sending`, stamped with this worker's name and the time, attempts+1.
   PostgreSQL uses `SELECT ... FOR UPDATE SKIP LOCKED`, so several workers never claim the same row; SQLite
   serialises writers with BEGIN IMMEDIATE and runs a single in-process worker.
2. send, outside any transaction.
3. mark (another transaction): `sent` (never sent again), or back to `pending` with an exponential backoff,
   or `failed` after `max_attempts` (admins see it in GET /outbox).

A worker killed between 1 and 3 leaves a `sending` row; once its lock is older than `lock_seconds` another
worker claims it again. So a message is never lost, and in normal operation (no crash between the SMTP
server accepting a message and step 3) never sent twice for the same event and recipient. A crash in that
narrow window re-sends it: email is at-least-once. Message-ID and X-Charter-Delivery carry the outbox id so
receivers can drop such a repeat.

Attachments are stored in the row as references ({"kind": ..., ...}), never as bytes: at send time the
worker asks the resolver registered for the kind (`attachments`, wired by the composition root) for the
file, so a restarted worker produces the same attachment, and the outbox stays small. A file over the
size limit (or one whose source is gone) is left out and the message says so; a kind this worker has no
resolver for is retried, so a worker that has one sends it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from charter.config import get_settings
from charter.domain.figures import counted
from charter.notify import email as mail
from charter.notify import webhooks
from charter.notify.netguard import UnsafeUrl
from charter.persistence.db import Database
from charter.persistence.models import Notification, OutboxMessage, User, Webhook

log = logging.getLogger("charter.worker")

DIGEST_LOOKBACK_DAYS = 7


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{max(round(n / 1024), 1)} KB"


AttachmentResolver = Callable[[Session, dict[str, Any]], mail.Attachment | None]


class PermanentFailure(Exception):
    """Retrying cannot help (the webhook is gone, its address is refused ...): the row fails at once."""


@dataclass
class RunStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    digests: int = 0


@dataclass(frozen=True)
class Claimed:
    id: int
    event_key: str
    recipient: str
    channel: str
    payload: dict[str, Any]
    attempts: int


def _payload(r: OutboxMessage) -> dict[str, Any]:
    """What is sent: the row's payload; a change-feed event also names its journal entry (`journal_id`)."""
    payload = dict(r.payload)
    event = payload.get("event")
    if r.journal_entry_id is not None and isinstance(event, dict):
        payload["event"] = {**event, "journal_id": r.journal_entry_id}
    return payload


@dataclass
class Worker:
    db: Database
    smtp: mail.SmtpConfig
    allow_hosts: frozenset[str] = frozenset()
    now: Callable[[], datetime] = _utcnow
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    lock_seconds: int = 300  # well above the SMTP and HTTP timeouts
    max_attempts: int = 8
    backoff_seconds: int = 30  # 30 s, 1 min, 2 min ... capped at max_backoff_seconds
    max_backoff_seconds: int = 6 * 3600
    batch: int = 20
    after_claim: Callable[[list[Claimed]], None] | None = None  # tests inject a crash here
    stop: threading.Event = field(default_factory=threading.Event)
    # scheduled jobs of the layers above (reminders, alerts): each runs in its own transaction every pass
    jobs: list[Callable[[Any, datetime], Any]] = field(default_factory=list)
    # attachment kind -> resolver (a read-only session and the stored reference -> the file, or None if gone)
    attachments: dict[str, AttachmentResolver] = field(default_factory=dict)
    _files: dict[str, mail.Attachment | None] = field(
        default_factory=dict, init=False, repr=False
    )  # one drain's cache

    # --- the outbox ---------------------------------------------------------------------------------------

    def channels(self) -> list[str]:
        """Email rows wait (pending) while no SMTP host is configured."""
        return ["email", "webhook"] if self.smtp.host else ["webhook"]

    def claim(self) -> list[Claimed]:
        t = self.now()
        with self.db.uow() as s:
            due = or_(
                and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= t),
                and_(
                    OutboxMessage.status == "sending",
                    OutboxMessage.locked_at <= t - timedelta(seconds=self.lock_seconds),
                ),
            )
            q = (
                select(OutboxMessage)
                .where(due, OutboxMessage.channel.in_(self.channels()))
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(self.batch)
            )
            if not self.db.is_sqlite:
                q = q.with_for_update(skip_locked=True)
            rows = s.scalars(q).all()
            for r in rows:
                r.status, r.locked_by, r.locked_at, r.attempts = "sending", self.name, t, r.attempts + 1
            return [Claimed(r.id, r.event_key, r.recipient, r.channel, _payload(r), r.attempts) for r in rows]

    def _finish(self, row_id: int, **values: Any) -> None:
        """Only the worker that holds the claim may settle the row."""
        with self.db.uow() as s:
            s.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == row_id,
                    OutboxMessage.status == "sending",
                    OutboxMessage.locked_by == self.name,
                )
                .values(locked_by=None, locked_at=None, **values)
            )

    def _release(self, rows: list[Claimed]) -> None:
        """Give back claimed rows not attempted (stopping): pending again, the attempt not counted."""
        for r in rows:
            self._finish(r.id, status="pending", attempts=r.attempts - 1)

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(
            seconds=min(self.backoff_seconds * 2 ** max(attempts - 1, 0), self.max_backoff_seconds)
        )

    def _attachments(self, refs: list[Any]) -> tuple[list[mail.Attachment], list[str]]:
        """The files of a message's references within the size limit, and a line for each one left out."""
        files: list[mail.Attachment] = []
        notes: list[str] = []
        total, limit = 0, self.smtp.max_attachment_bytes
        for ref in refs:
            kind = ref.get("kind") if isinstance(ref, dict) else None
            resolve = self.attachments.get(str(kind))
            if resolve is None:
                raise RuntimeError(f"this worker cannot produce attachments of kind {kind!r}")
            key = json.dumps(ref, sort_keys=True, default=str)
            if key not in self._files:
                with self.db.uow(readonly=True) as s:
                    self._files[key] = resolve(s, dict(ref))
            found = self._files[key]
            name = str(ref.get("filename") or "the attachment")
            if found is None:
                notes.append(f"{name} is no longer available, so it is not attached.")
            elif total + len(found.data) > limit:
                notes.append(f"{found.filename} ({_mb(len(found.data))}) is not attached: e-mail attachments are "
                             f"limited to {_mb(limit)}. Download it from the link above.")  # fmt: skip
            else:
                total += len(found.data)
                files.append(found)
        return files, notes

    def _send(self, row: Claimed) -> None:
        if row.channel == "email":
            p = row.payload
            if not p.get("to"):
                raise PermanentFailure("the recipient has no email address")
            files, notes = self._attachments(list(p.get("attachments") or []))
            body = p["body"] + ("\n\n" + "\n".join(notes) if notes else "")
            mail.send(self.smtp, to=p["to"], subject=p["subject"], body=body, message_id=f"outbox-{row.id}",
                      attachments=files)  # fmt: skip
            return
        webhook_id = row.payload.get("webhook_id")
        with self.db.uow(readonly=True) as s:
            hook = s.get(Webhook, webhook_id) if webhook_id is not None else None
            target = (hook.url, hook.secret, hook.active) if hook is not None else None
        if target is None or not target[2]:
            raise PermanentFailure(f"webhook {webhook_id} was deleted or deactivated")
        try:
            webhooks.deliver(
                target[0],
                target[1],
                row.payload.get("event", {}),
                allow_hosts=self.allow_hosts,
                delivery_id=str(row.id),
            )
        except UnsafeUrl as exc:
            raise PermanentFailure(str(exc)) from exc

    def deliver(self, row: Claimed, stats: RunStats) -> None:
        try:
            self._send(row)
        except PermanentFailure as exc:
            log.warning("outbox %s failed for good: %s", row.id, exc)
            self._finish(row.id, status="failed", last_error=str(exc)[:2000])
            stats.failed += 1
        except Exception as exc:  # SMTP down, connection refused, 5xx ...: try again later
            error = f"{type(exc).__name__}: {exc}"[:2000]
            if row.attempts >= self.max_attempts:
                log.warning("outbox %s failed after %s attempts: %s", row.id, row.attempts, error)
                self._finish(row.id, status="failed", last_error=error)
                stats.failed += 1
            else:
                later = self.now() + self.backoff(row.attempts)
                self._finish(row.id, status="pending", next_attempt_at=later, last_error=error)
                stats.retried += 1
        else:
            self._finish(row.id, status="sent", sent_at=self.now(), last_error="")
            stats.sent += 1

    def drain(self, stats: RunStats | None = None, max_batches: int = 100) -> RunStats:
        stats = stats or RunStats()
        self._files.clear()  # attachments are produced afresh each pass, shared by its recipients
        for _ in range(max_batches):
            if self.stop.is_set():
                break
            rows = self.claim()
            if not rows:
                break
            stats.claimed += len(rows)
            if self.after_claim is not None:
                self.after_claim(rows)
            for i, row in enumerate(rows):
                if self.stop.is_set():
                    self._release(rows[i:])
                    return stats
                self.deliver(row, stats)
            if len(rows) < self.batch:
                break
        return stats

    # --- scheduled jobs -----------------------------------------------------------------------------------

    def queue_digests(self) -> int:
        """One digest email per user per finished UTC day with `digest` notifications (idempotent: event key
        digest:<user>:<date>)."""
        t = self.now()
        today = t.date()
        start = datetime.combine(today - timedelta(days=DIGEST_LOOKBACK_DAYS), time(), UTC)
        end = datetime.combine(today, time(), UTC)
        written = 0
        with self.db.uow() as s:
            rows = s.execute(
                select(Notification, User.email)
                .join(User, User.id == Notification.user_id)
                .where(
                    Notification.digest.is_(True),
                    Notification.created_at >= start,
                    Notification.created_at < end,
                )
                .order_by(Notification.created_at, Notification.id)
            ).all()
            groups: dict[tuple[int, date], list[Notification]] = {}
            addresses: dict[int, str | None] = {}
            for n, address in rows:
                groups.setdefault((n.user_id, n.created_at.date()), []).append(n)
                addresses[n.user_id] = address
            if not groups:
                return 0
            keys = {k: f"digest:{k[0]}:{k[1].isoformat()}" for k in groups}
            done = set(
                s.scalars(
                    select(OutboxMessage.event_key).where(OutboxMessage.event_key.in_(list(keys.values())))
                )
            )
            for (uid, day), notes in groups.items():
                key = keys[(uid, day)]
                if key in done or not addresses.get(uid):
                    continue
                lines = [f"Your Charter notifications of {day.isoformat()} ({len(notes)}):", ""]
                for n in notes:
                    lines.append(f"- {n.subject}")
                    if n.body:
                        lines.append(f"  {n.body}")
                    if n.link:
                        lines.append(f"  {get_settings().absolute(n.link)}")
                payload = {
                    "to": addresses[uid],
                    "subject": f"Charter digest for {day.isoformat()}: {counted(len(notes), 'notification')}",
                    "body": "\n".join(lines),
                    "kind": "digest",
                    "user_id": uid,
                }
                row = OutboxMessage(
                    event_key=key,
                    recipient=f"user:{uid}",
                    channel="email",
                    payload=payload,
                    status="pending",
                    attempts=0,
                    next_attempt_at=t,
                    last_error="",
                    created_at=t,
                )
                try:
                    with s.begin_nested():
                        s.add(row)
                except IntegrityError:  # another worker queued it a moment ago
                    continue
                written += 1
        return written

    def run_once(self) -> RunStats:
        """Scheduled jobs, then drain the outbox."""
        stats = RunStats()
        try:
            stats.digests = self.queue_digests()
        except Exception:
            log.exception("the digest job failed; it runs again on the next pass")
        for job in self.jobs:
            try:
                with self.db.uow() as s:
                    job(s, self.now())
            except Exception:
                log.exception("scheduled job %s failed; it runs again on the next pass", job)
        return self.drain(stats)

    def run_forever(self, poll_seconds: float = 5.0) -> None:
        """Until `stop` is set: a pass, then wait `poll_seconds` (a stop interrupts the wait)."""
        while not self.stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("worker pass failed; retrying after the poll interval")
            self.stop.wait(poll_seconds)


def from_settings(db: Database, settings: Any, **kw: Any) -> Worker:
    from charter.notify.netguard import allow_list

    kw.setdefault("lock_seconds", int(getattr(settings, "worker_lock_seconds", 300)))
    return Worker(
        db=db,
        smtp=mail.SmtpConfig.from_settings(settings),
        allow_hosts=allow_list(getattr(settings, "webhook_allow_hosts", "")),
        **kw,
    )


def start_background_worker(
    db: Database, *, settings: Any = None, poll_seconds: float | None = None, **kw: Any
) -> Callable[[], None]:
    """Run one worker in a daemon thread of this process (for `charter serve` on SQLite). Returns a callable
    that stops it, letting the message in flight finish (waits at most ~20 s)."""
    if settings is None:
        from charter.config import get_settings

        settings = get_settings()
    worker = from_settings(db, settings, **kw)
    poll = poll_seconds if poll_seconds is not None else float(getattr(settings, "worker_poll_seconds", 5.0))
    thread = threading.Thread(
        target=worker.run_forever, args=(poll,), name="charter-outbox-worker", daemon=True
    )
    thread.start()

    def stop() -> None:
        worker.stop.set()
        thread.join(timeout=20)

    return stop
