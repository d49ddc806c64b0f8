"""The Monte Carlo engine against closed-form moments, the CPM engine and its own invariants.

Tolerances are a few standard errors of the estimate for the iteration counts used (fixed seeds, so the
tests are deterministic; the margins keep them valid for any seed).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charter.engine.calendar import WorkCalendar
from charter.engine.cpm import schedule
from charter.engine.montecarlo import Actuals, Distribution, MonteCarloError, Risks, ThreePoint, simulate
from networks import random_network

FS, SS, FF, SF = 0, 1, 2, 3
K = 20_000


def tri_var(a: float, m: float, b: float) -> float:
    return (a * a + m * m + b * b - a * m - a * b - m * b) / 18


def tri_quantile(a: float, m: float, b: float, p: float) -> float:
    fc = (m - a) / (b - a)
    return a + math.sqrt(p * (b - a) * (m - a)) if p < fc else b - math.sqrt((1 - p) * (b - a) * (b - m))


def test_one_triangular_task_mean_converges() -> None:
    a, m, b = 2.0, 3.0, 10.0
    r = simulate(ThreePoint([a], [m], [b]), iterations=K, seed=1)
    se = math.sqrt(tri_var(a, m, b) / K)
    assert r.finish_mean == pytest.approx((a + m + b) / 3, abs=4 * se)
    assert r.finish.min() >= a and r.finish.max() <= b
    assert r.finish_percentiles[50.0] == pytest.approx(tri_quantile(a, m, b, 0.5), abs=0.05)
    assert r.criticality.tolist() == [1.0]
    assert r.sensitivity[0] > 0.999  # the finish is the task's duration


def test_tasks_in_series_mean_of_sum() -> None:
    n = 20
    rng = np.random.default_rng(3)
    lo = rng.uniform(1, 5, n)
    md = lo + rng.uniform(0, 3, n)
    hi = md + rng.uniform(1, 8, n)
    r = simulate(
        ThreePoint(lo, md, hi),
        np.arange(n - 1),
        np.arange(1, n),
        np.zeros(n - 1),
        np.zeros(n - 1),
        iterations=K,
    )
    se = math.sqrt(sum(tri_var(*x) for x in zip(lo, md, hi, strict=True)) / K)
    assert r.finish_mean == pytest.approx(float((lo + md + hi).sum() / 3), abs=4 * se)
    assert np.all(r.criticality == 1.0)
    assert r.deterministic_finish == pytest.approx(float(md.sum()))


def test_two_equal_parallel_paths_merge_bias() -> None:
    a, m, b = 4.0, 5.0, 9.0
    # paths 0 -> 1 and 2 -> 3, both into the milestone 4
    est = ThreePoint([a, a, a, a, 0], [m, m, m, m, 0], [b, b, b, b, 0])
    r = simulate(est, [0, 2, 1, 3], [1, 3, 4, 4], [FS] * 4, [0] * 4, iterations=K, seed=2)
    one_path = simulate(ThreePoint([a, a], [m, m], [b, b]), [0], [1], [FS], [0], iterations=K, seed=2)
    assert r.finish_percentiles[50.0] > one_path.finish_percentiles[50.0] + 0.3
    assert r.finish_mean > one_path.finish_mean + 0.3
    # each path is critical about half of the time, the milestone always
    assert r.criticality[4] == 1.0
    assert r.criticality[0] == pytest.approx(0.5, abs=0.03) and r.criticality[0] == r.criticality[1]


def test_risk_event_probability_zero_and_one() -> None:
    est = ThreePoint([2.0, 1.0], [3.0, 2.0], [6.0, 4.0])
    links = ([0], [1], [FS], [0.0])
    base = simulate(est, *links, iterations=5000, seed=4)
    never = simulate(est, *links, iterations=5000, seed=4, risks=Risks([0], [0.0], ThreePoint.fixed([7.0])))
    always = simulate(est, *links, iterations=5000, seed=4, risks=Risks([0], [1.0], ThreePoint.fixed([7.0])))
    np.testing.assert_array_equal(never.finish, base.finish)
    np.testing.assert_allclose(always.finish, base.finish + 7.0)
    assert never.risk_occurrence.tolist() == [0.0] and always.risk_occurrence.tolist() == [1.0]
    half = simulate(
        est, *links, iterations=5000, seed=4, risks=Risks([1], [0.5], ThreePoint([1.0], [2.0], [3.0]))
    )
    assert half.risk_occurrence[0] == pytest.approx(0.5, abs=0.03)
    assert half.finish_mean == pytest.approx(base.finish_mean + 0.5 * 2.0, abs=0.1)
    assert half.risk_finish_high[0] - half.risk_finish_low[0] == pytest.approx(2.0, abs=0.15)
    assert half.risk_sensitivity[0] > 0.3
    assert any(d.kind == "risk" and d.index == 0 for d in half.tornado)


def test_criticality_one_on_the_chain_zero_with_huge_float() -> None:
    # 0 -> 1 -> 2 is long; 3 (short, huge float) runs beside it into 2
    est = ThreePoint([10.0, 10.0, 1.0, 0.5], [12.0, 12.0, 2.0, 1.0], [15.0, 15.0, 3.0, 2.0])
    r = simulate(est, [0, 1, 3], [1, 2, 2], [FS] * 3, [0] * 3, iterations=5000)
    assert r.criticality.tolist() == [1.0, 1.0, 1.0, 0.0]
    assert r.cruciality[3] == 0.0 and r.cruciality[0] == pytest.approx(r.sensitivity[0])
    assert r.sensitivity[0] > r.sensitivity[2] > 0 and abs(r.sensitivity[3]) < 0.05
    assert [d.index for d in r.tornado[:2]] == [0, 1] or [d.index for d in r.tornado[:2]] == [1, 0]
    assert r.tornado[0].finish_high > r.tornado[0].finish_low


def test_pert_mean_and_uniform_bounds() -> None:
    a, m, b = 1.0, 2.0, 9.0
    pert = simulate(ThreePoint([a], [m], [b], Distribution.PERT), iterations=K, seed=5)
    sd = (b - a) / 6 * math.sqrt(1 + 0.0)  # PERT sd is about (b - a) / 6
    assert pert.finish_mean == pytest.approx((a + 4 * m + b) / 6, abs=4 * sd / math.sqrt(K) + 0.005)
    assert pert.finish.min() >= a and pert.finish.max() <= b
    uni = simulate(ThreePoint([3.0], [4.0], [5.0], Distribution.UNIFORM), iterations=K, seed=5)
    assert uni.finish.min() >= 3.0 and uni.finish.max() <= 5.0
    assert uni.finish_mean == pytest.approx(4.0, abs=4 * math.sqrt(1 / 3 / K))
    assert uni.finish_percentiles[10.0] == pytest.approx(3.2, abs=0.02)
    # distributions per task: task 0 uniform, task 1 PERT with the mode at the low end
    mixed = simulate(
        ThreePoint([0.0, 0.0], [0.0, 0.0], [1.0, 6.0], [2, 1]), [0], [1], [FS], [0], iterations=K
    )
    assert mixed.finish_mean == pytest.approx(0.5 + 1.0, abs=0.02)


def test_deterministic_for_a_seed_and_independent_of_chunking() -> None:
    est = ThreePoint([1.0, 2.0, 1.0], [2.0, 3.0, 2.5], [4.0, 7.0, 6.0])
    links = ([0, 0], [1, 2], [FS, SS], [0.0, 1.0])
    r1 = simulate(est, *links, iterations=1000, seed=7)
    r2 = simulate(est, *links, iterations=1000, seed=7, memory_budget=1)  # the smallest chunks
    r3 = simulate(est, *links, iterations=1000, seed=8)
    np.testing.assert_array_equal(r1.finish, r2.finish)
    np.testing.assert_array_equal(r1.criticality, r2.criticality)
    np.testing.assert_allclose(r1.sensitivity, r2.sensitivity, atol=1e-12)
    assert not np.array_equal(r1.finish, r3.finish)
    # the first iterations do not depend on how many follow
    r4 = simulate(est, *links, iterations=130, seed=7)
    np.testing.assert_array_equal(r4.finish, r1.finish[:130])


def test_link_types_and_lags_match_cpm() -> None:
    cal = WorkCalendar(dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    for seed in range(3):
        dur, src, dst, typ, lag = random_network(60, seed)
        cpm = schedule(dur, src, dst, typ, lag, calendar=cal, start=dt.date(2024, 1, 1))
        d = dur.astype(np.float64)
        r = simulate(ThreePoint(d, d, d), src, dst, typ, lag, iterations=70)
        assert np.all(r.finish == cpm.project_finish)
        assert r.deterministic_finish == cpm.project_finish
        np.testing.assert_array_equal(r.criticality, cpm.critical.astype(float))
        assert np.all(r.sensitivity == 0.0) and r.tornado == []


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 25), seed=st.integers(0, 10_000))
def test_deterministic_estimates_match_cpm_on_any_network(n: int, seed: int) -> None:
    dur, src, dst, typ, lag = random_network(n, seed)
    cal = WorkCalendar(dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    cpm = schedule(dur, src, dst, typ, lag, calendar=cal, start=dt.date(2024, 1, 1))
    d = dur.astype(np.float64)
    r = simulate(ThreePoint(d, d, d), src, dst, typ, lag, iterations=3)
    assert np.all(r.finish == cpm.project_finish)
    np.testing.assert_array_equal(r.criticality, cpm.critical.astype(float))


def test_a_percent_lag_follows_the_predecessors_sampled_duration() -> None:
    """A percent lag is of the predecessor's duration in each iteration, not at its most likely one: B after A
    finish-to-start with 100 % lag finishes at 2 x A's sampled duration, so its spread is twice A's; the same
    link with A's most likely duration as a fixed lag only adds a constant. Both tasks are always critical;
    SS 50 % starts B at half of A."""
    est = ThreePoint([10.0, 0.0], [20.0, 0.0], [60.0, 0.0])
    by_pct = simulate(est, [0], [1], [0], [0.0], lag_percent=[100.0], iterations=2000, seed=4)
    fixed = simulate(est, [0], [1], [0], [20.0], iterations=2000, seed=4)  # the same samples of A
    a = fixed.finish - 20.0
    np.testing.assert_allclose(by_pct.finish, 2 * a)
    assert by_pct.deterministic_finish == fixed.deterministic_finish == 40.0
    np.testing.assert_array_equal(by_pct.criticality, [1.0, 1.0])
    est = ThreePoint([10.0, 5.0], [20.0, 5.0], [60.0, 5.0])
    ss = simulate(est, [0], [1], [1], [0.0], lag_percent=[50.0], iterations=2000, seed=4)
    np.testing.assert_allclose(ss.finish, np.maximum(a, 0.5 * a + 5.0))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 25), seed=st.integers(0, 10_000))
def test_fixed_durations_with_percent_lags_match_cpm(n: int, seed: int) -> None:
    """With every estimate fixed, percent lags (of whole multiples, so CPM's rounding to minutes is exact)
    give CPM's finish and critical tasks."""
    dur, src, dst, typ, lag = random_network(n, seed)
    rng = np.random.default_rng(seed)
    pct = np.where(rng.random(src.size) < 0.5, rng.choice([-100, 100, 200], src.size), 0)
    kind = np.where(pct != 0, 2, 0)
    cpm_lag = np.where(pct != 0, pct, lag)
    cal = WorkCalendar(dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    cpm = schedule(dur, src, dst, typ, cpm_lag, kind, calendar=cal, start=dt.date(2024, 1, 1))
    d = dur.astype(np.float64)
    r = simulate(
        ThreePoint(d, d, d), src, dst, typ, np.where(pct != 0, 0, lag), lag_percent=pct, iterations=3
    )
    assert np.all(r.finish == cpm.project_finish)
    np.testing.assert_array_equal(r.criticality, cpm.critical.astype(float))


def test_full_correlation_removes_merge_bias() -> None:
    a, m, b = 4.0, 5.0, 9.0
    est = ThreePoint([a, a], [m, m], [b, b])
    together = simulate(est, iterations=K, seed=9, correlation_group=[0, 0], group_correlation=[1.0])
    apart = simulate(est, iterations=K, seed=9, correlation_group=[0, 0], group_correlation=[0.0])
    median = tri_quantile(a, m, b, 0.5)
    assert together.finish_percentiles[50.0] == pytest.approx(median, abs=0.05)
    assert together.finish_mean == pytest.approx((a + m + b) / 3, abs=0.03)
    assert apart.finish_percentiles[50.0] > median + 0.3
    half = simulate(est, iterations=K, seed=9, correlation_group=[0, 0], group_correlation=[0.5])
    assert median < half.finish_percentiles[50.0] < apart.finish_percentiles[50.0]


@pytest.mark.parametrize(
    ("kwargs", "task", "field"),
    [
        ({"duration": ThreePoint([1, 5], [2, 4], [3, 3])}, 1, "duration.high"),
        ({"duration": ThreePoint([1, 1], [2, 7], [3, 3])}, 1, "duration.mode"),
        ({"duration": ThreePoint([-1, 1], [2, 2], [3, 3])}, 0, "duration.low"),
        ({"duration": ThreePoint([1, 1], [2, 2], [3, math.nan])}, 1, "duration.high"),
        ({"cost": ThreePoint([1, 9], [2, 2], [3, 3])}, 1, "cost.high"),
        ({"risks": Risks([1], [1.5], ThreePoint.fixed([1.0]))}, 1, "probability"),
        ({"risks": Risks([0], [0.5], ThreePoint([2.0], [1.0], [3.0]))}, None, "delay.mode"),
        ({"correlation_group": [0, 3], "group_correlation": [0.5]}, 1, "correlation_group"),
        ({"iterations": 2_000_000}, None, "iterations"),
        ({"src": [0, 1], "dst": [1, 0], "typ": [0, 0], "lag": [0, 0]}, 1, "links"),
    ],
)
def test_validation_errors_name_task_and_field(
    kwargs: dict[str, object], task: int | None, field: str
) -> None:
    args: dict[str, object] = {"duration": ThreePoint([1, 1], [2, 2], [3, 3]), "iterations": 10}
    args.update(kwargs)
    with pytest.raises(MonteCarloError) as e:
        simulate(**args)  # type: ignore[arg-type]
    assert e.value.field == field and e.value.task == task
    assert field.split(".")[-1] in str(e.value)
    if task is not None:
        assert f"task {task}" in str(e.value)


def test_cost_sums_fixed_sampled_and_risk_costs() -> None:
    est = ThreePoint([1.0, 1.0], [2.0, 2.0], [3.0, 3.0])
    fixed = simulate(
        est,
        iterations=500,
        cost=ThreePoint.fixed([100.0, 200.0]),
        fixed_cost=[10.0, 20.0],
        risks=Risks([0, 1], [1.0, 0.0], cost=ThreePoint.fixed([1000.0, 5000.0])),
        target_cost=1330.0,
    )
    assert fixed.cost is not None and np.all(fixed.cost == 1330.0)
    assert fixed.cost_percentiles == {10.0: 1330.0, 50.0: 1330.0, 80.0: 1330.0, 90.0: 1330.0}
    assert fixed.p_cost_target == 1.0
    r = simulate(
        est,
        iterations=K,
        seed=11,
        cost=ThreePoint([100.0, 0.0], [150.0, 0.0], [260.0, 0.0]),
        fixed_cost=[10.0, 20.0],
        risks=Risks([1], [0.25], cost=ThreePoint([400.0], [400.0], [800.0], Distribution.UNIFORM)),
    )
    assert r.cost is not None
    mean = 30 + 170 + 0.25 * 600
    sd = math.sqrt(tri_var(100, 150, 260) + 0.25 * (600**2 + 400**2 / 12) - (0.25 * 600) ** 2)
    assert r.cost.mean() == pytest.approx(mean, abs=4 * sd / math.sqrt(K))
    assert r.cost.min() >= 130 and r.cost_percentiles[50.0] < r.cost_percentiles[90.0]
    assert r.cost_histogram is not None and r.cost_histogram.counts.sum() == K
    assert r.probability_cost_within(float(np.median(r.cost))) == pytest.approx(0.5, abs=0.01)
    assert simulate(est, iterations=10).cost is None


def test_targets_histogram_and_progress() -> None:
    calls: list[tuple[float, str]] = []
    r = simulate(
        ThreePoint([1.0], [2.0], [3.0]),
        iterations=3000,
        target_finish=2.0,
        bins=20,
        progress=lambda f, msg: calls.append((f, msg)),
        memory_budget=64 * 4 * 10,
    )
    assert r.p_finish_target == pytest.approx(0.5, abs=0.03)
    h = r.finish_histogram
    assert h.counts.sum() == 3000 and h.edges.size == 21 and h.cumulative[-1] == 1.0
    assert np.all(np.diff(h.cumulative) >= 0)
    assert len(calls) > 1 and calls[-1][0] == 1.0 and "3,000 of 3,000" in calls[-1][1]
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)


def test_empty_project() -> None:
    r = simulate(ThreePoint([], [], []), iterations=10)
    assert np.all(r.finish == 0.0) and r.criticality.size == 0


def test_cancel_stops_between_batches_without_a_result() -> None:
    from charter.engine.montecarlo import MAX_CHUNK, MonteCarloCancelled

    asked: list[int] = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) > 2  # let two batches run, stop before the third

    with pytest.raises(MonteCarloCancelled) as e:
        simulate(ThreePoint([1.0, 2.0], [2.0, 3.0], [4.0, 6.0]), [0], [1], [FS], [0.0], iterations=5 * MAX_CHUNK,
                 seed=1, cancel=cancel)  # fmt: skip
    assert e.value.done == 2 * MAX_CHUNK and len(asked) == 3
    never = simulate(ThreePoint([1.0], [2.0], [4.0]), iterations=1000, seed=1, cancel=lambda: False)
    assert never.finish.size == 1000


# ----------------------------------------------------------------------------- progress (remaining work)


def _progress_case(
    n: int, seed: int
) -> tuple[tuple[np.ndarray, ...], dict[str, object], Actuals, np.ndarray]:
    """A random network half done: per task not started, complete with actual dates, complete at 100 %
    only, in progress with an actual start, in progress by % complete only. Returns the network, the CPM
    engine's progress arguments, the Monte Carlo engine's, and the remaining work per task."""
    cal = WorkCalendar(dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    dur, src, dst, typ, lag = random_network(n, seed)
    rng = np.random.default_rng(seed + 1)
    status = int(rng.integers(0, 3 * 480))
    kind = rng.integers(0, 5, n)
    nat = np.datetime64("NaT", "m")
    a_start = np.full(n, nat)
    a_fin = np.full(n, nat)
    pct = np.zeros(n)
    s_w = np.full(n, np.nan)
    f_w = np.full(n, np.nan)
    done = np.zeros(n)
    complete = np.zeros(n, bool)
    rem = dur.astype(np.float64)
    for i in range(n):
        if kind[i] == 1:  # complete, actual dates before the status date
            s = int(rng.integers(0, status + 1))
            f = s + int(rng.integers(0, status - s + 1))
            a_start[i] = np.datetime64(cal.to_datetime(s), "m")
            a_fin[i] = np.datetime64(cal.to_datetime(f, finish=True), "m")
            s_w[i], f_w[i] = s, f
            pct[i] = 100
        elif kind[i] == 4:
            pct[i] = 100
            complete[i] = True
        elif kind[i] in (2, 3) and dur[i] > 0:
            pct[i] = float(rng.integers(1, 100))
            r = round(dur[i] * (1 - pct[i] / 100))
            done[i], rem[i] = dur[i] - r, r
            if kind[i] == 2:
                s = int(rng.integers(0, status + 1))
                a_start[i] = np.datetime64(cal.to_datetime(s), "m")
                s_w[i] = s
    status_at = cal.to_datetime(status)
    cpm_args = {"calendar": cal, "start": dt.date(2024, 1, 1), "actual_start": a_start, "actual_finish": a_fin,
                "percent_complete": pct, "status_date": status_at}  # fmt: skip
    act = Actuals(status=float(status), start=s_w, finish=f_w, done=done, complete=complete)
    return (dur, src, dst, typ, lag), cpm_args, act, rem


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 30), seed=st.integers(0, 10_000))
def test_zero_variance_with_progress_matches_cpm_with_progress(n: int, seed: int) -> None:
    """Remaining work simulated from the status date: with min = most likely = max every iteration is the
    CPM engine's schedule with the same progress and status date (finish and critical tasks)."""
    (dur, src, dst, typ, lag), cpm_args, act, rem = _progress_case(n, seed)
    cpm = schedule(dur, src, dst, typ, lag, **cpm_args)  # type: ignore[arg-type]
    r = simulate(ThreePoint(rem, rem, rem), src, dst, typ, lag, actuals=act, iterations=3)
    assert np.all(r.finish == cpm.project_finish)
    assert r.deterministic_finish == cpm.project_finish
    np.testing.assert_array_equal(r.criticality, cpm.critical.astype(float))


def test_progress_spread_never_earlier_than_the_deterministic_schedule() -> None:
    """Half done, with spread on the remaining work only: no iteration finishes before the CPM schedule of
    the optimistic remaining work, complete tasks do not vary (no sensitivity, never critical) and their risk
    events cannot delay them; not started tasks never start before the status date."""
    # 0 done (days 0-4), 1 in progress (started day 4, 50 % of 4 days), 2 not started after 1, 3 (short)
    # not started after 0
    d = np.array([4.0, 4.0, 3.0, 1.0])
    src, dst, typ, lag = [0, 1, 0], [1, 2, 3], [FS, FS, FS], [0.0, 0.0, 0.0]
    act = Actuals(status=7.0, start=[0.0, 4.0, np.nan, np.nan], finish=[4.0, np.nan, np.nan, np.nan],
                  done=[0.0, 2.0, 0.0, 0.0])  # fmt: skip
    rem = ThreePoint([0.0, 2.0 * 0.5, 3.0 * 0.5, 0.5], [4.0, 2.0, 3.0, 1.0], [9.0, 2.0 * 2, 3.0 * 2, 1.5])
    risks = Risks([0], [1.0], ThreePoint.fixed([5.0]))  # certain, on the complete task: no effect
    r = simulate(rem, src, dst, typ, lag, actuals=act, risks=risks, iterations=4000, seed=3)
    # status 7: task 1 resumes at 7 (not 4 + 2 = 6), its remaining 1..4 days; task 2 after it, 1.5..6 days
    assert r.finish.min() >= 7.0 + 1.0 + 1.5 - 1e-9
    assert r.finish.max() <= 7.0 + 4.0 + 6.0 + 1e-9
    assert r.deterministic_finish == pytest.approx(7.0 + 2.0 + 3.0)
    assert r.sensitivity[0] == 0.0 and r.criticality[0] == 0.0
    assert r.criticality[1] == 1.0 and r.criticality[2] == 1.0
    # without progress the same estimates run from the project start and finish earlier
    early = simulate(ThreePoint(d, d, d), src, dst, typ, lag, iterations=10)
    assert early.finish.max() == 11.0 < r.finish_percentiles[50.0]


def test_no_progress_gives_the_same_results_as_before() -> None:
    """Without progress (no actuals, or actuals with nothing started and no status time) the results are
    those of the engine before progress existed (pinned for this seed)."""
    est = ThreePoint([1.0, 2.0, 1.0, 0.5], [2.0, 3.0, 2.5, 1.0], [4.0, 7.0, 6.0, 3.0], [0, 1, 2, 0])
    links = ([0, 0, 1, 2], [1, 2, 3, 3], [FS, SS, FS, FF], [0.0, 1.0, 0.5, 0.0])
    kw = {"risks": Risks([1, 3], [0.3, 0.6], ThreePoint([1.0, 0.0], [2.0, 0.5], [3.0, 2.0])),
          "correlation_group": [0, 0, -1, -1], "group_correlation": [0.5], "iterations": 1000, "seed": 11}  # fmt: skip
    for act in (None, Actuals(), Actuals(status=0.0)):
        r = simulate(est, *links, actuals=act, **kw)  # type: ignore[arg-type]
        assert float(r.finish.sum()) == pytest.approx(9103.384529189472, rel=1e-12)
        assert list(r.finish_percentiles.values()) == pytest.approx(
            [6.9013377187920515, 8.98129980996579, 10.599876576129004, 11.626390109404555], rel=1e-12
        )
        assert r.criticality.tolist() == [1.0, 0.984, 0.016, 1.0]


def test_actuals_validation_names_the_field() -> None:
    with pytest.raises(MonteCarloError) as e:
        simulate(ThreePoint.fixed([1.0, 2.0]), actuals=Actuals(done=[0.0, -1.0]))
    assert e.value.task == 1 and e.value.field == "actuals.done"
    with pytest.raises(MonteCarloError) as e:
        simulate(ThreePoint.fixed([1.0, 2.0]), actuals=Actuals(start=[0.0, 1.0, 2.0]))
    assert e.value.field == "actuals"
