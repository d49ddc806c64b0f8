"""Procurement dates that cannot be: a goods receipt or a vendor's invoice dated in the future (an invoice
dated ahead passed the three-way match against goods that had not arrived), refused beside the date on the
API, the procurement page and the command line, with a day's grace for time zones."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.services import budget, procurement
from webhelpers import login_seeded

TODAY = dt.date(2030, 1, 7)  # the frozen clock's day
LATER = (TODAY + dt.timedelta(days=2)).isoformat()  # beyond the day's grace
TOMORROW = (TODAY + dt.timedelta(days=1)).isoformat()  # within it


@pytest.fixture
def order(seed: Any, frozen_clock: Any) -> dict[str, Any]:
    """An order of 1 000 on a WP-A line of P1, nothing received yet."""
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        line = budget.create_line(s, pm, seed.p1, category="hardware", name="Servers", amount="10000",
                                  work_package_id=seed.wp_a)  # fmt: skip
        v = procurement.create_vendor(s, pm, name="Acme")
        r = procurement.create_request(s, seed.actor("task_leader"), seed.p1, budget_line_id=line["id"],
                                       title="Disks", amount="1000", vendor_id=v["id"])  # fmt: skip
        procurement.decide_request(s, seed.actor("sponsor"), seed.p1, r["id"], approve=True)
        o = procurement.create_order(s, pm, seed.p1, request_id=r["id"], lines=[{"unit_price": "1000"}])
    return {"id": o["id"], "number": o["number"]}


def _stored(seed: Any) -> tuple[Any, list[dict[str, Any]]]:
    with seed.db.uow(readonly=True) as s:
        o = procurement.list_orders(s, seed.actor("pm"), seed.p1)[0]
        return o["received"], procurement.list_invoices(s, seed.actor("pm"), seed.p1)


def test_a_receipt_or_invoice_dated_in_the_future_is_refused_through_the_api(
    api: Any, as_: Any, seed: Any, order: dict[str, Any]
) -> None:
    pm, p = as_("pm"), seed.p1
    receipt = api.post(
        f"/projects/{p}/purchase-orders/{order['id']}/receipts", headers=pm, json={"day": LATER}
    )
    assert receipt.status_code == 422 and receipt.json()["error"]["field"] == "day", receipt.text
    assert LATER in receipt.json()["error"]["message"]
    invoice = {"order_id": order["id"], "number": "INV-1", "day": LATER, "amount": "1000"}
    r = api.post(f"/projects/{p}/invoices", headers=pm, json=invoice)
    assert r.status_code == 422 and r.json()["error"]["field"] == "day", r.text
    assert _stored(seed) == (0, [])
    # tomorrow is within the grace (a person east of UTC types their own day); so is any past day
    ok = api.post(f"/projects/{p}/purchase-orders/{order['id']}/receipts", headers=pm,
                  json={"day": TOMORROW, "amount": "400"})  # fmt: skip
    assert ok.status_code == 201, ok.text
    ok = api.post(
        f"/projects/{p}/invoices", headers=pm, json={**invoice, "day": "2029-12-20", "amount": "400"}
    )
    assert ok.status_code == 201 and ok.json()["status"] == "accepted", ok.text


def test_the_procurement_page_refuses_a_future_receipt_or_invoice_beside_its_date(
    seed: Any, order: dict[str, Any]
) -> None:
    p = seed.p1
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        token = login_seeded(seed, client, "pm")
        r = client.post(f"/projects/{p}/procurement/orders/{order['id']}/receipts",
                        data={"csrf_token": token, "day": LATER, "note": "dock 3"})  # fmt: skip
        assert r.status_code == 422 and f'id="receipt-{order["id"]}-error"' in r.text
        assert (
            f'id="rc{order["id"]}-day" name="day" type="date" value="{LATER}" aria-invalid="true"' in r.text
        )
        assert 'value="dock 3"' in r.text and "in the future" in r.text
        r = client.post(f"/projects/{p}/procurement/invoices",
                        data={"csrf_token": token, "order_id": str(order["id"]), "number": "INV-1", "day": LATER,
                              "amount": "1000"})  # fmt: skip
        assert r.status_code == 422 and 'id="invoice-error"' in r.text
        assert f'id="iv-day" name="day" type="date" required value="{LATER}" aria-invalid="true"' in r.text
        assert 'value="INV-1"' in r.text
    assert _stored(seed) == (0, [])


def test_the_command_line_refuses_a_future_receipt_or_invoice(
    cli: Any, seed: Any, order: dict[str, Any]
) -> None:
    out = cli("po", "receipt", "P1", order["number"], "--day", LATER, code=1).output
    assert "(field: day)" in out and LATER in out
    out = cli("invoice", "add", "P1", "INV-1", "--order", order["number"], "--amount", "10", "--day", LATER,
              code=1).output  # fmt: skip
    assert "(field: day)" in out
    assert _stored(seed) == (0, [])


def _approved(seed: Any, amount: str = "500") -> int:
    """Another approved request on the WP-A line of the `order` fixture."""
    with seed.db.uow() as s:
        line = budget.list_lines(s, seed.actor("pm"), seed.p1)[0]["id"]
        r = procurement.create_request(s, seed.actor("task_leader"), seed.p1, budget_line_id=line, title="Cables",
                                       amount=amount)  # fmt: skip
        procurement.decide_request(s, seed.actor("sponsor"), seed.p1, r["id"], approve=True)
    return int(r["id"])


def test_an_order_expected_in_the_past_is_refused_when_placed(
    api: Any, as_: Any, cli: Any, seed: Any, order: dict[str, Any], frozen_clock: Any
) -> None:
    """An order placed with an expected delivery already past was late from the moment it was placed (the
    page and the status report flagged it so); refused beside the date, while an order whose date has passed
    since is still received and closed."""
    p, past = seed.p1, (TODAY - dt.timedelta(days=2)).isoformat()
    req = _approved(seed)
    body = {"request_id": req, "vendor_id": None, "lines": [{"unit_price": "500"}], "expected_delivery": past}
    with seed.db.uow() as s:
        body["vendor_id"] = procurement.list_vendors(s, seed.actor("pm"))[0]["id"]
    r = api.post(f"/projects/{p}/purchase-orders", headers=as_("pm"), json=body)
    assert r.status_code == 422 and r.json()["error"]["field"] == "expected_delivery", r.text
    assert past in r.json()["error"]["message"]
    out = cli("po", "add", "P1", "--request", str(req), "--vendor", "Acme", "--expected-delivery", past,
              code=1).output  # fmt: skip
    assert "(field: expected_delivery)" in out
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        token = login_seeded(seed, client, "pm")
        r = client.post(f"/projects/{p}/procurement/orders",
                        data={"csrf_token": token, "request_id": str(req), "vendor_id": str(body["vendor_id"]),
                              "unit_price": "450", "expected_delivery": past})  # fmt: skip
        assert r.status_code == 422 and f'id="order-{req}-error"' in r.text and "already past" in r.text
        assert f'name="expected_delivery" type="date" value="{past}" aria-invalid="true"' in r.text
        assert 'value="450"' in r.text
    with seed.db.uow(readonly=True) as s:
        assert [o["id"] for o in procurement.list_orders(s, seed.actor("pm"), p)] == [order["id"]]
    # yesterday is within the grace; an order whose date passes afterwards is received and closed as before
    r = api.post(f"/projects/{p}/purchase-orders", headers=as_("pm"),
                 json={**body, "expected_delivery": (TODAY - dt.timedelta(days=1)).isoformat()})  # fmt: skip
    assert r.status_code == 201, r.text
    frozen_clock.advance(days=30)
    with seed.db.uow() as s:
        o = procurement.add_receipt(s, seed.actor("pm"), p, r.json()["id"], day=TODAY + dt.timedelta(days=29))
        procurement.set_order_status(s, seed.actor("pm"), p, o["id"], o["version"], "closed")
