"""`charter backup` / `charter restore`: a consistent archive of a running instance (database + attachments)
restores into an empty database as an identical instance (every table's row count and checksum), on the
configured backend (SQLite, or PostgreSQL with CHARTER_TEST_DATABASE_URL). A non-empty target is refused
unless --force; a damaged archive is refused; a backup taken while another thread keeps writing is a
consistent snapshot."""

from __future__ import annotations

import io
import json
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from charter.cli.main import app
from charter.config import get_settings
from charter.persistence import backup as backups
from charter.persistence.db import Database
from charter.services import search, tasks
from charter.services.context import SYSTEM

runner = CliRunner()


def _cli(monkeypatch: pytest.MonkeyPatch, url: str, data_dir: Path, *args: str) -> Any:
    monkeypatch.setenv("CHARTER_DATABASE_URL", url)
    monkeypatch.setenv("CHARTER_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    return runner.invoke(app, list(args))


def _attachments(data_dir: Path) -> dict[str, bytes]:
    root = data_dir / "attachments"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def source(db: Database, seed: Any, tmp_path: Path) -> tuple[Database, Path]:
    world = seed
    with db.uow() as s:  # text that round-trips badly if anything is lossy
        tasks.create_task(
            s,
            SYSTEM,
            world.p1,
            name="Ünïcode ✓ \"quotes\" 'and' \\ back\nslash",
            work_package_id=world.wp_b,
            duration="2d",
        )
    data_dir = tmp_path / "src-data"
    files = data_dir / "attachments" / "p1"
    files.mkdir(parents=True)
    (files / "charter.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 10)
    (files / "notes.txt").write_text("meeting notes")
    return db, data_dir


def test_round_trip_restores_an_identical_instance(
    source: tuple[Database, Path], empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, data_dir = source
    archive = tmp_path / "backup.tar.gz"
    r = _cli(monkeypatch, db.url, data_dir, "backup", "--output", str(archive))
    assert r.exit_code == 0, r.output
    manifest = backups.read_manifest(archive)
    original = backups.table_checksums(db)
    assert manifest["revision"] == db.current_revision()
    assert {k: (v["rows"], v["sha256"]) for k, v in manifest["tables"].items()} == original
    assert original["tasks"][0] == 5 and original["journal"][0] > 0
    assert set(manifest["attachments"]) == {"p1/charter.pdf", "p1/notes.txt"}

    target_dir = tmp_path / "dst-data"
    r = _cli(monkeypatch, empty_db_url, target_dir, "restore", str(archive))
    assert r.exit_code == 0, r.output
    assert "checksums verified" in " ".join(r.output.split())  # Rich wraps long paths
    restored = Database(empty_db_url)
    try:
        assert backups.table_checksums(restored) == original
        assert restored.current_revision() == db.current_revision()
        with restored.uow() as s:  # the restored instance works: ids continue after the restored ones
            t = tasks.create_task(s, SYSTEM, 1, name="After restore", duration="1d")
        assert t["id"] > 5
    finally:
        restored.dispose()
    assert _attachments(target_dir) == _attachments(data_dir)


def test_restore_refuses_a_non_empty_database_unless_forced(
    source: tuple[Database, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, data_dir = source
    archive = tmp_path / "b.tar.gz"
    assert _cli(monkeypatch, db.url, data_dir, "backup", "-o", str(archive)).exit_code == 0
    before = backups.table_checksums(db)
    with db.uow() as s:  # a change after the backup
        tasks.create_task(s, SYSTEM, 1, name="Made after the backup", duration="1d")
    r = _cli(monkeypatch, db.url, data_dir, "restore", str(archive))
    assert r.exit_code == 1 and "not empty" in r.output
    r = _cli(monkeypatch, db.url, data_dir, "restore", str(archive), "--force")
    assert r.exit_code == 0, r.output
    assert backups.table_checksums(db) == before


def _rewrite(archive: Path, out: Path, change: Any) -> None:
    """Copy the archive, passing every member through `change(name, data) -> data | None (drop)`."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for m in src.getmembers():
            f = src.extractfile(m)
            data = change(m.name, f.read() if f else b"")
            if data is None:
                continue
            m.size = len(data)
            dst.addfile(m, io.BytesIO(data))


def test_damaged_archive_is_refused_and_logical_restore_works_on_sqlite_too(
    source: tuple[Database, Path], empty_db_url: str, tmp_path: Path
) -> None:
    db, data_dir = source
    archive = tmp_path / "b.tar.gz"
    backups.create_backup(db, archive, data_dir / "attachments")
    damaged = tmp_path / "damaged.tar.gz"
    _rewrite(
        archive, damaged, lambda n, d: d.replace(b"Task A", b"Task Z") if n == "tables/tasks.jsonl" else d
    )
    target = Database(empty_db_url)
    try:
        with pytest.raises(backups.BackupError, match="tasks"):
            backups.restore_backup(target, damaged)
        with pytest.raises(backups.BackupError):
            backups.restore_backup(target, data_dir / "attachments" / "p1" / "notes.txt")

        # The logical dump alone (no database.sqlite) restores the same instance on any backend.
        def logical_only(name: str, data: bytes) -> bytes | None:
            if name == backups.SQLITE_FILE:
                return None
            if name == backups.MANIFEST:
                return json.dumps({**json.loads(data), "sqlite_file": False}).encode()
            return data

        logical = tmp_path / "logical.tar.gz"
        _rewrite(archive, logical, logical_only)
        backups.restore_backup(target, logical, attachments=tmp_path / "att")
        assert backups.table_checksums(target) == backups.table_checksums(db)
        # the restored search_docs rows rebuilt the database's own full-text index (FTS5 via its triggers)
        with target.uow(readonly=True) as s:
            assert "Task A" in [h["title"] for h in search.search(s, SYSTEM, "task")["results"]]
    finally:
        target.dispose()


def test_backup_while_another_thread_writes_is_a_consistent_snapshot(
    source: tuple[Database, Path], empty_db_url: str, tmp_path: Path
) -> None:
    db, data_dir = source
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        while not stop.is_set() and len(written) < 200:
            with db.uow() as s:
                written.append(
                    tasks.create_task(s, SYSTEM, 1, name=f"bg {len(written)}", duration="1d")["id"]
                )

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        archives = []
        for i in range(2):
            archives.append(tmp_path / f"b{i}.tar.gz")
            backups.create_backup(db, archives[-1], data_dir / "attachments")
    finally:
        stop.set()
        t.join(10)
    assert written, "the writer made no progress during the backups"
    target = Database(empty_db_url)
    try:
        # restore verifies every table against the manifest; each task of the snapshot has its journal row
        backups.restore_backup(target, archives[-1], force=True)
        with target.engine.connect() as conn:
            from sqlalchemy import text

            orphans = conn.execute(
                text(
                    "SELECT COUNT(*) FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM journal j "
                    "WHERE j.entity_type = 'task' AND j.action = 'create' AND j.entity_id = CAST(t.id AS TEXT))"
                )
            ).scalar()
        assert orphans == 0
    finally:
        target.dispose()


def test_a_mismatch_names_the_tables_in_words() -> None:
    manifest = {"tables": {"tasks": {"rows": 2, "sha256": "a"}, "users": {"rows": 1, "sha256": "b"}}}
    with pytest.raises(backups.BackupError, match=r"in table: tasks$"):
        backups._verify({"tasks": (3, "c"), "users": (1, "b")}, manifest, "the restored database")
    with pytest.raises(backups.BackupError, match=r"in tables: tasks, users$"):
        backups._verify({}, manifest, "the restored database")
