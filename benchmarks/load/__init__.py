"""Load benchmark: a 10,000-task project served by real `charter serve --workers 4` processes, 50 concurrent users
(locust, on loopback) with a Task Leader's mix - list the package's tasks, open the Gantt data, open the project
dashboard, open and edit a task, log time, post a message - against the same load on a bare FastAPI endpoint
served the same way in the same run (the ceiling).

Two runs per database: without think time (each user sends its next request as soon as the last one answered:
the capacity, compared with the bare endpoint's), then with users who wait between requests (``--think``,
default 1-3 s: the latency people see). Runs on SQLite (a temp file) and, with ``--database-url
postgresql://...``, on PostgreSQL too. Prints per run and operation the throughput and p50/p95/p99, then the
targets (on PostgreSQL, 50 users: p99 < 200 ms for every read, < 300 ms for every write, from the users' run;
read throughput >= 30 % of the bare endpoint's, from the capacity run) as PASS/FAIL, and JSON.

Usage: ``charter bench load [--small] [--database-url URL [--no-sqlite]] [--users 50] [--seconds 60]
[--tasks 10000] [--workers 4] [--think LOW,HIGH | --think 0] [--json PATH] [--reuse PATH] [--strict]``. Exit
status 1 with ``--strict`` when a target is missed, 2 when requests failed (a 5xx, a refused connection).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks.servers import ServerProcess, charter_serve, free_port, running, server_env

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "load-benchmark-password"
PER_PACKAGE = 50
TARGETS = {"read_p99_ms": 200.0, "write_p99_ms": 300.0, "read_share_of_bare": 0.30}


# --------------------------------------------------------------------------------------------- the project


def build(database_url: str, n_tasks: int, n_people: int) -> dict[str, Any]:
    """The demo project through the services (one transaction; per-call renumbering and recompute deferred to
    one call at the end, as in benchmarks/gantt.py): packages of 50 chained tasks started 60 days ago, a link
    from each package into the next, one Task Leader per package for the first `n_people` packages, each with
    an API token, a password for the web pages and the (task, day) pairs they may log time on."""
    from benchmarks.gantt import _deferred_recompute
    from charter.domain.roles import TASK_LEADER
    from charter.persistence.db import Database
    from charter.services import accounts, projects, roles, scheduling, tasks, work_packages
    from charter.services.context import SYSTEM, Actor

    rng = random.Random(7)
    tag = secrets.token_hex(3).upper()
    today = date.today()
    t0 = time.perf_counter()
    db = Database(database_url)
    try:
        db.upgrade()
        with db.uow() as s:
            pm = accounts.create_user(s, SYSTEM, username=f"pm-{tag.lower()}", display_name="Load PM",
                                      password=None)["id"]  # fmt: skip
            actor = Actor(pm, f"pm-{tag.lower()}")
            pid = projects.create_project(s, actor, key=f"L{tag}", name=f"Load {tag}",
                                          start_date=today - timedelta(days=60))["id"]  # fmt: skip
            leader_role = next(r["id"] for r in roles.list_roles(s, actor, pid) if r["key"] == TASK_LEADER)
            packages: list[tuple[int, list[int]]] = []
            with _deferred_recompute():
                previous_last: int | None = None
                for w in range(max(1, n_tasks // PER_PACKAGE)):
                    wp = work_packages.create_work_package(s, actor, pid, name=f"Package {w + 1}")["id"]
                    ids: list[int] = []
                    for i in range(PER_PACKAGE):
                        ids.append(tasks.create_task(
                            s, actor, pid, name=f"P{w + 1} task {i + 1}", work_package_id=wp,
                            duration=f"{rng.randint(1, 3)}d", position=w * PER_PACKAGE + i + 1,
                        )["id"])  # fmt: skip
                        if i:
                            tasks.create_link(s, actor, pid, pred_id=ids[i - 1], succ_id=ids[i])
                    if previous_last is not None:  # a package hands over to the next one's last task
                        tasks.create_link(s, actor, pid, pred_id=previous_last, succ_id=ids[-1])
                    previous_last = ids[-1]
                    packages.append((wp, ids))
            work_packages.renumber(s, pid)
            scheduling.plan_changed(s, pid)
            sched = {t["id"]: t for t in scheduling.get_schedule(s, actor, pid)["tasks"]}
            people = []
            yesterday = today - timedelta(days=1)
            for k in range(min(n_people, len(packages))):
                wp, ids = packages[k]
                name = f"tl{k}-{tag.lower()}"
                uid = accounts.create_user(s, SYSTEM, username=name, display_name=f"Leader {k}",
                                           password=PASSWORD)["id"]  # fmt: skip
                roles.assign_role(s, actor, pid, role_id=leader_role, user_id=uid, scope_id=wp)
                token = accounts.create_token(s, Actor(uid, name), name="load", expires_in_days=None)["token"]
                loggable = []
                for tid in ids:
                    start = date.fromisoformat(str(sched[tid]["start"])[:10])
                    finish = min(date.fromisoformat(str(sched[tid]["finish"])[:10]), yesterday)
                    d = start
                    while d <= finish and len(loggable) < 400:
                        loggable.append((tid, d.isoformat()))
                        d += timedelta(days=1)
                rng.shuffle(loggable)
                # durations change only on tasks not started yet: the days logged on stay inside their tasks
                future = [tid for tid in ids if date.fromisoformat(str(sched[tid]["start"])[:10]) > today]
                people.append({"username": name, "token": token, "wp": wp, "tasks": ids, "future": future,
                               "loggable": loggable})  # fmt: skip
        return {"project_id": pid, "tasks": len(packages) * PER_PACKAGE, "packages": len(packages),
                "people": people, "build_s": round(time.perf_counter() - t0, 1)}  # fmt: skip
    finally:
        db.dispose()


# --------------------------------------------------------------------------------------------- running


def _env_with_repo() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def generate(config: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Run the locust process (bounded: the run's length plus two minutes) and read its figures."""
    cfg, out = workdir / f"load-{config['mix']}.json", workdir / f"load-{config['mix']}-out.json"
    cfg.write_text(json.dumps(config))
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.load.generator", str(cfg), str(out)],
        env=_env_with_repo(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=float(config["seconds"]) + float(config.get("ramp_seconds", 3)) + 240,
        check=False,
    )
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"the load generator failed: {proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def bare_server(workers: int, workdir: Path) -> ServerProcess:
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "benchmarks.load.bare:app", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers)]  # fmt: skip
    return ServerProcess(argv, _env_with_repo(), port, workdir / "bare.log", "/ping")


def measure_charter(
    url: str, built: dict[str, Any], args: argparse.Namespace, workdir: Path
) -> list[dict[str, Any]]:
    """The capacity run (no think time) and, with --think, the run of users who think between requests, on
    the same servers one after the other."""
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    env = server_env(url, workdir / f"data-{backend}")
    out = []
    with running([charter_serve(env, workdir / f"charter-{backend}.log", workers=args.workers)]) as (server,):
        for mode, think in [("capacity", None), *([("users", args.think)] if args.think else [])]:
            config = {"mix": "charter", "host": server.url, "users": args.users, "seconds": args.seconds,
                      "project_id": built["project_id"], "people": built["people"], "password": PASSWORD,
                      "think": think}  # fmt: skip
            result = generate(config, workdir)
            out.append({"backend": backend, "mode": mode, "think": think, **result})
        log = server.log_tail(10**7)
    errors = log.count("unhandled error")
    excerpt = ""
    first = log.find("unhandled error")
    if first >= 0:  # the first traceback, without the access-log lines of other requests in between
        lines = [ln for ln in log[first:].splitlines() if not ln.startswith("INFO:")]
        end = next((i for i, ln in enumerate(lines[1:], 1) if "unhandled error" in ln), len(lines))
        trace = lines[:end]
        excerpt = "\n".join([*trace[:2], "...", *trace[-25:]])
    for run in out:  # the server's log covers both runs
        run["server_errors"], run["server_error_excerpt"] = errors, excerpt
        errors, excerpt = 0, ""
    return out


# --------------------------------------------------------------------------------------------- reporting


def evaluate(runs: list[dict[str, Any]], bare: dict[str, Any]) -> dict[str, Any]:
    """Per backend: the read throughput of the capacity run (no think time) against the bare endpoint's, and
    the worst p99 per kind of the users' run (think time between requests) when there is one, else of the
    capacity run. A run without "mode" is a capacity run."""
    bare_rps = sum(op["rps"] for op in bare["operations"].values())
    out: dict[str, Any] = {}
    for backend in dict.fromkeys(run["backend"] for run in runs):
        mine = [r for r in runs if r["backend"] == backend]
        capacity = next((r for r in mine if r.get("mode", "capacity") == "capacity"), mine[0])
        latency = next((r for r in mine if r.get("mode") == "users"), capacity)
        read_rps = sum(op["rps"] for op in capacity["operations"].values() if op["kind"] == "read")
        ops = latency["operations"]
        reads = [op["p99_ms"] for op in ops.values() if op["kind"] == "read"]
        writes = [op["p99_ms"] for op in ops.values() if op["kind"] == "write"]
        worst_read, worst_write = max(reads, default=0.0), max(writes, default=0.0)
        share = read_rps / bare_rps if bare_rps else 0.0
        out[backend] = {
            "latency_from": latency.get("mode", "capacity"),
            "think": latency.get("think"),
            "worst_read_p99_ms": worst_read,
            "worst_write_p99_ms": worst_write,
            "read_rps": round(read_rps, 1),
            "bare_rps": round(bare_rps, 1),
            "read_share_of_bare": round(share, 3),
            "pass": {
                "read_p99_ms": worst_read < TARGETS["read_p99_ms"],
                "write_p99_ms": worst_write < TARGETS["write_p99_ms"],
                "read_share_of_bare": share >= TARGETS["read_share_of_bare"],
            },
        }
    return out


def _mode(run: dict[str, Any]) -> str:
    think = run.get("think")
    return f"think {think[0]:g}-{think[1]:g}s" if think else "no think"


def print_report(res: dict[str, Any]) -> None:
    think = res.get("think")
    print(f"Load benchmark: {res['tasks']} tasks in {res['packages']} packages (built in {res['build_s']} s), "
          f"{res['users']} users, {res['seconds']} s per run, {res['workers']} app workers; runs without think "
          f"time (capacity)" + (f" and with {think[0]:g}-{think[1]:g} s between requests (users)" if think else "")
          + f"; load average at start {res['load_average']}")  # fmt: skip
    header = (
        f"{'backend':<11}{'run':<13}{'operation':<18}{'kind':<6}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}"
        f"{'fail':>6}"
    )
    print(header)
    for run in [*res["runs"], {"backend": "bare", **res["bare"]}]:
        for name, op in sorted(run["operations"].items()):
            print(f"{run['backend']:<11}{_mode(run):<13}{name:<18}{op['kind']:<6}{op['rps']:>8.1f}"
                  f"{op['p50_ms']:>6.0f}ms{op['p95_ms']:>6.0f}ms{op['p99_ms']:>6.0f}ms{op['failures']:>6}")  # fmt: skip
    for backend, ev in res["targets"].items():
        scope = "" if backend == "postgresql" else "  (the targets are set for PostgreSQL; for reference)"
        print(f"targets on {backend}{scope}")
        p = ev["pass"]
        where = "users thinking between requests" if ev["latency_from"] == "users" else "no think time"
        print(f"  {'PASS' if p['read_p99_ms'] else 'FAIL'}  reads p99 < {TARGETS['read_p99_ms']:.0f} ms "
              f"(worst {ev['worst_read_p99_ms']:.0f} ms; {where})")  # fmt: skip
        print(f"  {'PASS' if p['write_p99_ms'] else 'FAIL'}  writes p99 < {TARGETS['write_p99_ms']:.0f} ms "
              f"(worst {ev['worst_write_p99_ms']:.0f} ms; {where})")  # fmt: skip
        print(
            f"  {'PASS' if p['read_share_of_bare'] else 'FAIL'}  read throughput >= 30 % of the bare "
            f"endpoint ({ev['read_rps']:.0f} of {ev['bare_rps']:.0f} req/s = {ev['read_share_of_bare']:.0%}; "
            "no think time)"
        )
    for run in res["runs"]:
        if run["errors"] or run["server_errors"]:
            print(f"! {run['backend']}: {run['server_errors']} server errors; {run['errors'][:3]}")
            if run.get("server_error_excerpt"):
                print(run["server_error_excerpt"])


def _build_or_reuse(url: str, n_tasks: int, n_people: int, keep: Path | None) -> dict[str, Any]:
    """`build`, or with `keep` (PostgreSQL only: the SQLite file is temporary) the project described there
    when it was built on the same database with the same size."""
    if keep is None or url.startswith("sqlite"):
        return build(url, n_tasks, n_people)
    key = {"url": url, "tasks": n_tasks, "people": n_people}
    if keep.exists():
        saved = json.loads(keep.read_text())
        if saved.get("key") == key:
            return dict(saved["built"])
    built = build(url, n_tasks, n_people)
    keep.write_text(json.dumps({"key": key, "built": built}))
    return built


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="charter bench load", description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=None, help="also run on this PostgreSQL database")
    ap.add_argument("--users", type=int, default=None, help="concurrent users (default 50; --small 10)")
    ap.add_argument(
        "--seconds", type=float, default=None, help="measured seconds per run (default 60; --small 8)"
    )
    ap.add_argument(
        "--tasks", type=int, default=None, help="tasks in the project (default 10000; --small 1000)"
    )
    ap.add_argument("--workers", type=int, default=4, help="app worker processes (default 4)")
    ap.add_argument(
        "--think",
        default="1,3",
        help="LOW,HIGH: also run with users who wait LOW to HIGH seconds between requests, the latency targets' "
        "run (default 1,3; 0: only the run without think time, which then is judged for latency too)",
    )
    ap.add_argument("--small", action="store_true", help="a short run for CI")
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON to PATH")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--no-sqlite", action="store_true", help="with --database-url: run on PostgreSQL only")
    ap.add_argument(
        "--reuse",
        type=Path,
        default=None,
        help="keep the built project's description in PATH and reuse it on the next run with the same "
        "--database-url and size (iterating on a change; a fresh build is the measurement of record)",
    )
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.think in ("0", "", "none"):
        args.think = None
    else:
        lo, _, hi = args.think.partition(",")
        args.think = [float(lo), float(hi or lo)]
        if not 0 <= args.think[0] <= args.think[1]:
            raise SystemExit("--think: LOW,HIGH with 0 <= LOW <= HIGH (seconds)")
    args.users = args.users or (10 if args.small else 50)
    args.seconds = args.seconds or (8.0 if args.small else 60.0)
    n_tasks = args.tasks or (1000 if args.small else 10_000)
    load_average = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="charter-load-") as tmp:
        work = Path(tmp)
        urls = [f"sqlite:///{work / 'load.db'}"] + ([args.database_url] if args.database_url else [])
        if args.no_sqlite and args.database_url:
            urls = urls[1:]
        built = {u: _build_or_reuse(u, n_tasks, args.users, args.reuse) for u in urls}
        with running([bare_server(args.workers, work)]) as (bare_proc,):
            bare = generate({"mix": "bare", "host": bare_proc.url, "users": args.users,
                             "seconds": args.seconds}, work)  # fmt: skip
        runs = [run for u in urls for run in measure_charter(u, built[u], args, work)]
    first = next(iter(built.values()))
    res = {"tasks": first["tasks"], "packages": first["packages"], "build_s": first["build_s"],
           "users": args.users, "seconds": args.seconds, "workers": args.workers, "load_average": load_average,
           "think": args.think,
           "runs": runs, "bare": bare, "targets": evaluate(runs, bare), "target_values": TARGETS}  # fmt: skip
    print_report(res)
    print(json.dumps(res))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    failed = sum(op["failures"] for run in runs for op in run["operations"].values())
    if failed or any(run["server_errors"] for run in runs):
        return 2
    judged = res["targets"].get("postgresql") or res["targets"]["sqlite"]  # the targets are PostgreSQL's
    if args.strict and not all(judged["pass"].values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
