"""Moving a card between the columns of a work package's board (POST .../board/move, the form the drag submits
too): the status and what the task service makes of it for progress and actuals, the journal, a stale version
and a refused move shown at the card with the task as it is now, who gets a form, forged posts and CSRF.
World: tests/conftest.py's seed (Task A and Task C in WP-A, led by task_leader; the worker is assigned to A)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from charter.persistence.models import JournalEntry
from charter.services import tasks
from webhelpers import csrf_of, no_inline, signed_in


def _board(seed: Any, wp: str = "wp_a") -> str:
    return f"/projects/{seed.p1}/work-packages/{getattr(seed, wp)}/board"


def _task(seed: Any, key: str) -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        return tasks.get_task(s, seed.actor("admin"), seed.p1, seed.tasks[key])


def _journal(seed: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def _move(
    client: Any, seed: Any, key: str, status: str, *, version: int | None = None, csrf: str | None = ""
) -> Any:
    page = client.get(_board(seed))
    form = {"task_id": str(seed.tasks[key]), "status": status,
            "version": str(_task(seed, key)["version"] if version is None else version)}  # fmt: skip
    if csrf is not None:
        form["csrf_token"] = csrf or csrf_of(page.text)
    return client.post(_board(seed) + "/move", data=form)


def _card(html: str, task_id: int) -> str:
    m = re.search(rf'<li class="task-card[^"]*" data-task="{task_id}".*?</li>', html, re.S)
    assert m, f"no card for task {task_id}"
    return m.group(0)


def _column_of(html: str, task_id: int) -> str:
    for key in ("not_started", "in_progress", "completed", "on_hold"):
        m = re.search(rf'<section class="column"[^>]*id="col-{key}".*?</section>', html, re.S)
        if m and f'data-task="{task_id}"' in m.group(0):
            return key
    raise AssertionError(f"task {task_id} is in no column")


def test_task_leader_moves_a_card_through_the_columns(seed, frozen_clock) -> None:
    frozen_clock.set(datetime(2020, 1, 7, 12, 0, tzinfo=UTC))  # Task A (3d) runs 6 .. 8 January 2020
    a = seed.tasks["a"]
    planned = _task(seed, "a")
    assert planned["start"] < datetime(2020, 1, 7, 12, 0) < planned["finish"]
    with signed_in(seed, "task_leader") as client:
        page = client.get(_board(seed))
        assert page.status_code == 200
        no_inline(page.text)
        assert f'action="{_board(seed)}/move#task-{a}"' in _card(page.text, a)
        assert '<script src="/static/board.js" defer></script>' in page.text

        before = _journal(seed)
        r = _move(client, seed, "a", "in_progress")
        assert r.status_code == 303 and r.headers["location"] == _board(seed) + f"#task-{a}"
        t = _task(seed, "a")
        assert (t["status"], t["percent_complete"], t["actual_finish"]) == ("in_progress", 0, None)
        assert t["actual_start"] == planned["start"]  # as scheduled
        assert _journal(seed) > before
        with seed.db.uow(readonly=True) as s:
            by = s.scalars(select(JournalEntry.actor_id).where(
                JournalEntry.entity_type == "task", JournalEntry.entity_id == str(a),
                JournalEntry.action == "update").order_by(JournalEntry.id.desc())).first()  # fmt: skip
        assert by == seed.users["task_leader"]
        assert _column_of(client.get(_board(seed)).text, a) == "in_progress"

        assert _move(client, seed, "a", "on_hold").status_code == 303
        t = _task(seed, "a")
        assert (t["status"], t["actual_start"]) == ("on_hold", planned["start"])  # the progress is kept
        assert _column_of(client.get(_board(seed)).text, a) == "on_hold"

        assert _move(client, seed, "a", "in_progress").status_code == 303  # back out of on hold
        assert _task(seed, "a")["status"] == "in_progress"

        assert _move(client, seed, "a", "completed").status_code == 303
        t = _task(seed, "a")
        assert (t["status"], t["percent_complete"]) == ("completed", 100)
        assert t["actual_start"] == planned["start"]
        # the scheduled finish is more than a day ahead: the move records now, never an actual in the future
        assert planned["finish"] > datetime(2020, 1, 8, 12, 0) and t["actual_finish"] == datetime(
            2020, 1, 7, 12, 0
        )
        assert _column_of(client.get(_board(seed)).text, a) == "completed"

        before = _journal(seed)
        r = _move(client, seed, "a", "in_progress")
        assert r.status_code == 409
        assert "is complete: to reopen it, lower its percent complete first" in _card(r.text, a)
        assert _task(seed, "a")["status"] == "completed" and _journal(seed) == before


def test_completing_a_task_not_started_records_the_planned_actuals(seed, frozen_clock) -> None:
    c = _task(seed, "c")
    with signed_in(seed, "task_leader") as client:
        assert _move(client, seed, "c", "completed").status_code == 303
    t = _task(seed, "c")
    assert (t["status"], t["percent_complete"]) == ("completed", 100)
    assert (t["actual_start"], t["actual_finish"]) == (c["start"], c["finish"])


def test_a_stale_version_shows_the_task_as_it_is_now(seed, frozen_clock) -> None:
    a = seed.tasks["a"]
    with signed_in(seed, "task_leader") as client:
        old = _task(seed, "a")["version"]
        with seed.db.uow() as s:  # someone else records progress meanwhile
            tasks.update_task(s, seed.actor("pm"), seed.p1, a, old, percent_complete=40)
        before = _journal(seed)
        r = _move(client, seed, "a", "on_hold", version=old)
    assert r.status_code == 409
    card = _card(r.text, a)
    assert "Someone else changed this task while you were looking" in card
    assert "task was changed by someone else" in card
    now = _task(seed, "a")
    assert now["status"] == "in_progress" and now["percent_complete"] == 40 and _journal(seed) == before
    assert f'name="version" value="{now["version"]}"' in card
    assert "40 %" in card
    assert _column_of(r.text, a) == "in_progress"
    assert "Traceback" not in r.text


def test_back_to_not_started_is_refused_once_progress_is_recorded(seed, frozen_clock) -> None:
    a = seed.tasks["a"]
    with seed.db.uow() as s:
        tasks.update_task(s, seed.actor("pm"), seed.p1, a, _task(seed, "a")["version"], percent_complete=30)
    before = _journal(seed)
    with signed_in(seed, "task_leader") as client:
        r = _move(client, seed, "a", "not_started")
    assert r.status_code == 409
    assert "cannot be not started: it has 30 % complete recorded; clear it first" in _card(r.text, a)
    assert _task(seed, "a")["status"] == "in_progress" and _journal(seed) == before


def test_a_task_without_progress_goes_back_to_not_started(seed, frozen_clock) -> None:
    with signed_in(seed, "task_leader") as client:
        assert _move(client, seed, "c", "on_hold").status_code == 303
        assert _move(client, seed, "c", "not_started").status_code == 303
    t = _task(seed, "c")
    assert (t["status"], t["actual_start"], t["percent_complete"]) == ("not_started", None, 0)


def test_a_worker_moves_only_their_own_cards(seed, frozen_clock) -> None:
    a, c = seed.tasks["a"], seed.tasks["c"]
    with signed_in(seed, "worker") as client:
        page = client.get(_board(seed)).text
        assert "board/move" in _card(page, a) and "board/move" not in _card(page, c)
        before = _journal(seed)
        assert _move(client, seed, "c", "in_progress").status_code == 403  # forged: not their task
        assert _task(seed, "c")["status"] == "not_started" and _journal(seed) == before
        assert _move(client, seed, "a", "in_progress").status_code == 303
    assert _task(seed, "a")["status"] == "in_progress"


def test_who_may_not_change_a_task_sees_no_form_and_a_forged_post_writes_nothing(seed, frozen_clock) -> None:
    before = _journal(seed)
    for who, code in (("observer", 403), ("task_leader_b", 403), ("outsider", 404)):
        with signed_in(seed, who) as client:
            page = client.get(_board(seed))
            if code == 403:
                assert (
                    page.status_code == 200 and "board/move" not in page.text and "board.js" not in page.text
                )
            form = {"task_id": str(seed.tasks["a"]), "status": "completed", "version": "1"}
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/projects").text)
            r = client.post(
                _board(seed) + "/move", data={**form, "csrf_token": token.group(1) if token else ""}
            )
            assert r.status_code == code, (who, r.status_code)
            assert "Traceback" not in r.text
    assert _task(seed, "a")["status"] == "not_started" and _journal(seed) == before


def test_a_move_without_the_csrf_token_is_rejected(seed, frozen_clock) -> None:
    before = _journal(seed)
    with signed_in(seed, "task_leader") as client:
        r = _move(client, seed, "a", "completed", csrf=None)
    assert r.status_code == 403
    assert _task(seed, "a")["status"] == "not_started" and _journal(seed) == before


def test_an_unknown_status_is_a_validation_error_at_the_card(seed, frozen_clock) -> None:
    with signed_in(seed, "task_leader") as client:
        r = _move(client, seed, "a", "cancelled")
    assert r.status_code == 422
    assert "a task moves to not started, in progress, completed or on hold" in _card(r.text, seed.tasks["a"])


def test_a_task_of_another_package_is_not_on_this_board(seed, frozen_clock) -> None:
    before = _journal(seed)
    with signed_in(seed, "pm") as client:
        page = client.get(_board(seed))
        r = client.post(_board(seed) + "/move", data={"task_id": str(seed.tasks["b"]), "status": "on_hold",
                        "version": "1", "csrf_token": csrf_of(page.text)})  # fmt: skip
    assert r.status_code == 404
    assert _task(seed, "b")["status"] == "not_started" and _journal(seed) == before
