"""Roles and responsibilities: custom roles, time-bounded assignments, hand-overs, the RACI matrix and
responsibility gaps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from charter.domain import roles as rules
from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError, stale
from charter.domain.roles import Area, Perm, Raci, RaciMatrix, ScopeKind
from charter.persistence.models import Department, RaciCell, Role, RoleAssignment, User, WorkPackage
from charter.services import journal
from charter.services.authz import grants, project_for
from charter.services.context import Actor, now


def role_dict(r: Role, holders: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": r.id,
        "project_id": r.project_id,
        "key": r.key,
        "name": r.name,
        "description": r.description,
        "scope_kind": r.scope_kind,
        "exclusive": r.exclusive,
        "permissions": list(r.permissions),
        "builtin": r.builtin,
        "holders": holders if holders is not None else [],
        "version": r.version,
    }


def _names(s: Session, project_id: int) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    users = dict(s.execute(select(User.id, User.display_name)).all())
    wps = dict(
        s.execute(
            select(WorkPackage.id, WorkPackage.wbs_code + " " + WorkPackage.name).where(
                WorkPackage.project_id == project_id
            )
        ).all()
    )
    depts = dict(s.execute(select(Department.id, Department.name)).all())
    return users, wps, depts


def assignment_dict(
    a: RoleAssignment, role: Role, names: tuple[dict[int, str], dict[int, str], dict[int, str]], at: datetime
) -> dict[str, Any]:
    users, wps, depts = names
    scope_name = None
    if a.work_package_id:
        scope_name = wps.get(a.work_package_id)
    elif a.department_id:
        scope_name = depts.get(a.department_id)
    return {
        "id": a.id,
        "project_id": a.project_id,
        "role_id": a.role_id,
        "role": role.name,
        "role_key": role.key,
        "user_id": a.user_id,
        "user": users.get(a.user_id),
        "scope_kind": role.scope_kind,
        "scope_id": a.scope_id,
        "scope": scope_name,
        "valid_from": a.valid_from,
        "valid_until": a.valid_until,
        "current": a.valid_from <= at and (a.valid_until is None or at < a.valid_until),
        "note": a.note,
        "version": a.version,
    }


def _role(s: Session, project_id: int, role_id: int) -> Role:
    r = s.get(Role, role_id)
    if r is None or r.project_id != project_id:
        raise NotFound(f"role {role_id} not found in this project", field="role_id")
    return r


def _domain(a: RoleAssignment) -> rules.Assignment:
    return rules.Assignment(a.role_id, a.user_id, a.scope_id, a.valid_from, a.valid_until, a.id)


def _rules(r: Role) -> rules.RoleRules:
    return rules.RoleRules(r.id, r.name, ScopeKind(r.scope_kind), r.exclusive)


# --------------------------------------------------------------------------------------------- reading


def list_assignments(
    s: Session, actor: Actor, project_id: int, *, current_only: bool = False
) -> list[dict[str, Any]]:
    """The role history of the project (or only what is held now), newest first."""
    project_for(s, actor, project_id)
    return _history(s, project_id, now(), current_only=current_only)


def _history(s: Session, project_id: int, t: datetime, *, current_only: bool = False) -> list[dict[str, Any]]:
    q = (
        select(RoleAssignment, Role)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(RoleAssignment.project_id == project_id)
        .order_by(RoleAssignment.valid_from.desc(), RoleAssignment.id.desc())
    )
    if current_only:
        q = q.where(
            RoleAssignment.valid_from <= t,
            or_(RoleAssignment.valid_until.is_(None), RoleAssignment.valid_until > t),
        )
    names = _names(s, project_id)
    return [assignment_dict(a, r, names, t) for a, r in s.execute(q)]


def _project_roles(s: Session, project_id: int) -> list[Role]:
    return list(
        s.scalars(select(Role).where(Role.project_id == project_id).order_by(Role.builtin.desc(), Role.id))
    )


def _roles_with_holders(roles: list[Role], current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_role: dict[int, list[dict[str, Any]]] = {}
    for a in current:
        by_role.setdefault(a["role_id"], []).append(
            {
                "assignment_id": a["id"],
                "user_id": a["user_id"],
                "user": a["user"],
                "scope": a["scope"],
                "scope_id": a["scope_id"],
                "since": a["valid_from"],
                "until": a["valid_until"],
            }
        )
    return [role_dict(r, by_role.get(r.id, [])) for r in roles]


def list_roles(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    project_for(s, actor, project_id)
    current = _history(s, project_id, now(), current_only=True)
    return _roles_with_holders(_project_roles(s, project_id), current)


def overview(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    """What a project's home shows of its roles, in one pass over the role rows: `roles` (as `list_roles`),
    `history` (as `list_assignments`) and `raci` (as `raci`)."""
    project_for(s, actor, project_id)
    history = _history(s, project_id, now())
    current = [a for a in history if a["current"]]
    roles = _project_roles(s, project_id)
    counts: dict[int, int] = {}
    for a in current:
        counts[a["role_id"]] = counts.get(a["role_id"], 0) + 1
    return {
        "roles": _roles_with_holders(roles, current),
        "history": history,
        "raci": _raci(s, project_id, roles, counts),
    }


# --------------------------------------------------------------------------------------------- roles


def _check_scope_kind(value: str) -> ScopeKind:
    try:
        return ScopeKind(value)
    except ValueError:
        raise ValidationError(
            f"scope kind must be one of {', '.join(k.value for k in ScopeKind)}", field="scope_kind"
        ) from None


def create_role(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    name: str,
    scope_kind: str = "project",
    permissions: list[str] | None = None,
    exclusive: bool = False,
    description: str = "",
    based_on: str | None = None,
    raci: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A custom role, at any time in the project's life, with its own permissions and RACI entries.
    `based_on` copies the permissions and scope of a built-in role (for example a second liaison kind)."""
    project_for(s, actor, project_id, Perm.ROLES_MANAGE)
    name = name.strip()
    if not name:
        raise ValidationError("the role needs a name", field="name")
    if s.scalar(select(Role.id).where(Role.project_id == project_id, Role.name == name)):
        raise Conflict(f"a role named {name!r} exists in this project", field="name")
    kind = _check_scope_kind(scope_kind)
    perms = rules.parse_permissions(permissions or [])
    if based_on:
        tpl = rules.BUILTIN_BY_KEY.get(based_on)
        if tpl is None:
            raise ValidationError(f"no built-in role {based_on!r}", field="based_on")
        perms = perms | tpl.permissions
        kind = tpl.scope_kind
    perms = perms | {Perm.PROJECT_READ}
    r = Role(
        project_id=project_id,
        key=None,
        name=name,
        description=description,
        scope_kind=kind.value,
        exclusive=exclusive,
        permissions=sorted(p.value for p in perms),
        builtin=False,
        created_at=now(),
    )
    s.add(r)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="role",
        entity_id=r.id,
        action="create",
        project_id=project_id,
        after=journal.snapshot(r),
    )
    for area, letter in (raci or {}).items():
        _set_cell(s, actor, project_id, area, r.id, letter)
    return role_dict(r)


def update_role(
    s: Session, actor: Actor, project_id: int, role_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    project_for(s, actor, project_id, Perm.ROLES_MANAGE)
    r = _role(s, project_id, role_id)
    if r.version != version:
        raise stale("role", version, role_dict(r))
    if r.builtin and set(changes) - {"description"}:
        raise ValidationError(
            "a built-in role keeps its name and permissions; create a custom role instead",
            field=sorted(set(changes) - {"description"})[0],
        )
    if "permissions" in changes:
        changes["permissions"] = sorted(
            p.value for p in rules.parse_permissions(changes["permissions"]) | {Perm.PROJECT_READ}
        )
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise ValidationError("the role needs a name", field="name")
        clash = s.scalar(
            select(Role.id).where(
                Role.project_id == project_id, Role.name == changes["name"], Role.id != role_id
            )
        )
        if clash:
            raise Conflict(f"a role named {changes['name']!r} exists in this project", field="name")
    if changes.get("exclusive") and not r.exclusive:
        users, _, _ = _names(s, project_id)
        rules.check_can_be_exclusive(_rules(r), _existing(s, project_id, role_id), users)
    if "permissions" in changes and _holds_now_or_later(s, actor, role_id):
        added = {Perm(p) for p in changes["permissions"]} - {Perm(p) for p in r.permissions}
        _refuse_self_grant(s, actor, project_id, added, f"the {r.name} role you hold")
    before = journal.snapshot(r)
    for k, v in changes.items():
        setattr(r, k, v)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="role",
        entity_id=r.id,
        action="update",
        project_id=project_id,
        before=before,
        after=journal.snapshot(r),
    )
    return role_dict(r)


def _holds_now_or_later(s: Session, actor: Actor, role_id: int) -> bool:
    t = now()
    return bool(
        s.scalar(
            select(RoleAssignment.id)
            .where(
                RoleAssignment.role_id == role_id,
                RoleAssignment.user_id == actor.user_id,
                or_(RoleAssignment.valid_until.is_(None), RoleAssignment.valid_until > t),
            )
            .limit(1)
        )
    )


def _refuse_self_grant(s: Session, actor: Actor, project_id: int, perms: set[Perm], through: str) -> None:
    """Nobody but an admin gives themselves a permission they do not hold (a Project Manager taking the
    sponsor's budget approval through a role of their own would undo the separation of duties)."""
    if actor.is_admin or not perms:
        return
    missing = rules.beyond_own(perms, grants(s, actor, project_id))
    if missing:
        raise PermissionDenied(
            f"you cannot give yourself {', '.join(p.value for p in missing)} through {through}: you do not "
            "hold it; another holder of it or an admin must",
        )


# --------------------------------------------------------------------------------------------- assignments


def _check_user(s: Session, user_id: int) -> User:
    u = s.get(User, user_id)
    if u is None or not u.is_active:
        raise ValidationError(f"user {user_id} does not exist or is deactivated", field="user_id")
    return u


def _scope_columns(s: Session, project_id: int, role: Role, scope_id: int | None) -> dict[str, int | None]:
    kind = ScopeKind(role.scope_kind)
    if scope_id is None or kind is ScopeKind.PROJECT:
        return {"work_package_id": None, "department_id": None}
    if kind is ScopeKind.WORK_PACKAGE:
        w = s.get(WorkPackage, scope_id)
        if w is None or w.project_id != project_id:
            raise ValidationError(f"work package {scope_id} is not in this project", field="scope_id")
        return {"work_package_id": scope_id, "department_id": None}
    if s.get(Department, scope_id) is None:
        raise ValidationError(f"department {scope_id} does not exist", field="scope_id")
    return {"work_package_id": None, "department_id": scope_id}


def _existing(s: Session, project_id: int, role_id: int) -> list[rules.Assignment]:
    rows = s.scalars(
        select(RoleAssignment)
        .where(RoleAssignment.project_id == project_id, RoleAssignment.role_id == role_id)
        .with_for_update()
    )
    return [_domain(a) for a in rows]


def assign_role(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    role_id: int,
    user_id: int,
    scope_id: int | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    note: str = "",
) -> dict[str, Any]:
    project_for(s, actor, project_id, Perm.ROLES_MANAGE, for_update=True)
    role = _role(s, project_id, role_id)
    _check_user(s, user_id)
    if user_id == actor.user_id:
        _refuse_self_grant(s, actor, project_id, {Perm(p) for p in role.permissions}, role.name)
    t = now()
    start = valid_from or t
    new = rules.Assignment(role_id, user_id, scope_id, start, valid_until)
    users, _, _ = _names(s, project_id)
    rules.check_assignment(_rules(role), new, _existing(s, project_id, role_id), users)
    cols = _scope_columns(s, project_id, role, scope_id)
    a = RoleAssignment(
        project_id=project_id,
        role_id=role_id,
        user_id=user_id,
        valid_from=start,
        valid_until=valid_until,
        note=note,
        created_by=actor.user_id,
        created_at=t,
        **cols,
    )
    s.add(a)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="role_assignment",
        entity_id=a.id,
        action="create",
        project_id=project_id,
        after=journal.snapshot(a),
    )
    return assignment_dict(a, role, _names(s, project_id), t)


def _assignment(s: Session, project_id: int, assignment_id: int) -> RoleAssignment:
    a = s.get(RoleAssignment, assignment_id)
    if a is None or a.project_id != project_id:
        raise NotFound(f"assignment {assignment_id} not found in this project", field="assignment_id")
    return a


def end_assignment(
    s: Session,
    actor: Actor,
    project_id: int,
    assignment_id: int,
    version: int,
    *,
    at: datetime | None = None,
    note: str = "",
) -> dict[str, Any]:
    """End a role assignment (now by default). The history keeps it; gaps show if it was accountable."""
    project_for(s, actor, project_id, Perm.ROLES_MANAGE, for_update=True)
    a = _assignment(s, project_id, assignment_id)
    role = _role(s, project_id, a.role_id)
    t = now()
    if a.version != version:
        raise stale("role assignment", version, assignment_dict(a, role, _names(s, project_id), t))
    end = at or t
    if a.valid_until is not None and a.valid_until <= end:
        raise Conflict("this assignment has already ended", field="at")
    if end <= a.valid_from:
        raise ValidationError("an assignment cannot end before it starts", field="at")
    before = journal.snapshot(a)
    a.valid_until = end
    if note:
        a.note = (a.note + "\n" + note).strip()
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="role_assignment",
        entity_id=a.id,
        action="update",
        project_id=project_id,
        before=before,
        after=journal.snapshot(a),
    )
    return assignment_dict(a, role, _names(s, project_id), t)


def hand_over(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    role_id: int,
    to_user_id: int,
    scope_id: int | None = None,
    at: datetime | None = None,
    note: str = "",
) -> dict[str, Any]:
    """Hand a role (the PM role, say) to someone else in one action: the current holder's assignment ends
    at the moment the new one starts. A PM hand-over also passes the outgoing PM's active
    communication-plan entries to the incoming PM (journaled, the hand-over as cause)."""
    project_for(s, actor, project_id, Perm.ROLES_MANAGE, for_update=True)
    role = _role(s, project_id, role_id)
    _check_user(s, to_user_id)
    if to_user_id == actor.user_id:
        _refuse_self_grant(s, actor, project_id, {Perm(p) for p in role.permissions}, role.name)
    t = now()
    when = at or t
    rows = [
        a
        for a in s.scalars(
            select(RoleAssignment).where(
                RoleAssignment.project_id == project_id, RoleAssignment.role_id == role_id
            )
        )
        if a.scope_id == scope_id and _domain(a).is_current(when)
    ]
    if not rows:
        raise Conflict(f"nobody holds {role.name} at that time; assign it instead", field="role_id")
    if len(rows) > 1:
        raise Conflict(
            f"{role.name} has several holders; end the one to replace, then assign", field="role_id"
        )
    current = rows[0]
    ended, started = rules.plan_handover(_domain(current), to_user_id, when)
    others = [
        _domain(a)
        for a in s.scalars(
            select(RoleAssignment).where(RoleAssignment.role_id == role_id, RoleAssignment.id != current.id)
        )
    ]
    users, _, _ = _names(s, project_id)
    rules.check_assignment(_rules(role), started, [*others, ended], users)
    before = journal.snapshot(current)
    current.valid_until = ended.valid_until
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="role_assignment",
        entity_id=current.id,
        action="update",
        project_id=project_id,
        before=before,
        after=journal.snapshot(current),
        cause=f"handed over to {users.get(to_user_id)}",
    )
    new = RoleAssignment(
        project_id=project_id,
        role_id=role_id,
        user_id=to_user_id,
        valid_from=when,
        valid_until=started.valid_until,
        note=note or f"took over from {users.get(current.user_id)}",
        created_by=actor.user_id,
        created_at=t,
        work_package_id=current.work_package_id,
        department_id=current.department_id,
    )
    s.add(new)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="role_assignment",
        entity_id=new.id,
        action="create",
        project_id=project_id,
        after=journal.snapshot(new),
        cause=f"hand-over from {users.get(current.user_id)}",
    )
    if role.key == rules.PM and current.user_id != to_user_id:
        from charter.services import comm_plan

        comm_plan.pass_on(s, actor, project_id, from_user_id=current.user_id, to_user_id=to_user_id,
                          cause=f"PM hand-over from {users.get(current.user_id)} to {users.get(to_user_id)}")  # fmt: skip
    names = _names(s, project_id)
    return {
        "ended": assignment_dict(current, role, names, t),
        "started": assignment_dict(new, role, names, t),
    }


# --------------------------------------------------------------------------------------------- RACI


def _matrix(s: Session, project_id: int) -> tuple[RaciMatrix, dict[tuple[str, int], RaciCell]]:
    rows = {
        (c.area, c.role_id): c for c in s.scalars(select(RaciCell).where(RaciCell.project_id == project_id))
    }
    m = RaciMatrix({(Area(a), r): Raci(c.letter) for (a, r), c in rows.items()})
    return m, rows


def _holder_counts(s: Session, project_id: int) -> dict[int, int]:
    t = now()
    counts: dict[int, int] = {}
    q = select(RoleAssignment.role_id).where(
        RoleAssignment.project_id == project_id,
        RoleAssignment.valid_from <= t,
        or_(RoleAssignment.valid_until.is_(None), RoleAssignment.valid_until > t),
    )
    for (rid,) in s.execute(q):
        counts[rid] = counts.get(rid, 0) + 1
    return counts


def gaps(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    project_for(s, actor, project_id)
    return gaps_of(s, project_id)


def gaps_of(s: Session, project_id: int) -> list[dict[str, Any]]:
    """The responsibility gaps of a project the caller has already checked access to."""
    m, _ = _matrix(s, project_id)
    names = dict(s.execute(select(Role.id, Role.name).where(Role.project_id == project_id)).all())
    return _gaps(m, names, _holder_counts(s, project_id))


def _gaps(m: RaciMatrix, role_names: dict[int, str], counts: dict[int, int]) -> list[dict[str, Any]]:
    return [
        {
            "area": g.area.value,
            "kind": g.kind.value,
            "role_id": g.role_id,
            "role": g.role_name,
            "message": g.message,
        }
        for g in rules.find_gaps(m, role_names, counts)
    ]


def raci(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    project_for(s, actor, project_id)
    return _raci(s, project_id, _project_roles(s, project_id), _holder_counts(s, project_id))


def _raci(s: Session, project_id: int, roles: list[Role], counts: dict[int, int]) -> dict[str, Any]:
    m, rows = _matrix(s, project_id)
    return {
        "areas": [a.value for a in Area],
        "roles": [{"id": r.id, "name": r.name, "holders": counts.get(r.id, 0)} for r in roles],
        "cells": [
            {"area": c.area, "role_id": c.role_id, "letter": c.letter, "version": c.version}
            for c in rows.values()
        ],
        "gaps": _gaps(m, {r.id: r.name for r in roles}, counts),
    }


def _check_area(area: str) -> Area:
    try:
        return Area(area)
    except ValueError:
        raise ValidationError(
            f"unknown area {area!r}; areas: {', '.join(a.value for a in Area)}", field="area"
        ) from None


def _check_letter(letter: str | None) -> Raci | None:
    if letter in (None, ""):
        return None
    try:
        return Raci(str(letter).upper())
    except ValueError:
        raise ValidationError("a RACI entry is R, A, C, I or empty", field="letter") from None


def _set_cell(
    s: Session,
    actor: Actor,
    project_id: int,
    area: str,
    role_id: int,
    letter: str | None,
    version: int | None = None,
) -> list[dict[str, Any]]:
    a = _check_area(area)
    role = _role(s, project_id, role_id)
    value = _check_letter(letter)
    m, rows = _matrix(s, project_id)
    cell = rows.get((a.value, role_id))
    if version is not None and cell is not None and cell.version != version:
        raise stale(
            "RACI entry",
            version,
            {"area": a.value, "role_id": role_id, "letter": cell.letter, "version": cell.version},
        )
    if version is not None and cell is None and version != 0:
        raise stale(
            "RACI entry", version, {"area": a.value, "role_id": role_id, "letter": None, "version": 0}
        )
    changed = []
    for area_, rid, before, after in m.set(a, role.id, value):
        row = rows.get((area_.value, rid))
        cause = None if rid == role_id else f"accountability for {area_.value} moved to {role.name}"
        if after is None and row is not None:
            s.delete(row)
        elif row is None and after is not None:
            row = RaciCell(project_id=project_id, area=area_.value, role_id=rid, letter=after.value)
            s.add(row)
        elif row is not None and after is not None:
            row.letter = after.value
        journal.record(
            s,
            actor,
            entity_type="raci",
            entity_id=f"{area_.value}:{rid}",
            project_id=project_id,
            action="update" if before and after else ("create" if after else "delete"),
            before={"letter": before.value if before else None},
            after={"letter": after.value if after else None},
            cause=cause,
        )
        changed.append({"area": area_.value, "role_id": rid, "before": before, "after": after})
    s.flush()
    return changed


def set_raci(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    area: str,
    role_id: int,
    letter: str | None,
    version: int | None = None,
) -> dict[str, Any]:
    """Set one RACI cell. Making a role Accountable moves accountability from the previous one (which becomes
    Responsible): an area always has at most one Accountable role."""
    project_for(s, actor, project_id, Perm.ROLES_MANAGE, for_update=True)
    _set_cell(s, actor, project_id, area, role_id, letter, version)
    return raci(s, actor, project_id)
