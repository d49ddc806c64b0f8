"""Withdrawing a change request: by its requester or a holder of change.decide, while it is open, at the version
read (409 when stale), journaled, the concern it came from showing it (service, API, web button, CLI); the change
request page shows its description as sanitised Markdown and its proposed changes by name, not by id."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from charter.app import create_app
from charter.domain.errors import Conflict, PermissionDenied
from charter.persistence.models import ChangeRequest, JournalEntry, Task
from charter.services import budget, change, stakeholders
from webhelpers import login_seeded


def login(seed: Any, client: TestClient, username: str) -> str:
    return login_seeded(seed, client, username)


def _cr(seed: Any, who: str = "stakeholder", **extra: Any) -> dict[str, Any]:
    ops = [{"op": "task_duration", "task_id": seed.tasks["a"], "duration": "4d"}]
    with seed.db.uow() as s:
        return change.create_change_request(
            s, seed.actor(who), seed.p1, title="Longer A", changes=ops, **extra
        )


def _journal(seed: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def _status(seed: Any, cr_id: int) -> str:
    with seed.db.uow(readonly=True) as s:
        c = s.get(ChangeRequest, cr_id)
        assert c is not None
        return c.status


def test_the_requester_withdraws_an_open_request_and_it_is_journaled(seed: Any) -> None:
    cr = _cr(seed)
    with seed.db.uow() as s:
        out = change.withdraw(
            s, seed.actor("stakeholder"), seed.p1, cr["id"], cr["version"], reason="Not needed"
        )
    assert out["status"] == "withdrawn" and out["decision_reason"] == "Not needed"
    assert out["decided_by"] == "Stakeholder" and out["version"] == cr["version"] + 1
    with seed.db.uow(readonly=True) as s:
        j = s.execute(select(JournalEntry.entity_id, JournalEntry.cause).where(
            JournalEntry.entity_type == "change_request", JournalEntry.action == "withdraw")).one()  # fmt: skip
    assert int(j.entity_id) == cr["id"] and j.cause == "Not needed"
    # decided or withdrawn: only an open request is withdrawn (409, nothing written)
    before = _journal(seed)
    with seed.db.uow() as s, pytest.raises(Conflict) as again:
        change.withdraw(s, seed.actor("pm"), seed.p1, cr["id"], out["version"])
    assert again.value.field == "status" and "withdrawn" in again.value.message
    assert _journal(seed) == before


def test_who_may_withdraw_and_a_stale_version(seed: Any) -> None:
    cr = _cr(seed)
    before = _journal(seed)
    for who in ("worker", "task_leader", "observer"):  # neither the requester nor change.decide
        with seed.db.uow() as s, pytest.raises(PermissionDenied):
            change.withdraw(s, seed.actor(who), seed.p1, cr["id"], cr["version"])
    with seed.db.uow() as s, pytest.raises(Conflict) as stale:
        change.withdraw(s, seed.actor("pm"), seed.p1, cr["id"], cr["version"] + 5)
    assert stale.value.http_status == 409 and stale.value.field == "version"
    assert _journal(seed) == before and _status(seed, cr["id"]) == "open"
    with seed.db.uow() as s:  # a holder of change.decide (the Sponsor) withdraws someone else's request
        assert (
            change.withdraw(s, seed.actor("sponsor"), seed.p1, cr["id"], cr["version"])["status"]
            == "withdrawn"
        )


def test_api_withdraw(seed: Any, api: Any, as_: Any) -> None:
    cr = _cr(seed)
    url = f"/projects/{seed.p1}/change-requests/{cr['id']}/withdraw"
    r = api.post(url, json={"version": cr["version"] + 1}, headers=as_("stakeholder"))
    assert r.status_code == 409 and r.json()["error"]["current"]["status"] == "open", r.json()
    r = api.post(url, json={"version": cr["version"]}, headers=as_("worker"))
    assert r.status_code == 403
    r = api.post(
        url, json={"version": cr["version"], "reason": "Superseded by CR-2"}, headers=as_("stakeholder")
    )
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    r = api.post(url, json={"version": r.json()["version"]}, headers=as_("pm"))
    assert r.status_code == 409 and r.json()["error"]["field"] == "status"
    r = api.post(f"/projects/{seed.p1}/change-requests/{cr['id']}/approve", json={}, headers=as_("pm"))
    assert r.status_code == 409  # a withdrawn request is not decided any more


def test_a_concern_that_became_the_request_shows_it_withdrawn(seed: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        c = stakeholders.raise_concern(s, seed.actor("stakeholder"), seed.p1, subject="Go-live too early",
                                       areas=["schedule"])  # fmt: skip
    with seed.db.uow() as s:
        cr = stakeholders.to_change_request(s, pm, seed.p1, c["id"])
    with seed.db.uow() as s:
        change.withdraw(
            s, seed.actor("stakeholder"), seed.p1, cr["id"], cr["version"], reason="Date moved anyway"
        )
    with seed.db.uow(readonly=True) as s:
        shown = stakeholders.get_concern(s, pm, seed.p1, c["id"])
    assert shown["outcome"]["type"] == "change_request" and shown["outcome"]["status"] == "withdrawn"
    assert shown["outcome"]["decision_reason"] == "Date moved anyway"
    with seed.db.uow() as s:  # no decision answers it now: the PM may answer the concern
        assert stakeholders.answer(s, pm, seed.p1, c["id"], text="The date moved")["status"] == "answered"
    with TestClient(create_app(seed.db)) as client:
        login(seed, client, "pm")
        html = client.get(f"/projects/{seed.p1}/concerns").text
    assert f"CR-{cr['number']}</a>: Withdrawn — Date moved anyway" in html


def test_web_withdraw_button_keeps_the_reason_on_a_refusal(seed: Any) -> None:
    cr = _cr(seed)
    page = f"/projects/{seed.p1}/changes/{cr['id']}"
    with TestClient(create_app(seed.db)) as client:
        csrf = login(seed, client, "worker")  # neither requester nor decider: no button
        assert 'id="cr-withdraw"' not in client.get(page).text
        csrf = login(seed, client, "stakeholder")
        html = client.get(page).text
        assert 'id="cr-withdraw"' in html
        r = client.post(page + "/withdraw", data={"version": str(cr["version"])}, follow_redirects=False)
        assert r.status_code == 403  # no CSRF token
        stale = {"version": str(cr["version"] + 3), "reason": "Users changed their minds", "csrf_token": csrf}
        r = client.post(page + "/withdraw", data=stale, follow_redirects=False)
        assert r.status_code == 409 and 'value="Users changed their minds"' in r.text
        assert _status(seed, cr["id"]) == "open"
        ok = {**stale, "version": str(cr["version"])}
        r = client.post(page + "/withdraw", data=ok, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == page
        html = client.get(page).text
    assert "Withdrawn" in html and "withdrawn by Stakeholder" in html and "Users changed their minds" in html
    assert 'id="cr-withdraw"' not in html and "Approve" not in html


def test_cli_withdraw(seed: Any, cli: Any) -> None:
    cr = _cr(seed)
    n = str(cr["number"])
    out = cli("change", "withdraw", "P1", n, "--version", "9", code=1, who="stakeholder")
    assert "version" in out.output
    out = cli("change", "withdraw", "P1", n, "--reason", "Not needed", "--json", who="stakeholder")
    assert json.loads(out.stdout)["status"] == "withdrawn"
    out = cli("change", "withdraw", "P1", n, code=1)
    assert "status" in out.output and "withdrawn" in out.output


def test_change_page_shows_markdown_and_changes_by_name(seed: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        line = budget.create_line(s, pm, seed.p1, category="hardware", name="Test servers", amount="1000.00")
    ops = [
        {"op": "task_duration", "task_id": seed.tasks["a"], "duration": "30d"},
        {"op": "add_task", "name": "Pilot", "work_package_id": seed.wp_b, "duration": "2d",
         "predecessors": [seed.tasks["b"]]},
        {"op": "add_link", "pred_id": seed.tasks["a"], "succ_id": seed.tasks["c"]},
        {"op": "remove_link", "link_id": seed.links["ab"]},
        {"op": "budget_line", "budget_line_id": line["id"], "amount": "1500.00"},
    ]  # fmt: skip
    desc = "We need **more testing**.\n\n<script>alert(1)</script>\n\n- one\n- two"
    with seed.db.uow() as s:
        cr = change.create_change_request(s, pm, seed.p1, title="More testing", description=desc, changes=ops)
        names = {k: s.scalar(select(Task.name).where(Task.id == v)) for k, v in seed.tasks.items()}
    with TestClient(create_app(seed.db)) as client:
        login(seed, client, "pm")
        html = client.get(f"/projects/{seed.p1}/changes/{cr['id']}").text
    what = html.split('id="cr-description">', 1)[1].split("</dd>", 1)[0]
    assert "<strong>more testing</strong>" in what and "<li>one</li>" in what
    assert "<script>" not in what
    ops_html = html.split('<ol id="ops">', 1)[1].split("</ol>", 1)[0]
    assert (
        "task_id=" not in ops_html and "budget_line_id=" not in ops_html and "work_package_id" not in ops_html
    )
    assert f"{names['a']}" in ops_html and "to 30d" in ops_html
    assert "Add the task Pilot in work package" in ops_html and names["b"] in ops_html
    assert f"{names['a']} → " in ops_html and names["c"] in ops_html
    assert "Remove the link" in ops_html
    assert "Set the budget line Test servers to 1500.00" in ops_html
