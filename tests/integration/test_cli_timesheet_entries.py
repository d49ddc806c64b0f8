"""`charter timesheet entries|edit|delete`: a person's own entries by id, changed or removed from the command
line as on the Time page and through the API (journaled; stale, approved or locked entries refused)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from charter.persistence.models import JournalEntry, TimesheetEntry


def _log(cli: Any, day: str, hours: str = "2h") -> dict[str, Any]:
    out = cli(
        "timesheet", "log", "P1", "Task A", hours, "--day", day, "--note", "ETL", "--json", who="worker"
    )
    return dict(json.loads(out.stdout))


def _stored(seed: Any, entry_id: int) -> TimesheetEntry | None:
    with seed.db.uow(readonly=True) as s:
        e = s.get(TimesheetEntry, entry_id)
        if e is not None:
            s.expunge(e)
        return e


def _journal(seed: Any, entry_id: int) -> list[tuple[str, int | None]]:
    with seed.db.uow(readonly=True) as s:
        q = select(JournalEntry.action, JournalEntry.actor_id).where(
            JournalEntry.entity_type == "timesheet_entry", JournalEntry.entity_id == str(entry_id)
        )
        return [(a, u) for a, u in s.execute(q.order_by(JournalEntry.id))]


def test_list_edit_and_delete_own_entries(seed: Any, cli: Any, frozen_clock: Any) -> None:
    first, second = _log(cli, "2020-01-07"), _log(cli, "2020-01-08", "1h")
    rows = json.loads(cli("timesheet", "entries", "--week", "2020-W02", "--json", who="worker").stdout)
    assert [(r["id"], r["project_key"], r["minutes"], r["version"]) for r in rows] == [
        (first["id"], "P1", 120, first["version"]), (second["id"], "P1", 60, second["version"])]  # fmt: skip
    table = cli("timesheet", "entries", "--week", "2020-W02", who="worker").stdout
    assert str(first["id"]) in table and "Task A" in table and "draft" in table

    out = cli("timesheet", "edit", str(first["id"]), "--hours", "3h", "--note", "ETL and tests", "--overtime",
              who="worker").stdout  # fmt: skip
    assert f"Entry {first['id']}" in out and "3 h" in out
    e = _stored(seed, first["id"])
    assert e is not None and (e.minutes, e.note, e.overtime, e.status) == (
        180,
        "ETL and tests",
        True,
        "draft",
    )
    assert e.version == first["version"] + 1

    stale = cli("timesheet", "edit", str(first["id"]), "--hours", "4h", "--version", str(first["version"]),
                who="worker", code=1)  # fmt: skip
    assert "field: version" in stale.stderr
    assert _stored(seed, first["id"]).minutes == 180  # type: ignore[union-attr]

    assert (
        f"Deleted entry {second['id']}" in cli("timesheet", "delete", str(second["id"]), who="worker").stdout
    )
    assert _stored(seed, second["id"]) is None
    worker = seed.users["worker"]
    assert _journal(seed, first["id"]) == [("create", worker), ("update", worker)]
    assert _journal(seed, second["id"]) == [("create", worker), ("delete", worker)]
    assert "No hours logged" in cli("timesheet", "entries", "--week", "2020-W05", who="worker").stdout


def test_someone_elses_entry_is_not_found_and_nothing_changes(seed: Any, cli: Any, frozen_clock: Any) -> None:
    entry = _log(cli, "2020-01-07")
    for who in ("pm", "task-leader", "outsider"):
        r = cli("timesheet", "edit", str(entry["id"]), "--hours", "1h", who=who, code=1)
        assert "not found" in r.stderr and "field: entry_id" in r.stderr, who
        assert "not found" in cli("timesheet", "delete", str(entry["id"]), who=who, code=1).stderr
    e = _stored(seed, entry["id"])
    assert e is not None and e.minutes == 120 and e.version == entry["version"]
    assert (
        "field: entry_id" in cli("timesheet", "edit", "999999", "--hours", "1h", who="worker", code=1).stderr
    )


def test_bad_values_approved_and_locked_entries_are_refused(seed: Any, cli: Any, frozen_clock: Any) -> None:
    entry = _log(cli, "2020-01-07")
    assert (
        "field: hours" in cli("timesheet", "edit", str(entry["id"]), who="worker", code=1).stderr
    )  # nothing
    assert "field: hours" in cli("timesheet", "edit", str(entry["id"]), "--hours", "lots", who="worker",
                                 code=1).stderr  # fmt: skip
    assert "field: hours" in cli("timesheet", "edit", str(entry["id"]), "--hours", "30h", who="worker",
                                 code=1).stderr  # fmt: skip
    cli("timesheet", "submit", "--week", "2020-W02", who="worker")
    cli("timesheet", "approve", str(entry["id"]), who="task-leader")
    approved = cli("timesheet", "edit", str(entry["id"]), "--note", "x", who="worker", code=1)
    assert "approved" in approved.stderr and "field: status" in approved.stderr
    other = _log(cli, "2020-01-08")
    cli("timesheet", "lock", "P1", "--until", "2020-01-08", who="pm")
    locked = cli("timesheet", "delete", str(other["id"]), who="worker", code=1)
    assert "locked until 2020-01-08" in locked.stderr
    assert _stored(seed, other["id"]) is not None and _stored(seed, entry["id"]).note == "ETL"  # type: ignore[union-attr]


@pytest.mark.any_backend
def test_help(cli: Any) -> None:
    for sub, option in (("entries", "--week"), ("edit", "--overtime"), ("delete", "--version")):
        assert option in cli("timesheet", sub, "--help").stdout, sub
