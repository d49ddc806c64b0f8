"""Where elapsed tasks (wall-clock minutes) meet working-time ones in one comparison: the task list's and the
task table's sorts by duration and float, and a work package's progress weighted by duration. Each elapsed day
counts as one working day of the project (domain.schedule.as_working_minutes), as EVM weighs it.

The seeded world starts P1 on Mon 2020-01-06 (Mon-Fri, 09-13 + 14-18, 8 h a day): A (3d) -> B (2d), C (1d),
all from Monday 09:00; the project finishes Fri 18:00. Here C becomes 1ed (Mon 09:00 -> Tue 09:00: 1440
wall-clock minutes, as many as A's 3 working days hold) and D (1d) is added: D's float is 4d (1920 working
minutes), C's 3.375ed (4860 wall-clock minutes, 3.375 working days' worth)."""

from __future__ import annotations

import re
from typing import Any

from charter.services import scheduling

PM = "admin"


def _setup(api: Any, seed: Any, as_: Any) -> dict[str, int]:
    h, p, c = as_(PM), seed.p1, seed.tasks["c"]
    v = api.get(f"/projects/{p}/tasks/{c}", headers=h).json()["version"]
    r = api.patch(f"/projects/{p}/tasks/{c}", json={"version": v, "duration": "1ed"}, headers=h)
    assert r.status_code == 200, r.text
    r = api.post(f"/projects/{p}/tasks", json={"name": "Task D", "work_package_id": seed.wp_b, "duration": "1d"},
                 headers=h)  # fmt: skip
    assert r.status_code == 201, r.text
    return {"A": seed.tasks["a"], "B": seed.tasks["b"], "C": c, "D": r.json()["id"]}


def _names(rows: list[dict[str, Any]]) -> list[str]:
    return [t["name"][-1] for t in rows]


def test_the_task_list_sorts_an_elapsed_task_by_its_days_as_working_days(
    api: Any, seed: Any, as_: Any, cli: Any
) -> None:
    _setup(api, seed, as_)
    h, p = as_("pm"), seed.p1
    tasks = {t["name"][-1]: t for t in api.get(f"/projects/{p}/tasks", headers=h).json()}
    assert tasks["C"]["total_float_minutes"] == 4860 and tasks["D"]["total_float_minutes"] == 1920
    # by duration: C (one elapsed day) weighs as one working day, before B's two and A's three
    assert _names(api.get(f"/projects/{p}/tasks", params={"sort": "duration"}, headers=h).json()) == [
        "C", "D", "B", "A"
    ]  # fmt: skip
    assert _names(api.get(f"/projects/{p}/tasks", params={"sort": "-duration"}, headers=h).json())[0] == "A"
    # by float: C's 3.375 elapsed days before D's 4 working days (its 4860 wall-clock minutes are more)
    assert _names(api.get(f"/projects/{p}/tasks", params={"sort": "total_float"}, headers=h).json()) == [
        "A", "B", "C", "D"
    ]  # fmt: skip
    assert (
        _names(api.get(f"/projects/{p}/tasks", params={"sort": "-total_float"}, headers=h).json())[0] == "D"
    )
    out = cli("task", "list", "P1", "--sort", "duration", who="pm").stdout
    assert out.index("Task C") < out.index("Task D") < out.index("Task B") < out.index("Task A")


def test_the_task_list_sorts_by_free_float_as_saved_views_may(
    api: Any, seed: Any, as_: Any, cli: Any
) -> None:
    """Free float was no sort of the task list (a saved view sorted by it listed the WBS order): A and B have
    none, C (1ed, nothing after it) 3.375 elapsed days, D 4 working days; C's 4860 wall-clock minutes weigh as
    3.375 working days, so it comes before D."""
    _setup(api, seed, as_)
    h, p = as_("pm"), seed.p1
    rows = api.get(f"/projects/{p}/tasks", params={"sort": "free_float"}, headers=h).json()
    assert [(t["name"][-1], t["free_float_days"]) for t in rows] == [
        ("A", 0),
        ("B", 0),
        ("C", 3.38),
        ("D", 4),
    ]
    assert _names(api.get(f"/projects/{p}/tasks", params={"sort": "-free_float"}, headers=h).json()) == [
        "D", "C", "A", "B"
    ]  # fmt: skip
    out = cli("task", "list", "P1", "--sort", "free_float", who="pm").stdout
    assert out.index("Task A") < out.index("Task B") < out.index("Task C") < out.index("Task D")


def test_the_task_table_sorts_an_elapsed_task_by_its_days_as_working_days(
    api: Any, seed: Any, as_: Any
) -> None:
    from webhelpers import signed_in

    ids = _setup(api, seed, as_)
    names = {str(v): k for k, v in ids.items()}
    with signed_in(seed, "pm") as client:
        by = {
            sort: [names[x] for x in re.findall(r'<tr id="row-(\d+)"', client.get(
                f"/projects/{seed.p1}/schedule", params={"sort": sort, "dir": "asc"}).text)]
            for sort in ("duration", "total_float")
        }  # fmt: skip
    assert by["duration"] == ["C", "D", "B", "A"]
    assert by["total_float"] == ["A", "B", "C", "D"]


def test_a_work_package_s_progress_weighs_an_elapsed_day_as_a_working_day(
    api: Any, seed: Any, as_: Any
) -> None:
    """WP-A holds A (3d, not started) and C (1ed, done): C is one of its four working days' worth, 25 %, not
    half of it because its 1440 wall-clock minutes equal A's 1440 working minutes."""
    _setup(api, seed, as_)
    h, p, c = as_(PM), seed.p1, seed.tasks["c"]
    v = api.get(f"/projects/{p}/tasks/{c}", headers=h).json()["version"]
    r = api.post(f"/projects/{p}/tasks/{c}/move", json={"version": v, "status": "completed"}, headers=h)
    assert r.status_code == 200, r.text
    wp = next(
        w for w in api.get(f"/projects/{p}/schedule", headers=h).json()["summaries"] if w["id"] == seed.wp_a
    )
    assert wp["percent_complete"] == 25.0
    with seed.db.uow(readonly=True) as s:  # the Gantt rolls up its own rows the same way
        gantt = scheduling.gantt_schedule(s, seed.actor("pm"), p)
    assert next(w for w in gantt["summaries"] if w["id"] == seed.wp_a)["percent_complete"] == 25.0
