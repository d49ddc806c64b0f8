"""`charter backup` and `charter restore`: a consistent archive of the database and the attachments."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from charter.cli.common import JsonFlag, console, database_url, open_db, print_json, redact
from charter.config import get_settings
from charter.persistence import backup as backups


def _attachments() -> Path:
    return get_settings().data_dir / "attachments"


def backup(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Archive to write (default: charter-backup-YYYYMMDDTHHMMSSZ.tar.gz here, UTC).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Write a consistent backup (database + attachments) while the server keeps running."""
    url = database_url()
    db = open_db(url=url)
    try:
        target = output or Path(f"charter-backup-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.tar.gz")
        manifest = backups.create_backup(db, target, _attachments())
    finally:
        db.dispose()
    rows = sum(t["rows"] for t in manifest["tables"].values())
    if as_json:
        print_json({"archive": str(target), **manifest})
        return
    console.print(
        f"Backed up {redact(url)} (revision {manifest['revision']}): {len(manifest['tables'])} tables, "
        f"{rows} rows, {len(manifest['attachments'])} attachments → {target}",
        markup=False,
    )


def restore(
    archive: Annotated[Path, typer.Argument(help="A .tar.gz written by `charter backup`.", exists=True)],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace the data of a database (and attachments) that is not empty."),
    ] = False,
) -> None:
    """Restore a backup into an empty database (stop the server first). Refuses a database that holds data
    unless --force; checks every table against the archive's checksums afterwards."""
    url = database_url()
    db = open_db(check_schema=False, url=url)
    try:
        manifest = backups.restore_backup(db, archive, force=force, attachments=_attachments())
    finally:
        db.dispose()
    rows = sum(t["rows"] for t in manifest["tables"].values())
    console.print(
        f"Restored {archive} into {redact(url)}: revision {manifest['revision']}, {len(manifest['tables'])} "
        f"tables, {rows} rows, checksums verified.",
        markup=False,
    )
