"""What every CLI command shares: the database, the acting user, output (Rich or JSON) and error rendering.

Errors are rendered in one place, `CharterGroup.invoke`: a domain error becomes one red line on stderr and
exit code 1, a schema problem exit code 2. Nothing else prints a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from typer.core import TyperGroup

from charter.config import get_settings
from charter.domain.errors import CharterError, NotAuthenticated, ValidationError
from charter.domain.ids import as_id
from charter.persistence.db import Database
from charter.services import accounts, projects
from charter.services.context import SYSTEM, Actor

T = TypeVar("T")

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_ERROR = 1
EXIT_SCHEMA = 2


class SchemaProblem(Exception):
    """The database is missing, behind or ahead of this Charter; the message says what to run."""


class CharterGroup(TyperGroup):
    """The root command group: renders every error raised below it as one line."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context type is private
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except BrokenPipeError:  # the reader went away (`charter ... | head`): stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(1) from None
        except SchemaProblem as e:
            fail(f"charter: {e}", EXIT_SCHEMA)
        except CharterError as e:
            fail(error_line(e))
        except SQLAlchemyError as e:
            detail = str(getattr(e, "orig", None) or e).splitlines()[0]
            fail(f"error: database: {detail}")
        except Exception as e:
            if os.environ.get("CHARTER_DEBUG"):
                raise
            fail(f"error: unexpected {type(e).__name__}: {e} (set CHARTER_DEBUG=1 for the traceback)")


def error_line(e: CharterError) -> str:
    line = f"error: {e.message}"
    if e.field:
        line += f" (field: {e.field})"
    return line


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    err_console.print(message.replace("\n", " "), style="red", markup=False)
    raise typer.Exit(code)


# --------------------------------------------------------------------------------------------- database


def database_url() -> str:
    return get_settings().resolved_database_url()


def sqlite_path(url: str) -> Path | None:
    """The file of a file-backed SQLite URL, else None."""
    if not url.startswith("sqlite"):
        return None
    _, _, rest = url.partition(":///")
    rest = rest.split("?", 1)[0]
    if not rest or rest == ":memory:":
        return None
    return Path(rest)


def open_db(*, check_schema: bool = True, url: str | None = None) -> Database:
    """The configured database; with `check_schema`, refuse one whose schema is not at head."""
    url = url or database_url()
    path = sqlite_path(url)
    if check_schema and path is not None and not path.exists():
        raise SchemaProblem(f"there is no database at {path}; run `charter init`")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(url)
    if check_schema:
        problem = db.schema_problem()
        if problem:
            db.dispose()
            raise SchemaProblem(problem)
    return db


def redact(url: str) -> str:
    """The URL without its password, for printing."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, creds = head.partition("://")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}"


# --------------------------------------------------------------------------------------------- acting user


# Set by the root callback on every invocation (`--as` / CHARTER_USER).
state: dict[str, str | None] = {"as_user": None}


def as_username() -> str | None:
    return state["as_user"]


def acting(s: Session) -> Actor:
    """The user the CLI acts as: `--as` / CHARTER_USER, else the first instance admin."""
    name = as_username()
    if name:
        u = accounts.get_user(s, SYSTEM, accounts.find_user_id(s, name))
    else:
        admins = [u for u in accounts.list_users(s, SYSTEM) if u["is_admin"] and u["is_active"]]
        if not admins:
            raise NotAuthenticated("there is no instance admin yet; run `charter init`")
        u = min(admins, key=lambda x: x["id"])
    if not u["is_active"]:
        raise NotAuthenticated(f"user {u['username']} is deactivated", field="as")
    return Actor(user_id=u["id"], username=u["username"], is_admin=u["is_admin"])


def run_in_session(fn: Callable[[Session, Actor], T], *, write: bool = True) -> T:
    """Open the database and call `fn(session, acting user)` in one transaction (read-only unless `write`)."""
    db = open_db()
    try:
        with db.uow(readonly=not write) as s:
            return fn(s, acting(s))
    finally:
        db.dispose()


def run_in_project(project: str, fn: Callable[[Session, Actor, int], T], *, write: bool = True) -> T:
    """`run_in_session` with the project's id: `project` is the project's key or id (one the user cannot see
    is not found)."""
    return run_in_session(lambda s, a: fn(s, a, projects.find_project_id(s, a, project)), write=write)


# --------------------------------------------------------------------------------------------- input


def parse_when(value: str | None, field: str) -> datetime | None:
    """An ISO date or date-time; without a zone it is taken as UTC."""
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{value!r} is not an ISO date or date-time (e.g. 2025-03-01 or 2025-03-01T09:00)", field=field
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def parse_date(value: str | None, field: str) -> date | None:
    """An ISO date (2030-01-20); None stays None."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"{value!r} is not an ISO date (e.g. 2030-01-20)", field=field) from None


def check_length(value: str | None, limit: int, field: str) -> None:
    """Refuse text longer than its column (the API's schemas refuse it before the service sees it)."""
    if value is not None and len(value) > limit:
        raise ValidationError(f"{field} is longer than {limit} characters", field=field)


def ref_number(value: str, prefix: str, what: str) -> int:
    """The number of a reference typed as `PREFIX-n` or `n` (C-3, R-12); anything else fails naming `what`."""
    v = value.strip().upper().removeprefix(f"{prefix}-")
    n = as_id(v)
    if n is None:
        fail(f"error: {value!r} is not a {what} number ({prefix}-n or n)")
    return n


def ask_password(password: str | None, prompt: str = "Password") -> str:
    if password is not None:
        return password
    value: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return value


# --------------------------------------------------------------------------------------------- output


def _plain(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    raise TypeError(f"cannot serialise {type(v).__name__}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=_plain, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_result(data: Any, as_json: bool, line: RenderableType) -> None:
    """What a command did: the result as JSON with `--json`, otherwise a line (or table) for a person."""
    if as_json:
        print_json(data)
    else:
        console.print(line)


def print_rows(
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    cells: Callable[[dict[str, Any]], Sequence[str]],
    *,
    as_json: bool,
    empty: str,
    compact: bool = False,
) -> None:
    """`rows` as JSON (`as_json`), else a table with these column headers and `cells(row)` for each row, or the
    line `empty` when there are none. Cells are printed as Rich markup: escape what users typed. `compact`
    draws no lines between columns (room for one more word per row on a narrow terminal)."""
    if as_json:
        print_json(rows)
        return
    t = Table(*columns, box=box.SIMPLE_HEAD, pad_edge=False) if compact else Table(*columns)
    for r in rows:
        t.add_row(*cells(r))
    console.print(t if rows else empty)


def fmt_time(v: datetime | None) -> str:
    if v is None:
        return ""
    return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def fmt_date(v: date | None) -> str:
    return v.isoformat() if v else ""


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON only (for scripts).")]
