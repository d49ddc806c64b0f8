"""Budget lines, budget versions (proposed by the PM, approved by the Sponsor: the cost baseline), fixed costs
on tasks, expenses, and each line's cost columns: budget, committed (open orders not yet invoiced), actual
(payable invoices, expenses, approved labour, accrued fixed costs) and remaining.

Reading needs budget.read; changing lines, expenses and fixed costs budget.edit; deciding a version
budget.approve.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from charter.domain import budget as rules
from charter.domain.dates import check_not_future
from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError, stale
from charter.domain.money import parse_amount, quantise
from charter.domain.procurement import OPEN_ORDER_STATES, PAYABLE, InvoiceStatus, RequestStatus
from charter.domain.roles import PROJECT_TARGET, Perm, ScopeKind, Target
from charter.persistence.db import get_for_update
from charter.persistence.models import (
    BudgetLine,
    BudgetVersion,
    Expense,
    Invoice,
    Project,
    PurchaseOrder,
    PurchaseRequest,
    Task,
    TaskComputed,
    TaskFixedCost,
    WorkPackage,
)
from charter.services import attachments, journal
from charter.services.authz import can, grants, project_for, work_package_target
from charter.services.context import Actor, now

ZERO = Decimal(0)


def read_scope(s: Session, actor: Actor, project_id: int) -> tuple[Project, set[int | None] | None]:
    """The project and which lines the actor may read: None = all (project-wide budget.read); else the work
    packages (with their sub-packages) where a scoped role grants budget.read — a Task Leader sees the lines
    of their own package. Neither: 403."""
    p = project_for(s, actor, project_id)
    if can(s, actor, project_id, Perm.BUDGET_READ):
        return p, None
    roots = {g.scope_id for g in grants(s, actor, project_id)
             if Perm.BUDGET_READ in g.permissions and g.scope_kind is ScopeKind.WORK_PACKAGE}  # fmt: skip
    if not roots:
        raise PermissionDenied(f"your roles in {p.key} do not allow budget.read")
    parent = parents(s, project_id)
    visible: set[int | None] = set()
    for wp in parent:
        w: int | None = wp
        seen: set[int] = set()
        while w is not None and w not in seen:
            if w in roots:
                visible.add(wp)
                break
            seen.add(w)
            w = parent.get(w)
    return p, visible


def target_of(s: Session, work_package_id: int | None) -> Target:
    return work_package_target(s, work_package_id) if work_package_id else PROJECT_TARGET


def get_line(
    s: Session, project_id: int, line_id: int, field: str = "budget_line_id", *, lock: bool = False
) -> BudgetLine:
    """`lock`: read fresh and hold the row lock for a versioned write (see persistence.db.get_for_update)."""
    line = get_for_update(s, BudgetLine, line_id) if lock else s.get(BudgetLine, line_id)
    if line is None or line.project_id != project_id:
        raise NotFound(f"budget line {line_id} not found in this project", field=field)
    return line


def _check_wp(s: Session, project_id: int, wp_id: int | None) -> None:
    if wp_id is not None:
        w = s.get(WorkPackage, wp_id)
        if w is None or w.project_id != project_id:
            raise NotFound(f"work package {wp_id} not found in this project", field="work_package_id")


def _record(
    s: Session, actor: Actor, row: Any, kind: str, action: str, before: Any = None, **kw: Any
) -> None:
    journal.record(
        s, actor, entity_type=kind, entity_id=row.id, action=action, project_id=row.project_id,
        before=before, after=journal.snapshot(row) if action != "delete" else None, **kw,
    )  # fmt: skip


# --------------------------------------------------------------------------------------------- cost columns


def parents(s: Session, project_id: int) -> dict[int, int | None]:
    q = select(WorkPackage.id, WorkPackage.parent_id).where(WorkPackage.project_id == project_id)
    return {wp_id: parent_id for wp_id, parent_id in s.execute(q)}


def labour_line_of(
    wp_id: int | None, labour_lines: dict[int | None, int], parent: dict[int, int | None]
) -> int | None:
    """The labour line a task's labour is charged to: its package's, else the nearest ancestor's, else the
    project-level labour line."""
    seen: set[int] = set()
    while wp_id is not None and wp_id not in seen:
        seen.add(wp_id)
        if wp_id in labour_lines:
            return labour_lines[wp_id]
        wp_id = parent.get(wp_id)
    return labour_lines.get(None)


def labour_by_task(s: Session, project_id: int, until: dt.date | None = None) -> dict[int, Decimal]:
    """Approved labour cost per task, from the timesheets service when it is there."""
    try:
        from charter.services.timesheets import labour_cost
    except ImportError:  # the timesheets service is optional for the budget
        return {}
    return dict(labour_cost(s, project_id, until))


def labour_warnings(s: Session, project_id: int, work_packages: set[int | None] | None = None) -> list[str]:
    """Approved hours the labour cost leaves out (a rate in another currency than the project's) or costs 0
    (no rate on the day); `work_packages`: only those of these packages (a Task Leader's view)."""
    try:
        from charter.services.timesheets import labour_warnings as warnings
    except ImportError:
        return []
    return warnings(s, project_id, work_packages=work_packages)


def _task_dates(s: Session, project_id: int) -> dict[int, tuple[dt.date | None, dt.date | None]]:
    """Each task's start and finish day: the actual one, else the scheduled one (None: unknown)."""
    q = (
        select(Task.id, Task.actual_start, Task.actual_finish, TaskComputed.start, TaskComputed.finish)
        .outerjoin(TaskComputed, TaskComputed.task_id == Task.id).where(Task.project_id == project_id)
    )  # fmt: skip
    out: dict[int, tuple[dt.date | None, dt.date | None]] = {}
    for tid, a_start, a_finish, c_start, c_finish in s.execute(q):
        start, finish = a_start or c_start, a_finish or c_finish
        out[tid] = (start.date() if start else None, finish.date() if finish else None)
    return out


def cost_columns(s: Session, project: Project, until: dt.date | None = None) -> dict[str, Any]:
    """Per line: committed, actual (split by source) and held; plus actual cost no line takes. With `until`,
    the actual cost incurred by the end of that day: invoices, expenses and approved hours dated by then, and
    fixed costs as far as they had accrued by then (domain.budget.accrued_fraction_on)."""
    cur = project.currency
    pid = project.id
    lines = list(s.scalars(select(BudgetLine).where(BudgetLine.project_id == pid)))
    cols: dict[int, dict[str, Decimal]] = {ln.id: defaultdict(Decimal) for ln in lines}
    invoiced: dict[int, Decimal] = defaultdict(Decimal)
    for order_id, status, amount in s.execute(
        select(Invoice.order_id, Invoice.status, Invoice.amount).where(Invoice.project_id == pid)
    ):
        if InvoiceStatus(status) in PAYABLE:
            invoiced[order_id] += Decimal(amount)
    orders = s.execute(
        select(PurchaseOrder.id, PurchaseOrder.budget_line_id, PurchaseOrder.status, PurchaseOrder.total)
        .where(PurchaseOrder.project_id == pid)
    ).all()  # fmt: skip
    order_line = {oid: lid for oid, lid, _, _ in orders}
    for oid, lid, status, total in orders:
        if status in OPEN_ORDER_STATES:
            cols[lid]["committed"] += max(ZERO, Decimal(total) - invoiced[oid])
    iq = select(Invoice.order_id, Invoice.status, Invoice.amount).where(Invoice.project_id == pid)
    if until is not None:
        iq = iq.where(Invoice.day <= until)
    for oid, status, amount in s.execute(iq):
        key = "invoices" if InvoiceStatus(status) in PAYABLE else ("held" if status == "held" else None)
        if key:
            cols[order_line[oid]][key] += Decimal(amount)
    eq = select(Expense.budget_line_id, func.sum(Expense.amount)).where(Expense.project_id == pid)
    if until is not None:
        eq = eq.where(Expense.day <= until)
    for lid, amount in s.execute(eq.group_by(Expense.budget_line_id)):
        cols[lid]["expenses"] += Decimal(amount or 0)
    task_rows = {tid: (wp, pc) for tid, wp, pc in s.execute(
        select(Task.id, Task.work_package_id, Task.percent_complete).where(Task.project_id == pid))}  # fmt: skip
    dates = _task_dates(s, pid) if until is not None else {}
    today = now().date()
    for fc_line, task_id, amount, accrual in s.execute(
        select(TaskFixedCost.budget_line_id, TaskFixedCost.task_id, TaskFixedCost.amount, TaskFixedCost.accrual)
        .where(TaskFixedCost.project_id == pid)
    ):  # fmt: skip
        pct = task_rows.get(task_id, (None, 0.0))[1] or 0.0
        if until is None:
            frac = rules.accrued_fraction(rules.Accrual(accrual), pct)
        else:  # as of a past day: what had accrued by then (the EVM trend's earlier months)
            start, finish = dates.get(task_id, (None, None))
            frac = rules.accrued_fraction_on(rules.Accrual(accrual), pct, start, finish, until, today)
        if fc_line is not None:
            cols[fc_line]["fixed_costs"] += quantise(Decimal(amount) * Decimal(str(frac)), cur)
    labour_lines = {ln.work_package_id: ln.id for ln in lines if ln.category == rules.Category.LABOUR}
    parent = parents(s, pid)
    unallocated = ZERO
    for task_id, cost in labour_by_task(s, pid, until).items():
        to_line = labour_line_of(task_rows.get(task_id, (None, 0.0))[0], labour_lines, parent)
        if to_line is None:
            unallocated += cost
        else:
            cols[to_line]["labour"] += cost
    out: dict[int, dict[str, Decimal]] = {}
    for ln in lines:
        c = cols[ln.id]
        actual = c["invoices"] + c["expenses"] + c["labour"] + c["fixed_costs"]
        budget = Decimal(ln.amount)
        out[ln.id] = {
            "budget": quantise(budget, cur),
            "committed": quantise(c["committed"], cur),
            "actual": quantise(actual, cur),
            "actual_invoices": quantise(c["invoices"], cur),
            "actual_expenses": quantise(c["expenses"], cur),
            "actual_labour": quantise(c["labour"], cur),
            "actual_fixed_costs": quantise(c["fixed_costs"], cur),
            "held": quantise(c["held"], cur),
            "remaining": quantise(budget - c["committed"] - actual, cur),
        }
    return {"lines": out, "unallocated_labour": quantise(unallocated, cur)}


def remaining_of(s: Session, project: Project, line_id: int) -> Decimal:
    """A line's budget less what is committed, actually spent, and already approved in requests not yet
    ordered."""
    col = cost_columns(s, project)["lines"][line_id]
    pending = s.scalar(
        select(func.sum(PurchaseRequest.amount)).where(
            PurchaseRequest.budget_line_id == line_id, PurchaseRequest.status == RequestStatus.APPROVED.value
        )
    )
    return Decimal(col["remaining"]) - Decimal(pending or 0)


# --------------------------------------------------------------------------------------------- lines


def line_dict(
    ln: BudgetLine, wp_names: dict[int, str], col: dict[str, Decimal] | None = None
) -> dict[str, Any]:
    return {
        "id": ln.id, "project_id": ln.project_id, "work_package_id": ln.work_package_id,
        "work_package": wp_names.get(ln.work_package_id) if ln.work_package_id else None,
        "category": ln.category, "name": ln.name, "description": ln.description, "amount": ln.amount,
        "reserve": rules.Category(ln.category) in rules.RESERVES, **(col or {}), "version": ln.version,
    }  # fmt: skip


def _wp_names(s: Session, project_id: int) -> dict[int, str]:
    return {i: f"{c} {n}".strip() for i, c, n in s.execute(
        select(WorkPackage.id, WorkPackage.wbs_code, WorkPackage.name).where(WorkPackage.project_id == project_id))}  # fmt: skip


def list_lines(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    p, scope = read_scope(s, actor, project_id)
    cols = cost_columns(s, p)["lines"]
    names = _wp_names(s, project_id)
    rows = s.scalars(select(BudgetLine).where(BudgetLine.project_id == project_id).order_by(BudgetLine.id))
    return [line_dict(ln, names, cols[ln.id]) for ln in rows if scope is None or ln.work_package_id in scope]


def get_line_dict(s: Session, actor: Actor, project_id: int, line_id: int) -> dict[str, Any]:
    p, scope = read_scope(s, actor, project_id)
    ln = get_line(s, project_id, line_id)
    if scope is not None and ln.work_package_id not in scope:
        raise PermissionDenied("the line belongs to another work package")
    return line_dict(ln, _wp_names(s, project_id), cost_columns(s, p)["lines"][ln.id])


def _check_one_labour_line(
    s: Session, project_id: int, category: str, work_package_id: int | None, line_id: int | None = None
) -> None:
    """Approved labour of a package is charged to its one labour line (else its nearest ancestor's, else the
    project level's): a second labour line at the same place would never be charged, so it is refused."""
    if category != rules.Category.LABOUR.value:
        return
    q = select(BudgetLine).where(
        BudgetLine.project_id == project_id,
        BudgetLine.category == rules.Category.LABOUR.value,
        BudgetLine.work_package_id.is_(None)
        if work_package_id is None
        else BudgetLine.work_package_id == work_package_id,
    )
    if line_id is not None:
        q = q.where(BudgetLine.id != line_id)
    taken = s.scalars(q.limit(1)).first()
    if taken is not None:
        where = "the project level" if work_package_id is None else "this work package"
        raise ValidationError(
            f"{where} already has the labour line “{taken.name}” (line {taken.id}), which its approved hours are "
            "charged to; raise that line's amount, or put this one on another work package",
            field="work_package_id",
        )


def create_line(
    s: Session, actor: Actor, project_id: int, *, category: str, name: str, amount: Any,
    work_package_id: int | None = None, description: str = "",
) -> dict[str, Any]:  # fmt: skip
    kind = rules.parse_category(category).value
    # a labour line locks the project row: two at once for the same place cannot both pass the check
    p = project_for(s, actor, project_id, Perm.BUDGET_EDIT, for_update=kind == rules.Category.LABOUR.value)
    _check_wp(s, project_id, work_package_id)
    if not name.strip():
        raise ValidationError("the budget line needs a name", field="name")
    _check_one_labour_line(s, project_id, kind, work_package_id)
    ln = BudgetLine(
        project_id=project_id, work_package_id=work_package_id, category=kind,
        name=name.strip(), description=description, amount=parse_amount(amount, p.currency, "amount"),
        created_by=actor.user_id, created_at=now(),
    )  # fmt: skip
    s.add(ln)
    s.flush()
    _record(s, actor, ln, "budget_line", "create")
    return get_line_dict(s, actor, project_id, ln.id)


def update_line(
    s: Session, actor: Actor, project_id: int, line_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    moves = "category" in changes or "work_package_id" in changes  # (see _check_one_labour_line)
    p = project_for(s, actor, project_id, Perm.BUDGET_EDIT, for_update=moves)
    ln = get_line(s, project_id, line_id, lock=True)
    if ln.version != version:
        raise stale("budget line", version, line_dict(ln, {}))
    before = journal.snapshot(ln)
    if "category" in changes:
        changes["category"] = rules.parse_category(changes["category"]).value
    if "amount" in changes:
        changes["amount"] = parse_amount(changes["amount"], p.currency, "amount")
    if "work_package_id" in changes:
        _check_wp(s, project_id, changes["work_package_id"])
    if "name" in changes and not (changes["name"] or "").strip():
        raise ValidationError("the budget line needs a name", field="name")
    if moves:
        _check_one_labour_line(s, project_id, changes.get("category", ln.category),
                               changes.get("work_package_id", ln.work_package_id), ln.id)  # fmt: skip
    for k, v in changes.items():
        setattr(ln, k, v)
    s.flush()
    _record(s, actor, ln, "budget_line", "update", before)
    return get_line_dict(s, actor, project_id, ln.id)


def delete_line(s: Session, actor: Actor, project_id: int, line_id: int, version: int) -> None:
    """Refused while anything is charged or committed to the line (orders, requests, expenses, fixed costs)."""
    project_for(s, actor, project_id, Perm.BUDGET_EDIT)
    ln = get_line(s, project_id, line_id, lock=True)
    if ln.version != version:
        raise stale("budget line", version, line_dict(ln, {}))
    uses = {
        "purchase orders": s.scalar(select(func.count()).where(PurchaseOrder.budget_line_id == ln.id)),
        "purchase requests": s.scalar(select(func.count()).where(PurchaseRequest.budget_line_id == ln.id)),
        "expenses": s.scalar(select(func.count()).where(Expense.budget_line_id == ln.id)),
        "fixed costs": s.scalar(select(func.count()).where(TaskFixedCost.budget_line_id == ln.id)),
    }
    held = [f"{n} {what}" for what, n in uses.items() if n]
    if held:
        raise Conflict(
            f"budget line {ln.name!r} has commitments or actuals ({', '.join(held)}); it cannot be deleted",
            field="budget_line_id",
            details={"uses": uses},
        )
    before = journal.snapshot(ln)
    s.delete(ln)
    s.flush()
    journal.record(s, actor, entity_type="budget_line", entity_id=line_id, action="delete",
                   project_id=project_id, before=before)  # fmt: skip


# --------------------------------------------------------------------------------------------- versions


def version_dict(v: BudgetVersion) -> dict[str, Any]:
    return {
        "id": v.id, "project_id": v.project_id, "number": v.number, "status": v.status, "currency": v.currency,
        "total": v.total, "lines": v.lines, "note": v.note, "proposed_by": v.proposed_by,
        "proposed_at": v.proposed_at, "decided_by": v.decided_by, "decided_at": v.decided_at,
        "reason": v.reason, "version": v.version,
    }  # fmt: skip


def baseline_version(s: Session, project_id: int) -> BudgetVersion | None:
    """The cost baseline: the approved version (the latest, if an older one was superseded)."""
    return s.scalars(
        select(BudgetVersion).where(BudgetVersion.project_id == project_id,
                                    BudgetVersion.status == rules.VersionStatus.APPROVED.value)
        .order_by(BudgetVersion.number.desc())
    ).first()  # fmt: skip


def list_versions(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    project_for(s, actor, project_id, Perm.BUDGET_READ)
    q = select(BudgetVersion).where(BudgetVersion.project_id == project_id).order_by(BudgetVersion.number)
    return [version_dict(v) for v in s.scalars(q)]


def propose_version(s: Session, actor: Actor, project_id: int, note: str = "") -> dict[str, Any]:
    p = project_for(s, actor, project_id, Perm.BUDGET_EDIT)
    pending = s.scalar(select(BudgetVersion.number).where(
        BudgetVersion.project_id == project_id, BudgetVersion.status == rules.VersionStatus.PROPOSED.value))  # fmt: skip
    if pending is not None:
        raise Conflict(
            f"version {pending} awaits a decision; withdraw it or have it decided first", field="status"
        )
    lines = list(
        s.scalars(select(BudgetLine).where(BudgetLine.project_id == project_id).order_by(BudgetLine.id))
    )
    if not lines:
        raise ValidationError("the project has no budget lines to propose", field="lines")
    snap: list[dict[str, Any]] = [
        {"line_id": ln.id, "work_package_id": ln.work_package_id, "category": ln.category, "name": ln.name,
         "amount": str(quantise(Decimal(ln.amount), p.currency))}
        for ln in lines
    ]  # fmt: skip
    number = (
        s.scalar(select(func.max(BudgetVersion.number)).where(BudgetVersion.project_id == project_id)) or 0
    ) + 1
    v = BudgetVersion(
        project_id=project_id, number=number, status=rules.VersionStatus.PROPOSED.value, currency=p.currency,
        total=sum((Decimal(x["amount"]) for x in snap), ZERO), lines=snap, note=note,
        proposed_by=actor.user_id, proposed_at=now(),
    )  # fmt: skip
    s.add(v)
    s.flush()
    _record(s, actor, v, "budget_version", "create")
    return version_dict(v)


def _version(s: Session, project_id: int, number: int) -> BudgetVersion:
    v = s.scalars(select(BudgetVersion).where(BudgetVersion.project_id == project_id,
                                              BudgetVersion.number == number)).first()  # fmt: skip
    if v is None:
        raise NotFound(f"budget version {number} not found", field="number")
    return v


def decide_version(
    s: Session, actor: Actor, project_id: int, number: int, *, approve: bool, reason: str = ""
) -> dict[str, Any]:
    """The Sponsor approves (the version becomes the cost baseline; an earlier one is superseded) or rejects
    with a reason."""
    project_for(s, actor, project_id, Perm.BUDGET_APPROVE)
    v = _version(s, project_id, number)
    rules.check_decision(v.status, reason, rejecting=not approve)
    before = journal.snapshot(v)
    if approve:
        old = baseline_version(s, project_id)
        if old is not None:
            ob = journal.snapshot(old)
            old.status = rules.VersionStatus.SUPERSEDED.value
            s.flush()
            _record(s, actor, old, "budget_version", "update", ob, cause=f"version {v.number} approved")
    v.status = (rules.VersionStatus.APPROVED if approve else rules.VersionStatus.REJECTED).value
    v.decided_by, v.decided_at, v.reason = actor.user_id, now(), reason.strip()
    s.flush()
    _record(s, actor, v, "budget_version", "update", before, cause=reason.strip() or None)
    return version_dict(v)


def withdraw_version(s: Session, actor: Actor, project_id: int, number: int) -> dict[str, Any]:
    project_for(s, actor, project_id, Perm.BUDGET_EDIT)
    v = _version(s, project_id, number)
    rules.check_decision(v.status, None, rejecting=False)
    before = journal.snapshot(v)
    v.status = rules.VersionStatus.WITHDRAWN.value
    s.flush()
    _record(s, actor, v, "budget_version", "update", before)
    return version_dict(v)


# --------------------------------------------------------------------------------------------- fixed costs, expenses


def fixed_cost_dict(f: TaskFixedCost) -> dict[str, Any]:
    return {"id": f.id, "project_id": f.project_id, "task_id": f.task_id, "budget_line_id": f.budget_line_id,
            "description": f.description, "amount": f.amount, "accrual": f.accrual, "version": f.version}  # fmt: skip


def _fixed_cost_out(s: Session, f: TaskFixedCost, currency: str) -> dict[str, Any]:
    """A fixed cost with its task (WBS code, name), its budget line's name and the part accrued so far (from
    the task's progress and the accrual rule)."""
    t = s.get(Task, f.task_id)
    ln = s.get(BudgetLine, f.budget_line_id) if f.budget_line_id is not None else None
    frac = rules.accrued_fraction(rules.Accrual(f.accrual), t.percent_complete if t else 0.0)
    return {**fixed_cost_dict(f), "task": t.name if t else "", "task_wbs_code": t.wbs_code if t else "",
            "budget_line": ln.name if ln else None,
            "accrued": quantise(Decimal(f.amount) * Decimal(str(frac)), currency)}  # fmt: skip


def fixed_cost_tasks(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    """The project's tasks a fixed cost can be put on (id, WBS code, name), in WBS order; budget.read."""
    project_for(s, actor, project_id, Perm.BUDGET_READ)
    rows = s.execute(select(Task.id, Task.wbs_code, Task.name).where(Task.project_id == project_id))
    out = [{"id": i, "wbs_code": code or "", "name": name} for i, code, name in rows]
    return sorted(
        out, key=lambda t: ([int(x) if x.isdecimal() else 0 for x in t["wbs_code"].split(".")], t["id"])
    )


def list_fixed_costs(
    s: Session, actor: Actor, project_id: int, task_id: int | None = None
) -> list[dict[str, Any]]:
    """The project's fixed costs (or one task's), each with its task, line and accrued part; budget.read."""
    p = project_for(s, actor, project_id, Perm.BUDGET_READ)
    q = select(TaskFixedCost).where(TaskFixedCost.project_id == project_id)
    if task_id is not None:
        q = q.where(TaskFixedCost.task_id == task_id)
    return [_fixed_cost_out(s, f, p.currency) for f in s.scalars(q.order_by(TaskFixedCost.id))]


def _fc_task(s: Session, project_id: int, task_id: Any) -> Task:
    t = s.get(Task, task_id) if isinstance(task_id, int) else None
    if t is None or t.project_id != project_id:
        raise NotFound(f"task {task_id} not found in this project", field="task_id")
    return t


def _fc_amount(value: Any, currency: str) -> Decimal:
    amount = parse_amount(value, currency, "amount")
    if amount <= 0:
        raise ValidationError("a fixed cost must be more than zero", field="amount")
    return amount


def add_fixed_cost(
    s: Session, actor: Actor, project_id: int, *, task_id: int, description: str, amount: Any,
    accrual: str = "prorated", budget_line_id: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A fixed cost on a task (a licence, a device): charged to its budget line as the task's accrual rule
    says (at the start, pro rata with progress, or at the end); budget.edit."""
    p = project_for(s, actor, project_id, Perm.BUDGET_EDIT)
    _fc_task(s, project_id, task_id)
    if budget_line_id is not None:
        get_line(s, project_id, budget_line_id)
    if not description.strip():
        raise ValidationError("describe the fixed cost", field="description")
    f = TaskFixedCost(
        project_id=project_id, task_id=task_id, budget_line_id=budget_line_id, description=description.strip(),
        amount=_fc_amount(amount, p.currency), accrual=rules.parse_accrual(accrual).value, created_at=now(),
    )  # fmt: skip
    s.add(f)
    s.flush()
    _record(s, actor, f, "task_fixed_cost", "create")
    return _fixed_cost_out(s, f, p.currency)


def _fixed_cost(s: Session, project_id: int, cost_id: int) -> TaskFixedCost:
    f = get_for_update(s, TaskFixedCost, cost_id)
    if f is None or f.project_id != project_id:
        raise NotFound(f"fixed cost {cost_id} not found in this project", field="cost_id")
    return f


def update_fixed_cost(
    s: Session, actor: Actor, project_id: int, cost_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    """Change a fixed cost's task, description, amount, accrual or budget line (None: no line), with the
    version it was read at (stale: 409 with the current state); budget.edit."""
    p = project_for(s, actor, project_id, Perm.BUDGET_EDIT)
    f = _fixed_cost(s, project_id, cost_id)
    if f.version != version:
        raise stale("fixed cost", version, _fixed_cost_out(s, f, p.currency))
    before = journal.snapshot(f)
    if "task_id" in changes:
        _fc_task(s, project_id, changes["task_id"])
    if changes.get("budget_line_id") is not None:
        get_line(s, project_id, changes["budget_line_id"])
    if "description" in changes:
        if not (changes["description"] or "").strip():
            raise ValidationError("describe the fixed cost", field="description")
        changes["description"] = changes["description"].strip()
    if "amount" in changes:
        changes["amount"] = _fc_amount(changes["amount"], p.currency)
    if "accrual" in changes:
        changes["accrual"] = rules.parse_accrual(changes["accrual"]).value
    for k, v in changes.items():
        setattr(f, k, v)
    s.flush()
    _record(s, actor, f, "task_fixed_cost", "update", before)
    return _fixed_cost_out(s, f, p.currency)


def delete_fixed_cost(s: Session, actor: Actor, project_id: int, cost_id: int, version: int) -> None:
    """Remove a fixed cost read at `version` (stale: 409 with the current state); budget.edit."""
    p = project_for(s, actor, project_id, Perm.BUDGET_EDIT)
    f = _fixed_cost(s, project_id, cost_id)
    if f.version != version:
        raise stale("fixed cost", version, _fixed_cost_out(s, f, p.currency))
    before = journal.snapshot(f)
    s.delete(f)
    s.flush()
    journal.record(s, actor, entity_type="task_fixed_cost", entity_id=cost_id, action="delete",
                   project_id=project_id, before=before)  # fmt: skip


def expense_dict(e: Expense, receipts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": e.id, "project_id": e.project_id, "budget_line_id": e.budget_line_id, "day": e.day,
            "amount": e.amount, "description": e.description, "created_by": e.created_by,
            "receipts": receipts or [], "version": e.version}  # fmt: skip


def list_expenses(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    project_for(s, actor, project_id, Perm.BUDGET_READ)
    rows = list(
        s.scalars(select(Expense).where(Expense.project_id == project_id).order_by(Expense.day, Expense.id))
    )
    files = attachments.of(s, "expense", [e.id for e in rows])
    return [expense_dict(e, files[e.id]) for e in rows]


def add_expense(
    s: Session, actor: Actor, project_id: int, *, budget_line_id: int, day: dt.date, amount: Any,
    description: str, receipt: attachments.Upload | None = None,
) -> dict[str, Any]:  # fmt: skip
    """An expense on a line, optionally with its receipt (PDF/PNG/JPEG, size-limited) in the same step. It is
    money already spent: dated more than a day after today (UTC) is refused, naming `day`."""
    p = project_for(s, actor, project_id, Perm.BUDGET_EDIT)
    get_line(s, project_id, budget_line_id)
    if not description.strip():
        raise ValidationError("describe the expense", field="description")
    value = parse_amount(amount, p.currency, "amount")
    if value <= 0:
        raise ValidationError("an expense must be more than zero", field="amount")
    check_not_future(day, now().date(), "day", "an expense")  # money spent: no actual cost ahead of time
    if receipt is not None:
        attachments.check(receipt, field="receipt")
    e = Expense(project_id=project_id, budget_line_id=budget_line_id, day=day, description=description.strip(),
                amount=value, created_by=actor.user_id, created_at=now())  # fmt: skip
    s.add(e)
    s.flush()
    _record(s, actor, e, "expense", "create")
    files = [_store_receipt(s, actor, e, receipt)] if receipt is not None else []
    return expense_dict(e, files)


def _expense(s: Session, project_id: int, expense_id: int) -> Expense:
    e = s.get(Expense, expense_id)
    if e is None or e.project_id != project_id:
        raise NotFound(f"expense {expense_id} not found in this project", field="expense_id")
    return e


def _plain(a: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in a.items() if k != "created_at"}


def _store_receipt(s: Session, actor: Actor, e: Expense, upload: attachments.Upload) -> dict[str, Any]:
    a = attachments.store(s, actor, project_id=e.project_id, owner_kind="expense", owner_id=e.id, upload=upload,
                          field="receipt")  # fmt: skip
    journal.record(s, actor, entity_type="expense_receipt", entity_id=a["id"], action="create",
                   project_id=e.project_id, after={**_plain(a), "expense_id": e.id},
                   cause=f"receipt of expense {e.id}")  # fmt: skip
    return a


def add_receipt(
    s: Session, actor: Actor, project_id: int, expense_id: int, upload: attachments.Upload
) -> dict[str, Any]:
    """Attach a receipt to an expense (budget.edit); returns the expense with all its receipts."""
    project_for(s, actor, project_id, Perm.BUDGET_EDIT)
    e = _expense(s, project_id, expense_id)
    _store_receipt(s, actor, e, upload)
    return expense_dict(e, attachments.of(s, "expense", [e.id])[e.id])


def receipt_file(
    s: Session, actor: Actor, project_id: int, expense_id: int, attachment_id: int
) -> attachments.Download:
    """A receipt's file for whoever may read the project's expenses (budget.read)."""
    project_for(s, actor, project_id, Perm.BUDGET_READ)
    _expense(s, project_id, expense_id)
    return attachments.read(s, project_id=project_id, owner_kind="expense", owner_id=expense_id,
                            attachment_id=attachment_id)  # fmt: skip


def delete_receipt(s: Session, actor: Actor, project_id: int, expense_id: int, attachment_id: int) -> None:
    project_for(s, actor, project_id, Perm.BUDGET_EDIT)
    _expense(s, project_id, expense_id)
    before = attachments.delete(s, project_id=project_id, owner_kind="expense", owner_id=expense_id,
                                attachment_id=attachment_id)  # fmt: skip
    journal.record(s, actor, entity_type="expense_receipt", entity_id=attachment_id, action="delete",
                   project_id=project_id, before={**_plain(before), "expense_id": expense_id})  # fmt: skip


# --------------------------------------------------------------------------------------------- drill-down


def line_records(s: Session, actor: Actor, project_id: int, line_id: int) -> dict[str, Any]:
    """The records behind a line's numbers: the orders (committed = an open order's total less what is
    invoiced), the invoices (payable ones are actual; held ones are kept apart), expenses with their receipts,
    fixed costs with the accrued part, labour per task, and approved requests not yet ordered. Readers of the
    line only (a Task Leader: their package's lines)."""
    p, scope = read_scope(s, actor, project_id)
    ln = get_line(s, project_id, line_id)
    if scope is not None and ln.work_package_id not in scope:
        raise PermissionDenied("the line belongs to another work package")
    cur = p.currency
    invoices = list(s.scalars(select(Invoice).join(PurchaseOrder, PurchaseOrder.id == Invoice.order_id)
                              .where(PurchaseOrder.budget_line_id == ln.id).order_by(Invoice.day, Invoice.id)))  # fmt: skip
    payable: dict[int, Decimal] = defaultdict(Decimal)
    for i in invoices:
        if InvoiceStatus(i.status) in PAYABLE:
            payable[i.order_id] += Decimal(i.amount)
    orders = list(
        s.scalars(
            select(PurchaseOrder).where(PurchaseOrder.budget_line_id == ln.id).order_by(PurchaseOrder.id)
        )
    )
    numbers = {o.id: o.number for o in orders}
    expenses = list(
        s.scalars(select(Expense).where(Expense.budget_line_id == ln.id).order_by(Expense.day, Expense.id))
    )
    files = attachments.of(s, "expense", [e.id for e in expenses])
    tasks = {tid: (name, wp, pc) for tid, name, wp, pc in s.execute(
        select(Task.id, Task.name, Task.work_package_id, Task.percent_complete).where(Task.project_id == project_id))}  # fmt: skip
    fixed = []
    for f in s.scalars(
        select(TaskFixedCost).where(TaskFixedCost.budget_line_id == ln.id).order_by(TaskFixedCost.id)
    ):
        frac = rules.accrued_fraction(rules.Accrual(f.accrual), tasks.get(f.task_id, ("", None, 0.0))[2])
        fixed.append({**fixed_cost_dict(f), "task": tasks.get(f.task_id, ("",))[0],
                      "accrued": quantise(Decimal(f.amount) * Decimal(str(frac)), cur)})  # fmt: skip
    labour = []
    if rules.Category(ln.category) == rules.Category.LABOUR:
        lines = s.scalars(select(BudgetLine).where(BudgetLine.project_id == project_id,
                                                   BudgetLine.category == rules.Category.LABOUR.value))  # fmt: skip
        labour_lines = {x.work_package_id: x.id for x in lines}
        parent = parents(s, project_id)
        for task_id, cost in sorted(labour_by_task(s, project_id).items()):
            if labour_line_of(tasks.get(task_id, ("", None, 0.0))[1], labour_lines, parent) == ln.id:
                labour.append(
                    {"task_id": task_id, "task": tasks.get(task_id, ("",))[0], "cost": quantise(cost, cur)}
                )
    pending = s.scalars(select(PurchaseRequest).where(PurchaseRequest.budget_line_id == ln.id,
                                                      PurchaseRequest.status == RequestStatus.APPROVED.value))  # fmt: skip
    return {
        "line": line_dict(ln, _wp_names(s, project_id), cost_columns(s, p)["lines"][ln.id]), "currency": cur,
        "orders": [{"id": o.id, "number": o.number, "status": o.status, "total": o.total,
                    "invoiced": quantise(payable[o.id], cur), "expected_delivery": o.expected_delivery,
                    "committed": quantise(max(ZERO, Decimal(o.total) - payable[o.id]), cur)
                    if o.status in OPEN_ORDER_STATES else quantise(ZERO, cur)} for o in orders],
        "invoices": [{"id": i.id, "number": i.number, "order_id": i.order_id, "order": numbers.get(i.order_id),
                      "day": i.day, "amount": i.amount, "status": i.status, "hold_reasons": i.hold_reasons,
                      "actual": InvoiceStatus(i.status) in PAYABLE} for i in invoices],
        "expenses": [expense_dict(e, files[e.id]) for e in expenses],
        "fixed_costs": fixed, "labour": labour,
        "approved_requests": [{"id": r.id, "title": r.title, "amount": r.amount} for r in pending],
    }  # fmt: skip


# --------------------------------------------------------------------------------------------- summary


def _performance_baseline(
    p: Project, base: BudgetVersion | None, scope: set[int | None] | None, lines_without_reserves: Decimal
) -> Decimal:
    """What earned value measures against (the BAC): the approved version's lines without its reserves (a Task
    Leader: those of their packages); the current lines only while no version is approved, as `evm` does.
    The current lines may hold changes proposed and not yet approved."""
    if base is None:
        return quantise(lines_without_reserves, p.currency)
    kept = (Decimal(x["amount"]) for x in base.lines
            if rules.Category(x["category"]) not in rules.RESERVES
            and (scope is None or x["work_package_id"] in scope))  # fmt: skip
    return quantise(sum(kept, ZERO), p.currency)


def summary(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    """The budget table: lines with their cost columns, totals, reserves and the cost baseline (a Task Leader:
    the lines of their package)."""
    p, scope = read_scope(s, actor, project_id)
    cc = cost_columns(s, p)
    lines = list_lines(s, actor, project_id)
    keys = ("budget", "committed", "actual", "held", "remaining")
    totals = {k: quantise(sum((Decimal(x[k]) for x in lines), ZERO), p.currency) for k in keys}
    reserves = quantise(sum((Decimal(x["budget"]) for x in lines if x["reserve"]), ZERO), p.currency)
    base = baseline_version(s, project_id)
    return {
        "project_id": project_id, "currency": p.currency, "lines": lines, "totals": totals,
        "reserves": reserves, "performance_baseline": _performance_baseline(p, base, scope, totals["budget"] - reserves),
        "unallocated_labour": cc["unallocated_labour"], "labour_warnings": labour_warnings(s, project_id, scope),
        "baseline": version_dict(base) if base else None,
    }  # fmt: skip
