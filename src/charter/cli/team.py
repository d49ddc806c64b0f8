"""`charter level`, `charter workload`, `charter resource list|add`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from charter.cli.common import JsonFlag, acting, console, fail, fmt_time, open_db, print_json
from charter.domain.ids import as_id
from charter.services import accounts, levelling, projects, resources, workload

resource_app = typer.Typer(
    help="People, equipment, environments, licences and materials.", no_args_is_help=True
)


def level(
    project: Annotated[str, typer.Argument(help="Project key or id.")],
    method: Annotated[
        str, typer.Option(help="heuristic (fast) or optimal (CP-SAT, with a proven bound).")
    ] = "heuristic",
    time_limit: Annotated[float, typer.Option(help="Seconds the optimiser may take.")] = 10.0,
    within_slack: Annotated[bool, typer.Option(help="Only delay tasks within their float.")] = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="Accept the levelled schedule (otherwise a preview).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Level a project's resources: preview what moves and the new finish; --apply accepts it."""
    if method not in levelling.METHODS:
        fail(f"--method must be one of {', '.join(levelling.METHODS)}")
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
            job = bar.add_task(f"levelling ({method})", total=1.0)
            with db.uow() as s:
                actor = acting(s)
                pid = projects.find_project_id(s, actor, project)
                run = levelling.preview(
                    s,
                    actor,
                    pid,
                    method=method,
                    time_limit=time_limit,
                    within_slack=within_slack,
                    progress=lambda f, msg: bar.update(job, completed=f, description=msg),
                )
            if apply:
                with db.uow() as s:
                    run = levelling.accept(s, acting(s), pid, run["id"])
    finally:
        db.dispose()
    if as_json:
        print_json(run)
        return
    console.print(
        f"Levelling run {run['id']} ({run['method']}, {run['engine_status']}, {run['solve_seconds']} s): "
        f"finish {fmt_time(_dt(run['old_finish']))} → {fmt_time(_dt(run['new_finish']))}"
    )
    if run.get("lower_bound_days") is not None:
        console.print(
            f"Makespan {run['makespan_days']} working days; proven lower bound {run['lower_bound_days']}."
        )
    t = Table("WBS", "task", "old start", "new start", "delay")
    for c in run["changes"]:
        t.add_row(
            c["wbs_code"],
            escape(c["name"]),
            fmt_time(_dt(c["old_start"])),
            fmt_time(_dt(c["new_start"])),
            f"{c['delay_days']:+g}d",
        )
    console.print(t if run["changes"] else "Nothing moves.")
    left = run["remaining_overallocations"]
    console.print(
        f"Over-allocations left: {len(left)}"
        + ("" if not left else " (first: " + ", ".join(f"{o['resource']} {o['day']}" for o in left[:5]) + ")")
    )
    console.print(
        "[green]Applied.[/green]"
        if apply
        else f"Preview only: apply with `charter level {project} "
        f"--method {method} --apply` or through the web page."
    )


def _dt(v: Any) -> dt.datetime | None:
    if v is None or isinstance(v, dt.datetime):
        return v
    return dt.datetime.fromisoformat(str(v))


def workload_cmd(
    person: Annotated[str | None, typer.Option(help="Username (or resource id) of one person.")] = None,
    project: Annotated[str | None, typer.Option(help="Only the people assigned in this project.")] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD); default: this Monday.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day; default: four weeks on.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Planned load per person and week against capacity, across every project, and the over-allocations."""
    try:
        a = (
            dt.date.fromisoformat(start)
            if start
            else dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
        )
        b = dt.date.fromisoformat(end) if end else a + dt.timedelta(days=27)
    except ValueError:
        fail("dates are YYYY-MM-DD (--from, --to)")
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            rids = None
            if person:
                if (n := as_id(person)) is not None:
                    rids = [n]
                else:
                    rids = [resources.person_resource(s, accounts.find_user_id(s, person)).id]
            pid = projects.find_project_id(s, actor, project) if project else None
            data = workload.workload(s, actor, start=a, end=b, resource_ids=rids, project_id=pid)
    finally:
        db.dispose()
    if as_json:
        print_json(data)
        return
    weeks = [w["week"] for w in (data["resources"][0]["weeks"] if data["resources"] else [])]
    t = Table("person", *weeks)
    for p in data["resources"]:
        cells = []
        for w in p["weeks"]:
            pct = round(100 * w["load_minutes"] / w["capacity_minutes"]) if w["capacity_minutes"] else 0
            style = "red" if w["load_minutes"] > w["capacity_minutes"] else ""
            text = f"{w['load_minutes'] / 60:.0f}/{w['capacity_minutes'] / 60:.0f}h ({pct}%)"
            cells.append(f"[{style}]{text}[/{style}]" if style else text)
        t.add_row(escape(p["name"]), *cells)
    console.print(t if data["resources"] else "No resources.")
    for o in data["overallocations"][:30]:
        names = ", ".join(escape(x["task"]) for x in o["tasks"])
        console.print(
            f"[red]{escape(o['resource'])} over-allocated on {o['day']}: "
            f"{o['load_minutes'] / 60:.1f}h of {o['capacity_minutes'] / 60:.1f}h[/red] — {names}"
        )


@resource_app.command("list")
def resource_list(as_json: JsonFlag = False) -> None:
    """List the organisation's resources."""
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            rows = resources.list_resources(s, acting(s))
    finally:
        db.dispose()
    if as_json:
        print_json(rows)
        return
    t = Table("id", "kind", "name", "max units", "working days", "rates")
    for r in rows:
        t.add_row(
            str(r["id"]),
            r["kind"],
            escape(r["name"]),
            f"{r['max_units']:g}",
            ",".join(str(d) for d in r["weekdays"]) or "standard",
            "; ".join(f"{x['valid_from']}: {x['standard']} {x['currency']}" for x in r["rates"]),
        )
    console.print(t)


@resource_app.command("add")
def resource_add(
    name: Annotated[str, typer.Argument(help="Name of the resource.")],
    kind: Annotated[
        str, typer.Option(help="person, equipment, environment, licence or material.")
    ] = "equipment",
    user: Annotated[str | None, typer.Option(help="For a person: their username.")] = None,
    max_units: Annotated[float, typer.Option(help="1.0 = one full-time unit.")] = 1.0,
    as_json: JsonFlag = False,
) -> None:
    """Add a resource (instance admins)."""
    db = open_db()
    try:
        with db.uow() as s:
            uid = accounts.find_user_id(s, user) if user else None
            r = resources.create_resource(
                s, acting(s), name=name, kind=kind, user_id=uid, max_units=max_units
            )
    finally:
        db.dispose()
    if as_json:
        print_json(r)
    else:
        console.print(f"Added resource {r['id']}: {escape(r['name'])} ({r['kind']}).")
