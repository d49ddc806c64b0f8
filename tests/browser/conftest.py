"""Browser tests: a live Charter server on loopback and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect

from charter.app import create_app
from charter.persistence.db import Database

CHROMIUM = os.environ.get("CHARTER_CHROMIUM", "/usr/bin/chromium")
# CI machines are small and shared, and the first call of an engine compiles its kernels: wait patiently
# for what must appear (a failing assertion still fails, only later).
expect.set_options(timeout=30_000)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, db: Database):
        self.db = db
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(db), host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_db(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated SQLite database for the live server: a copy of the session's migrated template (migrating
    takes a second or two), or migrated here when the suite runs against PostgreSQL."""
    path = tmp_path / "browser.db"
    if os.environ.get("CHARTER_TEST_DATABASE_URL", "").strip().startswith("postgresql"):
        db = Database(f"sqlite:///{path}")
        db.upgrade()
    else:
        shutil.copyfile(request.getfixturevalue("_db_template"), path)
        db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def live_server(live_db: Database) -> Iterator[LiveServer]:
    with LiveServer(live_db) as server:
        yield server


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is required in CI and was not found at {CHROMIUM}")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=ARGS,
            headless=True,
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
