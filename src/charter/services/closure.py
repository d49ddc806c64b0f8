"""Project closure: a closing checklist checked against the real data, closing, and the lessons-learned log."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from charter.domain.errors import Conflict, PermissionDenied, ValidationError
from charter.domain.projects import Phase, ProjectStatus
from charter.domain.roles import OBSERVER, PM, SPONSOR, Perm
from charter.persistence.models import (
    Contract,
    Deliverable,
    GoodsReceipt,
    Invoice,
    Lesson,
    Project,
    PurchaseOrder,
    PurchaseRequest,
    Role,
    RoleAssignment,
    User,
)
from charter.services import journal, tech
from charter.services.authz import can, grants, project_for, require_user, visible_project_ids
from charter.services.context import Actor, now

RELEASE_EXEMPT = (PM, SPONSOR, OBSERVER)
_PAYABLE = ("accepted", "released")


def _item(key: str, label: str, ok: bool, detail: str) -> dict[str, Any]:
    return {"key": key, "label": label, "ok": ok, "detail": detail}


def _facts(s: Session, p: Project) -> list[dict[str, Any]]:
    pid = p.id
    today = now().date()
    out: list[dict[str, Any]] = []
    pending = (
        s.scalar(
            select(func.count())
            .select_from(Deliverable)
            .where(Deliverable.project_id == pid, Deliverable.status != "accepted")
        )
        or 0
    )
    out.append(_item("deliverables", "Deliverables accepted", pending == 0,
                     f"{pending} deliverable(s) not accepted"))  # fmt: skip
    open_orders: list[str] = []
    not_invoiced: list[str] = []
    for o in s.scalars(select(PurchaseOrder).where(PurchaseOrder.project_id == pid)):
        if o.status == "cancelled":
            continue
        if o.status == "open":
            open_orders.append(o.number)
            continue
        received = Decimal(
            s.scalar(select(func.sum(GoodsReceipt.amount)).where(GoodsReceipt.order_id == o.id)) or 0
        )
        invoiced = Decimal(
            s.scalar(
                select(func.sum(Invoice.amount)).where(Invoice.order_id == o.id, Invoice.status.in_(_PAYABLE))
            )
            or 0
        )
        if received < o.total or invoiced < received:
            not_invoiced.append(o.number)
    out.append(_item("orders", "Orders received and invoiced", not open_orders and not not_invoiced,
                     "; ".join(filter(None, [
                         f"open: {', '.join(open_orders)}" if open_orders else "",
                         f"not fully received/invoiced: {', '.join(not_invoiced)}" if not_invoiced else "",
                     ])) or "all orders received and invoiced"))  # fmt: skip
    contracts = s.scalars(
        select(Contract.title).where(
            Contract.project_id == pid,
            Contract.status != "closed",
            or_(Contract.end.is_(None), Contract.end > today),
        )
    ).all()
    out.append(_item("contracts", "Contracts closed", not contracts,
                     f"still running: {', '.join(contracts)}" if contracts else "no running contracts"))  # fmt: skip
    requests = (
        s.scalar(
            select(func.count())
            .select_from(PurchaseRequest)
            .where(PurchaseRequest.project_id == pid, PurchaseRequest.status.in_(("submitted", "approved")))
        )
        or 0
    )
    commitments = len(open_orders) + len(not_invoiced) + requests
    out.append(_item("budget", "Budget reconciled (no open commitments)", commitments == 0,
                     f"{requests} purchase request(s) pending, {len(open_orders) + len(not_invoiced)} "
                     "order(s) not settled"))  # fmt: skip
    lessons = s.scalar(select(func.count()).select_from(Lesson).where(Lesson.project_id == pid)) or 0
    out.append(_item("lessons", "Lessons learned recorded", lessons > 0, f"{lessons} lesson(s)"))
    at = now()
    held = s.execute(
        select(Role.name, User.username)
        .select_from(RoleAssignment)
        .join(Role, Role.id == RoleAssignment.role_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            RoleAssignment.project_id == pid,
            RoleAssignment.valid_from <= at,
            or_(RoleAssignment.valid_until.is_(None), RoleAssignment.valid_until > at),
            or_(Role.key.is_(None), Role.key.not_in(RELEASE_EXEMPT)),
        )
        .order_by(Role.name, User.username)
    ).all()
    out.append(_item("roles", "Roles released (only PM, Sponsor, Observer remain)", not held,
                     "; ".join(f"{r}: {u}" for r, u in held) or "released"))  # fmt: skip
    left = tech.not_handed_over(s, pid)
    out.append(
        _item("technology", "Technology handed over", left == 0, f"{left} component(s) not handed over")
    )
    return out


def checklist(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    p = project_for(s, actor, project_id)
    items = _facts(s, p)
    return {"project_id": p.id, "status": p.status, "ready": all(i["ok"] for i in items), "items": items}


def close_project(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    p = project_for(s, actor, project_id, Perm.PROJECT_EDIT, for_update=True)
    if p.status == ProjectStatus.CLOSED.value:
        raise Conflict(f"{p.key} is already closed")
    items = _facts(s, p)
    failed = [i for i in items if not i["ok"]]
    if failed:
        listed = "; ".join(f"{i['label']} ({i['detail']})" for i in failed)
        raise Conflict(f"{p.key} cannot be closed: {listed}", details={"failed": failed})
    before = journal.snapshot(p)
    p.status = ProjectStatus.CLOSED.value
    p.phase = Phase.OPERATIONS.value
    s.flush()
    journal.record(s, actor, entity_type="project", entity_id=p.id, action="update", project_id=p.id,
                   before=before, after=journal.snapshot(p), cause="closure")  # fmt: skip
    return {"project_id": p.id, "status": p.status, "items": items}


# --------------------------------------------------------------------------------------------- lessons


def lesson_dict(x: Lesson, key: str | None = None) -> dict[str, Any]:
    return {"id": x.id, "project_id": x.project_id, "project_key": key, "title": x.title, "body": x.body,
            "category": x.category, "created_by": x.created_by, "created_at": x.created_at}  # fmt: skip


def may_add_lesson(s: Session, actor: Actor, project_id: int) -> bool:
    """Everyone who works on or raises issues in the project contributes lessons (PMI: the team records them,
    the PM curates): the PM (project.edit), a holder of task.edit in any package (a Task Leader), or of
    concern.raise (workers, stakeholders, liaisons, the Sponsor). An Observer only reads them."""
    if can(s, actor, project_id, Perm.PROJECT_EDIT) or can(s, actor, project_id, Perm.CONCERN_RAISE):
        return True
    return any(Perm.TASK_EDIT in g.permissions for g in grants(s, actor, project_id))


def add_lesson(
    s: Session, actor: Actor, project_id: int, *, title: str, body: str = "", category: str = ""
) -> dict[str, Any]:
    p = project_for(s, actor, project_id)
    if not may_add_lesson(s, actor, project_id):
        raise PermissionDenied("lessons are recorded by the project's members who work on it or raise issues")
    title = (title or "").strip()
    if not title:
        raise ValidationError("title is required", field="title")
    x = Lesson(project_id=p.id, title=title[:300], body=(body or "")[:20_000], category=(category or "")[:40],
               created_by=actor.user_id, created_at=now())  # fmt: skip
    s.add(x)
    s.flush()
    journal.record(s, actor, entity_type="lesson", entity_id=x.id, action="create", project_id=p.id,
                   after=journal.snapshot(x))  # fmt: skip
    return lesson_dict(x, p.key)


def list_lessons(
    s: Session, actor: Actor, project_id: int | None = None, q: str = ""
) -> list[dict[str, Any]]:
    """Lessons of one project, or across every project the actor can see; `q` filters by words."""
    require_user(actor)
    stmt = select(Lesson, Project.key).join(Project, Project.id == Lesson.project_id)
    if project_id is not None:
        project_for(s, actor, project_id)
        stmt = stmt.where(Lesson.project_id == project_id)
    else:
        stmt = stmt.where(Lesson.project_id.in_(visible_project_ids(s, actor)))
    for word in (q or "").split()[:10]:
        like = f"%{word.lower()}%"
        stmt = stmt.where(
            or_(func.lower(Lesson.title).like(like), func.lower(Lesson.body).like(like),
                func.lower(Lesson.category).like(like))
        )  # fmt: skip
    return [
        lesson_dict(x, k) for x, k in s.execute(stmt.order_by(Lesson.created_at.desc(), Lesson.id.desc()))
    ]
