"""`charter user add|list`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.common import JsonFlag, acting, ask_password, console, open_db, print_json
from charter.services import accounts, org

user_app = typer.Typer(help="Instance users (adding one needs an instance admin).", no_args_is_help=True)


@user_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name: lower-case letters, digits, . _ -")],
    name: Annotated[str, typer.Option("--name", help='Display name, e.g. "Priya Nair".')],
    email: Annotated[str | None, typer.Option("--email", help="E-mail address.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an instance admin.")] = False,
    department: Annotated[
        str | None, typer.Option("--department", help="Department name (or id) the user belongs to.")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option("--password", help="Password (at least 10 characters); prompted if left out."),
    ] = None,
) -> None:
    """Create a user."""
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            acting(s)
            dept_id = org.find_department_id(s, department) if department else None
        secret = ask_password(password, f"Password for {username}")
        with db.uow() as s:
            u = accounts.create_user(
                s,
                acting(s),
                username=username,
                display_name=name,
                password=secret,
                email=email,
                is_admin=admin,
                department_id=dept_id,
            )
    finally:
        db.dispose()
    console.print(
        f"Created user [bold]{escape(u['username'])}[/bold] ({escape(u['display_name'])}), id {u['id']}."
    )


@user_app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """List the users of this instance."""
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            users = accounts.list_users(s, acting(s))
    finally:
        db.dispose()
    if as_json:
        print_json(users)
        return
    t = Table("id", "username", "name", "department", "email", "admin", "active")
    for u in users:
        t.add_row(
            str(u["id"]),
            escape(u["username"]),
            escape(u["display_name"]),
            escape(u["department"] or ""),
            escape(u["email"] or ""),
            "yes" if u["is_admin"] else "",
            "yes" if u["is_active"] else "no",
        )
    console.print(t)
