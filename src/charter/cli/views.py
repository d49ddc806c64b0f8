"""`charter view list|save|update|delete PROJECT ...`: saved views of a project's task list (its filters, sort
and columns under a name); `charter task list PROJECT --view NAME` lists the tasks of one. The same services
as the task table's *Views* and the API: your own views, shared ones from the Project Manager."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from charter.cli.common import JsonFlag, print_result, print_rows, run_in_project
from charter.cli.custom_fields import parse_assignments
from charter.services import views, work_packages
from charter.services.context import Actor

view_app = typer.Typer(
    help="Saved views of a project's task list: list, save, update, delete.", no_args_is_help=True
)

Project = Annotated[str, typer.Argument(help="Project key or id.")]
ViewRef = Annotated[str, typer.Argument(help="The view's name or id (see `charter view list`).")]
Version = Annotated[int | None, typer.Option(help="The version you read (default: the current one).")]
Shared = Annotated[
    bool | None,
    typer.Option("--shared/--private", help="Shown to everyone who sees the project (project.edit)."),
]


def _query(wp: str | None, critical: bool, search: str | None, sort: str | None, field: list[str] | None,
           baseline: int | None, custom_columns: bool) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {"q": search, "work_package_id": wp, "critical": critical or None, "sort": sort,
                           "fields": parse_assignments(field), "baseline": baseline,
                           "custom_columns": custom_columns or None}  # fmt: skip
    return {k: v for k, v in out.items() if v is not None}


def _resolve_wp(s: Session, a: Actor, pid: int, query: dict[str, Any]) -> dict[str, Any]:
    """A package given by WBS code or id in `--wp`, as the view stores it (its id)."""
    ref = query.get("work_package_id")
    if ref is None:
        return query
    return {**query, "work_package_id": work_packages.find_work_package_id(s, a, pid, str(ref))}


def find(s: Session, a: Actor, pid: int, ref: str) -> dict[str, Any]:
    if ref.strip().isdecimal():
        return views.get_view(s, a, pid, int(ref))
    return views.find_view(s, a, pid, ref)


def _row(v: dict[str, Any]) -> tuple[str, ...]:
    q = v["query"]
    shown = []
    for key in ("q", "work_package_id", "critical", "baseline", "sort", "custom_columns"):
        if q.get(key) is not None:
            shown.append(f"{key}={q[key]}")
    shown += [f"field {n}={val}" for n, val in (q.get("fields") or {}).items()]
    return (str(v["id"]), escape(v["name"]), "shared" if v["shared"] else "private", escape(v["owner"] or ""),
            escape("; ".join(shown)), str(v["version"]))  # fmt: skip


@view_app.command("list")
def list_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """Your views of the project's task list and the shared ones."""
    rows = run_in_project(project, lambda s, a, pid: views.list_views(s, a, pid))
    print_rows(rows, ("Id", "View", "Seen by", "Owner", "Filters and sort", "Version"), _row, as_json=as_json,
               empty="No views (save one with `charter view save`).")  # fmt: skip


WpOpt = Annotated[str | None, typer.Option("--wp", help="Only this work package (WBS code or id).")]
CriticalOpt = Annotated[bool, typer.Option("--critical", help="Only the critical tasks.")]
SearchOpt = Annotated[str | None, typer.Option(help="Words that must all be in the task's name.")]
SortOpt = Annotated[
    str | None,
    typer.Option(
        help="wbs, name, start, finish, total_float, free_float, duration, priority, percent_complete, "
        'variance or "field:NAME"; prefix - for descending.'
    ),
]
FieldOpt = Annotated[
    list[str] | None,
    typer.Option("--field", help='Only tasks with this custom field value: "Component=Backend".'),
]
BaselineOpt = Annotated[
    int | None, typer.Option(min=0, max=10, help="The baseline the task table compares with.")
]
ColumnsOpt = Annotated[bool, typer.Option("--custom-columns", help="The task table shows the custom fields.")]


@view_app.command("save")
def save_cmd(
    project: Project,
    name: Annotated[str, typer.Argument(help="The view's name, unique among your views of the project.")],
    wp: WpOpt = None,
    critical: CriticalOpt = False,
    search: SearchOpt = None,
    sort: SortOpt = None,
    field: FieldOpt = None,
    baseline: BaselineOpt = None,
    custom_columns: ColumnsOpt = False,
    shared: Shared = False,
    as_json: JsonFlag = False,
) -> None:
    """Save a view of the task list: the filters and sort given here under a name."""
    query = _query(wp, critical, search, sort, field, baseline, custom_columns)
    v = run_in_project(project, lambda s, a, pid: views.create_view(
        s, a, pid, name=name, query=_resolve_wp(s, a, pid, query), shared=bool(shared)))  # fmt: skip
    print_result(
        v, as_json, f"View {v['id']} saved: {escape(v['name'])}{' (shared)' if v['shared'] else ''}."
    )


@view_app.command("update")
def update_cmd(
    project: Project,
    view: ViewRef,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    shared: Shared = None,
    filters: Annotated[
        bool, typer.Option("--filters", help="Replace the view's filters and sort with those given here.")
    ] = False,
    wp: WpOpt = None,
    critical: CriticalOpt = False,
    search: SearchOpt = None,
    sort: SortOpt = None,
    field: FieldOpt = None,
    baseline: BaselineOpt = None,
    custom_columns: ColumnsOpt = False,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Rename a view, share it or stop sharing it, or (--filters) give it new filters and sort."""
    changes: dict[str, Any] = {k: v for k, v in {"name": name, "shared": shared}.items() if v is not None}
    query = _query(wp, critical, search, sort, field, baseline, custom_columns)

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        v = find(s, a, pid, view)
        if filters:
            changes["query"] = _resolve_wp(s, a, pid, query)
        return views.update_view(
            s, a, pid, v["id"], version if version is not None else v["version"], **changes
        )

    out = run_in_project(project, go)
    print_result(out, as_json, f"View {out['id']} updated: {escape(out['name'])}.")


@view_app.command("delete")
def delete_cmd(project: Project, view: ViewRef, version: Version = None) -> None:
    """Delete a view (yours, or a shared one as the Project Manager)."""

    def go(s: Session, a: Actor, pid: int) -> str:
        v = find(s, a, pid, view)
        views.delete_view(s, a, pid, v["id"], version if version is not None else v["version"])
        return str(v["name"])

    name = run_in_project(project, go)
    print_result({"deleted": name}, False, f"View deleted: {escape(name)}.")
