"""`charter budget line add|update|delete` and `charter budget version list|propose|approve|reject|withdraw`:
the budget's lines and its versions (the cost baseline the Sponsor approves) from the command line, as on the
budget page and through …/budget-lines and …/budget-versions (the same services: permissions, the one labour
line per place, the journal)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.budget import ProjectArg, _m, budget_app
from charter.cli.common import JsonFlag, console, print_json, print_result, run_in_project
from charter.domain.errors import ValidationError
from charter.services import budget, work_packages

line_app = typer.Typer(help="Budget lines: add, change, delete.", no_args_is_help=True)
version_app = typer.Typer(
    help="Budget versions: propose the lines as a version, the Sponsor approves (the cost baseline) or rejects.",
    no_args_is_help=True,
)
budget_app.add_typer(line_app, name="line")
budget_app.add_typer(version_app, name="version")

LineArg = Annotated[int, typer.Argument(help="The line's id (`charter budget show` lists them).")]
NumberArg = Annotated[int, typer.Argument(help="The version's number (`charter budget version list`).")]
WpOpt = Annotated[
    str | None,
    typer.Option("--wp", help="Work package: WBS code, id or exact name ('' for the whole project)."),
]
Version = Annotated[
    int | None, typer.Option("--version", help="The version you read (default: the current one).")
]


def _wp(s: Any, a: Any, pid: int, ref: str | None) -> int | None:
    return None if ref is None or not ref.strip() else work_packages.find_work_package_id(s, a, pid, ref)


def _line_text(ln: dict[str, Any]) -> str:
    return (
        f"Budget line {ln['id']} {escape(ln['name'])} ({ln['category']}"
        f"{', ' + escape(ln['work_package']) if ln.get('work_package') else ''}): {_m(ln['amount'])} "
        f"(version {ln['version']})"
    )


@line_app.command("add")
def line_add(
    project: ProjectArg,
    name: Annotated[str, typer.Argument(help='What the money is for, e.g. "Cloud hosting".')],
    amount: Annotated[
        str, typer.Option(help="The amount in the project's currency, e.g. 12500 or 12 500.50.")
    ],
    category: Annotated[
        str,
        typer.Option(
            help="labour, hardware, software_licences, cloud_services, contractors, travel, training, contingency_reserve or management_reserve."
        ),
    ],
    wp: WpOpt = None,
    description: Annotated[str, typer.Option(help="Notes on the line.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Add a budget line (who may edit the budget: the PM)."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        return budget.create_line(s, a, pid, category=category, name=name, amount=amount,
                                  work_package_id=_wp(s, a, pid, wp), description=description)  # fmt: skip

    ln = run_in_project(project, go)
    print_result(ln, as_json, "Added " + _line_text(ln))


@line_app.command("update")
def line_update(
    project: ProjectArg,
    line_id: LineArg,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    amount: Annotated[str | None, typer.Option(help="A new amount.")] = None,
    category: Annotated[str | None, typer.Option(help="A new category.")] = None,
    wp: WpOpt = None,
    description: Annotated[str | None, typer.Option(help="New notes.")] = None,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a budget line: what is not given stays as it is."""
    given = {"name": name, "amount": amount, "category": category, "description": description}
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if not changes and wp is None:
        raise ValidationError(
            "nothing to change: give --name, --amount, --category, --wp or --description", field="line"
        )

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        if wp is not None:
            changes["work_package_id"] = _wp(s, a, pid, wp)
        current = version if version is not None else budget.get_line_dict(s, a, pid, line_id)["version"]
        return budget.update_line(s, a, pid, line_id, current, **changes)

    ln = run_in_project(project, go)
    print_result(ln, as_json, "Changed " + _line_text(ln))


@line_app.command("delete")
def line_delete(project: ProjectArg, line_id: LineArg, version: Version = None) -> None:
    """Delete a budget line (refused while anything is committed or charged to it)."""

    def go(s: Any, a: Any, pid: int) -> str:
        ln = budget.get_line_dict(s, a, pid, line_id)
        budget.delete_line(s, a, pid, line_id, version if version is not None else ln["version"])
        return str(ln["name"])

    name = run_in_project(project, go)
    console.print(f"Budget line {line_id} {escape(name)} deleted.")


def _version_text(v: dict[str, Any]) -> str:
    who = f", {v['reason']}" if v.get("reason") else ""
    return f"Budget version {v['number']}: {v['status']}, total {_m(v['total'], v['currency'])} {v['currency']}{who}"


@version_app.command("list")
def version_list(project: ProjectArg, as_json: JsonFlag = False) -> None:
    """The budget's versions, oldest first: proposed, approved (the cost baseline), superseded, rejected."""
    rows = run_in_project(project, budget.list_versions)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No budget versions yet: `charter budget version propose` proposes the lines as one.")
        return
    t = Table("number", "status", "total", "lines", "proposed", "decided", "note / reason")
    for v in rows:
        t.add_row(str(v["number"]), v["status"], f"{_m(v['total'], v['currency'])} {v['currency']}",
                  str(len(v["lines"] or [])), f"{v['proposed_at']:%Y-%m-%d}",
                  f"{v['decided_at']:%Y-%m-%d}" if v["decided_at"] else "",
                  escape(v["reason"] or v["note"] or ""))  # fmt: skip
    console.print(t)


@version_app.command("propose")
def version_propose(
    project: ProjectArg,
    note: Annotated[str, typer.Option(help="What changed and why, for the Sponsor.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Propose the current lines as a new version for the Sponsor to approve (one waits at a time)."""
    v = run_in_project(project, lambda s, a, pid: budget.propose_version(s, a, pid, note=note))
    print_result(v, as_json, _version_text(v))


@version_app.command("approve")
def version_approve(
    project: ProjectArg,
    number: NumberArg,
    reason: Annotated[str, typer.Option(help="Why (optional).")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Approve a proposed version (the Sponsor): it becomes the cost baseline; an earlier one is superseded."""
    v = run_in_project(project, lambda s, a, pid: budget.decide_version(s, a, pid, number, approve=True,
                                                                        reason=reason))  # fmt: skip
    print_result(v, as_json, _version_text(v))


@version_app.command("reject")
def version_reject(
    project: ProjectArg,
    number: NumberArg,
    reason: Annotated[str, typer.Option(help="Why (required).")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Reject a proposed version (the Sponsor), with the reason."""
    v = run_in_project(project, lambda s, a, pid: budget.decide_version(s, a, pid, number, approve=False,
                                                                        reason=reason))  # fmt: skip
    print_result(v, as_json, _version_text(v))


@version_app.command("withdraw")
def version_withdraw(project: ProjectArg, number: NumberArg, as_json: JsonFlag = False) -> None:
    """Withdraw a proposed version before it is decided (who may edit the budget)."""
    v = run_in_project(project, lambda s, a, pid: budget.withdraw_version(s, a, pid, number))
    print_result(v, as_json, _version_text(v))
