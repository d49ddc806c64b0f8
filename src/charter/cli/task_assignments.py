"""`charter task assign|assignments|assignment-update|unassign`: the resources working on a task (people,
equipment, environments, licences, materials) with their units and work, as MS Project's Assign Resources
dialog, over services.assignments (what the task page's Assignments section and the API's …/assignments
do)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from charter.cli.common import JsonFlag, console, print_result, print_rows, run_in_project
from charter.domain.errors import ValidationError
from charter.services import assignments, tasks
from charter.services.timesheets import find_task_id

Project = Annotated[str, typer.Argument(help="Project key or id.")]
TaskRef = Annotated[str, typer.Argument(help="Task id, WBS code (e.g. 1.2.3) or exact name.")]
Units = Annotated[
    str | None,
    typer.Option("--units", metavar="PERCENT", help="Units as a percentage: 100 = full time, 50 = half."),
]
Work = Annotated[
    str | None,
    typer.Option(
        "--work", metavar="HOURS", help="Work in hours (16), or as 2d / 90m; default: duration x units."
    ),
]
Remaining = Annotated[
    str | None,
    typer.Option(
        "--remaining",
        metavar="HOURS",
        help="Remaining work in hours (6), or as 1d / 90m: the work becomes the hours logged + this "
        "(MS Project's Remaining Work). Not with a changed --work.",
    ),
]
COLUMNS = ("id", "resource", "kind", "units", "work", "actual", "remaining", "version")


def _hours(minutes: int) -> str:
    return f"{round(minutes / 60, 2):g}h"


def _cells(a: dict[str, Any]) -> tuple[str, ...]:
    return (
        str(a["assignment_id"]),
        escape(a["name"]),
        a["kind"],
        f"{round(a['units'] * 100, 2):g}%",
        _hours(a["work_minutes"]),
        _hours(a["actual_work_minutes"]),
        _hours(a["remaining_work_minutes"]),
        str(a["version"]),
    )


def _summary(rows: list[dict[str, Any]]) -> str:
    return ", ".join(f"{escape(a['name'])} {round(a['units'] * 100, 2):g}%" for a in rows) or "nobody"


def assign_cmd(
    project: Project,
    task: TaskRef,
    who: Annotated[
        list[str] | None,
        typer.Argument(
            help="Usernames or resources' names (equipment, licences ...); quote names with spaces."
        ),
    ] = None,
    units: Units = None,
    work: Work = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Also take off the people not named (other resources stay).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Assign resources to the task: each one named is added (full time unless --units), or, when it is on the
    task already, its units and work change to those given. Adding a resource to an effort-driven task shares
    its work (the duration shortens), as in MS Project. `--replace` with no names takes every person off."""
    share = assignments.units_from_percent(units)
    hours = assignments.work_from_text(work)

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        tid = find_task_id(s, a, pid, task)
        assignments.assign_named(s, a, pid, tid, who or [], units=share, work=hours, replace_people=replace)
        return tasks.get_task(s, a, pid, tid)

    t = run_in_project(project, go)  # as JSON: the task, its assignments under "assignees"
    print_result(t, as_json, f"Task {t['wbs_code']}: {_summary(t['assignees'])} assigned.")


def assignments_cmd(project: Project, task: TaskRef, as_json: JsonFlag = False) -> None:
    """The task's assignments with their ids and versions (for assignment-update): resource, kind, units, work."""

    def go(s: Any, a: Any, pid: int) -> list[dict[str, Any]]:
        return assignments.list_assignments(s, a, pid, find_task_id(s, a, pid, task))

    rows = run_in_project(project, go)
    print_rows(rows, COLUMNS, _cells, as_json=as_json, empty="Nobody and nothing is assigned.")


def assignment_update_cmd(
    project: Project,
    task: TaskRef,
    assignment_id: Annotated[
        int, typer.Argument(help="The assignment's id (`charter task assignments` lists them).")
    ],
    units: Units = None,
    work: Work = None,
    remaining: Remaining = None,
    version: Annotated[
        int | None, typer.Option(help="The version you read (default: the current one).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change an assignment's units, work or remaining work (the other follows the task type: fixed units,
    duration or work); the remaining work makes the work the hours logged on the task + it."""
    share = assignments.units_from_percent(units)
    hours = assignments.work_from_text(work)
    if remaining is not None and not remaining.strip():
        raise ValidationError("give the remaining work, e.g. 6 (hours) or 1d", field="remaining_work")
    left = assignments.work_from_text(remaining)
    if share is None and hours is None and left is None:
        raise ValidationError("nothing to change: give --units, --work or --remaining", field="units")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        tid = find_task_id(s, a, pid, task)
        current = version
        if current is None:
            now = [
                x for x in assignments.list_assignments(s, a, pid, tid) if x["assignment_id"] == assignment_id
            ]
            current = now[0]["version"] if now else 0  # none: the service says it is not on this task
        rows = assignments.update_assignment(
            s, a, pid, tid, assignment_id, current, units=share, work=hours, remaining_work=left
        )
        return next(x for x in rows if x["assignment_id"] == assignment_id)

    row = run_in_project(project, go)
    print_result(
        row,
        as_json,
        f"Assignment {row['assignment_id']} ({escape(row['name'])}) is now {_cells(row)[3]}, {_cells(row)[4]}"
        f" ({_cells(row)[5]} logged, {_cells(row)[6]} remaining; version {row['version']}).",
    )


def unassign_cmd(
    project: Project,
    task: TaskRef,
    who: Annotated[list[str], typer.Argument(help="Usernames or resources' names to take off the task.")],
) -> None:
    """Take resources off the task (the journal keeps their assignments)."""

    def go(s: Any, a: Any, pid: int) -> list[str]:
        return assignments.unassign_named(s, a, pid, find_task_id(s, a, pid, task), who)

    names = run_in_project(project, go)
    console.print(f"{escape(', '.join(names))} taken off the task.")


def register(task_app: typer.Typer) -> None:
    task_app.command("assign")(assign_cmd)
    task_app.command("assignments")(assignments_cmd)
    task_app.command("assignment-update")(assignment_update_cmd)
    task_app.command("unassign")(unassign_cmd)
