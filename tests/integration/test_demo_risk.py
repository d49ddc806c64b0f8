"""The demo's risk history (services/demo_risk.py): after `demo.seed`, CRM has a risk register in every state
with re-ratings, actions, discussion and tailored scales, two stored Monte Carlo runs, a proposed and a stale
levelling preview, and a technology inventory whose update items are open, planned, done and dismissed; LAP
has its own risks and technology. Read through the services as the people who would look, and on the pages.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.persistence.db import Database
from charter.services import demo, levelling, projects, risk, simulation, tech
from charter.services.context import SYSTEM, clock, now

# the demo is seeded once per test process: its tests run in one process (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("demo")


def _sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    r = client.post(
        "/login",
        data={
            "username": username,
            "password": demo.DEMO_PASSWORD,
            "csrf_token": token.group(1),
            "next": "/projects",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def _page(client: TestClient, url: str, *texts: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:500])
    for t in texts:
        assert t in r.text, (url, t)
    return r.text


def _by_title(rows: list[dict[str, Any]], start: str) -> dict[str, Any]:
    return next(r for r in rows if r["title"].startswith(start))


def test_demo_risk_history_and_pages(demo_db: Database) -> None:
    db = demo_db
    t_now = now()
    with db.uow(readonly=True) as s:
        priya = demo._actor(s, "priya.nair")
        marco = demo._actor(s, "marco.rossi")
        keys = {p["key"]: p["id"] for p in projects.list_projects(s, SYSTEM)}
        crm, lap = keys["CRM"], keys["LAP"]

        # ------------------------------------------------------------------------ the register
        rows = risk.list_risks(s, priya, crm)
        assert len(rows) >= 10
        assert {r["status"] for r in rows} >= {"identified", "assessed", "responding", "closed", "occurred"}
        assert {r["kind"] for r in rows} == {"threat", "opportunity"}
        raisers = {r["raised_by_name"] for r in rows}
        assert raisers >= {"Marco Rossi", "Ravi Patel", "Lena Fischer", "Samuel Osei", "Sofía Álvarez",
                           "Aisha Karimi", "Thomas Brennan", "David Nguyen"}  # fmt: skip
        assert all(r["owner"] for r in rows)
        assert all(r["created_at"] <= t_now for r in rows)
        details = {r["id"]: risk.get_risk(s, priya, crm, r["id"]) for r in rows}

        key_person = details[_by_title(rows, "Key-person dependency on Lena")["id"]]
        assert key_person["owner"] == "Priya Nair" and key_person["status"] == "responding"
        assert [h["score"] for h in key_person["ratings"]][:2] == [12, 16]  # re-rated after levelling
        assert key_person["task"] == "CTI screen pop and call logging"
        assert any("levelling preview" in c["body"] for c in key_person["comments"])

        licence = _by_title(rows, "Legacy CRM vendor charges")
        assert licence["status"] == "occurred" and "12,400" in licence["issue_note"]
        assert licence["occurred_on"] is not None and licence["occurred_on"] <= t_now.date()
        assert _by_title(rows, "SaaS CRM API rate limits")["status"] == "closed"
        assert _by_title(rows, "Cut-over weekend")["status"] == "assessed"
        spreadsheets = _by_title(rows, "Agents keep customer contacts")
        assert spreadsheets["status"] == "identified" and spreadsheets["score"] is None
        chance = _by_title(rows, "Switch off the legacy CRM servers")
        assert chance["kind"] == "opportunity" and chance["strategy"] == "exploit"

        erp = details[_by_title(rows, "ERP team's REST API v2")["id"]]
        assert len(erp["ratings"]) >= 4 and erp["probability"] == 2 and erp["probability_value"] == 0.2
        gdpr = details[_by_title(rows, "GDPR")["id"]]
        assert gdpr["raised_by_name"] == "Samuel Osei" and gdpr["owner"] == "Priya Nair"
        actions = [a for d in details.values() for a in d["actions"]]
        assert len(actions) >= 5
        assert {a["percent_complete"] for a in actions} >= {0, 100}
        comments = [c for d in details.values() for c in d["comments"]]
        assert len(comments) >= 12 and all(c["at"] <= t_now for c in comments)
        assert {c["author"] for c in comments} >= {"Emily Carter", "Thomas Brennan", "Robert Lindqvist"}
        assert all(h["at"] <= t_now for d in details.values() for h in d["ratings"])

        scales = risk.get_scales(s, priya, crm)["scales"]
        assert scales["cost"][2]["label"] == "EUR 10,000-30,000 (contingency)"
        assert scales["cost"][2]["high"] == 30000
        weeks = risk.burndown(s, priya, crm)
        assert len(weeks) >= 10 and len({w["exposure"] for w in weeks}) >= 4
        assert max(w["exposure"] for w in weeks) > weeks[-1]["exposure"] > 0

        # ------------------------------------------------------------------------ simulation, levelling
        runs = simulation.list_runs(s, priya, crm)
        assert [r["status"] for r in runs] == ["done", "done"]
        latest = simulation.get_run(s, priya, crm, runs[0]["id"])
        assert latest["iterations"] == 2000 and latest["created_at"] <= t_now
        assert latest["result"]["risks_count"] >= 5
        assert [f["p"] for f in latest["result"]["finish"]] == [10, 50, 80, 90]
        assert sum(latest["result"]["histogram"]["counts"]) == 2000
        # mid-project the remaining work is simulated from the status date: P50 is not before the schedule's
        # own finish (replaying finished work from the project start made it weeks earlier)
        from charter.persistence.models import ProjectSchedule

        plan_finish = s.get(ProjectSchedule, crm).finish  # type: ignore[union-attr]
        p50 = next(f["date"] for f in latest["result"]["finish"] if f["p"] == 50)
        assert p50 >= plan_finish.isoformat(), (p50, plan_finish)

        lev = levelling.list_runs(s, priya, crm)
        assert [r["status"] for r in lev] == ["preview", "stale"]
        moved = {c["name"] for c in lev[0]["changes"]}
        assert "CTI screen pop and call logging" in moved

        # ------------------------------------------------------------------------ technology
        comps = {c["name"]: c for c in tech.list_components(s, priya, crm)}
        assert len(comps) == 5
        legacy = tech.get_component(s, priya, comps["Corvid CRM Enterprise (on-premise)"]["id"])
        assert legacy["current_version"] == "8.2 SP4"
        statuses = {
            u["title"]: u["status"]
            for c in comps.values()
            for u in tech.get_component(s, priya, c["id"])["updates"]
        }
        assert set(statuses.values()) == {"open", "planned", "done", "dismissed"}
        plan = next(u for u in legacy["updates"] if u["status"] == "planned")["plan"]
        assert len(plan) == 3
        connector = tech.get_component(s, priya, comps["ERP REST connector (Skyline to ERP)"]["id"])
        assert connector["current_version"] == "2.4.1" and connector["updates"][0]["status"] == "done"

        # ------------------------------------------------------------------------ LAP (Marco sees it)
        lap_risks = risk.list_risks(s, marco, lap)
        assert {r["owner"] for r in lap_risks} == {"Ravi Patel", "Samuel Osei"}
        assert len(tech.list_components(s, marco, lap)) == 2
        ids = {
            "r1": key_person["id"],
            "lev": lev[0]["id"],
            "legacy": legacy["id"],
        }

    # ---------------------------------------------------------------------------- the pages
    client = TestClient(create_app(db))
    _sign_in(client, "priya.nair")
    _page(client, f"/projects/{crm}/risks", "Key-person dependency on Lena Fischer", "Cut-over weekend")
    _page(
        client,
        f"/projects/{crm}/risks/{ids['r1']}",
        "Knowledge transfer: CTI call logging to Ravi Patel",
        "Taking this over from Marco",
    )
    _page(client, f"/projects/{crm}/risk-scales", "EUR 10,000-30,000 (contingency)")
    _page(client, f"/projects/{crm}/simulation", "2000 iterations", "ETL scripts")
    _page(client, f"/projects/{crm}/levelling", "Stale", "Preview")
    _page(client, f"/projects/{crm}/levelling/{ids['lev']}", "CTI screen pop and call logging")
    _page(client, "/tech", "Corvid CRM Enterprise", "TeleBridge CTI middleware")
    _page(client, f"/tech/{ids['legacy']}", "Decommission the legacy CRM servers after hypercare")
    _sign_in(client, "marco.rossi")
    _page(client, f"/projects/{lap}/risks", "Laptop delivery slips")


def test_demo_risk_seeds_on_a_year_end_sunday(db: Database) -> None:
    """Seeded on Sunday 31 December: the same states, nothing after that morning, every review and due date
    a working day."""
    sunday = datetime(2023, 12, 31, 9, 0, tzinfo=UTC)
    clock.freeze(sunday)
    assert demo.seed(db)["created"]  # (the seed unfreezes the clock when it is done)
    clock.freeze(sunday)
    with db.uow(readonly=True) as s:
        priya = demo._actor(s, "priya.nair")
        crm = next(p["id"] for p in projects.list_projects(s, SYSTEM) if p["key"] == "CRM")
        rows = risk.list_risks(s, priya, crm)
        assert {r["status"] for r in rows} == {"identified", "assessed", "responding", "closed", "occurred"}
        assert all(r["created_at"] <= sunday and r["updated_at"] <= sunday for r in rows)
        assert all(r["review_date"].weekday() < 5 for r in rows if r["review_date"] is not None)
        assert [r["status"] for r in simulation.list_runs(s, priya, crm)] == ["done", "done"]
        assert [r["status"] for r in levelling.list_runs(s, priya, crm)] == ["preview", "stale"]
        updates = [
            u
            for c in tech.list_components(s, priya, crm)
            for u in tech.get_component(s, priya, c["id"])["updates"]
        ]
        assert {u["status"] for u in updates} == {"open", "planned", "done", "dismissed"}
        assert all(u["due_on"].weekday() < 5 for u in updates if u["due_on"] is not None)
