"""Procurement forms beyond requests, receipts and invoices (routes_budget.py): cancelling a request, placing
an order from an approved request, releasing or rejecting a held invoice, and keeping contracts (add, change terms, close).
Each re-renders the procurement page with what was typed when the service refuses it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from charter.domain.errors import Conflict, ValidationError
from charter.domain.roles import Perm
from charter.services import authz, procurement, projects
from charter.web.app import render
from charter.web.forms import DB, Checked, FormData, Session, decision, errors_of, opt_date, opt_int, req_int
from charter.web.routes_budget import RULE_ROWS, _back, _procurement_page

router = APIRouter()


def _req_date(form: dict[str, str], key: str) -> Any:
    d = opt_date(form, key)
    if d is None:
        raise ValidationError("is required", field=key)
    return d


def _quantity(form: dict[str, str]) -> str:
    """The quantity as typed (the service reads it, as it reads the API's and the CLI's): 1 when left empty."""
    return (form.get("quantity") or "1").strip()


@router.post("/projects/{project_id}/procurement/orders", response_class=HTMLResponse)
def place_order(request: Request, project_id: int, db: DB, info: Checked, form: FormData) -> Response:
    """Issue a purchase order from an approved request (one line: quantity x unit price)."""
    request_id = opt_int(form, "request_id") or 0
    try:
        with db.uow() as s:
            procurement.create_order(
                s, info.actor, project_id, request_id=req_int(form, "request_id"),
                vendor_id=opt_int(form, "vendor_id"), expected_delivery=opt_date(form, "expected_delivery"),
                lines=[{"description": form.get("description", ""), "quantity": _quantity(form),
                        "unit_price": form.get("unit_price", "")}],
            )  # fmt: skip
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, f"order-{request_id}")
        return _procurement_page(request, db, info, project_id, err, form, exc.http_status)
    return _back(f"/projects/{project_id}/procurement", "orders")


@router.post("/projects/{project_id}/procurement/requests/{request_id}/cancel", response_class=HTMLResponse)
def cancel_request(
    request: Request, project_id: int, request_id: int, db: DB, info: Checked, form: FormData
) -> Response:
    """Cancel a request not yet ordered (its requester or the PM), at the version the page showed."""
    try:
        with db.uow() as s:
            procurement.cancel_request(s, info.actor, project_id, request_id, req_int(form, "version"),
                                       reason=form.get("reason", ""))  # fmt: skip
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, f"cancel-{request_id}")
        return _procurement_page(request, db, info, project_id, err, form, exc.http_status)
    return _back(f"/projects/{project_id}/procurement", "requests")


@router.post("/projects/{project_id}/procurement/invoices/{invoice_id}/decide", response_class=HTMLResponse)
def decide_invoice(
    request: Request, project_id: int, invoice_id: int, db: DB, info: Checked, form: FormData
) -> Response:
    """Release a held invoice for payment or reject it, with a reason."""
    try:
        with db.uow() as s:
            procurement.decide_invoice(s, info.actor, project_id, invoice_id,
                                       release=decision(form, {"release": True, "reject": False}), reason=form.get("reason", ""),
                                       version=opt_int(form, "version"))  # fmt: skip
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, f"invoice-{invoice_id}")
        return _procurement_page(request, db, info, project_id, err, form, exc.http_status)
    if form.get("back") == "approvals":
        return _back("/me/approvals", "held-invoices")
    return _back(f"/projects/{project_id}/procurement", f"invoice-{invoice_id}")


def _contract_terms(form: dict[str, str]) -> dict[str, Any]:
    return {"title": form.get("title", ""), "kind": form.get("kind", ""), "value": form.get("value", ""),
            "start": _req_date(form, "start"), "end": opt_date(form, "end"),
            "renewal_date": opt_date(form, "renewal_date"), "notice_date": opt_date(form, "notice_date"),
            "order_id": opt_int(form, "order_id"), "notes": form.get("notes", "")}  # fmt: skip


@router.post("/projects/{project_id}/procurement/contracts", response_class=HTMLResponse)
def add_contract(request: Request, project_id: int, db: DB, info: Checked, form: FormData) -> Response:
    try:
        terms = _contract_terms(form)
        with db.uow() as s:
            c = procurement.create_contract(
                s, info.actor, project_id, vendor_id=req_int(form, "vendor_id"), **terms
            )
    except (ValidationError, Conflict) as exc:
        return _procurement_page(
            request, db, info, project_id, errors_of(exc, "contract"), form, exc.http_status
        )
    return _back(f"/projects/{project_id}/procurement", f"contract-{c['id']}")


@router.post("/projects/{project_id}/procurement/contracts/{contract_id}", response_class=HTMLResponse)
def update_contract(
    request: Request, project_id: int, contract_id: int, db: DB, info: Checked, form: FormData
) -> Response:
    """Change a contract's terms; the form carries the version it was read at (stale: 409, shown)."""
    try:
        terms = _contract_terms(form)
        with db.uow() as s:
            procurement.update_contract(
                s, info.actor, project_id, contract_id, req_int(form, "version"), **terms
            )
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, f"contract-{contract_id}")
        return _procurement_page(request, db, info, project_id, err, form, exc.http_status)
    return _back(f"/projects/{project_id}/procurement", f"contract-{contract_id}")


@router.post("/projects/{project_id}/procurement/contracts/{contract_id}/close", response_class=HTMLResponse)
def close_contract(
    request: Request, project_id: int, contract_id: int, db: DB, info: Checked, form: FormData
) -> Response:
    try:
        with db.uow() as s:
            procurement.close_contract(s, info.actor, project_id, contract_id, req_int(form, "version"),
                                       day=opt_date(form, "day"), reason=form.get("reason", ""))  # fmt: skip
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, f"close-{contract_id}")
        return _procurement_page(request, db, info, project_id, err, form, exc.http_status)
    return _back(f"/projects/{project_id}/procurement", f"contract-{contract_id}")


# --------------------------------------------------------------------------------------------- vendors, rules, order status


CONTACT_KEYS = ("name", "email", "phone")


def _contacts(form: dict[str, str]) -> list[dict[str, str | None]]:
    """The add form's one contact (contact_name, ...) or the edit form's rows (contact_0_name, ...; a row
    whose name is cleared is dropped)."""
    rows = [{k: (form.get(f"contact_{k}") or "").strip() or None for k in CONTACT_KEYS}]
    i = 0
    while f"contact_{i}_name" in form:
        rows.append({k: (form.get(f"contact_{i}_{k}") or "").strip() or None for k in CONTACT_KEYS})
        i += 1
    return [c for c in rows if c["name"]]


def _vendor_values(form: dict[str, str]) -> dict[str, Any]:
    rating = opt_int(form, "rating")
    cats = [c.strip() for c in (form.get("categories") or "").split(",") if c.strip()]
    return {"categories": cats, "rating": rating, "notes": form.get("notes", ""), "contacts": _contacts(form)}


@router.post("/projects/{project_id}/procurement/vendors", response_class=HTMLResponse)
def add_vendor(request: Request, project_id: int, db: DB, info: Checked, form: FormData) -> Response:
    """Vendors are organisation-wide; a PM or Sponsor keeps the list (the service decides)."""
    try:
        with db.uow() as s:
            procurement.create_vendor(s, info.actor, name=form.get("name", ""), **_vendor_values(form))
    except (ValidationError, Conflict) as exc:
        return _procurement_page(
            request, db, info, project_id, errors_of(exc, "vendor"), form, exc.http_status
        )
    return _back(f"/projects/{project_id}/procurement", "vendors")


@router.post("/projects/{project_id}/procurement/vendors/{vendor_id}", response_class=HTMLResponse)
def edit_vendor(
    request: Request, project_id: int, vendor_id: int, db: DB, info: Checked, form: FormData
) -> Response:
    try:
        values = _vendor_values(form)
        if "contact_0_name" not in form and not values["contacts"]:
            values.pop("contacts")  # a form without contact rows keeps the ones the vendor has
        with db.uow() as s:
            procurement.update_vendor(s, info.actor, vendor_id, req_int(form, "version"),
                                      name=form.get("name", ""), **values)  # fmt: skip
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, f"vendor-{vendor_id}")
        return _procurement_page(request, db, info, project_id, err, form, exc.http_status)
    return _back(f"/projects/{project_id}/procurement", f"vendor-{vendor_id}")


@router.post("/projects/{project_id}/procurement/rules", response_class=HTMLResponse)
def set_rules(request: Request, project_id: int, db: DB, info: Checked, form: FormData) -> Response:
    """The approval rules by amount (the budget approver only): rows of "up to AMOUNT: ROLE" (RULE_ROWS at most);
    a row without an amount covers any amount. Saved at the version the page showed: a stale one keeps what
    was typed and shows the rules as they are now (409)."""
    try:
        items = []
        for i in range(RULE_ROWS):
            role = (form.get(f"role_{i}") or "").strip()
            up_to = (form.get(f"up_to_{i}") or "").strip()
            if role:
                items.append({"up_to": up_to or None, "role_key": role})
            elif up_to:
                raise ValidationError(f"row {i + 1}: choose who approves up to {up_to}", field=f"role_{i}")
        with db.uow() as s:
            procurement.set_rules(s, info.actor, project_id, req_int(form, "version"), items)
    except (ValidationError, Conflict) as exc:
        return _procurement_page(
            request, db, info, project_id, errors_of(exc, "rules"), form, exc.http_status
        )
    return _back(f"/projects/{project_id}/procurement", "approval-rules")


@router.post("/projects/{project_id}/procurement/orders/{order_id}/status", response_class=HTMLResponse)
def order_status(
    request: Request, project_id: int, order_id: int, db: DB, info: Checked, form: FormData
) -> Response:
    """Close an order (releases what is still committed) or cancel one nothing was received or invoiced on."""
    try:
        with db.uow() as s:
            procurement.set_order_status(s, info.actor, project_id, order_id, req_int(form, "version"),
                                         form.get("status", ""))  # fmt: skip
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, f"status-{order_id}")
        return _procurement_page(request, db, info, project_id, err, form, exc.http_status)
    return _back(f"/projects/{project_id}/procurement", "orders")


# --------------------------------------------------------------------------------------------- read pages


@router.get("/projects/{project_id}/procurement/vendors/{vendor_id}", response_class=HTMLResponse)
def vendor_page(request: Request, project_id: int, vendor_id: int, db: DB, info: Session) -> HTMLResponse:
    """A vendor from this project's side: contacts, categories, rating, notes; its contracts here (notice and
    renewal dates within 30/90 days flagged), its orders and invoices here."""
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, info.actor, project_id)
        data = procurement.vendor_overview(s, info.actor, project_id, vendor_id)
    return render(request, "procurement_vendor.html", {"project": project, "view": "procurement", **data})


@router.get("/projects/{project_id}/procurement/contracts/{contract_id}", response_class=HTMLResponse)
def contract_page(request: Request, project_id: int, contract_id: int, db: DB, info: Session) -> HTMLResponse:
    """A contract: terms, vendor, linked order, upcoming notice/renewal dates and the journal of its changes;
    its change and close forms stay on the procurement page (linked)."""
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, info.actor, project_id)
        data = procurement.contract_overview(s, info.actor, project_id, contract_id)
        may_change = authz.can(s, info.actor, project_id, Perm.PROCUREMENT_REQUEST)
    return render(request, "procurement_contract.html",
                  {"project": project, "view": "procurement", "may_change": may_change, **data})  # fmt: skip
