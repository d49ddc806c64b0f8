"""Gantt benchmark: a 5,000-task project served by a live uvicorn server in-process and drawn in headless
Chromium (Playwright).

Measured: the time from navigation start to the first paint of the Gantt bars (the page embeds the
schedule; gantt.js draws the visible rows and marks the frame after), and the time from a drag's mouseup to
the recomputed bars being drawn (the POST through services.tasks.update_task, the CPM recompute of the
whole project, the new schedule back and redrawn), median and worst over ``--drags`` drags.

The project is built through services.tasks in one transaction, with the per-call WBS renumbering and CPM
recompute deferred to one call each at the end (links are generated forwards only, so the per-link cycle
check is skipped too); the server then runs the ordinary code paths.

Also measured: the first drag after a server start (the plan cache emptied before the chart is opened,
which warms it, against emptied after it was opened, as before), and switching a fresh page to the Day
zoom (click to painted frame, and the number of elements the time scale then holds).

Each drag is also split into phases: the request (with the server's own spans from its Server-Timing
header: the edit with its recompute, reading what moved, the commit, the JSON), the download and its size,
JSON parsing, merging into the chart, layout, rendering the visible rows and the frame; gantt.js marks them
(``window.ganttMetrics.breakdowns``). ``--compare GITREF`` drags with that version's gantt.js too,
alternating on freshly loaded pages, so that both are measured under the same machine load.

Usage: ``python benchmarks/gantt.py [--tasks 5000] [--small] [--drags 5] [--json PATH] [--strict]
[--compare main] [--reuse PATH]``; also ``charter bench gantt``.  Targets: first paint < 2 s, drag answered < 300 ms (reported; the exit status
is non-zero only with ``--strict``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "benchmark-password"
TARGETS = {"first_paint_ms": 2000.0, "drag_ms": 300.0}
PER_PACKAGE = 50


@contextlib.contextmanager
def _deferred_recompute() -> Iterator[None]:
    """Build in bulk: skip the per-call renumbering, cycle check and recompute (done once afterwards)."""
    from charter.services import tasks

    saved = tasks.plan_changed, tasks.renumber, tasks.Network

    class _NoCycles:
        def __init__(self, *_: Any) -> None:
            pass

        def cycle_if_linked(self, *_: Any) -> None:
            return None

    tasks.plan_changed = lambda s, pid, **_: {}  # type: ignore[assignment]
    tasks.renumber = lambda s, pid: None  # type: ignore[assignment]
    tasks.Network = _NoCycles  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        tasks.plan_changed, tasks.renumber, tasks.Network = saved  # type: ignore[misc]


def build(db: Any, n: int, seed: int = 7) -> dict[str, Any]:
    from charter.services import accounts, projects, scheduling, tasks, work_packages
    from charter.services.context import SYSTEM

    rng = random.Random(seed)
    t0 = time.perf_counter()
    with db.uow() as s:
        uid = accounts.create_user(s, SYSTEM, username="bench", display_name="Bench PM", password=PASSWORD)[
            "id"
        ]
        pid = projects.create_project(
            s, SYSTEM, key="BIG", name="Big project", manager_id=uid, start_date=date(2026, 1, 5)
        )["id"]
        ids: list[int] = []
        with _deferred_recompute():
            wp = None
            for i in range(n):
                if i % PER_PACKAGE == 0:
                    wp = work_packages.create_work_package(
                        s, SYSTEM, pid, name=f"Package {i // PER_PACKAGE + 1}"
                    )["id"]
                milestone = i % PER_PACKAGE == PER_PACKAGE - 1
                t = tasks.create_task(
                    s, SYSTEM, pid, name=f"Task {i + 1}", work_package_id=wp, milestone=milestone,
                    duration=f"{rng.randint(1, 10)}d", position=i + 1,
                )  # fmt: skip
                ids.append(t["id"])
                if i:
                    preds = {i - 1} if rng.random() < 0.7 else set()
                    for _ in range(rng.choice((0, 1, 1, 2))):
                        preds.add(rng.randrange(max(0, i - 120), i))
                    for p in sorted(preds):
                        tasks.create_link(s, SYSTEM, pid, pred_id=ids[p], succ_id=t["id"])
        work_packages.renumber(s, pid)
        scheduling.plan_changed(s, pid)
    return {"project_id": pid, "task_ids": ids, "build_s": time.perf_counter() - t0}


class _Server:
    def __init__(self, db: Any):
        import socket

        import uvicorn

        from charter.app import create_app

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        cfg = uvicorn.Config(
            create_app(db), host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(cfg)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _pick_bar(page: Any, used: set[str]) -> dict[str, float]:
    """A draggable bar fully inside the visible chart area (right of the sticky grid), not dragged before."""
    pane = page.locator("#gantt .gantt-left").bounding_box()
    view = page.locator("#gantt .gantt-scroll").bounding_box()
    left, right = pane["x"] + pane["width"] + 20, view["x"] + view["width"] - 100
    bars = page.locator("#gantt .bars g.task.editable:not(.milestone)")
    for k in range(bars.count()):
        g = bars.nth(k)
        tid = g.get_attribute("data-id") or ""
        box = g.locator(".bar").bounding_box()
        if tid not in used and box and left < box["x"] < right and view["y"] + 60 < box["y"] < 850:
            used.add(tid)
            return dict(box)
    raise RuntimeError("no draggable bar in view")


# Installed before the page's scripts: one more frame after gantt.js's own "redrawn" frame, so that the
# browser's style, layout and paint of the new rows are counted too ("shown"), for any version of gantt.js.
FRAME_PROBE = """
window.ganttMetrics = { drags: [], frames: [] };
(function () {
  var d = window.ganttMetrics.drags, push = d.push;
  d.push = function (v) {
    var up = window.ganttMetrics.lastUp;
    requestAnimationFrame(function () { window.ganttMetrics.frames.push(performance.now() - up); });
    return push.apply(this, arguments);
  };
})();
"""
PHASES = ("request", "server", "download", "parse", "merge", "layout", "render", "frame")


def _server_ms(header: str) -> dict[str, float]:
    """The spans of a Server-Timing header ("update;dur=12.3, read;dur=4.5, ...") in ms."""
    out: dict[str, float] = {}
    for part in header.split(","):
        name, _, rest = part.strip().partition(";dur=")
        if name and rest:
            out[name] = float(rest)
    return out


def _drag_once(page: Any, used: set[str], i: int) -> dict[str, Any]:
    """Drag one bar two days right; the metrics gantt.js (and FRAME_PROBE) recorded for it."""
    try:
        box = _pick_bar(page, used)
    except RuntimeError:  # every bar in view was dragged once already: drag them again
        used.clear()
        box = _pick_bar(page, used)
    x, y = box["x"] + 4, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y)
    page.mouse.move(x + 60, y)
    page.mouse.up()
    deadline = time.monotonic() + 30
    while page.evaluate("window.ganttMetrics.frames.length") <= i:
        if time.monotonic() > deadline:
            raise RuntimeError(f"drag {i + 1} was not answered: {page.text_content('#gantt-status')}")
        page.wait_for_timeout(10)
    got: dict[str, Any] = page.evaluate(
        """() => { const m = window.ganttMetrics, k = m.drags.length - 1;
                   return {drag: m.drags[k], shown: m.frames[k], breakdown: (m.breakdowns || [])[k] || null}; }"""
    )
    return got


ZOOM_DAY = """async () => {
  const b = document.querySelector("[data-zoom='day']"), t = performance.now();
  b.click();
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return {ms: performance.now() - t,
          scale: document.querySelectorAll("#gantt .time-head *, #gantt .bg *").length};
}"""


def _zoom_day(page: Any) -> dict[str, float]:
    """Switch the freshly opened chart (Week zoom) to Day: the click to the frame after it is painted, and
    the number of elements the time scale (header and background) holds then."""
    got: dict[str, float] = page.evaluate(ZOOM_DAY)
    return got


def _breakdown(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Medians of each phase over the drags (server: the Server-Timing total; its spans as server_*)."""
    if not rows:
        return {}
    cols: dict[str, list[float]] = {}
    for r in rows:
        spans = _server_ms(r.get("server") or "")
        vals = {
            **{k: r[k] for k in PHASES if k != "server"},
            "server": spans.get("total", 0.0),
            "bytes": r["bytes"],
            "moved": r["moved"],
        }
        vals.update({f"server_{k}": v for k, v in spans.items() if k != "total"})
        for k, v in vals.items():
            cols.setdefault(k, []).append(float(v))
    return {k: round(statistics.median(v), 1) for k, v in cols.items()}


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    drags = [r["drag"] for r in runs]
    shown = [r["shown"] for r in runs]
    return {
        "drag_ms": statistics.median(drags),
        "drag_worst_ms": max(drags),
        "drag_runs_ms": [round(x, 1) for x in drags],
        "shown_ms": statistics.median(shown),
        "breakdown_ms": _breakdown([r["breakdown"] for r in runs if r["breakdown"]]),
        "tasks_moved_runs": [r["breakdown"]["moved"] for r in runs if r["breakdown"]],
        "breakdown_runs_ms": [_breakdown([r["breakdown"]]) for r in runs if r["breakdown"]],
    }


def _zoom_summary(rows: list[dict[str, float]]) -> dict[str, Any]:
    return {
        "zoom_day_ms": statistics.median(r["ms"] for r in rows),
        "zoom_day_runs_ms": [round(r["ms"], 1) for r in rows],
        "scale_elements_day": int(max(r["scale"] for r in rows)),
    }


def measure(url: str, pid: int, drags: int, compare: str | None = None) -> dict[str, Any]:
    """The first drag after a server start (the plan cache emptied before opening the chart, which warms
    it, and, as before the page warmed it, emptied after), first paint (median of 3 loads), then `drags`
    drags, each page switched to the Day zoom first (timed). With `compare` (gantt.js source of another
    version), each drag is made on a freshly loaded page, alternating this version and that one, so both
    see the same machine load; the results of the other version are under "compare"."""
    from playwright.sync_api import sync_playwright

    from charter.services import plan_cache

    out: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.add_init_script(FRAME_PROBE)
        variant = {"old": False}
        if compare is not None:

            def serve(route: Any) -> None:
                if variant["old"]:
                    route.fulfill(status=200, content_type="text/javascript", body=compare)
                else:
                    route.continue_()

            context.route("**/static/gantt.js*", serve)
        page = context.new_page()
        page.goto(f"{url}/login")
        page.get_by_label("Username").fill("bench")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/(desk|projects)$"))  # the desk when the user holds a role

        def open_gantt() -> float:
            page.goto(f"{url}/projects/{pid}/gantt")
            page.wait_for_selector("#gantt[data-ready='1']", state="attached", timeout=60_000)
            return float(page.evaluate("window.ganttMetrics.firstPaint"))

        open_gantt()  # one drag first: the engine's kernels loaded, as in a server that has scheduled once
        page.get_by_role("button", name="Day", exact=True).click()
        dragged: set[str] = set()
        _drag_once(page, dragged, 0)
        first: dict[str, list[float]] = {"warmed": [], "cold": []}
        # the server runs in this process: emptying its cache is a restart, for the drag
        for mode in ("warmed", "cold", "cold", "warmed"):
            plan_cache.clear()
            open_gantt()
            if mode == "cold":
                plan_cache.clear()
            page.get_by_role("button", name="Day", exact=True).click()
            first[mode].append(_drag_once(page, dragged, 0)["drag"])
        out["first_drag_ms"] = {k: round(statistics.median(v), 1) for k, v in first.items()}
        out["first_drag_runs_ms"] = {k: [round(x, 1) for x in v] for k, v in first.items()}
        paints = [open_gantt() for _ in range(3)]
        out["first_paint_ms"] = statistics.median(paints)
        out["first_paint_runs_ms"] = [round(x, 1) for x in paints]
        out["rows_drawn"] = page.locator("#gantt .bars g.task").count()
        used: set[str] = set()
        runs: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
        zooms: dict[bool, list[dict[str, float]]] = {False: [], True: []}
        if compare is None:
            zooms[False].append(_zoom_day(page))
            for i in range(drags):
                runs[False].append(_drag_once(page, used, i))
        else:
            for i in range(drags):
                for old in (False, True) if i % 2 == 0 else (True, False):
                    variant["old"] = old
                    open_gantt()
                    zooms[old].append(_zoom_day(page))
                    runs[old].append(_drag_once(page, used, 0))
        out.update(_summary(runs[False]), **_zoom_summary(zooms[False]))
        if compare is not None:
            out["compare"] = {**_summary(runs[True]), **_zoom_summary(zooms[True])}
            out["compare"]["ratio"] = round(out["compare"]["drag_ms"] / out["drag_ms"], 2)
        browser.close()
    return out


def _print_breakdown(b: dict[str, float]) -> None:
    """Where a drag's time goes (medians): the phases gantt.js marks, the server's own spans."""
    if not b:
        return
    print("  where the drag's time goes (median ms):")
    print(
        "    "
        + "  ".join(f"{k} {b[k]:.0f}" for k in PHASES if k in b)
        + f"  | payload {b['bytes'] / 1024:.1f} KiB, {b['moved']:.0f} tasks"
    )
    spans = [k for k in b if k.startswith("server_")]
    if spans:
        print("    server: " + "  ".join(f"{k[7:]} {b[k]:.0f}" for k in spans))


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="charter bench gantt", description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=5000)
    ap.add_argument("--small", action="store_true", help="500 tasks (CI smoke run)")
    ap.add_argument("--drags", type=int, default=5)
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON to PATH")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument(
        "--reuse",
        type=Path,
        default=None,
        metavar="PATH",
        help="keep the built project at PATH.<tasks>.db and use it again in later runs (saves the build)",
    )
    ap.add_argument(
        "--compare",
        metavar="GITREF",
        default=None,
        help="also drag with gantt.js as of GITREF (e.g. main), alternating with this one on fresh pages",
    )
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    n = 500 if args.small else args.tasks
    if not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM}", file=sys.stderr)
        return 2
    from charter.persistence.db import Database

    compare = None
    if args.compare:
        import subprocess

        compare = subprocess.run(
            ["git", "show", f"{args.compare}:src/charter/web/static/gantt.js"],
            cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="charter-gantt-") as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        saved = args.reuse and args.reuse.with_suffix(f".{n}.json")
        if saved and saved.exists():  # the project built by an earlier run, as it was before its drags
            db.dispose()
            shutil.copyfile(args.reuse.with_suffix(f".{n}.db"), f"{tmp}/bench.db")
            built = json.loads(saved.read_text())
        else:
            db.upgrade()
            built = build(db, n)
            if saved:
                db.dispose()
                shutil.copyfile(f"{tmp}/bench.db", args.reuse.with_suffix(f".{n}.db"))
                saved.write_text(json.dumps(built))
        with _Server(db) as server:
            res = measure(server.url, built["project_id"], args.drags, compare)
        db.dispose()
    result = {"tasks": n, "build_s": round(built["build_s"], 2), **res,
              "targets": TARGETS, "pass": {k: res[k] < v for k, v in TARGETS.items()}}  # fmt: skip
    print(f"Gantt benchmark: {n} tasks (built in {built['build_s']:.1f} s), {res['rows_drawn']} bars drawn")
    print(f"{'measure':<34}{'value':>10}{'target':>10}  ok")
    print(f"{'first paint of the bars (median)':<34}{res['first_paint_ms']:>8.0f}ms{TARGETS['first_paint_ms']:>8.0f}ms"
          f"  {'yes' if result['pass']['first_paint_ms'] else 'NO'}")  # fmt: skip
    print(f"{'drag mouseup -> redrawn (median)':<34}{res['drag_ms']:>8.0f}ms{TARGETS['drag_ms']:>8.0f}ms"
          f"  {'yes' if result['pass']['drag_ms'] else 'NO'}")  # fmt: skip
    print(f"{'drag mouseup -> redrawn (worst)':<34}{res['drag_worst_ms']:>8.0f}ms")
    print(f"{'drag mouseup -> next frame shown':<34}{res['shown_ms']:>8.0f}ms")
    fd = res["first_drag_ms"]
    print(
        f"{'first drag after a start (median)':<34}{fd['warmed']:>8.0f}ms   cache not warmed by the page {fd['cold']:.0f}ms"
    )
    print(
        f"{'zoom to Day -> painted (median)':<34}{res['zoom_day_ms']:>8.0f}ms   scale elements {res['scale_elements_day']}"
    )
    _print_breakdown(res["breakdown_ms"])
    if "compare" in res:
        old = res["compare"]
        print(f"gantt.js as of {args.compare}, alternating with this one on fresh pages:")
        print(f"{'  drag -> redrawn (median)':<34}{old['drag_ms']:>8.0f}ms   this one {res['drag_ms']:.0f}ms,"
              f" ratio {old['ratio']:.2f}")  # fmt: skip
        print(
            f"{'  drag -> next frame shown':<34}{old['shown_ms']:>8.0f}ms   this one {res['shown_ms']:.0f}ms"
        )
        print(
            f"{'  zoom to Day -> painted':<34}{old['zoom_day_ms']:>8.0f}ms   this one {res['zoom_day_ms']:.0f}ms,"
            f" scale elements {old['scale_elements_day']} (this one {res['scale_elements_day']})"
        )
        _print_breakdown(old["breakdown_ms"])
    with contextlib.suppress(OSError):
        result["load_average"] = [round(x, 2) for x in os.getloadavg()]
        print(f"load average {result['load_average']}")
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 1 if args.strict and not all(result["pass"].values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
