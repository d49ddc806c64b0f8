"""An actual start or finish more than a day after now is refused beside its field (API, web, CLI): a typo
(2031 for 2030) made a task started or finished in the future, which earned value and the timesheet's
window then read as fact. A day's grace covers time zones (a form's time is project wall-clock). A board
move of a task planned ahead records now, not its future planned dates. Imports keep what the file says
(docs/decisions.md). World: tests/conftest.py's seed, the clock frozen at 2030-01-07 09:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from charter.app import create_app
from charter.services import tasks
from webhelpers import login_seeded


def _task(seed: Any, key: str = "a") -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        return tasks.get_task(s, seed.actor("admin"), seed.p1, seed.tasks[key])


def _patch(api: Any, seed: Any, key: str = "a", **body: Any) -> Any:
    body.setdefault("version", _task(seed, key)["version"])
    return api.patch(f"/projects/{seed.p1}/tasks/{seed.tasks[key]}", json=body, headers=seed.headers("pm"))


def test_api_refuses_a_future_actual_beyond_a_days_grace(api: Any, seed: Any, frozen_clock: Any) -> None:
    before = _task(seed)
    for field, value in (("actual_start", "2030-01-08T10:00:00"), ("actual_finish", "2031-01-09T17:00:00")):
        r = _patch(api, seed, **{field: value})
        assert r.status_code == 422, r.text
        e = r.json()["error"]
        assert e["field"] == field and "in the future" in e["message"] and value[:10] in e["message"]
    assert _task(seed)["version"] == before["version"]
    r = _patch(api, seed, actual_start="2030-01-08T08:00:00")  # within the grace: a person east of UTC
    assert r.status_code == 200, r.text
    assert r.json()["actual_start"].startswith("2030-01-08T08:00")


def test_cli_refuses_a_future_actual(cli: Any, seed: Any, frozen_clock: Any) -> None:
    r = cli("task", "update", "P1", "Task A", "--actual-finish", "2030-03-01", code=1)
    assert "in the future" in r.stderr and "actual_finish" in r.stderr
    assert _task(seed)["actual_finish"] is None


def test_web_refuses_a_future_actual_beside_its_field_keeping_the_input(seed: Any, frozen_clock: Any) -> None:
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        token = login_seeded(seed, client, "pm")
        t = _task(seed)
        form = {
            "csrf_token": token,
            "version": str(t["version"]),
            "actual_start": "2030-02-03T09:00",
            "name": "Task A",
            "duration": t["duration"],
        }
        r = client.post(f"/projects/{seed.p1}/tasks/{seed.tasks['a']}", data=form)
        assert r.status_code == 422, r.text
        assert "in the future" in r.text and "2030-02-03T09:00" in r.text
    assert _task(seed)["actual_start"] is None


def test_a_board_move_of_a_task_planned_ahead_records_now(api: Any, seed: Any, frozen_clock: Any) -> None:
    frozen_clock.set(datetime(2020, 1, 6, 9, 0, tzinfo=UTC))  # the seeded plan starts 2020-01-07
    b = _task(seed, "b")
    assert b["start"] > datetime(2020, 1, 7, 9, 0)  # planned after the grace
    r = api.post(f"/projects/{seed.p1}/tasks/{seed.tasks['b']}/move", headers=seed.headers("pm"),
                 json={"status": "completed", "version": b["version"]})  # fmt: skip
    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["actual_start"].startswith("2020-01-06T09:00")
    assert moved["actual_finish"].startswith("2020-01-06T09:00")


def test_stored_future_actuals_re_sent_with_another_change_are_kept(
    api: Any, seed: Any, frozen_clock: Any
) -> None:
    """An actual already stored in the future (an imported plan's) does not block a full-form save that sends
    it back unchanged with another change; changing it to another future date is still refused."""
    frozen_clock.set(datetime(2030, 3, 2, 9, 0, tzinfo=UTC))
    assert _patch(api, seed, actual_start="2030-03-01T09:00:00").status_code == 200
    frozen_clock.set(datetime(2030, 1, 7, 9, 0, tzinfo=UTC))  # the stored start is now weeks ahead
    r = _patch(api, seed, actual_start="2030-03-01T09:00:00", name="Task A renamed")
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Task A renamed" and r.json()["actual_start"].startswith("2030-03-01T09:00")
    r = _patch(api, seed, actual_start="2030-03-02T09:00:00")
    assert r.status_code == 422 and r.json()["error"]["field"] == "actual_start", r.text
