"""The conflict log's escalation ladder (Task Leader -> PM -> Sponsor): the project's time limits per rung,
who holds each rung, moving a conflict up, and the worker's automatic escalations. The log itself:
services.conflicts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from charter.domain import conflicts as rules
from charter.domain.errors import stale
from charter.domain.roles import SPONSOR, Perm
from charter.persistence.models import Conflict, ConflictPolicy
from charter.services import journal
from charter.services.authz import project_for
from charter.services.comms_common import holders, notify, pm_id, task_leader_of
from charter.services.context import Actor, now

ENTITY = "conflict"


# --------------------------------------------------------------------------------------------- policy


def _policy_row(s: Session, project_id: int, *, lock: bool = False) -> ConflictPolicy:
    """The project's ladder limits (created with the defaults on first use); `lock` serialises numbering and
    detection per project (a row lock on PostgreSQL)."""
    q = select(ConflictPolicy).where(ConflictPolicy.project_id == project_id)
    row = s.scalars(q.with_for_update() if lock else q).first()
    if row is None:
        default = rules.Policy()
        try:
            with s.begin_nested():
                row = ConflictPolicy(project_id=project_id, task_leader_hours=default.task_leader_hours,
                                     pm_hours=default.pm_hours, updated_at=now())  # fmt: skip
                s.add(row)
        except IntegrityError:  # created a moment ago by someone else
            pass
        row = s.scalars(q.with_for_update() if lock else q).one()
    return row


def policy(row: ConflictPolicy) -> rules.Policy:
    return rules.Policy(row.task_leader_hours, row.pm_hours)


def policy_dict(row: ConflictPolicy | None, project_id: int | None = None) -> dict[str, Any]:
    """The limits; a project that never set them has the defaults (at version 1, the version the row gets
    when it is first written)."""
    if row is None:
        d = rules.Policy()
        return {"project_id": project_id, "task_leader_hours": d.task_leader_hours, "pm_hours": d.pm_hours,
                "sponsor_hours": None, "detected_at": None, "updated_at": None, "version": 1}  # fmt: skip
    return {"project_id": row.project_id, "task_leader_hours": row.task_leader_hours, "pm_hours": row.pm_hours,
            "sponsor_hours": None, "detected_at": row.detected_at, "updated_at": row.updated_at,
            "version": row.version}  # fmt: skip


def get_policy(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    project_for(s, actor, project_id)
    row = s.scalars(select(ConflictPolicy).where(ConflictPolicy.project_id == project_id)).first()
    return policy_dict(row, project_id)


def set_policy(
    s: Session, actor: Actor, project_id: int, version: int, *, task_leader_hours: int, pm_hours: int
) -> dict[str, Any]:
    """The PM sets how long a conflict may stay with the Task Leader and with the PM. Active conflicts keep
    the rung they are on; their escalation time is recomputed from when they reached it."""
    project_for(s, actor, project_id, Perm.CONFLICT_MANAGE)
    row = _policy_row(s, project_id, lock=True)
    if row.version != version:
        raise stale("conflict policy", version, policy_dict(row))
    new = rules.Policy(task_leader_hours, pm_hours)
    before = journal.snapshot(row)
    row.task_leader_hours, row.pm_hours, row.updated_at = new.task_leader_hours, new.pm_hours, now()
    for c in s.scalars(select(Conflict).where(Conflict.project_id == project_id,
                                              Conflict.status.in_([x.value for x in rules.ACTIVE]))):  # fmt: skip
        due = rules.escalate_at(new, rules.Level(c.level), c.level_since, rules.Status(c.status))
        if due != c.escalate_at:
            c.escalate_at = due
    s.flush()
    journal.record(s, actor, entity_type="conflict_policy", entity_id=project_id, action="update", before=before,
                   after=journal.snapshot(row), project_id=project_id)  # fmt: skip
    return policy_dict(row)


# --------------------------------------------------------------------------------------------- the ladder


def sponsor_of(s: Session, project_id: int) -> int | None:
    rows = holders(s, project_id, SPONSOR)
    return rows[0][0] if rows else None


def holder(s: Session, project_id: int, level: rules.Level, work_package_id: int | None) -> int | None:
    if level is rules.Level.TASK_LEADER:
        return task_leader_of(s, project_id, work_package_id)
    if level is rules.Level.PM:
        return pm_id(s, project_id)
    return sponsor_of(s, project_id)


def _put_on(s: Session, c: Conflict, level: rules.Level, owner: int | None, pol: rules.Policy) -> None:
    t = now()
    c.level, c.owner_id, c.level_since = level.value, owner, t
    c.escalate_at = rules.escalate_at(pol, level, t, rules.Status(c.status))


def _start(s: Session, c: Conflict, pol: rules.Policy) -> None:
    """A new conflict starts with the Task Leader of its work package, at the PM when there is none."""
    for level in rules.LADDER:
        who = holder(s, c.project_id, level, c.work_package_id)
        if who is not None:
            _put_on(s, c, level, who, pol)
            return
    _put_on(s, c, rules.Level.PM, None, pol)


def _up(s: Session, c: Conflict, pol: rules.Policy) -> bool:
    """Move one rung up (skipping a rung nobody holds); False when there is no rung above with a holder, in
    which case the conflict stays and stops escalating by itself."""
    level: rules.Level | None = rules.Level(c.level)
    while (level := rules.next_level(level)) is not None:  # type: ignore[arg-type]
        who = holder(s, c.project_id, level, c.work_package_id)
        if who is not None:
            _put_on(s, c, level, who, pol)
            return True
    c.escalate_at = None
    return False


def _tell_escalated(s: Session, c: Conflict, previous_owner: int | None, reason: str) -> None:
    since = int(c.level_since.timestamp())
    label = {"task_leader": "the Task Leader", "pm": "the Project Manager", "sponsor": "the Sponsor"}[c.level]
    notify(s, recipients=[c.owner_id], kind="conflict.escalated",
           subject=f"Conflict C-{c.number} escalated to you: {c.title}",
           body=f"{reason} It is now with {label}; it is yours to resolve.",
           project_id=c.project_id, link=f"/projects/{c.project_id}/conflicts/{c.id}",
           event_key=f"conflict.escalated:{c.id}:{c.level}:{since}")  # fmt: skip
    notify(s, recipients=[previous_owner], kind="conflict.escalated",
           subject=f"Conflict C-{c.number} moved up to {label}", body=reason, project_id=c.project_id,
           link=f"/projects/{c.project_id}/conflicts/{c.id}", event_key=f"conflict.escalated:{c.id}:{c.level}:{since}",
           exclude=c.owner_id)  # fmt: skip


def due_escalations(s: Session, at: dt.datetime | None = None) -> list[int]:
    """For the worker: move every active conflict whose time on its rung has run out one rung up, journal it
    and tell the new holder. Rows another worker holds are skipped (they are being escalated). Returns ids."""
    t = at or now()
    q = (
        select(Conflict)
        .where(Conflict.status.in_([x.value for x in rules.ACTIVE]), Conflict.escalate_at.is_not(None),
               Conflict.escalate_at <= t)
        .order_by(Conflict.escalate_at, Conflict.id)
        .with_for_update(skip_locked=True)
    )  # fmt: skip
    done = []
    from charter.services.context import SYSTEM

    for c in list(s.scalars(q)):
        pol = policy(_policy_row(s, c.project_id))
        before = journal.snapshot(c)
        old_owner, old_level = c.owner_id, c.level
        moved = _up(s, c, pol)
        c.updated_at = now()
        s.flush()
        cause = (f"automatic: {old_level} time limit ran out" if moved
                 else f"automatic: {old_level} time limit ran out, but no higher rung has a holder")  # fmt: skip
        journal.record(s, SYSTEM, entity_type=ENTITY, entity_id=c.id, action="escalate" if moved else "update",
                       before=before, after=journal.snapshot(c), project_id=c.project_id, cause=cause)  # fmt: skip
        if moved:
            _tell_escalated(s, c, old_owner, "Its time limit ran out.")
            done.append(c.id)
    return done
