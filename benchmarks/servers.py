"""Real server processes for the concurrency and load benchmarks: `charter serve` subprocesses on loopback ports,
each in its own process group so that stopping one (or a failure anywhere) never leaves an orphan.

Not a benchmark itself; `charter bench` only runs the modules that have a `main`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a benchmark server: its database, a private data dir, and token rate limits out of
    the way (the benchmarks measure the application, not the limiter)."""
    return {
        **os.environ,
        "CHARTER_DATABASE_URL": database_url,
        "CHARTER_DATA_DIR": str(data_dir),
        "CHARTER_SECRET_KEY": "benchmark-secret-key-not-for-production",
        "CHARTER_TOKEN_RATE_PER_MINUTE": "100000000",
        **extra,
    }


class ServerProcess:
    """One `charter serve` (or any uvicorn command) subprocess; `stop()` ends its whole process group."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], port: int, log: Path, ready_path: str):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self._out = log.open("ab")
        self.proc = subprocess.Popen(
            list(argv), env=env, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.ready_path = ready_path

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server on port {self.port} exited: {self.log_tail()}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=1.0).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"the server on port {self.port} did not start in {timeout:.0f} s: {self.log_tail()}"
        )

    def log_tail(self, chars: int = 3000) -> str:
        self._out.flush()
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the whole process group (uvicorn's worker processes included)."""
        if self.proc.poll() is None or sig == signal.SIGKILL:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc.poll() is None:
            self.kill(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        self.kill(signal.SIGKILL)  # stragglers of the group (worker processes), also after a clean exit
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        self._out.close()


def charter_serve(
    env: dict[str, str], log: Path, *, workers: int | None = None, port: int | None = None
) -> ServerProcess:
    port = port or free_port()
    argv = [sys.executable, "-m", "charter.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers:
        argv += ["--workers", str(workers)]
    return ServerProcess(argv, env, port, log, "/login")


@contextlib.contextmanager
def running(servers: list[ServerProcess], timeout: float = 90.0) -> Iterator[list[ServerProcess]]:
    """Wait for every server to answer; stop them all on the way out, whatever happened."""
    try:
        for s in servers:
            s.wait_ready(timeout)
        yield servers
    finally:
        for s in servers:
            s.stop()
