"""`charter schedule`, `charter import`, `charter export`, `charter baseline save|list|delete`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from charter.cli.common import JsonFlag, acting, console, fail, fmt_time, open_db, print_json
from charter.domain.roles import Perm
from charter.services import interchange, plan_export, projects, scheduling
from charter.services.authz import project_for
from charter.services.tasks import parse_when

baseline_app = typer.Typer(help="Baselines 0-10 of a project's schedule.", no_args_is_help=True)

ProjectArg = Annotated[str, typer.Argument(help="Project key (e.g. CRM) or id.")]


def schedule(
    project: ProjectArg,
    as_json: JsonFlag = False,
    baseline: Annotated[int | None, typer.Option(help="Show variances against this baseline (0-10).")] = None,
    limit: Annotated[int, typer.Option(help="Rows of the float table to print (0 = all).")] = 50,
    status_date: Annotated[
        str | None,
        typer.Option(
            "--status-date",
            help="Set the status date first (YYYY-MM-DD or YYYY-MM-DDTHH:MM; 'none' clears it): completed work "
            "stays where it happened, remaining work is scheduled from it.",
        ),
    ] = None,
) -> None:
    """Recompute the schedule; print the finish, the status date, the critical path and a float table."""
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, project)
            project_for(s, actor, pid, Perm.TASK_EDIT)
            if status_date is None:
                result = scheduling.plan_changed(s, pid)
            else:
                when = (
                    None
                    if status_date.strip().lower() in ("none", "")
                    else parse_when(status_date, "status_date")
                )
                version = scheduling.settings_row(s, pid).version
                result = scheduling.set_status_date(s, actor, pid, when, version)
        with db.uow(readonly=True) as s:
            data = scheduling.get_schedule(s, acting(s), pid, baseline=baseline)
    finally:
        db.dispose()
    names = {t["id"]: t["name"] for t in data["tasks"]}
    paths = [[names[i] for i in chain] for chain in result["critical_paths"]]
    if as_json:
        print_json({**data, "critical_paths": paths})
        return
    console.print(f"[bold]Finish:[/bold] {fmt_time(data['finish'])}   tasks: {len(data['tasks'])}"
                  + (f"   status date: {fmt_time(data['status_date'])}" if data["status_date"] else ""))  # fmt: skip
    for i, chain in enumerate(paths[:3], 1):
        console.print(f"[bold]Critical path {i}:[/bold] " + " → ".join(escape(n) for n in chain))
    for v in data["violations"]:
        console.print(f"[red]{escape(v['name'])}: {escape(v['message'] or '')}[/red]")
    t = Table("WBS", "task", "duration", "start", "finish", "total float", "free float", "critical")
    if baseline is not None:
        t.add_column("finish var.")
    rows = data["tasks"] if limit == 0 else data["tasks"][:limit]
    for r in rows:
        cells = [
            r["wbs_code"],
            escape(r["name"]),
            r["duration"],
            fmt_time(r["start"]),
            fmt_time(r["finish"]),
            f"{r['total_float_days']:g}{r.get('float_unit', 'd')}",
            f"{r['free_float_days']:g}{r.get('float_unit', 'd')}",
            "[red]yes[/red]" if r["critical"] else "",
        ]
        if baseline is not None:
            b = r.get("baseline")
            cells.append(
                f"{b['finish_variance_days']:+g}d" if b and b["finish_variance_days"] is not None else ""
            )
        t.add_row(*cells)
    console.print(t)
    if limit and len(data["tasks"]) > limit:
        console.print(f"… {len(data['tasks']) - limit} more (use --limit 0 or --json)")


def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="An MS Project XML (.xml), CSV or Excel (.xlsx) file; with charter\\[mpxj] and Java also "
            ".mpp, .xer, .pmxml, .mpx and the other formats MPXJ reads.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    project: Annotated[
        str | None, typer.Option(help="Import into this existing project (key or id).")
    ] = None,
    key: Annotated[str | None, typer.Option(help="Create a new project with this key.")] = None,
    name: Annotated[
        str | None, typer.Option(help="Name of the new project (default: from the file).")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="mspdi, csv, xlsx or mpxj (.mpp, .xer, .pmxml, .mpx ...; needs charter\\[mpxj] and Java). "
            "Default: from the name.",
        ),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="Column mapping FIELD=HEADER for CSV/Excel, e.g. --map name='Task Name'."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import a plan: every row lands, or nothing does (each problem is listed with its line)."""
    if (project is None) == (key is None):
        fail("give either --project (import into it) or --key (create a new project)")
    cols: dict[str, str] = {}
    for m in mapping or []:
        if "=" not in m:
            fail(f"--map takes FIELD=HEADER, got {m!r}")
        k, v = m.split("=", 1)
        cols[k.strip()] = v.strip()
    data = file.read_bytes()
    form = interchange.guess_format(file.name, fmt)
    db = open_db()
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=as_json,
        ) as bar:
            job = bar.add_task(f"reading {file.name}", total=1.0)
            plan = interchange.read_plan(data, form, mapping=cols or None, name=name or file.stem)
            bar.update(job, completed=0.1, description="importing")
            with db.uow() as s:
                actor = acting(s)
                pid = projects.find_project_id(s, actor, project) if project else None
                result = interchange.import_plan(
                    s,
                    actor,
                    plan,
                    project_id=pid,
                    key=key,
                    name=name,
                    source=file.name,
                    progress=lambda f, msg: bar.update(job, completed=f, description=msg),
                )
    finally:
        db.dispose()
    if as_json:
        print_json(result)
        return
    console.print(
        f"Imported {result['tasks']} tasks, {result['work_packages']} work packages and {result['links']} links "
        f"into project {result['project_id']}; finish {fmt_time(result['finish'])}."
    )
    if result["dates_compared"]:
        console.print(
            f"Dates as in the file: {result['dates_matching']} of {result['dates_compared']} tasks."
        )
        for m in result["mismatches"][:10]:
            console.print(
                f"  [yellow]{escape(m['name'])}[/yellow]: file {fmt_time(m['file_start'])} – "
                f"{fmt_time(m['file_finish'])}, Charter {fmt_time(m['start'])} – {fmt_time(m['finish'])}"
            )
    if result["unmatched_resources"]:
        console.print(
            "Resources without a matching Charter user (not assigned): "
            + ", ".join(escape(n) for n in result["unmatched_resources"])
        )
    if result["custom_fields_added"]:
        console.print("Custom fields added: " + ", ".join(escape(n) for n in result["custom_fields_added"]))
    if result["custom_fields_left_out"]:
        console.print(
            "[yellow]Custom fields left out[/yellow] (adding fields needs project.edit; ask the project manager "
            "to add them and import again): " + ", ".join(escape(n) for n in result["custom_fields_left_out"])
        )


def export(
    project: ProjectArg,
    fmt: Annotated[str, typer.Option("--format", help="mspdi, csv, xlsx or ics (milestones).")] = "mspdi",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (default: KEY.ext).")
    ] = None,
) -> None:
    """Export a project's plan as MS Project XML, CSV, Excel, or an iCalendar feed of its milestones."""
    db = open_db()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), console=console, transient=True) as bar:
            job = bar.add_task("exporting", total=1.0)
            with db.uow(readonly=True) as s:
                actor = acting(s)
                pid = projects.find_project_id(s, actor, project)
                data, _media, filename = plan_export.export_file(s, actor, pid, fmt)
            bar.update(job, completed=1.0)
    finally:
        db.dispose()
    path = output or Path(filename)
    path.write_bytes(data)
    console.print(f"Wrote {path} ({len(data):,} bytes).")


@baseline_app.command("save")
def baseline_save(
    project: ProjectArg,
    number: Annotated[int, typer.Option(help="Baseline number 0-10.")] = 0,
    name: Annotated[str, typer.Option(help="A name for it.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Save the current schedule as a baseline (replacing what that number held)."""
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, project)
            b = scheduling.save_baseline(s, actor, pid, number=number, name=name)
    finally:
        db.dispose()
    if as_json:
        print_json(b)
    else:
        console.print(f"Saved baseline {b['number']} ({escape(b['name'])}) with {b['tasks']} tasks.")


@baseline_app.command("list")
def baseline_list(project: ProjectArg, as_json: JsonFlag = False) -> None:
    """List the saved baselines."""
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, project)
            rows: list[dict[str, Any]] = scheduling.list_baselines(s, actor, pid)
    finally:
        db.dispose()
    if as_json:
        print_json(rows)
        return
    t = Table("number", "name", "saved", "finish", "tasks")
    for b in rows:
        t.add_row(
            str(b["number"]),
            escape(b["name"]),
            fmt_time(b["saved_at"]),
            fmt_time(b["finish"]),
            str(b["tasks"]),
        )
    console.print(t if rows else "No baselines saved.")


@baseline_app.command("delete")
def baseline_delete(
    project: ProjectArg,
    number: Annotated[
        int, typer.Argument(help="The baseline's number (0-10), as `charter baseline list` shows.")
    ],
) -> None:
    """Delete a saved baseline (MS Project's Clear Baseline); the journal keeps what it held."""
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, project)
            scheduling.delete_baseline(s, actor, pid, number)
    finally:
        db.dispose()
    console.print(f"Baseline {number} deleted.")
