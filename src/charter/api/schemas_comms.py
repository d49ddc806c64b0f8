"""Request and response bodies for messages, the liaison desk, the communication plan and meetings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from charter.api.schemas import In, Out, Patch


class MessageAttachmentOut(Out):
    id: int
    filename: str = Field(description="the uploader's file name, for display only")
    content_type: str = Field(description="checked from the file's content, not from its name")
    size: int
    sha256: str
    uploaded_by: int | None
    created_at: datetime
    url: str = Field(description="where to download it (always as an attachment)")


class MessageOut(Out):
    id: int
    kind: str
    author_id: int | None
    author: str | None
    body: str
    created_at: datetime
    attachments: list[MessageAttachmentOut]


class ParticipantOut(Out):
    user_id: int
    name: str | None
    reason: str


ENTITY_TYPE_DOC = (
    "what the thread is about: task, work_package, risk, concern, change_request, purchase_order or meeting "
    "(with entity_id; both or neither)"
)
ENTITY_ID_DOC = (
    "the id of that object; it must belong to this project (another project's or a missing object: 404, "
    "field entity_id)"
)


class AboutOut(Out):
    type: str = Field(description="the entity type")
    id: int
    word: str = Field(description='the type in words ("work package")')
    name: str | None = Field(
        description='its reference and name ("1.2 Build", "R-3 Supplier late"); '
        "null when the object has since been deleted"
    )


class ItemOut(Out):
    id: int
    project_id: int
    kind: str
    subject: str
    entity_type: str | None = Field(description=ENTITY_TYPE_DOC)
    entity_id: int | None = Field(description="the id of the object the thread is about")
    raised_by: int | None
    raised_by_name: str | None
    department_id: int | None
    department: str | None
    direction: str
    audience: str
    to_user_id: int | None
    to_user: str | None
    to_department_id: int | None
    to_department: str | None
    to_role_id: int | None
    to_role: str | None
    route: str
    direct_contact: bool
    liaison_id: int | None
    liaison: str | None
    pm_id: int | None
    status: str
    forward_id: int | None
    received_at: datetime
    first_response_at: datetime | None
    forwarded_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    answered_by: int | None
    answered_by_name: str | None
    pm_minutes: int | None
    reached_pm: bool
    first_response_hours: float | None
    answer_hours: float | None
    version: int
    about: AboutOut | None = Field(description="the object the thread is about, named")


class ThreadOut(ItemOut):
    messages: list[MessageOut]
    participants: list[ParticipantOut]


class SendIn(In):
    to: Literal["pm", "user", "department", "role", "project"] = Field(
        description="pm: the Project Manager (through the department's liaison when it has one); user: a "
        "member; department: through its liaison; role / project: announcements only"
    )
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=20000, description="Markdown; @username mentions a member")
    kind: Literal["message", "concern", "request", "announcement"] = "message"
    to_user_id: int | None = None
    to_department_id: int | None = None
    to_role_id: int | None = None
    entity_type: (
        Literal["task", "work_package", "risk", "concern", "change_request", "purchase_order", "meeting"]
        | None
    ) = Field(None, description=ENTITY_TYPE_DOC)
    entity_id: int | None = Field(None, description=ENTITY_ID_DOC)


class ReplyIn(In):
    body: str = Field(min_length=1, max_length=20000)


class AnswerIn(In):
    body: str = Field(min_length=1, max_length=20000)
    pm_minutes: int | None = Field(
        default=None, ge=0, le=1440, description="the PM's handling time; default 10 minutes"
    )
    version: int | None = None


class ForwardIn(In):
    item_ids: list[int] = Field(min_length=1, max_length=200)
    note: str = Field(default="", max_length=20000)


class ForwardOut(Out):
    id: int
    department_id: int | None
    note: str
    created_at: datetime
    items: list[ItemOut]


class PlanEntryOut(Out):
    id: int
    project_id: int
    information: str
    audience: str
    audience_user_id: int | None
    audience_department_id: int | None
    audience_role_id: int | None
    audience_name: str | None
    frequency: str
    channel: str
    owner_id: int | None
    owner: str | None
    starts_on: date
    last_done_on: date | None
    next_due: date | None
    overdue: bool
    due: bool
    active: bool
    version: int


Frequency = Literal["weekly", "biweekly", "monthly", "quarterly", "per_milestone", "once"]
Channel = Literal["in_app", "email", "meeting", "report"]
PlanAudience = Literal["user", "department", "role", "project"]


class PlanEntryIn(In):
    information: str = Field(min_length=1, max_length=300)
    audience: PlanAudience
    audience_user_id: int | None = None
    audience_department_id: int | None = None
    audience_role_id: int | None = None
    frequency: Frequency
    channel: Channel
    owner_id: int | None = None
    starts_on: date | None = None


class PlanEntryUpdate(Patch):
    version: int
    information: str | None = Field(default=None, min_length=1, max_length=300)
    audience: PlanAudience | None = None
    audience_user_id: int | None = None
    audience_department_id: int | None = None
    audience_role_id: int | None = None
    frequency: Frequency | None = None
    channel: Channel | None = None
    owner_id: int | None = None
    starts_on: date | None = None
    active: bool | None = None
    nullable = frozenset({"audience_user_id", "audience_department_id", "audience_role_id"})


class DoneIn(In):
    on: date | None = None


class AttendeeOut(Out):
    user_id: int
    name: str | None


class DecisionOut(Out):
    id: int
    text: str
    created_at: datetime


class ActionOut(Out):
    id: int
    text: str
    owner_id: int | None
    owner: str | None
    due_on: date | None
    task_id: int | None
    created_at: datetime


class MeetingBriefOut(Out):
    id: int
    project_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    organiser_id: int | None
    organiser: str | None
    attendees: list[AttendeeOut]
    version: int


class MeetingOut(MeetingBriefOut):
    agenda: str
    minutes: str
    decisions: list[DecisionOut]
    actions: list[ActionOut]


class MeetingIn(In):
    title: str = Field(min_length=1, max_length=200)
    starts_at: datetime
    ends_at: datetime
    location: str = Field(default="", max_length=200)
    agenda: str = Field(default="", max_length=20000, description="Markdown")
    attendee_ids: list[int] = Field(default_factory=list, max_length=200)


class MeetingUpdate(Patch):
    version: int
    title: str | None = Field(default=None, min_length=1, max_length=200)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str | None = Field(default=None, max_length=200)
    agenda: str | None = Field(default=None, max_length=20000)
    minutes: str | None = Field(default=None, max_length=100000, description="Markdown")
    attendee_ids: list[int] | None = Field(default=None, max_length=200)


class DecisionIn(In):
    text: str = Field(min_length=1, max_length=5000)


class ActionIn(In):
    text: str = Field(min_length=1, max_length=300)
    owner_id: int
    due_on: date
    work_package_id: int | None = None
    duration: str | None = Field(
        None, max_length=20, description='the task\'s duration, "3d" or "4h" (default 1d)'
    )


Json = dict[str, Any]
