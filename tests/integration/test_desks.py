"""Role desks and the portfolio: each desk section only for a user who holds that role now."""

from __future__ import annotations

from typing import Any

from charter.domain import reports as R
from charter.services import desks, reports, risk, roles, stakeholders
from charter.services.context import now
from webhelpers import signed_in

ROLE_SECTIONS = {
    "pm": {"project_manager"},
    "task_leader": {"task_leader"},
    "task_leader_b": {"task_leader"},
    "worker": {"worker"},
    "stakeholder": {"stakeholder"},
    "liaison": {"liaison"},
    "sponsor": {"sponsor"},
    "observer": set(),
}


def _p1(seed: Any, who: str) -> dict[str, Any] | None:
    with seed.db.uow(readonly=True) as s:
        d = desks.desk(s, seed.actor(who))
    return next((p for p in d["projects"] if p["project_id"] == seed.p1), None)


def test_each_role_sees_its_own_sections_and_no_others(seed: Any, frozen_clock: Any) -> None:
    for who, expected in ROLE_SECTIONS.items():
        p = _p1(seed, who)
        assert p is not None, who
        assert set(p["sections"]) == expected, who
    assert _p1(seed, "outsider") is None  # outsider holds no role in P1
    with seed.db.uow(readonly=True) as s:
        out = desks.desk(s, seed.actor("outsider"))
    assert [(p["project_key"], set(p["sections"])) for p in out["projects"]] == [("P2", {"project_manager"})]


def test_sections_carry_the_right_items(seed: Any, frozen_clock: Any) -> None:
    with seed.db.uow() as s:
        stakeholders.raise_concern(s, seed.actor("stakeholder"), seed.p1, subject="Go-live clashes with audit",
                                   areas=["schedule"])  # fmt: skip
    pm = _p1(seed, "pm")["sections"]["project_manager"]  # type: ignore[index]
    assert list(pm["health"]["areas"]) == list(R.AREAS)  # the status report's ten areas
    assert all(a["rule"].startswith(f"{a['rag']}:" if a["rag"] != "grey" else "no data:")
               for a in pm["health"]["areas"].values())  # fmt: skip
    assert "spi" in pm["health"]["areas"]["schedule"]["figures"]
    assert pm["today"]["overdue_communications"] == 0  # the new concern is not past its deadline yet
    assert "approvals" in pm["today"] and "gaps" in pm["today"]
    leader = _p1(seed, "task_leader")["sections"]["task_leader"]  # type: ignore[index]
    assert [x["work_package"] for x in leader] == ["WP-A"] and leader[0]["tasks"] == 2
    raised = _p1(seed, "stakeholder")["sections"]["stakeholder"]  # type: ignore[index]
    assert [c["subject"] for c in raised["raised"]] == ["Go-live clashes with audit"]
    assert raised["raise_link"].endswith("/concerns#raise-form")
    liaison = _p1(seed, "liaison")["sections"]["liaison"]  # type: ignore[index]
    assert [x["department_id"] for x in liaison] == [seed.sales]
    worker = _p1(seed, "worker")["sections"]["worker"]  # type: ignore[index]
    assert [t["name"] for t in worker["tasks"]] == ["Task A"] and worker["timesheet_link"] == "/me/work"
    sponsor = _p1(seed, "sponsor")["sections"]["sponsor"]  # type: ignore[index]
    assert sponsor["health"] in ("green", "amber", "red", "unknown")


def test_a_released_role_leaves_the_desk(seed: Any, frozen_clock: Any) -> None:
    with seed.db.uow() as s:
        a = next(x for x in roles.list_assignments(s, seed.actor("admin"), seed.p1)
                 if x["id"] == seed.assignments["worker"])  # fmt: skip
        roles.end_assignment(s, seed.actor("admin"), seed.p1, a["id"], a["version"])
    assert _p1(seed, "worker") is None


def test_portfolio_shows_only_visible_projects_with_rules(seed: Any, frozen_clock: Any) -> None:
    with seed.db.uow(readonly=True) as s:
        mine = desks.portfolio(s, seed.actor("worker"))
        every = desks.portfolio(s, seed.actor("admin"))
    assert [p["key"] for p in mine["projects"]] == ["P1"]
    assert [p["key"] for p in every["projects"]] == ["P1", "P2"]
    assert mine["areas"] == list(R.AREAS) and set(mine["rules"]) == set(R.AREAS)
    withheld = mine["projects"][0]["areas"]["budget"]  # a worker may not read the budget
    assert withheld["rag"] == "grey" and withheld["figures"] == {} and "may not read" in withheld["rule"]
    assert every["projects"][0]["areas"]["budget"]["rule"] != withheld["rule"]
    assert mine["projects"][0]["overall"] == every["projects"][0]["overall"]  # the project's own colour
    assert mine["budget"] == []


def _draft_colours(seed: Any) -> dict[str, str]:
    with seed.db.uow() as s:
        today = now().date()
        r = reports.find_for_period(s, seed.actor("pm"), seed.p1, period="week", day=today)
        if r is None:
            r = reports.create_draft(s, seed.actor("pm"), seed.p1, period="week", day=today)
    return {"overall": r["overall"], **{a["area"]: a["rag"] for a in r["areas"]}}


def _portfolio_colours(seed: Any, who: str = "pm") -> dict[str, str]:
    with seed.db.uow(readonly=True) as s:
        row = next(p for p in desks.portfolio(s, seed.actor(who))["projects"] if p["id"] == seed.p1)
    return {"overall": row["overall"], **{k: a["rag"] for k, a in row["areas"].items()}}


def test_portfolio_colours_are_the_current_week_drafts_under_the_projects_thresholds(
    seed: Any, frozen_clock: Any
) -> None:
    """The portfolio rates by the status reports' rules and each project's own thresholds: whatever the data
    and thresholds, a project shows the colours of its current-week draft."""
    pm = seed.actor("pm")
    with seed.db.uow() as s:  # an open threat scoring 12: amber under the default risk thresholds (10/20)
        risk.create_risk(s, pm, seed.p1, title="Vendor late", kind="threat", probability=3, impact_schedule=4,
                         strategy="mitigate")  # fmt: skip
        stakeholders.raise_concern(s, seed.actor("stakeholder"), seed.p1, subject="Audit clash",
                                   areas=["schedule"])  # fmt: skip
    before = _portfolio_colours(seed)
    assert before == _draft_colours(seed)
    assert before["risk"] == "amber" and before["communications"] == "green" and before["conflict"] == "grey"
    with seed.db.uow() as s:  # the PM raises the risk thresholds: 12 is no longer worth amber
        current = reports.get_thresholds(s, pm, seed.p1)
        reports.set_thresholds(s, pm, seed.p1, current["version"], {"risk_amber_score": 15})
    frozen_clock.advance(days=10)  # and the concern's acknowledgement deadline passes
    after = _portfolio_colours(seed)
    assert after == _draft_colours(seed)
    assert after["risk"] == "green" and after["communications"] == "red" and after["overall"] == "red"
    with seed.db.uow(readonly=True) as s:
        row = next(p for p in desks.portfolio(s, pm)["projects"] if p["id"] == seed.p1)
    assert row["own_thresholds"] and row["areas"]["risk"]["rule"] == "green: 1 open threat, highest score 12"


def test_api_desk_and_portfolio(api: Any, seed: Any, as_: Any) -> None:
    r = api.get("/me/desk", headers=as_("liaison"))
    assert r.status_code == 200
    assert set(r.json()["projects"][0]["sections"]) == {"liaison"}
    assert api.get("/portfolio", headers=as_("sponsor")).status_code == 200
    assert api.get("/me/desk").status_code == 401


def test_web_desk_portfolio_and_search_pages(seed: Any) -> None:
    with signed_in(seed, "stakeholder") as client:
        page = client.get("/desk")
        assert page.status_code == 200, page.text
        assert 'id="desk-P1-stakeholder"' in page.text and "desk-P1-pm" not in page.text
        assert 'href="/portfolio"' in page.text and 'action="/search"' in page.text
        port = client.get("/portfolio")
        assert port.status_code == 200 and 'id="portfolio-P1"' in port.text
        assert 'id="portfolio-P2"' not in port.text and f'href="/projects/{seed.p2}"' not in port.text
        assert 'id="portfolio-week"' in port.text and port.text.count('data-area="') == len(R.AREAS)
        assert (
            'data-area="conflict"><span class="badge rag-grey" title="no data: the conflict log is empty"'
            in port.text
        )
        found = client.get("/search", params={"q": 'Task "A OR NEAR('})
        assert found.status_code == 200 and 'id="search-total"' in found.text
    with signed_in(seed, "pm") as client:
        assert 'id="desk-P1-pm"' in client.get("/desk").text


def test_the_sponsors_desk_counts_what_approvals_lists(seed: Any, frozen_clock: Any, cli: Any) -> None:
    """The Sponsor's desk said "1 approval waiting" while *Approvals* listed a purchase request, a budget
    version to decide and a held invoice: the desk counted purchase requests only. It holds what *Approvals*
    holds for the project, on the page and in `charter desk`."""
    from charter.services import approvals, budget, procurement

    pm, sponsor = seed.actor("pm"), seed.actor("sponsor")
    with seed.db.uow() as s:
        line = budget.create_line(s, pm, seed.p1, category="hardware", name="Servers", amount="10000")
        v = procurement.create_vendor(s, pm, name="Acme")
        first = procurement.create_request(s, pm, seed.p1, budget_line_id=line["id"], title="Disks",
                                           amount="500", vendor_id=v["id"])  # fmt: skip
        procurement.decide_request(s, sponsor, seed.p1, first["id"], approve=True)
        o = procurement.create_order(s, pm, seed.p1, request_id=first["id"], lines=[{"unit_price": "500"}])
        procurement.add_invoice(s, pm, seed.p1, order_id=o["id"], number="INV-1", day=now().date(),
                                amount="500")  # fmt: skip
        procurement.create_request(s, pm, seed.p1, budget_line_id=line["id"], title="Racks", amount="900")
        budget.propose_version(s, pm, seed.p1, note="first cut")
    with seed.db.uow(readonly=True) as s:
        listed = approvals.waiting_for(s, sponsor)
    desk = _p1(seed, "sponsor")["sections"]["sponsor"]  # type: ignore[index]
    assert len(listed["purchase_requests"]) == len(listed["budget_versions"]) == len(listed["invoices"]) == 1
    assert sorted(a["kind"] for a in desk["approvals"]) == ["budget_version", "invoice", "purchase_request"]
    with signed_in(seed, "sponsor") as client:
        html = client.get("/desk").text
    assert "3 approvals waiting" in html and "Budget version 1" in html and "Held invoice INV-1" in html
    out = cli("desk", who="sponsor").stdout
    assert "3 approvals waiting" in out and "budget version 1" in out and "held invoice INV-1" in out
