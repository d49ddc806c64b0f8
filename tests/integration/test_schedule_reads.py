"""The schedule's reads come from the stored rows: the task list (filtered, sorted and paged in the database),
the Gantt data and the project dashboard never run the engine, answer with a fixed number of statements
however many work packages there are, and show every write at once. A task edit that changes none of the
engine's inputs (name, description, priority, status...) does not reschedule; one that does reschedules once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from charter.app import create_app
from charter.domain.roles import TASK_LEADER
from charter.engine import cpm
from charter.persistence.db import Database
from charter.services import accounts, projects, roles, scheduling, tasks, work_packages
from charter.services.context import SYSTEM, Actor
from charter.web import routes_schedule, task_table

PW = "schedule-reads-password"
SORTS = [
    "wbs",
    "name",
    "start",
    "finish",
    "total_float",
    "free_float",
    "duration",
    "priority",
    "percent_complete",
]


@pytest.fixture
def plan(db: Database) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    """WP-A (led by tla) holding WP-A1; WP-B. Alpha(3d) -> Bravo(2d) -> Go live; Alpha -> Charlie(1d) -> Go live;
    loose tasks with names that test the word filter (a LIKE wildcard, a non-ASCII letter), priorities that
    tie, and one task outside any package."""
    with db.uow() as s:
        ids: dict[str, Any] = {
            n: accounts.create_user(s, SYSTEM, username=n, display_name=n.title(), password=PW)["id"]
            for n in ("pm", "tla")
        }
        pid = projects.create_project(
            s, SYSTEM, key="RD", name="Reads", manager_id=ids["pm"], start_date=date(2030, 1, 7)
        )["id"]
        wpa = work_packages.create_work_package(s, SYSTEM, pid, name="WP-A")["id"]
        wpa1 = work_packages.create_work_package(s, SYSTEM, pid, name="WP-A1", parent_id=wpa)["id"]
        wpb = work_packages.create_work_package(s, SYSTEM, pid, name="WP-B")["id"]
        keys = {r["key"]: r["id"] for r in roles.list_roles(s, SYSTEM, pid) if r["key"]}
        roles.assign_role(s, SYSTEM, pid, role_id=keys[TASK_LEADER], user_id=ids["tla"], scope_id=wpa)
        t: dict[str, int] = {}
        for key, name, wp, extra in (
            ("A", "Alpha", wpa, {"duration": "3d", "priority": 700}),
            ("B", "Bravo", wpb, {"duration": "2d", "priority": 700}),
            ("C", "Charlie", wpa, {"duration": "1d", "percent_complete": 50}),
            ("M", "Go live", wpb, {"milestone": True}),
            ("D", "Delta 50% done_x", wpa1, {"duration": "4h", "priority": 100}),
            ("E", "Échelle über", wpa1, {"duration": "2d"}),
            ("F", "Floating task", None, {"duration": "1d", "priority": 700}),
        ):
            t[key] = tasks.create_task(s, SYSTEM, pid, name=name, work_package_id=wp, **extra)["id"]
        for a, b in (("A", "B"), ("B", "M"), ("A", "C"), ("C", "M")):
            tasks.create_link(s, SYSTEM, pid, pred_id=t[a], succ_id=t[b])
        token = accounts.create_token(s, Actor(ids["pm"], "pm"), name="t", expires_in_days=None)["token"]
    ids.update(project=pid, wpa=wpa, wpa1=wpa1, wpb=wpb, tasks=t, h={"Authorization": f"Bearer {token}"})
    with TestClient(create_app(db), follow_redirects=False) as client:
        yield client, ids


def login(client: TestClient, username: str) -> None:
    client.cookies.clear()
    page = client.get("/login").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    data = {"username": username, "password": PW, "csrf_token": csrf, "next": "/projects"}
    assert client.post("/login", data=data).status_code == 303


@pytest.fixture
def engine_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per run of the CPM engine (every recompute goes through cpm.schedule)."""
    runs: list[int] = []
    real = cpm.schedule

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(len(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(cpm, "schedule", counted)
    return runs


def _reads(client: TestClient, ids: dict[str, Any]) -> dict[str, Any]:
    pid, h = ids["project"], ids["h"]
    out: dict[str, Any] = {}
    for key, url, headers in (
        ("list", f"/api/v1/projects/{pid}/tasks", h),
        ("list_wp", f"/api/v1/projects/{pid}/tasks?work_package_id={ids['wpa']}&limit=100", h),
        ("list_float", f"/api/v1/projects/{pid}/tasks?sort=-total_float&critical=false", h),
        ("task", f"/api/v1/projects/{pid}/tasks/{ids['tasks']['B']}", h),
        ("gantt", f"/projects/{pid}/gantt.json", None),
    ):
        r = client.get(url, headers=headers)
        assert r.status_code == 200, (url, r.text)
        out[key] = r.json()
    for url in (f"/projects/{pid}", f"/projects/{pid}/gantt"):
        r = client.get(url)
        assert r.status_code == 200, url
    return out


def test_reads_never_run_the_engine(plan: Any, engine_runs: list[int]) -> None:
    client, ids = plan
    login(client, "pm")
    data = _reads(client, ids)
    assert engine_runs == []
    names = {t["name"]: t for t in data["gantt"]["tasks"]}
    assert names["Alpha"]["critical"] and not names["Charlie"]["critical"]
    assert data["gantt"]["finish"].startswith("2030-01-11")
    assert [t["name"] for t in data["list_wp"]] == ["Alpha", "Charlie"]


def test_an_edit_outside_the_engines_inputs_does_not_reschedule_and_shows_at_once(
    plan: Any, engine_runs: list[int]
) -> None:
    client, ids = plan
    login(client, "pm")
    pid, h, t = ids["project"], ids["h"], ids["tasks"]
    before = _reads(client, ids)
    task = before["task"]
    r = client.patch(
        f"/api/v1/projects/{pid}/tasks/{t['B']}",
        json={"version": task["version"], "name": "Bravo renamed", "description": "*new*", "priority": 900,
              "status": "on_hold"},
        headers=h,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    # no recompute for a name, description, priority or status edit (on hold records no actuals; in progress
    # would record the actual start, an input of the engine)
    assert engine_runs == []
    assert (
        r.json()["start"] == task["start"] and r.json()["total_float_minutes"] == task["total_float_minutes"]
    )
    after = _reads(client, ids)
    assert engine_runs == []
    assert after["gantt"]["plan_revision"] == before["gantt"]["plan_revision"]  # the plan did not change
    assert after["task"]["name"] == "Bravo renamed" and after["task"]["priority"] == 900
    assert "Bravo renamed" in {x["name"] for x in after["list"]}
    assert "Bravo renamed" in {x["name"] for x in after["gantt"]["tasks"]}


def test_a_scheduling_edit_reschedules_once_and_every_read_shows_it(
    plan: Any, engine_runs: list[int]
) -> None:
    client, ids = plan
    login(client, "pm")
    pid, h, t = ids["project"], ids["h"], ids["tasks"]
    before = _reads(client, ids)
    alpha = client.get(f"/api/v1/projects/{pid}/tasks/{t['A']}", headers=h).json()
    r = client.patch(
        f"/api/v1/projects/{pid}/tasks/{t['A']}",
        json={"version": alpha["version"], "duration": "5d"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert len(engine_runs) == 1
    after = _reads(client, ids)
    assert len(engine_runs) == 1  # the reads after it did not run it again
    assert after["gantt"]["plan_revision"] == before["gantt"]["plan_revision"] + 1
    assert after["gantt"]["finish"].startswith("2030-01-15")  # Alpha 5d, Bravo 2d: Tue 15 Jan
    assert (
        after["task"]["start"].startswith("2030-01-14") and after["task"]["start"] != before["task"]["start"]
    )
    bravo = next(x for x in after["list"] if x["id"] == t["B"])
    assert bravo["start"] == after["task"]["start"]
    drawn = next(x for x in after["gantt"]["tasks"] if x["id"] == t["B"])
    assert drawn["start"] == after["task"]["start"]
    wp_b = next(x for x in after["gantt"]["summaries"] if x["id"] == ids["wpb"])
    assert wp_b["finish"] == after["gantt"]["finish"]


def _reference(tasks_: list[dict[str, Any]], sort: str, critical: bool | None, wp: int | None, q: str | None,
               limit: int, offset: int) -> list[int]:  # fmt: skip
    """The task list as it was computed before it moved into SQL: the whole schedule, filtered and sorted."""
    items = list(tasks_)
    if critical is not None:
        items = [x for x in items if x["critical"] == critical]
    if wp is not None:
        items = [x for x in items if x["work_package_id"] == wp]
    if q:
        words = q.lower().split()
        items = [x for x in items if all(w in x["name"].lower() for w in words)]
    key = sort.lstrip("-")
    if key != "wbs":
        field = {
            "total_float": "total_float_minutes",
            "free_float": "free_float_days",
            "duration": "duration_minutes",
        }.get(key, key)
        items.sort(key=lambda x: (x[field] is None, x[field] if x[field] is not None else 0),
                   reverse=sort.startswith("-"))  # fmt: skip
    elif sort.startswith("-"):
        items.reverse()
    return [x["id"] for x in items[offset : offset + limit]]


def test_task_list_filters_sorts_and_pages_like_the_full_schedule(plan: Any) -> None:
    client, ids = plan
    pid, h = ids["project"], ids["h"]
    full = client.get(f"/api/v1/projects/{pid}/schedule", headers=h).json()["tasks"]
    cases: list[dict[str, Any]] = [{"sort": s} for s in SORTS] + [{"sort": "-" + s} for s in SORTS]
    cases += [
        {"critical": True}, {"critical": False, "sort": "-start"}, {"work_package_id": ids["wpa1"]},
        {"q": "50%"}, {"q": "done_x"}, {"q": "_"}, {"q": "%"}, {"q": "ÜBER"}, {"q": "échelle"}, {"q": "a l"},
        {"q": "ALPHA"}, {"sort": "priority", "limit": 2, "offset": 1}, {"sort": "-priority", "limit": 3},
        {"offset": 5}, {"offset": 50}, {"work_package_id": ids["wpb"], "critical": True, "sort": "-name"},
    ]  # fmt: skip
    for case in cases:
        params = {"sort": "wbs", "limit": 1000, "offset": 0, "critical": None, "work_package_id": None,
                  "q": None, **case}  # fmt: skip
        r = client.get(
            f"/api/v1/projects/{pid}/tasks",
            params={k: v for k, v in params.items() if v is not None},
            headers=h,
        )
        assert r.status_code == 200, (case, r.text)
        want = _reference(full, params["sort"], params["critical"], params["work_package_id"], params["q"],
                          params["limit"], params["offset"])  # fmt: skip
        assert [x["id"] for x in r.json()] == want, case
        by_id = {x["id"]: x for x in full}
        for x in r.json():  # every field as the full schedule has it
            assert x == {k: v for k, v in by_id[x["id"]].items() if k in x}, case
    bad = client.get(f"/api/v1/projects/{pid}/tasks", params={"sort": "version"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "sort"


def test_gantt_data_is_the_trimmed_full_schedule_with_a_baseline(plan: Any, db: Database) -> None:
    client, ids = plan
    pid, h = ids["project"], ids["h"]
    assert client.post(f"/api/v1/projects/{pid}/baselines", json={"number": 1}, headers=h).status_code == 201
    alpha = client.get(f"/api/v1/projects/{pid}/tasks/{ids['tasks']['A']}", headers=h).json()
    client.patch(f"/api/v1/projects/{pid}/tasks/{ids['tasks']['A']}",
                 json={"version": alpha["version"], "duration": "4d"}, headers=h)  # fmt: skip
    for who in ("pm", "tla"):
        login(client, who)
        for query in ("", "?baseline=1"):
            got = client.get(f"/projects/{pid}/gantt.json{query}").json()
            with db.uow(readonly=True) as s:
                actor = Actor(ids[who], who)
                sched = scheduling.get_schedule(s, actor, pid, baseline=1 if query else None)
                edit = task_table.edit_map(s, actor, pid, sched)
                want = json.loads(routes_schedule.to_json(routes_schedule.gantt_payload(sched, edit)))
            got.pop("today"), want.pop("today")
            assert got == want, (who, query)
    editable = {x["name"]: x["editable"] for x in got["tasks"]}  # tla leads WP-A, which holds WP-A1
    assert editable["Alpha"] and editable["Delta 50% done_x"] and not editable["Bravo"]
    assert not editable["Floating task"]
    missing = client.get(f"/projects/{pid}/gantt.json?baseline=7")
    assert missing.status_code == 404


def test_statements_per_read_do_not_grow_with_the_project(plan: Any, db: Database) -> None:
    """No N+1: the same reads with twelve more packages (nested) and tasks in each take as many statements."""
    client, ids = plan
    login(client, "tla")
    statements: list[str] = []

    def counted(*args: Any) -> None:
        statements.append(args[2])

    def count() -> dict[str, int]:
        out = {}
        for key, url, headers in (
            ("list", f"/api/v1/projects/{ids['project']}/tasks?sort=name", ids["h"]),
            ("gantt", f"/projects/{ids['project']}/gantt.json", None),
            ("dashboard", f"/projects/{ids['project']}", None),
            ("gantt page", f"/projects/{ids['project']}/gantt", None),
        ):
            statements.clear()
            assert client.get(url, headers=headers).status_code == 200
            out[key] = len(statements)
        return out

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        small = count()
        with db.uow() as s:
            parent = ids["wpa"]
            for i in range(12):
                wp = work_packages.create_work_package(s, SYSTEM, ids["project"], name=f"More {i}",
                                                       parent_id=parent if i % 2 else None)["id"]  # fmt: skip
                parent = wp
                for j in range(3):
                    tasks.create_task(s, SYSTEM, ids["project"], name=f"T{i}.{j}", work_package_id=wp)
        large = count()
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    assert large == small
