"""Shared fixtures: a migrated empty database per test, a frozen clock, a small seeded world, an API client.

Database: `CHARTER_TEST_DATABASE_URL` selects it; unset means SQLite.

- SQLite: one template file is migrated per test session and copied to a fresh file for every test.
- PostgreSQL (`postgresql://user@host:port/name`): at session start the database `name` (plus the
  pytest-xdist worker id, so parallel workers do not collide) is dropped and created from the server's
  `postgres` database and migrated once; before every test each table but `alembic_version` is truncated.
  Unreachable server: skipped locally, a failure when `CI=true`.
"""

from __future__ import annotations

import copy
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import delete, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from charter.config import get_settings
from charter.domain.roles import LIAISON, OBSERVER, SPONSOR, STAKEHOLDER, TASK_LEADER, TASK_WORKER
from charter.persistence.db import Database
from charter.services import accounts, org, plan_cache, projects, roles, work_packages
from charter.services import calendars as calendars_svc
from charter.services import tasks as tasks_svc
from charter.services.context import SYSTEM, Actor, clock

# Passwords: the production Argon2 parameters cost about 150 ms a hash and as much a check, and the suite
# hashes thousands. Tests hash with the cheapest parameters; a check reads the parameters from the hash, so
# a CLI subprocess or a live server signs these users in as cheaply.
accounts._hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
accounts._dummy_hash.cache_clear()

# CI runs property tests derandomised (the same examples every run, so a red CI is reproducible); locally,
# each run explores new examples.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")

TEST_DATABASE_URL = os.environ.get("CHARTER_TEST_DATABASE_URL", "").strip()
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
IN_CI = os.environ.get("CI", "").lower() == "true"

FROZEN_AT = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
WORLD_BUILT_AT = datetime(2020, 1, 6, 8, 0, tzinfo=UTC)  # before FROZEN_AT and before any real "now"

# Caller names of the seeded world; "anonymous" sends no token.
MEMBERS = (
    "pm",
    "task_leader",
    "task_leader_b",
    "worker",
    "stakeholder",
    "liaison",
    "sponsor",
    "observer",
)
USERS = ("admin", *MEMBERS, "outsider")
CALLERS = ("anonymous", *USERS)


# --------------------------------------------------------------------------------------------- settings


@pytest.fixture(scope="session", autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep tests away from the user's data dir and from a developer's CHARTER_DATABASE_URL."""
    saved = {k: os.environ.get(k) for k in ("CHARTER_DATA_DIR", "CHARTER_DATABASE_URL", "CHARTER_SECRET_KEY")}
    os.environ["CHARTER_DATA_DIR"] = str(tmp_path_factory.mktemp("charter-data"))
    os.environ["CHARTER_DATABASE_URL"] = ""
    os.environ["CHARTER_SECRET_KEY"] = "test-secret-key-not-for-production"
    get_settings.cache_clear()
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_settings_and_clock() -> Iterator[None]:
    """Settings are re-read per test (a test may monkeypatch CHARTER_* env), the clock is never left frozen,
    and the API's per-token rate limit counts this test's requests only (the seeded world's tokens are the
    same in every test of a process)."""
    from charter.api import deps

    get_settings.cache_clear()
    deps.limiter.hits.clear()
    yield
    get_settings.cache_clear()
    clock.freeze(None)


# --------------------------------------------------------------------------------------------- PostgreSQL


def _worker_suffix() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"_{worker}" if worker else ""


def _pg_admin_conninfo(url: URL) -> str:
    """libpq conninfo for the server's `postgres` database (where a database can be dropped/created)."""
    return url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


def _pg_unreachable(exc: Exception) -> None:
    msg = f"PostgreSQL at {TEST_DATABASE_URL} cannot be reached: {exc}"
    if IN_CI:
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


def _pg_recreate(url: URL) -> None:
    """DROP and CREATE the database of `url` from the server's `postgres` database."""
    import psycopg

    admin = _pg_admin_conninfo(url)
    name = url.database
    assert name and name.replace("_", "").isalnum(), f"unsafe test database name {name!r}"
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except Exception as exc:  # psycopg.OperationalError and friends
        _pg_unreachable(exc)
        raise
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _pg_drop(url: URL) -> None:
    import psycopg

    admin = _pg_admin_conninfo(url)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    except Exception:  # best effort at teardown
        pass


def _pg_url(suffix: str = "") -> URL:
    base = make_url(TEST_DATABASE_URL)
    return base.set(database=f"{base.database}{_worker_suffix()}{suffix}")


def _url_str(url: URL) -> str:
    return url.render_as_string(hide_password=False)


# --------------------------------------------------------------------------------------------- databases


def _pg_track_writes(database: Database, tables: list[str]) -> None:
    """A statement trigger on every table of the test database records the table's name in
    `charter_test.written` whenever any connection of any process writes to it, so that `PgSnapshot.restore`
    puts back only the tables written since. The harness's own DELETE and COPY run in replica mode, where
    these triggers do not fire. `charter_test` is outside the application's schema: nothing the application
    lists or backs up sees it."""
    with database.engine.begin() as conn:
        conn.execute(text("CREATE SCHEMA charter_test"))
        conn.execute(text("CREATE UNLOGGED TABLE charter_test.written (t text NOT NULL)"))
        conn.execute(
            text(
                "CREATE FUNCTION charter_test.mark() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN INSERT INTO charter_test.written VALUES (TG_TABLE_NAME); RETURN NULL; END $$"
            )
        )
        for t in tables:
            conn.execute(
                text(
                    f'CREATE TRIGGER charter_test_written AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{t}" '
                    "FOR EACH STATEMENT EXECUTE FUNCTION charter_test.mark()"
                )
            )


@pytest.fixture(scope="session")
def _db_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """SQLite: the path of a migrated template file. PostgreSQL: a migrated session-wide Database and the
    names of its tables."""
    if IS_POSTGRES:
        url = _pg_url()
        _pg_recreate(url)
        database = Database(_url_str(url))
        database.upgrade()
        with database.engine.connect() as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                        "AND tablename <> 'alembic_version' ORDER BY tablename"
                    )
                )
            ]
            sequences = [
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences"
                    )
                )
            ]
        _pg_track_writes(database, tables)
        yield database, (tables, sequences)
        database.dispose()
        _pg_drop(url)
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    con = sqlite3.connect(path)  # fold the WAL into the main file so one file copy is a whole database
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    yield path


@pytest.fixture
def sqlite_dir(tmp_path: Path) -> Iterator[Path]:
    """Where this test's SQLite files live: a fresh directory on tmpfs (/dev/shm) when there is one (no
    fsync cost), else the test's tmp_path."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    path = Path(tempfile.mkdtemp(prefix="charter-test-", dir=shm))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def db(_db_template: Any, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated, empty database of its own for this test."""
    if IS_POSTGRES:
        database, (tables, sequences) = _db_template
        plan_cache.clear()  # the same engine serves every test: its cached plans belong to emptied rows
        if not {"seed", "demo_db"} & set(request.fixturenames):  # those put their own rows back
            _pg_empty(database, tables, sequences)
        yield database
        return
    path = request.getfixturevalue("sqlite_dir") / "charter.db"
    shutil.copyfile(_db_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


def _pg_delete_all(tables: list[str]) -> str:
    """One statement batch that deletes every row of `tables` with foreign-key triggers off for the rest of
    the transaction (so the order of the tables does not matter)."""
    return "; ".join(
        ["SET LOCAL session_replication_role = replica", *(f'DELETE FROM "{t}"' for t in tables)]
    )


def _pg_empty(database: Database, tables: list[str], sequences: list[str]) -> None:
    """Empty every table and restart every sequence. DELETE with foreign-key triggers off (replica role) takes
    about 5 ms for the whole schema, where TRUNCATE ... CASCADE took 120-150 ms per test (it rewrites each
    table's files); a server user without the right to set the role falls back to TRUNCATE."""
    _pg_restored[id(database)] = None
    if not tables:
        return
    try:
        with database.engine.begin() as conn:
            conn.execute(text(_pg_delete_all(tables)))
            conn.execute(text("DELETE FROM charter_test.written"))
            conn.execute(
                text("SELECT setval(CAST(s AS regclass), 1, false) FROM unnest(CAST(:names AS text[])) AS s"),
                {"names": sequences},
            )
    except DBAPIError:  # not a superuser: the slower, always-permitted way
        names = ", ".join(f'"{t}"' for t in tables)
        with database.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


_pg_restored: dict[int, PgSnapshot | None] = {}  # id(Database) -> the snapshot its rows were last put back to


class PgSnapshot:
    """The rows of every table and the value of every sequence of a seeded PostgreSQL test database, taken
    once (COPY TO) and put back before each test that uses it (DELETE + COPY FROM, foreign-key triggers off).
    When this snapshot was the last one put back, only the tables written since (`_pg_track_writes`) are put
    back: a cell of the permission matrix writes a few tables, a few milliseconds, where all of them took 20 ms
    and seeding the world again 300 ms. Setting the replica role needs a superuser (as the test server's
    `postgres` is)."""

    def __init__(self, database: Database, tables: list[str], sequences: list[str]) -> None:
        self.database, self._tables, self._sequences = database, tables, sequences
        self._rows: dict[str, bytes] = {}
        self._values: list[tuple[str, int, bool]] = []
        raw = database.engine.raw_connection()
        try:
            cur = raw.cursor()
            for t in tables:
                buf = bytearray()
                with cur.copy(f'COPY "{t}" TO STDOUT (FORMAT binary)') as cp:  # type: ignore[attr-defined]
                    for chunk in cp:
                        buf += chunk
                self._rows[t] = bytes(buf)
            for name in sequences:
                cur.execute(f"SELECT last_value, is_called FROM {name}")
                last, called = cur.fetchone()
                self._values.append((name, int(last), bool(called)))
            raw.commit()
        finally:
            raw.close()

    def restore(self) -> Database:
        plan_cache.clear()  # cached plans and Gantt rows belong to the rows a previous test changed
        raw = self.database.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("DELETE FROM charter_test.written RETURNING t")  # and start counting afresh
            written = {r[0] for r in cur.fetchall()}
            same = _pg_restored.get(id(self.database)) is self
            changed = [t for t in self._tables if t in written] if same else self._tables
            _pg_restored[id(self.database)] = None
            if changed:
                cur.execute(_pg_delete_all(changed))
                for t in changed:
                    with cur.copy(f'COPY "{t}" FROM STDIN (FORMAT binary)') as cp:  # type: ignore[attr-defined]
                        cp.write(self._rows[t])
            cur.execute(
                "SELECT setval(CAST(n AS regclass), v, c) "
                "FROM unnest(%s::text[], %s::bigint[], %s::bool[]) AS x(n, v, c)",
                (
                    [n for n, _, _ in self._values],
                    [v for _, v, _ in self._values],
                    [c for _, _, c in self._values],
                ),
            )
            raw.commit()
            _pg_restored[id(self.database)] = self
        finally:
            raw.close()
        return self.database


@pytest.fixture(scope="session")
def pg_snapshot(_db_template: Any) -> Callable[[Callable[[Database], Any]], tuple[Any, PgSnapshot]]:
    """PostgreSQL only: `payload, snap = pg_snapshot(seed_fn)` empties the test database, runs `seed_fn` on
    it and snapshots the result; `snap.restore()` puts that state back (for module-scoped seeded worlds that
    many cheap tests share, as SQLite's tests share a copied file)."""
    assert IS_POSTGRES, "pg_snapshot is for the PostgreSQL suite"
    database, (tables, sequences) = _db_template

    def take(seed_fn: Callable[[Database], Any]) -> tuple[Any, PgSnapshot]:
        plan_cache.clear()
        _pg_empty(database, tables, sequences)
        payload = seed_fn(database)
        return payload, PgSnapshot(database, tables, sequences)

    return take


@pytest.fixture
def empty_db_url(tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database with no schema at all (for migration tests), on the configured
    backend. PostgreSQL: a separate database, so migrating up and down never touches the shared one."""
    if IS_POSTGRES:
        url = _pg_url("_empty")
        _pg_recreate(url)
        yield _url_str(url)
        _pg_drop(url)
        return
    yield f"sqlite:///{tmp_path / 'empty.db'}"


# --------------------------------------------------------------------------------------------- clock


class FrozenClock:
    """The frozen service clock: `now`, `set(at)`, `advance(**timedelta_kwargs)`."""

    def __init__(self, at: datetime) -> None:
        self.set(at)

    @property
    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("freeze the clock at a timezone-aware UTC datetime")
        self._at = at.astimezone(UTC)
        clock.freeze(self._at)
        return self._at

    def advance(self, **delta: float) -> datetime:
        return self.set(self._at + timedelta(**delta))


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    """Freezes `charter.services.context.clock` at FROZEN_AT (2030-01-07 09:00 UTC); always unfrozen after."""
    helper = FrozenClock(FROZEN_AT)
    try:
        yield helper
    finally:
        clock.freeze(None)


# --------------------------------------------------------------------------------------------- the world


@dataclass
class World:
    """A small seeded instance. Users: admin, the P1 members (see MEMBERS) and `outsider`, who is only the
    PM of P2. Department "Sales" (the liaison's scope). P1 work packages: WP-A (with sub-package WP-A.1,
    led by task_leader) and WP-B (led by task_leader_b). Role assignments in P1 were made at
    WORLD_BUILT_AT and are open-ended; tokens never expire."""

    db: Database
    users: dict[str, int]
    tokens: dict[str, str]
    p1: int
    p2: int
    wp_a: int
    wp_a1: int
    wp_b: int
    wp_p2: int
    sales: int
    roles: dict[str, int]  # built-in role key -> role id in P1
    assignments: dict[str, int]  # user name -> id of their P1 assignment
    p2_roles: dict[str, int] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)  # a (WP-A, worker assigned), b (WP-B), c (WP-A), p2
    links: dict[str, int] = field(default_factory=dict)  # ab: a -> b
    calendars: dict[str, int] = field(default_factory=dict)  # p1, p2: the project calendars

    def actor(self, name: str) -> Actor:
        return Actor(user_id=self.users[name], username=name, is_admin=name == "admin")

    def headers(self, name: str) -> dict[str, str]:
        if name == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens[name]}"}


def build_world(database: Database) -> World:
    """Build the world through the services, in one transaction, with the clock at WORLD_BUILT_AT."""
    previous = clock._frozen
    clock.freeze(WORLD_BUILT_AT)
    try:
        with database.uow() as s:
            sales = org.create_department(s, SYSTEM, name="Sales")["id"]
            ids: dict[str, int] = {}
            for name in USERS:
                ids[name] = accounts.create_user(
                    s,
                    SYSTEM,
                    username=name.replace("_", "-"),
                    display_name=name.replace("_", " ").title(),
                    password=None,
                    email=f"{name}@example.test",
                    is_admin=name == "admin",
                    department_id=sales if name == "liaison" else None,
                )["id"]
            admin = Actor(ids["admin"], "admin", is_admin=True)
            p1 = projects.create_project(s, admin, key="P1", name="Project One", manager_id=ids["pm"])["id"]
            p2 = projects.create_project(s, admin, key="P2", name="Project Two", manager_id=ids["outsider"])[
                "id"
            ]
            wp_a = work_packages.create_work_package(s, admin, p1, name="WP-A")["id"]
            wp_a1 = work_packages.create_work_package(s, admin, p1, name="WP-A.1", parent_id=wp_a)["id"]
            wp_b = work_packages.create_work_package(s, admin, p1, name="WP-B")["id"]
            wp_p2 = work_packages.create_work_package(s, admin, p2, name="WP-X")["id"]
            role_ids = {r["key"]: r["id"] for r in roles.list_roles(s, admin, p1) if r["key"]}
            p2_roles = {r["key"]: r["id"] for r in roles.list_roles(s, admin, p2) if r["key"]}
            plan: list[tuple[str, str, int | None]] = [
                ("task_leader", TASK_LEADER, wp_a),
                ("task_leader_b", TASK_LEADER, wp_b),
                ("worker", TASK_WORKER, None),
                ("stakeholder", STAKEHOLDER, None),
                ("liaison", LIAISON, sales),
                ("sponsor", SPONSOR, None),
                ("observer", OBSERVER, None),
            ]
            assignments: dict[str, int] = {}
            for name, key, scope in plan:
                assignments[name] = roles.assign_role(
                    s, admin, p1, role_id=role_ids[key], user_id=ids[name], scope_id=scope
                )["id"]
            assignments["pm"] = next(
                a["id"] for a in roles.list_assignments(s, admin, p1) if a["user_id"] == ids["pm"]
            )
            task_ids = {
                "a": tasks_svc.create_task(s, admin, p1, name="Task A", work_package_id=wp_a, duration="3d")[
                    "id"
                ],
                "b": tasks_svc.create_task(s, admin, p1, name="Task B", work_package_id=wp_b, duration="2d")[
                    "id"
                ],
                "c": tasks_svc.create_task(s, admin, p1, name="Task C", work_package_id=wp_a, duration="1d")[
                    "id"
                ],
                "p2": tasks_svc.create_task(s, admin, p2, name="Task X", work_package_id=wp_p2)["id"],
            }
            tasks_svc.set_assignees(s, admin, p1, task_ids["a"], [ids["worker"]])
            link_ids = {
                "ab": tasks_svc.create_link(s, admin, p1, pred_id=task_ids["a"], succ_id=task_ids["b"])["id"]
            }
            calendar_ids = {
                "p1": calendars_svc.list_calendars(s, admin, p1)[0]["id"],
                "p2": calendars_svc.list_calendars(s, admin, p2)[0]["id"],
            }
            tokens = {
                name: accounts.create_token(
                    s, Actor(uid, name, is_admin=name == "admin"), name="tests", expires_in_days=None
                )["token"]
                for name, uid in ids.items()
            }
            # the world starts with empty inboxes and outbox (assigning the worker to Task A told them):
            # tests of notifications count from zero
            from charter.persistence.models import Notification, OutboxMessage

            s.execute(delete(Notification))
            s.execute(delete(OutboxMessage))
    finally:
        clock.freeze(previous)
    return World(
        db=database,
        users=ids,
        tokens=tokens,
        p1=p1,
        p2=p2,
        wp_a=wp_a,
        wp_a1=wp_a1,
        wp_b=wp_b,
        wp_p2=wp_p2,
        sales=sales,
        roles=role_ids,
        assignments=assignments,
        p2_roles=p2_roles,
        tasks=task_ids,
        links=link_ids,
        calendars=calendar_ids,
    )


@pytest.fixture(scope="session")
def world_builder() -> Callable[[Database], World]:
    """`build_world` for tests that seed a database of their own (test modules cannot import conftest
    under --import-mode=importlib)."""
    return build_world


def _seed_once(
    request: pytest.FixtureRequest, name: str, seed_fn: Callable[[Database], Any]
) -> tuple[Any, Any]:
    """Seed a migrated database once with `seed_fn`: (what it returned, the source that `_put_back` copies
    into a test's database): SQLite, a file with no WAL beside it; PostgreSQL, a snapshot."""
    if IS_POSTGRES:
        return request.getfixturevalue("pg_snapshot")(seed_fn)
    path = request.getfixturevalue("tmp_path_factory").mktemp(name) / f"{name}.db"
    shutil.copyfile(request.getfixturevalue("_db_template"), path)
    database = Database(f"sqlite:///{path}")
    payload = seed_fn(database)
    database.dispose()
    con = sqlite3.connect(path)  # one file, no WAL: a copy is the whole database
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    return payload, path


def _put_back(db: Database, source: Any) -> None:
    """Make `db` (the same Database object, so fixtures made from it earlier see the rows too) hold what
    `_seed_once` seeded: restore the snapshot, or copy the file where `db` keeps its data (its pooled
    connections closed first)."""
    if IS_POSTGRES:
        source.restore()
        return
    db.dispose()
    target = Path(db.engine.url.database or "")
    for extra in ("-wal", "-shm", "-journal"):
        Path(f"{target}{extra}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


@pytest.fixture(scope="session")
def _seeded_world(request: pytest.FixtureRequest) -> tuple[World, Any]:
    """The seeded world, built once per test process (300-400 ms; a copy takes 1-15 ms): its ids (the World's
    `db` is the seeding database, disposed) and the source to put back."""
    return _seed_once(request, "seeded-world", build_world)


@pytest.fixture
def seed(db: Database, _seeded_world: tuple[World, Any]) -> World:
    """The seeded world in this test's own database `db`."""
    world, source = _seeded_world
    _put_back(db, source)
    ids = copy.deepcopy({f.name: getattr(world, f.name) for f in fields(World) if f.name != "db"})
    return World(**ids, db=db)


@pytest.fixture(scope="session")
def _demo_seeded(request: pytest.FixtureRequest) -> Any:
    """`charter demo`'s data, seeded once per test process at the real now (it takes 8-15 s)."""
    from charter.services import demo

    return _seed_once(request, "demo", demo.seed)[1]


@pytest.fixture
def demo_db(db: Database, _demo_seeded: Any) -> Database:
    """This test's own database (`db`) holding the demo's data, as `charter demo` seeds it today. Tests of the
    demo on a chosen day seed `db` themselves."""
    _put_back(db, _demo_seeded)
    return db


@pytest.fixture
def api(db: Database) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from charter.api.app import create_api

    with TestClient(create_api(db)) as client:
        yield client


@pytest.fixture
def as_(seed: World) -> Callable[[str], dict[str, str]]:
    """`as_("pm")` -> the Authorization header of that seeded user ("anonymous" -> no header)."""
    return seed.headers


@pytest.fixture
def cli(seed: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """`cli("budget", "show", "P1", who="pm", code=0)` runs the `charter` command line against the seeded
    database as that user and asserts its exit code and that no traceback reached the output; returns the
    Typer result (`.stdout`, `.stderr`). Rich tables are 250 columns wide, so a cell reads as one string."""
    from typer.testing import CliRunner

    from charter.cli import common
    from charter.cli.main import app

    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.engine.url.render_as_string(hide_password=False))
    # the console's width is fixed when it is made, which may be before this test in an xdist worker: set it
    # on the console itself (restored afterwards)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setattr(common.console, "_width", 250)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str, code: int = 0, who: str = "pm") -> Any:
        r = runner.invoke(app, ["--as", who, *args])
        assert r.exit_code == code, (r.stdout, r.stderr)
        assert "Traceback" not in r.output
        return r

    try:
        yield run
    finally:
        get_settings.cache_clear()


def _share_route_contexts() -> None:
    """FastAPI (0.16x) works out each route's request and response models lazily, per application, at the
    first request that passes the route: about a second of pydantic schema building for Charter's ~300 API
    routes, paid again by every test that builds an app (most of them). What it builds depends only on the
    route and how its router is included, not on the app, so the tests' apps share it (keyed on the route and
    its inclusion, the app left out). No test overrides dependencies, the one per-app input. Where FastAPI has
    no such hook (another version) the tests run as they are, only slower."""
    import dataclasses

    from fastapi import routing

    ctx = getattr(routing, "_EffectiveRouteContext", None)
    raw = getattr(ctx, "__dict__", {}).get("from_api_route")
    if not isinstance(raw, classmethod):
        return
    build = raw.__func__
    built: dict[tuple[int, str], Any] = {}

    def from_api_route(cls: Any, *, original_route: Any, include_context: Any) -> Any:
        try:
            key = (
                id(original_route),
                repr(dataclasses.replace(include_context, dependency_overrides_provider=None)),
            )
        except (TypeError, ValueError):
            return build(cls, original_route=original_route, include_context=include_context)
        if key not in built:
            built[key] = build(cls, original_route=original_route, include_context=include_context)
        return built[key]

    ctx.from_api_route = classmethod(from_api_route)  # type: ignore[union-attr]


_share_route_contexts()


def _share_cli_commands() -> None:
    """Typer turns the `charter` app into its click command on every CliRunner.invoke: 0.15 s on a quiet
    machine (well over a second on a busy one), paid by each of the suite's CLI calls. The command is made
    from commands registered at import, so it is made once per app and reused."""
    import typer.testing

    make = getattr(typer.testing, "_get_command", None)
    if make is None:
        return
    made: dict[Any, Any] = {}

    def get_command(app: Any) -> Any:
        if app not in made:
            made[app] = make(app)
        return made[app]

    typer.testing._get_command = get_command  # type: ignore[attr-defined]


_share_cli_commands()


@pytest.fixture(scope="session", autouse=True)
def _warm_engine_kernels() -> None:
    """Compile (or load from numba's cache) the engines' kernels once per test process, so that the first
    request that schedules, levels or simulates is not the one that waits for the compiler."""
    import numpy as np

    from charter.engine import cpm, levelling, montecarlo
    from charter.engine.calendar import WorkCalendar

    cal = WorkCalendar(date(2030, 1, 1), date(2030, 12, 31))
    cpm.schedule(np.array([480, 480]), [0], [1], [0], [0], calendar=cal, start=date(2030, 1, 7))
    problem = levelling.LevellingProblem.from_successors([1, 1], [[1], [1]], [1], [[1], []])
    levelling.level_heuristic(problem, iterations=2)
    montecarlo.simulate(
        montecarlo.ThreePoint([1.0, 1.0], [2.0, 2.0], [3.0, 3.0]), [0], [1], [0], [0.0], iterations=64, seed=1
    )


# --------------------------------------------------------------------------------------------- which backend

# The fixtures through which a test reaches the configured test database (directly or through `seed`, `api`,
# `cli`, `demo_db`, ...: they all depend on `_db_template`).
_DB_FIXTURES = frozenset({"_db_template", "empty_db_url", "pg_snapshot"})


def _backend_agnostic(item: pytest.Item) -> bool:
    """A test marked `any_backend` (decided before any query: a --help, a schema check), or one that never
    touches the configured database and whose module does not choose by backend (pure engines, parsers, a
    test that makes its own SQLite file), runs the same whatever CHARTER_TEST_DATABASE_URL says."""
    if item.get_closest_marker("any_backend") is not None:
        return True
    if _DB_FIXTURES & set(getattr(item, "fixturenames", ())):
        return False
    module = getattr(item, "module", None)
    return not (module is not None and any(hasattr(module, n) for n in ("IS_POSTGRES", "TEST_DATABASE_URL")))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, leave out the tests that run the same on either backend: the SQLite run has them.
    CHARTER_TEST_EVERYTHING=1 keeps them."""
    if not IS_POSTGRES or os.environ.get("CHARTER_TEST_EVERYTHING") == "1":
        return
    same = [i for i in items if _backend_agnostic(i)]
    if same:
        keep = set(map(id, same))
        items[:] = [i for i in items if id(i) not in keep]
        config.hook.pytest_deselected(items=same)
