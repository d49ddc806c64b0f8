"""Crash safety under kill -9.

The server (SQLite): `charter serve` runs as a subprocess on 127.0.0.1 (random port) over a temp database; one
client streams task creations (logging every acknowledged 201), another streams plan imports, CSV and MS
Project XML in turn; the server is killed with SIGKILL while an import is under way and started again. Then:

- every acknowledged task is there, with its journal row (no torn record);
- every import is whole or absent (all its rows or none), CSV and MSPDI alike;
- `PRAGMA integrity_check` is ok and the restarted server answers.

The worker (the configured backend): a real `charter worker` process drains the outbox to a real SMTP server
(aiosmtpd on 127.0.0.1) and is killed with SIGKILL while a message is in the SMTP DATA phase; a restarted
worker takes the dead one's claim over once its lock expires and delivers the rest. At the SMTP side every
event reaches every recipient exactly once.

Bounded: ~2 s of traffic per test, each test well under 40 s.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from charter.persistence.db import Database

IMPORT_ROWS = 40
TRAFFIC_S = 1.5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "charter.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120  # a busy machine starts slowly; a healthy one in ~2 s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=0.5).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not start")


def _csv(batch: int) -> bytes:
    lines = ["name,duration"] + [f"imp{batch}-row{i},1d" for i in range(IMPORT_ROWS)]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kill_9_mid_stream_loses_no_acknowledged_write(
    tmp_path: Path, world_builder: Any, sqlite_dir: Path
) -> None:
    path = sqlite_dir / "crash.db"
    url = f"sqlite:///{path}"
    db = Database(url)
    db.upgrade()
    world = world_builder(db)
    db.dispose()
    env = {
        **os.environ,
        "CHARTER_DATABASE_URL": url,
        "CHARTER_DATA_DIR": str(tmp_path / "data"),
        "CHARTER_SECRET_KEY": "crash-test-secret",
        "CHARTER_TOKEN_RATE_PER_MINUTE": "1000000",
    }
    port = _free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    auth = world.headers("admin")
    log = tmp_path / "server.log"
    server = _start(env, port, log)
    with httpx.Client(base_url=base, headers=auth, timeout=60) as c:  # warm up (the CPM kernels compile)
        assert (
            c.post(f"/projects/{world.p1}/tasks", json={"name": "warm-up", "duration": "1d"}).status_code
            == 201
        )
        files = {"file": ("plan0.csv", _csv(0), "text/csv")}
        t0 = time.monotonic()
        assert c.post(f"/projects/{world.p2}/import", files=files, data={"format": "csv"}).status_code == 200
        import_s = time.monotonic() - t0
        # an MS Project XML file as Charter writes it, with the same rows: the template of the MSPDI imports
        mspdi = c.get(f"/projects/{world.p2}/export", params={"format": "mspdi"})
        assert mspdi.status_code == 200 and mspdi.content.count(b"imp0-row") == IMPORT_ROWS

    acked: list[int] = []
    sent_imports: list[tuple[str, int]] = []  # (the rows' name prefix, the batch)
    in_flight: dict[str, float] = {}  # the import request waiting for its answer: since when
    stop = threading.Event()

    # generous timeouts: on a loaded machine a slow answer must not end a stream before the kill (a timeout
    # is a transport error too); the kill itself ends both at once (connection reset)
    def write_tasks() -> None:
        with httpx.Client(base_url=base, headers=auth, timeout=60) as c:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    r = c.post(f"/projects/{world.p1}/tasks", json={"name": f"stream {n}", "duration": "1d"})
                except httpx.TransportError:
                    return
                if r.status_code == 201:
                    acked.append(r.json()["id"])

    def import_plans() -> None:  # CSV and MS Project XML in turn
        with httpx.Client(base_url=base, headers=auth, timeout=60) as c:
            batch = 0
            while not stop.is_set():
                batch += 1
                if batch % 2:
                    prefix, fmt, name = f"imp{batch}-row", "csv", f"plan{batch}.csv"
                    data = _csv(batch)
                else:
                    prefix, fmt, name = f"mx{batch}-row", "mspdi", f"plan{batch}.xml"
                    data = mspdi.content.replace(b"imp0-row", prefix.encode())
                sent_imports.append((prefix, batch))
                in_flight["since"] = time.monotonic()
                try:
                    c.post(
                        f"/projects/{world.p2}/import",
                        files={"file": (name, data, "application/octet-stream")},
                        data={"format": fmt},
                    )
                except httpx.TransportError:
                    return
                in_flight.pop("since", None)

    threads = [threading.Thread(target=f, daemon=True) for f in (write_tasks, import_plans)]
    try:
        for t in threads:
            t.start()
        time.sleep(TRAFFIC_S)
        # kill while an import is well under way (a third of a warm import's time after it was sent), once an
        # MS Project XML import has been sent too (on a loaded machine the first CSV import may still be running)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            since = in_flight.get("since")
            sent_mspdi = any(p.startswith("mx") for p, _ in sent_imports)
            if sent_mspdi and since is not None and time.monotonic() - since > import_s / 3:
                break
            time.sleep(0.005)
        mid_import = "since" in in_flight
        os.kill(server.pid, signal.SIGKILL)
        server.wait(5)
        stop.set()
        for t in threads:
            t.join(5)
        assert acked and sent_imports, (len(acked), sent_imports, log.read_text()[-2000:])
        assert mid_import, "the kill did not land during an import"

        server = _start(env, port, log)  # starts on the database as the crash left it (WAL recovery)
        assert httpx.get(f"{base}/me", headers=auth, timeout=5).status_code == 200
    finally:
        stop.set()
        if server.poll() is None:
            server.terminate()
            server.wait(5)

    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tasks = {r[0] for r in con.execute("SELECT id FROM tasks")}
        assert set(acked) <= tasks, f"acknowledged but lost: {sorted(set(acked) - tasks)}"
        torn = con.execute(
            "SELECT COUNT(*) FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM journal j WHERE "
            "j.entity_type = 'task' AND j.action = 'create' AND j.entity_id = CAST(t.id AS TEXT))"
        ).fetchone()[0]
        assert torn == 0
        assert any(p.startswith("mx") for p, _ in sent_imports), sent_imports  # MSPDI was imported too
        for prefix, batch in sent_imports:
            n = con.execute(
                "SELECT COUNT(*) FROM tasks WHERE project_id = ? AND name LIKE ?",
                (world.p2, f"{prefix}%"),
            ).fetchone()[0]
            assert n in (0, IMPORT_ROWS), f"import {batch} ({prefix}) is partial: {n} of {IMPORT_ROWS} rows"
    finally:
        con.close()


# --------------------------------------------------------------------------------------------- the worker

EVENTS = 8
RECIPIENTS = ("worker", "pm", "sponsor", "observer", "stakeholder")
KILL_AT = 11  # the worker is killed while the SMTP server holds this message (1-based) in its DATA phase


class GatedMailbox:
    """An SMTP server's mail store that behaves like a careful MTA: a message counts as delivered only when the
    server could answer 250 to it (the client still connected). Message number KILL_AT is held in DATA until
    the test has killed the worker, so the kill lands in the middle of a send, deterministically."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, str, str]] = []  # (Message-ID, To, Subject)
        self.seen = 0
        self.lock = threading.Lock()
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio
        from email import message_from_bytes

        msg = message_from_bytes(envelope.content)
        with self.lock:
            self.seen += 1
            number = self.seen
        if number == KILL_AT:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)  # let the loop notice the dead client's closed connection
        transport = getattr(server, "transport", None)
        if transport is None or transport.is_closing():
            return "421 the client went away"  # never answered 250: not delivered
        with self.lock:
            self.delivered.append((str(msg["Message-ID"]), str(msg["To"]), str(msg["Subject"])))
        return "250 OK"


def _outbox(db: Database) -> list[tuple[str, str, str, int]]:
    from sqlalchemy import select

    from charter.persistence.models import OutboxMessage

    with db.uow(readonly=True) as s:
        rows = s.execute(
            select(
                OutboxMessage.event_key, OutboxMessage.recipient, OutboxMessage.status, OutboxMessage.attempts
            )
            .where(OutboxMessage.channel == "email")
            .order_by(OutboxMessage.id)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "charter.cli.main", "worker", "--poll", "0.2"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _end(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kill_9_worker_mid_send_then_restart_delivers_every_email_once(
    tmp_path: Path, world_builder: Any, empty_db_url: str
) -> None:
    from aiosmtpd.controller import Controller

    from charter.services import notifications

    db = Database(empty_db_url)
    db.upgrade()
    world = world_builder(db)
    with db.uow() as s:
        for e in range(EVENTS):
            notifications.notify(
                s,
                recipients=[world.users[n] for n in RECIPIENTS],
                kind="task.assigned",
                subject=f"Event {e}",
                body="Task A is yours",
                project_id=world.p1,
                link="/projects/1",
                event_key=f"crash:{e}",
            )
    queued = _outbox(db)
    assert len(queued) == EVENTS * len(RECIPIENTS) > KILL_AT

    mailbox = GatedMailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    env = {
        **os.environ,
        "CHARTER_DATABASE_URL": empty_db_url,
        "CHARTER_DATA_DIR": str(tmp_path / "data"),
        "CHARTER_SMTP_HOST": "127.0.0.1",
        "CHARTER_SMTP_PORT": str(smtp.port),
        "CHARTER_WORKER_LOCK_SECONDS": "2",  # a dead worker's claims are taken over after 2 s
    }
    log = tmp_path / "worker.log"
    first = _start_worker(env, log)
    second: subprocess.Popen[bytes] | None = None
    try:
        assert mailbox.holding.wait(60), log.read_text()[-2000:]
        os.killpg(first.pid, signal.SIGKILL)  # mid-send: message KILL_AT is in the SMTP DATA phase
        first.wait(10)
        mailbox.release.set()
        at_kill = Counter(status for _, _, status, _ in _outbox(db))
        assert at_kill["sent"] == KILL_AT - 1 and at_kill["sending"] >= 1, at_kill

        second = _start_worker(env, log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(status == "sent" for _, _, status, _ in _outbox(db)):
                break
            time.sleep(0.2)
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    finally:
        mailbox.release.set()
        _end(first)
        if second is not None:
            _end(second)
        smtp.stop()
    final = _outbox(db)
    db.dispose()
    assert all(status == "sent" for _, _, status, _ in final), (Counter(r[2] for r in final), log.read_text())
    # the message in flight at the kill was claimed again after the lock expired: two attempts
    assert sorted(attempts for *_, attempts in final).count(2) >= 1
    # at the SMTP side: every event reached every recipient exactly once
    per_message = Counter(mid for mid, _, _ in mailbox.delivered)
    assert len(per_message) == len(queued) and set(per_message.values()) == {1}, per_message
    per_event = Counter((to, subject) for _, to, subject in mailbox.delivered)
    expected = {(f"{n}@example.test", f"Event {e}") for n in RECIPIENTS for e in range(EVENTS)}
    assert set(per_event) == expected and set(per_event.values()) == {1}
