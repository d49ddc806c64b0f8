"""The "my work" and approvals pages over HTTP: they render (no inline styles or scripts), the timesheet grid
saves in one go or not at all (the input is kept and the failing task and day named), CSRF is enforced,
and a Task Leader approves or rejects (with a reason) the hours of their own package only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from charter.app import create_app
from charter.persistence.models import TimesheetEntry, User
from charter.services import accounts, projects, scheduling, timesheets
from webhelpers import PW, login

NOW = datetime(2030, 1, 11, 12, 0, tzinfo=UTC)  # Friday of 2030-W02


@pytest.fixture
def web(seed: Any, frozen_clock: Any) -> Iterator[tuple[TestClient, Any]]:
    """The seeded world with P1 starting 2030-01-07 (task A 01-07..01-09) and passwords for the people."""
    with seed.db.uow() as s:
        projects.update_project(s, seed.actor("admin"), seed.p1, 1, start_date=date(2030, 1, 7))
        scheduling.plan_changed(s, seed.p1)
        hashed = accounts.hash_password(PW)
        s.execute(update(User).values(password_hash=hashed))
    frozen_clock.set(NOW)
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        yield client, seed


def entries(seed: Any) -> list[TimesheetEntry]:
    with seed.db.uow(readonly=True) as s:
        rows = list(s.scalars(select(TimesheetEntry).order_by(TimesheetEntry.day)))
        s.expunge_all()
    return rows


def cell(task_id: int, day: str) -> str:
    return f"h-{task_id}-{day}"


def test_my_work_page_renders_tasks_and_grid(web: Any) -> None:
    client, seed = web
    login(client, "worker", landing="/me/work")
    r = client.get("/me/work")
    assert r.status_code == 200
    html = r.text
    assert 'href="/me/work">My work</a>' in html and 'href="/me/approvals">Approvals</a>' in html
    assert "Task A" in html and "2030-01-07" in html and "2030-01-09" in html
    # it finished on Wednesday and is not done: flagged overdue (no longer "due this week") on Friday
    assert re.search(rf'<tr class="gap due" data-task="{seed.tasks["a"]}">', html)
    assert '<span class="gap-flag">overdue</span>' in html and "due this week" not in html
    assert f'name="{cell(seed.tasks["a"], "2030-01-07")}"' in html
    assert f'name="{cell(seed.tasks["a"], "2030-01-12")}"' not in html  # the future is not editable
    assert "Timesheet, week 2030-W02" in html
    assert "style=" not in html and "<script>" not in html and "onclick" not in html
    assert "script-src 'self'" in r.headers["content-security-policy"]
    other = client.get("/me/work", params={"week": "2030-W01"})
    assert other.status_code == 200 and "week 2030-W01" in other.text


def test_grid_saves_updates_and_clears(web: Any) -> None:
    client, seed = web
    token = login(client, "worker", landing="/me/work")
    a = seed.tasks["a"]
    form = {"csrf_token": token, "week": "2030-W02", cell(a, "2030-01-07"): "2", cell(a, "2030-01-08"): "90m"}
    r = client.post("/me/work/timesheet", data=form)
    assert r.status_code == 303 and r.headers["location"] == "/me/work?week=2030-W02"
    assert [(e.day.isoformat(), e.minutes) for e in entries(seed)] == [
        ("2030-01-07", 120),
        ("2030-01-08", 90),
    ]
    page = client.get("/me/work").text
    assert 'value="1.5"' in page and "<td>3.5</td>" in page  # totals per row / per day
    first, second = entries(seed)
    form = {
        "csrf_token": token,
        "week": "2030-W02",
        cell(a, "2030-01-07"): "3h",
        f"v-{first.id}": str(first.version),
        cell(a, "2030-01-08"): "",
        f"v-{second.id}": str(second.version),
    }
    assert client.post("/me/work/timesheet", data=form).status_code == 303
    assert [(e.day.isoformat(), e.minutes) for e in entries(seed)] == [("2030-01-07", 180)]
    r = client.post("/me/work/submit", data={"csrf_token": token, "week": "2030-W02"})
    assert r.status_code == 303
    assert [e.status for e in entries(seed)] == ["submitted"]


def test_grid_error_names_task_and_day_keeps_input_and_saves_nothing(web: Any) -> None:
    client, seed = web
    token = login(client, "worker", landing="/me/work")
    a = seed.tasks["a"]
    form = {
        "csrf_token": token,
        "week": "2030-W02",
        cell(a, "2030-01-07"): "4",
        cell(a, "2030-01-10"): "lots",
    }
    r = client.post("/me/work/timesheet", data=form)
    assert r.status_code == 422
    assert "Task A on 2030-01-10" in r.text and "lots" in r.text
    assert f"(H-{a}-2030-01-10)" not in r.text  # the cell's form name said nothing the message did not
    assert 'value="4"' in r.text  # the other cell's input is kept
    assert re.search(rf'name="{cell(a, "2030-01-10")}"[^>]*value="lots"[^>]*aria-invalid="true"', r.text)
    assert entries(seed) == []
    before_start = {"csrf_token": token, "week": "2030-W01", cell(a, "2030-01-06"): "1"}
    r = client.post("/me/work/timesheet", data=before_start)
    assert r.status_code == 422 and "2030-01-06" in r.text and entries(seed) == []


@pytest.mark.parametrize("path", ["/me/work/timesheet", "/me/work/submit"])
def test_grid_names_every_bad_cell_keeps_every_value_and_saves_nothing(web: Any, path: str) -> None:
    """Only the first refused cell was named: the person fixed it, saved, and met the next one."""
    client, seed = web
    token = login(client, "worker", landing="/me/work")
    a = seed.tasks["a"]
    bad = {cell(a, "2030-01-08"): "lots", cell(a, "2030-01-10"): "30h"}
    form = {
        "csrf_token": token,
        "week": "2030-W02",
        cell(a, "2030-01-07"): "4",
        cell(a, "2030-01-09"): "2",
        **bad,
    }
    r = client.post(path, data=form)
    assert r.status_code == 422
    listed = re.search(r'<ul class="error" id="week-cells">(.*?)</ul>', r.text, re.S)
    assert listed and "Nothing was saved: 2 cells need a change." in r.text
    items = re.findall(r'<li id="error-([^"]+)">([^<]*)</li>', listed.group(1))
    assert [k for k, _ in items] == list(bad)  # in grid order, each with its task and day
    assert "Task A on 2030-01-08" in items[0][1] and "not a number of hours" in items[0][1]
    assert "Task A on 2030-01-10" in items[1][1] and "24" in items[1][1]
    for key, typed in bad.items():  # each bad cell marked and pointing at its own message
        assert re.search(rf'name="{key}"[^>]*value="{typed}"[^>]*aria-invalid="true" aria-describedby="error-{key}"',
                         r.text)  # fmt: skip
    for key, typed in (
        (cell(a, "2030-01-07"), "4"),
        (cell(a, "2030-01-09"), "2"),
    ):  # good ones kept, unmarked
        assert re.search(rf'name="{key}"[^>]*value="{typed}"(?![^>]*aria-invalid)[^>]*>', r.text)
    assert entries(seed) == []


@pytest.mark.parametrize("path", ["/me/work/timesheet", "/me/work/submit", "/me/approvals/1/approve"])
def test_csrf_is_enforced(web: Any, path: str) -> None:
    client, seed = web
    login(client, "worker", landing="/me/work")
    for token in (None, "forged"):
        data = {"week": "2030-W02", cell(seed.tasks["a"], "2030-01-07"): "2", "project_id": str(seed.p1)}
        if token:
            data["csrf_token"] = token
        r = client.post(path, data=data)
        assert r.status_code == 403, r.text
    assert entries(seed) == []


def _submitted_entry(seed: Any) -> int:
    with seed.db.uow() as s:
        e = timesheets.log_entry(
            s, seed.actor("worker"), seed.p1, task_id=seed.tasks["a"], day=date(2030, 1, 8), hours="2h"
        )
        timesheets.submit_week(s, seed.actor("worker"), "2030-W02")
    return int(e["id"])


def test_approvals_page_reject_needs_reason_then_approve(web: Any) -> None:
    client, seed = web
    entry_id = _submitted_entry(seed)
    token = login(client, "task-leader-b", landing="/me/work")
    assert "Nothing waits for your approval" in client.get("/me/approvals").text
    r = client.post(
        f"/me/approvals/{entry_id}/approve", data={"csrf_token": token, "project_id": str(seed.p1)}
    )
    assert r.status_code == 404 and "Task A" not in r.text  # another package's hours are not theirs to see
    token = login(client, "task-leader", landing="/me/work")
    page = client.get("/me/approvals")
    assert page.status_code == 200 and f'data-entry="{entry_id}"' in page.text and "Worker" in page.text
    assert "style=" not in page.text
    r = client.post(
        f"/me/approvals/{entry_id}/reject",
        data={"csrf_token": token, "project_id": str(seed.p1), "reason": " "},
    )
    assert r.status_code == 422 and "say why" in r.text and 'aria-invalid="true"' in r.text
    assert entries(seed)[0].status == "submitted"
    r = client.post(
        f"/me/approvals/{entry_id}/approve", data={"csrf_token": token, "project_id": str(seed.p1)}
    )
    assert r.status_code == 303 and entries(seed)[0].status == "approved"
    assert "Nothing waits for your approval" in client.get("/me/approvals").text
    with seed.db.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(TimesheetEntry)) == 1


def test_pages_need_a_login(web: Any) -> None:
    client, _ = web
    client.cookies.clear()
    for path in ("/me/work", "/me/approvals"):
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_hours_typed_then_submitted_are_saved_and_the_page_says_what_went(web: Any) -> None:
    """*Submit week* was a form of its own: hours typed in the grid and then submitted were lost, and the
    page said nothing of what was submitted or of a rejected entry left behind. Now the grid's button saves
    and submits in one go (nothing at all if a cell is refused) and the page says how many went."""
    client, seed = web
    token = login(client, "worker", landing="/me/work")
    a = seed.tasks["a"]
    form = {
        "csrf_token": token,
        "week": "2030-W02",
        cell(a, "2030-01-07"): "2",
        cell(a, "2030-01-08"): "lots",
    }
    r = client.post("/me/work/submit", data=form)
    assert r.status_code == 422 and "Task A on 2030-01-08" in r.text and 'value="2"' in r.text
    assert entries(seed) == []
    r = client.post("/me/work/submit", data={**form, cell(a, "2030-01-08"): "1:30"})
    assert r.status_code == 303 and r.headers["location"] == "/me/work?week=2030-W02&submitted=2"
    assert [(e.minutes, e.status) for e in entries(seed)] == [(120, "submitted"), (90, "submitted")]
    page = client.get(r.headers["location"]).text
    assert "Submitted 2 entries of week 2030-W02 for approval." in page
    first = entries(seed)[0]
    with seed.db.uow() as s:
        timesheets.reject_entry(s, seed.actor("pm"), first.id, "wrong task")
    r = client.post("/me/work/submit", data={"csrf_token": token, "week": "2030-W02"})
    page = client.get(r.headers["location"]).text
    assert "Nothing was submitted: week 2030-W02 has no draft hours." in page
    assert "1 rejected entry waits for a change" in page
    assert 'formaction="/me/work/submit"' in page
