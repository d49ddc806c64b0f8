"""Levelling and the workload agree on which hours overload someone: after a levelling is accepted, the
workload shows no over-allocation of the levelled people on a small random network (working durations, not
started, no constraints; some tasks on a Tuesday-to-Saturday calendar of their own, which levelling never
moves), except on tasks levelling reports it could not level or that are on their own calendar (marked so);
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
    own = draw(st.lists(st.sampled_from([False, False, True]), min_size=n, max_size=n))
    return {
        "people": people,
        "tasks": list(zip(durations, who, units, strict=True)),
        "links": links,
        "cal": {i: "Tue-Sat" for i, o in enumerate(own) if o},
    }


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
    own = {f"T{i}" for i in net["cal"]}
    assert not own & {c["name"] for c in run["changes"]}, (run["changes"], net)  # never moved
    unresolved = set(run["not_levelled"])
    for o in wl["overallocations"]:
        assert all(t["own_calendar"] == (t["task"] in own) for t in o["tasks"]), o
        assert (unresolved | own) & {t["task"] for t in o["tasks"]}, (o, run["changes"], net)


def test_levelling_does_not_move_a_task_into_the_day_a_task_on_its_own_calendar_works(seed: Any) -> None:
    """T0 (4h at 50 %) on a Tuesday-to-Saturday calendar runs Tuesday; T1 (1d at 100 %), the same person's,
    Monday: nobody is over-allocated. Levelling used to plan T0 on Monday, where its calendar does not work,
    and move T1 to Tuesday, onto T0: 10 h of 8 on Tuesday. Now it plans T0 no earlier than the schedule has
    it and moves nothing."""
    run, wl = _level(seed, {"people": 1, "tasks": [("4h", 0, 0.5), ("1d", 0, 1.0)], "links": [],
                            "cal": {0: "Tue-Sat"}})  # fmt: skip
    assert run["moves"] == {} and run["remaining_overallocations"] == []
    assert wl["overallocations"] == []


def test_levelling_never_moves_a_task_on_its_own_calendar_and_says_why_what_it_overloads_stays(
    seed: Any, cli: Any
) -> None:
    """T0 (5d) on a Tuesday-to-Saturday calendar runs Tue 8 to Sat 12 January; T1 (2d), the same person's, on the
    project calendar Mon 7 and Tue 8: both full time, 16 h of 8 on Tuesday. Levelling does not know where T0
    would run if delayed, so it never moves it: it moves T1 past it (Mon 14), and the Saturday T0 works, a day
    its Monday-to-Friday person does not, stays over-allocated, marked as on its own calendar on the preview,
    the workload, the run's page and the command line."""
    from charter.persistence.models import Project
    from webhelpers import signed_in

    run, wl = _level(seed, {"people": 1, "tasks": [("5d", 0, 1.0), ("1d", 0, 1.0), ("2d", 0, 1.0)],
                            "links": [(1, 2)], "cal": {0: "Tue-Sat"}})  # fmt: skip
    assert [c["name"] for c in run["changes"]] == ["T2"]
    assert run["changes"][0]["new_start"].startswith("2030-01-14")
    remaining = run["remaining_overallocations"]
    assert [(o["day"], o["load_minutes"], o["capacity_minutes"]) for o in remaining] == [
        ("2030-01-12", 480, 0)
    ]
    assert [(t["task"], t["own_calendar"]) for t in remaining[0]["tasks"]] == [("T0", True)]
    assert [(o["day"].isoformat(), o["load_minutes"]) for o in wl["overallocations"]] == [("2030-01-12", 480)]
    with seed.db.uow(readonly=True) as s:
        key = s.get(Project, run["project_id"]).key
    with signed_in(seed, "admin") as client:
        page = client.get(f"/projects/{run['project_id']}/levelling/{run['id']}").text
    assert (
        "T0 (on its own calendar: levelling does not move it)" in page
        and 'id="own-calendar-remaining"' in page
    )
    out = cli("level", "show", key, str(run["id"]), who="admin").stdout
    assert "Not levelled (on its own calendar: levelling does not move it): T0" in out
