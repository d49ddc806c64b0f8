"""`charter level runs|show|accept|undo`: the stored levelling runs from the command line (the web page and the
API had them; the CLI could only preview or --apply at once), with `charter level PROJECT ...` unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from charter.persistence.models import JournalEntry, LevellingRun, Task
from charter.services import tasks


def _overload(cli: Any, seed: Any) -> None:
    """Task C (1d) runs alongside Task A on the worker's first day: one over-allocation to level."""
    cli("task", "assign", "P1", str(seed.tasks["c"]), "worker")


def _levelled(seed: Any) -> dict[int, Any]:
    with seed.db.uow(readonly=True) as s:
        return dict(s.execute(select(Task.id, Task.levelled_start).where(Task.project_id == seed.p1)).all())


def _causes(seed: Any) -> list[str]:
    with seed.db.uow(readonly=True) as s:
        q = select(JournalEntry.cause).where(
            JournalEntry.entity_type == "task", JournalEntry.project_id == seed.p1,
            JournalEntry.cause.like("%levelling run%"),
        ).order_by(JournalEntry.id)  # fmt: skip
        return [c for c in s.scalars(q) if c]


def _status(seed: Any, run_id: int) -> str:
    with seed.db.uow(readonly=True) as s:
        run = s.get(LevellingRun, run_id)
        assert run is not None
        return run.status


def test_preview_then_accept_and_undo_by_run(cli: Any, seed: Any) -> None:
    _overload(cli, seed)
    before = _levelled(seed)
    out = cli("level", "P1").stdout  # the existing invocation: a preview
    assert "Levelling run" in out and "Preview only" in out and "charter level accept P1" in out
    assert _levelled(seed) == before  # a preview moves nothing
    runs = json.loads(cli("level", "runs", "P1", "--json", who="stakeholder").stdout)
    assert len(runs) == 1 and runs[0]["status"] == "preview" and runs[0]["changes"]
    run = runs[0]
    out = cli("level", "runs", "P1").stdout
    assert str(run["id"]) in out and "preview" in out and "heuristic" in out
    out = cli("level", "show", "P1", str(run["id"])).stdout
    assert f"Levelling run {run['id']}" in out and run["changes"][0]["name"] in out and "+" in out
    assert json.loads(cli("level", "show", "P1", str(run["id"]), "--json").stdout)["id"] == run["id"]

    out = cli("level", "accept", "P1", str(run["id"])).stdout
    assert f"Levelling run {run['id']} applied" in out and "task(s) moved" in out
    after = _levelled(seed)
    moves = {int(k): v for k, v in run["moves"].items()}
    assert moves and all(after[tid] is not None and after[tid].isoformat().startswith(v[:16])
                         for tid, v in moves.items() if v)  # fmt: skip
    assert _status(seed, run["id"]) == "applied"
    assert _causes(seed) == [f"resource levelling run {run['id']} (heuristic)"] * len(moves)

    undone = json.loads(cli("level", "undo", "P1", str(run["id"]), "--json").stdout)
    assert undone["status"] == "undone" and "finish" in undone
    assert _levelled(seed) == before and _status(seed, run["id"]) == "undone"
    assert _causes(seed)[-1] == f"undo of resource levelling run {run['id']}"
    out = cli("level", "undo", "P1", str(run["id"]), code=1).stderr
    assert "undone, not applied" in out and "field: run_id" in out
    out = cli("level", "accept", "P1", str(run["id"]), code=1).stderr
    assert "preview again" in out


def test_the_existing_level_command_still_works(cli: Any, seed: Any) -> None:
    _overload(cli, seed)
    r = json.loads(cli("level", "--method", "heuristic", "P1", "--apply", "--json").stdout)
    assert r["status"] == "applied" and r["changes"]
    assert json.loads(cli("level", "run", "P1", "--json").stdout)["status"] == "preview"  # `run` by name
    runs = json.loads(cli("level", "runs", "P1", "--json").stdout)
    assert [x["status"] for x in runs] == ["preview", "applied"]
    assert "Usage" in cli("level", "--help").stdout and "runs" in cli("level", "--help").stdout
    assert "--apply" in cli("level", "run", "--help").stdout
    assert "field: time_limit" in cli("level", "P1", "--time-limit", "0", code=1).stderr


def test_refusals_stale_preview_and_unknown_run(cli: Any, seed: Any) -> None:
    _overload(cli, seed)
    run = json.loads(cli("level", "P1", "--json").stdout)
    before = _levelled(seed)
    # only who may edit tasks accepts; someone outside the project does not see it
    assert "error" in cli("level", "accept", "P1", str(run["id"]), who="observer", code=1).stderr
    cli("level", "accept", "P1", str(run["id"]), who="stakeholder", code=1)
    assert "not found" in cli("level", "accept", "P1", str(run["id"]), who="outsider", code=1).stderr
    cli("level", "runs", "P1", who="outsider", code=1)
    out = cli("level", "accept", "P1", "999", code=1).stderr
    assert "not found" in out and "field: run_id" in out
    assert "field: run_id" in cli("level", "show", "P1", "999", code=1).stderr
    assert _levelled(seed) == before and _status(seed, run["id"]) == "preview"

    # the plan changed since the preview: refused (409-style), the run listed as stale
    with seed.db.uow() as s:
        b = tasks.get_task(s, seed.actor("pm"), seed.p1, seed.tasks["b"])
        tasks.update_task(s, seed.actor("pm"), seed.p1, b["id"], b["version"], duration="4d")
    out = cli("level", "accept", "P1", str(run["id"]), code=1).stderr
    assert "plan changed" in out and "field: run_id" in out
    assert _levelled(seed) == before and _causes(seed) == []
    rows = json.loads(cli("level", "runs", "P1", "--json").stdout)
    assert [x["status"] for x in rows] == ["stale"]
    assert "stale" in cli("level", "runs", "P1").stdout
    assert "No levelling runs yet" in cli("level", "runs", "P2", who="outsider").stdout


@pytest.mark.any_backend
def test_the_commands_the_docs_name_exist(cli: Any) -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "project-manager.md").read_text(encoding="utf-8")
    seen = set(re.findall(r"charter level ([a-z]+)", text))
    assert seen == {"run", "runs", "show", "accept", "undo"}
    for name in seen:
        assert "Usage" in cli("level", name, "--help").stdout, name
