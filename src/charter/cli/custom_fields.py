"""`charter field list|add|update|archive|restore PROJECT ...`: the custom fields a project records on its
tasks (text, number, date, choice, flag). Values are set with `charter task add|update --field NAME=VALUE`
and shown by `charter task show`. The same services as the web pages and the API: the Project Manager
defines fields, a field is archived rather than deleted and keeps its values, every change is journaled."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from charter.cli.common import JsonFlag, print_result, print_rows, run_in_project
from charter.domain.custom_fields import format_value
from charter.domain.errors import NotFound, ValidationError
from charter.services import custom_fields
from charter.services.context import Actor

field_app = typer.Typer(
    help="Custom fields of a project's tasks: list, add, rename, change choices, archive or restore.",
    no_args_is_help=True,
)

Project = Annotated[str, typer.Argument(help="Project key or id.")]
FieldRef = Annotated[str, typer.Argument(help="The field's id or name (see `charter field list`).")]
Version = Annotated[int | None, typer.Option(help="The version you read (default: the current one).")]
Choices = Annotated[
    str | None,
    typer.Option(help='A choice or multi choice field\'s options, comma-separated: "Backend,Frontend,Data".'),
]
Default = Annotated[
    str | None,
    typer.Option(
        "--default", help='The value a new task gets when none is given ("" removes it in `update`).'
    ),
]


def find_field(s: Session, a: Actor, pid: int, ref: str) -> dict[str, Any]:
    """The project's field (in use or archived) with this id or name (any case)."""
    rows = custom_fields.list_fields(s, a, pid, archived=True)
    ref = " ".join(ref.split())
    for f in rows:
        if ref.isdecimal() and f["id"] == int(ref):
            return f
    named = [f for f in rows if f["name"].casefold() == ref.casefold()]
    if len(named) > 1:  # an archived field and one in use may share a name: the one in use
        named = [f for f in named if not f["archived"]] or named
    if len(named) > 1:
        ids = ", ".join(str(f["id"]) for f in named)
        raise ValidationError(
            f"several archived fields are named {ref!r} (ids {ids}): give the id", field="field"
        )
    if not named:
        raise NotFound(f"no custom field {ref!r} in this project (see `charter field list`)", field="field")
    return named[0]


def _row(f: dict[str, Any]) -> tuple[str, ...]:
    return (
        str(f["id"]),
        escape(f["name"]),
        f["kind"],
        escape(", ".join(f["choices"])),
        "required" if f["required"] else "",
        "" if f["default"] is None else escape(format_value(f["kind"], f["default"])),
        "archived" if f["archived"] else "in use",
        str(f["version"]),
    )


@field_app.command("list")
def list_cmd(
    project: Project,
    archived: Annotated[bool, typer.Option(help="The archived fields too.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """The project's custom fields, in the order tasks show them."""
    rows = run_in_project(project, lambda s, a, pid: custom_fields.list_fields(s, a, pid, archived=archived))
    print_rows(
        rows,
        ("Id", "Name", "Kind", "Choices", "Required", "Default", "State", "Version"),
        _row,
        as_json=as_json,
        empty="No custom fields (add one with `charter field add`).",
    )


@field_app.command("add")
def add_cmd(
    project: Project,
    name: Annotated[str, typer.Argument(help="The field's name, unique among the fields in use.")],
    kind: Annotated[
        str, typer.Option(help="text, number, date, choice, multi_choice (several of the choices) or flag.")
    ] = "text",
    choices: Choices = None,
    required: Annotated[
        bool, typer.Option("--required", help="Every task made from now on needs a value.")
    ] = False,
    default: Default = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a field to the project's tasks (the Project Manager)."""
    f = run_in_project(
        project,
        lambda s, a, pid: custom_fields.create_field(
            s, a, pid, name=name, kind=kind, choices=choices, required=required, default=default
        ),
    )
    print_result(f, as_json, f"Field {f['id']} added: {escape(f['name'])} ({f['kind']}).")


@field_app.command("update")
def update_cmd(
    project: Project,
    field: FieldRef,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    choices: Choices = None,
    position: Annotated[
        int | None, typer.Option(min=0, max=10000, help="Its place among the fields.")
    ] = None,
    required: Annotated[
        bool | None,
        typer.Option("--required/--optional", help="Whether every task made from now on needs a value."),
    ] = None,
    default: Default = None,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Rename a field, change its choices (a choice tasks still hold stays), its place, whether it is
    required or its default. Its kind never changes."""
    given = {"name": name, "choices": choices, "position": position, "required": required, "default": default}
    changes = {k: v for k, v in given.items() if v is not None}
    if not changes:
        raise ValidationError(
            "nothing to change: give --name, --choices, --position, --required/--optional or --default",
            field="field",
        )
    f = _change(project, field, version, changes)
    print_result(f, as_json, f"Field {f['id']} updated: {escape(f['name'])} ({f['kind']}).")


@field_app.command("archive")
def archive_cmd(
    project: Project, field: FieldRef, version: Version = None, as_json: JsonFlag = False
) -> None:
    """Hide a field from the tasks; their values are kept and come back with `charter field restore`."""
    f = _change(project, field, version, {"archived": True})
    print_result(f, as_json, f"Field {f['id']} archived: {escape(f['name'])}.")


@field_app.command("restore")
def restore_cmd(
    project: Project,
    field: FieldRef,
    name: Annotated[str | None, typer.Option(help="A new name, when a field in use has its name.")] = None,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Bring an archived field back, with the values tasks had."""
    f = _change(project, field, version, {"archived": False, **({"name": name} if name is not None else {})})
    print_result(f, as_json, f"Field {f['id']} restored: {escape(f['name'])}.")


def _change(project: str, ref: str, version: int | None, changes: dict[str, Any]) -> dict[str, Any]:
    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        f = find_field(s, a, pid, ref)
        v = version if version is not None else f["version"]
        return custom_fields.update_field(s, a, pid, f["id"], v, **changes)

    out: dict[str, Any] = run_in_project(project, go)
    return out


def parse_assignments(items: list[str] | None) -> dict[str, str] | None:
    """`--field "Story points=5"` options as {name: value} ("Name=" clears the field, or in `task list`
    matches the tasks without a value)."""
    return custom_fields.parse_pairs(items) or None
