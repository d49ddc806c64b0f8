"""A stakeholder concern turned into a risk (service, API, CLI, page; linked both ways, journaled, the raiser
told) and cancelling Monte Carlo runs: a real run stopped between batches (in-process signal and the row's
flag), a queued run, refusals for finished runs, the API, the CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, update

from charter.config import get_settings
from charter.domain.errors import Conflict, PermissionDenied
from charter.persistence.models import JournalEntry, Notification, Risk, SimulationRun
from charter.services import simulation, stakeholders, tasks


def _concern(
    seed: Any, subject: str = "Go-live clashes with the audit", body: str = "The audit takes IT staff"
) -> int:
    with seed.db.uow() as s:
        c = stakeholders.raise_concern(s, seed.actor("stakeholder"), seed.p1, subject=subject, body=body,
                                       areas=["schedule", "quality"], severity="high")  # fmt: skip
    return int(c["id"])


# --------------------------------------------------------------------------------------------- concern -> risk


def test_concern_becomes_a_risk_linked_both_ways_journaled_and_the_raiser_told(seed: Any) -> None:
    cid = _concern(seed)
    with seed.db.uow() as s:
        r = stakeholders.to_risk(s, seed.actor("pm"), seed.p1, cid, category="people")
    assert r["event"] == "Go-live clashes with the audit" and r["cause"] == "The audit takes IT staff"
    assert r["effect"] == "Affects quality, schedule" and r["category"] == "people" and r["kind"] == "threat"
    assert r["title"] == "Go-live clashes with the audit" and r["concern_id"] == cid
    assert r["status"] == "identified" and r["owner_id"] == seed.users["pm"]
    with seed.db.uow(readonly=True) as s:
        # the raiser sees what became of it
        mine = stakeholders.list_concerns(s, seed.actor("stakeholder"), seed.p1, mine=True)
        assert mine[0]["status"] == "risk"
        assert mine[0]["outcome"]["type"] == "risk" and mine[0]["outcome"]["ref"] == r["ref"]
        assert mine[0]["risk"]["id"] == r["id"] and mine[0]["acknowledged_at"] is not None
        acts = {
            (j.entity_type, j.action)
            for j in s.scalars(select(JournalEntry).where(JournalEntry.project_id == seed.p1))
        }
        assert ("concern", "risk") in acts and ("risk", "create") in acts
        note = s.scalars(select(Notification).where(Notification.user_id == seed.users["stakeholder"],
                                                    Notification.event_key == f"concern:{cid}:risk")).one()  # fmt: skip
        assert r["ref"] in note.subject
    with pytest.raises(Conflict) as e, seed.db.uow() as s:
        stakeholders.to_risk(s, seed.actor("pm"), seed.p1, cid)
    assert e.value.field == "concern_id"
    with seed.db.uow(readonly=True) as s:
        assert s.scalar(select(Risk.id).where(Risk.concern_id == cid).limit(2).offset(1)) is None


def test_only_the_pm_or_the_liaison_turns_a_concern_into_a_risk(seed: Any) -> None:
    cid = _concern(seed)
    for who in ("worker", "stakeholder", "observer"):
        with pytest.raises(PermissionDenied), seed.db.uow() as s:
            stakeholders.to_risk(s, seed.actor(who), seed.p1, cid)
    with seed.db.uow(readonly=True) as s:
        assert s.scalars(select(Risk)).first() is None


def test_concern_to_risk_over_the_api(api: Any, seed: Any, as_: Any) -> None:
    cid = _concern(seed)
    url = f"/projects/{seed.p1}/concerns/{cid}/risk"
    bad = api.post(url, json={"category": "weather"}, headers=as_("pm"))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "category"
    assert api.post(url, json={"id": 5}, headers=as_("pm")).status_code == 422  # mass assignment
    r = api.post(url, json={"title": "Audit collides with go-live", "kind": "threat"}, headers=as_("pm"))
    assert r.status_code == 201, r.text
    risk = r.json()
    assert risk["concern_id"] == cid and risk["title"] == "Audit collides with go-live"
    got = api.get(f"/projects/{seed.p1}/risks/{risk['id']}", headers=as_("observer")).json()
    assert got["concern_id"] == cid
    assert api.post(url, json={}, headers=as_("pm")).status_code == 409
    mine = api.get(f"/projects/{seed.p1}/concerns", params={"mine": True}, headers=as_("stakeholder")).json()
    assert mine[0]["outcome"]["ref"] == risk["ref"]


def test_concern_to_risk_from_the_cli(seed: Any, monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from charter.cli.main import app

    cid = _concern(seed)
    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.url)
    get_settings.cache_clear()  # settings read before this test set the URL
    cli = CliRunner()
    out = cli.invoke(app, ["--as", "pm", "concern", "risk", "P1", str(cid), "--category", "vendor"])
    assert out.exit_code == 0, out.output
    assert "became risk R-1" in out.output
    _wide(monkeypatch)
    out = cli.invoke(app, ["--as", "stakeholder", "concern", "list", "P1", "--mine"])
    assert "R-1 identified" in out.output, out.output
    out = cli.invoke(app, ["--as", "pm", "concern", "risk", "P1", str(cid), "--json"])
    assert out.exit_code == 1 and "risk already" in out.output


# --------------------------------------------------------------------------------------------- cancelling runs


def _estimates(seed: Any) -> None:
    with seed.db.uow() as s:
        pm = seed.actor("pm")
        for key, (o, m, p) in {"a": ("2d", "3d", "6d"), "b": ("1d", "2d", "4d")}.items():
            t = tasks.get_task(s, pm, seed.p1, seed.tasks[key])
            tasks.update_task(s, pm, seed.p1, seed.tasks[key], t["version"], optimistic=o, most_likely=m,
                              pessimistic=p)  # fmt: skip


def _queued(seed: Any, iterations: int = 40_000) -> int:
    with seed.db.uow() as s:
        return int(simulation.create_run(s, seed.actor("pm"), seed.p1, iterations=iterations, seed=3)["id"])


def _get(seed: Any, run_id: int) -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        return simulation.get_run(s, seed.actor("pm"), seed.p1, run_id)


def test_a_running_simulation_is_cancelled_between_batches_and_keeps_nothing(seed: Any) -> None:
    _estimates(seed)
    run_id = _queued(seed)
    calls: list[str] = []

    def progress(frac: float, msg: str) -> None:
        calls.append(msg)
        if len(calls) == 1:  # the run is executing: cancel it as the PM would (its own transaction)
            assert _get(seed, run_id)["status"] == "running"
            with seed.db.uow() as s:
                out = simulation.cancel_run(s, seed.actor("pm"), seed.p1, run_id)
            assert out["status"] == "running" and out["message"] == "cancelling"

    simulation.execute_run(seed.db, run_id, progress=progress)
    out = _get(seed, run_id)
    assert out["status"] == "cancelled" and out["result"] is None and out["error"] is None
    assert out["progress"] < 1 and out["finished_at"] is not None and out["cancel_requested_at"] is not None
    assert out["cancelled_by"] == seed.users["pm"]
    assert len(calls) == 1  # stopped at the very next batch
    assert "cancelled after" in out["message"] and "of 40,000 iterations" in out["message"]
    with seed.db.uow(readonly=True) as s:
        j = s.scalars(select(JournalEntry).where(JournalEntry.entity_type == "simulation_run",
                                                 JournalEntry.action == "cancel")).one()  # fmt: skip
        assert j.entity_id == str(run_id)
    assert simulation._SIGNALS == {}
    # the same seed, not cancelled, completes: cancelling left nothing behind that changes a later run
    again = _queued(seed)
    simulation.execute_run(seed.db, again)
    assert _get(seed, again)["status"] == "done"


def test_a_cancel_flag_set_by_another_process_stops_the_run(seed: Any, monkeypatch: Any) -> None:
    _estimates(seed)
    monkeypatch.setattr(simulation, "CANCEL_POLL", 0.0)
    run_id = _queued(seed)

    def progress(frac: float, msg: str) -> None:  # another process writes the flag; no in-process signal
        with seed.db.uow() as s:
            s.execute(update(SimulationRun).where(SimulationRun.id == run_id)
                      .values(cancel_requested_at=SimulationRun.created_at))  # fmt: skip

    simulation.execute_run(seed.db, run_id, progress=progress)
    out = _get(seed, run_id)
    assert out["status"] == "cancelled" and out["result"] is None


def test_cancel_a_queued_run_and_refusals(api: Any, seed: Any, as_: Any) -> None:
    run_id = _queued(seed, 100)
    url = f"/projects/{seed.p1}/simulations/{run_id}/cancel"
    assert api.post(url, headers=as_("worker")).status_code == 403
    assert api.post(url, headers=as_("outsider")).status_code == 404
    r = api.post(url, headers=as_("pm"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["message"] == "cancelled before it started"
    simulation.execute_run(seed.db, run_id)  # a runner that picks it up later does nothing
    assert _get(seed, run_id)["result"] is None
    again = api.post(url, headers=as_("pm"))
    assert again.status_code == 409 and "cancelled already" in again.json()["error"]["message"]
    done = api.post(
        f"/projects/{seed.p1}/simulations", json={"iterations": 50, "seed": 1}, headers=as_("pm")
    ).json()
    r = api.post(f"/projects/{seed.p1}/simulations/{done['id']}/cancel", headers=as_("pm"))
    assert r.status_code == 409 and "done already" in r.json()["error"]["message"]
    assert api.post(f"/projects/{seed.p1}/simulations/99999/cancel", headers=as_("pm")).status_code == 404


def test_cli_lists_runs_and_cancels_one(seed: Any, monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from charter.cli.main import app

    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.url)
    get_settings.cache_clear()  # settings read before this test set the URL
    cli = CliRunner()
    out = cli.invoke(app, ["--as", "pm", "simulate", "P1", "--iterations", "200", "--seed", "4", "--json",
                           "--wp-correlation", "0.5", "--target-cost", "1000"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["params"]["work_package_correlation"] == 0.5
    queued = _queued(seed, 100)
    out = cli.invoke(app, ["--as", "pm", "risk", "runs", "P1", "--json"])
    rows = json.loads(out.output)
    assert [r["status"] for r in rows] == ["queued", "done"]
    _wide(monkeypatch)
    out = cli.invoke(app, ["--as", "pm", "risk", "runs", "P1"])
    assert out.exit_code == 0 and "queued" in out.output and "done" in out.output, out.output
    out = cli.invoke(app, ["--as", "worker", "risk", "cancel-run", "P1", str(queued)])
    assert out.exit_code == 1
    out = cli.invoke(app, ["--as", "pm", "risk", "cancel-run", "P1", str(queued)])
    assert out.exit_code == 0 and "cancelled" in out.output
    assert _get(seed, queued)["status"] == "cancelled"


def test_cli_reports_gate_overrides(seed: Any, monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from charter.cli.main import app
    from charter.services import quality, roles

    with seed.db.uow() as s:
        quality.create_defect(s, seed.actor("worker"), seed.p1, title="Data loss", severity="critical",
                              found_in="test")  # fmt: skip
        roles.set_raci(s, seed.actor("admin"), seed.p1, area="quality", role_id=seed.roles["project_manager"],
                       letter="A")  # fmt: skip
    with seed.db.uow() as s:
        quality.close_phase(s, seed.actor("pm"), seed.p1, override_reason="Customer accepts in writing")
    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.url)
    get_settings.cache_clear()  # settings read before this test set the URL
    _wide(monkeypatch)
    out = CliRunner().invoke(app, ["--as", "observer", "quality", "lifecycle", "P1"])
    assert out.exit_code == 0, out.output
    assert "Gate overrides" in out.output and "Customer accepts in writing" in out.output
    assert "Data loss" in out.output or "critical" in out.output


def _wide(monkeypatch: Any) -> None:
    """Tables printed wide enough to read whole (the test runner's terminal is narrow)."""
    from charter.cli.common import console

    monkeypatch.setattr(console, "width", 220)


def test_cli_views_overview_burndown_plan_register_since_baseline(seed: Any, monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from charter.cli.main import app
    from charter.services import quality, risk, scheduling

    with seed.db.uow() as s:
        pm = seed.actor("pm")
        risk.create_risk(s, pm, seed.p1, title="Vendor late", probability=4, impact_schedule=3,
                         work_package_id=seed.wp_a)  # fmt: skip
        quality.create_metric(s, pm, seed.p1, name="Pass rate", direction="at_least", target=95, unit="%")
        stakeholders.create_stakeholder(s, pm, seed.p1, name="Finance", interest=5, influence=5)
        scheduling.save_baseline(s, pm, seed.p1, number=0)
    with seed.db.uow() as s:
        t = tasks.get_task(s, seed.actor("pm"), seed.p1, seed.tasks["a"])
        tasks.update_task(s, seed.actor("pm"), seed.p1, seed.tasks["a"], t["version"], duration="6d")
    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.url)
    get_settings.cache_clear()  # settings read before this test set the URL
    _wide(monkeypatch)
    cli = CliRunner()
    out = cli.invoke(app, ["--as", "observer", "risk", "overview", "P1"])
    assert out.exit_code == 0, out.output
    row4 = next(line for line in out.output.splitlines() if line.strip("│┃ ").startswith("4"))
    assert "R-1" in row4  # probability 4, impact 3
    assert "Vendor late" in out.output and "exposure" in out.output
    out = cli.invoke(app, ["--as", "observer", "risk", "burndown", "P1", "--weeks", "4", "--json"])
    assert out.exit_code == 0 and json.loads(out.output)[-1]["exposure"] == 12
    out = cli.invoke(app, ["--as", "observer", "quality", "plan", "P1"])
    assert out.exit_code == 0 and "Pass rate" in out.output and ">= 95" in out.output
    out = cli.invoke(app, ["--as", "pm", "quality", "stakeholders", "P1"])
    assert out.exit_code == 0 and "Finance" in out.output
    out = cli.invoke(app, ["--as", "observer", "change", "since", "P1", "0"])
    assert out.exit_code == 0, out.output
    assert "Task A" in out.output and "moved" in out.output


def test_the_departments_liaison_turns_its_concern_into_a_risk(seed: Any) -> None:
    from charter.persistence.models import User

    with seed.db.uow() as s:
        s.execute(update(User).where(User.id == seed.users["stakeholder"]).values(department_id=seed.sales))
    cid = _concern(seed)
    with seed.db.uow() as s:
        r = stakeholders.to_risk(
            s, seed.actor("liaison"), seed.p1, cid, kind="opportunity", category="people"
        )
    assert r["kind"] == "opportunity" and r["concern_id"] == cid and r["raised_by"] == seed.users["liaison"]
    with seed.db.uow(readonly=True) as s:
        c = stakeholders.get_concern(s, seed.actor("stakeholder"), seed.p1, cid)
    assert c["risk"]["ref"] == r["ref"] and c["acknowledged_by"]
