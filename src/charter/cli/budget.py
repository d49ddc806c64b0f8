"""`charter budget show`, `charter evm`, `charter po list`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.common import JsonFlag, acting, console, fail, open_db, print_json
from charter.services import budget, evm, procurement, projects

budget_app = typer.Typer(help="Budget lines, commitments and actuals.", no_args_is_help=True)
po_app = typer.Typer(help="Purchase orders.", no_args_is_help=True)

ProjectArg = Annotated[str, typer.Argument(help="Project key or id.")]


def _run(project: str, fn: Any, *args: Any) -> Any:
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            actor = acting(s)
            return fn(s, actor, projects.find_project_id(s, actor, project), *args)
    finally:
        db.dispose()


@budget_app.command("show")
def show(project: ProjectArg, as_json: JsonFlag = False) -> None:
    """The budget table: budget, committed, actual, held and remaining per line."""
    data = _run(project, budget.summary)
    if as_json:
        print_json(data)
        return
    t = Table("id", "package", "category", "line", "budget", "committed", "actual", "held", "remaining",
              title=f"Budget ({data['currency']})")  # fmt: skip
    for x in data["lines"]:
        t.add_row(str(x["id"]), escape(x["work_package"] or "(project)"), x["category"], escape(x["name"]),
                  *(str(x[k]) for k in ("budget", "committed", "actual", "held", "remaining")))  # fmt: skip
    tot = data["totals"]
    t.add_row(
        "", "", "", "total", *(str(tot[k]) for k in ("budget", "committed", "actual", "held", "remaining"))
    )
    console.print(t)
    base = data["baseline"]
    console.print(
        f"Cost baseline: version {base['number']} ({base['total']})"
        if base
        else "No approved budget version yet."
    )


def evm_cmd(
    project: ProjectArg,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Status date (YYYY-MM-DD).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Earned value as of a status date: PV, EV, AC, variances, indices, EACs, ETC, VAC, TCPI."""
    day = None
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)")
    data = _run(project, evm.compute, day)
    if as_json:
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
                  *(str(o[k]) for k in ("total", "received", "invoiced", "committed")))  # fmt: skip
    console.print(t)
