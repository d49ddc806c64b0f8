"""Projects and their charter: create (with the built-in roles seeded), read, edit, soft delete, restore."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from charter.domain import projects as rules
from charter.domain.errors import Conflict, NotFound, ValidationError, stale
from charter.domain.ids import as_id
from charter.domain.roles import BUILTIN_ROLES, PM, SPONSOR, Perm
from charter.persistence.models import Project, RaciCell, Role, RoleAssignment, User
from charter.services import journal
from charter.services.accounts import find_user_id, is_self
from charter.services.authz import project_for, require_admin, require_user, visible_project_ids
from charter.services.context import Actor, now

CHARTER_FIELDS = (
    "name",
    "objectives",
    "scope_statement",
    "success_criteria",
    "start_date",
    "target_date",
    "status",
    "phase",
    "currency",
)
_FOR_SOMEONE_ELSE = "only an admin may create a project for someone else"


def _holder_of(s: Session, project_id: int, role_key: str) -> str | None:
    t = now()
    q = (
        select(User.display_name)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(
            Role.project_id == project_id,
            Role.key == role_key,
            RoleAssignment.valid_from <= t,
            or_(RoleAssignment.valid_until.is_(None), RoleAssignment.valid_until > t),
        )
    )
    return s.scalar(q)


def project_dict(s: Session, p: Project, *, brief: bool = False) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": p.id,
        "key": p.key,
        "name": p.name,
        "status": p.status,
        "phase": p.phase,
        "start_date": p.start_date,
        "target_date": p.target_date,
        "currency": p.currency,
        "deleted": p.deleted_at is not None,
        "version": p.version,
        "project_manager": _holder_of(s, p.id, PM),
        "sponsor": _holder_of(s, p.id, SPONSOR),
    }
    if not brief:
        d.update(
            objectives=p.objectives,
            scope_statement=p.scope_statement,
            success_criteria=p.success_criteria,
            created_at=p.created_at,
            deleted_at=p.deleted_at,
        )
    return d


def _check_charter(values: dict[str, Any]) -> None:
    if "name" in values and not (values["name"] or "").strip():
        raise ValidationError("the project needs a name", field="name")
    if "status" in values:
        try:
            rules.ProjectStatus(values["status"])
        except ValueError:
            raise ValidationError(f"unknown status {values['status']!r}", field="status") from None
    if "phase" in values:
        try:
            rules.Phase(values["phase"])
        except ValueError:
            raise ValidationError(f"unknown phase {values['phase']!r}", field="phase") from None
    if "currency" in values:
        rules.check_currency(values["currency"])


def find_manager_id(s: Session, actor: Actor, username_or_id: str) -> int:
    """The Project Manager a new project names: anyone for an instance admin, else only the creator themselves
    (`create_project`'s rule, checked before the look-up so the refusal does not say whether the name
    exists)."""
    require_user(actor)
    if actor.is_admin:
        return find_user_id(s, username_or_id)
    if actor.user_id is not None and is_self(actor, username_or_id):
        return actor.user_id
    raise ValidationError(_FOR_SOMEONE_ELSE, field="manager_id")


def create_project(
    s: Session,
    actor: Actor,
    *,
    key: str,
    name: str,
    objectives: str = "",
    scope_statement: str = "",
    success_criteria: str = "",
    start_date: date | None = None,
    target_date: date | None = None,
    currency: str = "USD",
    status: str = "proposed",
    phase: str = "initiation",
    manager_id: int | None = None,
) -> dict[str, Any]:
    """Create a project, seed the built-in roles and their RACI, and make the manager (by default the
    creator) its Project Manager."""
    require_user(actor)
    key = rules.check_key(key.strip().upper())
    values = dict(name=name, status=status, phase=phase, currency=currency)
    _check_charter(values)
    rules.check_dates(start_date, target_date)
    if s.scalar(select(Project.id).where(Project.key == key)):
        raise Conflict(f"the project key {key} is taken", field="key")
    manager_id = manager_id or actor.user_id
    if manager_id is None:
        raise ValidationError("name the project manager", field="manager_id")
    if manager_id != actor.user_id and not actor.is_admin:  # before the look-up: says nothing of user ids
        raise ValidationError(_FOR_SOMEONE_ELSE, field="manager_id")
    manager = s.get(User, manager_id)
    if manager is None or not manager.is_active:
        raise ValidationError(f"user {manager_id} cannot be the project manager", field="manager_id")
    t = now()
    p = Project(
        key=key,
        name=name.strip(),
        objectives=objectives,
        scope_statement=scope_statement,
        success_criteria=success_criteria,
        start_date=start_date,
        target_date=target_date,
        currency=currency,
        status=status,
        phase=phase,
        created_at=t,
        created_by=actor.user_id,
    )
    s.add(p)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="project",
        entity_id=p.id,
        action="create",
        project_id=p.id,
        after=journal.snapshot(p),
    )
    by_key: dict[str, Role] = {}
    for tpl in BUILTIN_ROLES:
        r = Role(
            project_id=p.id,
            key=tpl.key,
            name=tpl.name,
            description=tpl.description,
            scope_kind=tpl.scope_kind.value,
            exclusive=tpl.exclusive,
            permissions=sorted(x.value for x in tpl.permissions),
            builtin=True,
            created_at=t,
        )
        s.add(r)
        by_key[tpl.key] = r
    s.flush()
    for tpl in BUILTIN_ROLES:
        for area, letter in tpl.raci.items():
            s.add(RaciCell(project_id=p.id, area=area.value, role_id=by_key[tpl.key].id, letter=letter.value))
    from charter.persistence.models import ProjectSchedule
    from charter.services.calendars import add_standard_calendar

    add_standard_calendar(s, p.id)
    s.add(ProjectSchedule(project_id=p.id, critical_threshold=0, plan_revision=0))
    a = RoleAssignment(
        project_id=p.id,
        role_id=by_key[PM].id,
        user_id=manager_id,
        valid_from=t,
        note="project created",
        created_by=actor.user_id,
        created_at=t,
    )
    s.add(a)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="role_assignment",
        entity_id=a.id,
        action="create",
        project_id=p.id,
        after=journal.snapshot(a),
        cause="project created",
    )
    return project_dict(s, p)


def list_projects(s: Session, actor: Actor, *, include_deleted: bool = False) -> list[dict[str, Any]]:
    require_user(actor)
    q = select(Project).order_by(Project.key)
    if include_deleted:
        require_admin(actor)
    else:
        q = q.where(Project.id.in_(visible_project_ids(s, actor)), Project.deleted_at.is_(None))
    return [project_dict(s, p, brief=True) for p in s.scalars(q)]


def get_project(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    return project_dict(s, project_for(s, actor, project_id, include_deleted=True))


def find_project_id(s: Session, actor: Actor, key_or_id: str) -> int:
    """Resolve a key (CRM) or an id; invisible projects are not found."""
    pid = s.scalar(select(Project.id).where(Project.key == key_or_id.upper()))
    if pid is None:
        pid = as_id(key_or_id)
    if pid is None:
        raise NotFound(f"project {key_or_id} not found", field="project")
    try:
        project_for(s, actor, pid)
    except NotFound:
        raise NotFound(f"project {key_or_id} not found", field="project") from None
    return pid


def _check_lifecycle(p: Project, changes: dict[str, Any]) -> None:
    """The phase moves on only at its gate and a project closes only on its checklist: an edit of the charter
    may repeat the current phase and status (a form sends them back) but not skip those checks."""
    if "phase" in changes and changes["phase"] != p.phase:
        raise ValidationError(
            "the phase moves on only by closing the current one at its gate (Quality, Phase gates), where its "
            "criteria are checked or an override is written down",
            field="phase",
        )
    closed = rules.ProjectStatus.CLOSED.value
    if changes.get("status") == closed and p.status != closed:
        raise ValidationError(
            "a project is closed on its Closure page, which checks the closing checklist", field="status"
        )


def update_project(s: Session, actor: Actor, project_id: int, version: int, **changes: Any) -> dict[str, Any]:
    p = project_for(s, actor, project_id, Perm.PROJECT_EDIT)
    if p.version != version:
        raise stale("project", version, project_dict(s, p))
    unknown = set(changes) - set(CHARTER_FIELDS)
    if unknown:
        raise ValidationError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    _check_charter(changes)
    _check_lifecycle(p, changes)
    rules.check_dates(changes.get("start_date", p.start_date), changes.get("target_date", p.target_date))
    before = journal.snapshot(p)
    start = p.start_date
    for k, v in changes.items():
        setattr(p, k, v.strip() if k == "name" else v)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="project",
        entity_id=p.id,
        action="update",
        project_id=p.id,
        before=before,
        after=journal.snapshot(p),
    )
    if p.start_date != start:
        from charter.services import scheduling  # the plan starts from the project's start: it moves with it

        scheduling.plan_changed(s, p.id)
    return project_dict(s, p)


def delete_project(s: Session, actor: Actor, project_id: int, version: int) -> dict[str, Any]:
    """Soft delete: the project disappears for everyone but admins, who can restore it."""
    p = project_for(s, actor, project_id, Perm.PROJECT_DELETE)
    if p.version != version:
        raise stale("project", version, project_dict(s, p))
    before = journal.snapshot(p)
    p.deleted_at = now()
    p.deleted_by = actor.user_id
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="project",
        entity_id=p.id,
        action="delete",
        project_id=p.id,
        before=before,
        after=journal.snapshot(p),
    )
    return project_dict(s, p)


def restore_project(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    require_admin(actor)
    p = project_for(s, actor, project_id, include_deleted=True)
    if p.deleted_at is None:
        raise Conflict(f"project {p.key} is not deleted")
    before = journal.snapshot(p)
    p.deleted_at = None
    p.deleted_by = None
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="project",
        entity_id=p.id,
        action="restore",
        project_id=p.id,
        before=before,
        after=journal.snapshot(p),
    )
    return project_dict(s, p)


def capabilities(s: Session, actor: Actor, project_id: int) -> set[str]:
    """What the actor may do at project level (for showing or hiding forms; the services still check)."""
    from charter.domain.roles import permits
    from charter.services.authz import grants

    project_for(s, actor, project_id, include_deleted=True)
    if actor.is_admin:
        return {p.value for p in Perm}
    held = grants(s, actor, project_id)
    return {p.value for p in Perm if permits(held, p)}
