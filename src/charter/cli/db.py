"""`charter init`, `charter db upgrade`, `charter db status`."""

from __future__ import annotations

from typing import Annotated

import typer

from charter.cli.common import (
    EXIT_SCHEMA,
    JsonFlag,
    SchemaProblem,
    ask_password,
    console,
    database_url,
    open_db,
    print_json,
    redact,
)
from charter.persistence.db import Database
from charter.services import accounts
from charter.services.context import SYSTEM

db_app = typer.Typer(help="Database schema: apply migrations, show the revision.", no_args_is_help=True)


def migrate(db: Database) -> tuple[str | None, str | None]:
    """Bring the schema to head; refuse a schema from a newer Charter. Returns (from, to) revisions."""
    before = db.current_revision()
    if before is not None and before not in db.all_revisions():
        problem = db.schema_problem()
        raise SchemaProblem(problem or f"unknown schema revision {before}")
    db.upgrade()
    return before, db.current_revision()


def init(
    admin: Annotated[str, typer.Option("--admin", help="Username of the first instance admin.")] = "admin",
    password: Annotated[
        str | None,
        typer.Option(
            "--password", help="Password of the first admin (at least 10 characters); prompted if left out."
        ),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Display name of the first admin.")] = "Administrator",
) -> None:
    """Create the database (SQLite in the data dir unless CHARTER_DATABASE_URL is set), apply the
    migrations and create the first instance admin."""
    if password is not None:
        accounts.check_password_strength(password)
    url = database_url()
    db = open_db(check_schema=False, url=url)
    try:
        before, after = migrate(db)
        if before == after:
            console.print(f"Database {redact(url)} is up to date (revision {after}).")
        else:
            console.print(f"Database {redact(url)}: schema {before or 'empty'} → {after}.")
        with db.uow(readonly=True) as s:
            admins = accounts.admin_count(s)
        if admins:
            console.print("An active instance admin exists already; no admin created.")
            return
        secret = ask_password(password, f"Password for {admin}")
        with db.uow() as s:
            u = accounts.create_user(
                s, SYSTEM, username=admin, display_name=name, password=secret, is_admin=True
            )
        console.print(f"Created instance admin [bold]{u['username']}[/bold] ({u['display_name']}).")
    finally:
        db.dispose()


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply pending migrations and print the revision before and after."""
    url = database_url()
    db = open_db(check_schema=False, url=url)
    try:
        before, after = migrate(db)
    finally:
        db.dispose()
    if before == after:
        console.print(f"Already at head ({after}); nothing to do.")
    else:
        console.print(f"Upgraded {redact(url)}: {before or 'empty'} → {after}.")


@db_app.command("status")
def status(
    as_json: JsonFlag = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit with code 2 unless the schema is at head.")
    ] = False,
) -> None:
    """Show the database's schema revision against the newest one this Charter knows."""
    url = database_url()
    db = open_db(check_schema=False, url=url)
    try:
        current, head, problem = db.current_revision(), db.head_revision(), db.schema_problem()
    finally:
        db.dispose()
    if as_json:
        print_json(
            {
                "database": redact(url),
                "current": current,
                "head": head,
                "up_to_date": problem is None,
                "problem": problem,
            }
        )
    else:
        console.print(f"database: {redact(url)}")
        console.print(f"current:  {current or '(no schema)'}")
        console.print(f"head:     {head}")
        if problem:
            console.print(problem, style="yellow", markup=False)
        else:
            console.print("up to date", style="green")
    if check and problem:
        raise typer.Exit(EXIT_SCHEMA)
