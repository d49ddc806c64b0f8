"""The demo's quality and change-control history: seeded through the services, read back as the PM, and shown
on the quality, change, lessons and report pages."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.persistence.db import Database
from charter.services import change, closure, demo, projects, quality, reports, scheduling
from charter.services.context import SYSTEM, clock

# the demo is seeded once per test process: its tests run in one process (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("demo")

LESSONS = {
    "Profile the legacy data before estimating the cleansing",
    "Agree data-protection rules before the cleansing starts",
    "Book the reviewers' time before a sign-off review starts",
    "Give every affected department its own liaison from kick-off",
    "Reconcile per object and per currency in every trial load",
}


def _crm(s: Any) -> int:
    return next(int(p["id"]) for p in projects.list_projects(s, SYSTEM) if p["key"] == "CRM")


def _by(rows: list[dict[str, Any]], key: str, prefix: str) -> dict[str, Any]:
    hits = [r for r in rows if str(r[key]).startswith(prefix)]
    assert len(hits) == 1, (prefix, [r[key] for r in rows])
    return hits[0]


def _login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    r = client.post(
        "/login",
        data={"username": username, "password": demo.DEMO_PASSWORD, "csrf_token": token.group(1),
              "next": "/projects"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:500]


def _page(client: TestClient, url: str, *texts: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:500])
    body = html.unescape(r.text)
    for t in texts:
        assert t in body, (url, t)
    return body


def _check_records(db: Database, today: Any) -> dict[str, Any]:
    """Everything the quality history should have left, read as the PM; returns ids the pages need."""
    with db.uow(readonly=True) as s:
        pid = _crm(s)
        priya = demo._actor(s, "priya.nair")

        # lifecycle: planning closed by Marco on day -60 with its gate passed; execution's gate fails now
        life = quality.lifecycle(s, priya, pid)
        assert life["current_phase"] == "execution"
        planning = _by(life["phases"], "phase", "planning")
        assert planning["closed_by"] == "Marco Rossi" and planning["override_reason"] is None
        assert planning["failed_at_closing"] == []
        assert planning["closed_at"].date() == today - timedelta(days=60)
        assert "Requirements specification accepted" in planning["exit_criteria"]
        assert not life["gate"]["passed"]
        failed = {c["criterion"] for c in life["gate"]["failed"]}
        assert failed == {"open_critical_defects", "unaccepted_deliverables", "metrics_below_target",
                          "unsigned_reviews"}  # fmt: skip

        # the plan and its metrics, trending week by week
        plan = quality.plan(s, priya, pid)
        assert plan["responsible_role"] == "Project Manager" and len(plan["standards"]) == 4
        metrics = {m["name"]: m for m in plan["metrics"]}
        dup = metrics["Duplicate accounts among active accounts"]
        values = [x["value"] for x in dup["measurements"]]
        assert len(values) == 11 and values == sorted(values, reverse=True) and not dup["met"]
        assert all(x["measured_at"].weekday() == 4 for x in dup["measurements"])  # every Friday
        assert metrics["Requirements with testable acceptance criteria"]["met"]
        rec = [x["value"] for x in metrics["Records reconciled in the latest ETL load"]["measurements"]]
        assert len(rec) == 5 and rec == sorted(rec)
        assert len(metrics["Defects per 10,000 migrated records"]["measurements"]) == 4
        for m in plan["metrics"]:
            assert all(x["measured_at"].date() < today for x in m["measurements"])

        # deliverables in every state
        dels = quality.list_deliverables(s, priya, pid)
        status = {d["name"]: d["status"] for d in dels}
        assert (
            status.items()
            >= {
                "Requirements specification (lead-to-order and case management)": "accepted",
                "Data-quality report of the legacy CRM": "accepted",
                "Mapping tables legacy → SaaS": "pending",
                "ERP interface specification": "accepted",
                "Training needs analysis": "rejected",
                "Cut-over and rollback runbook": "pending",
            }.items()
        )
        mapping = _by(dels, "name", "Mapping tables")
        assert len(mapping["rejections"]) == 1 and mapping["rejections"][0]["by"] == "emily.carter"
        assert _by(dels, "name", "Requirements specification")["decided_by"] == "Robert Lindqvist"

        # reviews and findings
        revs = {r["title"]: r for r in quality.list_reviews(s, priya, pid)}
        req = revs["Requirements sign-off review"]
        assert req["status"] == "signed_off" and req["phase"] == "planning" and len(req["findings"]) == 3
        assert all(x["result"] == "pass" for x in req["checklist"])
        assert revs["Data-protection review of the migration design"]["status"] == "signed_off"
        walk = revs["Mapping tables v2 walkthrough"]
        assert walk["status"] == "open" and walk["deliverable_id"] == mapping["id"]
        assert {x["name"]: x["signed"] for x in walk["reviewers"]} == {
            "Chloé Martin": True, "Emily Carter": False, "David Nguyen": False}  # fmt: skip

        # defects: every state of the workflow, from reviews and tests
        defects = quality.list_defects(s, priya, pid)
        states = {d["status"] for d in defects}
        assert states == {"new", "triaged", "in_progress", "resolved", "verified", "closed"}
        crit = _by(defects, "title", "Opportunity amounts in CHF and GBP")
        assert (crit["severity"], crit["status"], crit["owner"]) == (
            "critical",
            "in_progress",
            "Jonas Becker",
        )
        assert {d["found_in"] for d in defects} == {"review", "test"}
        p0 = _by(defects, "title", "Case priority 'P0")
        assert p0["deliverable_id"] == mapping["id"] and p0["status"] == "triaged"
        trend = quality.defect_trend(s, priya, pid, weeks=12)["weeks"]
        assert sum(w["opened"] for w in trend) >= 7 and sum(w["closed"] for w in trend) >= 1

        # change requests: approved and applied, rejected, open before the board
        crs = change.list_change_requests(s, priya, pid)
        gdpr = _by(crs, "title", "Apply GDPR data-retention rules")
        archives = _by(crs, "title", "Migrate e-mail archives")
        hypercare = _by(crs, "title", "Extend hypercare")
        assert gdpr["number"] < archives["number"] < hypercare["number"]
        assert gdpr["status"] == "approved" and gdpr["applied"] and gdpr["decided_by"] == "Marco Rossi"
        assert gdpr["requested_by_name"] == "Samuel Osei"
        baselines = {b["number"]: b["name"] for b in scheduling.list_baselines(s, priya, pid)}
        assert baselines[gdpr["baseline_number"]] == f"CR-{gdpr['number']}: {gdpr['title']}"
        names = {t["name"] for t in scheduling.get_schedule(s, priya, pid)["tasks"]}
        assert "Apply GDPR retention rules (erase or anonymise expired records)" in names
        assert "Convert e-mail archives older than 7 years (strategic accounts)" not in names
        assert archives["status"] == "rejected" and archives["decided_by"] == "Priya Nair"
        assert archives["preview"]["impact"]["finish"]["changed"]
        assert hypercare["status"] == "open" and hypercare["quorum"] == 2
        assert {a["name"] for a in hypercare["approvers"]} == {
            "Robert Lindqvist",
            "Thomas Brennan",
            "Priya Nair",
        }
        assert {v["name"]: v["vote"] for v in hypercare["votes"]} == {
            "Robert Lindqvist": "approve", "Thomas Brennan": "reject"}  # fmt: skip

        # lessons learned so far, from both PMs
        lessons = [x for x in closure.list_lessons(s, priya, pid) if x["title"] in LESSONS]
        assert len(lessons) == len(LESSONS)
        assert {x["created_by"] for x in lessons} == {
            demo._user_id(s, "marco.rossi"),
            demo._user_id(s, "priya.nair"),
        }

        # two published weekly reports (on Fridays) and this week's draft
        rows = reports.list_reports(s, priya, pid)
        published = [r for r in rows if r["status"] == "published" and r["period"] == "week"]
        assert len(published) == 2 and all(r["published_at"].weekday() == 4 for r in published)
        assert (
            published[0]["period_end"] < today and published[1]["period_end"] < published[0]["period_start"]
        )
        drafts = [r for r in rows if r["status"] == "draft" and r["period"] == "week"]
        assert len(drafts) == 1 and drafts[0]["period_start"] <= today <= drafts[0]["period_end"]
        latest = reports.get_report(s, priya, pid, published[0]["id"])
        assert "Critical defect" in latest["narrative"] and latest["frozen"]
        # a member who may not publish sees only the published reports
        seen = {r["id"] for r in reports.list_reports(s, demo._actor(s, "chloe.martin"), pid)}
        assert {r["id"] for r in published} <= seen and drafts[0]["id"] not in seen
        return {"pid": pid, "cr": hypercare["id"], "cr_gdpr": gdpr["id"], "report": published[0]["id"],
                "draft": drafts[0]["id"], "baseline": gdpr["baseline_number"],
                "mine": {gdpr["id"], archives["id"], hypercare["id"]}}  # fmt: skip


def _check_pages(db: Database, ids: dict[str, Any]) -> None:
    pid = ids["pid"]
    with TestClient(create_app(db)) as client:
        _login(client, "priya.nair")
        _page(client, f"/projects/{pid}/quality", "Requirements sign-off review", "Mapping tables v2 walkthrough",
              "Duplicate accounts among active accounts", "Opportunity amounts in CHF and GBP",
              "Training needs analysis", "Cut-over and rollback runbook", "Marco Rossi")  # fmt: skip
        _page(client, f"/projects/{pid}/changes", "Apply GDPR data-retention rules during data cleansing",
              "Migrate e-mail archives older than 7 years", "Extend hypercare from four to six weeks")  # fmt: skip
        _page(client, f"/projects/{pid}/changes/{ids['cr']}", "Extend hypercare from four to six weeks",
              "Robert Lindqvist", "Thomas Brennan", "first invoice run")  # fmt: skip
        _page(client, f"/projects/{pid}/changes/{ids['cr_gdpr']}", "GDPR art. 5(1)(e)")
        _page(client, f"/projects/{pid}/changes?baseline={ids['baseline']}", "Apply GDPR retention rules")
        _page(client, "/lessons", "Profile the legacy data before estimating the cleansing",
              "Reconcile per object and per currency in every trial load")  # fmt: skip
        _page(client, f"/projects/{pid}/closure", "Give every affected department its own liaison")
        _page(client, f"/projects/{pid}/reports", "published", "draft")
        _page(client, f"/projects/{pid}/reports/{ids['report']}", "Critical defect", "Reconciliation")
        _page(client, f"/projects/{pid}/reports/{ids['draft']}", "notes so far this week")
        pdf = client.get(f"/projects/{pid}/reports/{ids['report']}/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_demo_shows_quality_and_change_control(demo_db: Database) -> None:
    """Seeded today (whatever today is): every record in its state, and the pages show them."""
    db = demo_db
    today = datetime.now(UTC).date()
    _check_pages(db, _check_records(db, today))


@pytest.mark.parametrize("today", ["2027-01-03"])  # a Sunday at a year end (ISO week 53 before it)
def test_demo_quality_on_a_sunday_at_the_year_end(db: Database, today: str) -> None:
    """Days are relative and people work on working days: a Sunday at the year's end seeds the same story,
    nothing dated on a weekend or in the future."""
    at = datetime.fromisoformat(today).replace(hour=12, tzinfo=UTC)
    clock.freeze(at)
    demo.seed(db)
    clock.freeze(at)
    ids = _check_records(db, at.date())
    with db.uow(readonly=True) as s:
        priya = demo._actor(s, "priya.nair")
        for d in quality.list_defects(s, priya, ids["pid"]):
            assert d["opened_at"].weekday() < 5 and d["opened_at"] < at
        for c in change.list_change_requests(s, priya, ids["pid"]):
            if c["id"] in ids["mine"]:
                assert c["decided_at"] is None or (c["decided_at"].weekday() < 5 and c["decided_at"] < at)
