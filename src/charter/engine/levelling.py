"""Resource levelling engine: public façade, problem model, temporal analysis and validation.

The engine is pure (numpy / numba / OR-Tools + stdlib).  Time is discrete: a *period* is whatever unit
the caller uses (working day, hour, ...).  Activity ``j`` occupies the periods ``[start_j, start_j + dur_j)``.

Every precedence link is reduced to a *start-to-start distance* ``start[succ] >= start[pred] + d``:

======  =========================================  ===============================
kind    meaning                                    distance ``d``
======  =========================================  ===============================
FS      succ starts ``lag`` after pred finishes    ``dur[pred] + lag``
SS      succ starts ``lag`` after pred starts      ``lag``
FF      succ finishes ``lag`` after pred finishes  ``dur[pred] + lag - dur[succ]``
SF      succ finishes ``lag`` after pred starts    ``lag - dur[succ]``
======  =========================================  ===============================

Lags may be negative (leads).  The link graph must be acyclic (maximum time lags are not supported).

Two levelling methods are provided:

* :func:`level_heuristic` -- serial schedule-generation scheme with priority rules, regret-based biased
  random sampling and forward-backward improvement (numba accelerated, deterministic per seed).
* :func:`level_cpsat` -- an optimising model for Google OR-Tools CP-SAT, hinted and bounded by the
  heuristic; never returns a worse schedule than the heuristic.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from charter.engine.cpm import CycleError as _CpmCycleError

__all__ = [
    "PRIORITY_RULES",
    "CycleError",
    "LevellingError",
    "LevellingProblem",
    "LevellingResult",
    "Link",
    "LinkType",
    "Overallocation",
    "ProgressCallback",
    "TemporalAnalysis",
    "analyse",
    "find_overallocations",
    "level",
    "level_cpsat",
    "level_heuristic",
    "validate_schedule",
]

IntArray = NDArray[np.int64]
ProgressCallback = Callable[[float, str], None]
"""``progress(fraction_done in [0, 1], message)``."""


class LevellingError(ValueError):
    """The levelling problem is malformed or cannot be handled."""


class CycleError(_CpmCycleError, LevellingError):
    """The precedence links contain a cycle; ``cycle`` lists its activity indices in link order (the last
    one links back to the first).  Subclass of :class:`charter.engine.cpm.CycleError` and ``ValueError``."""

    def __init__(self, cycle: Sequence[int], names: Sequence[str] | None = None) -> None:
        super().__init__([int(j) for j in cycle])
        if names is not None:
            label = [names[i] for i in self.cycle]
            self.args = ("dependency cycle: " + " -> ".join([*label, label[0]]),)


class LinkType(enum.StrEnum):
    FS = "FS"
    SS = "SS"
    FF = "FF"
    SF = "SF"


@dataclass(frozen=True)
class Link:
    """Precedence link ``pred -> succ`` of the given kind with an integer lag (may be negative)."""

    pred: int
    succ: int
    kind: LinkType = LinkType.FS
    lag: int = 0


def _as_int_array(value: ArrayLike, name: str, ndim: int) -> IntArray:
    arr = np.asarray(value)
    if arr.size == 0:
        arr = arr.reshape((0,) * ndim) if ndim == 1 else arr
    if arr.ndim != ndim:
        raise LevellingError(f"{name} must be a {ndim}-d array, got shape {arr.shape}")
    if arr.size and not np.all(np.equal(np.mod(arr, 1), 0)):
        raise LevellingError(f"{name} must contain integers")
    return np.ascontiguousarray(arr, dtype=np.int64)


@dataclass(eq=False)
class LevellingProblem:
    """Input of the levelling engine (activities are indexed ``0..n-1``, resources ``0..R-1``).

    ``capacities[r]`` is the constant capacity of resource ``r``.  ``capacity_profiles`` (shape ``(R, H)``)
    optionally overrides it for periods ``t < H`` (vacations, part-time calendars); from ``H`` on the
    constant capacity applies.  ``release[j]`` is an earliest start; ``fixed_start[j] >= 0`` pins activity
    ``j`` to that start (in progress / must-start-on), ``-1`` = free; ``deadline[j] >= 0`` is a latest
    finish (``-1`` = none; honoured by CP-SAT, best effort by the heuristic); ``priority[j]``: higher =
    scheduled first / moved less.
    """

    durations: IntArray
    demands: IntArray
    capacities: IntArray
    links: list[Link] = field(default_factory=list)
    capacity_profiles: IntArray | None = None
    release: IntArray | None = None
    fixed_start: IntArray | None = None
    deadline: IntArray | None = None
    priority: IntArray | None = None
    names: list[str] | None = None
    resource_names: list[str] | None = None

    def __post_init__(self) -> None:
        self.durations = _as_int_array(self.durations, "durations", 1)
        n = int(self.durations.shape[0])
        self.capacities = _as_int_array(self.capacities, "capacities", 1)
        n_res = int(self.capacities.shape[0])
        dem = np.asarray(self.demands)
        if dem.size == 0:
            dem = np.zeros((n, n_res), dtype=np.int64)
        self.demands = _as_int_array(dem, "demands", 2)
        if self.demands.shape != (n, n_res):
            raise LevellingError(f"demands must have shape (n={n}, R={n_res}), got {self.demands.shape}")
        if np.any(self.durations < 0):
            raise LevellingError(f"negative duration for activity {int(np.argmin(self.durations))}")
        if np.any(self.demands < 0) or np.any(self.capacities < 0):
            raise LevellingError("demands and capacities must be non-negative")
        if self.capacity_profiles is not None:
            self.capacity_profiles = _as_int_array(self.capacity_profiles, "capacity_profiles", 2)
            if self.capacity_profiles.shape[0] != n_res:
                raise LevellingError(
                    f"capacity_profiles must have shape (R={n_res}, H), got {self.capacity_profiles.shape}"
                )
            if np.any(self.capacity_profiles < 0):
                raise LevellingError("capacity_profiles must be non-negative")
        for attr, default in (("release", 0), ("fixed_start", -1), ("deadline", -1), ("priority", 0)):
            value = getattr(self, attr)
            arr = np.full(n, default, dtype=np.int64) if value is None else _as_int_array(value, attr, 1)
            if arr.shape != (n,):
                raise LevellingError(f"{attr} must have length n={n}, got {arr.shape[0]}")
            setattr(self, attr, arr)
        if np.any(self.release_array < 0):
            raise LevellingError("release dates must be >= 0")
        links: list[Link] = []
        for lk in self.links:
            if not isinstance(lk, Link):
                lk = Link(*lk)
            kind = LinkType(lk.kind)
            if not (0 <= lk.pred < n and 0 <= lk.succ < n):
                raise LevellingError(f"link {lk.pred}->{lk.succ} refers to an unknown activity (n={n})")
            links.append(Link(int(lk.pred), int(lk.succ), kind, int(lk.lag)))
        self.links = links
        if self.names is not None and len(self.names) != n:
            raise LevellingError("names must have one entry per activity")

    # -- typed accessors (the optional arrays are always filled after __post_init__) --------------------
    @property
    def n_activities(self) -> int:
        return int(self.durations.shape[0])

    @property
    def n_resources(self) -> int:
        return int(self.capacities.shape[0])

    @property
    def release_array(self) -> IntArray:
        assert self.release is not None
        return self.release

    @property
    def fixed_array(self) -> IntArray:
        assert self.fixed_start is not None
        return self.fixed_start

    @property
    def deadline_array(self) -> IntArray:
        assert self.deadline is not None
        return self.deadline

    @property
    def priority_array(self) -> IntArray:
        assert self.priority is not None
        return self.priority

    @property
    def profile_length(self) -> int:
        return 0 if self.capacity_profiles is None else int(self.capacity_profiles.shape[1])

    def capacity_matrix(self, horizon: int) -> IntArray:
        """Capacity of every resource in periods ``0..horizon-1`` (shape ``(R, horizon)``)."""
        cap = np.repeat(self.capacities[:, None], max(horizon, 0), axis=1)
        if self.capacity_profiles is not None:
            h = min(horizon, self.profile_length)
            cap[:, :h] = self.capacity_profiles[:, :h]
        return np.ascontiguousarray(cap, dtype=np.int64)

    def label(self, j: int) -> str:
        return f"{j} ({self.names[j]})" if self.names is not None else str(j)

    def resource_label(self, r: int) -> str:
        return self.resource_names[r] if self.resource_names is not None else f"R{r}"

    def distance(self, link: Link) -> int:
        """Start-to-start distance implied by ``link``: ``start[succ] >= start[pred] + distance``."""
        dp = int(self.durations[link.pred])
        ds = int(self.durations[link.succ])
        if link.kind == LinkType.FS:
            return dp + link.lag
        if link.kind == LinkType.SS:
            return link.lag
        if link.kind == LinkType.FF:
            return dp + link.lag - ds
        return link.lag - ds

    @classmethod
    def from_successors(
        cls,
        durations: ArrayLike,
        demands: ArrayLike,
        capacities: ArrayLike,
        successors: Sequence[Sequence[int]],
        **kwargs: Any,
    ) -> LevellingProblem:
        """Convenience constructor with finish-to-start links (lag 0) given as successor lists."""
        links = [Link(j, int(s)) for j, succ in enumerate(successors) for s in succ]
        return cls(
            durations=np.asarray(durations, dtype=np.int64),
            demands=np.asarray(demands, dtype=np.int64),
            capacities=np.asarray(capacities, dtype=np.int64),
            links=links,
            **kwargs,
        )


@dataclass
class TemporalAnalysis:
    """Resource-unconstrained analysis (CPM) of a problem, in start-to-start distance form."""

    order: IntArray
    """A topological order of the activities."""
    pred_ptr: IntArray
    pred_idx: IntArray
    pred_dist: IntArray
    succ_ptr: IntArray
    succ_idx: IntArray
    succ_dist: IntArray
    es: IntArray
    """Earliest start (release dates, fixed starts and links)."""
    ls: IntArray
    """Latest start without delaying the unconstrained project end (or a deadline)."""
    tail: IntArray
    """Longest path from the start of ``j`` to the project end (``>= dur[j]``)."""
    project_end: int
    """Critical-path length: max earliest finish."""
    warnings: list[str]

    @property
    def total_float(self) -> IntArray:
        return np.asarray(self.ls - self.es, dtype=np.int64)


def _csr(n: int, src: IntArray, dst: IntArray, dist: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    order = np.lexsort((dst, src))
    counts = np.bincount(src, minlength=n) if src.size else np.zeros(n, dtype=np.int64)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return (
        ptr,
        np.ascontiguousarray(dst[order], dtype=np.int64),
        np.ascontiguousarray(dist[order], dtype=np.int64),
    )


def _find_cycle(n: int, succ_ptr: IntArray, succ_idx: IntArray, remaining: set[int]) -> list[int]:
    """Return one cycle (in link order) among ``remaining`` nodes (all of which have a remaining pred)."""
    # Walk backwards along predecessors inside ``remaining`` until a node repeats.
    preds: dict[int, int] = {}
    for u in remaining:
        for k in range(int(succ_ptr[u]), int(succ_ptr[u + 1])):
            v = int(succ_idx[k])
            if v in remaining and v not in preds:
                preds[v] = u
    node = min(remaining)
    seen: dict[int, int] = {}
    path: list[int] = []
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = preds[node]
    cyc = path[seen[node] :]
    cyc.reverse()
    return cyc


def analyse(problem: LevellingProblem) -> TemporalAnalysis:
    """Build distance CSR structures, a topological order and the CPM times; raise :class:`CycleError`."""
    n = problem.n_activities
    m = len(problem.links)
    src = np.fromiter((lk.pred for lk in problem.links), dtype=np.int64, count=m)
    dst = np.fromiter((lk.succ for lk in problem.links), dtype=np.int64, count=m)
    dist = np.fromiter((problem.distance(lk) for lk in problem.links), dtype=np.int64, count=m)
    # Self loops are cycles too.
    for lk in problem.links:
        if lk.pred == lk.succ:
            raise CycleError([lk.pred], problem.names)
    # Keep only the strongest of parallel links.
    if m:
        key = src * n + dst
        order = np.lexsort((-dist, key))
        key_sorted = key[order]
        keep = np.ones(m, dtype=bool)
        keep[1:] = key_sorted[1:] != key_sorted[:-1]
        sel = order[keep]
        src, dst, dist = src[sel], dst[sel], dist[sel]
    succ_ptr, succ_idx, succ_dist = _csr(n, src, dst, dist)
    pred_ptr, pred_idx, pred_dist = _csr(n, dst, src, dist)

    indeg = np.diff(pred_ptr).astype(np.int64)
    stack = [int(j) for j in np.flatnonzero(indeg == 0)[::-1]]
    topo: list[int] = []
    while stack:
        u = stack.pop()
        topo.append(u)
        for k in range(int(succ_ptr[u]), int(succ_ptr[u + 1])):
            v = int(succ_idx[k])
            indeg[v] -= 1
            if indeg[v] == 0:
                stack.append(v)
    if len(topo) < n:
        remaining = set(range(n)) - set(topo)
        raise CycleError(_find_cycle(n, succ_ptr, succ_idx, remaining), problem.names)
    order_arr = np.asarray(topo, dtype=np.int64)

    dur = problem.durations
    rel = problem.release_array
    fixed = problem.fixed_array
    deadline = problem.deadline_array
    warnings: list[str] = []
    es = np.zeros(n, dtype=np.int64)
    for j in topo:
        e = int(rel[j])
        for k in range(int(pred_ptr[j]), int(pred_ptr[j + 1])):
            e = max(e, int(es[pred_idx[k]]) + int(pred_dist[k]))
        if fixed[j] >= 0:
            if e > fixed[j]:
                warnings.append(
                    f"activity {problem.label(j)} is fixed at {int(fixed[j])} but its predecessors or "
                    f"release date require a start >= {e}"
                )
            e = int(fixed[j])
        es[j] = e
    project_end = int(np.max(es + dur)) if n else 0
    ls = np.zeros(n, dtype=np.int64)
    tail = np.zeros(n, dtype=np.int64)
    for j in reversed(topo):
        lf = project_end
        if deadline[j] >= 0:
            lf = min(lf, int(deadline[j]))
        s_latest = lf - int(dur[j])
        tl = int(dur[j])
        for k in range(int(succ_ptr[j]), int(succ_ptr[j + 1])):
            s = int(succ_idx[k])
            s_latest = min(s_latest, int(ls[s]) - int(succ_dist[k]))
            tl = max(tl, int(succ_dist[k]) + int(tail[s]))
        if fixed[j] >= 0:
            s_latest = int(fixed[j])
        ls[j] = s_latest
        tail[j] = tl
    neg = np.flatnonzero(ls < es)
    if neg.size:
        warnings.append(
            "deadlines cannot be met even without resource limits for activities: "
            + ", ".join(problem.label(int(j)) for j in neg[:20])
        )
    return TemporalAnalysis(
        order=order_arr,
        pred_ptr=pred_ptr,
        pred_idx=pred_idx,
        pred_dist=pred_dist,
        succ_ptr=succ_ptr,
        succ_idx=succ_idx,
        succ_dist=succ_dist,
        es=es,
        ls=ls,
        tail=tail,
        project_end=project_end,
        warnings=warnings,
    )


@dataclass(frozen=True)
class Overallocation:
    """Load above capacity of ``resource`` in ``period``; ``activities`` are those running then."""

    resource: int
    period: int
    load: int
    capacity: int
    activities: tuple[int, ...]


def _load_matrix(problem: LevellingProblem, starts: IntArray, horizon: int) -> IntArray:
    load = np.zeros((problem.n_resources, horizon + 1), dtype=np.int64)
    for j in range(problem.n_activities):
        d = int(problem.durations[j])
        if d <= 0:
            continue
        s = int(starts[j])
        load[:, s] += problem.demands[j]
        load[:, s + d] -= problem.demands[j]
    return np.cumsum(load, axis=1)[:, :horizon]


def find_overallocations(problem: LevellingProblem, starts: ArrayLike) -> list[Overallocation]:
    """List every (resource, period) where the schedule ``starts`` exceeds the capacity (profile)."""
    st = np.asarray(starts, dtype=np.int64)
    if problem.n_activities == 0:
        return []
    lo = int(np.min(st))
    if lo < 0:
        raise LevellingError("starts must be >= 0")
    horizon = int(np.max(st + problem.durations))
    load = _load_matrix(problem, st, horizon)
    cap = problem.capacity_matrix(horizon)
    result: list[Overallocation] = []
    fin = st + problem.durations
    for r, t in zip(*np.nonzero(load > cap), strict=True):
        running = np.flatnonzero((st <= t) & (fin > t) & (problem.demands[:, r] > 0))
        result.append(
            Overallocation(int(r), int(t), int(load[r, t]), int(cap[r, t]), tuple(int(j) for j in running))
        )
    return result


def validate_schedule(problem: LevellingProblem, starts: ArrayLike) -> list[str]:
    """Human-readable violations of ``starts`` (empty list = feasible schedule)."""
    st = np.asarray(starts)
    n = problem.n_activities
    if st.shape != (n,):
        return [f"expected {n} start times, got shape {st.shape}"]
    if st.size and not np.all(np.equal(np.mod(st, 1), 0)):
        return ["start times must be integers"]
    st = st.astype(np.int64)
    out: list[str] = []
    for jj in np.flatnonzero(st < 0):
        out.append(f"activity {problem.label(int(jj))} starts at {int(st[jj])} < 0")
    if out:
        return out
    rel, fixed, dl = problem.release_array, problem.fixed_array, problem.deadline_array
    for j in range(n):
        if st[j] < rel[j]:
            out.append(f"activity {problem.label(j)} starts at {int(st[j])} before its release {int(rel[j])}")
        if fixed[j] >= 0 and st[j] != fixed[j]:
            out.append(f"activity {problem.label(j)} is fixed at {int(fixed[j])} but starts at {int(st[j])}")
        if dl[j] >= 0 and st[j] + problem.durations[j] > dl[j]:
            out.append(
                f"activity {problem.label(j)} finishes at {int(st[j] + problem.durations[j])} "
                f"after its deadline {int(dl[j])}"
            )
    for lk in problem.links:
        d = problem.distance(lk)
        if st[lk.succ] < st[lk.pred] + d:
            out.append(
                f"link {problem.label(lk.pred)} -{lk.kind.value}({lk.lag:+d})-> {problem.label(lk.succ)} "
                f"violated: start {int(st[lk.succ])} < {int(st[lk.pred] + d)}"
            )
    for ov in find_overallocations(problem, st):
        out.append(
            f"resource {problem.resource_label(ov.resource)} over-allocated in period {ov.period}: "
            f"load {ov.load} > capacity {ov.capacity} (activities {list(ov.activities)})"
        )
    return out


@dataclass
class LevellingResult:
    """Outcome of a levelling run."""

    starts: IntArray
    makespan: int
    """Max finish over all activities (0 for an empty problem)."""
    method: str
    """``"heuristic"`` or ``"cpsat"``."""
    status: str
    """``"HEURISTIC"`` for the heuristic; ``"OPTIMAL"``, ``"FEASIBLE"`` or ``"INFEASIBLE"`` for CP-SAT."""
    lower_bound: int
    """Proven lower bound on the makespan (critical path / energy bound, or CP-SAT's bound)."""
    solve_time: float
    """Wall-clock seconds."""
    not_levelled: list[int] = field(default_factory=list)
    """Activities still involved in an over-allocation (within-slack mode or infeasible demands)."""
    warnings: list[str] = field(default_factory=list)
    schedules: int = 0
    """Number of schedules generated by the heuristic."""
    fallback: bool = False
    """CP-SAT found nothing better than the heuristic schedule, which is returned."""

    @property
    def gap(self) -> float:
        """Relative optimality gap ``(makespan - lower_bound) / makespan`` (0 when proven optimal)."""
        if self.makespan <= 0:
            return 0.0
        return max(0.0, (self.makespan - self.lower_bound) / self.makespan)


def makespan_lower_bound(problem: LevellingProblem, analysis: TemporalAnalysis) -> int:
    """Critical-path and per-resource energy lower bounds on the makespan."""
    lb = analysis.project_end
    energy = (problem.durations[:, None] * np.minimum(problem.demands, problem.capacities[None, :])).sum(
        axis=0
    )
    for r in range(problem.n_resources):
        e = int(energy[r])
        if e <= 0:
            continue
        if problem.capacity_profiles is None:
            if problem.capacities[r] > 0:
                lb = max(lb, -(-e // int(problem.capacities[r])))
            continue
        prof = np.cumsum(problem.capacity_matrix(problem.profile_length)[r])
        idx = int(np.searchsorted(prof, e))  # first t with cumulative capacity over [0, t] >= e
        if idx < prof.shape[0]:
            lb = max(lb, idx + 1)
        elif problem.capacities[r] > 0:
            rest = e - int(prof[-1]) if prof.shape[0] else e
            lb = max(lb, problem.profile_length + -(-rest // int(problem.capacities[r])))
    return int(lb)


PRIORITY_RULES = ("LFT", "LST", "MSLK", "MTS", "GRD", "SPT")


def level(problem: LevellingProblem, method: str = "heuristic", **kwargs: Any) -> LevellingResult:
    """Level ``problem`` with ``method`` (``"heuristic"`` or ``"cpsat"``); see the method functions."""
    if method == "heuristic":
        return level_heuristic(problem, **kwargs)
    if method == "cpsat":
        return level_cpsat(problem, **kwargs)
    raise LevellingError(f"unknown levelling method {method!r} (use 'heuristic' or 'cpsat')")


# The method modules import the model above; importing them last keeps the façade free of cycles.
from charter.engine.levelling_cpsat import level_cpsat  # noqa: E402
from charter.engine.levelling_heuristic import level_heuristic  # noqa: E402
