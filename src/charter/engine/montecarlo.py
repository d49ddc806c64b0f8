"""Monte Carlo schedule and cost risk analysis over the CPM network, vectorised across iterations.

Model
-----
- **Time** is in the caller's working-time unit (float days or working minutes): durations, lags, risk
  delays and the results (project finish offsets from the project start, which is 0).  Calendars are
  applied by the caller (:mod:`charter.engine.calendar` turns offsets into dates).
- **Links** as in :mod:`charter.engine.cpm`: parallel arrays ``src, dst, typ, lag`` with ``typ`` 0 = FS,
  1 = SS, 2 = FF, 3 = SF and lags (possibly negative) in the time unit; a percent lag (``lag_percent``) is
  of the predecessor's duration in each iteration.  No task starts before 0 (unless a constraint pins it
  there).  A task is critical in an
  iteration when its total float (late finish from a backward pass capped by that iteration's project
  finish and the task's constraints, minus early finish) is at most ``critical_threshold`` - the CPM
  definition of :mod:`charter.engine.cpm`.
- **Progress** (optional, :class:`Actuals`, as :mod:`charter.engine.cpm` handles it): the remaining work
  is simulated from the status time.  A complete task keeps its actual dates (without an actual finish it
  spans its most likely duration from its actual start, or from where logic puts it); it does not vary,
  its risk events cannot delay it, it is never critical and does not constrain its predecessors.  A
  started task starts at its actual start (links into it ignored), or where logic puts it without one;
  its ``duration`` estimate is that of its *remaining* work, which resumes no earlier than
  ``max(status time, start + work done)``.  A task not started starts no earlier than the status time.
  Without progress every task runs from the project start, as before.
- **Constraints** (optional, :class:`Constraints`: :class:`charter.engine.cpm.Constraint` codes, instants
  and deadlines), applied in every iteration to the sampled durations ``d`` as :mod:`charter.engine.cpm`
  applies them: on a task placed by logic (no actual start or finish: actual dates win) SNET is a floor
  on the start, FNET a floor on the start at ``c - d``, MSO pins the start at ``c`` and MFO at ``c - d``
  (pins hold against the logic and the status time, and may start a task before 0).  In the backward
  pass FNLT, MFO and the deadline cap the late finish at ``c``, SNLT and MSO at ``c + d``: a task that
  misses one has negative float and is critical in that iteration.  ASAP and ALAP have no effect (ALAP
  only moves a task within its free float, which changes neither the project finish nor the float).
  Constraints and actuals share the kernels' progress arrays; without either the kernels skip them.
- **Estimates** are three-point (:class:`ThreePoint`: low <= mode <= high) with a distribution per task:
  triangular, PERT-beta (alpha = 1 + 4 (m - a) / (b - a), beta = 1 + 4 (b - m) / (b - a); mean
  (a + 4 m + b) / 6; sampled by interpolation in a precomputed quantile table) or uniform.  A fixed value
  is the three points equal.  Every value is drawn by inverting its distribution function at a uniform
  probability ``u``.
- **Costs** (optional): a sampled three-point cost per task plus a fixed cost per task, plus the cost
  impacts of the risk events that occur.  Cost samples are independent of the duration samples.
- **Risk events** (:class:`Risks`, optional): each is attached to one task; in each iteration it occurs
  with its probability and then adds its delay (three-point or fixed) to the task's duration and its cost
  impact to the project cost.
- **Correlation** (optional): tasks are put in groups, each group with a coefficient ``rho`` in [0, 1].
  Within a group durations follow a one-factor Gaussian copula: ``u_i = Phi(sqrt(rho) Z_g +
  sqrt(1 - rho) e_i)`` with ``Z_g`` and ``e_i`` independent standard normals, so any two tasks of the
  group have normal-score correlation ``rho`` (rank correlation ``6/pi asin(rho/2)``; 1 when ``rho`` is 1:
  the tasks then move exactly together) and each keeps its own distribution.
- **Sensitivity** of a task is Spearman's rank correlation between its duration and the project finish.
  The duration's rank is taken as its probability ``u`` (its population rank; the two differ by sampling
  noise of order ``1/sqrt(K)``), so the variable depends only on the task's estimate, not on its risk
  events.  The finish ranks are known only when all iterations are done, so a second pass regenerates
  the same random numbers chunk by chunk (no CPM pass) and sums ``u x rank`` per task: exact, and no
  per-iteration per-task storage.
  **Cruciality** = criticality x sensitivity.  The **tornado** lists the strongest drivers (tasks and
  risk events, by absolute sensitivity) with the mean finish when the task is in the lowest/highest
  decile of its distribution (risk: when the event does not / does occur).
- **Determinism**: random numbers come from PCG64 streams, one per block of 64 iterations and kind of
  number (durations, costs, risks, copula factors), seeded by ``SeedSequence(seed, spawn_key=(block,
  kind))`` and drawn before the (parallel) kernels, so results depend
  only on the inputs and the seed - not on the chunk size, the thread count or the thread scheduling.
- **Memory**: iterations run in chunks sized by ``memory_budget`` (random numbers of one chunk); per task
  only accumulators are kept, and the finish and cost samples (length ``K``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import IntEnum
from functools import cache

import numba
import numpy as np
import numpy.typing as npt

from charter.engine import _cpm_kernels as ck
from charter.engine import _mc_kernels as mk
from charter.engine.cpm import Constraint, CycleError, topological_order

__all__ = [
    "Actuals",
    "Constraints",
    "Distribution",
    "Driver",
    "Histogram",
    "MonteCarloCancelled",
    "MonteCarloError",
    "MonteCarloResult",
    "Risks",
    "ThreePoint",
    "simulate",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
F32 = npt.NDArray[np.float32]
Progress = Callable[[float, str], None]

W = 64  # iterations per random block (one random stream each)
PASS1 = 0.75  # share of the progress reported for the first pass
SCRATCH = 64 << 20  # bytes of working arrays per kernel thread
MAX_CHUNK = 4096  # iterations per chunk at most (peak memory: tasks x chunk, never tasks x iterations)
MAX_ITERATIONS = 1_000_000


class Distribution(IntEnum):
    TRIANGULAR = 0
    PERT = 1
    UNIFORM = 2


class MonteCarloCancelled(Exception):
    """The ``cancel`` callback asked the run to stop; ``done`` iterations of the current pass were finished.
    No partial result exists (the statistics need every iteration)."""

    def __init__(self, done: int):
        self.done = done
        super().__init__(f"cancelled after {done} iterations")


class MonteCarloError(ValueError):
    """Invalid input; ``task`` / ``risk`` (indices) and ``field`` say where, when it is about one item."""

    def __init__(self, message: str, *, task: int | None = None, risk: int | None = None, field: str = ""):
        self.task = task
        self.risk = risk
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class ThreePoint:
    """Three-point estimates, one per item: ``low`` (optimistic) <= ``mode`` (most likely) <= ``high``
    (pessimistic); ``distribution``: one :class:`Distribution` code per item, or one for all."""

    low: npt.ArrayLike
    mode: npt.ArrayLike
    high: npt.ArrayLike
    distribution: npt.ArrayLike = Distribution.TRIANGULAR

    @classmethod
    def fixed(cls, value: npt.ArrayLike) -> ThreePoint:
        return cls(value, value, value)


@dataclass(frozen=True)
class Risks:
    """Risk events, parallel per event: the ``task`` it delays, its ``probability`` in [0, 1], its
    ``delay`` (>= 0; None = no delay) and ``cost`` impact (None = no cost)."""

    task: npt.ArrayLike
    probability: npt.ArrayLike
    delay: ThreePoint | None = None
    cost: ThreePoint | None = None


@dataclass(frozen=True)
class Actuals:
    """Progress at the status time, in the time unit and from the origin of the durations.

    ``status``: the status time (None: remaining work resumes where the logic and the work done put it).
    Per task (arrays, or one value for all): ``start`` / ``finish`` the actual start / finish (NaN: none; an
    actual finish makes the task complete), ``done`` the work done (>= 0; > 0 makes it started),
    ``complete`` (100 % without an actual finish).  For a started task that is not complete the ``duration``
    estimate passed to :func:`simulate` is that of its remaining work."""

    status: float | None = None
    start: npt.ArrayLike = np.nan
    finish: npt.ArrayLike = np.nan
    done: npt.ArrayLike = 0.0
    complete: npt.ArrayLike = False


@dataclass(frozen=True)
class Constraints:
    """Date constraints and deadlines, in the time unit and from the origin of the durations.

    Per task (arrays, or one value for all): ``kind`` a :class:`charter.engine.cpm.Constraint` code (ASAP
    0, ALAP 1, SNET 2, SNLT 3, FNET 4, FNLT 5, MSO 6, MFO 7), ``at`` its instant (NaN: none; required from
    SNET on, ignored for ASAP and ALAP), ``deadline`` (NaN: none)."""

    kind: npt.ArrayLike = Constraint.ASAP
    at: npt.ArrayLike = np.nan
    deadline: npt.ArrayLike = np.nan


@dataclass(frozen=True)
class _Prog:
    """Progress and constraints as the kernels read them (see ``_mc_kernels.forward`` and
    ``_mc_kernels.backward_critical``); ``rank`` puts them in rank order."""

    on: bool
    mode: I8
    bound: F64
    resume: F64
    done: npt.NDArray[np.bool_]
    floor: F64
    capf: F64
    caps: F64

    def rank(self, o: I64) -> _Prog:
        if not self.on:
            return self
        return _Prog(True, self.mode[o], self.bound[o], self.resume[o], self.done[o], self.floor[o],
                     self.capf[o], self.caps[o])  # fmt: skip


NO_RESUME = -1e300  # presume of a task whose remaining work does not wait for the status time
NO_FLOOR = -1e300  # finish floor (FNET) of a task without one
NO_CAP = 1e300  # late finish / late start cap of a task without one


def _neutral(n: int) -> _Prog:
    """Progress on, with nothing started and no constraint: the same results as progress off."""
    return _Prog(True, np.zeros(n, np.int8), np.zeros(n), np.full(n, NO_RESUME), np.zeros(n, np.bool_),
                 np.full(n, NO_FLOOR), np.full(n, NO_CAP), np.full(n, NO_CAP))  # fmt: skip


def _progress(act: Actuals | None, n: int, lo: F64, md: F64, hi: F64) -> tuple[_Prog, F64, F64, F64]:
    """The kernels' progress arrays (task order) and the durations as they are sampled: a started task's
    work done plus its remaining estimate, a complete task's actual (or most likely) span, fixed."""
    if act is None:
        z = np.zeros(1)
        return _Prog(False, np.zeros(1, np.int8), z, z, np.zeros(1, np.bool_), z, z, z), lo, md, hi
    try:
        a_start = np.broadcast_to(np.asarray(act.start, dtype=np.float64), (n,))
        a_fin = np.broadcast_to(np.asarray(act.finish, dtype=np.float64), (n,))
        comp = np.broadcast_to(np.asarray(act.complete, dtype=np.bool_), (n,))
    except ValueError:
        raise _fail(f"actuals must have one value per task ({n})", field="actuals") from None
    done = _floats(act.done, n, "actuals.done", "task")
    bad = done < 0
    if bad.any():
        i = int(np.argmax(bad))
        raise _fail(f"task {i}: actuals.done ({done[i]:g}) is negative", task=i, field="actuals.done")
    status = None if act.status is None else float(act.status)
    if status is not None and not np.isfinite(status):
        raise _fail("actuals.status is not a finite number", field="actuals.status")
    has_s, has_f = np.isfinite(a_start), np.isfinite(a_fin)
    complete = comp | has_f
    started = complete | has_s | (done > 0)
    lo, md, hi = lo.copy(), md.copy(), hi.copy()
    run = started & ~complete
    lo[run] += done[run]
    md[run] += done[run]
    hi[run] += done[run]
    start = np.where(has_s, a_start, np.where(has_f, a_fin - md, 0.0))
    span = np.where(has_f, np.maximum(a_fin - start, 0.0), md)
    lo[complete] = md[complete] = hi[complete] = span[complete]
    mode = has_s | has_f
    bound = np.where(mode, start, 0.0)
    if status is not None:
        bound = np.where(started, bound, max(status, 0.0))
    resume = np.full(n, NO_RESUME)
    if status is not None:
        resume[run] = status - done[run]
    neutral = _neutral(n)
    prog = _Prog(True, mode.astype(np.int8), bound, resume, complete.astype(np.bool_), neutral.floor,
                 neutral.capf, neutral.caps)  # fmt: skip
    return prog, lo, md, hi


def _instants(a: npt.ArrayLike, n: int, name: str) -> F64:
    """Per-task instants of ``constraints.<name>``: finite numbers or NaN (none)."""
    try:
        x = np.broadcast_to(np.asarray(a, dtype=np.float64), (n,))
    except (TypeError, ValueError):
        raise _fail(
            f"constraints.{name} must have one number per task ({n})", field=f"constraints.{name}"
        ) from None
    bad = np.isinf(x)
    if bad.any():
        i = int(np.argmax(bad))
        raise _fail(f"task {i}: constraints.{name} is infinite (NaN means none)", task=i,
                    field=f"constraints.{name}")  # fmt: skip
    return x


def _constrain(prg: _Prog, con: Constraints | None, n: int) -> _Prog:
    """Fold the constraints into the kernels' arrays (task order), as :mod:`charter.engine.cpm` applies
    them: on a task placed by logic (no actual start or finish) SNET raises the start bound, FNET sets the
    finish floor, MSO / MFO pin the start / finish (modes 1 / 2); on every task SNLT, FNLT, MSO, MFO and
    the deadline cap the late dates."""
    if con is None:
        return prg
    if not isinstance(con, Constraints):
        raise _fail("constraints must be a Constraints", field="constraints")
    try:
        raw = np.broadcast_to(np.asarray(con.kind), (n,))
    except ValueError:
        raise _fail(
            f"constraints.kind must have one value per task ({n})", field="constraints.kind"
        ) from None
    if n and not (np.issubdtype(raw.dtype, np.integer) or np.issubdtype(raw.dtype, np.floating)):
        raise _fail("constraints.kind must hold Constraint codes 0..7", field="constraints.kind")
    rawf = raw.astype(np.float64)
    bad = ~np.isfinite(rawf) | (rawf < Constraint.ASAP) | (rawf > Constraint.MFO) | (rawf != np.round(rawf))
    if bad.any():
        i = int(np.argmax(bad))
        raise _fail(f"task {i}: constraints.kind ({raw[i]}) is not a Constraint code 0..7", task=i,
                    field="constraints.kind")  # fmt: skip
    kind = rawf.astype(np.int8)
    c = _instants(con.at, n, "at")
    deadline = _instants(con.deadline, n, "deadline")
    dated = kind >= Constraint.SNET
    bad = dated & np.isnan(c)
    if bad.any():
        i = int(np.argmax(bad))
        raise _fail(f"task {i}: its {Constraint(int(kind[i])).name} constraint has no instant (constraints.at)",
                    task=i, field="constraints.at")  # fmt: skip
    if not prg.on:
        prg = _neutral(n)
    mode, bound, floor = prg.mode.copy(), prg.bound.copy(), prg.floor.copy()
    free = mode == 0  # placed by logic: actual dates win over constraints
    sel = free & (kind == Constraint.SNET)
    bound[sel] = np.maximum(bound[sel], c[sel])
    sel = free & (kind == Constraint.FNET)
    floor[sel] = c[sel]
    for code, pin in ((Constraint.MSO, 1), (Constraint.MFO, 2)):
        sel = free & (kind == code)
        mode[sel] = pin
        bound[sel] = c[sel]
    fin_cap = (kind == Constraint.FNLT) | (kind == Constraint.MFO)
    capf = np.where(fin_cap, c, NO_CAP)
    capf = np.where(np.isnan(deadline), capf, np.minimum(capf, deadline))
    caps = np.where((kind == Constraint.SNLT) | (kind == Constraint.MSO), c, NO_CAP)
    return _Prog(True, mode, bound, prg.resume, prg.done, floor, capf, caps)


@dataclass(frozen=True)
class Histogram:
    edges: F64  # (bins + 1,)
    counts: npt.NDArray[np.int64]  # (bins,)
    cumulative: F64  # (bins,) fraction of iterations <= edges[i + 1]


@dataclass(frozen=True)
class Driver:
    kind: str  # "task" or "risk"
    index: int  # task index or risk index
    sensitivity: float  # Spearman rank correlation with the project finish
    finish_low: float  # mean finish, task in its lowest decile / risk not occurring
    finish_high: float  # mean finish, task in its highest decile / risk occurring


@dataclass(frozen=True)
class MonteCarloResult:
    iterations: int
    seed: int
    finish: F64  # (K,) project finish per iteration (working time from the project start)
    cost: F64 | None  # (K,) project cost per iteration, None without cost data
    deterministic_finish: float  # CPM finish with the most likely durations, no risk events
    finish_percentiles: dict[float, float]
    cost_percentiles: dict[float, float]  # empty without cost data
    finish_histogram: Histogram
    cost_histogram: Histogram | None
    criticality: F64  # (n,) fraction of iterations in which the task is critical
    sensitivity: F64  # (n,) Spearman correlation of the task duration with the project finish
    cruciality: F64  # (n,) criticality x sensitivity
    finish_low: F64  # (n,) mean finish when the task is in its lowest decile (NaN if never)
    finish_high: F64  # (n,) mean finish when the task is in its highest decile
    risk_occurrence: F64  # (R,) fraction of iterations in which the event occurred
    risk_sensitivity: F64  # (R,) rank correlation of the occurrence with the project finish
    risk_finish_low: F64  # (R,) mean finish when the event does not occur
    risk_finish_high: F64  # (R,) mean finish when it occurs
    tornado: list[Driver]
    p_finish_target: float | None  # P(finish <= target_finish)
    p_cost_target: float | None  # P(cost <= target_cost)

    @property
    def finish_mean(self) -> float:
        return float(self.finish.mean()) if self.finish.size else 0.0

    @property
    def finish_std(self) -> float:
        return float(self.finish.std()) if self.finish.size else 0.0

    def probability_finish_by(self, t: float) -> float:
        return float(np.mean(self.finish <= t))

    def probability_cost_within(self, budget: float) -> float:
        return float(np.mean(self.cost <= budget)) if self.cost is not None else 1.0


# ----------------------------------------------------------------------------- inputs


def _fail(msg: str, *, task: int | None = None, risk: int | None = None, field: str = "") -> MonteCarloError:
    return MonteCarloError(msg, task=task, risk=risk, field=field)


def _floats(a: npt.ArrayLike, n: int, field: str, kind: str) -> F64:
    try:
        out = np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=np.float64), (n,)))
    except ValueError:
        raise _fail(f"{field} must have one value per {kind} ({n})", field=field) from None
    bad = ~np.isfinite(out)
    if bad.any():
        i = int(np.argmax(bad))
        raise _fail(f"{kind} {i}: {field} is not a finite number", **_who(kind, i), field=field)
    return out


def _who(kind: str, i: int) -> dict[str, int]:
    return {"task": i} if kind == "task" else {"risk": i}


def _three_point(tp: ThreePoint, n: int, what: str, kind: str, nonneg: bool) -> tuple[I8, F64, F64, F64]:
    lo = _floats(tp.low, n, f"{what}.low", kind)
    md = _floats(tp.mode, n, f"{what}.mode", kind)
    hi = _floats(tp.high, n, f"{what}.high", kind)
    dist = np.ascontiguousarray(np.broadcast_to(np.asarray(tp.distribution), (n,)))
    if not np.issubdtype(dist.dtype, np.integer) or (n and (dist.min() < 0 or dist.max() > 2)):
        where = np.flatnonzero((dist < 0) | (dist > 2) | (dist != np.round(dist)))
        i = int(where[0]) if where.size else 0
        raise _fail(
            f"{kind} {i}: {what}.distribution must be 0, 1 or 2",
            **_who(kind, i),
            field=f"{what}.distribution",
        )
    vals = {"low": lo, "mode": md, "high": hi}
    checks = [
        (hi < lo, "high", f"is below {what}.low"),
        ((md < lo) | (md > hi), "mode", f"is outside [{what}.low, {what}.high]"),
    ]
    if nonneg:
        checks.insert(0, (lo < 0, "low", "is negative"))
    for bad, field, text in checks:
        if bad.any():
            i = int(np.argmax(bad))
            raise _fail(
                f"{kind} {i}: {what}.{field} ({vals[field][i]:g}) {text}",
                **_who(kind, i),
                field=f"{what}.{field}",
            )
    return dist.astype(np.int8), lo, md, hi


@cache
def _pert_table(nr: int = 101, nu: int = 2049, nx: int = 8193) -> F64:
    """Quantiles of PERT-beta on [0, 1]: row i for mode position i/(nr-1), column j at probability j/(nu-1)."""
    x = np.linspace(0.0, 1.0, nx)
    u = np.linspace(0.0, 1.0, nu)
    tab = np.empty((nr, nu))
    for i, r in enumerate(np.linspace(0.0, 1.0, nr)):
        pdf = x ** (4.0 * r) * (1.0 - x) ** (4.0 * (1.0 - r))
        cdf = np.concatenate(([0.0], np.cumsum((pdf[1:] + pdf[:-1]) * 0.5)))
        cdf /= cdf[-1]
        tab[i] = np.interp(u, cdf, x)
    return tab


@dataclass(frozen=True)
class _Net:
    order: I64
    rank: I64
    pptr: I64
    psrc: I64
    ptyp: I8
    plag: F64
    ppct: F64  # a percent lag as a fraction of the predecessor's sampled duration (0: none)
    sptr: I64
    sdst: I64
    styp: I8
    slag: F64
    spct: F64


def _network(
    n: int,
    src: npt.ArrayLike,
    dst: npt.ArrayLike,
    typ: npt.ArrayLike,
    lag: npt.ArrayLike,
    lag_percent: npt.ArrayLike | None = None,
) -> _Net:
    s = np.ascontiguousarray(src, dtype=np.int64).ravel()
    d = np.ascontiguousarray(dst, dtype=np.int64).ravel()
    m = s.size
    if d.size != m:
        raise _fail("src and dst differ in length", field="dst")
    if m and (min(int(s.min()), int(d.min())) < 0 or max(int(s.max()), int(d.max())) >= n):
        raise _fail(f"link endpoints must be task indices in 0..{n - 1}", field="src")
    ty = np.ascontiguousarray(typ, dtype=np.int8).ravel()
    if ty.size != m or (m and (int(ty.min()) < 0 or int(ty.max()) > 3)):
        raise _fail("typ must hold one link type code 0..3 per link", field="typ")
    lg = np.ascontiguousarray(lag, dtype=np.float64).ravel()
    if lg.size != m or not np.isfinite(lg).all():
        raise _fail("lag must hold one finite number per link", field="lag")
    pc = np.zeros(m) if lag_percent is None else np.ascontiguousarray(lag_percent, dtype=np.float64).ravel()
    if pc.size != m or not np.isfinite(pc).all():
        raise _fail("lag_percent must hold one finite number per link", field="lag_percent")
    pc = pc / 100.0
    try:
        order = topological_order(n, s, d)
    except CycleError as e:
        raise _fail(f"task {e.cycle[0]}: links form a {e}", task=e.cycle[0], field="links") from e
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    ptr0, perm0 = ck.group(n, d)
    ids = np.arange(m, dtype=np.int64)
    kind = np.zeros(m, np.int8)
    pptr, psrc, ptyp, pidx, pkind = ck.renumber_links(order, rank, ptr0, perm0, s, ty, ids, kind)
    sptr, sdst, styp, sidx, _ = ck.transpose(pptr, psrc, ptyp, pidx, pkind)
    return _Net(order, rank, pptr, psrc, ptyp, lg[pidx], pc[pidx], sptr, sdst, styp, lg[sidx], pc[sidx])


# ----------------------------------------------------------------------------- statistics


def _centred_ranks(x: F64) -> tuple[F64, float]:
    """Ranks 1..K (ties averaged) minus their mean, and their variance."""
    k = x.size
    idx = np.argsort(x, kind="stable")
    xs = x[idx]
    start = np.flatnonzero(np.concatenate(([True], xs[1:] != xs[:-1])))
    size = np.diff(np.append(start, k))
    avg = start + (size + 1) * 0.5 - (k + 1) * 0.5
    out = np.empty(k)
    out[idx] = np.repeat(avg, size)
    sz = size.astype(np.float64)
    return out, float((k * k - 1) / 12.0 - (sz**3 - sz).sum() / (12.0 * k))


def _spearman(mom: F64, rvar: float, k: int) -> F64:
    mx = mom[:, 0] / k
    vx = mom[:, 1] / k - mx * mx
    ok = (vx > 1e-12) & (rvar > 0)
    rho = np.where(ok, mom[:, 2] / k / np.sqrt(np.where(ok, vx * rvar, 1.0)), 0.0)
    out: F64 = np.clip(rho, -1.0, 1.0)
    return out


def _tail_means(mom: F64, centre: float) -> tuple[F64, F64]:
    with np.errstate(invalid="ignore", divide="ignore"):
        low: F64 = mom[:, 4] / mom[:, 3] + centre
        high: F64 = mom[:, 6] / mom[:, 5] + centre
    return low, high


def _histogram(x: F64, bins: int) -> Histogram:
    counts, edges = np.histogram(x, bins=bins)
    cum = np.cumsum(counts) / max(x.size, 1)
    return Histogram(edges.astype(np.float64), counts.astype(np.int64), cum.astype(np.float64))


# ----------------------------------------------------------------------------- simulation


def simulate(
    duration: ThreePoint,
    src: npt.ArrayLike = (),
    dst: npt.ArrayLike = (),
    typ: npt.ArrayLike = (),
    lag: npt.ArrayLike = (),
    *,
    lag_percent: npt.ArrayLike | None = None,
    cost: ThreePoint | None = None,
    fixed_cost: npt.ArrayLike | None = None,
    risks: Risks | None = None,
    actuals: Actuals | None = None,
    constraints: Constraints | None = None,
    correlation_group: npt.ArrayLike | None = None,
    group_correlation: Sequence[float] = (),
    iterations: int = 10_000,
    seed: int = 0,
    percentiles: Sequence[float] = (10, 50, 80, 90),
    bins: int = 50,
    target_finish: float | None = None,
    target_cost: float | None = None,
    critical_threshold: float = 0.0,
    tornado_size: int = 10,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    max_iterations: int = MAX_ITERATIONS,
    memory_budget: int = 128 << 20,
) -> MonteCarloResult:
    """Run ``iterations`` Monte Carlo iterations of the CPM forward (and backward) pass.

    :param duration: per-task three-point durations (``n`` = their count), in the working-time unit.
    :param src, dst, typ, lag: links (see the module docstring).
    :param lag_percent: optional, per link: a percent lag (50 = half) of the predecessor's duration *in each
        iteration*, added to ``lag`` (0 for the links without one).
    :param cost, fixed_cost: optional per-task sampled and fixed costs.
    :param risks: optional risk events (those of complete tasks cannot delay them).
    :param actuals: optional progress at the status time: the remaining work is simulated.
    :param constraints: optional date constraints and deadlines (:class:`Constraints`): applied in every
        iteration to the sampled durations, as :mod:`charter.engine.cpm` applies them.
    :param correlation_group: ``(n,)`` group index per task, -1 = uncorrelated; ``group_correlation`` the
        coefficient in [0, 1] of each group.
    :param percentiles: of finish and cost, in percent.  ``bins``: histogram bins.
    :param progress: called after each chunk with (fraction done, message).
    :param cancel: called before each chunk (a batch of at most ``MAX_CHUNK`` iterations); returning True
        stops the run with :class:`MonteCarloCancelled`.
    :param memory_budget: bytes of random numbers per chunk (peak memory grows with the task count, never
        with tasks x iterations).
    :raises MonteCarloError: invalid input (naming the task/risk and field), cycles included.
    """
    if not isinstance(duration, ThreePoint):
        raise _fail("duration must be a ThreePoint", field="duration")
    n = np.asarray(duration.low).size
    k_it = int(iterations)
    if not 1 <= k_it <= max_iterations:
        raise _fail(f"iterations ({k_it}) must be in 1..{max_iterations}", field="iterations")
    if not all(0.0 <= float(p) <= 100.0 for p in percentiles):
        raise _fail("percentiles must lie in [0, 100]", field="percentiles")
    dist, lo, md, hi = _three_point(duration, n, "duration", "task", True)
    prg, slo, smd, shi = _progress(actuals, n, lo, md, hi)
    prg = _constrain(prg, constraints, n)
    net = _network(n, src, dst, typ, lag, lag_percent)
    o = net.order
    dist, lo, md, hi = dist[o], slo[o], smd[o], shi[o]
    prg = prg.rank(o)

    # costs: sampled rows only for tasks with a spread; the rest (and fixed costs) is a constant
    const_cost = 0.0
    has_cost = cost is not None or fixed_cost is not None
    cd, cl, cm, ch = np.zeros(0, np.int8), np.zeros(0), np.zeros(0), np.zeros(0)
    if cost is not None:
        cd, cl, cm, ch = _three_point(cost, n, "cost", "task", False)
        spread = ch > cl
        const_cost += float(cl[~spread].sum())
        cd, cl, cm, ch = cd[spread], cl[spread], cm[spread], ch[spread]
    if fixed_cost is not None:
        const_cost += float(_floats(fixed_cost, n, "fixed_cost", "task").sum())

    # risk events, grouped by the rank of their task
    nrisk = 0
    rt = np.zeros(0, np.int64)
    rp = np.zeros(0)
    rd = (np.zeros(0, np.int8), np.zeros(0), np.zeros(0), np.zeros(0))
    rc = rd
    if risks is not None:
        rt = np.ascontiguousarray(risks.task, dtype=np.int64).ravel()
        nrisk = rt.size
        bad = (rt < 0) | (rt >= n)
        if bad.any():
            i = int(np.argmax(bad))
            raise _fail(f"risk {i}: task {int(rt[i])} is not a task index", risk=i, field="task")
        rp = _floats(risks.probability, nrisk, "probability", "risk")
        bad = (rp < 0) | (rp > 1)
        if bad.any():
            i = int(np.argmax(bad))
            raise _fail(
                f"risk {i} (task {int(rt[i])}): probability {rp[i]:g} is outside [0, 1]",
                risk=i,
                task=int(rt[i]),
                field="probability",
            )
        zero = ThreePoint.fixed(np.zeros(nrisk))
        rd = _three_point(risks.delay or zero, nrisk, "delay", "risk", True)
        if prg.on:  # a complete task's dates are facts: its risk events no longer delay it
            gone = prg.done[net.rank[rt]]
            if gone.any():
                rd = (
                    rd[0],
                    np.where(gone, 0.0, rd[1]),
                    np.where(gone, 0.0, rd[2]),
                    np.where(gone, 0.0, rd[3]),
                )
        rc = _three_point(risks.cost or zero, nrisk, "cost", "risk", False)
        has_cost = has_cost or risks.cost is not None
    rperm = np.argsort(net.rank[rt], kind="stable").astype(np.int64)  # kernel order -> risk index
    rptr = np.searchsorted(net.rank[rt][rperm], np.arange(n + 1)).astype(np.int64)
    rp_k = rp[rperm]
    rd_k = tuple(a[rperm] for a in rd)
    rc_k = tuple(a[rperm] for a in rc)

    # correlation groups
    crows = np.zeros(0, np.int64)
    cgrp = np.zeros(0, np.int64)
    rho = np.ascontiguousarray(group_correlation, dtype=np.float64).ravel()
    bad_rho = ~np.isfinite(rho) | (rho < 0) | (rho > 1)
    if bad_rho.any():
        g = int(np.argmax(bad_rho))
        raise _fail(f"group {g}: correlation {rho[g]:g} is outside [0, 1]", field="group_correlation")
    if correlation_group is not None:
        grp = np.ascontiguousarray(correlation_group, dtype=np.int64).ravel()
        if grp.size != n:
            raise _fail(f"correlation_group must have one value per task ({n})", field="correlation_group")
        bad = (grp < -1) | (grp >= rho.size)
        if bad.any():
            i = int(np.argmax(bad))
            raise _fail(
                f"task {i}: correlation_group {int(grp[i])} is not -1 or a group index",
                task=i,
                field="correlation_group",
            )
        grp_r = grp[o]
        crows = np.flatnonzero(grp_r >= 0).astype(np.int64)
        cgrp = grp_r[crows]

    # deterministic CPM with the most likely durations
    dmode = np.ascontiguousarray(md.reshape(n, 1))
    f1 = np.zeros(1)
    mk.forward(dmode, np.empty((n, 1)), net.pptr, net.psrc, net.ptyp, net.plag, net.ppct, f1, prg.on, prg.mode,
               prg.bound, prg.resume, prg.floor)  # fmt: skip
    det = float(f1[0])

    # chunking
    nb_total = -(-k_it // W)
    ncost = cd.size
    ng = rho.size if crows.size else 0
    row_bytes = W * (4 * (n + ncost + 3 * nrisk) + 8 * (ng + crows.size))
    group = max(1, min(4, SCRATCH // max(1, 16 * W * n)))
    unit = group * numba.get_num_threads()  # whole kernel blocks for every thread
    nb_chunk = max(1, min(memory_budget // max(row_bytes, 1), MAX_CHUNK // W))
    nb_chunk = min(nb_total, max(unit, nb_chunk - nb_chunk % unit))
    u = np.empty((nb_chunk, n, W), np.float32)
    cu = np.empty((nb_chunk, ncost, W), np.float32)
    ru = np.empty((nb_chunk, 3 * nrisk, W), np.float32)
    zg = np.empty((nb_chunk, ng, W))
    ze = np.empty((nb_chunk, crows.size, W))
    fin_all = np.empty(nb_total * W)
    cost_all = np.empty(nb_total * W)
    nthreads = max(1, min(numba.get_num_threads(), -(-nb_chunk // group)))
    crit = np.zeros((nthreads, n), np.int64)
    dbuf = np.empty((nthreads, n * group * W))
    ebuf = np.empty((nthreads, n * group * W))
    mom = np.zeros((n, 7))
    rmom = np.zeros((nrisk, 7))
    tab = _pert_table()
    arrays = (u, cu, ru, zg, ze)

    def draw(s: int, block: int, kinds: tuple[int, ...]) -> None:
        for kind in kinds:
            a = arrays[kind]
            if a.shape[1]:
                ss = np.random.SeedSequence(seed, spawn_key=(block, kind))
                rng = np.random.Generator(np.random.PCG64(ss))
                if kind < 3:
                    rng.random(dtype=np.float32, out=a[s])
                else:
                    rng.standard_normal(out=a[s])

    def chunks(kinds: tuple[int, ...]) -> Iterator[tuple[int, int, int]]:
        """Draw the random numbers of each chunk; yields (first block, blocks, valid iterations)."""
        for c0 in range(0, nb_total, nb_chunk):
            if cancel is not None and cancel():
                raise MonteCarloCancelled(c0 * W)
            sb = min(nb_chunk, nb_total - c0)
            list(pool.map(draw, range(sb), range(c0, c0 + sb), [kinds] * sb))
            if crows.size:
                mk.copula(u[:sb], crows, cgrp, rho, zg[:sb], ze[:sb])
            yield c0, sb, min(sb * W, k_it - c0 * W)

    def report(share: float, c0: int, kmax: int, what: str) -> None:
        if progress is not None:
            done = c0 * W + kmax
            progress(
                share * done / k_it + (0.0 if share == PASS1 else PASS1), f"{what}: {done:,} of {k_it:,}"
            )

    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        # pass 1: durations, CPM passes, finish, cost, criticality
        for c0, sb, kmax in chunks((0, 1, 2, 3, 4)):
            mk.run_chunk(  # type: ignore[call-arg]
                u[:sb], cu[:sb], ru[:sb], group, dist, lo, md, hi, tab,
                net.pptr, net.psrc, net.ptyp, net.plag, net.ppct, net.sptr, net.sdst, net.styp, net.slag, net.spct,
                rptr, rp_k, *rd_k, cd, cl, cm, ch, *rc_k,
                float(critical_threshold), kmax, fin_all[c0 * W : (c0 + sb) * W],
                cost_all[c0 * W : (c0 + sb) * W], crit, dbuf, ebuf,
                prg.on, prg.mode, prg.bound, prg.resume, prg.done, prg.floor, prg.capf, prg.caps,
            )  # fmt: skip
            report(PASS1, c0, kmax, "iterations")
        # pass 2: the same random numbers again, against the finish ranks (rank correlations, tornado)
        centre = float(fin_all[:k_it].mean())
        fcc = fin_all - centre
        ranks = np.zeros(fin_all.size)
        ranks[:k_it], rvar = _centred_ranks(fcc[:k_it])
        for c0, sb, kmax in chunks((0, 2, 3, 4)):
            sl = slice(c0 * W, (c0 + sb) * W)
            mk.accumulate(u[:sb], np.zeros(0), ranks[sl], fcc[sl], kmax, mom)
            if nrisk:
                mk.accumulate(ru[:sb, :nrisk], rp_k, ranks[sl], fcc[sl], kmax, rmom)
            report(1.0 - PASS1, c0, kmax, "sensitivity")

    finish = fin_all[:k_it].copy()
    del fin_all, fcc, ranks
    sens_r = _spearman(mom, rvar, k_it)
    sens_r[hi <= lo] = 0.0
    low_r, high_r = _tail_means(mom, centre)
    rsens = _spearman(rmom, rvar, k_it)
    rlow, rhigh = _tail_means(rmom, centre)
    back = net.rank
    inv = np.empty(nrisk, np.int64)
    inv[rperm] = np.arange(nrisk)
    criticality = crit.sum(axis=0)[back] / k_it
    sensitivity = sens_r[back]
    risk_sens = rsens[inv]
    r_low, r_high = rlow[inv], rhigh[inv]
    score = np.concatenate((np.abs(sensitivity), np.abs(risk_sens)))
    top = [int(i) for i in np.argsort(-score, kind="stable")[: max(0, tornado_size)] if score[i] > 0]
    tornado = [
        Driver("task", i, float(sensitivity[i]), float(low_r[back[i]]), float(high_r[back[i]]))
        if i < n
        else Driver("risk", i - n, float(risk_sens[i - n]), float(r_low[i - n]), float(r_high[i - n]))
        for i in top
    ]

    costs = cost_all[:k_it] + const_cost if has_cost else None
    pcts = [float(p) for p in percentiles]
    return MonteCarloResult(
        iterations=k_it,
        seed=seed,
        finish=finish,
        cost=costs,
        deterministic_finish=det,
        finish_percentiles=dict(zip(pcts, np.percentile(finish, pcts).tolist(), strict=True)),
        cost_percentiles={}
        if costs is None
        else dict(zip(pcts, np.percentile(costs, pcts).tolist(), strict=True)),
        finish_histogram=_histogram(finish, bins),
        cost_histogram=None if costs is None else _histogram(costs, bins),
        criticality=criticality,
        sensitivity=sensitivity,
        cruciality=criticality * sensitivity,
        finish_low=low_r[back],
        finish_high=high_r[back],
        risk_occurrence=rmom[inv, 5] / k_it,
        risk_sensitivity=risk_sens,
        risk_finish_low=r_low,
        risk_finish_high=r_high,
        tornado=tornado,
        p_finish_target=None if target_finish is None else float(np.mean(finish <= target_finish)),
        p_cost_target=None if target_cost is None or costs is None else float(np.mean(costs <= target_cost)),
    )
