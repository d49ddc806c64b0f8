"""Concurrency soak: two real `charter serve` processes on ONE database, N concurrent API clients updating the
same few tasks, budget lines and timesheet entries (read the version, PATCH with it) for S seconds, then a
check of every invariant of optimistic concurrency against a client-side log:

- zero 5xx and no transport errors; every write answered 2xx or 409, nothing else;
- every 409 carries the record's current state (`current`, with its id and a newer version);
- no lost update: the versions acknowledged by 2xx answers are unique per record;
- no gap: per record they are exactly 2..final version (each acknowledged write made one version);
- the journal has one `update` entry per version, in order, each holding the value the acknowledged write set;
- the final state holds the value of the last acknowledged write.

PostgreSQL (``--database-url postgresql://...``): the real two-process set-up. SQLite (the default, a temp
file): the two processes share the file in WAL mode; the app opens every write transaction with BEGIN
IMMEDIATE (one writer at a time, a 30 s busy timeout), so both processes write, one after the other.

Usage: ``charter bench concurrency [--small] [--database-url URL] [--seconds N] [--clients N] [--json PATH]``.
Exit status 1 when an invariant breaks.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.servers import ServerProcess, charter_serve, running, server_env

TASKS = 4
LINES = 3
ENTRIES = 3
MARKER_FIELD = {"task": "description", "budget_line": "description", "timesheet_entry": "note"}


@dataclass
class Seeded:
    project_id: int
    token: str
    tasks: list[int]
    lines: list[int]
    entries: list[int]
    entry_week: dict[int, str]  # entry id -> ISO week to read it from
    warm_task: int  # edited once through each server before the clock starts (JIT-compiles the CPM kernels)


@dataclass
class Write:
    client: int
    kind: str
    record: int
    sent_version: int
    marker: str
    status: int  # 0: transport error
    version: int | None = None  # 2xx: the new version; 409: the current version from the body
    current_id: int | None = None
    error: str = ""
    ms: float = 0.0


@dataclass
class Outcome:
    writes: list[Write] = field(default_factory=list)
    reads: int = 0
    read_failures: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------- seeding


def seed(database_url: str) -> Seeded:
    """A project (unique key, so a shared PostgreSQL database can be reused) with a PM, a few tasks, budget
    lines and the PM's timesheet entries on past days, through the services in one transaction."""
    from charter.persistence.db import Database
    from charter.services import accounts, budget, projects, tasks, timesheets, work_packages
    from charter.services.context import SYSTEM, Actor

    db = Database(database_url)
    try:
        db.upgrade()
        tag = secrets.token_hex(3).upper()
        today = date.today()
        with db.uow() as s:
            uid = accounts.create_user(
                s, SYSTEM, username=f"soak-{tag.lower()}", display_name="Soak PM", password=None
            )["id"]
            pm = Actor(uid, f"soak-{tag.lower()}")
            pid = projects.create_project(
                s, pm, key=f"S{tag}", name=f"Soak {tag}", start_date=today - timedelta(days=28)
            )["id"]
            wp = work_packages.create_work_package(s, pm, pid, name="Contended work")["id"]
            task_ids = [
                tasks.create_task(s, pm, pid, name=f"Task {i + 1}", work_package_id=wp, duration="40d")["id"]
                for i in range(TASKS)
            ]
            line_ids = [
                budget.create_line(s, pm, pid, category="contractors", name=f"Line {i + 1}", amount="1000")[
                    "id"
                ]
                for i in range(LINES)
            ]
            entry_ids: list[int] = []
            week: dict[int, str] = {}
            for i in range(ENTRIES):
                day = today - timedelta(days=7 + i)
                e = timesheets.log_entry(s, pm, pid, task_id=task_ids[0], day=day, hours="1h")
                entry_ids.append(e["id"])
                iso = day.isocalendar()
                week[e["id"]] = f"{iso.year}-W{iso.week:02d}"
            warm = tasks.create_task(s, pm, pid, name="Warm-up", work_package_id=wp, duration="1d")["id"]
            token = accounts.create_token(s, pm, name="soak", expires_in_days=None)["token"]
        return Seeded(pid, token, task_ids, line_ids, entry_ids, week, warm)
    finally:
        db.dispose()


# --------------------------------------------------------------------------------------------- clients


def _read_version(c: httpx.Client, sd: Seeded, kind: str, rid: int) -> int:
    p = sd.project_id
    if kind == "task":
        r = c.get(f"/api/v1/projects/{p}/tasks/{rid}")
        r.raise_for_status()
        return int(r.json()["version"])
    if kind == "budget_line":
        r = c.get(f"/api/v1/projects/{p}/budget/lines")
        r.raise_for_status()
        return int(next(x["version"] for x in r.json() if x["id"] == rid))
    r = c.get("/api/v1/me/timesheet", params={"week": sd.entry_week[rid]})
    r.raise_for_status()
    for row in r.json()["rows"]:
        for e in row["entries"].values():
            if e["id"] == rid:
                return int(e["version"])
    raise LookupError(f"timesheet entry {rid} is not in its week")


def _patch(c: httpx.Client, sd: Seeded, kind: str, rid: int, body: dict[str, Any]) -> httpx.Response:
    p = sd.project_id
    path = {
        "task": f"/api/v1/projects/{p}/tasks/{rid}",
        "budget_line": f"/api/v1/projects/{p}/budget/lines/{rid}",
        "timesheet_entry": f"/api/v1/projects/{p}/timesheet/{rid}",
    }[kind]
    return c.patch(path, json=body)


def _client(
    n: int, url: str, sd: Seeded, deadline: float, out: Outcome, lock: threading.Lock, rng_seed: int
) -> None:
    rng = random.Random(rng_seed)
    records = (
        [("task", t) for t in sd.tasks]
        + [("budget_line", b) for b in sd.lines]
        + [("timesheet_entry", e) for e in sd.entries]
    )
    writes: list[Write] = []
    reads = 0
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {sd.token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
        k = 0
        while time.monotonic() < deadline:
            k += 1
            kind, rid = rng.choice(records)
            try:
                version = _read_version(c, sd, kind, rid)
                reads += 1
            except (httpx.HTTPError, LookupError, KeyError, StopIteration) as exc:
                failures.append(f"client {n} read {kind} {rid}: {type(exc).__name__}: {exc}"[:300])
                continue
            marker = f"c{n}-w{k}"
            body: dict[str, Any] = {"version": version, MARKER_FIELD[kind]: marker}
            if kind == "task" and rng.random() < 0.25:
                body["duration"] = (
                    f"{rng.randint(20, 40)}d"  # the schedule recomputes in the same transaction
                )
            if kind == "budget_line" and rng.random() < 0.5:
                body["amount"] = str(rng.randint(500, 5000))
            w = Write(n, kind, rid, version, marker, 0)
            t0 = time.perf_counter()
            try:
                r = _patch(c, sd, kind, rid, body)
            except httpx.HTTPError as exc:
                w.error = f"{type(exc).__name__}: {exc}"[:300]
            else:
                w.status = r.status_code
                try:
                    data = r.json()
                except ValueError:
                    data = {}
                if not isinstance(data, dict):
                    data = {}
                if 200 <= r.status_code < 300:
                    w.version = data.get("version")
                elif r.status_code == 409:
                    err = data.get("error") or {}
                    cur = err.get("current") or {}
                    w.version, w.current_id = cur.get("version"), cur.get("id")
                    w.error = str(err.get("message", ""))[:300]
                else:
                    w.error = r.text[:300]
            w.ms = (time.perf_counter() - t0) * 1000
            writes.append(w)
    with lock:
        out.writes.extend(writes)
        out.reads += reads
        out.read_failures.extend(failures)


def run_clients(urls: list[str], sd: Seeded, clients: int, seconds: float, rng_seed: int = 11) -> Outcome:
    out = Outcome()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_client,
            args=(i, urls[i % len(urls)], sd, deadline, out, lock, rng_seed * 1000 + i),
            daemon=True,
        )
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    if any(t.is_alive() for t in threads):
        out.read_failures.append("a client did not finish within two minutes of the deadline")
    return out


# --------------------------------------------------------------------------------------------- checking


def _final_state(
    database_url: str, sd: Seeded
) -> tuple[dict[tuple[str, int], dict[str, Any]], dict[Any, Any]]:
    """Per record: its final version and marker; and its journal `update` entries in order."""
    from sqlalchemy import select

    from charter.persistence.db import Database
    from charter.persistence.models import BudgetLine, JournalEntry, Task, TimesheetEntry

    db = Database(database_url)
    try:
        with db.uow(readonly=True) as s:
            final: dict[tuple[str, int], dict[str, Any]] = {}
            for t in s.scalars(select(Task).where(Task.id.in_(sd.tasks))):
                final[("task", t.id)] = {"version": t.version, "marker": t.description}
            for ln in s.scalars(select(BudgetLine).where(BudgetLine.id.in_(sd.lines))):
                final[("budget_line", ln.id)] = {"version": ln.version, "marker": ln.description}
            for e in s.scalars(select(TimesheetEntry).where(TimesheetEntry.id.in_(sd.entries))):
                final[("timesheet_entry", e.id)] = {"version": e.version, "marker": e.note}
            journal: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
            rows = s.scalars(
                select(JournalEntry)
                .where(JournalEntry.project_id == sd.project_id, JournalEntry.action == "update")
                .order_by(JournalEntry.id)
            )
            for j in rows:
                if j.entity_type in MARKER_FIELD:
                    journal[(j.entity_type, int(j.entity_id))].append(j.changes)
        return final, journal
    finally:
        db.dispose()


def verify(database_url: str, sd: Seeded, out: Outcome) -> dict[str, Any]:
    """Check every invariant; returns the figures and a list of violations (empty when all hold)."""
    final, journal = _final_state(database_url, sd)
    problems: list[str] = [f"[status] {f}" for f in out.read_failures[:20]]
    statuses = Counter(w.status for w in out.writes)
    for w in out.writes:
        if w.status == 0:
            problems.append(
                f"[status] transport error: {w.kind} {w.record} from client {w.client}: {w.error}"
            )
        elif w.status >= 500:
            problems.append(f"[status] {w.status} on {w.kind} {w.record}: {w.error}")
        elif w.status == 409:
            if w.current_id != w.record or w.version is None:
                problems.append(f"[409] 409 without the current state on {w.kind} {w.record}: {w.error}")
            elif w.version == w.sent_version:
                problems.append(
                    f"[409] 409 on {w.kind} {w.record} although version {w.sent_version} is current"
                )
        elif not 200 <= w.status < 300:
            problems.append(f"[status] unexpected {w.status} on {w.kind} {w.record}: {w.error}")
    per_record: dict[str, Any] = {}
    for key, state in sorted(final.items()):
        kind, rid = key
        acked = sorted((w for w in out.writes if (w.kind, w.record) == key and 200 <= w.status < 300),
                       key=lambda w: w.version or 0)  # fmt: skip
        versions = [w.version for w in acked]
        dupes = sorted(v for v, c in Counter(versions).items() if c > 1)
        if dupes:
            problems.append(
                f"[lost] lost update on {kind} {rid}: version(s) {dupes[:5]} acknowledged more than once"
            )
        expected = list(range(2, state["version"] + 1))
        if sorted(set(v for v in versions if v is not None)) != expected:
            missing = sorted(set(expected) - set(versions))[:5]
            extra = sorted(set(versions) - set(expected))[:5]
            problems.append(f"[gap] version gap on {kind} {rid}: final {state['version']}, "
                            f"not acknowledged {missing}, beyond final {extra}")  # fmt: skip
        entries = journal.get(key, [])
        if len(entries) != state["version"] - 1:
            problems.append(f"[journal] journal of {kind} {rid}: {len(entries)} update entries for {state['version'] - 1} "
                            "versions")  # fmt: skip
        fld = MARKER_FIELD[kind]
        journaled = [e.get(fld, [None, None])[1] for e in entries]
        if not dupes and journaled != [w.marker for w in acked]:
            first = next(
                (i for i, (a, b) in enumerate(zip(journaled, acked, strict=False)) if a != b.marker), None
            )
            problems.append(
                f"[journal] journal of {kind} {rid} does not match the acknowledged writes (first at {first})"
            )
        if acked and state["marker"] != acked[-1].marker:
            problems.append(f"[final] final state of {kind} {rid} is {state['marker']!r}, the last acknowledged write "
                            f"set {acked[-1].marker!r}")  # fmt: skip
        per_record[f"{kind}:{rid}"] = {"final_version": state["version"], "acknowledged": len(acked),
                                       "journal_updates": len(entries)}  # fmt: skip
    ms = sorted(w.ms for w in out.writes if w.status)
    by_kind: dict[str, dict[str, int]] = {}
    for kind in MARKER_FIELD:
        ws = [w for w in out.writes if w.kind == kind]
        by_kind[kind] = {
            "writes": len(ws),
            "2xx": sum(1 for w in ws if 200 <= w.status < 300),
            "409": sum(1 for w in ws if w.status == 409),
            "other": sum(1 for w in ws if w.status != 409 and not 200 <= w.status < 300),
        }
    return {
        "reads": out.reads,
        "writes": len(out.writes),
        "status_counts": {str(k): v for k, v in sorted(statuses.items())},
        "5xx": sum(v for k, v in statuses.items() if k >= 500),
        "by_kind": by_kind,
        "write_ms_p50": round(statistics.median(ms), 1) if ms else None,
        "write_ms_p99": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1) if ms else None,
        "records": per_record,
        "problems": problems[:50],
        "problem_count": len(problems),
        "ok": not problems and bool(out.writes),
    }


# --------------------------------------------------------------------------------------------- the run


def soak(
    database_url: str, *, clients: int, seconds: float, servers: int = 2, workdir: Path
) -> dict[str, Any]:
    """Seed, start `servers` processes on the database, run the clients, stop the servers, verify."""
    sd = seed(database_url)
    env = server_env(database_url, workdir / "data")
    procs: list[ServerProcess] = [charter_serve(env, workdir / f"server{i}.log") for i in range(servers)]
    with running(procs):
        urls = [p.url for p in procs]
        warm = httpx.Client(base_url=urls[0], headers={"Authorization": f"Bearer {sd.token}"}, timeout=120)
        with warm:  # each process's first task edit compiles the CPM kernels: keep it out of the window
            for i, u in enumerate(urls):
                path = f"{u}/api/v1/projects/{sd.project_id}/tasks/{sd.warm_task}"
                warm.patch(path, json={"version": i + 1, "description": f"warm {i}"}).raise_for_status()
        t0 = time.monotonic()
        out = run_clients(urls, sd, clients, seconds)
        elapsed = time.monotonic() - t0
        server_errors = sum(p.log_tail(10**7).count("unhandled error") for p in procs)
    result = verify(database_url, sd, out)
    if server_errors:
        result["problems"].append(f"[status] {server_errors} unhandled error(s) in the server logs")
        result["ok"] = False
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    return {"backend": backend, "servers": servers, "clients": clients, "seconds": round(elapsed, 1),
            "writes_per_s": round(len(out.writes) / elapsed, 1) if elapsed else None, **result}  # fmt: skip


def print_report(res: dict[str, Any]) -> None:
    print(f"Concurrency soak on {res['backend']}: {res['servers']} server processes, {res['clients']} clients, "
          f"{res['seconds']} s; {res['reads']} reads, {res['writes']} writes ({res['writes_per_s']}/s), "
          f"write p50 {res['write_ms_p50']} ms, p99 {res['write_ms_p99']} ms")  # fmt: skip
    print(f"{'record kind':<18}{'writes':>8}{'2xx':>8}{'409':>8}{'other':>8}")
    for kind, c in res["by_kind"].items():
        print(f"{kind:<18}{c['writes']:>8}{c['2xx']:>8}{c['409']:>8}{c['other']:>8}")
    checks = [
        ("status", "zero 5xx, every write answered 2xx or 409"),
        ("409", "every 409 carries the current state"),
        ("lost", "no lost update (acknowledged versions unique)"),
        ("gap", "no version gap (2..final acknowledged)"),
        ("journal", "journal: one entry per version, same values"),
        ("final", "final state = last acknowledged write"),
    ]
    for tag, name in checks:
        ok = not any(p.startswith(f"[{tag}]") for p in res["problems"])
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    for p in res["problems"][:10]:
        print(f"  ! {p}")
    print("RESULT:", "PASS" if res["ok"] else "FAIL")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="charter bench concurrency", description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=None,
                    help="PostgreSQL (or SQLite) URL to run on; default: a temporary SQLite file")  # fmt: skip
    ap.add_argument("--clients", type=int, default=None,
                    help="concurrent clients (default 50 on PostgreSQL, 20 on SQLite; --small 12)")  # fmt: skip
    ap.add_argument("--seconds", type=float, default=None, help="duration (default 60; --small 8)")
    ap.add_argument("--servers", type=int, default=2, help="server processes on the one database (default 2)")
    ap.add_argument("--small", action="store_true", help="a short run for CI")
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON to PATH")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    with tempfile.TemporaryDirectory(prefix="charter-soak-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/soak.db"
        pg = url.startswith("postgresql")
        clients = args.clients or (12 if args.small else 50 if pg else 20)
        seconds = args.seconds or (8.0 if args.small else 60.0)
        res = soak(url, clients=clients, seconds=seconds, servers=args.servers, workdir=Path(tmp))
    print_report(res)
    print(json.dumps({k: v for k, v in res.items() if k != "records"}))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0 if res["ok"] else 1


__all__ = ["Outcome", "Seeded", "Write", "asdict", "main", "run_clients", "seed", "soak", "verify"]

if __name__ == "__main__":
    sys.exit(main())
