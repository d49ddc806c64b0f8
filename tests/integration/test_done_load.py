"""One definition of a finished task (domain.schedule.is_done: 100 % complete or an actual finish, as the
scheduler reads progress) for the workload and levelling: a task the schedule holds at its actual finish loads
nobody on either, so levelling does not report as left an over-allocation the done task makes on the workload.

The seeded world starts P1 on Mon 2020-01-06 (Mon-Fri, 09-13 + 14-18): the worker does Task A (3d, Jan 6-8)
full time; Task C (1d) starts on Jan 6 too."""

from __future__ import annotations

from typing import Any

from tests.integration.test_team_api import _resource_of

from charter.domain.schedule import is_done, loads_resources
from charter.services import levelling

WEEK = {"from": "2020-01-06", "to": "2020-01-12"}


def test_done_means_complete_or_finished_and_a_cancelled_task_loads_nobody() -> None:
    import datetime as dt

    assert is_done(100, None) and is_done(40, dt.datetime(2020, 1, 6, 18)) and not is_done(99.9, None)
    assert loads_resources("in_progress", 40, None)
    assert not loads_resources("in_progress", 40, dt.datetime(2020, 1, 6, 18))
    assert not loads_resources("cancelled", 0, None)


def test_a_task_with_an_actual_finish_under_100_percent_loads_nobody(api: Any, seed: Any, as_: Any) -> None:
    """A finished on Monday (actual start and finish) though recorded at 40 %: the schedule holds it at its
    actuals, done. C, with the worker on it on Monday too, overloads nobody: not on the workload, not in
    what levelling leaves, and levelling moves nothing."""
    h, p, a, c = as_("admin"), seed.p1, seed.tasks["a"], seed.tasks["c"]
    worker = _resource_of(api, as_, seed, "worker")
    r = api.post(f"/projects/{p}/tasks/{c}/assignments", json={"resource_id": worker["id"]}, headers=h)
    assert r.status_code == 201, r.text
    v = api.get(f"/projects/{p}/tasks/{a}", headers=h).json()["version"]
    r = api.patch(f"/projects/{p}/tasks/{a}", json={
        "version": v, "actual_start": "2020-01-06T09:00:00", "actual_finish": "2020-01-06T18:00:00",
        "percent_complete": 40, "status": "in_progress"}, headers=h)  # fmt: skip
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["percent_complete"] == 40 and got["actual_finish"] == "2020-01-06T18:00:00"
    r = api.get("/workload", params={**WEEK, "resource_id": worker["id"]}, headers=as_("pm"))
    assert r.status_code == 200, r.text
    assert r.json()["overallocations"] == []
    assert r.json()["resources"][0]["days"][0]["load_minutes"] == 480  # C only
    with seed.db.uow() as s:
        run = levelling.preview(s, seed.actor("pm"), p)
    assert run["moves"] == {} and run["remaining_overallocations"] == []


def test_levelling_does_not_level_around_a_cancelled_task(api: Any, seed: Any, as_: Any) -> None:
    """C cancelled with the worker still on it: the workload does not count it, and levelling no more moves A
    or C for it than the workload shows an over-allocation."""
    h, p, c = as_("admin"), seed.p1, seed.tasks["c"]
    worker = _resource_of(api, as_, seed, "worker")
    r = api.post(f"/projects/{p}/tasks/{c}/assignments", json={"resource_id": worker["id"]}, headers=h)
    assert r.status_code == 201, r.text
    v = api.get(f"/projects/{p}/tasks/{c}", headers=h).json()["version"]
    r = api.patch(f"/projects/{p}/tasks/{c}", json={"version": v, "status": "cancelled"}, headers=h)
    assert r.status_code == 200, r.text
    r = api.get("/workload", params={**WEEK, "resource_id": worker["id"]}, headers=as_("pm"))
    assert r.json()["overallocations"] == []
    with seed.db.uow() as s:
        run = levelling.preview(s, seed.actor("pm"), p)
    assert run["moves"] == {} and run["remaining_overallocations"] == []
