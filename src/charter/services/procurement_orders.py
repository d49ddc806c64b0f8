"""Purchasing: approval rules, purchase requests, purchase orders, goods receipts and invoices with their
three-way match (see services.procurement for the rules).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from charter.domain import procurement as rules
from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError, stale
from charter.domain.money import fmt_money, grouped, parse_amount, quantise, without_spaces
from charter.domain.roles import Perm
from charter.persistence.models import (
    ApprovalRule,
    ApprovalRuleSet,
    BudgetLine,
    GoodsReceipt,
    Invoice,
    Project,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    Role,
    RoleAssignment,
)
from charter.services import journal
from charter.services.authz import can, project_for
from charter.services.budget import get_line, read_scope, remaining_of, target_of
from charter.services.context import Actor, now
from charter.services.procurement_vendors import _record, _vendor

ZERO = Decimal(0)

# --------------------------------------------------------------------------------------------- approval rules


def _rules(s: Session, project_id: int) -> list[rules.Rule]:
    q = select(ApprovalRule).where(ApprovalRule.project_id == project_id).order_by(ApprovalRule.position)
    return [rules.Rule(r.up_to, r.role_key) for r in s.scalars(q)]


def _rules_version(s: Session, project_id: int) -> int:
    row = s.get(ApprovalRuleSet, project_id)
    return row.version if row else 0


def _rules_out(rs: list[rules.Rule], version: int) -> dict[str, Any]:
    return {"rules": [{"up_to": r.up_to, "role_key": r.role_key} for r in rs],
            "default_approver": rules.DEFAULT_APPROVER if not rs else None, "version": version}  # fmt: skip


def get_rules(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    """The rules in order and their version (0 before they were first saved)."""
    project_for(s, actor, project_id, Perm.BUDGET_READ)
    return _rules_out(_rules(s, project_id), _rules_version(s, project_id))


def set_rules(
    s: Session, actor: Actor, project_id: int, version: int, items: list[dict[str, Any]]
) -> dict[str, Any]:
    """Replace the rules at the version read (a stale one is a 409 with the rules as they are now). Set by the
    budget approver (the Sponsor), so no one raises their own limit."""
    p = project_for(s, actor, project_id, Perm.BUDGET_APPROVE, for_update=True)
    new = [
        rules.Rule(parse_amount(x["up_to"], p.currency, "up_to") if x.get("up_to") is not None else None,
                   x["role_key"])
        for x in items
    ]  # fmt: skip
    rules.check_rules(new)
    row = s.get(ApprovalRuleSet, project_id)
    if version != (row.version if row else 0):
        raise stale("the approval rules", version, get_rules(s, actor, project_id))
    old = _rules(s, project_id)
    s.execute(delete(ApprovalRule).where(ApprovalRule.project_id == project_id))
    for i, r in enumerate(new):
        s.add(ApprovalRule(project_id=project_id, position=i, up_to=r.up_to, role_key=r.role_key))
    if row is None:
        row = ApprovalRuleSet(project_id=project_id, updated_at=now())
        s.add(row)
    else:
        # an UPDATE even when the clock has not moved: every save of the rules moves their version
        row.updated_at = now()
        flag_modified(row, "updated_at")
    s.flush()
    journal.record(s, actor, entity_type="approval_rules", entity_id=project_id, action="update",
                   project_id=project_id, before={"rules": [f"{r.role_key} <= {r.up_to}" for r in old]},
                   after={"rules": [f"{r.role_key} <= {r.up_to}" for r in new]})  # fmt: skip
    return _rules_out(new, row.version)


def holds_role(s: Session, actor: Actor, project_id: int, role_key: str) -> bool:
    t = now()
    q = (
        select(RoleAssignment.id).join(Role, Role.id == RoleAssignment.role_id)
        .where(Role.project_id == project_id, Role.key == role_key, RoleAssignment.user_id == actor.user_id,
               RoleAssignment.valid_from <= t,
               or_(RoleAssignment.valid_until.is_(None), RoleAssignment.valid_until > t))
    )  # fmt: skip
    return actor.user_id is not None and s.scalar(q) is not None


# --------------------------------------------------------------------------------------------- requests


def request_dict(r: PurchaseRequest) -> dict[str, Any]:
    return {
        "id": r.id, "project_id": r.project_id, "budget_line_id": r.budget_line_id, "vendor_id": r.vendor_id,
        "title": r.title, "description": r.description, "amount": r.amount, "status": r.status,
        "approver_role": r.approver_role, "rule": r.rule, "over_budget": r.over_budget,
        "requested_by": r.requested_by, "requested_at": r.requested_at, "decided_by": r.decided_by,
        "decided_at": r.decided_at, "reason": r.reason, "version": r.version,
    }  # fmt: skip


def _request(s: Session, project_id: int, request_id: int) -> PurchaseRequest:
    r = s.get(PurchaseRequest, request_id)
    if r is None or r.project_id != project_id:
        raise NotFound(f"purchase request {request_id} not found", field="request_id")
    return r


def _line_wps(s: Session, project_id: int) -> dict[int, int | None]:
    q = select(BudgetLine.id, BudgetLine.work_package_id).where(BudgetLine.project_id == project_id)
    return {lid: wp for lid, wp in s.execute(q)}


def list_requests(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    _, scope = read_scope(s, actor, project_id)
    wps = _line_wps(s, project_id)
    q = select(PurchaseRequest).where(PurchaseRequest.project_id == project_id).order_by(PurchaseRequest.id)
    return [request_dict(r) for r in s.scalars(q) if scope is None or wps.get(r.budget_line_id) in scope]


def create_request(
    s: Session, actor: Actor, project_id: int, *, budget_line_id: int, title: str, amount: Any,
    description: str = "", vendor_id: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Raise a request against a line; the answer names its approver and warns when it would exceed the
    line's remaining budget."""
    project_for(s, actor, project_id)
    line = get_line(s, project_id, budget_line_id)
    p = project_for(s, actor, project_id, Perm.PROCUREMENT_REQUEST, target_of(s, line.work_package_id))
    if vendor_id is not None:
        _vendor(s, vendor_id)
    title = rules.text(title, rules.TITLE_MAX, "title", "the request's title")
    value = parse_amount(amount, p.currency, "amount")
    if value <= 0:
        raise ValidationError("amount must be more than zero", field="amount")
    remaining = remaining_of(s, p, line.id)
    routing = rules.route(_rules(s, project_id), value, remaining, p.currency)
    held = {k for k in rules.APPROVER_ROLES if holds_role(s, actor, project_id, k)}
    routing = rules.escalate(routing, held)
    r = PurchaseRequest(
        project_id=project_id, budget_line_id=line.id, vendor_id=vendor_id, title=title,
        description=description, amount=value, status=rules.RequestStatus.SUBMITTED.value,
        approver_role=routing.role_key, rule=routing.rule, over_budget=routing.over_budget,
        requested_by=actor.user_id, requested_at=now(),
    )  # fmt: skip
    s.add(r)
    s.flush()
    _record(s, actor, r, "purchase_request", "create", cause=routing.rule)
    out = request_dict(r)
    out["warnings"] = [routing.rule] if routing.over_budget else []
    out["line_remaining"] = quantise(remaining, p.currency)
    return out


def decide_request(
    s: Session,
    actor: Actor,
    project_id: int,
    request_id: int,
    *,
    approve: bool,
    reason: str = "",
    version: int | None = None,
) -> dict[str, Any]:
    """Approve or reject a submitted request; with ``version``, a request changed since it was read is 409."""
    project_for(s, actor, project_id)
    r = _request(s, project_id, request_id)
    if not holds_role(s, actor, project_id, r.approver_role):
        raise PermissionDenied(
            f"only the {r.approver_role.replace('_', ' ')} may decide this request ({r.rule})",
            field="approver_role",
        )
    if r.requested_by is not None and r.requested_by == actor.user_id:
        raise PermissionDenied(
            "you raised this request; someone else must approve or reject it "
            f"(another {r.approver_role.replace('_', ' ')})",
            field="requested_by",
        )
    if version is not None and r.version != version:
        raise stale("purchase request", version, request_dict(r))
    if r.status != rules.RequestStatus.SUBMITTED:
        raise Conflict(f"the request is {r.status}; only a submitted request can be decided", field="status")
    if not approve and not reason.strip():
        raise ValidationError("say why the request is rejected", field="reason")
    before = journal.snapshot(r)
    r.status = (rules.RequestStatus.APPROVED if approve else rules.RequestStatus.REJECTED).value
    r.decided_by, r.decided_at, r.reason = actor.user_id, now(), reason.strip()
    s.flush()
    _record(s, actor, r, "purchase_request", "update", before,
            cause=f"{'approved' if approve else 'rejected'} under rule: {r.rule}"
                  + (f"; reason: {r.reason}" if r.reason else ""))  # fmt: skip
    return request_dict(r)


CANCELLABLE = frozenset({rules.RequestStatus.SUBMITTED, rules.RequestStatus.APPROVED})


def cancel_request(
    s: Session, actor: Actor, project_id: int, request_id: int, version: int, *, reason: str = ""
) -> dict[str, Any]:
    """Withdraw a request that is not yet ordered (submitted or approved): by its requester or the PM
    (procurement.request on the whole project). An approved request stops reserving its line's budget."""
    project_for(s, actor, project_id)
    r = _request(s, project_id, request_id)
    own = r.requested_by is not None and r.requested_by == actor.user_id
    if not own and not can(s, actor, project_id, Perm.PROCUREMENT_REQUEST):
        raise PermissionDenied(
            "only the requester or the project manager may cancel a purchase request", field="requested_by"
        )
    if r.version != version:
        raise stale("purchase request", version, request_dict(r))
    if r.status not in CANCELLABLE:
        raise Conflict(
            f"the request is {r.status}; only a submitted or approved request (not yet ordered) can be cancelled",
            field="status",
        )
    before = journal.snapshot(r)
    r.status = rules.RequestStatus.CANCELLED.value
    if reason.strip():
        r.reason = reason.strip()
    s.flush()
    _record(s, actor, r, "purchase_request", "update", before,
            cause="cancelled" + (f": {reason.strip()}" if reason.strip() else ""))  # fmt: skip
    return request_dict(r)


# --------------------------------------------------------------------------------------------- orders


def _order(s: Session, project_id: int, order_id: int) -> PurchaseOrder:
    o = s.get(PurchaseOrder, order_id)
    if o is None or o.project_id != project_id:
        raise NotFound(f"purchase order {order_id} not found", field="order_id")
    return o


def _received(s: Session, order_id: int) -> Decimal:
    return Decimal(
        s.scalar(select(func.sum(GoodsReceipt.amount)).where(GoodsReceipt.order_id == order_id)) or 0
    )


def _invoiced(s: Session, order_id: int, exclude: int | None = None) -> Decimal:
    q = select(func.sum(Invoice.amount)).where(
        Invoice.order_id == order_id, Invoice.status.in_([x.value for x in rules.PAYABLE])
    )
    if exclude is not None:
        q = q.where(Invoice.id != exclude)
    return Decimal(s.scalar(q) or 0)


def order_dict(s: Session, o: PurchaseOrder) -> dict[str, Any]:
    lines = s.scalars(select(PurchaseOrderLine).where(PurchaseOrderLine.order_id == o.id)
                      .order_by(PurchaseOrderLine.position))  # fmt: skip
    invoiced = _invoiced(s, o.id)
    open_ = o.status in rules.OPEN_ORDER_STATES
    return {
        "id": o.id, "project_id": o.project_id, "number": o.number, "request_id": o.request_id,
        "vendor_id": o.vendor_id, "budget_line_id": o.budget_line_id, "status": o.status,
        "expected_delivery": o.expected_delivery, "total": o.total, "received": _received(s, o.id),
        "invoiced": invoiced, "committed": max(ZERO, Decimal(o.total) - invoiced) if open_ else ZERO,
        "lines": [{"description": x.description, "quantity": x.quantity, "unit_price": x.unit_price,
                   "amount": x.amount} for x in lines],
        "created_at": o.created_at, "version": o.version,
    }  # fmt: skip


def list_orders(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    _, scope = read_scope(s, actor, project_id)
    wps = _line_wps(s, project_id)
    q = select(PurchaseOrder).where(PurchaseOrder.project_id == project_id).order_by(PurchaseOrder.id)
    return [order_dict(s, o) for o in s.scalars(q) if scope is None or wps.get(o.budget_line_id) in scope]


def get_order(s: Session, actor: Actor, project_id: int, order_id: int) -> dict[str, Any]:
    _, scope = read_scope(s, actor, project_id)
    o = _order(s, project_id, order_id)
    if scope is not None and _line_wps(s, project_id).get(o.budget_line_id) not in scope:
        raise PermissionDenied("the order is charged to another work package")
    return order_dict(s, o)


_MAX_QUANTITY = Decimal(10) ** 12  # the column holds 14 digits before the point; no order needs more


def _quantity(raw: Any, i: int) -> Decimal:
    """A line's quantity: a finite number above zero with at most the column's four decimals (as the API's
    schema says; never rounded), typed with grouping spaces or not ("1 000")."""
    text = without_spaces(str(raw).strip())
    try:
        if not text.isascii():  # Decimal reads full-width and Arabic-Indic digits as 0-9
            raise InvalidOperation
        qty = Decimal(text)
    except InvalidOperation:
        raise ValidationError(
            f"line {i + 1}: quantity must be a number (digits 0-9)", field="quantity"
        ) from None
    if not qty.is_finite() or qty <= 0 or qty.adjusted() >= 12:
        raise ValidationError(
            f"line {i + 1}: quantity must be more than zero and less than {grouped(_MAX_QUANTITY)}",
            field="quantity",
        )
    if qty != qty.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP):
        raise ValidationError(
            f"line {i + 1}: a quantity has at most 4 decimals; {raw} has more", field="quantity"
        )
    return qty.quantize(Decimal("0.0001"))


def create_order(
    s: Session, actor: Actor, project_id: int, *, request_id: int, vendor_id: int | None = None,
    lines: list[dict[str, Any]], expected_delivery: dt.date | None = None,
) -> dict[str, Any]:  # fmt: skip
    p = project_for(s, actor, project_id, Perm.PROCUREMENT_REQUEST)
    r = _request(s, project_id, request_id)
    if r.status != rules.RequestStatus.APPROVED:
        raise Conflict(f"the request is {r.status}; an order needs an approved request", field="request_id")
    vendor = vendor_id or r.vendor_id
    if vendor is None:
        raise ValidationError("name the vendor", field="vendor_id")
    _vendor(s, vendor)
    if expected_delivery is not None:
        rules.check_expected_delivery(expected_delivery, now().date())
    if not lines:
        raise ValidationError("an order needs at least one line", field="lines")
    rows: list[PurchaseOrderLine] = []
    for i, x in enumerate(lines):
        qty = _quantity(x.get("quantity", 1), i)
        price = parse_amount(x["unit_price"], p.currency, "unit_price")
        rows.append(PurchaseOrderLine(position=i, description=str(x.get("description") or r.title)[:300],
                                      quantity=qty, unit_price=price, amount=quantise(qty * price, p.currency)))  # fmt: skip
    total = sum((x.amount for x in rows), ZERO)
    if total > Decimal(r.amount):
        raise ValidationError(
            f"the order's {fmt_money(total, p.currency)} exceeds the approved {fmt_money(r.amount, p.currency)}; "
            "raise a new request",
            field="lines",
        )
    count = s.scalar(select(func.count()).where(PurchaseOrder.project_id == project_id)) or 0
    o = PurchaseOrder(
        project_id=project_id, number=f"PO-{p.key}-{count + 1:04d}", request_id=r.id, vendor_id=vendor,
        budget_line_id=r.budget_line_id, status=rules.OrderStatus.OPEN.value, expected_delivery=expected_delivery,
        total=total, created_by=actor.user_id, created_at=now(),
    )  # fmt: skip
    s.add(o)
    s.flush()
    for row in rows:
        row.order_id = o.id
        s.add(row)
    before = journal.snapshot(r)
    r.status = rules.RequestStatus.ORDERED.value
    s.flush()
    _record(s, actor, o, "purchase_order", "create")
    _record(s, actor, r, "purchase_request", "update", before, cause=f"ordered as {o.number}")
    return order_dict(s, o)


def set_order_status(
    s: Session, actor: Actor, project_id: int, order_id: int, version: int, status: str
) -> dict[str, Any]:
    """Close (nothing more is expected: the rest of the commitment is released) or cancel an order."""
    project_for(s, actor, project_id, Perm.PROCUREMENT_REQUEST)
    o = _order(s, project_id, order_id)
    if o.version != version:
        raise stale("purchase order", version, order_dict(s, o))
    if status not in (rules.OrderStatus.CLOSED, rules.OrderStatus.CANCELLED):
        raise ValidationError("an order is closed or cancelled here", field="status")
    rules.check_order_open(o.status)
    if status == rules.OrderStatus.CANCELLED and (_received(s, o.id) > 0 or _invoiced(s, o.id) > 0):
        raise Conflict("goods were received or invoiced against the order; close it instead", field="status")
    before = journal.snapshot(o)
    o.status = status
    s.flush()
    _record(s, actor, o, "purchase_order", "update", before)
    return order_dict(s, o)


def _day(value: dt.date | str | None, field: str) -> dt.date | None:
    """A date as the API and the CLI read it, or as a form sent it (ISO text, empty: None) — read here, after
    the permission check, so that someone who may not record it is told so rather than about the date."""
    if value is None or isinstance(value, dt.date):
        return value
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError("must be a date (YYYY-MM-DD)", field=field) from None


def add_receipt(
    s: Session,
    actor: Actor,
    project_id: int,
    order_id: int,
    *,
    day: dt.date | str | None,
    amount: Any = None,
    note: str = "",
) -> dict[str, Any]:
    """Goods or a service received (the remaining value of the order when no amount is given) on `day`
    (today when not given); held invoices of the order are matched again."""
    project_for(s, actor, project_id)
    o = _order(s, project_id, order_id)
    line = get_line(s, project_id, o.budget_line_id)
    p = project_for(s, actor, project_id, Perm.PROCUREMENT_REQUEST, target_of(s, line.work_package_id))
    rules.check_order_open(o.status)
    when = _day(day, "day") or now().date()
    rules.check_not_future(when, now().date(), "day", "the receipt")
    received = _received(s, o.id)
    value = Decimal(o.total) - received if amount is None else parse_amount(amount, p.currency, "amount")
    if value <= 0:
        raise ValidationError("a receipt must have a value above zero", field="amount")
    if received + value > Decimal(o.total):
        raise ValidationError(
            f"receipts would exceed the order's {fmt_money(o.total, p.currency)}", field="amount"
        )
    g = GoodsReceipt(
        order_id=o.id, day=when, amount=value, note=note, received_by=actor.user_id, created_at=now()
    )
    s.add(g)
    s.flush()
    journal.record(s, actor, entity_type="goods_receipt", entity_id=g.id, action="create", project_id=project_id,
                   after=journal.snapshot(g))  # fmt: skip
    if received + value >= Decimal(o.total):
        ob = journal.snapshot(o)
        o.status = rules.OrderStatus.RECEIVED.value
        s.flush()
        _record(s, actor, o, "purchase_order", "update", ob, cause="fully received")
    for inv in s.scalars(select(Invoice).where(Invoice.order_id == o.id, Invoice.status == "held")
                         .order_by(Invoice.id)):  # fmt: skip
        _match(s, actor, p, o, inv, cause=f"receipt {g.id}")
    return order_dict(s, o)


# --------------------------------------------------------------------------------------------- invoices


def invoice_dict(i: Invoice) -> dict[str, Any]:
    return {"id": i.id, "project_id": i.project_id, "order_id": i.order_id, "number": i.number, "day": i.day,
            "amount": i.amount, "status": i.status, "hold_reasons": i.hold_reasons, "reason": i.reason,
            "created_by": i.created_by, "version": i.version}  # fmt: skip


def _match(s: Session, actor: Actor, p: Project, o: PurchaseOrder, inv: Invoice, cause: str | None) -> None:
    reasons = rules.match_invoice(Decimal(o.total), _received(s, o.id), _invoiced(s, o.id, exclude=inv.id),
                                  Decimal(inv.amount), p.currency)  # fmt: skip
    status = rules.InvoiceStatus.HELD if reasons else rules.InvoiceStatus.ACCEPTED
    if inv.id is not None and inv.status == status.value and inv.hold_reasons == reasons:
        return
    before = journal.snapshot(inv) if inv.id is not None else None
    inv.status, inv.hold_reasons = status.value, reasons
    s.flush()
    _record(s, actor, inv, "invoice", "update" if before else "create", before,
            cause="; ".join(reasons) if reasons else (cause or "order, receipt and invoice match"))  # fmt: skip


def list_invoices(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    project_for(s, actor, project_id, Perm.BUDGET_READ)
    q = select(Invoice).where(Invoice.project_id == project_id).order_by(Invoice.id)
    return [invoice_dict(i) for i in s.scalars(q)]


def _not_registered(s: Session, project_id: int, vendor_id: int, number: str) -> None:
    """A vendor's invoice is registered once in a project (a resubmitted form would have it paid twice); a
    rejected one's number may come again, as the vendor's corrected invoice."""
    key = rules.invoice_key(number)
    rows = s.execute(
        select(Invoice.id, Invoice.number, Invoice.status)
        .join(PurchaseOrder, PurchaseOrder.id == Invoice.order_id)
        .where(Invoice.project_id == project_id, PurchaseOrder.vendor_id == vendor_id,
               Invoice.status != rules.InvoiceStatus.REJECTED.value)
    )  # fmt: skip
    for inv_id, existing, status in rows:
        if rules.invoice_key(existing) == key:
            raise Conflict(
                f"the vendor's invoice {existing} is registered already (invoice {inv_id}, {status})",
                field="number",
            )


def add_invoice(
    s: Session, actor: Actor, project_id: int, *, order_id: int | None, number: str, day: dt.date | str | None,
    amount: Any,
) -> dict[str, Any]:  # fmt: skip
    """Register a vendor's invoice against an order of the project, dated `day` (required)."""
    p = project_for(s, actor, project_id, Perm.PROCUREMENT_REQUEST)
    if order_id is None:
        raise ValidationError("choose the order", field="order_id")
    o = _order(s, project_id, order_id)
    if o.status == rules.OrderStatus.CANCELLED:
        raise Conflict("the order is cancelled", field="order_id")
    when = _day(day, "day")
    if when is None:
        raise ValidationError("is required", field="day")
    rules.check_not_future(when, now().date(), "day", "the invoice")
    number = rules.text(number, rules.INVOICE_NUMBER_MAX, "number", "the vendor's invoice number")
    value = parse_amount(amount, p.currency, "amount")
    if value <= 0:
        raise ValidationError("amount must be more than zero", field="amount")
    _not_registered(s, project_id, o.vendor_id, number)
    inv = Invoice(project_id=project_id, order_id=o.id, number=number, day=when, amount=value,
                  status=rules.InvoiceStatus.HELD.value, hold_reasons=[], created_by=actor.user_id,
                  created_at=now())  # fmt: skip
    s.add(inv)
    s.flush()
    journal.record(s, actor, entity_type="invoice", entity_id=inv.id, action="create", project_id=project_id,
                   after=journal.snapshot(inv))  # fmt: skip
    _match(s, actor, p, o, inv, None)
    return invoice_dict(inv)


def decide_invoice(
    s: Session,
    actor: Actor,
    project_id: int,
    invoice_id: int,
    *,
    release: bool,
    reason: str,
    version: int | None = None,
) -> dict[str, Any]:
    """Release a held invoice for payment (an explicit override) or reject it; both need a reason. With
    ``version``, an invoice changed since it was read is 409."""
    project_for(s, actor, project_id, Perm.PROCUREMENT_APPROVE)
    inv = s.get(Invoice, invoice_id)
    if inv is None or inv.project_id != project_id:
        raise NotFound(f"invoice {invoice_id} not found", field="invoice_id")
    if release and inv.created_by is not None and inv.created_by == actor.user_id:
        raise PermissionDenied(
            "you registered this invoice; another holder of procurement.approve must release it",
            field="created_by",
        )
    if version is not None and inv.version != version:
        raise stale("invoice", version, invoice_dict(inv))
    if inv.status != rules.InvoiceStatus.HELD:
        raise Conflict(
            f"the invoice is {inv.status}; only a held invoice is released or rejected", field="status"
        )
    if not reason.strip():
        raise ValidationError("say why", field="reason")
    before = journal.snapshot(inv)
    inv.status = (rules.InvoiceStatus.RELEASED if release else rules.InvoiceStatus.REJECTED).value
    inv.reason = reason.strip()
    s.flush()
    _record(s, actor, inv, "invoice", "update", before, cause=reason.strip())
    return invoice_dict(inv)
