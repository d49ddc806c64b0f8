"""The procurement and budget forms as a hand-made request sends them: a decide form's `decision` other than its
buttons' values was read as a reject (a purchase request, a held invoice, a budget version rejected by a typo
or a stale script); and the invoice form answered someone without the permission with a 422 about its date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.services import budget, procurement
from webhelpers import login_seeded


@pytest.fixture
def world(seed: Any) -> dict[str, Any]:
    """On P1: a submitted request (the Sponsor decides: no rules), a held invoice on an order of another
    request (registered by the PM), a proposed budget version."""
    pm, sponsor, p = seed.actor("pm"), seed.actor("sponsor"), seed.p1
    with seed.db.uow() as s:
        line = budget.create_line(s, pm, p, category="hardware", name="Servers", amount="10000",
                                  work_package_id=seed.wp_a)["id"]  # fmt: skip
        v = procurement.create_vendor(s, pm, name="Acme")["id"]
        ask = dict(budget_line_id=line, amount="100", vendor_id=v)
        waiting = procurement.create_request(s, seed.actor("task_leader"), p, title="Cables", **ask)["id"]
        ordered = procurement.create_request(s, seed.actor("task_leader"), p, title="Disks", **ask)["id"]
        procurement.decide_request(s, sponsor, p, ordered, approve=True)
        order = procurement.create_order(s, pm, p, request_id=ordered, lines=[{"unit_price": "100"}])["id"]
        invoice = procurement.add_invoice(s, pm, p, order_id=order, number="INV-1", day=dt.date(2026, 1, 5),
                                          amount="100")["id"]  # fmt: skip
        budget.propose_version(s, pm, p, note="first cut")
    return {"request": waiting, "order": order, "invoice": invoice}


@pytest.fixture
def client(seed: Any) -> Iterator[TestClient]:
    with TestClient(create_app(seed.db), follow_redirects=False) as c:
        yield c


def test_a_decision_other_than_the_forms_buttons_is_refused_not_read_as_reject(
    seed: Any, world: dict[str, Any], client: TestClient
) -> None:
    p = seed.p1
    token = login_seeded(seed, client, "sponsor")
    forms = {
        f"/projects/{p}/procurement/requests/{world['request']}/decide": f"request-{world['request']}-error",
        f"/projects/{p}/procurement/invoices/{world['invoice']}/decide": f"invoice-{world['invoice']}-error",
        f"/projects/{p}/budget/versions/1/decide": "version-1-error",
    }
    for url, error_id in forms.items():
        for sent in ({"decision": "Approve"}, {"decision": "maybe"}, {}):
            r = client.post(url, data={"csrf_token": token, "reason": "typed a reason", **sent})
            assert r.status_code == 422 and f'id="{error_id}"' in r.text, (url, sent, r.status_code)
            assert "choose" in r.text
    with seed.db.uow(readonly=True) as s:
        sponsor = seed.actor("sponsor")
        request = next(x for x in procurement.list_requests(s, sponsor, p) if x["id"] == world["request"])
        assert request["status"] == "submitted"
        assert procurement.list_invoices(s, sponsor, p)[0]["status"] == "held"
        assert budget.list_versions(s, sponsor, p)[0]["status"] == "proposed"


def test_the_invoice_and_receipt_forms_check_permission_before_what_was_typed(
    seed: Any, world: dict[str, Any], client: TestClient
) -> None:
    """Someone who may not register invoices (or record receipts on that order) got a 422 about the date they
    left empty; the permission is checked first, as the API and the CLI do."""
    p, order = seed.p1, str(world["order"])
    invoice = {"order_id": order, "number": "INV-2", "amount": "5"}
    receipt = f"/projects/{p}/procurement/orders/{order}/receipts"
    for who, status in (("task_leader", 403), ("outsider", 404)):
        token = login_seeded(seed, client, who)
        for day in ("", "someday"):
            r = client.post(
                f"/projects/{p}/procurement/invoices", data={"csrf_token": token, **invoice, "day": day}
            )
            assert r.status_code == status, (who, day, r.status_code)
    assert client.post(receipt, data={"csrf_token": token, "day": "someday"}).status_code == 404  # outsider
    token = login_seeded(seed, client, "task_leader_b")  # WP-B's leader: the order is charged to WP-A
    assert client.post(receipt, data={"csrf_token": token, "day": "someday"}).status_code == 403
    token = login_seeded(seed, client, "pm")  # who may: told about the date, beside it
    r = client.post(f"/projects/{p}/procurement/invoices", data={"csrf_token": token, **invoice, "day": ""})
    assert r.status_code == 422 and 'id="invoice-error"' in r.text and 'value="INV-2"' in r.text
    assert 'name="day" type="date" required value="" aria-invalid="true"' in r.text
    r = client.post(receipt, data={"csrf_token": token, "day": "someday"})
    assert r.status_code == 422 and f'id="receipt-{order}-error"' in r.text and "YYYY-MM-DD" in r.text
    with seed.db.uow(readonly=True) as s:
        assert len(procurement.list_invoices(s, seed.actor("pm"), p)) == 1
