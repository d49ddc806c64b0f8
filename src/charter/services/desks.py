"""Role desks (what each role a person holds *now* needs today, and the tasks assigned to them whatever their
role) and the portfolio view across projects.

Health colours are the status reports' (domain/reports.py): the ten areas rated by the same rules and the
project's own thresholds as the current week's report, each with the figures behind it and the rule that
turned them into a colour. An area without data is grey, never guessed; the budget's figures are withheld
from someone who may not read the budget.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from charter.domain import reports as R
from charter.domain.errors import CharterError
from charter.domain.roles import LIAISON, OBSERVER, PM, SPONSOR, STAKEHOLDER, TASK_LEADER, TASK_WORKER, Perm
from charter.persistence.models import (
    BudgetLine,
    CommItem,
    Concern,
    Invoice,
    Project,
    Role,
    RoleAssignment,
    Task,
    TaskComputed,
    WorkPackage,
)
from charter.services import conflicts as conflicts_svc
from charter.services import roles as roles_svc
from charter.services import work_packages
from charter.services.authz import can, require_user, visible_project_ids
from charter.services.context import Actor, now

BUDGET_WITHHELD = "not shown: you may not read this project's budget"


def held_roles(s: Session, actor: Actor) -> dict[int, list[tuple[str, int | None]]]:
    """project id -> [(role key, scope id)] of the roles the actor holds right now."""
    at = now()
    rows = s.execute(
        select(RoleAssignment.project_id, Role.key, RoleAssignment.work_package_id, RoleAssignment.department_id)
        .join(Role, Role.id == RoleAssignment.role_id)
        .join(Project, Project.id == RoleAssignment.project_id)
        .where(RoleAssignment.user_id == actor.user_id, Project.deleted_at.is_(None),
               RoleAssignment.valid_from <= at,
               or_(RoleAssignment.valid_until.is_(None), RoleAssignment.valid_until > at))
    ).all()  # fmt: skip
    out: dict[int, list[tuple[str, int | None]]] = {}
    for pid, key, wp, dept in rows:
        out.setdefault(pid, []).append((key or "custom", wp or dept))
    return out


# --------------------------------------------------------------------------------------------- health


def health(s: Session, actor: Actor, p: Project) -> dict[str, Any]:
    """The project's colours this week under the status reports' rules and the project's thresholds
    (services/reports.live_status), so the desks, the portfolio and the current-week draft agree. The
    budget area's figures and rule are withheld from someone who may not read the budget (its colour shows
    as grey); the overall colour is the project's, as the published report will show it to every member."""
    from charter.services import reports

    st = reports.live_status(s, p)
    areas = {a["area"]: a for a in st["areas"]}
    if not can(s, actor, p.id, Perm.BUDGET_READ):
        areas["budget"] = {"area": "budget", "rag": "grey", "rule": BUDGET_WITHHELD, "figures": {},
                           "reasons": [], "withheld": True}  # fmt: skip
    return {"overall": st["overall"], "areas": areas, "label": st["label"], "as_of": st["as_of"],
            "own_thresholds": st["own_thresholds"]}  # fmt: skip


# --------------------------------------------------------------------------------------------- sections


def _approvals(s: Session, actor: Actor, p: Project, role_key: str) -> list[dict[str, Any]]:
    """What waits for the holder of `role_key` in `p`, as *Approvals* lists it (`approvals.waiting_in`): the
    purchase requests routed to that role; for the Sponsor the budget versions proposed; the invoices held by
    three-way matching for whoever releases them (the PM's section when the caller is also the PM)."""
    from charter.services import approvals
    from charter.services.procurement import holds_role

    w = approvals.waiting_in(s, actor, p)
    out = [r for r in w["purchase_requests"] if r["approver_role"] == role_key]
    if role_key == SPONSOR:
        out += w["budget_versions"]
    if role_key == PM or not holds_role(s, actor, p.id, PM):
        out += w["invoices"]
    return out


def _timesheets(s: Session, actor: Actor, pid: int, wp_ids: set[int] | None = None) -> list[dict[str, Any]]:
    from charter.services import timesheets

    out = []
    for e in timesheets.approvals_for(s, actor):
        if e["project_id"] != pid:
            continue
        if wp_ids is not None:
            wp = s.scalar(select(Task.work_package_id).where(Task.id == e["task_id"]))
            if wp not in wp_ids:
                continue
        out.append(e)
    return out


def _pm(s: Session, actor: Actor, p: Project) -> dict[str, Any]:
    h = health(s, actor, p)
    return {
        "health": h,
        "today": {
            "approvals": _approvals(s, actor, p, PM) + _timesheets(s, actor, p.id),
            "gaps": roles_svc.gaps_of(s, p.id),
            "overdue_communications": sum(
                int(h["areas"]["communications"]["figures"].get(k) or 0)
                for k in ("concerns_past_ack", "overdue_plan_items")
            ),
            "conflicts": conflicts_svc.awaiting(s, p.id, actor.user_id),
        },
    }


def _leader(s: Session, actor: Actor, p: Project, wp_id: int) -> dict[str, Any]:
    from charter.services import workload

    wps = work_packages.subtree(s, p.id, [wp_id])
    ts = s.scalars(select(Task).where(Task.project_id == p.id, Task.work_package_id.in_(wps))).all()
    progress = round(sum(t.percent_complete for t in ts) / len(ts), 1) if ts else None
    blocked = [{"id": t.id, "name": t.name, "status": t.status} for t in ts if t.status == "on_hold"]
    today = now().date()
    over: list[dict[str, Any]] = []
    try:
        w = workload.workload(s, actor, start=today, end=today + dt.timedelta(days=13), project_id=p.id)
        task_ids = {t.id for t in ts}
        ids = {o["resource_id"] for o in w["overallocations"]
               if {c.get("task_id") for c in o.get("tasks", [])} & task_ids}  # fmt: skip
        over = [
            {"name": r["name"], "over_days": r["over_days"]}
            for r in w["resources"]
            if r["resource_id"] in ids
        ]
    except CharterError:
        pass
    name = s.scalar(select(WorkPackage.name).where(WorkPackage.id == wp_id))
    mine = [
        c
        for c in conflicts_svc.awaiting(s, p.id, actor.user_id)
        if c["level"] == "task_leader" and c["work_package_id"] in wps
    ]
    return {"work_package_id": wp_id, "work_package": name, "tasks": len(ts), "progress": progress,
            "conflicts": mine,
            "blocked": blocked, "overloaded": over, "timesheets_to_approve": _timesheets(s, actor, p.id, wps)}  # fmt: skip


def _stakeholder(s: Session, actor: Actor, p: Project) -> dict[str, Any]:
    raised = s.scalars(
        select(Concern)
        .where(Concern.project_id == p.id, Concern.raised_by == actor.user_id)
        .order_by(Concern.id)
    )
    return {"raised": [{"id": c.id, "subject": c.subject, "status": c.status} for c in raised],
            "raise_link": f"/projects/{p.id}/concerns#raise-form"}  # fmt: skip


def _liaison(s: Session, p: Project, dept_id: int | None) -> dict[str, Any]:
    inbox = s.scalar(
        select(func.count()).select_from(CommItem).where(CommItem.project_id == p.id,
                                                         CommItem.department_id == dept_id,
                                                         CommItem.status == "with_liaison")
    ) or 0  # fmt: skip
    return {"department_id": dept_id, "inbox": inbox, "link": f"/projects/{p.id}/liaison"}


def _sponsor(s: Session, actor: Actor, p: Project) -> dict[str, Any]:
    h = health(s, actor, p)
    return {"approvals": _approvals(s, actor, p, SPONSOR), "health": h["overall"],
            "areas": {k: v["rag"] for k, v in h["areas"].items()},
            "conflicts": conflicts_svc.awaiting(s, p.id, actor.user_id)}  # fmt: skip


def _worker(mine: list[dict[str, Any]]) -> dict[str, Any]:
    """The tasks still to do, the soonest finish first (overdue ones lead); the finished and cancelled ones
    are counted, not listed: a desk says what waits, and *My work* keeps the history."""

    def finished(t: dict[str, Any]) -> bool:
        return t["status"] in ("completed", "cancelled") or t["percent_complete"] >= 100

    left = sorted(
        (t for t in mine if not finished(t)),
        key=lambda t: (t["finish"] is None, t["finish"] or dt.datetime.min, t["wbs_code"] or "", t["id"]),
    )
    return {"tasks": left, "finished": len(mine) - len(left), "timesheet_link": "/me/work"}


def desk(s: Session, actor: Actor) -> dict[str, Any]:
    from charter.services import timesheets

    require_user(actor)
    assigned: dict[int, list[dict[str, Any]]] = {}
    for t in timesheets.assigned_tasks(s, actor):
        assigned.setdefault(t["project_id"], []).append(t)
    out: list[dict[str, Any]] = []
    for pid, held in sorted(held_roles(s, actor).items()):
        p = s.get(Project, pid)
        if p is None:
            continue
        keys = {k for k, _ in held}
        sections: dict[str, Any] = {}
        if PM in keys:
            sections["project_manager"] = _pm(s, actor, p)
        leads = [scope for k, scope in held if k == TASK_LEADER and scope]
        if leads:
            sections["task_leader"] = [_leader(s, actor, p, wp) for wp in leads]
        if STAKEHOLDER in keys:
            sections["stakeholder"] = _stakeholder(s, actor, p)
        depts = [scope for k, scope in held if k == LIAISON]
        if depts:
            sections["liaison"] = [_liaison(s, p, d) for d in depts]
        if SPONSOR in keys:
            sections["sponsor"] = _sponsor(s, actor, p)
        if TASK_WORKER in keys or assigned.get(p.id):  # a Task Leader may be the package's only worker
            sections["worker"] = _worker(assigned.get(p.id, []))
        roles_held = sorted(keys)
        if sections or OBSERVER in keys:
            out.append({"project_id": p.id, "project_key": p.key, "project": p.name, "currency": p.currency,
                        "roles": roles_held,
                        "sections": sections})  # fmt: skip
    return {"user_id": actor.user_id, "projects": out}


# --------------------------------------------------------------------------------------------- portfolio


def portfolio(s: Session, actor: Actor) -> dict[str, Any]:
    from charter.services import workload

    require_user(actor)
    projects = s.scalars(
        select(Project).where(Project.id.in_(visible_project_ids(s, actor)), Project.deleted_at.is_(None))
        .order_by(Project.key)
    ).all()  # fmt: skip
    rows: list[dict[str, Any]] = []
    milestones: list[dict[str, Any]] = []
    budget: dict[str, dict[str, Decimal]] = {}
    for p in projects:
        h = health(s, actor, p)
        rows.append({"id": p.id, "key": p.key, "name": p.name, "status": p.status, "phase": p.phase,
                     "overall": h["overall"], "areas": h["areas"], "own_thresholds": h["own_thresholds"]})  # fmt: skip
        for t, c in s.execute(
            select(Task, TaskComputed).outerjoin(TaskComputed, TaskComputed.task_id == Task.id)
            .where(Task.project_id == p.id, Task.milestone.is_(True))
        ):  # fmt: skip
            milestones.append({"project_id": p.id, "project_key": p.key, "task_id": t.id, "name": t.name,
                               "finish": c.finish if c else None, "status": t.status})  # fmt: skip
        if can(s, actor, p.id, Perm.BUDGET_READ):
            planned = s.scalar(select(func.sum(BudgetLine.amount)).where(BudgetLine.project_id == p.id)) or 0
            spent = s.scalar(
                select(func.sum(Invoice.amount)).where(Invoice.project_id == p.id,
                                                       Invoice.status.in_(("accepted", "released")))
            ) or 0  # fmt: skip
            cur = budget.setdefault(p.currency, {"planned": Decimal(0), "invoiced": Decimal(0)})
            cur["planned"] += Decimal(planned)
            cur["invoiced"] += Decimal(spent)
    milestones.sort(key=lambda m: (m["finish"] is None, m["finish"] or dt.datetime.max, m["project_key"]))
    today = now().date()
    try:
        w = workload.workload(s, actor, start=today, end=today + dt.timedelta(days=27))
        load = [{"resource_id": r["resource_id"], "name": r["name"], "over_days": r["over_days"],
                 "weeks": r["weeks"]} for r in w["resources"]]  # fmt: skip
    except CharterError:
        load = []
    return {
        "projects": rows,
        "areas": list(R.AREAS),
        "rules": R.describe(R.Thresholds()),
        "week": R.label(R.Period.WEEK, R.bounds(R.Period.WEEK, today)[0]),
        "milestones": milestones,
        "resource_load": load,
        "budget": [
            {"currency": c, "planned": v["planned"], "invoiced": v["invoiced"]} for c, v in budget.items()
        ],
    }
