"""`charter timesheet log|week|entries|edit|delete|submit|approvals|approve|reject|lock` (your own hours and approvals) and
`charter time list` (a project's hours)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.common import JsonFlag, acting, console, fail, open_db, print_json, print_result
from charter.domain.errors import ValidationError
from charter.services import projects, time_entries, timesheets
from charter.services.context import now

timesheet_app = typer.Typer(
    help="Log hours, submit weeks, approve hours, lock periods.", no_args_is_help=True
)

ProjectArg = Annotated[str, typer.Argument(help="Project key (e.g. CRM) or id.")]
WeekOpt = Annotated[str | None, typer.Option("--week", help="ISO week, e.g. 2030-W02 (default: this week).")]


def _day(value: str | None, field: str) -> date:
    if value is None:
        return now().date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not a date (YYYY-MM-DD)", field=field) from None


@timesheet_app.command("log")
def log(
    project: ProjectArg,
    task: Annotated[str, typer.Argument(help="Task id, WBS code or exact name.")],
    hours: Annotated[str, typer.Argument(help="2h, 90m, 1.5h or a number of hours.")],
    day: Annotated[str | None, typer.Option("--day", help="The day worked (default: today).")] = None,
    note: Annotated[str, typer.Option("--note", help="What you did.")] = "",
    overtime: Annotated[bool, typer.Option("--overtime", help="Paid at the overtime rate.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Log your hours on a task for a day (a draft until you submit the week)."""
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, project)
            tid = timesheets.find_task_id(s, actor, pid, task)
            entry = timesheets.log_entry(
                s, actor, pid, task_id=tid, day=_day(day, "day"), hours=hours, note=note, overtime=overtime
            )
    finally:
        db.dispose()
    print_result(
        entry,
        as_json,
        f"Logged {timesheets.fmt_hours(entry['minutes'])} h on {escape(entry['task_name'] or '')} "
        f"for {entry['day']} (entry {entry['id']}, draft).",
    )


def _my_week(week: str | None) -> dict[str, Any]:
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            return timesheets.my_week(s, acting(s), week)
    finally:
        db.dispose()


@timesheet_app.command("week")
def week(week: WeekOpt = None, as_json: JsonFlag = False) -> None:
    """Your hours of a week: tasks x days, with totals."""
    data = _my_week(week)
    if as_json:
        print_json(data)
        return
    days = [d.isoformat() for d in data["days"]]
    t = Table("task", *[d.strftime("%a %d") for d in data["days"]], "total", title=f"Week {data['week']}")
    for r in data["rows"]:
        cells = []
        for d in days:
            e = r["entries"].get(d)
            cells.append(f"{timesheets.fmt_hours(e['minutes'])} {e['status'][0]}" if e else "")
        label = f"{r['project_key']} {r['wbs_code']} {escape(r['task_name'])}"
        t.add_row(label, *cells, timesheets.fmt_hours(r["total_minutes"]))
    t.add_row(
        "[bold]total[/bold]",
        *[timesheets.fmt_hours(data["day_totals"][d]) for d in days],
        timesheets.fmt_hours(data["total_minutes"]),
    )
    console.print(t)
    console.print("d = draft, s = submitted, a = approved, r = rejected")


@timesheet_app.command("entries")
def entries(week: WeekOpt = None, as_json: JsonFlag = False) -> None:
    """Your entries of a week, one per line with its id and version (to edit or delete one)."""
    data = _my_week(week)
    rows = [
        {**e, "project_key": r["project_key"], "wbs_code": r["wbs_code"]}
        for r in data["rows"]
        for _, e in sorted(r["entries"].items())
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(f"No hours logged in {data['week']}.")
        return
    t = Table(
        "entry", "project", "task", "day", "hours", "status", "version", "note", title=f"Week {data['week']}"
    )
    for e in sorted(rows, key=lambda e: (e["day"], e["project_key"], e["wbs_code"])):
        t.add_row(
            str(e["id"]), e["project_key"], f"{e['wbs_code']} {escape(e['task_name'] or '')}", e["day"].isoformat(),
            timesheets.fmt_hours(e["minutes"]) + (" OT" if e["overtime"] else ""), e["status"], str(e["version"]),
            escape(e["note"]),
        )  # fmt: skip
    console.print(t)


OwnEntryArg = Annotated[int, typer.Argument(help="The entry id (see `charter timesheet entries`).")]
VersionOpt = Annotated[
    int | None,
    typer.Option(
        "--version", help="The version you read (default: the current one); a stale one is refused."
    ),
]


@timesheet_app.command("edit")
def edit(
    entry_id: OwnEntryArg,
    hours: Annotated[str | None, typer.Option("--hours", help="2h, 90m, 1.5h or a number of hours.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="What you did.")] = None,
    overtime: Annotated[
        bool | None, typer.Option("--overtime/--no-overtime", help="Paid at the overtime rate, or not.")
    ] = None,
    version: VersionOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Change the hours, note or overtime of one of your entries (not approved, not in a locked period); a
    changed entry is a draft again, to submit with its week."""
    if hours is None and note is None and overtime is None:
        fail("error: say what to change: --hours, --note or --overtime/--no-overtime (field: hours)")
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            e = timesheets.own_entry(s, actor, entry_id)
            data = timesheets.update_entry(
                s, actor, e["project_id"], entry_id, e["version"] if version is None else version,
                hours=hours, note=note, overtime=overtime,
            )  # fmt: skip
    finally:
        db.dispose()
    print_result(
        data,
        as_json,
        f"Entry {data['id']} ({escape(data['task_name'] or '')}, {data['day']}): "
        f"{timesheets.fmt_hours(data['minutes'])} h, {data['status']} (version {data['version']}).",
    )


@timesheet_app.command("delete")
def delete(entry_id: OwnEntryArg, version: VersionOpt = None, as_json: JsonFlag = False) -> None:
    """Delete one of your entries (not approved, not in a locked period)."""
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            e = timesheets.own_entry(s, actor, entry_id)
            timesheets.delete_entry(
                s, actor, e["project_id"], entry_id, e["version"] if version is None else version
            )
    finally:
        db.dispose()
    print_result(
        {"id": entry_id, "deleted": True},
        as_json,
        f"Deleted entry {entry_id} ({e['day']}, {escape(e['task_name'] or '')}).",
    )


@timesheet_app.command("submit")
def submit(week: WeekOpt = None, as_json: JsonFlag = False) -> None:
    """Submit your draft hours of a week for approval."""
    db = open_db()
    try:
        with db.uow() as s:
            data = timesheets.submit_week(s, acting(s), week)
    finally:
        db.dispose()
    print_result(data, as_json, f"Submitted {data['submitted']} entries of {data['week']}.")


@timesheet_app.command("approvals")
def approvals(as_json: JsonFlag = False) -> None:
    """Submitted hours waiting for your approval."""
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            rows = timesheets.approvals_for(s, acting(s))
    finally:
        db.dispose()
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("Nothing waits for your approval.")
        return
    t = Table("entry", "project", "task", "who", "day", "hours", "note")
    for r in rows:
        t.add_row(
            str(r["id"]),
            r["project_key"],
            escape(r["task_name"] or ""),
            escape(r["user"]),
            r["day"].isoformat(),
            timesheets.fmt_hours(r["minutes"]) + (" OT" if r["overtime"] else ""),
            escape(r["note"]),
        )
    console.print(t)


def _decide(entry_id: int, reason: str | None, approve: bool, as_json: bool) -> None:
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            if approve:
                data: dict[str, Any] = timesheets.approve_entry(s, actor, entry_id)
            else:
                data = timesheets.reject_entry(s, actor, entry_id, reason or "")
    finally:
        db.dispose()
    print_result(
        data,
        as_json,
        f"Entry {data['id']} ({escape(data['task_name'] or '')}, {data['day']}) is {data['status']}.",
    )


EntryArg = Annotated[int, typer.Argument(help="The entry id (see `charter timesheet approvals`).")]


@timesheet_app.command("approve")
def approve(entry_id: EntryArg, as_json: JsonFlag = False) -> None:
    """Approve submitted hours."""
    _decide(entry_id, None, True, as_json)


@timesheet_app.command("reject")
def reject(
    entry_id: EntryArg,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (required).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Reject submitted (or approved) hours, saying why."""
    if not (reason or "").strip():
        fail("error: say why the hours are rejected (field: reason)")
    _decide(entry_id, reason, False, as_json)


@timesheet_app.command("lock")
def lock(
    project: ProjectArg,
    until: Annotated[
        str | None, typer.Option("--until", help="Lock every day up to and including this one.")
    ] = None,
    unlock: Annotated[
        bool, typer.Option("--unlock", help="Remove the lock: every day is open again.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Lock a project's timesheets up to a day, or unlock them (Project Manager only)."""
    if (until is None) == (not unlock):
        fail("error: give --until DAY to lock, or --unlock (field: until)")
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, project)
            data = timesheets.set_lock(s, actor, pid, None if unlock else _day(until, "until"))
    finally:
        db.dispose()
    text = f"Timesheets are locked until {data['until']}." if data["until"] else "Timesheets are not locked."
    print_result(data, as_json, text)


time_app = typer.Typer(
    help="A project's logged hours, for those who run it (see also `charter timesheet` for your own).",
    no_args_is_help=True,
)


def _opt_day(value: str | None, field: str) -> date | None:
    return None if value is None else _day(value, field)


@time_app.command("list")
def time_list(
    project: Annotated[str, typer.Option("--project", "-p", help="Project key (e.g. CRM) or id.")],
    date_from: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD), inclusive.")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD), inclusive.")] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Only this person's hours (username or id).")
    ] = None,
    work_package: Annotated[
        int | None, typer.Option("--wp", help="Only this work package (id), sub-packages included.")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="draft, submitted, approved or rejected.")
    ] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Every matching entry as CSV on stdout.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="At most this many entries in the table.")] = 200,
    as_json: JsonFlag = False,
) -> None:
    """The project's time entries with totals per person, work package and status. The PM and the Sponsor
    see everyone's hours, a Task Leader those of the packages they lead and their own, a worker their own."""
    filters: dict[str, Any] = {"date_from": _opt_day(date_from, "date_from"), "date_to": _opt_day(date_to, "date_to"),
                               "work_package_id": work_package, "status": status}  # fmt: skip
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, project)
            if user is not None:
                filters["user_id"] = time_entries.find_person(s, actor, pid, user)
            if as_csv:
                data = time_entries.export(s, actor, pid, "csv", **filters)
            else:
                result = time_entries.project_entries(s, actor, pid, limit=limit, **filters)
    finally:
        db.dispose()
    if as_csv:
        typer.echo(data.decode("utf-8-sig"), nl=False)
        return
    if as_json:
        print_json(result)
        return
    fmt = timesheets.fmt_hours
    t = Table("day", "person", "package", "task", "hours", "status", "note",
              title=f"Time of {result['project_key']}")  # fmt: skip
    for e in result["items"]:
        t.add_row(e["day"].isoformat(), escape(e["user"]), escape(e["work_package"] or ""),
                  escape(f"{e['task_wbs']} {e['task_name']}".strip()),
                  fmt(e["minutes"]) + (" OT" if e["overtime"] else ""), e["status"], escape(e["note"]))  # fmt: skip
    console.print(t)
    tot = result["totals"]
    shown = len(result["items"])
    more = f" (showing {shown}; use --limit or --csv for all)" if shown < result["total_count"] else ""
    console.print(f"Total: {fmt(tot['minutes'])} h in {result['total_count']} entries{more}")
    for label, rows, key in (("person", tot["by_user"], "user"), ("work package", tot["by_work_package"],
                             "work_package"), ("status", tot["by_status"], "status")):  # fmt: skip
        parts = ", ".join(f"{escape(r[key] or '(none)')} {fmt(r['minutes'])} h" for r in rows)
        console.print(f"Per {label}: {parts or '-'}")


@time_app.command("actuals")
def time_actuals(
    project: Annotated[str, typer.Option("--project", "-p", help="Project key (e.g. CRM) or id.")],
    every_task: Annotated[
        bool, typer.Option("--all", help="Every task, also those without hours logged.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Planned against actual (approved) work per task, hours waiting for approval, and the % complete the
    hours suggest (actual over planned work, at most 99 until the task is complete)."""
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            actor = acting(s)
            data = timesheets.actuals(s, actor, projects.find_project_id(s, actor, project))
    finally:
        db.dispose()
    rows = [t for t in data["tasks"] if every_task or t["actual_minutes"] or t["submitted_minutes"]]
    if as_json:
        print_json({**data, "tasks": rows})
        return
    fmt = timesheets.fmt_hours
    t = Table("WBS", "task", "planned h", "actual h", "submitted h", "% complete", "suggested %",
              title="Planned and actual work")  # fmt: skip
    for r in rows:
        over = r["planned_minutes"] and r["actual_minutes"] > r["planned_minutes"]
        t.add_row(r["wbs_code"], escape(r["name"]) + (" [red](over plan)[/red]" if over else ""),
                  fmt(r["planned_minutes"]), fmt(r["actual_minutes"]), fmt(r["submitted_minutes"]),
                  f"{r['percent_complete']:g}",
                  "—" if r["suggested_percent"] is None else f"{r['suggested_percent']:g}")  # fmt: skip
    console.print(t)
    if not rows:
        console.print("No hours are logged on any task yet (--all lists every task).")
