"""What the communication services share: who holds a role right now (the PM, a package's Task Leader, a
department's liaison), who is in the project, who may see which item, and the hand-off to the notification
service (when it is installed)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from charter.domain.communications import Audience, Direction
from charter.domain.errors import ValidationError
from charter.domain.roles import LIAISON, PM, SPONSOR, TASK_LEADER, Perm, ScopeKind
from charter.persistence.models import (
    CommItem,
    CommParticipant,
    Department,
    Role,
    RoleAssignment,
    User,
    WorkPackage,
)
from charter.services.authz import can, grants
from charter.services.context import Actor, now


def current_only(q: Any, at: datetime) -> Any:
    return q.where(
        RoleAssignment.valid_from <= at,
        or_(RoleAssignment.valid_until.is_(None), RoleAssignment.valid_until > at),
    )


def pm_id(s: Session, project_id: int, at: datetime | None = None) -> int | None:
    q = (
        select(RoleAssignment.user_id)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(RoleAssignment.project_id == project_id, Role.key == PM)
    )
    uid: int | None = s.scalar(current_only(q, at or now()).order_by(RoleAssignment.valid_from.desc()))
    return uid


def holders(
    s: Session, project_id: int, role_key: str, at: datetime | None = None
) -> list[tuple[int, int | None]]:
    """Who holds the role (by key) at that moment, with the work package of a package-scoped holding; the
    latest holding first."""
    q = (
        select(RoleAssignment.user_id, RoleAssignment.work_package_id)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(RoleAssignment.project_id == project_id, Role.key == role_key)
    )
    rows = s.execute(
        current_only(q, at or now()).order_by(RoleAssignment.valid_from.desc(), RoleAssignment.id)
    )
    return [(u, w) for u, w in rows]


def task_leader_of(
    s: Session, project_id: int, work_package_id: int | None, at: datetime | None = None
) -> int | None:
    """The Task Leader of the package, else of the nearest enclosing package that has one (a Task Leader leads
    their package's sub-packages too)."""
    if work_package_id is None:
        return None
    leaders: dict[int, int] = {}
    for u, w in holders(s, project_id, TASK_LEADER, at):
        if w is not None:
            leaders.setdefault(w, u)
    seen: set[int] = set()
    wp: int | None = work_package_id
    while wp is not None and wp not in seen:
        if wp in leaders:
            return leaders[wp]
        seen.add(wp)
        wp = s.scalar(select(WorkPackage.parent_id).where(WorkPackage.id == wp))
    return None


def liaison_of(
    s: Session, project_id: int, department_id: int | None, at: datetime | None = None
) -> int | None:
    """The user who holds the Liaison role for the department at that moment (the role is exclusive)."""
    if department_id is None:
        return None
    q = (
        select(RoleAssignment.user_id)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(
            RoleAssignment.project_id == project_id,
            Role.key == LIAISON,
            RoleAssignment.department_id == department_id,
        )
    )
    uid: int | None = s.scalar(current_only(q, at or now()))
    return uid


def goes_direct(s: Session, project_id: int, user_id: int | None) -> bool:
    """Does this user talk to the PM directly, not through their department's liaison? A department head
    (Department.head_user_id) and the project's current Sponsor do: the liaison carries the department's
    communication, while the PM still deals with the heads and the sponsor in person."""
    if user_id is None:
        return False
    if s.scalar(select(Department.id).where(Department.head_user_id == user_id).limit(1)) is not None:
        return True
    q = (
        select(RoleAssignment.id)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(
            RoleAssignment.project_id == project_id, RoleAssignment.user_id == user_id, Role.key == SPONSOR
        )
    )
    return s.scalar(current_only(q, now()).limit(1)) is not None


def liaison_history(s: Session, project_id: int) -> dict[int, datetime]:
    """Department -> when it first got a liaison in this project (the earliest Liaison assignment)."""
    q = (
        select(RoleAssignment.department_id, RoleAssignment.valid_from)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(
            RoleAssignment.project_id == project_id,
            Role.key == LIAISON,
            RoleAssignment.department_id.is_not(None),
        )
    )
    out: dict[int, datetime] = {}
    for dept, since in s.execute(q):
        if dept is None:
            continue
        if dept not in out or since < out[dept]:
            out[dept] = since
    return out


def members(s: Session, project_id: int) -> set[int]:
    q = select(RoleAssignment.user_id).where(RoleAssignment.project_id == project_id)
    return set(s.scalars(current_only(q, now())))


def role_ids_of(s: Session, project_id: int, user_id: int | None) -> set[int]:
    if user_id is None:
        return set()
    q = select(RoleAssignment.role_id).where(
        RoleAssignment.project_id == project_id, RoleAssignment.user_id == user_id
    )
    return set(s.scalars(current_only(q, now())))


def require_members(s: Session, project_id: int, user_ids: Iterable[int], field: str) -> None:
    """Refuse anyone who holds no current role in the project, naming them (422)."""
    inside = members(s, project_id)
    for uid in user_ids:
        if uid in inside:
            continue
        u = s.get(User, uid)
        if u is None:
            raise ValidationError(f"user {uid} does not exist", field=field)
        raise ValidationError(
            f"{u.display_name} ({u.username}) is not a member of this project; messages go only to "
            "people who hold a role in it",
            field=field,
        )


def is_manager(s: Session, actor: Actor, project_id: int) -> bool:
    """The PM (or an admin, or a custom role with project-wide comms.department): sees every item."""
    return can(s, actor, project_id, Perm.COMMS_DEPARTMENT)


def sees_departments(s: Session, actor: Actor, project_id: int) -> bool:
    """May open the department views (liaison desk, communication analytics, stakeholder register): the PM
    (or an admin) and the current liaisons. For showing or hiding their links; those services still check."""
    return is_manager(s, actor, project_id) or bool(liaison_departments(s, actor, project_id))


def liaison_departments(s: Session, actor: Actor, project_id: int) -> set[int]:
    """The departments the actor is the liaison of right now (department-scoped comms.department)."""
    return {
        g.scope_id
        for g in grants(s, actor, project_id)
        if g.scope_kind is ScopeKind.DEPARTMENT and Perm.COMMS_DEPARTMENT in g.permissions and g.scope_id
    }


def visibility(s: Session, actor: Actor, project_id: int) -> ColumnElement[bool] | None:
    """The condition on CommItem for what the actor may see; None means everything (the PM, an admin).
    A liaison sees their departments' items; everyone sees the items they take part in and the
    announcements addressed to the whole project, their department or a role they hold."""
    if is_manager(s, actor, project_id):
        return None
    uid = actor.user_id
    depts = liaison_departments(s, actor, project_id)
    my_dept = s.scalar(select(User.department_id).where(User.id == uid)) if uid else None
    roles = role_ids_of(s, project_id, uid)
    ann = CommItem.direction == Direction.ANNOUNCEMENT.value
    conds: list[ColumnElement[bool]] = [
        CommItem.id.in_(select(CommParticipant.item_id).where(CommParticipant.user_id == uid)),
        and_(ann, CommItem.audience == Audience.PROJECT.value),
    ]
    if depts:
        conds.append(CommItem.department_id.in_(depts))
    if my_dept is not None:
        conds.append(and_(ann, CommItem.to_department_id == my_dept))
    if roles:
        conds.append(and_(ann, CommItem.to_role_id.in_(roles)))
    return or_(*conds)


def notify(
    s: Session,
    *,
    recipients: Iterable[int | None],
    kind: str,
    subject: str,
    body: str,
    project_id: int | None,
    link: str | None,
    event_key: str,
    exclude: int | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> None:
    """Hand a notification to charter.services.notifications.notify when that service exists (in-app inbox
    and e-mail outbox, in this transaction); without it, nothing is sent. `attachments`: references the
    worker turns into e-mail attachments (see notifications.notify)."""
    ids = sorted({r for r in recipients if r is not None and r != exclude})
    if not ids:
        return
    try:
        module = importlib.import_module("charter.services.notifications")
    except ImportError:
        return
    fn = getattr(module, "notify", None)
    if fn is None:
        return
    fn(
        s,
        recipients=ids,
        kind=kind,
        subject=subject[:300],
        body=body,
        project_id=project_id,
        link=link,
        event_key=event_key[:200],
        **({"attachments": attachments} if attachments else {}),
    )


def names(s: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {u for u in user_ids if u is not None}
    if not ids:
        return {}
    return dict(s.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def hours(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return round((b - a).total_seconds() / 3600, 2)


def add_participants(s: Session, item_id: int, user_ids: Iterable[int | None], reason: str) -> list[int]:
    """Add people to an item (once each); returns the ones newly added."""
    have = set(s.scalars(select(CommParticipant.user_id).where(CommParticipant.item_id == item_id)))
    added: list[int] = []
    for uid in user_ids:
        if uid is None or uid in have:
            continue
        s.add(CommParticipant(item_id=item_id, user_id=uid, reason=reason, added_at=now()))
        have.add(uid)
        added.append(uid)
    return added


THREAD_JOURNAL_TYPES = ("comm_item", "comm_message", "comm_attachment")


def hidden_journal_types(s: Session, actor: Actor, project_id: int) -> tuple[str, ...]:
    """What the project-wide journal leaves out for this reader: the records of message threads (subjects,
    replies, file names), unless the reader is the PM or an admin; a thread's participants see it on its page."""
    return () if is_manager(s, actor, project_id) else THREAD_JOURNAL_TYPES
