"""Role desks (what each role a person holds *now* needs today) and the portfolio view across projects.

Every figure comes with the numbers behind its colour and the rule that turned them into a colour. An area
whose data the person may not read (budget without budget.read) or that has no data is "unknown", never
guessed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from charter.domain.errors import CharterError
from charter.domain.roles import LIAISON, OBSERVER, PM, SPONSOR, STAKEHOLDER, TASK_LEADER, TASK_WORKER, Perm
from charter.persistence.models import (
    BudgetLine,
    CommItem,
    Concern,
    Defect,
    Deliverable,
    Invoice,
    Project,
    ProjectSchedule,
    PurchaseRequest,
    Risk,
    Role,
    RoleAssignment,
    Task,
    TaskComputed,
    WorkPackage,
)
from charter.services import roles as roles_svc
from charter.services.authz import can, require_user, visible_project_ids
from charter.services.context import Actor, now

GREEN, AMBER, RED, UNKNOWN = "green", "amber", "red", "unknown"
RULES = {
    "schedule": "red: a task has negative float or the forecast finish is more than 5 days after the target; "
    "amber: finish after the target; green: otherwise; unknown: not scheduled",
    "budget": "from earned value: the worse of CPI and SPI against the project's amber/red thresholds",
    "team": "red: someone is over-allocated on 3+ days of the next 14; amber: on any day; green: nobody",
    "risk": "red: an open risk scored 15+ (probability x impact); amber: any open risk; green: none open",
    "quality": "red: an open critical defect; amber: open defects or rejected deliverables; green: none",
    "communications": "red: a concern not acknowledged by its due time; amber: items waiting on the liaison",
}
_OPEN_RISK = ("closed", "retired", "expired", "occurred_closed")


def _worst(*colours: str) -> str:
    for c in (RED, AMBER, GREEN):
        if c in colours:
            return c
    return UNKNOWN


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


def schedule_health(s: Session, p: Project) -> dict[str, Any]:
    sched = s.get(ProjectSchedule, p.id)
    negative = s.scalar(
        select(func.count()).select_from(TaskComputed).where(TaskComputed.project_id == p.id,
                                                             TaskComputed.total_float < 0)
    ) or 0  # fmt: skip
    finish = sched.finish.date() if sched and sched.finish else None
    late = (finish - p.target_date).days if finish and p.target_date else None
    if finish is None:
        rag = UNKNOWN
    elif negative or (late is not None and late > 5):
        rag = RED
    elif late is not None and late > 0:
        rag = AMBER
    else:
        rag = GREEN
    return {"rag": rag, "finish": finish, "target": p.target_date, "days_late": late,
            "negative_float_tasks": negative, "rule": RULES["schedule"]}  # fmt: skip


def budget_health(s: Session, actor: Actor, p: Project) -> dict[str, Any]:
    if not can(s, actor, p.id, Perm.BUDGET_READ):
        return {"rag": UNKNOWN, "rule": RULES["budget"], "note": "you may not read this budget"}
    from charter.services import evm

    try:
        figs = evm.compute(s, actor, p.id)["project"]
    except CharterError as e:
        return {"rag": UNKNOWN, "rule": RULES["budget"], "note": str(e)}
    return {"rag": figs.get("status", UNKNOWN), "cpi": figs.get("cpi"), "spi": figs.get("spi"),
            "rule": RULES["budget"]}  # fmt: skip


def team_health(s: Session, actor: Actor, p: Project) -> dict[str, Any]:
    from charter.services import workload

    today = now().date()
    try:
        w = workload.workload(s, actor, start=today, end=today + dt.timedelta(days=13), project_id=p.id)
    except CharterError as e:
        return {"rag": UNKNOWN, "rule": RULES["team"], "note": str(e)}
    over = [{"name": r["name"], "user_id": r["user_id"], "over_days": r["over_days"]}
            for r in w["resources"] if r["over_days"]]  # fmt: skip
    rag = RED if any(r["over_days"] >= 3 for r in over) else AMBER if over else GREEN
    return {"rag": rag, "overallocated": over, "rule": RULES["team"]}


def risk_health(s: Session, p: Project) -> dict[str, Any]:
    rows = s.execute(
        select(Risk.probability, Risk.impact_schedule, Risk.impact_cost).where(
            Risk.project_id == p.id, Risk.status.not_in(_OPEN_RISK)
        )
    ).all()
    scores = [(pr or 0) * max(a or 0, b or 0) for pr, a, b in rows]
    high = sum(1 for x in scores if x >= 15)
    rag = RED if high else AMBER if rows else GREEN
    return {"rag": rag, "open": len(rows), "high": high, "rule": RULES["risk"]}


def quality_health(s: Session, p: Project) -> dict[str, Any]:
    defects = s.execute(
        select(Defect.severity, func.count()).where(Defect.project_id == p.id,
                                                    Defect.status.not_in(("closed", "verified", "rejected")))
        .group_by(Defect.severity)
    ).all()  # fmt: skip
    by = {sev: n for sev, n in defects}
    rejected = s.scalar(
        select(func.count()).select_from(Deliverable).where(Deliverable.project_id == p.id,
                                                            Deliverable.status == "rejected")
    ) or 0  # fmt: skip
    open_ = sum(by.values())
    rag = RED if by.get("critical") else AMBER if open_ or rejected else GREEN
    return {"rag": rag, "open_defects": open_, "critical_defects": by.get("critical", 0),
            "rejected_deliverables": rejected, "rule": RULES["quality"]}  # fmt: skip


def comms_health(s: Session, p: Project) -> dict[str, Any]:
    overdue = s.scalar(
        select(func.count()).select_from(Concern).where(Concern.project_id == p.id,
                                                        Concern.acknowledged_at.is_(None),
                                                        Concern.ack_due_at < now())
    ) or 0  # fmt: skip
    waiting = s.scalar(
        select(func.count()).select_from(CommItem).where(CommItem.project_id == p.id,
                                                         CommItem.status == "with_liaison")
    ) or 0  # fmt: skip
    rag = RED if overdue else AMBER if waiting else GREEN
    return {
        "rag": rag,
        "overdue_concerns": overdue,
        "waiting_on_liaison": waiting,
        "rule": RULES["communications"],
    }


def health(s: Session, actor: Actor, p: Project) -> dict[str, Any]:
    areas = {
        "schedule": schedule_health(s, p),
        "budget": budget_health(s, actor, p),
        "team": team_health(s, actor, p),
        "risk": risk_health(s, p),
        "quality": quality_health(s, p),
        "communications": comms_health(s, p),
    }
    return {"overall": _worst(*(a["rag"] for a in areas.values())), "areas": areas}


# --------------------------------------------------------------------------------------------- sections


def _approvals(s: Session, actor: Actor, pid: int, role_key: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in s.scalars(
        select(PurchaseRequest).where(PurchaseRequest.project_id == pid, PurchaseRequest.status == "submitted",
                                      PurchaseRequest.approver_role == role_key)
    ):  # fmt: skip
        out.append({"kind": "purchase_request", "id": r.id, "title": r.title, "amount": r.amount,
                    "link": f"/projects/{pid}/procurement"})  # fmt: skip
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


def _subtree(s: Session, pid: int, root: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for wid, parent in s.execute(
        select(WorkPackage.id, WorkPackage.parent_id).where(WorkPackage.project_id == pid)
    ):
        children.setdefault(parent, []).append(wid)
    out, todo = set(), [root]
    while todo:
        w = todo.pop()
        if w not in out:
            out.add(w)
            todo.extend(children.get(w, []))
    return out


def _pm(s: Session, actor: Actor, p: Project) -> dict[str, Any]:
    h = health(s, actor, p)
    return {
        "health": h,
        "today": {
            "approvals": _approvals(s, actor, p.id, PM) + _timesheets(s, actor, p.id),
            "gaps": roles_svc._gaps(s, p.id),
            "overdue_communications": h["areas"]["communications"]["overdue_concerns"],
        },
    }


def _leader(s: Session, actor: Actor, p: Project, wp_id: int) -> dict[str, Any]:
    from charter.services import workload

    wps = _subtree(s, p.id, wp_id)
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
    return {"work_package_id": wp_id, "work_package": name, "tasks": len(ts), "progress": progress,
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
    return {"approvals": _approvals(s, actor, p.id, SPONSOR), "health": h["overall"],
            "areas": {k: v["rag"] for k, v in h["areas"].items()}}  # fmt: skip


def _worker(s: Session, actor: Actor, p: Project) -> dict[str, Any]:
    from charter.services import timesheets

    mine = [t for t in timesheets.assigned_tasks(s, actor) if t["project_id"] == p.id]
    return {"tasks": mine, "timesheet_link": "/me/work"}


def desk(s: Session, actor: Actor) -> dict[str, Any]:
    require_user(actor)
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
        if TASK_WORKER in keys:
            sections["worker"] = _worker(s, actor, p)
        roles_held = sorted(keys)
        if sections or OBSERVER in keys:
            out.append({"project_id": p.id, "project_key": p.key, "project": p.name, "roles": roles_held,
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
                     "overall": h["overall"], "areas": h["areas"]})  # fmt: skip
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
        "rules": RULES,
        "milestones": milestones,
        "resource_load": load,
        "budget": [
            {"currency": c, "planned": v["planned"], "invoiced": v["invoiced"]} for c, v in budget.items()
        ],
    }
