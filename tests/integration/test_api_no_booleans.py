"""JSON true/false is not a number: Pydantic reads true as 1 for an int or float field (bool is an int), so
{"duration": true} made a 1-day task, {"work": false} an assignment of no work and {"percent_complete": true}
a task 1% done. Every request body now refuses a boolean where the field takes no boolean: 422 naming the
field, nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from charter.persistence.models import JournalEntry


def _journal(seed: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(JournalEntry)) or 0


def _task(api: Any, seed: Any, as_: Any) -> dict[str, Any]:
    r = api.get(f"/projects/{seed.p1}/tasks/{seed.tasks['a']}", headers=as_("pm"))
    assert r.status_code == 200, r.text
    return dict(r.json())


def _assignment(api: Any, seed: Any, as_: Any) -> dict[str, Any]:
    r = api.get(f"/projects/{seed.p1}/tasks/{seed.tasks['a']}/assignments", headers=as_("pm"))
    assert r.status_code == 200, r.text
    return dict(r.json()[0])


def _refused(r: Any, field: str) -> None:
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["field"] == field, err
    assert "true or false" in err["message"], err


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("duration", True),
        ("duration", False),
        ("work", True),
        ("optimistic", True),
        ("most_likely", False),
        ("pessimistic", True),
        ("remaining_duration", True),
        ("percent_complete", True),
        ("priority", True),
    ],
)
def test_patch_task_with_a_boolean_is_422_naming_the_field(
    api: Any, seed: Any, as_: Any, field: str, value: bool
) -> None:
    before, journal = _task(api, seed, as_), _journal(seed)
    r = api.patch(
        f"/projects/{seed.p1}/tasks/{seed.tasks['a']}",
        headers=as_("pm"),
        json={"version": before["version"], field: value},
    )
    _refused(r, field)
    assert _task(api, seed, as_) == before
    assert _journal(seed) == journal


def test_a_boolean_version_is_refused_too(api: Any, seed: Any, as_: Any) -> None:
    before = _task(api, seed, as_)
    assert before["version"] == 1  # true would have read as version 1 and passed the concurrency check
    r = api.patch(
        f"/projects/{seed.p1}/tasks/{seed.tasks['a']}", headers=as_("pm"), json={"version": True, "name": "X"}
    )
    _refused(r, "version")
    assert _task(api, seed, as_)["name"] == before["name"]


def test_post_task_and_link_with_a_boolean_are_422(api: Any, seed: Any, as_: Any) -> None:
    journal = _journal(seed)
    r = api.post(f"/projects/{seed.p1}/tasks", headers=as_("pm"), json={"name": "Bool", "duration": True})
    _refused(r, "duration")
    r = api.post(
        f"/projects/{seed.p1}/links",
        headers=as_("pm"),
        json={"pred_id": seed.tasks["a"], "succ_id": seed.tasks["b"], "lag": True},
    )
    _refused(r, "lag")
    assert _journal(seed) == journal
    names = [t["name"] for t in api.get(f"/projects/{seed.p1}/tasks", headers=as_("pm")).json()]
    assert "Bool" not in names


@pytest.mark.parametrize(
    ("field", "value"), [("work", True), ("work", False), ("remaining_work", True), ("units", True)]
)
def test_patch_assignment_with_a_boolean_is_422_naming_the_field(
    api: Any, seed: Any, as_: Any, field: str, value: bool
) -> None:
    before, journal = _assignment(api, seed, as_), _journal(seed)
    r = api.patch(
        f"/projects/{seed.p1}/tasks/{seed.tasks['a']}/assignments/{before['assignment_id']}",
        headers=as_("pm"),
        json={"version": before["version"], field: value},
    )
    _refused(r, field)
    assert _assignment(api, seed, as_) == before
    assert _journal(seed) == journal


def test_budget_amount_and_timesheet_hours_with_a_boolean_are_422(api: Any, seed: Any, as_: Any) -> None:
    journal = _journal(seed)
    r = api.post(
        f"/projects/{seed.p1}/budget/lines",
        headers=as_("pm"),
        json={"category": "labour", "name": "Bool", "amount": True},
    )
    _refused(r, "amount")
    r = api.post(
        f"/projects/{seed.p1}/timesheet",
        headers=as_("worker"),
        json={"task_id": seed.tasks["a"], "day": "2030-01-07", "hours": True},
    )
    _refused(r, "hours")
    assert _journal(seed) == journal


def test_a_boolean_inside_a_list_of_numbers_is_refused(api: Any, seed: Any, as_: Any) -> None:
    r = api.put(
        f"/projects/{seed.p1}/tasks/{seed.tasks['a']}/assignees",
        headers=as_("pm"),
        json={"user_ids": [True]},
    )
    _refused(r, "user_ids")


def test_a_boolean_field_still_takes_a_boolean(api: Any, seed: Any, as_: Any) -> None:
    before = _task(api, seed, as_)
    r = api.patch(
        f"/projects/{seed.p1}/tasks/{seed.tasks['a']}",
        headers=as_("pm"),
        json={"version": before["version"], "duration": "4d", "milestone": False},
    )
    assert r.status_code == 200, r.text
    assert r.json()["duration"] == "4d"
