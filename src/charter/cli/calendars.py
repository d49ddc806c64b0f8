"""`charter calendar list|show|create|update PROJECT ...` and `charter calendar exception add|remove`: a
project's working calendars (working weekdays, working hours, public holidays by country and region, and
exceptions such as a Christmas shutdown). A change to a calendar reschedules the project in the same
transaction, as the API does."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from charter.cli.common import (
    JsonFlag,
    check_length,
    console,
    fmt_date,
    parse_date,
    print_json,
    print_result,
    print_rows,
    run_in_project,
)
from charter.domain.calendars import DAY_NAMES, hhmm, parse_shifts, parse_weekdays
from charter.domain.errors import NotFound, ValidationError
from charter.domain.ids import as_id
from charter.services import calendars
from charter.services.context import Actor

calendar_app = typer.Typer(
    help="Working calendars of a project: weekdays, hours, public holidays and exceptions.",
    no_args_is_help=True,
)
exception_app = typer.Typer(
    help="Exceptions of a calendar: days off (holidays, shutdowns) or extra working days.",
    no_args_is_help=True,
)
calendar_app.add_typer(exception_app, name="exception")

Project = Annotated[str, typer.Argument(help="Project key or id.")]
Cal = Annotated[str, typer.Argument(help="The calendar's id or exact name (see `charter calendar list`).")]
Version = Annotated[int | None, typer.Option(help="The version you read (default: the current one).")]
WeekdaysOpt = Annotated[
    str | None,
    typer.Option(help='Working weekdays: "mon-fri", "mon,tue,thu" or numbers 0 (Monday) .. 6 (Sunday).'),
]
ShiftsOpt = Annotated[
    str | None,
    typer.Option(
        "--shifts",
        "--hours",
        help='Working hours of a working day, the shifts in order: "09:00-13:00,14:00-18:00" ("24:00" ends at '
        "midnight).",
    ),
]
CountryOpt = Annotated[
    str | None, typer.Option(help="Public holidays of this country (ISO code, e.g. DE; '' for none).")
]
SubdivOpt = Annotated[
    str | None, typer.Option(help="...and of this region of it (e.g. BY for Bavaria; '' for none).")
]

NAME_MAX, COUNTRY_MAX, SUBDIV_MAX = 120, 8, 16  # the columns' (and the API's) limits


# --------------------------------------------------------------------------------------------- input


def _fields(
    *,
    name: str | None = None,
    weekdays: str | None = None,
    shifts: str | None = None,
    country: str | None = None,
    subdiv: str | None = None,
) -> dict[str, Any]:
    """The options given, as the calendar service's fields ('' clears the country or the region)."""
    check_length(name, NAME_MAX, "name")
    check_length(country, COUNTRY_MAX, "country")
    check_length(subdiv, SUBDIV_MAX, "subdiv")
    out: dict[str, Any] = {}
    if name is not None:
        out["name"] = name
    if weekdays is not None:
        out["weekdays"] = parse_weekdays(weekdays)
    if shifts is not None:
        out["shifts"] = parse_shifts(shifts)
    for k, v in (("country", country), ("subdiv", subdiv)):
        if v is not None:
            out[k] = v.strip() or None
    return out


def find_calendar(s: Session, a: Actor, pid: int, ref: str) -> dict[str, Any]:
    """The project's calendar with this id or exact name."""
    rows = calendars.list_calendars(s, a, pid)
    ref = ref.strip()
    by_id = [c for c in rows if ref.isdecimal() and c["id"] == int(ref)]
    if by_id:
        return by_id[0]
    by_name = [c for c in rows if c["name"] == ref]
    if len(by_name) > 1:
        ids = ", ".join(str(c["id"]) for c in by_name)
        raise ValidationError(
            f"several calendars are named {ref!r} (ids {ids}): give the id", field="calendar"
        )
    if not by_name:
        raise NotFound(f"no calendar {ref!r} in this project (see `charter calendar list`)", field="calendar")
    return by_name[0]


# --------------------------------------------------------------------------------------------- output


def _days(c: dict[str, Any]) -> str:
    return ", ".join(DAY_NAMES[d] for d in c["weekdays"])


def _hours(c: dict[str, Any]) -> str:
    return ", ".join(f"{hhmm(a)}-{hhmm(b)}" for a, b in c["shifts"])


def _holidays(c: dict[str, Any]) -> str:
    return (c["country"] or "") + (f"-{c['subdiv']}" if c["subdiv"] else "")


def _row(c: dict[str, Any]) -> tuple[str, ...]:
    return (
        str(c["id"]),
        escape(c["name"]) + (" [dim](project default)[/dim]" if c["is_project_default"] else ""),
        _days(c),
        _hours(c),
        f"{c['minutes_per_day'] / 60:g}h",
        escape(_holidays(c)) or "—",
        str(len(c["exceptions"])),
    )


def _show(c: dict[str, Any]) -> None:
    console.print(f"[bold]Calendar {c['id']} {escape(c['name'])}[/bold]"
                  + (" (the project's default)" if c["is_project_default"] else "") + f" · version {c['version']}")  # fmt: skip
    console.print(f"  working days: {_days(c)}")
    console.print(f"  working hours: {_hours(c)} ({c['minutes_per_day'] / 60:g}h a day)")
    console.print(f"  public holidays: {escape(_holidays(c)) or 'none'}")
    if not c["exceptions"]:
        console.print("  no exceptions")
        return
    console.print("[bold]Exceptions[/bold]")
    for e in c["exceptions"]:
        kind = "working day" if e["working"] else "day off"
        console.print(
            f"  {e['id']}: {fmt_date(e['day'])} {kind}" + (f" — {escape(e['name'])}" if e["name"] else "")
        )


COLUMNS = ("id", "calendar", "working days", "hours", "a day", "holidays", "exceptions")


# --------------------------------------------------------------------------------------------- commands


@calendar_app.command("list")
def list_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """The project's calendars: working days and hours, public holidays, number of exceptions."""
    rows = run_in_project(project, lambda s, a, pid: calendars.list_calendars(s, a, pid))
    print_rows(rows, COLUMNS, _row, as_json=as_json, empty="No calendars.")


@calendar_app.command("show")
def show_cmd(project: Project, calendar: Cal, as_json: JsonFlag = False) -> None:
    """One calendar with its exceptions."""
    c = run_in_project(project, lambda s, a, pid: find_calendar(s, a, pid, calendar))
    if as_json:
        print_json(c)
        return
    _show(c)


@calendar_app.command("create")
def create_cmd(
    project: Project,
    name: Annotated[str, typer.Argument(help='The calendar\'s name, e.g. "24x7 cut-over".')],
    weekdays: WeekdaysOpt = None,
    shifts: ShiftsOpt = None,
    country: CountryOpt = None,
    subdiv: SubdivOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a calendar for tasks that keep other hours.

    Default: Monday to Friday, 09:00-13:00 and 14:00-18:00. Needs task.edit on the whole project (the Project
    Manager)."""
    fields = _fields(name=name, weekdays=weekdays, shifts=shifts, country=country, subdiv=subdiv)
    c = run_in_project(project, lambda s, a, pid: calendars.create_calendar(s, a, pid, **fields))
    print_result(c, as_json, f"Calendar {c['id']} created: {escape(c['name'])} ({_days(c)}; {_hours(c)}).")


@calendar_app.command("update")
def update_cmd(
    project: Project,
    calendar: Cal,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    weekdays: WeekdaysOpt = None,
    shifts: ShiftsOpt = None,
    country: CountryOpt = None,
    subdiv: SubdivOpt = None,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a calendar: only the options given change; the project is rescheduled."""
    changes = _fields(name=name, weekdays=weekdays, shifts=shifts, country=country, subdiv=subdiv)
    if not changes:
        raise ValidationError("nothing to change: give at least one option", field="calendar")

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        c = find_calendar(s, a, pid, calendar)
        out = calendars.update_calendar(s, a, pid, c["id"], version if version is not None else c["version"],
                                        **changes)  # fmt: skip
        return out

    c = run_in_project(project, go)
    print_result(
        c,
        as_json,
        f"Calendar {c['id']} updated: {escape(c['name'])} ({_days(c)}; {_hours(c)}; holidays "
        f"{escape(_holidays(c)) or 'none'}); the schedule is recomputed.",
    )


@exception_app.command("add")
def exception_add_cmd(
    project: Project,
    calendar: Cal,
    from_: Annotated[str, typer.Option("--from", help="The first day, ISO (e.g. 2030-12-24).")],
    to: Annotated[str | None, typer.Option("--to", help="The last day, ISO (default: the first).")] = None,
    name: Annotated[str, typer.Option(help='What it is, e.g. "Christmas".')] = "",
    working: Annotated[
        bool,
        typer.Option(
            "--working/--off", help="Extra working days (e.g. a Saturday go-live) instead of days off."
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add an exception for each day from --from to --to (all of them or none); the project is rescheduled."""
    check_length(name, NAME_MAX, "name")
    first = parse_date(from_, "from")
    last = parse_date(to, "to") if to is not None else first
    assert first is not None and last is not None  # (--from is required: only for the type checker)

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        c = find_calendar(s, a, pid, calendar)
        try:
            return calendars.add_exception(
                s, a, pid, c["id"], day=first, until=last, working=working, name=name
            )
        except ValidationError as e:
            if e.field == "until":  # the service's name of --to
                e.field = "to"
            raise

    c = run_in_project(project, go)
    if as_json:
        print_json(c)
        return
    days = (last - first).days + 1
    span = str(first) if days == 1 else f"{first} .. {last} ({days} days)"
    console.print(f"Calendar {escape(c['name'])}: {span} "
                  f"{'working' if working else 'off'}; the schedule is recomputed.")  # fmt: skip


@exception_app.command("remove")
def exception_remove_cmd(
    project: Project,
    calendar: Cal,
    exception: Annotated[
        str, typer.Argument(help="The exception's id or its day, ISO (see `charter calendar show`).")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Remove an exception; the project is rescheduled."""

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        c = find_calendar(s, a, pid, calendar)
        ref = exception.strip()
        if (n := as_id(ref)) is not None:
            eid = n
        else:
            day = parse_date(ref, "exception_id")
            match = [e["id"] for e in c["exceptions"] if e["day"] == day]
            if not match:
                raise NotFound(f"calendar {c['name']} has no exception on {day}", field="exception_id")
            eid = match[0]
        out = calendars.remove_exception(s, a, pid, c["id"], eid)
        return out

    c = run_in_project(project, go)
    print_result(
        c,
        as_json,
        f"Exception {escape(exception)} removed from calendar {escape(c['name'])}; the schedule is "
        "recomputed.",
    )
