"""Procurement: vendors, approval rules, purchase requests, purchase orders, receipts, invoices, contracts.
The use-cases live in services.procurement_vendors, services.procurement_orders (rules, requests, orders,
receipts, invoices) and services.procurement_contracts; this module re-exports them (callers use it) and
holds the pages that combine them (a vendor's and a contract's overview).

- A Task Leader requests against the lines of their own package, the PM against any (procurement.request).
- The approval rules (set by the budget approver) route each request to one role by amount; a request that
  would take its line over budget goes to the highest role. Only a current holder of that role may decide;
  the rule and the reason are journaled. No one decides their own request: when the requester holds the
  role the rules name, the request goes to the next approver up (the PM's own request to the Sponsor).
- A request not yet ordered (submitted or approved) can be cancelled by its requester or the PM.
- An order is placed (by the PM) from an approved request, for at most the approved amount; open orders are
  committed cost on their line. Receipts are recorded by whoever may request for the line.
- Invoices are matched three ways: one above its order, above what was received, or without any receipt is
  held — never silently accepted. A receipt re-matches held invoices; a held invoice is otherwise released
  or rejected explicitly, with a reason, by a holder of procurement.approve — never released by the person
  who registered it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain.roles import Perm
from charter.persistence.models import Contract
from charter.services import journal
from charter.services.authz import project_for
from charter.services.context import Actor, now
from charter.services.procurement_contracts import (
    _contract,
    _flag_upcoming,
    close_contract,
    contract_dict,
    create_contract,
    due_contract_reminders,
    list_contracts,
    upcoming_contracts,
    update_contract,
)
from charter.services.procurement_orders import (
    add_invoice,
    add_receipt,
    cancel_request,
    create_order,
    create_request,
    decide_invoice,
    decide_request,
    get_order,
    get_rules,
    holds_role,
    invoice_dict,
    list_invoices,
    list_orders,
    list_requests,
    order_dict,
    request_dict,
    set_order_status,
    set_rules,
)
from charter.services.procurement_vendors import (
    _vendor,
    create_vendor,
    list_vendors,
    update_vendor,
    vendor_dict,
)

__all__ = [
    "add_invoice", "add_receipt", "cancel_request", "close_contract", "contract_dict", "contract_overview", "create_contract",
    "create_order", "create_request", "create_vendor", "decide_invoice", "decide_request",
    "due_contract_reminders", "get_order", "get_rules", "holds_role", "invoice_dict", "list_contracts",
    "list_invoices", "list_orders", "list_requests", "list_vendors", "order_dict", "request_dict",
    "set_order_status", "set_rules", "upcoming_contracts", "update_contract", "update_vendor", "vendor_dict",
    "vendor_overview",
]  # fmt: skip


# --------------------------------------------------------------------------------------------- read pages


def vendor_overview(s: Session, actor: Actor, project_id: int, vendor_id: int) -> dict[str, Any]:
    """A vendor as seen from one project: the vendor's record, and its contracts, orders and invoices in this
    project (what the caller may read there). Unknown vendors and projects the caller cannot see are 404."""
    project_for(s, actor, project_id, Perm.BUDGET_READ)  # 404 for a project the caller cannot see
    v = _vendor(s, vendor_id)
    today = now().date()
    q = select(Contract).where(Contract.project_id == project_id, Contract.vendor_id == vendor_id)
    contracts = [
        _flag_upcoming(contract_dict(c), today) for c in s.scalars(q.order_by(Contract.start, Contract.id))
    ]
    orders = [o for o in list_orders(s, actor, project_id) if o["vendor_id"] == vendor_id]
    numbers = {o["id"]: o["number"] for o in orders}
    invoices = [i for i in list_invoices(s, actor, project_id) if i["order_id"] in numbers]
    for i in invoices:
        i["order_number"] = numbers[i["order_id"]]
    return {"vendor": vendor_dict(v), "contracts": contracts, "orders": orders, "invoices": invoices}


def contract_overview(s: Session, actor: Actor, project_id: int, contract_id: int) -> dict[str, Any]:
    """One contract with its vendor, its linked order (if the caller may read it), its upcoming notice/renewal
    dates and the journal of its changes. Contracts of projects the caller cannot see are 404."""
    project_for(s, actor, project_id, Perm.BUDGET_READ)
    c = _contract(s, project_id, contract_id)
    out = _flag_upcoming(contract_dict(c), now().date())
    order = None
    if c.order_id is not None:
        order = next((o for o in list_orders(s, actor, project_id) if o["id"] == c.order_id), None)
    history = journal.entries(s, project_id=project_id, entity_type="contract", entity_id=c.id)
    return {
        "contract": out,
        "vendor": vendor_dict(_vendor(s, c.vendor_id)),
        "order": order,
        "history": history,
    }
