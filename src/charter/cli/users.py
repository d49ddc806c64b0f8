"""`charter user add|list|update|passwd|feed-key`."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.common import JsonFlag, acting, ask_password, console, open_db, print_json, print_result
from charter.config import get_settings
from charter.domain.errors import PermissionDenied, ValidationError
from charter.services import accounts, feeds, org, passwords

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


@user_app.command("update")
def update(
    username: Annotated[str, typer.Argument(help="The user: username or id.")],
    display_name: Annotated[str | None, typer.Option("--display-name", help="A new display name.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="A new e-mail address ('' clears it).")] = None,
    department: Annotated[
        str | None, typer.Option("--department", help="Department name or id ('' = none).")
    ] = None,
    admin: Annotated[
        bool | None, typer.Option("--admin/--no-admin", help="Make the user an instance admin, or not.")
    ] = None,
    active: Annotated[
        bool | None,
        typer.Option(
            "--active/--inactive",
            help="Let the user sign in, or deactivate them (signed out everywhere, API tokens revoked).",
        ),
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="The version you read (default: the current one).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a user (instance admins): only the options given change. The last active admin can be neither
    demoted nor deactivated."""
    changes: dict[str, Any] = {}
    if display_name is not None:
        changes["display_name"] = display_name
    if email is not None:
        changes["email"] = email
    if admin is not None:
        changes["is_admin"] = admin
    if active is not None:
        changes["is_active"] = active
    if not changes and department is None:
        raise ValidationError(
            "nothing to change: give --display-name, --email, --department, --admin/--no-admin or "
            "--active/--inactive",
            field="user",
        )
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            uid = accounts.find_user_id_for_admin(s, actor, username)
            if department is not None:
                changes["department_id"] = (
                    org.find_department_id(s, department) if department.strip() else None
                )
            v = version if version is not None else accounts.get_user(s, actor, uid)["version"]
            u = accounts.update_user(s, actor, uid, v, **changes)
    finally:
        db.dispose()
    print_result(
        u,
        as_json,
        f"User [bold]{escape(u['username'])}[/bold] updated: {escape(u['display_name'])}"
        f"{', ' + escape(u['department']) if u['department'] else ''}"
        f"{', instance admin' if u['is_admin'] else ''}{'' if u['is_active'] else ', deactivated'}.",
    )


@user_app.command("passwd")
def passwd(
    username: Annotated[str, typer.Argument(help="The user: username or id.")],
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the new password from the first line of standard input (scripts)."
        ),
    ] = False,
) -> None:
    """Set a user's password (instance admins); asked twice, hidden, unless --password-stdin. The user's web
    sessions are signed out; their API tokens stay. Users change their own on the web Account page or with
    POST /api/v1/me/password."""
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            actor = acting(s)
            uid = accounts.find_user_id_for_admin(s, actor, username)
            name = org.user_for_admin(s, actor, uid)["username"]  # an admin's: refused before the prompt
        if password_stdin:
            secret = sys.stdin.readline().rstrip("\r\n")
        else:
            secret = ask_password(None, f"New password for {name}")
        with db.uow() as s:
            u = passwords.reset_password(s, acting(s), uid, secret)
    finally:
        db.dispose()
    console.print(f"Password of [bold]{escape(u['username'])}[/bold] set; their web sessions are signed out.")


@user_app.command("feed-key")
def feed_key(
    revoke: Annotated[
        bool, typer.Option("--revoke", help="Revoke your feed address instead: calendars get nothing more.")
    ] = False,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            help="Someone else (name or id), with --revoke only: an instance admin revokes their address. "
            "Nobody makes or sees another person's address.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Make a secret address of your calendar feed (the tasks assigned to you, across your projects, as
    iCalendar) for a calendar application to subscribe to, with the milestone feed of each project you may see
    at the same key; an earlier address stops working. You are the
    acting user (--as or CHARTER_USER). The address is shown once, whole when CHARTER_PUBLIC_URL says where
    people open Charter (e.g. https://charter.example.org); otherwise as a path to put that address before.
    An instance admin revokes someone else's with `--user NAME --revoke`."""
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            if user is not None and not accounts.is_self(actor, user):
                if not revoke:
                    raise PermissionDenied(
                        "only its owner makes a calendar feed address and sees it; an instance admin may "
                        "revoke someone else's with --revoke",
                        field="user",
                    )
                uid = accounts.find_user_id_for_admin(s, actor, user)
                result = feeds.revoke_feed_key_of(s, actor, uid)
                who = escape(accounts.get_user(s, actor, uid)["username"])
            elif revoke:
                before = feeds.feed_key_status(s, actor)
                result = {**feeds.revoke_feed_key(s, actor), "revoked": before["active"]}
                who = escape(actor.username)
            else:
                result = feeds.make_feed_key(s, actor)
                who = escape(actor.username)
    finally:
        db.dispose()
    if as_json:
        print_json(result)
        return
    if revoke:
        console.print(
            f"The calendar feed address of [bold]{who}[/bold] is revoked; calendars subscribed to it get "
            "nothing more."
            if result["revoked"]
            else f"[bold]{who}[/bold] has no calendar feed address; nothing to revoke."
        )
        return
    replaced = " (the previous one no longer works)" if result["replaced"] else ""
    console.print(
        f"Calendar feed address of [bold]{who}[/bold]{replaced}; copy it now, it is not shown again:"
    )
    settings = get_settings()
    address = settings.absolute(result["path"])
    console.print(address, markup=False, soft_wrap=True)
    if result["projects"]:
        console.print("The milestones of each of your projects, at the same key:")
        for p in result["projects"]:
            console.print(
                f"  {p['project_key']}: {settings.absolute(p['path'])}", markup=False, soft_wrap=True
            )
    if address == result["path"]:
        console.print(
            "Put the address people open Charter at before it (e.g. https://charter.example.org), or set "
            "CHARTER_PUBLIC_URL."
        )
