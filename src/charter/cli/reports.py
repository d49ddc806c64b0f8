"""`charter report PROJECT --period week|month [--date D] --format pdf|html|json [--out FILE] [--publish]`."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from charter.cli.common import _plain, acting, console, fail, open_db, print_json
from charter.io import report_render
from charter.services import projects, reports


def report(
    project: Annotated[str, typer.Argument(help="Project key or id.")],
    period: Annotated[str, typer.Option(help="week (Monday to Sunday) or month.")] = "week",
    date: Annotated[
        str | None, typer.Option("--date", help="A day of the period, YYYY-MM-DD (default: today).")
    ] = None,
    format: Annotated[str, typer.Option("--format", help="pdf, html or json.")] = "pdf",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write to this file (default: KEY-PERIOD-START.pdf for PDF, stdout otherwise)."
        ),
    ] = None,
    publish: Annotated[
        bool,
        typer.Option("--publish", help="Publish the draft (freeze it and send it to the plan's audience)."),
    ] = False,
) -> None:
    """The status report of the week or month containing --date: the existing report of that period, else a
    new draft (Project Manager or admin). A draft's figures are live; --publish freezes them and sends the
    report to the communication plan's audience."""
    if format not in ("pdf", "html", "json"):
        fail(f"error: --format must be pdf, html or json, not {format!r}")
    try:
        day = dt.date.fromisoformat(date) if date else dt.date.today()
    except ValueError:
        fail(f"error: --date {date!r} is not a date (YYYY-MM-DD)")
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, project)
            r = reports.find_for_period(s, actor, pid, period=period, day=day)
            if r is None:
                r = reports.create_draft(s, actor, pid, period=period, day=day)
            if publish and r["status"] == "draft":
                r = reports.publish(s, actor, pid, r["id"], r["version"])
    finally:
        db.dispose()
    if format == "json":
        data = None
    elif format == "html":
        data = report_render.to_html(r).encode()
    else:
        data = report_render.to_pdf(r)
    if format == "pdf" and out is None:
        out = Path(f"{r['project_key']}-{r['period']}-{r['period_start']}.pdf")
    if out is None:
        if data is None:
            print_json(r)
        else:
            sys.stdout.write(data.decode())
        return
    if data is None:
        data = (json.dumps(r, default=_plain, indent=2, ensure_ascii=False) + "\n").encode()
    out.write_bytes(data)
    console.print(f"{r['label']} ({r['status']}, overall {r['overall']}) written to {out}")
