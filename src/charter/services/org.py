"""The organisation: its departments, and the instance admin's view of its users (accounts.py changes them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from charter.config import get_settings
from charter.domain.errors import Conflict, NotFound, ValidationError, stale
from charter.domain.ids import as_id
from charter.persistence.models import ApiToken, Department, User, WebSession
from charter.services import accounts, journal
from charter.services.authz import require_admin, require_user
from charter.services.context import Actor, now


def dept_dict(d: Department, head_name: str | None = None) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.name,
        "head_user_id": d.head_user_id,
        "head": head_name,
        "version": d.version,
    }


def list_departments(s: Session, actor: Actor) -> list[dict[str, Any]]:
    require_user(actor)
    rows = s.execute(
        select(Department, User.display_name)
        .outerjoin(User, User.id == Department.head_user_id)
        .order_by(Department.name)
    )
    return [dept_dict(d, h) for d, h in rows]


def _check_head(s: Session, head_user_id: int | None) -> None:
    if head_user_id is not None and s.get(User, head_user_id) is None:
        raise ValidationError(f"user {head_user_id} does not exist", field="head_user_id")


def _check_name(s: Session, name: str | None, dept_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("the department needs a name", field="name")
    if len(name) > 120:
        raise ValidationError("a department's name may be at most 120 characters long", field="name")
    taken = s.scalar(select(Department.id).where(Department.name == name, Department.id != (dept_id or 0)))
    if taken:
        raise Conflict(f"a department named {name!r} exists", field="name")
    return name


def create_department(
    s: Session, actor: Actor, *, name: str, head_user_id: int | None = None
) -> dict[str, Any]:
    require_admin(actor)
    name = _check_name(s, name)
    _check_head(s, head_user_id)
    d = Department(name=name, head_user_id=head_user_id, created_at=now())
    s.add(d)
    s.flush()
    journal.record(
        s, actor, entity_type="department", entity_id=d.id, action="create", after=journal.snapshot(d)
    )
    return dept_dict(d)


def update_department(s: Session, actor: Actor, dept_id: int, version: int, **changes: Any) -> dict[str, Any]:
    require_admin(actor)
    d = s.get(Department, dept_id)
    if d is None:
        raise NotFound(f"department {dept_id} not found")
    if d.version != version:
        raise stale("department", version, _dept(s, d))
    if "head_user_id" in changes:
        _check_head(s, changes["head_user_id"])
    if "name" in changes:
        changes["name"] = _check_name(s, changes["name"], dept_id)
    before = journal.snapshot(d)
    for k, v in changes.items():
        setattr(d, k, v)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="department",
        entity_id=d.id,
        action="update",
        before=before,
        after=journal.snapshot(d),
    )
    return _dept(s, d)


def _dept(s: Session, d: Department) -> dict[str, Any]:
    head = s.get(User, d.head_user_id) if d.head_user_id is not None else None
    return dept_dict(d, head.display_name if head else None)


def find_department_id(s: Session, name_or_id: str) -> int:
    did = s.scalar(select(Department.id).where(Department.name == name_or_id))
    if did is None and (n := as_id(name_or_id)) is not None:
        did = s.scalar(select(Department.id).where(Department.id == n))
    if did is None:
        raise NotFound(f"no department {name_or_id!r}", field="department")
    return did


# --------------------------------------------------------------------------------------------- admin views


def departments_for_admin(s: Session, actor: Actor) -> list[dict[str, Any]]:
    """The departments with their head and how many users belong to each (admins only)."""
    require_admin(actor)
    members = dict(
        s.execute(
            select(User.department_id, func.count())
            .where(User.department_id.is_not(None))
            .group_by(User.department_id)
        ).all()
    )
    return [{**d, "members": members.get(d["id"], 0)} for d in list_departments(s, actor)]


def users_for_admin(s: Session, actor: Actor) -> list[dict[str, Any]]:
    """Every user, as the directory shows them, with whether they have a password, how many web sessions
    they have open and how many API tokens in force (admins only)."""
    require_admin(actor)
    t = now()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    sessions = dict(
        s.execute(
            select(WebSession.user_id, func.count())
            .where(WebSession.expires_at > t, WebSession.last_seen_at > t - idle)
            .group_by(WebSession.user_id)
        ).all()
    )
    tokens = dict(
        s.execute(
            select(ApiToken.user_id, func.count())
            .where(ApiToken.revoked_at.is_(None), or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > t))
            .group_by(ApiToken.user_id)
        ).all()
    )
    has_password = set(s.scalars(select(User.id).where(User.password_hash.is_not(None))))
    return [
        {
            **u,
            "has_password": u["id"] in has_password,
            "sessions": sessions.get(u["id"], 0),
            "tokens": tokens.get(u["id"], 0),
        }
        for u in accounts.list_users(s, actor)
    ]


def user_for_admin(s: Session, actor: Actor, user_id: int) -> dict[str, Any]:
    """One user as `users_for_admin` has them, with their latest journal entries (admins only)."""
    require_admin(actor)
    u = next((u for u in users_for_admin(s, actor) if u["id"] == user_id), None)
    if u is None:
        raise NotFound(f"user {user_id} not found")
    u["history"] = journal.entries(s, entity_type="user", entity_id=user_id, limit=20)
    return u
