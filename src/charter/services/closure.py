"""Project closure: a closing checklist checked against the real data, closing, and the lessons-learned log."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError, stale
from charter.domain.figures import counted
from charter.domain.projects import Phase, ProjectStatus
from charter.domain.quality import OPEN_DEFECT_VALUES
from charter.domain.risk import OPEN as OPEN_RISK
from charter.domain.risk import Status as RiskStatus
from charter.domain.risk import Strategy
from charter.domain.roles import OBSERVER, PM, SPONSOR, Perm
from charter.persistence.models import (
    Contract,
    Defect,
    Deliverable,
    GoodsReceipt,
    Invoice,
    Lesson,
    Project,
    PurchaseOrder,
    PurchaseRequest,
    Risk,
    Role,
    RoleAssignment,
    User,
)
from charter.services import journal, tech
from charter.services.authz import can, grants, project_for, require_user, visible_project_ids
from charter.services.context import Actor, now

RELEASE_EXEMPT = (PM, SPONSOR, OBSERVER)
_PAYABLE = ("accepted", "released")


def _item(key: str, label: str, ok: bool, detail: str, **more: Any) -> dict[str, Any]:
    return {"key": key, "label": label, "ok": ok, "detail": detail, **more}


_NAMED = 5  # open defects and risks named in an item's detail; the rest are counted


def _named(things: list[str]) -> str:
    shown = ", ".join(things[:_NAMED])
    return shown + (f" and {len(things) - _NAMED} more" if len(things) > _NAMED else "")


def _defects(s: Session, pid: int) -> dict[str, Any]:
    """Open defects (new, triaged, in progress, resolved but not verified) stop the closure: the same count
    as the quality page, the phase gate and the status report."""
    rows = s.execute(
        select(Defect.id, Defect.title, Defect.severity, Defect.status)
        .where(Defect.project_id == pid, Defect.status.in_(OPEN_DEFECT_VALUES))
        .order_by(Defect.id)
    ).all()
    open_: list[dict[str, Any]] = [
        {"id": i, "title": t, "severity": sev, "status": st} for i, t, sev, st in rows
    ]
    named = _named([f"#{i} {t} ({sev}, {st.replace('_', ' ')})" for i, t, sev, st in rows])
    detail = f"{counted(len(open_), 'open defect')}: {named}" if open_ else "0 open defects"
    return _item("defects", "No open defects", not open_, detail, count=len(open_), open=open_,
                 link=f"/projects/{pid}/quality#def-h")  # fmt: skip


def _risks(s: Session, pid: int) -> dict[str, Any]:
    """Risks still open (identified, assessed, responding) unless their response is to accept them, and
    risks that occurred and are not closed yet (open issues), stop the closure."""
    rows = s.execute(
        select(Risk.id, Risk.number, Risk.title, Risk.status, Risk.strategy)
        .where(
            Risk.project_id == pid,
            Risk.status.in_([x.value for x in OPEN_RISK] + [RiskStatus.OCCURRED.value]),
        )
        .order_by(Risk.number)
    ).all()
    accepted = sum(1 for r in rows if r.status != RiskStatus.OCCURRED.value and r.strategy == Strategy.ACCEPT)
    open_ = [
        {"id": r.id, "number": r.number, "title": r.title, "status": r.status}
        for r in rows
        if r.status == RiskStatus.OCCURRED.value or r.strategy != Strategy.ACCEPT
    ]
    parts = [f"{counted(len(open_), 'open risk')}" + (": " + _named(
        [f"R-{r['number']} {r['title']} ({r['status']})" for r in open_]) if open_ else "")]  # fmt: skip
    if accepted:
        parts.append(f"{accepted} accepted")
    return _item("risks", "No open risks (or all accepted/closed)", not open_, "; ".join(parts),
                 count=len(open_), accepted=accepted, open=open_,
                 link=f"/projects/{pid}/risks")  # fmt: skip


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
                     f"{counted(pending, 'deliverable')} not accepted"))  # fmt: skip
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
                     f"{counted(requests, 'purchase request')} pending, "
                     f"{counted(len(open_orders) + len(not_invoiced), 'order')} not settled"))  # fmt: skip
    out.append(_defects(s, pid))
    out.append(_risks(s, pid))
    lessons = s.scalar(select(func.count()).select_from(Lesson).where(Lesson.project_id == pid)) or 0
    out.append(_item("lessons", "Lessons learned recorded", lessons > 0, f"{counted(lessons, 'lesson')}"))
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
        _item(
            "technology", "Technology handed over", left == 0, f"{counted(left, 'component')} not handed over"
        )
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
            "category": x.category, "created_by": x.created_by, "created_at": x.created_at,
            "version": x.version}  # fmt: skip


def may_add_lesson(s: Session, actor: Actor, project_id: int) -> bool:
    """Everyone who works on or raises issues in the project contributes lessons (PMI: the team records them,
    the PM curates): the PM (project.edit), a holder of task.edit in any package (a Task Leader), or of
    concern.raise (workers, stakeholders, liaisons, the Sponsor). An Observer only reads them."""
    if can(s, actor, project_id, Perm.PROJECT_EDIT) or can(s, actor, project_id, Perm.CONCERN_RAISE):
        return True
    return any(Perm.TASK_EDIT in g.permissions for g in grants(s, actor, project_id))


def _may_change(s: Session, actor: Actor, project_id: int, author_id: int | None) -> bool:
    """Whoever manages quality in the project (the PM, an admin) curates every lesson; its author changes
    their own while they still contribute lessons there (an author who is now only an Observer does not)."""
    if can(s, actor, project_id, Perm.QUALITY_MANAGE):
        return True
    return author_id is not None and author_id == actor.user_id and may_add_lesson(s, actor, project_id)


def changeable_lessons(s: Session, actor: Actor, rows: list[dict[str, Any]]) -> set[int]:
    """The ids of these lessons (as `list_lessons` returns them) the actor may change and remove."""
    out: set[int] = set()
    manager: dict[int, bool] = {}
    contributor: dict[int, bool] = {}
    for r in rows:
        pid = r["project_id"]
        if pid not in manager:
            manager[pid] = can(s, actor, pid, Perm.QUALITY_MANAGE)
        if manager[pid]:
            out.add(r["id"])
        elif r["created_by"] is not None and r["created_by"] == actor.user_id:
            if pid not in contributor:
                contributor[pid] = may_add_lesson(s, actor, pid)
            if contributor[pid]:
                out.add(r["id"])
    return out


def _lesson_fields(changes: dict[str, Any]) -> dict[str, str]:
    """The fields of a lesson, checked and trimmed the same way when it is recorded and when it is changed."""
    unknown = sorted(set(changes) - {"title", "body", "category"})
    if unknown:
        raise ValidationError(f"{unknown[0]} cannot be changed here", field=unknown[0])
    out: dict[str, str] = {}
    if "title" in changes:
        title = (changes["title"] or "").strip()
        if not title:
            raise ValidationError("title is required", field="title")
        out["title"] = title[:300]
    if "body" in changes:
        out["body"] = (changes["body"] or "")[:20_000]
    if "category" in changes:
        out["category"] = (changes["category"] or "")[:40]
    return out


def add_lesson(
    s: Session, actor: Actor, project_id: int, *, title: str, body: str = "", category: str = ""
) -> dict[str, Any]:
    p = project_for(s, actor, project_id)
    if not may_add_lesson(s, actor, project_id):
        raise PermissionDenied("lessons are recorded by the project's members who work on it or raise issues")
    fields = _lesson_fields({"title": title, "body": body, "category": category})
    x = Lesson(project_id=p.id, **fields, created_by=actor.user_id, created_at=now())
    s.add(x)
    s.flush()
    journal.record(s, actor, entity_type="lesson", entity_id=x.id, action="create", project_id=p.id,
                   after=journal.snapshot(x))  # fmt: skip
    return lesson_dict(x, p.key)


def _lesson_to_change(
    s: Session, actor: Actor, project_id: int, lesson_id: int, version: int
) -> tuple[Project, Lesson]:
    p = project_for(s, actor, project_id)
    x = s.get(Lesson, lesson_id)
    if x is None or x.project_id != p.id:
        raise NotFound(f"lesson {lesson_id} not found in this project")
    if not _may_change(s, actor, p.id, x.created_by):
        raise PermissionDenied(
            "a lesson is changed by its author or by whoever manages quality in the project"
        )
    if x.version != version:
        raise stale("lesson", version, lesson_dict(x, p.key))
    return p, x


def update_lesson(
    s: Session, actor: Actor, project_id: int, lesson_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    """Correct a lesson's title, body or category (its author, or whoever manages quality; journaled)."""
    p, x = _lesson_to_change(s, actor, project_id, lesson_id, version)
    fields = _lesson_fields(changes)
    before = journal.snapshot(x)
    for k, v in fields.items():
        setattr(x, k, v)
    s.flush()
    journal.record(s, actor, entity_type="lesson", entity_id=x.id, action="update", project_id=p.id,
                   before=before, after=journal.snapshot(x))  # fmt: skip
    return lesson_dict(x, p.key)


def delete_lesson(s: Session, actor: Actor, project_id: int, lesson_id: int, version: int) -> None:
    """Remove a lesson (its author, or whoever manages quality; journaled with what it said). The last lesson
    of a closed project is kept: the project was closed on the checklist item "lessons learned recorded"."""
    p, x = _lesson_to_change(s, actor, project_id, lesson_id, version)
    if p.status == ProjectStatus.CLOSED.value:
        left = s.scalar(select(func.count()).select_from(Lesson).where(Lesson.project_id == p.id)) or 0
        if left <= 1:
            raise Conflict(f"{p.key} was closed with this as its only lesson learned; correct it instead of "
                           "removing it", current=lesson_dict(x, p.key))  # fmt: skip
    before = journal.snapshot(x)
    s.delete(x)
    s.flush()
    journal.record(s, actor, entity_type="lesson", entity_id=lesson_id, action="delete", project_id=p.id,
                   before=before)  # fmt: skip


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
