"""`charter calendar ...`: a project's working calendars from the command line. A change reschedules the
project in the same transaction; permissions hold; every problem is one line naming the field, exit 1,
nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from charter.persistence.models import Calendar, CalendarExceptionRow, JournalEntry


def js(r: Any) -> Any:
    return json.loads(r.stdout)


def _count(seed: Any, model: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _one_line(r: Any) -> str:
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1, r.output
    assert lines[0].startswith("error: ")
    return lines[0]


def _finish(cli: Any, task: str) -> str:
    return str(js(cli("task", "show", "P1", task, "--json"))["finish"])


@pytest.mark.any_backend
def test_every_command_has_help(cli: Any) -> None:
    for sub in ("list", "show", "create", "update"):
        assert "Usage" in cli("calendar", sub, "--help").stdout
    for sub in ("add", "remove"):
        assert "Usage" in cli("calendar", "exception", sub, "--help").stdout
    assert "--hours" in cli("calendar", "create", "--help").stdout
    assert "--from" in cli("calendar", "exception", "add", "--help").stdout


def test_list_show_create_and_update(cli: Any, seed: Any) -> None:
    (std,) = js(cli("calendar", "list", "P1", "--json", who="worker"))
    assert std["name"] == "Standard" and std["is_project_default"] and std["minutes_per_day"] == 480
    assert "mon, tue, wed, thu, fri" in cli("calendar", "list", "P1").stdout

    c = js(cli("calendar", "create", "P1", "24x7 cut-over", "--weekdays", "mon-sun", "--hours", "00:00-24:00",
               "--json"))  # fmt: skip
    assert (
        c["weekdays"] == [0, 1, 2, 3, 4, 5, 6] and c["shifts"] == [[0, 1440]] and not c["is_project_default"]
    )
    de = js(cli("calendar", "create", "P1", "Munich", "--weekdays", "0,1,2,3", "--shifts", "8:00-12:00,12:30-16:30",
                "--country", "de", "--subdiv", "BY", "--json"))  # fmt: skip
    assert de["weekdays"] == [0, 1, 2, 3] and de["shifts"] == [[480, 720], [750, 990]]
    assert (de["country"], de["subdiv"]) == ("DE", "BY")
    assert js(cli("calendar", "show", "P1", "Munich", "--json"))["id"] == de["id"]
    assert js(cli("calendar", "show", "P1", str(c["id"]), "--json"))["name"] == "24x7 cut-over"
    assert "08:00-12:00, 12:30-16:30" in cli("calendar", "show", "P1", "Munich").stdout
    assert len(js(cli("calendar", "list", "P1", "--json"))) == 3

    up = js(cli("calendar", "update", "P1", "Munich", "--name", "Munich office", "--country", "", "--subdiv", "",
                "--json"))  # fmt: skip
    assert up["name"] == "Munich office" and up["country"] is None and up["version"] == de["version"] + 1
    assert up["weekdays"] == [0, 1, 2, 3]  # unchanged
    line = _one_line(cli("calendar", "update", "P1", "Munich office", "--weekdays", "mon-fri", "--version",
                         str(de["version"]), code=1))  # fmt: skip
    assert f"you had version {de['version']}" in line
    assert js(cli("calendar", "show", "P1", "Munich office", "--json"))["weekdays"] == [0, 1, 2, 3]
    with seed.db.uow(readonly=True) as s:
        acts = list(s.scalars(select(JournalEntry.action).where(JournalEntry.entity_type == "calendar",
                                                                JournalEntry.entity_id == str(de["id"]))
                              .order_by(JournalEntry.id)))  # fmt: skip
    assert acts == ["create", "update"]


def test_exceptions_and_hours_reschedule_the_project(cli: Any, seed: Any) -> None:
    # Task A works Mon 6 .. Wed 8 January 2020; Task B follows it
    assert _finish(cli, "Task A") == "2020-01-08T18:00:00"
    b_before = _finish(cli, "Task B")
    cal = js(cli("calendar", "exception", "add", "P1", "Standard", "--from", "2020-01-07",
                 "--name", "Orthodox Christmas", "--json"))  # fmt: skip
    (exc,) = cal["exceptions"]
    assert exc["day"] == "2020-01-07" and exc["name"] == "Orthodox Christmas" and not exc["working"]
    assert _finish(cli, "Task A") == "2020-01-09T18:00:00"
    assert _finish(cli, "Task B") > b_before
    assert "Orthodox Christmas" in cli("calendar", "show", "P1", "Standard").stdout

    cli("calendar", "exception", "remove", "P1", "Standard", str(exc["id"]))
    assert _finish(cli, "Task A") == "2020-01-08T18:00:00"
    assert _finish(cli, "Task B") == b_before
    with seed.db.uow(readonly=True) as s:
        acts = list(s.scalars(select(JournalEntry.action).where(JournalEntry.entity_type == "calendar_exception",
                                                                JournalEntry.entity_id == str(exc["id"]))
                              .order_by(JournalEntry.id)))  # fmt: skip
    assert acts == ["create", "delete"]

    # a range: one exception a day, and removal by day
    cal = js(cli("calendar", "exception", "add", "P1", "Standard", "--from", "2020-01-07", "--to", "2020-01-08",
                 "--name", "Shutdown", "--json"))  # fmt: skip
    assert [e["day"] for e in cal["exceptions"]] == ["2020-01-07", "2020-01-08"]
    assert _finish(cli, "Task A") == "2020-01-10T18:00:00"
    cli("calendar", "exception", "remove", "P1", "Standard", "2020-01-08")
    assert _finish(cli, "Task A") == "2020-01-09T18:00:00"
    # half days, and a Saturday made working: 3 x 8h of work in 4h days, the 7th off, the 11th working
    cli("calendar", "exception", "add", "P1", "1", "--from", "2020-01-11", "--working", "--to", "2020-01-11")
    cal = js(cli("calendar", "update", "P1", "Standard", "--hours", "09:00-13:00", "--json"))
    assert cal["minutes_per_day"] == 240
    # Mon 6, Wed 8, Thu 9, Fri 10, Sat 11 and the morning of Mon 13 (without the Saturday: Tue 14)
    assert _finish(cli, "Task A") == "2020-01-13T13:00:00"


def test_only_the_project_manager_changes_calendars(cli: Any, seed: Any) -> None:
    cals, excs, journal = (
        _count(seed, Calendar),
        _count(seed, CalendarExceptionRow),
        _count(seed, JournalEntry),
    )
    # a Task Leader edits tasks in their own package only, not the project's calendars
    line = _one_line(cli("calendar", "create", "P1", "Mine", who="task-leader", code=1))
    assert "do not allow task.edit" in line
    line = _one_line(cli("calendar", "exception", "add", "P1", "Standard", "--from", "2020-01-07", who="worker",
                         code=1))  # fmt: skip
    assert "do not allow task.edit" in line
    assert "not found" in _one_line(cli("calendar", "list", "P1", who="outsider", code=1))
    assert "do not allow" in _one_line(cli("calendar", "update", "P1", "Standard", "--hours", "9-17", who="worker",
                                           code=1))  # fmt: skip
    # a refused working period is named with its hours and what is wrong with it
    line = _one_line(cli("calendar", "create", "P1", "Odd", "--hours", "09:00-13:00,12:00-18:00", code=1))
    assert "working period 2 (12:00-18:00) starts before the period before it ends (13:00)" in line, line
    line = _one_line(cli("calendar", "create", "P1", "Odd", "--hours", "13:00-09:00", code=1))
    assert "working period 1 (13:00-09:00) ends before it starts" in line, line
    assert (_count(seed, Calendar), _count(seed, CalendarExceptionRow), _count(seed, JournalEntry)) == (
        cals, excs, journal)  # fmt: skip


def test_bad_input_is_one_line_naming_the_field_and_writes_nothing(cli: Any, seed: Any) -> None:
    cli("calendar", "exception", "add", "P1", "Standard", "--from", "2020-01-09")
    cals, excs, journal = (
        _count(seed, Calendar),
        _count(seed, CalendarExceptionRow),
        _count(seed, JournalEntry),
    )
    a_finish = _finish(cli, "Task A")
    cases = [
        (("exception", "add", "P1", "Standard", "--from", "xmas"), "from"),
        (("exception", "add", "P1", "Standard", "--from", "2020-01-07", "--to", "2020-01-06"), "to"),
        (("exception", "add", "P1", "Standard", "--from", "2019-12-01", "--to", "2021-01-01"), "to"),
        # all or nothing: the 9th has an exception already, so the 7th and 8th are not added either
        (("exception", "add", "P1", "Standard", "--from", "2020-01-07", "--to", "2020-01-09"), "day"),
        (
            ("exception", "add", "P1", "Standard", "--from", "2050-01-01"),
            "day",
        ),  # outside the calendar's range
        (("exception", "add", "P1", "Nope", "--from", "2020-01-07"), "calendar"),
        (("exception", "add", "P1", "Standard", "--from", "2020-01-07", "--name", "x" * 121), "name"),
        (("exception", "remove", "P1", "Standard", "999999"), "exception_id"),
        (("exception", "remove", "P1", "Standard", "2020-01-10"), "exception_id"),
        (("exception", "remove", "P1", "Standard", "tomorrow"), "exception_id"),
        (("show", "P1", "Nope"), "calendar"),
        (("show", "P1", "999999"), "calendar"),
        (("create", "P1", "Odd", "--weekdays", "funday"), "weekdays"),
        (("create", "P1", "Odd", "--weekdays", "fri-mon"), "weekdays"),
        (("create", "P1", "Odd", "--hours", "09:00-13:00,12:00-18:00"), "shifts"),  # overlapping
        (("create", "P1", "Odd", "--hours", "nine to five"), "shifts"),
        (("create", "P1", "Odd", "--hours", "09:00-25:00"), "shifts"),
        (("create", "P1", "Odd", "--country", "XX"), "country"),
        (("create", "P1", "Odd", "--country", "DE", "--subdiv", "ZZ"), "subdiv"),
        (("create", "P1", " "), "name"),
        (("update", "P1", "Standard"), "calendar"),  # nothing to change
        (("update", "P1", "Standard", "--weekdays", "8"), "weekdays"),
    ]
    for args, field in cases:
        line = _one_line(cli("calendar", *args, code=1))
        assert f"(field: {field})" in line, (args, line)
    # a refused working period is named with its hours and what is wrong with it
    line = _one_line(cli("calendar", "create", "P1", "Odd", "--hours", "09:00-13:00,12:00-18:00", code=1))
    assert "working period 2 (12:00-18:00) starts before the period before it ends (13:00)" in line, line
    line = _one_line(cli("calendar", "create", "P1", "Odd", "--hours", "13:00-09:00", code=1))
    assert "working period 1 (13:00-09:00) ends before it starts" in line, line
    assert (_count(seed, Calendar), _count(seed, CalendarExceptionRow), _count(seed, JournalEntry)) == (
        cals, excs, journal)  # fmt: skip
    assert _finish(cli, "Task A") == a_finish
