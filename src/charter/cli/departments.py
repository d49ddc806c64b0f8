"""`charter department list|add|update`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from charter.cli.common import JsonFlag, acting, open_db, print_result, print_rows
from charter.domain.errors import ValidationError
from charter.services import accounts, org

department_app = typer.Typer(
    help="Departments of the organisation (changing them needs an instance admin).", no_args_is_help=True
)

Head = Annotated[
    str | None, typer.Option("--head", help="The department's head: username or id ('' = none, on update).")
]


@department_app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """List the departments with their head (admins also see how many users belong to each)."""
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            actor = acting(s)
            full = actor.is_admin  # the admin's view adds the number of users
            rows = org.departments_for_admin(s, actor) if full else org.list_departments(s, actor)
    finally:
        db.dispose()
    print_rows(
        rows,
        ("id", "name", "head", *(("users",) if full else ())),
        lambda d: [
            str(d["id"]),
            escape(d["name"]),
            escape(d["head"] or ""),
            *([str(d["members"])] if full else []),
        ],
        as_json=as_json,
        empty="No departments yet.",
    )


@department_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help='The department\'s name, e.g. "Sales".')],
    head: Head = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a department (instance admins)."""
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            head_id = accounts.find_user_id_for_admin(s, actor, head) if head else None
            d = org.create_department(s, actor, name=name, head_user_id=head_id)
    finally:
        db.dispose()
    print_result(d, as_json, f"Added department [bold]{escape(d['name'])}[/bold], id {d['id']}.")


@department_app.command("update")
def update(
    department: Annotated[str, typer.Argument(help="The department: name or id.")],
    name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    head: Head = None,
    version: Annotated[
        int | None, typer.Option(help="The version you read (default: the current one).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Rename a department or change its head (instance admins); only the options given change."""
    if name is None and head is None:
        raise ValidationError("nothing to change: give --name or --head", field="department")
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            did = org.find_department_id(s, department)
            changes: dict[str, Any] = {}
            if name is not None:
                changes["name"] = name
            if head is not None:
                changes["head_user_id"] = (
                    accounts.find_user_id_for_admin(s, actor, head) if head.strip() else None
                )
            current = next(d for d in org.list_departments(s, actor) if d["id"] == did)
            d = org.update_department(
                s, actor, did, version if version is not None else current["version"], **changes
            )
    finally:
        db.dispose()
    print_result(
        d,
        as_json,
        f"Department [bold]{escape(d['name'])}[/bold] updated; head: {escape(d['head'] or 'none')}.",
    )
