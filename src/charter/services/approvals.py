""" "Approvals waiting for me": across every project the caller can see, what they — by the roles they hold
now — must decide:

- purchase requests submitted and routed by the project's approval rules to a role the caller holds
  (only the named approver decides; an admin is not a named approver; no one decides their own request);
- budget versions proposed and awaiting the budget approver (budget.approve: the Sponsor);
- invoices held by three-way matching, for whoever releases or rejects them (procurement.approve; not the
  person who registered the invoice);
- submitted timesheet hours the caller may approve (the timesheets service decides who that is).

Each item carries the link of the page where it is decided and the API operation that decides it. The role
desks (services/desks.py) show the same per project (`waiting_in`); this is the one list across projects.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain.procurement import InvoiceStatus, RequestStatus
from charter.domain.roles import Perm, permits
from charter.persistence.models import (
    BudgetLine,
    BudgetVersion,
    Invoice,
    Project,
    PurchaseOrder,
    PurchaseRequest,
)
from charter.services import timesheets
from charter.services.authz import grants, require_user, visible_project_ids
from charter.services.context import Actor
from charter.services.procurement import holds_role


def waiting_for(s: Session, actor: Actor) -> dict[str, Any]:
    require_user(actor)
    projects = {
        p.id: p
        for p in s.scalars(
            select(Project).where(Project.id.in_(visible_project_ids(s, actor)), Project.deleted_at.is_(None))
            .order_by(Project.key)
        )
    }  # fmt: skip
    requests: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    invoices: list[dict[str, Any]] = []
    for p in projects.values():
        here = waiting_in(s, actor, p)
        requests += here["purchase_requests"]
        versions += here["budget_versions"]
        invoices += here["invoices"]
    hours = [{**e, "link": "/me/approvals#timesheets"} for e in timesheets.approvals_for(s, actor)]
    return {
        "purchase_requests": requests, "budget_versions": versions, "invoices": invoices, "timesheets": hours,
        "count": len(requests) + len(versions) + len(invoices) + len(hours),
    }  # fmt: skip


def waiting_in(s: Session, actor: Actor, p: Project) -> dict[str, list[dict[str, Any]]]:
    """The purchase requests, budget versions and held invoices of one project waiting for the caller (each
    with its `kind`); the role desks show these per project."""
    pid = p.id
    held = grants(s, actor, pid)
    base = {"project_id": pid, "project_key": p.key, "currency": p.currency}
    requests: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    invoices: list[dict[str, Any]] = []
    q = (
        select(PurchaseRequest, BudgetLine.name)
        .join(BudgetLine, BudgetLine.id == PurchaseRequest.budget_line_id)
        .where(PurchaseRequest.project_id == pid, PurchaseRequest.status == RequestStatus.SUBMITTED.value)
        .order_by(PurchaseRequest.id)
    )  # fmt: skip
    roles: dict[str, bool] = {}
    for r, line in s.execute(q):
        if r.approver_role not in roles:
            roles[r.approver_role] = holds_role(s, actor, pid, r.approver_role)
        if roles[r.approver_role] and (r.requested_by is None or r.requested_by != actor.user_id):
            requests.append({**base, "kind": "purchase_request", "id": r.id, "title": r.title, "amount": r.amount,
                             "budget_line": line, "rule": r.rule, "approver_role": r.approver_role,
                             "over_budget": r.over_budget, "requested_by": r.requested_by,
                             "requested_at": r.requested_at, "version": r.version,
                             "link": f"/projects/{pid}/procurement#requests",
                             "api": f"/api/v1/projects/{pid}/purchase-requests/{r.id}/approve"})  # fmt: skip
    if permits(held, Perm.BUDGET_APPROVE):
        for v in s.scalars(
            select(BudgetVersion).where(BudgetVersion.project_id == pid,
                                        BudgetVersion.status == "proposed").order_by(BudgetVersion.number)
        ):  # fmt: skip
            versions.append({**base, "kind": "budget_version", "number": v.number, "total": v.total,
                             "note": v.note, "proposed_at": v.proposed_at, "link": f"/projects/{pid}/budget#versions",
                             "api": f"/api/v1/projects/{pid}/budget/versions/{v.number}/approve"})  # fmt: skip
    if permits(held, Perm.PROCUREMENT_APPROVE):
        q2 = (
            select(Invoice, PurchaseOrder.number).join(PurchaseOrder, PurchaseOrder.id == Invoice.order_id)
            .where(Invoice.project_id == pid, Invoice.status == InvoiceStatus.HELD.value)
            .order_by(Invoice.id)
        )  # fmt: skip
        for inv, order_number in s.execute(q2):
            if inv.created_by is not None and inv.created_by == actor.user_id:
                continue  # whoever registered an invoice does not release it
            invoices.append({**base, "kind": "invoice", "id": inv.id, "number": inv.number,
                             "order": order_number, "amount": inv.amount, "day": inv.day,
                             "hold_reasons": inv.hold_reasons, "version": inv.version,
                             "link": f"/projects/{pid}/procurement#invoice-{inv.id}",
                             "api": f"/api/v1/projects/{pid}/invoices/{inv.id}/release"})  # fmt: skip
    return {"purchase_requests": requests, "budget_versions": versions, "invoices": invoices}
