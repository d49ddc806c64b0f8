"""The quality and risk pages' edit forms over HTTP: a concern turned into a risk from the concerns page, the
stakeholder, defect and change-request edit forms (a stale version is a 409 shown on the page with the current
state), typed input kept on errors, the risk scales page, and cancelling a simulation run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from charter.app import create_app
from charter.persistence.models import User
from charter.services import change, quality, risk, simulation, stakeholders
from webhelpers import PW, login, no_inline

World = Any


@pytest.fixture
def web(seed: World) -> Iterator[tuple[TestClient, World]]:
    with seed.db.uow() as s:
        s.execute(update(User).values(password_hash=accounts_hash()))
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        yield client, seed


def accounts_hash() -> str:
    from charter.services import accounts

    return accounts.hash_password(PW)


def test_concern_turned_into_a_risk_from_the_concerns_page(web: tuple[TestClient, World]) -> None:
    client, w = web
    base = f"/projects/{w.p1}"
    token = login(client, "stakeholder")
    r = client.post(base + "/concerns", data={"csrf_token": token, "subject": "Audit in go-live week",
                                              "area_schedule": "on", "severity": "high", "body": "Staff away"})  # fmt: skip
    assert r.status_code == 303, r.text
    with w.db.uow(readonly=True) as s:
        cid = stakeholders.list_concerns(s, w.actor("pm"), w.p1)[0]["id"]
    assert f"/concerns/{cid}/risk" not in client.get(base + "/concerns").text  # not the stakeholder's to do
    token = login(client, "pm")
    page = client.get(base + "/concerns")
    assert f'action="{base}/concerns/{cid}/risk"' in page.text
    no_inline(page.text)
    r = client.post(f"{base}/concerns/{cid}/risk", data={"csrf_token": token, "category": "weather"})
    assert r.status_code == 422 and "weather" in r.text and 'value="weather"' not in r.text
    r = client.post(f"{base}/concerns/{cid}/risk", data={"csrf_token": token, "category": "people"})
    assert r.status_code == 303
    risk_url = r.headers["location"]
    page = client.get(risk_url).text
    assert 'id="concern-link"' in page and "Audit in go-live week" in page and "Staff away" in page
    login(client, "stakeholder")
    page = client.get(base + "/concerns").text
    assert 'class="risk-outcome"' in page and f'href="{risk_url}"' in page


def test_stakeholder_edit_form_and_a_stale_version(web: tuple[TestClient, World]) -> None:
    client, w = web
    with w.db.uow() as s:
        x = stakeholders.create_stakeholder(s, w.actor("pm"), w.p1, name="Finance")
    token = login(client, "pm")
    base = f"/projects/{w.p1}"
    page = client.get(base + "/stakeholders").text
    assert f'id="stakeholder-edit-{x["id"]}"' in page
    form = {"csrf_token": token, "version": str(x["version"]), "name": "Finance team", "kind": "group",
            "user_id": "", "department_id": str(w.sales), "interest": "5", "influence": "4", "attitude": "supporter",
            "current_engagement": "neutral", "desired_engagement": "leading", "communication_needs": "Monthly"}  # fmt: skip
    r = client.post(f"{base}/stakeholders/{x['id']}", data=form)
    assert r.status_code == 303, r.text
    with w.db.uow(readonly=True) as s:
        now = stakeholders.register(s, w.actor("pm"), w.p1)["stakeholders"][0]
    assert (now["name"], now["kind"], now["interest"], now["department_id"]) == (
        "Finance team",
        "group",
        5,
        w.sales,
    )
    r = client.post(f"{base}/stakeholders/{x['id']}", data={**form, "name": "Typed after a stale read"})
    assert r.status_code == 409
    assert "changed by someone else" in r.text and "current version" in r.text
    assert 'value="Typed after a stale read"' in r.text  # what the user typed is kept
    r = client.post(
        f"{base}/stakeholders/{x['id']}", data={**form, "version": str(now["version"]), "interest": "9"}
    )
    assert r.status_code == 422 and "interest" in r.text.lower()


def test_defect_edit_form_and_typed_input_kept_on_errors(web: tuple[TestClient, World]) -> None:
    client, w = web
    with w.db.uow() as s:
        d = quality.create_defect(s, w.actor("pm"), w.p1, title="Crash", severity="major", found_in="test")
        dl = quality.create_deliverable(s, w.actor("pm"), w.p1, work_package_id=w.wp_a, name="Spec",
                                        acceptor_id=w.users["stakeholder"])  # fmt: skip
    token = login(client, "pm")
    base = f"/projects/{w.p1}"
    page = client.get(base + "/quality").text
    assert f'id="defect-edit-{d["id"]}"' in page
    no_inline(page)
    form = {"csrf_token": token, "defect_id": str(d["id"]), "version": str(d["version"]), "title": "Crash on save",
            "description": "Steps: save twice", "severity": "critical", "priority": "1", "found_in": "production",
            "owner_id": str(w.users["worker"]), "task_id": str(w.tasks["a"]), "deliverable_id": str(dl["id"])}  # fmt: skip
    r = client.post(base + "/quality/defect-edit", data=form)
    assert r.status_code == 303, r.text
    with w.db.uow(readonly=True) as s:
        now = quality.list_defects(s, w.actor("pm"), w.p1)[0]
    assert (now["title"], now["severity"], now["priority"], now["found_in"], now["owner_id"], now["deliverable_id"]) \
        == ("Crash on save", "critical", 1, "production", w.users["worker"], dl["id"])  # fmt: skip
    r = client.post(base + "/quality/defect-edit", data={**form, "version": str(now["version"]), "owner_id": "",
                                                         "deliverable_id": ""})  # fmt: skip
    assert r.status_code == 303
    with w.db.uow(readonly=True) as s:
        now = quality.list_defects(s, w.actor("pm"), w.p1)[0]
    assert now["owner_id"] is None and now["deliverable_id"] is None
    r = client.post(base + "/quality/defect-edit", data={**form, "title": "Typed title", "version": "1"})
    assert r.status_code == 409 and 'value="Typed title"' in r.text
    # typed input kept on a refused create: a metric with a target that is not a number (was a 500 before)
    r = client.post(base + "/quality/metric", data={"csrf_token": token, "name": "Pass rate", "direction": "at_most",
                                                    "target": "lots", "unit": "%"})  # fmt: skip
    assert r.status_code == 422 and "must be a number" in r.text
    assert 'value="Pass rate"' in r.text and 'value="lots"' in r.text and '"at_most" selected' in r.text
    r = client.post(base + "/quality/defect", data={"csrf_token": token, "title": "Typed defect", "severity": "huge",
                                                    "found_in": "test", "description": "kept text"})  # fmt: skip
    assert r.status_code == 422 and 'value="Typed defect"' in r.text and "kept text" in r.text


def test_change_request_edit_form_sets_the_board(web: tuple[TestClient, World]) -> None:
    client, w = web
    with w.db.uow() as s:
        cr = change.create_change_request(s, w.actor("pm"), w.p1, title="Longer A")
    token = login(client, "pm")
    url = f"/projects/{w.p1}/changes/{cr['id']}"
    page = client.get(url).text
    assert 'id="cr-edit-form"' in page and 'name="set_board"' in page  # the PM decides changes: board fields
    form = {"csrf_token": token, "version": str(cr["version"]), "board": "1", "set_board": "1", "title": "Longer A (vendor)",
            "description": "Two more days", "reason": "Vendor late", "area_schedule": "on",
            f"approver_{w.users['pm']}": "on", f"approver_{w.users['sponsor']}": "on", "quorum": "2"}  # fmt: skip
    r = client.post(url + "/edit", data=form)
    assert r.status_code == 303, r.text
    with w.db.uow(readonly=True) as s:
        now = change.get_change_request(s, w.actor("pm"), w.p1, cr["id"])
    assert now["title"] == "Longer A (vendor)" and now["areas"] == ["schedule"] and now["quorum"] == 2
    assert sorted(a["user_id"] for a in now["approvers"]) == sorted([w.users["pm"], w.users["sponsor"]])
    r = client.post(
        url + "/edit", data={**form, "version": str(now["version"]), "quorum": "5", "title": "Typed"}
    )
    assert r.status_code == 422 and 'value="Typed"' in r.text
    # a requester who does not decide changes edits the text; the board is not theirs to name (no fields)
    with w.db.uow() as s:
        mine = change.create_change_request(s, w.actor("stakeholder"), w.p1, title="Mine")
    token = login(client, "stakeholder")
    page = client.get(f"/projects/{w.p1}/changes/{mine['id']}").text
    assert 'id="cr-edit-form"' in page and 'name="set_board"' not in page
    r = client.post(f"/projects/{w.p1}/changes/{mine['id']}/edit",
                    data={"csrf_token": token, "version": str(mine["version"]), "board": "1", "title": "Mine, clearer"})  # fmt: skip
    assert r.status_code == 303, r.text


def test_clearing_the_proposed_changes_needs_the_version_the_page_showed(
    web: tuple[TestClient, World],
) -> None:
    client, w = web
    with w.db.uow() as s:
        cr = change.create_change_request(s, w.actor("pm"), w.p1, title="Pilot")
        cr = change.add_change(s, w.actor("pm"), w.p1, cr["id"], {"op": "add_task", "name": "Pilot"})
    token = login(client, "pm")
    url = f"/projects/{w.p1}/changes/{cr['id']}"
    page = client.get(url).text
    shown = re.search(r'id="clear-ops">.*?name="version" value="(\d+)"', page, re.S)
    assert shown and shown.group(1) == str(cr["version"])
    with w.db.uow() as s:  # someone adds a change after the page was drawn
        change.add_change(s, w.actor("sponsor"), w.p1, cr["id"], {"op": "add_task", "name": "Training"})
    r = client.post(url + "/clear", data={"csrf_token": token, "version": shown.group(1)})
    assert r.status_code == 409, r.text
    assert "Training" in r.text  # the page shows the current state
    with w.db.uow(readonly=True) as s:
        now = change.get_change_request(s, w.actor("pm"), w.p1, cr["id"])
    assert [op["name"] for op in now["changes"]] == ["Pilot", "Training"]
    r = client.post(url + "/clear", data={"csrf_token": token, "version": str(now["version"])})
    assert r.status_code == 303, r.text
    with w.db.uow(readonly=True) as s:
        assert change.get_change_request(s, w.actor("pm"), w.p1, cr["id"])["changes"] == []
    assert 'id="clear-ops"' not in client.get(url).text  # nothing left to remove


def test_risk_scales_page_saves_and_keeps_typed_values(web: tuple[TestClient, World]) -> None:
    client, w = web
    token = login(client, "pm")
    url = f"/projects/{w.p1}/risk-scales"
    page = client.get(url).text
    assert 'id="scales-form"' in page
    no_inline(page)
    r = client.post(url, data={"csrf_token": token, "quality_1_label": "Cosmetic", "quality_1_low": "",
                               "quality_1_high": ""})  # fmt: skip
    assert r.status_code == 303, r.text
    with w.db.uow(readonly=True) as s:
        assert risk.get_scales(s, w.actor("pm"), w.p1)["scales"]["quality"][0]["label"] == "Cosmetic"
    r = client.post(url, data={"csrf_token": token, "schedule_2_label": "Typed label", "schedule_2_low": "soon",
                               "schedule_2_high": "5"})  # fmt: skip
    assert r.status_code == 422 and "schedule level 2" in r.text and 'value="Typed label"' in r.text
    login(client, "worker")
    page = client.get(url).text
    assert "Cosmetic" in page and 'name="quality_1_label"' not in page


def test_cancel_a_simulation_run_from_its_page(web: tuple[TestClient, World]) -> None:
    client, w = web
    with w.db.uow() as s:
        run = simulation.create_run(s, w.actor("pm"), w.p1, iterations=100, seed=1)
    token = login(client, "pm")
    base = f"/projects/{w.p1}/simulation"
    page = client.get(f"{base}?run={run['id']}").text
    assert 'id="cancel-form"' in page
    r = client.post(f"{base}/{run['id']}/cancel", data={"csrf_token": token})
    assert r.status_code == 303
    page = client.get(f"{base}?run={run['id']}").text
    assert 'id="run-cancelled"' in page and 'id="cancel-form"' not in page
    r = client.post(f"{base}/{run['id']}/cancel", data={"csrf_token": token})
    assert r.status_code == 409 and "cancelled already" in r.text


def test_gate_override_is_reported_on_the_page(web: tuple[TestClient, World]) -> None:
    from charter.services import roles

    client, w = web
    with w.db.uow() as s:
        quality.create_defect(
            s, w.actor("worker"), w.p1, title="Data loss", severity="critical", found_in="test"
        )
        roles.set_raci(
            s, w.actor("admin"), w.p1, area="quality", role_id=w.roles["project_manager"], letter="A"
        )
    with w.db.uow() as s:
        life = quality.close_phase(s, w.actor("pm"), w.p1, override_reason="Customer accepts in writing")
    o = life["overrides"][0]
    assert o["closed_by"]  # the name of who overrode
    assert o["failed"] and o["reason"] == "Customer accepts in writing"
    login(client, "observer")
    page = client.get(f"/projects/{w.p1}/quality").text
    m = re.search(r'<ul id="overrides">(.*?)</ul>', page, re.S)
    assert m and "Customer accepts in writing" in m.group(1) and f"by {o['closed_by']}" in m.group(1)
    assert "open critical defects" in m.group(1).lower() or "defect" in m.group(1).lower()


def test_simulation_page_correlation_groups_and_run_comparison(web: tuple[TestClient, World]) -> None:
    client, w = web
    token = login(client, "pm")
    base = f"/projects/{w.p1}/simulation"
    r = client.post(base, data={"csrf_token": token, "iterations": "200", "seed": "1",
                                "correlation_groups": "0.9 {a} {b}".format(a=w.tasks["a"], b=w.tasks["b"])})  # fmt: skip
    assert r.status_code == 422 and "line 1" in r.text and "0.9 " in r.text  # typed text kept
    groups = f"0.9: {w.tasks['a']}, {w.tasks['c']}"
    r = client.post(base, data={"csrf_token": token, "iterations": "200", "seed": "1", "spread_low": "10",
                                "spread_high": "40", "correlation_groups": groups})  # fmt: skip
    assert r.status_code == 303, r.text
    first = int(r.headers["location"].split("run=")[1])
    r = client.post(base, data={"csrf_token": token, "iterations": "200", "seed": "2", "spread_low": "10",
                                "spread_high": "80"})  # fmt: skip
    second = int(r.headers["location"].split("run=")[1])
    with w.db.uow(readonly=True) as s:
        one = simulation.get_run(s, w.actor("pm"), w.p1, first)
    assert one["status"] == "done" and one["params"]["correlation_groups"] == [
        {"rho": 0.9, "task_ids": [w.tasks["a"], w.tasks["c"]]}
    ]
    page = client.get(f"{base}?run={second}").text
    assert f"compare={first}" in page
    page = client.get(f"{base}?run={second}&compare={first}").text
    no_inline(page)
    table = re.search(r'<table class="data narrow" id="comparison-table">(.*?)</table>', page, re.S)
    assert table and "P50 finish" in table.group(1) and "P90 finish" in table.group(1)
    with w.db.uow(readonly=True) as s:
        two = simulation.get_run(s, w.actor("pm"), w.p1, second)
    p90 = _p90(one) - _p90(two)  # the other run (first) less the shown one (second)
    assert f"{round(p90, 2):+g} d" in table.group(1)


def _p90(run: dict[str, Any]) -> float:
    return float({f["p"]: f["days"] for f in run["result"]["finish"]}[90])


def test_review_forms_reviewers_items_results_and_deliverable_details(web: tuple[TestClient, World]) -> None:
    client, w = web
    with w.db.uow() as s:
        dl = quality.create_deliverable(s, w.actor("pm"), w.p1, work_package_id=w.wp_a, name="Spec",
                                        acceptor_id=w.users["pm"])  # fmt: skip
    token = login(client, "pm")
    base = f"/projects/{w.p1}"
    r = client.post(base + "/quality/review", data={
        "csrf_token": token, "title": "Spec review", "kind": "review", f"reviewer_{w.users['pm']}": "on",
        f"reviewer_{w.users['worker']}": "on", "deliverable_id": str(dl["id"]), "items": "Complete\nConsistent"})  # fmt: skip
    assert r.status_code == 303, r.text
    with w.db.uow(readonly=True) as s:
        rv = quality.list_reviews(s, w.actor("pm"), w.p1)[0]
    assert sorted(x["user_id"] for x in rv["reviewers"]) == sorted([w.users["pm"], w.users["worker"]])
    assert [c["item"] for c in rv["checklist"]] == ["Complete", "Consistent"] and rv["deliverable_id"] == dl[
        "id"
    ]
    r = client.post(base + "/quality/signoff", data={"csrf_token": token, "review_id": str(rv["id"]),
                                                     "result_0": "pass", "result_1": "fail"})  # fmt: skip
    assert r.status_code == 303, r.text
    with w.db.uow(readonly=True) as s:
        rv = quality.list_reviews(s, w.actor("pm"), w.p1)[0]
    assert [c["result"] for c in rv["checklist"]] == ["pass", "fail"]
    r = client.post(base + "/quality/review", data={"csrf_token": token, "title": "Nobody reviews"})
    assert r.status_code == 422 and 'value="Nobody reviews"' in r.text
    r = client.post(base + "/quality/accept", data={"csrf_token": token, "deliverable_id": str(dl["id"]),
                                                    "comment": "Looks complete"})  # fmt: skip
    assert r.status_code == 303
    r = client.post(base + "/quality/measure", data={"csrf_token": token, "metric_id": "1", "value": "3",
                                                     "measured_at": "yesterday"})  # fmt: skip
    assert r.status_code == 422


def test_defect_trend_chart_on_the_quality_page(web: tuple[TestClient, World]) -> None:
    from charter.web.routes_quality import trend_chart

    client, w = web
    with w.db.uow() as s:
        for title in ("One", "Two", "Three"):
            quality.create_defect(s, w.actor("pm"), w.p1, title=title, severity="minor", found_in="test")
    login(client, "observer")
    page = client.get(f"/projects/{w.p1}/quality").text
    svg = re.search(r'<svg class="chart" id="defect-trend-chart".*?</svg>', page, re.S)
    assert svg, "no trend chart"
    assert svg.group(0).count('class="bar opened"') == 12 and "3 opened" in svg.group(0)
    weeks = [{"week": "2030-W01", "opened": 4, "closed": 0, "open": 4},
             {"week": "2030-W02", "opened": 0, "closed": 2, "open": 2}]  # fmt: skip
    c = trend_chart(weeks)
    assert c is not None and c["top"] == 4
    tall = [b for b in c["bars"] if b["h"] == c["h"]]
    assert [b["title"] for b in tall] == ["2030-W01: 4 opened"]
    assert c["open"].split()[1].endswith(f",{c['h'] / 2}")  # 2 of 4 open: half height
    assert trend_chart([]) is None


def test_phase_criteria_carry_their_version(web: tuple[TestClient, World], api: Any, as_: Any) -> None:
    client, w = web
    token = login(client, "pm")
    base = f"/projects/{w.p1}"
    form = {"csrf_token": token, "phase": "closing", "entry_criteria": "All accepted",
            "exit_criteria": "Handed over", "version_closing": "0"}  # fmt: skip
    assert client.post(base + "/quality/phase", data=form).status_code == 303
    r = client.post(base + "/quality/phase", data={**form, "exit_criteria": "Typed while stale"})
    assert r.status_code == 409 and "Typed while stale" in r.text and "current version" in r.text
    url = f"/projects/{w.p1}/lifecycle/closing"
    stale = api.patch(url, json={"exit_criteria": "x", "version": 0}, headers=as_("pm"))
    assert stale.status_code == 409
    closing = stale.json()["error"]["current"]  # the phase as it is now
    assert closing["exit_criteria"] == "Handed over"
    ok = api.patch(
        url, json={"exit_criteria": "Signed hand-over", "version": closing["version"]}, headers=as_("pm")
    )
    assert ok.status_code == 200, ok.text


def test_a_heat_map_cell_lists_the_open_risks_it_counts(web: tuple[TestClient, World]) -> None:
    """The heat map counts open risks; its cell's link listed closed and occurred risks of the same rating as
    well (a cell showing 1 opened a register of 3)."""
    client, w = web
    pm = w.actor("pm")
    with w.db.uow() as s:
        live = risk.create_risk(s, pm, w.p1, title="Vendor late", probability=3, impact_cost=3)
        for status, title in (("closed", "Old licence issue"), ("occurred", "Server room flood")):
            r = risk.create_risk(s, pm, w.p1, title=title, probability=3, impact_cost=3)
            risk.set_status(s, pm, w.p1, r["id"], r["version"], status)
    login(client, "pm")
    page = client.get(f"/projects/{w.p1}/risks").text
    cell = re.search(r'<a href="([^"]+)" aria-label="Probability 3, impact 3: (\d+) risks"', page)
    assert cell is not None and cell.group(2) == "1"
    listed = client.get(cell.group(1).replace("&amp;", "&")).text
    table = listed[listed.index('id="risk-table"') :]
    assert re.findall(r'data-risk="(\d+)"', table) == [str(live["id"])]
    assert "open risks" in listed[listed.index('id="cell-filter"') :][:300]
    everything = client.get(f"/projects/{w.p1}/risks?probability=3&impact=3").text  # a hand-made filter: all
    assert len(re.findall(r'data-risk="', everything[everything.index('id="risk-table"') :])) == 3


def test_simulated_finish_dates_are_project_wall_clock_not_utc(web: tuple[TestClient, World]) -> None:
    """The simulation page showed the deterministic and percentile finishes as "2020-01-08 17:00 UTC": they
    are the project's wall-clock instants (the schedule shows the same finish without a zone), not UTC."""
    client, w = web
    with w.db.uow() as s:
        run = simulation.create_run(s, w.actor("pm"), w.p1, iterations=100, seed=1)
        simulation.execute_in_session(s, run["id"])
        res = simulation.get_run(s, w.actor("pm"), w.p1, run["id"])["result"]
    login(client, "pm")
    page = client.get(f"/projects/{w.p1}/simulation?run={run['id']}").text
    table = re.search(r'<table class="data narrow" id="percentiles">(.*?)</table>', page, re.S)
    assert table is not None
    finish = res["deterministic"]["date"].replace("T", " ")[:16]
    assert f"<td>{finish}</td>" in table.group(1) and "UTC" not in table.group(1), table.group(1)


def test_accepting_a_deliverable_whose_criteria_changed_meanwhile_is_409(
    web: tuple[TestClient, World],
) -> None:
    """The acceptor's page showed the acceptance criteria "Loads 10,000 rows"; the Task Leader changed them to
    "Loads 1,000 rows" meanwhile, and Accept on the open page accepted the deliverable against criteria its
    acceptor never saw. The forms carry the version they showed: a changed deliverable is a 409 with the
    current criteria on the page, and stays pending."""
    client, w = web
    pm = w.actor("pm")
    with w.db.uow() as s:
        d = quality.create_deliverable(s, pm, w.p1, work_package_id=w.wp_a, name="Import tool",
                                       acceptor_id=w.users["stakeholder"], acceptance_criteria="Loads 10,000 rows")  # fmt: skip
    token = login(client, "stakeholder")
    page = client.get(f"/projects/{w.p1}/quality").text
    form = re.search(r'action="[^"]*/quality/accept".*?</form>', page, re.S)
    assert form is not None
    shown = re.search(r'name="version" value="(\d+)"', form.group(0))
    assert shown is not None
    with w.db.uow() as s:
        quality.update_deliverable(s, pm, w.p1, d["id"], d["version"], acceptance_criteria="Loads 1,000 rows")
    for action, extra in (("accept", {"comment": "fine"}), ("reject", {"reason": "too slow"})):
        r = client.post(f"/projects/{w.p1}/quality/{action}", data={
            "csrf_token": token, "deliverable_id": str(d["id"]), "version": shown.group(1), **extra})  # fmt: skip
        assert r.status_code == 409, r.text
        assert "Loads 1,000 rows" in r.text and "changed by someone else" in r.text
    with w.db.uow(readonly=True) as s:
        now = next(x for x in quality.list_deliverables(s, pm, w.p1) if x["id"] == d["id"])
    assert now["status"] == "pending"


def test_signing_off_a_review_whose_checklist_changed_meanwhile_is_409(web: tuple[TestClient, World]) -> None:
    """A reviewer's open page listed the checklist "Backups tested", "Restore timed"; the PM replaced it with
    "Restore timed", "Runbook signed" meanwhile, and the reviewer's "pass" for item 0 (meant for the backups)
    was recorded against the restore. The sign-off form carries the version it showed: 409, page current."""
    client, w = web
    pm = w.actor("pm")
    with w.db.uow() as s:
        r = quality.create_review(s, pm, w.p1, title="Ops review", reviewer_ids=[w.users["task_leader"]],
                                  items=["Backups tested", "Restore timed"])  # fmt: skip
    token = login(client, "task-leader")
    page = client.get(f"/projects/{w.p1}/quality").text
    form = re.search(r'action="[^"]*/quality/signoff".*?</form>', page, re.S)
    assert form is not None
    shown = re.search(r'name="version" value="(\d+)"', form.group(0))
    assert shown is not None
    with w.db.uow() as s:
        quality.update_review(s, pm, w.p1, r["id"], r["version"], items=["Restore timed", "Runbook signed"])
    res = client.post(f"/projects/{w.p1}/quality/signoff", data={
        "csrf_token": token, "review_id": str(r["id"]), "version": shown.group(1), "result_0": "pass"})  # fmt: skip
    assert res.status_code == 409, res.text
    assert "Runbook signed" in res.text and "changed by someone else" in res.text
    with w.db.uow(readonly=True) as s:
        now = next(x for x in quality.list_reviews(s, pm, w.p1) if x["id"] == r["id"])
    assert now["signoffs"] == [] and all(c.get("result") is None for c in now["checklist"])
