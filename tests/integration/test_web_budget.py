"""The budget and procurement pages over HTTP, on the seeded world: the PM sees the budget (lines, EVM
figures, S-curve) and the procurement pipeline; the S-curve exports as SVG; a Task Leader raises a request
for their own package's line through the form and the PM approves it through the form; every form needs
the CSRF token; a stakeholder is refused as the services decide."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.persistence.db import Database
from charter.services import accounts, budget, procurement
from charter.services.context import now

PW = "budget-web-test-password"


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
        procurement.set_rules(s, seed.actor("sponsor"), seed.p1, [
            {"up_to": "1000.00", "role_key": "project_manager"}, {"up_to": None, "role_key": "sponsor"}])  # fmt: skip
    with TestClient(create_app(db), follow_redirects=False) as client:
        yield client, {"p": seed.p1, "hw": hw, "sw": sw}


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def login(client: TestClient, name: str) -> str:
    client.cookies.clear()
    page = client.get("/login")
    r = client.post("/login", data={"username": name.replace("_", "-"), "password": PW,
                                    "csrf_token": csrf_of(page.text), "next": "/projects"})  # fmt: skip
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/projects").text)


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
    assert 'id="request-form"' in r.text and "Project manager up to 1000.00" in r.text
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
    token = login(client, "task_leader")
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
        {"name": n} for n in re.findall(r'<tr data-line="\d+"[^>]*>\s*<th scope="row">([^<]*)</th>', html)
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
            s, pm, p, budget_line_id=ids["hw"], title="Racks", amount="500", vendor_id=v
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
        r'<tr data-invoice="\d+" class="held">\s*<th scope="row">INV-2', html
    )
