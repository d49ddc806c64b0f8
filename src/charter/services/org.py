"""Departments of the organisation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain.errors import Conflict, NotFound, ValidationError, stale
from charter.domain.ids import as_id
from charter.persistence.models import Department, User
from charter.services import journal
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


def create_department(
    s: Session, actor: Actor, *, name: str, head_user_id: int | None = None
) -> dict[str, Any]:
    require_admin(actor)
    name = name.strip()
    if not name:
        raise ValidationError("the department needs a name", field="name")
    if s.scalar(select(Department.id).where(Department.name == name)):
        raise Conflict(f"a department named {name!r} exists", field="name")
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
        raise stale("department", version, dept_dict(d))
    if "head_user_id" in changes:
        _check_head(s, changes["head_user_id"])
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise ValidationError("the department needs a name", field="name")
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
    return dept_dict(d)


def find_department_id(s: Session, name_or_id: str) -> int:
    did = s.scalar(select(Department.id).where(Department.name == name_or_id))
    if did is None and (n := as_id(name_or_id)) is not None:
        did = s.scalar(select(Department.id).where(Department.id == n))
    if did is None:
        raise NotFound(f"no department {name_or_id!r}", field="department")
    return did
