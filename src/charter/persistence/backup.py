"""Consistent backups of a running instance, and restoring them.

The archive is a .tar.gz holding:

- ``manifest.json``: format, Charter's alembic revision, the source dialect, and per table the row count
  and the sha256 of its dump; per attachment its size and sha256;
- ``tables/<name>.jsonl``: every table as JSON lines, ordered by primary key (a logical dump that any
  backend can restore);
- ``database.sqlite``: on SQLite only, the file made with SQLite's online backup API (restored as is onto
  SQLite);
- ``attachments/...``: the files of ``data_dir/attachments``.

Consistency: on SQLite the online backup API copies one snapshot of the database while the server keeps
writing (WAL); the logical dump is then read from that copy. On PostgreSQL every table is read in one
REPEATABLE READ, read-only transaction, so all tables come from the same snapshot.

Restore writes into an empty database (no rows in any table) and refuses a non-empty one unless forced, in
which case every table is emptied first. Afterwards the restored tables are dumped again and compared with
the manifest (row counts and checksums), so a restore either proves itself identical or fails loudly.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Connection, MetaData, Table, func, insert, select, text, update
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import SAWarning

from charter.domain.errors import Conflict, ValidationError
from charter.persistence.db import Database

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
BATCH = 500


class BackupError(ValidationError):
    """The archive is not a Charter backup, is damaged, or does not match what was restored."""


def _table_word(names: list[str]) -> str:
    return "table" if len(names) == 1 else "tables"


@dataclass(frozen=True)
class TableDump:
    name: str
    rows: int
    sha256: str
    data: bytes


# --------------------------------------------------------------------------------------------- tables


def _tables(conn: Connection) -> list[Table]:
    """Every table but alembic_version, parents before children (a cycle of nullable foreign keys, such as
    users <-> departments, is broken by `_deferred`). Charter's own table definitions are used where they
    exist (exact column types); a table only the database knows is reflected."""
    from charter.persistence.models import Base
    from charter.persistence.search_index import SQLITE_TABLES

    reflected = MetaData()
    reflected.reflect(conn)
    ours = Base.metadata.tables
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # "cannot sort tables; cycles": handled by _deferred
        ordered = reflected.sorted_tables
    skip = {"alembic_version"} | SQLITE_TABLES  # the FTS5 index is rebuilt from search_docs by its triggers
    return [ours.get(t.name, t) for t in ordered if t.name not in skip]


def _deferred(table: Table, earlier: set[str]) -> list[str]:
    """Nullable foreign-key columns that point at a table not loaded before this one (itself, or a later
    table in a cycle): inserted as NULL and set once every table is loaded."""
    return sorted(
        {
            fk.parent.name
            for fk in table.foreign_keys
            if fk.parent.nullable and fk.column.table.name not in earlier
        }
    )


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def _python_type(col: Any) -> type | None:
    kind = col.type
    if isinstance(kind, sqltypes.TypeDecorator):
        kind = kind.impl_instance
    try:
        return kind.python_type  # type: ignore[no-any-return]
    except NotImplementedError:
        return None


def _decode(col: Any, value: Any) -> Any:
    if value is None or isinstance(col.type, sqltypes.JSON):
        return value
    kind = _python_type(col)
    if kind is datetime:
        dt = datetime.fromisoformat(value)
        timezone = getattr(col.type, "timezone", False) or getattr(
            getattr(col.type, "impl", None), "timezone", False
        )
        return dt if dt.tzinfo or not timezone else dt.replace(tzinfo=UTC)
    if kind is date:
        return date.fromisoformat(value)
    if kind is time:
        return time.fromisoformat(value)
    if kind is Decimal:
        return Decimal(value)
    if kind is bytes:
        return base64.b64decode(value)
    return value


def _order(table: Table) -> list[Any]:
    pk = list(table.primary_key.columns)
    return pk or list(table.columns)


def dump_table(conn: Connection, table: Table) -> TableDump:
    buf = io.BytesIO()
    n = 0
    names = [c.name for c in table.columns]
    for row in conn.execute(select(*table.columns).order_by(*_order(table))):
        line = json.dumps(
            dict(zip(names, row, strict=True)), default=_encode, sort_keys=True, ensure_ascii=False
        )
        buf.write(line.encode() + b"\n")
        n += 1
    data = buf.getvalue()
    return TableDump(table.name, n, hashlib.sha256(data).hexdigest(), data)


def _revision(conn: Connection) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        return None


@contextmanager
def _snapshot(conn: Connection) -> Iterator[Connection]:
    """One read-only transaction over which every table is read."""
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn
    else:
        with conn.begin():
            yield conn


def dump_database(db: Database) -> tuple[str | None, list[TableDump]]:
    """The alembic revision and every table's dump, from one snapshot."""
    with db.engine.connect() as raw, _snapshot(raw) as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("SELECT 1")  # the deferred read transaction starts at the first read
        return _revision(conn), [dump_table(conn, t) for t in _tables(conn)]


def table_checksums(db: Database) -> dict[str, tuple[int, str]]:
    """{table: (rows, sha256)} of a database, as the manifest records them."""
    _, dumps = dump_database(db)
    return {d.name: (d.rows, d.sha256) for d in dumps}


# --------------------------------------------------------------------------------------------- backup


def _sqlite_copy(db: Database, dest: Path) -> None:
    """SQLite's online backup API: a consistent copy while others keep reading and writing."""
    raw = db.engine.raw_connection()
    try:
        source = raw.driver_connection
        target = sqlite3.connect(dest)
        try:
            source.backup(target)  # type: ignore[union-attr]
        finally:
            target.close()
    finally:
        raw.close()
    con = sqlite3.connect(dest)  # one self-contained file (no WAL beside it)
    try:
        con.execute("PRAGMA journal_mode=DELETE")
    finally:
        con.close()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _sha_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def create_backup(db: Database, output: Path, attachments: Path | None = None) -> dict[str, Any]:
    """Write the archive to `output` (atomically: a temporary file renamed at the end); returns the
    manifest."""
    output = output.expanduser().resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="charter-backup-") as tmp:
        work = Path(tmp)
        sqlite_file: Path | None = None
        if db.is_sqlite:
            sqlite_file = work / SQLITE_FILE
            _sqlite_copy(db, sqlite_file)
            snapshot = Database(f"sqlite:///{sqlite_file}")
            try:
                revision, dumps = dump_database(snapshot)
            finally:
                snapshot.dispose()
        else:
            revision, dumps = dump_database(db)
        files: dict[str, dict[str, Any]] = {}
        if attachments is not None and attachments.is_dir():
            for f in sorted(p for p in attachments.rglob("*") if p.is_file() and not p.is_symlink()):
                rel = f.relative_to(attachments).as_posix()
                files[rel] = {"bytes": f.stat().st_size, "sha256": _sha_file(f)}
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "dialect": db.engine.dialect.name,
            "revision": revision,
            "tables": {d.name: {"rows": d.rows, "sha256": d.sha256} for d in dumps},
            "order": [d.name for d in dumps],
            "sqlite_file": sqlite_file is not None,
            "attachments": files,
        }
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
            for d in dumps:
                _add_bytes(tar, f"tables/{d.name}.jsonl", d.data)
            if sqlite_file is not None:
                tar.add(sqlite_file, SQLITE_FILE)
            for rel in files:
                assert attachments is not None
                tar.add(attachments / rel, f"attachments/{rel}")
        partial.replace(output)
    return manifest


# --------------------------------------------------------------------------------------------- restore


def _safe_member(name: str) -> PurePosixPath:
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts:
        raise BackupError(f"unsafe path in the archive: {name}")
    return p


def read_manifest(archive: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            f = tar.extractfile(MANIFEST)
            if f is None:
                raise BackupError("the archive has no manifest")
            manifest: dict[str, Any] = json.loads(f.read())
    except (tarfile.TarError, KeyError, OSError, ValueError) as exc:
        raise BackupError(f"{archive} is not a Charter backup: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unsupported backup format {manifest.get('format')!r}")
    return manifest


def is_empty(db: Database) -> bool:
    """True when no table but alembic_version holds a row (or there are no tables yet)."""
    with db.engine.connect() as conn:
        for t in _tables(conn):
            if conn.execute(select(func.count()).select_from(t)).scalar():
                return False
    return True


def _extract(archive: Path, dest: Path) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        for m in tar.getmembers():
            _safe_member(m.name)
            if not (m.isfile() or m.isdir()):
                raise BackupError(f"unexpected entry in the archive: {m.name}")
        tar.extractall(dest, filter="data")


def _verify(dumps: dict[str, tuple[int, str]], manifest: dict[str, Any], where: str) -> None:
    expected = {k: (v["rows"], v["sha256"]) for k, v in manifest["tables"].items()}
    bad = sorted(k for k in expected.keys() | dumps.keys() if expected.get(k) != dumps.get(k))
    if bad:
        raise BackupError(f"{where} does not match the manifest in {_table_word(bad)}: {', '.join(bad)}")


def _verify_files(root: Path, manifest: dict[str, Any]) -> None:
    for rel, meta in manifest["attachments"].items():
        f = root / rel
        if not f.is_file() or _sha_file(f) != meta["sha256"]:
            raise BackupError(f"attachment {rel} in the archive is damaged")


def _empty_tables(conn: Connection, tables: list[Table]) -> None:
    if conn.dialect.name == "postgresql":
        names = ", ".join(conn.dialect.identifier_preparer.quote(t.name) for t in tables)
        if names:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    seen: set[str] = set()
    for t in tables:  # first cut the links that a cycle would otherwise keep
        cut = _deferred(t, seen)
        if cut:
            conn.execute(update(t).values(dict.fromkeys(cut)))
        seen.add(t.name)
    for t in reversed(tables):
        conn.execute(t.delete())


def _load_table(conn: Connection, table: Table, lines: Iterator[bytes], deferred: list[str]) -> list[Any]:
    """Insert the rows; returns the (primary key, deferred values) updates to apply after all tables."""
    cols = {c.name: c for c in table.columns}
    pk = [c.name for c in table.primary_key.columns]
    later: list[Any] = []
    batch: list[dict[str, Any]] = []
    for line in lines:
        if not line.strip():
            continue
        raw = json.loads(line)
        unknown = set(raw) - set(cols)
        if unknown:
            raise BackupError(
                f"table {table.name} has no {'column' if len(unknown) == 1 else 'columns'} {', '.join(sorted(unknown))}"
            )
        row = {k: _decode(cols[k], v) for k, v in raw.items()}
        if any(row.get(c) is not None for c in deferred):
            later.append(({k: row[k] for k in pk}, {c: row[c] for c in deferred}))
            row = row | dict.fromkeys(deferred)
        batch.append(row)
        if len(batch) >= BATCH:
            conn.execute(insert(table), batch)
            batch = []
    if batch:
        conn.execute(insert(table), batch)
    return later


def _apply_deferred(conn: Connection, table: Table, later: list[Any]) -> None:
    for key, values in later:
        cond = [table.c[k] == v for k, v in key.items()]
        conn.execute(update(table).where(*cond).values(values))


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        for col in t.primary_key.columns:
            seq = conn.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": t.name, "c": col.name}
            ).scalar()
            if seq:
                q = conn.dialect.identifier_preparer.quote
                c, tn = q(col.name), q(t.name)  # identifiers quoted by the dialect, from the catalogue
                conn.execute(
                    text(f"SELECT setval(:s, COALESCE(MAX({c}), 1), MAX({c}) IS NOT NULL) FROM {tn}"),  # noqa: S608
                    {"s": seq},
                )


def _restore_sqlite_file(db: Database, source: Path) -> None:
    db.dispose()
    raw = db.engine.raw_connection()
    try:
        src = sqlite3.connect(source)
        try:
            src.backup(raw.driver_connection)  # type: ignore[arg-type]
        finally:
            src.close()
    finally:
        raw.close()
    db.dispose()


def _restore_logical(db: Database, manifest: dict[str, Any], tables_dir: Path, force: bool) -> None:
    current = db.current_revision()
    wanted = manifest["revision"]
    if wanted and wanted not in db.all_revisions():
        raise BackupError(f"the backup is of schema revision {wanted}, which this Charter does not know")
    if current is None and wanted:
        db.upgrade(wanted)
    elif current != wanted:
        raise Conflict(
            f"the database is at schema revision {current} but the backup at {wanted}; restore into an "
            "empty database (no schema) or one at the same revision"
        )
    with db.engine.connect() as conn, conn.begin():
        tables = {t.name: t for t in _tables(conn)}
        missing = [n for n in manifest["order"] if n not in tables]
        if missing:
            raise BackupError(f"the database has no {_table_word(missing)} {', '.join(missing)}")
        ordered = [tables[n] for n in manifest["order"]]
        if force:
            _empty_tables(conn, list(tables.values()))
        loaded: set[str] = set()
        pending: list[tuple[Table, list[Any]]] = []
        for t in ordered:
            with (tables_dir / f"{t.name}.jsonl").open("rb") as f:
                pending.append((t, _load_table(conn, t, iter(f), _deferred(t, loaded))))
            loaded.add(t.name)
        for t, later in pending:
            _apply_deferred(conn, t, later)
        _reset_sequences(conn, ordered)


def restore_backup(
    db: Database, archive: Path, *, force: bool = False, attachments: Path | None = None
) -> dict[str, Any]:
    """Restore `archive` into `db` (and its files into `attachments`); returns the manifest. Stop the
    server first: a restore replaces what the database holds."""
    manifest = read_manifest(archive)
    if not force:
        has_schema = db.current_revision() is not None
        if has_schema and not is_empty(db):
            raise Conflict(
                "the database is not empty; restore into an empty one, or pass --force to replace it"
            )
        if attachments is not None and attachments.is_dir() and any(attachments.iterdir()):
            raise Conflict(f"{attachments} is not empty; pass --force to replace it")
    with tempfile.TemporaryDirectory(prefix="charter-restore-") as tmp:
        work = Path(tmp)
        _extract(archive, work)
        for name, meta in manifest["tables"].items():
            f = work / "tables" / f"{name}.jsonl"
            if not f.is_file() or _sha_file(f) != meta["sha256"]:
                raise BackupError(f"table {name} in the archive is damaged")
        _verify_files(work / "attachments", manifest)
        if db.is_sqlite and manifest.get("sqlite_file"):
            _restore_sqlite_file(db, work / SQLITE_FILE)
        else:
            _restore_logical(db, manifest, work / "tables", force)
        _verify(table_checksums(db), manifest, "the restored database")
        if attachments is not None and manifest["attachments"]:
            if attachments.exists():
                shutil.rmtree(attachments)
            shutil.copytree(work / "attachments", attachments)
    return manifest
