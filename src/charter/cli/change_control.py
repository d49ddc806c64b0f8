"""Change control and stakeholder concerns: `charter change since|list|create|show|preview|approve|reject|withdraw
PROJECT ...`, `charter concern raise|list|risk PROJECT ...` (more of both groups in cli/stakeholders.py)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.common import (
    JsonFlag,
    console,
    fail,
    fmt_time,
    parse_when,
    print_json,
    print_result,
    print_rows,
)
from charter.cli.quality import Project, Version, run
from charter.services import change, stakeholders

change_app = typer.Typer(help="Change requests: impact preview and decision.", no_args_is_help=True)
concern_app = typer.Typer(help="Stakeholder concerns.", no_args_is_help=True)

Number = Annotated[int, typer.Argument(help="Change request number (CR-n) in the project.")]


# --------------------------------------------------------------------------------------------- change


def _by_number(s: Any, a: Any, pid: int, number: int) -> dict[str, Any]:
    for c in change.list_change_requests(s, a, pid):
        if c["number"] == number:
            return c
    fail(f"error: CR-{number} not found in this project")


def _print_cr(c: dict[str, Any]) -> None:
    console.print(f"[bold]CR-{c['number']}[/bold] {escape(c['title'])} — {c['status']}"
                  + (" (preview stale: preview again)" if c["preview_stale"] else ""))  # fmt: skip
    p = c.get("preview")
    if p:
        i = p["impact"]
        t = Table("", "current", "proposed")
        t.add_row("finish", str(i["finish"]["before"]), str(i["finish"]["after"]))
        for k, v in i["cost"].items():
            t.add_row(k, str(v["before"]), str(v["after"]))
        t.add_row("critical path", escape(", ".join(x["name"] for x in i["critical_path"]["before"])),
                  escape(", ".join(x["name"] for x in i["critical_path"]["after"])))  # fmt: skip
        console.print(t)
    if c["approvers"]:
        votes = ", ".join(f"{v['name']}: {v['vote']}" for v in c["votes"]) or "no votes yet"
        console.print(f"Board: {escape(', '.join(str(x['name']) for x in c['approvers']))}; quorum {c['quorum']}; "
                      f"{escape(votes)}")  # fmt: skip
    if c["decision_reason"]:
        console.print(f"Decision: {escape(c['decision_reason'])}")


@change_app.command("since")
def change_since(project: Project, baseline: Annotated[int, typer.Argument(help="Baseline number 0-10.")],
                 as_json: JsonFlag = False) -> None:  # fmt: skip
    """What changed since baseline N: tasks whose dates or duration differ, added and removed tasks."""
    rep = run(project, lambda s, a, pid: change.since_baseline(s, a, pid, baseline))
    if as_json:
        print_json(rep)
        return
    console.print(f"Since baseline {rep['baseline']} ({escape(rep['baseline_name'] or '')}): finish "
                  f"{fmt_time(rep['baseline_finish'])} -> {fmt_time(rep['finish'])}")  # fmt: skip
    t = Table("task", "change", "baseline finish", "finish")
    for x in rep["changed"]:
        t.add_row(escape(f"{x['wbs_code']} {x['name']}"), f"moved {x['finish_variance_days']} d",
                  fmt_time(x["baseline_finish"]), fmt_time(x["finish"]))  # fmt: skip
    for x in rep["added"]:
        t.add_row(escape(f"{x['wbs_code']} {x['name']}"), "added", "-", fmt_time(x["finish"]))
    for x in rep["removed"]:
        t.add_row(escape(x["name"] or f"task {x['id']}"), "removed", "", "-")
    console.print(t)


@change_app.command("list")
def change_list(project: Project, as_json: JsonFlag = False) -> None:
    """Change requests, newest first."""
    rows = run(project, change.list_change_requests)
    print_rows(rows, ("CR", "title", "requested by", "status", "previewed", "baseline"),
               lambda c: (f"CR-{c['number']}", escape(c["title"]), escape(c["requested_by_name"] or ""), c["status"],
                          fmt_time(c["previewed_at"]) if c["previewed_at"] else "—",
                          str(c["baseline_number"]) if c["baseline_number"] is not None else "—"),
               as_json=as_json, empty="No change requests.")  # fmt: skip


@change_app.command("create")
def change_create(
    project: Project, title: Annotated[str, typer.Option(help="What changes.")],
    changes: Annotated[str, typer.Option(help='Proposed changes as JSON, e.g. [{"op":"task_duration","task_id":3,'
                                              '"duration":"5d"}].')] = "[]",
    reason: Annotated[str, typer.Option(help="Why.")] = "",
    description: Annotated[str, typer.Option(help="Details.")] = "",
    area: Annotated[list[str] | None, typer.Option(help="Affected area: quality, budget, schedule, scope ... "
                                                        "(repeatable).")] = None,
    approver: Annotated[list[str] | None, typer.Option(help="Change board member, username or id (repeatable); "
                                                            "none: whoever holds change.decide decides.")] = None,
    quorum: Annotated[int | None, typer.Option(help="Approving votes needed (default: all approvers).")] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Request a change, with its proposed plan changes as JSON and optionally a change board."""
    try:
        ops = json.loads(changes)
    except ValueError:
        fail("error: --changes must be JSON (field: changes)")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        ids = change.find_approver_ids(s, a, pid, approver) if approver else []
        return change.create_change_request(s, a, pid, title=title, reason=reason, description=description,
                                            areas=area or None, changes=ops, approver_ids=ids or None,
                                            quorum=quorum)  # fmt: skip

    c = run(project, go)
    print_json(c) if as_json else _print_cr(c)


@change_app.command("show")
def change_show(project: Project, number: Number, as_json: JsonFlag = False) -> None:
    """A change request with its impact preview and decision."""
    c = run(project, lambda s, a, pid: _by_number(s, a, pid, number))
    print_json(c) if as_json else _print_cr(c)


@change_app.command("preview")
def change_preview(project: Project, number: Number, as_json: JsonFlag = False) -> None:
    """Compute the impact (the plan is not changed): current vs proposed finish, cost/EAC, critical path."""
    c = run(project, lambda s, a, pid: change.preview(s, a, pid, _by_number(s, a, pid, number)["id"]))
    print_json(c) if as_json else _print_cr(c)


@change_app.command("approve")
def change_approve(
    project: Project, number: Number, reason: Annotated[str, typer.Option(help="Why.")] = "",
    baseline: Annotated[int | None, typer.Option(help="Baseline number to record (default: the next free).")] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Approve (on a board: vote). Refused while the preview is missing or stale."""
    c = run(project, lambda s, a, pid: change.decide(s, a, pid, _by_number(s, a, pid, number)["id"], approve=True,
                                                      reason=reason, baseline_number=baseline))  # fmt: skip
    print_json(c) if as_json else _print_cr(c)


@change_app.command("reject")
def change_reject(project: Project, number: Number, reason: Annotated[str, typer.Option(help="Why.")],
                  as_json: JsonFlag = False) -> None:  # fmt: skip
    """Reject (on a board: vote to reject), with the reason."""
    c = run(project, lambda s, a, pid: change.decide(s, a, pid, _by_number(s, a, pid, number)["id"], approve=False,
                                                      reason=reason))  # fmt: skip
    print_json(c) if as_json else _print_cr(c)


@change_app.command("withdraw")
def change_withdraw(
    project: Project, number: Number, reason: Annotated[str, typer.Option(help="Why it is withdrawn.")] = "",
    version: Version = None, as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Withdraw an open change request (its requester, or those who decide changes); nothing is applied."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        c = _by_number(s, a, pid, number)
        return change.withdraw(
            s, a, pid, c["id"], version if version is not None else c["version"], reason=reason
        )

    c = run(project, go)
    print_json(c) if as_json else _print_cr(c)


# --------------------------------------------------------------------------------------------- concerns


@concern_app.command("raise")
def concern_raise(
    project: Project, subject: Annotated[str, typer.Option(help="The concern in one line.")],
    area: Annotated[list[str], typer.Option(help="quality, budget, schedule, scope ... (repeatable).")],
    severity: Annotated[str, typer.Option(help="low, medium, high or critical.")] = "medium",
    body: Annotated[str, typer.Option(help="Details.")] = "",
    needed_by: Annotated[str | None, typer.Option(help="Needed by this date (YYYY-MM-DD).")] = None,
    confidential: Annotated[bool, typer.Option("--confidential", help="Only the PM and your liaison see it.")] = False,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Raise a concern; it reaches the PM through your department's liaison when there is one."""
    when = parse_when(needed_by, "needed_by")
    c = run(project, lambda s, a, pid: stakeholders.raise_concern(
        s, a, pid, subject=subject, areas=area, severity=severity, body=body,
        needed_by=when.date() if when else None, confidential=confidential))  # fmt: skip
    if as_json:
        print_json(c)
        return
    via = f"via {c['liaison']}" if c["liaison"] else "directly to the PM"
    console.print(f"Concern {c['id']} raised ({via}); to be acknowledged by {fmt_time(c['ack_due_at'])}.")


@concern_app.command("list")
def concern_list(
    project: Project, mine: Annotated[bool, typer.Option("--mine", help="Only those you raised.")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those not acknowledged in time.")] = False,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Concerns you may see, with their deadline flag and what became of them."""
    rows = run(project, lambda s, a, pid: stakeholders.list_concerns(s, a, pid, mine=mine, overdue=overdue))
    print_rows(rows, ("id", "raised", "by", "areas", "severity", "status", "overdue", "outcome", "subject"),
               lambda c: (str(c["id"]), fmt_time(c["raised_at"]), escape(c["raised_by_name"] or ""),
                          ", ".join(c["areas"]), c["severity"], c["status"], "yes" if c["overdue"] else "",
                          _outcome(c["outcome"]), escape(c["subject"])),
               as_json=as_json, empty="No concerns.")  # fmt: skip


def _outcome(o: dict[str, Any] | None) -> str:
    if not o:
        return ""
    if o.get("type") == "risk":
        return f"{o['ref']} {o['status']}"
    return f"CR-{o['number']} {o['status']}"


@concern_app.command("risk")
def concern_risk(
    project: Project, concern_id: Annotated[int, typer.Argument(help="The concern's id (see `concern list`).")],
    title: Annotated[str | None, typer.Option(help="Default: the concern's subject.")] = None,
    category: Annotated[str | None, typer.Option(help="technical, vendor, people, security, ...")] = None,
    kind: Annotated[str | None, typer.Option(help="threat (default) or opportunity.")] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Turn a concern into a risk (PM or the department's liaison): its subject becomes the risk's event, its
    text the cause; both keep the link and the raiser is told."""
    r = run(project, lambda s, a, pid: stakeholders.to_risk(s, a, pid, concern_id, title=title, category=category,
                                                            kind=kind))  # fmt: skip
    print_result(
        r, as_json, f"Concern {concern_id} became risk {r['ref']}: {escape(r['title'])} ({r['status']})."
    )
