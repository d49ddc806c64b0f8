"""A short run of the concurrency soak (`charter bench concurrency`): two real `charter serve` processes on one
database (SQLite in the plain run, PostgreSQL when CHARTER_TEST_DATABASE_URL names one), 12 clients PATCHing
the same tasks, budget lines and timesheet entries for a few seconds; every invariant must hold. Then the
checker itself is shown to catch each kind of violation, so a broken invariant cannot pass unnoticed.

Bounded: ~4 s of traffic plus server start-up; the servers are stopped (whole process groups) on every path.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from charter.cli.bench import load


@pytest.fixture(scope="module")
def soak_module() -> ModuleType:
    return load("concurrency")


def test_two_servers_many_clients_no_lost_update_no_gap_no_5xx(
    soak_module: ModuleType, empty_db_url: str, tmp_path: Path
) -> None:
    res = soak_module.soak(empty_db_url, clients=12, seconds=5, servers=2, workdir=tmp_path)
    assert res["ok"], res["problems"]
    assert res["5xx"] == 0
    by_kind = res["by_kind"]
    assert all(by_kind[k]["2xx"] > 0 for k in ("task", "budget_line", "timesheet_entry")), by_kind
    assert sum(c["409"] for c in by_kind.values()) > 0, by_kind  # the records were really contended
    for rec in res["records"].values():
        assert rec["journal_updates"] == rec["final_version"] - 1 == rec["acknowledged"]


def test_the_checker_catches_lost_updates_gaps_bare_409s_and_5xx(
    soak_module: ModuleType, tmp_path: Path
) -> None:
    from charter.persistence.db import Database
    from charter.services import tasks
    from charter.services.context import SYSTEM

    url = f"sqlite:///{tmp_path / 'checker.db'}"
    sd = soak_module.seed(url)
    db = Database(url)
    try:  # two real acknowledged writes on task 0: versions 2 and 3
        with db.uow() as s:
            tasks.update_task(s, SYSTEM, sd.project_id, sd.tasks[0], 1, description="m1")
        with db.uow() as s:
            tasks.update_task(s, SYSTEM, sd.project_id, sd.tasks[0], 2, description="m2")
    finally:
        db.dispose()
    W = soak_module.Write
    t = sd.tasks[0]
    good = [W(0, "task", t, 1, "m1", 200, version=2), W(1, "task", t, 2, "m2", 200, version=3)]
    assert soak_module.verify(url, sd, soak_module.Outcome(writes=list(good)))["ok"]

    def problems(writes: list[Any]) -> list[str]:
        res = soak_module.verify(url, sd, soak_module.Outcome(writes=writes))
        assert not res["ok"]
        return list(res["problems"])

    # a lost update: two writes acknowledged with the same version
    assert any(p.startswith("[lost]") for p in problems([*good, W(2, "task", t, 1, "mX", 200, version=3)]))
    # a gap: version 2 never acknowledged (someone bumped the version without telling a client)
    assert any(p.startswith("[gap]") for p in problems(good[1:]))
    # a 409 without the record's current state
    assert any(p.startswith("[409]") for p in problems([*good, W(3, "task", t, 3, "mY", 409)]))
    # a 409 although the version sent was current
    assert any(
        p.startswith("[409]")
        for p in problems([*good, W(3, "task", t, 3, "mY", 409, version=3, current_id=t)])
    )
    # a server error and a transport error
    assert any(p.startswith("[status]") for p in problems([*good, W(4, "task", t, 3, "mZ", 500)]))
    assert any(p.startswith("[status]") for p in problems([*good, W(4, "task", t, 3, "mZ", 0)]))
    # the acknowledged values differ from what the journal and the final state hold
    swapped = [W(0, "task", t, 1, "m2", 200, version=2), W(1, "task", t, 2, "m1", 200, version=3)]
    found = problems(swapped)
    assert any(p.startswith("[journal]") for p in found) and any(p.startswith("[final]") for p in found)
