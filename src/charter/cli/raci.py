"""`charter raci show|set`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.common import JsonFlag, acting, console, open_db, print_json
from charter.cli.projects import print_gaps
from charter.cli.roles import KeyArg, RoleArg, find_role
from charter.services import projects, roles

raci_app = typer.Typer(help="The RACI matrix of a project and its responsibility gaps.", no_args_is_help=True)

LETTER_STYLE = {"A": "bold magenta", "R": "bold cyan", "C": "yellow", "I": "dim"}


def raci_table(m: dict[str, Any]) -> Table:
    t = Table(title="RACI (A accountable · R responsible · C consulted · I informed)", title_justify="left")
    t.add_column("area")
    for r in m["roles"]:
        label = escape(r["name"]) + ("" if r["holders"] else "\n[red](unheld)[/red]")
        t.add_column(label, justify="center")
    cells = {(c["area"], c["role_id"]): c["letter"] for c in m["cells"]}
    gap_areas = {g["area"] for g in m["gaps"]}
    for area in m["areas"]:
        row = [f"[red]{area}[/red]" if area in gap_areas else area]
        for r in m["roles"]:
            letter = cells.get((area, r["id"]))
            row.append(f"[{LETTER_STYLE[letter]}]{letter}[/]" if letter else "")
        t.add_row(*row)
    return t


@raci_app.command("show")
def show(key: KeyArg, as_json: JsonFlag = False) -> None:
    """Show the matrix (areas × roles) with the responsibility gaps under it."""
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            actor = acting(s)
            m = roles.raci(s, actor, projects.find_project_id(s, actor, key))
    finally:
        db.dispose()
    if as_json:
        print_json(m)
        return
    console.print(raci_table(m))
    print_gaps(m["gaps"])


@raci_app.command("set")
def set_(
    key: KeyArg,
    area: Annotated[
        str,
        typer.Argument(
            help="Area: budget, schedule, team, conflict, risk, procurement, "
            "quality, communications, scope or technology."
        ),
    ],
    role: RoleArg,
    letter: Annotated[str, typer.Argument(help="R, A, C or I; - clears the cell.")],
    as_json: JsonFlag = False,
) -> None:
    """Set one cell. Making a role Accountable moves accountability from the previous Accountable role
    (which becomes Responsible)."""
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, key)
            r = find_role(s, actor, pid, role)
            value = None if letter.strip() in ("-", "") else letter.strip()
            m = roles.set_raci(s, actor, pid, area=area.strip().lower(), role_id=r["id"], letter=value)
    finally:
        db.dispose()
    if as_json:
        print_json(m)
        return
    console.print(f"{area}: {escape(r['name'])} → {value.upper() if value else '(cleared)'}")
    print_gaps(m["gaps"])
