"""`charter project list|show`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from charter.cli.common import JsonFlag, acting, console, fmt_date, fmt_time, open_db, print_json
from charter.services import projects, roles, work_packages

project_app = typer.Typer(help="Projects you can see.", no_args_is_help=True)


@project_app.command("list")
def list_(
    as_json: JsonFlag = False,
    all_: Annotated[
        bool, typer.Option("--all", help="Include deleted projects (instance admins only).")
    ] = False,
) -> None:
    """List the projects the acting user can see."""
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            rows = projects.list_projects(s, acting(s), include_deleted=all_)
    finally:
        db.dispose()
    if as_json:
        print_json(rows)
        return
    t = Table("key", "name", "status", "phase", "project manager", "sponsor", "start", "target")
    for p in rows:
        name = escape(p["name"]) + (" [red](deleted)[/red]" if p["deleted"] else "")
        t.add_row(
            p["key"],
            name,
            p["status"],
            p["phase"],
            escape(p["project_manager"] or "") or "[red]—[/red]",
            escape(p["sponsor"] or ""),
            fmt_date(p["start_date"]),
            fmt_date(p["target_date"]),
        )
    console.print(t if rows else "No projects visible to you.")


def project_details(key: str) -> dict[str, Any]:
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, key)
            data = projects.get_project(s, actor, pid)
            data["roles"] = roles.list_roles(s, actor, pid)
            data["work_packages"] = work_packages.list_work_packages(s, actor, pid)
            data["gaps"] = roles.gaps(s, actor, pid)
    finally:
        db.dispose()
    return data


@project_app.command("show")
def show(
    key: Annotated[str, typer.Argument(help="Project key (e.g. CRM) or id.")],
    as_json: JsonFlag = False,
) -> None:
    """Show a project's charter, its manager and sponsor, its roles with their current holders and its
    responsibility gaps."""
    p = project_details(key)
    if as_json:
        print_json(p)
        return
    head = (
        f"[bold]{p['key']} — {escape(p['name'])}[/bold]"
        + (" [red](deleted)[/red]" if p["deleted"] else "")
        + f"\nstatus {p['status']} · phase {p['phase']} · {fmt_date(p['start_date']) or '?'} → "
        f"{fmt_date(p['target_date']) or '?'} · currency {p['currency']}"
        + f"\nProject Manager: {escape(p['project_manager'] or '') or '[red]nobody[/red]'} · "
        f"Sponsor: {escape(p['sponsor'] or 'nobody')}"
    )
    console.print(Panel(head, expand=False))
    for title, field in (
        ("Objectives", "objectives"),
        ("Scope", "scope_statement"),
        ("Success criteria", "success_criteria"),
    ):
        if p[field]:
            console.print(f"\n[bold underline]{title}[/bold underline]")
            console.print(Markdown(p[field]))
    if p["work_packages"]:
        wt = Table("WBS", "work package", "task leader", title="Work packages", title_justify="left")
        for w in p["work_packages"]:
            indent = "  " * w["wbs_code"].count(".")
            wt.add_row(
                w["wbs_code"],
                indent + escape(w["name"]),
                escape(w["leader"] or "") + (f" (from {w['leader_via']})" if w["leader_via"] else ""),
            )
        console.print(wt)
    rt = Table("role", "scope kind", "holders (since)", title="Roles", title_justify="left")
    for r in p["roles"]:
        holders = "\n".join(
            escape(f"{h['user']}" + (f" [{h['scope']}]" if h["scope"] else "") + f" ({fmt_time(h['since'])})")
            for h in r["holders"]
        )
        rt.add_row(
            escape(r["name"]) + ("" if r["builtin"] else " [dim](custom)[/dim]"),
            r["scope_kind"],
            holders or "[dim]nobody[/dim]",
        )
    console.print(rt)
    print_gaps(p["gaps"])


def print_gaps(gaps: list[dict[str, Any]]) -> None:
    if not gaps:
        console.print("[green]No responsibility gaps.[/green]")
        return
    console.print("[bold red]Responsibility gaps[/bold red]")
    for g in gaps:
        console.print(f"  • {g['message']}", style="red", markup=False)
