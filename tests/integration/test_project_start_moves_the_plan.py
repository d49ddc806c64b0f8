"""The plan starts from the project's start date: changing it (charter form, API, CLI) reschedules the tasks in
the same transaction; other charter edits leave the schedule alone."""

from __future__ import annotations

import datetime as dt
from typing import Any


def _start(api: Any, seed: Any, as_: Any, key: str) -> dt.datetime:
    r = api.get(f"/projects/{seed.p1}/tasks/{seed.tasks[key]}", headers=as_("pm"))
    assert r.status_code == 200, r.text
    return dt.datetime.fromisoformat(r.json()["start"])


def test_a_later_project_start_moves_the_tasks(api: Any, seed: Any, as_: Any) -> None:
    pm = as_("pm")
    p = api.get(f"/projects/{seed.p1}", headers=pm).json()
    a0, b0 = _start(api, seed, as_, "a"), _start(api, seed, as_, "b")
    revision = api.get(f"/projects/{seed.p1}/schedule", headers=pm).json()["plan_revision"]
    first = dt.date.fromisoformat(p["start_date"]) if p["start_date"] else a0.date()
    later = first + dt.timedelta(days=14)  # two weeks: the same weekday, the same working days ahead
    r = api.patch(f"/projects/{seed.p1}", json={"version": p["version"], "start_date": later.isoformat()},
                  headers=pm)  # fmt: skip
    assert r.status_code == 200, r.text
    assert _start(api, seed, as_, "a") == a0 + dt.timedelta(days=14)
    assert _start(api, seed, as_, "b") == b0 + dt.timedelta(days=14)
    # a charter edit that leaves the start alone does not recompute the plan
    after = api.get(f"/projects/{seed.p1}/schedule", headers=pm).json()["plan_revision"]
    r = api.patch(
        f"/projects/{seed.p1}", json={"version": r.json()["version"], "name": "Renamed"}, headers=pm
    )
    assert r.status_code == 200, r.text
    assert api.get(f"/projects/{seed.p1}/schedule", headers=pm).json()["plan_revision"] == after
    assert after != revision
