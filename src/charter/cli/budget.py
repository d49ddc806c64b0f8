"""`charter budget show` (lines and versions: budget_lines.py), `charter budget expense ...`,
`charter budget fixed-cost ...`, `charter evm` (table, JSON or the S-curve as PNG), `charter po list`,
`charter contract ...`, `charter approvals`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.common import JsonFlag, acting, console, fail, open_db, print_json, print_result
from charter.domain.errors import ValidationError
from charter.domain.figures import counted
from charter.domain.money import for_display
from charter.services import approvals, attachments, budget, evm, procurement, projects
from charter.services.context import now

budget_app = typer.Typer(help="Budget lines, commitments and actuals.", no_args_is_help=True)
po_app = typer.Typer(
    help="Purchase orders: list, place one from an approved request, close or cancel, record receipts, show one.",
    no_args_is_help=True,
)
expense_app = typer.Typer(help="Expenses and their receipts.", no_args_is_help=True)
contract_app = typer.Typer(
    help="Vendor contracts: list, add, show, change terms, close.", no_args_is_help=True
)
fixed_cost_app = typer.Typer(
    help="Fixed costs on tasks (a licence, a device): charged to a budget line at the task's start, pro rata "
    "with its progress, or at its end.",
    no_args_is_help=True,
)
budget_app.add_typer(expense_app, name="expense")
budget_app.add_typer(fixed_cost_app, name="fixed-cost")

ProjectArg = Annotated[str, typer.Argument(help="Project key or id.")]


def _m(value: Any, currency: str | None = None) -> str:
    """An amount as shown: the currency's minor units (a stored 15480.000 as 15480.00)."""
    return "" if value is None else str(for_display(Decimal(str(value)), currency))


def _run(project: str, fn: Any, *args: Any, write: bool = False, **kw: Any) -> Any:
    db = open_db()
    try:
        with db.uow(readonly=not write) as s:
            actor = acting(s)
            return fn(s, actor, projects.find_project_id(s, actor, project), *args, **kw)
    finally:
        db.dispose()


@budget_app.command("show")
def show(project: ProjectArg, as_json: JsonFlag = False) -> None:
    """The budget table: budget, committed, actual, held and remaining per line."""
    data = _run(project, budget.summary)
    if as_json:
        print_json(data)
        return
    cur = data["currency"]
    t = Table("id", "package", "category", "line", "budget", "committed", "actual", "held", "remaining",
              title=f"Budget ({data['currency']})")  # fmt: skip
    for x in data["lines"]:
        t.add_row(str(x["id"]), escape(x["work_package"] or "(project)"), x["category"], escape(x["name"]),
                  *(_m(x[k], cur) for k in ("budget", "committed", "actual", "held", "remaining")))  # fmt: skip
    tot = data["totals"]
    t.add_row(
        "",
        "",
        "",
        "total",
        *(_m(tot[k], cur) for k in ("budget", "committed", "actual", "held", "remaining")),
    )
    console.print(t)
    base = data["baseline"]
    console.print(
        f"Cost baseline: version {base['number']} ({_m(base['total'], cur)})"
        if base
        else "No approved budget version yet."
    )
    for w in data.get("labour_warnings") or []:
        console.print(f"[yellow]Labour:[/yellow] {escape(w)}")


def _day(value: str | None, option: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date (YYYY-MM-DD)")


def evm_cmd(
    project: ProjectArg,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Status date (YYYY-MM-DD).")] = None,
    as_json: JsonFlag = False,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="table, json, or png: the S-curve (cumulative PV, EV, AC "
            "by month with the EAC forecast) as an image.",
        ),
    ] = "table",
    save: Annotated[
        bool, typer.Option("--save-snapshot", help="Also save the figures as the status date's trend point.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File for --format png (default: s-curve-PROJECT.png)."),
    ] = None,
) -> None:
    """Earned value as of a status date: PV, EV, AC, variances, indices, EACs, ETC, VAC, TCPI."""
    day = _day(as_of, "--as-of")
    if save:
        saved = _run(project, evm.save_snapshot, day, write=True)
        console.print(f"Saved the earned-value figures as the {saved['as_of']} trend point.")
    if fmt not in ("table", "json", "png"):
        fail(f"--format {fmt!r}: use table, json or png")
    if fmt == "png":
        data = _run(project, evm.scurve_png, day)
        target = output or Path(f"s-curve-{project}.png")
        target.write_bytes(data)
        console.print(f"S-curve written to {escape(str(target))} ({len(data)} bytes)")
        return
    data = _run(project, evm.compute, day)
    if as_json or fmt == "json":
        print_json(data)
        return
    cols = ("bac", "pv", "ev", "ac", "sv", "cv", "spi", "cpi", "eac", "etc", "vac", "tcpi", "status")
    t = Table("level", "name", *cols, title=f"Earned value as of {data['as_of']} ({data['currency']})")
    rows = [("project", data["project"])] + [("package", w) for w in data["work_packages"]]
    rows += [("line", x) for x in data["lines"]]
    for level, r in rows:
        t.add_row(level, escape(str(r["name"])), *("" if r[c] is None else str(r[c]) for c in cols))
    console.print(t)
    console.print(f"Rule: {data['thresholds']['rule']}. Baseline: {data['baseline_source']}.")


@po_app.command("list")
def po_list(project: ProjectArg, as_json: JsonFlag = False) -> None:
    """Purchase orders with their total, received, invoiced and still committed amounts."""
    data = _run(project, procurement.list_orders)
    if as_json:
        print_json(data)
        return
    t = Table("number", "status", "line", "expected", "total", "received", "invoiced", "committed")
    for o in data:
        t.add_row(o["number"], o["status"], str(o["budget_line_id"]), str(o["expected_delivery"] or ""),
                  *(_m(o[k]) for k in ("total", "received", "invoiced", "committed")))  # fmt: skip
    console.print(t)


# --------------------------------------------------------------------------------------------- expenses


def _upload(path: Path) -> attachments.Upload:
    try:
        with path.open("rb") as f:
            data = f.read(attachments.max_bytes() + 1)
    except OSError as e:
        raise ValidationError(f"cannot read {path}: {e.strerror}", field="receipt") from None
    upload = attachments.Upload(path.name, data)
    attachments.read_ahead(upload)  # before the transaction: it never waits on a slow document
    return upload


@expense_app.command("list")
def expense_list(project: ProjectArg, as_json: JsonFlag = False) -> None:
    """Expenses with their receipts."""
    data = _run(project, budget.list_expenses)
    if as_json:
        print_json(data)
        return
    t = Table("id", "day", "line", "amount", "description", "receipts")
    for e in data:
        t.add_row(str(e["id"]), str(e["day"]), str(e["budget_line_id"]), _m(e["amount"]), escape(e["description"]),
                  escape(", ".join(f"{r['id']}: {r['filename']}" for r in e["receipts"])))  # fmt: skip
    console.print(t)


@expense_app.command("add")
def expense_add(
    project: ProjectArg,
    line: Annotated[int, typer.Option("--line", help="Budget line id.")],
    amount: Annotated[str, typer.Option("--amount", help="Amount in the project's currency.")],
    description: Annotated[str, typer.Option("--description", help="What was paid for.")],
    day: Annotated[
        str | None, typer.Option("--day", help="Day of the expense (YYYY-MM-DD; default today).")
    ] = None,
    receipt: Annotated[Path | None, typer.Option("--receipt", help="Receipt file: PDF, PNG or JPEG.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record an expense on a budget line, optionally with its receipt."""
    upload = _upload(receipt) if receipt else None
    e = _run(project, budget.add_expense, write=True, budget_line_id=line, day=_day(day, "--day") or now().date(),
             amount=amount, description=description, receipt=upload)  # fmt: skip
    print_result(
        e,
        as_json,
        f"Expense {e['id']} recorded ({_m(e['amount'])}), {counted(len(e['receipts']), 'receipt')}.",
    )


@expense_app.command("attach")
def expense_attach(
    project: ProjectArg,
    expense: Annotated[int, typer.Argument(help="Expense id.")],
    file: Annotated[Path, typer.Argument(help="Receipt file: PDF, PNG or JPEG.")],
) -> None:
    """Attach a receipt to an expense (the content type is checked from the file, the size against the limit)."""
    e = _run(project, budget.add_receipt, expense, _upload(file), write=True)
    console.print(f"Expense {e['id']} now has {counted(len(e['receipts']), 'receipt')}.")


@expense_app.command("receipt")
def expense_receipt(
    project: ProjectArg,
    expense: Annotated[int, typer.Argument(help="Expense id.")],
    receipt: Annotated[int, typer.Argument(help="Receipt id (see `charter budget expense list`).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to save it (default: its name).")
    ] = None,
) -> None:
    """Save a receipt's file."""
    f = _run(project, budget.receipt_file, expense, receipt)
    target = output or Path(Path(f.filename).name)
    target.write_bytes(f.data)
    console.print(f"Saved {escape(str(target))} ({f.content_type}, {len(f.data)} bytes)")


# --------------------------------------------------------------------------------------------- fixed costs

TaskOpt = Annotated[str, typer.Option("--task", help="Task id or WBS code (e.g. 1.2.3).")]
AccrualHelp = "When the cost counts as actual: start, prorated (with the task's progress) or end."


def _task_id(project: str, task: str) -> int:
    """A task by WBS code (first) or id, among the project's tasks."""
    found = _run(project, budget.fixed_cost_tasks)
    for t in found:
        if t["wbs_code"] and t["wbs_code"] == task.strip():
            return int(t["id"])
    if task.strip().isdecimal() and any(t["id"] == int(task) for t in found):
        return int(task)
    fail(f"error: task {task!r} not found in {project} (field: task_id)")


def _fixed_cost_version(project: str, cost: int) -> int:
    for f in _run(project, budget.list_fixed_costs):
        if f["id"] == cost:
            return int(f["version"])
    fail(f"error: fixed cost {cost} not found (field: cost_id)")


def _print_fixed_cost(f: dict[str, Any], what: str, as_json: bool) -> None:
    if as_json:
        print_json(f)
        return
    console.print(f"Fixed cost {f['id']} {what}: {escape(f['description'])}, {_m(f['amount'])} ({f['accrual']}) on "
                  f"{escape((f['task_wbs_code'] + ' ' + f['task']).strip())}, version {f['version']}.",
                  markup=False)  # fmt: skip


@fixed_cost_app.command("list")
def fixed_cost_list(
    project: ProjectArg,
    task: Annotated[str | None, typer.Option("--task", help="Only this task (id or WBS code).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Fixed costs on the project's tasks, with the part accrued (actual) so far."""
    data = _run(project, budget.list_fixed_costs, _task_id(project, task) if task else None)
    if as_json:
        print_json(data)
        return
    t = Table("id", "task", "description", "line", "accrual", "amount", "accrued", "version")
    for f in data:
        t.add_row(str(f["id"]), escape(f"{f['task_wbs_code']} {f['task']}".strip()), escape(f["description"]),
                  escape(f["budget_line"] or "-"), f["accrual"], _m(f["amount"]), _m(f["accrued"]),
                  str(f["version"]))  # fmt: skip
    console.print(t)


@fixed_cost_app.command("add")
def fixed_cost_add(
    project: ProjectArg,
    task: TaskOpt,
    amount: Annotated[str, typer.Option("--amount", help="Amount in the project's currency.")],
    description: Annotated[str, typer.Option("--description", help="What the cost is for.")],
    accrual: Annotated[str, typer.Option("--accrual", help=AccrualHelp)] = "prorated",
    line: Annotated[int | None, typer.Option("--line", help="Budget line id it is charged to.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Put a fixed cost on a task."""
    f = _run(project, budget.add_fixed_cost, write=True, task_id=_task_id(project, task), amount=amount,
             description=description, accrual=accrual, budget_line_id=line)  # fmt: skip
    _print_fixed_cost(f, "added", as_json)


@fixed_cost_app.command("update")
def fixed_cost_update(
    project: ProjectArg,
    cost: Annotated[int, typer.Argument(help="Fixed cost id (see `charter budget fixed-cost list`).")],
    task: Annotated[str | None, typer.Option("--task", help="Move it to this task (id or WBS code).")] = None,
    amount: Annotated[str | None, typer.Option("--amount", help="New amount.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="New description.")] = None,
    accrual: Annotated[str | None, typer.Option("--accrual", help=AccrualHelp)] = None,
    line: Annotated[int | None, typer.Option("--line", help="Charge it to this budget line id.")] = None,
    no_line: Annotated[bool, typer.Option("--no-line", help="Charge it to no budget line.")] = False,
    version: Annotated[
        int | None, typer.Option("--version", help="The version you read (default: current).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a fixed cost (journaled; a stale --version is refused)."""
    if line is not None and no_line:
        fail("give --line or --no-line, not both")
    changes: dict[str, Any] = {k: v for k, v in {"amount": amount, "description": description,
                                                 "accrual": accrual, "budget_line_id": line}.items() if v is not None}  # fmt: skip
    if no_line:
        changes["budget_line_id"] = None
    if task is not None:
        changes["task_id"] = _task_id(project, task)
    if not changes:
        fail("nothing to change: give --task, --amount, --description, --accrual, --line or --no-line")
    v = version if version is not None else _fixed_cost_version(project, cost)
    f = _run(project, budget.update_fixed_cost, cost, v, write=True, **changes)
    _print_fixed_cost(f, "updated", as_json)


@fixed_cost_app.command("delete")
def fixed_cost_delete(
    project: ProjectArg,
    cost: Annotated[int, typer.Argument(help="Fixed cost id.")],
    version: Annotated[
        int | None, typer.Option("--version", help="The version you read (default: current).")
    ] = None,
) -> None:
    """Remove a fixed cost from its task (journaled; a stale --version is refused)."""
    v = version if version is not None else _fixed_cost_version(project, cost)
    _run(project, budget.delete_fixed_cost, cost, v, write=True)
    console.print(f"Fixed cost {cost} deleted.")


# --------------------------------------------------------------------------------------------- contracts


@contract_app.command("list")
def contract_list(project: ProjectArg, as_json: JsonFlag = False) -> None:
    """Contracts with their term, renewal and notice dates and status."""
    data = _run(project, procurement.list_contracts)
    if as_json:
        print_json(data)
        return
    t = Table("id", "title", "kind", "value", "start", "end", "renewal", "notice", "status", "version")
    for c in data:
        t.add_row(str(c["id"]), escape(c["title"]), c["kind"], _m(c["value"]), str(c["start"]), str(c["end"] or ""),
                  str(c["renewal_date"] or ""), str(c["notice_date"] or ""), c["status"], str(c["version"]))  # fmt: skip
    console.print(t)


# --------------------------------------------------------------------------------------------- approvals


def approvals_cmd(as_json: JsonFlag = False) -> None:
    """What waits for my decision across my projects: purchase requests, budget versions, held invoices,
    timesheet hours."""
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            data = approvals.waiting_for(s, acting(s))
    finally:
        db.dispose()
    if as_json:
        print_json(data)
        return
    if not data["count"]:
        console.print("Nothing waits for your approval.")
        return
    t = Table("project", "what", "item", "amount", "where")
    for r in data["purchase_requests"]:
        t.add_row(r["project_key"], "purchase request", escape(f"#{r['id']} {r['title']}"),
                  f"{_m(r['amount'], r['currency'])} {r['currency']}", r["link"])  # fmt: skip
    for v in data["budget_versions"]:
        t.add_row(
            v["project_key"],
            "budget version",
            str(v["number"]),
            f"{_m(v['total'], v['currency'])} {v['currency']}",
            v["link"],
        )
    for i in data["invoices"]:
        t.add_row(i["project_key"], "held invoice", escape(f"{i['number']} ({i['order']})"),
                  f"{_m(i['amount'], i['currency'])} {i['currency']}", i["link"])  # fmt: skip
    for e in data["timesheets"]:
        t.add_row(e["project_key"], "hours", escape(f"{e['user']}: {e['task_name']} {e['day']}"), f"{e['hours']} h",
                  e["link"])  # fmt: skip
    console.print(t)
