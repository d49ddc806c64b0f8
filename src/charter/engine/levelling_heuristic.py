"""Heuristic resource levelling: serial schedule-generation scheme (SGS) with priority rules,
regret-based biased random sampling (RBRS) and forward-backward improvement (FBI, "justification").

All inner loops are numba-compiled kernels working on plain int64 / float64 arrays.  The schedule is
deterministic for a given ``seed`` (and ``time_limit=None``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

from charter.engine.levelling import (
    PRIORITY_RULES,
    IntArray,
    LevellingError,
    LevellingProblem,
    LevellingResult,
    ProgressCallback,
    TemporalAnalysis,
    analyse,
    find_overallocations,
    makespan_lower_bound,
)

FloatArray = NDArray[np.float64]

__all__ = ["HeuristicData", "level_heuristic", "prepare"]


# --------------------------------------------------------------------------------------------------------
# numba kernels
# --------------------------------------------------------------------------------------------------------
@numba.njit(cache=True)
def _heap_push(hk: FloatArray, hv: IntArray, size: int, key: float, val: int) -> int:
    i = size
    hk[i] = key
    hv[i] = val
    while i > 0:
        parent = (i - 1) // 2
        if hk[parent] > hk[i] or (hk[parent] == hk[i] and hv[parent] > hv[i]):
            hk[parent], hk[i] = hk[i], hk[parent]
            hv[parent], hv[i] = hv[i], hv[parent]
            i = parent
        else:
            break
    return size + 1


@numba.njit(cache=True)
def _heap_pop(hk: FloatArray, hv: IntArray, size: int) -> int:
    size -= 1
    hk[0] = hk[size]
    hv[0] = hv[size]
    i = 0
    while True:
        left = 2 * i + 1
        best = i
        if left < size and (hk[left] < hk[best] or (hk[left] == hk[best] and hv[left] < hv[best])):
            best = left
        right = left + 1
        if right < size and (hk[right] < hk[best] or (hk[right] == hk[best] and hv[right] < hv[best])):
            best = right
        if best == i:
            break
        hk[best], hk[i] = hk[i], hk[best]
        hv[best], hv[i] = hv[i], hv[best]
        i = best
    return size


@numba.njit(cache=True)
def _topo_by_key(key: FloatArray, succ_ptr: IntArray, succ_idx: IntArray, indeg0: IntArray) -> IntArray:
    """Topological order that always takes the eligible activity with the smallest key."""
    n = key.shape[0]
    indeg = indeg0.copy()
    hk = np.empty(n, dtype=np.float64)
    hv = np.empty(n, dtype=np.int64)
    size = 0
    for j in range(n):
        if indeg[j] == 0:
            size = _heap_push(hk, hv, size, key[j], j)
    order = np.empty(n, dtype=np.int64)
    pos = 0
    while size > 0:
        j = hv[0]
        size = _heap_pop(hk, hv, size)
        order[pos] = j
        pos += 1
        for k in range(succ_ptr[j], succ_ptr[j + 1]):
            s = succ_idx[k]
            indeg[s] -= 1
            if indeg[s] == 0:
                size = _heap_push(hk, hv, size, key[s], s)
    return order


@numba.njit(cache=True)
def _rbrs_order(
    key: FloatArray, succ_ptr: IntArray, succ_idx: IntArray, indeg0: IntArray, alpha: float
) -> IntArray:
    """Regret-based biased random sampling: P(j) ~ (max key in eligible set - key_j + 1) ** alpha."""
    n = key.shape[0]
    indeg = indeg0.copy()
    elig = np.empty(n, dtype=np.int64)
    ne = 0
    for j in range(n):
        if indeg[j] == 0:
            elig[ne] = j
            ne += 1
    weights = np.empty(n, dtype=np.float64)
    order = np.empty(n, dtype=np.int64)
    for pos in range(n):
        kmax = key[elig[0]]
        for i in range(1, ne):
            if key[elig[i]] > kmax:
                kmax = key[elig[i]]
        total = 0.0
        for i in range(ne):
            w = (kmax - key[elig[i]] + 1.0) ** alpha
            weights[i] = w
            total += w
        u = np.random.random() * total
        pick = ne - 1
        acc = 0.0
        for i in range(ne):
            acc += weights[i]
            if u < acc:
                pick = i
                break
        j = elig[pick]
        elig[pick] = elig[ne - 1]
        ne -= 1
        order[pos] = j
        for k in range(succ_ptr[j], succ_ptr[j + 1]):
            s = succ_idx[k]
            indeg[s] -= 1
            if indeg[s] == 0:
                elig[ne] = s
                ne += 1
    return order


@numba.njit(cache=True)
def _sgs(
    order: IntArray,
    dur: IntArray,
    dem: IntArray,
    res_ptr: IntArray,
    res_idx: IntArray,
    avail0: IntArray,
    pred_ptr: IntArray,
    pred_idx: IntArray,
    pred_dist: IntArray,
    release: IntArray,
    fixed: IntArray,
    latest: IntArray,
    starts: IntArray,
    unlevelled: IntArray,
    avail: IntArray,
) -> int:
    """Serial SGS over ``order`` (topological).  Fixed activities must already be reserved in ``avail0``.

    Each free activity gets the earliest start >= its precedence/release bound at which all its resource
    demands fit into the remaining capacity, but not later than ``latest[j]``; if none exists the activity
    is put at its precedence bound, flagged in ``unlevelled`` and still consumes capacity.
    Returns the makespan.
    """
    horizon = avail.shape[1]
    avail[:, :] = avail0
    makespan = 0
    for pos in range(order.shape[0]):
        j = order[pos]
        unlevelled[j] = 0
        d = dur[j]
        if fixed[j] >= 0:
            starts[j] = fixed[j]
        else:
            est = release[j]
            for k in range(pred_ptr[j], pred_ptr[j + 1]):
                v = starts[pred_idx[k]] + pred_dist[k]
                if v > est:
                    est = v
            if est < 0:
                est = 0
            t = est
            if d > 0 and res_ptr[j + 1] > res_ptr[j]:
                lim = latest[j]
                if lim > horizon - d:
                    lim = horizon - d
                found = False
                while t <= lim:
                    conflict = -1
                    for kk in range(res_ptr[j], res_ptr[j + 1]):
                        r = res_idx[kk]
                        need = dem[j, r]
                        for tau in range(t + d - 1, t - 1, -1):
                            if avail[r, tau] < need:
                                if tau > conflict:
                                    conflict = tau
                                break
                    if conflict < 0:
                        found = True
                        break
                    t = conflict + 1
                if not found:
                    t = est
                    unlevelled[j] = 1
                end = t + d
                if end > horizon:
                    end = horizon
                for kk in range(res_ptr[j], res_ptr[j + 1]):
                    r = res_idx[kk]
                    need = dem[j, r]
                    for tau in range(t, end):
                        avail[r, tau] -= need
            starts[j] = t
        if starts[j] + d > makespan:
            makespan = starts[j] + d
    return makespan


@numba.njit(cache=True)
def _fbi(
    starts: IntArray,
    makespan: int,
    tiebreak: FloatArray,
    dur: IntArray,
    dem: IntArray,
    res_ptr: IntArray,
    res_idx: IntArray,
    avail0: IntArray,
    base_cap: IntArray,
    pred_ptr: IntArray,
    pred_idx: IntArray,
    pred_dist: IntArray,
    succ_ptr: IntArray,
    succ_idx: IntArray,
    rpred_dist: IntArray,
    indeg: IntArray,
    outdeg: IntArray,
    release: IntArray,
    fixed: IntArray,
    latest_big: IntArray,
    latest_fwd: IntArray,
    max_rounds: int,
    work_avail: IntArray,
    unlevelled: IntArray,
) -> int:
    """Forward-backward improvement of ``starts`` in place; returns the (never larger) makespan. The backward
    pass (reversed time) bounds nothing (``latest_big``); the forward pass keeps each activity no later than
    ``latest_fwd`` (before the fixed activities it precedes)."""
    n = dur.shape[0]
    horizon = avail0.shape[1]
    rev_avail = np.empty_like(avail0)
    rev_fixed = np.empty(n, dtype=np.int64)
    zero_rel = np.zeros(n, dtype=np.int64)
    tau = np.empty(n, dtype=np.int64)
    cand = np.empty(n, dtype=np.int64)
    key = np.empty(n, dtype=np.float64)
    for _ in range(max_rounds):
        T = makespan
        # Backward pass: reversed time tau = T - finish.  Reversed graph: preds = forward successors.
        for t in range(horizon):
            src = T - 1 - t
            if src >= 0:
                rev_avail[:, t] = avail0[:, src]
            else:
                rev_avail[:, t] = base_cap
        for j in range(n):
            rev_fixed[j] = T - fixed[j] - dur[j] if fixed[j] >= 0 else -1
            key[j] = -float(starts[j] + dur[j]) + tiebreak[j]
        order_b = _topo_by_key(key, pred_ptr, pred_idx, outdeg)
        _sgs(
            order_b, dur, dem, res_ptr, res_idx, rev_avail, succ_ptr, succ_idx, rpred_dist,
            zero_rel, rev_fixed, latest_big, tau, unlevelled, work_avail,
        )  # fmt: skip
        # Forward pass: order by the start times of the right-justified schedule.
        for j in range(n):
            key[j] = -float(tau[j] + dur[j]) + tiebreak[j]
        order_f = _topo_by_key(key, succ_ptr, succ_idx, indeg)
        ms = _sgs(
            order_f, dur, dem, res_ptr, res_idx, avail0, pred_ptr, pred_idx, pred_dist,
            release, fixed, latest_fwd, cand, unlevelled, work_avail,
        )  # fmt: skip
        if ms < makespan and not unlevelled.any():
            makespan = ms
            starts[:] = cand
        else:
            break
    return makespan


@numba.njit(cache=True)
def _sample(
    n_iter: int,
    seed: int,
    alpha: float,
    key: FloatArray,
    tiebreak: FloatArray,
    weights: FloatArray,
    dur: IntArray,
    dem: IntArray,
    res_ptr: IntArray,
    res_idx: IntArray,
    avail0: IntArray,
    base_cap: IntArray,
    pred_ptr: IntArray,
    pred_idx: IntArray,
    pred_dist: IntArray,
    succ_ptr: IntArray,
    succ_idx: IntArray,
    rpred_dist: IntArray,
    indeg: IntArray,
    outdeg: IntArray,
    release: IntArray,
    fixed: IntArray,
    latest: IntArray,
    latest_big: IntArray,
    fbi_rounds: int,
    best_starts: IntArray,
    best_obj: FloatArray,
    stop_at: int,
) -> int:
    """RBRS + SGS (+ FBI) ``n_iter`` times; keeps the best schedule in ``best_starts`` / ``best_obj``.

    Objective (lexicographic): unlevelled activities, makespan, priority-weighted sum of starts.
    Stops early once the makespan reaches ``stop_at`` (a lower bound).  Returns schedules generated.
    """
    np.random.seed(seed)
    n = dur.shape[0]
    starts = np.empty(n, dtype=np.int64)
    unlev = np.zeros(n, dtype=np.int64)
    work = np.empty_like(avail0)
    count = 0
    for _ in range(n_iter):
        if best_obj[0] == 0 and best_obj[1] <= stop_at:
            break
        order = _rbrs_order(key, succ_ptr, succ_idx, indeg, alpha)
        ms = _sgs(
            order, dur, dem, res_ptr, res_idx, avail0, pred_ptr, pred_idx, pred_dist,
            release, fixed, latest, starts, unlev, work,
        )  # fmt: skip
        count += 1
        if fbi_rounds > 0 and unlev.sum() == 0:
            ms = _fbi(
                starts, ms, tiebreak, dur, dem, res_ptr, res_idx, avail0, base_cap, pred_ptr, pred_idx,
                pred_dist, succ_ptr, succ_idx, rpred_dist, indeg, outdeg, release, fixed, latest_big, latest,
                fbi_rounds, work, unlev,
            )  # fmt: skip
            count += 2
            unlev[:] = 0
        nu = float(unlev.sum())
        wsum = 0.0
        for j in range(n):
            wsum += weights[j] * starts[j]
        if (nu, float(ms), wsum) < (best_obj[0], best_obj[1], best_obj[2]):
            best_obj[0] = nu
            best_obj[1] = ms
            best_obj[2] = wsum
            best_starts[:] = starts
    return count


# --------------------------------------------------------------------------------------------------------
# Python driver
# --------------------------------------------------------------------------------------------------------
@dataclass
class HeuristicData:
    """Arrays prepared once per problem for the kernels."""

    problem: LevellingProblem
    analysis: TemporalAnalysis
    dur: IntArray
    dem: IntArray
    res_ptr: IntArray
    res_idx: IntArray
    avail0: IntArray
    base_cap: IntArray
    rpred_dist: IntArray
    indeg: IntArray
    outdeg: IntArray
    latest_big: IntArray
    latest_fixed: IntArray
    """The latest start of each activity that keeps it before the fixed activities it precedes (directly or
    through others): a free activity moved later would push a pinned one (an in-progress, elapsed or own-
    calendar task); ``latest_big`` where none follows."""
    weights: FloatArray
    user_rank: FloatArray
    warnings: list[str]


def prepare(problem: LevellingProblem, analysis: TemporalAnalysis | None = None) -> HeuristicData:
    an = analysis if analysis is not None else analyse(problem)
    n = problem.n_activities
    dur = problem.durations
    warnings = list(an.warnings)
    base_cap = problem.capacities.copy()
    dem = np.minimum(problem.demands, base_cap[None, :]).astype(np.int64)
    too_big = np.flatnonzero((problem.demands > base_cap[None, :]).any(axis=1) & (dur > 0))
    if too_big.size:
        warnings.append(
            "demand exceeds the resource capacity, levelled as if using the full capacity: activities "
            + ", ".join(problem.label(int(j)) for j in too_big[:20])
        )
    dem = np.ascontiguousarray(dem)
    res_counts = (dem > 0).sum(axis=1)
    res_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(res_counts, out=res_ptr[1:])
    res_idx = np.ascontiguousarray(np.nonzero(dem > 0)[1], dtype=np.int64)

    fixed = problem.fixed_array
    rel = problem.release_array
    fixed_fin = int(np.max(np.where(fixed >= 0, fixed + dur, 0))) if n else 0
    base = max(problem.profile_length, int(rel.max(initial=0)), fixed_fin, int(an.es.max(initial=0)) + 1)
    extra = 0
    for j in range(n):
        for k in range(int(an.pred_ptr[j]), int(an.pred_ptr[j + 1])):
            extra += max(0, int(an.pred_dist[k]) - int(dur[an.pred_idx[k]]))
    horizon = 2 * (base + int(dur.sum()) + extra) + 2
    avail0 = problem.capacity_matrix(horizon)
    for jf in np.flatnonzero(fixed >= 0):
        s = int(fixed[jf])
        avail0[:, s : s + int(dur[jf])] -= problem.demands[jf][:, None]
    avail0 = np.ascontiguousarray(avail0)

    # Reversed-time distances for the backward pass: tau_p >= tau_s + d + dur_s - dur_p.
    src_of_succ = np.repeat(np.arange(n, dtype=np.int64), np.diff(an.succ_ptr))
    rpred_dist = np.ascontiguousarray(an.succ_dist + dur[an.succ_idx] - dur[src_of_succ], dtype=np.int64)
    indeg = np.diff(an.pred_ptr).astype(np.int64)
    outdeg = np.diff(an.succ_ptr).astype(np.int64)
    latest_big = np.full(n, horizon, dtype=np.int64)
    latest_fixed = latest_big.copy()
    for j in an.order[::-1].tolist():
        if fixed[j] >= 0:
            latest_fixed[j] = fixed[j]
            continue
        for k in range(int(an.succ_ptr[j]), int(an.succ_ptr[j + 1])):
            s = int(an.succ_idx[k])
            if latest_fixed[s] < horizon:
                latest_fixed[j] = min(latest_fixed[j], latest_fixed[s] - int(an.succ_dist[k]))
    prio = problem.priority_array
    weights = (1 + prio - prio.min(initial=0)).astype(np.float64) if n else np.zeros(0)
    # Higher user priority must come first: rank 0 for the highest priority.
    user_rank = (prio.max(initial=0) - prio).astype(np.float64) if n else np.zeros(0)
    return HeuristicData(
        problem, an, dur, dem, res_ptr, res_idx, avail0, base_cap, rpred_dist, indeg, outdeg,
        latest_big, latest_fixed, weights, user_rank, warnings,
    )  # fmt: skip


def _total_successors(an: TemporalAnalysis, n: int) -> IntArray:
    sets = [0] * n
    for j in an.order[::-1]:
        acc = 0
        for k in range(int(an.succ_ptr[j]), int(an.succ_ptr[j + 1])):
            s = int(an.succ_idx[k])
            acc |= sets[s] | (1 << s)
        sets[int(j)] = acc
    return np.asarray([s.bit_count() for s in sets], dtype=np.int64)


def rule_key(data: HeuristicData, rule: str) -> FloatArray:
    """Priority key for ``rule`` (smaller = scheduled first), with the user priority as first criterion."""
    an, dur = data.analysis, data.dur
    rule = rule.upper()
    if rule == "LFT":
        base = an.ls + dur
    elif rule == "LST":
        base = an.ls
    elif rule == "MSLK":
        base = an.ls - an.es
    elif rule == "MTS":
        base = -_total_successors(an, dur.shape[0])
    elif rule == "GRD":
        base = -(dur * data.dem.sum(axis=1))
    elif rule == "SPT":
        base = dur
    else:
        raise LevellingError(f"unknown priority rule {rule!r}; choose from {', '.join(PRIORITY_RULES)}")
    b = base.astype(np.float64)
    if b.size == 0:
        return b
    b = b - b.min()
    span = float(b.max()) + 1.0
    return np.ascontiguousarray(data.user_rank * span * 2.0 + b, dtype=np.float64)


def _objective(data: HeuristicData, starts: IntArray, unlev: IntArray, ms: int) -> tuple[float, float, float]:
    return float(unlev.sum()), float(ms), float(np.dot(data.weights, starts))


def level_heuristic(
    problem: LevellingProblem,
    *,
    iterations: int | None = None,
    seed: int = 0,
    rules: tuple[str, ...] = ("LFT", "LST", "MTS", "GRD", "MSLK"),
    within_slack: bool = False,
    improve: bool = True,
    alpha: float = 1.0,
    time_limit: float | None = None,
    progress: ProgressCallback | None = None,
) -> LevellingResult:
    """Level ``problem`` with a multi-pass serial SGS.

    Each priority rule in ``rules`` is tried once deterministically, then ``iterations`` (default: about
    3000 for 30 activities, fewer for large projects) regret-based
    biased random samples (LFT rule, bias ``alpha``) are drawn; every schedule is improved by
    forward-backward passes when ``improve`` is set.  The best schedule is kept (fewest unlevelled
    activities, then shortest makespan, then earliest priority-weighted starts).

    ``within_slack=True`` only delays activities inside their total float (the unconstrained project end
    never moves); activities that cannot be levelled that way stay at their earliest start and are listed
    in ``LevellingResult.not_levelled``.  ``time_limit`` (seconds) caps the sampling phase, which makes the
    result depend on machine speed; leave it ``None`` for reproducible results.
    """
    t0 = time.perf_counter()
    n = problem.n_activities
    if iterations is None:
        iterations = int(min(3000, max(100, 100_000 // max(n, 1))))
    data = prepare(problem)
    an = data.analysis
    lb = makespan_lower_bound(problem, an)
    if n == 0:
        return LevellingResult(np.zeros(0, dtype=np.int64), 0, "heuristic", "HEURISTIC", 0, 0.0)
    latest = an.ls.copy() if within_slack else data.latest_fixed
    fbi_rounds = 0 if (within_slack or not improve) else 8
    fixed, rel = problem.fixed_array, problem.release_array
    tiebreak_scale = 1e-6
    best = np.zeros(n, dtype=np.int64)
    best_obj = np.array([np.inf, np.inf, np.inf])
    starts = np.empty(n, dtype=np.int64)
    unlev = np.zeros(n, dtype=np.int64)
    work = np.empty_like(data.avail0)
    schedules = 0
    lfT_key = rule_key(data, "LFT")
    tiebreak = np.ascontiguousarray(lfT_key * tiebreak_scale / (float(lfT_key.max()) + 1.0))
    total_steps = len(rules) + max(iterations, 0)
    for i, rule in enumerate(rules):
        key = rule_key(data, rule)
        order = _topo_by_key(key, an.succ_ptr, an.succ_idx, data.indeg)
        ms = _sgs(
            order, data.dur, data.dem, data.res_ptr, data.res_idx, data.avail0, an.pred_ptr, an.pred_idx,
            an.pred_dist, rel, fixed, latest, starts, unlev, work,
        )  # fmt: skip
        schedules += 1
        if fbi_rounds and unlev.sum() == 0:
            ms = _fbi(
                starts, ms, tiebreak, data.dur, data.dem, data.res_ptr, data.res_idx, data.avail0,
                data.base_cap, an.pred_ptr, an.pred_idx, an.pred_dist, an.succ_ptr, an.succ_idx,
                data.rpred_dist, data.indeg, data.outdeg, rel, fixed, data.latest_big, latest, fbi_rounds, work,
                unlev,
            )  # fmt: skip
            unlev[:] = 0
            schedules += 2
        obj = _objective(data, starts, unlev, ms)
        if obj < tuple(best_obj):
            best_obj[:] = obj
            best[:] = starts
        if progress is not None:
            progress((i + 1) / total_steps, f"priority rule {rule}: makespan {int(best_obj[1])}")
    stop_at = lb if not within_slack else -1
    chunks = max(1, min(10, iterations // 50)) if iterations > 0 else 0
    done = 0
    for c in range(chunks):
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
        count = iterations // chunks + (1 if c < iterations % chunks else 0)
        schedules += _sample(
            count, seed * 1009 + c, alpha, lfT_key, tiebreak, data.weights, data.dur, data.dem, data.res_ptr,
            data.res_idx, data.avail0, data.base_cap, an.pred_ptr, an.pred_idx, an.pred_dist, an.succ_ptr,
            an.succ_idx, data.rpred_dist, data.indeg, data.outdeg, rel, fixed, latest, data.latest_big,
            fbi_rounds, best, best_obj, stop_at,
        )  # fmt: skip
        done += count
        if progress is not None:
            progress(
                (len(rules) + done) / total_steps,
                f"sampling {done}/{iterations}: makespan {int(best_obj[1])}",
            )
        if best_obj[0] == 0 and best_obj[1] <= stop_at:
            break
    makespan = int(np.max(best + data.dur))
    over = find_overallocations(problem, best)
    # and the activities that could not be put before a fixed one they precede (at their earliest start)
    late = np.flatnonzero((problem.fixed_array < 0) & (best > latest)).tolist()
    not_levelled = sorted({j for ov in over for j in ov.activities} | set(late))
    warnings = list(data.warnings)
    if within_slack and not_levelled:
        warnings.append(
            f"{len(not_levelled)} activities cannot be levelled within their slack: "
            + ", ".join(problem.label(j) for j in not_levelled[:20])
        )
    if progress is not None:
        progress(1.0, f"done: makespan {makespan}")
    return LevellingResult(
        starts=best.copy(),
        makespan=makespan,
        method="heuristic",
        status="HEURISTIC",
        lower_bound=min(lb, makespan),
        solve_time=time.perf_counter() - t0,
        not_levelled=not_levelled,
        warnings=warnings,
        schedules=schedules,
    )
