"""Writers take turns in order, and an async route's transaction never stalls the event loop.

SQLite's busy handler polls with growing sleeps, so a writer waiting behind back-to-back long transactions
(one user's repeated imports) used to miss every gap and wait out its 30 s busy timeout (CI saw a task
writer starved for a whole crash-safety run). `Database.writers` hands the turn to the next in line. The
import, upload and message routes are async (they await the upload) and used to run their unit of work on
the event loop itself: every other request of the process waited for the import to finish.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from charter.app import create_app
from charter.persistence.db import Database, WriterQueue
from charter.services import interchange


def _wait_for(cond: Any, what: str) -> None:
    deadline = time.monotonic() + 20
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def test_a_waiting_writer_goes_next_not_after_a_stream_of_others(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    with db.engine.begin() as c:
        c.exec_driver_sql("CREATE TABLE t (who TEXT)")
    assert db.writers is not None
    order: list[str] = []
    first_inside, let_go = threading.Event(), threading.Event()

    def stream() -> None:  # five write transactions back to back, the first held until the waiter queued
        for n in range(5):
            with db.uow() as s:
                s.execute(text("INSERT INTO t VALUES (:w)"), {"w": f"stream{n}"})
                order.append(f"stream{n}")
                if n == 0:
                    first_inside.set()
                    let_go.wait(20)

    def waiter() -> None:
        with db.uow() as s:
            s.execute(text("INSERT INTO t VALUES ('waiter')"))
            order.append("waiter")

    a = threading.Thread(target=stream)
    a.start()
    first_inside.wait(20)
    b = threading.Thread(target=waiter)
    b.start()
    _wait_for(lambda: len(db.writers._waiting) == 1, "the waiter to queue")  # type: ignore[union-attr]
    let_go.set()
    a.join(20)
    b.join(20)
    assert order == ["stream0", "waiter", "stream1", "stream2", "stream3", "stream4"]
    with db.uow(readonly=True) as s:
        assert s.execute(text("SELECT count(*) FROM t")).scalar_one() == 6
    db.dispose()


def test_a_turn_is_reentrant_and_a_wait_gives_up_with_database_locked() -> None:
    q = WriterQueue()
    q.acquire(1)
    q.acquire(1)  # the same thread again (a nested unit of work)
    q.release()
    done = threading.Event()
    errors: list[BaseException] = []

    def other() -> None:
        try:
            q.acquire(0.05)
        except OperationalError as exc:
            errors.append(exc)
        done.set()

    t = threading.Thread(target=other)
    t.start()
    done.wait(20)
    t.join(20)
    assert errors and "database is locked" in str(errors[0])
    assert not q._waiting  # the one who gave up left the line
    q.release()
    q.acquire(0.05)  # free again
    q.release()
    with pytest.raises(RuntimeError):
        q.release()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(db: Database) -> Iterator[str]:
    port = _port()
    srv = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    _wait_for(lambda: srv.started, "the server to start")
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


def test_an_import_in_progress_does_not_hold_up_other_requests(
    server: str, seed: Any, as_: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = threading.Event(), threading.Event()
    real = interchange.import_plan

    def slow_import(*args: Any, **kw: Any) -> Any:  # the import's transaction, held open until released
        entered.set()
        release.wait(30)
        return real(*args, **kw)

    monkeypatch.setattr(interchange, "import_plan", slow_import)
    answers: list[int] = []
    pm = as_("pm")

    def post_import() -> None:
        csv = b"name,duration\nImported,2d\n"
        r = httpx.post(f"{server}/api/v1/projects/{seed.p1}/import", headers=pm, timeout=60,
                       files={"file": ("plan.csv", csv, "text/csv")}, data={"format": "csv"})  # fmt: skip
        answers.append(r.status_code)

    t = threading.Thread(target=post_import)
    t.start()
    try:
        assert entered.wait(30), "the import did not start"
        # the import is mid-transaction: another request of the same process is answered meanwhile
        r = httpx.get(f"{server}/api/v1/projects/{seed.p1}/tasks", headers=pm, timeout=10)
        assert r.status_code == 200
        assert not answers  # (and the import really is still waiting)
    finally:
        release.set()
        t.join(30)
    assert answers == [200]
