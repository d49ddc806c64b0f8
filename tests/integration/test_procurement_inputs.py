"""What people type into procurement, whichever way they come (page, CLI or service): texts longer than their
column are refused naming the field (PostgreSQL answered them with an internal error, SQLite kept them), and
a vendor's invoice number is registered once (a second submit of the same invoice would be paid twice)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from charter.domain.errors import Conflict, ValidationError
from charter.services import budget, procurement


@pytest.fixture
def order(seed: Any) -> dict[str, Any]:
    """An order of 1 000 on a P1 line, half received."""
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        line = budget.create_line(
            s, pm, seed.p1, category="hardware", name="Servers", amount="10000", work_package_id=seed.wp_a
        )
        v = procurement.create_vendor(s, pm, name="Acme")
        r = procurement.create_request(s, seed.actor("task_leader"), seed.p1, budget_line_id=line["id"],
                                       title="Disks", amount="1000", vendor_id=v["id"])  # fmt: skip
        procurement.decide_request(s, seed.actor("sponsor"), seed.p1, r["id"], approve=True)
        o = procurement.create_order(s, pm, seed.p1, request_id=r["id"], lines=[{"unit_price": "1000"}])
        procurement.add_receipt(s, pm, seed.p1, o["id"], day=dt.date(2026, 1, 8), amount="500")
    return {"line": line["id"], "vendor": v["id"], "order": o["id"]}


def test_texts_longer_than_their_column_are_refused_naming_the_field(
    seed: Any, order: dict[str, Any]
) -> None:
    pm = seed.actor("pm")
    cases = [
        ("title", lambda s: procurement.create_request(s, pm, seed.p1, budget_line_id=order["line"],
                                                        title="T" * 201, amount="10")),
        ("number", lambda s: procurement.add_invoice(s, pm, seed.p1, order_id=order["order"], number="N" * 61,
                                                     day=dt.date(2026, 1, 9), amount="10")),
        ("name", lambda s: procurement.create_vendor(s, pm, name="V" * 201)),
        ("title", lambda s: procurement.create_contract(s, pm, seed.p1, vendor_id=order["vendor"], title="C" * 201,
                                                         kind="subscription", value="10", start=dt.date(2030, 1, 1))),
    ]  # fmt: skip
    for field, call in cases:
        with pytest.raises(ValidationError) as e, seed.db.uow() as s:
            call(s)
        assert e.value.field == field and "characters" in e.value.message
    with seed.db.uow() as s:  # the longest that fits is kept whole
        assert len(procurement.create_vendor(s, pm, name="V" * 200)["name"]) == 200


def test_an_invoice_number_is_registered_once_per_vendor(seed: Any, order: dict[str, Any]) -> None:
    """A back-button resubmit registered INV-1 twice: once receipts covered both, the copy was accepted for
    payment. Refused (409) while the first is not rejected, whatever its spacing or case; a rejected invoice's
    number may be registered again (the vendor's corrected invoice)."""
    pm, sponsor = seed.actor("pm"), seed.actor("sponsor")
    day = dt.date(2026, 1, 9)
    with seed.db.uow() as s:
        first = procurement.add_invoice(s, pm, seed.p1, order_id=order["order"], number="INV-1", day=day,
                                        amount="400")  # fmt: skip
    assert first["status"] == "accepted"
    for again in ("INV-1", " inv-1 "):
        with pytest.raises(Conflict) as e, seed.db.uow() as s:
            procurement.add_invoice(
                s, pm, seed.p1, order_id=order["order"], number=again, day=day, amount="100"
            )
        assert e.value.field == "number" and "INV-1" in e.value.message
    with seed.db.uow() as s:
        held = procurement.add_invoice(s, pm, seed.p1, order_id=order["order"], number="INV-2", day=day,
                                       amount="900")  # fmt: skip
        assert held["status"] == "held"
        procurement.decide_invoice(s, sponsor, seed.p1, held["id"], release=False, reason="wrong amount")
    with seed.db.uow() as s:
        again = procurement.add_invoice(s, pm, seed.p1, order_id=order["order"], number="INV-2", day=day,
                                        amount="100")  # fmt: skip
    assert again["status"] == "accepted"


def test_a_quantity_is_read_as_an_amount_is_and_never_rounded(seed: Any) -> None:
    """The page's order form refused "1 000" (amounts take grouping spaces) and silently rounded 1.23456 to
    1.2346, which the API refuses; the service reads the quantity for every caller now."""
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        line = budget.create_line(s, pm, seed.p1, category="hardware", name="Cables", amount="10000",
                                  work_package_id=seed.wp_a)  # fmt: skip
        v = procurement.create_vendor(s, pm, name="Wires")
        r = procurement.create_request(s, seed.actor("task_leader"), seed.p1, budget_line_id=line["id"],
                                       title="Cables", amount="600", vendor_id=v["id"])  # fmt: skip
        procurement.decide_request(s, seed.actor("sponsor"), seed.p1, r["id"], approve=True)
    for qty, said in (("1.23456", "4 decimals"), ("1e40", "less than 1\u202f000"), ("ten", "a number")):
        with pytest.raises(ValidationError) as e, seed.db.uow() as s:
            procurement.create_order(
                s, pm, seed.p1, request_id=r["id"], lines=[{"quantity": qty, "unit_price": "1"}]
            )
        assert e.value.field == "quantity" and said in e.value.message
    with seed.db.uow() as s:
        o = procurement.create_order(s, pm, seed.p1, request_id=r["id"],
                                     lines=[{"quantity": "1 000", "unit_price": "0.50"}])  # fmt: skip
    assert o["total"] == Decimal("500.00")
