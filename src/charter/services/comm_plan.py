"""The communication plan: which information goes to whom (a stakeholder, a department, a role, the whole
project), how often, through which channel and who owns it; what is due, and what is overdue (flagged to its
owner and the PM)."""

from __future__ import annotations

import datetime as dt
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain import communications as C
from charter.domain.communications import Channel, Frequency
from charter.domain.errors import NotFound, PermissionDenied, ValidationError, stale
from charter.domain.projects import ProjectStatus
from charter.domain.roles import Perm
from charter.persistence.models import CommPlanEntry, Department, Project, Role, Task, TaskComputed
from charter.services import journal
from charter.services.authz import project_for
from charter.services.comms_common import is_manager, names, notify, pm_id, require_members
from charter.services.context import Actor, now

AUDIENCES = ("user", "department", "role", "project")
FIELDS = frozenset({
    "information", "audience", "audience_user_id", "audience_department_id", "audience_role_id", "frequency",
    "channel", "owner_id", "starts_on", "active",
})  # fmt: skip


def _milestones(s: Session, project_id: int) -> list[date]:
    q = (
        select(TaskComputed.finish, Task.deadline)
        .select_from(Task)
        .outerjoin(TaskComputed, TaskComputed.task_id == Task.id)
        .where(Task.project_id == project_id, Task.milestone.is_(True))
    )
    out: list[date] = []
    for f, dl in s.execute(q):
        when = f or dl
        if when is not None:
            out.append(when.date())
    return out


def entry_dict(s: Session, e: CommPlanEntry, milestones: list[date], today: date) -> dict[str, Any]:
    who = names(s, [e.owner_id, e.audience_user_id])
    due = C.next_due(Frequency(e.frequency), e.starts_on, e.last_done_on, milestones) if e.active else None
    if e.audience == "user":
        to = who.get(e.audience_user_id) if e.audience_user_id else None
    elif e.audience == "department":
        d = s.get(Department, e.audience_department_id) if e.audience_department_id else None
        to = d.name if d else None
    elif e.audience == "role":
        r = s.get(Role, e.audience_role_id) if e.audience_role_id else None
        to = r.name if r else None
    else:
        to = "Whole project"
    return {
        "id": e.id,
        "project_id": e.project_id,
        "information": e.information,
        "audience": e.audience,
        "audience_user_id": e.audience_user_id,
        "audience_department_id": e.audience_department_id,
        "audience_role_id": e.audience_role_id,
        "audience_name": to,
        "frequency": e.frequency,
        "channel": e.channel,
        "owner_id": e.owner_id,
        "owner": who.get(e.owner_id) if e.owner_id else None,
        "starts_on": e.starts_on,
        "last_done_on": e.last_done_on,
        "next_due": due,
        "overdue": due is not None and due < today,
        "due": due is not None and due <= today,
        "active": e.active,
        "version": e.version,
    }


def _entry(s: Session, project_id: int, entry_id: int) -> CommPlanEntry:
    e = s.get(CommPlanEntry, entry_id)
    if e is None or e.project_id != project_id:
        raise NotFound(f"communication plan entry {entry_id} not found in this project", field="entry_id")
    return e


def list_plan(s: Session, actor: Actor, project_id: int, *, due_only: bool = False) -> list[dict[str, Any]]:
    project_for(s, actor, project_id)
    out = _entries(s, project_id, now().date())
    if due_only:
        out = [e for e in out if e["due"]]
        out.sort(key=lambda e: e["next_due"])
    return out


def _normalise(s: Session, project_id: int, v: dict[str, Any]) -> None:
    unknown = set(v) - FIELDS
    if unknown:
        raise ValidationError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    if "information" in v:
        v["information"] = (v["information"] or "").strip()
        if not v["information"]:
            raise ValidationError("is required", field="information")
    if "audience" in v and v["audience"] not in AUDIENCES:
        raise ValidationError(f"must be one of: {', '.join(AUDIENCES)}", field="audience")
    if "frequency" in v:
        v["frequency"] = C.parse_enum(Frequency, v["frequency"], "frequency").value
    if "channel" in v:
        v["channel"] = C.parse_enum(Channel, v["channel"], "channel").value
    if v.get("owner_id") is not None:
        require_members(s, project_id, [v["owner_id"]], "owner_id")


def _check_audience(s: Session, project_id: int, e: CommPlanEntry) -> None:
    if e.audience == "user":
        if e.audience_user_id is None:
            raise ValidationError("name the stakeholder", field="audience_user_id")
        require_members(s, project_id, [e.audience_user_id], "audience_user_id")
    elif e.audience == "department":
        if e.audience_department_id is None or s.get(Department, e.audience_department_id) is None:
            raise ValidationError("name an existing department", field="audience_department_id")
    elif e.audience == "role":
        r = s.get(Role, e.audience_role_id) if e.audience_role_id else None
        if r is None or r.project_id != project_id:
            raise ValidationError("name a role of this project", field="audience_role_id")


def create_entry(s: Session, actor: Actor, project_id: int, **values: Any) -> dict[str, Any]:
    project_for(s, actor, project_id, Perm.COMMS_DEPARTMENT)
    values = {k: v for k, v in values.items() if v is not None}
    _normalise(s, project_id, values)
    values.setdefault("owner_id", actor.user_id)
    values.setdefault("starts_on", now().date())
    for req in ("information", "audience", "frequency", "channel"):
        if req not in values:
            raise ValidationError("is required", field=req)
    e = CommPlanEntry(project_id=project_id, created_at=now(), active=values.pop("active", True), **values)
    _check_audience(s, project_id, e)
    s.add(e)
    s.flush()
    journal.record(s, actor, entity_type="comm_plan_entry", entity_id=e.id, action="create",
                   project_id=project_id, after=journal.snapshot(e))  # fmt: skip
    return entry_dict(s, e, _milestones(s, project_id), now().date())


def update_entry(
    s: Session, actor: Actor, project_id: int, entry_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    project_for(s, actor, project_id, Perm.COMMS_DEPARTMENT)
    e = _entry(s, project_id, entry_id)
    ms, today = _milestones(s, project_id), now().date()
    if e.version != version:
        raise stale("the plan entry", version, entry_dict(s, e, ms, today))
    _normalise(s, project_id, changes)
    before = journal.snapshot(e)
    for k, v in changes.items():
        setattr(e, k, v)
    _check_audience(s, project_id, e)
    s.flush()
    journal.record(s, actor, entity_type="comm_plan_entry", entity_id=e.id, action="update",
                   project_id=project_id, before=before, after=journal.snapshot(e))  # fmt: skip
    return entry_dict(s, e, ms, today)


def delete_entry(s: Session, actor: Actor, project_id: int, entry_id: int, version: int) -> None:
    """Remove an entry (the journal keeps it): the entry at `version`, as it was read (else 409 with it as it
    is now, and nothing removed)."""
    project_for(s, actor, project_id, Perm.COMMS_DEPARTMENT)
    e = _entry(s, project_id, entry_id)
    if e.version != version:
        raise stale("the plan entry", version, entry_dict(s, e, _milestones(s, project_id), now().date()))
    before = journal.snapshot(e)
    s.delete(e)
    journal.record(s, actor, entity_type="comm_plan_entry", entity_id=entry_id, action="delete",
                   project_id=project_id, before=before)  # fmt: skip


def mark_done(
    s: Session, actor: Actor, project_id: int, entry_id: int, *, on: date | None = None
) -> dict[str, Any]:
    """Record that the communication went out (today by default): its owner or the PM."""
    project_for(s, actor, project_id)
    e = _entry(s, project_id, entry_id)
    if not (actor.user_id == e.owner_id or is_manager(s, actor, project_id)):
        raise PermissionDenied("only the entry's owner or the Project Manager record it as done")
    day = on or now().date()
    if day > now().date():
        raise ValidationError("cannot be in the future", field="on")
    before = journal.snapshot(e)
    e.last_done_on = day
    s.flush()
    journal.record(s, actor, entity_type="comm_plan_entry", entity_id=e.id, action="update",
                   project_id=project_id, before=before, after=journal.snapshot(e), cause="done")  # fmt: skip
    return entry_dict(s, e, _milestones(s, project_id), now().date())


def pass_on(
    s: Session, actor: Actor, project_id: int, *, from_user_id: int, to_user_id: int, cause: str
) -> int:
    """The active entries `from_user_id` owns pass to `to_user_id` (a PM hand-over), each journaled with
    `cause`; the permission is the caller's (the hand-over's). Returns how many passed."""
    rows = s.scalars(
        select(CommPlanEntry)
        .where(CommPlanEntry.project_id == project_id, CommPlanEntry.owner_id == from_user_id,
               CommPlanEntry.active.is_(True))
        .order_by(CommPlanEntry.id)
    ).all()  # fmt: skip
    for e in rows:
        before = journal.snapshot(e)
        e.owner_id = to_user_id
        s.flush()
        journal.record(s, actor, entity_type="comm_plan_entry", entity_id=e.id, action="update",
                       project_id=project_id, before=before, after=journal.snapshot(e), cause=cause)  # fmt: skip
    return len(rows)


def hand_over_entries(
    s: Session, actor: Actor, project_id: int, *, from_user_id: int, to_user_id: int
) -> list[dict[str, Any]]:
    """Whoever keeps the plan passes every active entry one member owns to another (someone leaves, or hands
    their communications over): each change journaled. Returns the entries passed on."""
    project_for(s, actor, project_id, Perm.COMMS_DEPARTMENT)
    if from_user_id == to_user_id:
        raise ValidationError("is the current owner; name someone else", field="to_user_id")
    require_members(s, project_id, [to_user_id], "to_user_id")
    ids = list(s.scalars(
        select(CommPlanEntry.id)
        .where(CommPlanEntry.project_id == project_id, CommPlanEntry.owner_id == from_user_id,
               CommPlanEntry.active.is_(True))
        .order_by(CommPlanEntry.id)
    ))  # fmt: skip
    who = names(s, [from_user_id, to_user_id])
    pass_on(s, actor, project_id, from_user_id=from_user_id, to_user_id=to_user_id,
            cause=f"plan entries passed on from {who.get(from_user_id)} to {who.get(to_user_id)}")  # fmt: skip
    ms, today = _milestones(s, project_id), now().date()
    return [entry_dict(s, _entry(s, project_id, i), ms, today) for i in ids]


def _entries(s: Session, project_id: int, today: date) -> list[dict[str, Any]]:
    ms = _milestones(s, project_id)
    rows = s.scalars(
        select(CommPlanEntry).where(CommPlanEntry.project_id == project_id).order_by(CommPlanEntry.id)
    )
    return [entry_dict(s, e, ms, today) for e in rows]


def _flag(s: Session, project_id: int, overdue: list[dict[str, Any]]) -> None:
    """Tell each overdue entry's owner and the PM, once per entry and due date (the event key)."""
    pm = pm_id(s, project_id)
    for e in overdue:
        notify(s, recipients=[e["owner_id"], pm], kind="comms.plan_overdue",
               subject=f"Overdue communication: {e['information']}",
               body=f"Due {e['next_due']} ({e['frequency']}, {e['channel']}) to {e['audience_name']}.",
               project_id=project_id, link=f"/projects/{project_id}/comm-plan",
               event_key=f"comm-plan:{e['id']}:{e['next_due']}")  # fmt: skip


def flag_overdue(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    """The overdue entries, each flagged to its owner and the PM (once per entry and due date)."""
    project_for(s, actor, project_id)
    overdue = [e for e in _entries(s, project_id, now().date()) if e["overdue"]]
    _flag(s, project_id, overdue)
    return overdue


def due_overdue_flags(s: Session, at: dt.datetime | None = None) -> list[int]:
    """For the worker: flag the overdue entries of every live project's plan, as `flag_overdue` does on
    request (each entry and due date once). Returns the ids of the entries flagged this pass or before."""
    today = (at or now()).date()
    projects = s.scalars(
        select(CommPlanEntry.project_id).join(Project, Project.id == CommPlanEntry.project_id)
        .where(CommPlanEntry.active.is_(True), Project.deleted_at.is_(None),
               Project.status.not_in((ProjectStatus.CLOSED.value, ProjectStatus.CANCELLED.value)))
        .distinct().order_by(CommPlanEntry.project_id)
    ).all()  # fmt: skip
    flagged: list[int] = []
    for pid in projects:
        overdue = [e for e in _entries(s, pid, today) if e["overdue"]]
        _flag(s, pid, overdue)
        flagged += [e["id"] for e in overdue]
    return flagged
