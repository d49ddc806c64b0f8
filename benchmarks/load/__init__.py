"""Load benchmark: a 10,000-task project served by real `charter serve --workers 4` processes, 50 concurrent users
(locust, on loopback, no think time) with a Task Leader's mix - list the package's tasks, open the Gantt data,
open the project dashboard, open and edit a task, log time, post a message - against the same load on a bare
FastAPI endpoint served the same way in the same run (the ceiling).

Runs on SQLite (a temp file) and, with ``--database-url postgresql://...``, on PostgreSQL too. Prints per
operation the throughput and p50/p95/p99, then the targets (on PostgreSQL, 50 users: p99 < 200 ms for every
read, < 300 ms for every write; read throughput >= 30 % of the bare endpoint's) as PASS/FAIL, and JSON.

Usage: ``charter bench load [--small] [--database-url URL] [--users 50] [--seconds 60] [--tasks 10000]
[--workers 4] [--json PATH] [--strict]``. Exit status 1 with ``--strict`` when a target is missed, 2 when
requests failed (a 5xx, a refused connection).
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
) -> dict[str, Any]:
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    env = server_env(url, workdir / f"data-{backend}")
    with running([charter_serve(env, workdir / f"charter-{backend}.log", workers=args.workers)]) as (server,):
        config = {"mix": "charter", "host": server.url, "users": args.users, "seconds": args.seconds,
                  "project_id": built["project_id"], "people": built["people"], "password": PASSWORD}  # fmt: skip
        result = generate(config, workdir)
        result["server_errors"] = server.log_tail(10**7).count("unhandled error")
    return {"backend": backend, **result}


# --------------------------------------------------------------------------------------------- reporting


def evaluate(runs: list[dict[str, Any]], bare: dict[str, Any]) -> dict[str, Any]:
    bare_rps = sum(op["rps"] for op in bare["operations"].values())
    out: dict[str, Any] = {}
    for run in runs:
        ops = run["operations"]
        read_rps = sum(op["rps"] for op in ops.values() if op["kind"] == "read")
        reads = [op["p99_ms"] for op in ops.values() if op["kind"] == "read"]
        writes = [op["p99_ms"] for op in ops.values() if op["kind"] == "write"]
        worst_read, worst_write = max(reads, default=0.0), max(writes, default=0.0)
        share = read_rps / bare_rps if bare_rps else 0.0
        out[run["backend"]] = {
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


def print_report(res: dict[str, Any]) -> None:
    print(f"Load benchmark: {res['tasks']} tasks in {res['packages']} packages (built in {res['build_s']} s), "
          f"{res['users']} users without think time, {res['seconds']} s per run, {res['workers']} app workers; "
          f"load average at start {res['load_average']}")  # fmt: skip
    header = (
        f"{'backend':<11}{'operation':<18}{'kind':<6}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'fail':>6}"
    )
    print(header)
    for run in [*res["runs"], {"backend": "bare", **res["bare"]}]:
        for name, op in sorted(run["operations"].items()):
            print(f"{run['backend']:<11}{name:<18}{op['kind']:<6}{op['rps']:>8.1f}{op['p50_ms']:>6.0f}ms"
                  f"{op['p95_ms']:>6.0f}ms{op['p99_ms']:>6.0f}ms{op['failures']:>6}")  # fmt: skip
    for backend, ev in res["targets"].items():
        scope = "" if backend == "postgresql" else "  (the targets are set for PostgreSQL; for reference)"
        print(f"targets on {backend}{scope}")
        p = ev["pass"]
        print(f"  {'PASS' if p['read_p99_ms'] else 'FAIL'}  reads p99 < {TARGETS['read_p99_ms']:.0f} ms "
              f"(worst {ev['worst_read_p99_ms']:.0f} ms)")  # fmt: skip
        print(f"  {'PASS' if p['write_p99_ms'] else 'FAIL'}  writes p99 < {TARGETS['write_p99_ms']:.0f} ms "
              f"(worst {ev['worst_write_p99_ms']:.0f} ms)")  # fmt: skip
        print(
            f"  {'PASS' if p['read_share_of_bare'] else 'FAIL'}  read throughput >= 30 % of the bare "
            f"endpoint ({ev['read_rps']:.0f} of {ev['bare_rps']:.0f} req/s = {ev['read_share_of_bare']:.0%})"
        )
    for run in res["runs"]:
        if run["errors"] or run["server_errors"]:
            print(f"! {run['backend']}: {run['server_errors']} server errors; {run['errors'][:3]}")


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
    ap.add_argument("--small", action="store_true", help="a short run for CI")
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON to PATH")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    args.users = args.users or (10 if args.small else 50)
    args.seconds = args.seconds or (8.0 if args.small else 60.0)
    n_tasks = args.tasks or (1000 if args.small else 10_000)
    load_average = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="charter-load-") as tmp:
        work = Path(tmp)
        urls = [f"sqlite:///{work / 'load.db'}"] + ([args.database_url] if args.database_url else [])
        built = {u: build(u, n_tasks, args.users) for u in urls}
        with running([bare_server(args.workers, work)]) as (bare_proc,):
            bare = generate({"mix": "bare", "host": bare_proc.url, "users": args.users,
                             "seconds": args.seconds}, work)  # fmt: skip
        runs = [measure_charter(u, built[u], args, work) for u in urls]
    first = next(iter(built.values()))
    res = {"tasks": first["tasks"], "packages": first["packages"], "build_s": first["build_s"],
           "users": args.users, "seconds": args.seconds, "workers": args.workers, "load_average": load_average,
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
