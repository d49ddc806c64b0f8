"""The budget and procurement pages over HTTP, on the seeded world: the PM sees the budget (lines, EVM
figures, S-curve) and the procurement pipeline; the S-curve exports as SVG; a Task Leader raises a request
for their own package's line through the form and the PM approves it through the form; every form needs
the CSRF token; a stakeholder is refused as the services decide."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.persistence.db import Database
from charter.services import accounts, budget, journal, procurement
from charter.services.context import now
from webhelpers import PW, login


@pytest.fixture
def web(db: Database, seed: Any) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    """The seeded P1 with a WP-A hardware line (led by task_leader), a WP-B line, and passwords to log in."""
    admin = seed.actor("admin")
    with db.uow() as s:
        for name in ("pm", "task_leader", "sponsor", "stakeholder"):
            u = accounts.get_user(s, admin, seed.users[name])
            accounts.update_user(s, admin, u["id"], u["version"], password=PW)
        hw = budget.create_line(s, seed.actor("pm"), seed.p1, category="hardware", name="Servers",
                                amount="10000", work_package_id=seed.wp_a)["id"]  # fmt: skip
        sw = budget.create_line(s, seed.actor("pm"), seed.p1, category="software_licences", name="Licences",
                                amount="5000", work_package_id=seed.wp_b)["id"]  # fmt: skip
        procurement.set_rules(s, seed.actor("sponsor"), seed.p1, 0, [
            {"up_to": "1000.00", "role_key": "project_manager"}, {"up_to": None, "role_key": "sponsor"}])  # fmt: skip
    with TestClient(create_app(db), follow_redirects=False) as client:
        yield client, {"p": seed.p1, "hw": hw, "sw": sw}


def test_pages_render_for_the_pm(web) -> None:
    client, ids = web
    login(client, "pm")
    p = ids["p"]
    r = client.get(f"/projects/{p}/budget")
    assert r.status_code == 200, r.text
    html = r.text
    assert 'id="budget-table"' in html and "Servers" in html and "Licences" in html
    for fig in ("SPI = EV / PV", "CPI = EV / AC", "EAC = BAC / CPI", "TCPI", "VAC"):
        assert fig in html
    assert 'id="evm-status"' in html and "<svg" in html and 'class="series pv"' in html
    assert "style=" not in html and "<script>" not in html
    assert client.get(f"/projects/{p}/budget?as_of=2030-03-31").status_code == 200
    r = client.get(f"/projects/{p}/procurement")
    assert r.status_code == 200, r.text
    assert 'id="request-form"' in r.text and "Project manager up to 1\u202f000.00" in r.text
    csv = client.get(f"/projects/{p}/budget/export?format=csv")
    assert csv.status_code == 200 and "Servers" in csv.content.decode("utf-8-sig")


def test_s_curve_exports_as_svg(web) -> None:
    client, ids = web
    login(client, "pm")
    r = client.get(f"/projects/{ids['p']}/budget/s-curve.svg")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.text.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in r.text
    root = ElementTree.fromstring(r.text)  # well-formed, standalone
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.findall(".//{http://www.w3.org/2000/svg}polyline")


def test_task_leader_raises_and_pm_approves_through_the_forms(web) -> None:
    client, ids = web
    p = ids["p"]
    token = login(client, "task-leader")
    page = client.get(f"/projects/{p}/procurement")
    assert page.status_code == 200 and "Servers" in page.text and "Licences" not in page.text
    # another package's line is refused by the service
    r = client.post(f"/projects/{p}/procurement/requests", data={
        "csrf_token": token, "budget_line_id": ids["sw"], "title": "Licences", "amount": "100"})  # fmt: skip
    assert r.status_code in (403, 404)
    # a bad amount re-renders the form with the message and the input kept
    r = client.post(f"/projects/{p}/procurement/requests", data={
        "csrf_token": token, "budget_line_id": ids["hw"], "title": "Rack servers", "amount": "lots"})  # fmt: skip
    assert r.status_code == 422 and 'id="request-error"' in r.text and 'value="Rack servers"' in r.text
    r = client.post(f"/projects/{p}/procurement/requests", data={
        "csrf_token": token, "budget_line_id": ids["hw"], "title": "Rack servers", "amount": "800"})  # fmt: skip
    assert r.status_code == 303, r.text
    html = client.get(f"/projects/{p}/procurement").text
    rid = int(re.search(r'data-request="(\d+)"', html).group(1))  # type: ignore[union-attr]
    assert f"/requests/{rid}/decide" not in html  # not the approver: no form
    r = client.get(f"/projects/{p}/budget")  # their package's lines, without the project-wide figures
    assert (
        r.status_code == 200 and "Servers" in r.text and "Licences" not in r.text and 'id="evm"' not in r.text
    )
    token = login(client, "pm")
    html = client.get(f"/projects/{p}/procurement").text
    assert f"/procurement/requests/{rid}/decide" in html
    r = client.post(f"/projects/{p}/procurement/requests/{rid}/decide",
                    data={"csrf_token": token, "decision": "approve"})  # fmt: skip
    assert r.status_code == 303, r.text
    html = client.get(f"/projects/{p}/procurement").text
    assert "rstatus-approved" in html and f"/requests/{rid}/decide" not in html


def test_budget_forms_and_versions(web) -> None:
    client, ids = web
    p = ids["p"]
    token = login(client, "pm")
    r = client.post(f"/projects/{p}/budget/lines", data={
        "csrf_token": token, "name": "Cloud", "category": "cloud_services", "amount": "-5"})  # fmt: skip
    assert r.status_code == 422 and 'id="line-error"' in r.text and 'value="Cloud"' in r.text
    r = client.post(f"/projects/{p}/budget/lines", data={
        "csrf_token": token, "name": "Cloud", "category": "cloud_services", "amount": "750"})  # fmt: skip
    assert r.status_code == 303 and "Cloud" in client.get(f"/projects/{p}/budget").text
    r = client.post(f"/projects/{p}/budget/versions", data={"csrf_token": token, "note": "first"})
    assert r.status_code == 303, r.text
    assert "/budget/versions/1/decide" not in client.get(f"/projects/{p}/budget").text
    r = client.post(
        f"/projects/{p}/budget/versions/1/decide", data={"csrf_token": token, "decision": "approve"}
    )
    assert r.status_code == 403  # the PM does not approve budgets: the service refuses
    token = login(client, "sponsor")
    assert "/budget/versions/1/decide" in client.get(f"/projects/{p}/budget").text
    r = client.post(
        f"/projects/{p}/budget/versions/1/decide", data={"csrf_token": token, "decision": "approve"}
    )
    assert r.status_code == 303, r.text
    assert "vstatus-approved" in client.get(f"/projects/{p}/budget").text


@pytest.mark.parametrize(
    "path",
    ["/budget/lines", "/budget/versions", "/budget/versions/1/decide", "/procurement/requests",
     "/procurement/requests/1/decide", "/procurement/orders/1/receipts", "/procurement/invoices"],
)  # fmt: skip
def test_forms_refuse_a_missing_or_forged_csrf_token(web, path: str) -> None:
    client, ids = web
    login(client, "pm")
    for token in (None, "forged"):
        data = {
            "name": "x",
            "category": "travel",
            "amount": "1",
            "budget_line_id": str(ids["hw"]),
            "title": "x",
        }
        r = client.post(f"/projects/{ids['p']}{path}", data=data | ({"csrf_token": token} if token else {}))
        assert r.status_code == 403, (path, token, r.status_code)
    assert "x" not in [ln["name"] for ln in _lines(web)]


def _lines(web: Any) -> list[dict[str, Any]]:
    client, ids = web
    token = login(client, "pm")
    assert token
    html = client.get(f"/projects/{ids['p']}/budget").text
    return [
        {"name": n}
        for n in re.findall(r'<tr data-line="\d+"[^>]*>\s*<th scope="row"><a [^>]*>([^<]*)</a></th>', html)
    ]


def test_stakeholder_is_refused_as_the_services_decide(web) -> None:
    client, ids = web
    login(client, "stakeholder")
    p = ids["p"]
    for url in (f"/projects/{p}/budget", f"/projects/{p}/procurement", f"/projects/{p}/budget/s-curve.svg",
                f"/projects/{p}/budget/export?format=csv"):  # fmt: skip
        assert client.get(url).status_code in (403, 404), url


def test_receipts_invoices_and_contracts_through_the_page(web, db: Database, seed: Any) -> None:
    """An approved request ordered (through the service); the PM records a receipt and registers invoices
    through the forms: one that matches, one above the order that is held and highlighted; a contract whose
    notice date is near is flagged."""
    client, ids = web
    p, pm = ids["p"], seed.actor("pm")
    today = now().date()
    with db.uow() as s:
        v = procurement.create_vendor(s, pm, name="Acme")["id"]
        r = procurement.create_request(
            s,
            seed.actor("task_leader"),
            p,
            budget_line_id=ids["hw"],
            title="Racks",
            amount="500",
            vendor_id=v,
        )
        procurement.decide_request(s, pm, p, r["id"], approve=True)
        o = procurement.create_order(s, pm, p, request_id=r["id"], lines=[{"unit_price": "500"}],
                                     expected_delivery=today + dt.timedelta(days=10))  # fmt: skip
        procurement.create_contract(s, pm, p, vendor_id=v, title="Support", kind="subscription", value="1200",
                                    start=today, notice_date=today + dt.timedelta(days=30))  # fmt: skip
    token = login(client, "pm")
    html = client.get(f"/projects/{p}/procurement").text
    assert o["number"] in html and "Acme" in html and 'class="due-soon"' in html
    url = f"/projects/{p}/procurement/orders/{o['id']}/receipts"
    r2 = client.post(url, data={"csrf_token": token, "day": "not a day", "note": "dock 3"})
    assert (
        r2.status_code == 422
        and 'id="receipt-{}-error"'.format(o["id"]) in r2.text
        and 'value="dock 3"' in r2.text
    )
    assert client.post(url, data={"csrf_token": token, "day": today.isoformat()}).status_code == 303
    inv = f"/projects/{p}/procurement/invoices"
    ok = {"csrf_token": token, "order_id": str(o["id"]), "day": today.isoformat()}
    assert client.post(inv, data=ok | {"number": "INV-1", "amount": "500"}).status_code == 303
    assert client.post(inv, data=ok | {"number": "INV-2", "amount": "900"}).status_code == 303
    html = client.get(f"/projects/{p}/procurement").text
    assert "istatus-accepted" in html and re.search(
        r'<tr data-invoice="\d+" id="invoice-\d+" class="held">\s*<th scope="row">INV-2', html
    )


# --- receipts, orders, held invoices, contracts, approvals waiting for me, the PNG S-curve ---------------

PDF = b"%PDF-1.4\n%%EOF\n"


def test_an_expense_with_its_receipt_through_the_form(web: Any, db: Database, seed: Any) -> None:
    client, ids = web
    p = ids["p"]
    token = login(client, "pm")
    url = f"/projects/{p}/budget/expenses"
    form = {"csrf_token": token, "budget_line_id": str(ids["hw"]), "day": "2026-01-08", "amount": "42.50",
            "description": "Cables"}  # fmt: skip
    bad = client.post(
        url, data=form, files={"receipt": ("cables.pdf", b"<svg onload=alert(1)>", "application/pdf")}
    )
    assert bad.status_code == 422 and 'id="expense-error"' in bad.text and "only JPG, PDF, PNG" in bad.text
    assert 'value="Cables"' in bad.text and 'value="42.50"' in bad.text  # what was typed comes back
    with db.uow(readonly=True) as s:
        assert budget.list_expenses(s, seed.actor("pm"), p) == []
    r = client.post(url, data=form, files={"receipt": ("cables.pdf", PDF, "application/pdf")})
    assert r.status_code == 303 and r.headers["location"].endswith("#expenses")
    # without a receipt, then one attached afterwards
    assert client.post(url, data={**form, "description": "Taxi"}).status_code == 303
    with db.uow(readonly=True) as s:
        ex = {e["description"]: e for e in budget.list_expenses(s, seed.actor("pm"), p)}
    assert [x["filename"] for x in ex["Cables"]["receipts"]] == ["cables.pdf"] and ex["Taxi"][
        "receipts"
    ] == []
    attach = f"/projects/{p}/budget/expenses/{ex['Taxi']['id']}/receipts"
    none = client.post(attach, data={"csrf_token": token})
    assert none.status_code == 422 and f'id="receipt-{ex["Taxi"]["id"]}-error"' in none.text
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    assert (
        client.post(
            attach, data={"csrf_token": token}, files={"receipt": ("t.png", png, "image/png")}
        ).status_code
        == 303
    )
    html = client.get(f"/projects/{p}/budget").text
    link = re.search(
        rf'href="(/projects/{p}/budget/expenses/{ex["Cables"]["id"]}/receipts/\d+)" class="receipt"', html
    )
    assert link and "t.png" in html
    got = client.get(link.group(1))
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    # a receipt attached by mistake is removed from the page (journaled); another expense's id is a 404
    receipt_id = link.group(1).rsplit("/", 1)[1]
    remove = f"{link.group(1)}/delete"
    assert f'action="{remove}"' in html and 'aria-label="Remove the receipt cables.pdf"' in html
    wrong = f"/projects/{p}/budget/expenses/{ex['Taxi']['id']}/receipts/{receipt_id}/delete"
    assert client.post(wrong, data={"csrf_token": token}).status_code == 404
    assert client.post(remove, data={}).status_code == 403  # no CSRF token
    assert client.post(remove, data={"csrf_token": token}).status_code == 303
    assert client.get(link.group(1)).status_code == 404
    with db.uow(readonly=True) as s:
        kept = {e["description"]: e for e in budget.list_expenses(s, seed.actor("pm"), p)}
        gone = journal.entries(s, project_id=p, entity_type="expense_receipt", entity_id=receipt_id)
    assert kept["Cables"]["receipts"] == [] and [x["filename"] for x in kept["Taxi"]["receipts"]] == ["t.png"]
    assert [e["action"] for e in gone] == ["delete", "create"]  # newest first
    # a stakeholder reads no budget: refused as the service decides
    login(client, "stakeholder")
    assert client.get(link.group(1)).status_code == 403
    assert "Remove the receipt" not in client.get(f"/projects/{p}/budget").text


def test_order_invoice_release_and_contracts_through_the_forms(web: Any, db: Database, seed: Any) -> None:
    client, ids = web
    p, pm = ids["p"], seed.actor("pm")
    today = now().date()
    with db.uow() as s:
        v = procurement.create_vendor(s, pm, name="Acme")["id"]
        r = procurement.create_request(
            s,
            seed.actor("task_leader"),
            p,
            budget_line_id=ids["hw"],
            title="Racks",
            amount="500",
            vendor_id=v,
        )
        procurement.decide_request(s, pm, p, r["id"], approve=True)
    token = login(client, "pm")
    page = client.get(f"/projects/{p}/procurement").text
    assert f'id="order-form-{r["id"]}"' in page
    url = f"/projects/{p}/procurement/orders"
    base = {"csrf_token": token, "request_id": str(r["id"]), "vendor_id": str(v), "quantity": "2"}
    for bad in ("NaN", "Infinity", "-2", "1e15"):  # refused beside the form (a NaN compared used to be a 500)
        r_bad = client.post(url, data={**base, "quantity": bad, "unit_price": "1"})
        assert r_bad.status_code == 422 and "quantity must be" in r_bad.text, (bad, r_bad.text[-300:])
    over = client.post(url, data={**base, "unit_price": "300"})
    assert over.status_code == 422 and "exceeds the approved" in over.text and 'value="300"' in over.text
    assert (
        client.post(
            url, data={**base, "unit_price": "250", "expected_delivery": today.isoformat()}
        ).status_code
        == 303
    )
    (o,) = _orders(db, pm, p)
    assert o["total"] == o["committed"] == Decimal("500")
    # an invoice (registered by someone else: no one releases an invoice they registered) before any
    # receipt is held; the PM releases it with a reason
    with db.uow() as s:
        inv = procurement.add_invoice(s, seed.actor("admin"), p, order_id=o["id"], number="INV-1", day=today,
                                      amount="500")  # fmt: skip
    assert inv["status"] == "held"
    decide = f"/projects/{p}/procurement/invoices/{inv['id']}/decide"
    no_reason = client.post(decide, data={"csrf_token": token, "decision": "release", "reason": " "})
    assert no_reason.status_code == 422 and f'id="invoice-{inv["id"]}-error"' in no_reason.text
    assert (
        client.post(
            decide, data={"csrf_token": token, "decision": "release", "reason": "paid on delivery"}
        ).status_code
        == 303
    )
    assert "istatus-released" in client.get(f"/projects/{p}/procurement").text
    # contracts: add (bad dates re-render), change terms (a stale version is refused), close
    curl = f"/projects/{p}/procurement/contracts"
    c = {"csrf_token": token, "vendor_id": str(v), "title": "Support", "kind": "subscription", "value": "1200",
         "start": today.isoformat(), "end": (today + dt.timedelta(days=365)).isoformat()}  # fmt: skip
    bad = client.post(curl, data={**c, "end": (today - dt.timedelta(days=1)).isoformat()})
    assert bad.status_code == 422 and "ends before it starts" in bad.text and 'value="Support"' in bad.text
    assert client.post(curl, data=c).status_code == 303
    (k,) = _contracts(db, pm, p)
    edit = {
        **c,
        "version": str(k["version"]),
        "value": "1500",
        "notice_date": (today + dt.timedelta(days=20)).isoformat(),
    }
    assert client.post(f"{curl}/{k['id']}", data=edit).status_code == 303
    stale = client.post(f"{curl}/{k['id']}", data={**edit, "value": "9"})
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    (k,) = _contracts(db, pm, p)
    assert str(k["value"]).startswith("1500") and k["notice_date"] == today + dt.timedelta(days=20)
    closed = client.post(f"{curl}/{k['id']}/close", data={"csrf_token": token, "version": str(k["version"]),
                                                          "reason": "moved in-house"})  # fmt: skip
    assert closed.status_code == 303
    html = client.get(f"/projects/{p}/procurement").text
    assert f"closed {today}" in html and "moved in-house" in html


def _orders(db: Database, actor: Any, p: int) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return procurement.list_orders(s, actor, p)


def _contracts(db: Database, actor: Any, p: int) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return procurement.list_contracts(s, actor, p)


def test_approvals_waiting_for_me_page(web: Any, db: Database, seed: Any) -> None:
    client, ids = web
    p = ids["p"]
    with db.uow() as s:
        r = procurement.create_request(s, seed.actor("task_leader"), p, budget_line_id=ids["hw"], title="SAN",
                                       amount="4000")  # fmt: skip
        budget.propose_version(s, seed.actor("pm"), p, note="first")
    token = login(client, "sponsor")
    page = client.get("/me/approvals").text
    assert f'<tr data-request="{r["id"]}">' in page and "SAN" in page and 'data-version="P1-1"' in page
    assert "Nothing waits for your approval" not in page
    res = client.post(f"/projects/{p}/procurement/requests/{r['id']}/decide",
                      data={"csrf_token": token, "decision": "approve", "back": "approvals"})  # fmt: skip
    assert res.status_code == 303 and res.headers["location"] == "/me/approvals#purchase-requests"
    page = client.get("/me/approvals").text
    assert f'<tr data-request="{r["id"]}">' not in page
    login(client, "pm")
    assert "Nothing waits for your approval" in client.get("/me/approvals").text


def test_s_curve_downloads_as_png(web: Any) -> None:
    client, ids = web
    login(client, "pm")
    html = client.get(f"/projects/{ids['p']}/budget").text
    assert 'id="export-png"' in html
    r = client.get(f"/projects/{ids['p']}/budget/s-curve.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG") and "attachment" in r.headers["content-disposition"]


def test_line_drill_down_page(web: Any, db: Database, seed: Any) -> None:
    client, ids = web
    p, pm = ids["p"], seed.actor("pm")
    with db.uow() as s:
        budget.add_expense(s, pm, p, budget_line_id=ids["hw"], day=dt.date(2026, 1, 8), amount="75",
                           description="Rack screws")  # fmt: skip
    login(client, "pm")
    html = client.get(f"/projects/{p}/budget").text
    assert f'href="/projects/{p}/budget/lines/{ids["hw"]}" class="drill"' in html
    page = client.get(f"/projects/{p}/budget/lines/{ids['hw']}")
    assert page.status_code == 200 and "Rack screws" in page.text and 'id="line-figures"' in page.text
    login(client, "stakeholder")
    assert client.get(f"/projects/{p}/budget/lines/{ids['hw']}").status_code == 403


def test_vendors_rules_and_order_status_through_the_forms(web: Any, db: Database, seed: Any) -> None:
    client, ids = web
    p = ids["p"]
    token = login(client, "pm")
    url = f"/projects/{p}/procurement/vendors"
    bad = client.post(url, data={"csrf_token": token, "name": "Initech", "rating": "9", "notes": "slow"})
    assert bad.status_code == 422 and 'id="vendor-error"' in bad.text and 'value="slow"' in bad.text
    new = {"csrf_token": token, "name": "Initech", "rating": "4", "categories": "hardware, cloud",
           "contact_name": "Bill", "contact_email": "bill@initech.test"}  # fmt: skip
    assert client.post(url, data=new).status_code == 303
    dup = client.post(url, data=new)
    assert dup.status_code == 409 and "exists" in dup.text
    with db.uow(readonly=True) as s:
        (v,) = procurement.list_vendors(s, seed.actor("pm"))
    assert v["categories"] == ["hardware", "cloud"] and v["contacts"][0]["email"] == "bill@initech.test"
    edit = {"csrf_token": token, "version": str(v["version"]), "name": "Initech Ltd", "rating": "2"}
    assert client.post(f"{url}/{v['id']}", data=edit).status_code == 303
    assert client.post(f"{url}/{v['id']}", data=edit).status_code == 409  # stale
    with db.uow(readonly=True) as s:
        (v,) = procurement.list_vendors(s, seed.actor("pm"))
    assert (v["name"], v["rating"], v["contacts"][0]["name"]) == ("Initech Ltd", 2, "Bill")
    # the approval rules are the Sponsor's to set; the PM is refused
    rules = {
        "csrf_token": token,
        "version": "1",
        "up_to_0": "500",
        "role_0": "project_manager",
        "role_1": "sponsor",
    }
    assert client.post(f"/projects/{p}/procurement/rules", data=rules).status_code == 403
    token = login(client, "sponsor")
    half = client.post(f"/projects/{p}/procurement/rules", data={"csrf_token": token, "up_to_0": "500"})
    assert half.status_code == 422 and "choose who approves" in half.text
    assert (
        client.post(f"/projects/{p}/procurement/rules", data={**rules, "csrf_token": token}).status_code
        == 303
    )
    with db.uow(readonly=True) as s:
        got = procurement.get_rules(s, seed.actor("pm"), p)["rules"]
    assert [(r["up_to"], r["role_key"]) for r in got] == [
        (Decimal("500.00"), "project_manager"),
        (None, "sponsor"),
    ]
    # an open order is cancelled through the form: its commitment is released
    pm = seed.actor("pm")
    with db.uow() as s:
        r = procurement.create_request(
            s,
            seed.actor("task_leader"),
            p,
            budget_line_id=ids["hw"],
            title="Racks",
            amount="300",
            vendor_id=v["id"],
        )
        procurement.decide_request(s, pm, p, r["id"], approve=True)
        o = procurement.create_order(s, pm, p, request_id=r["id"], lines=[{"unit_price": "300"}])
    token = login(client, "pm")
    surl = f"/projects/{p}/procurement/orders/{o['id']}/status"
    assert (
        client.post(
            surl, data={"csrf_token": token, "version": str(o["version"]), "status": "cancelled"}
        ).status_code
        == 303
    )
    again = client.post(
        surl, data={"csrf_token": token, "version": str(o["version"] + 1), "status": "closed"}
    )
    assert again.status_code == 409 and f'id="status-{o["id"]}-error"' in again.text
    with db.uow(readonly=True) as s:
        line = budget.get_line_dict(s, pm, p, ids["hw"])
    assert Decimal(line["committed"]) == 0


def test_line_edit_delete_version_withdraw_snapshot_and_plan(web: Any, db: Database, seed: Any) -> None:
    from sqlalchemy import select

    from charter.persistence.models import EvmSnapshot

    client, ids = web
    p, pm = ids["p"], seed.actor("pm")
    token = login(client, "pm")
    with db.uow(readonly=True) as s:
        sw = budget.get_line_dict(s, pm, p, ids["sw"])
    edit = f"/projects/{p}/budget/lines/{ids['sw']}/edit"
    form = {"csrf_token": token, "version": str(sw["version"]), "name": "Licences 2030", "amount": "5500.00"}
    bad = client.post(edit, data={**form, "amount": "-3"})
    assert bad.status_code == 422 and f'id="line-{ids["sw"]}-error"' in bad.text and 'value="-3"' in bad.text
    assert client.post(edit, data={**form, "action": "save"}).status_code == 303
    assert client.post(edit, data={**form, "action": "save"}).status_code == 409  # stale version
    with db.uow() as s:
        sw = budget.get_line_dict(s, pm, p, ids["sw"])
        assert (sw["name"], Decimal(sw["amount"])) == ("Licences 2030", Decimal("5500"))
        budget.add_expense(s, pm, p, budget_line_id=ids["hw"], day=dt.date(2026, 1, 8), amount="5",
                           description="Screws")  # fmt: skip
        hw = budget.get_line_dict(s, pm, p, ids["hw"])
    held = client.post(f"/projects/{p}/budget/lines/{ids['hw']}/edit",
                       data={"csrf_token": token, "version": str(hw["version"]), "action": "delete"})  # fmt: skip
    assert held.status_code == 409 and "has commitments or actuals" in held.text
    gone = client.post(edit, data={"csrf_token": token, "version": str(sw["version"]), "action": "delete"})
    assert gone.status_code == 303
    # propose, then withdraw a version
    assert (
        client.post(f"/projects/{p}/budget/versions", data={"csrf_token": token, "note": "v1"}).status_code
        == 303
    )
    assert (
        client.post(f"/projects/{p}/budget/versions/1/withdraw", data={"csrf_token": token}).status_code
        == 303
    )
    with db.uow(readonly=True) as s:
        assert [v["status"] for v in budget.list_versions(s, pm, p)] == ["withdrawn"]
    # save the EV figures as a trend point at a status date
    r = client.post(f"/projects/{p}/budget/snapshots", data={"csrf_token": token, "as_of": "2030-01-31"})
    assert r.status_code == 303 and "as_of=2030-01-31" in r.headers["location"]
    with db.uow(readonly=True) as s:
        assert [x.as_of for x in s.scalars(select(EvmSnapshot))] == [dt.date(2030, 1, 31)]
    html = client.get(f"/projects/{p}/budget").text
    from charter.services import evm

    with db.uow(readonly=True) as s:
        months = evm.plan(s, pm, p)["months"]
    assert months, "the seeded tasks are scheduled, so the plan has months"
    assert 'id="plan-table"' in html and f'<th scope="row">{months[0]["month"]}</th>' in html


def test_a_budget_version_decided_twice_says_why(web, seed) -> None:
    """Approving a version from a stale tab (decided meanwhile) answered 409 with no message: the refusal
    belonged to the version's form, which a decided version no longer shows. It is at the top now."""
    client, ids = web
    p = ids["p"]
    with seed.db.uow() as s:
        budget.propose_version(s, seed.actor("pm"), p, note="first cut")
    token = login(client, "sponsor")
    url = f"/projects/{p}/budget/versions/1/decide"
    assert client.post(url, data={"csrf_token": token, "decision": "approve"}).status_code == 303
    again = client.post(url, data={"csrf_token": token, "decision": "reject", "reason": "no"})
    assert again.status_code == 409 and 'id="page-error"' in again.text and "approved" in again.text
