"""Project messages and their routing through department Relationship Liaisons.

Routing (see charter.domain.communications): a message, concern or request a department member addresses to
the PM goes first to the department's CURRENT liaison, who answers it, or forwards it (alone or batched with
others) to the PM; from a department without a liaison it reaches the PM directly, and so do the messages of
a department head (Department.head_user_id) and of the project's Sponsor, who deal with the PM in person
(comms_common.goes_direct). The PM's messages to a
department go out through its liaison, who relays them; the PM may still write to any member directly, which
is recorded as direct contact. Messages to people outside the project are refused, naming them.

A post (the first message of a thread, a reply) may carry attachments: files kept by the shared attachment
store (`services/attachments.py`, owner kind "comm_message", types `MESSAGE_TYPES`), checked all before
anything is written and stored in the same transaction as the post. They are read with the visibility of
their thread; notifications name them (the files themselves are not mailed).

Every item keeps who raised it, the department, the route and the timestamps received / first response /
forwarded / answered / closed. The PM's handling time is what the PM records when answering
(`pm_minutes`), or DEFAULT_PM_MINUTES when they do not say.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain import communications as C
from charter.domain import quality as Q
from charter.domain.communications import Audience, Direction, Route, Status
from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from charter.domain.figures import counted
from charter.domain.roles import Perm, Target
from charter.persistence.models import (
    CommForward,
    CommItem,
    CommMessage,
    CommParticipant,
    Concern,
    Department,
    Role,
    RoleAssignment,
    User,
)
from charter.services import attachments, comms_about, journal
from charter.services.authz import project_for
from charter.services.comms_common import (
    add_participants,
    current_only,
    goes_direct,
    hours,
    is_manager,
    liaison_departments,
    liaison_of,
    members,
    names,
    notify,
    pm_id,
    require_members,
    visibility,
)
from charter.services.context import Actor, now

OPEN_STATUSES = (Status.WITH_LIAISON.value, Status.OPEN.value, Status.FORWARDED.value)
OWNER = "comm_message"  # the owner kind of message attachments in the attachment store


# --------------------------------------------------------------------------------------------- views


def reached_pm(i: CommItem) -> bool:
    """Did this item take the PM's time? Inbound items sent directly, forwarded by the liaison, or answered
    by the PM themselves."""
    if i.direction != Direction.INBOUND.value:
        return False
    return (
        i.route == Route.DIRECT.value
        or i.forwarded_at is not None
        or (i.answered_by is not None and i.answered_by == i.pm_id)
    )


def item_dict(s: Session, i: CommItem, *, messages: bool = False) -> dict[str, Any]:
    who = names(s, [i.raised_by, i.to_user_id, i.liaison_id, i.pm_id, i.answered_by])
    depts = dict(s.execute(select(Department.id, Department.name)).all())
    role = s.get(Role, i.to_role_id) if i.to_role_id else None
    out: dict[str, Any] = {
        "id": i.id,
        "project_id": i.project_id,
        "kind": i.kind,
        "subject": i.subject,
        "entity_type": i.entity_type,
        "entity_id": i.entity_id,
        "raised_by": i.raised_by,
        "raised_by_name": who.get(i.raised_by) if i.raised_by else None,
        "department_id": i.department_id,
        "department": depts.get(i.department_id) if i.department_id else None,
        "direction": i.direction,
        "audience": i.audience,
        "to_user_id": i.to_user_id,
        "to_user": who.get(i.to_user_id) if i.to_user_id else None,
        "to_department_id": i.to_department_id,
        "to_department": depts.get(i.to_department_id) if i.to_department_id else None,
        "to_role_id": i.to_role_id,
        "to_role": role.name if role else None,
        "route": i.route,
        "direct_contact": i.direct_contact,
        "liaison_id": i.liaison_id,
        "liaison": who.get(i.liaison_id) if i.liaison_id else None,
        "pm_id": i.pm_id,
        "status": i.status,
        "forward_id": i.forward_id,
        "received_at": i.received_at,
        "first_response_at": i.first_response_at,
        "forwarded_at": i.forwarded_at,
        "answered_at": i.answered_at,
        "closed_at": i.closed_at,
        "answered_by": i.answered_by,
        "answered_by_name": who.get(i.answered_by) if i.answered_by else None,
        "pm_minutes": i.pm_minutes,
        "reached_pm": reached_pm(i),
        "first_response_hours": hours(i.received_at, i.first_response_at),
        "answer_hours": hours(i.received_at, i.answered_at),
        "version": i.version,
        "about": comms_about.describe(s, i.project_id, i.entity_type, i.entity_id),
    }
    if messages:
        rows = list(
            s.scalars(select(CommMessage).where(CommMessage.item_id == i.id).order_by(CommMessage.id))
        )
        authors = names(s, [m.author_id for m in rows])
        files = attachments.of(s, OWNER, [m.id for m in rows])
        out["messages"] = [
            {
                "id": m.id,
                "kind": m.kind,
                "author_id": m.author_id,
                "author": authors.get(m.author_id) if m.author_id else "system",
                "body": m.body,
                "created_at": m.created_at,
                "attachments": [_file(i, f) for f in files[m.id]],
            }
            for m in rows
        ]
        parts = s.execute(
            select(CommParticipant.user_id, CommParticipant.reason).where(CommParticipant.item_id == i.id)
        ).all()
        pn = names(s, [p[0] for p in parts])
        out["participants"] = [{"user_id": u, "name": pn.get(u), "reason": r} for u, r in parts]
    return out


def _link(i: CommItem) -> str:
    return f"/projects/{i.project_id}/messages/{i.id}"


def _file(i: CommItem, f: dict[str, Any]) -> dict[str, Any]:
    return {**f, "url": f"/api/v1/projects/{i.project_id}/messages/{i.id}/attachments/{f['id']}"}


def _human(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{max(n / 1024, 0.1):.1f} KB"


def _with_files(body: str, files: list[dict[str, Any]]) -> str:
    """A notification body that names the post's attachments (they are not mailed: open the thread)."""
    if not files:
        return body
    lines = "\n".join(f"- {f['filename']} ({_human(f['size'])}, {f['content_type']})" for f in files)
    return f"{body}\n\nAttachments (open the thread to download them):\n{lines}"


def _store_files(
    s: Session, actor: Actor, i: CommItem, m: CommMessage, files: list[attachments.Upload]
) -> list[dict[str, Any]]:
    out = []
    for u in files:
        a = attachments.store(s, actor, project_id=i.project_id, owner_kind=OWNER, owner_id=m.id, upload=u,
                              allowed=attachments.MESSAGE_TYPES, field="files", default_name="attachment")  # fmt: skip
        journal.record(s, actor, entity_type="comm_attachment", entity_id=a["id"], action="create",
                       project_id=i.project_id,
                       after={k: v for k, v in a.items() if k != "created_at"} | {"message_id": m.id},
                       cause=f"attached to message {i.id}")  # fmt: skip
        out.append(a)
    return out


def attachment_file(
    s: Session, actor: Actor, project_id: int, item_id: int, attachment_id: int
) -> attachments.Download:
    """An attachment of a thread, for whoever may see the thread (otherwise: not found)."""
    project_for(s, actor, project_id)
    i = _item(s, actor, project_id, item_id)
    ids = set(s.scalars(select(CommMessage.id).where(CommMessage.item_id == i.id)))
    return attachments.read(s, project_id=project_id, owner_kind=OWNER, owner_id=ids,
                            attachment_id=attachment_id)  # fmt: skip


# --------------------------------------------------------------------------------------------- reading


def _item(s: Session, actor: Actor, project_id: int, item_id: int) -> CommItem:
    """An item the actor may see; anything else (other projects, other departments) is not found."""
    q = select(CommItem).where(CommItem.id == item_id, CommItem.project_id == project_id)
    cond = visibility(s, actor, project_id)
    if cond is not None:
        q = q.where(cond)
    i = s.scalars(q).first()
    if i is None:
        raise NotFound(f"message {item_id} not found in this project", field="item_id")
    return i


def list_items(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    status: str | None = None,
    department_id: int | None = None,
    entity_type: str | None = None,
    entity_id: int | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    project_for(s, actor, project_id)
    q = select(CommItem).where(CommItem.project_id == project_id)
    cond = visibility(s, actor, project_id)
    if cond is not None:
        q = q.where(cond)
    if status == "open":
        q = q.where(CommItem.status.in_(OPEN_STATUSES))
    elif status:
        q = q.where(CommItem.status == C.parse_enum(Status, status, "status").value)
    if department_id is not None:
        q = q.where(CommItem.department_id == department_id)
    if entity_type:
        q = q.where(CommItem.entity_type == entity_type)
    if entity_id is not None:
        q = q.where(CommItem.entity_id == entity_id)
    rows = s.scalars(q.order_by(CommItem.received_at.desc(), CommItem.id.desc()).limit(limit))
    return [item_dict(s, i) for i in rows]


def get_item(s: Session, actor: Actor, project_id: int, item_id: int) -> dict[str, Any]:
    project_for(s, actor, project_id)
    return item_dict(s, _item(s, actor, project_id, item_id), messages=True)


# --------------------------------------------------------------------------------------------- mentions


def _mentioned(s: Session, project_id: int, body: str) -> list[int]:
    """The project members @mentioned in a body; a mention of an unknown user or of someone outside the
    project is refused, naming them."""
    wanted = C.mentions(body)
    if not wanted:
        return []
    users = {u.username.lower(): u for u in s.scalars(select(User).where(User.username.in_(wanted)))}
    inside = members(s, project_id)
    out: list[int] = []
    for name in wanted:
        u = users.get(name)
        if u is None:
            raise ValidationError(f"@{name} is not a known user", field="body")
        if u.id not in inside:
            raise ValidationError(
                f"@{name} ({u.display_name}) is not a member of this project and cannot be mentioned",
                field="body",
            )
        out.append(u.id)
    return out


def _text(value: str, field: str, limit: int) -> str:
    v = (value or "").strip()
    if not v:
        raise ValidationError("is required", field=field)
    if len(v) > limit:
        raise ValidationError(f"must be at most {limit} characters", field=field)
    return v


def _post(s: Session, actor: Actor, i: CommItem, kind: str, body: str) -> CommMessage:
    m = CommMessage(item_id=i.id, author_id=actor.user_id, kind=kind, body=body, created_at=now())
    s.add(m)
    s.flush()
    return m


def _journal(
    s: Session,
    actor: Actor,
    i: CommItem,
    action: str,
    before: dict[str, Any] | None,
    cause: str | None = None,
) -> None:
    journal.record(
        s,
        actor,
        entity_type="comm_item",
        entity_id=i.id,
        action=action,
        project_id=i.project_id,
        before=before,
        after=journal.snapshot(i),
        cause=cause,
    )


# --------------------------------------------------------------------------------------------- sending


def _department_members(s: Session, project_id: int, department_id: int) -> list[int]:
    inside = members(s, project_id)
    ids = s.scalars(select(User.id).where(User.department_id == department_id, User.is_active.is_(True)))
    return sorted(u for u in ids if u in inside)


def send(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    to: str,
    subject: str,
    body: str,
    kind: str = "message",
    to_user_id: int | None = None,
    to_department_id: int | None = None,
    to_role_id: int | None = None,
    entity_type: str | None = None,
    entity_id: int | None = None,
    files: list[attachments.Upload] | None = None,
) -> dict[str, Any]:
    """Start a thread: to the PM ("pm"), a person ("user"), a department ("department"), or, as an
    announcement, a role ("role") or the whole project ("project"); optionally with attachments."""
    project_for(s, actor, project_id, Perm.COMMS_SEND)
    audience = C.parse_enum(Audience, to, "to")
    item_kind = C.parse_enum(C.ItemKind, kind, "kind")
    subject = _text(subject, "subject", 300)
    body = _text(body, "body", 20000)
    files = list(files or [])
    attachments.check_all(files, attachments.MESSAGE_TYPES)
    comms_about.check(s, actor, project_id, entity_type, entity_id)
    sender = s.get(User, actor.user_id) if actor.user_id else None
    sender_dept = sender.department_id if sender else None
    pm = pm_id(s, project_id)
    announce = item_kind is C.ItemKind.ANNOUNCEMENT
    if audience in (Audience.PROJECT, Audience.ROLE) and not announce:
        raise ValidationError("messages to the whole project or to a role are announcements", field="kind")
    if announce and audience in (Audience.PM, Audience.USER):
        raise ValidationError("announce to the project, a department or a role", field="to")
    if audience is Audience.USER and to_user_id is not None and to_user_id == pm and actor.user_id != pm:
        audience = Audience.PM
    values: dict[str, Any] = {"to_user_id": None, "to_department_id": None, "to_role_id": None}
    recipients: list[int] = []
    pm_is_sender = actor.user_id is not None and actor.user_id == pm

    if announce:
        route = C.Routing(Route.DIRECT, Status.DELIVERED, Direction.ANNOUNCEMENT, None)
        dept = None
        if audience is Audience.DEPARTMENT:
            d = _department(s, to_department_id)
            project_for(s, actor, project_id, Perm.COMMS_DEPARTMENT, Target(department_id=d.id))
            values["to_department_id"] = dept = d.id
            recipients = _department_members(s, project_id, d.id)
        elif audience is Audience.ROLE:
            project_for(s, actor, project_id, Perm.COMMS_DEPARTMENT)
            r = s.get(Role, to_role_id) if to_role_id else None
            if r is None or r.project_id != project_id:
                raise ValidationError("name a role of this project", field="to_role_id")
            values["to_role_id"] = r.id
            recipients = _role_holders(s, project_id, r.id)
        else:
            project_for(s, actor, project_id, Perm.COMMS_DEPARTMENT)
            recipients = sorted(members(s, project_id))
    elif audience is Audience.PM:
        if pm is None:
            raise ValidationError("the project has no Project Manager right now", field="to")
        if pm_is_sender:
            raise ValidationError(
                "you are the Project Manager; write to a person or a department", field="to"
            )
        route = C.route_to_pm(
            sender_id=actor.user_id or 0,
            sender_department_id=sender_dept,
            liaison_id=liaison_of(s, project_id, sender_dept),
            direct=goes_direct(s, project_id, actor.user_id),
        )
        dept = sender_dept
        values["to_user_id"] = pm
        recipients = [route.liaison_id] if route.status is Status.WITH_LIAISON and route.liaison_id else [pm]
    elif audience is Audience.USER:
        if to_user_id is None:
            raise ValidationError("name the person", field="to_user_id")
        require_members(s, project_id, [to_user_id], "to_user_id")
        if to_user_id == actor.user_id:
            raise ValidationError("you cannot write to yourself", field="to_user_id")
        recipient = s.get(User, to_user_id)
        values["to_user_id"] = to_user_id
        recipients = [to_user_id]
        if pm_is_sender:
            route = C.Routing(Route.DIRECT, Status.OPEN, Direction.OUTBOUND, None)
            dept = recipient.department_id if recipient else None
        else:
            route = C.Routing(Route.DIRECT, Status.OPEN, Direction.PEER, None)
            dept = sender_dept
    else:  # a department, not as an announcement: the PM's (or its liaison's) message to it
        d = _department(s, to_department_id)
        project_for(s, actor, project_id, Perm.COMMS_DEPARTMENT, Target(department_id=d.id))
        values["to_department_id"] = dept = d.id
        liaison = liaison_of(s, project_id, d.id)
        if liaison is not None and liaison != actor.user_id:
            route = C.route_to_department(liaison)
            recipients = [liaison]
        else:
            route = C.route_to_department(None)
            recipients = _department_members(s, project_id, d.id)
        if not recipients:
            raise ValidationError(
                f"no member of {d.name} holds a role in this project", field="to_department_id"
            )

    mentioned = _mentioned(s, project_id, body)
    t = now()
    i = CommItem(
        project_id=project_id,
        kind=item_kind.value,
        subject=subject,
        entity_type=entity_type,
        entity_id=entity_id,
        raised_by=actor.user_id,
        department_id=dept,
        direction=route.direction.value,
        audience=audience.value,
        route=route.route.value,
        direct_contact=pm_is_sender and audience is Audience.USER,
        liaison_id=route.liaison_id,
        pm_id=pm,
        status=route.status.value,
        received_at=t,
        forwarded_at=t if route.status is Status.FORWARDED else None,
        **values,
    )
    s.add(i)
    s.flush()
    first = _post(s, actor, i, "post", body)
    stored = _store_files(s, actor, i, first, files)
    add_participants(s, i.id, [actor.user_id], "author")
    if not announce or audience is not Audience.PROJECT:
        add_participants(s, i.id, recipients, "recipient")
    if route.liaison_id:
        add_participants(s, i.id, [route.liaison_id], "liaison")
    add_participants(s, i.id, mentioned, "mention")
    _journal(s, actor, i, "create", None)
    what = "Announcement" if announce else "Message"
    mail = _with_files(body, stored)
    notify(s, recipients=recipients, kind=f"comms.{i.kind}", subject=f"{what}: {subject}", body=mail,
           project_id=project_id, link=_link(i), event_key=f"comm:{i.id}:new", exclude=actor.user_id)  # fmt: skip
    _notify_mentions(s, actor, i, mentioned, mail, f"comm:{i.id}:m0")
    return item_dict(s, i, messages=True)


def _department(s: Session, department_id: int | None) -> Department:
    d = s.get(Department, department_id) if department_id else None
    if d is None:
        raise ValidationError("name an existing department", field="to_department_id")
    return d


def _role_holders(s: Session, project_id: int, role_id: int) -> list[int]:
    q = select(RoleAssignment.user_id).where(
        RoleAssignment.project_id == project_id, RoleAssignment.role_id == role_id
    )
    return sorted(set(s.scalars(current_only(q, now()))))


def _notify_mentions(s: Session, actor: Actor, i: CommItem, ids: list[int], body: str, key: str) -> None:
    notify(s, recipients=ids, kind="comms.mention", subject=f"{actor.username} mentioned you: {i.subject}",
           body=body, project_id=i.project_id, link=_link(i), event_key=key, exclude=actor.user_id)  # fmt: skip


# --------------------------------------------------------------------------------------------- handling


def _handler_ids(s: Session, i: CommItem) -> set[int]:
    """Who is expected to respond to the item now."""
    if i.status == Status.WITH_LIAISON.value:
        return {i.liaison_id} if i.liaison_id else set()
    if i.direction == Direction.INBOUND.value:
        return {i.pm_id} if i.pm_id else set()
    return {i.to_user_id} if i.to_user_id else set()


def _check_version(i: CommItem, version: int | None) -> None:
    if version is not None and version != i.version:
        from charter.domain.errors import stale

        raise stale(f"message {i.id}", version, {"version": i.version, "status": i.status})


def reply(
    s: Session, actor: Actor, project_id: int, item_id: int, *, body: str,
    files: list[attachments.Upload] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Add to a thread, optionally with attachments. The first reply by whoever the item waits for counts as
    its first response."""
    project_for(s, actor, project_id, Perm.COMMS_SEND)
    i = _item(s, actor, project_id, item_id)
    body = _text(body, "body", 20000)
    files = list(files or [])
    attachments.check_all(files, attachments.MESSAGE_TYPES)
    if i.status == Status.CLOSED.value:
        raise Conflict("the thread is closed", field="item_id")
    mentioned = _mentioned(s, project_id, body)
    before = journal.snapshot(i)
    m = _post(s, actor, i, "reply", body)
    journal.record(s, actor, entity_type="comm_message", entity_id=m.id, action="create", project_id=project_id,
                   after={"item_id": i.id, "kind": m.kind, "body": body}, cause=f"reply to message {i.id}")  # fmt: skip
    mail = _with_files(body, _store_files(s, actor, i, m, files))
    if i.first_response_at is None and actor.user_id in _handler_ids(s, i):
        i.first_response_at = now()
    add_participants(s, i.id, [actor.user_id], "author")
    add_participants(s, i.id, mentioned, "mention")
    s.flush()
    _journal(s, actor, i, "update", before)
    others = s.scalars(select(CommParticipant.user_id).where(CommParticipant.item_id == i.id))
    notify(s, recipients=[u for u in others if u not in mentioned], kind="comms.reply",
           subject=f"Reply: {i.subject}", body=mail, project_id=project_id, link=_link(i),
           event_key=f"comm:{i.id}:r{m.id}", exclude=actor.user_id)  # fmt: skip
    _notify_mentions(s, actor, i, mentioned, mail, f"comm:{i.id}:m{m.id}")
    return item_dict(s, i, messages=True)


def forward(
    s: Session, actor: Actor, project_id: int, *, item_ids: list[int], note: str = "",
    files: list[attachments.Upload] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The liaison passes items of their department on in one forward: inbound items to the PM, the PM's
    messages to the department's members. Several items may be batched into one forward; files attached
    to the forward go with each item's forward note (checked all before anything is written)."""
    project_for(s, actor, project_id)
    if not item_ids:
        raise ValidationError("name at least one message", field="item_ids")
    files = list(files or [])
    attachments.check_all(files, attachments.MESSAGE_TYPES)
    items = [_item(s, actor, project_id, iid) for iid in dict.fromkeys(item_ids)]
    depts = {i.department_id for i in items}
    if len(depts) != 1 or None in depts:
        raise ValidationError("a forward carries items of one department", field="item_ids")
    dept = depts.pop()
    project_for(s, actor, project_id, Perm.COMMS_DEPARTMENT, Target(department_id=dept))
    for i in items:
        if i.status != Status.WITH_LIAISON.value:
            raise Conflict(
                f"message {i.id} is not waiting for the liaison (it is {i.status})", field="item_ids"
            )
    t = now()
    fw = CommForward(project_id=project_id, department_id=dept, liaison_id=actor.user_id,
                     note=(note or "").strip(), created_at=t)  # fmt: skip
    s.add(fw)
    s.flush()
    pm = pm_id(s, project_id)
    to_pm: list[CommItem] = []
    for i in items:
        before = journal.snapshot(i)
        inbound = i.direction == Direction.INBOUND.value
        i.status = Status.FORWARDED.value if inbound else Status.DELIVERED.value
        i.forwarded_at = t
        i.forward_id = fw.id
        if i.first_response_at is None:
            i.first_response_at = t
        text = fw.note or ("Forwarded to the Project Manager" if i.direction == "inbound" else "Relayed")
        if inbound:
            i.pm_id = pm or i.pm_id
            add_participants(s, i.id, [i.pm_id], "pm")
            to_pm.append(i)
            _store_files(s, actor, i, _post(s, actor, i, "forward", text), files)
        else:
            dm = _department_members(s, project_id, dept) if dept else []
            add_participants(s, i.id, dm, "recipient")
            stored = _store_files(s, actor, i, _post(s, actor, i, "relay", text), files)
            notify(s, recipients=dm, kind="comms.message", subject=f"Message: {i.subject}",
                   body=_with_files(text, stored),
                   project_id=project_id, link=_link(i), event_key=f"comm:{i.id}:relay",
                   exclude=actor.user_id)  # fmt: skip
        s.flush()
        _journal(s, actor, i, "update", before)
    if to_pm and pm:
        subjects = "\n".join(f"- {i.subject}" for i in to_pm)
        body = f"{fw.note}\n\n{subjects}".strip()
        if files:
            body += "\n\nAttached: " + ", ".join(u.filename or "attachment" for u in files)
        notify(s, recipients=[pm], kind="comms.forward",
               subject=f"{counted(len(to_pm), 'item')} forwarded by the liaison", body=body,
               project_id=project_id, link=f"/projects/{project_id}/messages?status=forwarded",
               event_key=f"comm-forward:{fw.id}")  # fmt: skip
    return {
        "id": fw.id,
        "department_id": dept,
        "note": fw.note,
        "created_at": fw.created_at,
        "items": [item_dict(s, i) for i in items],
    }


def answer(
    s: Session,
    actor: Actor,
    project_id: int,
    item_id: int,
    *,
    body: str,
    pm_minutes: int | None = None,
    version: int | None = None,
    files: list[attachments.Upload] | None = None,
) -> dict[str, Any]:
    """Answer an item, optionally with attachments: the liaison (resolving it within the department), the
    PM, or the person it was addressed to. The PM may say how many minutes it took (default
    DEFAULT_PM_MINUTES)."""
    project_for(s, actor, project_id, Perm.COMMS_SEND)
    i = _item(s, actor, project_id, item_id)
    body = _text(body, "body", 20000)
    files = list(files or [])
    attachments.check_all(files, attachments.MESSAGE_TYPES)
    _check_version(i, version)
    if i.status not in OPEN_STATUSES:
        raise Conflict(f"the message is already {i.status}", field="item_id")
    manager = is_manager(s, actor, project_id)
    liaison = i.department_id is not None and i.department_id in liaison_departments(s, actor, project_id)
    if not (manager or liaison or (actor.user_id is not None and actor.user_id == i.to_user_id)):
        raise PermissionDenied("only the Project Manager, the department's liaison or the addressee answer")
    is_pm = actor.user_id is not None and actor.user_id == pm_id(s, project_id)
    if pm_minutes is not None:
        if not (is_pm or actor.is_admin):
            raise ValidationError("only the Project Manager records PM handling time", field="pm_minutes")
        if pm_minutes < 0 or pm_minutes > 24 * 60:
            raise ValidationError("must be between 0 and 1440 minutes", field="pm_minutes")
    _settle(s, actor, i, body, pm_minutes, files, is_pm=is_pm)
    _answer_concern(s, actor, i, body)
    return item_dict(s, i, messages=True)


def _settle(
    s: Session, actor: Actor, i: CommItem, body: str, pm_minutes: int | None,
    files: list[attachments.Upload], *, is_pm: bool, cause: str | None = None,
    tell: tuple[int | None, ...] | None = None,
) -> None:  # fmt: skip
    """Mark the item answered with this answer (posted, journaled, the raiser and the liaison told, or `tell`)."""
    before = journal.snapshot(i)
    t = now()
    i.status = Status.ANSWERED.value
    i.answered_at = t
    i.answered_by = actor.user_id
    if i.first_response_at is None:
        i.first_response_at = t
    if is_pm and i.direction == Direction.INBOUND.value:
        i.pm_id = actor.user_id
        i.pm_minutes = pm_minutes if pm_minutes is not None else C.DEFAULT_PM_MINUTES
    m = _post(s, actor, i, "answer", body)
    mail = _with_files(body, _store_files(s, actor, i, m, files))
    s.flush()
    _journal(s, actor, i, "update", before, cause)
    notify(s, recipients=tell if tell is not None else [i.raised_by, i.liaison_id], kind="comms.answer",
           subject=f"Answered: {i.subject}", body=mail, project_id=i.project_id, link=_link(i),
           event_key=f"comm:{i.id}:a{m.id}", exclude=actor.user_id)  # fmt: skip


def _answer_concern(s: Session, actor: Actor, i: CommItem, body: str) -> None:
    """A concern's thread answered answers the concern (when it waits for an answer: open or acknowledged;
    one that became a change request or a risk keeps its outcome), journaled with the thread as cause."""
    c = s.scalars(select(Concern).where(Concern.comm_item_id == i.id)).first()
    if c is None or c.status not in (Q.ConcernStatus.OPEN.value, Q.ConcernStatus.ACKNOWLEDGED.value):
        return
    before = journal.snapshot(c)
    t = now()
    c.acknowledged_at = c.acknowledged_at or t
    c.acknowledged_by = c.acknowledged_by or actor.user_id
    c.answer = body
    c.answered_at = t
    c.answered_by = actor.user_id
    c.status = Q.ConcernStatus.ANSWERED.value
    s.flush()
    journal.record(s, actor, entity_type="concern", entity_id=c.id, action="answer", project_id=c.project_id,
                   before=before, after=journal.snapshot(c), cause=f"message {i.id} answered")  # fmt: skip


def concern_thread(s: Session, concern: Concern) -> CommItem | None:
    """The message thread that carries a concern, if it has one."""
    return s.get(CommItem, concern.comm_item_id) if concern.comm_item_id else None


def answer_concern_thread(s: Session, actor: Actor, concern: Concern, body: str) -> None:
    """A concern answered in the register answers its thread too, when that thread is still open (the same
    text, by the same person; journaled with the concern as cause). Its raiser is told about the concern
    already: the thread tells the liaison only."""
    i = concern_thread(s, concern)
    if i is None or i.status not in OPEN_STATUSES:
        return
    is_pm = actor.user_id is not None and actor.user_id == pm_id(s, i.project_id)
    _settle(s, actor, i, body, None, [], is_pm=is_pm, cause=f"concern {concern.id} answered",
            tell=(i.liaison_id,))  # fmt: skip


def acknowledge_concern_thread(s: Session, actor: Actor, concern: Concern) -> None:
    """A concern acknowledged is the first response on its thread (the thread stays where it waits: with the
    liaison, or with the PM, until the concern or the thread is answered)."""
    i = concern_thread(s, concern)
    if i is None or i.first_response_at is not None:
        return
    before = journal.snapshot(i)
    i.first_response_at = now()
    s.flush()
    _journal(s, actor, i, "update", before, f"concern {concern.id} acknowledged")


def close(s: Session, actor: Actor, project_id: int, item_id: int) -> dict[str, Any]:
    """Close a thread: whoever raised it, the PM, or the department's liaison."""
    project_for(s, actor, project_id)
    i = _item(s, actor, project_id, item_id)
    if i.status == Status.CLOSED.value:
        raise Conflict("the thread is already closed", field="item_id")
    liaison = i.department_id is not None and i.department_id in liaison_departments(s, actor, project_id)
    if not (actor.user_id == i.raised_by or liaison or is_manager(s, actor, project_id)):
        raise PermissionDenied("only who raised it, the PM or the department's liaison close a thread")
    before = journal.snapshot(i)
    i.status = Status.CLOSED.value
    i.closed_at = now()
    _post(s, actor, i, "close", "")
    s.flush()
    _journal(s, actor, i, "update", before)
    return item_dict(s, i, messages=True)


# --------------------------------------------------------------------------------------------- liaison desk


def _avg(values: list[float | None]) -> float | None:
    xs = [v for v in values if v is not None]
    return round(sum(xs) / len(xs), 2) if xs else None


def desk(s: Session, actor: Actor, project_id: int, *, department_id: int | None = None) -> dict[str, Any]:
    """The liaison's desk: per department they carry, the inbox (waiting for them), what they forwarded and
    what is answered, with response times. The PM (or an admin) sees every department's desk."""
    project_for(s, actor, project_id)
    manager = is_manager(s, actor, project_id)
    mine = liaison_departments(s, actor, project_id)
    if not manager and not mine:
        raise PermissionDenied("you are not the liaison of a department in this project")
    all_depts = dict(s.execute(select(Department.id, Department.name).order_by(Department.name)).all())
    if department_id is not None:
        if department_id not in all_depts:
            raise NotFound(f"department {department_id} not found", field="department_id")
        if not manager and department_id not in mine:
            raise PermissionDenied("you are the liaison of another department")
        wanted = [department_id]
    elif manager:
        used = set(s.scalars(select(CommItem.department_id).where(CommItem.project_id == project_id)))
        wanted = [d for d in all_depts if d in used or liaison_of(s, project_id, d) is not None]
    else:
        wanted = [d for d in all_depts if d in mine]
    out = []
    for d in wanted:
        rows = list(
            s.scalars(
                select(CommItem)
                .where(
                    CommItem.project_id == project_id,
                    CommItem.department_id == d,
                    CommItem.direction != Direction.ANNOUNCEMENT.value,
                )
                .order_by(CommItem.received_at.desc(), CommItem.id.desc())
            )
        )
        items = [item_dict(s, i) for i in rows]
        via = [x for x in items if x["route"] == Route.VIA_LIAISON.value]
        liaison_id = liaison_of(s, project_id, d)
        out.append({
            "department_id": d,
            "department": all_depts[d],
            "liaison_id": liaison_id,
            "liaison": names(s, [liaison_id]).get(liaison_id) if liaison_id else None,
            "inbox": [x for x in items if x["status"] == Status.WITH_LIAISON.value],
            "open": [x for x in items if x["status"] in OPEN_STATUSES],
            "forwarded": [x for x in items if x["forwarded_at"] is not None],
            "answered": [x for x in items if x["answered_at"] is not None],
            "stats": {
                "items": len(items),
                "via_liaison": len(via),
                "direct": len(items) - len(via),
                "forwarded": sum(1 for x in via if x["forwarded_at"] is not None),
                "resolved_by_liaison": sum(
                    1 for x in via if x["answered_at"] is not None and not x["reached_pm"]
                ),
                "avg_first_response_hours": _avg([x["first_response_hours"] for x in via]),
                "avg_answer_hours": _avg([x["answer_hours"] for x in via]),
            },
        })  # fmt: skip
    return {"project_id": project_id, "is_manager": manager, "departments": out}
