"""The demo's budget, time and procurement history (services/demo_budget.py): after `demo.seed` the budget,
earned value, timesheets and purchasing of CRM and LAP are there in the states a new user should meet, made
by the right people, and the pages of the area show them."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.persistence.db import Database
from charter.services import (
    approvals,
    budget,
    demo,
    demo_budget,
    evm,
    procurement,
    projects,
    resources,
    timesheets,
)
from charter.services.context import clock, now

# the demo is seeded once per test process: its tests run in one process (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("demo")

WORKERS = ("chloe.martin", "ravi.patel", "jonas.becker", "lena.fischer")


def _ids(s: Any) -> tuple[int, int]:
    keys = {p["key"]: p["id"] for p in projects.list_projects(s, demo._actor(s, "admin"))}
    return keys["CRM"], keys["LAP"]


def _entries(s: Any, today: dt.date) -> list[dict[str, Any]]:
    """Every timesheet entry of the workers, read week by week as each of them sees it."""
    out = []
    first = today - dt.timedelta(days=100)
    for who in WORKERS:
        actor = demo._actor(s, who)
        monday = first - dt.timedelta(days=first.weekday())
        while monday <= today:
            grid = timesheets.my_week(s, actor, timesheets.week_label(monday))
            for row in grid["rows"]:
                out += [{**e, "who": who, "task": row["task_name"]} for e in row["entries"].values()]
            monday += dt.timedelta(days=7)
    return out


def _check_history(db: Database, today: dt.date) -> dict[str, Any]:
    """What the history must hold whatever day it was seeded on; returns ids the page checks use."""
    with db.uow(readonly=True) as s:
        crm, lap = _ids(s)
        priya = demo._actor(s, "priya.nair")
        names = {u: demo._user_id(s, u) for u in ("marco.rossi", "priya.nair", "jonas.becker", "ravi.patel")}

        # budget versions: approved at kick-off, a rejected revision, the baseline, one awaiting the Sponsor
        versions = budget.list_versions(s, priya, crm)
        assert [v["status"] for v in versions] == ["superseded", "rejected", "approved", "proposed"]
        assert versions[1]["reason"].startswith("No new money")
        assert versions[3]["total"] > versions[2]["total"] == versions[0]["total"]
        summ = budget.summary(s, priya, crm)
        assert summ["baseline"]["number"] == 3
        lines = {x["name"]: x for x in summ["lines"]}
        migration = lines["Data migration – team and contractor"]
        assert migration["actual_labour"] > 0 and migration["actual_invoices"] == Decimal("12800")
        assert migration["committed"] == Decimal("25600") and migration["held"] == Decimal("12800")
        assert lines["Discovery – internal team"]["actual_labour"] > 0
        assert lines["Implementation licences and sandbox"]["remaining"] == 0
        assert summ["reserves"] > 0 and summ["unallocated_labour"] == 0
        fixed = {f["accrual"]: f for f in budget.list_fixed_costs(s, priya, crm)}
        assert set(fixed) == {"start", "prorated", "end"}
        assert fixed["end"]["accrued"] == 0
        expenses = budget.list_expenses(s, priya, crm)
        assert len(expenses) == len(demo_budget.EXPENSES)
        with_receipt = [e for e in expenses if e["receipts"]]
        assert len(with_receipt) == 1 and with_receipt[0]["receipts"][0]["content_type"] == "application/pdf"

        # earned value with a history of month-end snapshots
        figs = evm.compute(s, priya, crm)["project"]
        assert figs["ev"] > 0 and figs["ac"] > 0 and figs["pv"] > 0 and figs["cpi"] is not None
        months = evm.trend(s, priya, crm)["months"]
        assert sum(1 for m in months[:-1] if m["ev"] is not None) >= 2, months

        # cost rates of the people on the tasks
        rated = {r["user_id"]: r["rates"] for r in resources.list_resources(s, priya) if r["user_id"]}
        for who in demo_budget.RATES:
            rates = rated[demo._user_id(s, who)]
            assert rates and all(x["currency"] == "EUR" for x in rates)
        assert len(rated[names["ravi.patel"]]) == 2

        # timesheets: working days up to yesterday, on started tasks, decided by the right people
        entries = _entries(s, today)
        by_status = Counter(e["status"] for e in entries)
        assert by_status["approved"] > 40 and by_status["submitted"] >= 1 and by_status["rejected"] == 1
        for e in entries:
            assert e["day"] < today and e["day"].weekday() < 5 and e["task"] in demo_budget.FINAL_PROGRESS
            if e["status"] in ("approved", "rejected"):
                expected = ("jonas.becker",) if e["who"] == "ravi.patel" else ("marco.rossi", "priya.nair")
                assert e["decided_by"] in {names[u] for u in expected}, e
        per_day = Counter((e["who"], e["day"]) for e in entries)
        assert max(per_day.values()) == 1  # one task a day each
        assert max(e["minutes"] for e in entries) <= 10 * 60
        rejected = next(e for e in entries if e["status"] == "rejected")
        assert rejected["who"] == "ravi.patel" and "ETL load test" in rejected["decision_note"]
        lock = timesheets.lock_date(s, crm)
        assert lock is not None and lock < rejected["day"]
        assert all(e["status"] == "approved" for e in entries if e["day"] <= lock)
        waiting = timesheets.approvals_for(s, priya)
        assert waiting and all(w["project_key"] == "CRM" for w in waiting)

        # purchasing: every state a user meets
        reqs = {r["title"]: r["status"] for r in procurement.list_requests(s, priya, crm)}
        assert sorted(reqs.values()) == ["approved", "ordered", "ordered", "rejected", "submitted"]
        orders = {o["number"]: o for o in procurement.list_orders(s, priya, crm)}
        assert orders["PO-CRM-0001"]["status"] == "closed" and orders["PO-CRM-0002"]["status"] == "open"
        invoices = {i["number"]: i["status"] for i in procurement.list_invoices(s, priya, crm)}
        assert invoices == {"CIR-INV-104829": "accepted", "BDC-2031": "accepted", "BDC-2058": "held"}
        contracts = procurement.list_contracts(s, priya, crm)
        assert len(contracts) == 3 and procurement.upcoming_contracts(s, priya, crm)
        marco = demo._actor(s, "marco.rossi")
        lap_orders = {o["number"]: o for o in procurement.list_orders(s, marco, lap)}
        assert lap_orders["PO-LAP-0001"]["status"] == "received"
        main = lap_orders["PO-LAP-0002"]
        assert main["status"] == "open" and main["received"] == 0 and main["committed"] == Decimal("216720")
        assert sum(x["quantity"] for o in lap_orders.values() for x in o["lines"]) == 180
        assert {i["status"] for i in procurement.list_invoices(s, marco, lap)} == {"rejected", "accepted"}
        lap_versions = budget.list_versions(s, marco, lap)
        assert [v["status"] for v in lap_versions] == ["approved"]

        # who has something waiting
        robert = approvals.waiting_for(s, demo._actor(s, "robert.lindqvist"))
        assert len(robert["purchase_requests"]) == 1 and len(robert["budget_versions"]) == 1
        assert len(robert["invoices"]) == 1
        assert len(approvals.waiting_for(s, marco)["purchase_requests"]) == 1  # LAP's disposal

        vendors = {v["name"]: v["id"] for v in procurement.list_vendors(s, priya)}
        monday = rejected["day"] - dt.timedelta(days=rejected["day"].weekday())
        receipt = with_receipt[0]
        cirrus = next(c["id"] for c in contracts if c["vendor_id"] == vendors["Cirrus CRM Ltd"])
        return {
            "crm": crm, "lap": lap, "migration": migration["id"],
            "brightpath": vendors["Brightpath Data Consulting GmbH"], "contract": cirrus,
            "receipt": f"{receipt['id']}/receipts/{receipt['receipts'][0]['id']}",
            "rejected_week": timesheets.week_label(monday),
        }  # fmt: skip


def _client(db: Database, username: str) -> TestClient:
    client = TestClient(create_app(db))
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    form = {
        "username": username,
        "password": demo.DEMO_PASSWORD,
        "csrf_token": token.group(1),
        "next": "/projects",
    }
    r = client.post("/login", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def _page(client: TestClient, url: str, *texts: str) -> None:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    for text in texts:
        assert text in r.text, (url, text)


def test_demo_budget_history_and_pages(demo_db: Database) -> None:
    db = demo_db
    ids = _check_history(db, now().date())
    crm, lap = ids["crm"], ids["lap"]

    priya = _client(db, "priya.nair")
    _page(priya, f"/projects/{crm}/budget", "Data migration – team and contractor", "Production subscription",
          "CTI connector licence funded from contingency", "External trainer – 6 classroom days",
          "Catering for the Sales process workshops", 'id="evm-figures"', "Cost baseline: version 3")  # fmt: skip
    _page(priya, f"/projects/{crm}/budget/lines/{ids['migration']}", "PO-CRM-0002", "BDC-2031", "BDC-2058")
    _page(priya, f"/projects/{crm}/budget/s-curve.svg", "<svg")
    _page(priya, f"/projects/{crm}/budget/expenses/{ids['receipt']}", "%PDF-", "Lena Fischer")
    _page(priya, f"/projects/{crm}/procurement", "Cirrus CRM Ltd", "PO-CRM-0001", "BDC-2058",
          "Printed quick-reference guides", "Legacy CRM extended support",
          "Cirrus CRM production subscription")  # fmt: skip
    _page(priya, f"/projects/{crm}/procurement/vendors/{ids['brightpath']}", "BDC-2031", "Tobias Wendt")
    _page(
        priya,
        f"/projects/{crm}/procurement/contracts/{ids['contract']}",
        "Cirrus CRM implementation licences",
    )
    _page(priya, "/me/approvals", "ERP interface build and test")  # Lena's hours of the last week

    robert = _client(db, "robert.lindqvist")
    _page(robert, "/me/approvals", "Cirrus CRM production subscription", "BDC-2058")

    ravi = _client(db, "ravi.patel")
    _page(
        ravi, f"/me/work?week={ids['rejected_week']}", "De-duplicate accounts and contacts", "ETL load test"
    )

    marco = _client(db, "marco.rossi")
    _page(marco, f"/projects/{lap}/budget", "Laptops – 180", "Certified disposal of old devices")
    _page(marco, f"/projects/{lap}/procurement", "Voltis Hardware GmbH", "PO-LAP-0002", "VOL-88213-C",
          "Certified data wiping and disposal")  # fmt: skip
    _page(marco, "/me/approvals", "Certified data wiping and disposal")


def test_demo_budget_history_on_an_awkward_day(db: Database) -> None:
    """Seeded on a Monday that is New Year's Day, early in the morning: the hours of the last week wait for
    approval (the PM approves on Mondays, but not before 8), nothing is dated today or later."""
    today = dt.date(2029, 1, 1)
    morning = dt.datetime(2029, 1, 1, 6, 30, tzinfo=dt.UTC)
    clock.freeze(morning)
    demo.seed(db)  # unfreezes the clock when done
    clock.freeze(morning)  # read on that day: the roles of the history are not current before it
    _check_history(db, today)
