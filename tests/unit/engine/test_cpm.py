"""Textbook CPM cases with hand-computed dates.

Calendar: Mon-Fri 09:00-13:00 + 14:00-18:00 (480 working minutes a day), 2024 (1 January is a Monday),
with a company closure on Wednesday 10 January.  Project start Monday 1 January unless said otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from charter.engine.calendar import CalendarRangeError, WorkCalendar
from charter.engine.cpm import (
    Constraint,
    CycleError,
    LagKind,
    LinkType,
    Schedule,
    find_cycle,
    find_cycle_if_linked,
    schedule,
    topological_order,
)

D = 480
FS, SS, FF, SF = LinkType.FS, LinkType.SS, LinkType.FF, LinkType.SF
T = dt.datetime
CAL = WorkCalendar(dt.date(2024, 1, 1), dt.date(2024, 12, 31), holidays=[dt.date(2024, 1, 10)])
CAL247 = WorkCalendar(dt.date(2024, 1, 1), dt.date(2024, 12, 31), weekdays=range(7), shifts=((0, 1440),))
MON_SAT = WorkCalendar(dt.date(2024, 1, 1), dt.date(2024, 12, 31), weekdays=range(6))
NAT = np.datetime64("NaT", "m")


def run(
    durations: Sequence[int],
    links: Sequence[tuple[int, ...]] = (),
    start: dt.date | dt.datetime = dt.date(2024, 1, 1),
    **kw: Any,
) -> Schedule:
    """links: (src, dst, type, lag[, lag kind])."""
    return schedule(
        np.array(durations, np.int64),
        [x[0] for x in links],
        [x[1] for x in links],
        [x[2] for x in links],
        [x[3] for x in links],
        [x[4] if len(x) > 4 else 0 for x in links],
        calendar=CAL,
        start=start,
        **kw,
    )


def dates(a: np.ndarray) -> list[dt.datetime]:
    return list(a.tolist())


def instants(n: int, values: dict[int, dt.datetime]) -> np.ndarray:
    out = np.full(n, NAT)
    for i, v in values.items():
        out[i] = np.datetime64(v, "m")
    return out


def constrained(n: int, cons: dict[int, tuple[Constraint, dt.datetime]]) -> dict[str, Any]:
    ct = np.zeros(n, np.int8)
    for i, (c, _) in cons.items():
        ct[i] = c
    return {"constraint_type": ct, "constraint_date": instants(n, {i: v for i, (_, v) in cons.items()})}


# ----------------------------------------------------------------------------------- link types


def test_finish_to_start() -> None:
    r = run([2 * D, 3 * D], [(0, 1, FS, 0)])
    assert r.es.tolist() == [0, 2 * D]
    assert r.ef.tolist() == [2 * D, 5 * D]
    assert dates(r.es_at) == [T(2024, 1, 1, 9), T(2024, 1, 3, 9)]
    assert dates(r.ef_at) == [T(2024, 1, 2, 18), T(2024, 1, 5, 18)]  # finish shown on the day it ends
    assert r.project_finish == 5 * D
    assert r.project_finish_at == T(2024, 1, 5, 18)
    assert r.total_float.tolist() == [0, 0]
    assert r.critical.tolist() == [True, True]
    assert r.critical_paths == [[0, 1]]


def test_start_to_start_with_lag() -> None:
    r = run([3 * D, 2 * D], [(0, 1, SS, D)])
    assert r.es.tolist() == [0, D]
    assert dates(r.es_at)[1] == T(2024, 1, 2, 9)
    assert dates(r.ef_at)[1] == T(2024, 1, 3, 18)
    assert r.total_float.tolist() == [0, 0]


def test_finish_to_finish() -> None:
    r = run([3 * D, D], [(0, 1, FF, 0)])
    assert r.ef.tolist() == [3 * D, 3 * D]
    assert dates(r.es_at)[1] == T(2024, 1, 3, 9)


def test_start_to_finish() -> None:
    cons = constrained(2, {0: (Constraint.SNET, T(2024, 1, 3, 9))})
    r = run([2 * D, D], [(0, 1, SF, 0)], **cons)
    assert r.es.tolist() == [2 * D, D]
    assert dates(r.es_at)[1] == T(2024, 1, 2, 9)
    assert dates(r.ef_at)[1] == T(2024, 1, 2, 18)


def test_negative_lag() -> None:
    r = run([4 * D, D], [(0, 1, FS, -2 * D)])
    assert r.es[1] == 2 * D
    assert dates(r.es_at)[1] == T(2024, 1, 3, 9)


def test_negative_lag_never_before_project_start() -> None:
    r = run([D, D], [(0, 1, FS, -5 * D)])
    assert r.es.tolist() == [0, 0]


# ------------------------------------------------------------------------------------ lag kinds


def test_elapsed_lag() -> None:
    # A finishes Monday 18:00, +24 h elapsed = Tuesday 18:00 -> B starts Wednesday 09:00
    r = run([D, D], [(0, 1, FS, 1440, LagKind.ELAPSED)])
    assert dates(r.es_at)[1] == T(2024, 1, 3, 9)
    assert r.es[1] == 2 * D


def test_elapsed_lag_over_a_weekend_versus_working_lag_over_a_holiday() -> None:
    start = dt.date(2024, 1, 3)  # Wednesday
    # A Wed..Fri, ends Friday 18:00; +48 h elapsed = Sunday 18:00 -> B Monday 09:00
    r = run([3 * D, D], [(0, 1, FS, 2 * 1440, LagKind.ELAPSED)], start=start)
    assert dates(r.es_at)[1] == T(2024, 1, 8, 9)
    assert r.es[1] == 3 * D
    # 2 working days of lag: Monday and Tuesday; Wednesday 10 is closed -> B Thursday 11
    r = run([3 * D, D], [(0, 1, FS, 2 * D)], start=start)
    assert dates(r.es_at)[1] == T(2024, 1, 11, 9)
    assert r.es[1] == 5 * D
    assert dates(r.ef_at)[1] == T(2024, 1, 11, 18)


def test_percent_lag() -> None:
    r = run([4 * D, D], [(0, 1, SS, 50, LagKind.PERCENT)])
    assert r.es[1] == 2 * D
    r = run([4 * D, D], [(0, 1, FS, -25, LagKind.PERCENT)])
    assert r.es[1] == 3 * D


# ------------------------------------------------------------------------------ calendar edges


def test_task_starting_on_a_non_working_day_moves_to_next_working_instant() -> None:
    r = run([D], start=dt.date(2024, 1, 6))  # Saturday
    assert r.es.tolist() == [0]
    assert dates(r.es_at) == [T(2024, 1, 8, 9)]
    assert r.origin == CAL.to_working(dt.date(2024, 1, 6))
    r = run([D], start=T(2024, 1, 2, 13, 30))  # lunch break
    assert dates(r.es_at) == [T(2024, 1, 2, 14)]
    assert dates(r.ef_at) == [T(2024, 1, 3, 13)]


def test_weekend_crossing() -> None:
    r = run([3 * D], start=dt.date(2024, 1, 4))  # Thursday
    assert dates(r.ef_at) == [T(2024, 1, 8, 18)]


def test_milestone_convention() -> None:
    r = run([D, 0, D], [(0, 1, FS, 0), (1, 2, FS, 0)])
    assert dates(r.es_at) == [T(2024, 1, 1, 9), T(2024, 1, 1, 18), T(2024, 1, 2, 9)]
    assert dates(r.ef_at) == [T(2024, 1, 1, 18), T(2024, 1, 1, 18), T(2024, 1, 2, 18)]
    assert r.critical_paths == [[0, 1, 2]]


def test_task_calendar_24x7() -> None:
    # A (project calendar) Wed..Fri; curing C on a 24x7 calendar for 48 h from Friday 18:00;
    # B (project calendar) after C: Monday 09:00
    r = run(
        [3 * D, 2 * 1440, D],
        [(0, 1, FS, 0), (1, 2, FS, 0)],
        start=dt.date(2024, 1, 3),
        task_calendar=[-1, 0, -1],
        calendars=[CAL247],
    )
    assert dates(r.es_at) == [T(2024, 1, 3, 9), T(2024, 1, 5, 18), T(2024, 1, 8, 9)]
    assert dates(r.ef_at) == [T(2024, 1, 5, 18), T(2024, 1, 7, 18), T(2024, 1, 8, 18)]
    assert r.es.tolist() == [0, 3 * D, 3 * D]  # project working time: the weekend takes none
    assert r.project_finish_at == T(2024, 1, 8, 18)
    # the curing has Sunday 18:00 -> Monday 09:00 (15 h of its own calendar) to spare
    assert r.total_float.tolist() == [0, 15 * 60, 0]
    assert r.critical.tolist() == [True, False, True]


def test_task_calendar_working_saturdays() -> None:
    r = run(
        [3 * D, D, D],
        [(0, 1, FS, 0), (1, 2, FS, 0)],
        start=dt.date(2024, 1, 3),
        task_calendar=[-1, 0, -1],
        calendars=[MON_SAT],
    )
    assert dates(r.es_at) == [T(2024, 1, 3, 9), T(2024, 1, 6, 9), T(2024, 1, 8, 9)]
    assert dates(r.ef_at)[1] == T(2024, 1, 6, 18)
    assert r.total_float.tolist() == [0, 0, 0]


def test_datetimes_match_calendar_conversion() -> None:
    r = run([D, 0, 2 * D, 300], [(0, 1, FS, 0), (1, 2, SS, 60), (0, 3, FF, 120)])
    mil = np.array([False, True, False, False])
    assert np.array_equal(r.es_at, CAL.to_datetime_array(r.origin + r.es, finish=mil))
    assert np.array_equal(r.ef_at, CAL.to_datetime_array(r.origin + r.ef, finish=True))
    assert np.array_equal(r.ls_at, CAL.to_datetime_array(r.origin + r.ls, finish=mil))
    assert np.array_equal(r.lf_at, CAL.to_datetime_array(r.origin + r.lf, finish=True))
    assert r.to_datetime(int(r.ef[2]), finish=True) == r.ef_at[2].tolist()


# ---------------------------------------------------------------------------------- constraints


def test_snet_and_snet_on_a_saturday() -> None:
    r = run(
        [D, D],
        **constrained(2, {0: (Constraint.SNET, T(2024, 1, 3, 9)), 1: (Constraint.SNET, T(2024, 1, 6))}),
    )
    assert dates(r.es_at) == [T(2024, 1, 3, 9), T(2024, 1, 8, 9)]
    assert r.violations == []


def test_fnet() -> None:
    r = run([D], **constrained(1, {0: (Constraint.FNET, T(2024, 1, 4, 18))}))
    assert dates(r.ef_at) == [T(2024, 1, 4, 18)]
    assert r.es.tolist() == [3 * D]


def test_mso_pins_start_and_shows_negative_float() -> None:
    r = run([2 * D, D], [(0, 1, FS, 0)], **constrained(2, {1: (Constraint.MSO, T(2024, 1, 2, 9))}))
    assert r.es.tolist() == [0, D]
    assert dates(r.es_at)[1] == T(2024, 1, 2, 9)
    assert r.total_float.tolist() == [-D, 0]
    assert r.critical.all()
    (v,) = r.violations
    assert (v.task, v.kind, v.excess) == (1, "MSO", D)
    assert v.limit_at == T(2024, 1, 2, 9)
    assert v.required_at == T(2024, 1, 3, 9)


def test_mfo() -> None:
    r = run([2 * D, D], [(0, 1, FS, 0)], **constrained(2, {1: (Constraint.MFO, T(2024, 1, 2, 18))}))
    assert r.ef.tolist() == [2 * D, 2 * D]
    assert r.total_float.tolist() == [-D, 0]
    (v,) = r.violations
    assert (v.task, v.kind, v.excess, v.required_at) == (1, "MFO", D, T(2024, 1, 3, 18))


def test_mso_met_has_zero_float() -> None:
    r = run([D, D], [(0, 1, FS, 0)], **constrained(2, {1: (Constraint.MSO, T(2024, 1, 4, 9))}))
    assert r.es.tolist() == [0, 3 * D]
    assert r.total_float.tolist() == [2 * D, 0]
    assert r.violations == []


def test_snlt_violated() -> None:
    r = run([3 * D, D], [(0, 1, FS, 0)], **constrained(2, {1: (Constraint.SNLT, T(2024, 1, 2, 9))}))
    assert r.es.tolist() == [0, 3 * D]  # logic wins in the forward pass
    assert r.total_float.tolist() == [-2 * D, -2 * D]
    (v,) = r.violations
    assert (v.task, v.kind, v.excess) == (1, "SNLT", 2 * D)
    assert (v.limit_at, v.required_at) == (T(2024, 1, 2, 9), T(2024, 1, 4, 9))


def test_fnlt_violated_and_met() -> None:
    r = run([3 * D], **constrained(1, {0: (Constraint.FNLT, T(2024, 1, 2, 18))}))
    assert r.ef.tolist() == [3 * D]
    assert r.total_float.tolist() == [-D]
    assert [(v.kind, v.excess) for v in r.violations] == [("FNLT", D)]
    r = run([3 * D, D], **constrained(2, {0: (Constraint.FNLT, T(2024, 1, 4, 18))}))
    assert r.total_float.tolist() == [0, 2 * D]  # FNLT later than the project finish: no effect
    assert r.violations == []


def test_deadline() -> None:
    r = run([3 * D, D], [(0, 1, FS, 0)], deadline=instants(2, {0: T(2024, 1, 2, 18)}))
    assert r.es.tolist() == [0, 3 * D]  # deadlines do not move early dates
    assert r.total_float.tolist() == [-D, 0]
    (v,) = r.violations
    assert (v.task, v.kind, v.excess, v.limit_at, v.required_at) == (
        0,
        "deadline",
        D,
        T(2024, 1, 2, 18),
        T(2024, 1, 3, 18),
    )
    r = run([3 * D, D], [(0, 1, FS, 0)], deadline=instants(2, {1: T(2024, 1, 5, 18)}))
    assert r.total_float.tolist() == [0, 0]  # a deadline after the project finish changes nothing
    assert r.violations == []


def test_alap() -> None:
    ct = np.array([Constraint.ALAP, 0, 0], np.int8)
    r = run([D, 3 * D, D], [(0, 2, FS, 0), (1, 2, FS, 0)], constraint_type=ct)
    assert r.es[0] == 0 and r.ls[0] == 2 * D
    assert r.start.tolist() == [2 * D, 0, 3 * D]
    assert dates(r.start_at)[0] == T(2024, 1, 3, 9)
    assert dates(r.finish_at)[0] == T(2024, 1, 3, 18)
    assert r.free_float[0] == 2 * D
    assert r.total_float[0] == 2 * D


def test_free_float() -> None:
    r = run([D, 3 * D, D, D], [(0, 2, FS, 0), (1, 2, FS, 0), (0, 3, FS, 0)])
    assert r.free_float.tolist() == [0, 0, 0, 2 * D]
    assert r.total_float.tolist() == [2 * D, 0, 0, 2 * D]


def test_critical_threshold() -> None:
    r = run([D, 2 * D], critical_threshold=D)
    assert r.critical.tolist() == [True, True]
    assert run([D, 2 * D]).critical.tolist() == [False, True]


def test_critical_path_through_parallel_branches() -> None:
    r = run([2 * D, 3 * D, D, D], [(0, 1, FS, 0), (0, 2, FS, 0), (1, 3, FS, 0), (2, 3, FS, 0)])
    assert r.critical.tolist() == [True, True, False, True]
    assert r.critical_paths == [[0, 1, 3]]
    assert r.driving_predecessor.tolist() == [-1, 0, 0, 1]


# ------------------------------------------------------------------------------------- progress


def test_progress_and_status_date() -> None:
    # status date Wednesday 09:00
    # A done: Mon 09:00 .. Wed 13:00 (late); B after A; C 4d started Monday, 25 % done;
    # D not started, no predecessor; E 2d started Tuesday with 1 day remaining
    n = 5
    r = run(
        [2 * D, D, 4 * D, D, 2 * D],
        [(0, 1, FS, 0)],
        actual_start=instants(n, {0: T(2024, 1, 1, 9), 2: T(2024, 1, 1, 9), 4: T(2024, 1, 2, 9)}),
        actual_finish=instants(n, {0: T(2024, 1, 3, 13)}),
        percent_complete=np.array([100, 0, 25, 0, 0], float),
        remaining=np.array([-1, -1, -1, -1, D]),
        status_date=T(2024, 1, 3, 9),
    )
    assert dates(r.es_at) == [
        T(2024, 1, 1, 9),
        T(2024, 1, 3, 14),
        T(2024, 1, 1, 9),
        T(2024, 1, 3, 9),
        T(2024, 1, 2, 9),
    ]
    assert dates(r.ef_at) == [
        T(2024, 1, 3, 13),
        T(2024, 1, 4, 13),
        T(2024, 1, 5, 18),
        T(2024, 1, 3, 18),
        T(2024, 1, 3, 18),
    ]
    assert r.total_float[0] == 0 and not r.critical[0]  # complete: never critical
    assert r.critical[2]  # C drives the project finish


def test_completed_task_without_actual_start_and_status_pushes_unstarted() -> None:
    r = run(
        [2 * D, D],
        [(0, 1, FS, 0)],
        actual_finish=instants(2, {0: T(2024, 1, 2, 18)}),
        status_date=T(2024, 1, 4, 9),
    )
    assert dates(r.es_at) == [T(2024, 1, 1, 9), T(2024, 1, 4, 9)]
    assert r.es.tolist() == [0, 3 * D]


# ------------------------------------------------------------------------------------- cycles


def test_cycle_is_named() -> None:
    with pytest.raises(CycleError) as e:
        run([D, D, D, D], [(3, 0, FS, 0), (0, 1, FS, 0), (1, 2, FS, 0), (2, 0, SS, 0)])
    cyc = e.value.cycle
    assert sorted(cyc) == [0, 1, 2]
    links = {(3, 0), (0, 1), (1, 2), (2, 0)}
    assert all((cyc[i], cyc[(i + 1) % len(cyc)]) in links for i in range(len(cyc)))
    assert "->" in str(e.value)


def test_self_loop_and_find_cycle() -> None:
    assert find_cycle(2, [0, 1], [1, 1]) == [1]
    assert find_cycle(3, [0, 1], [1, 2]) is None
    assert topological_order(3, [2, 1], [1, 0]).tolist() == [2, 1, 0]


def test_find_cycle_if_linked() -> None:
    src, dst = [0, 1, 3], [1, 2, 2]
    assert find_cycle_if_linked(4, src, dst, 2, 0) == [2, 0, 1]
    assert find_cycle_if_linked(4, src, dst, 0, 2) is None
    assert find_cycle_if_linked(4, src, dst, 2, 3) == [2, 3]
    assert find_cycle_if_linked(4, src, dst, 1, 1) == [1]


# ---------------------------------------------------------------------------------- validation


def test_input_errors() -> None:
    with pytest.raises(ValueError, match=r"0\.\.1"):
        run([D, D], [(0, 2, FS, 0)])
    with pytest.raises(ValueError, match="type"):
        run([D, D], [(0, 1, 7, 0)])
    with pytest.raises(ValueError, match="negative duration"):
        run([-1])
    with pytest.raises(CalendarRangeError, match="task 0"):
        run([400 * D])
    closed = WorkCalendar(dt.date(2024, 1, 1), dt.date(2024, 12, 31), weekdays=())
    with pytest.raises(ValueError, match="no working day"):
        run([D], task_calendar=[0], calendars=[closed])
    other = WorkCalendar(dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    with pytest.raises(ValueError, match="range"):
        run([D], task_calendar=[0], calendars=[other])


def test_empty_network() -> None:
    r = run([])
    assert r.es.size == 0 and r.critical_paths == [] and r.project_finish == 0


def test_violation_on_a_task_calendar_is_measured_on_that_calendar() -> None:
    r = run([2 * 1440], task_calendar=[0], calendars=[CAL247], deadline=instants(1, {0: T(2024, 1, 2, 12)}))
    assert dates(r.es_at) == [T(2024, 1, 1, 0)]
    assert dates(r.ef_at) == [T(2024, 1, 3, 0)]
    (v,) = r.violations
    assert (v.kind, v.excess, v.limit_at, v.required_at) == (
        "deadline",
        720,
        T(2024, 1, 2, 12),
        T(2024, 1, 3),
    )
    assert r.total_float.tolist() == [-720]


# ----------------------------------------------------------------------------- elapsed durations


def test_elapsed_task_runs_through_the_weekend() -> None:
    # project start Friday 5 January (a date): the 2ed task starts at the first working instant, Friday
    # 09:00, and runs 48 wall-clock hours to Sunday 09:00; its working successor starts Monday 09:00
    r = run([2 * 1440, D], [(0, 1, FS, 0)], start=dt.date(2024, 1, 5), elapsed=[True, False])
    assert dates(r.es_at) == [T(2024, 1, 5, 9), T(2024, 1, 8, 9)]
    assert dates(r.ef_at) == [T(2024, 1, 7, 9), T(2024, 1, 8, 18)]
    assert r.project_finish_at == T(2024, 1, 8, 18)
    # backward: it may finish as late as Monday 09:00, so 24 elapsed hours of float (its own terms)
    assert dates(r.lf_at) == [T(2024, 1, 8, 9), T(2024, 1, 8, 18)]
    assert dates(r.ls_at) == [T(2024, 1, 6, 9), T(2024, 1, 8, 9)]
    assert r.total_float.tolist() == [1440, 0]
    assert r.free_float.tolist() == [1440, 0]
    assert r.critical.tolist() == [False, True]
    # the same task in working days would take Friday and Monday
    w = run([2 * D, D], [(0, 1, FS, 0)], start=dt.date(2024, 1, 5))
    assert dates(w.ef_at) == [T(2024, 1, 8, 18), T(2024, 1, 9, 18)]


def test_elapsed_task_after_a_working_task_starts_at_its_finish_and_crosses_a_holiday() -> None:
    # A Monday..Tuesday (working); E 3ed from Tuesday 18:00 through the Wednesday closure to Friday 18:00;
    # B after E: Monday 09:00 (Friday 18:00 is the end of the working day)
    r = run(
        [2 * D, 3 * 1440, D],
        [(0, 1, FS, 0), (1, 2, FS, 0)],
        start=dt.date(2024, 1, 8),
        elapsed=[False, True, False],
    )
    assert dates(r.es_at) == [T(2024, 1, 8, 9), T(2024, 1, 9, 18), T(2024, 1, 15, 9)]
    assert dates(r.ef_at) == [T(2024, 1, 9, 18), T(2024, 1, 12, 18), T(2024, 1, 15, 18)]
    # E could end as late as Monday 09:00: 63 wall-clock hours; A then by Friday 09:00, shown Thursday 18:00:
    # Thursday's working day only (Wednesday is closed)
    assert dates(r.lf_at)[:2] == [T(2024, 1, 11, 18), T(2024, 1, 15, 9)]
    assert r.total_float.tolist() == [D, 63 * 60, 0]
    assert r.free_float.tolist() == [0, 63 * 60, 0]
    assert r.critical.tolist() == [False, False, True]


def test_elapsed_task_backward_pass_and_float_against_a_longer_branch() -> None:
    # S (milestone) -> E (1ed) -> F (milestone); S -> L (5d working) -> F. E may finish as late as L does
    # (Friday 18:00 of the first week); it starts Monday 09:00, so its float is in wall-clock minutes
    r = run(
        [0, 1440, 5 * D, 0],
        [(0, 1, FS, 0), (0, 2, FS, 0), (1, 3, FS, 0), (2, 3, FS, 0)],
        start=dt.date(2024, 1, 15),
        elapsed=[False, True, False, False],
    )
    assert dates(r.es_at)[1] == T(2024, 1, 15, 9)
    assert dates(r.ef_at)[1] == T(2024, 1, 16, 9)
    assert dates(r.lf_at)[1] == T(2024, 1, 19, 18)
    assert dates(r.ls_at)[1] == T(2024, 1, 18, 18)
    assert (
        r.total_float[1] == (dt.datetime(2024, 1, 19, 18) - dt.datetime(2024, 1, 16, 9)).total_seconds() // 60
    )
    assert not r.critical[1] and r.critical[2]


def test_elapsed_task_progress_and_constraints_count_elapsed_minutes() -> None:
    # a 4ed task 50 % done with an actual start on Friday 09:00: 2 elapsed days done, 2 left from Sunday
    r = run(
        [4 * 1440],
        start=dt.date(2024, 1, 1),
        elapsed=[True],
        actual_start=instants(1, {0: T(2024, 1, 5, 9)}),
        percent_complete=[50.0],
    )
    assert dates(r.es_at) == [T(2024, 1, 5, 9)]
    assert dates(r.ef_at) == [T(2024, 1, 9, 9)]
    # SNET Saturday 10:00 holds exactly (the task's own calendar works on Saturdays)
    r = run([1440], elapsed=[True], **constrained(1, {0: (Constraint.SNET, T(2024, 1, 6, 10))}))
    assert dates(r.es_at) == [T(2024, 1, 6, 10)]
    assert dates(r.ef_at) == [T(2024, 1, 7, 10)]
    # a finish deadline missed by 6 wall-clock hours is measured in elapsed minutes
    r = run([1440], start=dt.date(2024, 1, 5), elapsed=[True], deadline=instants(1, {0: T(2024, 1, 6, 3)}))
    assert [(v.kind, v.excess) for v in r.violations] == [("deadline", 360)]


def test_elapsed_mask_checks_its_shape_and_an_all_false_mask_is_the_plain_path() -> None:
    with pytest.raises(ValueError, match="elapsed"):
        run([D, D], elapsed=[True])
    a, b = run([D, 2 * D], [(0, 1, FS, 0)]), run([D, 2 * D], [(0, 1, FS, 0)], elapsed=[False, False])
    assert dates(a.ef_at) == dates(b.ef_at) and a.total_float.tolist() == b.total_float.tolist()


def test_a_percent_lag_of_an_elapsed_predecessor_is_wall_clock_time() -> None:
    # E 2ed from Friday 09:00; B starts 50 % of E (24 h) after E starts: Saturday 09:00, so Monday 09:00
    r = run(
        [2 * 1440, D], [(0, 1, SS, 50, LagKind.PERCENT)], start=dt.date(2024, 1, 5), elapsed=[True, False]
    )
    assert dates(r.es_at) == [T(2024, 1, 5, 9), T(2024, 1, 8, 9)]
    # as working time, 50 % of 2880 minutes would be three working days (past the Wednesday closure)
    w = run([2 * 1440, D], [(0, 1, SS, 50, LagKind.PERCENT)], start=dt.date(2024, 1, 5))
    assert dates(w.es_at)[1] == T(2024, 1, 11, 9)
