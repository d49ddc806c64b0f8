"""Planned against actual work per task on the project's Time page and `charter time actuals` (it was
`GET /api/v1/projects/{id}/actuals` only): approved hours are actual, submitted ones wait, the suggestion is
actual over planned work; tasks run in WBS order ("1.10" after "1.9")."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from charter.services import projects, scheduling, tasks
from webhelpers import signed_in

NOW = datetime(2030, 1, 11, 12, 0, tzinfo=UTC)  # Friday of the week task A runs (2030-01-07..09)


@pytest.fixture
def world(seed: Any, frozen_clock: Any, api: Any) -> Any:
    with seed.db.uow() as s:
        projects.update_project(s, seed.actor("admin"), seed.p1, 1, start_date=date(2030, 1, 7))
        scheduling.plan_changed(s, seed.p1)
    frozen_clock.set(NOW)
    h = seed.headers("worker")
    ids = []
    for day, hours in (("2030-01-07", "8h"), ("2030-01-08", "4h")):
        r = api.post(f"/projects/{seed.p1}/timesheet", json={"task_id": seed.tasks["a"], "day": day, "hours": hours},
                     headers=h)  # fmt: skip
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    assert api.post("/me/timesheet/submit", params={"week": "2030-W02"}, headers=h).status_code == 200
    r = api.post(f"/projects/{seed.p1}/timesheet/{ids[0]}/approve", headers=seed.headers("pm"))
    assert r.status_code == 200, r.text
    return seed


def test_the_time_page_compares_planned_and_actual_work(world: Any) -> None:
    w = world
    with signed_in(w, "pm") as c:
        page = c.get(f"/projects/{w.p1}/time").text
    table = page.split('id="actuals-table"')[1].split("</table>")[0]
    row = table.split(f'id="actual-{w.tasks["a"]}"')[1].split("</tr>")[0]
    cells = [x.strip() for x in row.split('<td class="num">')[1:]]
    # task A: 3 working days (24 h) planned, 8 h approved, 4 h waiting, suggestion 8/24
    assert [x.split("</td>")[0] for x in cells] == ["24", "8", "4", "0.0", "33.3"], cells
    assert f'id="actual-{w.tasks["b"]}"' not in table  # no hours on B: not listed
    with signed_in(w, "worker") as c:  # the worker's Time page shows their own hours, not the comparison
        assert 'id="time-actuals"' not in c.get(f"/projects/{w.p1}/time").text


def test_a_task_leader_sees_the_tasks_of_their_packages(world: Any, api: Any) -> None:
    w = world
    with signed_in(w, "task_leader") as c:  # leads WP-A, where task A is
        page = c.get(f"/projects/{w.p1}/time").text
    assert f'id="actual-{w.tasks["a"]}"' in page.split('id="actuals-table"')[1].split("</table>")[0]
    with signed_in(w, "task_leader_b") as c:  # leads WP-B: the section, without WP-A's task
        page = c.get(f"/projects/{w.p1}/time").text
    assert 'id="time-actuals"' in page and f'id="actual-{w.tasks["a"]}"' not in page
    assert 'id="no-actuals"' in page and 'id="actuals-scope"' in page
    # the API names each task's package
    r = api.get(f"/projects/{w.p1}/actuals", headers=w.headers("pm"))
    row = next(t for t in r.json()["tasks"] if t["task_id"] == w.tasks["a"])
    assert row["work_package_id"] == w.wp_a


def test_the_command_line_and_the_wbs_order(world: Any, cli: Any) -> None:
    w = world
    out = cli("time", "actuals", "--project", "P1").stdout
    assert "Task A" in out and "33.3" in out and "Task B" not in out
    every = cli("time", "actuals", "--project", "P1", "--all").stdout
    assert "Task B" in every and "Task C" in every
    # ten more top-level tasks: WBS 1.10 comes after 1.9, not after 1.1
    with w.db.uow() as s:
        for i in range(10):
            tasks.create_task(s, w.actor("pm"), w.p1, name=f"Extra {i}", duration="1d")
    data = json.loads(cli("time", "actuals", "--project", "P1", "--all", "--json").stdout)
    codes = [t["wbs_code"] for t in data["tasks"]]
    keys = [tuple(int(x) for x in c.split(".")) for c in codes]
    assert keys == sorted(keys) and len(codes) >= 13
    cli("time", "actuals", "--project", "P2", who="worker", code=1)  # a project they cannot see


def test_the_lock_command_unlocks_too(world: Any, cli: Any) -> None:
    assert "locked until 2030-01-08" in cli("timesheet", "lock", "P1", "--until", "2030-01-08").stdout
    assert "not locked" in cli("timesheet", "lock", "P1", "--unlock").stdout
    err = cli("timesheet", "lock", "P1", code=1)
    assert "give --until DAY to lock, or --unlock" in err.output
