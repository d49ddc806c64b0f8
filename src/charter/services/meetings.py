"""Meetings: agenda, attendees, minutes (Markdown), decisions and action items — each action item becomes a
real task with its owner assigned and a deadline — and an iCalendar invitation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain.errors import NotFound, PermissionDenied, ValidationError, stale
from charter.domain.roles import Perm
from charter.io.ical_invite import Person, invitation
from charter.persistence.models import Meeting, MeetingAttendee, MeetingItem, Project, User, WorkPackage
from charter.services import journal, tasks
from charter.services.accounts import find_user_id
from charter.services.authz import can_in_packages, project_for
from charter.services.comms_common import is_manager, names, notify, require_members
from charter.services.context import Actor, now

EDITABLE = frozenset({"title", "starts_at", "ends_at", "location", "agenda", "minutes", "attendee_ids"})


def _attendees(s: Session, meeting_id: int) -> list[int]:
    return list(
        s.scalars(
            select(MeetingAttendee.user_id)
            .where(MeetingAttendee.meeting_id == meeting_id)
            .order_by(MeetingAttendee.id)
        )
    )


def meeting_dict(s: Session, m: Meeting, *, full: bool = True) -> dict[str, Any]:
    people = _attendees(s, m.id)
    items = list(
        s.scalars(select(MeetingItem).where(MeetingItem.meeting_id == m.id).order_by(MeetingItem.id))
    )
    who = names(s, [m.organiser_id, *people, *(i.owner_id for i in items)])
    out: dict[str, Any] = {
        "id": m.id,
        "project_id": m.project_id,
        "title": m.title,
        "starts_at": m.starts_at,
        "ends_at": m.ends_at,
        "location": m.location,
        "organiser_id": m.organiser_id,
        "organiser": who.get(m.organiser_id) if m.organiser_id else None,
        "attendees": [{"user_id": u, "name": who.get(u)} for u in people],
        "version": m.version,
    }
    if full:
        out["agenda"] = m.agenda
        out["minutes"] = m.minutes
        out["decisions"] = [
            {"id": i.id, "text": i.text, "created_at": i.created_at} for i in items if i.kind == "decision"
        ]
        out["actions"] = [
            {"id": i.id, "text": i.text, "owner_id": i.owner_id, "owner": who.get(i.owner_id) if i.owner_id else None,
             "due_on": i.due_on, "task_id": i.task_id, "created_at": i.created_at}
            for i in items if i.kind == "action"
        ]  # fmt: skip
    return out


def find_people(
    s: Session, actor: Actor, project_id: int, names: list[str], meeting_id: int | None = None
) -> list[int]:
    """The users named (usernames or ids) for a new meeting (whoever may schedule one) or for meeting
    `meeting_id` (its organiser or the PM): the right is checked before the look-up, so that a refusal does
    not say whether a name exists."""
    if meeting_id is None:
        project_for(s, actor, project_id, Perm.COMMS_SEND)
    else:
        project_for(s, actor, project_id)
        _may_edit(s, actor, _meeting(s, project_id, meeting_id))
    return [find_user_id(s, n) for n in names]


def _meeting(s: Session, project_id: int, meeting_id: int) -> Meeting:
    m = s.get(Meeting, meeting_id)
    if m is None or m.project_id != project_id:
        raise NotFound(f"meeting {meeting_id} not found in this project", field="meeting_id")
    return m


def _may_edit(s: Session, actor: Actor, m: Meeting) -> None:
    if actor.user_id != m.organiser_id and not is_manager(s, actor, m.project_id):
        raise PermissionDenied("only the organiser or the Project Manager change a meeting")


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValidationError("give times with a time zone (UTC by default)", field="starts_at")
    if ends_at <= starts_at:
        raise ValidationError("the meeting must end after it starts", field="ends_at")


def list_meetings(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    project_for(s, actor, project_id)
    rows = s.scalars(
        select(Meeting).where(Meeting.project_id == project_id).order_by(Meeting.starts_at.desc())
    )
    return [meeting_dict(s, m, full=False) for m in rows]


def get_meeting(s: Session, actor: Actor, project_id: int, meeting_id: int) -> dict[str, Any]:
    project_for(s, actor, project_id)
    return meeting_dict(s, _meeting(s, project_id, meeting_id))


def _set_attendees(s: Session, m: Meeting, user_ids: list[int]) -> list[int]:
    wanted = list(dict.fromkeys(user_ids))
    require_members(s, m.project_id, wanted, "attendee_ids")
    have = _attendees(s, m.id)
    for row in s.scalars(select(MeetingAttendee).where(MeetingAttendee.meeting_id == m.id)):
        if row.user_id not in wanted:
            s.delete(row)
    added = [u for u in wanted if u not in have]
    for u in added:
        s.add(MeetingAttendee(meeting_id=m.id, user_id=u))
    return added


def create_meeting(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    location: str = "",
    agenda: str = "",
    attendee_ids: list[int] | None = None,
) -> dict[str, Any]:
    project_for(s, actor, project_id, Perm.COMMS_SEND)
    title = (title or "").strip()
    if not title:
        raise ValidationError("is required", field="title")
    _check_times(starts_at, ends_at)
    m = Meeting(project_id=project_id, title=title, starts_at=starts_at, ends_at=ends_at, location=location or "",
                agenda=agenda or "", minutes="", organiser_id=actor.user_id, created_at=now())  # fmt: skip
    s.add(m)
    s.flush()
    added = _set_attendees(s, m, attendee_ids or [])
    s.flush()
    journal.record(s, actor, entity_type="meeting", entity_id=m.id, action="create", project_id=project_id,
                   after=journal.snapshot(m))  # fmt: skip
    notify(s, recipients=added, kind="comms.meeting", subject=f"Meeting: {title}",
           body=f"{starts_at:%Y-%m-%d %H:%M} UTC\n\n{agenda}", project_id=project_id,
           link=f"/projects/{project_id}/meetings/{m.id}", event_key=f"meeting:{m.id}:invite",
           exclude=actor.user_id)  # fmt: skip
    return meeting_dict(s, m)


def update_meeting(
    s: Session, actor: Actor, project_id: int, meeting_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    project_for(s, actor, project_id)
    m = _meeting(s, project_id, meeting_id)
    _may_edit(s, actor, m)
    if m.version != version:
        raise stale("the meeting", version, meeting_dict(s, m))
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    _check_times(changes.get("starts_at", m.starts_at), changes.get("ends_at", m.ends_at))
    before = journal.snapshot(m)
    people = changes.pop("attendee_ids", None)
    if "title" in changes and not (changes["title"] or "").strip():
        raise ValidationError("is required", field="title")
    for k, v in changes.items():
        setattr(m, k, v)
    if people is not None:
        _set_attendees(s, m, people)
    s.flush()
    journal.record(s, actor, entity_type="meeting", entity_id=m.id, action="update", project_id=project_id,
                   before=before, after=journal.snapshot(m))  # fmt: skip
    return meeting_dict(s, m)


def add_decision(s: Session, actor: Actor, project_id: int, meeting_id: int, *, text: str) -> dict[str, Any]:
    project_for(s, actor, project_id)
    m = _meeting(s, project_id, meeting_id)
    _may_edit(s, actor, m)
    text = (text or "").strip()
    if not text:
        raise ValidationError("is required", field="text")
    i = MeetingItem(meeting_id=m.id, kind="decision", text=text, created_by=actor.user_id, created_at=now())
    s.add(i)
    s.flush()
    journal.record(s, actor, entity_type="meeting_item", entity_id=i.id, action="create", project_id=project_id,
                   after=journal.snapshot(i))  # fmt: skip
    return meeting_dict(s, m)


def add_action(
    s: Session,
    actor: Actor,
    project_id: int,
    meeting_id: int,
    *,
    text: str,
    owner_id: int,
    due_on: date,
    work_package_id: int | None = None,
    duration: str | None = None,
) -> dict[str, Any]:
    """An action item: a task named after it, its owner assigned, starting no earlier than the meeting's day
    (an SNET constraint: it does not sit at the project's start and load its owner there) with the due date
    as its deadline; `duration` as for a task ("3d", "4h"; default one working day)."""
    project_for(s, actor, project_id)
    m = _meeting(s, project_id, meeting_id)
    _may_edit(s, actor, m)
    text = (text or "").strip()
    if not text:
        raise ValidationError("is required", field="text")
    require_members(s, project_id, [owner_id], "owner_id")
    if due_on < m.starts_at.date():
        raise ValidationError(f"is before the meeting ({m.starts_at:%Y-%m-%d})", field="due_on")
    targets = {t["id"] for t in action_targets(s, actor, project_id)}
    if work_package_id not in targets:
        wp = s.get(WorkPackage, work_package_id) if work_package_id is not None else None
        if work_package_id is not None and (wp is None or wp.project_id != project_id):
            raise ValidationError(
                f"work package {work_package_id} not found in this project", field="work_package_id"
            )
        raise ValidationError(
            "an action item becomes a task: choose a work package you add tasks to"
            if targets
            else "an action item becomes a task, and your roles add tasks nowhere in this project",
            field="work_package_id",
        )
    task = tasks.create_task(
        s,
        actor,
        project_id,
        name=text[:300],
        work_package_id=work_package_id,
        duration=duration or "1d",
        deadline=datetime(due_on.year, due_on.month, due_on.day, 17, 0),
        constraint_type="snet",
        constraint_date=datetime(m.starts_at.year, m.starts_at.month, m.starts_at.day),
        description=f"Action item from the meeting “{m.title}” ({m.starts_at:%Y-%m-%d}).",
    )
    tasks.set_assignees(s, actor, project_id, task["id"], [owner_id])
    i = MeetingItem(meeting_id=m.id, kind="action", text=text, owner_id=owner_id, due_on=due_on,
                    task_id=task["id"], created_by=actor.user_id, created_at=now())  # fmt: skip
    s.add(i)
    s.flush()
    journal.record(s, actor, entity_type="meeting_item", entity_id=i.id, action="create", project_id=project_id,
                   after=journal.snapshot(i))  # fmt: skip
    notify(s, recipients=[owner_id], kind="comms.action_item", subject=f"Action item: {text[:200]}",
           body=f"Due {due_on}. From the meeting “{m.title}”.", project_id=project_id,
           link=f"/projects/{project_id}/meetings/{m.id}", event_key=f"meeting-action:{i.id}",
           exclude=actor.user_id)  # fmt: skip
    return meeting_dict(s, m)


def action_targets(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    """Where the actor's action items may go: every action item is a task, so the project level (id None) if
    their roles add tasks there, and each work package they add tasks to (a Task Leader organiser: their own
    packages). Empty: they add no action items in this project."""
    project_for(s, actor, project_id)
    wps = s.execute(
        select(WorkPackage.id, WorkPackage.wbs_code, WorkPackage.name)
        .where(WorkPackage.project_id == project_id)
        .order_by(WorkPackage.wbs_code, WorkPackage.id)
    ).all()
    allowed = can_in_packages(s, actor, project_id, Perm.TASK_EDIT, [w.id for w in wps])
    out: list[dict[str, Any]] = [{"id": None, "label": "Project level"}] if allowed[None] else []
    out += [{"id": w.id, "label": f"{w.wbs_code} {w.name}"} for w in wps if allowed[w.id]]
    return out


def invitation_ics(s: Session, actor: Actor, project_id: int, meeting_id: int) -> bytes:
    project_for(s, actor, project_id)
    m = _meeting(s, project_id, meeting_id)
    project = s.get(Project, project_id)
    users = {
        u.id: u
        for u in s.scalars(select(User).where(User.id.in_([*_attendees(s, m.id), m.organiser_id or 0])))
    }
    org = users.get(m.organiser_id or 0)
    return invitation(
        uid=f"meeting-{m.id}",
        summary=f"{project.key if project else ''} {m.title}".strip(),
        starts_at=m.starts_at,
        ends_at=m.ends_at,
        organiser=Person(org.display_name, org.email) if org else Person("Charter", None),
        attendees=[Person(users[u].display_name, users[u].email) for u in _attendees(s, m.id) if u in users],
        description=m.agenda,
        location=m.location,
        sequence=m.version - 1,
        stamp=now(),
    )
