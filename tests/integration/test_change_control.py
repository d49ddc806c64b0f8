"""Change control: the impact preview equals the plan right after approval, a stale preview must be
re-previewed, a change board decides by quorum, rejection keeps its reason, the since-baseline report."""

from __future__ import annotations

import re
from typing import Any

import pytest

from charter.domain.errors import Conflict, PermissionDenied
from charter.services import budget, change, evm, scheduling, tasks


def _cr(seed: Any, **extra: Any) -> dict[str, Any]:
    with seed.db.uow() as s:
        line = budget.create_line(
            s, seed.actor("pm"), seed.p1, category="labour", name="Build", amount="1000"
        )
    ops = [
        {"op": "task_duration", "task_id": seed.tasks["a"], "duration": "6d"},
        {"op": "add_task", "name": "Extra testing", "work_package_id": seed.wp_b, "duration": "2d",
         "predecessors": [seed.tasks["b"]]},
        {"op": "budget_line", "budget_line_id": line["id"], "amount": "1500"},
    ]  # fmt: skip
    with seed.db.uow() as s:
        cr = change.create_change_request(s, seed.actor("stakeholder"), seed.p1, title="More testing",
                                          reason="Quality", areas=["schedule", "budget"], changes=ops)  # fmt: skip
        if extra:  # the board is the PM's to name (a requester never names who decides)
            cr = change.update_change_request(s, seed.actor("pm"), seed.p1, cr["id"], cr["version"], **extra)
        return cr


def test_a_requester_cannot_name_the_board_that_decides_their_request(seed: Any, api: Any, as_: Any) -> None:
    """A stakeholder naming themselves as the whole board (quorum 1) would approve their own request: refused
    at creation and at edit, through the API; the PM names the board; once voting has started the board and
    the proposed changes stay (a vote is for what it saw)."""
    me = seed.users["stakeholder"]
    url = f"/projects/{seed.p1}/change-requests"
    r = api.post(url, headers=as_("stakeholder"), json={"title": "Mine", "approver_ids": [me], "quorum": 1})
    assert r.status_code == 403 and r.json()["error"]["field"] == "approver_ids"
    cr = api.post(url, headers=as_("stakeholder"), json={"title": "Mine"}).json()
    r = api.patch(f"{url}/{cr['id']}", headers=as_("stakeholder"),
                  json={"version": cr["version"], "approver_ids": [me], "quorum": 1})  # fmt: skip
    assert r.status_code == 403
    r = api.patch(f"{url}/{cr['id']}", headers=as_("stakeholder"),
                  json={"version": cr["version"], "title": "Mine, renamed", "approver_ids": [], "quorum": 0})  # fmt: skip
    assert r.status_code == 200, r.text  # the same (empty) board again is no change of it
    with seed.db.uow(readonly=True) as s:
        assert change.get_change_request(s, seed.actor("pm"), seed.p1, cr["id"])["approvers"] == []
    cr = _cr(seed, approver_ids=[seed.users["sponsor"], seed.users["pm"]], quorum=2)
    with seed.db.uow() as s:
        change.preview(s, seed.actor("pm"), seed.p1, cr["id"])
        change.decide(s, seed.actor("sponsor"), seed.p1, cr["id"], approve=True)
    cr = api.get(f"{url}/{cr['id']}", headers=as_("pm")).json()
    r = api.patch(
        f"{url}/{cr['id']}", headers=as_("stakeholder"), json={"version": cr["version"], "changes": []}
    )
    assert r.status_code == 409 and r.json()["error"]["field"] == "changes"
    r = api.patch(f"{url}/{cr['id']}", headers=as_("pm"),
                  json={"version": cr["version"], "approver_ids": [seed.users["pm"]], "quorum": 1})  # fmt: skip
    assert r.status_code == 409
    assert api.get(f"{url}/{cr['id']}", headers=as_("pm")).json()["quorum"] == 2


def _plan(seed: Any) -> tuple[Any, dict[str, Any], int]:
    with seed.db.uow(readonly=True) as s:
        sched = scheduling.get_schedule(s, seed.actor("pm"), seed.p1)
        figs = evm.compute(s, seed.actor("pm"), seed.p1)["project"]
    return sched["finish"], figs, len(sched["tasks"])


def test_previewed_finish_and_cost_equal_the_plan_after_approval(seed: Any, api: Any, as_: Any) -> None:
    cr = _cr(seed)
    finish0, figs0, n0 = _plan(seed)
    url = f"/projects/{seed.p1}/change-requests/{cr['id']}"
    r = api.post(url + "/preview", json={}, headers=as_("pm"))
    assert r.status_code == 200, r.text
    pv = r.json()["preview"]
    # nothing moved yet
    finish1, figs1, n1 = _plan(seed)
    assert (finish1, figs1["eac"], n1) == (finish0, figs0["eac"], n0)
    assert pv["current"]["finish"] == finish0.isoformat()
    assert pv["proposed"]["finish"] > pv["current"]["finish"]
    assert pv["impact"]["finish"]["changed"]
    assert pv["impact"]["cost"]["bac"]["change"] == "500.00"
    assert [t["name"] for t in pv["impact"]["tasks_added"]] == ["Extra testing"]
    r = api.post(url + "/approve", json={"reason": "Worth it"}, headers=as_("sponsor"))
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "approved" and done["baseline_number"] == 0
    finish2, figs2, n2 = _plan(seed)
    assert finish2.isoformat() == pv["proposed"]["finish"]
    assert str(figs2["eac"]) == pv["proposed"]["cost"]["eac"]
    assert str(figs2["bac"]) == pv["proposed"]["cost"]["bac"]
    assert n2 == n0 + 1
    # the baseline saved on approval is the approved plan
    with seed.db.uow(readonly=True) as s:
        b = scheduling.list_baselines(s, seed.actor("pm"), seed.p1)
        assert b[0]["number"] == 0 and b[0]["finish"] == finish2
    report = api.get(f"/projects/{seed.p1}/baselines/0/changes", headers=as_("pm")).json()
    assert report["changed"] == [] and report["added"] == []


def test_stale_preview_must_be_previewed_again(seed: Any, api: Any, as_: Any) -> None:
    cr = _cr(seed)
    url = f"/projects/{seed.p1}/change-requests/{cr['id']}"
    r = api.post(url + "/approve", json={}, headers=as_("pm"))
    assert r.status_code == 409 and "preview" in r.json()["error"]["message"]
    assert api.post(url + "/preview", json={}, headers=as_("pm")).status_code == 200
    with seed.db.uow() as s:  # someone edits the plan meanwhile
        t = tasks.get_task(s, seed.actor("pm"), seed.p1, seed.tasks["c"])
        tasks.update_task(s, seed.actor("pm"), seed.p1, seed.tasks["c"], t["version"], duration="4d")
    assert api.get(url, headers=as_("pm")).json()["preview_stale"]
    r = api.post(url + "/approve", json={}, headers=as_("pm"))
    assert r.status_code == 409 and "preview it again" in r.json()["error"]["message"]
    assert api.post(url + "/preview", json={}, headers=as_("pm")).status_code == 200
    r = api.post(url + "/approve", json={"baseline_number": 3}, headers=as_("pm"))
    assert r.status_code == 200 and r.json()["baseline_number"] == 3


def test_change_board_decides_by_quorum_and_rejection_keeps_reason(seed: Any) -> None:
    board = [seed.users["sponsor"], seed.users["pm"], seed.users["task_leader"]]
    cr = _cr(seed, approver_ids=board, quorum=2)
    with seed.db.uow() as s:
        change.preview(s, seed.actor("pm"), seed.p1, cr["id"])
    with seed.db.uow() as s, pytest.raises(PermissionDenied):
        change.decide(s, seed.actor("observer"), seed.p1, cr["id"], approve=True)
    with seed.db.uow() as s:
        out = change.decide(s, seed.actor("sponsor"), seed.p1, cr["id"], approve=False, reason="Too costly")
    assert out["status"] == "open" and out["votes"][0]["vote"] == "reject"
    with seed.db.uow() as s:
        out = change.decide(
            s, seed.actor("task_leader"), seed.p1, cr["id"], approve=False, reason="No capacity"
        )
    assert out["status"] == "rejected" and "Too costly" in out["decision_reason"]
    with seed.db.uow() as s, pytest.raises(Conflict):
        change.decide(s, seed.actor("pm"), seed.p1, cr["id"], approve=True)


def test_board_approval_applies_at_quorum(seed: Any) -> None:
    cr = _cr(seed, approver_ids=[seed.users["sponsor"], seed.users["pm"]], quorum=2)
    with seed.db.uow() as s:
        change.preview(s, seed.actor("pm"), seed.p1, cr["id"])
    with seed.db.uow() as s:
        assert change.decide(s, seed.actor("sponsor"), seed.p1, cr["id"], approve=True)["status"] == "open"
    with seed.db.uow() as s:
        out = change.decide(s, seed.actor("pm"), seed.p1, cr["id"], approve=True)
    assert out["status"] == "approved" and out["applied"]["finish"] == out["preview"]["proposed"]["finish"]


def test_report_since_baseline(seed: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        scheduling.save_baseline(s, pm, seed.p1, number=1)
    with seed.db.uow() as s:
        t = tasks.get_task(s, pm, seed.p1, seed.tasks["a"])
        tasks.update_task(s, pm, seed.p1, seed.tasks["a"], t["version"], duration="5d")
        tasks.create_task(s, pm, seed.p1, name="New one", work_package_id=seed.wp_b)
        c = tasks.get_task(s, pm, seed.p1, seed.tasks["c"])
        tasks.delete_task(s, pm, seed.p1, seed.tasks["c"], c["version"])
    with seed.db.uow(readonly=True) as s:
        r = change.since_baseline(s, pm, seed.p1, 1)
    assert {x["name"] for x in r["changed"]} >= {"Task A", "Task B"}
    assert [x["name"] for x in r["added"]] == ["New one"]
    assert [x["name"] for x in r["removed"]] == ["Task C"]


def test_cli_change_and_concern(seed: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from charter.cli.main import app
    from charter.config import get_settings

    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    cr = _cr(seed)
    runner = CliRunner()

    def run(*args: str) -> str:
        r = runner.invoke(app, list(args))
        assert r.exit_code == 0, r.output
        return r.output

    assert "CR-1" in run("--as", "pm", "change", "list", "P1")
    out = run("--as", "pm", "change", "preview", "P1", str(cr["number"]))
    assert "finish" in out and "eac" in out
    assert "approved" in run("--as", "sponsor", "change", "approve", "P1", "1", "--reason", "OK")
    assert "directly to the PM" in run("--as", "stakeholder", "concern", "raise", "P1", "--subject", "Slow tests",
                                       "--area", "quality")  # fmt: skip
    assert "Slow tests" in run("--as", "stakeholder", "concern", "list", "P1", "--mine", "--json")
    assert "passes" in run("--as", "pm", "quality", "gate", "P1")


def test_preview_lists_the_open_risks_the_change_touches(seed: Any) -> None:
    from charter.services import risk

    with seed.db.uow() as s:
        pm = seed.actor("pm")
        on_a = risk.create_risk(s, pm, seed.p1, title="Design slips", probability=3, impact_schedule=4,
                                task_id=seed.tasks["a"])  # fmt: skip
        on_c = risk.create_risk(s, pm, seed.p1, title="Project-wide", probability=2, impact_cost=2)
        on_wp = risk.create_risk(s, pm, seed.p1, title="Testers scarce", work_package_id=seed.wp_b)
        closed = risk.create_risk(s, pm, seed.p1, title="Old", task_id=seed.tasks["a"])
        risk.update_risk(s, pm, seed.p1, closed["id"], closed["version"], status="closed")
    cr = _cr(seed)
    with seed.db.uow() as s:
        pv = change.preview(s, seed.actor("pm"), seed.p1, cr["id"])["preview"]
    refs = {r["ref"]: r for r in pv["impact"]["risks"]}
    assert (
        on_a["ref"] in refs
        and refs[on_a["ref"]]["why"] == "its task moves"
        and refs[on_a["ref"]]["score"] == 12
    )
    assert refs[on_wp["ref"]]["why"] == "its work package changes"  # Extra testing lands in it
    assert on_c["ref"] not in refs and closed["ref"] not in refs


@pytest.mark.parametrize(
    ("op", "named"),
    [
        ({"op": "task_duration", "task_id": "x", "duration": "3d"}, "task_id"),
        ({"op": "remove_link", "link_id": None}, "link_id"),
        ({"op": "budget_line", "budget_line_id": 1.5, "amount": "10"}, "budget_line_id"),
        ({"op": "add_task", "name": "New", "predecessors": "12"}, "predecessors"),
        ({"op": "add_link", "pred_id": [1], "succ_id": 2}, "pred_id"),
    ],
)
def test_a_change_naming_a_record_by_anything_but_an_id_is_refused_when_raised(
    seed: Any, api: Any, as_: Any, op: dict[str, Any], named: str
) -> None:
    """A change naming its task as "x" was accepted and made the preview and the approval an internal error
    (int("x")); a predecessors text "12" was read as the tasks 1 and 2. Refused at once, naming the key; an id
    sent as text ("17") is read as the number."""
    url = f"/projects/{seed.p1}/change-requests"
    r = api.post(url, headers=as_("stakeholder"), json={"title": "Odd", "changes": [op]})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "changes" and named in r.json()["error"]["message"]
    ok = {"op": "task_duration", "task_id": str(seed.tasks["a"]), "duration": "3d"}
    r = api.post(url, headers=as_("stakeholder"), json={"title": "Fine", "changes": [ok]})
    assert r.status_code == 201 and r.json()["changes"][0]["task_id"] == seed.tasks["a"]


def test_a_stored_change_with_a_bad_id_is_refused_on_preview_not_an_error(
    seed: Any, api: Any, as_: Any
) -> None:
    """Requests stored before ids were checked: the preview says which change is wrong (422), no 500."""
    from charter.persistence.models import ChangeRequest

    cr = _cr(seed)
    with seed.db.uow() as s:
        row = s.get(ChangeRequest, cr["id"])
        row.changes = [{"op": "task_duration", "task_id": "x", "duration": "3d"}]
    r = api.post(f"/projects/{seed.p1}/change-requests/{cr['id']}/preview", json={}, headers=as_("pm"))
    assert r.status_code == 422 and "task_id" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("op", "said"),
    [
        ({"op": "budget_line", "budget_line_id": 1, "amount": "1.234,56"}, "not an amount"),
        ({"op": "budget_line", "budget_line_id": 1, "amount": "-5"}, "negative"),
        ({"op": "budget_line", "budget_line_id": 1, "amount": "12.345"}, "decimal places"),
        ({"op": "task_duration", "task_id": 1, "duration": "three days"}, "not a duration"),
        ({"op": "add_task", "name": "New", "duration": "-2d"}, "negative"),
    ],
)
def test_an_amount_or_duration_a_request_proposes_is_checked_when_raised(
    seed: Any, api: Any, as_: Any, op: dict[str, Any], said: str
) -> None:
    """A stakeholder's request to set a line to "1.234,56" or a task to "three days" was stored as it was and
    refused first when the PM previewed it; the requester is told at once, on the API and the page alike."""
    url = f"/projects/{seed.p1}/change-requests"
    r = api.post(url, headers=as_("stakeholder"), json={"title": "Odd", "changes": [op]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "changes", r.text
    assert r.json()["error"]["message"].startswith(f"change 1 ({op['op']}): ") and said in r.text
    cr = api.post(url, headers=as_("stakeholder"), json={"title": "Fine"}).json()
    r = api.patch(
        f"{url}/{cr['id']}", headers=as_("stakeholder"), json={"version": cr["version"], "changes": [op]}
    )
    assert r.status_code == 422 and said in r.text


def test_the_page_offers_a_vote_only_to_board_members_who_have_not_voted(seed: Any) -> None:
    """A board member who had voted was offered Approve/Reject again (409 "voted already"), and the PM, not on
    the board, was offered them too (403); a second approval from a stale tab said nothing beside the form."""
    from webhelpers import signed_in

    cr = _cr(seed, approver_ids=[seed.users["sponsor"], seed.users["stakeholder"]], quorum=2)
    with seed.db.uow() as s:
        change.preview(s, seed.actor("pm"), seed.p1, cr["id"])
    url = f"/projects/{seed.p1}/changes/{cr['id']}"
    with signed_in(seed, "pm") as client:
        html = client.get(url).text
        assert 'id="board-decides"' in html and f"{url}/approve" not in html
    with signed_in(seed, "sponsor") as client:
        assert f"{url}/approve" in client.get(url).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)
        assert client.post(f"{url}/approve", data={"csrf_token": token, "reason": "ok"}).status_code == 303
        html = client.get(url).text
        assert 'id="my-vote"' in html and f"{url}/approve" not in html
        again = client.post(f"{url}/reject", data={"csrf_token": token, "reason": "second thoughts"})
        assert again.status_code == 409 and 'id="page-error"' in again.text and "voted" in again.text


def test_the_impact_writes_amounts_and_the_finish_as_the_other_pages_do(
    seed: Any, api: Any, as_: Any
) -> None:
    """The impact table showed "1000.00", "Eac bottom up" and "2030-01-10T17:00:00": amounts ungrouped, a
    key for a label, an ISO timestamp."""
    from webhelpers import signed_in

    cr = _cr(seed)
    assert api.post(f"/projects/{seed.p1}/change-requests/{cr['id']}/preview", json={},
                    headers=as_("pm")).status_code == 200  # fmt: skip
    with signed_in(seed, "pm") as client:
        html = client.get(f"/projects/{seed.p1}/changes/{cr['id']}").text
    budget_row = re.search(r'<tr id="impact-budget_total">.*?</tr>', html, re.S).group(0)
    assert "1\u202f000.00" in budget_row and "1\u202f500.00" in budget_row and "(500.00)" in budget_row
    assert "EAC bottom-up" in html and "Eac bottom up" not in html
    finish = re.search(r'<tr id="impact-finish">.*?</tr>', html, re.S).group(0)
    assert "T" not in re.sub(r"<[^>]+>|Finish", "", finish)
