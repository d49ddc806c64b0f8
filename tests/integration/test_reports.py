"""Status reports through the services: every area's colour follows its rule on hand-built data (green, amber
and red, grey without data), the narrative is sanitised and versioned, publishing freezes the figures and
sends the report to the communication plan's audience exactly once, critical-path changes against the
previous report, who sees drafts, the worker's scheduled drafts, PDF/HTML output and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from charter.io import report_render
from charter.persistence.models import (
    BudgetLine,
    ChangeRequest,
    CommPlanEntry,
    Concern,
    Defect,
    Invoice,
    Notification,
    OutboxMessage,
    Project,
    PurchaseOrder,
    StatusReport,
    TechComponent,
    TechUpdate,
    Vendor,
)
from charter.persistence.models import (
    Conflict as ConflictRow,
)
from charter.services import budget, comm_plan, projects, reports, risk, scheduling, tasks

World = Any
MONDAY = datetime(2030, 1, 14, 9, 0, tzinfo=UTC)  # the week reported on is 7-13 January 2030
IN_WEEK = dt.date(2030, 1, 8)


@pytest.fixture
def rep(seed: World, frozen_clock: Any) -> dict[str, Any]:
    """P1 starting on Monday 7 January 2030 and a draft weekly report for that week, read on the 14th."""
    frozen_clock.set(MONDAY - timedelta(days=7))
    with seed.db.uow() as s:
        version = s.get(Project, seed.p1).version
        projects.update_project(s, seed.actor("admin"), seed.p1, version, start_date=dt.date(2030, 1, 7))
        scheduling.recompute(s, seed.p1)
    frozen_clock.set(MONDAY)
    with seed.db.uow() as s:
        return reports.create_draft(s, seed.actor("pm"), seed.p1, period="week", day=IN_WEEK)


def area(seed: World, rep: dict[str, Any], name: str) -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        r = reports.get_report(s, seed.actor("pm"), seed.p1, rep["id"])
    return next(a for a in r["areas"] if a["area"] == name)


def colour(seed: World, rep: dict[str, Any], name: str) -> str:
    return str(area(seed, rep, name)["rag"])


def add(seed: World, *rows: Any) -> None:
    with seed.db.uow() as s:
        for row in rows:
            s.add(row)


def override(seed: World, **values: Any) -> None:
    with seed.db.uow() as s:
        current = reports.get_thresholds(s, seed.actor("pm"), seed.p1)
        reports.set_thresholds(s, seed.actor("pm"), seed.p1, current["version"], values)


NOW = MONDAY


# --------------------------------------------------------------------------------------------- colours


def test_an_area_without_data_is_grey_not_green(seed: World, rep: dict[str, Any]) -> None:
    areas = {a["area"]: a for a in rep["areas"]}
    assert list(areas) == ["budget", "schedule", "team", "conflict", "risk", "procurement", "quality",
                           "communications", "scope", "technology"]  # fmt: skip
    greys = {k for k, a in areas.items() if a["rag"] == "grey"}
    assert greys == set(areas) - {"team"}  # the worker is assigned to task A: that is data
    assert areas["conflict"]["rule"] == "no data: the conflict log is empty"
    assert areas["team"]["rag"] == "green" and areas["team"]["figures"]["people"] == 1
    assert rep["overall"] == "green" and rep["status"] == "draft" and rep["frozen"] is False


def test_budget_colours_follow_cpi_and_the_project_thresholds(seed: World, rep: dict[str, Any]) -> None:
    pm, sponsor = seed.actor("pm"), seed.actor("sponsor")
    with seed.db.uow() as s:
        hw = budget.create_line(s, pm, seed.p1, category="hardware", name="Servers", amount="10000.00",
                                work_package_id=seed.wp_a)  # fmt: skip
        budget.create_line(s, pm, seed.p1, category="software_licences", name="Licences", amount="5000.00",
                           work_package_id=seed.wp_b)  # fmt: skip
        budget.propose_version(s, pm, seed.p1)
    with seed.db.uow() as s:
        budget.decide_version(s, sponsor, seed.p1, 1, approve=True)
        t = tasks.get_task(s, pm, seed.p1, seed.tasks["a"])
        tasks.update_task(s, pm, seed.p1, t["id"], t["version"], percent_complete=50)
        budget.add_expense(s, pm, seed.p1, budget_line_id=hw["id"], day=dt.date(2030, 1, 8), amount="4000.00",
                           description="Servers")  # fmt: skip
    b = area(seed, rep, "budget")  # EV 3 750 (half of A's 7 500), AC 4 000: CPI 0.9375
    assert b["rag"] == "amber" and b["rule"] == "amber: CPI 0.94 < 0.95", b
    assert b["figures"]["cpi"] == pytest.approx(0.9375) and b["figures"]["bac"] == "15000.00"
    s_ = area(seed, rep, "schedule")  # everything was due by the 13th, 25 % earned: SPI 0.25
    assert s_["rag"] == "red" and "SPI 0.25 < 0.90" in s_["rule"]
    override(seed, cpi_amber=0.92, cpi_red=0.90)
    assert colour(seed, rep, "budget") == "green"
    override(seed, cpi_amber=0.97, cpi_red=0.95)
    b = area(seed, rep, "budget")
    assert b["rag"] == "red" and b["rule"] == "red: CPI 0.94 < 0.95"
    with seed.db.uow(readonly=True) as s:
        r = reports.get_report(s, pm, seed.p1, rep["id"])
    assert (
        r["evm"]["ev"] == "3750.00" and r["evm"]["ac"] == "4000.00" and r["trend"][-1]["month"] == "2030-01"
    )


def test_schedule_colours_follow_the_slip_against_the_baseline(seed: World, rep: dict[str, Any]) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        m = tasks.create_task(s, pm, seed.p1, name="Go-live", work_package_id=seed.wp_b, milestone=True)
        tasks.create_link(s, pm, seed.p1, pred_id=seed.tasks["b"], succ_id=m["id"])
    with seed.db.uow() as s:
        scheduling.save_baseline(s, pm, seed.p1, number=0)
    a = area(seed, rep, "schedule")
    assert a["rag"] == "green" and "on or before the baseline finish" in a["rule"]

    def lengthen(duration: str) -> None:
        with seed.db.uow() as s:
            t = tasks.get_task(s, pm, seed.p1, seed.tasks["b"])
            tasks.update_task(s, pm, seed.p1, t["id"], t["version"], duration=duration)

    lengthen("4d")  # two working days more: the finish moves two (or four, over a weekend) days
    a = area(seed, rep, "schedule")
    assert a["rag"] == "amber" and a["figures"]["finish_slip_days"] > 0, a
    assert a["figures"]["milestones_slipped"] == 1
    lengthen("20d")
    a = area(seed, rep, "schedule")
    assert a["rag"] == "red" and "> 10" in a["rule"], a
    with seed.db.uow(readonly=True) as s:
        r = reports.get_report(s, pm, seed.p1, rep["id"])
    (ms,) = r["milestones"]
    assert ms["name"] == "Go-live" and ms["slip_days"] > 10 and ms["baseline_finish"] is not None


def test_team_colours_follow_over_allocation(seed: World, rep: dict[str, Any]) -> None:
    assert colour(seed, rep, "team") == "green"
    with seed.db.uow() as s:  # C runs beside A: the worker is double-booked on the first day
        tasks.set_assignees(s, seed.actor("pm"), seed.p1, seed.tasks["c"], [seed.users["worker"]])
    a = area(seed, rep, "team")
    assert a["rag"] == "amber" and a["figures"]["overloaded_days"] == 1, a
    override(seed, overload_amber_days=1, overload_red_days=1)
    assert area(seed, rep, "team")["rule"] == "red: 1 person-days over capacity >= 1"


def _conflict(
    seed: World, n: int, severity: str, status: str = "open", level: str = "task_leader"
) -> ConflictRow:
    return ConflictRow(project_id=seed.p1, number=n, title=f"C{n}", kind="people", severity=severity, status=status,
                       level=level, level_since=NOW, source="manual", created_at=NOW, updated_at=NOW,
                       escalate_at=NOW + timedelta(days=3))  # fmt: skip


def test_conflict_colours(seed: World, rep: dict[str, Any]) -> None:
    add(seed, _conflict(seed, 1, "low"), _conflict(seed, 2, "critical", status="resolved"))
    assert colour(seed, rep, "conflict") == "green"
    add(seed, _conflict(seed, 3, "high"))
    assert area(seed, rep, "conflict")["rule"] == "amber: 1 open high-severity conflict"
    add(seed, _conflict(seed, 4, "medium", level="sponsor"))
    assert area(seed, rep, "conflict")["rule"].startswith("red: 1 conflict escalated to the Sponsor")


def test_risk_colours(seed: World, rep: dict[str, Any]) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        risk.create_risk(s, pm, seed.p1, title="Small", probability=2, impact_cost=3)
    assert area(seed, rep, "risk")["rule"] == "green: 1 open threat, highest score 6"
    with seed.db.uow() as s:
        r = risk.create_risk(s, pm, seed.p1, title="Vendor late", probability=3, impact_schedule=4,
                             strategy="mitigate")  # fmt: skip
    assert area(seed, rep, "risk")["rule"] == "amber: an open threat scores 12 >= 10"
    with seed.db.uow() as s:
        risk.create_risk(s, pm, seed.p1, title="No plan", probability=3, impact_schedule=4)
    assert "red: 1 threat scoring >= 10 without a response strategy" in area(seed, rep, "risk")["rule"]
    with seed.db.uow(readonly=True) as s:
        top = reports.get_report(s, pm, seed.p1, rep["id"])["top_risks"]
    assert [x["title"] for x in top][:2] == ["Vendor late", "No plan"] and top[0]["score"] == 12
    assert r["score"] == 12


def test_procurement_colours(seed: World, rep: dict[str, Any]) -> None:
    add(seed, Vendor(name="Acme", created_at=NOW),
        BudgetLine(project_id=seed.p1, category="hardware", name="HW", amount=Decimal("100.00"), created_at=NOW))  # fmt: skip
    with seed.db.uow() as s:
        vendor = s.scalar(select(Vendor.id))
        line = s.scalar(select(BudgetLine.id))
        order = PurchaseOrder(project_id=seed.p1, number="PO-1", vendor_id=vendor, budget_line_id=line, status="open",
                              expected_delivery=dt.date(2030, 1, 20), total=Decimal("50.00"), created_at=NOW)  # fmt: skip
        s.add(order)
    assert colour(seed, rep, "procurement") == "green"
    with seed.db.uow() as s:
        oid = s.scalar(select(PurchaseOrder.id))
        s.add(Invoice(project_id=seed.p1, order_id=oid, number="INV-1", day=dt.date(2030, 1, 10),
                      amount=Decimal("60.00"), status="held", hold_reasons=["above order"], created_at=NOW))  # fmt: skip
    a = area(seed, rep, "procurement")  # as of the 13th: held 3 days
    assert a["rag"] == "amber" and a["rule"] == "amber: 1 invoice held", a
    with seed.db.uow() as s:
        o = s.get(PurchaseOrder, oid)
        assert o is not None
        o.expected_delivery = dt.date(2029, 12, 20)
    assert "red: an order 24 days late > 14" in area(seed, rep, "procurement")["rule"]


def _defect(seed: World, severity: str, status: str = "new") -> Defect:
    return Defect(project_id=seed.p1, title=f"{severity} bug", severity=severity, found_in="test", status=status,
                  opened_at=NOW)  # fmt: skip


def test_quality_colours(seed: World, rep: dict[str, Any]) -> None:
    add(seed, _defect(seed, "minor"), _defect(seed, "critical", status="closed"))
    assert colour(seed, rep, "quality") == "green"
    add(seed, _defect(seed, "major"))
    assert area(seed, rep, "quality")["rule"] == "amber: 1 open major defect"
    add(seed, _defect(seed, "critical", status="triaged"))
    assert area(seed, rep, "quality")["rule"].startswith("red: 1 open critical defect")


def test_an_amber_reason_beside_a_red_one_is_shown_on_the_page_api_and_cli(
    seed: World, rep: dict[str, Any], api: Any, as_: Any, cli: Any
) -> None:
    from webhelpers import signed_in

    add(seed, _defect(seed, "critical"), _defect(seed, "major"))
    a = area(seed, rep, "quality")
    assert a["rag"] == "red"
    assert a["reasons"] == [{"rag": "red", "text": "1 open critical defect"},
                            {"rag": "amber", "text": "1 open major defect"}]  # fmt: skip
    assert a["rule"] == "red: 1 open critical defect; amber: 1 open major defect"
    got = api.get(f"/projects/{seed.p1}/reports/{rep['id']}", headers=as_("pm")).json()
    assert next(x for x in got["areas"] if x["area"] == "quality")["reasons"] == a["reasons"]
    with signed_in(seed, "pm") as client:
        page = client.get(f"/projects/{seed.p1}/reports/{rep['id']}").text
    row = page[page.index('data-area="quality"') :].split("</tr>")[0]
    assert '<li data-rag="amber"><span class="rag rag-amber">amber</span> 1 open major defect</li>' in row
    assert '<li data-rag="red"><span class="rag rag-red">red</span> 1 open critical defect</li>' in row
    html = cli("report", "P1", "--date", "2030-01-09", "--format", "html", who="pm").stdout
    assert "amber</span>: 1 open major defect" in html and "red</span>: 1 open critical defect" in html
    out = json.loads(cli("report", "P1", "--date", "2030-01-09", "--format", "json", who="pm").stdout)
    assert next(x for x in out["areas"] if x["area"] == "quality")["reasons"] == a["reasons"]


def test_communications_colours(seed: World, rep: dict[str, Any]) -> None:
    with seed.db.uow() as s:
        e = comm_plan.create_entry(s, seed.actor("pm"), seed.p1, information="Status report", audience="project",
                                   frequency="weekly", channel="report", starts_on=dt.date(2030, 1, 14))  # fmt: skip
    assert colour(seed, rep, "communications") == "green"
    with seed.db.uow() as s:
        comm_plan.update_entry(
            s, seed.actor("pm"), seed.p1, e["id"], e["version"], starts_on=dt.date(2030, 1, 1)
        )
    assert area(seed, rep, "communications")["rule"] == "amber: 1 communication plan item overdue"
    add(seed, Concern(project_id=seed.p1, raised_by=seed.users["stakeholder"], subject="Training", severity="high",
                      status="open", route="direct", raised_at=NOW - timedelta(days=6),
                      ack_due_at=NOW - timedelta(days=2)))  # fmt: skip
    a = area(seed, rep, "communications")
    assert a["rule"].startswith("red: 1 concern past the acknowledgement deadline"), a


def _cr(seed: World, n: int, age_days: int, status: str = "open") -> ChangeRequest:
    return ChangeRequest(project_id=seed.p1, number=n, title=f"CR {n}", status=status,
                         created_at=NOW - timedelta(days=age_days))  # fmt: skip


def test_scope_colours(seed: World, rep: dict[str, Any]) -> None:
    add(seed, _cr(seed, 1, 2), _cr(seed, 2, 90, status="rejected"))
    assert colour(seed, rep, "scope") == "green"
    add(seed, _cr(seed, 3, 20))
    # ages count to the end of the period (the 13th), not to today
    assert area(seed, rep, "scope")["rule"] == "amber: a change request open 19 days > 14"
    add(seed, _cr(seed, 4, 45))
    assert area(seed, rep, "scope")["rule"].startswith("red: a change request open 44 days > 30")


def test_technology_colours(seed: World, rep: dict[str, Any]) -> None:
    def comp(name: str, eol: dt.date) -> TechComponent:
        return TechComponent(project_id=seed.p1, name=name, kind="software", eol_date=eol, created_at=NOW)

    add(seed, comp("Postgres", dt.date(2031, 6, 1)))
    assert colour(seed, rep, "technology") == "green"
    add(seed, comp("Java 8", dt.date(2030, 3, 1)))
    assert area(seed, rep, "technology")["rule"] == "amber: 1 component reaches end of life within 90 days"
    add(seed, comp("Windows 7", dt.date(2020, 1, 14)))
    assert area(seed, rep, "technology")["rule"].startswith("red: 1 component past end of life")


def test_a_dismissed_or_done_update_is_not_counted_open_or_overdue(seed: World, rep: dict[str, Any]) -> None:
    """Dismissing a critical update that does not apply (with a reason) takes it off the report: it stayed
    "open" there and kept the technology area red for good, while the component's page showed it closed."""
    with seed.db.uow() as s:
        c = TechComponent(project_id=seed.p1, name="OpenSSL", kind="library", eol_date=dt.date(2032, 1, 1),
                          created_at=NOW)  # fmt: skip
        s.add(c)
        s.flush()
        for status in ("dismissed", "done"):
            s.add(TechUpdate(component_id=c.id, kind="advisory", title=f"CVE ({status})", severity="critical",
                             due_on=dt.date(2030, 1, 1), status=status, created_at=NOW))  # fmt: skip
    a = area(seed, rep, "technology")
    assert a["rag"] == "green", a["rule"]
    assert a["figures"]["open_updates"] == 0 and a["figures"]["updates_overdue"] == 0
    add(seed, TechUpdate(component_id=c.id, kind="advisory", title="CVE (planned)", severity="critical",
                         due_on=dt.date(2030, 1, 1), status="planned", created_at=NOW))  # fmt: skip
    assert area(seed, rep, "technology")["rule"].startswith("red: 1 critical update past due")


# --------------------------------------------------------------------------------------------- lifecycle


def test_narrative_is_versioned_and_sanitised(seed: World, rep: dict[str, Any]) -> None:
    pm = seed.actor("pm")
    text = "**On track.** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    with seed.db.uow() as s:
        r = reports.update_narrative(s, pm, seed.p1, rep["id"], rep["version"], text)
    html = r["narrative_html"]
    assert "<strong>On track.</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text, never run
    assert 'href="javascript' not in html and "<img" not in html
    assert r["narrative"] == text and r["version"] == rep["version"] + 1
    with pytest.raises(Conflict) as e, seed.db.uow() as s:
        reports.update_narrative(s, pm, seed.p1, rep["id"], rep["version"], "lost update")
    assert e.value.field == "version" and e.value.current is not None and e.value.current["narrative"] == text
    with pytest.raises(ValidationError) as v, seed.db.uow() as s:
        reports.update_narrative(s, pm, seed.p1, rep["id"], r["version"], "x" * 20001)
    assert v.value.field == "narrative"
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        reports.update_narrative(s, seed.actor("sponsor"), seed.p1, rep["id"], r["version"], "mine")


def test_publish_freezes_and_sends_to_the_plans_audience_once(seed: World, rep: dict[str, Any]) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:  # the Sponsor (a role) and the Sales department get the report; meetings do not
        comm_plan.create_entry(s, pm, seed.p1, information="Weekly status report", audience="role",
                               audience_role_id=seed.roles["sponsor"], frequency="weekly", channel="email")  # fmt: skip
        comm_plan.create_entry(s, pm, seed.p1, information="Portfolio summary", audience="user",
                               audience_user_id=seed.users["stakeholder"], frequency="monthly", channel="report")  # fmt: skip
        comm_plan.create_entry(s, pm, seed.p1, information="Stand-up", audience="user",
                               audience_user_id=seed.users["observer"], frequency="weekly", channel="meeting")  # fmt: skip
        assert reports.audience(s, seed.p1) == sorted([seed.users["sponsor"], seed.users["stakeholder"]])
    with seed.db.uow() as s:
        r = reports.publish(s, pm, seed.p1, rep["id"], rep["version"])
    assert r["status"] == "published" and r["frozen"] and r["published_by"]
    add(seed, _conflict(seed, 1, "critical"))  # after publication: the published report does not change
    with seed.db.uow(readonly=True) as s:
        again = reports.get_report(s, seed.actor("sponsor"), seed.p1, rep["id"])
        stored = s.get(StatusReport, rep["id"])
        assert stored is not None and stored.figures is not None and stored.critical is not None
    assert again["areas"] == r["areas"] and again["overall"] == "green"
    assert next(a for a in again["areas"] if a["area"] == "conflict")["rag"] == "grey"
    with pytest.raises(Conflict) as e, seed.db.uow() as s:
        reports.publish(s, pm, seed.p1, rep["id"], r["version"])
    assert "already published" in e.value.message
    with pytest.raises(Conflict), seed.db.uow() as s:
        reports.update_narrative(s, pm, seed.p1, rep["id"], r["version"], "late edit")
    with seed.db.uow(readonly=True) as s:
        notes = s.execute(select(Notification.user_id, Notification.link).where(
            Notification.event_key == f"report.published:{rep['id']}")).all()  # fmt: skip
        mails = s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.event_key == f"report.published:{rep['id']}", OutboxMessage.channel == "email"))  # fmt: skip
        done = s.scalars(select(CommPlanEntry.last_done_on).where(CommPlanEntry.channel == "report")).all()
    assert sorted(u for u, _ in notes) == sorted([seed.users["sponsor"], seed.users["stakeholder"]])
    assert {link for _, link in notes} == {f"/projects/{seed.p1}/reports/{rep['id']}"}
    with seed.db.uow(readonly=True) as s:
        with_mail = s.scalar(select(func.count()).select_from(Notification).where(
            Notification.event_key == f"report.published:{rep['id']}"))  # fmt: skip
    assert mails <= with_mail == 2  # one e-mail per recipient with an address, never a second one
    assert done == [MONDAY.date()]


def test_critical_path_changes_since_the_previous_report(
    seed: World, rep: dict[str, Any], frozen_clock: Any
) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        first = reports.publish(s, pm, seed.p1, rep["id"], rep["version"])
    assert first["critical_changes"]["previous"] is None
    crit = set(first["critical_path"]["task_ids"])
    assert seed.tasks["c"] not in crit
    with seed.db.uow() as s:  # C becomes the longest chain
        t = tasks.get_task(s, pm, seed.p1, seed.tasks["c"])
        tasks.update_task(s, pm, seed.p1, t["id"], t["version"], duration="15d")
    frozen_clock.set(MONDAY + timedelta(days=7))
    with seed.db.uow() as s:
        second = reports.create_draft(s, pm, seed.p1, period="week", day=dt.date(2030, 1, 15))
    ch = second["critical_changes"]
    assert ch["previous"] == rep["id"] and seed.tasks["c"] in ch["joined"] and ch["left"]
    assert ch["finish_after"] > ch["finish_before"]
    assert ch["names"][str(seed.tasks["c"])] == "Task C" and all(str(t) in ch["names"] for t in ch["left"])
    html = report_render.to_html(second)
    assert "joined 1" in html


def test_who_sees_drafts_and_published_reports(seed: World, rep: dict[str, Any]) -> None:
    for who in ("sponsor", "stakeholder", "observer", "task_leader"):
        with pytest.raises(NotFound), seed.db.uow(readonly=True) as s:
            reports.get_report(s, seed.actor(who), seed.p1, rep["id"])
        with seed.db.uow(readonly=True) as s:
            assert reports.list_reports(s, seed.actor(who), seed.p1) == []
    with pytest.raises(NotFound), seed.db.uow(readonly=True) as s:
        reports.list_reports(s, seed.actor("outsider"), seed.p1)
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        reports.create_draft(s, seed.actor("sponsor"), seed.p1, period="month", day=IN_WEEK)
    with pytest.raises(NotFound), seed.db.uow(readonly=True) as s:  # a report id of another project
        reports.get_report(s, seed.actor("outsider"), seed.p2, rep["id"])
    with seed.db.uow() as s:
        reports.publish(s, seed.actor("pm"), seed.p1, rep["id"], rep["version"])
    with seed.db.uow(readonly=True) as s:
        assert [x["id"] for x in reports.list_reports(s, seed.actor("observer"), seed.p1)] == [rep["id"]]
        assert reports.get_report(s, seed.actor("observer"), seed.p1, rep["id"])["status"] == "published"


def test_create_refuses_a_second_report_and_a_future_period(seed: World, rep: dict[str, Any]) -> None:
    with pytest.raises(Conflict) as e, seed.db.uow() as s:
        reports.create_draft(s, seed.actor("pm"), seed.p1, period="week", day=dt.date(2030, 1, 13))
    assert e.value.current is not None and e.value.current["id"] == rep["id"]
    with pytest.raises(ValidationError) as v, seed.db.uow() as s:
        reports.create_draft(s, seed.actor("pm"), seed.p1, period="week", day=dt.date(2030, 2, 1))
    assert v.value.field == "date"
    with pytest.raises(ValidationError) as v, seed.db.uow() as s:
        reports.create_draft(s, seed.actor("pm"), seed.p1, period="quarter")
    assert v.value.field == "period"


def test_scheduled_pass_drafts_the_week_just_ended_once_and_reminds_the_pm(
    seed: World, frozen_clock: Any
) -> None:
    from charter.services import scheduled

    frozen_clock.set(MONDAY)
    with seed.db.uow() as s:
        s.execute(Project.__table__.update().values(status="active"))
    for _ in range(2):
        for job in scheduled.jobs():
            with seed.db.uow() as s:
                job(s, MONDAY)
    with seed.db.uow(readonly=True) as s:
        rows = s.execute(
            select(StatusReport.project_id, StatusReport.period, StatusReport.period_start)
        ).all()
        reminders = s.scalars(
            select(Notification.user_id).where(Notification.kind == "report.draft_ready")
        ).all()
    assert sorted(rows) == sorted(
        [(seed.p1, "week", dt.date(2030, 1, 7)), (seed.p2, "week", dt.date(2030, 1, 7))]
    )
    assert sorted(reminders) == sorted([seed.users["pm"], seed.users["outsider"]])


# --------------------------------------------------------------------------------------------- formats


def pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_and_html(seed: World, rep: dict[str, Any]) -> None:
    with seed.db.uow() as s:
        r = reports.update_narrative(s, seed.actor("pm"), seed.p1, rep["id"], rep["version"],
                                     "## Summary\n\n- **Done:** design\n- Next: build ✓")  # fmt: skip
    pdf = report_render.to_pdf(r)
    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF") and r["project_name"] in text and "Status by area" in text
    assert "build ✓" in text and "Done: design" in text and "**" not in text  # beyond Latin-1, as HTML
    html = report_render.to_html(r)
    assert (
        r["project_name"] in html
        and "<h2>Summary</h2>" in html
        and "no data: the conflict log is empty" in html
    )


UNICODE = "Zürich – Ωmega – Жук € → ≥ ąčš"  # Latin, Greek, Cyrillic and symbols: all in DejaVu Sans


def test_pdf_keeps_text_outside_latin1(seed: World, rep: dict[str, Any]) -> None:
    """Project name, narrative (bold, italic, code) and a risk title outside Latin-1 come out of the PDF's
    text layer as written: the embedded Unicode font has the glyphs and its ToUnicode map maps them back."""
    with seed.db.uow() as s:
        version = s.get(Project, seed.p1).version  # type: ignore[union-attr]
        projects.update_project(s, seed.actor("admin"), seed.p1, version, name=f"Projekt {UNICODE}")
        risk.create_risk(s, seed.actor("pm"), seed.p1, title=f"Risiko {UNICODE}", kind="threat",
                         probability=3, impact_schedule=3)  # fmt: skip
        cur = reports.get_report(s, seed.actor("pm"), seed.p1, rep["id"])
        r = reports.update_narrative(s, seed.actor("pm"), seed.p1, rep["id"], cur["version"],
                                     f"**Ωmega** *Жук* `код` {UNICODE}")  # fmt: skip
    pdf = report_render.to_pdf(r)
    text = pdf_text(pdf)
    assert f"Projekt {UNICODE}" in text
    assert f"Risiko {UNICODE}" in text
    assert "Ωmega" in text and "Жук" in text and "код" in text and UNICODE in text
    assert (
        "**" not in text and "`" not in text
    )  # laid out as HTML (bold, italic, code), not the plain fallback
    assert "Z?rich" not in text and "?mega" not in text
    assert b"/FontFile2" in pdf and b"/ToUnicode" in pdf and b"/Helvetica" not in pdf


def test_api_download_and_cli(seed: World, rep: dict[str, Any], api: Any, as_: Any, monkeypatch: Any,
                              tmp_path: Any) -> None:  # fmt: skip
    from typer.testing import CliRunner

    from charter.cli.main import app
    from charter.config import get_settings

    base = f"/projects/{seed.p1}/reports"
    got = api.get(f"{base}/{rep['id']}/pdf", headers=as_("pm"))
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    assert got.headers["content-type"] == "application/pdf"
    assert api.get(f"{base}/{rep['id']}", headers=as_("sponsor")).status_code == 404
    bad = api.patch(
        f"{base}/{rep['id']}", headers=as_("pm"), json={"version": rep["version"], "narrative": None}
    )
    assert bad.status_code == 422
    bad = api.patch(
        f"{base}/{rep['id']}", headers=as_("pm"), json={"version": rep["version"], "status": "published"}
    )
    assert bad.status_code == 422

    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.url)
    get_settings.cache_clear()
    runner = CliRunner()
    res = runner.invoke(app, ["--as", "pm", "report", "P1", "--period", "week", "--date", "2030-01-09",
                              "--format", "json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["id"] == rep["id"]
    out = tmp_path / "r.pdf"
    res = runner.invoke(app, ["--as", "pm", "report", "P1", "--date", "2030-01-09", "--format", "pdf",
                              "--out", str(out), "--publish"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert out.read_bytes().startswith(b"%PDF") and "published" in res.stdout
    res = runner.invoke(app, ["--as", "sponsor", "report", "P1", "--period", "month", "--date", "2030-01-09",
                              "--format", "json"])  # fmt: skip
    assert res.exit_code != 0 and "report.publish" in res.output
    res = runner.invoke(app, ["report", "--help"])
    assert res.exit_code == 0 and "--publish" in res.stdout
    with seed.db.uow(readonly=True) as s:
        assert s.get(StatusReport, rep["id"]).status == "published"  # type: ignore[union-attr]
