"""Optimising resource levelling with Google OR-Tools CP-SAT (minimise the makespan).

Model: one fixed-size interval per activity, start-to-start precedence distances, one cumulative per
resource (capacity profiles via fixed dummy intervals), a "makespan interval" ``[makespan, UB)`` that
occupies every resource fully (strengthens energetic reasoning), redundant no-overlap constraints for
activities that can never run in parallel, start domains tightened by heads/tails and the heuristic upper
bound, and the heuristic schedule as solution hint.  The result is never worse than the heuristic's.
"""

from __future__ import annotations

import itertools
import math
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model, cp_model_helper

from charter.engine.levelling import (
    IntArray,
    LevellingProblem,
    LevellingResult,
    ProgressCallback,
    makespan_lower_bound,
    validate_schedule,
)
from charter.engine.levelling_heuristic import _sgs, _topo_by_key, level_heuristic, prepare

__all__ = ["energy_distances", "level_cpsat"]

_MAX_PAIRWISE = 400
_LB_SEARCH = "objective_lb_search_without_lp"


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, makespan: cp_model.IntVar, time_limit: float, progress: ProgressCallback) -> None:
        super().__init__()
        self._makespan = makespan
        self._time_limit = max(time_limit, 1e-9)
        self._progress = progress

    def on_solution_callback(self) -> None:
        frac = min(0.99, self.wall_time / self._time_limit)
        self._progress(
            frac,
            f"CP-SAT solution: makespan {int(self.value(self._makespan))}, bound {int(self.best_objective_bound)}",
        )


def _disjunctive_cliques(dem: IntArray, cap: IntArray, active: list[int]) -> list[list[int]]:
    """Groups of activities that pairwise can never overlap (greedy cliques of the conflict graph)."""
    if len(active) < 2:
        return []
    conflict: dict[int, set[int]] = {j: set() for j in active}
    for a, b in itertools.combinations(active, 2):
        if np.any(dem[a] + dem[b] > cap):
            conflict[a].add(b)
            conflict[b].add(a)
    cliques: list[list[int]] = []
    covered: set[tuple[int, int]] = set()
    by_degree = sorted(active, key=lambda j: (-len(conflict[j]), j))
    for seed in by_degree:
        if not conflict[seed]:
            continue
        clique = [seed]
        for j in sorted(conflict[seed], key=lambda j: (-len(conflict[j]), j)):
            if all(j in conflict[c] for c in clique):
                clique.append(j)
        pairs = {(min(a, b), max(a, b)) for a, b in itertools.combinations(clique, 2)}
        if len(clique) >= 2 and not pairs <= covered:
            covered |= pairs
            cliques.append(sorted(clique))
    return cliques


def _closure(
    n: int, succ_ptr: IntArray, succ_idx: IntArray, succ_dist: IntArray, dur: IntArray, order: IntArray
) -> NDArray[np.bool_]:
    """``reach[i, j]``: a chain of links forces ``start_j >= finish_i`` (only links with distance >= dur)."""
    reach = np.zeros((n, n), dtype=np.bool_)
    for i in order[::-1]:
        for k in range(int(succ_ptr[i]), int(succ_ptr[i + 1])):
            if int(succ_dist[k]) < int(dur[i]):
                continue
            s = int(succ_idx[k])
            reach[i, s] = True
            reach[i] |= reach[s]
    return reach


def energy_distances(
    problem: LevellingProblem, dem: IntArray, cap: IntArray, reach: NDArray[np.bool_]
) -> tuple[IntArray, IntArray, list[tuple[int, int, int]]]:
    """Energy-based heads, tails and start-to-start distances implied by the precedence closure.

    All activities between ``i`` and ``j`` (successors of ``i`` that precede ``j``) run inside
    ``[finish_i, start_j)``, so ``start_j >= start_i + dur_i + ceil(energy_r / cap_r)`` for every resource;
    likewise for the predecessors of ``j`` (head) and the successors of ``i`` (tail, including ``dur_i``).
    Only valid for constant capacities without release dates / fixed starts in between; the caller
    applies it only when the problem has no capacity profile.
    """
    dur = problem.durations.astype(np.int64)
    energy = (dur[:, None] * dem).astype(np.int64)  # (n, R)
    pos = cap > 0
    e = energy[:, pos].astype(np.float64)
    c = cap[pos].astype(np.float64)
    r_ = reach.astype(np.float64)
    head_e = r_.T @ e  # energy of all predecessors of j
    tail_e = r_ @ e  # energy of all successors of i
    head = np.ceil(head_e / c - 1e-9).max(axis=1, initial=0).astype(np.int64)
    tail = (dur + np.ceil(tail_e / c - 1e-9).max(axis=1, initial=0)).astype(np.int64)
    pairs: list[tuple[int, int, int]] = []
    for i in range(problem.n_activities):
        succ = np.flatnonzero(reach[i])
        if succ.size == 0:
            continue
        # between[i, j] energy = sum over k in succ(i) & pred(j)
        between = r_[succ][:, succ].T @ e[succ]  # rows: j in succ, energy of k in succ(i) preceding j
        bound = dur[i] + np.ceil(between / c - 1e-9).max(axis=1, initial=0)
        for jj, j in enumerate(succ):
            pairs.append((i, int(j), int(bound[jj])))
    return head, tail, pairs


def level_cpsat(
    problem: LevellingProblem,
    *,
    time_limit: float = 10.0,
    num_workers: int = 2,
    seed: int = 0,
    hint: LevellingResult | None = None,
    heuristic_iterations: int | None = None,
    redundant: bool = True,
    bound_search: bool = True,
    hint_share: float | None = None,
    progress: ProgressCallback | None = None,
    log: bool = False,
    **solver_params: Any,
) -> LevellingResult:
    """Minimise the makespan with CP-SAT within ``time_limit`` seconds (wall clock, including the heuristic).

    ``hint`` is a heuristic result to start from (computed with :func:`level_heuristic` when ``None``; with
    ``hint_share`` its sampling is capped at that share of the time limit, which leaves the solver more of its
    time on a loaded machine but gives up "never worse than the default heuristic", so it is off by default).
    With a valid hint and ``bound_search`` the two workers are both full-problem solvers without LP
    relaxation (``no_lp``), one of them searching on the objective's lower bound (``use_objective_lb_search``):
    the hint is usually optimal or near it, so proving the bound is the work left, and the default second
    worker (LNS on the incumbent) helps little there; the LP adds no bound on these models and only slows
    both searches down.  More workers keep CP-SAT's portfolio with ``objective_lb_search`` added.
    Extra keyword arguments are set on ``CpSolver.parameters``.  The returned ``lower_bound`` is the
    solver's proven bound (at least the critical-path / energy bound); ``status`` is ``"OPTIMAL"`` when the
    makespan equals it.  If CP-SAT finds nothing better, the heuristic schedule is returned with
    ``fallback=True``.  Deadlines are hard constraints here (``status="INFEASIBLE"`` if they cannot be met).
    """
    t0 = time.perf_counter()
    n = problem.n_activities
    if hint is None:
        kw: dict[str, Any] = {"seed": seed}
        if heuristic_iterations is not None:
            kw["iterations"] = heuristic_iterations
        elif hint_share is not None:
            kw["time_limit"] = hint_share * time_limit
        hint = level_heuristic(problem, **kw)
    if progress is not None:
        progress(0.0, f"heuristic makespan {hint.makespan}")
    data = prepare(problem)
    an = data.analysis
    lb0 = makespan_lower_bound(problem, an)
    dur = problem.durations
    fixed = problem.fixed_array
    deadline = problem.deadline_array
    hint_valid = not validate_schedule(problem, hint.starts) and not hint.not_levelled

    def result(
        starts: IntArray, status: str, lb: int, fallback: bool, warnings: list[str]
    ) -> LevellingResult:
        ms = int(np.max(starts + dur)) if n else 0
        return LevellingResult(
            starts=np.asarray(starts, dtype=np.int64).copy(),
            makespan=ms,
            method="cpsat",
            status=status,
            lower_bound=min(lb, ms),
            solve_time=time.perf_counter() - t0,
            not_levelled=list(hint.not_levelled) if fallback else [],
            warnings=warnings,
            schedules=hint.schedules,
            fallback=fallback,
        )

    warnings = list(data.warnings)
    if n == 0:
        return result(np.zeros(0, dtype=np.int64), "OPTIMAL", 0, False, warnings)
    if hint_valid and hint.makespan <= lb0:
        if progress is not None:
            progress(1.0, "heuristic schedule is optimal")
        return result(hint.starts, "OPTIMAL", lb0, False, warnings)

    # Upper bound on the makespan: the heuristic's when it is feasible, else a generous horizon.
    ub = hint.makespan if hint_valid else int(data.avail0.shape[1])
    dem = data.dem
    cap_max = problem.capacities.copy()
    cap_mat = problem.capacity_matrix(max(problem.profile_length, 0))
    if problem.profile_length:
        cap_max = np.maximum(cap_max, cap_mat.max(axis=1))
    head = an.es.copy()
    tail = an.tail.copy()
    pairs: list[tuple[int, int, int]] = []
    if redundant and n <= _MAX_PAIRWISE:
        reach = _closure(n, an.succ_ptr, an.succ_idx, an.succ_dist, dur, an.order)
        e_head, e_tail, pairs = energy_distances(problem, dem, cap_max, reach)
        head = np.maximum(head, e_head)
        tail = np.maximum(tail, e_tail)
        lb0 = max(lb0, int(np.max(np.where(fixed >= 0, fixed, head) + tail)))
    ub = max(ub, lb0)
    model = cp_model.CpModel()
    starts: list[cp_model.IntVar] = []
    intervals: list[cp_model.IntervalVar | None] = []
    for j in range(n):
        d = int(dur[j])
        if fixed[j] >= 0:
            lo = hi = int(fixed[j])
        else:
            lo = int(head[j])
            hi = ub - int(tail[j])
            if deadline[j] >= 0:
                hi = min(hi, int(deadline[j]) - d)
            hi = max(hi, lo) if not hint_valid else hi
        if hi < lo:
            warnings.append(f"activity {problem.label(j)} has an empty time window [{lo}, {hi}]")
            hi = lo
        s = model.new_int_var(lo, hi, f"s{j}")
        starts.append(s)
        intervals.append(model.new_fixed_size_interval_var(s, d, f"i{j}") if d > 0 else None)
    for j in range(n):
        for k in range(int(an.succ_ptr[j]), int(an.succ_ptr[j + 1])):
            model.add(starts[int(an.succ_idx[k])] >= starts[j] + int(an.succ_dist[k]))
    for i, j, dist in pairs:
        if dist > int(dur[i]):
            model.add(starts[j] >= starts[i] + dist)
    makespan = model.new_int_var(lb0, ub, "makespan")
    for j in range(n):
        if int(an.tail[j]) == int(dur[j]):
            model.add(makespan >= starts[j] + int(dur[j]))
    horizon = ub
    make_iv = model.new_interval_var(makespan, model.new_int_var(0, horizon - lb0, "tail"), horizon, "ms_iv")
    model.add(make_iv.size_expr() == horizon - makespan)

    for r in range(problem.n_resources):
        users = [j for j in range(n) if intervals[j] is not None and dem[j, r] > 0]
        if not users:
            continue
        ivs = [intervals[j] for j in users]
        demands = [int(dem[j, r]) for j in users]
        # Capacity profile below the maximum -> fixed dummy intervals (one per constant segment).
        row = cap_mat[r] if problem.profile_length else np.zeros(0, dtype=np.int64)
        t = 0
        while t < row.shape[0]:
            t2 = t
            while t2 + 1 < row.shape[0] and row[t2 + 1] == row[t]:
                t2 += 1
            gap = int(cap_max[r] - row[t])
            if gap > 0:
                ivs.append(model.new_fixed_size_interval_var(t, t2 + 1 - t, f"cal{r}_{t}"))
                demands.append(gap)
            t = t2 + 1
        # Fixed activities consume their real demand (may exceed the clamped one).
        if redundant:
            ivs.append(make_iv)
            demands.append(int(cap_max[r]))
        model.add_cumulative([iv for iv in ivs if iv is not None], demands, int(cap_max[r]))
    if redundant:
        active = [j for j in range(n) if intervals[j] is not None]
        for clique in _disjunctive_cliques(dem, cap_max, active):
            model.add_no_overlap([iv for iv in (intervals[j] for j in clique) if iv is not None])
    model.minimize(makespan)
    if hint_valid:
        for j in range(n):
            model.add_hint(starts[j], int(hint.starts[j]))
        model.add_hint(makespan, hint.makespan)

    solver = cp_model.CpSolver()
    remaining = max(0.05, time_limit - (time.perf_counter() - t0))
    solver.parameters.max_time_in_seconds = remaining
    solver.parameters.num_workers = max(1, num_workers)
    solver.parameters.random_seed = seed
    solver.parameters.log_search_progress = log
    if bound_search and hint_valid and num_workers >= 2 and "subsolvers" not in solver_params:
        if num_workers == 2:
            # Both workers without LP relaxation: on these models the LP gives no useful bound (the
            # cumulative constraints are not linearised at the default level) and only slows the search.
            solver.parameters.num_full_subsolvers = 2
            lb_search = cp_model_helper.SatParameters()
            lb_search.name = _LB_SEARCH
            lb_search.linearization_level = 0
            lb_search.use_objective_lb_search = True
            solver.parameters.subsolver_params.append(lb_search)
            solver.parameters.subsolvers.extend(["no_lp", _LB_SEARCH])
        else:
            solver.parameters.extra_subsolvers.append("objective_lb_search")
    for key, value in solver_params.items():
        if isinstance(value, (list, tuple)):
            getattr(solver.parameters, key).extend(value)
        else:
            setattr(solver.parameters, key, value)
    cb = _Progress(makespan, remaining, progress) if progress is not None else None
    status = solver.solve(model, cb)
    if status == cp_model.INFEASIBLE:
        warnings.append("CP-SAT: no schedule meets all hard constraints (deadlines / fixed starts)")
        if progress is not None:
            progress(1.0, "infeasible")
        return result(hint.starts, "INFEASIBLE", lb0, True, warnings)
    bound = max(lb0, math.ceil(solver.best_objective_bound - 1e-6))
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        sol = np.array([solver.value(s) for s in starts], dtype=np.int64)
        sol = _left_justify(problem, sol, data)
        ms = int(np.max(sol + dur))
        if hint_valid and ms >= hint.makespan:
            sol, fallback = hint.starts, True
            ms = hint.makespan
        else:
            fallback = False
        st = "OPTIMAL" if ms <= bound or status == cp_model.OPTIMAL else "FEASIBLE"
        if status == cp_model.OPTIMAL:
            bound = max(bound, ms)
        if progress is not None:
            progress(1.0, f"CP-SAT {st}: makespan {ms}, bound {bound}")
        return result(sol, st, bound, fallback, warnings)
    if progress is not None:
        progress(1.0, "CP-SAT found no schedule in time; heuristic schedule kept")
    return result(hint.starts, "FEASIBLE" if hint_valid else "UNKNOWN", bound, True, warnings)


def _left_justify(problem: LevellingProblem, sol: IntArray, data: Any) -> IntArray:
    """Re-run the serial SGS in order of the solver's starts; keep it when valid and not longer."""
    an = data.analysis
    n = problem.n_activities
    key = sol.astype(np.float64) + np.arange(n) * 1e-9
    order = _topo_by_key(key, an.succ_ptr, an.succ_idx, data.indeg)
    out = np.empty(n, dtype=np.int64)
    unlev = np.zeros(n, dtype=np.int64)
    work = np.empty_like(data.avail0)
    _sgs(
        order, data.dur, data.dem, data.res_ptr, data.res_idx, data.avail0, an.pred_ptr, an.pred_idx,
        an.pred_dist, problem.release_array, problem.fixed_array, data.latest_fixed, out, unlev, work,
    )  # fmt: skip
    if (
        not unlev.any()
        and int(np.max(out + problem.durations)) <= int(np.max(sol + problem.durations))
        and not validate_schedule(problem, out)
    ):
        return out
    return sol
