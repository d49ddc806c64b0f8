"""Messages routed through department liaisons, the liaison desk, communication-load analytics, the
communication plan and meetings. Every permission is checked in the services."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from charter.api import schemas_comms as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import AmountsRoute, in_uow
from charter.services import attachments, comm_plan, comms, comms_analytics, meetings

router = APIRouter(responses=ERRORS, tags=["communications"], route_class=AmountsRoute)
P = "/projects/{project_id}"


@router.get(P + "/messages", response_model=list[S.ItemOut])
def list_messages(
    project_id: int,
    actor: CurrentActor,
    db: DB,
    status: str | None = Query(
        None, description="open, or one status: with_liaison, open, forwarded, delivered, answered, closed"
    ),
    department_id: int | None = None,
    entity_type: Literal[
        "task", "work_package", "risk", "concern", "change_request", "purchase_order", "meeting"
    ]
    | None = Query(None, description="only the threads about objects of this type"),
    entity_id: int | None = Query(
        None, description="only the threads about this object (with entity_type: the object of that type)"
    ),
) -> list[dict[str, Any]]:
    """The threads the caller may see: the PM all, a liaison their department's, others their own and the
    announcements addressed to them. `entity_type` and `entity_id` narrow them to the threads about one
    object (a task's discussion: `?entity_type=task&entity_id=42`)."""
    with db.uow(readonly=True) as s:
        return comms.list_items(s, actor, project_id, status=status, department_id=department_id,
                                entity_type=entity_type, entity_id=entity_id)  # fmt: skip


@router.post(P + "/messages", response_model=S.ThreadOut, status_code=201)
def send_message(project_id: int, body: S.SendIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Start a thread, optionally about a task, work package, risk, concern, change request, purchase order or
    meeting of the project (`entity_type` + `entity_id`; an object of another project is not found). To the PM
    from a department with a liaison: it reaches the liaison first."""
    with db.uow() as s:
        return comms.send(s, actor, project_id, **body.model_dump())


Files = Annotated[
    list[UploadFile],
    File(description="one or more files (at most 10), each within the attachment size limit; the type is "
         "checked from the content: " + attachments.kinds(attachments.MESSAGE_TYPES) + ". HTML, SVG and "
         "XML are refused."),
]  # fmt: skip
OptInt = Annotated[int | None, Form()]


async def _uploads(files: list[UploadFile]) -> list[attachments.Upload]:
    limit = attachments.max_bytes() + 1  # read one byte more than allowed, so the limit is detected
    out = [attachments.Upload(f.filename or "", await f.read(limit)) for f in files]
    await run_in_threadpool(attachments.read_ahead, out)  # before the transaction, off the event loop
    return out


@router.post(P + "/messages/with-attachments", response_model=S.ThreadOut, status_code=201)
async def send_message_with_attachments(
    project_id: int,
    actor: CurrentActor,
    db: DB,
    to: Annotated[
        Literal["pm", "user", "department", "role", "project"], Form(description="as for POST /messages")
    ],
    subject: Annotated[str, Form(min_length=1, max_length=300)],
    body: Annotated[str, Form(min_length=1, max_length=20000, description="Markdown; @username mentions")],
    files: Files,
    kind: Annotated[Literal["message", "concern", "request", "announcement"], Form()] = "message",
    to_user_id: OptInt = None,
    to_department_id: OptInt = None,
    to_role_id: OptInt = None,
    entity_type: Annotated[
        Literal["task", "work_package", "risk", "concern", "change_request", "purchase_order", "meeting"]
        | None,
        Form(description=S.ENTITY_TYPE_DOC),
    ] = None,
    entity_id: Annotated[int | None, Form(description=S.ENTITY_ID_DOC)] = None,
) -> dict[str, Any]:
    """Start a thread with attachments (multipart/form-data: the fields of POST /messages plus `files`).
    Every file is checked before anything is written; one refused file (too large, a type not accepted)
    refuses the whole post with 422 naming the file and the limit or the accepted types."""
    uploads = await _uploads(files)
    return await in_uow(db, lambda s: comms.send(
        s, actor, project_id, to=to, subject=subject, body=body, kind=kind, to_user_id=to_user_id,
        to_department_id=to_department_id, to_role_id=to_role_id, entity_type=entity_type, entity_id=entity_id,
        files=uploads))  # fmt: skip


@router.post(P + "/messages/forward", response_model=S.ForwardOut, status_code=201)
def forward_messages(project_id: int, body: S.ForwardIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """The liaison forwards one or several items of their department (to the PM, or relays the PM's
    messages to the department)."""
    with db.uow() as s:
        return comms.forward(s, actor, project_id, item_ids=body.item_ids, note=body.note)


@router.post(P + "/messages/forward/with-attachments", response_model=S.ForwardOut, status_code=201)
async def forward_messages_with_attachments(
    project_id: int,
    actor: CurrentActor,
    db: DB,
    item_ids: Annotated[list[int], Form(min_length=1, max_length=200, description="the items to forward")],
    files: Files,
    note: Annotated[str, Form(max_length=20000)] = "",
) -> dict[str, Any]:
    """A forward with attachments (multipart/form-data: `item_ids` repeated, `note` and `files`): the files
    go with each item's forward note; all or nothing, as for a new thread."""
    uploads = await _uploads(files)
    return await in_uow(
        db, lambda s: comms.forward(s, actor, project_id, item_ids=item_ids, note=note, files=uploads)
    )


@router.get(P + "/messages/{item_id}", response_model=S.ThreadOut)
def get_message(project_id: int, item_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return comms.get_item(s, actor, project_id, item_id)


@router.post(P + "/messages/{item_id}/replies", response_model=S.ThreadOut, status_code=201)
def reply_message(
    project_id: int, item_id: int, body: S.ReplyIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    with db.uow() as s:
        return comms.reply(s, actor, project_id, item_id, body=body.body)


@router.post(P + "/messages/{item_id}/replies/with-attachments", response_model=S.ThreadOut, status_code=201)
async def reply_message_with_attachments(
    project_id: int,
    item_id: int,
    actor: CurrentActor,
    db: DB,
    body: Annotated[str, Form(min_length=1, max_length=20000)],
    files: Files,
) -> dict[str, Any]:
    """A reply with attachments (multipart/form-data: `body` and `files`); all or nothing, as for a new
    thread."""
    uploads = await _uploads(files)
    return await in_uow(db, lambda s: comms.reply(s, actor, project_id, item_id, body=body, files=uploads))


@router.get(
    P + "/messages/{item_id}/attachments/{attachment_id}", response_class=Response,
    responses={200: {"content": {c: {} for c in sorted(attachments.MESSAGE_TYPES)},
                     "description": "the file, always as a download (never shown inline)"}},
)  # fmt: skip
def get_message_attachment(
    project_id: int, item_id: int, attachment_id: int, actor: CurrentActor, db: DB
) -> Response:
    """An attachment of a thread, for whoever may see the thread; otherwise 404."""
    with db.uow(readonly=True) as s:
        f = comms.attachment_file(s, actor, project_id, item_id, attachment_id)
    return Response(f.data, media_type=f.content_type, headers=attachments.download_headers(f.filename))


@router.post(P + "/messages/{item_id}/answer", response_model=S.ThreadOut)
def answer_message(
    project_id: int, item_id: int, body: S.AnswerIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    with db.uow() as s:
        return comms.answer(s, actor, project_id, item_id, **body.model_dump())


@router.post(P + "/messages/{item_id}/answer/with-attachments", response_model=S.ThreadOut)
async def answer_message_with_attachments(
    project_id: int,
    item_id: int,
    actor: CurrentActor,
    db: DB,
    body: Annotated[str, Form(min_length=1, max_length=20000)],
    files: Files,
    pm_minutes: Annotated[int | None, Form(ge=0, le=1440, description="the PM's handling time")] = None,
    version: OptInt = None,
) -> dict[str, Any]:
    """An answer with attachments (multipart/form-data: the fields of POST .../answer plus `files`); all or
    nothing, as for a new thread."""
    uploads = await _uploads(files)
    return await in_uow(db, lambda s: comms.answer(s, actor, project_id, item_id, body=body, pm_minutes=pm_minutes,
                                                   version=version, files=uploads))  # fmt: skip


@router.post(P + "/messages/{item_id}/close", response_model=S.ThreadOut)
def close_message(project_id: int, item_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return comms.close(s, actor, project_id, item_id)


@router.get(P + "/liaison-desk")
def liaison_desk(
    project_id: int, actor: CurrentActor, db: DB, department_id: int | None = None
) -> dict[str, Any]:
    """Per department the caller is liaison of (the PM: every department): inbox, open, forwarded,
    answered and response times."""
    with db.uow(readonly=True) as s:
        return comms.desk(s, actor, project_id, department_id=department_id)


@router.get(P + "/comms/analytics")
def analytics(project_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Per ISO week and department: items reaching the PM directly vs through a liaison, PM handling time,
    response times; before/after each liaison; an estimate for departments without one (see `method`)."""
    with db.uow(readonly=True) as s:
        return comms_analytics.analytics(s, actor, project_id)


# --------------------------------------------------------------------------------------------- plan


@router.get(P + "/comm-plan", response_model=list[S.PlanEntryOut])
def list_plan(
    project_id: int, actor: CurrentActor, db: DB, due: bool = Query(False, description="only what is due")
) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return comm_plan.list_plan(s, actor, project_id, due_only=due)


@router.post(P + "/comm-plan", response_model=S.PlanEntryOut, status_code=201)
def create_plan_entry(project_id: int, body: S.PlanEntryIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return comm_plan.create_entry(s, actor, project_id, **body.model_dump())


@router.patch(P + "/comm-plan/{entry_id}", response_model=S.PlanEntryOut)
def update_plan_entry(
    project_id: int, entry_id: int, body: S.PlanEntryUpdate, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    d = body.model_dump(exclude_unset=True)
    version = d.pop("version")
    with db.uow() as s:
        return comm_plan.update_entry(s, actor, project_id, entry_id, version, **d)


@router.delete(P + "/comm-plan/{entry_id}", status_code=204, response_class=Response)
def delete_plan_entry(
    project_id: int, entry_id: int, actor: CurrentActor, db: DB, version: int = Query(...)
) -> Response:
    """Remove a plan entry: the one at `version` (stale: 409 with it as it is now, nothing removed)."""
    with db.uow() as s:
        comm_plan.delete_entry(s, actor, project_id, entry_id, version)
    return Response(status_code=204)


@router.post(P + "/comm-plan/{entry_id}/done", response_model=S.PlanEntryOut)
def plan_entry_done(
    project_id: int, entry_id: int, body: S.DoneIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    with db.uow() as s:
        return comm_plan.mark_done(s, actor, project_id, entry_id, on=body.on)


@router.post(P + "/comm-plan/check-overdue", response_model=list[S.PlanEntryOut])
def plan_check_overdue(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    """The overdue entries; each is flagged to its owner and the PM (once per due date)."""
    with db.uow() as s:
        return comm_plan.flag_overdue(s, actor, project_id)


# --------------------------------------------------------------------------------------------- meetings


@router.get(P + "/meetings", response_model=list[S.MeetingBriefOut])
def list_meetings(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return meetings.list_meetings(s, actor, project_id)


@router.post(P + "/meetings", response_model=S.MeetingOut, status_code=201)
def create_meeting(project_id: int, body: S.MeetingIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return meetings.create_meeting(s, actor, project_id, **body.model_dump())


@router.get(P + "/meetings/{meeting_id}", response_model=S.MeetingOut)
def get_meeting(project_id: int, meeting_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return meetings.get_meeting(s, actor, project_id, meeting_id)


@router.patch(P + "/meetings/{meeting_id}", response_model=S.MeetingOut)
def update_meeting(
    project_id: int, meeting_id: int, body: S.MeetingUpdate, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    d = body.model_dump(exclude_unset=True)
    version = d.pop("version")
    with db.uow() as s:
        return meetings.update_meeting(s, actor, project_id, meeting_id, version, **d)


@router.post(P + "/meetings/{meeting_id}/decisions", response_model=S.MeetingOut, status_code=201)
def add_decision(
    project_id: int, meeting_id: int, body: S.DecisionIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    with db.uow() as s:
        return meetings.add_decision(s, actor, project_id, meeting_id, text=body.text)


@router.post(P + "/meetings/{meeting_id}/actions", response_model=S.MeetingOut, status_code=201)
def add_action(
    project_id: int, meeting_id: int, body: S.ActionIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """An action item: becomes a task with the owner assigned and the due date as its deadline."""
    with db.uow() as s:
        return meetings.add_action(s, actor, project_id, meeting_id, **body.model_dump())


@router.get(
    P + "/meetings/{meeting_id}/invite.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def meeting_invitation(project_id: int, meeting_id: int, actor: CurrentActor, db: DB) -> Response:
    """An iCalendar invitation (METHOD:REQUEST) with the organiser and attendees."""
    with db.uow(readonly=True) as s:
        ics = meetings.invitation_ics(s, actor, project_id, meeting_id)
    return Response(
        ics,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting_id}.ics"'},
    )
