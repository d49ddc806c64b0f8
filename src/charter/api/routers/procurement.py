"""Vendors, approval rules, purchase requests and orders, receipts, invoices and contracts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from charter.api import schemas_budget as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import AmountsRoute, patch_versioned
from charter.services import approvals
from charter.services import procurement as proc

router = APIRouter(responses=ERRORS, tags=["procurement"], route_class=AmountsRoute)


@router.get("/vendors", response_model=list[S.VendorOut])
def list_vendors(actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return proc.list_vendors(s, actor)


@router.post("/vendors", response_model=S.VendorOut, status_code=201)
def create_vendor(body: S.VendorIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return proc.create_vendor(s, actor, **body.model_dump())


@router.patch("/vendors/{vendor_id}", response_model=S.VendorOut)
def update_vendor(vendor_id: int, body: S.VendorPatch, actor: CurrentActor, db: DB) -> dict[str, Any]:
    return patch_versioned(db, actor, proc.update_vendor, vendor_id, body=body)


@router.get("/projects/{project_id}/approval-rules", response_model=S.RulesOut)
def get_rules(project_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return proc.get_rules(s, actor, project_id)


@router.put("/projects/{project_id}/approval-rules", response_model=S.RulesOut)
def set_rules(project_id: int, body: S.RulesIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Replace the approval rules (the budget approver only): ordered limits, each naming an approver role, at
    the version read; a stale version is a 409 with the rules as they are now."""
    with db.uow() as s:
        return proc.set_rules(s, actor, project_id, body.version, [r.model_dump() for r in body.rules])


@router.get("/projects/{project_id}/purchase-requests", response_model=list[S.RequestOut])
def list_requests(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return proc.list_requests(s, actor, project_id)


@router.post("/projects/{project_id}/purchase-requests", response_model=S.RequestOut, status_code=201)
def create_request(project_id: int, body: S.RequestIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Raise a request; the answer names the approver and warns when the line's remaining budget is exceeded."""
    with db.uow() as s:
        return proc.create_request(s, actor, project_id, **body.model_dump())


@router.post("/projects/{project_id}/purchase-requests/{request_id}/approve", response_model=S.RequestOut)
def approve_request(
    project_id: int, request_id: int, body: S.DecisionIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """Only the approver the rules name may approve (403 otherwise, saying who may)."""
    with db.uow() as s:
        return proc.decide_request(
            s, actor, project_id, request_id, approve=True, reason=body.reason, version=body.version
        )


@router.post("/projects/{project_id}/purchase-requests/{request_id}/reject", response_model=S.RequestOut)
def reject_request(
    project_id: int, request_id: int, body: S.DecisionIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    with db.uow() as s:
        return proc.decide_request(
            s, actor, project_id, request_id, approve=False, reason=body.reason, version=body.version
        )


@router.post("/projects/{project_id}/purchase-requests/{request_id}/cancel", response_model=S.RequestOut)
def cancel_request(
    project_id: int, request_id: int, body: S.RequestCancelIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """Cancel a request not yet ordered (its requester or the PM); a stale version is refused (409)."""
    with db.uow() as s:
        return proc.cancel_request(s, actor, project_id, request_id, body.version, reason=body.reason)


@router.get("/projects/{project_id}/purchase-orders", response_model=list[S.OrderOut])
def list_orders(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return proc.list_orders(s, actor, project_id)


@router.post("/projects/{project_id}/purchase-orders", response_model=S.OrderOut, status_code=201)
def create_order(project_id: int, body: S.OrderIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    d = body.model_dump()
    with db.uow() as s:
        return proc.create_order(s, actor, project_id, **d)


@router.get("/projects/{project_id}/purchase-orders/{order_id}", response_model=S.OrderOut)
def get_order(project_id: int, order_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return proc.get_order(s, actor, project_id, order_id)


@router.put("/projects/{project_id}/purchase-orders/{order_id}/status", response_model=S.OrderOut)
def set_order_status(
    project_id: int, order_id: int, body: S.OrderStatusIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """Close or cancel an order (closing releases what is still committed)."""
    with db.uow() as s:
        return proc.set_order_status(s, actor, project_id, order_id, body.version, body.status)


@router.post(
    "/projects/{project_id}/purchase-orders/{order_id}/receipts", response_model=S.OrderOut, status_code=201
)
def add_receipt(
    project_id: int, order_id: int, body: S.ReceiptIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    with db.uow() as s:
        return proc.add_receipt(s, actor, project_id, order_id, **body.model_dump())


@router.get("/projects/{project_id}/invoices", response_model=list[S.InvoiceOut])
def list_invoices(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return proc.list_invoices(s, actor, project_id)


@router.post("/projects/{project_id}/invoices", response_model=S.InvoiceOut, status_code=201)
def add_invoice(project_id: int, body: S.InvoiceIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Matched three ways on entry: above the order, above what was received, or with no receipt -> held."""
    with db.uow() as s:
        return proc.add_invoice(s, actor, project_id, **body.model_dump())


@router.post("/projects/{project_id}/invoices/{invoice_id}/release", response_model=S.InvoiceOut)
def release_invoice(
    project_id: int, invoice_id: int, body: S.InvoiceDecisionIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    with db.uow() as s:
        return proc.decide_invoice(
            s, actor, project_id, invoice_id, release=True, reason=body.reason, version=body.version
        )


@router.post("/projects/{project_id}/invoices/{invoice_id}/reject", response_model=S.InvoiceOut)
def reject_invoice(
    project_id: int, invoice_id: int, body: S.InvoiceDecisionIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    with db.uow() as s:
        return proc.decide_invoice(
            s, actor, project_id, invoice_id, release=False, reason=body.reason, version=body.version
        )


@router.get("/projects/{project_id}/contracts", response_model=list[S.ContractOut])
def list_contracts(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return proc.list_contracts(s, actor, project_id)


@router.post("/projects/{project_id}/contracts", response_model=S.ContractOut, status_code=201)
def create_contract(project_id: int, body: S.ContractIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return proc.create_contract(s, actor, project_id, **body.model_dump())


@router.patch("/projects/{project_id}/contracts/{contract_id}", response_model=S.ContractOut)
def update_contract(
    project_id: int, contract_id: int, body: S.ContractPatch, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """Change a running contract's terms; a stale version is refused with the current state (409)."""
    return patch_versioned(db, actor, proc.update_contract, project_id, contract_id, body=body)


@router.post("/projects/{project_id}/contracts/{contract_id}/close", response_model=S.ContractOut)
def close_contract(
    project_id: int, contract_id: int, body: S.ContractCloseIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """Close a contract: no more renewal/notice reminders; it counts as closed on the closure checklist."""
    with db.uow() as s:
        return proc.close_contract(s, actor, project_id, contract_id, body.version, day=body.day,
                                   reason=body.reason)  # fmt: skip


@router.get("/me/approvals/all", response_model=S.ApprovalsOut, tags=["approvals"])
def all_my_approvals(actor: CurrentActor, db: DB) -> dict[str, Any]:
    """What waits for my decision across my projects: purchase requests the approval rules route to a role I
    hold, budget versions for the budget approver, invoices held by three-way matching, timesheet hours."""
    with db.uow(readonly=True) as s:
        return approvals.waiting_for(s, actor)
