"""Budgeting and procurement through the JSON API: lines and versions, approval rules by amount, a purchase
order from request to invoice moving money from committed to actual, three-way matching, refusals that name
the field, earned value and exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content and r.headers.get("content-type", "").startswith("application/json") else r


def err(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    e = r.json()["error"]
    if field is not None:
        assert e["field"] == field, e
    return e


@pytest.fixture
def b(api: Any, seed: Any, as_: Any) -> dict[str, Any]:
    """P1 with a WP-A hardware line (10 000 USD), a WP-B software line (5 000) and the rules: the PM approves
    up to 1 000, the Sponsor any amount; one vendor."""
    p = seed.p1
    hw = ok(api.post(f"/projects/{p}/budget/lines", headers=as_("pm"), json={
        "category": "hardware", "name": "Servers", "amount": "10000.00", "work_package_id": seed.wp_a}), 201)  # fmt: skip
    sw = ok(api.post(f"/projects/{p}/budget/lines", headers=as_("pm"), json={
        "category": "software_licences", "name": "Licences", "amount": "5000", "work_package_id": seed.wp_b}), 201)  # fmt: skip
    ok(api.put(f"/projects/{p}/approval-rules", headers=as_("sponsor"), json={"version": 0, "rules": [
        {"up_to": "1000.00", "role_key": "project_manager"}, {"up_to": None, "role_key": "sponsor"}]}))  # fmt: skip
    v = ok(
        api.post(
            "/vendors", headers=as_("pm"), json={"name": "Acme", "rating": 4, "categories": ["hardware"]}
        ),
        201,
    )
    return {"p": p, "hw": hw["id"], "sw": sw["id"], "vendor": v["id"]}


def line(api: Any, b: dict[str, Any], h: dict[str, str], line_id: int) -> dict[str, Any]:
    lines = ok(api.get(f"/projects/{b['p']}/budget/lines", headers=h))
    return next(x for x in lines if x["id"] == line_id)


def request(api: Any, b: dict[str, Any], who: dict[str, str], amount: str, line_id: int | None = None) -> Any:
    return api.post(f"/projects/{b['p']}/purchase-requests", headers=who, json={
        "budget_line_id": line_id or b["hw"], "title": "Rack servers", "amount": amount, "vendor_id": b["vendor"]})  # fmt: skip


def test_purchase_order_from_request_to_invoice_moves_commitment_to_actual(
    api: Any, b: Any, as_: Any
) -> None:
    p, pm = b["p"], as_("pm")
    r = ok(request(api, b, as_("task_leader"), "800.00"), 201)
    assert r["approver_role"] == "project_manager" and r["warnings"] == [] and r["status"] == "submitted"
    ok(api.post(f"/projects/{p}/purchase-requests/{r['id']}/approve", headers=pm, json={}))
    order = ok(api.post(f"/projects/{p}/purchase-orders", headers=pm, json={
        "request_id": r["id"], "lines": [{"description": "1U server", "quantity": 2, "unit_price": "400.00"}],
        "expected_delivery": "2030-02-01"}), 201)  # fmt: skip
    assert order["number"] == "PO-P1-0001" and Decimal(order["total"]) == Decimal("800.00")
    col = line(api, b, pm, b["hw"])
    assert (Decimal(col["committed"]), Decimal(col["actual"])) == (Decimal("800"), Decimal("0"))
    assert Decimal(col["remaining"]) == Decimal("9200.00")
    # an invoice before anything is received is held: still committed, not actual
    inv = ok(api.post(f"/projects/{p}/invoices", headers=pm, json={
        "order_id": order["id"], "number": "INV-1", "day": "2026-01-20", "amount": "800.00"}), 201)  # fmt: skip
    assert inv["status"] == "held" and "received" in inv["hold_reasons"][0]
    col = line(api, b, pm, b["hw"])
    assert Decimal(col["committed"]) == Decimal("800") and Decimal(col["actual"]) == 0
    assert Decimal(col["held"]) == Decimal("800")
    # the Task Leader of WP-A records the delivery: the held invoice matches now
    o = ok(api.post(f"/projects/{p}/purchase-orders/{order['id']}/receipts", headers=as_("task_leader"),
                    json={"day": "2026-01-25"}), 201)  # fmt: skip
    assert o["status"] == "received" and Decimal(o["received"]) == Decimal("800")
    invs = ok(api.get(f"/projects/{p}/invoices", headers=pm))
    assert invs[0]["status"] == "accepted" and invs[0]["hold_reasons"] == []
    col = line(api, b, pm, b["hw"])
    assert Decimal(col["committed"]) == 0 and Decimal(col["actual"]) == Decimal("800.00")
    assert Decimal(col["actual_invoices"]) == Decimal("800.00") and Decimal(col["remaining"]) == Decimal(
        "9200"
    )
    # po list
    orders = ok(api.get(f"/projects/{p}/purchase-orders", headers=as_("sponsor")))
    assert [x["committed"] for x in orders] == ["0.000"] or Decimal(orders[0]["committed"]) == 0


def test_approval_rules_by_amount_and_the_wrong_approver_is_refused_with_the_rule(
    api: Any, b: Any, as_: Any
) -> None:
    p = b["p"]
    small = ok(request(api, b, as_("task_leader"), "1000.00"), 201)
    assert small["approver_role"] == "project_manager"
    e = err(api.post(f"/projects/{p}/purchase-requests/{small['id']}/approve", headers=as_("sponsor"), json={}), 403,
            "approver_role")  # fmt: skip
    assert "project manager" in e["message"] and "up to 1000.00" in e["message"]
    ok(api.post(f"/projects/{p}/purchase-requests/{small['id']}/approve", headers=as_("pm"), json={}))
    big = ok(request(api, b, as_("pm"), "1000.01"), 201)
    assert big["approver_role"] == "sponsor"
    err(api.post(f"/projects/{p}/purchase-requests/{big['id']}/approve", headers=as_("pm"), json={}), 403)
    err(api.post(f"/projects/{p}/purchase-requests/{big['id']}/approve", headers=as_("admin"), json={}), 403)
    err(
        api.post(f"/projects/{p}/purchase-requests/{big['id']}/reject", headers=as_("sponsor"), json={}),
        422,
        "reason",
    )
    done = ok(api.post(f"/projects/{p}/purchase-requests/{big['id']}/reject", headers=as_("sponsor"),
                       json={"reason": "buy second-hand"}))  # fmt: skip
    assert done["status"] == "rejected" and done["reason"] == "buy second-hand"
    journal = ok(
        api.get(f"/projects/{p}/journal", headers=as_("pm"), params={"entity_type": "purchase_request"})
    )
    causes = [j["cause"] or "" for j in (journal if isinstance(journal, list) else journal["items"])]
    assert any("rejected under rule" in c and "buy second-hand" in c for c in causes)


def test_a_request_over_the_remaining_budget_warns_and_needs_the_sponsor(api: Any, b: Any, as_: Any) -> None:
    r = ok(request(api, b, as_("task_leader"), "500.00"), 201)  # the PM's range...
    assert r["approver_role"] == "project_manager"
    over = ok(request(api, b, as_("task_leader"), "10000.01"), 201)  # ...but over the line's 10 000
    assert over["over_budget"] and over["approver_role"] == "sponsor"
    assert over["warnings"] and "exceeds the line's remaining budget" in over["warnings"][0]


def test_task_leader_requests_only_for_own_package(api: Any, b: Any, as_: Any) -> None:
    err(request(api, b, as_("task_leader"), "10.00", b["sw"]), 403)
    ok(request(api, b, as_("task_leader_b"), "10.00", b["sw"]), 201)
    err(request(api, b, as_("worker"), "10.00"), 403)
    err(request(api, b, as_("outsider"), "10.00"), 404)


def _order(api: Any, b: Any, as_: Any, amount: str = "800.00") -> dict[str, Any]:
    p = b["p"]
    r = ok(request(api, b, as_("task_leader"), amount), 201)
    ok(api.post(f"/projects/{p}/purchase-requests/{r['id']}/approve", headers=as_("pm"), json={}))
    return ok(api.post(f"/projects/{p}/purchase-orders", headers=as_("pm"), json={
        "request_id": r["id"], "lines": [{"quantity": 1, "unit_price": amount}]}), 201)  # fmt: skip


def test_an_invoice_above_its_order_is_held_and_released_only_with_a_reason(
    api: Any, b: Any, as_: Any
) -> None:
    p, pm = b["p"], as_("pm")
    o = _order(api, b, as_)
    ok(
        api.post(f"/projects/{p}/purchase-orders/{o['id']}/receipts", headers=pm, json={"day": "2026-01-10"}),
        201,
    )
    inv = ok(api.post(f"/projects/{p}/invoices", headers=pm, json={
        "order_id": o["id"], "number": "X-9", "day": "2026-01-11", "amount": "900.00"}), 201)  # fmt: skip
    assert inv["status"] == "held" and any("exceeds the order" in x for x in inv["hold_reasons"])
    assert Decimal(line(api, b, pm, b["hw"])["actual"]) == 0
    err(api.post(f"/projects/{p}/invoices/{inv['id']}/release", headers=pm, json={"reason": ""}), 422)
    err(
        api.post(
            f"/projects/{p}/invoices/{inv['id']}/release", headers=as_("task_leader"), json={"reason": "x"}
        ),
        403,
    )
    rel = ok(api.post(f"/projects/{p}/invoices/{inv['id']}/release", headers=as_("sponsor"),
                      json={"reason": "freight agreed by phone"}))  # fmt: skip
    assert rel["status"] == "released"
    col = line(api, b, pm, b["hw"])
    assert Decimal(col["actual"]) == Decimal("900.00") and Decimal(col["committed"]) == 0


def test_an_order_larger_than_its_approval_is_refused(api: Any, b: Any, as_: Any) -> None:
    p = b["p"]
    r = ok(request(api, b, as_("task_leader"), "100.00"), 201)
    ok(api.post(f"/projects/{p}/purchase-requests/{r['id']}/approve", headers=as_("pm"), json={}))
    err(api.post(f"/projects/{p}/purchase-orders", headers=as_("pm"), json={
        "request_id": r["id"], "lines": [{"quantity": 3, "unit_price": "40.00"}]}), 422, "lines")  # fmt: skip


def test_deleting_a_line_with_commitments_is_refused(api: Any, b: Any, as_: Any) -> None:
    p, pm = b["p"], as_("pm")
    _order(api, b, as_)
    hw = line(api, b, pm, b["hw"])
    e = err(
        api.delete(f"/projects/{p}/budget/lines/{b['hw']}", headers=pm, params={"version": hw["version"]}),
        409,
    )
    assert "commitments or actuals" in e["message"] and "purchase orders" in e["message"]
    sw = line(api, b, pm, b["sw"])
    ok(
        api.delete(f"/projects/{p}/budget/lines/{b['sw']}", headers=pm, params={"version": sw["version"]}),
        204,
    )


def test_expense_with_actuals_blocks_delete_and_counts_as_actual(api: Any, b: Any, as_: Any) -> None:
    p, pm = b["p"], as_("pm")
    ok(api.post(f"/projects/{p}/expenses", headers=pm, json={
        "budget_line_id": b["sw"], "day": "2026-01-08", "amount": "120.50", "description": "Train to vendor"}), 201)  # fmt: skip
    sw = line(api, b, pm, b["sw"])
    assert Decimal(sw["actual_expenses"]) == Decimal("120.50") and Decimal(sw["remaining"]) == Decimal(
        "4879.50"
    )
    err(
        api.delete(f"/projects/{p}/budget/lines/{b['sw']}", headers=pm, params={"version": sw["version"]}),
        409,
    )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/budget/lines", {"category": "hardware", "name": "x", "amount": "-1"}, "amount"),
        ("/budget/lines", {"category": "hardware", "name": "x", "amount": "1.005"}, "amount"),
        ("/budget/lines", {"category": "yachts", "name": "x", "amount": "1"}, "category"),
        (
            "/expenses",
            {"budget_line_id": 0, "day": "2026-01-08", "amount": "-5", "description": "x"},
            "amount",
        ),
    ],
)
def test_bad_amounts_are_refused_naming_the_field(
    api: Any, b: Any, as_: Any, path: str, body: Any, field: str
) -> None:
    if "budget_line_id" in body:
        body = {**body, "budget_line_id": b["hw"]}
    err(api.post(f"/projects/{b['p']}{path}", headers=as_("pm"), json=body), 422, field)
    err(request(api, b, as_("pm"), "-3.00"), 422, "amount")


def test_budget_versions_pm_proposes_sponsor_decides(api: Any, b: Any, as_: Any) -> None:
    p = b["p"]
    v1 = ok(api.post(f"/projects/{p}/budget/versions", headers=as_("pm"), json={"note": "first cut"}), 201)
    assert (
        v1["status"] == "proposed" and Decimal(v1["total"]) == Decimal("15000.00") and len(v1["lines"]) == 2
    )
    err(api.post(f"/projects/{p}/budget/versions", headers=as_("pm"), json={}), 409, "status")
    err(api.post(f"/projects/{p}/budget/versions/1/approve", headers=as_("pm"), json={}), 403)
    err(api.post(f"/projects/{p}/budget/versions/1/reject", headers=as_("sponsor"), json={}), 422, "reason")
    ok(
        api.post(
            f"/projects/{p}/budget/versions/1/reject", headers=as_("sponsor"), json={"reason": "too much"}
        )
    )
    ok(api.post(f"/projects/{p}/budget/versions", headers=as_("pm"), json={}), 201)
    v2 = ok(api.post(f"/projects/{p}/budget/versions/2/approve", headers=as_("sponsor"), json={}))
    assert v2["status"] == "approved"
    summary = ok(api.get(f"/projects/{p}/budget", headers=as_("sponsor")))
    assert summary["baseline"]["number"] == 2 and summary["totals"]["budget"] == "15000.00"
    own = ok(
        api.get(f"/projects/{p}/budget", headers=as_("task_leader"))
    )  # a Task Leader: own package's lines
    assert [x["name"] for x in own["lines"]] == ["Servers"] and own["totals"]["budget"] == "10000.00"
    ok(api.post(f"/projects/{p}/budget/versions", headers=as_("pm"), json={}), 201)
    ok(api.post(f"/projects/{p}/budget/versions/3/approve", headers=as_("sponsor"), json={}))
    statuses = [v["status"] for v in ok(api.get(f"/projects/{p}/budget/versions", headers=as_("pm")))]
    assert statuses == ["rejected", "superseded", "approved"]


def test_evm_over_the_baseline_with_progress_and_actuals(
    api: Any, b: Any, as_: Any, seed: Any, frozen_clock: Any
) -> None:
    frozen_clock.set(datetime(2030, 1, 9, 9, 0, tzinfo=UTC))  # the Servers expense of the 8th is spent by now
    p, pm = b["p"], as_("pm")
    ok(api.patch(f"/projects/{p}", json={"version": 1, "start_date": "2030-01-07"}, headers=as_("admin")))
    ok(api.post(f"/projects/{p}/budget/versions", headers=pm, json={}), 201)
    ok(api.post(f"/projects/{p}/budget/versions/1/approve", headers=as_("sponsor"), json={}))
    t = ok(api.get(f"/projects/{p}/tasks/{seed.tasks['a']}", headers=pm))
    ok(
        api.patch(
            f"/projects/{p}/tasks/{t['id']}",
            headers=pm,
            json={"version": t["version"], "percent_complete": 50},
        )
    )
    ok(api.post(f"/projects/{p}/expenses", headers=pm, json={
        "budget_line_id": b["hw"], "day": "2030-01-08", "amount": "4000.00", "description": "Servers"}), 201)  # fmt: skip
    figs = ok(api.get(f"/projects/{p}/evm", headers=as_("sponsor"), params={"as_of": "2031-01-01"}))
    proj = figs["project"]
    assert figs["baseline_source"] == "approved" and proj["bac"] == "15000.00"
    assert proj["pv"] == "15000.00"  # everything was planned to be done by then
    # WP-A's 10 000 is spread over A (3d) and C (1d) by duration: A carries 7 500, half done
    assert proj["ev"] == "3750.00" and proj["ac"] == "4000.00"
    assert proj["cpi"] == pytest.approx(0.9375) and proj["spi"] == 0.25 and proj["status"] == "red"
    assert "below 0.9 is amber" in figs["thresholds"]["rule"]
    wp_a = next(w for w in figs["work_packages"] if w["work_package_id"] == seed.wp_a)
    assert wp_a["bac"] == "10000.00" and wp_a["ev"] == "3750.00"
    hw = next(x for x in figs["lines"] if x["budget_line_id"] == b["hw"])
    assert hw["ac"] == "4000.00" and hw["cv"] == "-250.00"
    trend = ok(api.get(f"/projects/{p}/evm/trend", headers=pm, params={"as_of": "2030-03-15"}))
    assert [m["month"] for m in trend["months"]] == ["2030-01", "2030-02", "2030-03"]
    assert trend["months"][-1]["ev"] == "3750.00" and trend["months"][0]["ac"] == "4000.00"
    plan = ok(api.get(f"/projects/{p}/budget/plan", headers=pm))
    assert plan["months"][0]["pv_cumulative"] == "15000.00"


def test_exports_neutralise_formulas(api: Any, b: Any, as_: Any) -> None:
    p, pm = b["p"], as_("pm")
    ok(api.post(f"/projects/{p}/budget/lines", headers=pm, json={
        "category": "travel", "name": "=HYPERLINK(\"http://x\")", "amount": "1"}), 201)  # fmt: skip
    r = api.get(f"/projects/{p}/budget/export", headers=pm, params={"format": "csv"})
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["id", "work_package", "category", "name"]
    assert any(row[3] == '\'=HYPERLINK("http://x")' for row in rows[1:])
    x = api.get(f"/projects/{p}/evm/export", headers=pm, params={"format": "xlsx"})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    err(api.get(f"/projects/{p}/budget/export", headers=as_("worker")), 403)


def test_cli_budget_show_evm_and_po_list(api: Any, b: Any, as_: Any, seed: Any, monkeypatch: Any) -> None:
    import json

    from typer.testing import CliRunner

    from charter.cli.main import app
    from charter.config import get_settings

    _order(api, b, as_)
    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.url)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> Any:
        r = runner.invoke(app, ["--as", "pm", *args])
        assert r.exit_code == 0, r.output
        return json.loads(r.stdout)

    shown = run("budget", "show", "P1", "--json")
    assert shown["totals"]["committed"] == "800.00" and len(shown["lines"]) == 2
    figs = run("evm", "P1", "--as-of", "2030-01-31", "--json")
    assert figs["as_of"] == "2030-01-31" and figs["project"]["bac"] == "15000.00"
    orders = run("po", "list", "P1", "--json")
    assert [o["number"] for o in orders] == ["PO-P1-0001"]
    table = runner.invoke(app, ["--as", "pm", "budget", "show", "P1"])
    assert table.exit_code == 0 and "Servers" in table.output
    bad = runner.invoke(app, ["--as", "worker", "evm", "P1"])
    assert bad.exit_code == 1 and "budget.read" in bad.output


def test_the_performance_baseline_is_the_approved_versions_not_the_lines_proposed_since(
    api: Any, b: Any, as_: Any, seed: Any
) -> None:
    """The budget page's "performance baseline" took the current lines, so a raise proposed and not yet
    approved showed as the baseline the Sponsor had approved, and it disagreed with the EVM's BAC beside it."""
    p, pm = b["p"], as_("pm")
    ok(api.post(f"/projects/{p}/budget/lines", headers=pm, json={
        "category": "contingency_reserve", "name": "Contingency", "amount": "1000"}), 201)  # fmt: skip
    ok(api.post(f"/projects/{p}/budget/versions", headers=pm, json={}), 201)
    ok(api.post(f"/projects/{p}/budget/versions/1/approve", headers=as_("sponsor"), json={}))
    hw = line(api, b, pm, b["hw"])
    ok(api.patch(f"/projects/{p}/budget/lines/{b['hw']}", headers=pm, json={"version": hw["version"],
                                                                           "amount": "12000"}))  # fmt: skip
    ok(api.post(f"/projects/{p}/budget/versions", headers=pm, json={"note": "more servers"}), 201)
    summary = ok(api.get(f"/projects/{p}/budget", headers=as_("sponsor")))
    assert summary["totals"]["budget"] == "18000.00"  # the lines, with the raise proposed
    assert summary["performance_baseline"] == "15000.00"  # approved version 1 without its reserve
    bac = ok(api.get(f"/projects/{p}/evm", headers=as_("sponsor")))["project"]["bac"]
    assert bac == summary["performance_baseline"]
    own = ok(api.get(f"/projects/{p}/budget", headers=as_("task_leader")))  # WP-A's approved 10 000
    assert own["performance_baseline"] == "10000.00"
