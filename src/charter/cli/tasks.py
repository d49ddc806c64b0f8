"""`charter task list|show|add|update|delete|link|link-update|unlink` and `charter wp list|add|update`: the
plan's tasks, their links, and its work packages, from the command line (assignments: task_assignments.py).
Every change goes through the same services as the web pages and the API (permissions, validation, the
schedule recomputed in the same transaction, the journal)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape

from charter.cli.common import JsonFlag, console, print_json, print_result, print_rows, run_in_project
from charter.cli.custom_fields import parse_assignments
from charter.domain.custom_fields import value_text
from charter.domain.errors import ValidationError
from charter.services import scheduling, tasks, views, work_packages
from charter.services.timesheets import find_task_id

task_app = typer.Typer(
    help="Tasks of a project's plan: list, show, add, update, move, delete, link, and assign resources.",
    no_args_is_help=True,
)
wp_app = typer.Typer(
    help="Work packages of a project's WBS: list, add, rename or move.", no_args_is_help=True
)

Project = Annotated[str, typer.Argument(help="Project key or id.")]
TaskRef = Annotated[str, typer.Argument(help="Task id, WBS code (e.g. 1.2.3) or exact name.")]
WpOpt = Annotated[str | None, typer.Option("--wp", help="Work package: WBS code, id or exact name.")]
Version = Annotated[int | None, typer.Option(help="The version you read (default: the current one).")]
CONSTRAINTS = "asap, alap, snet, snlt, fnet, fnlt, mso or mfo"
STATUSES = "not_started, in_progress, completed, on_hold or cancelled"


def _when(v: datetime | None) -> str:
    """A schedule instant (project wall-clock, no zone)."""
    return v.strftime("%Y-%m-%d %H:%M") if v is not None else ""


def _wp(s: Any, a: Any, pid: int, ref: str | None) -> int | None:
    return None if ref is None else work_packages.find_work_package_id(s, a, pid, ref)


def _who(t: dict[str, Any]) -> str:
    return ", ".join(escape(x["name"]) for x in t.get("assignees", []))


def _row(t: dict[str, Any]) -> tuple[str, ...]:
    return (
        t["wbs_code"],
        escape(t["name"]) + (" ◆" if t["milestone"] else ""),
        t["duration"],
        _when(t["start"]),
        _when(t["finish"]),
        f"{t['percent_complete']:g}%",
        f"{t['total_float_days']:g}{t.get('float_unit', 'd')}",
        "[red]yes[/red]" if t["critical"] else "",
        t["status"],
        _who(t),
    )


COLUMNS = ("WBS", "task", "duration", "start", "finish", "done", "total float", "critical", "status", "who")
# under this many columns the table keeps what a plan is read by (dates without times, no duration, status
# or assignees): ten columns in 80 cut every cell to "2026…"
NARROW = 120
NARROW_COLUMNS = ("WBS", "task", "start", "finish", "done", "float", "crit")


def _narrow_row(t: dict[str, Any]) -> tuple[str, ...]:
    return (
        t["wbs_code"],
        escape(t["name"]) + (" ◆" if t["milestone"] else ""),
        t["start"].strftime("%Y-%m-%d") if t["start"] else "",
        t["finish"].strftime("%Y-%m-%d") if t["finish"] else "",
        f"{t['percent_complete']:g}%",
        f"{t['total_float_days']:g}{t.get('float_unit', 'd')}",
        "[red]yes[/red]" if t["critical"] else "",
    )


@task_app.command("list")
def list_cmd(
    project: Project,
    wp: WpOpt = None,
    critical: Annotated[
        bool | None,
        typer.Option("--critical/--not-critical", help="Only critical (or only non-critical) tasks."),
    ] = None,
    search: Annotated[str | None, typer.Option(help="Words that must all be in the task's name.")] = None,
    sort: Annotated[
        str,
        typer.Option(
            help="wbs, name, start, finish, total_float, free_float, duration, priority, percent_complete or "
            '"field:NAME" (a custom field); prefix - for descending.'
        ),
    ] = "wbs",
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            help='Only tasks with this custom field value: "Component=Backend" (a text field: contains it; a '
            'multi choice: holds any of "CRM, Billing"; "Name=": no value); repeat for several.',
        ),
    ] = None,
    view: Annotated[
        str | None,
        typer.Option(
            help="A saved view's name or id (charter view list): its filters and sort, the options "
            "given here over them."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=20000, help="Rows to show.")] = 200,
    offset: Annotated[int, typer.Option(min=0, help="Rows to skip.")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """The project's tasks with their scheduled dates, float and progress (WBS order unless --sort)."""
    custom = parse_assignments(field)

    def go(s: Any, a: Any, pid: int) -> list[dict[str, Any]]:
        given: dict[str, Any] = {"sort": sort, "critical": critical, "work_package_id": _wp(s, a, pid, wp),
                                 "q": search, "custom": custom}  # fmt: skip
        if view is not None:
            from charter.cli.views import find

            given = views.over_view(s, a, pid, find(s, a, pid, view)["id"], given)
        return scheduling.list_tasks(s, a, pid, **given, limit=limit, offset=offset)

    rows = run_in_project(project, go)
    if not as_json and console.width < NARROW:
        print_rows(rows, NARROW_COLUMNS, _narrow_row, as_json=False, empty="No tasks match.", compact=True)
        if rows:
            console.print(
                f"[dim]Duration, times, status and assignees need {NARROW} columns (or --json; "
                "charter task show for one task).[/dim]"
            )
    else:
        print_rows(rows, COLUMNS, _row, as_json=as_json, empty="No tasks match.")
    if not as_json and len(rows) == limit:
        console.print(f"… more may follow (--offset {offset + limit})")


@task_app.command("show")
def show_cmd(project: Project, task: TaskRef, as_json: JsonFlag = False) -> None:
    """One task: its fields, computed dates and floats, assignees, predecessors and successors."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        tid = find_task_id(s, a, pid, task)
        return {**tasks.get_task(s, a, pid, tid), **tasks.task_links(s, a, pid, tid)}

    t = run_in_project(project, go)
    if as_json:
        print_json(t)
        return
    console.print(f"[bold]{t['wbs_code']} {escape(t['name'])}[/bold] (task {t['id']}, version {t['version']})"
                  + (" — milestone" if t["milestone"] else ""))  # fmt: skip
    facts = [
        ("status", f"{t['status']}, {t['percent_complete']:g}% complete"),
        (
            "duration",
            t["duration"]
            + (
                ""
                if t["milestone"]
                else f" ({t['actual_duration']} done, {t['remaining_duration']} remaining)"
            ),
        ),
        ("start / finish", f"{_when(t['start'])} → {_when(t['finish'])}"),
        (
            "total / free float",
            f"{t['total_float_days']:g}{t.get('float_unit', 'd')} / {t['free_float_days']:g}{t.get('float_unit', 'd')}"
            + (" · [red]critical[/red]" if t["critical"] else ""),
        ),
        ("actual", f"{_when(t['actual_start']) or '—'} → {_when(t['actual_finish']) or '—'}"),
        (
            "constraint",
            t["constraint_type"] + (f" {_when(t['constraint_date'])}" if t["constraint_date"] else ""),
        ),
        ("deadline", _when(t["deadline"]) or "—"),
        ("priority", str(t["priority"])),
        ("assignees", _who(t) or "—"),
    ]
    if t.get("assignees"):  # MS Project's Work / Actual Work / Remaining Work, summed over the assignments
        worked = sum(a["work_minutes"] for a in t["assignees"])
        facts.append(
            (
                "work",
                f"{round(worked / 60, 2):g}h ({t['actual_work']} logged, {t['remaining_work']} remaining)",
            )
        )
    if t.get("violation"):
        facts.append(("[red]violation[/red]", escape(t["violation"])))
    for fname, v in t["custom_fields"].items():
        facts.append((escape(fname), escape(value_text(v) or "—")))
    for k, v in facts:
        console.print(f"  {k}: {v}")
    for side in ("predecessors", "successors"):
        links = t[side]
        if links:
            console.print(f"[bold]{side.capitalize()}[/bold]")
            for lk in links:
                lag = f" {lk['lag_text']}" if lk["lag"] else ""
                console.print(
                    f"  {lk['task_wbs_code']} {escape(lk['task_name'])} — {lk['type']}{lag} (link {lk['id']})"
                )
    if t["description"]:
        console.print("\n" + escape(t["description"]))


def _fields(
    *,
    description: str | None = None,
    duration: str | None = None,
    milestone: bool | None = None,
    progress: str | None = None,
    status: str | None = None,
    priority: int | None = None,
    actual_start: str | None = None,
    actual_finish: str | None = None,
    constraint: str | None = None,
    constraint_date: str | None = None,
    deadline: str | None = None,
    optimistic: str | None = None,
    most_likely: str | None = None,
    pessimistic: str | None = None,
) -> dict[str, Any]:
    """The options given, as the task service's fields (an empty string clears a date or an estimate)."""
    out: dict[str, Any] = {}
    percent = None if progress is None else tasks.parse_percent(progress)
    plain = {"description": description, "duration": duration, "milestone": milestone, "status": status,
             "priority": priority, "percent_complete": percent, "constraint_type": constraint}  # fmt: skip
    out.update({k: v for k, v in plain.items() if v is not None})
    for k, raw in (("actual_start", actual_start), ("actual_finish", actual_finish),
                   ("constraint_date", constraint_date), ("deadline", deadline)):  # fmt: skip
        if raw is not None:
            out[k] = tasks.parse_when(raw, k)
    for k, raw in (("optimistic", optimistic), ("most_likely", most_likely), ("pessimistic", pessimistic)):
        if raw is not None:
            out[k] = raw or None
    if percent is not None and not 0 <= percent <= 100:
        raise ValidationError(f"progress {percent:g} is not between 0 and 100", field="percent_complete")
    return out


Desc = Annotated[str | None, typer.Option(help="What the task is (Markdown).")]
Dur = Annotated[
    str | None,
    typer.Option(help="Working time: 5d, 4h, 90m or a number of days; elapsed (24x7): 3ed, 12eh, 90em, 1ew."),
]
Prio = Annotated[int | None, typer.Option(min=0, max=1000, help="Priority 0-1000 (levelling order).")]
Constr = Annotated[str | None, typer.Option(help=f"Constraint: {CONSTRAINTS}.")]
CDate = Annotated[str | None, typer.Option(help="The constraint's date (ISO date or date-time).")]
Deadline = Annotated[str | None, typer.Option(help="A deadline (ISO date or date-time; '' clears it).")]
Est = Annotated[str | None, typer.Option(help="Three-point estimate (e.g. 4d; '' clears it).")]
FieldOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--field",
        help='A custom field\'s value: "Story points=5", "Component=Backend", "Systems=CRM, Billing" (a multi '
        'choice), "Name=" clears it; repeat for several fields (see `charter field list`).',
    ),
]


@task_app.command("add")
def add_cmd(
    project: Project,
    name: Annotated[str, typer.Argument(help="The task's name.")],
    wp: WpOpt = None,
    duration: Dur = None,
    milestone: Annotated[bool, typer.Option(help="A milestone (no duration).")] = False,
    description: Desc = None,
    priority: Prio = None,
    constraint: Constr = None,
    constraint_date: CDate = None,
    deadline: Deadline = None,
    optimistic: Est = None,
    most_likely: Est = None,
    pessimistic: Est = None,
    after: Annotated[
        list[str] | None,
        typer.Option(
            help="A predecessor (finish-to-start, no lag): task id, WBS code or name; repeat for several."
        ),
    ] = None,
    assign: Annotated[
        list[str] | None, typer.Option(help="A person who works on it (username; repeat).")
    ] = None,
    field: FieldOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a task (in a work package with --wp), with its predecessors and people; all of it or nothing."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        fields = _fields(description=description, duration=duration, milestone=milestone or None,
                         priority=priority, constraint=constraint, constraint_date=constraint_date,
                         deadline=deadline, optimistic=optimistic, most_likely=most_likely,
                         pessimistic=pessimistic)  # fmt: skip
        values = parse_assignments(field)
        if values:
            fields["custom_fields"] = values
        t = tasks.create_task(s, a, pid, name=name, work_package_id=_wp(s, a, pid, wp), **fields)
        for ref in after or []:
            tasks.create_link(s, a, pid, pred_id=find_task_id(s, a, pid, ref), succ_id=t["id"])
        if assign:
            tasks.set_assignees(s, a, pid, t["id"], tasks.find_assignee_ids(s, a, pid, t["id"], assign))
        return tasks.get_task(s, a, pid, t["id"])

    t = run_in_project(project, go)
    print_result(
        t,
        as_json,
        f"Task {t['wbs_code']} added: {escape(t['name'])} ({t['duration']}, "
        f"{_when(t['start'])} → {_when(t['finish'])}).",
    )


@task_app.command("update")
def update_cmd(
    project: Project,
    task: TaskRef,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    wp: Annotated[
        str | None, typer.Option("--wp", help="Move to this work package ('' = project level).")
    ] = None,
    duration: Dur = None,
    progress: Annotated[str | None, typer.Option(help="Percent complete, 0-100 (62.5 or 62,5).")] = None,
    status: Annotated[str | None, typer.Option(help=f"Status: {STATUSES}.")] = None,
    actual_start: Annotated[str | None, typer.Option(help="Actual start (ISO; '' clears it).")] = None,
    actual_finish: Annotated[str | None, typer.Option(help="Actual finish (ISO; '' clears it).")] = None,
    remaining: Annotated[
        str | None,
        typer.Option(
            help="What is left (e.g. 3d; 0 finishes it): the duration becomes done + remaining and the % complete "
            "follows, as MS Project's Remaining Duration. Not with --duration or --progress."
        ),
    ] = None,
    description: Desc = None,
    priority: Prio = None,
    constraint: Constr = None,
    constraint_date: CDate = None,
    deadline: Deadline = None,
    optimistic: Est = None,
    most_likely: Est = None,
    pessimistic: Est = None,
    field: FieldOpt = None,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a task: only the options given change; the schedule recomputes. A Task Leader changes the tasks
    of their packages, a worker the progress of their own tasks. A --status without --progress or actuals
    means what `task move` means (completed sets 100 % and the actual dates)."""
    changes = _fields(description=description, duration=duration, progress=progress, status=status,
                      priority=priority, actual_start=actual_start, actual_finish=actual_finish,
                      constraint=constraint, constraint_date=constraint_date, deadline=deadline,
                      optimistic=optimistic, most_likely=most_likely, pessimistic=pessimistic)  # fmt: skip
    if name is not None:
        changes["name"] = name
    if remaining is not None:
        changes["remaining_duration"] = remaining
    values = parse_assignments(field)
    if values:
        changes["custom_fields"] = values
    if not changes and wp is None:
        raise ValidationError("nothing to change: give at least one option", field="task")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        tid = find_task_id(s, a, pid, task)
        if wp is not None:
            changes["work_package_id"] = _wp(s, a, pid, wp) if wp.strip() else None
        v = version if version is not None else tasks.get_task(s, a, pid, tid)["version"]
        return tasks.patch_task(s, a, pid, tid, v, **changes)

    t = run_in_project(project, go)
    print_result(
        t,
        as_json,
        f"Task {t['wbs_code']} updated: {escape(t['name'])} — {t['status']}, "
        f"{t['percent_complete']:g}%, {_when(t['start'])} → {_when(t['finish'])}.",
    )


@task_app.command("move")
def move_cmd(
    project: Project,
    task: TaskRef,
    status: Annotated[
        str, typer.Argument(help="The board column: not_started, in_progress, completed or on_hold.")
    ],
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Move a task to another column of its board, as the web board does: in progress records the actual start,
    completed 100 % and the actual finish (the scheduled dates); not started only while nothing is recorded."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        tid = find_task_id(s, a, pid, task)
        v = version if version is not None else tasks.get_task(s, a, pid, tid)["version"]
        return tasks.move_task(s, a, pid, tid, v, status)

    t = run_in_project(project, go)
    print_result(
        t,
        as_json,
        f"Task {t['wbs_code']} moved: {escape(t['name'])} — {t['status']}, {t['percent_complete']:g}%, "
        f"actual {_when(t['actual_start'])} → {_when(t['actual_finish'])}.",
    )


@task_app.command("delete")
def delete_cmd(project: Project, task: TaskRef, version: Version = None) -> None:
    """Delete a task and its links (the journal keeps what it was)."""

    def go(s: Any, a: Any, pid: int) -> str:
        tid = find_task_id(s, a, pid, task)
        t = tasks.get_task(s, a, pid, tid)
        tasks.delete_task(s, a, pid, tid, version if version is not None else t["version"])
        return f"{t['wbs_code']} {t['name']}"

    console.print(f"Task {escape(run_in_project(project, go))} deleted.")


@task_app.command("link")
def link_cmd(
    project: Project,
    pred: Annotated[str, typer.Argument(help="The predecessor: task id, WBS code or name.")],
    succ: Annotated[str, typer.Argument(help="The successor: task id, WBS code or name.")],
    type_: Annotated[str, typer.Option("--type", help="FS, SS, FF or SF.")] = "FS",
    lag: Annotated[str, typer.Option(help="2d, -1d, 4h, 50% (of the predecessor) or 3ed (elapsed).")] = "0",
    as_json: JsonFlag = False,
) -> None:
    """Link two tasks; a link that would make a cycle is refused with the cycle named."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        p, q = find_task_id(s, a, pid, pred), find_task_id(s, a, pid, succ)
        return tasks.create_link(s, a, pid, pred_id=p, succ_id=q, type=type_.upper(), lag=lag)

    lk = run_in_project(project, go)
    print_result(
        lk,
        as_json,
        f"Linked {escape(pred)} → {escape(succ)} ({lk['type']}{' ' + lk['lag_text'] if lk['lag'] else ''}).",
    )


@task_app.command("link-update")
def link_update_cmd(
    project: Project,
    link_id: Annotated[int, typer.Argument(help="The link's id (`charter task show` lists them).")],
    type_: Annotated[str | None, typer.Option("--type", help="The new type: FS, SS, FF or SF.")] = None,
    lag: Annotated[
        str | None, typer.Option(help="The new lag: 2d, -1d, 4h, 50% (of the predecessor) or 3ed (elapsed).")
    ] = None,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a link's type or lag in place (what is not given stays as it is)."""
    if type_ is None and lag is None:
        raise ValidationError("nothing to change: give --type or --lag", field="type")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        current = version if version is not None else tasks.get_link(s, a, pid, link_id)["version"]
        lk = tasks.update_link(s, a, pid, link_id, current, type=type_.upper() if type_ else None, lag=lag)
        ends = {
            f"{k}_wbs_code": tasks.get_task(s, a, pid, lk[f"{k}_id"])["wbs_code"] for k in ("pred", "succ")
        }
        return {**lk, **ends}

    lk = run_in_project(project, go)
    lag_text = f" {lk['lag_text']}" if lk["lag"] else ""
    print_result(
        lk,
        as_json,
        f"Link {lk['id']} {lk['pred_wbs_code']} → {lk['succ_wbs_code']} is now {lk['type']}{lag_text}"
        f" (version {lk['version']}).",
    )


@task_app.command("unlink")
def unlink_cmd(
    project: Project,
    pred: Annotated[str, typer.Argument(help="The predecessor: task id, WBS code or name.")],
    succ: Annotated[str, typer.Argument(help="The successor: task id, WBS code or name.")],
) -> None:
    """Remove the link from one task to another."""

    def go(s: Any, a: Any, pid: int) -> None:
        lk = tasks.find_link(s, a, pid, find_task_id(s, a, pid, pred), find_task_id(s, a, pid, succ))
        tasks.delete_link(s, a, pid, lk["id"], lk["version"])

    run_in_project(project, go)
    console.print(f"Link {escape(pred)} → {escape(succ)} removed.")


# --------------------------------------------------------------------------------------------- work packages


def _leader(w: dict[str, Any]) -> str:
    via = f" (from {w['leader_via']})" if w["leader_via"] else ""
    return escape(w["leader"] or "—") + via


@wp_app.command("list")
def wp_list_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """The project's work packages in WBS order, with their Task Leaders."""
    rows = run_in_project(project, lambda s, a, pid: work_packages.list_work_packages(s, a, pid))
    print_rows(rows, ("WBS", "work package", "Task Leader", "id"),
               lambda w: (w["wbs_code"], escape(w["name"]), _leader(w), str(w["id"])),
               as_json=as_json, empty="No work packages.")  # fmt: skip


@wp_app.command("add")
def wp_add_cmd(
    project: Project,
    name: Annotated[str, typer.Argument(help="The work package's name.")],
    parent: Annotated[str | None, typer.Option(help="Parent package: WBS code, id or name.")] = None,
    description: Desc = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a work package (under --parent, else at the top of the WBS)."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        return work_packages.create_work_package(s, a, pid, name=name, parent_id=_wp(s, a, pid, parent),
                                                 description=description or "")  # fmt: skip

    w = run_in_project(project, go)
    print_result(w, as_json, f"Work package {w['wbs_code']} added: {escape(w['name'])}.")


@wp_app.command("update")
def wp_update_cmd(
    project: Project,
    package: Annotated[str, typer.Argument(help="The work package: WBS code, id or name.")],
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    parent: Annotated[str | None, typer.Option(help="Move under this package ('' = top level).")] = None,
    description: Desc = None,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Rename a work package, change its description or move it (its tasks and sub-packages go with it)."""
    if name is None and parent is None and description is None:
        raise ValidationError("nothing to change: give --name, --parent or --description", field="package")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        wid = work_packages.find_work_package_id(s, a, pid, package)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if description is not None:
            changes["description"] = description
        if parent is not None:
            changes["parent_id"] = _wp(s, a, pid, parent) if parent.strip() else None
        current = next(w for w in work_packages.list_work_packages(s, a, pid) if w["id"] == wid)
        return work_packages.update_work_package(
            s, a, pid, wid, version if version is not None else current["version"], **changes
        )

    w = run_in_project(project, go)
    print_result(w, as_json, f"Work package {w['wbs_code']} updated: {escape(w['name'])}.")
