"""The stakeholder register and what is done with concerns and change requests from the command line:
`charter quality stakeholder-add|stakeholder-edit|grid`, `charter concern show|ack|answer|change-request|conflict`
and `charter change edit` (each merged into its group)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.change_control import Number
from charter.cli.common import JsonFlag, console, fail, fmt_time, print_json, print_result
from charter.cli.quality import Project, Version, current_version, run
from charter.services import change, conflicts, org, stakeholders

register_app = typer.Typer()
concern_more_app = typer.Typer()
change_more_app = typer.Typer()

StakeholderId = Annotated[
    int, typer.Argument(help="The stakeholder's id (see `quality stakeholders --json`).")
]
ConcernId = Annotated[int, typer.Argument(help="The concern's id (see `concern list`).")]
ConcernVersion = Annotated[int | None, typer.Option(help="The concern's version you read (stale: refused).")]
Scale = Annotated[int | None, typer.Option(min=1, max=5, help="1 (low) to 5 (high).")]


def _department_id(s: Any, a: Any, name: str | None) -> int | None:
    if name is None:
        return None
    for d in org.list_departments(s, a):
        if str(d["id"]) == name or str(d["name"]).lower() == name.lower():
            return int(d["id"])
    fail(f"error: no department {name!r} (field: department)")


def _stakeholder_fields(s: Any, a: Any, pid: int, given: dict[str, Any], user: str | None,
                        department: str | None) -> dict[str, Any]:  # fmt: skip
    out = {k: v for k, v in given.items() if v is not None}
    if user is not None:
        out["user_id"] = stakeholders.find_linked_user_id(s, a, pid, user)
    if department is not None:
        out["department_id"] = _department_id(s, a, department)
    return out


def _print_stakeholder(x: dict[str, Any]) -> None:
    console.print(f"Stakeholder {x['id']} {escape(x['name'])} ({x['kind']}, {escape(x['department'] or 'no department')}): "
                  f"interest {x['interest']}, influence {x['influence']}, {x['attitude']}, engagement "
                  f"{x['current_engagement']} -> {x['desired_engagement']}; {x['quadrant']} (version {x['version']}).")  # fmt: skip


@register_app.command("stakeholder-add")
def stakeholder_add(
    project: Project, name: Annotated[str, typer.Option(help="Person or group name.")],
    kind: Annotated[str, typer.Option(help="person or group.")] = "person",
    user: Annotated[str | None, typer.Option(help="Linked user, username or id.")] = None,
    department: Annotated[str | None, typer.Option(help="Department name or id (default: the user's).")] = None,
    interest: Scale = 3, influence: Scale = 3,
    attitude: Annotated[str, typer.Option(help="champion, supporter, neutral, critic or blocker.")] = "neutral",
    current: Annotated[str, typer.Option(help="Current engagement: unaware, resistant, neutral, supportive, "
                                              "leading.")] = "neutral",
    desired: Annotated[str, typer.Option(help="Desired engagement (same scale).")] = "supportive",
    needs: Annotated[str, typer.Option(help="Communication needs.")] = "",
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Add a person or group to the stakeholder register."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        f = _stakeholder_fields(s, a, pid, {}, user, department)
        return stakeholders.create_stakeholder(
            s, a, pid, name=name, kind=kind, user_id=f.get("user_id"), department_id=f.get("department_id"),
            interest=interest or 3, influence=influence or 3, attitude=attitude, current_engagement=current,
            desired_engagement=desired, communication_needs=needs)  # fmt: skip

    x = run(project, go)
    print_json(x) if as_json else _print_stakeholder(x)


@register_app.command("stakeholder-edit")
def stakeholder_edit(
    project: Project, stakeholder_id: StakeholderId,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    kind: Annotated[str | None, typer.Option(help="person or group.")] = None,
    user: Annotated[str | None, typer.Option(help="Linked user, username or id.")] = None,
    department: Annotated[str | None, typer.Option(help="Department name or id.")] = None,
    interest: Scale = None, influence: Scale = None,
    attitude: Annotated[str | None, typer.Option(help="champion, supporter, neutral, critic or blocker.")] = None,
    current: Annotated[str | None, typer.Option(help="Current engagement.")] = None,
    desired: Annotated[str | None, typer.Option(help="Desired engagement.")] = None,
    needs: Annotated[str | None, typer.Option(help="Communication needs.")] = None,
    version: Version = None, as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Change a stakeholder's entry in the register."""
    given = {"name": name, "kind": kind, "interest": interest, "influence": influence, "attitude": attitude,
             "current_engagement": current, "desired_engagement": desired, "communication_needs": needs}  # fmt: skip

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        changes = _stakeholder_fields(s, a, pid, given, user, department)
        if not changes:
            fail("error: nothing to change: give --name, --interest, --influence, --attitude ...")
        rows = stakeholders.register(s, a, pid)["stakeholders"]
        v = version if version is not None else current_version(rows, stakeholder_id, "stakeholder")
        return stakeholders.update_stakeholder(s, a, pid, stakeholder_id, v, **changes)

    x = run(project, go)
    print_json(x) if as_json else _print_stakeholder(x)


@register_app.command("grid")
def grid_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """The interest/influence grid of the stakeholder register (influence 5 at the top, interest 1-5 across)."""
    reg = run(project, lambda s, a, pid: stakeholders.register(s, a, pid))
    if as_json:
        print_json({"grid": reg["grid"]})
        return
    t = Table("influence \\ interest", *(str(i) for i in range(1, 6)))
    for n, row in enumerate(reg["grid"]):
        t.add_row(str(5 - n), *(escape(", ".join(cell)) for cell in row))
    console.print(t)


# --------------------------------------------------------------------------------------------- concerns


def _print_concern(c: dict[str, Any]) -> None:
    console.print(f"[bold]Concern {c['id']}[/bold] {escape(c['subject'])} — {c['status']}"
                  + (" [red](acknowledgement overdue)[/red]" if c["overdue"] else ""))  # fmt: skip
    console.print(f"Raised by {escape(c['raised_by_name'] or '-')} {fmt_time(c['raised_at'])}; areas "
                  f"{', '.join(c['areas'])}; severity {c['severity']}; via {escape(c['liaison'] or 'the PM')}; "
                  f"acknowledge by {fmt_time(c['ack_due_at'])}")  # fmt: skip
    if c["acknowledged_at"]:
        console.print(
            f"Acknowledged by {escape(c['acknowledged_by'] or '-')} {fmt_time(c['acknowledged_at'])}"
        )
    if c["answer"]:
        console.print(f"Answer ({escape(c['answered_by'] or '-')}): {escape(c['answer'])}")
    o = c["outcome"]
    if o and o.get("type") == "change_request":
        console.print(f"Became CR-{o['number']} ({o['status']})")
    if c["risk"]:
        console.print(f"Became risk {c['risk']['ref']} ({c['risk']['status']})")
    if c["conflict"]:
        console.print(f"Became conflict {c['conflict'].get('ref', '')} ({c['conflict'].get('status', '')})")


@concern_more_app.command("show")
def concern_show(project: Project, concern_id: ConcernId, as_json: JsonFlag = False) -> None:
    """One concern: its route, acknowledgement deadline, answer and what became of it."""
    c = run(project, lambda s, a, pid: stakeholders.get_concern(s, a, pid, concern_id))
    print_json(c) if as_json else _print_concern(c)


@concern_more_app.command("ack")
def concern_ack(project: Project, concern_id: ConcernId, version: ConcernVersion = None,
                as_json: JsonFlag = False) -> None:  # fmt: skip
    """Acknowledge a concern (the PM or the department's liaison); the raiser is told."""
    c = run(project, lambda s, a, pid: stakeholders.acknowledge(s, a, pid, concern_id, version))
    print_json(c) if as_json else _print_concern(c)


@concern_more_app.command("answer")
def concern_answer(
    project: Project, concern_id: ConcernId, text: Annotated[str, typer.Option(help="The answer.")],
    version: ConcernVersion = None, as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Answer a concern (the PM or the department's liaison); the raiser is told."""
    c = run(project, lambda s, a, pid: stakeholders.answer(s, a, pid, concern_id, text=text, version=version))
    print_json(c) if as_json else _print_concern(c)


@concern_more_app.command("change-request")
def concern_change_request(
    project: Project, concern_id: ConcernId,
    title: Annotated[str | None, typer.Option(help="Default: the concern's subject.")] = None,
    changes: Annotated[str, typer.Option(help="Proposed changes as JSON (see `change create --help`).")] = "[]",
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Turn a concern into a change request (the PM); it is requested on behalf of the raiser, keeping the link."""
    try:
        ops = json.loads(changes)
    except ValueError:
        fail("error: --changes must be JSON (field: changes)")
    cr = run(project, lambda s, a, pid: stakeholders.to_change_request(s, a, pid, concern_id, title=title,
                                                                      changes=ops))  # fmt: skip
    print_result(cr, as_json, f"Concern {concern_id} became CR-{cr['number']}: {escape(cr['title'])}.")


@concern_more_app.command("conflict")
def concern_conflict(
    project: Project, concern_id: ConcernId,
    title: Annotated[str | None, typer.Option(help="Default: 'Concern: ' and the subject.")] = None,
    kind: Annotated[str | None, typer.Option(help="The conflict's kind (default: priority).")] = None,
    version: ConcernVersion = None, as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Log a concern as a conflict entry (the PM or the liaison); the raiser and department become parties."""
    fields: dict[str, Any] = {k: v for k, v in {"title": title, "kind": kind, "concern_version": version}.items()
                              if v is not None}  # fmt: skip
    c = run(project, lambda s, a, pid: conflicts.from_concern(s, a, pid, concern_id, **fields))
    print_result(c, as_json, f"Concern {concern_id} became conflict {c['ref']}: {escape(c['title'])}.")


# --------------------------------------------------------------------------------------------- change requests


@change_more_app.command("edit")
def change_edit(
    project: Project, number: Number, title: Annotated[str | None, typer.Option(help="New title.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    reason: Annotated[str | None, typer.Option(help="New reason.")] = None,
    area: Annotated[list[str] | None, typer.Option(help="Affected areas (repeatable; replaces).")] = None,
    changes: Annotated[str | None, typer.Option(help="Replace the proposed changes (JSON); the preview is "
                                                     "dropped.")] = None,
    approver: Annotated[list[str] | None, typer.Option(help="Change board, username or id (repeatable; "
                                                            "replaces).")] = None,
    quorum: Annotated[int | None, typer.Option(help="Approving votes needed.")] = None,
    version: Version = None, as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Change an open change request (its requester, or those who decide or edit tasks)."""
    fields: dict[str, Any] = {k: v for k, v in {"title": title, "description": description, "reason": reason,
                                                "areas": area, "quorum": quorum}.items() if v is not None}  # fmt: skip
    if changes is not None:
        try:
            fields["changes"] = json.loads(changes)
        except ValueError:
            fail("error: --changes must be JSON (field: changes)")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        if not fields and not approver:
            fail("error: nothing to change: give --title, --changes, --approver ...")
        c = next((x for x in change.list_change_requests(s, a, pid) if x["number"] == number), None)
        if c is None:
            fail(f"error: CR-{number} not found in this project")
        if approver:
            fields["approver_ids"] = change.find_approver_ids(s, a, pid, approver, c["id"])
        return change.update_change_request(s, a, pid, c["id"], version if version is not None else c["version"],
                                            **fields)  # fmt: skip

    c = run(project, go)
    print_result(c, as_json, f"CR-{c['number']} {escape(c['title'])} saved (version {c['version']}).")
