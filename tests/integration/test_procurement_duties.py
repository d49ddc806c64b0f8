"""Separation of duties in procurement and cancelling a purchase request, through the API, the service and
the page: no one approves or rejects their own request (it goes to the next approver up), no one releases an
invoice they registered, and a request not yet ordered is cancelled by its requester or the PM."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from charter.app import create_app
from charter.domain.errors import PermissionDenied
from charter.persistence.models import JournalEntry, PurchaseRequest
from charter.services import accounts, approvals, procurement
from webhelpers import PW, login


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def err(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    e = r.json()["error"]
    if field is not None:
        assert e["field"] == field, e
    return e


@pytest.fixture
def b(api: Any, seed: Any, as_: Any) -> dict[str, Any]:
    """P1 with a WP-A hardware line of 10 000; the PM approves up to 1 000, the Sponsor any amount."""
    p = seed.p1
    hw = ok(api.post(f"/projects/{p}/budget/lines", headers=as_("pm"), json={
        "category": "hardware", "name": "Servers", "amount": "10000.00", "work_package_id": seed.wp_a}), 201)  # fmt: skip
    ok(api.put(f"/projects/{p}/approval-rules", headers=as_("sponsor"), json={"version": 0, "rules": [
        {"up_to": "1000.00", "role_key": "project_manager"}, {"up_to": None, "role_key": "sponsor"}]}))  # fmt: skip
    v = ok(api.post("/vendors", headers=as_("pm"), json={"name": "Acme"}), 201)
    return {"p": p, "hw": hw["id"], "vendor": v["id"]}


def raise_(api: Any, b: dict[str, Any], who: dict[str, str], amount: str = "500.00") -> dict[str, Any]:
    return ok(api.post(f"/projects/{b['p']}/purchase-requests", headers=who, json={
        "budget_line_id": b["hw"], "title": "Disks", "amount": amount, "vendor_id": b["vendor"]}), 201)  # fmt: skip


def test_the_pms_own_request_goes_to_the_sponsor(api: Any, b: Any, as_: Any, seed: Any) -> None:
    p = b["p"]
    r = raise_(api, b, as_("pm"))  # within the PM's limit, but raised by the PM
    assert r["approver_role"] == "sponsor"
    assert "next approver up" in r["rule"] and "project manager" in r["rule"]
    e = err(api.post(f"/projects/{p}/purchase-requests/{r['id']}/approve", headers=as_("pm"), json={}), 403)
    assert "sponsor" in e["message"]
    err(api.post(f"/projects/{p}/purchase-requests/{r['id']}/reject", headers=as_("pm"),
                 json={"reason": "x"}), 403)  # fmt: skip
    # the Sponsor's "waiting for me" lists it; the PM's does not
    with seed.db.uow(readonly=True) as s:
        assert [x["id"] for x in approvals.waiting_for(s, seed.actor("sponsor"))["purchase_requests"]] == [
            r["id"]
        ]
        assert approvals.waiting_for(s, seed.actor("pm"))["purchase_requests"] == []
    done = ok(api.post(f"/projects/{p}/purchase-requests/{r['id']}/approve", headers=as_("sponsor"), json={}))
    assert done["status"] == "approved" and done["decided_by"] == seed.users["sponsor"]
    # a Task Leader's request in the same range still goes to the PM
    assert raise_(api, b, as_("task_leader"))["approver_role"] == "project_manager"


def test_a_requester_who_holds_the_approver_role_cannot_decide(seed: Any, b: Any) -> None:
    """A request raised before its requester came to hold the approver role (say, a hand-over): refused."""
    pm, p = seed.actor("pm"), b["p"]
    with seed.db.uow() as s:
        r = procurement.create_request(s, seed.actor("task_leader"), p, budget_line_id=b["hw"], title="RAM",
                                       amount="100")  # fmt: skip
        assert r["approver_role"] == "project_manager"
        row = s.get(PurchaseRequest, r["id"])
        assert row is not None
        row.requested_by = seed.users["pm"]
    with seed.db.uow() as s, pytest.raises(PermissionDenied) as exc:
        procurement.decide_request(s, pm, p, r["id"], approve=True)
    assert "you raised this request" in exc.value.message and exc.value.field == "requested_by"
    with seed.db.uow(readonly=True) as s:
        row = s.get(PurchaseRequest, r["id"])
        assert row is not None and row.status == "submitted" and row.decided_by is None


def test_an_invoice_is_not_released_by_whoever_registered_it(api: Any, b: Any, as_: Any, seed: Any) -> None:
    p, pm = b["p"], as_("pm")
    r = raise_(api, b, as_("task_leader"), "800.00")
    ok(api.post(f"/projects/{p}/purchase-requests/{r['id']}/approve", headers=pm, json={}))
    o = ok(api.post(f"/projects/{p}/purchase-orders", headers=pm, json={
        "request_id": r["id"], "lines": [{"quantity": 1, "unit_price": "800.00"}]}), 201)  # fmt: skip
    inv = ok(api.post(f"/projects/{p}/invoices", headers=pm, json={
        "order_id": o["id"], "number": "X-1", "day": "2026-01-11", "amount": "800.00"}), 201)  # fmt: skip
    assert inv["status"] == "held" and inv["created_by"] == seed.users["pm"]
    e = err(api.post(f"/projects/{p}/invoices/{inv['id']}/release", headers=pm, json={"reason": "fine"}), 403,
            "created_by")  # fmt: skip
    assert "you registered this invoice" in e["message"]
    assert ok(api.get(f"/projects/{p}/invoices", headers=pm))[0]["status"] == "held"
    with seed.db.uow(readonly=True) as s:
        assert approvals.waiting_for(s, seed.actor("pm"))["invoices"] == []
        assert [x["id"] for x in approvals.waiting_for(s, seed.actor("sponsor"))["invoices"]] == [inv["id"]]
    rel = ok(api.post(f"/projects/{p}/invoices/{inv['id']}/release", headers=as_("sponsor"),
                      json={"reason": "delivered, receipt follows"}))  # fmt: skip
    assert rel["status"] == "released"


def test_cancel_a_request_by_its_requester_or_the_pm(api: Any, b: Any, as_: Any, seed: Any) -> None:
    p = b["p"]
    r = raise_(api, b, as_("task_leader"))
    url = f"/projects/{p}/purchase-requests/{r['id']}/cancel"
    err(api.post(url, headers=as_("task_leader_b"), json={"version": 1}), 403, "requested_by")
    err(api.post(url, headers=as_("sponsor"), json={"version": 1}), 403)
    err(api.post(url, headers=as_("outsider"), json={"version": 1}), 404)
    err(api.post(url, headers=as_("task_leader"), json={}), 422)
    done = ok(api.post(url, headers=as_("task_leader"), json={"version": 1, "reason": "found spares"}))
    assert done["status"] == "cancelled" and done["version"] == 2 and done["reason"] == "found spares"
    err(api.post(url, headers=as_("task_leader"), json={"version": 1}), 409, "version")
    err(api.post(url, headers=as_("task_leader"), json={"version": 2}), 409, "status")
    err(api.post(f"/projects/{p}/purchase-requests/{r['id']}/approve", headers=as_("pm"), json={}), 409)
    with seed.db.uow(readonly=True) as s:
        causes = list(s.scalars(select(JournalEntry.cause).where(
            JournalEntry.entity_type == "purchase_request", JournalEntry.entity_id == str(r["id"]))))  # fmt: skip
    assert "cancelled: found spares" in causes
    # the PM cancels an approved request: it no longer reserves the line's budget
    big = raise_(api, b, as_("task_leader"), "900.00")
    ok(api.post(f"/projects/{p}/purchase-requests/{big['id']}/approve", headers=as_("pm"), json={}))
    again = raise_(api, b, as_("task_leader"), "1.00")
    assert Decimal(again["line_remaining"]) == Decimal("9100.00")
    ok(
        api.post(
            f"/projects/{p}/purchase-requests/{big['id']}/cancel", headers=as_("pm"), json={"version": 2}
        )
    )
    assert Decimal(raise_(api, b, as_("task_leader"), "1.00")["line_remaining"]) == Decimal("10000.00")
    # an ordered request is not cancelled (cancel the order instead)
    third = raise_(api, b, as_("task_leader"), "100.00")
    ok(api.post(f"/projects/{p}/purchase-requests/{third['id']}/approve", headers=as_("pm"), json={}))
    ok(api.post(f"/projects/{p}/purchase-orders", headers=as_("pm"), json={
        "request_id": third["id"], "lines": [{"quantity": 1, "unit_price": "100.00"}]}), 201)  # fmt: skip
    err(api.post(f"/projects/{p}/purchase-requests/{third['id']}/cancel", headers=as_("pm"),
                 json={"version": 3}), 409, "status")  # fmt: skip


@pytest.fixture
def web(seed: Any, b: Any) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    admin = seed.actor("admin")
    with seed.db.uow() as s:
        for name in ("pm", "task_leader", "sponsor"):
            u = accounts.get_user(s, admin, seed.users[name])
            accounts.update_user(s, admin, u["id"], u["version"], password=PW)
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        yield client, b


def test_the_page_offers_cancel_and_no_decision_on_ones_own_request(web: Any, seed: Any) -> None:
    client, b = web
    p = b["p"]
    with seed.db.uow() as s:
        mine = procurement.create_request(s, seed.actor("pm"), p, budget_line_id=b["hw"], title="Own",
                                          amount="100")  # fmt: skip
        theirs = procurement.create_request(s, seed.actor("task_leader"), p, budget_line_id=b["hw"],
                                            title="Theirs", amount="100")  # fmt: skip
    token = login(client, "pm")
    html = client.get(f"/projects/{p}/procurement").text
    assert f"/requests/{mine['id']}/decide" not in html and "raised by you" in html
    assert f"/requests/{theirs['id']}/decide" in html
    assert f"/requests/{mine['id']}/cancel" in html and f"/requests/{theirs['id']}/cancel" in html
    url = f"/projects/{p}/procurement/requests/{theirs['id']}/cancel"
    assert client.post(url, data={"version": "1"}).status_code == 403  # no CSRF token
    stale = client.post(url, data={"csrf_token": token, "version": "7", "reason": "typed"})
    assert (
        stale.status_code == 409 and "changed by someone else" in stale.text and 'value="typed"' in stale.text
    )
    r = client.post(url, data={"csrf_token": token, "version": "1", "reason": "no longer needed"})
    assert r.status_code == 303 and r.headers["location"].endswith("#requests")
    html = client.get(f"/projects/{p}/procurement").text
    assert "rstatus-cancelled" in html and f"/requests/{theirs['id']}/cancel" not in html
    # the Task Leader sees the cancel button on their own open request only
    with seed.db.uow() as s:
        own = procurement.create_request(s, seed.actor("task_leader"), p, budget_line_id=b["hw"], title="TL",
                                         amount="50")  # fmt: skip
    login(client, "task-leader")
    html = client.get(f"/projects/{p}/procurement").text
    assert f"/requests/{own['id']}/cancel" in html and f"/requests/{mine['id']}/cancel" not in html


def test_a_decision_on_a_changed_request_or_invoice_is_refused(api: Any, b: Any, as_: Any, seed: Any) -> None:
    """With the version one read, a request or invoice changed since is 409 with its current state, nothing
    decided; without one the status check alone applies (as before)."""
    p, pm = b["p"], as_("pm")
    r = raise_(api, b, as_("task_leader"), "800.00")
    url = f"/projects/{p}/purchase-requests/{r['id']}"
    e = err(api.post(f"{url}/approve", headers=pm, json={"version": r["version"] + 1}), 409, "version")
    assert e["current"]["status"] == "submitted" and e["current"]["version"] == r["version"]
    e = err(api.post(f"{url}/reject", headers=pm, json={"version": 0, "reason": "no"}), 409, "version")
    assert ok(api.get(f"/projects/{p}/purchase-requests", headers=pm))[0]["status"] == "submitted"
    done = ok(api.post(f"{url}/approve", headers=pm, json={"version": r["version"]}))
    assert done["status"] == "approved" and done["version"] == r["version"] + 1
    # a second approver who read it before: refused on the version, not silently decided again
    err(
        api.post(f"{url}/reject", headers=pm, json={"version": r["version"], "reason": "late"}),
        409,
        "version",
    )
    o = ok(api.post(f"/projects/{p}/purchase-orders", headers=pm, json={
        "request_id": r["id"], "lines": [{"quantity": 1, "unit_price": "800.00"}]}), 201)  # fmt: skip
    inv = ok(api.post(f"/projects/{p}/invoices", headers=pm, json={
        "order_id": o["id"], "number": "X-2", "day": "2026-01-11", "amount": "800.00"}), 201)  # fmt: skip
    iurl = f"/projects/{p}/invoices/{inv['id']}"
    sponsor = as_("sponsor")
    e = err(api.post(f"{iurl}/release", headers=sponsor, json={"reason": "ok", "version": inv["version"] + 3}),
            409, "version")  # fmt: skip
    assert e["current"]["status"] == "held"
    rel = ok(api.post(f"{iurl}/reject", headers=sponsor, json={"reason": "wrong", "version": inv["version"]}))
    assert rel["status"] == "rejected"
    with seed.db.uow(readonly=True) as s:
        waiting = approvals.waiting_for(s, seed.actor("sponsor"))
    assert waiting["invoices"] == [] and waiting["purchase_requests"] == []


def test_the_pages_decide_forms_carry_the_version(web: Any, seed: Any) -> None:
    client, b = web
    p = b["p"]
    with seed.db.uow() as s:
        r = procurement.create_request(s, seed.actor("task_leader"), p, budget_line_id=b["hw"], title="Cables",
                                       amount="100")  # fmt: skip
    token = login(client, "pm")
    html = client.get(f"/projects/{p}/procurement").text
    assert 'name="version" value="1"' in html
    assert 'name="version" value="1"' in client.get("/me/approvals").text
    url = f"/projects/{p}/procurement/requests/{r['id']}/decide"
    stale = client.post(
        url, data={"csrf_token": token, "version": "5", "decision": "approve", "reason": "mine"}
    )
    assert (
        stale.status_code == 409 and "changed by someone else" in stale.text and 'value="mine"' in stale.text
    )
    with seed.db.uow(readonly=True) as s:
        assert procurement.list_requests(s, seed.actor("pm"), p)[0]["status"] == "submitted"
    done = client.post(
        url, data={"csrf_token": token, "version": "1", "decision": "approve", "back": "approvals"}
    )
    assert done.status_code == 303
    with seed.db.uow(readonly=True) as s:
        assert procurement.list_requests(s, seed.actor("pm"), p)[0]["status"] == "approved"


def test_a_decision_or_order_sent_twice_says_why(web: Any, seed: Any) -> None:
    """Approving a request decided meanwhile (another tab, the back button) or ordering it twice answered 409
    with no message anywhere: the refusal belonged to the row's form, which the decided request no longer
    has. It is at the top of the page now."""
    client, b = web
    p = b["p"]
    with seed.db.uow() as s:
        r = procurement.create_request(s, seed.actor("task_leader"), p, budget_line_id=b["hw"], title="Disks",
                                       amount="100", vendor_id=b["vendor"])  # fmt: skip
    token = login(client, "pm")
    url = f"/projects/{p}/procurement/requests/{r['id']}/decide"
    assert client.post(url, data={"csrf_token": token, "decision": "approve"}).status_code == 303
    again = client.post(url, data={"csrf_token": token, "decision": "reject", "reason": "second thoughts"})
    assert again.status_code == 409 and 'id="page-error"' in again.text and "approved" in again.text
    order = {
        "csrf_token": token,
        "request_id": str(r["id"]),
        "vendor_id": str(b["vendor"]),
        "unit_price": "100",
    }
    assert client.post(f"/projects/{p}/procurement/orders", data=order).status_code == 303
    twice = client.post(f"/projects/{p}/procurement/orders", data=order)
    assert twice.status_code == 409 and 'id="page-error"' in twice.text and "ordered" in twice.text
