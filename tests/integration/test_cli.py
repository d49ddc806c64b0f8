"""The `charter` command line against a temporary SQLite database."""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
import types
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from charter.cli import serve as serve_module
from charter.cli.main import app
from charter.config import get_settings
from charter.persistence.db import Database
from charter.persistence.models import User
from charter.services import accounts, projects
from charter.services.context import SYSTEM

PASSWORD = "correct-horse-battery"
runner = CliRunner()


def use_database(monkeypatch: pytest.MonkeyPatch, data_dir: Path, db_file: Path) -> str:
    url = f"sqlite:///{db_file}"
    monkeypatch.setenv("CHARTER_DATABASE_URL", url)
    monkeypatch.setenv("CHARTER_DATA_DIR", str(data_dir))
    monkeypatch.delenv("CHARTER_USER", raising=False)
    get_settings.cache_clear()
    return url


def charter(*args: str, ok: bool = True) -> Any:
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def as_json(*args: str) -> Any:
    return json.loads(charter(*args, "--json").stdout)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An initialised database (schema + admin `root`) made once and copied for each test."""
    data = tmp_path_factory.mktemp("template")
    with pytest.MonkeyPatch.context() as mp:
        use_database(mp, data, data / "charter.db")
        charter("init", "--admin", "root", "--name", "Root Admin", "--password", PASSWORD)
    get_settings.cache_clear()
    yield data / "charter.db"


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings pointing at an empty data dir; yields the database file that does not exist yet."""
    use_database(monkeypatch, tmp_path, tmp_path / "charter.db")
    yield tmp_path / "charter.db"
    get_settings.cache_clear()


@pytest.fixture
def env(template: Path, fresh: Path) -> str:
    """An initialised database of this test's own; returns its URL."""
    shutil.copy(template, fresh)
    return f"sqlite:///{fresh}"


def make_project(url: str, key: str, manager: str) -> None:
    db = Database(url)
    try:
        with db.uow() as s:
            projects.create_project(
                s, SYSTEM, key=key, name=f"Project {key}", manager_id=accounts.find_user_id(s, manager)
            )
    finally:
        db.dispose()


def add_users(*names: str) -> None:
    for name in names:
        charter("user", "add", name, "--name", name.title(), "--password", PASSWORD)


def assert_one_error_line(result: Any, code: int = 1) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


# --------------------------------------------------------------------------------------------- tests


def test_init_creates_schema_and_admin(fresh: Path) -> None:
    out = charter("init", "--admin", "boss", "--name", "The Boss", "--password", PASSWORD).stdout
    assert "Created instance admin boss" in out
    status = as_json("db", "status")
    assert status["up_to_date"] and status["current"] == status["head"]
    users = as_json("user", "list")
    assert [(u["username"], u["is_admin"]) for u in users] == [("boss", True)]
    again = charter("init", "--password", PASSWORD).stdout
    assert "exists already" in again
    assert len(as_json("user", "list")) == 1
    assert "nothing to do" in charter("db", "upgrade").stdout
    # an instance whose admins were all deactivated (outside the services, which keep one) gets a new one
    db = Database(f"sqlite:///{fresh}")
    try:
        with db.uow() as s:
            s.execute(update(User).values(is_active=False))
    finally:
        db.dispose()
    assert "Created instance admin root" in charter("init", "--admin", "root", "--password", PASSWORD).stdout
    assert [(u["username"], u["is_admin"], u["is_active"]) for u in as_json("user", "list")] == [
        ("boss", True, False), ("root", True, True)]  # fmt: skip


def test_user_add_and_list(env: str) -> None:
    charter(
        "user",
        "add",
        "priya.nair",
        "--name",
        "Priya Nair",
        "--email",
        "p@example.com",
        "--password",
        PASSWORD,
    )
    charter("user", "add", "ops", "--name", "Ops Admin", "--admin", "--password", PASSWORD)
    # a name that reads as console markup prints as typed (and does not break the table)
    made = charter("user", "add", "mark", "--name", "[bold red]Mark[/] [/x]", "--password", PASSWORD).stdout
    assert "[bold red]Mark[/] [/x]" in made
    listed = charter("user", "list").stdout
    assert (
        "[bold" in listed and "[/x]" in listed
    )  # shown as typed: markup would be consumed (or fail on [/x])
    users = {u["username"]: u for u in as_json("user", "list")}
    assert set(users) == {"root", "priya.nair", "ops", "mark"}
    assert users["priya.nair"]["email"] == "p@example.com" and not users["priya.nair"]["is_admin"]
    assert users["ops"]["is_admin"]
    line = assert_one_error_line(
        charter("user", "add", "priya.nair", "--name", "X", "--password", PASSWORD, ok=False)
    )
    assert line.startswith("error: ") and "(field: username)" in line
    line = assert_one_error_line(
        charter("user", "add", "x1", "--name", "X", "--department", "Nowhere", ok=False)
    )
    assert "no department 'Nowhere'" in line
    denied = charter(
        "--as", "priya.nair", "user", "add", "x2", "--name", "X", "--password", PASSWORD, ok=False
    )
    assert "only an instance admin" in assert_one_error_line(denied)


def test_project_list_and_show(env: str) -> None:
    add_users("priya", "marco")
    make_project(env, "CRM", "priya")
    make_project(env, "LAP", "marco")
    assert [p["key"] for p in as_json("project", "list")] == ["CRM", "LAP"]
    assert [p["key"] for p in as_json("--as", "priya", "project", "list")] == ["CRM"]
    shown = as_json("project", "show", "crm")
    assert shown["key"] == "CRM" and shown["project_manager"] == "Priya"
    pm = next(r for r in shown["roles"] if r["key"] == "project_manager")
    assert [h["user"] for h in pm["holders"]] == ["Priya"]
    assert shown["gaps"] == []
    table = charter("project", "show", "CRM").stdout
    assert "Project Manager" in table and "No responsibility gaps" in table
    assert [p["key"] for p in as_json("project", "list", "--all")] == ["CRM", "LAP"]
    line = assert_one_error_line(charter("--as", "priya", "project", "list", "--all", ok=False))
    assert "only an instance admin" in line


def test_unknown_project_is_one_error_line(env: str) -> None:
    line = assert_one_error_line(charter("project", "show", "NOPE", ok=False))
    assert line == "error: project NOPE not found (field: project)"
    line = assert_one_error_line(charter("--as", "ghost", "project", "list", ok=False))
    assert "no user 'ghost'" in line


def test_role_assign_end_list_handover(env: str) -> None:
    add_users("priya", "marco", "lena", "emily")
    make_project(env, "CRM", "priya")
    a = as_json("role", "assign", "CRM", "Stakeholder", "lena", "--note", "from Sales")
    assert a["role"] == "Stakeholder" and a["user"] == "Lena" and a["current"]
    future = as_json(
        "role", "assign", "CRM", "observer", "emily", "--from", "2099-01-01", "--until", "2099-06-01"
    )
    assert not future["current"] and future["valid_from"].startswith("2099-01-01T00:00:00")
    dup = charter("role", "assign", "CRM", "stakeholder", "lena", ok=False)
    assert "already holds Stakeholder" in assert_one_error_line(dup)
    scoped = charter("role", "assign", "CRM", "task_leader", "lena", ok=False)
    assert "needs a work package" in assert_one_error_line(scoped)

    ended = as_json("role", "end", "CRM", str(a["id"]))
    assert ended["valid_until"] is not None and not ended["current"]
    again = charter("role", "end", "CRM", str(a["id"]), ok=False)
    assert "already ended" in assert_one_error_line(again)

    handed = as_json("role", "handover", "CRM", "project_manager", "marco", "--at", "2030-01-01T12:00")
    assert handed["ended"]["user"] == "Priya" and handed["started"]["user"] == "Marco"
    assert handed["ended"]["valid_until"] == handed["started"]["valid_from"]

    history = as_json("role", "list", "CRM")
    assert {h["role"] for h in history} == {"Project Manager", "Stakeholder", "Observer"}
    assert len(history) == 4
    current = as_json("role", "list", "CRM", "--current")
    assert [(c["role"], c["user"]) for c in current] == [("Project Manager", "Priya")]
    assert "Role history" in charter("role", "list", "CRM").stdout


def test_custom_role_raci_and_gap(env: str) -> None:
    add_users("priya", "samuel")
    make_project(env, "CRM", "priya")
    role = as_json("role", "create", "CRM", "Security Officer", "-p", "tech.manage", "--exclusive")
    assert role["scope_kind"] == "project" and "tech.manage" in role["permissions"]
    m = as_json("raci", "set", "CRM", "technology", "Security Officer", "A")
    assert [g["message"] for g in m["gaps"]] == [
        "Security Officer, accountable for technology, has no current holder"
    ]
    shown = charter("raci", "show", "CRM").stdout
    assert "Responsibility gaps" in shown and "Security Officer, accountable for technology" in shown
    a = as_json("role", "assign", "CRM", "security officer", "samuel")
    assert as_json("raci", "show", "CRM")["gaps"] == []
    out = charter("role", "end", "CRM", str(a["id"])).stdout
    assert "gap: Security Officer, accountable for technology" in out
    cleared = as_json("raci", "set", "CRM", "technology", str(role["id"]), "-")
    assert [g["kind"] for g in cleared["gaps"]] == ["no_accountable_role"]
    bad = charter("raci", "set", "CRM", "weather", "sponsor", "A", ok=False)
    assert "unknown area 'weather'" in assert_one_error_line(bad)
    based = as_json("role", "create", "CRM", "Finance Liaison", "--based-on", "liaison")
    assert based["scope_kind"] == "department"


def test_serve_refuses_database_without_current_schema(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_server(*_: Any, **__: Any) -> None:
        raise AssertionError("the server must not start")

    monkeypatch.setattr(serve_module, "run_server", no_server)
    missing = assert_one_error_line(charter("serve", ok=False), code=2)
    assert "run `charter init`" in missing
    sqlite3.connect(fresh).execute("CREATE TABLE unrelated (x INTEGER)").connection.close()
    line = assert_one_error_line(charter("serve", "--port", "8123", ok=False), code=2)
    assert line == (
        "charter: cannot start: the database has no Charter schema yet; run `charter init` "
        "(or `charter db upgrade`)"
    )
    con = sqlite3.connect(fresh)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    con.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    con.commit()
    con.close()
    line = assert_one_error_line(charter("serve", ok=False), code=2)
    assert "unknown revision 9999_from_the_future" in line
    assert charter("db", "status", "--check", ok=False).exit_code == 2
    assert "unknown revision" in assert_one_error_line(charter("project", "list", ok=False), code=2)


def test_serve_runs_uvicorn_factory_on_a_current_schema(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    fake = types.SimpleNamespace(run=lambda target, **kw: calls.append({"target": target, **kw}))
    monkeypatch.setitem(sys.modules, "uvicorn", fake)
    charter("serve", "--port", "8123", "--workers", "2")
    assert calls == [
        {
            "target": "charter.app:app_from_env",
            "factory": True,
            "host": "127.0.0.1",
            "port": 8123,
            "workers": 2,
            "reload": False,
            "proxy_headers": False,
            # a busy worker is not killed by uvicorn's 5 s default health check (start-up, a big recompute)
            "timeout_worker_healthcheck": 60,
        }
    ]


def test_demo_seeds_once_with_gap_and_handover(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo_db = fresh.parent / "demo.db"
    out = charter("demo", "--no-serve").stdout
    assert "Seeded the demo database" in out and "charter-demo-pass" in out and "priya.nair" in out
    assert demo_db.exists()
    assert "Reusing the demo database" in charter("demo", "--no-serve").stdout
    monkeypatch.setenv("CHARTER_DATABASE_URL", f"sqlite:///{demo_db}")
    get_settings.cache_clear()

    assert [p["key"] for p in as_json("project", "list")] == ["CRM", "LAP"]
    crm = as_json("project", "show", "CRM")
    assert (crm["status"], crm["phase"]) == ("active", "execution")
    assert crm["project_manager"] == "Priya Nair"
    assert "Customer Service" in crm["objectives"]
    assert {w["wbs_code"] for w in crm["work_packages"]} >= {"1", "2", "2.1", "2.2", "3", "4"}
    held = {r["key"] or r["name"] for r in crm["roles"] if r["holders"]}
    assert held >= {
        "project_manager",
        "task_leader",
        "task_worker",
        "stakeholder",
        "liaison",
        "sponsor",
        "observer",
    }
    assert [g["message"] for g in crm["gaps"]] == [
        "Security Officer, accountable for technology, has no current holder"
    ]
    assert len(as_json("user", "list")) >= 13

    history = as_json("role", "list", "CRM")
    pms = sorted((h for h in history if h["role_key"] == "project_manager"), key=lambda h: h["valid_from"])
    assert [h["user"] for h in pms] == ["Marco Rossi", "Priya Nair"]
    assert pms[0]["valid_until"] == pms[1]["valid_from"]
    handed_over = datetime.fromisoformat(pms[1]["valid_from"])
    assert (datetime.now(handed_over.tzinfo) - handed_over).days >= 14
    liaisons = {h["scope"]: h for h in history if h["role_key"] == "liaison"}
    assert set(liaisons) == {"Sales", "Customer Service"}
    later = datetime.fromisoformat(liaisons["Customer Service"]["valid_from"])
    assert (later - datetime.fromisoformat(liaisons["Sales"]["valid_from"])).days >= 14
    officer = [h for h in history if h["role"] == "Security Officer"]
    assert len(officer) == 1 and officer[0]["valid_until"] and not officer[0]["current"]

    assert [p["key"] for p in as_json("--as", "priya.nair", "project", "list")] == ["CRM"]
    assert [p["key"] for p in as_json("--as", "marco.rossi", "project", "list")] == ["LAP"]
    assert "Reusing" in charter("demo", "--no-serve", "--database", str(demo_db)).stdout


def test_bench_forwards_arguments(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    fake = types.ModuleType("benchmarks.scheduling")
    fake.main = lambda argv: seen.append(argv) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "benchmarks.scheduling", fake)
    charter("bench", "scheduling", "--n", "50", "--small")
    assert seen == [["--n", "50", "--small"]]


def test_every_command_has_help(fresh: Path) -> None:
    for path in (
        [], ["init"], ["serve"], ["demo"], ["db"], ["db", "upgrade"], ["db", "status"], ["user", "add"],
        ["user", "list"], ["project", "list"], ["project", "show"], ["role", "assign"], ["role", "end"],
        ["role", "handover"], ["role", "create"], ["role", "list"], ["raci", "show"], ["raci", "set"],
        ["bench", "scheduling"], ["bench", "levelling"],
    ):  # fmt: skip
        result = charter(*path, "--help")
        assert "Usage" in result.stdout, path
