"""The vendor page and the contract page under procurement, and the upcoming-renewals list on the procurement
page: the PM sees the right data; an outsider (and another project's URL) gets 404; payloads are escaped."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.persistence.db import Database
from charter.services import accounts, budget, procurement
from charter.services.context import now
from webhelpers import PW, sign_in

XSS = '<script>alert("x")</script>'


@pytest.fixture
def world(db: Database, seed: Any, frozen_clock: Any) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    """In P1: vendor Acme (with an HTML payload in its notes) with an order, an invoice and three contracts —
    notice in 10 days, renewal in 60 days, renewal in 200 days; another vendor Beta with no business here."""
    admin, pm = seed.actor("admin"), seed.actor("pm")
    today = now().date()
    with db.uow() as s:
        for name in ("pm", "outsider"):
            u = accounts.get_user(s, admin, seed.users[name])
            accounts.update_user(s, admin, u["id"], u["version"], password=PW)
        hw = budget.create_line(s, pm, seed.p1, category="hardware", name="Servers", amount="10000",
                                work_package_id=seed.wp_a)["id"]  # fmt: skip
        acme = procurement.create_vendor(s, pm, name="Acme", rating=4, categories=["hosting"],
                                         contacts=[{"name": "Ann Smith", "email": "ann@acme.example",
                                                    "phone": "555-0101"}],
                                         notes=XSS)["id"]  # fmt: skip
        beta = procurement.create_vendor(s, pm, name="Beta")["id"]
        r = procurement.create_request(s, pm, seed.p1, budget_line_id=hw, title="Racks", amount="500",
                                       vendor_id=acme)  # fmt: skip
        procurement.decide_request(s, seed.actor("sponsor"), seed.p1, r["id"], approve=True)
        o = procurement.create_order(s, pm, seed.p1, request_id=r["id"], lines=[{"unit_price": "500"}])
        procurement.add_invoice(s, pm, seed.p1, order_id=o["id"], number="INV-77", day=today, amount="450")
        near = procurement.create_contract(s, pm, seed.p1, vendor_id=acme, title="Support " + XSS,
                                           kind="subscription", value="1200", start=today,
                                           notice_date=today + dt.timedelta(days=10),
                                           order_id=o["id"])  # fmt: skip
        mid = procurement.create_contract(s, pm, seed.p1, vendor_id=acme, title="Hosting", kind="fixed_price",
                                          value="3000", start=today, renewal_date=today + dt.timedelta(days=60))  # fmt: skip
        far = procurement.create_contract(s, pm, seed.p1, vendor_id=acme, title="Backup", kind="fixed_price",
                                          value="800", start=today, renewal_date=today + dt.timedelta(days=200))  # fmt: skip
        procurement.update_contract(s, pm, seed.p1, mid["id"], mid["version"], value="3500")
    with TestClient(create_app(db), follow_redirects=False) as client:
        yield client, {"p": seed.p1, "p2": seed.p2, "acme": acme, "beta": beta, "order": o, "near": near["id"],
                       "mid": mid["id"], "far": far["id"]}  # fmt: skip


def _no_inline_script(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script on the page"
    assert XSS not in html


def test_vendor_page_shows_contacts_contracts_orders_and_invoices(world: Any) -> None:
    client, ids = world
    sign_in(client, "pm")
    r = client.get(f"/projects/{ids['p']}/procurement/vendors/{ids['acme']}")
    assert r.status_code == 200
    html = r.text
    _no_inline_script(html)
    assert "&lt;script&gt;" in html  # the notes payload is shown, escaped
    assert "Ann Smith" in html and "ann@acme.example" in html and "555-0101" in html and "hosting" in html
    assert 'id="vendor-rating">4<' in html
    assert ids["order"]["number"] in html and "INV-77" in html and "450" in html
    assert re.search(r'data-contract="{}" class="due-soon".*?notice in 10 days \(within 30\)'.format(ids["near"]),
                     html, re.S)  # fmt: skip
    assert re.search(r'data-contract="{}" class="due-soon".*?renewal in 60 days \(within 90\)'.format(ids["mid"]),
                     html, re.S)  # fmt: skip
    assert f'<tr data-contract="{ids["far"]}">' in html  # 200 days away: not flagged
    other = client.get(f"/projects/{ids['p']}/procurement/vendors/{ids['beta']}").text
    assert "No contracts with this vendor" in other and "INV-77" not in other
    assert client.get(f"/projects/{ids['p']}/procurement/vendors/999999").status_code == 404


def test_contract_page_shows_terms_order_flags_and_history(world: Any) -> None:
    client, ids = world
    sign_in(client, "pm")
    html = client.get(f"/projects/{ids['p']}/procurement/contracts/{ids['mid']}").text
    _no_inline_script(html)
    assert "Hosting" in html and "3\u202f500" in html and f"/procurement/vendors/{ids['acme']}" in html
    assert 'data-within="90"' in html and 'id="change-link"' in html
    assert re.search(r'id="contract-history">.*update.*value.*create', html, re.S)
    near = client.get(f"/projects/{ids['p']}/procurement/contracts/{ids['near']}").text
    _no_inline_script(near)
    assert ids["order"]["number"] in near and 'data-within="30"' in near
    assert client.get(f"/projects/{ids['p']}/procurement/contracts/999999").status_code == 404


def test_procurement_page_lists_upcoming_renewals_and_links(world: Any) -> None:
    client, ids = world
    sign_in(client, "pm")
    html = client.get(f"/projects/{ids['p']}/procurement").text
    _no_inline_script(html)
    m = re.search(r'<section aria-labelledby="upcoming-h" id="upcoming-renewals">(.*?)</section>', html, re.S)
    assert m
    block = m.group(1)
    assert block.index(f'data-contract="{ids["near"]}"') < block.index(f'data-contract="{ids["mid"]}"')
    assert f'data-contract="{ids["far"]}"' not in block
    assert f'href="/projects/{ids["p"]}/procurement/vendors/{ids["acme"]}"' in html
    assert f'href="/projects/{ids["p"]}/procurement/contracts/{ids["far"]}"' in html


def test_outsider_and_other_project_get_404(world: Any) -> None:
    client, ids = world
    sign_in(client, "outsider")
    for path in (f"/procurement/vendors/{ids['acme']}", f"/procurement/contracts/{ids['near']}"):
        r = client.get(f"/projects/{ids['p']}{path}")
        assert r.status_code == 404 and "Ann Smith" not in r.text and "Support" not in r.text
    # the outsider's own project does not show P1's contract, nor P1's orders/invoices on the vendor page
    assert client.get(f"/projects/{ids['p2']}/procurement/contracts/{ids['near']}").status_code == 404
    own = client.get(f"/projects/{ids['p2']}/procurement/vendors/{ids['acme']}")
    assert own.status_code == 200 and "INV-77" not in own.text and "Hosting" not in own.text
    sign_in(client, "pm")
    assert client.get(f"/projects/{ids['p2']}/procurement/vendors/{ids['acme']}").status_code == 404
