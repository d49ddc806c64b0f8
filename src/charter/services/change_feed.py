"""The change feed: a project's webhooks subscribed to `change.*` (every journaled change of the project) or
`change.<entity_type>` (`change.task`, `change.risk`, `change.budget_line` ...) are sent each journal entry of
the project, as Jira's `jira:issue_updated` and OpenProject's `work_package:updated` send theirs.

`journal.record` calls `publish()` for every entry it adds, so every change a use-case makes reaches the feed
without the use-case knowing: one outbox row per entry and subscribed hook, in the use-case's transaction (a
rolled-back change sends nothing). The row refers to its journal entry (filled in when the use-case flushes:
the entry has no id before), and the worker sends that id as `journal_id`, the `id` of `GET …/journal`. What is sent is what the journal recorded (its snapshots leave secrets
out); `change.*` leaves out the records the project-wide journal shows only to the PM (CONFIDENTIAL). A
webhook with no events is sent every notification kind, never changes: changes are far more numerous and
need an explicit subscription.

The project's change-subscribed hooks are read once per transaction and project (kept in `Session.info`), so
a use-case journaling 500 rows asks once; `forget()` drops them when a webhook is added, changed or removed.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain import notifications as kinds
from charter.persistence.models import JournalEntry, Project, Webhook
from charter.services.context import Actor
from charter.services.outbox import enqueue

# the records the project-wide journal shows only to the PM (message threads: subjects, replies, file names;
# conflicts: to the PM and the Sponsor), as comms_common.THREAD_JOURNAL_TYPES and conflict_ladder.ENTITY say:
# `change.*` leaves them out, a webhook gets them only by naming them (`change.conflict`)
CONFIDENTIAL = frozenset({"comm_item", "comm_message", "comm_attachment", "conflict"})
PREFIX = "change."
EVERY_CHANGE = "change.*"
_EVENT = re.compile(r"change\.(\*|[a-z][a-z0-9_]{0,39})")
_CACHE = "charter.change_hooks"

# (webhook id, the change events it subscribes to)
Hooks = list[tuple[int, frozenset[str]]]


def is_change_event(name: str) -> bool:
    """`change.*` or `change.<entity_type>`, the entity type a lowercase identifier (task, budget_line); a
    notification kind that happens to start so (`change.decided`, a change request's decision) is not one."""
    return _EVENT.fullmatch(name) is not None and name not in kinds.KINDS


def forget(s: Session) -> None:
    """The session's webhooks changed: read them again at the next journal entry."""
    s.info.pop(_CACHE, None)


def _hooks(s: Session, project_id: int) -> tuple[str | None, Hooks]:
    """(project key, [(hook id, its change events)]) of the project's active change-subscribed webhooks, read
    once per transaction: a new transaction (commit, rollback) of the same session reads them again."""
    cached = s.info.get(_CACHE)
    txn = s.get_transaction()
    if cached is None or txn is None or cached[0] is not txn:
        cached = (txn, {})
    by_project: dict[int, tuple[str | None, Hooks]] = cached[1]
    if project_id not in by_project:
        with s.no_autoflush:  # the journal is written mid use-case: reading must not flush its half-done rows
            rows = s.execute(
                select(Webhook.id, Webhook.events, Project.key)
                .join(Project, Project.id == Webhook.project_id)
                .where(Webhook.project_id == project_id, Webhook.active.is_(True))
                .order_by(Webhook.id)
            ).all()
        hooks: Hooks = []
        key: str | None = None
        for hook_id, events, project_key in rows:
            wanted = frozenset(e for e in events or [] if isinstance(e, str) and is_change_event(e))
            if wanted:
                hooks.append((hook_id, wanted))
                key = project_key
        by_project[project_id] = (key, hooks)
        cached = (s.get_transaction(), by_project)
    s.info[_CACHE] = cached
    return by_project[project_id]


def event(entry: JournalEntry, actor: Actor, project_key: str | None, event_key: str) -> dict[str, Any]:
    """The webhook body of one journal entry (the same envelope as a notification's: event_key, kind,
    project_id, project_key, subject, at), with the change itself."""
    return {
        "event_key": event_key,
        "kind": PREFIX + entry.entity_type,
        "project_id": entry.project_id,
        "project_key": project_key,
        "subject": f"{entry.entity_type} {entry.entity_id} {entry.action}",
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "action": entry.action,
        "changes": entry.changes,
        "cause": entry.cause,
        "actor": actor.username if actor.user_id is not None else "system",
        "at": entry.at.isoformat(),
    }


def publish(s: Session, actor: Actor, entry: JournalEntry) -> int:
    """Queue `entry` to each active webhook of its project subscribed to `change.*` or
    `change.<entity_type>`; the number of outbox rows written."""
    if entry.project_id is None:
        return 0
    project_key, hooks = _hooks(s, entry.project_id)
    kind = PREFIX + entry.entity_type
    every = entry.entity_type not in CONFIDENTIAL
    targets = [hook_id for hook_id, wanted in hooks if kind in wanted or (every and EVERY_CHANGE in wanted)]
    if not targets:
        return 0
    key = f"change:{uuid.uuid4().hex}"
    body = event(entry, actor, project_key, key)
    for hook_id in targets:
        enqueue(s, event_key=key, recipient=f"webhook:{hook_id}", channel="webhook",
                payload={"webhook_id": hook_id, "event": body}, fresh=True, journal_entry=entry)  # fmt: skip
    return len(targets)
