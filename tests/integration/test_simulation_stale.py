"""A Monte Carlo run whose runner process died (no heartbeat for STALE_AFTER) does not stay running forever:
the worker's scheduled pass and any read mark it failed ("the process running it stopped"), and cancelling
it completes at once. The runner is "killed" by leaving its row running without executing it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from charter.config import get_settings
from charter.notify.worker import from_settings
from charter.persistence.models import JournalEntry, SimulationRun
from charter.services import scheduled, simulation


def _orphan(seed: Any, status: str = "running") -> int:
    """A run whose process stopped right after its last heartbeat (now)."""
    with seed.db.uow() as s:
        run = simulation.create_run(s, seed.actor("pm"), seed.p1, iterations=200, seed=3)
        if status == "running":
            s.execute(update(SimulationRun).where(SimulationRun.id == run["id"])
                      .values(status="running", started_at=simulation.now(), heartbeat_at=simulation.now(),
                              progress=0.4, message="iterations 80 of 200"))  # fmt: skip
    return int(run["id"])


def _status(seed: Any, run_id: int) -> SimulationRun:
    with seed.db.uow(readonly=True) as s:
        run = s.get(SimulationRun, run_id)
        assert run is not None
        s.expunge(run)
        return run


def test_worker_pass_fails_a_run_whose_process_stopped(seed: Any, frozen_clock: Any) -> None:
    stale, queued = _orphan(seed), _orphan(seed, "queued")
    worker = from_settings(seed.db, get_settings(), now=lambda: frozen_clock.now, jobs=scheduled.jobs())
    frozen_clock.advance(seconds=simulation.STALE_AFTER.total_seconds() - 1)
    fresh = _orphan(seed)  # heartbeat just now: alive
    worker.run_once()
    assert _status(seed, stale).status == "running"  # not yet past the limit
    frozen_clock.advance(seconds=2)
    worker.run_once()
    run = _status(seed, stale)
    assert run.status == "failed" and run.finished_at == frozen_clock.now
    assert run.error is not None and "the process running it stopped" in run.error
    assert _status(seed, queued).status == "failed"
    assert _status(seed, fresh).status == "running"
    worker.run_once()  # idempotent: one journal entry per run
    with seed.db.uow(readonly=True) as s:
        entries = s.scalars(select(JournalEntry).where(JournalEntry.entity_type == "simulation_run",
                                                       JournalEntry.entity_id == str(stale),
                                                       JournalEntry.action == "fail")).all()  # fmt: skip
        assert len(entries) == 1 and entries[0].actor_id is None


def test_a_heartbeat_keeps_a_long_run_alive(seed: Any, frozen_clock: Any) -> None:
    run_id = _orphan(seed)
    for _ in range(3):
        frozen_clock.advance(seconds=simulation.STALE_AFTER.total_seconds() * 0.6)
        with seed.db.uow() as s:  # what the runner's progress write does
            s.execute(
                update(SimulationRun).where(SimulationRun.id == run_id).values(heartbeat_at=simulation.now())
            )
        with seed.db.uow() as s:
            assert simulation.sweep_stale_runs(s) == []
    assert _status(seed, run_id).status == "running"


def test_reading_the_run_marks_it_failed(api: Any, seed: Any, as_: Any, frozen_clock: Any) -> None:
    run_id = _orphan(seed)
    url = f"/projects/{seed.p1}/simulations/{run_id}"
    assert api.get(url, headers=as_("observer")).json()["status"] == "running"
    frozen_clock.advance(minutes=simulation.STALE_AFTER.total_seconds() / 60 + 1)
    out = api.get(url, headers=as_("observer")).json()
    assert out["status"] == "failed" and "the process running it stopped" in out["error"]
    assert _status(seed, run_id).status == "failed"  # stored, not only shown
    r = api.post(url + "/cancel", headers=as_("pm"))
    assert r.status_code == 409 and r.json()["error"]["current"]["status"] == "failed"


def test_list_marks_stale_runs_failed(seed: Any, frozen_clock: Any) -> None:
    run_id = _orphan(seed)
    frozen_clock.advance(hours=1)
    with seed.db.uow() as s:
        runs = simulation.list_runs(s, seed.actor("pm"), seed.p1)
    assert [r["status"] for r in runs if r["id"] == run_id] == ["failed"]


def test_cancelling_a_stale_run_completes_at_once(api: Any, seed: Any, as_: Any, frozen_clock: Any) -> None:
    alive, stale = _orphan(seed), None
    r = api.post(f"/projects/{seed.p1}/simulations/{alive}/cancel", headers=as_("pm"))
    assert r.status_code == 200 and r.json()["status"] == "running"  # a live runner stops at its next batch
    frozen_clock.advance(hours=1)
    stale = _orphan(seed)
    frozen_clock.advance(hours=1)
    for run_id in (alive, stale):  # asked to cancel already, or not: either completes now
        r = api.post(f"/projects/{seed.p1}/simulations/{run_id}/cancel", headers=as_("pm"))
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["status"] == "cancelled" and "the process running it stopped" in out["message"]
        assert out["finished_at"] is not None
        assert _status(seed, run_id).status == "cancelled"


def test_a_run_executing_in_this_process_is_never_stale(seed: Any, frozen_clock: Any) -> None:
    run_id = _orphan(seed)
    frozen_clock.advance(hours=2)
    simulation._signal(run_id)  # the runner of this process is executing it
    try:
        with seed.db.uow() as s:
            assert simulation.sweep_stale_runs(s) == []
    finally:
        with simulation._SIGNALS_LOCK:
            simulation._SIGNALS.pop(run_id, None)
    assert simulation.is_stale(_status(seed, run_id), frozen_clock.now)  # once the runner is gone
