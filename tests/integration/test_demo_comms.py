"""The demo's comms history (services/demo_comms.py): seeded once, then read back through the services as the
people who would look at it, and through the main web pages of the area."""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.persistence.db import Database
from charter.services import (
    comm_plan,
    comms,
    comms_analytics,
    conflicts,
    demo,
    meetings,
    notifications,
    projects,
    stakeholders,
    tasks,
)
from charter.services.context import SYSTEM, now

# the demo is seeded once per test process: its tests run in one process (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("demo")


def _crm(s: Any) -> int:
    return int(next(p["id"] for p in projects.list_projects(s, SYSTEM) if p["key"] == "CRM"))


def _by_subject(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["subject"]: i for i in items}


def _check_messages(s: Any, pid: int) -> dict[str, Any]:
    priya = demo._actor(s, "priya.nair")
    items = comms.list_items(s, priya, pid)
    by = _by_subject(items)
    statuses = Counter(i["status"] for i in items)
    assert {"with_liaison", "open", "forwarded", "delivered", "answered", "closed"} <= set(statuses), statuses

    # Sales through Emily: one she resolved herself, one she forwarded and the PM answered, one waiting for the PM
    views = by["Will our saved list views and pipeline dashboards move across?"]
    assert (views["route"], views["status"], views["liaison"]) == ("via_liaison", "closed", "Emily Carter")
    assert views["answered_by_name"] == "Emily Carter" and not views["reached_pm"]
    quarter = by["No cut-over in the last two weeks of a sales quarter"]
    assert quarter["forwarded_at"] is not None and quarter["answered_by_name"] == "Marco Rossi"
    assert quarter["pm_minutes"] == 20 and quarter["status"] == "closed"
    owners = by["Opportunity owners who have left the company"]
    assert (owners["route"], owners["status"]) == ("via_liaison", "forwarded")

    # Customer Service: straight to the PM before David became its liaison, through him afterwards
    david_since = min(
        a["valid_from"]
        for a in demo.roles.list_assignments(s, priya, pid)
        if a["user_id"] == demo._user_id(s, "david.nguyen")
    )
    cs = [i for i in items if i["department"] == "Customer Service" and i["direction"] == "inbound"]
    before = [i for i in cs if i["received_at"] < david_since]
    after = [i for i in cs if i["received_at"] >= david_since]
    assert before and all(i["route"] == "direct" for i in before)
    assert after and all(i["route"] == "via_liaison" and i["liaison"] == "David Nguyen" for i in after)
    warranty = by["Warranty cases older than 7 years"]
    assert warranty["route"] == "direct" and warranty["answered_by_name"] == "Marco Rossi"
    sandbox = by["Can super-users practise on real (anonymised) cases?"]
    assert sandbox["answered_by_name"] == "David Nguyen" and not sandbox["reached_pm"]
    batch = [by["Quick actions must be ready for the super-user training"], by[
        "Quick-reference guides in German and English"]]  # fmt: skip
    assert batch[0]["forward_id"] is not None and batch[0]["forward_id"] == batch[1]["forward_id"]
    assert {b["answered_by_name"] for b in batch} == {"Priya Nair"}
    roster = by["Hypercare roster: when do the two Sales ops colleagues start?"]
    assert roster["status"] == "with_liaison"

    # The PM's direct contact with a department head, a message to a department relayed by its liaison,
    # an announcement
    intro = by["Introduction — and a liaison for Customer Service?"]
    assert intro["direct_contact"] and intro["to_user"] == "Aisha Karimi" and intro["status"] == "answered"
    relay = by["Dress rehearsal 1: three reps to check 50 sample accounts"]
    assert (relay["direction"], relay["route"], relay["status"]) == ("outbound", "via_liaison", "delivered")
    ann = by["Recovery plan agreed; go-live after the quarter close"]
    assert ann["direction"] == "announcement" and ann["audience"] == "project"

    thread = comms.get_item(s, priya, pid, quarter["id"])
    assert [m["kind"] for m in thread["messages"]] == ["post", "forward", "answer", "close"]
    times = [m["created_at"] for m in thread["messages"]]
    assert times == sorted(times)
    for i in items:  # the history is in the past and on working days
        assert i["received_at"].replace(tzinfo=None) <= now().replace(tzinfo=None)
        assert i["received_at"].weekday() < 5, i["subject"]

    # David's desk: his inbox, what he forwarded and resolved
    desk = comms.desk(s, demo._actor(s, "david.nguyen"), pid)
    (mine,) = desk["departments"]
    assert mine["department"] == "Customer Service" and mine["liaison"] == "David Nguyen"
    assert [x["subject"] for x in mine["inbox"]] == [roster["subject"]]
    assert mine["stats"]["forwarded"] >= 3 and mine["stats"]["resolved_by_liaison"] >= 1

    # The analytics: the liaison cut the PM's time per Customer Service item; Finance (no liaison) estimated
    a = comms_analytics.analytics(s, priya, pid)
    cmp = {c["department"]: c for c in a["before_after"]}
    assert cmp["Customer Service"]["reduction"] is not None and cmp["Customer Service"]["reduction"] > 0.5
    assert [e["department"] for e in a["estimates"]] == ["Finance"]
    assert a["totals"]["pm_direct_contacts"] >= 2
    return by


def _check_register_plan_concerns(s: Any, pid: int) -> None:
    priya = demo._actor(s, "priya.nair")
    reg = {x["name"]: x for x in stakeholders.register(s, priya, pid)["stakeholders"]}
    assert len(reg) >= 9
    assert reg["Robert Lindqvist"]["quadrant"] == "manage_closely"
    assert reg["Thomas Brennan"]["quadrant"] == "keep_satisfied"
    assert reg["Works council"]["user_id"] is None and reg["Works council"]["kind"] == "group"
    assert reg["Aisha Karimi"]["current_engagement"] == "neutral" and reg["Aisha Karimi"]["engagement_gap"]
    assert reg["Sofía Álvarez"]["current_engagement"] == "supportive"
    emily_view = stakeholders.register(s, demo._actor(s, "emily.carter"), pid)["stakeholders"]
    assert {x["department"] for x in emily_view} == {"Sales"}

    plan = {e["information"]: e for e in comm_plan.list_plan(s, priya, pid)}
    assert len(plan) == 8
    assert {e["owner"] for e in plan.values()} == {"Priya Nair", "Hannah Schmidt"}  # Marco's were handed over
    overdue = [e["information"] for e in plan.values() if e["overdue"]]
    assert overdue == ["Cost and licence report"]
    assert all(e["last_done_on"] is not None for e in plan.values())
    weekly = plan["Weekly status report (RAG, milestones, decisions needed)"]
    assert weekly["next_due"] > now().date() and weekly["audience_name"] == "Robert Lindqvist"

    concerns = {c["subject"]: c for c in stakeholders.list_concerns(s, priya, pid)}
    assert Counter(c["status"] for c in concerns.values()) == {"answered": 3, "acknowledged": 1, "open": 1}
    dupes = concerns["Duplicate customer records will split case history"]
    assert dupes["route"] == "direct" and dupes["answered_by"] == "Marco Rossi" and "0.5 %" in dupes["answer"]
    cutover = concerns["Planned cut-over weekend falls into the quarter-end close"]
    assert cutover["liaison"] == "Emily Carter" and cutover["conflict"]["ref"] == "C-1"
    assert cutover["status"] == "answered"
    training = concerns["Only 60 % of agents can be trained before go-live"]
    assert training["acknowledged_by"] == "David Nguyen" and not training["answer"]
    fresh = concerns["Hypercare contractor day rates are not in the budget"]
    assert fresh["status"] == "open" and not fresh["overdue"] and fresh["route"] == "direct"
    # the raiser sees their concern; a Sales stakeholder does not see Customer Service's thread
    sofia = demo._actor(s, "sofia.alvarez")
    assert cutover["id"] in {c["id"] for c in stakeholders.list_concerns(s, sofia, pid, mine=True)}
    assert training["comm_item_id"] not in {i["id"] for i in comms.list_items(s, sofia, pid)}


def _check_meetings_and_conflicts(s: Any, pid: int) -> None:
    priya = demo._actor(s, "priya.nair")
    rows = {m["title"]: m for m in meetings.list_meetings(s, priya, pid)}
    assert set(rows) == {"Steering committee #1", "Steering committee #2", "Steering committee #3",
                         "Weekly team meeting"}  # fmt: skip
    assert rows["Steering committee #3"]["starts_at"].replace(tzinfo=None) > now().replace(tzinfo=None)
    sc2 = meetings.get_meeting(s, priya, pid, rows["Steering committee #2"]["id"])
    assert "Recovery" in sc2["minutes"] and len(sc2["decisions"]) == 2 and len(sc2["actions"]) == 3
    assert {a["owner"] for a in sc2["actions"]} == {"Jonas Becker", "Aisha Karimi", "Priya Nair"}
    assert "David Nguyen" in {a["name"] for a in sc2["attendees"]}
    team = meetings.get_meeting(s, priya, pid, rows["Weekly team meeting"]["id"])
    assert team["minutes"] and team["decisions"] and team["starts_at"].weekday() < 5
    done = {a["text"]: tasks.get_task(s, priya, pid, a["task_id"]) for a in team["actions"]}
    assert done["Send the dress-rehearsal checklist to the Sales reps"]["percent_complete"] == 100
    open_action = done["Book the ERP test system for the end-to-end test"]
    assert open_action["percent_complete"] == 0 and open_action["assignees"]

    log = {c["ref"]: c for c in conflicts.list_conflicts(s, priya, pid)}
    c1 = conflicts.get_conflict(s, priya, pid, log["C-1"]["id"])
    assert (c1["status"], c1["level"], c1["approach"], c1["source"]) == (
        "closed",
        "sponsor",
        "compromise",
        "concern",
    )
    assert c1["resolved_by"] == "Robert Lindqvist" and "quarter closes" in c1["outcome"]
    assert {p["name"] for p in c1["parties"]} >= {
        "Sales",
        "Customer Service",
        "Sofía Álvarez",
        "Aisha Karimi",
    }
    actions = [e["action"] for e in c1["journal"]]
    assert actions.count("escalate") == 2 and "resolve" in actions and "close" in actions
    c2 = log["C-2"]
    assert (c2["status"], c2["level"], c2["owner"], c2["kind"]) == (
        "resolving",
        "pm",
        "Priya Nair",
        "technical",
    )
    assert c2["escalate_at"] is not None and not c2["overdue"]
    # the Sponsor sees both; a Task Leader party sees the technical one
    assert {c["ref"] for c in conflicts.list_conflicts(s, demo._actor(s, "robert.lindqvist"), pid)} >= {
        "C-1",
        "C-2",
    }
    assert "C-2" in {c["ref"] for c in conflicts.list_conflicts(s, demo._actor(s, "lena.fischer"), pid)}

    inbox = notifications.list_inbox(s, demo._actor(s, "priya.nair"))
    assert inbox, "the services told the PM about the history"


def _pages(db: Database, pid: int, by: dict[str, Any]) -> None:
    client = TestClient(create_app(db))

    def sign_in(username: str) -> None:
        client.cookies.clear()
        page = client.get("/login")
        m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert m
        r = client.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD,
                                        "csrf_token": m.group(1), "next": "/projects"}, follow_redirects=False)  # fmt: skip
        assert r.status_code == 303, r.text

    def page(url: str, *texts: str) -> str:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        body = html.unescape(r.text)
        for t in texts:
            assert t in body, (url, t)
        return body

    p = f"/projects/{pid}"
    sign_in("priya.nair")
    page(f"{p}/messages", "No cut-over in the last two weeks of a sales quarter", "Warranty cases older than 7 years",
         "Recovery plan agreed; go-live after the quarter close", "via liaison", "direct contact")  # fmt: skip
    page(f"{p}/messages?status=open", "Opportunity owners who have left the company")
    page(f"{p}/messages/{by['No cut-over in the last two weeks of a sales quarter']['id']}",
         "Sales leadership backs this", "recorded as a cut-over constraint")  # fmt: skip
    page(f"{p}/liaison", "Customer Service", "David Nguyen", "Emily Carter",
         "Hypercare roster: when do the two Sales ops colleagues start?")  # fmt: skip
    page(f"{p}/comms/analytics", "Customer Service", "Finance")
    page(f"{p}/comm-plan", "Steering committee: progress, budget, risks and decisions", "Cost and licence report",
         "overdue")  # fmt: skip
    body = page(f"{p}/meetings", "Steering committee #1", "Steering committee #3", "Weekly team meeting")
    m = re.search(rf'href="{p}/meetings/(\d+)"[^>]*>\s*Steering committee #2', body)
    assert m, "the meetings page links the steering committee"
    page(f"{p}/meetings/{m.group(1)}", "Ravi Patel works 50/50 on de-duplication and ETL scripts",
         "Recovery plan for the ETL scripts, with dates")  # fmt: skip
    page(f"{p}/stakeholders", "Works council", "Customer Service agents (about 60)", "Thomas Brennan")
    page(f"{p}/concerns", "Duplicate customer records will split case history",
         "Hypercare contractor day rates are not in the budget")  # fmt: skip
    body = page(f"{p}/conflicts", "Cut-over weekend: Sales quarter-end vs Customer Service peak season",
                "Which system is master for customer numbers: ERP or CRM?")  # fmt: skip
    m = re.search(rf'href="{p}/conflicts/(\d+)">Cut-over weekend', body)
    assert m
    page(f"{p}/conflicts/{m.group(1)}", "Go-live on the first weekend after the quarter closes")

    sign_in("david.nguyen")  # the liaison's own desk
    page(f"{p}/liaison", "Hypercare roster: when do the two Sales ops colleagues start?")


def test_demo_shows_comms_history(demo_db: Database) -> None:
    db = demo_db
    with db.uow(readonly=True) as s:
        pid = _crm(s)
        by = _check_messages(s, pid)
        _check_register_plan_concerns(s, pid)
        _check_meetings_and_conflicts(s, pid)
    _pages(db, pid, by)
