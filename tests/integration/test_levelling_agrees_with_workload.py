"""Levelling and the workload agree on which hours overload someone: after a levelling is accepted, the
workload shows no over-allocation of the levelled people on a small random network that levelling can move
whole (working durations, not started, no constraints), except on tasks levelling reports it could not level;
and the over-allocations the preview said remain are the ones the workload shows."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.services import assignments, calendars, levelling, projects, resources, tasks, workload

START = dt.date(2030, 1, 7)  # a Monday
_keys = itertools.count(1)


@st.composite
def networks(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(2, 5))
    people = draw(st.integers(1, 2))
    durations = draw(st.lists(st.sampled_from(["4h", "1d", "1.5d", "2d", "3d"]), min_size=n, max_size=n))
    who = draw(st.lists(st.integers(0, people - 1), min_size=n, max_size=n))
    units = draw(st.lists(st.sampled_from([0.5, 1.0]), min_size=n, max_size=n))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    links = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=n - 1))
    return {"people": people, "tasks": list(zip(durations, who, units, strict=True)), "links": links}


def _level(seed: Any, net: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Build the network in a project and with people of its own (other examples' loads do not count), level
    it, accept it: the run and the workload after."""
    admin = seed.actor("admin")
    k = next(_keys)
    with seed.db.uow() as s:
        p = projects.create_project(s, admin, key=f"LV{k}", name=f"Levelling {k}", start_date=START)["id"]
        rids = [
            resources.create_resource(s, admin, name=f"Person {k}.{i}")["id"] for i in range(net["people"])
        ]
        cals = {name: calendars.create_calendar(s, admin, p, name=name, weekdays=days)["id"]
                for name, days in (("Tue-Sat", [1, 2, 3, 4, 5]),)}  # fmt: skip
        ids = [tasks.create_task(s, admin, p, name=f"T{i}", duration=d, calendar_id=cals.get(net.get("cal", {}).get(i)))
               ["id"] for i, (d, _, _) in enumerate(net["tasks"])]  # fmt: skip
        for a, b in net["links"]:
            tasks.create_link(s, admin, p, pred_id=ids[a], succ_id=ids[b])
        for tid, (_, w, u) in zip(ids, net["tasks"], strict=True):
            assignments.add_assignment(s, admin, p, tid, resource_id=rids[w], units=u)
    with seed.db.uow() as s:
        run = levelling.preview(s, admin, p)
    with seed.db.uow() as s:
        levelling.accept(s, admin, p, run["id"])
    with seed.db.uow(readonly=True) as s:
        wl = workload.workload(s, admin, start=START, end=START + dt.timedelta(days=120), resource_ids=rids)
    return run, wl


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(net=networks())
def test_after_levelling_the_workload_shows_no_over_allocation_levelling_did_not_report(
    seed: Any, net: dict[str, Any]
) -> None:
    run, wl = _level(seed, net)
    shown = [(o["resource_id"], o["day"].isoformat(), o["load_minutes"]) for o in wl["overallocations"]]
    said = [(o["resource_id"], o["day"], o["load_minutes"]) for o in run["remaining_overallocations"]]
    assert shown == said
    unresolved = set(run["not_levelled"])
    for o in wl["overallocations"]:
        assert unresolved & {t["task"] for t in o["tasks"]}, (o, run["changes"], net)


def test_levelling_does_not_move_a_task_into_the_day_a_task_on_its_own_calendar_works(seed: Any) -> None:
    """T0 (4h at 50 %) on a Tuesday-to-Saturday calendar runs Tuesday; T1 (1d at 100 %), the same person's,
    Monday: nobody is over-allocated. Levelling used to plan T0 on Monday, where its calendar does not work,
    and move T1 to Tuesday, onto T0: 10 h of 8 on Tuesday. Now it plans T0 no earlier than the schedule has
    it and moves nothing."""
    run, wl = _level(seed, {"people": 1, "tasks": [("4h", 0, 0.5), ("1d", 0, 1.0)], "links": [],
                            "cal": {0: "Tue-Sat"}})  # fmt: skip
    assert run["moves"] == {} and run["remaining_overallocations"] == []
    assert wl["overallocations"] == []
