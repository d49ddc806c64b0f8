"""`charter field ...` and `charter task add|update --field NAME=VALUE`: custom fields from the command line,
through the same services (the PM defines, task editors set values, archived fields keep them); a problem is
one line naming the field, exit 1, nothing written."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from charter.persistence.models import CustomField


def js(r: Any) -> Any:
    return json.loads(r.stdout)


def _one_line(r: Any) -> str:
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1, r.output
    assert lines[0].startswith("error: ")
    return lines[0]


def test_define_set_show_archive_restore(cli: Any, seed: Any) -> None:
    for sub in ("list", "add", "update", "archive", "restore"):
        assert "Usage" in cli("field", sub, "--help").stdout
    assert "--field" in cli("task", "update", "--help").stdout
    assert "No custom fields" in cli("field", "list", "P1").stdout
    r = cli("field", "add", "P1", "Component", "--kind", "choice", "--choices", "Backend, Frontend")
    assert "added: Component (choice)" in r.stdout
    cli("field", "add", "P1", "Story points", "--kind", "number")
    listed = js(cli("field", "list", "P1", "--json"))
    assert [(f["name"], f["kind"], f["choices"]) for f in listed] == [
        ("Component", "choice", ["Backend", "Frontend"]),
        ("Story points", "number", []),
    ]
    # the task leader sets values on a task of their package
    r = cli("task", "update", "P1", "Task A", "--field", "component=frontend", "--field", "Story points=8",
            who="task-leader")  # fmt: skip
    assert "updated" in r.stdout
    t = js(cli("task", "show", "P1", "Task A", "--json"))
    assert t["custom_fields"] == {"Component": "Frontend", "Story points": 8}
    shown = cli("task", "show", "P1", "Task A").stdout
    assert "Component: Frontend" in shown and "Story points: 8" in shown
    # a new task with values
    added = js(cli("task", "add", "P1", "Spike", "--wp", "1", "--field", "Component=Backend", "--json"))
    assert added["custom_fields"]["Component"] == "Backend"
    # "Name=" clears
    cli("task", "update", "P1", "Task A", "--field", "Story points=")
    assert js(cli("task", "show", "P1", "Task A", "--json"))["custom_fields"]["Story points"] is None
    # rename, archive (hidden, kept), restore
    cli("field", "update", "P1", "Component", "--name", "Area", "--choices", "Backend,Frontend,Data")
    r = cli("field", "archive", "P1", "Area")
    assert "archived: Area" in r.stdout
    assert "Area" not in js(cli("task", "show", "P1", "Task A", "--json"))["custom_fields"]
    assert [f["name"] for f in js(cli("field", "list", "P1", "--archived", "--json"))][-1] == "Area"
    cli("field", "restore", "P1", "Area")
    assert js(cli("task", "show", "P1", "Task A", "--json"))["custom_fields"]["Area"] == "Frontend"


def test_problems_are_one_line_and_write_nothing(cli: Any, seed: Any) -> None:
    cli("field", "add", "P1", "Component", "--kind", "choice", "--choices", "Backend,Frontend")
    with seed.db.uow(readonly=True) as s:
        before = s.scalar(select(func.count()).select_from(CustomField))
    assert "component" in _one_line(cli("field", "add", "P1", "component", code=1)).lower()
    assert "kind" in _one_line(cli("field", "add", "P1", "Tier", "--kind", "money", code=1))
    assert "needs at least one choice" in _one_line(
        cli("field", "add", "P1", "Tier", "--kind", "choice", code=1)
    )
    assert "403" not in _one_line(cli("field", "add", "P1", "Tier", who="task-leader", code=1))
    assert "no custom field 'Nope'" in _one_line(cli("field", "archive", "P1", "Nope", code=1))
    assert "NAME=VALUE" in _one_line(cli("task", "update", "P1", "Task A", "--field", "Backend", code=1))
    line = _one_line(cli("task", "update", "P1", "Task A", "--field", "Component=Database", code=1))
    assert "custom_fields.Component" in line and "not one of: Backend, Frontend" in line
    # the worker assigned to Task A records progress only
    _one_line(cli("task", "update", "P1", "Task A", "--field", "Component=Backend", who="worker", code=1))
    cli("task", "update", "P1", "Task A", "--field", "Component=Backend")
    line = _one_line(cli("field", "update", "P1", "Component", "--choices", "Frontend", code=1))
    assert "still have 'Backend'" in line
    assert "nothing to change" in _one_line(cli("field", "update", "P1", "Component", code=1))
    with seed.db.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(CustomField)) == before
        assert s.scalars(select(CustomField)).one().choices == ["Backend", "Frontend"]


def test_task_list_filters_by_field(cli: Any, seed: Any) -> None:
    cli("field", "add", "P1", "Component", "--kind", "choice", "--choices", "Backend,Frontend")
    cli("task", "update", "P1", "Task A", "--field", "Component=Backend")
    rows = js(cli("task", "list", "P1", "--field", "component=BACKEND", "--json"))
    assert [t["name"] for t in rows] == ["Task A"]
    rows = js(cli("task", "list", "P1", "--field", "Component=", "--json"))
    assert [t["name"] for t in rows] == ["Task C", "Task B"]
    assert "No tasks match" in cli("task", "list", "P1", "--field", "Component=Frontend").stdout
    assert "not one of" in _one_line(cli("task", "list", "P1", "--field", "Component=Data", code=1))


def test_task_list_sorts_by_field(cli: Any, seed: Any) -> None:
    cli("field", "add", "P1", "Story points", "--kind", "number")
    cli("task", "update", "P1", "Task A", "--field", "Story points=8")
    cli("task", "update", "P1", "Task B", "--field", "Story points=3")
    rows = js(cli("task", "list", "P1", "--sort", "field:Story points", "--json"))
    assert [t["name"] for t in rows] == ["Task B", "Task A", "Task C"]
    assert "no custom field named 'Nope'" in _one_line(
        cli("task", "list", "P1", "--sort", "field:Nope", code=1)
    )


def test_required_and_default_from_the_command_line(cli: Any, seed: Any) -> None:
    r = cli("field", "add", "P1", "Customer", "--required")
    assert "added: Customer (text)" in r.stdout
    cli("field", "add", "P1", "Tier", "--kind", "choice", "--choices", "Gold,Silver", "--default", "gold")
    table = cli("field", "list", "P1").stdout
    assert "required" in table and "Gold" in table
    assert "a flag is always yes or no" in _one_line(cli("field", "add", "P1", "Urgent", "--kind", "flag",
                                                         "--required", code=1))  # fmt: skip
    r = cli("task", "add", "P1", "Call the customer", code=1)
    assert "custom_fields.Customer" in _one_line(r) and "a value is required" in _one_line(r)
    made = js(cli("task", "add", "P1", "Call the customer", "--field", "Customer=ACME", "--json"))
    assert made["custom_fields"] == {"Customer": "ACME", "Tier": "Gold"}
    cli("field", "update", "P1", "Customer", "--optional")
    cli("field", "update", "P1", "Tier", "--default", "")
    listed = {f["name"]: f for f in js(cli("field", "list", "P1", "--json"))}
    assert listed["Customer"]["required"] is False and listed["Tier"]["default"] is None
    assert js(cli("task", "add", "P1", "Free", "--json"))["custom_fields"] == {"Customer": None, "Tier": None}
