"""Work packages: the larger tasks or task groupings, each run by one Task Leader. WBS codes (1.2.3) are
recomputed from the tree whenever it changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select
from sqlalchemy import update as sa_update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from charter.domain import wbs
from charter.domain.errors import NotFound, ValidationError, stale
from charter.domain.ids import as_id
from charter.domain.roles import PROJECT_TARGET, TASK_LEADER, Perm
from charter.persistence.models import Role, RoleAssignment, User, WorkPackage
from charter.services import journal
from charter.services.authz import project_for, work_package_target
from charter.services.context import Actor, now


def wp_dict(w: WorkPackage, leader: str | None = None) -> dict[str, Any]:
    return {
        "id": w.id,
        "project_id": w.project_id,
        "parent_id": w.parent_id,
        "name": w.name,
        "description": w.description,
        "wbs_code": w.wbs_code,
        "position": w.position,
        "leader": leader,
        "leader_via": None,
        "version": w.version,
    }


def renumber(s: Session, project_id: int) -> None:
    """WBS codes from the tree: under each parent, sub-packages and tasks share one order (position, id)."""
    from charter.persistence.models import Task

    wps = list(s.scalars(select(WorkPackage).where(WorkPackage.project_id == project_id)))
    tasks = list(s.scalars(select(Task).where(Task.project_id == project_id)))
    children: dict[int | None, list[tuple[int, int, int, Any]]] = {}
    for w in wps:
        children.setdefault(w.parent_id, []).append((w.position, 0, w.id, w))
    for t in tasks:
        children.setdefault(t.work_package_id, []).append((t.position, 1, t.id, t))

    changed: dict[int, list[dict[str, Any]]] = {0: [], 1: []}

    def walk(parent: int | None, prefix: str) -> None:
        for i, (_, kind, oid, obj) in enumerate(sorted(children.get(parent, []), key=lambda x: x[:3]), 1):
            code = f"{prefix}{i}"
            if obj.wbs_code != code:
                # a derived code, not an edit: written without bumping the record's version
                changed[kind].append({"id": oid, "wbs_code": code})
                set_committed_value(obj, "wbs_code", code)
            if kind == 0:
                walk(oid, code + ".")

    walk(None, "")
    for kind, table in ((0, cast(Table, WorkPackage.__table__)), (1, cast(Table, Task.__table__))):
        if changed[kind]:
            s.execute(
                sa_update(table).where(table.c.id == bindparam("_id")).values(wbs_code=bindparam("_code")),
                [{"_id": c["id"], "_code": c["wbs_code"]} for c in changed[kind]],
            )


def next_position(s: Session, project_id: int, parent_id: int | None) -> int:
    from charter.persistence.models import Task

    wp_max = s.scalar(
        select(func.coalesce(func.max(WorkPackage.position), 0)).where(
            WorkPackage.project_id == project_id,
            WorkPackage.parent_id.is_(None) if parent_id is None else WorkPackage.parent_id == parent_id,
        )
    )
    task_max = s.scalar(
        select(func.coalesce(func.max(Task.position), 0)).where(
            Task.project_id == project_id,
            Task.work_package_id.is_(None) if parent_id is None else Task.work_package_id == parent_id,
        )
    )
    return max(wp_max or 0, task_max or 0) + 1


def _leaders(s: Session, project_id: int) -> dict[int, str]:
    t = now()
    q = (
        select(RoleAssignment.work_package_id, User.display_name)
        .join(Role, Role.id == RoleAssignment.role_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            RoleAssignment.project_id == project_id,
            Role.key == TASK_LEADER,
            RoleAssignment.valid_from <= t,
            or_(RoleAssignment.valid_until.is_(None), RoleAssignment.valid_until > t),
        )
    )
    return {wp: name for wp, name in s.execute(q) if wp is not None}


def list_work_packages(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    """The project's packages in WBS order. `leader` is the Task Leader who runs the package: its own, else the
    one of the nearest package above it (a Task Leader leads their package's sub-packages too); `leader_via`
    is then that package's WBS code (None for a leader of the package itself)."""
    project_for(s, actor, project_id)
    leaders = _leaders(s, project_id)
    rows = list(s.scalars(select(WorkPackage).where(WorkPackage.project_id == project_id)))
    by_id = {w.id: w for w in rows}
    out = []
    for w in rows:
        d = wp_dict(w, leaders.get(w.id))
        up, seen = w.parent_id, {w.id}
        while d["leader"] is None and up is not None and up in by_id and up not in seen:
            seen.add(up)
            if up in leaders:
                d["leader"], d["leader_via"] = leaders[up], by_id[up].wbs_code
            up = by_id[up].parent_id
        out.append(d)
    return sorted(out, key=lambda d: [int(x) for x in d["wbs_code"].split(".") if x])


def find_work_package_id(s: Session, actor: Actor, project_id: int, ref: str) -> int:
    """A work package of the project by WBS code, id or exact name (for the CLI)."""
    project_for(s, actor, project_id)
    ref = ref.strip()
    by_code = s.scalar(select(WorkPackage.id).where(WorkPackage.project_id == project_id,
                                                    WorkPackage.wbs_code == ref))  # fmt: skip
    if by_code is not None:
        return by_code
    if (n := as_id(ref)) is not None:
        w = s.get(WorkPackage, n)
        if w is not None and w.project_id == project_id:
            return w.id
    ids = list(s.scalars(select(WorkPackage.id).where(WorkPackage.project_id == project_id,
                                                      func.lower(WorkPackage.name) == ref.lower())))  # fmt: skip
    if len(ids) == 1:
        return ids[0]
    if len(ids) > 1:
        raise ValidationError(
            f"{ref!r} names {len(ids)} work packages; use the WBS code", field="work_package"
        )
    raise NotFound(f"no work package {ref!r} in this project", field="work_package")


def _get(s: Session, project_id: int, wp_id: int, field: str = "work_package_id") -> WorkPackage:
    w = s.get(WorkPackage, wp_id)
    if w is None or w.project_id != project_id:
        raise NotFound(f"work package {wp_id} not found in this project", field=field)
    return w


NAME_MAX = 200  # the column's width


def _name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("the work package needs a name", field="name")
    if len(name) > NAME_MAX:
        raise ValidationError(f"a work package's name is at most {NAME_MAX} characters", field="name")
    return name


def create_work_package(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    name: str,
    parent_id: int | None = None,
    description: str = "",
) -> dict[str, Any]:
    target = PROJECT_TARGET
    if parent_id is not None:
        project_for(s, actor, project_id)
        _get(s, project_id, parent_id, "parent_id")
        target = work_package_target(s, parent_id)
    project_for(s, actor, project_id, Perm.WBS_EDIT, target)
    w = WorkPackage(
        project_id=project_id,
        parent_id=parent_id,
        name=_name(name),
        description=description,
        position=next_position(s, project_id, parent_id),
        created_at=now(),
    )
    s.add(w)
    s.flush()
    renumber(s, project_id)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="work_package",
        entity_id=w.id,
        action="create",
        project_id=project_id,
        after=journal.snapshot(w),
    )
    return wp_dict(w)


def update_work_package(
    s: Session, actor: Actor, project_id: int, wp_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    project_for(s, actor, project_id)
    w = _get(s, project_id, wp_id)
    project_for(s, actor, project_id, Perm.WBS_EDIT, work_package_target(s, wp_id))
    if w.version != version:
        raise stale("work package", version, wp_dict(w))
    if "parent_id" in changes and changes["parent_id"] == w.parent_id:
        del changes["parent_id"]  # staying where it is is no move (a form sends the parent it shows)
    if "parent_id" in changes and changes["parent_id"] is not None:
        new_parent = changes["parent_id"]
        _get(s, project_id, new_parent, "parent_id")
        if wp_id in work_package_target(s, new_parent).work_package_path:
            raise ValidationError(
                "a work package cannot move under itself or its own sub-package", field="parent_id"
            )
        project_for(s, actor, project_id, Perm.WBS_EDIT, work_package_target(s, new_parent))
    elif "parent_id" in changes and w.parent_id is not None:  # moving to the top level is a project change
        project_for(s, actor, project_id, Perm.WBS_EDIT, PROJECT_TARGET)
    if "parent_id" in changes:  # a moved package goes last among its new siblings, as a moved task does
        changes.setdefault("position", next_position(s, project_id, changes["parent_id"]))
    if "name" in changes:
        changes["name"] = _name(changes["name"])
    before = journal.snapshot(w)
    for k, v in changes.items():
        setattr(w, k, v)
    s.flush()
    renumber(s, project_id)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="work_package",
        entity_id=w.id,
        action="update",
        project_id=project_id,
        before=before,
        after=journal.snapshot(w),
    )
    return wp_dict(w)


def subtree(s: Session, project_id: int, roots: Iterable[int]) -> set[int]:
    """The packages `roots` of the project and every package below them."""
    q = select(WorkPackage.id, WorkPackage.parent_id).where(WorkPackage.project_id == project_id)
    return wbs.subtree(dict(s.execute(q).all()), roots)
