"""Request and response bodies for the inbox, notification preferences, webhooks and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from charter.api.schemas import In, Out, Patch
from charter.domain.notifications import KINDS


class NotificationOut(Out):
    id: int
    project_id: int | None
    kind: str
    label: str = Field(description="the kind in words")
    subject: str
    body: str
    link: str | None = Field(
        description="where the notification leads; null once the project is out of your sight"
    )
    project_visible: bool = Field(
        True, description="false once you can no longer see the notification's project"
    )
    created_at: datetime
    read_at: datetime | None


class InboxOut(Out):
    unread: int
    items: list[NotificationOut]


class PreferenceIn(In):
    kind: str = Field(
        min_length=1,
        max_length=60,
        description=f'"*" for every kind without a row of its own, or one of: {", ".join(KINDS)}',
    )
    in_app: bool = True
    email: Literal["immediate", "digest", "off"] = "immediate"


class PreferenceOut(Out):
    kind: str
    label: str = Field(description="the kind in words")
    in_app: bool
    email: str


EVENTS_DOC = (
    "notification kinds to send (those of the preferences, e.g. `task.assigned`; empty: every kind) and change "
    "events: `change.*` (every recorded change of the project) or `change.<entity_type>` (`change.task`, "
    "`change.risk`, `change.budget_line` ...), each journal entry with its changes ({field: [before, after]}); "
    "changes are sent only when subscribed, never to a webhook without events"
)


class WebhookCreate(In):
    url: str = Field(max_length=2000, description="http(s); must resolve to a public address")
    events: list[str] = Field(
        default_factory=list,
        description=EVENTS_DOC,
    )
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    active: bool = True


class WebhookUpdate(Patch):
    version: int
    url: str | None = Field(default=None, max_length=2000)
    events: list[str] | None = Field(default=None, description=EVENTS_DOC)
    active: bool | None = None
    rotate_secret: bool = False


class WebhookOut(Out):
    id: int
    project_id: int
    url: str
    events: list[str]
    active: bool
    created_by: int | None
    created_at: datetime
    version: int
    secret_hint: str
    secret: str | None = Field(default=None, description="shown only on creation and after rotate_secret")


class WebhookDeliveryOut(Out):
    id: int
    kind: str | None = Field(
        description="the event's notification kind, `change.<entity_type>` for a change, or `webhook.ping` for a test event",
    )
    subject: str | None
    status: Literal["pending", "sending", "sent", "failed"]
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="when a pending delivery is tried next")
    sent_at: datetime | None


class OutboxCompactOut(Out):
    compacted: int = Field(description="deliveries whose text was dropped by this call")
    before: datetime | None = Field(
        description="they were sent before this instant; null when nothing is compacted (the setting is 0)"
    )
    more: bool = Field(description="the batch was full: call again for the rest")


class OutboxOut(Out):
    id: int
    event_key: str
    recipient: str
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    locked_by: str | None
    sent_at: datetime | None
    created_at: datetime
    subject: str | None
