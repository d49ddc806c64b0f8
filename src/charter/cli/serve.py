"""`charter serve` and `charter demo`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.common import SchemaProblem, console, open_db
from charter.cli.db import migrate
from charter.config import get_settings
from charter.services import demo as demo_service

APP_FACTORY = "charter.app:app_from_env"
# With --workers, uvicorn's supervisor pings each worker process and kills and replaces one that does not
# answer within this many seconds (uvicorn's default is 5). A worker busy recomputing a large plan on a loaded
# machine can miss 5 s without being stuck, and killing it drops the requests it was serving; the load
# benchmark (`charter bench load`) saw exactly that at 10,000 tasks.
WORKER_HEALTHCHECK_SECONDS = 60

HostOpt = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOpt = Annotated[int, typer.Option("--port", help="Port to listen on.")]


def run_server(host: str, port: int, *, workers: int | None = None, reload: bool = False) -> None:
    import uvicorn

    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=False,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: one).")
    ] = None,
    reload: Annotated[
        bool, typer.Option("--reload", help="Restart when the code changes (development).")
    ] = False,
) -> None:
    """Serve the web pages and the API. Refuses to start (exit code 2) unless the database schema is
    current."""
    try:
        open_db().dispose()
    except SchemaProblem as e:
        raise SchemaProblem(f"cannot start: {e}") from None
    console.print(f"Charter on http://{host}:{port}/  (Ctrl+C to stop)")
    run_server(host, port, workers=workers, reload=reload)


def _remove_sqlite(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)


def print_logins(summary: dict[str, Any], url: str | None) -> None:
    t = Table("username", "name", "department", "in the demo", title="Demo logins", title_justify="left")
    for u in summary["users"]:
        t.add_row(u["username"], escape(u["display_name"]), escape(u["department"] or ""), escape(u["blurb"]))
    console.print(t)
    console.print(f"Every demo user's password: [bold]{summary['password']}[/bold]")
    if url:
        console.print(f"Open [bold]{url}[/bold] and log in as [bold]priya.nair[/bold] (the Project Manager).")


def demo(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    database: Annotated[
        Path | None,
        typer.Option("--database", help="SQLite file for the demo (default: demo.db in the data dir)."),
    ] = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Only create and seed the database.")] = False,
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete the demo database and seed it afresh.")
    ] = False,
) -> None:
    """Create a demo database with a realistic IT project (CRM migration) and serve it."""
    path = (database or get_settings().data_dir / "demo.db").expanduser().resolve()
    if reset:
        _remove_sqlite(path)
    url = f"sqlite:///{path}"
    db = open_db(check_schema=False, url=url)
    try:
        migrate(db)
        summary = demo_service.seed(db)
    finally:
        db.dispose()
    if summary["created"]:
        console.print(f"Seeded the demo database {path}: projects {', '.join(summary['projects'])}.")
    else:
        console.print(f"Reusing the demo database {path} (already seeded; --reset starts afresh).")
    address = None if no_serve else f"http://{host}:{port}/"
    print_logins(summary, address)
    if no_serve:
        return
    os.environ["CHARTER_DATABASE_URL"] = url
    get_settings.cache_clear()
    run_server(host, port)
