"""Monte Carlo benchmark: Charter's schedule-risk engine on the seeded netgen networks.

For each case (tasks x iterations): :func:`charter.engine.montecarlo.simulate` on the netgen ``mixed``
network (default seed) with its lo/mode/hi as triangular estimates, lags in days, timed end to end (best
of ``--repeat``, numba JIT warmed up first): sampling, forward and backward pass per iteration,
criticality, rank-correlation sensitivity, percentiles and histograms.  Peak memory is measured on a
separate run with ``tracemalloc`` (every large array of the engine is a numpy array), and a memory
check runs the first case's network with one and four chunks of iterations: the peak must grow with
tasks, not with tasks x iterations (only the finish/cost samples and their ranks grow with iterations).

The speed-up target (20x) applies to the cases with a time target; other cases report it only.

Side by side, the baseline: a per-iteration loop over the CPM engine (:func:`charter.engine.cpm.schedule`
once per iteration with triangular durations drawn by numpy, in working minutes on an 8-hour-day
calendar), timed on ``--loop-iterations`` iterations and extrapolated per iteration.  The two must agree
within sampling error: the loop's P50 and P80 must lie between the vectorised run's quantiles at
``p -/+ 3 sqrt(p (1 - p) / n_loop)`` (a distribution-free 3-sigma interval for a sample quantile of
``n_loop`` draws; the vectorised run's own error is much smaller).

Usage: ``python benchmarks/montecarlo.py [--cases 10000x10000,100000x1000] [--repeat 1]
[--loop-iterations 50] [--json PATH] [--small] [--netgen PATH] [--strict]``.  Targets are reported as
pass/fail; the exit status is non-zero only with ``--strict``.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import platform
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_NETGEN = REPO.parent / "shared" / "bench" / "netgen.py"

# (tasks, iterations) -> seconds
TARGETS: dict[tuple[int, int], float] = {(10_000, 10_000): 2.5, (100_000, 1_000): 4.0}
PEAK_TARGET_MB = 1024.0
SPEEDUP_TARGET = 20.0
Z = 3.0


def _load_netgen(path: Path) -> Any:
    if not path.is_file():
        raise SystemExit(f"netgen not found at {path} (use --netgen PATH)")
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import netgen

    return netgen


def _simulate(net: dict[str, Any], iterations: int, seed: int = 1) -> Any:
    from charter.engine.montecarlo import ThreePoint, simulate

    return simulate(
        ThreePoint(net["lo"], net["mode"], net["hi"]),
        net["src"],
        net["dst"],
        net["typ"],
        net["lag"],
        iterations=iterations,
        seed=seed,
    )


def _loop(net: dict[str, Any], iterations: int, seed: int = 2) -> tuple[float, Any]:
    """Per-iteration loop over charter.engine.cpm.schedule; returns (seconds, finishes in days)."""
    import numpy as np

    from benchmarks.scheduling import PROJECT_START, _calendar
    from charter.engine.cpm import schedule

    n = net["dur"].size
    cal = _calendar(n)
    mpd = cal.minutes_per_day
    rng = np.random.default_rng(seed)
    lag = net["lag"] * mpd
    lo, mode, hi = net["lo"], net["mode"], net["hi"]
    out = np.empty(iterations)
    t0 = time.perf_counter()
    for i in range(iterations):
        d = np.rint(rng.triangular(lo, mode, hi) * mpd).astype(np.int64)
        out[i] = schedule(
            d, net["src"], net["dst"], net["typ"], lag, calendar=cal, start=PROJECT_START
        ).project_finish
    return time.perf_counter() - t0, out / mpd


def _peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        res = fn()
        del res
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def _maxrss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 2**20 if sys.platform == "darwin" else r / 2**10


def _agree(vec: Any, loop: Any, p: float) -> dict[str, Any]:
    import numpy as np

    h = Z * math.sqrt(p * (1 - p) / loop.size)
    lo, hi = np.quantile(vec, [max(0.0, p - h), min(1.0, p + h)])
    got = float(np.quantile(loop, p))
    return {
        "p": p,
        "vectorised": round(float(np.quantile(vec, p)), 3),
        "loop": round(got, 3),
        "band": [round(float(lo), 3), round(float(hi), 3)],
        "agree": bool(lo <= got <= hi),
    }


def run(cases: list[tuple[int, int]], repeat: int, loop_iterations: int, netgen_path: Path) -> dict[str, Any]:
    ng = _load_netgen(netgen_path)
    _simulate(ng.generate(200, variant="mixed"), 200)  # JIT warm-up (numba's cache after the first run ever)
    _loop(ng.generate(200, variant="mixed"), 2)

    results: list[dict[str, Any]] = []
    for n, k in cases:
        net = ng.generate(n, variant="mixed")
        times = []
        res = None
        for _ in range(repeat):
            del res
            t0 = time.perf_counter()
            res = _simulate(net, k)
            times.append(time.perf_counter() - t0)
        assert res is not None
        best = min(times)
        peak = _peak_mb(functools.partial(_simulate, net, k))
        loop_s, loop_fin = _loop(net, loop_iterations)
        per_iter = loop_s / loop_iterations
        speedup = per_iter * k / best
        agree = [_agree(res.finish, loop_fin, p) for p in (0.5, 0.8)]
        target = TARGETS.get((n, k))
        ok_time = None if target is None else best < target
        results.append(
            {
                "tasks": n,
                "links": int(net["src"].size),
                "iterations": k,
                "best_s": round(best, 3),
                "runs_s": [round(t, 3) for t in times],
                "peak_mb": round(peak, 1),
                "bytes_per_task": round(peak * 2**20 / n),
                "target_s": target,
                "target_mb": PEAK_TARGET_MB,
                "p50": round(res.finish_percentiles[50.0], 2),
                "p80": round(res.finish_percentiles[80.0], 2),
                "p90": round(res.finish_percentiles[90.0], 2),
                "deterministic_finish": res.deterministic_finish,
                "mean_criticality": round(float(res.criticality.mean()), 4),
                "loop_iterations": loop_iterations,
                "loop_s_per_iteration": round(per_iter, 5),
                "loop_extrapolated_s": round(per_iter * k, 2),
                "speedup": round(speedup, 1),
                "target_speedup": SPEEDUP_TARGET,
                "agreement": agree,
                "pass_time": ok_time,
                "pass_memory": peak < PEAK_TARGET_MB,
                "pass_speedup": None if target is None else speedup >= SPEEDUP_TARGET,
                "pass_agreement": all(a["agree"] for a in agree),
            }
        )
        del res, net

    # memory scaling: the first case's tasks with one and four chunks of iterations
    from charter.engine.montecarlo import MAX_CHUNK

    n = cases[0][0]
    net = ng.generate(n, variant="mixed")
    k1, k4 = MAX_CHUNK, 4 * MAX_CHUNK
    m1 = _peak_mb(lambda: _simulate(net, k1))
    m4 = _peak_mb(lambda: _simulate(net, k4))
    growth = (m4 - m1) * 2**20 / (k4 - k1)
    scaling = {
        "tasks": n,
        "iterations": [k1, k4],
        "peak_mb": [round(m1, 1), round(m4, 1)],
        "bytes_per_extra_iteration": round(growth, 1),
        # finish and cost samples plus their ranks/centred copies: a few dozen bytes per iteration, never
        # a per-task amount (that would be n * 4 bytes or more)
        "pass": growth < max(256.0, 0.5 * n),
    }
    return {
        "benchmark": "montecarlo",
        "variant": "mixed (netgen default seed), lo/mode/hi triangular, lags in days",
        "results": results,
        "memory_scaling": scaling,
        "max_rss_mb": round(_maxrss_mb(), 1),
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu",
    }


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if v is True:
        return "pass"
    if v is False:
        return "FAIL"
    return str(v)


def render(report: dict[str, Any]) -> str:
    head = [
        "tasks",
        "iters",
        "best s",
        "target s",
        "peak MB",
        "loop s/it",
        "loop est s",
        "speedup",
        "P50",
        "P80",
    ]
    head += ["agree", "time", "mem", "x20"]
    rows = []
    for r in report["results"]:
        rows.append(
            [
                f"{r['tasks']:,}",
                f"{r['iterations']:,}",
                f"{r['best_s']:.3f}",
                _fmt(r["target_s"]),
                f"{r['peak_mb']:.1f}",
                f"{r['loop_s_per_iteration']:.4f}",
                f"{r['loop_extrapolated_s']:.1f}",
                f"{r['speedup']:.1f}x",
                f"{r['p50']:.1f}",
                f"{r['p80']:.1f}",
                _fmt(r["pass_agreement"]),
                _fmt(r["pass_time"]),
                _fmt(r["pass_memory"]),
                _fmt(r["pass_speedup"]),
            ]
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    lines = [f"Charter Monte Carlo benchmark (netgen {report['variant']})"]
    lines.append("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    for r in report["results"]:
        for a in r["agreement"]:
            lines.append(
                f"  {r['tasks']:,} tasks P{round(a['p'] * 100)}: loop ({r['loop_iterations']} its) {a['loop']} within "
                f"vectorised quantile band {a['band']} -> {_fmt(a['agree'])}"
            )
    s = report["memory_scaling"]
    lines.append(
        f"memory at {s['tasks']:,} tasks: {s['peak_mb'][0]} MB at {s['iterations'][0]:,} iterations, "
        f"{s['peak_mb'][1]} MB at {s['iterations'][1]:,} ({s['bytes_per_extra_iteration']} bytes per extra "
        f"iteration) -> {_fmt(s['pass'])}"
    )
    lines.append(f"process max RSS: {report['max_rss_mb']} MB")
    return "\n".join(lines)


def _cases(text: str) -> list[tuple[int, int]]:
    out = []
    for part in text.replace("_", "").split(","):
        if part.strip():
            n, k = part.lower().split("x")
            out.append((int(n), int(k)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="montecarlo", description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--cases", default="10000x10000,100000x1000", help="comma-separated TASKSxITERATIONS")
    ap.add_argument("--repeat", type=int, default=1, help="timed runs per case (best reported)")
    ap.add_argument("--loop-iterations", type=int, default=None, help="iterations of the per-iteration loop")
    ap.add_argument("--json", metavar="PATH", help="also write the JSON report to PATH")
    ap.add_argument("--small", action="store_true", help="CI mode: 1,000 tasks x 1,000 iterations, loop 20")
    ap.add_argument("--netgen", metavar="PATH", type=Path, default=DEFAULT_NETGEN, help="path to netgen.py")
    ap.add_argument("--strict", action="store_true", help="exit with status 1 if a target is missed")
    a = ap.parse_args(argv)
    cases = [(1000, 1000)] if a.small else _cases(a.cases)
    loop_iterations = a.loop_iterations or (20 if a.small else 50)
    if a.repeat < 1 or loop_iterations < 2 or not cases:
        ap.error("--repeat must be >= 1, --loop-iterations >= 2, and at least one case given")
    for p in (REPO / "src", REPO):
        if p.is_dir() and str(p) not in sys.path:
            sys.path.insert(0, str(p))
    report = run(cases, a.repeat, loop_iterations, a.netgen)
    print(render(report))
    text = json.dumps(report, indent=2)
    print(text)
    if a.json:
        Path(a.json).write_text(text + "\n")
    failed = report["memory_scaling"]["pass"] is False or any(
        r[key] is False
        for r in report["results"]
        for key in ("pass_time", "pass_memory", "pass_speedup", "pass_agreement")
    )
    return 1 if (a.strict and failed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
