"""Rescheduling benchmark: one edit to a 10,000-task project through the JSON API, from request to committed
response (the whole project recomputed and the changed rows written), on SQLite.

The project is the seeded netgen network (variant ``fs``) with durations in hours, so that 10,000 tasks fit in
a calendar of a few years, built directly in the database; then ``--edits`` PATCH requests change the
duration of random tasks through the API (in-process ASGI client), and the latencies' p50/p95/max are printed
as a table and JSON. Target: p95 under 150 ms on SQLite.

``--workers N`` serves the edits from N app instances, each with an engine (and so a plan cache) of its own,
taking turns: every edit then follows a change made by another "process", as with ``charter serve --workers``.

Usage: ``python benchmarks/reschedule.py [--tasks 10000] [--edits 60] [--workers 1] [--json PATH] [--small]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_NETGEN = REPO.parent / "shared" / "bench" / "netgen.py"
TARGET_P95 = 0.150


def _netgen(path: Path) -> Any:
    if not path.is_file():
        raise SystemExit(f"netgen not found at {path} (use --netgen PATH)")
    sys.path.insert(0, str(path.resolve().parent))
    import netgen

    return netgen


def build(db: Any, n: int, netgen: Any) -> tuple[int, list[int], str]:
    from sqlalchemy import insert, select

    from charter.persistence.models import Task, TaskLink, User
    from charter.services import accounts, projects, scheduling
    from charter.services.context import SYSTEM

    net = netgen.generate(n, variant="fs")
    with db.uow() as s:
        u = accounts.create_user(s, SYSTEM, username="pm", display_name="PM", password=None)
        p = projects.create_project(
            s, SYSTEM, key="BIG", name="Big", manager_id=u["id"], start_date=dt.date(2027, 1, 4)
        )
        pid = p["id"]
        t0 = dt.datetime.now(dt.UTC)
        s.execute(insert(Task), [
            {"project_id": pid, "name": f"Task {i}", "description": "", "position": i + 1, "wbs_code": str(i + 1),
             "milestone": False, "duration": int(net["dur"][i]) * 60, "duration_unit": "hours",
             "percent_complete": 0.0, "status": "not_started", "priority": 500, "constraint_type": "asap",
             "created_at": t0, "version": 1, "task_type": "fixed_units", "effort_driven": True}
            for i in range(n)
        ])  # fmt: skip
        ids = list(s.scalars(select(Task.id).where(Task.project_id == pid).order_by(Task.id)))
        s.execute(insert(TaskLink), [
            {"project_id": pid, "pred_id": ids[a], "succ_id": ids[b], "type": "FS", "lag": 0,
             "lag_kind": "working", "created_at": t0, "version": 1}
            for a, b in zip(net["src"].tolist(), net["dst"].tolist(), strict=True)
        ])  # fmt: skip
        scheduling.recompute(s, pid)
        token = accounts.create_token(s, accounts.actor_for(s.get(User, u["id"])), name="bench")["token"]
    return pid, ids, token


def run(args: argparse.Namespace) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from charter.app import create_app
    from charter.persistence.db import Database

    netgen = _netgen(args.netgen)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.upgrade()
        t = time.perf_counter()
        pid, ids, token = build(db, args.tasks, netgen)
        build_s = time.perf_counter() - t
        dbs = [db] + [Database(db.url) for _ in range(args.workers - 1)]
        clients = [TestClient(create_app(d)) for d in dbs]
        h = {"Authorization": f"Bearer {token}"}
        rng = random.Random(1)
        lat: list[float] = []
        for k in range(args.edits + 3 * len(clients)):
            client = clients[k % len(clients)]
            tid = rng.choice(ids)
            version = client.get(f"/api/v1/projects/{pid}/tasks/{tid}", headers=h).json()["version"]
            body = {"version": version, "duration": f"{rng.randint(1, 20)}h"}
            t = time.perf_counter()
            r = client.patch(f"/api/v1/projects/{pid}/tasks/{tid}", json=body, headers=h)
            dt_s = time.perf_counter() - t
            if r.status_code != 200:
                raise SystemExit(f"edit failed: {r.status_code} {r.text}")
            if k >= 3 * len(clients):  # warm-up
                lat.append(dt_s)
        for d in dbs:
            d.dispose()
    lat.sort()
    p95 = lat[max(0, round(0.95 * len(lat)) - 1)]
    return {
        "benchmark": "reschedule", "tasks": args.tasks, "edits": len(lat), "workers": args.workers, "build_seconds": round(build_s, 2),
        "p50_ms": round(statistics.median(lat) * 1000, 1), "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(lat[-1] * 1000, 1), "target_p95_ms": TARGET_P95 * 1000,
        "pass": p95 < TARGET_P95 if args.tasks >= 10000 else None,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--edits", type=int, default=60)
    ap.add_argument("--workers", type=int, default=1, help="app instances taking turns (own plan caches)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--netgen", type=Path, default=DEFAULT_NETGEN)
    ap.add_argument("--small", action="store_true", help="CI mode: 1,000 tasks, 15 edits")
    args = ap.parse_args(argv)
    if args.small:
        args.tasks, args.edits = 1000, 15
    out = run(args)
    print(
        f"{'tasks':>8} {'edits':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'target p95':>11} {'pass':>5}"
    )
    print(
        f"{out['tasks']:>8} {out['edits']:>6} {out['p50_ms']:>8} {out['p95_ms']:>8} {out['max_ms']:>8} "
        f"{out['target_p95_ms']:>11} {out['pass']!s:>5}"
    )
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
