"""The closing checklist counts open defects and open risks: the project used to close with defects still in
progress and threats still open. Each is an item with its count, the open ones named and a link, on the
service, the API, the closure page and `charter closure check`; like every other item it stops the closure
until it is ok (a risk whose response is to accept it counts as settled; one that occurred does not)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from charter.domain.errors import Conflict
from charter.services import closure, quality, risk, roles, tech
from webhelpers import signed_in


def _otherwise_ready(seed: Any) -> None:
    """Everything else on the checklist ok: roles released, a lesson recorded, nothing to hand over."""
    admin = seed.actor("admin")
    with seed.db.uow() as s:
        for name in ("task_leader", "task_leader_b", "worker", "stakeholder", "liaison"):
            a = next(
                x for x in roles.list_assignments(s, admin, seed.p1) if x["id"] == seed.assignments[name]
            )
            roles.end_assignment(s, admin, seed.p1, a["id"], a["version"])
        closure.add_lesson(s, seed.actor("pm"), seed.p1, title="Test early")
        tech.hand_over(s, seed.actor("pm"), seed.p1, seed.users["sponsor"])


def _item(seed: Any, key: str) -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        check = closure.checklist(s, seed.actor("pm"), seed.p1)
    return next(i for i in check["items"] if i["key"] == key)


def test_open_defects_and_risks_are_listed_and_stop_the_closure(
    seed: Any, frozen_clock: Any, api: Any, as_: Any, cli: Any
) -> None:
    pm = seed.actor("pm")
    _otherwise_ready(seed)
    with seed.db.uow() as s:
        d = quality.create_defect(s, pm, seed.p1, title="Login fails", severity="major", found_in="test")
        done = quality.create_defect(s, pm, seed.p1, title="Typo", severity="trivial", found_in="review")
        t = risk.create_risk(s, pm, seed.p1, title="Vendor late", kind="threat", probability=3, impact_cost=3)
        o = risk.create_risk(s, pm, seed.p1, title="Cheaper licences", kind="opportunity", probability=2,
                             impact_cost=2)  # fmt: skip
    with seed.db.uow() as s:
        for status in ("triaged", "in_progress", "resolved", "verified"):
            done = quality.update_defect(s, pm, seed.p1, done["id"], done["version"], status=status)
    defects, risks = _item(seed, "defects"), _item(seed, "risks")
    assert defects["label"] == "No open defects" and not defects["ok"] and defects["count"] == 1
    assert defects["detail"] == f"1 open defect: #{d['id']} Login fails (major, new)"
    assert defects["link"] == f"/projects/{seed.p1}/quality#def-h"
    assert [x["id"] for x in defects["open"]] == [d["id"]]
    assert risks["label"] == "No open risks (or all accepted/closed)" and risks["count"] == 2
    assert risks["detail"] == "2 open risks: R-1 Vendor late (assessed), R-2 Cheaper licences (assessed)"
    assert risks["link"] == f"/projects/{seed.p1}/risks"

    with pytest.raises(Conflict) as e, seed.db.uow() as s:
        closure.close_project(s, pm, seed.p1)
    assert {i["key"] for i in e.value.details["failed"]} == {"defects", "risks"}
    assert "No open defects (1 open defect" in str(e.value)

    got = api.get(f"/projects/{seed.p1}/closure", headers=as_("sponsor")).json()
    assert got["ready"] is False
    assert {i["key"]: i["count"] for i in got["items"] if i["key"] in ("defects", "risks")} == {
        "defects": 1, "risks": 2}  # fmt: skip
    with signed_in(seed, "pm") as client:
        page = client.get(f"/projects/{seed.p1}/closure").text
    row = page[page.index('data-key="risks"') :].split("</tr>")[0]
    assert f'<a href="/projects/{seed.p1}/risks/{t["id"]}">R-1 Vendor late</a>' in row
    assert f'<a href="/projects/{seed.p1}/risks">No open risks' in row
    row = page[page.index('data-key="defects"') :].split("</tr>")[0]
    assert f'<a href="/projects/{seed.p1}/quality#def-h">1 open defect</a>' in row and "Login fails" in row
    out = cli("closure", "check", "P1").stdout
    assert "FAIL No open defects: 1 open defect: #" in out and f"/projects/{seed.p1}/quality#def-h" in out
    assert json.loads(cli("closure", "check", "P1", "--json").stdout)["items"][4]["key"] == "defects"

    # closed, accepted: settled; an occurred risk is an open issue until it is closed
    with seed.db.uow() as s:
        for status in ("triaged", "in_progress", "resolved", "verified"):
            d = quality.update_defect(s, pm, seed.p1, d["id"], d["version"], status=status)
        t = risk.update_risk(s, pm, seed.p1, t["id"], t["version"], strategy="accept")
        o = risk.set_status(s, pm, seed.p1, o["id"], o["version"], "occurred", note="it happened")
    assert _item(seed, "defects")["ok"] and _item(seed, "defects")["detail"] == "0 open defects"
    risks = _item(seed, "risks")
    assert not risks["ok"] and risks["detail"] == "1 open risk: R-2 Cheaper licences (occurred); 1 accepted"
    with seed.db.uow() as s:
        risk.set_status(s, pm, seed.p1, o["id"], o["version"], "closed")
    assert _item(seed, "risks")["ok"]
    with seed.db.uow() as s:
        assert closure.close_project(s, pm, seed.p1)["status"] == "closed"
