"""`charter task ...` and `charter wp ...`: the plan from the command line, through the same services (the
schedule recomputes, permissions hold, every problem is one line naming the field, nothing half-written)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from charter.persistence.models import JournalEntry, Task, TaskLink


def js(r: Any) -> Any:
    return json.loads(r.stdout)


def _count(seed: Any, model: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.any_backend
def test_every_command_has_help(cli: Any) -> None:
    for sub in ("list", "show", "add", "update", "move", "delete", "link", "unlink", "assign", "unassign"):
        assert "Usage" in cli("task", sub, "--help").stdout
    for sub in ("list", "add", "update"):
        assert "Usage" in cli("wp", sub, "--help").stdout


def test_list_and_show_read_the_schedule(cli: Any, seed: Any) -> None:
    rows = js(cli("task", "list", "P1", "--json"))
    assert [r["name"] for r in rows] == ["Task A", "Task C", "Task B"]  # WBS order: WP-A's tasks, then WP-B's
    b = next(r for r in rows if r["name"] == "Task B")
    a = next(r for r in rows if r["name"] == "Task A")
    assert b["start"] >= a["finish"]  # A -> B finish-to-start
    assert [r["name"] for r in js(cli("task", "list", "P1", "--wp", "WP-B", "--json"))] == ["Task B"]
    assert [r["name"] for r in js(cli("task", "list", "P1", "--search", "task c", "--json"))] == ["Task C"]
    assert [r["name"] for r in js(cli("task", "list", "P1", "--critical", "--json"))] == ["Task A", "Task B"]
    table = cli("task", "list", "P1").stdout
    assert "Task A" in table and "worker" in table.lower()

    shown = js(cli("task", "show", "P1", "Task B", "--json"))
    assert [p["task_name"] for p in shown["predecessors"]] == ["Task A"] and shown["successors"] == []
    text = cli("task", "show", "P1", str(seed.tasks["a"])).stdout
    assert "Successors" in text and "Task B" in text and "FS" in text
    # another project's task is not found from this one; a project the user cannot see is not found at all
    r = cli("task", "show", "P1", str(seed.tasks["p2"]), code=1)
    assert "not found" in r.output or "no task" in r.output
    r = cli("task", "list", "P2", code=1)
    assert "not found" in r.output.lower()


def test_a_narrow_terminal_gets_the_columns_a_plan_is_read_by(
    cli: Any, seed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 80 columns the list keeps WBS, name, start and finish dates (whole, without times), % done, float and
    critical, and says what it left out; at 120 and more it has every column."""
    from charter.cli import common

    monkeypatch.setattr(common.console, "_width", 80)
    out = cli("task", "list", "P1").stdout
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), out
    row = next(line for line in lines if "Task A" in line)
    assert re.search(r"\d{4}-\d{2}-\d{2}\s+\d{4}-\d{2}-\d{2}\s+\d+%\s+[\d.]+d\s+yes", row), row
    assert "…" not in out and ":00" not in out
    assert "Duration, times, status and assignees need 120 columns" in out
    monkeypatch.setattr(common.console, "_width", 120)
    out = cli("task", "list", "P1").stdout
    assert "status" in out and "worker" in out.lower() and "need 120 columns" not in out


def test_add_update_link_assign_and_delete(cli: Any, seed: Any) -> None:
    made = js(cli("task", "add", "P1", "Cut-over rehearsal", "--wp", "WP-B", "--duration", "2d", "--after",
                  "Task B", "--assign", "worker", "--deadline", "2031-06-30", "--json"))  # fmt: skip
    assert made["duration_days"] == 2 and made["deadline"].startswith("2031-06-30")
    assert [x["name"] for x in made["assignees"]] and made["work_package_id"] == seed.wp_b
    b = js(cli("task", "show", "P1", "Task B", "--json"))
    assert made["start"] >= b["finish"]
    code = made["wbs_code"]

    upd = js(cli("task", "update", "P1", code, "--duration", "4d", "--progress", "25", "--json"))
    assert upd["duration_days"] == 4 and upd["percent_complete"] == 25 and upd["version"] > made["version"]
    # a stale version is refused with the current state's version named; nothing changes
    r = cli("task", "update", "P1", code, "--name", "Rehearsal", "--version", str(made["version"]), code=1)
    assert "version" in r.output
    assert js(cli("task", "show", "P1", code, "--json"))["name"] == "Cut-over rehearsal"

    cli("task", "link", "P1", "Task C", code, "--type", "SS", "--lag", "1d")
    links = js(cli("task", "show", "P1", code, "--json"))["predecessors"]
    assert sorted((x["task_name"], x["type"], x["lag_text"]) for x in links) == [
        ("Task B", "FS", "+0d"),
        ("Task C", "SS", "+1d"),
    ]
    # a cycle is refused and named
    r = cli("task", "link", "P1", code, "Task A", code=1)
    assert "cycle" in r.output
    cli("task", "unlink", "P1", "Task C", code)
    assert [x["task_name"] for x in js(cli("task", "show", "P1", code, "--json"))["predecessors"]] == [
        "Task B"
    ]
    r = cli("task", "unlink", "P1", "Task C", code, code=1)
    assert "no link" in r.output

    # --replace names nobody: every person comes off (assign alone adds; unassign takes off by name)
    assert js(cli("task", "assign", "P1", code, "--replace", "--json"))["assignees"] == []
    tasks_before, links_before = _count(seed, Task), _count(seed, TaskLink)
    cli("task", "delete", "P1", code)
    assert _count(seed, Task) == tasks_before - 1 and _count(seed, TaskLink) == links_before - 1
    with seed.db.uow(readonly=True) as s:
        acts = list(s.scalars(select(JournalEntry.action).where(JournalEntry.entity_type == "task",
                                                                JournalEntry.entity_id == str(made["id"]))
                                .order_by(JournalEntry.id)))  # fmt: skip
    assert acts[0] == "create" and acts[-1] == "delete"


def test_add_is_all_or_nothing_and_errors_name_the_field(cli: Any, seed: Any) -> None:
    before = _count(seed, Task)
    r = cli("task", "add", "P1", "Half", "--duration", "2d", "--after", "No such task", code=1)
    assert "no task" in r.output and "task" in r.output
    r = cli("task", "add", "P1", "Half", "--duration", "two days", code=1)
    assert "duration" in r.output
    r = cli("task", "add", "P1", "Half", "--constraint", "snet", "--constraint-date", "soon", code=1)
    assert "constraint_date" in r.output
    r = cli("task", "update", "P1", "Task A", "--progress", "120", code=1)
    assert "percent_complete" in r.output
    r = cli("task", "update", "P1", "Task A", "--progress", "lots", code=1)
    assert "percent_complete" in r.output and "number from 0 to 100" in r.output
    r = cli("task", "update", "P1", "Task A", code=1)
    assert "nothing to change" in r.output
    assert _count(seed, Task) == before


def test_permissions_hold(cli: Any, seed: Any) -> None:
    # a Task Leader adds in their own package, not in another's
    cli("task", "add", "P1", "Leader's task", "--wp", "WP-A", who="task-leader")
    r = cli("task", "add", "P1", "Not mine", "--wp", "WP-B", who="task-leader", code=1)
    assert "do not allow task.edit" in r.output
    # a worker records progress on their own task but does not rename it
    cli("task", "update", "P1", "Task A", "--progress", "50", who="worker")
    # with a decimal comma, as the task page and the timesheet take it
    cli("task", "update", "P1", "Task A", "--progress", "62,5", who="worker")
    assert js(cli("task", "show", "P1", "Task A", "--json"))["percent_complete"] == 62.5
    r = cli("task", "update", "P1", "Task A", "--name", "Mine now", who="worker", code=1)
    assert "do not allow" in r.output
    assert js(cli("task", "show", "P1", "Task A", "--json"))["name"] == "Task A"
    # an outsider does not see the project
    r = cli("task", "list", "P1", who="outsider", code=1)
    assert "not found" in r.output.lower()


def test_work_packages(cli: Any, seed: Any) -> None:
    rows = js(cli("wp", "list", "P1", "--json"))
    assert [w["name"] for w in rows] == ["WP-A", "WP-A.1", "WP-B"]
    assert rows[0]["leader"]
    made = js(cli("wp", "add", "P1", "Data migration", "--parent", "WP-B", "--json"))
    assert made["wbs_code"].startswith(rows[2]["wbs_code"] + ".")
    moved = js(cli("wp", "update", "P1", made["wbs_code"], "--name", "Data", "--parent", "", "--json"))
    assert moved["name"] == "Data" and moved["parent_id"] is None and "." not in moved["wbs_code"]
    r = cli("wp", "update", "P1", "WP-A", "--parent", "WP-A.1", code=1)
    assert "under itself" in r.output
    r = cli("wp", "add", "P1", "Mine", "--parent", "WP-B", who="task-leader", code=1)
    assert "Traceback" not in r.output
    assert "Data" in cli("wp", "list", "P1").stdout


def test_a_sub_package_shows_the_task_leader_it_inherits(cli: Any, seed: Any, api: Any, as_: Any) -> None:
    """WP-A.1 has no Task Leader of its own: WP-A's leads it (their rights reach the sub-packages), and every
    list says so, naming the package the leader holds; a package with no leader above it has none."""
    rows = {w["name"]: w for w in js(cli("wp", "list", "P1", "--json"))}
    lead = rows["WP-A"]["leader"]
    assert lead and rows["WP-A"]["leader_via"] is None
    assert rows["WP-A.1"]["leader"] == lead and rows["WP-A.1"]["leader_via"] == rows["WP-A"]["wbs_code"]
    made = js(cli("wp", "add", "P1", "Orphan", "--json"))
    sub = js(cli("wp", "add", "P1", "Orphan child", "--parent", made["wbs_code"], "--json"))
    rows = {w["name"]: w for w in js(cli("wp", "list", "P1", "--json"))}
    assert rows["Orphan child"]["leader"] is None and rows["Orphan child"]["leader_via"] is None
    assert f"(from {rows['WP-A']['wbs_code']})" in cli("wp", "list", "P1").stdout
    api_rows = {w["name"]: w for w in api.get(f"/projects/{seed.p1}/work-packages", headers=as_("pm")).json()}
    assert (
        api_rows["WP-A.1"]["leader_via"] == rows["WP-A"]["wbs_code"]
        and sub["id"] == api_rows["Orphan child"]["id"]
    )


def test_move_is_the_board_move(cli: Any, seed: Any) -> None:
    """`task move` runs the board's service: the worker starts their own task (actual start = scheduled start),
    puts it on hold and completes it; an observer may not; a task with progress cannot go back to not started."""
    before = _count(seed, JournalEntry)
    r = cli("task", "move", "P1", "Task A", "completed", who="observer", code=1)
    assert "not allow" in r.output and _count(seed, JournalEntry) == before
    a = js(cli("task", "show", "P1", "Task A", "--json"))
    moved = js(cli("task", "move", "P1", "Task A", "in_progress", "--json", who="worker"))
    assert (moved["status"], moved["actual_start"]) == ("in_progress", a["start"])
    assert js(cli("task", "move", "P1", "Task A", "on_hold", "--json", who="worker"))["status"] == "on_hold"
    r = cli("task", "move", "P1", "Task A", "not_started", who="worker", code=1)
    assert "cannot be not started: it has an actual start recorded" in r.output
    done = js(cli("task", "move", "P1", "Task A", "completed", "--json", who="worker"))
    assert (done["status"], done["percent_complete"], done["actual_finish"]) == (
        "completed",
        100,
        a["finish"],
    )
    r = cli("task", "move", "P1", "Task A", "in_progress", "--version", "1", who="worker", code=1)
    assert "changed by someone else" in r.output


def test_update_of_the_status_alone_is_a_move(cli: Any, seed: Any) -> None:
    """`task update --status` without --progress or actuals means what `task move` means; naming them sets
    them as given."""
    c = js(cli("task", "show", "P1", "Task C", "--json"))
    done = js(cli("task", "update", "P1", "Task C", "--status", "completed", "--json", who="task-leader"))
    assert (done["status"], done["percent_complete"]) == ("completed", 100)
    assert (done["actual_start"], done["actual_finish"]) == (c["start"], c["finish"])
    r = cli("task", "update", "P1", "Task C", "--status", "not_started", who="task-leader", code=1)
    assert "is complete: to reopen it, lower its percent complete" in r.output
    given = js(cli("task", "update", "P1", "Task A", "--status", "in_progress", "--actual-start",
                   "2020-01-07T14:00", "--json", who="worker"))  # fmt: skip
    assert (given["status"], given["percent_complete"]) == ("in_progress", 0)
    assert given["actual_start"] == "2020-01-07T14:00:00"
