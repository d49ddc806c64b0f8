"""The conflict log: numbering and the ladder's first rung, automatic escalation with a frozen clock (journal,
one notification per event and recipient), manual escalation, lifecycle and versions, parties, who sees and
changes what, the policy, conversions from occurred risks and concerns, and the worker's jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from charter.config import get_settings
from charter.domain.errors import Conflict as StateConflict
from charter.domain.errors import NotFound, PermissionDenied, ValidationError
from charter.persistence.models import JournalEntry, Notification, OutboxMessage
from charter.services import conflicts, risk, scheduled, stakeholders


def _raise(seed: Any, who: str = "pm", **kw: Any) -> dict[str, Any]:
    with seed.db.uow() as s:
        return conflicts.raise_conflict(
            s, seed.actor(who), seed.p1, **{"title": "Two teams want the lab", **kw}
        )


def _get(seed: Any, cid: int, who: str = "pm") -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        return conflicts.get_conflict(s, seed.actor(who), seed.p1, cid)


def _notes(seed: Any, user: str, kind: str) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == seed.users[user], Notification.kind == kind)) or 0)  # fmt: skip


def test_numbering_and_the_first_rung(seed: Any, frozen_clock: Any) -> None:
    a = _raise(seed, work_package_id=seed.wp_a, kind="resource", severity="high")
    assert a["ref"] == "C-1" and a["status"] == "open" and a["level"] == "task_leader"
    assert a["owner_id"] == seed.users["task_leader"] and a["source"] == "manual"
    assert a["escalate_at"] == frozen_clock.now + timedelta(hours=72) and a["time_left"] == "3d 0h"
    sub = _raise(seed, work_package_id=seed.wp_a1)  # a sub-package: its parent's Task Leader
    assert sub["ref"] == "C-2" and sub["owner_id"] == seed.users["task_leader"]
    top = _raise(seed)  # no work package: the PM
    assert top["ref"] == "C-3" and top["level"] == "pm" and top["owner_id"] == seed.users["pm"]
    # 120 hours from Monday 09:00 counted on weekdays: the following Monday 09:00 (not Saturday)
    assert top["escalate_at"] == datetime(2030, 1, 14, 9, 0, tzinfo=UTC)
    assert _notes(seed, "task_leader", "conflict.new") == 2  # told it is theirs; the PM raised C-3 itself
    with pytest.raises(ValidationError) as e:
        _raise(seed, kind="gossip")
    assert e.value.field == "kind"
    with pytest.raises(ValidationError) as e:
        _raise(seed, title="  ")
    assert e.value.field == "title"
    with pytest.raises(PermissionDenied):
        _raise(seed, who="observer")


def test_the_ladder_escalates_after_its_time_limits(seed: Any, frozen_clock: Any) -> None:
    c = _raise(seed, work_package_id=seed.wp_a)
    frozen_clock.advance(hours=71)
    with seed.db.uow() as s:
        assert conflicts.due_escalations(s) == []
    frozen_clock.advance(hours=2)
    with seed.db.uow() as s:
        assert conflicts.due_escalations(s) == [c["id"]]
    c = _get(seed, c["id"])
    assert c["level"] == "pm" and c["owner_id"] == seed.users["pm"]
    # Thursday 10:00 + 120 weekday hours: the weekend does not count, so Thursday a week later
    assert c["level_since"] == frozen_clock.now and c["escalate_at"] == datetime(
        2030, 1, 17, 10, 0, tzinfo=UTC
    )
    esc = [j for j in c["journal"] if j["action"] == "escalate"]
    assert len(esc) == 1 and esc[0]["actor"] == "system" and "time limit" in esc[0]["cause"]
    assert esc[0]["changes"]["level"] == ["task_leader", "pm"]
    for _ in range(2):  # the next passes change nothing and send nothing again
        with seed.db.uow() as s:
            assert conflicts.due_escalations(s) == []
    assert _notes(seed, "pm", "conflict.escalated") == 1
    assert _notes(seed, "task_leader", "conflict.escalated") == 1  # the previous holder hears it moved up
    frozen_clock.advance(hours=120)  # 120 hours on the clock, but only 72 of them on weekdays
    with seed.db.uow() as s:
        assert conflicts.due_escalations(s) == []
    frozen_clock.set(datetime(2030, 1, 17, 10, 0, tzinfo=UTC))
    with seed.db.uow() as s:  # the worker's job list runs it
        for job in scheduled.jobs():
            job(s, frozen_clock.now)
    c = _get(seed, c["id"])
    assert c["level"] == "sponsor" and c["owner_id"] == seed.users["sponsor"] and c["escalate_at"] is None
    frozen_clock.advance(days=30)
    with seed.db.uow() as s:
        assert conflicts.due_escalations(s) == []
    assert _notes(seed, "sponsor", "conflict.escalated") == 1
    with seed.db.uow(readonly=True) as s:
        mails = s.execute(select(OutboxMessage.event_key, OutboxMessage.recipient).where(
            OutboxMessage.channel == "email", OutboxMessage.event_key.like(f"conflict.escalated:{c['id']}:%"))).all()  # fmt: skip
    assert len(mails) == len(set(mails)) == 4  # one e-mail per event and recipient: new and previous holder


def test_policy_is_the_pms_and_reschedules_active_conflicts(seed: Any, frozen_clock: Any) -> None:
    c = _raise(seed, work_package_id=seed.wp_a)
    with seed.db.uow() as s:
        pol = conflicts.get_policy(s, seed.actor("worker"), seed.p1)
    assert (pol["task_leader_hours"], pol["pm_hours"]) == (72, 120)
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        conflicts.set_policy(
            s, seed.actor("task_leader"), seed.p1, pol["version"], task_leader_hours=1, pm_hours=1
        )
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        conflicts.set_policy(s, seed.actor("pm"), seed.p1, pol["version"], task_leader_hours=0, pm_hours=8)
    assert e.value.field == "task_leader_hours"
    with seed.db.uow() as s:
        new = conflicts.set_policy(
            s, seed.actor("pm"), seed.p1, pol["version"], task_leader_hours=8, pm_hours=24
        )
    assert new["task_leader_hours"] == 8
    with pytest.raises(StateConflict) as e2, seed.db.uow() as s:
        conflicts.set_policy(s, seed.actor("pm"), seed.p1, pol["version"], task_leader_hours=9, pm_hours=24)
    assert e2.value.field == "version"
    assert _get(seed, c["id"])["escalate_at"] == frozen_clock.now + timedelta(hours=8)


def test_lifecycle_resolve_close_reopen_and_stale_versions(seed: Any, frozen_clock: Any) -> None:
    c = _raise(seed, work_package_id=seed.wp_a)
    tl = seed.actor("task_leader")
    with seed.db.uow() as s:
        c = conflicts.update_conflict(
            s, tl, seed.p1, c["id"], c["version"], status="resolving", severity="high"
        )
    assert c["status"] == "resolving" and c["severity"] == "high"
    with pytest.raises(StateConflict) as e, seed.db.uow() as s:
        conflicts.update_conflict(s, tl, seed.p1, c["id"], c["version"] - 1, title="Old")
    assert e.value.field == "version" and e.value.current["version"] == c["version"]
    with pytest.raises(ValidationError) as v, seed.db.uow() as s:
        conflicts.resolve(s, tl, seed.p1, c["id"], c["version"], outcome="Shared the lab")
    assert v.value.field == "approach"
    with pytest.raises(ValidationError) as v, seed.db.uow() as s:
        conflicts.resolve(s, tl, seed.p1, c["id"], c["version"], outcome="  ", approach="compromise")
    assert v.value.field == "outcome"
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        conflicts.update_conflict(s, tl, seed.p1, c["id"], c["version"], owner_id=seed.users["worker"])
    with seed.db.uow() as s:
        c = conflicts.resolve(s, tl, seed.p1, c["id"], c["version"], outcome="Mornings A, afternoons B",
                              approach="compromise")  # fmt: skip
    assert c["status"] == "resolved" and c["approach"] == "compromise" and c["escalate_at"] is None
    assert c["resolved_by"] == "Task Leader"
    frozen_clock.advance(days=10)
    with seed.db.uow() as s:
        assert conflicts.due_escalations(s) == []  # a settled conflict does not climb
    with pytest.raises(StateConflict), seed.db.uow() as s:
        conflicts.escalate(s, tl, seed.p1, c["id"], c["version"])
    with seed.db.uow() as s:
        c = conflicts.close(s, tl, seed.p1, c["id"], c["version"])
    assert c["status"] == "closed"
    with seed.db.uow() as s:
        c = conflicts.reopen(
            s, seed.actor("pm"), seed.p1, c["id"], c["version"], reason="B took mornings too"
        )
    assert c["status"] == "open" and c["resolved_at"] is None
    assert c["escalate_at"] == datetime(2030, 1, 22, 9, 0, tzinfo=UTC)  # Thursday + 72 weekday hours: Tuesday
    actions = [j["action"] for j in c["journal"]]
    assert actions[:4] == ["reopen", "close", "resolve", "update"] and actions[-1] == "create"


def test_manual_escalation_and_who_may(seed: Any, frozen_clock: Any) -> None:
    c = _raise(seed, who="worker", work_package_id=seed.wp_b, kind="technical")
    assert c["owner_id"] == seed.users["task_leader_b"]
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        conflicts.escalate(s, seed.actor("stakeholder"), seed.p1, c["id"], c["version"])
    with seed.db.uow() as s:  # whoever raised it may push it up
        c = conflicts.escalate(s, seed.actor("worker"), seed.p1, c["id"], c["version"], reason="No answer")
    assert c["level"] == "pm" and c["owner_id"] == seed.users["pm"]
    with pytest.raises(PermissionDenied), seed.db.uow() as s:  # off the TL rung: no longer the TL's to change
        conflicts.update_conflict(
            s, seed.actor("task_leader_b"), seed.p1, c["id"], c["version"], severity="low"
        )
    with seed.db.uow() as s:
        c = conflicts.escalate(s, seed.actor("pm"), seed.p1, c["id"], c["version"])
    assert c["level"] == "sponsor" and c["may_edit"]
    with pytest.raises(StateConflict) as e, seed.db.uow() as s:
        conflicts.escalate(s, seed.actor("pm"), seed.p1, c["id"], c["version"])
    assert e.value.field == "level"
    with seed.db.uow() as s:
        c = conflicts.resolve(s, seed.actor("sponsor"), seed.p1, c["id"], c["version"], approach="force",
                              outcome="The sponsor chose option B")  # fmt: skip
    assert c["status"] == "resolved"
    assert _notes(seed, "worker", "conflict.resolved") == 1


def test_people_conflicts_stay_with_those_involved(seed: Any, frozen_clock: Any) -> None:
    c = _raise(seed, work_package_id=seed.wp_b, kind="people",
               parties=[{"user_id": seed.users["worker"]}, {"label": "Vendor account manager"}])  # fmt: skip
    open_ = _raise(seed, kind="schedule", title="Release date vs. audit")
    see = {"pm", "sponsor", "task_leader_b", "worker", "admin"}
    for who in (
        "pm",
        "task_leader",
        "task_leader_b",
        "worker",
        "stakeholder",
        "liaison",
        "sponsor",
        "observer",
    ):
        with seed.db.uow(readonly=True) as s:
            ids = [x["id"] for x in conflicts.list_conflicts(s, seed.actor(who), seed.p1)]
        assert (c["id"] in ids) == (who in see), who
        assert open_["id"] in ids, who  # other kinds: every member
        if who not in see:
            with pytest.raises(NotFound):
                _get(seed, c["id"], who)
    with pytest.raises(NotFound), seed.db.uow(readonly=True) as s:
        conflicts.list_conflicts(s, seed.actor("outsider"), seed.p1)
    with seed.db.uow() as s:  # the Sales department becomes a party: its liaison now sees it
        conflicts.add_party(s, seed.actor("task_leader_b"), seed.p1, c["id"], department_id=seed.sales)
    assert _get(seed, c["id"], "liaison")["title"] == c["title"]
    with pytest.raises(NotFound):
        _get(seed, c["id"], "observer")


def test_parties(seed: Any) -> None:
    c = _raise(seed)
    pm = seed.actor("pm")
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        conflicts.add_party(s, pm, seed.p1, c["id"], user_id=seed.users["outsider"])
    assert e.value.field == "user_id"
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        conflicts.add_party(s, pm, seed.p1, c["id"], user_id=seed.users["worker"], department_id=seed.sales)
    assert e.value.field == "department_id"
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        conflicts.add_party(s, pm, seed.p1, c["id"], work_package_id=seed.wp_p2)
    assert e.value.field == "work_package_id"
    with seed.db.uow() as s:
        c = conflicts.add_party(s, pm, seed.p1, c["id"], work_package_id=seed.wp_a)
        c = conflicts.add_party(s, pm, seed.p1, c["id"], label="Facilities")
    assert [(p["kind"], p["name"]) for p in c["parties"]] == [
        ("work_package", "1 WP-A"),
        ("outside", "Facilities"),
    ]
    with pytest.raises(StateConflict), seed.db.uow() as s:
        conflicts.add_party(s, pm, seed.p1, c["id"], label="facilities")
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        conflicts.add_party(s, seed.actor("worker"), seed.p1, c["id"], label="Someone")
    with seed.db.uow() as s:
        c = conflicts.remove_party(s, pm, seed.p1, c["id"], c["parties"][0]["id"])
    assert [p["name"] for p in c["parties"]] == ["Facilities"]
    assert {"add_party", "remove_party"} <= {j["action"] for j in c["journal"]}


def test_an_occurred_risk_becomes_a_conflict(seed: Any, frozen_clock: Any) -> None:
    tl = seed.actor("task_leader")
    with seed.db.uow() as s:
        r = risk.create_risk(s, seed.actor("pm"), seed.p1, title="Key engineer leaves", category="people",
                             owner_id=seed.users["task_leader"], work_package_id=seed.wp_a, probability=4,
                             impact_schedule=4)  # fmt: skip
    with pytest.raises(StateConflict) as e, seed.db.uow() as s:
        conflicts.from_risk(s, tl, seed.p1, r["id"])
    assert e.value.field == "risk_id"
    with seed.db.uow() as s:
        r = risk.set_status(s, tl, seed.p1, r["id"], r["version"], "occurred", note="Resigned",
                            open_conflict=True)  # fmt: skip
    assert r["status"] == "occurred" and r["conflict"]["ref"] == "C-1"
    c = _get(seed, r["conflict"]["id"])
    assert c["risk_id"] == r["id"] and c["risk_ref"] == "R-1" and c["source"] == "risk"
    assert c["kind"] == "people" and c["severity"] == "high" and c["level"] == "task_leader"
    assert "Resigned" in c["description"]
    with pytest.raises(StateConflict), seed.db.uow() as s:
        conflicts.from_risk(s, tl, seed.p1, r["id"])  # one active entry per risk
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        conflicts.from_risk(s, seed.actor("worker"), seed.p1, r["id"])
    with seed.db.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(JournalEntry).where(
            JournalEntry.entity_type == "risk", JournalEntry.action == "conflict")) == 1  # fmt: skip


def test_a_concern_becomes_a_conflict(seed: Any, frozen_clock: Any) -> None:
    with seed.db.uow() as s:
        con = stakeholders.raise_concern(s, seed.actor("liaison"), seed.p1, subject="Sales and support both want "
                                         "the March release slot", areas=["schedule"], severity="high")  # fmt: skip
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        conflicts.from_concern(s, seed.actor("stakeholder"), seed.p1, con["id"])
    with seed.db.uow() as s:
        c = conflicts.from_concern(s, seed.actor("pm"), seed.p1, con["id"], kind="priority")
    assert c["concern_id"] == con["id"] and c["source"] == "concern" and c["severity"] == "high"
    assert {p["kind"] for p in c["parties"]} == {"user", "department"}
    with seed.db.uow(readonly=True) as s:
        after = stakeholders.get_concern(s, seed.actor("pm"), seed.p1, con["id"])
    assert after["conflict"]["ref"] == c["ref"] and after["acknowledged_at"] is not None
    with pytest.raises(StateConflict), seed.db.uow() as s:
        conflicts.from_concern(s, seed.actor("pm"), seed.p1, con["id"])


def test_desk_lists_what_awaits(seed: Any, frozen_clock: Any) -> None:
    from charter.services import desks

    c = _raise(seed)
    with seed.db.uow(readonly=True) as s:
        d = desks.desk(s, seed.actor("pm"))
    pm_sec = next(p for p in d["projects"] if p["project_id"] == seed.p1)["sections"]["project_manager"]
    assert [x["ref"] for x in pm_sec["today"]["conflicts"]] == [c["ref"]]
    with seed.db.uow() as s:
        conflicts.escalate(s, seed.actor("pm"), seed.p1, c["id"], c["version"])
    with seed.db.uow(readonly=True) as s:
        d = desks.desk(s, seed.actor("sponsor"))
    sp = next(p for p in d["projects"] if p["project_id"] == seed.p1)["sections"]["sponsor"]
    assert [x["ref"] for x in sp["conflicts"]] == [c["ref"]]


# --------------------------------------------------------------------------------------------- the API


def test_api_round_trip(api: Any, seed: Any, as_: Any, frozen_clock: Any) -> None:
    base = f"/projects/{seed.p1}/conflicts"
    r = api.post(base, json={"title": "Lab time", "kind": "resource", "work_package_id": seed.wp_a,
                             "parties": [{"user_id": seed.users["worker"]}]}, headers=as_("worker"))  # fmt: skip
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["ref"] == "C-1" and c["parties"][0]["user_id"] == seed.users["worker"]
    assert api.post(base, json={"title": "X", "owner_id": 1}, headers=as_("pm")).status_code == 422
    assert (
        api.post(base, json={"title": "X", "severity": "huge"}, headers=as_("pm")).json()["error"]["field"]
        == "severity"
    )
    url = f"{base}/{c['id']}"
    r = api.patch(url, json={"version": c["version"], "title": None}, headers=as_("pm"))
    assert r.status_code == 422
    r = api.patch(url, json={"version": c["version"], "number": 9}, headers=as_("pm"))
    assert r.status_code == 422
    r = api.patch(url, json={"version": c["version"] + 5, "severity": "low"}, headers=as_("pm"))
    assert r.status_code == 409 and r.json()["error"]["current"]["version"] == c["version"]
    r = api.post(url + "/escalate", json={"version": c["version"]}, headers=as_("task_leader"))
    assert r.status_code == 200 and r.json()["level"] == "pm", r.text
    c = r.json()
    listed = api.get(base, params={"level": "pm", "kind": "resource"}, headers=as_("pm")).json()
    assert [x["id"] for x in listed] == [c["id"]]
    assert api.get(base, params={"level": "sponsor"}, headers=as_("pm")).json() == []
    assert api.get(base, params={"status": "nope"}, headers=as_("pm")).status_code == 422
    r = api.post(
        url + "/resolve", json={"version": c["version"], "outcome": "Rota agreed"}, headers=as_("pm")
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "approach"
    r = api.post(url + "/resolve", json={"version": c["version"], "outcome": "Rota agreed",
                                         "approach": "collaborate"}, headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    pol = api.get(f"/projects/{seed.p1}/conflict-policy", headers=as_("pm")).json()
    r = api.put(f"/projects/{seed.p1}/conflict-policy", json={"version": pol["version"], "task_leader_hours": 24,
                "pm_hours": 48}, headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200 and r.json()["pm_hours"] == 48
    assert api.get(f"/projects/{seed.p2}/conflicts/{c['id']}", headers=as_("outsider")).status_code == 404
    assert api.get(url, headers=as_("outsider")).status_code == 404


def test_cli(seed: Any, monkeypatch: Any) -> None:
    import json

    from typer.testing import CliRunner

    from charter.cli.main import app

    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.url)
    get_settings.cache_clear()  # settings read before this test set the URL
    cli = CliRunner()
    out = cli.invoke(app, ["--as", "worker", "conflicts", "raise", "P1", "Lab bench time", "--kind", "resource",
                           "--work-package", str(seed.wp_a), "--party", "task-leader-b", "--party", "Facilities"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "C-1" in out.output and "Task Leader" in out.output
    out = cli.invoke(app, ["--as", "pm", "conflicts", "list", "P1", "--json"])
    rows = json.loads(out.output)
    assert [r["ref"] for r in rows] == ["C-1"] and {p["kind"] for p in rows[0]["parties"]} == {
        "user",
        "outside",
    }
    out = cli.invoke(
        app, ["--as", "task-leader", "conflicts", "escalate", "P1", "C-1", "--reason", "Needs the PM"]
    )
    assert out.exit_code == 0 and "now with PM" in out.output, out.output
    out = cli.invoke(
        app, ["--as", "pm", "conflicts", "resolve", "P1", "1", "--outcome", "Rota", "--approach", "shout"]
    )
    assert out.exit_code != 0 and "approach" in out.output
    out = cli.invoke(app, ["--as", "pm", "conflicts", "resolve", "P1", "1", "--outcome", "Rota",
                           "--approach", "compromise"])  # fmt: skip
    assert out.exit_code == 0 and "resolved (compromise)" in out.output, out.output
    out = cli.invoke(app, ["--as", "pm", "conflicts", "show", "P1", "C-1"])
    assert out.exit_code == 0 and "escalate" in out.output and "Facilities" in out.output
    out = cli.invoke(app, ["--as", "pm", "conflicts", "detect", "P1", "--json"])
    assert out.exit_code == 0 and json.loads(out.output)["opened"] == []
    out = cli.invoke(app, ["--as", "worker", "conflicts", "detect", "P1"])
    assert out.exit_code != 0
    assert cli.invoke(app, ["conflicts", "--help"]).exit_code == 0


def test_the_project_journal_keeps_conflicts_to_those_who_see_them_all(api: Any, seed: Any, as_: Any) -> None:
    c = _raise(seed, kind="people", title="Alice and Bob")
    url = f"/projects/{seed.p1}/journal"
    for who, sees in (("pm", True), ("sponsor", True), ("observer", False), ("task_leader", False)):
        rows = api.get(url, headers=as_(who)).json()
        assert any(r["entity_type"] == "conflict" for r in rows) == sees, who
    assert [j["action"] for j in _get(seed, c["id"])["journal"]] == ["create"]
