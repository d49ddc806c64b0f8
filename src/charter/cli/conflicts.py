"""`charter conflicts list|show|raise|resolve|escalate|detect PROJECT ...`: the conflict log."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.common import JsonFlag, console, fail, print_json, print_result, ref_number, run_in_project
from charter.services import conflict_detect, conflicts

conflicts_app = typer.Typer(
    help="The conflict log: entries, the escalation ladder (Task Leader -> PM -> Sponsor), detection.",
    no_args_is_help=True,
)

Project = Annotated[str, typer.Argument(help="Project key or id.")]
Ref = Annotated[str, typer.Argument(help="C-n or n")]
RUNG = {"task_leader": "Task Leader", "pm": "PM", "sponsor": "Sponsor"}


def _find(s: Any, a: Any, pid: int, ref: str) -> dict[str, Any]:
    number = ref_number(ref, "C", "conflict")
    match = [c for c in conflicts.list_conflicts(s, a, pid) if c["number"] == number]
    if not match:
        fail(f"error: conflict C-{number} not found")
    return conflicts.get_conflict(s, a, pid, match[0]["id"])


@conflicts_app.command("list")
def list_cmd(
    project: Project,
    status: Annotated[str | None, typer.Option(help="open, resolving, resolved or closed")] = None,
    level: Annotated[str | None, typer.Option(help="task_leader, pm or sponsor")] = None,
    severity: Annotated[str | None, typer.Option(help="low, medium, high or critical")] = None,
    kind: Annotated[str | None, typer.Option(help="people, team, priority, resource, schedule, ...")] = None,
    active: Annotated[bool, typer.Option("--active", help="Only open and resolving entries.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """The entries you may see, active and most severe first, with the rung and the time left."""
    rows = run_in_project(project, lambda s, a, pid: conflicts.list_conflicts(
        s, a, pid, status=status, level=level, severity=severity, kind=kind, active_only=active))  # fmt: skip
    if as_json:
        print_json(rows)
        return
    t = Table("ref", "title", "kind", "severity", "status", "rung", "owner", "moves up in", "source")
    for c in rows:
        t.add_row(c["ref"], escape(c["title"]), c["kind"], c["severity"], c["status"], RUNG[c["level"]],
                  escape(c["owner"] or "-"), c["time_left"] or "-", c["source"])  # fmt: skip
    console.print(t)


@conflicts_app.command("show")
def show_cmd(project: Project, ref: Ref, as_json: JsonFlag = False) -> None:
    """One entry with its parties and journal."""
    c = run_in_project(project, lambda s, a, pid: _find(s, a, pid, ref))
    if as_json:
        print_json(c)
        return
    console.print(f"[bold]{c['ref']}[/bold] {escape(c['title'])} ({c['kind']}, {c['severity']}, {c['status']}"
                  f"{', detected' if c['detected'] else ''})")  # fmt: skip
    console.print(f"  rung {RUNG[c['level']]}, owner {escape(c['owner'] or '-')}, moves up in "
                  f"{c['time_left'] or '-'}; work package {escape(c['work_package'] or '-')}")  # fmt: skip
    if c["description"]:
        console.print(f"  {escape(c['description'])}")
    for p in c["parties"]:
        console.print(f"  party: {escape(p['name'])} ({p['kind']})")
    if c["outcome"]:
        console.print(f"  outcome ({c['approach'] or '-'}): {escape(c['outcome'])}")
    for j in c["journal"]:
        console.print(f"  {j['at']:%Y-%m-%d %H:%M} {escape(j['actor'])} {j['action']}"
                      + (f" — {escape(j['cause'])}" if j["cause"] else ""))  # fmt: skip


@conflicts_app.command("raise")
def raise_cmd(
    project: Project,
    title: Annotated[str, typer.Argument(help="What the conflict is about.")],
    kind: Annotated[
        str,
        typer.Option(
            help="people, team, priority, resource, schedule, technical, budget, constraint or other"
        ),
    ] = "other",
    severity: Annotated[str, typer.Option(help="low, medium, high or critical")] = "medium",
    description: Annotated[str, typer.Option()] = "",
    work_package: Annotated[
        int | None, typer.Option(help="id of the work package (its Task Leader starts)")
    ] = None,
    party: Annotated[
        list[str] | None,
        typer.Option(help="username of a member, or an outside party's name; repeat for more"),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Log a conflict; it starts with the Task Leader of its work package (the PM when there is none)."""

    def add(s: Any, a: Any, pid: int) -> dict[str, Any]:
        parties = conflicts.find_parties(s, a, pid, party) if party else []
        return conflicts.raise_conflict(s, a, pid, title=title, kind=kind, severity=severity,
                                        description=description, work_package_id=work_package, parties=parties)  # fmt: skip

    c = run_in_project(project, add)
    print_result(
        c,
        as_json,
        f"Logged {c['ref']}: {escape(c['title'])} — with {RUNG[c['level']]} "
        f"{escape(c['owner'] or '')}, moves up in {c['time_left'] or '-'}",
    )


@conflicts_app.command("resolve")
def resolve_cmd(
    project: Project,
    ref: Ref,
    outcome: Annotated[str, typer.Option(help="What was decided, and who agreed (required).")],
    approach: Annotated[str, typer.Option(help="collaborate, compromise, accommodate, force or avoid")],
    as_json: JsonFlag = False,
) -> None:
    """Record how the conflict was resolved."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        c = _find(s, a, pid, ref)
        return conflicts.resolve(s, a, pid, c["id"], c["version"], outcome=outcome, approach=approach)

    c = run_in_project(project, go)
    print_result(c, as_json, f"{c['ref']} resolved ({c['approach']}): {escape(c['outcome'])}")


@conflicts_app.command("escalate")
def escalate_cmd(
    project: Project,
    ref: Ref,
    reason: Annotated[str, typer.Option(help="Why now.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Move the conflict one rung up the ladder now."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        c = _find(s, a, pid, ref)
        return conflicts.escalate(s, a, pid, c["id"], c["version"], reason)

    c = run_in_project(project, go)
    print_result(c, as_json, f"{c['ref']} is now with {RUNG[c['level']]} {escape(c['owner'] or '')}")


@conflicts_app.command("detect")
def detect_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """Run the detectors now (over-allocation, violated constraints, budget overruns): the PM."""
    report = run_in_project(project, lambda s, a, pid: conflict_detect.detect(s, a, pid))
    if as_json:
        print_json(report)
        return
    for k in ("opened", "reopened", "updated", "closed", "kept"):
        console.print(f"{k}: {', '.join(report[k]) or '-'}")
