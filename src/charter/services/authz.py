"""The one place where permission decisions are made. Every service asks here before it reads or writes.

Objects of a project the caller cannot see are NotFound, never PermissionDenied: a caller learns nothing
about projects they are not in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from charter.domain.errors import NotAuthenticated, NotFound, PermissionDenied
from charter.domain.roles import PROJECT_TARGET, Grant, Perm, ScopeKind, Target, permits
from charter.persistence.models import Project, Role, RoleAssignment, WorkPackage
from charter.services.context import Actor, now


def require_user(actor: Actor | None) -> Actor:
    if actor is None or (actor.user_id is None and not actor.is_admin):
        raise NotAuthenticated("log in or send a valid API token")
    return actor


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only an instance admin may do this")


def _current(q: Select, at: datetime) -> Select:  # type: ignore[type-arg]
    return q.where(
        RoleAssignment.valid_from <= at,
        or_(RoleAssignment.valid_until.is_(None), RoleAssignment.valid_until > at),
    )


def grants(s: Session, actor: Actor, project_id: int, at: datetime | None = None) -> list[Grant]:
    if actor.user_id is None:
        return []
    # a page asks several services, each checking the same grants: a read-only unit of work reads them once
    memo: dict[tuple[int, int], list[Grant]] | None = None
    if at is None and s.info.get("charter.readonly"):
        memo = s.info.setdefault("charter.grants", {})
        hit = memo.get((actor.user_id, project_id))
        if hit is not None:
            return list(hit)
    q = select(
        Role.permissions, Role.scope_kind, RoleAssignment.work_package_id, RoleAssignment.department_id
    )
    q = q.join(Role, Role.id == RoleAssignment.role_id).where(
        RoleAssignment.project_id == project_id, RoleAssignment.user_id == actor.user_id
    )
    out: list[Grant] = []
    for perms, scope_kind, wp_id, dept_id in s.execute(_current(q, at or now())):
        kind = ScopeKind(scope_kind)
        out.append(Grant(frozenset(Perm(p) for p in perms), kind, wp_id or dept_id))
    if memo is not None:
        memo[actor.user_id, project_id] = list(out)
    return out


def is_member(s: Session, project_id: int, user_id: int) -> bool:
    """Whether the person holds a role in the project now."""
    t = now()
    q = select(RoleAssignment.id).where(
        RoleAssignment.project_id == project_id, RoleAssignment.user_id == user_id,
        RoleAssignment.valid_from <= t, or_(RoleAssignment.valid_until.is_(None), RoleAssignment.valid_until > t),
    )  # fmt: skip
    return s.scalars(q).first() is not None


def visible_project_ids(s: Session, actor: Actor) -> Select:  # type: ignore[type-arg]
    """A subquery of the ids of the projects the actor may see (not deleted ones)."""
    if actor.is_admin:
        return select(Project.id).where(Project.deleted_at.is_(None))
    q = select(RoleAssignment.project_id).where(RoleAssignment.user_id == actor.user_id)
    return _current(q, now()).distinct()


def project_for(
    s: Session,
    actor: Actor,
    project_id: int,
    perm: Perm = Perm.PROJECT_READ,
    target: Target = PROJECT_TARGET,
    *,
    include_deleted: bool = False,
    for_update: bool = False,
) -> Project:
    """Load a project the actor may act on, or raise NotFound / PermissionDenied."""
    require_user(actor)
    project: Project | None
    if s.info.get("charter.readonly") and not for_update:  # loaded once per read-only unit of work
        # held here as well: the session's identity map holds objects weakly, so a project no caller still
        # refers to would be read again by the next service the page asks
        held_projects: dict[int, Project | None] = s.info.setdefault("charter.projects", {})
        if project_id in held_projects:
            project = held_projects[project_id]
        else:
            project = held_projects[project_id] = s.get(Project, project_id)
    else:
        q = select(Project).where(Project.id == project_id)
        if for_update:
            q = q.with_for_update()
        project = s.scalars(q).first()
    if project is None or (project.deleted_at is not None and not (include_deleted and actor.is_admin)):
        raise NotFound(f"project {project_id} not found")
    if actor.is_admin:
        return project
    held = grants(s, actor, project_id)
    if not permits(held, Perm.PROJECT_READ):
        raise NotFound(f"project {project_id} not found")
    if not permits(held, perm, target):
        raise PermissionDenied(f"your roles in {project.key} do not allow {perm.value}")
    return project


def can(s: Session, actor: Actor, project_id: int, perm: Perm, target: Target = PROJECT_TARGET) -> bool:
    if actor.is_admin:
        return True
    return permits(grants(s, actor, project_id), perm, target)


def can_in_packages(
    s: Session, actor: Actor, project_id: int, perm: Perm, work_package_ids: Iterable[int]
) -> dict[int | None, bool]:
    """Whether the actor holds `perm` on objects outside any package (key None) and in each of these packages,
    with two queries in all (the actor's grants, the project's package tree) instead of a few per package."""
    ids = list(work_package_ids)
    if actor.is_admin:
        return dict.fromkeys([None, *ids], True)
    held = grants(s, actor, project_id)
    parent = dict(
        s.execute(
            select(WorkPackage.id, WorkPackage.parent_id).where(WorkPackage.project_id == project_id)
        ).all()
    )
    out: dict[int | None, bool] = {None: permits(held, perm, PROJECT_TARGET)}
    for wp in ids:
        path: list[int] = []
        at: int | None = wp
        while at is not None and at not in path:
            path.append(at)
            at = parent.get(at)
        out[wp] = out[None] or permits(held, perm, Target(work_package_path=tuple(path)))
    return out


def work_package_target(s: Session, work_package_id: int | None) -> Target:
    """The target of an object in a work package: that package and all its ancestors."""
    path: list[int] = []
    seen: set[int] = set()
    wp_id = work_package_id
    while wp_id is not None and wp_id not in seen:
        seen.add(wp_id)
        path.append(wp_id)
        wp_id = s.scalar(select(WorkPackage.parent_id).where(WorkPackage.id == wp_id))
    return Target(work_package_path=tuple(path))
