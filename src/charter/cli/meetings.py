"""`charter meeting list|show|create|minutes|decision|action|invite PROJECT ...`: the project's meetings with
their agenda, attendees, minutes, decisions and action items (each action item becomes a task)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from charter.cli.common import (
    JsonFlag,
    console,
    fmt_time,
    parse_when,
    print_json,
    print_result,
    print_rows,
    run_in_project,
)
from charter.domain.errors import ValidationError
from charter.domain.figures import counted
from charter.services import meetings

meeting_app = typer.Typer(
    help="Meetings: agenda, attendees, minutes, decisions and action items (which become tasks).",
    no_args_is_help=True,
)

Project = Annotated[str, typer.Argument(help="Project key or id.")]
MeetingId = Annotated[int, typer.Argument(help="The meeting's id (see `charter meeting list`).")]


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not an ISO date (e.g. 2030-01-20)", field=field) from None


def _show(m: dict[str, Any]) -> None:
    console.print(f"[bold]Meeting {m['id']}[/bold] {escape(m['title'])} — {fmt_time(m['starts_at'])} to "
                  f"{fmt_time(m['ends_at'])} UTC{' · ' + escape(m['location']) if m['location'] else ''} · "
                  f"organiser {escape(m['organiser'] or '—')} · version {m['version']}")  # fmt: skip
    console.print("Attendees: " + (", ".join(escape(a["name"] or "?") for a in m["attendees"]) or "none"))
    if m.get("agenda"):
        console.print("\n[bold]Agenda[/bold]\n" + escape(m["agenda"]))
    if m.get("minutes"):
        console.print("\n[bold]Minutes[/bold]\n" + escape(m["minutes"]))
    for d in m.get("decisions", []):
        console.print(f"Decision: {escape(d['text'])}")
    for a in m.get("actions", []):
        console.print(
            f"Action: {escape(a['text'])} — {escape(a['owner'] or '?')}, due {a['due_on']}, task {a['task_id']}"
        )


@meeting_app.command("list")
def list_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """The project's meetings, latest first."""
    rows = run_in_project(project, lambda s, a, pid: meetings.list_meetings(s, a, pid))
    print_rows(rows, ("id", "starts (UTC)", "title", "organiser", "attendees"),
               lambda m: (str(m["id"]), fmt_time(m["starts_at"]), escape(m["title"]), escape(m["organiser"] or "—"),
                          str(len(m["attendees"]))), as_json=as_json, empty="No meetings.")  # fmt: skip


@meeting_app.command("show")
def show_cmd(project: Project, meeting: MeetingId, as_json: JsonFlag = False) -> None:
    """One meeting with its agenda, minutes, decisions and action items."""
    m = run_in_project(project, lambda s, a, pid: meetings.get_meeting(s, a, pid, meeting))
    if as_json:
        print_json(m)
        return
    _show(m)


@meeting_app.command("create")
def create_cmd(
    project: Project,
    title: Annotated[str, typer.Option(help="What the meeting is.")],
    starts: Annotated[str, typer.Option(help="Start, ISO date-time (UTC unless a zone is given).")],
    ends: Annotated[str, typer.Option(help="End, ISO date-time.")],
    attendee: Annotated[
        list[str] | None, typer.Option(help="A member to invite (username or id; repeat for several).")
    ] = None,
    location: Annotated[str, typer.Option(help="Room or call link.")] = "",
    agenda: Annotated[str, typer.Option(help="The agenda (Markdown).")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Schedule a meeting; the attendees are notified. You are its organiser."""
    start, end = parse_when(starts, "starts_at"), parse_when(ends, "ends_at")
    if start is None or end is None:  # (both options are required: only for the type checker)
        raise ValidationError("give the start and the end", field="starts_at")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        return meetings.create_meeting(s, a, pid, title=title, starts_at=start, ends_at=end, location=location,
                                       agenda=agenda,
                                       attendee_ids=meetings.find_people(s, a, pid, attendee or []))  # fmt: skip

    m = run_in_project(project, go)
    print_result(
        m,
        as_json,
        f"Meeting {m['id']} created: {escape(m['title'])} ({counted(len(m['attendees']), 'attendee')} invited).",
    )


@meeting_app.command("minutes")
def minutes_cmd(
    project: Project,
    meeting: MeetingId,
    text: Annotated[str, typer.Option(help="The minutes (Markdown); they replace what was there.")],
    version: Annotated[
        int | None, typer.Option(help="The version you read (default: the current one).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record the minutes (the organiser or the Project Manager)."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        v = version if version is not None else meetings.get_meeting(s, a, pid, meeting)["version"]
        return meetings.update_meeting(s, a, pid, meeting, v, minutes=text)

    m = run_in_project(project, go)
    print_result(m, as_json, f"Minutes of meeting {m['id']} saved (version {m['version']}).")


@meeting_app.command("decision")
def decision_cmd(
    project: Project,
    meeting: MeetingId,
    text: Annotated[str, typer.Argument(help="The decision as it was taken.")],
    as_json: JsonFlag = False,
) -> None:
    """Record a decision taken in the meeting (the organiser or the Project Manager)."""
    m = run_in_project(project, lambda s, a, pid: meetings.add_decision(s, a, pid, meeting, text=text))
    print_result(m, as_json, f"Decision recorded in meeting {m['id']} ({len(m['decisions'])} in all).")


@meeting_app.command("action")
def action_cmd(
    project: Project,
    meeting: MeetingId,
    text: Annotated[str, typer.Argument(help="What is to be done.")],
    owner: Annotated[str, typer.Option(help="Who does it (username or id; a member of the project).")],
    due: Annotated[str, typer.Option(help="Due date, ISO (on or after the meeting's day).")],
    wp: Annotated[
        int | None,
        typer.Option("--wp", help="The work package (id) its task goes in; default: the project level."),
    ] = None,
    duration: Annotated[
        str | None, typer.Option(help='Its task\'s duration, "3d" or "4h" (default 1d).')
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add an action item: a task with its owner assigned and the due date as its deadline, in the project
    level or a work package your roles add tasks to (a Task Leader: their own packages)."""
    due_on = _day(due, "due_on")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        owner_id = meetings.find_people(s, a, pid, [owner], meeting)[0]
        return meetings.add_action(s, a, pid, meeting, text=text, owner_id=owner_id,
                                   due_on=due_on, work_package_id=wp, duration=duration)  # fmt: skip

    m = run_in_project(project, go)
    if as_json:
        print_json(m)
        return
    a = m["actions"][-1]
    console.print(f"Action item added to meeting {m['id']}: task {a['task_id']} for {escape(a['owner'] or '?')}, "
                  f"due {a['due_on']}.")  # fmt: skip


@meeting_app.command("invite")
def invite_cmd(
    project: Project,
    meeting: MeetingId,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the .ics here (default: stdout).")
    ] = None,
) -> None:
    """The meeting's iCalendar invitation (METHOD:REQUEST) with the organiser and attendees."""
    ics: bytes = run_in_project(project, lambda s, a, pid: meetings.invitation_ics(s, a, pid, meeting))
    if out is None:
        typer.echo(ics.decode(), nl=False)
        return
    out.write_bytes(ics)
    console.print(f"Invitation written to {out}.")
