"""Closing a period on the project's Time page: the Project Manager locks the timesheets up to a day (as
PUT /api/v1/projects/{id}/timesheet-lock and `charter timesheet lock` do), and lifts the lock. Hours on or
before the lock day can then no longer be logged or changed. Others see no form; a forged one is refused."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from charter.services import projects, scheduling
from webhelpers import csrf_of, signed_in

NOW = datetime(2030, 1, 11, 12, 0, tzinfo=UTC)  # Friday; task A runs 2030-01-07..09 and the worker does it


@pytest.fixture
def world(seed: Any, frozen_clock: Any) -> Any:
    with seed.db.uow() as s:
        projects.update_project(s, seed.actor("admin"), seed.p1, 1, start_date=date(2030, 1, 7))
        scheduling.plan_changed(s, seed.p1)
    frozen_clock.set(NOW)
    return seed


def _log(api: Any, w: Any, day: str) -> Any:
    return api.post(f"/projects/{w.p1}/timesheet", json={"task_id": w.tasks["a"], "day": day, "hours": "2h"},
                    headers=w.headers("worker"))  # fmt: skip


def _lock(api: Any, w: Any) -> Any:
    return api.get(f"/projects/{w.p1}/actuals", headers=w.headers("pm")).json()["locked_until"]


def test_pm_locks_a_period_and_unlocks_it(api: Any, world: Any) -> None:
    w = world
    first = _log(api, w, "2030-01-07")
    assert first.status_code == 201, first.text
    url = f"/projects/{w.p1}/time"
    with signed_in(w, "pm") as c:
        page = c.get(url).text
        assert '<p id="lock-state">Not locked.</p>' in page and 'id="lock-form"' in page
        assert 'name="unlock"' not in page  # nothing to unlock yet
        r = c.post(f"{url}/lock", data={"csrf_token": csrf_of(page), "until": "2030-01-08"})
        assert r.status_code == 303 and r.headers["location"] == f"{url}#time-lock", r.text
        assert _lock(api, w) == "2030-01-08"
        page = c.get(url).text
        assert "Locked up to <strong>2030-01-08</strong>" in page
        assert 'name="until" type="date" required value="2030-01-08"' in page and 'name="unlock"' in page
        # the locked days refuse new hours and changes; the day after is open
        r = _log(api, w, "2030-01-08")
        assert r.status_code == 409 and "locked until 2030-01-08" in r.json()["error"]["message"]
        r = api.patch(f"/projects/{w.p1}/timesheet/{first.json()['id']}", json={"version": first.json()["version"],
                      "hours": "3h"}, headers=w.headers("worker"))  # fmt: skip
        assert r.status_code == 409, r.text
        assert _log(api, w, "2030-01-09").status_code == 201
        # unlocked: the closed days take hours again
        r = c.post(f"{url}/lock", data={"csrf_token": csrf_of(page), "unlock": "1", "until": "2030-01-08"})
        assert r.status_code == 303, r.text
        assert _lock(api, w) is None
        assert '<p id="lock-state">Not locked.</p>' in c.get(url).text
    assert _log(api, w, "2030-01-08").status_code == 201


def test_bad_or_missing_date_is_422_with_the_input_kept(api: Any, world: Any) -> None:
    url = f"/projects/{world.p1}/time"
    with signed_in(world, "pm") as c:
        page = c.get(url).text
        r = c.post(f"{url}/lock", data={"csrf_token": csrf_of(page), "until": "end of May"})
        assert r.status_code == 422, r.text
        assert re.search(r'id="lock-until"[^>]*value="end of May"[^>]*aria-invalid="true"', r.text)
        assert 'id="lock-error"' in r.text and "must be a date" in r.text and "Traceback" not in r.text
        r = c.post(f"{url}/lock", data={"csrf_token": csrf_of(page), "until": ""})
        assert r.status_code == 422 and "give the day to lock the timesheets up to" in r.text
        # without the token: refused, nothing locked
        assert c.post(f"{url}/lock", data={"until": "2030-01-08"}).status_code == 403
    assert _lock(api, world) is None


@pytest.mark.parametrize("who", ["worker", "task_leader"])
def test_others_see_no_form_and_a_forged_one_is_403(api: Any, world: Any, who: str) -> None:
    url = f"/projects/{world.p1}/time"
    with signed_in(world, who) as c:
        page = c.get(url).text
        assert page and 'id="lock-form"' not in page and 'id="lock-state"' not in page
        r = c.post(f"{url}/lock", data={"csrf_token": csrf_of(page), "until": "2030-01-08"})
        assert r.status_code == 403 and 'id="lock-error"' in r.text, r.text
        assert 'id="lock-form"' in r.text and 'value="2030-01-08"' in r.text  # the refusal beside the form
    assert _lock(api, world) is None


def test_another_project_is_404(world: Any) -> None:
    with signed_in(world, "outsider") as c:
        page = c.get(f"/projects/{world.p2}/time").text
        r = c.post(
            f"/projects/{world.p1}/time/lock", data={"csrf_token": csrf_of(page), "until": "2030-01-08"}
        )
        assert r.status_code == 404
