"""Date constraints and deadlines in the Monte Carlo engine: applied to the sampled durations of every iteration
as the CPM engine applies them (floors, pins against the logic, late-date caps), ignored where actual dates
win, neutral when absent (bit-identical results), and validated naming the task and field."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charter.engine.calendar import WorkCalendar
from charter.engine.cpm import Constraint, schedule
from charter.engine.montecarlo import Actuals, Constraints, MonteCarloError, Risks, ThreePoint, simulate
from networks import random_network

FS, SS, FF, SF = 0, 1, 2, 3
ASAP, ALAP, SNET, SNLT, FNET, FNLT, MSO, MFO = (int(c) for c in Constraint)
NAN = np.nan
K = 4000


def _con(kind: list[int], at: list[float], deadline: list[float] | float = NAN) -> Constraints:
    return Constraints(np.array(kind), np.array(at, dtype=float), np.asarray(deadline, dtype=float))


def test_snet_holds_a_task_back() -> None:
    """0 (2..5) -> 1 (1): SNET 10 on 0 puts every finish at 10 + d0 + 1 >= 13 (without it 3..6)."""
    est = ThreePoint([2.0, 1.0], [3.0, 1.0], [5.0, 1.0])
    links = ([0], [1], [FS], [0.0])
    free = simulate(est, *links, iterations=K, seed=1)
    r = simulate(est, *links, constraints=_con([SNET, ASAP], [10.0, NAN]), iterations=K, seed=1)
    assert free.finish.max() <= 6.0 + 1e-9
    assert r.finish.min() >= 10.0 + 2.0 + 1.0 - 1e-9
    np.testing.assert_allclose(r.finish, free.finish + 10.0)  # the same samples, shifted
    assert r.deterministic_finish == 14.0
    # an SNET before where the logic puts the task changes nothing
    early = simulate(est, *links, constraints=_con([ASAP, SNET], [NAN, 1.0]), iterations=K, seed=1)
    np.testing.assert_array_equal(early.finish, free.finish)


def test_fnet_floors_the_start_at_the_instant_minus_the_sampled_duration() -> None:
    """One task (2..5) FNET 4: it finishes at max(4, d) - at 4 whenever its sampled duration is shorter."""
    est = ThreePoint([2.0], [3.0], [5.0])
    free = simulate(est, iterations=K, seed=2)
    r = simulate(est, constraints=_con([FNET], [4.0]), iterations=K, seed=2)
    np.testing.assert_allclose(r.finish, np.maximum(4.0, free.finish))
    assert r.finish.min() == 4.0 and (free.finish < 4.0).any()
    assert r.deterministic_finish == 4.0
    # FNET 8 is later than any duration: every iteration finishes exactly at 8
    r8 = simulate(est, constraints=_con([FNET], [8.0]), iterations=K, seed=2)
    np.testing.assert_allclose(r8.finish, 8.0)


def test_mso_pins_the_start_against_the_logic() -> None:
    """0 (5) -> 1 (1..3, MSO 2) -> 2 (10): 1 starts at 2 although 0 finishes at 5; the finish is 2 + d1 + 10
    (12..15, not 16..18). 0 then misses its successor's pinned start: negative float, critical."""
    est = ThreePoint([5.0, 1.0, 10.0], [5.0, 2.0, 10.0], [5.0, 3.0, 10.0])
    links = ([0, 1], [1, 2], [FS, FS], [0.0, 0.0])
    free = simulate(est, *links, iterations=K, seed=3)
    r = simulate(est, *links, constraints=_con([ASAP, MSO, ASAP], [NAN, 2.0, NAN]), iterations=K, seed=3)
    np.testing.assert_allclose(r.finish, free.finish - 3.0)
    assert r.finish.min() >= 13.0 - 1e-9 and r.finish.max() <= 15.0 + 1e-9
    assert r.deterministic_finish == 14.0
    assert r.criticality.tolist() == [1.0, 1.0, 1.0]
    # the pin also overrides the status time (as in the CPM engine): status 2.5 floors only task 2 (>= 3)
    st = simulate(est, *links, constraints=_con([ASAP, MSO, ASAP], [NAN, 2.0, NAN]),
                  actuals=Actuals(status=2.5), iterations=K, seed=3)  # fmt: skip
    np.testing.assert_array_equal(st.finish, r.finish)


def test_mfo_pins_the_finish() -> None:
    """0 (5) -> 1 (1..3, MFO 9) -> 2 (1): 1 starts at 9 - d1, finishes at 9; the project at 10 always."""
    est = ThreePoint([5.0, 1.0, 1.0], [5.0, 2.0, 1.0], [5.0, 3.0, 1.0])
    links = ([0, 1], [1, 2], [FS, FS], [0.0, 0.0])
    r = simulate(est, *links, constraints=_con([ASAP, MFO, ASAP], [NAN, 9.0, NAN]), iterations=K, seed=4)
    np.testing.assert_allclose(r.finish, 10.0)
    assert r.deterministic_finish == 10.0
    # 0 has float (finishes at 5, its successor starts at 6..8), 1 and 2 are pinned: critical
    assert r.criticality.tolist() == [0.0, 1.0, 1.0]


def test_a_task_with_actual_dates_ignores_its_constraint() -> None:
    """An actual start wins over SNET / MSO / MFO (as in the CPM engine); the late caps still apply."""
    est = ThreePoint([2.0, 1.0], [3.0, 1.0], [5.0, 1.0])
    links = ([0], [1], [FS], [0.0])
    act = Actuals(start=[0.0, NAN])
    free = simulate(est, *links, actuals=act, iterations=K, seed=5)
    for kind in (SNET, FNET, MSO, MFO):
        r = simulate(
            est, *links, actuals=act, constraints=_con([kind, ASAP], [20.0, NAN]), iterations=K, seed=5
        )
        np.testing.assert_array_equal(r.finish, free.finish)
        assert r.deterministic_finish == free.deterministic_finish == 4.0
    # a complete task keeps its actual dates too
    done = Actuals(start=[0.0, NAN], finish=[3.0, NAN])
    r = simulate(est, *links, actuals=done, constraints=_con([MSO, ASAP], [20.0, NAN]), iterations=10)
    np.testing.assert_allclose(r.finish, 4.0)


def test_late_caps_make_a_task_that_misses_them_critical() -> None:
    """0 (2..5) -> 1 (1); 2 (1) in parallel with lots of float. FNLT 2.5 on 1 (it finishes at 3..6), a deadline
    0.5 on 2 (it finishes at 1), SNLT 1 on 0 (never violated: it starts at 0, 1 + d0 >= its finish): 1 and 2
    are critical in every iteration, 0 as the predecessor of a late task too; without caps 2 never is."""
    est = ThreePoint([2.0, 1.0, 1.0], [3.0, 1.0, 1.0], [5.0, 1.0, 1.0])
    links = ([0], [1], [FS], [0.0])
    free = simulate(est, *links, iterations=K, seed=6)
    assert free.criticality.tolist() == [1.0, 1.0, 0.0]
    r = simulate(est, *links, constraints=_con([ASAP, FNLT, ASAP], [NAN, 2.5, NAN], [NAN, NAN, 0.5]),
                 iterations=K, seed=6)  # fmt: skip
    np.testing.assert_array_equal(r.finish, free.finish)  # caps never move the early dates
    assert r.criticality.tolist() == [1.0, 1.0, 1.0]
    # a deadline or SNLT that is always met changes nothing: the parallel task keeps its float
    met = simulate(est, *links, constraints=_con([SNLT, ASAP, ASAP], [1.0, NAN, NAN], [NAN, NAN, 100.0]),
                   iterations=K, seed=6)  # fmt: skip
    assert met.criticality.tolist() == [1.0, 1.0, 0.0]
    # MSO / MFO cap the late dates as well: a pinned task off the longest path is critical
    pin = simulate(est, *links, constraints=_con([ASAP, ASAP, MSO], [NAN, NAN, 0.0]), iterations=K, seed=6)
    assert pin.criticality.tolist() == [1.0, 1.0, 1.0]
    # a deadline missed in some iterations only: 3 (2..5, triangular mode 3) in parallel, deadline 3.5, is
    # critical at least when it misses it (P(d3 > 3.5) = 1.5^2 / (3 x 2)), more often than without
    est4 = ThreePoint([2.0, 1.0, 1.0, 2.0], [3.0, 1.0, 1.0, 3.0], [5.0, 1.0, 1.0, 5.0])
    free4 = simulate(est4, *links, iterations=K, seed=6)
    r4 = simulate(est4, *links, constraints=_con([ASAP] * 4, [NAN] * 4, [NAN, NAN, NAN, 3.5]), iterations=K,
                  seed=6)  # fmt: skip
    np.testing.assert_array_equal(r4.finish, free4.finish)
    assert r4.criticality[3] >= 2.25 / 6 - 0.03
    assert r4.criticality[3] > free4.criticality[3] + 0.1


def _mixed_inputs() -> tuple[
    ThreePoint, tuple[list[int], list[int], list[int], list[float]], dict[str, object]
]:
    est = ThreePoint([1.0, 2.0, 1.0, 0.5], [2.0, 3.0, 2.5, 1.0], [4.0, 7.0, 6.0, 3.0], [0, 1, 2, 0])
    links = ([0, 0, 1, 2], [1, 2, 3, 3], [FS, SS, FS, FF], [0.0, 1.0, 0.5, 0.0])
    kw: dict[str, object] = {
        "risks": Risks([1, 3], [0.3, 0.6], ThreePoint([1.0, 0.0], [2.0, 0.5], [3.0, 2.0])),
        "correlation_group": [0, 0, -1, -1], "group_correlation": [0.5], "iterations": 1000, "seed": 11,
        "cost": ThreePoint([1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 4.0, 4.0], [3.0, 5.0, 6.0, 4.0]),
    }  # fmt: skip
    return est, links, kw


@pytest.mark.parametrize(
    "con",
    [
        Constraints(),
        Constraints([ASAP, ALAP, ASAP, ALAP], [NAN, 3.0, NAN, NAN], NAN),  # ASAP / ALAP: no effect
        Constraints(ASAP, 5.0, [NAN, NAN, NAN, NAN]),  # an instant without a dated constraint: ignored
    ],
)
def test_neutral_constraints_give_bit_identical_results(con: Constraints) -> None:
    """The kernels' progress path with neutral arrays is exactly the path without (same floats, bit for bit):
    finish, cost, criticality, sensitivity and the tornado."""
    est, links, kw = _mixed_inputs()
    off = simulate(est, *links, **kw)  # type: ignore[arg-type]
    on = simulate(est, *links, constraints=con, **kw)  # type: ignore[arg-type]
    both = simulate(est, *links, constraints=con, actuals=Actuals(), **kw)  # type: ignore[arg-type]
    for r in (on, both):
        np.testing.assert_array_equal(r.finish, off.finish)
        assert r.cost is not None and off.cost is not None
        np.testing.assert_array_equal(r.cost, off.cost)
        np.testing.assert_array_equal(r.criticality, off.criticality)
        np.testing.assert_array_equal(r.sensitivity, off.sensitivity)
        assert r.deterministic_finish == off.deterministic_finish
        assert r.tornado == off.tornado
    # pinned for this seed: the same numbers as before constraints existed (see test_montecarlo)
    assert float(on.finish.sum()) == pytest.approx(9103.384529189472, rel=1e-12)


def test_constraints_keep_results_deterministic_and_independent_of_chunking() -> None:
    est, links, kw = _mixed_inputs()
    con = _con([SNET, ASAP, FNET, FNLT], [1.5, NAN, 6.0, 8.0], [NAN, 5.0, NAN, NAN])
    a = simulate(est, *links, constraints=con, **kw)  # type: ignore[arg-type]
    b = simulate(est, *links, constraints=con, memory_budget=1, **kw)  # type: ignore[arg-type]
    np.testing.assert_array_equal(a.finish, b.finish)
    np.testing.assert_array_equal(a.criticality, b.criticality)
    assert a.finish.min() >= 1.5 + 1.0 + 0.5 + 0.0  # SNET 1.5 on 0, then 0 (>= 1) and 3 after 1 (FS +0.5)


# ----------------------------------------------------------------------------- against the CPM engine


def _constrained_case(
    n: int, seed: int, progress: bool
) -> tuple[tuple[np.ndarray, ...], dict[str, object], dict[str, object]]:
    """A random network with random constraints and deadlines (and, with ``progress``, some tasks started at
    an actual start, some complete, a status date): the CPM engine's arguments and the Monte Carlo engine's."""
    cal = WorkCalendar(dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    dur, src, dst, typ, lag = random_network(n, seed)
    rng = np.random.default_rng(seed + 7)
    kind = rng.integers(0, 8, n)
    kind[rng.random(n) < 0.3] = ASAP
    at_w = rng.integers(2400, 8000, n)  # late enough that no pinned start falls before the calendar
    dl_w = np.where(rng.random(n) < 0.3, rng.integers(500, 9000, n), -1)
    nat = np.datetime64("NaT", "m")

    def instant(w: int, finish: bool = False) -> np.datetime64:
        return np.datetime64(cal.to_datetime(int(w), finish=finish), "m")

    cdate = np.array([instant(w) if k >= SNET else nat for k, w in zip(kind, at_w, strict=True)])
    ddate = np.array([instant(w, True) if w >= 0 else nat for w in dl_w])
    cpm_args: dict[str, object] = {"calendar": cal, "start": dt.date(2024, 1, 1), "constraint_type": kind,
                                   "constraint_date": cdate, "deadline": ddate}  # fmt: skip
    mc_args: dict[str, object] = {
        "constraints": Constraints(
            kind, np.where(kind >= SNET, at_w, np.nan), np.where(dl_w >= 0, dl_w, np.nan)
        )
    }
    if progress:
        status = int(rng.integers(0, 3 * 480))
        st_kind = rng.integers(0, 4, n)
        a_start = np.full(n, nat)
        a_fin = np.full(n, nat)
        s_w = np.full(n, np.nan)
        f_w = np.full(n, np.nan)
        for i in range(n):
            if st_kind[i] == 1:  # complete, actual dates before the status date
                s = int(rng.integers(0, status + 1))
                f = s + int(rng.integers(0, status - s + 1))
                a_start[i], a_fin[i] = instant(s), instant(f, True)
                s_w[i], f_w[i] = s, f
            elif st_kind[i] == 2:  # started, remaining work = duration (no work done)
                s = int(rng.integers(0, status + 1))
                a_start[i] = instant(s)
                s_w[i] = s
        cpm_args.update(actual_start=a_start, actual_finish=a_fin, status_date=cal.to_datetime(status))
        mc_args["actuals"] = Actuals(status=float(status), start=s_w, finish=f_w)
    return (dur, src, dst, typ, lag), cpm_args, mc_args


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 30), seed=st.integers(0, 10_000), progress=st.booleans())
def test_zero_variance_with_constraints_matches_cpm(n: int, seed: int, progress: bool) -> None:
    """With min = most likely = max every iteration is the CPM engine's schedule with the same constraints,
    deadlines (and progress): finish, deterministic finish and critical tasks."""
    (dur, src, dst, typ, lag), cpm_args, mc_args = _constrained_case(n, seed, progress)
    cpm = schedule(dur, src, dst, typ, lag, **cpm_args)  # type: ignore[arg-type]
    d = dur.astype(np.float64)
    r = simulate(ThreePoint(d, d, d), src, dst, typ, lag, iterations=3, **mc_args)  # type: ignore[arg-type]
    assert np.all(r.finish == cpm.project_finish)
    assert r.deterministic_finish == cpm.project_finish
    np.testing.assert_array_equal(r.criticality, cpm.critical.astype(float))


def test_deterministic_finish_matches_cpm_on_a_small_constrainedrandom_network() -> None:
    """0 (2 d) -> 1 (3 d, SNET day 4) -> 3 (1 d); 2 (1 d, MFO end of day 9) -> 3 FF; deadline day 6 on 1."""
    day = 480
    cal = WorkCalendar(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    dur = np.array([2, 3, 1, 1]) * day
    src, dst, typ, lag = [0, 1, 2], [1, 3, 3], [FS, FS, FF], [0, 0, 0]
    kind = np.array([ASAP, SNET, MFO, ASAP])
    at_w = np.array([0, 4 * day, 9 * day, 0])
    nat = np.datetime64("NaT", "m")
    cdate = np.array([nat, np.datetime64(cal.to_datetime(4 * day), "m"),
                      np.datetime64(cal.to_datetime(9 * day, finish=True), "m"), nat])  # fmt: skip
    ddate = np.array([nat, np.datetime64(cal.to_datetime(6 * day, finish=True), "m"), nat, nat])
    cpm = schedule(dur, src, dst, typ, lag, calendar=cal, start=dt.date(2024, 1, 1), constraint_type=kind,
                   constraint_date=cdate, deadline=ddate)  # fmt: skip
    d = dur.astype(float)
    con = Constraints(kind, np.where(kind >= SNET, at_w, np.nan), [NAN, 6.0 * day, NAN, NAN])
    r = simulate(ThreePoint(d * 0.5, d, d * 2), src, dst, typ, lag, constraints=con, iterations=2000, seed=1)
    # 1 runs days 4..7 (misses its deadline 6), 2 is pinned to end at day 9, so 3 (FF after 2) ends at 9 too
    assert r.deterministic_finish == cpm.project_finish == 9 * day
    assert r.finish.min() >= 9 * day  # 3 cannot finish before 2's pinned finish
    np.testing.assert_array_equal(cpm.critical, [False, True, True, True])  # 1 misses its deadline
    # sampled, 1 (1.5..6 days, triangular, mode 3) misses its deadline unless it takes <= 2 days (P = 0.5^2 /
    # (4.5 x 1.5)); when it meets it, it ends by day 6 and has float (3's finish is held at day 9 by 2)
    assert r.criticality[1] == pytest.approx(1 - 0.25 / 6.75, abs=0.015)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("con", "task", "field"),
    [
        (Constraints([ASAP, SNET], [NAN, NAN]), 1, "constraints.at"),
        (Constraints([MFO, ASAP], NAN), 0, "constraints.at"),
        (Constraints([ASAP, 8]), 1, "constraints.kind"),
        (Constraints([-1, ASAP]), 0, "constraints.kind"),
        (Constraints([ASAP, 2.5], [NAN, 1.0]), 1, "constraints.kind"),
        (Constraints([ASAP, ASAP, ASAP]), None, "constraints.kind"),
        (Constraints(ASAP, [1.0, 2.0, 3.0]), None, "constraints.at"),
        (Constraints(ASAP, NAN, [1.0, np.inf]), 1, "constraints.deadline"),
        (Constraints([FNLT, ASAP], [-np.inf, NAN]), 0, "constraints.at"),
    ],
)
def test_constraint_validation_names_task_and_field(con: Constraints, task: int | None, field: str) -> None:
    with pytest.raises(MonteCarloError) as e:
        simulate(ThreePoint.fixed([1.0, 2.0]), constraints=con)
    assert e.value.task == task and e.value.field == field
    if task is not None:
        assert str(e.value).startswith(f"task {task}:")
