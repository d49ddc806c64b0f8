"""Amounts are shown with the currency's minor units everywhere: money columns store three decimals (for
currencies that have three), but a USD amount shows as 15480.00 on the pages, in the messages the services
build (approval rules, hold reasons, refusals) and in the CLI — never as 15480.000."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from charter.app import create_app
from charter.domain.money import fmt_money, for_display
from charter.services import accounts, budget, procurement
from webhelpers import PW, login

THREE = re.compile(r"(?<![\d.])\d+\.\d{3}(?![\d])")


def test_for_display_and_fmt_money() -> None:
    assert str(for_display(Decimal("15480.000"), "EUR")) == "15480.00"
    assert str(for_display(Decimal("1.500"), "KWD")) == "1.500"  # three minor units
    assert str(for_display(Decimal("1500.000"), "JPY")) == "1500"
    assert str(for_display(Decimal("85.1250"), "EUR")) == "85.125"  # a digit that carries a value stays
    assert fmt_money(Decimal("15480.000"), "EUR") == "15480.00 EUR"


def test_pages_and_messages_show_two_decimals(db: Any, seed: Any) -> None:
    admin, pm, tl, sponsor = (seed.actor(n) for n in ("admin", "pm", "task_leader", "sponsor"))
    p = seed.p1
    with db.uow() as s:
        for name in ("pm", "sponsor"):
            u = accounts.get_user(s, admin, seed.users[name])
            accounts.update_user(s, admin, u["id"], u["version"], password=PW)
        hw = budget.create_line(s, pm, p, category="hardware", name="Laptops", amount="20000",
                                work_package_id=seed.wp_a)["id"]  # fmt: skip
        procurement.set_rules(s, sponsor, p, 0, [{"up_to": "1000", "role_key": "project_manager"},
                                              {"up_to": None, "role_key": "sponsor"}])  # fmt: skip
        v = procurement.create_vendor(s, pm, name="Voltis")["id"]
        budget.add_expense(s, pm, p, budget_line_id=hw, day=dt.date(2020, 1, 6), amount="42.50",
                           description="Cables")  # fmt: skip
        budget.add_fixed_cost(s, pm, p, task_id=seed.tasks["a"], description="Licence", amount="300",
                              accrual="start", budget_line_id=hw)  # fmt: skip
        budget.propose_version(s, pm, p, note="first")
        r = procurement.create_request(s, tl, p, budget_line_id=hw, title="Pilot batch", amount="15480",
                                       vendor_id=v)  # fmt: skip
        procurement.decide_request(s, sponsor, p, r["id"], approve=True)
        o = procurement.create_order(
            s, pm, p, request_id=r["id"], lines=[{"unit_price": "1290", "quantity": 12}]
        )
        procurement.add_receipt(s, tl, p, o["id"], day=dt.date(2020, 1, 6))
        procurement.create_contract(s, pm, p, vendor_id=v, order_id=o["id"], title="Framework",
                                    kind="fixed_price", value="15480", start=dt.date(2020, 1, 6))  # fmt: skip
        procurement.create_request(s, tl, p, budget_line_id=hw, title="Small", amount="999.99")
    with db.uow() as s:  # read back from the database: the stored amounts have three decimals
        inv = procurement.add_invoice(s, admin, p, order_id=o["id"], number="VOL-1", day=dt.date(2020, 1, 7),
                                      amount="15660.00")  # fmt: skip
    assert inv["status"] == "held"
    assert "invoiced 15660.00 USD exceeds the 15480.00 USD received" in inv["hold_reasons"]
    with db.uow(readonly=True) as s:
        reqs = procurement.list_requests(s, pm, p)
        assert str(reqs[0]["amount"]).endswith(".000")  # stored as it was: only the display changes
    assert reqs[1]["rule"] == "project manager approves up to 1000.00 USD"  # as people read the role
    with TestClient(create_app(db), follow_redirects=False) as client:
        login(client, "pm")
        pages = [f"/projects/{p}/procurement", f"/projects/{p}/budget", f"/projects/{p}/budget/lines/{hw}",
                 f"/projects/{p}/procurement/vendors/{v}", "/me/approvals"]  # fmt: skip
        for url in pages:
            html = client.get(url)
            assert html.status_code == 200, url
            assert not THREE.findall(html.text), (url, THREE.findall(html.text))
        html = client.get(f"/projects/{p}/procurement").text
        assert "15480.00" in html and "15660.00" in html and "999.99" in html
        login(client, "sponsor")
        html = client.get("/me/approvals").text
        assert "15660.00 USD" in html and not THREE.findall(html)


def test_the_api_shows_amounts_as_entered_not_with_three_decimals(api: Any, seed: Any) -> None:
    """The JSON API too: "20000.00", not the stored "20000.000" (the same value); a digit that carries a value
    stays; the OpenAPI schema still says string."""
    pm = seed.headers("pm")
    r = api.post(f"/projects/{seed.p1}/budget/lines", headers=pm,
                 json={"category": "hardware", "name": "Laptops", "amount": "20000"})  # fmt: skip
    assert r.status_code == 201, r.text
    line = r.json()
    assert line["amount"] == "20000.00", line
    status = api.get(f"/projects/{seed.p1}/budget", headers=pm)
    assert status.status_code == 200, status.text
    assert not THREE.search(status.text), THREE.search(status.text)
    assert any(x["amount"] == "20000.00" for x in status.json()["lines"])
    stale = api.patch(f"/projects/{seed.p1}/budget/lines/{line['id']}", headers=pm,
                      json={"version": line["version"] + 5, "name": "Notebooks"})  # fmt: skip
    assert stale.status_code == 409 and stale.json()["error"]["current"]["amount"] == "20000.00", stale.text
    schema = api.get("/openapi.json").json()["components"]["schemas"]
    amount = schema["BudgetLineOut"]["properties"]["amount"]
    assert amount.get("type") == "string" or {"type": "string"} in amount.get("anyOf", []), amount


def test_thousands_are_set_apart_on_pages_but_not_in_inputs(seed: Any) -> None:
    """A page shows 325 200.00 (a narrow no-break space, read the same in every language); a form's input
    holds 325200.00, and an amount typed with spaces is taken."""
    from charter.domain.money import GROUP, grouped, parse_amount
    from webhelpers import csrf_of, signed_in

    assert grouped(Decimal("325200.00")) == f"325{GROUP}200.00"
    assert grouped(Decimal("-1250.5")) == f"-1{GROUP}250.5"
    assert grouped(Decimal("1234567")) == f"1{GROUP}234{GROUP}567"
    assert grouped(Decimal("980.00")) == "980.00" and grouped(Decimal("0")) == "0"
    assert parse_amount(f"325{GROUP}200.00", "EUR") == Decimal("325200.00")
    assert parse_amount("1 250.50", "EUR") == Decimal("1250.50")
    with seed.db.uow() as s:
        line = budget.create_line(s, seed.actor("pm"), seed.p1, category="hardware", name="Servers",
                                  amount="325200", work_package_id=seed.wp_a)  # fmt: skip
    with signed_in(seed, "pm") as c:
        page = c.get(f"/projects/{seed.p1}/budget").text
        assert f"325{GROUP}200.00" in page
        edit = re.search(
            rf'<input id="ln{line["id"]}-amount" name="amount" inputmode="decimal" value="([^"]*)"', page
        )
        assert edit is not None and edit.group(1) == "325200.00"
        # the amount as the page shows it, sent back, is the same amount
        r = c.post(f"/projects/{seed.p1}/budget/lines/{line['id']}/edit",
                   data={"csrf_token": csrf_of(page), "version": str(line["version"]), "name": "Servers",
                         "amount": f"325{GROUP}300.00", "category": "hardware"})  # fmt: skip
        assert r.status_code in (200, 303), r.text[:500]
    with seed.db.uow(readonly=True) as s:
        assert budget.get_line(s, seed.p1, line["id"]).amount == Decimal("325300.00")
