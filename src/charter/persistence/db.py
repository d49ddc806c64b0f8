"""Engine, sessions and the unit of work; migrations and the schema check."""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Select, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_S = 30  # how long a SQLite writer waits for the write lock before "database is locked" (503)


class WriterQueue:
    """First come, first served for one process's SQLite write transactions.

    SQLite's own busy handler polls with growing sleeps: a writer that waits behind back-to-back long
    transactions (one user's repeated imports) keeps missing the moment between them and is starved until its
    busy timeout runs out. Here each write use-case of this process waits its turn in order; the holder hands
    the turn straight to the next in line. Other processes on the same file (the worker) still meet at SQLite's
    lock with its busy timeout. Re-entrant for the thread that holds the turn."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._waiting: deque[tuple[int, threading.Lock]] = deque()

    def acquire(self, timeout: float) -> None:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return
            if self._owner is None and not self._waiting:
                self._owner, self._depth = me, 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append((me, turn))
        if turn.acquire(timeout=timeout):
            return  # handed over: the releaser made us the owner
        with self._mutex:
            if (me, turn) in self._waiting:
                self._waiting.remove((me, turn))
                raise OperationalError(
                    "BEGIN IMMEDIATE",
                    {},
                    Exception(f"database is locked (waited {timeout:g} s for the writers before)"),
                )
        # handed over just as we gave up waiting: the turn is ours

    def release(self) -> None:
        with self._mutex:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a write turn this thread does not hold")
            self._depth -= 1
            if self._depth:
                return
            if self._waiting:
                nxt, turn = self._waiting.popleft()
                self._owner, self._depth = nxt, 1
                turn.release()
            else:
                self._owner = None


def make_engine(url: str, **kw: Any) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_S}, **kw)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_S * 1000}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Take the write lock at the start of a transaction so that two writers queue instead of
            # failing with "database is locked" when both try to upgrade a read lock.
            mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    kw.setdefault("pool_size", 10)
    kw.setdefault("max_overflow", kw["pool_size"])
    return create_engine(url, pool_pre_ping=True, **kw)


class Database:
    def __init__(self, url: str, **kw: Any):
        self.url = url
        self.engine = make_engine(url, **kw)
        self._factory = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.writers = WriterQueue() if self.is_sqlite else None

    @contextmanager
    def uow(self, *, readonly: bool = False) -> Iterator[Session]:
        """One use-case, one transaction: commit at the end, roll back on any error. On SQLite a write use-case
        first waits its turn among this process's writers (`WriterQueue`)."""
        queue = self.writers if not readonly else None
        if queue is not None:
            queue.acquire(SQLITE_BUSY_S)
        try:
            yield from self._unit(readonly)
        finally:
            if queue is not None:
                queue.release()

    def _unit(self, readonly: bool) -> Iterator[Session]:
        session = self._factory()
        session.info["charter.readonly"] = (
            readonly  # a read-only use-case may reuse what it read once; services.plan_cache warms only from such reads
        )
        if self.is_sqlite and readonly:
            session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        try:
            yield session
            if readonly:
                session.rollback()
            else:
                session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    # --- migrations ---------------------------------------------------------------------------------------

    def alembic_config(self) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        cfg.attributes["engine"] = self.engine
        return cfg

    def upgrade(self, revision: str = "head") -> None:
        command.upgrade(self.alembic_config(), revision)

    def downgrade(self, revision: str) -> None:
        command.downgrade(self.alembic_config(), revision)

    def head_revision(self) -> str | None:
        return _revisions()[-1] if _revisions() else None

    def all_revisions(self) -> list[str]:
        return list(_revisions())

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def schema_problem(self) -> str | None:
        """None when the schema is at head; otherwise one line saying what is wrong and what to run."""
        current = self.current_revision()
        head = self.head_revision()
        if current == head:
            return None
        if current is None:
            return "the database has no Charter schema yet; run `charter init` (or `charter db upgrade`)"
        if current not in self.all_revisions():
            return (
                f"the database schema is at unknown revision {current} (newer Charter?); "
                "upgrade Charter or point CHARTER_DATABASE_URL at another database"
            )
        return f"the database schema is behind ({current}, head is {head}); run `charter db upgrade`"

    def dispose(self) -> None:
        self.engine.dispose()


@functools.cache
def _revisions() -> tuple[str, ...]:
    """The migrations shipped with this Charter, oldest first. Read once per process: Alembic compiles every
    migration file each time it reads the directory (about 35 ms, at every app start before)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return tuple(r.revision for r in reversed(list(ScriptDirectory.from_config(cfg).walk_revisions())))


def plain_rows(conn: Connection, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows of `stmt` straight from the driver's cursor, in the connection's transaction: for many rows of
    integer (or text) columns, whose values need no conversion by SQLAlchemy's result processing, which costs
    more than the query itself at 10,000 rows (about 14 ms against 3 ms on PostgreSQL). Not for columns whose
    type converts (dates, JSON, booleans on SQLite)."""
    compiled = stmt.compile(dialect=conn.dialect)
    params = compiled.params
    args: Any = tuple(params[k] for k in compiled.positiontup) if compiled.positiontup else params
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), args)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def get_for_update(s: Session, model: type[T], pk: Any) -> T | None:
    """The row by primary key, freshly read and locked until the transaction ends, for a read-check-write
    (the version check of an update). PostgreSQL: `SELECT ... FOR UPDATE`, so a concurrent writer of the same
    row waits and then sees the committed version (a clean 409 with the current state instead of a failed
    UPDATE). SQLite has no row locks and needs none: its write transactions begin IMMEDIATE, one at a time."""
    return s.get(model, pk, with_for_update=True, populate_existing=True)
