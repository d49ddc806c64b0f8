"""`charter level [run]` (the rest of `charter level`: levelling.py), `charter workload`, `charter resource list|show|add|update|rate|exception`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from charter.cli.common import (
    JsonFlag,
    acting,
    console,
    fail,
    fmt_time,
    open_db,
    parse_date,
    print_json,
    print_result,
)
from charter.domain.calendars import DAY_NAMES, format_shifts, parse_shifts, parse_weekdays
from charter.domain.errors import NotFound, ValidationError
from charter.domain.money import for_display
from charter.services import accounts, levelling, org, projects, resources, workload
from charter.services.context import Actor

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
    print_elapsed_left(left)
    console.print(
        "[green]Applied.[/green]"
        if apply
        else f"Preview only: accept it with `charter level accept {project} {run['id']}` or on the web page."
    )


def _dt(v: Any) -> dt.datetime | None:
    if v is None or isinstance(v, dt.datetime):
        return v
    return dt.datetime.fromisoformat(str(v))


def print_elapsed_left(left: list[dict[str, Any]]) -> None:
    """Name the elapsed tasks and the tasks on a calendar of their own among the causes of what levelling left:
    it never moves them (and elapsed ones load their people round the clock)."""
    names = sorted({t["task"] for o in left for t in o.get("tasks") or [] if t.get("elapsed")})
    if names:
        console.print(f"[yellow]Not levelled (elapsed, round the clock): {escape(', '.join(names))}[/yellow]")
    names = sorted({t["task"] for o in left for t in o.get("tasks") or [] if t.get("own_calendar")})
    if names:
        console.print(
            f"[yellow]Not levelled (on its own calendar: levelling does not move it): "
            f"{escape(', '.join(names))}[/yellow]"
        )


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
            rids = resources.person_resource_ids(s, actor, person) if person else None
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
    console.print(
        t if data["resources"] else (f"No resource for {escape(person)}." if person else "No resources.")
    )
    for o in data["overallocations"][:30]:
        names = ", ".join(
            escape(x["task"])
            + (" (elapsed)" if x.get("elapsed") else "")
            + (" (own calendar)" if x.get("own_calendar") else "")
            for x in o["tasks"]
        )
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
            actor = acting(s)
            uid = accounts.find_user_id_for_admin(s, actor, user) if user else None
            r = resources.create_resource(s, actor, name=name, kind=kind, user_id=uid, max_units=max_units)
    finally:
        db.dispose()
    if as_json:
        print_json(r)
    else:
        console.print(f"Added resource {r['id']}: {escape(r['name'])} ({r['kind']}).")


# --------------------------------------------------------------------------------------------- one resource

Ref = Annotated[str, typer.Argument(help="The resource: its name, id or (a person) their username.")]
RATE_QUANTUM = Decimal(1).scaleb(-resources.RATE_PLACES)  # as the column holds a rate


def _in_resource(ref: str, fn: Callable[[Session, Actor, int], Any], *, write: bool = True) -> Any:
    """Open the database and call `fn(session, acting user, resource id)` in one transaction."""
    db = open_db()
    try:
        with db.uow(readonly=not write) as s:
            actor = acting(s)
            return fn(s, actor, resources.find_resource_id(s, actor, ref))
    finally:
        db.dispose()


def _amount(rate: dict[str, Any], key: str) -> str:
    """A rate's amount with its currency's minor units, and any further digits that carry a value."""
    return str(for_display(Decimal(rate[key]).quantize(RATE_QUANTUM), rate["currency"]))


def _week(r: dict[str, Any]) -> str:
    days = ", ".join(DAY_NAMES[d] for d in r["weekdays"]) or "standard days"
    return f"{days}; {format_shifts(r['shifts']) or 'standard hours'}"


@resource_app.command("show")
def resource_show(resource: Ref, as_json: JsonFlag = False) -> None:
    """One resource: its details, its cost rates over time and its days off (and extra working days)."""

    def go(s: Session, a: Actor, rid: int) -> dict[str, Any]:
        r = resources.get_resource(s, a, rid)
        r["user"] = accounts.get_user(s, a, r["user_id"])["username"] if r["user_id"] is not None else None
        return r

    r = _in_resource(resource, go, write=False)
    if as_json:
        print_json(r)
        return
    state = "" if r["active"] else " [inactive]"
    console.print(f"[bold]{escape(r['name'])}[/bold] (resource {r['id']}, {r['kind']}){escape(state)}, "
                  f"version {r['version']}")  # fmt: skip
    console.print(f"User: {escape(r['user'] or 'none')} · max units {r['max_units']:g}"
                  f"{' ' + escape(r['unit']) if r['unit'] else ''} · working week: {_week(r)}")  # fmt: skip
    if r["skills"]:
        console.print(f"Skills: {escape(', '.join(r['skills']))}")
    rates = Table("valid from", "standard", "overtime", "currency", title="Cost rates")
    for x in r["rates"]:
        rates.add_row(str(x["valid_from"]), _amount(x, "standard"), _amount(x, "overtime"), x["currency"])
    console.print(rates if r["rates"] else "No cost rates.")
    days = Table("id", "day", "kind", "name", title="Days off and extra working days")
    for e in r["exceptions"]:
        days.add_row(str(e["id"]), str(e["day"]), "working" if e["working"] else "off", escape(e["name"]))
    console.print(days if r["exceptions"] else "No days off or extra working days.")


@resource_app.command("update")
def resource_update(
    resource: Ref,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    max_units: Annotated[float | None, typer.Option(help="1.0 = one full-time unit.")] = None,
    department: Annotated[str | None, typer.Option(help="Department name or id ('' for none).")] = None,
    skills: Annotated[str | None, typer.Option(help='Skills, comma-separated ("" for none).')] = None,
    weekdays: Annotated[
        str | None,
        typer.Option(
            help='Working weekdays: "mon-thu", "mon,wed" or 0 (Monday) .. 6 ("" = the standard week).'
        ),
    ] = None,
    shifts: Annotated[
        str | None,
        typer.Option("--shifts", "--hours", help='Working hours: "09:00-13:00" ("" = the standard hours).'),
    ] = None,
    active: Annotated[
        bool | None,
        typer.Option("--active/--inactive", help="Assignable to tasks, or kept for the records only."),
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="The version you read (default: the current one).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a resource: only the options given change (instance admins; a person may change their own
    --weekdays and --hours)."""
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if max_units is not None:
        changes["max_units"] = max_units
    if skills is not None:
        changes["skills"] = list(dict.fromkeys(x.strip() for x in skills.split(",") if x.strip()))
    if weekdays is not None:
        changes["weekdays"] = parse_weekdays(weekdays) if weekdays.strip() else []
    if shifts is not None:
        changes["shifts"] = parse_shifts(shifts) or []
    if active is not None:
        changes["active"] = active
    if not changes and department is None:
        raise ValidationError("nothing to change: give at least one option", field="resource")

    def go(s: Session, a: Actor, rid: int) -> dict[str, Any]:
        if department is not None:
            changes["department_id"] = org.find_department_id(s, department) if department.strip() else None
        current = resources.get_resource(s, a, rid)
        return resources.update_resource(
            s, a, rid, version if version is not None else current["version"], **changes
        )

    r = _in_resource(resource, go)
    print_result(r, as_json, f"Resource {r['id']} updated: {escape(r['name'])} ({r['kind']}, max units "
                             f"{r['max_units']:g}, {_week(r)}), version {r['version']}.")  # fmt: skip


@resource_app.command("rate")
def resource_rate(
    resource: Ref,
    standard: Annotated[
        str, typer.Option("--standard", "--rate", help="Per hour (materials: per unit), e.g. 85.50.")
    ],
    valid_from: Annotated[str, typer.Option("--valid-from", "--from", help="The first day it applies, ISO.")],
    overtime: Annotated[
        str | None, typer.Option(help="Overtime per hour (default: the standard rate).")
    ] = None,
    currency: Annotated[
        str | None,
        typer.Option(help="ISO code, e.g. EUR (default: the previous rate's, else its projects' currency)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a cost rate from a day on (instance admins); it applies until the next rate starts."""
    day = parse_date(valid_from, "valid_from")
    assert day is not None  # (required: only for the type checker)
    r = _in_resource(resource, lambda s, a, rid: resources.add_rate(
        s, a, rid, valid_from=day, standard=standard, overtime=overtime, currency=currency))  # fmt: skip
    x = next(x for x in r["rates"] if x["valid_from"] == day)
    print_result(r, as_json, f"{escape(r['name'])}: {_amount(x, 'standard')} {x['currency']} from {day} "
                             f"(overtime {_amount(x, 'overtime')}).")  # fmt: skip


@resource_app.command("exception")
def resource_exception(
    resource: Ref,
    day: Annotated[str, typer.Option("--day", "--start", help="The (first) day, ISO (e.g. 2030-08-05).")],
    until: Annotated[
        str | None, typer.Option("--until", "--end", help="The last day of a range (default: --day only).")
    ] = None,
    name: Annotated[str, typer.Option("--name", "--reason", help='What it is, e.g. "Vacation".')] = "",
    working: Annotated[
        bool, typer.Option("--working/--off", help="Extra working days instead of days off.")
    ] = False,
    remove: Annotated[
        bool, typer.Option("--remove", help="Take back the entries of these days instead (each must exist).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Enter days off (a vacation) or extra working days of a resource, every day from --day to --until (all
    of them or none); --remove takes them back. The person themselves or an instance admin."""
    first = parse_date(day, "day")
    last = parse_date(until, "until") if until is not None else first
    assert first is not None and last is not None  # (--day is required: only for the type checker)

    def go(s: Session, a: Actor, rid: int) -> dict[str, Any]:
        if not remove:
            return resources.add_exception(s, a, rid, day=first, until=last, working=working, name=name)
        if last < first:
            raise ValidationError(f"the last day {last} is before the first {first}", field="until")
        held = {e["day"]: e["id"] for e in resources.get_resource(s, a, rid)["exceptions"]}
        gone = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        missing = [d for d in gone if d not in held]
        if missing:
            raise NotFound(f"there is no entry on {missing[0]}", field="day")
        r: dict[str, Any] = {}
        for d in gone:
            r = resources.remove_exception(s, a, rid, held[d])
        return r

    r = _in_resource(resource, go)
    n = (last - first).days + 1
    span = str(first) if n == 1 else f"{first} .. {last} ({n} days)"
    what = "removed" if remove else ("working" if working else "off")
    print_result(r, as_json, f"{escape(r['name'])}: {span} {what}.")
