"""Recurring tasks, as MS Project's: a work package named after the task holding one task per occurrence, each
starting no earlier than its day; occurrences on non-working days move or are skipped; refusals name their
field and leave nothing behind. API, web page, command line."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.webhelpers import csrf_of, signed_in

from charter.domain import recurrence
from charter.domain.errors import ValidationError
from charter.persistence.models import JournalEntry, Task, WorkPackage


def _weekdays_only(day: dt.date) -> bool:
    return day.weekday() < 5


def _dates(last: str = "2031-12-31", **values: Any) -> recurrence.Occurrences:
    return recurrence.occurrences(recurrence.parse(values), _weekdays_only, dt.date.fromisoformat(last))


def test_weekly_on_two_days_every_second_week() -> None:
    got = _dates(pattern="weekly", every=2, weekdays=["mon", "thu"], start="2030-01-07", occurrences=5)
    assert [str(d) for d in got.dates] == [
        "2030-01-07",
        "2030-01-10",
        "2030-01-21",
        "2030-01-24",
        "2030-02-04",
    ]
    rule = recurrence.parse({"pattern": "weekly", "every": 2, "weekdays": "mon, thu", "start": "2030-01-07",
                             "occurrences": 5})  # fmt: skip
    assert rule.describe() == "every 2 weeks on Monday and Thursday, from 2030-01-07, 5 times"


def test_monthly_on_day_31_falls_on_the_last_day_of_shorter_months_and_moves_off_weekends() -> None:
    got = _dates(pattern="monthly", day_of_month=31, start="2030-01-01", end="2030-06-30")
    # Jan 31 Thu; Feb 28 Thu; Mar 31 Sun -> Apr 1 Mon; Apr 30 Tue; May 31 Fri; Jun 30 Sun -> Jul 1 Mon
    assert [str(d) for d in got.dates] == [
        "2030-01-31", "2030-02-28", "2030-04-01", "2030-04-30", "2030-05-31", "2030-07-01",
    ]  # fmt: skip
    assert [(str(a), str(b)) for a, b in got.moved] == [
        ("2030-03-31", "2030-04-01"),
        ("2030-06-30", "2030-07-01"),
    ]


def test_monthly_on_the_last_friday_and_daily_skipping_weekends() -> None:
    got = _dates(pattern="monthly", week_of_month="last", weekdays=["fri"], start="2030-01-01", occurrences=3)
    assert [str(d) for d in got.dates] == ["2030-01-25", "2030-02-22", "2030-03-29"]
    got = _dates(pattern="daily", start="2030-01-10", occurrences=4, non_working="skip")
    assert [str(d) for d in got.dates] == ["2030-01-10", "2030-01-11", "2030-01-14", "2030-01-15"]
    assert [str(d) for d in got.skipped] == ["2030-01-12", "2030-01-13"]
    # moving instead: Saturday and Sunday both land on Monday, which holds one occurrence
    got = _dates(pattern="daily", start="2030-01-11", end="2030-01-14")
    assert [str(d) for d in got.dates] == ["2030-01-11", "2030-01-14"] and len(got.skipped) == 2


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"pattern": "yearly", "start": "2030-01-01", "occurrences": 2}, "pattern"),
        ({"pattern": "daily", "occurrences": 2}, "start"),
        ({"pattern": "daily", "start": "2030-13-01", "occurrences": 2}, "start"),
        ({"pattern": "daily", "start": "2030-01-01"}, "end"),
        ({"pattern": "daily", "start": "2030-01-01", "end": "2029-12-01"}, "end"),
        ({"pattern": "daily", "start": "2030-01-01", "end": "2030-02-01", "occurrences": 3}, "end"),
        ({"pattern": "daily", "start": "2030-01-01", "occurrences": 201}, "occurrences"),
        ({"pattern": "daily", "start": "2030-01-01", "occurrences": "٣"}, "occurrences"),
        ({"pattern": "daily", "every": 0, "start": "2030-01-01", "occurrences": 2}, "every"),
        ({"pattern": "weekly", "weekdays": ["moonday"], "start": "2030-01-01", "occurrences": 2}, "weekdays"),
        ({"pattern": "daily", "weekdays": ["mon"], "start": "2030-01-01", "occurrences": 2}, "weekdays"),
        (
            {"pattern": "monthly", "week_of_month": "first", "start": "2030-01-01", "occurrences": 2},
            "weekdays",
        ),
        (
            {
                "pattern": "monthly",
                "week_of_month": "fifth",
                "weekdays": "mon",
                "start": "2030-01-01",
                "occurrences": 2,
            },
            "week_of_month",
        ),
        ({"pattern": "daily", "start": "2030-01-01", "occurrences": 2, "time": "25:00"}, "time"),
        (
            {"pattern": "daily", "start": "2030-01-01", "occurrences": 2, "non_working": "later"},
            "non_working",
        ),
    ],
)
def test_a_bad_rule_names_its_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        recurrence.parse(values)
    assert caught.value.field == field, caught.value.message


def test_too_many_occurrences_or_none_on_a_working_day_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        _dates(pattern="daily", start="2030-01-01", end="2031-01-01")
    assert caught.value.field == "end" and "200" in caught.value.message
    with pytest.raises(ValidationError) as caught:
        _dates(pattern="weekly", weekdays=["sat"], start="2030-01-01", end="2030-02-01", non_working="skip")
    assert caught.value.field == "start"
    with pytest.raises(ValidationError) as caught:
        _dates(last="2030-03-01", pattern="weekly", start="2030-01-07", occurrences=20)
    assert caught.value.field == "occurrences" and "calendar" in caught.value.message


def _counts(seed: Any) -> tuple[int, int, int]:
    with seed.db.uow(readonly=True) as s:
        return (
            s.scalar(select(func.count()).select_from(Task)) or 0,
            s.scalar(select(func.count()).select_from(WorkPackage)) or 0,
            s.scalar(select(func.count()).select_from(JournalEntry)) or 0,
        )


BODY = {"name": "Status meeting", "duration": "1h", "pattern": "weekly", "weekdays": ["mon"],
        "start": "2020-01-06", "occurrences": 4, "time": "10:00"}  # fmt: skip


def test_the_api_makes_a_package_of_occurrences_each_starting_on_its_day(api: Any, seed: Any) -> None:
    before = _counts(seed)
    r = api.post(f"/projects/{seed.p1}/recurring-tasks", json={**BODY, "work_package_id": seed.wp_a},
                 headers=seed.headers("task_leader"))  # fmt: skip
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["rule"] == "every week on Monday at 10:00, from 2020-01-06, 4 times"
    assert [t["name"] for t in out["tasks"]] == [f"Status meeting {i}" for i in range(1, 5)]
    assert all(t["work_package_id"] == out["work_package_id"] for t in out["tasks"])
    assert [t["constraint_date"][:16] for t in out["tasks"]] == [
        "2020-01-06T10:00", "2020-01-13T10:00", "2020-01-20T10:00", "2020-01-27T10:00",
    ]  # fmt: skip
    assert {t["duration"] for t in out["tasks"]} == {"1h"} and out["wbs_code"].startswith("1.")
    sched = {
        t["name"]: t
        for t in api.get(f"/projects/{seed.p1}/schedule", headers=seed.headers("pm")).json()["tasks"]
    }
    assert sched["Status meeting 2"]["start"][:16] == "2020-01-13T10:00"
    assert sched["Status meeting 2"]["wbs_code"].startswith(out["wbs_code"] + ".")
    tasks_n, wps_n, journal_n = _counts(seed)
    assert (tasks_n, wps_n) == (before[0] + 4, before[1] + 1) and journal_n >= before[2] + 5


def test_refusals_change_nothing_and_permission_follows_the_package(api: Any, seed: Any) -> None:
    before = _counts(seed)
    for who, body, status in (
        ("task_leader", {**BODY, "work_package_id": seed.wp_b}, 403),  # not their package
        ("worker", {**BODY, "work_package_id": seed.wp_a}, 403),
        ("outsider", BODY, 404),
        ("pm", {**BODY, "occurrences": 300}, 422),
        ("pm", {**BODY, "weekdays": ["someday"]}, 422),
        ("pm", {**BODY, "duration": "0h"}, 422),
        ("pm", {**BODY, "start": "2060-01-06"}, 422),
        ("pm", {**BODY, "start": "2019-12-30"}, 422),  # before the project starts
        ("pm", {**BODY, "project_id": seed.p2}, 422),  # mass assignment
    ):
        r = api.post(f"/projects/{seed.p1}/recurring-tasks", json=body, headers=seed.headers(who))
        assert r.status_code == status, (who, body, r.text)
    assert _counts(seed) == before


def test_the_schedule_page_form_adds_a_recurring_task_and_keeps_what_was_typed(seed: Any) -> None:
    with signed_in(seed, "pm") as client:
        url = f"/projects/{seed.p1}/schedule"
        page = client.get(url)
        assert 'id="add-recurring"' in page.text
        form = {"csrf_token": csrf_of(page.text), "name": "Patch window", "work_package_id": "",
                "duration": "4h", "pattern": "monthly", "every": "1", "week_of_month": "second",
                "weekday-tue": "on", "start": "2020-01-06", "end": "", "occurrences": "x3", "time": "18:00",
                "non_working": "next"}  # fmt: skip
        r = client.post(f"/projects/{seed.p1}/recurring-tasks", data=form)
        assert r.status_code == 422, r.text
        assert 'value="x3" aria-invalid="true"' in r.text and 'value="Patch window"' in r.text
        assert '<input type="checkbox" name="weekday-tue" checked>' in r.text
        r = client.post(f"/projects/{seed.p1}/recurring-tasks", data={**form, "occurrences": "3"})
        assert r.status_code == 303, r.text
        page = client.get(url).text
        assert "Patch window 3" in page
    with seed.db.uow(readonly=True) as s:
        days = sorted(
            t.constraint_date for t in s.scalars(select(Task).where(Task.name.like("Patch window %")))
        )
    assert [str(d) for d in days] == ["2020-01-14 18:00:00", "2020-02-11 18:00:00", "2020-03-10 18:00:00"]


def test_the_command_line_makes_a_recurring_task(api: Any, seed: Any, cli: Any) -> None:
    out = cli("task", "recurring", "P1", "Backup check", "--pattern", "weekly", "--on", "fri", "--from",
              "2020-01-06", "--count", "3", "--duration", "30m").stdout  # fmt: skip
    assert "Backup check" in out and "3 occurrences" in out and "every week on Friday" in out
    sched = api.get(f"/projects/{seed.p1}/schedule", headers=seed.headers("pm")).json()["tasks"]
    assert sorted(t["start"][:10] for t in sched if t["name"].startswith("Backup check ")) == [
        "2020-01-10", "2020-01-17", "2020-01-24",
    ]  # fmt: skip
    r = cli("task", "recurring", "P1", "Bad", "--pattern", "weekly", "--from", "2020-01-01", code=1)
    assert "end date or a number of occurrences" in r.output
