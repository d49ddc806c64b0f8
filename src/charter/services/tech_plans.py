"""Update plans: an update item (new version, advisory, end of life, certificate expiry) turned into a few
tasks linked finish-to-start (assess -> test in staging -> deploy -> verify), from a built-in template per
update kind that the planner edits before creating.

Where the work goes: into the component's project, in a work package (by default the project's
"Technology updates" package, created on first use), during the project or after its closure. A closed
project stays the home of its technology's post-project work: its PM keeps the project (closure releases
every role but PM, Sponsor and Observer), the hand-over owner receives the due-date alerts
(`tech.due_alerts`) and is assigned the plan's tasks when a role there lets them work on tasks
(task.progress or task.edit in the plan's work package; an Observer's does not). Dates: the first task
starts no earlier than today; the last carries the item's due date as its deadline, so the schedule shows
whether the plan finishes in time.

An organisation-wide component (no project) has no project of its own: whoever plans its update (the
component's owner or an admin) chooses the project that carries the work, typically an operations or
maintenance project where they manage technology (tech.manage); the plan's tasks go into that project's
"Technology updates" package, and the plan's project is the project of its tasks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain.errors import CharterError, Conflict, NotFound, PermissionDenied, ValidationError, stale
from charter.domain.roles import Perm, permits
from charter.persistence.models import (
    Project,
    Task,
    TechComponent,
    TechUpdate,
    TechUpdateTask,
    User,
    WorkPackage,
)
from charter.services import journal, tasks, work_packages
from charter.services.accounts import find_user_id
from charter.services.authz import (
    can,
    grants,
    project_for,
    require_user,
    visible_project_ids,
    work_package_target,
)
from charter.services.context import Actor, now

DEFAULT_PACKAGE = "Technology updates"
MAX_STEPS = 12
TEMPLATES: dict[str, tuple[tuple[str, int], ...]] = {
    "new_version": (("Assess the release notes and impact", 1), ("Test in staging", 2),
                    ("Deploy to production", 1), ("Verify in production", 1)),
    "advisory": (("Assess exposure to the advisory", 1), ("Patch and test in staging", 1),
                 ("Deploy the fix", 1), ("Verify the fix", 1)),
    "end_of_life": (("Choose the replacement or upgrade path", 2), ("Test the replacement in staging", 3),
                    ("Migrate production", 2), ("Verify and decommission the old version", 1)),
    "certificate": (("Request the renewed certificate", 1), ("Install in staging", 1),
                    ("Install in production", 1), ("Verify the chain and the new expiry", 1)),
}  # fmt: skip


def _load(s: Session, actor: Actor, update_id: int) -> tuple[TechUpdate, TechComponent]:
    from charter.services.tech import _component  # tech imports this module for the component page

    require_user(actor)
    u = s.get(TechUpdate, update_id)
    if u is None:
        raise NotFound(f"update item {update_id} not found")
    return u, _component(s, actor, u.component_id)


def _package(s: Session, project_id: int) -> WorkPackage | None:
    return s.scalars(
        select(WorkPackage).where(WorkPackage.project_id == project_id, WorkPackage.name == DEFAULT_PACKAGE)
    ).first()


def _plan_project(s: Session, u: TechUpdate) -> int | None:
    """The project of the item's plan: the component's project, or (an organisation-wide component) the
    project its plan's tasks were put in; None while an organisation-wide item has no plan."""
    c = s.get(TechComponent, u.component_id)
    if c is not None and c.project_id is not None:
        return c.project_id
    q = (
        select(Task.project_id)
        .join(TechUpdateTask, TechUpdateTask.task_id == Task.id)
        .where(TechUpdateTask.update_id == u.id)
        .limit(1)
    )
    return s.scalar(q)


def may_plan_org_wide(actor: Actor, c: TechComponent) -> bool:
    """Who may plan the update of an organisation-wide component: its owner or an admin."""
    return actor.is_admin or (actor.user_id is not None and c.owner_id == actor.user_id)


def plan_projects(s: Session, actor: Actor) -> list[dict[str, Any]]:
    """The projects the actor may put an organisation-wide component's update plan in (tech.manage there),
    by key."""
    require_user(actor)
    q = (
        select(Project.id, Project.key, Project.name)
        .where(Project.id.in_(visible_project_ids(s, actor)), Project.deleted_at.is_(None))
        .order_by(Project.key)
    )
    return [{"id": pid, "key": key, "name": name} for pid, key, name in s.execute(q)
            if can(s, actor, pid, Perm.TECH_MANAGE)]  # fmt: skip


def proposal(s: Session, actor: Actor, update_id: int, project_id: int | None = None) -> dict[str, Any]:
    """The template plan for an update item, ready to edit: steps with days, the owner and work package
    that would be used, and the due date. For an organisation-wide component, `project_id` is the project
    that would carry the plan (None: not chosen yet; `projects` lists the choices)."""
    u, c = _load(s, actor, update_id)
    pid = c.project_id if c.project_id is not None else (_plan_project(s, u) or project_id)
    if c.project_id is None and pid is not None and pid == project_id:
        project_for(s, actor, pid)  # a project the actor may see (else: not found)
    wp = _package(s, pid) if pid is not None else None
    org_wide = c.project_id is None
    return {
        "update_id": u.id,
        "version": u.version,
        "kind": u.kind,
        "project_id": pid,
        "org_wide": org_wide,
        "may_plan": not org_wide or may_plan_org_wide(actor, c),
        "projects": plan_projects(s, actor) if org_wide and may_plan_org_wide(actor, c) else [],
        "steps": [
            {"name": f"{name}: {c.name} {c.current_version}".strip()[:200], "days": days}
            for name, days in TEMPLATES[u.kind]
        ],
        "owner_id": c.owner_id,
        "work_package_id": wp.id if wp else None,
        "work_package_name": wp.name if wp else DEFAULT_PACKAGE,
        "due_on": u.due_on,
    }


def _steps(raw: Any) -> list[tuple[str, int, int | None]]:
    if not isinstance(raw, list) or not raw:
        raise ValidationError("a plan needs at least one step", field="steps")
    if len(raw) > MAX_STEPS:
        raise ValidationError(f"a plan has at most {MAX_STEPS} steps", field="steps")
    out: list[tuple[str, int, int | None]] = []
    for i, step in enumerate(raw):
        where = f"steps[{i}]"
        if not isinstance(step, dict):
            raise ValidationError(f"{where} must be an object with name and days", field=where)
        name = str(step.get("name") or "").strip()
        if not name:
            raise ValidationError(f"{where}.name is required", field=f"{where}.name")
        days = step.get("days", 1)
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 365:
            raise ValidationError(f"{where}.days must be a whole number of days from 0 to 365",
                                  field=f"{where}.days")  # fmt: skip
        owner = step.get("owner_id")
        if owner is not None and (isinstance(owner, bool) or not isinstance(owner, int)):
            raise ValidationError(f"{where}.owner_id must be a user id", field=f"{where}.owner_id")
        out.append((name[:200], days, owner))
    return out


def _may_work(s: Session, project_id: int, user_id: int, work_package_id: int | None) -> bool:
    """Whether the user may work on tasks of this package: a holder of task.progress or task.edit there (an
    Observer, say, holds a role but could not record progress on their own tasks)."""
    u = s.get(User, user_id)
    if u is None or not u.is_active:
        return False
    held = grants(s, Actor(u.id, u.username), project_id)
    target = work_package_target(s, work_package_id)
    return permits(held, Perm.TASK_PROGRESS, target) or permits(held, Perm.TASK_EDIT, target)


def _planning_project(s: Session, actor: Actor, c: TechComponent, project_id: int | None) -> int:
    """The project that carries the plan of component `c`'s update, once the actor may plan it there."""
    if c.project_id is None:
        if not may_plan_org_wide(actor, c):
            raise PermissionDenied("only the component's owner or an admin may plan the update of an "
                                   "organisation-wide component")  # fmt: skip
        if project_id is None:
            raise ValidationError("choose the project that carries the plan's tasks (e.g. an operations "
                                  "project)", field="project_id")  # fmt: skip
        pid = project_id
    else:
        if project_id is not None and project_id != c.project_id:
            raise ValidationError(f"the component belongs to project {c.project_id}; its update plan goes "
                                  "there", field="project_id")  # fmt: skip
        pid = c.project_id
    project_for(s, actor, pid, Perm.TECH_MANAGE)
    return pid


def find_owner_id(
    s: Session, actor: Actor, update_id: int, username_or_id: str, project_id: int | None = None
) -> int:
    """The user a plan's owner names, for whoever may plan the update (`create_plan`'s check, before the
    look-up: a refusal does not say whether the name exists)."""
    _, c = _load(s, actor, update_id)
    _planning_project(s, actor, c, project_id)
    return find_user_id(s, username_or_id)


def create_plan(
    s: Session,
    actor: Actor,
    update_id: int,
    version: int,
    *,
    steps: list[dict[str, Any]] | None = None,
    work_package_id: int | None = None,
    owner_id: int | None = None,
    project_id: int | None = None,
) -> dict[str, Any]:
    """Create the plan's tasks and finish-to-start links in one go (all or nothing). Without `steps`, the
    template for the item's kind; without `work_package_id`, the "Technology updates" package; without
    `owner_id`, the component's owner (assigned when they may work on the plan's tasks: task.progress or
    task.edit in its work package). `project_id`: for an
    organisation-wide component, the project that carries the plan (required; the planner is the
    component's owner or an admin and manages technology there); a project's component plans in its own."""
    u, c = _load(s, actor, update_id)
    pid = _planning_project(s, actor, c, project_id)
    if u.version != version:
        from charter.services.tech import update_dict  # tech imports this module

        raise stale(f"update item {u.id}", version, update_dict(u))
    if u.status != "open" or u.task_id is not None:
        raise Conflict(f"update item {u.id} is already {u.status}; its tasks are in the schedule")
    if steps is None:
        steps = proposal(s, actor, update_id, pid)["steps"]
    plan_steps = _steps(steps)
    explicit_owner = owner_id is not None
    owner = owner_id if explicit_owner else c.owner_id
    if explicit_owner and (owner is None or s.get(User, owner) is None):
        raise ValidationError(f"user {owner_id} does not exist", field="owner_id")
    if work_package_id is not None:
        target = s.get(WorkPackage, work_package_id)
        if target is None or target.project_id != pid:
            raise ValidationError(f"work package {work_package_id} is not in the plan's project",
                                  field="work_package_id")  # fmt: skip
    else:
        wp = _package(s, pid)
        if wp is None:
            work_package_id = work_packages.create_work_package(s, actor, pid, name=DEFAULT_PACKAGE)["id"]
        else:
            work_package_id = wp.id
    notes: list[str] = []
    today = now().date()
    created: list[dict[str, Any]] = []
    for i, (name, days, step_owner) in enumerate(plan_steps):
        fields: dict[str, Any] = {
            "description": f"Update plan for {c.name} {c.current_version}: {u.title} (step {i + 1} of "
            f"{len(plan_steps)})",
            "duration": f"{days}d",
            "milestone": days == 0,
        }
        if i == 0:
            fields.update(constraint_type="snet", constraint_date=dt.datetime.combine(today, dt.time(0, 0)))
        if i == len(plan_steps) - 1 and u.due_on:
            fields["deadline"] = dt.datetime.combine(u.due_on, dt.time(17, 0))
        t = tasks.create_task(s, actor, pid, name=name, work_package_id=work_package_id, **fields)
        who = step_owner if step_owner is not None else owner
        if who is not None:
            if _may_work(s, pid, who, work_package_id):
                t = tasks.set_assignees(s, actor, pid, t["id"], [who])
            elif step_owner is not None or explicit_owner:
                raise ValidationError(f"steps[{i}]: user {who} holds no role in this project that works on "
                                      "tasks (task progress or task edit) in the plan's work package, so cannot "
                                      "be assigned; give them such a role or choose another owner",
                                      field=f"steps[{i}].owner_id" if step_owner is not None else "owner_id")  # fmt: skip
            elif not notes:
                notes.append("the component's owner holds no role in this project that works on tasks (task "
                             "progress or task edit) in the plan's work package, so the tasks are unassigned; "
                             "they still receive the item's due-date alerts")  # fmt: skip
        if created:
            tasks.create_link(s, actor, pid, pred_id=created[-1]["id"], succ_id=t["id"], type="FS")
        s.add(TechUpdateTask(update_id=u.id, task_id=t["id"], position=i + 1, step=name[:120]))
        created.append(t)
    before = journal.snapshot(u)
    u.task_id = created[0]["id"]
    u.status = "planned"
    s.flush()
    journal.record(s, actor, entity_type="tech_update", entity_id=u.id, action="update", project_id=pid,
                   before=before, after=journal.snapshot(u), cause="update plan")  # fmt: skip
    return {**plan(s, actor, u.id), "notes": notes}


def plan(s: Session, actor: Actor, update_id: int) -> dict[str, Any]:
    """The item's plan: its tasks in order with their schedule and progress."""
    u, c = _load(s, actor, update_id)
    pid = _plan_project(s, u)
    rows = s.scalars(
        select(TechUpdateTask).where(TechUpdateTask.update_id == u.id).order_by(TechUpdateTask.position)
    ).all()
    out_tasks: list[dict[str, Any]] = []
    for r in rows:
        try:
            t = tasks.get_task(s, actor, pid, r.task_id) if pid is not None else None
        except CharterError:
            t = None
        if t is None:
            continue
        out_tasks.append({
            "position": r.position, "step": r.step, "task_id": r.task_id, "name": t["name"],
            "work_package_id": t["work_package_id"], "start": t.get("start"), "finish": t.get("finish"),
            "deadline": t.get("deadline"), "percent_complete": t["percent_complete"], "status": t["status"],
            "assignees": [a.get("user_id") for a in t.get("assignees", []) if a.get("user_id")],
        })  # fmt: skip
    done = bool(out_tasks) and all(t["status"] == "completed" for t in out_tasks)
    return {"update_id": u.id, "status": u.status, "version": u.version, "due_on": u.due_on,
            "project_id": pid, "org_wide": c.project_id is None, "tasks": out_tasks, "done": done}  # fmt: skip


def steps_of(s: Session, update_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """{update id: [{position, step, task_id}]}, for the component page."""
    out: dict[int, list[dict[str, Any]]] = {}
    if not update_ids:
        return out
    q = (
        select(TechUpdateTask)
        .where(TechUpdateTask.update_id.in_(update_ids))
        .order_by(TechUpdateTask.update_id, TechUpdateTask.position)
    )
    for r in s.scalars(q):
        out.setdefault(r.update_id, []).append({"position": r.position, "step": r.step, "task_id": r.task_id})
    return out


def complete_items(s: Session, actor: Actor, task_id: int) -> list[int]:
    """Called when a task completes: every planned update item whose plan includes the task and whose plan
    tasks are now all completed becomes done, journaled as caused by the plan (whoever completed the last
    task need not manage the technology; the item follows its plan). Returns the items made done."""
    q = select(TechUpdateTask.update_id).where(TechUpdateTask.task_id == task_id)
    done: list[int] = []
    for update_id in sorted(set(s.scalars(q))):
        u = s.get(TechUpdate, update_id)
        if u is None or u.status != "planned":
            continue
        statuses = s.scalars(
            select(Task.status)
            .join(TechUpdateTask, TechUpdateTask.task_id == Task.id)
            .where(TechUpdateTask.update_id == update_id)
        ).all()
        if not statuses or any(st != "completed" for st in statuses):
            continue
        before = journal.snapshot(u)
        u.status = "done"
        s.flush()
        journal.record(s, actor, entity_type="tech_update", entity_id=u.id, action="update",
                       project_id=_plan_project(s, u), before=before, after=journal.snapshot(u),
                       cause="every step of the update plan is complete")  # fmt: skip
        done.append(u.id)
    return done


def reopen_items(s: Session, actor: Actor, task_id: int) -> list[int]:
    """Called when a completed task is reopened (its progress back below 100 %): every update item made done
    whose plan includes the task goes back to planned (in progress), journaled as caused by the reopened
    step. Items dismissed or still open are left alone. Returns the items reopened."""
    q = select(TechUpdateTask.update_id).where(TechUpdateTask.task_id == task_id)
    reopened: list[int] = []
    for update_id in sorted(set(s.scalars(q))):
        u = s.get(TechUpdate, update_id)
        if u is None or u.status != "done":
            continue
        before = journal.snapshot(u)
        u.status = "planned"
        s.flush()
        journal.record(s, actor, entity_type="tech_update", entity_id=u.id, action="update",
                       project_id=_plan_project(s, u), before=before, after=journal.snapshot(u),
                       cause=f"step task {task_id} of the update plan was reopened")  # fmt: skip
        reopened.append(u.id)
    return reopened
