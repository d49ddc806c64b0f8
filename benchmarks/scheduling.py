"""Scheduling benchmark: Charter's CPM engine on the seeded netgen networks.

For each size: full CPM (forward + backward pass, floats, critical flags and paths, all four dates as
calendar-correct datetimes) with a Mon-Fri 09:00-13:00 + 14:00-18:00 calendar and a few holidays a year,
timed from the netgen arrays in memory to dates and floats out (best and median of ``--repeat`` runs,
numba JIT warmed up first).  Peak memory is measured on a separate run with ``tracemalloc``.  Side by
side, a straightforward networkx forward/backward pass (no calendars) on the same network, if networkx is
installed, and the speed-up of Charter's engine over it.

Usage: ``python benchmarks/scheduling.py [--sizes 10000,100000,1000000] [--repeat 5] [--json PATH]
[--small] [--netgen PATH] [--strict]``.  Targets are reported as pass/fail; the exit status is non-zero
only with ``--strict`` (wall-clock targets are not something CI should fail on by default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_NETGEN = REPO.parent / "shared" / "bench" / "netgen.py"

# size -> (seconds, peak MB or None)
TARGETS: dict[int, tuple[float, float | None]] = {1_000_000: (1.5, 500.0), 10_000: (0.010, None)}
NX_SPEEDUP_TARGET = 20.0
PROJECT_START = dt.date(2025, 1, 6)  # a Monday


def _load_netgen(path: Path) -> Any:
    if not path.is_file():
        raise SystemExit(f"netgen not found at {path} (use --netgen PATH)")
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import netgen

    return netgen


def _calendar(n: int, years: int | None = None) -> Any:
    from charter.engine.calendar import WorkCalendar

    # netgen projects last about 0.7 working days per activity; leave a margin
    years = years or n // 300 + 3
    start = dt.date(PROJECT_START.year, 1, 1)
    end = dt.date(start.year + years, 12, 31)
    closures = [
        dt.date(y, m, d)
        for y in range(start.year, end.year + 1)
        for m, d in ((1, 1), (5, 1), (12, 25), (12, 26))
    ]
    return WorkCalendar(start, end, weekdays=range(5), shifts=((540, 780), (840, 1080)), holidays=closures)


def _charter_run(net: dict[str, Any], cal: Any) -> Any:
    from charter.engine.cpm import schedule

    mpd = cal.minutes_per_day
    return schedule(
        net["dur"] * mpd,
        net["src"],
        net["dst"],
        net["typ"],
        net["lag"] * mpd,
        calendar=cal,
        start=PROJECT_START,
    )


def _networkx_cpm(net: dict[str, Any]) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """Plain forward/backward pass in days with networkx (no calendars): es, ef, total float."""
    import networkx as nx

    g = nx.DiGraph()
    dur = net["dur"].tolist()
    g.add_nodes_from(range(len(dur)))
    for s, d, t, lag in zip(
        net["src"].tolist(), net["dst"].tolist(), net["typ"].tolist(), net["lag"].tolist(), strict=True
    ):
        g.add_edge(s, d, typ=t, lag=lag)
    order = list(nx.topological_sort(g))
    es: dict[int, int] = {}
    ef: dict[int, int] = {}
    for v in order:
        b = 0
        for u, _, a in g.in_edges(v, data=True):
            t, lag = a["typ"], a["lag"]
            x = (ef[u] if t in (0, 2) else es[u]) + lag - (dur[v] if t in (2, 3) else 0)
            b = max(b, x)
        es[v] = b
        ef[v] = b + dur[v]
    pf = max(ef.values(), default=0)
    lf: dict[int, int] = {}
    ls: dict[int, int] = {}
    for u in reversed(order):
        x = pf
        for _, v, a in g.out_edges(u, data=True):
            t, lag = a["typ"], a["lag"]
            y = (ls[v] if t in (0, 1) else lf[v]) - lag + (dur[u] if t in (1, 3) else 0)
            x = min(x, y)
        lf[u] = x
        ls[u] = x - dur[u]
    return es, ef, {u: lf[u] - ef[u] for u in order}


def _time(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        del out
        out = None
    out = fn()
    return times, out


def _peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        res = fn()
        del res
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6


def _maxrss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1e6 if sys.platform == "darwin" else r / 1e3


def run(sizes: list[int], repeat: int, nx_size: int, netgen_path: Path) -> dict[str, Any]:
    import numpy as np

    ng = _load_netgen(netgen_path)
    # warm up the JIT (compiled code comes from numba's cache after the first run ever)
    warm = ng.generate(200, variant="mixed")
    _charter_run(warm, _calendar(200))

    results: list[dict[str, Any]] = []
    charter_best: dict[int, float] = {}
    for n in sizes:
        net = ng.generate(n, variant="mixed")
        t0 = time.perf_counter()
        cal = _calendar(n)
        cal_s = time.perf_counter() - t0
        job = functools.partial(_charter_run, net, cal)
        times, res = _time(job, repeat)
        peak = _peak_mb(job)
        best = min(times)
        charter_best[n] = best
        target_s, target_mb = TARGETS.get(n, (None, None))
        ok = None
        if target_s is not None:
            ok = best < target_s and (target_mb is None or peak < target_mb)
        results.append(
            {
                "n": n,
                "links": int(net["src"].size),
                "best_s": round(best, 6),
                "median_s": round(statistics.median(times), 6),
                "repeat": repeat,
                "peak_mb": round(peak, 1),
                "calendar_build_s": round(cal_s, 4),
                "project_finish": str(res.project_finish_at),
                "critical_tasks": int(res.critical.sum()),
                "target_s": target_s,
                "target_mb": target_mb,
                "pass": ok,
            }
        )
        del res, net

    nx_result: dict[str, Any] = {"n": nx_size}
    try:
        import networkx  # noqa: F401
    except ImportError:
        nx_result["skipped"] = "networkx is not installed: comparison skipped"
    else:
        net = ng.generate(nx_size, variant="mixed")
        t0 = time.perf_counter()
        es, ef, tf = _networkx_cpm(net)
        nx_s = time.perf_counter() - t0
        cal = _calendar(nx_size)
        if nx_size in charter_best:
            ch_s = charter_best[nx_size]
            res = _charter_run(net, cal)
        else:
            times, res = _time(lambda: _charter_run(net, cal), repeat)
            ch_s = min(times)
        mpd = cal.minutes_per_day
        idx = range(nx_size)
        agree = bool(
            np.array_equal(res.es, np.array([es[i] for i in idx]) * mpd)
            and np.array_equal(res.ef, np.array([ef[i] for i in idx]) * mpd)
            and np.array_equal(res.total_float, np.array([tf[i] for i in idx]) * mpd)
        )
        speedup = nx_s / ch_s
        nx_result.update(
            {
                "networkx_s": round(nx_s, 4),
                "charter_s": round(ch_s, 6),
                "speedup": round(speedup, 1),
                "target_speedup": NX_SPEEDUP_TARGET,
                "dates_agree": agree,
                "pass": speedup >= NX_SPEEDUP_TARGET and agree,
            }
        )
    return {
        "benchmark": "scheduling",
        "variant": "mixed",
        "calendar": "Mon-Fri 09:00-13:00 + 14:00-18:00, closed Jan 1, May 1, Dec 25, Dec 26",
        "results": results,
        "networkx": nx_result,
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
    head = ["n", "links", "best s", "median s", "peak MB", "target s", "target MB", "result"]
    rows = [
        [
            f"{r['n']:,}",
            f"{r['links']:,}",
            f"{r['best_s']:.4f}",
            f"{r['median_s']:.4f}",
            f"{r['peak_mb']:.1f}",
            _fmt(r["target_s"]),
            _fmt(r["target_mb"]),
            _fmt(r["pass"]),
        ]
        for r in report["results"]
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    lines = [f"Charter CPM scheduling benchmark (netgen variant {report['variant']}; {report['calendar']})"]
    lines.append("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    nx = report["networkx"]
    if "skipped" in nx:
        lines.append(f"networkx at {nx['n']:,}: {nx['skipped']}")
    else:
        lines.append(
            f"networkx at {nx['n']:,}: {nx['networkx_s']:.3f} s vs Charter {nx['charter_s']:.4f} s "
            f"-> {nx['speedup']}x (target >= {nx['target_speedup']:.0f}x, dates agree: {nx['dates_agree']}) "
            f"{_fmt(nx['pass'])}"
        )
    lines.append(f"process max RSS: {report['max_rss_mb']} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scheduling", description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated activity counts")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per size (best and median reported)")
    ap.add_argument("--json", metavar="PATH", help="also write the JSON report to PATH")
    ap.add_argument("--small", action="store_true", help="CI mode: sizes 1000,10000; networkx at 10,000")
    ap.add_argument("--netgen", metavar="PATH", type=Path, default=DEFAULT_NETGEN, help="path to netgen.py")
    ap.add_argument("--nx-size", type=int, default=None, help="size for the networkx comparison")
    ap.add_argument("--strict", action="store_true", help="exit with status 1 if a target is missed")
    a = ap.parse_args(argv)
    if a.small:
        sizes = [1000, 10_000]
        nx_size = a.nx_size or 10_000
    else:
        sizes = [int(x) for x in a.sizes.replace("_", "").split(",") if x.strip()]
        nx_size = a.nx_size or 100_000
    if a.repeat < 1:
        ap.error("--repeat must be >= 1")
    src = REPO / "src"
    if src.is_dir() and str(src) not in sys.path:
        sys.path.insert(0, str(src))
    report = run(sizes, a.repeat, nx_size, a.netgen)
    print(render(report))
    text = json.dumps(report, indent=2)
    print(text)
    if a.json:
        Path(a.json).write_text(text + "\n")
    failed = [r for r in report["results"] if r["pass"] is False] or (report["networkx"].get("pass") is False)
    return 1 if (a.strict and failed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
