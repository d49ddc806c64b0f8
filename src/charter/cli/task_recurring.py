"""`charter task recurring`: a recurring task (a weekly status meeting, a monthly patch window) as MS Project
makes one - a work package of occurrences, each starting no earlier than its day - over services.recurring
(what the schedule page's *Add a recurring task* form and the API's POST …/recurring-tasks do)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from charter.cli.common import JsonFlag, console, print_json, run_in_project
from charter.services import recurring, work_packages

Project = Annotated[str, typer.Argument(help="Project key or id.")]


def recurring_cmd(
    project: Project,
    name: Annotated[str, typer.Argument(help="The task's name; occurrences are NAME 1, NAME 2 …")],
    pattern: Annotated[str, typer.Option(help="daily, weekly or monthly.")],
    start: Annotated[str, typer.Option("--from", help="The first day the pattern may fall on (YYYY-MM-DD).")],
    until: Annotated[str | None, typer.Option("--until", help="The last day (or give --count).")] = None,
    count: Annotated[int | None, typer.Option(help="How many occurrences, 1-200 (or give --until).")] = None,
    every: Annotated[int, typer.Option(help="Days, weeks or months between occurrences.")] = 1,
    on: Annotated[
        str | None,
        typer.Option(
            help="Weekly: the days (mon,thu; default the --from day's); monthly with --week: one day."
        ),
    ] = None,
    day: Annotated[
        int | None, typer.Option(help="Monthly: the day of the month (past the month's end: its last day).")
    ] = None,
    week: Annotated[
        str | None, typer.Option(help="Monthly: first, second, third, fourth or last (with --on DAY).")
    ] = None,
    at: Annotated[str | None, typer.Option(help="HH:MM each occurrence starts no earlier than.")] = None,
    duration: Annotated[str, typer.Option(help="Each occurrence's duration: 1h, 30m, 1d.")] = "1d",
    wp: Annotated[
        str | None, typer.Option("--wp", help="The work package it goes under (WBS code, id or name).")
    ] = None,
    skip: Annotated[
        bool,
        typer.Option(
            "--skip/--next", help="On a non-working day: skip the occurrence, or move it (default)."
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add a recurring task: a work package named NAME holding one task per occurrence, each starting no
    earlier than its day (SNET). `charter task recurring CRM "Status meeting" --pattern weekly --on mon
    --from 2026-12-07 --count 10 --duration 1h --at 10:00`. A Task Leader adds one under their packages."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        parent = work_packages.find_work_package_id(s, a, pid, wp) if wp else None
        return recurring.create_recurring_task(
            s, a, pid, name=name, duration=duration, work_package_id=parent, pattern=pattern, every=every,
            start=start, end=until, occurrences=count, weekdays=on, day_of_month=day, week_of_month=week,
            time=at, non_working="skip" if skip else "next",
        )  # fmt: skip

    out = run_in_project(project, go)
    if as_json:
        print_json(out)
        return
    tasks = out["tasks"]
    console.print(
        f"Recurring task {out['wbs_code']} {escape(out['name'])}: {len(tasks)} occurrences, {escape(out['rule'])}."
    )
    for t in tasks:
        console.print(
            f"  {t['wbs_code']} {escape(t['name'])} — {str(t['constraint_date'])[:16].replace('T', ' ')}"
        )
    for m in out["moved"]:
        console.print(f"  moved off a non-working day: {m['from']} → {m['to']}")
    if out["skipped"]:
        console.print("  skipped: " + ", ".join(str(d) for d in out["skipped"]))


def register(task_app: typer.Typer) -> None:
    task_app.command("recurring")(recurring_cmd)
