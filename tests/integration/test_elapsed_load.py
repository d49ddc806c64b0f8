"""What an elapsed (24x7) task's work does outside the schedule: the workload and its histograms, levelling's
remaining over-allocations, planned hours on the Time page, the conflict detectors.

The seeded world starts P1 on Mon 2020-01-06 (Mon-Fri, 09-13 + 14-18): the worker does Task A (3d, Jan 6-8)
full time; Task C (1d, WP-A) starts on Jan 6 too. Here Task C becomes elapsed: run round the clock from Monday
09:00, its work is its wall-clock duration times the units (as in MS Project)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.integration.test_team_api import _resource_of

from charter.services import conflict_detect, conflicts, levelling, tasks

WEEK = {"from": "2020-01-06", "to": "2020-01-12"}  # Monday to Sunday


def _make_c_elapsed(api: Any, as_: Any, seed: Any, duration: str, units: float) -> dict[str, Any]:
    """Task C as `duration` with the worker on it at `units`; returns the worker's resource."""
    h, p, c = as_("admin"), seed.p1, seed.tasks["c"]
    v = api.get(f"/projects/{p}/tasks/{c}", headers=h).json()["version"]
    r = api.patch(f"/projects/{p}/tasks/{c}", json={"version": v, "duration": duration}, headers=h)
    assert r.status_code == 200, r.text
    worker = _resource_of(api, as_, seed, "worker")
    r = api.post(f"/projects/{p}/tasks/{c}/assignments", json={"resource_id": worker["id"], "units": units},
                 headers=h)  # fmt: skip
    assert r.status_code == 201, r.text
    return worker


def test_an_elapsed_task_loads_its_people_round_the_clock(api: Any, seed: Any, as_: Any) -> None:
    """C as 6ed (Mon 09:00 -> Sun 09:00) at 25 %: 6 h of its 36 h of work on each whole day, the weekend too."""
    worker = _make_c_elapsed(api, as_, seed, "6ed", 0.25)
    work = next(a["work_minutes"] for a in api.get(f"/projects/{seed.p1}/tasks/{seed.tasks['c']}/assignments",
                                                     headers=as_("admin")).json())  # fmt: skip
    assert work == 6 * 1440 // 4
    r = api.get("/workload", params={**WEEK, "resource_id": worker["id"]}, headers=as_("pm"))
    assert r.status_code == 200, r.text
    data = r.json()
    days = {d["day"]: d for d in data["resources"][0]["days"]}
    a = 480  # Task A, Monday to Wednesday
    # Monday from 09:00, Sunday until 09:00
    assert [days[d]["load_minutes"] for d in sorted(days)] == [a + 225, a + 360, a + 360, 360, 360, 360, 135]
    over = {o["day"]: o for o in data["overallocations"]}
    assert sorted(over) == ["2020-01-06", "2020-01-07", "2020-01-08", "2020-01-11", "2020-01-12"]
    c = [t for o in over.values() for t in o["tasks"] if t["task"] == "Task C"]
    assert len(c) == 5 and all(t["elapsed"] and t["units"] == 0.25 for t in c)
    assert not next(t for t in over["2020-01-06"]["tasks"] if t["task"] == "Task A")["elapsed"]
    # the days' loads of C add up to its work
    c_load = sum(d["load_minutes"] for d in days.values()) - 3 * a
    assert c_load == work


def test_cli_workload_and_levelling_mark_the_elapsed_task(api: Any, seed: Any, as_: Any, cli: Any) -> None:
    _make_c_elapsed(api, as_, seed, "1ed", 1.0)
    out = cli("workload", "--person", "worker", "--from", "2020-01-06", "--to", "2020-01-12", who="pm").stdout
    assert "over-allocated on 2020-01-06: 23.0h of 8.0h" in out and "Task C (elapsed)" in out
    out = cli("level", "P1", who="pm").stdout
    assert "Over-allocations left: 2" in out and "Not levelled (elapsed, round the clock): Task C" in out
    out = cli("level", "show", "P1", "1", who="pm").stdout
    assert "Over-allocations left: 2" in out and "Not levelled (elapsed, round the clock): Task C" in out


def test_the_workload_page_says_levelling_cannot_remove_an_elapsed_over_allocation(
    api: Any, seed: Any, as_: Any
) -> None:
    from webhelpers import signed_in

    _make_c_elapsed(api, as_, seed, "1ed", 1.0)
    with signed_in(seed, "pm") as client:
        r = client.get(f"/projects/{seed.p1}/workload", params={"from": "2020-01-06", "to": "2020-01-12"})
    assert r.status_code == 200, r.text
    assert "(elapsed: round the clock)" in r.text and 'id="elapsed-over"' in r.text
    assert "15.0 h" in r.text  # C's Monday: 09:00 to midnight


def test_levelling_goes_around_an_elapsed_task_and_leaves_its_own_over_allocation_shown(
    api: Any, seed: Any, as_: Any
) -> None:
    """C as 1ed at 100 % (Mon 09:00 -> Tue 09:00): 15 h of it on Monday, 9 h on Tuesday. Levelling never moves
    it; it moves Task A past both days (on Tuesday A would add to C's 9 h), and what C alone overloads stays in
    the preview's remaining over-allocations, as the workload shows it."""
    _make_c_elapsed(api, as_, seed, "1ed", 1.0)
    pm, c, a = seed.actor("pm"), seed.tasks["c"], seed.tasks["a"]
    with seed.db.uow() as s:
        run = levelling.preview(s, pm, seed.p1)
    assert str(c) not in run["moves"]
    assert run["moves"][str(a)] == "2020-01-08T09:00:00"
    remaining = run["remaining_overallocations"]
    assert [(o["day"], o["load_minutes"]) for o in remaining] == [("2020-01-06", 900), ("2020-01-07", 540)]
    assert all([t["task"] for t in o["tasks"]] == ["Task C"] and o["tasks"][0]["elapsed"] for o in remaining)
    with seed.db.uow() as s:
        levelling.accept(s, pm, seed.p1, run["id"])
    r = api.get("/workload", params=WEEK, headers=as_("pm"))
    assert [(o["day"], o["load_minutes"]) for o in r.json()["overallocations"]] == [
        ("2020-01-06", 900),
        ("2020-01-07", 540),
    ]
    with seed.db.uow(readonly=True) as s:
        assert tasks.get_task(s, pm, seed.p1, a)["start"].isoformat() == "2020-01-08T09:00:00"
    # the run's page and the command line say why what remains cannot be levelled
    from webhelpers import signed_in

    with signed_in(seed, "pm") as client:
        page = client.get(f"/projects/{seed.p1}/levelling/{run['id']}").text
    assert "Task C (elapsed)" in page and 'id="elapsed-remaining"' in page


def test_planned_hours_of_an_elapsed_task_without_work_count_its_days_as_working_days(
    api: Any, seed: Any, as_: Any
) -> None:
    """Task C as 2ed with nobody on it: its planned work is two working days (16 h), as EVM weighs it, not the
    48 wall-clock hours; with the worker on it at 100 % it is the assignment's work (48 h, as in MS Project)."""
    h, p, c = as_("admin"), seed.p1, seed.tasks["c"]
    v = api.get(f"/projects/{p}/tasks/{c}", headers=h).json()["version"]
    assert (
        api.patch(f"/projects/{p}/tasks/{c}", json={"version": v, "duration": "2ed"}, headers=h).status_code
        == 200
    )

    def planned() -> int:
        r = api.get(f"/projects/{p}/actuals", headers=as_("pm"))
        assert r.status_code == 200, r.text
        return int(next(t["planned_minutes"] for t in r.json()["tasks"] if t["task_id"] == c))

    assert planned() == 2 * 480
    worker = _resource_of(api, as_, seed, "worker")
    r = api.post(
        f"/projects/{p}/tasks/{c}/assignments", json={"resource_id": worker["id"], "units": 1.0}, headers=h
    )
    assert r.status_code == 201, r.text
    assert planned() == 2 * 1440


def test_the_detectors_see_an_elapsed_task_s_load_and_give_its_float_in_elapsed_days(
    api: Any, seed: Any, as_: Any, frozen_clock: Any
) -> None:
    """C as 1ed at 100 % (Mon 09:00 -> Tue 09:00) then Task B, due Wednesday 17:00: the worker is over-allocated
    on Monday and Tuesday; B's deadline leaves C 16 wall-clock hours short (B must start Monday 17:00)."""
    frozen_clock.set(datetime(2020, 1, 6, 9, 0, tzinfo=UTC))
    _make_c_elapsed(api, as_, seed, "1ed", 1.0)
    h, p = as_("admin"), seed.p1
    r = api.post(
        f"/projects/{p}/links", json={"pred_id": seed.tasks["c"], "succ_id": seed.tasks["b"]}, headers=h
    )
    assert r.status_code == 201, r.text
    v = api.get(f"/projects/{p}/tasks/{seed.tasks['b']}", headers=h).json()["version"]
    r = api.patch(f"/projects/{p}/tasks/{seed.tasks['b']}", json={"version": v, "deadline": "2020-01-08T17:00:00"},
                  headers=h)  # fmt: skip
    assert r.status_code == 200, r.text
    with seed.db.uow() as s:
        conflict_detect.detect(s, seed.actor("admin"), p)
    with seed.db.uow(readonly=True) as s:
        found = conflicts.list_conflicts(s, seed.actor("admin"), p, source="detected")
    (over,) = [c for c in found if c["kind"] == "resource"]
    assert [d["day"] for d in over["details"]["days"]] == ["2020-01-06", "2020-01-07"]
    assert {t["task"]: t["minutes"] for t in over["details"]["tasks"]} == {"Task A": 960, "Task C": 1440}
    c = next(x for x in found if x["kind"] == "schedule" and x["details"]["task_id"] == seed.tasks["c"])
    assert c["details"]["total_float_minutes"] == -960
    assert "negative float (-0.67 elapsed days)" in c["description"], c["description"]


def test_a_person_on_an_elapsed_task_is_costed_for_its_work(api: Any, seed: Any, as_: Any) -> None:
    """C as 2ed with the worker at 50 %: 24 h of work at 100 USD an hour is its planned labour (hours = work)."""
    import datetime as dt

    from charter.services import evm, resources

    worker = _make_c_elapsed(api, as_, seed, "2ed", 0.5)
    with seed.db.uow() as s:
        resources.add_rate(s, seed.actor("admin"), worker["id"], valid_from=dt.date(2020, 1, 1), standard="100",
                           currency="USD")  # fmt: skip
    with seed.db.uow(readonly=True) as s:
        plan = evm.plan(s, seed.actor("pm"), seed.p1)
    c = next(t for t in plan["tasks"] if t["task_id"] == seed.tasks["c"])
    assert str(c["planned_labour"]) == "2400.00"
