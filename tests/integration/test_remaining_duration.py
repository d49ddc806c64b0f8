"""Remaining duration, as MS Project's: a task shows what of its duration is done and what remains, and whoever
plans it may state what remains ("3 more days"): the duration becomes done + remaining and % complete follows.
API, web page and command line; permission as a duration change; refusals name the field."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from tests.webhelpers import csrf_of, signed_in

from charter.domain import schedule as rules
from charter.domain.errors import ValidationError
from charter.persistence.models import JournalEntry

MPD = 480  # the seeded calendar: 8 working hours a day


def _task(api: Any, seed: Any, name: str = "a", who: str = "pm") -> dict[str, Any]:
    r = api.get(f"/projects/{seed.p1}/tasks/{seed.tasks[name]}", headers=seed.headers(who))
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def _patch(api: Any, seed: Any, body: dict[str, Any], name: str = "a", who: str = "pm") -> Any:
    t = _task(api, seed, name)
    return api.patch(
        f"/projects/{seed.p1}/tasks/{t['id']}",
        json={"version": t["version"], **body},
        headers=seed.headers(who),
    )


def _ten_days_forty_percent(api: Any, seed: Any, name: str = "a") -> dict[str, Any]:
    r = _patch(api, seed, {"duration": "10d", "percent_complete": 40}, name)
    assert r.status_code == 200, r.text
    t: dict[str, Any] = r.json()
    assert (t["actual_duration"], t["remaining_duration"], t["remaining_duration_minutes"]) == (
        "4d",
        "6d",
        2880,
    )
    return t


@given(
    duration=st.integers(min_value=1, max_value=rules.MAX_DAYS * MPD),
    percent=st.floats(min_value=0, max_value=100, allow_nan=False),
    remaining=st.integers(min_value=0, max_value=rules.MAX_DAYS * MPD),
)
def test_a_stated_remaining_duration_reads_back_exactly_and_keeps_the_work_done(
    duration: int, percent: float, remaining: int
) -> None:
    done, _ = rules.split_progress(duration, percent)
    if done + remaining == 0:
        return
    new_duration, new_percent = rules.with_remaining(duration, percent, remaining)
    assert rules.split_progress(new_duration, new_percent) == (done, remaining)
    assert 0 <= new_percent <= 100 and (new_percent == 100) == (remaining == 0)


def test_nothing_done_and_nothing_remaining_is_refused_by_the_rule() -> None:
    try:
        rules.with_remaining(2400, 0.0, 0)
    except ValidationError as exc:
        assert exc.field == "remaining_duration" and "100 % complete" in exc.message
    else:
        raise AssertionError("a task with nothing done cannot have nothing remaining")


def test_stating_the_remaining_duration_sets_duration_and_progress_and_is_journalled(
    api: Any, seed: Any
) -> None:
    before = _ten_days_forty_percent(api, seed)
    r = _patch(api, seed, {"remaining_duration": "4d"})
    assert r.status_code == 200, r.text
    t = r.json()
    assert (t["duration"], t["percent_complete"], t["remaining_duration"], t["actual_duration"]) == (
        "8d",
        50.0,
        "4d",
        "4d",
    )
    assert t["status"] == "in_progress" and t["version"] == before["version"] + 1
    with seed.db.uow(readonly=True) as s:
        changes = s.scalars(
            select(JournalEntry.changes)
            .where(JournalEntry.entity_type == "task", JournalEntry.entity_id == str(t["id"]))
            .order_by(JournalEntry.id.desc())
        ).first()
    assert changes is not None
    assert changes["duration"] == [4800, 3840] and changes["percent_complete"] == [40.0, 50.0], changes
    # the finish moved: the schedule is recomputed from the new duration
    assert t["finish"] != before["finish"]


def test_nothing_remaining_completes_the_task_and_time_remaining_reopens_it(api: Any, seed: Any) -> None:
    _ten_days_forty_percent(api, seed)
    t = _patch(api, seed, {"remaining_duration": "0"}).json()
    assert (t["duration"], t["percent_complete"], t["status"]) == ("4d", 100.0, "completed")
    r = _patch(api, seed, {"actual_finish": "2026-01-20T17:00:00"})
    assert r.status_code == 200, r.text
    t = _patch(api, seed, {"remaining_duration": "2d"}).json()
    assert (t["duration"], t["percent_complete"], t["status"], t["actual_finish"]) == (
        "6d",
        4 * 100 / 6,
        "in_progress",
        None,
    )


def test_a_task_not_started_takes_the_remaining_duration_as_its_duration(api: Any, seed: Any) -> None:
    r = _patch(api, seed, {"duration": "5d", "percent_complete": 0}, "c")
    assert r.status_code == 200, r.text
    t = _patch(api, seed, {"remaining_duration": "7d"}, "c").json()
    assert (t["duration"], t["percent_complete"], t["status"]) == ("7d", 0.0, "not_started")
    r = _patch(api, seed, {"remaining_duration": "0d"}, "c")
    assert r.status_code == 422 and r.json()["error"]["field"] == "remaining_duration"


def test_refusals_name_the_remaining_duration_and_change_nothing(api: Any, seed: Any) -> None:
    t = _ten_days_forty_percent(api, seed)
    for body, words in (
        ({"remaining_duration": "3d", "percent_complete": 70}, "not both"),
        ({"remaining_duration": "3d", "duration": "12d"}, "not both"),
        ({"remaining_duration": "3ed"}, "working time"),
        ({"remaining_duration": "-1d"}, "negative"),
        ({"remaining_duration": "soon"}, "not a duration"),
        ({"remaining_duration": f"{rules.MAX_DAYS + 1}d"}, "at most"),
    ):
        r = _patch(api, seed, body)
        assert r.status_code == 422, (body, r.text)
        e = r.json()["error"]
        assert e["field"] in ("remaining_duration", "duration"), e
        assert words in e["message"], (body, e)
    after = _task(api, seed)
    assert (after["duration"], after["percent_complete"], after["version"]) == ("10d", 40.0, t["version"])
    # the same remaining duration sent again (a form re-sending what it showed) changes nothing else
    r = _patch(api, seed, {"remaining_duration": "6d", "percent_complete": 40})
    assert r.status_code == 200 and r.json()["duration"] == "10d"
    r = api.post(
        f"/projects/{seed.p1}/tasks",
        json={"name": "New", "work_package_id": seed.wp_a, "remaining_duration": "2d"},
        headers=seed.headers("pm"),
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "remaining_duration", r.text


def test_a_milestone_has_nothing_remaining_and_a_stale_version_is_a_conflict(api: Any, seed: Any) -> None:
    r = _patch(api, seed, {"milestone": True}, "c")
    assert r.status_code == 200 and r.json()["remaining_duration"] == "0d"
    r = _patch(api, seed, {"remaining_duration": "1d"}, "c")
    assert r.status_code == 422 and "milestone" in r.json()["error"]["message"]
    t = _ten_days_forty_percent(api, seed)
    r = api.patch(
        f"/projects/{seed.p1}/tasks/{t['id']}",
        json={"version": t["version"] - 1, "remaining_duration": "1d"},
        headers=seed.headers("pm"),
    )
    assert r.status_code == 409 and r.json()["error"]["current"]["remaining_duration"] == "6d", r.text


def test_a_worker_records_progress_but_the_remaining_duration_changes_the_plan(api: Any, seed: Any) -> None:
    """The assigned worker may set % complete of task a but not its duration, so not its remaining duration
    either (it moves the duration); the package's Task Leader may."""
    _ten_days_forty_percent(api, seed)
    assert _patch(api, seed, {"percent_complete": 50}, who="worker").status_code == 200
    r = _patch(api, seed, {"remaining_duration": "2d"}, who="worker")
    assert r.status_code == 403, r.text
    r = _patch(api, seed, {"remaining_duration": "2d"}, who="task_leader")
    assert r.status_code == 200 and r.json()["duration"] == "7d", r.text
    r = _patch(api, seed, {"remaining_duration": "2d"}, "b", who="task_leader")  # WP-B: not theirs
    assert r.status_code == 403, r.text


def test_the_task_page_shows_and_takes_the_remaining_duration(api: Any, seed: Any) -> None:
    t = _ten_days_forty_percent(api, seed)
    with signed_in(seed, "pm") as client:
        url = f"/projects/{seed.p1}/tasks/{t['id']}"
        page = client.get(url)
        assert page.status_code == 200
        assert "4d done, 6d remaining" in page.text and 'name="remaining_duration"' in page.text
        form = {
            "csrf_token": csrf_of(page.text), "version": t["version"], "name": t["name"],
            "duration": t["duration"], "constraint_type": "asap", "status": t["status"], "priority": "500",
            "percent_complete": "40", "remaining_duration": "2,5d", "actual_start": "", "actual_finish": "",
            "description": "kept text",
        }  # fmt: skip
        r = client.post(url, data=form)
        assert r.status_code == 422, r.text
        assert 'value="2,5d" aria-invalid="true"' in r.text and "kept text" in r.text
        r = client.post(url, data={**form, "remaining_duration": "2.5d"})
        assert r.status_code == 303, r.text
        saved = _task(api, seed)
        assert (saved["duration"], saved["remaining_duration"]) == ("6.5d", "2.5d")
        # the page's form re-sent unchanged (the remaining duration as shown) with a new % complete
        page = client.get(url)
        r = client.post(url, data={**form, "csrf_token": csrf_of(page.text), "version": saved["version"],
                                   "duration": "6.5d", "remaining_duration": "2.5d", "percent_complete": "50"})  # fmt: skip
        assert r.status_code == 303, r.text
        assert _task(api, seed)["remaining_duration"] == "3.25d"


def test_the_command_line_states_and_shows_the_remaining_duration(api: Any, seed: Any, cli: Any) -> None:
    t = _ten_days_forty_percent(api, seed)
    out = cli("task", "update", "P1", str(t["id"]), "--remaining", "1d").stdout
    assert "updated" in out
    assert _task(api, seed)["duration"] == "5d"
    out = cli("task", "show", "P1", str(t["id"])).stdout
    assert "5d (4d done, 1d remaining)" in out
    r = cli("task", "update", "P1", str(t["id"]), "--remaining", "2d", "--progress", "90", code=1)
    assert "not both" in r.output
