"""Quality management: gates block phase closure (and the accountable role's override is journaled),
deliverable acceptance by the named acceptor only, concern routing through the liaison, the acknowledgement
deadline, defect trends per ISO week."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from charter.domain.errors import Conflict, PermissionDenied
from charter.persistence.models import CommItem, JournalEntry, User
from charter.services import journal, projects, quality, roles, stakeholders

Phase = str


def _p1_phase(seed: Any) -> Phase:
    with seed.db.uow(readonly=True) as s:
        return str(projects.get_project(s, seed.actor("pm"), seed.p1)["phase"])


def test_gate_blocks_phase_closure_and_override_is_journaled(seed: Any, frozen_clock: Any) -> None:
    pm = seed.actor("pm")
    start = _p1_phase(seed)
    with seed.db.uow() as s:
        quality.create_deliverable(s, pm, seed.p1, work_package_id=seed.wp_a, name="Design doc",
                                   acceptor_id=seed.users["sponsor"], acceptance_criteria="Signed")  # fmt: skip
        quality.create_defect(s, seed.actor("worker"), seed.p1, title="Data loss", severity="critical",
                              found_in="test", task_id=seed.tasks["a"])  # fmt: skip
        quality.create_metric(
            s, pm, seed.p1, name="Test pass rate", direction="at_least", target=95, unit="%"
        )
    with seed.db.uow() as s:
        metric = quality.plan(s, pm, seed.p1)["metrics"][0]
        quality.record_measurement(s, pm, seed.p1, metric["id"], value=90)
    with seed.db.uow() as s, pytest.raises(Conflict) as refused:
        quality.close_phase(s, pm, seed.p1)
    msg = refused.value.message
    assert "open critical defects" in msg and "Data loss" in msg
    assert "Design doc" in msg and "Test pass rate" in msg
    assert _p1_phase(seed) == start

    # Make the Sponsor accountable for quality: now the PM may not override
    with seed.db.uow() as s:
        roles.set_raci(
            s, seed.actor("admin"), seed.p1, area="quality", role_id=seed.roles["sponsor"], letter="A"
        )
    with seed.db.uow() as s, pytest.raises(PermissionDenied):
        quality.close_phase(s, pm, seed.p1, override_reason="Go anyway")
    with seed.db.uow() as s:
        roles.set_raci(s, seed.actor("admin"), seed.p1, area="quality", role_id=seed.roles["project_manager"],
                       letter="A")  # fmt: skip
    with seed.db.uow() as s:
        out = quality.close_phase(s, pm, seed.p1, override_reason="Customer accepts the risk in writing")
    assert out["current_phase"] != start
    assert out["overrides"][0]["reason"] == "Customer accepts the risk in writing"
    with seed.db.uow(readonly=True) as s:
        entries = journal.entries(s, project_id=seed.p1, entity_type="phase_gate")
    override = [e for e in entries if e["action"] == "override"]
    assert override and "Customer accepts the risk" in (override[0]["cause"] or "")


def test_gate_passes_when_criteria_are_met(seed: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        d = quality.create_deliverable(s, pm, seed.p1, work_package_id=seed.wp_b, name="Spec",
                                       acceptor_id=seed.users["stakeholder"])  # fmt: skip
        r = quality.create_review(s, pm, seed.p1, title="Spec review", reviewer_ids=[seed.users["task_leader"]],
                                  items=["Complete", "Consistent"])  # fmt: skip
    with seed.db.uow() as s:
        assert not quality.gate(s, pm, seed.p1)["passed"]
        quality.accept_deliverable(s, seed.actor("stakeholder"), seed.p1, d["id"])
        quality.sign_off(s, seed.actor("task_leader"), seed.p1, r["id"], results={"0": "pass", "1": "pass"})
    with seed.db.uow() as s:
        assert quality.gate(s, pm, seed.p1)["passed"]
        out = quality.close_phase(s, pm, seed.p1)
    assert out["phases"][0]["closed_at"] is not None


def test_acceptance_by_someone_not_named_is_refused(seed: Any, api: Any, as_: Any) -> None:
    with seed.db.uow() as s:
        d = quality.create_deliverable(s, seed.actor("pm"), seed.p1, work_package_id=seed.wp_a, name="Build",
                                       acceptor_id=seed.users["stakeholder"])  # fmt: skip
    url = f"/projects/{seed.p1}/deliverables/{d['id']}"
    r = api.post(url + "/accept", json={}, headers=as_("pm"))
    assert r.status_code == 403 and "named as the acceptor" in r.json()["error"]["message"]
    r = api.post(url + "/reject", json={"reason": "Crashes on login"}, headers=as_("stakeholder"))
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert r.json()["rejections"][0]["reason"] == "Crashes on login"
    assert api.post(url + "/resubmit", json={}, headers=as_("task_leader")).json()["status"] == "pending"
    r = api.post(url + "/accept", json={}, headers=as_("stakeholder"))
    assert r.json()["status"] == "accepted" and r.json()["decided_by"] == "Stakeholder"


def test_concern_goes_through_the_liaison_when_the_department_has_one(seed: Any, frozen_clock: Any) -> None:
    with seed.db.uow() as s:
        s.execute(update(User).where(User.id == seed.users["stakeholder"]).values(department_id=seed.sales))
    with seed.db.uow() as s:
        c = stakeholders.raise_concern(s, seed.actor("stakeholder"), seed.p1, subject="Go-live too early",
                                       areas=["schedule"], severity="high")  # fmt: skip
        item = s.get(CommItem, c["comm_item_id"])
        assert item is not None and item.status == "with_liaison"
    assert c["route"] == "via_liaison" and c["liaison_id"] == seed.users["liaison"]
    # The liaison (Sales) sees it and may acknowledge it
    with seed.db.uow() as s:
        seen = stakeholders.list_concerns(s, seed.actor("liaison"), seed.p1)
        assert [x["id"] for x in seen] == [c["id"]]
        stakeholders.acknowledge(s, seed.actor("liaison"), seed.p1, c["id"])


def test_concern_goes_straight_to_the_pm_without_a_liaison(seed: Any, frozen_clock: Any) -> None:
    with seed.db.uow() as s:
        c = stakeholders.raise_concern(s, seed.actor("stakeholder"), seed.p1, subject="Budget",
                                       areas=["budget"], confidential=True)  # fmt: skip
    assert c["route"] == "direct" and c["liaison_id"] is None and c["pm_id"] == seed.users["pm"]
    with seed.db.uow(readonly=True) as s:
        assert stakeholders.list_concerns(s, seed.actor("worker"), seed.p1) == []  # confidential
        assert len(stakeholders.list_concerns(s, seed.actor("pm"), seed.p1)) == 1


def test_acknowledgement_deadline_flags_an_unanswered_concern(seed: Any, frozen_clock: Any) -> None:
    frozen_clock.set(datetime(2030, 1, 10, 9, 0, tzinfo=UTC))  # a Thursday
    with seed.db.uow() as s:
        quality.set_plan(s, seed.actor("pm"), seed.p1, concern_ack_days=3)
        c = stakeholders.raise_concern(s, seed.actor("stakeholder"), seed.p1, subject="Testing is thin",
                                       areas=["quality"])  # fmt: skip
    assert c["ack_due_at"] == datetime(2030, 1, 15, 9, 0, tzinfo=UTC)  # Thu + 3 working days = Tue
    frozen_clock.set(datetime(2030, 1, 15, 8, 0, tzinfo=UTC))
    with seed.db.uow(readonly=True) as s:
        assert not stakeholders.get_concern(s, seed.actor("pm"), seed.p1, c["id"])["overdue"]
    frozen_clock.set(datetime(2030, 1, 15, 10, 0, tzinfo=UTC))
    with seed.db.uow(readonly=True) as s:
        assert stakeholders.get_concern(s, seed.actor("stakeholder"), seed.p1, c["id"])["overdue"]
        assert [x["id"] for x in stakeholders.list_concerns(s, seed.actor("pm"), seed.p1, overdue=True)] == [
            c["id"]
        ]
    with seed.db.uow() as s:
        done = stakeholders.answer(s, seed.actor("pm"), seed.p1, c["id"], text="More tests are planned")
    assert not done["overdue"] and done["status"] == "answered"


def test_defects_trend_per_iso_week(seed: Any, frozen_clock: Any) -> None:
    pm = seed.actor("pm")
    ids = []
    for day in (7, 8, 15):  # two in 2030-W02, one in W03
        frozen_clock.set(datetime(2030, 1, day, 10, tzinfo=UTC))
        with seed.db.uow() as s:
            ids.append(
                quality.create_defect(s, pm, seed.p1, title=f"Bug {day}", severity="minor", found_in="test")[
                    "id"
                ]
            )
    frozen_clock.set(datetime(2030, 1, 16, 10, tzinfo=UTC))
    with seed.db.uow() as s:
        v = 1
        for status in ("triaged", "in_progress", "resolved", "verified", "closed"):
            v = quality.update_defect(s, pm, seed.p1, ids[0], v, status=status)["version"]
        with pytest.raises(Conflict):
            quality.update_defect(s, pm, seed.p1, ids[1], 1, status="closed")
    with seed.db.uow(readonly=True) as s:
        weeks = {w["week"]: w for w in quality.defect_trend(s, pm, seed.p1, weeks=3)["weeks"]}
    assert (weeks["2030-W02"]["opened"], weeks["2030-W02"]["closed"], weeks["2030-W02"]["open"]) == (2, 0, 2)
    assert (weeks["2030-W03"]["opened"], weeks["2030-W03"]["closed"], weeks["2030-W03"]["open"]) == (1, 1, 2)
    assert weeks["2030-W01"]["opened"] == 0


def test_journal_records_concern_and_review(seed: Any) -> None:
    with seed.db.uow() as s:
        t = quality.create_template(s, seed.actor("pm"), name="Code review", items=["Tests", "Docs"])
        r = quality.create_review(s, seed.actor("pm"), seed.p1, title="Sprint 1", template_id=t["id"],
                                  reviewer_ids=[seed.users["worker"]])  # fmt: skip
        quality.add_finding(s, seed.actor("worker"), seed.p1, r["id"], text="No tests", severity="major",
                            raise_defect=True)  # fmt: skip
    with seed.db.uow(readonly=True) as s:
        kinds = set(s.scalars(select(JournalEntry.entity_type).where(JournalEntry.project_id == seed.p1)))
        review = quality.list_reviews(s, seed.actor("observer"), seed.p1)[0]
    assert {"review", "review_finding", "defect"} <= kinds
    assert [c["item"] for c in review["checklist"]] == ["Tests", "Docs"] and review["findings"][0][
        "defect_id"
    ]


def test_web_pages_render_and_forms_work(seed: Any) -> None:
    import re

    from fastapi.testclient import TestClient

    from charter.app import create_app
    from charter.services import accounts

    with seed.db.uow() as s:
        s.execute(
            update(User)
            .where(User.id == seed.users["pm"])
            .values(password_hash=accounts.hash_password("pw-123456789"))
        )
    with TestClient(create_app(seed.db)) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        client.post("/login", data={"username": "pm", "password": "pw-123456789", "csrf_token": token.group(1),
                                    "next": "/projects"})  # fmt: skip
        html = client.get(f"/projects/{seed.p1}/quality").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert csrf and "Lifecycle" in html
        base = f"/projects/{seed.p1}"
        posts = [
            ("/quality/metric", {"name": "Review coverage", "direction": "at_least", "target": "80", "unit": "%"}),
            ("/quality/deliverable", {"name": "Runbook", "work_package_id": str(seed.wp_b),
                                      "acceptor_id": str(seed.users["sponsor"])}),
            ("/quality/defect", {"title": "Broken link", "severity": "minor", "found_in": "review", "priority": "2"}),
            ("/quality/review", {"title": "Runbook review", "kind": "inspection",
                                 "reviewer_ids": str(seed.users["worker"])}),
            ("/stakeholders", {"name": "Helpdesk", "kind": "group", "interest": "5", "influence": "2"}),
        ]  # fmt: skip
        for path, data in posts:
            r = client.post(base + path, data={**data, "csrf_token": csrf.group(1)}, follow_redirects=False)
            assert r.status_code == 303, (path, r.text[:500])
        r = client.post(base + "/quality/close", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
        assert r.status_code == 409 and "gate fails" in r.text
        html = client.get(base + "/quality").text
        for text in ("Review coverage", "Runbook", "Broken link", "Runbook review"):
            assert text in html
        assert "Helpdesk" in client.get(base + "/stakeholders").text
        assert client.get(base + "/changes?baseline=").status_code == 200


def test_a_concern_needed_by_a_day_already_past_is_refused(
    seed: Any, api: Any, as_: Any, frozen_clock: Any
) -> None:
    """A concern "needed by" last year was accepted on the page, the API and the CLI alike, and then counted as
    on time; the date is refused naming the field, today is fine."""
    url = f"/projects/{seed.p1}/concerns"
    body = {"subject": "Quarter-end cut-over", "areas": ["schedule"]}
    r = api.post(url, headers=as_("stakeholder"), json={**body, "needed_by": "2029-12-31"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "needed_by" and "passed" in r.text
    today = frozen_clock.now.date().isoformat()
    assert api.post(url, headers=as_("stakeholder"), json={**body, "needed_by": today}).status_code == 201


def test_api_and_cli_accept_with_a_stale_version_are_refused(seed: Any, api: Any, as_: Any, cli: Any) -> None:
    with seed.db.uow() as s:
        d = quality.create_deliverable(s, seed.actor("pm"), seed.p1, work_package_id=seed.wp_a, name="Build",
                                       acceptor_id=seed.users["stakeholder"])  # fmt: skip
        quality.update_deliverable(
            s, seed.actor("pm"), seed.p1, d["id"], d["version"], acceptance_criteria="Fast"
        )
    url = f"/projects/{seed.p1}/deliverables/{d['id']}"
    r = api.post(url + "/accept", json={"version": d["version"]}, headers=as_("stakeholder"))
    assert r.status_code == 409 and r.json()["error"]["current"]["acceptance_criteria"] == "Fast"
    out = cli(
        "quality", "accept", "P1", str(d["id"]), "--version", str(d["version"]), who="stakeholder", code=1
    )
    assert "changed by someone else" in out.stdout + out.stderr
    r = api.post(url + "/accept", json={"version": d["version"] + 1}, headers=as_("stakeholder"))
    assert r.status_code == 200 and r.json()["status"] == "accepted"


def test_api_plan_put_keeps_the_responsible_role_it_does_not_name(seed: Any, api: Any, as_: Any) -> None:
    """PUT …/quality-plan with only the acknowledgement days kept the standards and notes it did not name but
    cleared the role responsible for quality; an explicit null still clears it."""
    url = f"/projects/{seed.p1}/quality-plan"
    role = api.get(f"/projects/{seed.p1}/roles", headers=as_("pm")).json()[0]["id"]
    r = api.put(
        url, json={"standards": ["ISO 9001"], "responsible_role_id": role, "notes": "n"}, headers=as_("pm")
    )
    assert r.status_code == 200 and r.json()["responsible_role_id"] == role
    r = api.put(url, json={"concern_ack_days": 5}, headers=as_("pm"))
    assert r.status_code == 200, r.text
    got = r.json()
    assert (
        got["responsible_role_id"] == role
        and got["standards"] == ["ISO 9001"]
        and got["concern_ack_days"] == 5
    )
    r = api.put(url, json={"responsible_role_id": None}, headers=as_("pm"))
    assert r.json()["responsible_role_id"] is None and r.json()["notes"] == "n"


def test_api_measurement_time_without_a_zone_is_utc(seed: Any, api: Any, as_: Any) -> None:
    """A measurement posted with "2020-01-01T10:00:00" (no zone) was an internal error (500): it is read as
    UTC, as the web form reads its date and time."""
    with seed.db.uow() as s:
        m = quality.create_metric(
            s, seed.actor("pm"), seed.p1, name="Coverage", direction="at_least", target=80.0
        )
    r = api.post(f"/projects/{seed.p1}/quality-metrics/{m['id']}/measurements",
                 json={"value": 50, "measured_at": "2020-01-01T10:00:00"}, headers=as_("pm"))  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["measurements"][-1]["measured_at"].startswith("2020-01-01T10:00:00")
