"""`charter tech import|list|add|show|edit|update|resolve|plan|due|handover`, `charter closure check|close`, `charter lesson add|list|edit|delete`,
`charter search [query|reindex]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from charter.cli.common import JsonFlag, acting, console, fail, fmt_date, open_db, print_json, print_result
from charter.domain.figures import counted
from charter.domain.roles import Perm
from charter.services import accounts, closure, projects, search, search_index, tech, tech_plans

tech_app = typer.Typer(
    help="Technology inventory: components, SBOM imports, due dates.", no_args_is_help=True
)
closure_app = typer.Typer(help="The closing checklist and project closure.", no_args_is_help=True)
lesson_app = typer.Typer(help="The lessons-learned log.", no_args_is_help=True)

ProjectOpt = Annotated[str | None, typer.Option("--project", "-p", help="Project key or id.")]


@tech_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV, CycloneDX (JSON/XML) or SPDX (JSON/tag-value) file.")],
    project: ProjectOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Import components into a project's inventory (or the organisation's, without --project)."""
    if not file.is_file():
        fail(f"{file} is not a file")
    data = file.read_bytes()
    db = open_db()
    with db.uow() as s:
        actor = acting(s)
        pid = projects.find_project_id(s, actor, project) if project else None
        out = tech.import_file(s, actor, pid, data, file.name)
    print_result(
        out,
        as_json,
        f"imported {counted(out['imported'], 'component')} from {escape(file.name)} ({out['format']}): "
        f"{out['added']} added, {out['updated']} updated, {out['unchanged']} unchanged",
    )


@tech_app.command("list")
def list_(project: ProjectOpt = None, as_json: JsonFlag = False) -> None:
    """The inventory of a project, or everything you can see."""
    db = open_db()
    with db.uow(readonly=True) as s:
        actor = acting(s)
        pid = projects.find_project_id(s, actor, project) if project else None
        rows = tech.list_components(s, actor, pid)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "name", "kind", "version", "licence", "support end", "end of life")
    for r in rows:
        table.add_row(str(r["id"]), escape(r["name"]), r["kind"], escape(r["current_version"]),
                      escape(r["licence"]), fmt_date(r["support_end"]), fmt_date(r["eol_date"]))  # fmt: skip
    console.print(table)


PurlOpt = Annotated[
    str | None,
    typer.Option(
        "--purl", help="Package URL, e.g. pkg:npm/debug@4.3.4; SBOM imports match on it ('' clears)."
    ),
]
KindOpt = Annotated[
    str | None, typer.Option(help="software, library, platform, hardware, saas, certificate or domain.")
]


@tech_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Component name.")],
    project: ProjectOpt = None,
    kind: KindOpt = None,
    vendor: Annotated[str, typer.Option(help="Vendor.")] = "",
    current_version: Annotated[str, typer.Option("--current-version", help="Version in use.")] = "",
    purl: PurlOpt = None,
    licence: Annotated[str, typer.Option(help="Licence, e.g. an SPDX id.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Add a component to a project's inventory (or, an admin, to the organisation's without --project);
    set its dates, owner, systems and departments with `charter tech edit`."""
    values: dict[str, Any] = {"name": name, "vendor": vendor, "current_version": current_version,
                              "licence": licence}  # fmt: skip
    if kind is not None:
        values["kind"] = kind
    if purl is not None:
        values["purl"] = purl
    db = open_db()
    with db.uow() as s:
        actor = acting(s)
        pid = projects.find_project_id(s, actor, project) if project else None
        out = tech.create_component(s, actor, pid, **values)
    print_result(
        out, as_json, f"component {out['id']} added: {escape(out['name'])} {escape(out['current_version'])}"
    )


@tech_app.command("show")
def show(
    component: Annotated[int, typer.Argument(help="Component id.")],
    as_json: JsonFlag = False,
) -> None:
    """A component's fields and its update items."""
    db = open_db()
    with db.uow(readonly=True) as s:
        out = tech.get_component(s, acting(s), component)
    if as_json:
        print_json(out)
        return
    console.print(f"[bold]{escape(out['name'])}[/bold] {escape(out['current_version'])} ({out['kind']})")
    for label, val in (("purl", out["purl"] or ""), ("vendor", out["vendor"]), ("licence", out["licence"]),
                       ("release", fmt_date(out["release_date"])), ("support end", fmt_date(out["support_end"])),
                       ("end of life", fmt_date(out["eol_date"])), ("systems", ", ".join(out["systems"])),
                       ("departments", ", ".join(out["departments"])), ("source", out["source"])):  # fmt: skip
        console.print(f"  {label}: {escape(val)}")
    for u in out["updates"]:
        console.print(
            f"  update {u['id']}: {escape(u['title'])} ({u['kind']}, {u['severity']}, {u['status']})"
        )


@tech_app.command("update")
def update_item(
    component: Annotated[int, typer.Argument(help="Component id.")],
    title: Annotated[str, typer.Argument(help="What the update is, e.g. 'CVE-2030-1234' or '5.0 released'.")],
    kind: Annotated[
        str, typer.Option(help="new_version, advisory, end_of_life or certificate.")
    ] = "new_version",
    severity: Annotated[str, typer.Option(help="low, medium, high or critical.")] = "medium",
    due: Annotated[str | None, typer.Option(help="Due date, YYYY-MM-DD.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record an update item on a component (plan it with `charter tech plan ID`)."""
    db = open_db()
    with db.uow() as s:
        out = tech.create_update(
            s, acting(s), component, kind=kind, title=title, severity=severity, due_on=due
        )
    print_result(out, as_json, f"update item {out['id']} recorded ({out['kind']}, {out['severity']})")


def _csv(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


@tech_app.command("edit")
def edit(
    component: Annotated[int, typer.Argument(help="Component id.")],
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    kind: KindOpt = None,
    vendor: Annotated[str | None, typer.Option(help="Vendor ('' clears).")] = None,
    current_version: Annotated[str | None, typer.Option("--current-version", help="Version in use.")] = None,
    purl: PurlOpt = None,
    licence: Annotated[str | None, typer.Option(help="Licence, e.g. an SPDX id ('' clears).")] = None,
    release: Annotated[str | None, typer.Option(help="Release date YYYY-MM-DD ('' clears).")] = None,
    support_end: Annotated[str | None, typer.Option(help="End of support YYYY-MM-DD ('' clears).")] = None,
    eol: Annotated[str | None, typer.Option(help="End of life / expiry YYYY-MM-DD ('' clears).")] = None,
    owner: Annotated[str | None, typer.Option(help="Owner's username or id ('' clears).")] = None,
    systems: Annotated[
        str | None, typer.Option(help="Systems using it, comma-separated (replaces the list).")
    ] = None,
    departments: Annotated[
        str | None, typer.Option(help="Departments using it, comma-separated (replaces the list).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a component's fields; only the options given change. Refused whole when a date is invalid or
    an end-of-support / end-of-life date falls before the release date."""
    changes: dict[str, Any] = {}
    for key, val in (("name", name), ("kind", kind), ("vendor", vendor), ("current_version", current_version),
                     ("purl", purl), ("licence", licence), ("release_date", release), ("support_end", support_end),
                     ("eol_date", eol)):  # fmt: skip
        if val is not None:
            changes[key] = val
    if systems is not None:
        changes["systems"] = _csv(systems)
    if departments is not None:
        changes["departments"] = _csv(departments)
    if not changes and owner is None:
        fail("nothing to change: give at least one option (see --help)")
    db = open_db()
    with db.uow() as s:
        actor = acting(s)
        if owner is not None:
            changes["owner_id"] = tech.find_owner_id(s, actor, component, owner) if owner.strip() else None
        current = tech.get_component(s, actor, component)
        out = tech.update_component(s, actor, component, current["version"], **changes)
    print_result(
        out, as_json, f"component {out['id']} saved: {escape(out['name'])} {escape(out['current_version'])}"
    )


@tech_app.command("resolve")
def resolve(
    update: Annotated[int, typer.Argument(help="Update item id.")],
    dismiss: Annotated[
        bool,
        typer.Option("--dismiss", help="Dismiss the item (it does not apply) instead of marking it done."),
    ] = False,
    note: Annotated[str, typer.Option(help="Why; required with --dismiss. Kept in the journal.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Mark an update item done (or dismissed with --dismiss) by hand. Items whose plan's tasks are all
    completed become done by themselves."""
    db = open_db()
    with db.uow() as s:
        actor = acting(s)
        current = tech_plans.plan(s, actor, update)
        out = tech.set_update_status(s, actor, update, current["version"], "dismissed" if dismiss else "done",
                                     note)  # fmt: skip
    print_result(out, as_json, f"update item {out['id']} {out['status']}")


def _step(text: str) -> dict[str, object]:
    name, sep, days = text.rpartition(":")
    if not sep or not days.strip().isdecimal():
        fail(f"--step {text!r}: expected NAME:DAYS, e.g. 'Test in staging:2'")
    return {"name": name.strip(), "days": int(days)}


@tech_app.command("plan")
def plan(
    update: Annotated[int, typer.Argument(help="Update item id.")],
    step: Annotated[
        list[str] | None,
        typer.Option(
            "--step", help="NAME:DAYS, repeat in order (default: the template for the item's kind)."
        ),
    ] = None,
    work_package: Annotated[
        int | None, typer.Option(help="Work package id (default: the project's 'Technology updates').")
    ] = None,
    owner: Annotated[
        str | None, typer.Option(help="Username or id (default: the component's owner).")
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            "-p",
            help="Organisation-wide component: the project (key or id) that carries the "
            "plan's tasks, e.g. an operations project (you: its owner or an admin, managing technology there).",
        ),
    ] = None,
    show: Annotated[bool, typer.Option("--show", help="Only show the template, create nothing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Turn an update item into linked tasks (assess -> test in staging -> deploy -> verify, or your own
    --step list): finish-to-start, in a work package, first task from today, the last one due on the item's
    due date. Works during the project and after its closure. An organisation-wide component's update goes
    into the project named by --project."""
    db = open_db()
    with db.uow(readonly=show) as s:
        actor = acting(s)
        pid = projects.find_project_id(s, actor, project) if project else None
        proposal = tech_plans.proposal(s, actor, update, pid)
        if show:
            out = proposal
        else:
            owner_id = tech_plans.find_owner_id(s, actor, update, owner, pid) if owner else None
            out = tech_plans.create_plan(
                s, actor, update, proposal["version"], steps=[_step(x) for x in step] if step else None,
                work_package_id=work_package, owner_id=owner_id, project_id=pid,
            )  # fmt: skip
    if as_json:
        print_json(out)
        return
    if show:
        for i, x in enumerate(out["steps"], 1):
            console.print(f"{i}. {escape(x['name'])} ({x['days']} d)")
        return
    for t in out["tasks"]:
        console.print(f"{t['position']}. task {t['task_id']}: {escape(t['name'])} {fmt_date(t['finish'])}")
    for note in out.get("notes", []):
        console.print(f"[yellow]note:[/yellow] {escape(note)}")


@tech_app.command("due")
def due(
    days: Annotated[
        list[int] | None,
        typer.Option("--days", help="Window in days (the largest is listed); with --notify, the thresholds."),
    ] = None,
    project: ProjectOpt = None,
    notify: Annotated[
        bool,
        typer.Option(
            "--notify", help="Alert the owners now instead of listing (the worker does this daily)."
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """List the components whose end of life, expiry or end of support falls within the window (default 90
    days), soonest first. With --notify, alert each component's owner at the thresholds (default 90 and 30
    days); safe to repeat: each alert is raised once, also for closed projects."""
    if days and any(d < 0 for d in days):
        fail("--days must not be negative")
    db = open_db()
    if notify:
        thresholds = tuple(sorted(set(days))) if days else tech.DEFAULT_THRESHOLDS
        with db.uow() as s:
            raised = tech.due_alerts(s, thresholds=thresholds)
        if as_json:
            print_json(raised)
            return
        console.print(f"{counted(len(raised), 'alert')} raised")
        return
    with db.uow(readonly=True) as s:
        actor = acting(s)
        pid = projects.find_project_id(s, actor, project) if project else None
        rows = tech.due_within(s, actor, max(days) if days else 90, pid)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "name", "version", "what", "date", "days left", "open updates")
    for r in rows:
        what = "end of support" if r["due_field"] == "support_end" else (
            "expiry" if r["kind"] in ("certificate", "domain") else "end of life")  # fmt: skip
        table.add_row(str(r["id"]), escape(r["name"]), escape(r["current_version"]), what, fmt_date(r["due_on"]),
                      str(r["days_left"]), str(r["open_updates"]))  # fmt: skip
    console.print(table)


@tech_app.command("handover")
def handover(
    project: Annotated[str, typer.Argument(help="Project key or id.")],
    owner: Annotated[str, typer.Argument(help="Username or id of the post-project owner.")],
) -> None:
    """Hand the project's technology to an owner for the post-project phase."""
    db = open_db()
    with db.uow() as s:
        actor = acting(s)
        pid = projects.find_project_id(s, actor, project)
        out = tech.hand_over(s, actor, pid, accounts.find_user_id_in(s, actor, pid, Perm.TECH_MANAGE, owner))
    console.print(f"handed over {counted(out['handed_over'], 'component')}")


def _show_checklist(items: list[dict[str, object]]) -> None:
    for i in items:
        mark = "[green]ok[/green]  " if i["ok"] else "[red]FAIL[/red]"
        see = f" [dim](see {escape(str(i['link']))})[/dim]" if i.get("link") and not i["ok"] else ""
        console.print(f"{mark} {escape(str(i['label']))}: {escape(str(i['detail']))}{see}")


@closure_app.command("check")
def check(
    project: Annotated[str, typer.Argument(help="Project key or id.")], as_json: JsonFlag = False
) -> None:
    """The closing checklist, checked against the project's data."""
    db = open_db()
    with db.uow(readonly=True) as s:
        actor = acting(s)
        out = closure.checklist(s, actor, projects.find_project_id(s, actor, project))
    if as_json:
        print_json(out)
        return
    _show_checklist(out["items"])


@closure_app.command("close")
def close(project: Annotated[str, typer.Argument(help="Project key or id.")]) -> None:
    """Close the project; refused, listing the failed items, unless the checklist passes."""
    db = open_db()
    with db.uow() as s:
        actor = acting(s)
        out = closure.close_project(s, actor, projects.find_project_id(s, actor, project))
    console.print(f"closed; status {out['status']}")


@lesson_app.command("add")
def lesson_add(
    project: Annotated[str, typer.Argument(help="Project key or id.")],
    title: Annotated[str, typer.Argument()],
    body: Annotated[str, typer.Option(help="What happened and what to do next time.")] = "",
    category: Annotated[str, typer.Option()] = "",
) -> None:
    """Record a lesson learned in a project."""
    db = open_db()
    with db.uow() as s:
        actor = acting(s)
        out = closure.add_lesson(s, actor, projects.find_project_id(s, actor, project), title=title, body=body,
                                 category=category)  # fmt: skip
    console.print(f"lesson {out['id']} recorded")


LessonVersion = Annotated[
    int | None, typer.Option(help="The version you read (a stale one is refused); default: the current one.")
]


def _lesson_version(s: Any, actor: Any, pid: int, lesson_id: int, version: int | None) -> int:
    if version is not None:
        return version
    for r in closure.list_lessons(s, actor, pid):
        if r["id"] == lesson_id:
            return int(r["version"])
    fail(f"error: lesson {lesson_id} not found in this project")


@lesson_app.command("edit")
def lesson_edit(
    project: Annotated[str, typer.Argument(help="Project key or id.")],
    lesson_id: Annotated[int, typer.Argument(help="The lesson's id (`charter lesson list` shows it).")],
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    body: Annotated[
        str | None, typer.Option(help="New text: what happened and what to do next time.")
    ] = None,
    category: Annotated[str | None, typer.Option(help="New category (empty: none).")] = None,
    version: LessonVersion = None,
    as_json: JsonFlag = False,
) -> None:
    """Correct a lesson: its author, or whoever manages quality in the project (the Project Manager)."""
    changes = {k: v for k, v in {"title": title, "body": body, "category": category}.items() if v is not None}
    if not changes:
        fail("error: nothing to change: give --title, --body or --category")
    db = open_db()
    with db.uow() as s:
        actor = acting(s)
        pid = projects.find_project_id(s, actor, project)
        v = _lesson_version(s, actor, pid, lesson_id, version)
        out = closure.update_lesson(s, actor, pid, lesson_id, v, **changes)
    print_result(out, as_json, f"lesson {out['id']} saved (version {out['version']}): {escape(out['title'])}")


@lesson_app.command("delete")
def lesson_delete(
    project: Annotated[str, typer.Argument(help="Project key or id.")],
    lesson_id: Annotated[int, typer.Argument(help="The lesson's id (`charter lesson list` shows it).")],
    version: LessonVersion = None,
) -> None:
    """Remove a lesson: its author, or whoever manages quality in the project. The only lesson of a closed
    project is kept."""
    db = open_db()
    with db.uow() as s:
        actor = acting(s)
        pid = projects.find_project_id(s, actor, project)
        closure.delete_lesson(s, actor, pid, lesson_id, _lesson_version(s, actor, pid, lesson_id, version))
    console.print(f"lesson {lesson_id} removed")


@lesson_app.command("list")
def lesson_list(
    query: Annotated[str, typer.Argument(help="Words to look for.")] = "",
    project: ProjectOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Lessons across every project you can see, each with its id."""
    db = open_db()
    with db.uow(readonly=True) as s:
        actor = acting(s)
        pid = projects.find_project_id(s, actor, project) if project else None
        rows = closure.list_lessons(s, actor, pid, search.clean(query))
    if as_json:
        print_json(rows)
        return
    for r in rows:
        console.print(f"{r['id']:>5}  [{escape(str(r['project_key']))}] {escape(r['title'])}")


class _SearchGroup(TyperGroup):
    """`charter search WORDS` runs `charter search query WORDS`; `charter search reindex` is a subcommand."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["query", *args]
        return super().parse_args(ctx, args)


search_app = typer.Typer(
    cls=_SearchGroup,
    help="Search everything you may see (`charter search WORDS`), or rebuild the index (`charter search "
    "reindex`). To look for the word 'reindex' itself: `charter search query reindex`.",
    no_args_is_help=True,
)


@search_app.command("query")
def search_cmd(
    query: Annotated[str, typer.Argument(help="Words; quotes and operators are taken as words.")],
    as_json: JsonFlag = False,
) -> None:
    """Search tasks, work packages, projects, messages, risks, concerns, inventory, lessons and documents
    (deliverables, message files, expense receipts), as far as you may see them."""
    db = open_db()
    with db.uow(readonly=True) as s:
        out = search.search(s, acting(s), query)
    if as_json:
        print_json(out)
        return
    console.print(f"{counted(out['total'], 'result')}")
    for h in out["results"]:
        console.print(f"{h['kind']:<12} [{escape(str(h['project_key'] or '-'))}] {escape(str(h['title']))}"
                      f"  {escape(h['link'])}")  # fmt: skip


@search_app.command("reindex")
def search_reindex(as_json: JsonFlag = False) -> None:
    """Rebuild the search index from the data (instance admin). Writes through Charter keep the index
    current on their own; run this after bulk SQL, a restore of an old backup, or hand edits, and once after
    upgrading to a version that reads attachments' text: it reads the files stored before."""
    db = open_db()
    with db.uow() as s:
        counts = search_index.rebuild(s, acting(s))
    entries = {k: v for k, v in counts.items() if k != search_index.TEXTS_READ}
    read = counts.get(search_index.TEXTS_READ, 0)
    line = f"indexed {sum(entries.values())} entries: " + ", ".join(f"{k} {v}" for k, v in entries.items())
    if read:
        line = (
            f"read the text of {counted(read, 'attachment')} stored before Charter read attachments' text\n"
            + line
        )
    print_result(counts, as_json, line)
