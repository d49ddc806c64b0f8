"""A task's board move through the JSON API (POST .../tasks/{id}/move) and a PATCH that sends a status without
percent complete or actuals, which means the same (tasks.patch_task -> move_task's rules): each column's
meaning for progress and actuals, refusals with the task as it is now, who may, bad bodies; a PATCH that
names the progress fields keeps them as given. World: tests/conftest.py's seed (Task A and Task C in WP-A, led
by task_leader; the worker is assigned to A; Task B in WP-B; Task X in P2)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from charter.persistence.models import JournalEntry
from charter.services import tasks


def _url(seed: Any, key: str, project: str = "p1") -> str:
    return f"/projects/{getattr(seed, project)}/tasks/{seed.tasks[key]}"


def _task(seed: Any, key: str, project: str = "p1") -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        return tasks.get_task(s, seed.actor("admin"), getattr(seed, project), seed.tasks[key])


def _journal(seed: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def _wall(v: Any) -> str | None:
    return None if v is None else v.isoformat()


def _move(api: Any, seed: Any, key: str, status: str, who: str = "task_leader", **body: Any) -> Any:
    body.setdefault("version", _task(seed, key)["version"])
    return api.post(_url(seed, key) + "/move", json={"status": status, **body}, headers=seed.headers(who))


def _patch(api: Any, seed: Any, key: str, who: str = "task_leader", **body: Any) -> Any:
    body.setdefault("version", _task(seed, key)["version"])
    return api.patch(_url(seed, key), json=body, headers=seed.headers(who))


def _err(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    e: dict[str, Any] = r.json()["error"]
    if field is not None:
        assert e["field"] == field, e
    return e


def _progress(t: dict[str, Any]) -> tuple[Any, ...]:
    return t["status"], t["percent_complete"], t["actual_start"], t["actual_finish"]


# --------------------------------------------------------------------------------------------- the move


def test_a_task_moves_through_the_columns(api: Any, seed: Any, frozen_clock: Any) -> None:
    planned = _task(seed, "a")
    start, finish = _wall(planned["start"]), _wall(planned["finish"])

    r = _move(api, seed, "a", "in_progress")
    assert r.status_code == 200, r.text
    assert _progress(r.json()) == ("in_progress", 0, start, None)  # the actual start as scheduled
    assert r.json()["version"] == planned["version"] + 1
    assert r.json() == api.get(_url(seed, "a"), headers=seed.headers("task_leader")).json()  # a TaskOut
    with seed.db.uow(readonly=True) as s:
        by = s.scalars(select(JournalEntry.actor_id).where(
            JournalEntry.entity_type == "task", JournalEntry.entity_id == str(seed.tasks["a"]),
            JournalEntry.action == "update").order_by(JournalEntry.id.desc())).first()  # fmt: skip
    assert by == seed.users["task_leader"]

    r = _move(api, seed, "a", "on_hold")
    assert r.status_code == 200 and _progress(r.json()) == ("on_hold", 0, start, None)  # progress kept
    r = _move(api, seed, "a", "in_progress")
    assert r.status_code == 200 and r.json()["status"] == "in_progress"

    r = _move(api, seed, "a", "completed")
    assert r.status_code == 200, r.text
    assert _progress(r.json()) == ("completed", 100, start, finish)  # the scheduled dates, as MS Project

    before, done = _journal(seed), _task(seed, "a")
    for back in ("in_progress", "on_hold", "not_started"):
        e = _err(_move(api, seed, "a", back), 409, "status")
        assert "is complete: to reopen it, lower its percent complete" in e["message"]
        assert _progress(e["current"]) == ("completed", 100, start, finish)
    assert _task(seed, "a") == done and _journal(seed) == before


def test_completing_a_task_not_started_sets_100_percent_and_the_planned_actuals(
    api: Any, seed: Any, frozen_clock: Any
) -> None:
    c = _task(seed, "c")
    r = _move(api, seed, "c", "completed", who="pm")
    assert r.status_code == 200, r.text
    assert _progress(r.json()) == ("completed", 100, _wall(c["start"]), _wall(c["finish"]))


def test_moving_to_the_status_it_has_changes_nothing(api: Any, seed: Any, frozen_clock: Any) -> None:
    before, t = _journal(seed), _task(seed, "c")
    r = _move(api, seed, "c", "not_started")
    assert r.status_code == 200 and r.json()["version"] == t["version"]
    assert _journal(seed) == before


def test_a_task_without_progress_goes_back_to_not_started(api: Any, seed: Any, frozen_clock: Any) -> None:
    assert _move(api, seed, "c", "on_hold").status_code == 200
    r = _move(api, seed, "c", "not_started")
    assert r.status_code == 200 and _progress(r.json()) == ("not_started", 0, None, None)


def test_a_stale_version_is_409_with_the_task_as_it_is_now(api: Any, seed: Any, frozen_clock: Any) -> None:
    old = _task(seed, "a")["version"]
    with seed.db.uow() as s:  # someone else records progress meanwhile
        tasks.update_task(s, seed.actor("pm"), seed.p1, seed.tasks["a"], old, percent_complete=40)
    before = _journal(seed)
    e = _err(_move(api, seed, "a", "completed", version=old), 409, "version")
    assert e["current"]["percent_complete"] == 40 and e["current"]["status"] == "in_progress"
    assert e["current"]["version"] == _task(seed, "a")["version"] != old
    assert _task(seed, "a")["percent_complete"] == 40 and _journal(seed) == before


@pytest.mark.parametrize(
    ("progress", "recorded"),
    [
        ({"percent_complete": 30}, "it has 30 % complete recorded; clear it"),
        ({"actual_start": "2020-01-06T09:00:00"}, "it has an actual start recorded; clear it"),
    ],
)
def test_not_started_is_refused_once_progress_is_recorded(
    api: Any, seed: Any, frozen_clock: Any, progress: dict[str, Any], recorded: str
) -> None:
    assert _patch(api, seed, "a", **progress).status_code == 200
    before, t = _journal(seed), _task(seed, "a")
    e = _err(_move(api, seed, "a", "not_started"), 409, "status")
    assert f"cannot be not started: {recorded}" in e["message"]
    assert e["current"]["status"] == "in_progress" and e["current"]["version"] == t["version"]
    assert _task(seed, "a") == t and _journal(seed) == before


def test_a_task_of_another_or_an_invisible_project_is_404(api: Any, seed: Any, frozen_clock: Any) -> None:
    before = _journal(seed)
    body = {"version": 1, "status": "in_progress"}
    e = _err(api.post(_url(seed, "p2") + "/move", json=body, headers=seed.headers("admin")), 404, "task_id")
    assert "not found in this project" in e["message"]
    for who in ("pm", "task_leader"):  # P2 is not theirs to see
        url = f"/projects/{seed.p2}/tasks/{seed.tasks['p2']}/move"
        _err(api.post(url, json=body, headers=seed.headers(who)), 404)
    _err(api.post(_url(seed, "a") + "/move", json=body, headers=seed.headers("outsider")), 404)
    _err(api.post(_url(seed, "a") + "/move", json=body), 401)
    assert _journal(seed) == before
    assert _task(seed, "p2", "p2")["status"] == _task(seed, "a")["status"] == "not_started"


def test_who_may_not_record_the_progress_is_refused(api: Any, seed: Any, frozen_clock: Any) -> None:
    before = _journal(seed)
    for who, key in (("observer", "a"), ("stakeholder", "a"), ("sponsor", "a"), ("task_leader_b", "a"),
                     ("worker", "c"), ("task_leader", "b")):  # fmt: skip
        e = _err(_move(api, seed, key, "completed", who=who), 403)
        assert "not allow" in e["message"], (who, e)
    assert _journal(seed) == before
    assert {_task(seed, k)["status"] for k in ("a", "b", "c")} == {"not_started"}
    r = _move(api, seed, "a", "in_progress", who="worker")  # their own task
    assert r.status_code == 200 and r.json()["status"] == "in_progress"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 1, "status": "cancelled"}, "status"),  # not a board column
        ({"version": 1, "status": "done"}, "status"),
        ({"version": 1}, "status"),
        ({"status": "completed"}, "version"),
        ({"version": 1, "status": "completed", "percent_complete": 50}, "percent_complete"),
        ({"version": 1, "status": "completed", "task_id": 3}, "task_id"),
    ],
)
def test_a_bad_body_is_422_and_writes_nothing(
    api: Any, seed: Any, frozen_clock: Any, body: dict[str, Any], field: str
) -> None:
    before = _journal(seed)
    e = _err(api.post(_url(seed, "a") + "/move", json=body, headers=seed.headers("pm")), 422, field)
    if field in ("percent_complete", "task_id"):
        assert "unknown field" in e["message"]
    assert _task(seed, "a")["status"] == "not_started" and _journal(seed) == before


def test_the_move_is_documented(api: Any) -> None:
    op = api.get("/openapi.json").json()["paths"]["/projects/{project_id}/tasks/{task_id}/move"]["post"]
    assert "completed` sets 100 %" in op["description"] and op["summary"] == "Move Task"
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/TaskOut")
    assert {"409", "403", "404", "422"} <= set(op["responses"])
    schema = api.get("/openapi.json").json()["components"]["schemas"]["TaskMove"]
    assert schema["properties"]["status"]["enum"] == ["not_started", "in_progress", "completed", "on_hold"]
    assert schema["additionalProperties"] is False


# --------------------------------------------------------------------------------------------- the PATCH


def test_a_patch_of_the_status_alone_completes_as_a_move_does(api: Any, seed: Any, frozen_clock: Any) -> None:
    def updates() -> int:
        with seed.db.uow(readonly=True) as s:
            return int(s.scalar(select(func.count()).select_from(JournalEntry).where(
                JournalEntry.entity_type == "task", JournalEntry.action == "update",
                JournalEntry.entity_id == str(seed.tasks["a"]))) or 0)  # fmt: skip

    planned, before = _task(seed, "a"), updates()
    r = _patch(api, seed, "a", status="completed")
    assert r.status_code == 200, r.text
    assert _progress(r.json()) == ("completed", 100, _wall(planned["start"]), _wall(planned["finish"]))
    assert r.json()["version"] == planned["version"] + 1 and updates() == before + 1  # one update


def test_a_worker_patches_the_status_of_their_own_task(api: Any, seed: Any, frozen_clock: Any) -> None:
    planned = _task(seed, "a")
    r = _patch(api, seed, "a", who="worker", status="in_progress")
    assert r.status_code == 200 and _progress(r.json()) == ("in_progress", 0, _wall(planned["start"]), None)
    _err(_patch(api, seed, "c", who="worker", status="completed"), 403)
    assert _task(seed, "c")["status"] == "not_started"


def test_a_patch_of_the_status_follows_the_moves_refusals(api: Any, seed: Any, frozen_clock: Any) -> None:
    assert _patch(api, seed, "a", percent_complete=30).status_code == 200
    before, t = _journal(seed), _task(seed, "a")
    e = _err(_patch(api, seed, "a", status="not_started"), 409, "status")
    assert "cannot be not started: it has 30 % complete recorded" in e["message"]
    assert e["current"]["percent_complete"] == 30
    assert _patch(api, seed, "a", status="completed").status_code == 200
    e = _err(_patch(api, seed, "a", status="in_progress", name="Task A again"), 409, "status")
    assert "is complete" in e["message"]
    assert _task(seed, "a")["name"] == "Task A" and _journal(seed) > before
    stale = _err(_patch(api, seed, "a", status="on_hold", version=t["version"]), 409, "version")
    assert stale["current"]["status"] == "completed"


def test_a_patch_changes_the_other_fields_with_the_status(api: Any, seed: Any, frozen_clock: Any) -> None:
    planned = _task(seed, "c")
    r = _patch(api, seed, "c", status="in_progress", name="Task C, begun", priority=700)
    assert r.status_code == 200, r.text
    t = r.json()
    assert (t["name"], t["priority"]) == ("Task C, begun", 700)
    assert _progress(t) == ("in_progress", 0, _wall(planned["start"]), None)
    assert t["version"] == planned["version"] + 1
    r = _patch(api, seed, "c", status="in_progress", description="same status, another field")
    assert r.status_code == 200 and r.json()["description"] == "same status, another field"
    assert r.json()["status"] == "in_progress"


def test_a_patch_naming_the_progress_fields_sets_them_as_given(
    api: Any, seed: Any, frozen_clock: Any
) -> None:
    r = _patch(api, seed, "a", status="in_progress", actual_start="2020-01-07T14:00:00")
    assert r.status_code == 200, r.text
    assert _progress(r.json()) == ("in_progress", 0, "2020-01-07T14:00:00", None)  # not the scheduled start
    r = _patch(api, seed, "a", status="on_hold", percent_complete=0)
    assert r.status_code == 200 and _progress(r.json()) == ("on_hold", 0, "2020-01-07T14:00:00", None)
    r = _patch(api, seed, "c", status="cancelled")  # not a board column: set as given
    assert r.status_code == 200 and _progress(r.json()) == ("cancelled", 0, None, None)


def test_a_patch_that_completes_and_changes_the_duration_finishes_after_the_new_duration(
    api: Any, seed: Any, frozen_clock: Any
) -> None:
    """ "It took 8 days and it is done", in one PATCH (as the task page's form sends it): the actual finish is
    the start plus the new duration, as if the duration had been changed first and the task completed after."""
    original = _task(seed, "c")["duration"]
    assert _patch(api, seed, "c", who="pm", duration="8d").status_code == 200
    longer = _task(seed, "c")
    assert _patch(api, seed, "c", who="pm", duration=original).status_code == 200
    assert _task(seed, "c")["finish"] != longer["finish"]
    r = _patch(api, seed, "c", who="pm", status="completed", duration="8d")
    assert r.status_code == 200, r.text
    assert _progress(r.json()) == ("completed", 100, _wall(longer["start"]), _wall(longer["finish"]))
    assert r.json()["finish"] == _wall(longer["finish"])
    r = _patch(
        api, seed, "a", who="pm", status="completed", milestone=True
    )  # a milestone ends where it starts
    assert r.status_code == 200, r.text
    assert r.json()["actual_finish"] == r.json()["actual_start"]
