"""`charter project list|show|create|edit|delete|restore`: projects and their charter, through the same
services as the web pages and the API (permissions, validation, the lifecycle guard, the journal)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from sqlalchemy.orm import Session

from charter.cli.common import (
    JsonFlag,
    acting,
    check_length,
    console,
    fmt_date,
    fmt_time,
    open_db,
    parse_date,
    print_json,
    print_result,
    run_in_project,
)
from charter.domain.errors import NotFound, ValidationError
from charter.domain.projects import Phase, ProjectStatus
from charter.services import projects, roles, work_packages
from charter.services.context import Actor

project_app = typer.Typer(
    help="Projects: list, show, create, edit the charter, delete and restore.", no_args_is_help=True
)

T = TypeVar("T")
Key = Annotated[str, typer.Argument(help="Project key (e.g. CRM) or id.")]
STATUSES = ", ".join(x.value for x in ProjectStatus)
PHASES = ", ".join(x.value for x in Phase)
NAME_MAX = 200  # the column (and the API's limit)


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
    key: Key,
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


# --------------------------------------------------------------------------------------------- changes


def _in_db(fn: Callable[[Session, Actor], T]) -> T:
    """Open the database and call `fn(session, acting user)` in one transaction."""
    db = open_db()
    try:
        with db.uow() as s:
            return fn(s, acting(s))
    finally:
        db.dispose()


def _charter(
    *,
    name: str | None = None,
    objectives: str | None = None,
    scope: str | None = None,
    success_criteria: str | None = None,
    start: str | None = None,
    target: str | None = None,
    currency: str | None = None,
    status: str | None = None,
    phase: str | None = None,
) -> dict[str, Any]:
    """The options given, as the project service's charter fields ('' clears a date)."""
    check_length(name, NAME_MAX, "name")
    out: dict[str, Any] = {}
    plain = {"name": name, "objectives": objectives, "scope_statement": scope,
             "success_criteria": success_criteria, "status": status, "phase": phase}  # fmt: skip
    out.update({k: v for k, v in plain.items() if v is not None})
    if currency is not None:
        out["currency"] = currency.strip().upper()
    for k, raw in (("start_date", start), ("target_date", target)):
        if raw is not None:
            out[k] = parse_date(raw, k) if raw.strip() else None
    return out


def _manager_id(s: Session, a: Actor, who: str) -> int:
    try:
        return projects.find_manager_id(s, a, who)
    except NotFound as e:
        raise NotFound(e.message, field="manager_id") from None


def _summary(p: dict[str, Any]) -> str:
    return (
        f"{p['key']} — {escape(p['name'])} ({p['status']}, {p['phase']}, "
        f"{fmt_date(p['start_date']) or '?'} → {fmt_date(p['target_date']) or '?'}, {p['currency']}; "
        f"Project Manager {escape(p['project_manager'] or 'nobody')}; version {p['version']})"
    )


Objectives = Annotated[str | None, typer.Option(help="The charter's objectives (Markdown).")]
Scope = Annotated[str | None, typer.Option(help="The scope statement (Markdown).")]
Success = Annotated[str | None, typer.Option(help="The success criteria (Markdown).")]
Currency = Annotated[str | None, typer.Option(help="ISO 4217 code of the project's money, e.g. EUR.")]


@project_app.command("create")
def create_cmd(
    key: Annotated[
        str, typer.Argument(help="The new key: 2-10 letters or digits, starting with a letter (e.g. CRM).")
    ],
    name: Annotated[str, typer.Argument(help="The project's name.")],
    manager: Annotated[
        str | None,
        typer.Option(
            help="Its Project Manager (username or id); default: you. Only an instance admin names someone "
            "else."
        ),
    ] = None,
    start: Annotated[str | None, typer.Option(help="Start date, ISO (e.g. 2030-01-07).")] = None,
    target: Annotated[str | None, typer.Option(help="Target end date, ISO.")] = None,
    currency: Currency = None,
    status: Annotated[str | None, typer.Option(help=f"Status: {STATUSES} (default proposed).")] = None,
    phase: Annotated[str | None, typer.Option(help=f"Phase: {PHASES} (default initiation).")] = None,
    objectives: Objectives = None,
    scope: Scope = None,
    success_criteria: Success = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a project; its manager becomes its Project Manager.

    It starts with the built-in roles, their RACI and a standard calendar."""
    fields = _charter(name=name, objectives=objectives, scope=scope, success_criteria=success_criteria,
                      start=start, target=target, currency=currency, status=status, phase=phase)  # fmt: skip

    def go(s: Session, a: Actor) -> dict[str, Any]:
        mid = _manager_id(s, a, manager) if manager is not None else None
        return projects.create_project(s, a, key=key, manager_id=mid, **fields)

    p = _in_db(go)
    print_result(p, as_json, f"Project created: {_summary(p)}.")


@project_app.command("edit")
def edit_cmd(
    key: Key,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    start: Annotated[str | None, typer.Option(help="Start date, ISO ('' clears it).")] = None,
    target: Annotated[str | None, typer.Option(help="Target end date, ISO ('' clears it).")] = None,
    currency: Currency = None,
    status: Annotated[
        str | None,
        typer.Option(help=f"Status: {STATUSES} (a project is closed on its Closure page, not here)."),
    ] = None,
    phase: Annotated[
        str | None,
        typer.Option(help="Only the current phase: a phase moves on by closing it at its gate."),
    ] = None,
    objectives: Objectives = None,
    scope: Scope = None,
    success_criteria: Success = None,
    version: Annotated[
        int | None, typer.Option(help="The version you read (default: the current one).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Edit the project's charter: only the options given change.

    Needs project.edit (the Project Manager)."""
    changes = _charter(name=name, objectives=objectives, scope=scope, success_criteria=success_criteria,
                       start=start, target=target, currency=currency, status=status, phase=phase)  # fmt: skip
    if not changes:
        raise ValidationError("nothing to change: give at least one option", field="project")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        v = version if version is not None else projects.get_project(s, a, pid)["version"]
        return projects.update_project(s, a, pid, v, **changes)

    p = run_in_project(key, go)
    print_result(p, as_json, f"Project updated: {_summary(p)}.")


@project_app.command("delete")
def delete_cmd(
    key: Key,
    version: Annotated[
        int | None, typer.Option(help="The version you read (default: the one shown when asked).")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a project (an instance admin can restore it).

    The project disappears for everyone but instance admins. Needs project.delete (the Project Manager)."""
    p = run_in_project(key, lambda s, a, pid: projects.get_project(s, a, pid))
    if not yes:
        typer.confirm(f"Delete project {p['key']} ({p['name']})?", abort=True)
    v = version if version is not None else p["version"]
    run_in_project(key, lambda s, a, pid: projects.delete_project(s, a, pid, v))
    console.print(f"Project {p['key']} deleted; an instance admin can restore it (`charter project restore "
                  f"{p['key']}`).")  # fmt: skip


@project_app.command("restore")
def restore_cmd(key: Key, as_json: JsonFlag = False) -> None:
    """Restore a deleted project (instance admins)."""

    def go(s: Session, a: Actor) -> dict[str, Any]:
        # a deleted project is invisible to find_project_id: look among every project, as `list --all` does
        # (which is for admins only, and says so to anyone else)
        every = projects.list_projects(s, a, include_deleted=True)
        match = [p for p in every if p["key"] == key.strip().upper() or str(p["id"]) == key.strip()]
        if not match:
            raise NotFound(f"project {key} not found", field="project")
        return projects.restore_project(s, a, match[0]["id"])

    p = _in_db(go)
    print_result(p, as_json, f"Project restored: {_summary(p)}.")
