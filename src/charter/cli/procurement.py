"""`charter request list|add|decide|cancel` and `charter request rules show|set`: purchase requests and the
approval rules from the command line as on the procurement page and through …/purchase-requests and
…/approval-rules — the same services, so the same approvers, separation of duties and journal. Orders, receipts
and invoices: procurement_orders.py; vendors and contracts: procurement_vendors.py. The helpers here (a session
as the acting user, vendors, lines and orders by name or id) serve all three."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from charter.cli.budget import ProjectArg, _m
from charter.cli.common import (
    JsonFlag,
    check_length,
    console,
    parse_date,
    print_json,
    print_result,
    run_in_project,
)
from charter.domain.errors import NotFound, PermissionDenied, ValidationError
from charter.domain.ids import as_id
from charter.domain.procurement import RequestStatus
from charter.services import accounts, budget, procurement
from charter.services.context import Actor

T = TypeVar("T")

request_app = typer.Typer(
    help="Purchase requests: raise one against a budget line, the approver the rules name decides, cancel one "
    "not yet ordered; `request rules` routes them by amount.",
    no_args_is_help=True,
)
rules_app = typer.Typer(
    help="The approval rules: who decides a purchase request, by its amount (the budget approver sets them).",
    no_args_is_help=True,
)
request_app.add_typer(rules_app, name="rules")

RequestArg = Annotated[int, typer.Argument(help="The request's id (`charter request list`).")]
Version = Annotated[
    int | None, typer.Option("--version", help="The version you read (default: the current one).")
]
Reason = Annotated[str, typer.Option("--reason", "--note", help="Why (a note kept with the decision).")]
VendorOpt = Annotated[
    str | None, typer.Option("--vendor", help="Vendor: id or exact name (`charter vendor list`).")
]

# --------------------------------------------------------------------------------------------- shared


def optional(call: Callable[[], T]) -> T | None:
    """What needs more rights than the command itself: None when the service refuses it (the service that
    acts decides about the rest)."""
    try:
        return call()
    except PermissionDenied:
        return None


def required_date(value: str, field: str) -> dt.date:
    """An ISO date the command cannot do without (parse_date names the field when it is not one)."""
    day = parse_date(value, field)
    if day is None:
        raise ValidationError("a date is required (YYYY-MM-DD)", field=field)
    return day


def choice(value: str, options: dict[str, T], field: str) -> T:
    key = value.strip().lower()
    if key not in options:
        raise ValidationError(f"{value!r} is not one of: {', '.join(options)}", field=field)
    return options[key]


def find_vendor_id(s: Session, actor: Actor, ref: str, field: str = "vendor_id") -> int:
    """A vendor by id, else by its name (case does not matter)."""
    n = as_id(ref)
    if n is not None:
        return n
    want = ref.strip().casefold()
    for v in procurement.list_vendors(s, actor):
        if v["name"].casefold() == want:
            return int(v["id"])
    raise NotFound(f"no vendor named {ref!r} (`charter vendor list`)", field=field)


def find_line_id(s: Session, actor: Actor, project_id: int, ref: str) -> int:
    """A budget line by id (the service then decides whether the caller may use it), else by its exact name
    among the lines the caller may read (case does not matter)."""
    n = as_id(ref)
    if n is not None:
        return n
    want = ref.strip().casefold()
    lines = budget.list_lines(s, actor, project_id)
    named = [int(ln["id"]) for ln in lines if ln["name"].strip().casefold() == want]
    if len(named) > 1:
        raise ValidationError(
            f"{len(named)} budget lines are named {ref!r}; give the line's id", field="budget_line_id"
        )
    if not named:
        raise NotFound(f"no budget line named {ref!r} (`charter budget show`)", field="budget_line_id")
    return named[0]


def find_order_id(s: Session, actor: Actor, project_id: int, ref: str, field: str = "order_id") -> int:
    """An order by id, else by its number (PO-KEY-0001) among the orders the caller may read."""
    n = as_id(ref)
    if n is not None:
        return n
    want = ref.strip().upper()
    for o in procurement.list_orders(s, actor, project_id):
        if o["number"].upper() == want:
            return int(o["id"])
    raise NotFound(f"purchase order {ref!r} not found in this project", field=field)


def usernames(s: Session, actor: Actor) -> dict[int, str]:
    return {int(u["id"]): str(u["username"]) for u in accounts.list_users(s, actor)}


def _label(key: str | None) -> str:
    return (key or "").replace("_", " ")


# --------------------------------------------------------------------------------------------- requests


def _request_text(r: dict[str, Any]) -> str:
    text = f"Purchase request #{r['id']} {escape(r['title'])} ({_m(r['amount'])}): {r['status']}"
    if r["status"] == RequestStatus.SUBMITTED:
        text += f"; the {_label(r['approver_role'])} decides ({escape(r['rule'])})"
    if r["reason"]:
        text += f" — {escape(r['reason'])}"
    return text + f" (version {r['version']})"


@request_app.command("list")
def request_list(
    project: ProjectArg,
    status: Annotated[
        str | None,
        typer.Option(help="Only these: submitted, approved, rejected, ordered or cancelled."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Purchase requests (a Task Leader sees their packages' lines): amount, status, who decides under which
    rule, who asked and the decision's reason."""
    wanted = choice(status, {x.value: x.value for x in RequestStatus}, "status") if status else None

    def go(s: Session, a: Actor, pid: int) -> tuple[list[dict[str, Any]], dict[int, str], dict[int, str]]:
        rows = [r for r in procurement.list_requests(s, a, pid) if wanted is None or r["status"] == wanted]
        lines = {
            int(ln["id"]): str(ln["name"]) for ln in optional(lambda: budget.list_lines(s, a, pid)) or []
        }
        return rows, lines, usernames(s, a)

    rows, lines, users = run_in_project(project, go, write=False)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No purchase requests." if wanted is None else f"No {wanted} purchase requests.")
        return
    t = Table("id", "title", "line", "amount", "status", "approver (rule)", "requested by", "decided", "reason",
              "version")  # fmt: skip
    for r in rows:
        flag = " (over budget)" if r["over_budget"] else ""
        t.add_row(str(r["id"]), escape(r["title"]), escape(lines.get(r["budget_line_id"], str(r["budget_line_id"]))),
                  _m(r["amount"]), r["status"] + flag, escape(f"{_label(r['approver_role'])} ({r['rule']})"),
                  escape(users.get(r["requested_by"] or 0, "")), users.get(r["decided_by"] or 0, ""),
                  escape(r["reason"] or ""), str(r["version"]))  # fmt: skip
    console.print(t)


@request_app.command("add")
def request_add(
    project: ProjectArg,
    title: Annotated[str, typer.Argument(help='What is bought, e.g. "Two rack servers".')],
    line: Annotated[str, typer.Option("--line", help="The budget line it is charged to: id or exact name.")],
    amount: Annotated[
        str, typer.Option("--amount", help="The amount in the project's currency, e.g. 4800.50.")
    ],
    vendor: VendorOpt = None,
    description: Annotated[str, typer.Option("--description", help="Details for the approver.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Raise a purchase request against a budget line (the PM on any line, a Task Leader on their package's):
    the answer names who decides it under the project's rules and warns when it would take the line over its
    remaining budget."""
    check_length(title, 200, "title")

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        return procurement.create_request(s, a, pid, budget_line_id=find_line_id(s, a, pid, line), title=title,
                                          amount=amount, description=description,
                                          vendor_id=find_vendor_id(s, a, vendor) if vendor else None)  # fmt: skip

    r = run_in_project(project, go)
    if as_json:
        print_json(r)
        return
    console.print(f"Raised {_request_text(r)}; the line has {_m(r['line_remaining'])} left.")
    for w in r["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(w)}")


@request_app.command("decide")
def request_decide(
    project: ProjectArg,
    request: RequestArg,
    decision: Annotated[str, typer.Argument(help="approve or reject")],
    reason: Reason = "",
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Approve or reject a submitted request (a reason is required to reject): only a holder of the role the
    rules route it to, and never the person who raised it. With --version, a request changed since you read it
    is refused."""
    approve = choice(decision, {"approve": True, "reject": False}, "decision")
    r = run_in_project(project, lambda s, a, pid: procurement.decide_request(s, a, pid, request, approve=approve,
                                                                         reason=reason, version=version))  # fmt: skip
    print_result(r, as_json, _request_text(r))


@request_app.command("cancel")
def request_cancel(
    project: ProjectArg,
    request: RequestArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (optional).")] = "",
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Cancel a request not yet ordered (submitted or approved): its requester or the PM. An approved request
    then stops reserving its line's budget."""

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        v = version
        if v is None:
            found = [r for r in procurement.list_requests(s, a, pid) if r["id"] == request]
            if not found:
                raise NotFound(f"purchase request {request} not found", field="request_id")
            v = int(found[0]["version"])
        return procurement.cancel_request(s, a, pid, request, v, reason=reason)

    r = run_in_project(project, go)
    print_result(r, as_json, _request_text(r))


# --------------------------------------------------------------------------------------------- approval rules


def _rules_text(data: dict[str, Any]) -> str:
    if not data["rules"]:
        return (f"No approval rules: the {_label(data['default_approver'])} decides every purchase request. "
                f"Version {data['version']}.")  # fmt: skip
    rows = [
        f"  {'any amount' if r['up_to'] is None else 'up to ' + _m(r['up_to'])}: {_label(r['role_key'])}"
        for r in data["rules"]
    ]
    return "\n".join(["Purchase requests are decided by:", *rows,
                      "A request that would take its line over budget goes to the last of them.",
                      f"Version {data['version']}."])  # fmt: skip


@rules_app.command("show")
def rules_show(project: ProjectArg, as_json: JsonFlag = False) -> None:
    """Who decides a purchase request, by amount (without rules: the Sponsor, every request)."""
    data = run_in_project(project, procurement.get_rules, write=False)
    print_result(data, as_json, _rules_text(data))


MAX_RULES = 10


def _rule(i: int, text: str) -> dict[str, Any]:
    amount, sep, role = text.rpartition(":")
    if not sep:
        amount, role = "", text
    key = role.strip().lower().replace(" ", "_").replace("-", "_")
    amount = amount.strip()
    if not key:
        raise ValidationError(f"rule {i}: name who decides up to {amount or 'any amount'}", field="role_key")
    check_length(key, 40, "role_key")
    return {"up_to": None if amount.lower() in ("", "any") else amount, "role_key": key}


@rules_app.command("set")
def rules_set(
    project: ProjectArg,
    rules: Annotated[
        list[str] | None,
        typer.Argument(
            help='The rows in increasing amounts, each "AMOUNT:ROLE" (decides up to AMOUNT); a last row "ROLE" '
            "takes any amount. ROLE is project_manager or sponsor."
        ),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Remove every rule: the Sponsor decides every request.")
    ] = False,
    version: Annotated[
        int | None,
        typer.Option(
            "--version", help="The rules' version you read (`rules show`; default: the current one)."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Replace the approval rules (the budget approver, so no one raises their own limit), as the procurement
    page's "up to AMOUNT: ROLE" rows, e.g. `charter request rules set CRM 1000:project_manager sponsor`.
    With --version, a save over rules changed since is refused with the rules as they are now."""
    rows = rules or []
    if bool(rows) == clear:
        raise ValidationError("give the rules (e.g. 1000:project_manager sponsor) or --clear", field="rules")
    if len(rows) > MAX_RULES:
        raise ValidationError(f"at most {MAX_RULES} rules", field="rules")
    items = [_rule(i, text) for i, text in enumerate(rows, start=1)]

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        v = int(procurement.get_rules(s, a, pid)["version"]) if version is None else version
        return procurement.set_rules(s, a, pid, v, items)

    data = run_in_project(project, go)
    print_result(data, as_json, _rules_text(data))
