"""Crash safety of the server on SQLite: `charter serve` runs as a subprocess on 127.0.0.1 (random port) over a
temp database; one client streams task creations (logging every acknowledged 201), another streams CSV
imports; the server is killed with SIGKILL mid-stream and started again. Then:

- every acknowledged task is there, with its journal row (no torn record);
- every import is whole or absent (all its rows or none);
- `PRAGMA integrity_check` is ok and the restarted server answers.

Bounded: ~2 s of traffic, the whole test well under 15 s.
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
    deadline = time.monotonic() + 30
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
        assert c.post(f"/projects/{world.p2}/import", files=files, data={"format": "csv"}).status_code == 200

    acked: list[int] = []
    sent_imports: list[int] = []
    stop = threading.Event()

    def write_tasks() -> None:
        with httpx.Client(base_url=base, headers=auth, timeout=5) as c:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    r = c.post(f"/projects/{world.p1}/tasks", json={"name": f"stream {n}", "duration": "1d"})
                except httpx.TransportError:
                    return
                if r.status_code == 201:
                    acked.append(r.json()["id"])

    def import_plans() -> None:
        with httpx.Client(base_url=base, headers=auth, timeout=5) as c:
            batch = 0
            while not stop.is_set():
                batch += 1
                sent_imports.append(batch)
                try:
                    c.post(
                        f"/projects/{world.p2}/import",
                        files={"file": (f"plan{batch}.csv", _csv(batch), "text/csv")},
                        data={"format": "csv"},
                    )
                except httpx.TransportError:
                    return

    threads = [threading.Thread(target=f, daemon=True) for f in (write_tasks, import_plans)]
    try:
        for t in threads:
            t.start()
        time.sleep(TRAFFIC_S)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(5)
        stop.set()
        for t in threads:
            t.join(5)
        assert acked and sent_imports, (len(acked), sent_imports, log.read_text()[-2000:])

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
        for batch in sent_imports:
            n = con.execute(
                "SELECT COUNT(*) FROM tasks WHERE project_id = ? AND name LIKE ?",
                (world.p2, f"imp{batch}-row%"),
            ).fetchone()[0]
            assert n in (0, IMPORT_ROWS), f"import {batch} is partial: {n} of {IMPORT_ROWS} rows"
    finally:
        con.close()
