"""Workload, levelling and task types through the API (and services where a check needs them).

The seeded world (tests/conftest.py) starts both projects on Mon 2020-01-06: in P1 the worker does Task A
(3d, Jan 6-8) full time; P2's Task X (1d) starts on Jan 6 too. The PM sees P1 only."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.domain.roles import TASK_WORKER
from charter.persistence.models import Task
from charter.services import assignments, projects, resources, roles, tasks, workload
from charter.services.assignments import TASK_TYPES
from charter.services.context import SYSTEM

WEEK = {"from": "2020-01-06", "to": "2020-01-10"}


def _resource_of(api: Any, as_: Any, seed: Any, user: str) -> dict[str, Any]:
    """The user's person resource (made on first use, as assigning them to a task would)."""
    with seed.db.uow() as s:
        resources.person_resource(s, seed.users[user], SYSTEM)
    rows = api.get("/resources", headers=as_("admin")).json()
    return next(r for r in rows if r["user_id"] == seed.users[user])


def _assign(api: Any, as_: Any, pid: int, tid: int, rid: int, units: float = 1.0, who: str = "admin") -> Any:
    return api.post(
        f"/projects/{pid}/tasks/{tid}/assignments",
        json={"resource_id": rid, "units": units},
        headers=as_(who),
    )


def _over(api: Any, as_: Any, who: str, **params: Any) -> list[dict[str, Any]]:
    r = api.get("/workload", params={**WEEK, **params}, headers=as_(who))
    assert r.status_code == 200, r.text
    out: list[dict[str, Any]] = r.json()["overallocations"]
    return out


def _days(api: Any, as_: Any, rid: int, **params: Any) -> dict[str, dict[str, Any]]:
    r = api.get("/workload", params={**WEEK, "resource_id": rid, **params}, headers=as_("admin"))
    return {d["day"]: d for d in r.json()["resources"][0]["days"]}


# --------------------------------------------------------------------------------------------- workload


def test_overallocation_across_two_projects_names_only_visible_tasks(api, seed, as_) -> None:
    worker = _resource_of(api, as_, seed, "worker")
    assert _over(api, as_, "admin") == []
    assert _assign(api, as_, seed.p2, seed.tasks["p2"], worker["id"]).status_code == 201
    admin_view = _over(api, as_, "admin")
    assert [o["day"] for o in admin_view] == ["2020-01-06"]
    day = admin_view[0]
    assert (
        day["resource_id"] == worker["id"] and day["load_minutes"] == 960 and day["capacity_minutes"] == 480
    )
    assert sorted(t["task"] for t in day["tasks"]) == ["Task A", "Task X"]
    pm_view = _over(api, as_, "pm", project_id=seed.p1)
    assert [o["day"] for o in pm_view] == ["2020-01-06"]
    named = {t["task"]: t for t in pm_view[0]["tasks"]}
    assert named["Task A"]["task_id"] == seed.tasks["a"] and named["Task A"]["project"] == "P1"
    hidden = next(t for t in pm_view[0]["tasks"] if t["task"] != "Task A")
    assert hidden["task_id"] is None and hidden["project_id"] is None and hidden["project"] is None
    assert "Task X" not in str(pm_view) and hidden["minutes"] == 480
    # the PM cannot ask about P2 at all
    assert api.get("/workload", params={**WEEK, "project_id": seed.p2}, headers=as_("pm")).status_code == 404


def test_a_vacation_day_has_no_capacity(api, seed, as_) -> None:
    worker = _resource_of(api, as_, seed, "worker")
    r = api.post(f"/resources/{worker['id']}/exceptions", json={"day": "2020-01-07", "name": "Dentist"},
                 headers=as_("worker"))  # fmt: skip
    assert r.status_code == 201, r.text
    days = _days(api, as_, worker["id"])
    assert days["2020-01-07"]["capacity_minutes"] == 0 and days["2020-01-06"]["capacity_minutes"] == 480
    assert days["2020-01-07"]["load_minutes"] == 480 and days["2020-01-07"]["over"]
    assert [o["day"] for o in _over(api, as_, "admin")] == ["2020-01-07"]


def test_a_part_time_person_has_no_capacity_on_thursday(api, seed, as_) -> None:
    worker = _resource_of(api, as_, seed, "worker")
    r = api.patch(f"/resources/{worker['id']}", json={"version": worker["version"], "weekdays": [0, 1, 2]},
                  headers=as_("worker"))  # fmt: skip
    assert r.status_code == 200, r.text
    days = _days(api, as_, worker["id"])
    assert [days[d]["capacity_minutes"] for d in sorted(days)] == [480, 480, 480, 0, 0]
    week = api.get("/workload", params={**WEEK, "resource_id": worker["id"]}, headers=as_("admin")).json()
    assert week["resources"][0]["weeks"] == [
        {"week": "2020-W02", "load_minutes": 1440, "capacity_minutes": 1440}
    ]


# --------------------------------------------------------------------------------------------- levelling


def _starts(api: Any, as_: Any, pid: int) -> dict[int, str]:
    sched = api.get(f"/projects/{pid}/schedule", headers=as_("admin")).json()
    return {t["id"]: t["start"] for t in sched["tasks"]}


def _finish(api: Any, as_: Any, pid: int) -> str:
    finish: str = api.get(f"/projects/{pid}/schedule", headers=as_("admin")).json()["finish"]
    return finish


def test_preview_accept_undo_of_a_two_task_overload(api, seed, as_) -> None:
    worker = _resource_of(api, as_, seed, "worker")
    p1, a, c = seed.p1, seed.tasks["a"], seed.tasks["c"]
    assert _assign(api, as_, p1, c, worker["id"]).status_code == 201  # C (1d) runs alongside A on Jan 6
    assert [o["day"] for o in _over(api, as_, "pm", project_id=p1)] == ["2020-01-06"]
    before = _starts(api, as_, p1)
    old_finish = _finish(api, as_, p1)
    r = api.post(f"/projects/{p1}/levelling", json={"method": "heuristic"}, headers=as_("pm"))
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["status"] == "preview" and run["remaining_overallocations"] == []
    assert run["old_finish"] == old_finish and _starts(api, as_, p1) == before  # a preview moves nothing
    moved = {ch["task_id"]: ch for ch in run["changes"]}
    assert set(moved) & {a, c} and all(ch["delay_days"] > 0 for ch in moved.values())
    r = api.post(f"/projects/{p1}/levelling/{run['id']}/accept", headers=as_("pm"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "applied"
    assert _over(api, as_, "pm", project_id=p1, to="2020-01-31") == []
    assert _finish(api, as_, p1) == run["new_finish"]
    after = _starts(api, as_, p1)
    for tid, ch in moved.items():
        assert after[tid] == ch["new_start"]
    journal = api.get(f"/projects/{p1}/journal", headers=as_("pm")).json()
    assert any("resource levelling run" in (e.get("cause") or "") for e in journal)
    r = api.post(f"/projects/{p1}/levelling/{run['id']}/undo", headers=as_("pm"))
    assert r.status_code == 200 and r.json()["status"] == "undone"
    assert _starts(api, as_, p1) == before and _finish(api, as_, p1) == old_finish
    assert api.post(f"/projects/{p1}/levelling/{run['id']}/undo", headers=as_("pm")).status_code == 409
    runs = api.get(f"/projects/{p1}/levelling", headers=as_("stakeholder")).json()
    assert [x["status"] for x in runs] == ["undone"]


def test_accepting_after_the_plan_changed_is_409(api, seed, as_) -> None:
    worker = _resource_of(api, as_, seed, "worker")
    p1 = seed.p1
    _assign(api, as_, p1, seed.tasks["c"], worker["id"])
    run = api.post(f"/projects/{p1}/levelling", json={}, headers=as_("pm")).json()
    b = api.get(f"/projects/{p1}/tasks/{seed.tasks['b']}", headers=as_("pm")).json()
    r = api.patch(f"/projects/{p1}/tasks/{b['id']}", json={"version": b["version"], "duration": "4d"},
                  headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200, r.text
    r = api.post(f"/projects/{p1}/levelling/{run['id']}/accept", headers=as_("pm"))
    assert r.status_code == 409 and "plan changed" in r.json()["error"]["message"]
    runs = api.get(f"/projects/{p1}/levelling", headers=as_("pm")).json()
    assert [x["status"] for x in runs if x["id"] == run["id"]] == ["stale"]
    assert (
        api.post(f"/projects/{p1}/levelling/{run['id']}/accept", headers=as_("stakeholder")).status_code
        == 403
    )


@pytest.fixture
def busy(seed) -> dict[str, Any]:
    """A project of its own: two people over eight tasks with FS links, an SS link and an SNET constraint,
    everything starting on Mon 2020-01-06 unless linked."""
    admin = seed.actor("admin")
    with seed.db.uow() as s:
        pid = projects.create_project(s, admin, key="LVL", name="Levelled", manager_id=seed.users["pm"],
                                      start_date=dt.date(2020, 1, 6))["id"]  # fmt: skip
        worker_role = next(r["id"] for r in roles.list_roles(s, admin, pid) if r["key"] == TASK_WORKER)
        people = [seed.users["worker"], seed.users["task_leader"]]
        for uid in people:
            roles.assign_role(s, admin, pid, role_id=worker_role, user_id=uid)
        rid = [resources.person_resource(s, uid, SYSTEM).id for uid in people]
        spec = [("T1", "3d", [0]), ("T2", "2d", [0]), ("T3", "4d", [1]), ("T4", "2d", [1]), ("T5", "1d", [0, 1]),
                ("T6", "3d", [0]), ("T7", "2d", [1]), ("T8", "2d", [0])]  # fmt: skip
        t: dict[str, int] = {}
        for name, dur, who in spec:
            t[name] = tasks.create_task(s, admin, pid, name=name, duration=dur)["id"]
            tasks.set_assignees(s, admin, pid, t[name], [people[i] for i in who])
        for a, b, ty in (("T1", "T5", "FS"), ("T3", "T5", "FS"), ("T5", "T6", "FS"), ("T2", "T7", "SS")):
            tasks.create_link(s, admin, pid, pred_id=t[a], succ_id=t[b], type=ty)
        t8 = tasks.get_task(s, admin, pid, t["T8"])
        tasks.update_task(s, admin, pid, t["T8"], t8["version"], constraint_type="snet",
                          constraint_date=dt.datetime(2020, 1, 8, 9, 0))  # fmt: skip
    return {"project": pid, "tasks": t, "resources": rid}


def _check_levelled(seed: Any, pid: int) -> None:
    """Independent of the leveller: every link holds, the SNET holds, nobody is over-allocated."""
    admin = seed.actor("admin")
    from charter.services import scheduling

    with seed.db.uow(readonly=True) as s:
        sched = scheduling.get_schedule(s, admin, pid)
        by = {t["id"]: t for t in sched["tasks"]}
        for lk in sched["links"]:
            pred, succ = by[lk["pred_id"]], by[lk["succ_id"]]
            if lk["type"] == "FS":
                assert pred["finish"] <= succ["start"], (pred["name"], succ["name"])
            elif lk["type"] == "SS":
                assert pred["start"] <= succ["start"], (pred["name"], succ["name"])
        snet = next(t for t in sched["tasks"] if t["name"] == "T8")
        assert snet["start"] >= dt.datetime(2020, 1, 8, 9, 0) and snet["violation"] is None
        assert not sched["violations"]
        last = sched["finish"].date()
        wl = workload.workload(s, admin, start=dt.date(2020, 1, 6), end=last, project_id=pid)
        assert wl["overallocations"] == []
        for p in wl["resources"]:
            assert all(d["load_minutes"] <= d["capacity_minutes"] + 1 for d in p["days"])


def test_levelling_keeps_links_constraints_and_capacity(api, seed, as_, busy) -> None:
    pid = busy["project"]
    assert _over(api, as_, "admin", project_id=pid, to="2020-01-31")  # over-allocated before
    before = _starts(api, as_, pid)
    finishes = {}
    for method in ("heuristic", "optimal"):
        body = {"method": method, "time_limit": 10}
        run = api.post(f"/projects/{pid}/levelling", json=body, headers=as_("pm")).json()
        assert run["remaining_overallocations"] == [], run
        r = api.post(f"/projects/{pid}/levelling/{run['id']}/accept", headers=as_("pm"))
        assert r.status_code == 200, r.text
        assert _finish(api, as_, pid) == run["new_finish"]
        _check_levelled(seed, pid)
        finishes[method] = (run["makespan_days"], run["new_finish"], run["lower_bound_days"])
        assert api.post(f"/projects/{pid}/levelling/{run['id']}/undo", headers=as_("pm")).status_code == 200
        assert _starts(api, as_, pid) == before
    (h_span, h_finish, _), (o_span, o_finish, bound) = finishes["heuristic"], finishes["optimal"]
    assert o_span <= h_span and o_finish <= h_finish
    assert bound is not None and bound <= o_span


# --------------------------------------------------------------------------------------------- task types


def _task(api: Any, as_: Any, pid: int, name: str, duration: str, task_type: str) -> dict[str, Any]:
    r = api.post(f"/projects/{pid}/tasks",
                 json={"name": name, "duration": duration, "task_type": task_type, "effort_driven": True},
                 headers=as_("pm"))  # fmt: skip
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def _get(api: Any, as_: Any, pid: int, tid: int) -> dict[str, Any]:
    out: dict[str, Any] = api.get(f"/projects/{pid}/tasks/{tid}", headers=as_("pm")).json()
    return out


def test_effort_driven_fixed_units_second_resource_halves_duration(api, seed, as_) -> None:
    p1 = seed.p1
    r1, r2 = (_resource_of(api, as_, seed, u)["id"] for u in ("worker", "task_leader"))
    t = _task(api, as_, p1, "Paint", "4d", "fixed_units")
    assert _assign(api, as_, p1, t["id"], r1, who="pm").status_code == 201
    assert _get(api, as_, p1, t["id"])["duration_days"] == 4
    r = _assign(api, as_, p1, t["id"], r2, who="pm")
    assert r.status_code == 201, r.text
    after = _get(api, as_, p1, t["id"])
    assert after["duration_days"] == 2 and after["work_minutes"] == 4 * 480


def test_fixed_duration_units_change_work_not_duration(api, seed, as_) -> None:
    p1 = seed.p1
    rid = _resource_of(api, as_, seed, "worker")["id"]
    t = _task(api, as_, p1, "Review", "4d", "fixed_duration")
    rows = _assign(api, as_, p1, t["id"], rid, who="pm").json()
    assert rows[0]["work_minutes"] == 4 * 480
    r = api.patch(f"/projects/{p1}/tasks/{t['id']}/assignments/{rows[0]['assignment_id']}",
                  json={"version": rows[0]["version"], "units": 0.5}, headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()[0]["work_minutes"] == 2 * 480
    after = _get(api, as_, p1, t["id"])
    assert after["duration_days"] == 4 and after["work_minutes"] == 2 * 480


def test_fixed_work_doubled_units_halve_duration(api, seed, as_) -> None:
    p1 = seed.p1
    rid = _resource_of(api, as_, seed, "worker")["id"]
    t = _task(api, as_, p1, "Migrate", "4d", "fixed_work")
    rows = _assign(api, as_, p1, t["id"], rid, who="pm").json()
    r = api.patch(f"/projects/{p1}/tasks/{t['id']}/assignments/{rows[0]['assignment_id']}",
                  json={"version": rows[0]["version"], "units": 2.0}, headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200, r.text
    after = _get(api, as_, p1, t["id"])
    assert after["duration_days"] == 2 and r.json()[0]["work_minutes"] == 4 * 480


@pytest.mark.parametrize("task_type", ["fixed_units", "fixed_work"])
def test_the_tasks_work_follows_its_assignments_work(api, seed, as_, task_type) -> None:
    """Task Work = the sum of its assignments' work (MS Project's): changing an assignment's work (or, on a
    fixed-work task, its units) moved the duration but left the task's work at its former total."""
    p1 = seed.p1
    r1, r2 = (_resource_of(api, as_, seed, u)["id"] for u in ("worker", "task_leader"))
    t = _task(api, as_, p1, f"Build {task_type}", "4d", task_type)
    _assign(api, as_, p1, t["id"], r1, who="pm")
    rows = _assign(api, as_, p1, t["id"], r2, units=0.5, who="pm").json()
    before = _get(api, as_, p1, t["id"])
    assert before["work_minutes"] == sum(a["work_minutes"] for a in rows)
    journal = api.get(
        f"/projects/{p1}/journal",
        headers=as_("pm"),
        params={"entity_type": "task", "entity_id": str(t["id"])},
    ).json()
    mine = next(a for a in rows if a["resource_id"] == r1)
    r = api.patch(f"/projects/{p1}/tasks/{t['id']}/assignments/{mine['assignment_id']}",
                  json={"version": mine["version"], "work": "40h"}, headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200, r.text
    after = _get(api, as_, p1, t["id"])
    assert (
        after["work_minutes"] == sum(a["work_minutes"] for a in r.json()) == 40 * 60 + rows[1]["work_minutes"]
    )
    assert after["version"] == before["version"] + 1
    entries = api.get(
        f"/projects/{p1}/journal",
        headers=as_("pm"),
        params={"entity_type": "task", "entity_id": str(t["id"])},
    ).json()
    assert len(entries) == len(journal) + 1
    if task_type == "fixed_work":  # units moved: the duration follows, the work stays the assignments' sum
        rows = r.json()
        r = api.patch(f"/projects/{p1}/tasks/{t['id']}/assignments/{rows[1]['assignment_id']}",
                      json={"version": rows[1]["version"], "units": 1.0}, headers=as_("pm"))  # fmt: skip
        assert r.status_code == 200, r.text
        assert _get(api, as_, p1, t["id"])["work_minutes"] == sum(a["work_minutes"] for a in r.json())


def _task_journal(api: Any, as_: Any, pid: int, tid: int) -> list[dict[str, Any]]:
    r = api.get(f"/projects/{pid}/journal", headers=as_("pm"),
                params={"entity_type": "task", "entity_id": str(tid)})  # fmt: skip
    assert r.status_code == 200, r.text
    out: list[dict[str, Any]] = r.json()
    return out


@pytest.mark.parametrize("task_type", ["fixed_units", "fixed_work"])
def test_taking_a_resource_off_an_effort_driven_task_lengthens_it_journalled(
    api, seed, as_, task_type
) -> None:
    """As adding a resource shortens an effort-driven task, taking one off lengthens it: the work stays and
    the remaining units do it (MS Project). It had kept the shortened duration with the work of the one left
    (the task's work dropped unjournalled)."""
    p1 = seed.p1
    r1, r2 = (_resource_of(api, as_, seed, u)["id"] for u in ("worker", "task_leader"))
    t = _task(api, as_, p1, f"Paint {task_type}", "4d", task_type)
    _assign(api, as_, p1, t["id"], r1, who="pm")
    rows = _assign(api, as_, p1, t["id"], r2, who="pm").json()
    before = _get(api, as_, p1, t["id"])
    assert before["duration_days"] == 2 and before["work_minutes"] == 4 * 480
    seen = _task_journal(api, as_, p1, t["id"])
    theirs = next(a for a in rows if a["resource_id"] == r2)
    r = api.delete(f"/projects/{p1}/tasks/{t['id']}/assignments/{theirs['assignment_id']}",
                   params={"version": theirs["version"]}, headers=as_("pm"))  # fmt: skip
    assert r.status_code == 204, r.text
    after = _get(api, as_, p1, t["id"])
    assert after["duration_days"] == 4 and after["work_minutes"] == 4 * 480
    assert after["version"] == before["version"] + 1
    left = api.get(f"/projects/{p1}/tasks/{t['id']}/assignments", headers=as_("pm")).json()
    assert [(a["resource_id"], a["work_minutes"]) for a in left] == [(r1, 4 * 480)]
    entries = _task_journal(api, as_, p1, t["id"])
    assert len(entries) == len(seen) + 1
    entry = entries[0]
    assert entry["actor"] == "pm" and entry["action"] == "update"
    assert entry["changes"]["duration"] == [2 * 480, 4 * 480] and "Task Leader taken off" in entry["cause"]


@pytest.mark.parametrize("task_type", ["fixed_units", "fixed_duration"])
def test_taking_a_resource_off_a_task_not_effort_driven_takes_its_work(api, seed, as_, task_type) -> None:
    """Not effort-driven (or fixed duration): the duration stays and the task's work drops by the removed
    assignment's, journalled with the task's version moved once."""
    p1 = seed.p1
    r1, r2 = (_resource_of(api, as_, seed, u)["id"] for u in ("worker", "task_leader"))
    t = _task(api, as_, p1, f"Watch {task_type}", "4d", task_type)
    r = api.patch(f"/projects/{p1}/tasks/{t['id']}", json={"version": t["version"], "effort_driven": False},
                  headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200, r.text
    _assign(api, as_, p1, t["id"], r1, who="pm")
    rows = _assign(api, as_, p1, t["id"], r2, units=0.5, who="pm").json()
    before = _get(api, as_, p1, t["id"])
    assert before["duration_days"] == 4 and before["work_minutes"] == 6 * 480
    theirs = next(a for a in rows if a["resource_id"] == r2)
    r = api.delete(f"/projects/{p1}/tasks/{t['id']}/assignments/{theirs['assignment_id']}",
                   params={"version": theirs["version"]}, headers=as_("pm"))  # fmt: skip
    assert r.status_code == 204, r.text
    after = _get(api, as_, p1, t["id"])
    assert after["duration_days"] == 4 and after["work_minutes"] == 4 * 480
    assert after["version"] == before["version"] + 1
    entry = _task_journal(api, as_, p1, t["id"])[0]
    assert entry["changes"]["work"] == [6 * 480, 4 * 480] and "taken off" in entry["cause"]


def test_a_stale_delete_of_an_assignment_is_refused_with_the_assignment_as_it_is(api, seed, as_) -> None:
    """DELETE …/assignments/{id} takes the version read, as every other versioned DELETE: one sent with a
    version the assignment has moved past is a 409 with the assignment as it is now, and nothing is removed
    (it took no version and removed whatever the assignment had become)."""
    p1, a = seed.p1, seed.tasks["a"]
    url = f"/projects/{p1}/tasks/{a}/assignments"
    [read] = api.get(url, headers=as_("pm")).json()
    r = api.patch(f"{url}/{read['assignment_id']}", json={"version": read["version"], "units": 0.5},
                  headers=as_("task_leader"))  # fmt: skip
    assert r.status_code == 200, r.text
    task_before = _get(api, as_, p1, a)
    r = api.delete(f"{url}/{read['assignment_id']}", params={"version": read["version"]}, headers=as_("pm"))
    assert r.status_code == 409, r.text
    err = r.json()["error"]
    assert err["field"] == "version"
    [now] = api.get(url, headers=as_("pm")).json()
    assert now["units"] == 0.5 and now["version"] == read["version"] + 1
    assert {k: err["current"][k] for k in now} == now
    assert _get(api, as_, p1, a) == task_before
    r = api.delete(f"{url}/{read['assignment_id']}", headers=as_("pm"))  # no version: refused, named
    assert r.status_code == 422 and r.json()["error"]["field"] == "version", r.text
    assert api.get(url, headers=as_("pm")).json() == [now]
    r = api.delete(f"{url}/{now['assignment_id']}", params={"version": now["version"]}, headers=as_("pm"))
    assert r.status_code == 204, r.text
    assert api.get(url, headers=as_("pm")).json() == []


_round_trips = itertools.count(1)
_percent = st.integers(1, 200).map(lambda n: n * 5 / 100)  # 5 % to 1000 %, in steps of 5 %


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    task_type=st.sampled_from(TASK_TYPES),
    effort_driven=st.booleans(),
    hours=st.integers(1, 400),
    units=st.lists(_percent, min_size=1, max_size=3),
    added=_percent,
)
def test_adding_then_taking_off_a_resource_leaves_the_task_as_it_was(
    seed: Any, task_type: str, effort_driven: bool, hours: int, units: list[float], added: float
) -> None:
    """Whatever the task type and effort-driven flag: a resource added to a task and taken off again leaves
    its duration, its work and the other assignments' work and units as they were (a duration in whole hours
    and units in steps of 5 %, so that the work of every assignment is a whole number of minutes)."""
    admin = seed.actor("admin")
    k = next(_round_trips)
    with seed.db.uow() as s:
        rids = [
            resources.create_resource(s, admin, name=f"Trip {k}.{i}")["id"] for i in range(len(units) + 1)
        ]
        tid = tasks.create_task(s, admin, seed.p1, name=f"Trip {k}", duration=f"{hours}h", task_type=task_type,
                                effort_driven=effort_driven)["id"]  # fmt: skip
        for rid, u in zip(rids, units, strict=False):
            assignments.add_assignment(s, admin, seed.p1, tid, resource_id=rid, units=u)

    def state() -> tuple[Any, ...]:
        with seed.db.uow(readonly=True) as s:
            t = s.get(Task, tid)
            assert t is not None
            rows = assignments.list_assignments(s, admin, seed.p1, tid)
            return t.duration, t.work, [(a["resource_id"], a["units"], a["work_minutes"]) for a in rows]

    was = state()
    with seed.db.uow() as s:
        on = assignments.add_assignment(s, admin, seed.p1, tid, resource_id=rids[-1], units=added)
    added_row = next(a for a in on if a["resource_id"] == rids[-1])
    with seed.db.uow() as s:
        assignments.remove_assignment(
            s, admin, seed.p1, tid, added_row["assignment_id"], added_row["version"]
        )
    assert state() == was


def test_bad_assignments(api, seed, as_) -> None:
    p1, a = seed.p1, seed.tasks["a"]
    rid = _resource_of(api, as_, seed, "task_leader")["id"]
    r = _assign(api, as_, p1, a, rid, units=-1, who="pm")
    assert r.status_code == 422 and r.json()["error"]["field"] == "units"
    r = _assign(api, as_, p1, a, 99999, who="pm")
    assert r.status_code == 404 and r.json()["error"]["field"] == "resource_id"
    with seed.db.uow() as s:  # the service says the same without the schema in front of it
        from charter.domain.errors import ValidationError
        from charter.services import assignments

        with pytest.raises(ValidationError) as exc:
            assignments.add_assignment(s, SYSTEM, p1, a, resource_id=rid, units=-0.5)
        assert exc.value.field == "units"


def test_undoing_an_earlier_levelling_after_a_later_one_is_409(api, seed, as_) -> None:
    """Two levellings accepted one after the other, the second moving a task the first had moved: undoing the
    first restored that task's date from before the first over the second's, and undoing the second then
    brought the first's back, so the plan kept a levelling both of whose runs said "undone". The runs are
    undone last first; undoing the earlier one is refused, naming the later."""
    worker = _resource_of(api, as_, seed, "worker")
    p1, a, c = seed.p1, seed.tasks["a"], seed.tasks["c"]
    _assign(api, as_, p1, c, worker["id"])  # C (1d) alongside A (3d) on Jan 6
    c_start = _starts(api, as_, p1)[c]
    first = api.post(f"/projects/{p1}/levelling", json={}, headers=as_("pm")).json()
    assert list(first["moves"]) == [str(c)]  # C after A: Jan 9
    assert api.post(f"/projects/{p1}/levelling/{first['id']}/accept", headers=as_("pm")).status_code == 200
    task_a = api.get(f"/projects/{p1}/tasks/{a}", headers=as_("pm")).json()
    r = api.patch(f"/projects/{p1}/tasks/{a}", json={"version": task_a["version"], "duration": "4d"},
                  headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200, r.text  # A now runs into Jan 9: C is moved again
    second = api.post(f"/projects/{p1}/levelling", json={}, headers=as_("pm")).json()
    assert list(second["moves"]) == [str(c)]
    assert api.post(f"/projects/{p1}/levelling/{second['id']}/accept", headers=as_("pm")).status_code == 200
    r = api.post(f"/projects/{p1}/levelling/{first['id']}/undo", headers=as_("pm"))
    assert r.status_code == 409, r.text
    assert f"run {second['id']}" in r.json()["error"]["message"]
    for run in (second, first):
        r = api.post(f"/projects/{p1}/levelling/{run['id']}/undo", headers=as_("pm"))
        assert r.status_code == 200, r.text
    assert _starts(api, as_, p1)[c] == c_start
