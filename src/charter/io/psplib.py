"""Loader for PSPLIB single-mode RCPSP files (``.sm``) and ``j30opt.sm``-style optimum tables.

The parser is our own (not the ``psplib`` PyPI package) because it must report malformed input with the
offending line number and keep the header data (horizon, due date) that the package drops; the tests
cross-check the results against the ``psplib`` package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from charter.engine.levelling import LevellingProblem, Link

__all__ = ["OptimumRecord", "PsplibFormatError", "PsplibInstance", "load_optimum", "load_sm", "parse_sm"]


class PsplibFormatError(ValueError):
    """Malformed PSPLIB file; ``path`` and 1-based ``line`` locate the problem."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


@dataclass
class PsplibInstance:
    """One single-mode PSPLIB instance (jobs are 0-based; job 0 / n-1 are the dummy source / sink)."""

    name: str
    durations: NDArray[np.int64]
    demands: NDArray[np.int64]
    """Shape ``(n_jobs, n_resources)``."""
    capacities: NDArray[np.int64]
    successors: list[list[int]]
    horizon: int
    release_date: int = 0
    due_date: int = 0
    mpm_time: int = 0

    @property
    def n_jobs(self) -> int:
        return int(self.durations.shape[0])

    @property
    def n_resources(self) -> int:
        return int(self.capacities.shape[0])

    def to_problem(self) -> LevellingProblem:
        """Engine input: finish-to-start links with lag 0, constant capacities."""
        links = [Link(j, s) for j, succ in enumerate(self.successors) for s in succ]
        return LevellingProblem(
            durations=self.durations.copy(),
            demands=self.demands.copy(),
            capacities=self.capacities.copy(),
            links=links,
            names=[f"job{j + 1}" for j in range(self.n_jobs)],
            resource_names=[f"R{r + 1}" for r in range(self.n_resources)],
        )


@dataclass(frozen=True)
class OptimumRecord:
    parameter: int
    instance: int
    makespan: int
    cpu_time: float

    @property
    def name_suffix(self) -> str:
        """``"<parameter>_<instance>"``, e.g. ``"1_1"`` for instance file ``j301_1.sm``."""
        return f"{self.parameter}_{self.instance}"


def _ints(path: str, lineno: int, text: str, what: str) -> list[int]:
    try:
        return [int(tok) for tok in text.split()]
    except ValueError:
        raise PsplibFormatError(path, lineno, f"expected integers in {what}, got {text.strip()!r}") from None


def _header_int(path: str, lines: list[str], label: str) -> tuple[int, int]:
    for i, line in enumerate(lines):
        if line.lower().lstrip().startswith(label):
            _, _, rest = line.partition(":")
            m = re.match(r"\s*(-?\d+)", rest)
            if not m:
                raise PsplibFormatError(path, i + 1, f"no integer after {label!r}: {line.strip()!r}")
            return int(m.group(1)), i
    raise PsplibFormatError(path, None, f"missing header line {label!r}")


def _section(path: str, lines: list[str], title: str, start: int = 0) -> int:
    for i in range(start, len(lines)):
        if lines[i].strip().upper().startswith(title):
            return i
    raise PsplibFormatError(path, None, f"missing section {title!r}")


def _data_rows(lines: list[str], start: int, count: int) -> list[tuple[int, str]]:
    """The next ``count`` lines after ``start`` that start with a digit (skipping headers / rules)."""
    rows: list[tuple[int, str]] = []
    i = start
    while i < len(lines) and len(rows) < count:
        s = lines[i].strip()
        if s.startswith("*") or s.startswith("="):
            break
        if s[:1].isdecimal():
            rows.append((i, lines[i]))
        i += 1
    return rows


def parse_sm(text: str, name: str = "<string>") -> PsplibInstance:
    """Parse the text of a single-mode PSPLIB ``.sm`` file; raise :class:`PsplibFormatError`."""
    path = name
    lines = text.splitlines()
    n, _ = _header_int(path, lines, "jobs (incl. supersource/sink )")
    horizon, _ = _header_int(path, lines, "horizon")
    n_res, res_line = _header_int(path, lines, "- renewable")
    if n <= 0:
        raise PsplibFormatError(path, None, f"number of jobs must be positive, got {n}")
    if n_res < 0:
        raise PsplibFormatError(path, res_line + 1, "negative number of renewable resources")

    release = due = mpm = 0
    try:
        p = _section(path, lines, "PROJECT INFORMATION")
        rows = _data_rows(lines, p + 1, 1)
        if rows:
            vals = _ints(path, rows[0][0] + 1, rows[0][1], "project information")
            if len(vals) >= 6:
                release, due, mpm = vals[2], vals[3], vals[5]
    except PsplibFormatError as exc:
        if exc.line is not None:
            raise

    p = _section(path, lines, "PRECEDENCE RELATIONS")
    rows = _data_rows(lines, p + 1, n)
    if len(rows) < n:
        ln = rows[-1][0] + 2 if rows else p + 2
        raise PsplibFormatError(path, ln, f"expected {n} precedence rows, found {len(rows)}")
    successors: list[list[int]] = []
    for k, (i, line) in enumerate(rows):
        vals = _ints(path, i + 1, line, "precedence row")
        if len(vals) < 3:
            raise PsplibFormatError(path, i + 1, f"precedence row needs jobnr, #modes, #successors: {line!r}")
        job, modes, nsucc, succ = vals[0], vals[1], vals[2], vals[3:]
        if job != k + 1:
            raise PsplibFormatError(path, i + 1, f"expected job number {k + 1}, got {job}")
        if modes != 1:
            raise PsplibFormatError(path, i + 1, f"only single-mode instances are supported (job {job})")
        if len(succ) != nsucc:
            raise PsplibFormatError(
                path, i + 1, f"job {job} declares {nsucc} successors but lists {len(succ)}"
            )
        for s in succ:
            if not 1 <= s <= n:
                raise PsplibFormatError(path, i + 1, f"job {job} has unknown successor {s}")
        successors.append([s - 1 for s in succ])

    p = _section(path, lines, "REQUESTS/DURATIONS")
    rows = _data_rows(lines, p + 1, n)
    if len(rows) < n:
        ln = rows[-1][0] + 2 if rows else p + 2
        raise PsplibFormatError(path, ln, f"expected {n} request/duration rows, found {len(rows)}")
    durations = np.zeros(n, dtype=np.int64)
    demands = np.zeros((n, n_res), dtype=np.int64)
    for k, (i, line) in enumerate(rows):
        vals = _ints(path, i + 1, line, "request/duration row")
        if len(vals) != 3 + n_res:
            raise PsplibFormatError(
                path,
                i + 1,
                f"expected {3 + n_res} numbers (jobnr, mode, duration, {n_res} demands), got {len(vals)}",
            )
        if vals[0] != k + 1:
            raise PsplibFormatError(path, i + 1, f"expected job number {k + 1}, got {vals[0]}")
        if vals[2] < 0 or min(vals[3:], default=0) < 0:
            raise PsplibFormatError(path, i + 1, "durations and demands must be non-negative")
        durations[k] = vals[2]
        demands[k] = vals[3:]

    p = _section(path, lines, "RESOURCEAVAILABILITIES")
    rows = _data_rows(lines, p + 1, 1)
    if not rows:
        raise PsplibFormatError(path, p + 2, "missing resource availability values")
    caps = _ints(path, rows[0][0] + 1, rows[0][1], "resource availabilities")
    if len(caps) < n_res:
        raise PsplibFormatError(path, rows[0][0] + 1, f"expected {n_res} capacities, got {len(caps)}")
    capacities = np.asarray(caps[:n_res], dtype=np.int64)
    return PsplibInstance(
        name=Path(name).stem,
        durations=durations,
        demands=demands,
        capacities=capacities,
        successors=successors,
        horizon=horizon,
        release_date=release,
        due_date=due,
        mpm_time=mpm,
    )


def load_sm(path: str | Path) -> PsplibInstance:
    """Read a PSPLIB single-mode ``.sm`` file."""
    p = Path(path)
    return parse_sm(p.read_text(encoding="latin-1"), str(p))


def load_optimum(path: str | Path) -> list[OptimumRecord]:
    """Read a ``j30opt.sm``-style table (Parameter, Instance, Makespan, CPU-time rows)."""
    p = Path(path)
    records: list[OptimumRecord] = []
    header_seen = False
    for i, line in enumerate(p.read_text(encoding="latin-1").splitlines()):
        s = line.strip()
        if s.lower().startswith(("paramter", "parameter")):
            header_seen = True
            continue
        if not header_seen or not s or s[0] in "-=":
            continue
        parts = s.split()
        if len(parts) < 3:
            raise PsplibFormatError(str(p), i + 1, f"expected 'parameter instance makespan [cpu]': {s!r}")
        try:
            rec = OptimumRecord(
                int(parts[0]), int(parts[1]), int(parts[2]), float(parts[3]) if len(parts) > 3 else 0.0
            )
        except ValueError:
            raise PsplibFormatError(str(p), i + 1, f"non-numeric optimum row: {s!r}") from None
        records.append(rec)
    if not header_seen:
        raise PsplibFormatError(str(p), None, "no 'Paramter Instance Makespan CPU-Time' header found")
    return records
