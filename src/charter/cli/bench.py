"""`charter bench scheduling|levelling|gantt|montecarlo|concurrency|load ...`: run the benchmark scripts of a source checkout."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import typer

import charter
from charter.cli.common import fail

bench_app = typer.Typer(
    help="Run the benchmarks under benchmarks/ (source checkouts only). Arguments after the name go to "
    "the benchmark; use `-- --help` for its own options.",
    no_args_is_help=True,
)

PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


def repo_root() -> Path:
    """The directory holding src/ (and benchmarks/) in a source checkout."""
    return Path(charter.__file__).resolve().parents[2]


def load(name: str) -> ModuleType:
    module = f"benchmarks.{name}"
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name not in ("benchmarks", module):
            raise
    root = repo_root()
    if not (
        (root / "benchmarks" / f"{name}.py").is_file()
        or (root / "benchmarks" / name / "__init__.py").is_file()
    ):
        fail(f"error: benchmarks/{name}.py not found under {root}; benchmarks need a source checkout")
    sys.path.insert(0, str(root))
    sys.modules.pop("benchmarks", None)
    return importlib.import_module(module)


def run(name: str, argv: list[str]) -> None:
    code = load(name).main(argv)
    if isinstance(code, int) and code:
        raise typer.Exit(code)


@bench_app.command("scheduling", context_settings=PASS_THROUGH)
def scheduling(ctx: typer.Context) -> None:
    """Scheduling (CPM) benchmark: forwards the remaining arguments to benchmarks/scheduling.py."""
    run("scheduling", list(ctx.args))


@bench_app.command("levelling", context_settings=PASS_THROUGH)
def levelling(ctx: typer.Context) -> None:
    """Resource-levelling benchmark: forwards the remaining arguments to benchmarks/levelling.py."""
    run("levelling", list(ctx.args))


@bench_app.command("gantt", context_settings=PASS_THROUGH)
def gantt(ctx: typer.Context) -> None:
    """Gantt page benchmark (live server + headless Chromium): forwards the arguments to benchmarks/gantt.py."""
    run("gantt", list(ctx.args))


@bench_app.command("reschedule", context_settings=PASS_THROUGH)
def reschedule(ctx: typer.Context) -> None:
    """Rescheduling benchmark: one API edit of a 10,000-task project; forwards to benchmarks/reschedule.py."""
    run("reschedule", list(ctx.args))


@bench_app.command("montecarlo", context_settings=PASS_THROUGH)
def montecarlo(ctx: typer.Context) -> None:
    """Monte Carlo schedule-risk benchmark: forwards the remaining arguments to benchmarks/montecarlo.py."""
    run("montecarlo", list(ctx.args))


@bench_app.command("concurrency", context_settings=PASS_THROUGH)
def concurrency(ctx: typer.Context) -> None:
    """Concurrency soak: two server processes on one database, many clients PATCHing the same records, then
    every optimistic-concurrency invariant checked; forwards to benchmarks/concurrency/."""
    run("concurrency", list(ctx.args))


@bench_app.command("load", context_settings=PASS_THROUGH)
def load_benchmark(ctx: typer.Context) -> None:
    """Load benchmark (locust on loopback): a 10,000-task project, 50 users with a realistic mix, against a
    bare endpoint as the ceiling; forwards to benchmarks/load/."""
    run("load", list(ctx.args))


@bench_app.command("search", context_settings=PASS_THROUGH)
def search_bench(ctx: typer.Context) -> None:
    """Search benchmark: the persistent full-text index vs a per-query build; forwards to benchmarks/search.py."""
    run("search", list(ctx.args))
