"""A task on its own calendar loads its people when the scheduler places its work: the workload spreads its
hours over its task calendar's working time, not the project calendar's.

The seeded world starts P1 on Mon 2020-01-06 (Mon-Fri, 09-13 + 14-18): the worker does Task A (3d, Jan 6-8)
full time. Task C (1d) goes on a weekend calendar (Sat-Sun, 08-12 + 13-17) with the worker on it: the schedule
runs it on Saturday 2020-01-11, 08:00-17:00."""

from __future__ import annotations

from typing import Any

from tests.integration.test_team_api import _resource_of

WEEK = {"from": "2020-01-06", "to": "2020-01-12"}  # Monday to Sunday


def test_a_task_on_its_own_calendar_loads_its_people_on_that_calendar(api: Any, seed: Any, as_: Any) -> None:
    h, p, c = as_("admin"), seed.p1, seed.tasks["c"]
    r = api.post(f"/projects/{p}/calendars", json={"name": "Weekend crew", "weekdays": [5, 6],
                                                    "shifts": [[480, 720], [780, 1020]]}, headers=h)  # fmt: skip
    assert r.status_code == 201, r.text
    v = api.get(f"/projects/{p}/tasks/{c}", headers=h).json()["version"]
    r = api.patch(f"/projects/{p}/tasks/{c}", json={"version": v, "calendar_id": r.json()["id"]}, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["start"], r.json()["finish"]) == ("2020-01-11T08:00:00", "2020-01-11T17:00:00")
    worker = _resource_of(api, as_, seed, "worker")
    r = api.post(f"/projects/{p}/tasks/{c}/assignments", json={"resource_id": worker["id"], "units": 0.5},
                 headers=h)  # fmt: skip
    assert r.status_code == 201, r.text
    r = api.get("/workload", params={**WEEK, "resource_id": worker["id"]}, headers=as_("pm"))
    assert r.status_code == 200, r.text
    data = r.json()
    loads = [d["load_minutes"] for d in data["resources"][0]["days"]]
    assert loads == [480, 480, 480, 0, 0, 240, 0]  # A Mon-Wed; C's 8 h at 50 % on Saturday
    # the worker's week is Monday to Friday: C's Saturday is over what they can give
    assert [(o["day"], [t["task"] for t in o["tasks"]]) for o in data["overallocations"]] == [
        ("2020-01-11", ["Task C"])
    ]
