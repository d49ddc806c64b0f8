"""PSPLIB j30 benchmark of the resource-levelling engine (heuristic and CP-SAT).

Usage: ``python benchmarks/levelling.py [--data DIR] [--every K] [--limit N] [--time-limit S]
[--methods heuristic,cpsat] [--instances j3013_1,j3025_4] [--json PATH] [--small]``.
Also called by ``charter bench levelling``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "psplib" / "j30"

TARGETS: dict[str, dict[str, float]] = {
    "heuristic": {"avg_dev_pct": 0.5, "time_mean_s": 0.2},
    "cpsat": {"avg_dev_pct": 0.05, "proven_pct": 97.0},
}


def _ensure_importable() -> None:
    src = REPO_ROOT / "src"
    if src.is_dir() and str(src) not in sys.path:
        try:
            import charter  # noqa: F401
        except ImportError:
            sys.path.insert(0, str(src))


def _instance_key(path: Path) -> tuple[int, int]:
    stem = path.stem  # j30<par>_<inst>
    par, _, inst = stem[3:].partition("_")
    return int(par), int(inst)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="charter bench levelling", description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="directory with j30*.sm and j30opt.sm")
    ap.add_argument("--every", type=int, default=1, help="take every K-th instance")
    ap.add_argument("--limit", type=int, default=None, help="at most N instances")
    ap.add_argument("--time-limit", type=float, default=None, help="CP-SAT seconds per instance (1.0)")
    ap.add_argument("--methods", default="heuristic,cpsat", help="comma list of heuristic, cpsat")
    ap.add_argument("--workers", type=int, default=2, help="CP-SAT workers (2)")
    ap.add_argument(
        "--instances",
        default=None,
        help="comma list of instance names (e.g. j3013_1,j3025_4) to run only those",
    )
    ap.add_argument("--json", type=Path, default=None, help="write the results as JSON to PATH")
    ap.add_argument("--small", action="store_true", help="CI mode: 12 instances, 0.5 s CP-SAT limit")
    return ap.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    _ensure_importable()
    from charter.engine.levelling import validate_schedule
    from charter.engine.levelling_cpsat import level_cpsat
    from charter.engine.levelling_heuristic import level_heuristic
    from charter.io.psplib import load_optimum, load_sm

    data: Path = args.data
    if not data.is_dir():
        raise FileNotFoundError(f"PSPLIB data directory not found: {data}")
    optimum = {(r.parameter, r.instance): r.makespan for r in load_optimum(data / "j30opt.sm")}
    files = sorted((p for p in data.glob("j30*_*.sm")), key=_instance_key)
    if args.instances:
        wanted = [w.strip().removesuffix(".sm") for w in args.instances.split(",") if w.strip()]
        by_name = {p.stem: p for p in files}
        missing = [w for w in wanted if w not in by_name]
        if missing:
            raise ValueError(f"unknown instance(s) in --instances: {', '.join(missing)}")
        files = [by_name[w] for w in wanted]
    every = max(1, args.every)
    limit = args.limit
    time_limit = args.time_limit
    if args.small:
        every = max(every, len(files) // 12 if len(files) >= 12 else 1)
        limit = 12 if limit is None else limit
        time_limit = 0.5 if time_limit is None else time_limit
    time_limit = 1.0 if time_limit is None else time_limit
    files = files[::every]
    if limit is not None:
        files = files[:limit]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods:
        if m not in TARGETS:
            raise ValueError(f"unknown method {m!r}")

    # Warm up the numba kernels so the first instance does not pay the compilation.
    if files:
        level_heuristic(load_sm(files[0]).to_problem(), iterations=5)

    rows: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
    for idx, path in enumerate(files):
        inst = load_sm(path)
        problem = inst.to_problem()
        opt = optimum.get(_instance_key(path))
        heur = None
        for m in methods:
            t0 = time.perf_counter()
            if m == "heuristic":
                res = level_heuristic(problem)
                heur = res
            else:
                res = level_cpsat(problem, time_limit=time_limit, num_workers=args.workers)
            elapsed = time.perf_counter() - t0
            violations = validate_schedule(problem, res.starts)
            rows[m].append(
                {
                    "instance": path.stem,
                    "optimum": opt,
                    "makespan": res.makespan,
                    "lower_bound": res.lower_bound,
                    "status": res.status,
                    "time_s": round(elapsed, 4),
                    "valid": not violations,
                    "dev_pct": None if opt is None else 100.0 * (res.makespan - opt) / opt,
                }
            )
        del heur
        if (idx + 1) % 40 == 0:
            print(f"  ... {idx + 1}/{len(files)} instances", file=sys.stderr, flush=True)

    summary: dict[str, Any] = {
        "data": str(data),
        "instances": len(files),
        "every": every,
        "cpsat_time_limit_s": time_limit,
        "workers": args.workers,
        "small": bool(args.small),
        "methods": {},
    }
    for m, rs in rows.items():
        devs = [r["dev_pct"] for r in rs if r["dev_pct"] is not None]
        times = [r["time_s"] for r in rs]
        s: dict[str, Any] = {
            "instances": len(rs),
            "avg_dev_pct": round(statistics.fmean(devs), 4) if devs else None,
            "optimal_found": sum(1 for r in rs if r["optimum"] is not None and r["makespan"] == r["optimum"]),
            "time_mean_s": round(statistics.fmean(times), 4) if times else None,
            "time_max_s": round(max(times), 4) if times else None,
            "invalid": sum(1 for r in rs if not r["valid"]),
        }
        if m == "cpsat":
            proven = sum(1 for r in rs if r["status"] == "OPTIMAL")
            s["proven_optimal"] = proven
            s["proven_pct"] = round(100.0 * proven / len(rs), 2) if rs else None
        tgt = TARGETS[m]
        checks = {}
        if s["avg_dev_pct"] is not None:
            checks["avg_dev_pct"] = s["avg_dev_pct"] <= tgt["avg_dev_pct"]
        if "time_mean_s" in tgt and s["time_mean_s"] is not None:
            checks["time_mean_s"] = s["time_mean_s"] < tgt["time_mean_s"]
        if "proven_pct" in tgt and s.get("proven_pct") is not None:
            checks["proven_pct"] = s["proven_pct"] >= tgt["proven_pct"]
        checks["valid"] = s["invalid"] == 0
        s["targets"] = tgt
        s["targets_met"] = all(checks.values())
        s["checks"] = checks
        s["rows"] = rs
        summary["methods"][m] = s
    return summary


def _print_table(summary: dict[str, Any]) -> None:
    print(
        f"PSPLIB j30: {summary['instances']} instances (every {summary['every']}), "
        f"CP-SAT {summary['cpsat_time_limit_s']} s, {summary['workers']} workers"
    )
    hdr = f"{'method':<10} {'n':>4} {'avg dev %':>9} {'= opt':>6} {'proven':>7} {'t mean s':>9} {'t max s':>8}  targets"
    print(hdr)
    print("-" * len(hdr))
    for m, s in summary["methods"].items():
        proven = f"{s['proven_optimal']}" if "proven_optimal" in s else "-"
        tgt = ", ".join(f"{k}{'<=' if k != 'proven_pct' else '>='}{v}" for k, v in s["targets"].items())
        verdict = "MET" if s["targets_met"] else "NOT MET"
        print(
            f"{m:<10} {s['instances']:>4} {s['avg_dev_pct']!s:>9} {s['optimal_found']:>6} {proven:>7} "
            f"{s['time_mean_s']!s:>9} {s['time_max_s']!s:>8}  {verdict} ({tgt})"
        )
        if "proven_pct" in s:
            print(f"{'':<10} proven optimal: {s['proven_pct']}%")
    if summary.get("small"):
        print("note: --small is a CI smoke run on a biased sample; the targets refer to the full j30 set")


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        summary = run(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _print_table(summary)
    brief = {
        k: v
        if k != "methods"
        else {m: {kk: vv for kk, vv in s.items() if kk != "rows"} for m, s in v.items()}
        for k, v in summary.items()
    }
    print(json.dumps(brief, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
