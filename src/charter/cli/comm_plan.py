"""`charter comm-plan list|add|update|delete|done|pass-on|check PROJECT ...`: the communication plan from the
command line, as on its page (/projects/{id}/comm-plan) and through …/comm-plan (the same services: who may
keep the plan, the owner or the PM records it done, the journal)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.markup import escape

from charter.cli.common import (
    JsonFlag,
    check_length,
    console,
    fmt_date,
    parse_date,
    print_result,
    print_rows,
    run_in_project,
)
from charter.cli.roles import find_role
from charter.domain.errors import NotFound, ValidationError
from charter.domain.roles import Perm
from charter.services import accounts, comm_plan, org

plan_app = typer.Typer(
    help="The communication plan: who gets what information, how often, through which channel, owned by whom.",
    no_args_is_help=True,
)

Project = Annotated[str, typer.Argument(help="Project key or id.")]
Entry = Annotated[int, typer.Argument(help="The entry's id (`charter comm-plan list` shows it).")]
Version = Annotated[
    int | None, typer.Option("--version", help="The version you read (default: the current one).")
]
To = Annotated[
    str | None,
    typer.Option(
        "--to", metavar="AUDIENCE",
        help="Who gets it: project (the whole project), user:USERNAME (a stakeholder who is a member), "
        "department:NAME or role:NAME (a role of this project, by name or key).",
    ),
]  # fmt: skip
Frequency = Annotated[
    str | None,
    typer.Option(help="weekly, biweekly, monthly, quarterly, per_milestone (at each milestone) or once."),
]
Channel = Annotated[str | None, typer.Option(help="in_app, email, meeting or report (the status report).")]
Owner = Annotated[str | None, typer.Option(help="Who sends it: username of a member (default: you).")]
StartsOn = Annotated[str | None, typer.Option(help="From when it runs, YYYY-MM-DD (default: today).")]

AUDIENCE_ID = {"user": "audience_user_id", "department": "audience_department_id", "role": "audience_role_id"}


def _user(s: Any, a: Any, pid: int, ref: str, field: str) -> int:
    """A user by username or id, for whoever keeps the plan (checked first); one who does not exist names
    `field`."""
    try:
        return accounts.find_user_id_in(s, a, pid, Perm.COMMS_DEPARTMENT, ref)
    except NotFound as e:
        raise NotFound(e.message, field=field) from None


def _audience(s: Any, a: Any, pid: int, to: str) -> dict[str, Any]:
    """`--to` as the service's fields: the audience and its one id (the other two cleared)."""
    kind, _, ref = to.partition(":")
    kind = kind.strip().lower()
    kind = "user" if kind == "stakeholder" else kind
    ref = ref.strip()
    out: dict[str, Any] = {"audience": kind, **dict.fromkeys(AUDIENCE_ID.values())}
    if kind == "project":
        if ref:
            raise ValidationError("the whole project takes no name: --to project", field="audience")
        return out
    if kind not in AUDIENCE_ID:
        raise ValidationError(
            f"{to!r} is not project, user:USERNAME, department:NAME or role:NAME", field="audience"
        )
    field = AUDIENCE_ID[kind]
    if not ref:
        raise ValidationError(f"name the {kind}: --to {kind}:NAME", field=field)
    try:
        if kind == "user":
            out[field] = accounts.find_user_id_in(s, a, pid, Perm.COMMS_DEPARTMENT, ref)
        elif kind == "department":
            out[field] = org.find_department_id(s, ref)
        else:
            out[field] = find_role(s, a, pid, ref)["id"]
    except NotFound as e:
        raise ValidationError(e.message, field=field) from None
    return out


def _line(e: dict[str, Any]) -> str:
    due = f"next due {e['next_due']}" if e["next_due"] else ("paused" if not e["active"] else "nothing due")
    flag = " [red]overdue[/red]" if e["overdue"] else ""
    return (
        f"Entry {e['id']} {escape(e['information'])}: to {escape(e['audience_name'] or '-')}, {e['frequency']} "
        f"by {e['channel']}, owner {escape(e['owner'] or '-')}; {due}{flag} (version {e['version']})"
    )


def _cells(e: dict[str, Any]) -> list[str]:
    due = fmt_date(e["next_due"]) or ("paused" if not e["active"] else "-")
    return [
        str(e["id"]), escape(e["information"]), escape(e["audience_name"] or "-"), e["frequency"], e["channel"],
        escape(e["owner"] or "-"), fmt_date(e["last_done_on"]) or "-",
        due + (" [red]overdue[/red]" if e["overdue"] else ""), str(e["version"]),
    ]  # fmt: skip


COLUMNS = ("id", "information", "to", "frequency", "channel", "owner", "last done", "next due", "version")


@plan_app.command("list")
def list_cmd(
    project: Project,
    due: Annotated[bool, typer.Option("--due", help="Only what is due (or overdue), soonest first.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """The plan: each entry's information, audience, frequency, channel, owner, when it was last done and when
    it is next due (paused entries are never due)."""
    rows = run_in_project(project, lambda s, a, pid: comm_plan.list_plan(s, a, pid, due_only=due))
    print_rows(rows, COLUMNS, _cells, as_json=as_json,
               empty="Nothing is due." if due else "The plan is empty.")  # fmt: skip


@plan_app.command("add")
def add_cmd(
    project: Project,
    information: Annotated[str, typer.Argument(help='What is communicated, e.g. "Weekly status".')],
    to: To = "project",
    frequency: Frequency = "weekly",
    channel: Channel = "in_app",
    owner: Owner = None,
    starts_on: StartsOn = None,
    as_json: JsonFlag = False,
) -> None:
    """Add an entry to the plan (the PM, or whoever keeps the project's communications)."""
    check_length(information, 300, "information")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        return comm_plan.create_entry(
            s, a, pid, information=information, frequency=frequency, channel=channel,
            owner_id=_user(s, a, pid, owner, "owner_id") if owner else None,
            starts_on=parse_date(starts_on, "starts_on"), **_audience(s, a, pid, to or "project"),
        )  # fmt: skip

    e = run_in_project(project, go)
    print_result(e, as_json, "Added " + _line(e))


@plan_app.command("update")
def update_cmd(
    project: Project,
    entry: Entry,
    information: Annotated[str | None, typer.Option(help="What is communicated.")] = None,
    to: To = None,
    frequency: Frequency = None,
    channel: Channel = None,
    owner: Annotated[str | None, typer.Option(help="Who sends it: username of a member.")] = None,
    starts_on: Annotated[str | None, typer.Option(help="From when it runs, YYYY-MM-DD.")] = None,
    active: Annotated[
        bool | None,
        typer.Option("--resume/--pause", help="--pause: kept but never due; --resume: due again."),
    ] = None,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Change an entry: only what is given changes; --pause keeps it in the plan but never due."""
    check_length(information, 300, "information")
    given = {"information": information, "frequency": frequency, "channel": channel, "active": active}
    fields: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if starts_on is not None:
        fields["starts_on"] = parse_date(starts_on, "starts_on")
    if not fields and to is None and owner is None:
        raise ValidationError(
            "nothing to change: give an option such as --frequency or --pause", field="entry"
        )

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        if to is not None:
            fields.update(_audience(s, a, pid, to))
        if owner is not None:
            fields["owner_id"] = _user(s, a, pid, owner, "owner_id")
        current = version if version is not None else _current(s, a, pid, entry)["version"]
        return comm_plan.update_entry(s, a, pid, entry, current, **fields)

    e = run_in_project(project, go)
    print_result(e, as_json, "Updated " + _line(e))


def _current(s: Any, a: Any, pid: int, entry: int) -> dict[str, Any]:
    for e in comm_plan.list_plan(s, a, pid):
        if e["id"] == entry:
            return e
    raise NotFound(f"communication plan entry {entry} not found in this project", field="entry_id")


@plan_app.command("delete")
def delete_cmd(project: Project, entry: Entry, version: Version = None) -> None:
    """Remove an entry made by mistake (the journal keeps it); one that has ended is better paused."""

    def go(s: Any, a: Any, pid: int) -> str:
        e = _current(s, a, pid, entry)
        comm_plan.delete_entry(s, a, pid, entry, version if version is not None else e["version"])
        return str(e["information"])

    info = run_in_project(project, go)
    console.print(f"Entry {entry} {escape(info)} deleted.")


@plan_app.command("done")
def done_cmd(
    project: Project,
    entry: Entry,
    on: Annotated[str | None, typer.Option(help="The day it went out, YYYY-MM-DD (default: today).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record that the communication went out (the entry's owner or the PM); the next due date moves on."""
    day: date | None = parse_date(on, "on")
    e = run_in_project(project, lambda s, a, pid: comm_plan.mark_done(s, a, pid, entry, on=day))
    print_result(e, as_json, "Done: " + _line(e))


@plan_app.command("pass-on")
def pass_on_cmd(
    project: Project,
    from_user: Annotated[str, typer.Option("--from", help="The current owner: username or id.")],
    to_user: Annotated[str, typer.Option("--to", help="The new owner, a member: username or id.")],
    as_json: JsonFlag = False,
) -> None:
    """Pass every active entry one member owns to another (whoever keeps the plan); paused entries stay. A
    Project Manager hand-over (`charter role handover`) does this by itself."""

    def go(s: Any, a: Any, pid: int) -> list[dict[str, Any]]:
        return comm_plan.hand_over_entries(s, a, pid, from_user_id=_user(s, a, pid, from_user, "from_user_id"),
                                           to_user_id=_user(s, a, pid, to_user, "to_user_id"))  # fmt: skip

    rows = run_in_project(project, go)
    if as_json or not rows:
        print_result(rows, as_json, f"{escape(from_user)} owns no active entry; nothing passed on.")
        return
    word = "entry" if len(rows) == 1 else "entries"
    console.print(f"{len(rows)} {word} passed on to {escape(rows[0]['owner'] or to_user)}:")
    for e in rows:
        console.print(f"  {e['id']} {escape(e['information'])}")


@plan_app.command("check")
def check_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """Flag the overdue entries to their owners and the PM (once per entry and due date) and list them."""
    rows = run_in_project(project, comm_plan.flag_overdue)
    if as_json:
        print_rows(rows, COLUMNS, _cells, as_json=True, empty="")
        return
    if not rows:
        console.print("Nothing is overdue.")
        return
    console.print(f"{len(rows)} overdue, flagged to their owners and the Project Manager:")
    print_rows(rows, COLUMNS, _cells, as_json=False, empty="")
