"""Quantitative risk analysis: a Monte Carlo simulation of the project's schedule and cost.

Inputs (built from the plan; all time in working minutes, results also in working days of the project
calendar and as dates):

- **Durations**: a task's three-point estimate (optimistic / most likely / pessimistic) when it has one.
  Other tasks get their duration as all three points (a fixed duration), unless the run asks for a default
  spread: ``spread_low`` / ``spread_high`` percent below / above the duration (e.g. 10 and 25). Milestones
  and completed tasks are fixed. ``distribution``: triangular (default), pert or uniform.
- **Progress**: the *remaining* work is simulated from the project's status date, as the schedule computes
  it (:mod:`charter.engine.cpm`): a completed task is fixed at its actual dates (its risks cannot delay it);
  a task in progress keeps its actual start and samples only its remaining work - its three-point estimate
  scaled by the remaining fraction (the remaining duration / the duration, rounded as the schedule rounds
  it) - resuming no earlier than the status date; a task not started starts no earlier than the status
  date. Without a status date remaining work resumes where the logic and the work done put it (a
  warning says so); without any progress the network runs from the project start.
- **Links**: type and lag as planned; elapsed lags are converted at the calendar's working minutes per day;
  a percent lag is of the predecessor's duration in each iteration, as sampled (links into a task on its own
  calendar: at its most likely duration, see Calendars).
- **Constraints and deadlines** as the schedule applies them (:mod:`charter.engine.cpm`), to the sampled
  durations of every iteration: a levelled start (``levelled_start``, set by resource levelling) acts as a
  start-no-earlier-than (the later of the two when the task has one), exactly as the schedule folds it in;
  SNET and FNET hold a task back, MSO and MFO pin it even against the logic (actual dates win over
  constraints), and SNLT, FNLT, MSO, MFO and the deadline cap the late dates, so a task that misses one is
  critical in that iteration. Constraint dates and deadlines outside the project calendar's range are
  refused (naming the field).
- **Calendars**: the whole run is in working minutes of the project calendar. A task on its own calendar (whose
  duration, estimates and working lags are minutes of *that* calendar) is converted at the position the stored
  schedule gives it (its computed early start and finish, :class:`_OwnCalendars`): its estimates are scaled
  by the project calendar's working time between them over its duration (a 24x7 task of 72 hours from Monday
  00:00 to Thursday 00:00 is 3 project days, not 9; a task on a 4-hour-day calendar twice its length), for
  a started one the work done and the remaining work separately, where the schedule puts them. A link into
  such a task carries, instead of its lag, the project-calendar time from its predecessor's scheduled end to
  the bound the schedule derives (the lag on the successor's calendar, as :mod:`charter.engine.cpm` counts
  it, plus any wait for that calendar to open); its constraint dates and deadline are moved to the working
  instant its calendar gives them. With fixed durations the run thus finishes where the schedule does. The
  approximation: a task that moves in an iteration keeps the length it has at its scheduled position, and
  the wait of a task on its own calendar for that calendar to open after the project start or the status
  date is not counted. A task on its own calendar that the schedule has not computed yet keeps its duration
  as project-calendar time (a warning counts them). Elapsed lags into tasks on the project calendar are
  converted at its working minutes per day, as before; risk delays are project-calendar working days.
- **Costs**: where a task has planned cost (labour from assignments x rates, plus fixed costs), its labour
  cost is three-point, scaled like its duration (optimistic/most likely, pessimistic/most likely; for a task in
  progress only the remaining share of it); fixed
  costs are fixed. Without any planned cost the run has no cost results.
- **Risk events**: every open risk attached to a task (``task_id``) with a probability. Its probability is
  the risk's ``probability_value`` when set, else the middle of its level's range on the project's
  probability scale. A threat's schedule impact level becomes a three-point delay (low, middle, high of the
  level's range, in working days) and its cost impact a three-point cost; an opportunity's cost impact
  is a saving (negative cost) - the engine cannot shorten a task, so an opportunity's schedule impact is
  not simulated. Risks without a task or probability are listed in ``warnings``.
- **Correlation** (optional): ``work_package_correlation`` puts the tasks of each work package into one
  group with that coefficient; ``correlation_groups`` ([{task_ids, rho}]) adds explicit groups.
- **Targets**: the project's target date, and the approved cost baseline's total (or ``target_cost``).

Runs are stored (parameters, seed, status, progress, results) and deterministic for a given seed. Small
runs (iterations x tasks below ``INLINE_WORK``) execute in the request; larger ones in a background thread
that writes its progress to the run row. A queued or running run can be cancelled (``cancel_run``): the
runner checks between batches of iterations (an in-process signal, and the row's ``cancel_requested_at``
for a runner in another process) and stops with status ``cancelled``, storing no partial result.

A runner writes a heartbeat (``heartbeat_at``) with its progress. A queued or running run whose heartbeat is
older than ``STALE_AFTER`` has lost the process running it (killed, restarted, out of memory): the worker's
scheduled pass (``sweep_stale_runs``) and any read of the run mark it ``failed`` ("the process running it
stopped"), and cancelling such a run completes at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain import risk as rrules
from charter.domain import schedule as srules
from charter.domain.errors import Conflict, NotFound, ValidationError
from charter.domain.roles import Perm
from charter.engine.calendar import CalendarRangeError, WorkCalendar
from charter.engine.cpm import Constraint, LagKind, LinkType
from charter.engine.montecarlo import (
    Actuals,
    Constraints,
    Distribution,
    MonteCarloCancelled,
    MonteCarloError,
    MonteCarloResult,
    Risks,
    ThreePoint,
    simulate,
)
from charter.persistence.db import Database
from charter.persistence.models import (
    Calendar,
    Project,
    ProjectSchedule,
    Risk,
    SimulationRun,
    Task,
    TaskComputed,
)
from charter.services import budget, journal
from charter.services.authz import can, project_for
from charter.services.calendars import calendar_range, project_calendar_row, work_calendar
from charter.services.context import SYSTEM, Actor, now
from charter.services.risk import scale_levels
from charter.services.scheduling import Network, constraint_arrays, project_start

log = logging.getLogger("charter.simulation")

MAX_ITERATIONS = int(os.environ.get("CHARTER_SIMULATION_MAX_ITERATIONS", "100000"))
INLINE_WORK = 2_000_000  # iterations x tasks below which a run executes in the request
PERCENTILES = (10, 50, 80, 90)
DISTRIBUTIONS = {
    "triangular": Distribution.TRIANGULAR,
    "pert": Distribution.PERT,
    "uniform": Distribution.UNIFORM,
}
PARAMS = frozenset({"distribution", "spread_low", "spread_high", "work_package_correlation", "correlation_groups",
                    "target_cost", "bins"})  # fmt: skip


@dataclass
class Inputs:
    task_ids: list[int]
    names: list[str]
    duration: ThreePoint
    src: np.ndarray
    dst: np.ndarray
    typ: np.ndarray
    lag: np.ndarray
    mpd: int
    cal: WorkCalendar
    start_w: int
    lag_percent: np.ndarray | None = None  # per link: percent of the predecessor's duration in each iteration
    cost: ThreePoint | None = None
    fixed_cost: np.ndarray | None = None
    risks: Risks | None = None
    actuals: Actuals | None = None
    constraints: Constraints | None = None
    risk_ids: list[int] = field(default_factory=list)
    risk_refs: list[str] = field(default_factory=list)
    correlation_group: np.ndarray | None = None
    group_correlation: list[float] = field(default_factory=list)
    target_finish: float | None = None
    target_date: str | None = None
    target_cost: float | None = None
    currency: str = "USD"
    warnings: list[str] = field(default_factory=list)


def _float(params: dict[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    v = params.get(key)
    if v is None or v == "":
        return default
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ValidationError(f"{key} must be a number", field=key) from None
    if not lo <= x <= hi:
        raise ValidationError(f"{key} ({x:g}) must lie in [{lo:g}, {hi:g}]", field=key)
    return x


def build_inputs(s: Session, project_id: int, params: dict[str, Any]) -> Inputs:
    unknown = set(params) - PARAMS
    if unknown:
        raise ValidationError(f"unknown parameter {sorted(unknown)[0]}", field=sorted(unknown)[0])
    p = s.get(Project, project_id)
    if p is None:
        raise NotFound(f"project {project_id} not found")
    dist_name = params.get("distribution") or "triangular"
    if dist_name not in DISTRIBUTIONS:
        raise ValidationError(f"distribution is one of {', '.join(DISTRIBUTIONS)}", field="distribution")
    spread_lo = _float(params, "spread_low", 0.0, 0.0, 100.0) / 100
    spread_hi = _float(params, "spread_high", 0.0, 0.0, 1000.0) / 100
    s.flush()
    net = Network(s, project_id)
    rows = s.execute(
        select(Task.id, Task.name, Task.duration, Task.milestone, Task.optimistic, Task.most_likely,
               Task.pessimistic, Task.percent_complete, Task.actual_start, Task.actual_finish,
               Task.work_package_id)
        .where(Task.project_id == project_id).order_by(Task.id)
    ).all()  # fmt: skip
    if not rows:
        raise ValidationError("the project has no tasks to simulate", field="tasks")
    n = len(rows)
    lo, md, hi = np.zeros(n), np.zeros(n), np.zeros(n)
    md0 = np.zeros(n)  # the most likely duration of the whole task (for percent lags)
    done, rest = np.zeros(n), np.ones(n)  # work done (working minutes), remaining fraction of the estimate
    for i, r in enumerate(rows):
        dur = 0 if r.milestone else int(r.duration or 0)
        complete = srules.is_done(r.percent_complete, r.actual_finish)
        if complete:
            rest[i] = 0.0
        elif (r.percent_complete or 0) > 0:  # the remaining work as the CPM engine rounds it
            left = round(dur * (1 - r.percent_complete / 100))
            done[i] = dur - left
            rest[i] = left / dur if dur else 1 - r.percent_complete / 100
        if r.milestone or ((r.duration or 0) == 0 and r.most_likely is None):
            continue
        if complete:
            lo[i] = md[i] = hi[i] = md0[i] = r.duration
            continue
        if r.optimistic is not None and r.most_likely is not None and r.pessimistic is not None:
            lo[i], md[i], hi[i] = r.optimistic, r.most_likely, r.pessimistic
        else:
            m = float(r.most_likely if r.most_likely is not None else r.duration)
            lo[i], md[i], hi[i] = m * (1 - spread_lo), m, m * (1 + spread_hi)
        md0[i] = md[i]
        if rest[i] < 1 and dur:  # a started task: the estimate of its remaining work
            left = dur - done[i]
            lo[i], md[i], hi[i] = lo[i] * left / dur, md[i] * left / dur, hi[i] * left / dur
    pcal_row = project_calendar_row(s, project_id)
    cal = work_calendar(s, pcal_row, calendar_range(p))
    mpd = sum(b - a for a, b in pcal_row.shifts) or 480
    lag = net.lag.astype(np.float64)
    elapsed = net.kind == srules.LAG_CODES[srules.LagKind.ELAPSED]
    lag[elapsed] = lag[elapsed] * mpd / 1440
    pct = net.kind == srules.LAG_CODES[srules.LagKind.PERCENT]
    lag_percent = np.where(pct, lag, 0.0)  # of the predecessor's duration in each iteration (the engine's)
    lag[pct] = 0.0
    own = _OwnCalendars(s, p, net, pcal_row.id, cal)
    spread = lo.copy(), md.copy(), hi.copy()  # the cost's spread: as the estimates' before any conversion
    whole = own.place(rows, lo, md, hi, done, rest)
    for j in own.links(net, lag, md0):  # a link into a task on its own calendar: converted, a fixed lag
        lag_percent[j] = 0.0
    inp = Inputs(task_ids=[r.id for r in rows], names=[r.name for r in rows],
                 duration=ThreePoint(lo, md, hi, DISTRIBUTIONS[dist_name]), src=net.src, dst=net.dst,
                 typ=net.typ, lag=lag, lag_percent=lag_percent, mpd=mpd, cal=cal, start_w=cal.to_working(project_start(p)),
                 currency=p.currency)  # fmt: skip
    _actuals(s, project_id, inp, rows, done, whole)
    _dated(inp, net, own)
    _costs(s, p, inp, *spread, DISTRIBUTIONS[dist_name], rest)
    _risks(s, project_id, inp)
    _correlation(params, inp, [r.work_package_id for r in rows])
    if p.target_date is not None:
        import datetime as dt

        try:
            inp.target_finish = float(cal.to_working(p.target_date + dt.timedelta(days=1)) - inp.start_w)
            inp.target_date = p.target_date.isoformat()
        except CalendarRangeError:
            inp.warnings.append("the target date lies outside the project calendar's range")
    tc = params.get("target_cost")
    if tc not in (None, ""):
        inp.target_cost = _float(params, "target_cost", 0.0, 0.0, 1e15)
    else:
        base = budget.baseline_version(s, project_id)
        inp.target_cost = float(base.total) if base is not None else None
    return inp


def _actuals(
    s: Session, project_id: int, inp: Inputs, rows: Sequence[Any], done: np.ndarray, whole: np.ndarray
) -> None:
    """Progress, as the schedule has it: actual dates, work done and the project's status date (working
    minutes from the project start; ``whole``: each task's duration in them, for an actual finish without an
    actual start). Without any progress the network runs from the project start."""
    sched = s.get(ProjectSchedule, project_id)
    status_at = sched.status_date if sched is not None else None
    n = len(rows)
    start, finish = np.full(n, np.nan), np.full(n, np.nan)
    complete = np.zeros(n, dtype=np.bool_)
    try:
        for i, r in enumerate(rows):
            if r.actual_finish is not None:
                finish[i] = inp.cal.to_working(r.actual_finish) - inp.start_w
                start[i] = finish[i] - whole[i]  # as the CPM engine places a finish without a start
            if r.actual_start is not None:
                start[i] = inp.cal.to_working(r.actual_start) - inp.start_w
            complete[i] = (r.percent_complete or 0) >= 100
        status = None if status_at is None else float(inp.cal.to_working(status_at) - inp.start_w)
    except CalendarRangeError:
        raise ValidationError("an actual date or the status date lies outside the project calendar's range",
                              field="status_date") from None  # fmt: skip
    started = bool(complete.any() or np.isfinite(start).any() or (done > 0).any())
    if not started and status is None:
        return
    inp.actuals = Actuals(status=status, start=start, finish=finish, done=done, complete=complete)
    if started and status is None:
        inp.warnings.append("the project has no status date: remaining work is simulated from where the logic "
                            "and the work done put it")  # fmt: skip


def _dated(inp: Inputs, net: Network, own: _OwnCalendars) -> None:
    """Constraints (a levelled start folded in as an SNET, as the schedule does) and deadlines, in working
    minutes of the project calendar from the project start; none -> no constraints for the engine. On a task
    with its own calendar a date is first moved to where that calendar's working time puts it (the next
    working instant for a start, the end of the last working period for a finish), as the schedule counts it.
    The tasks on their own calendar that the stored schedule has not placed yet get a warning."""
    assert net.ids == inp.task_ids  # both by Task.id
    kinds, dates = constraint_arrays(net.rows)
    n = len(net.rows)
    at, deadline = np.full(n, np.nan), np.full(n, np.nan)
    finish_side = np.isin(kinds, [Constraint.FNET, Constraint.FNLT, Constraint.MFO])
    for field_name, values, out in (("constraint_date", dates.tolist(), at),
                                     ("deadline", [x[6] for x in net.rows], deadline)):  # fmt: skip
        for i, d in enumerate(values):
            if d is None:
                continue
            try:
                c = own.cal.get(i)
                if c is not None:  # the instant the task's own calendar gives this date
                    d = c.to_datetime(
                        c.to_working(d), finish=field_name == "deadline" or bool(finish_side[i])
                    )
                out[i] = inp.cal.to_working(d) - inp.start_w
            except CalendarRangeError:
                raise ValidationError(f"task '{inp.names[i]}': its {field_name.replace('_', ' ')} lies outside "
                                      "the project calendar's range", field=field_name,
                                      details={"task_id": inp.task_ids[i]}) from None  # fmt: skip
    if (kinds != 0).any() or np.isfinite(deadline).any():
        inp.constraints = Constraints(kinds, at, deadline)
    count = len(own.unplaced)
    if count == 1:
        inp.warnings.append("1 task on its own calendar has no computed schedule yet: its duration is simulated "
                            "as project-calendar working time")  # fmt: skip
    elif count:
        inp.warnings.append(f"{count} tasks on their own calendar have no computed schedule yet: their durations "
                            "are simulated as project-calendar working time")  # fmt: skip


class _OwnCalendars:
    """Tasks on a calendar other than the project's, at the position the stored schedule gives them; a task
    with an elapsed duration (and elapsed three-point estimates) counts as one on a 24x7 calendar.

    The engine runs in working minutes of the project calendar; a task's duration is in working minutes of
    its own. Each such task is converted at its scheduled (early) dates: its duration becomes the project
    calendar's working time between its early start and early finish, its three-point estimate is scaled by
    that over its duration (for a started task the work done and the remaining work are converted separately,
    where the schedule puts them). A link into such a task gets, in place of its lag, the project calendar's
    working time from its predecessor's scheduled finish (start for SS/SF) to where the schedule's bound puts
    the successor: the lag counted on the successor's calendar, as :mod:`charter.engine.cpm` counts it, plus
    any wait for that calendar's next working time. A task the schedule has not computed yet keeps its
    duration (``unplaced``, a warning counts them)."""

    def __init__(self, s: Session, p: Project, net: Network, pcal_id: int, pcal: WorkCalendar):
        self.pcal = pcal
        self.cal: dict[int, WorkCalendar] = {}  # task index -> its own calendar
        self.es: dict[int, dt.datetime] = {}  # task index -> its stored early start / finish
        self.ef: dict[int, dt.datetime] = {}
        self.unplaced: list[int] = []
        self.status: int | None = None  # the status date (project working time), for started tasks
        wanted = {x[3] for x in net.rows if x[3] is not None and x[3] != pcal_id}
        elapsed = [i for i, x in enumerate(net.rows) if srules.is_elapsed(x[11])]
        if not wanted and not elapsed:
            return
        rng = calendar_range(p)
        q = select(Calendar).where(Calendar.project_id == p.id, Calendar.id.in_(wanted))
        cals = {c.id: work_calendar(s, c, rng) for c in s.scalars(q)} if wanted else {}  # others -> project's
        self.cal = {i: cals[x[3]] for i, x in enumerate(net.rows) if x[3] in cals}
        if elapsed:  # an elapsed duration runs on a 24x7 calendar (as the schedule runs it), whatever its own
            round_the_clock = WorkCalendar(pcal.start, pcal.end, weekdays=range(7), shifts=((0, 1440),))
            self.cal.update((i, round_the_clock) for i in elapsed)
        if not self.cal:
            return
        c = TaskComputed.__table__.c
        for tid, es, ef in s.execute(
            select(c.task_id, c.early_start, c.early_finish).where(c.project_id == p.id)
        ):
            i = net.index.get(tid)
            if i is not None and es is not None and ef is not None:
                self.es[i], self.ef[i] = es, ef
        self.unplaced = [i for i in self.cal if i not in self.es]
        sched = s.get(ProjectSchedule, p.id)
        if sched is not None and sched.status_date is not None:
            with suppress(CalendarRangeError):  # refused with the other progress dates (see _actuals)
                self.status = pcal.to_working(sched.status_date)

    def place(self, rows: Sequence[Any], lo: np.ndarray, md: np.ndarray, hi: np.ndarray, done: np.ndarray,
              rest: np.ndarray) -> np.ndarray:  # fmt: skip
        """Convert the durations (in place: the estimates of each task on its own calendar, the work done of a
        started one) to project-calendar working time; return every task's duration in it (for an actual
        finish without an actual start)."""
        whole = np.array([0.0 if r.milestone else float(r.duration or 0) for r in rows])
        pw = self.pcal.to_working
        for i, c in self.cal.items():
            dur = int(whole[i])
            if dur == 0 or i not in self.es:  # a milestone has nothing to convert; not placed: as it is
                continue
            try:
                es, ef = pw(self.es[i]), pw(self.ef[i])
                if rest[i] > 0 and (rest[i] < 1 or rows[i].actual_start is not None):  # started, not complete
                    d_end = c.to_datetime(c.to_working(self.es[i]) + int(done[i]))  # the start side: the rest
                    done_p = pw(d_end) - es  # may resume there (its calendar's next working instant)
                    resume = es + done_p if self.status is None else max(es + done_p, self.status)
                    left = dur - int(done[i])  # the rest as the run resumes it: from there to the finish
                    k = max(ef - resume, 0) / left if left > 0 else 1.0
                    done[i] = done_p
                else:  # not started, or complete (its estimate is its duration)
                    k = (ef - es) / dur
                    whole[i] = ef - es
            except (CalendarRangeError, ValueError):
                self.unplaced.append(i)
                continue
            lo[i], md[i], hi[i] = lo[i] * k, md[i] * k, hi[i] * k
        return whole

    def links(self, net: Network, lag: np.ndarray, md0: np.ndarray) -> list[int]:
        """Replace (in place) the lag of each link into a placed task on its own calendar by the project-calendar
        working time from its predecessor's scheduled end to the successor's bound (see the class); the links
        so replaced (a percent lag among them is then this fixed time, at the predecessor's most likely
        duration)."""
        replaced: list[int] = []
        if not self.cal:
            return replaced
        pw = self.pcal.to_working
        fs_ff = (LinkType.FS, LinkType.FF)
        for j in np.flatnonzero(np.isin(net.dst, list(self.cal))).tolist():
            u, v = int(net.src[j]), int(net.dst[j])
            if v not in self.es or u not in self.es:
                continue
            c, t, kind = self.cal[v], int(net.typ[j]), int(net.kind[j])
            end = self.ef[u] if t in fs_ff else self.es[u]
            try:
                if kind == LagKind.ELAPSED:
                    b = c.to_working(end + dt.timedelta(minutes=int(net.lag[j])))
                else:  # working minutes of the successor's calendar (a percent lag as the run converts it)
                    b = c.to_working(end) + round(float(md0[u] * net.lag[j] / 100 if kind == LagKind.PERCENT
                                                        else net.lag[j]))  # fmt: skip
                lag[j] = pw(c.to_datetime(b, finish=t not in (LinkType.FS, LinkType.SS))) - pw(end)
                replaced.append(j)
            except (CalendarRangeError, ValueError):
                continue  # out of the calendar's range: the lag as the project calendar counts it
        return replaced


def _costs(
    s: Session,
    p: Project,
    inp: Inputs,
    lo: np.ndarray,
    md: np.ndarray,
    hi: np.ndarray,
    d: int,
    rest: np.ndarray,
) -> None:
    from charter.services.evm import _Tasks  # the planned cost per task, as EVM computes it

    t = _Tasks(s, p)
    labour = np.array([float(t.labour[t.index[tid]]) for tid in inp.task_ids])
    fixed = np.array([float(t.fixed[t.index[tid]]) for tid in inp.task_ids])
    if not (labour.any() or fixed.any()):
        return
    with np.errstate(invalid="ignore", divide="ignore"):
        f_lo = np.where(md > 0, lo / np.where(md > 0, md, 1), 1.0)
        f_hi = np.where(md > 0, hi / np.where(md > 0, md, 1), 1.0)
    spent = labour * (1 - rest)  # a started task's labour for the work done is not uncertain any more
    inp.cost = ThreePoint(spent + labour * rest * f_lo, labour, spent + labour * rest * f_hi, d)
    inp.fixed_cost = fixed


def _risks(s: Session, project_id: int, inp: Inputs) -> None:
    levels = scale_levels(s, project_id)
    index = {tid: i for i, tid in enumerate(inp.task_ids)}
    task, prob, dl, dm, dh, cl, cm, ch = [], [], [], [], [], [], [], []
    q = select(Risk).where(Risk.project_id == project_id, Risk.status.in_([x.value for x in rrules.OPEN]))
    for r in s.scalars(q.order_by(Risk.number)):
        ref = f"R-{r.number}"
        if r.task_id is None or r.task_id not in index:
            inp.warnings.append(f"{ref} is not attached to a task: not simulated")
            continue
        for k in ("probability", "impact_schedule", "impact_cost"):
            v = getattr(r, k)
            if v is not None and v not in rrules.LEVELS:
                raise ValidationError(f"risk {ref} ({r.title}): {k} {v} is outside the 1-5 scale", field=k,
                                      details={"risk_id": r.id})  # fmt: skip
        if r.probability_value is None and r.probability is None:
            inp.warnings.append(f"{ref} has no probability: not simulated")
            continue
        pv = r.probability_value
        if pv is None:
            pv = levels[(rrules.Dimension.PROBABILITY, r.probability)].mid  # type: ignore[index]
        threat = r.kind == rrules.Kind.THREAT.value
        d = levels[(rrules.Dimension.SCHEDULE, r.impact_schedule)] if r.impact_schedule and threat else None
        c = levels[(rrules.Dimension.COST, r.impact_cost)] if r.impact_cost else None
        task.append(index[r.task_id])
        prob.append(pv)
        dl.append((d.low or 0.0) * inp.mpd if d else 0.0)
        dm.append(d.mid * inp.mpd if d else 0.0)
        dh.append((d.high or 0.0) * inp.mpd if d else 0.0)
        sign = 1.0 if threat else -1.0
        vals = sorted(sign * x for x in ((c.low or 0.0), c.mid, (c.high or 0.0))) if c else [0.0, 0.0, 0.0]
        cl.append(vals[0])
        cm.append(vals[1])
        ch.append(vals[2])
        inp.risk_ids.append(r.id)
        inp.risk_refs.append(f"{ref} {r.title}")
    if task:
        has_cost = any(x != 0 for x in (*cl, *ch))
        inp.risks = Risks(np.array(task), np.array(prob), ThreePoint(np.array(dl), np.array(dm), np.array(dh)),
                          ThreePoint(np.array(cl), np.array(cm), np.array(ch)) if has_cost else None)  # fmt: skip
        if has_cost and inp.cost is None:
            inp.fixed_cost = np.zeros(len(inp.task_ids))


def _correlation(params: dict[str, Any], inp: Inputs, wps: list[int | None]) -> None:
    n = len(inp.task_ids)
    grp = np.full(n, -1, dtype=np.int64)
    rhos: list[float] = []
    wp_rho = params.get("work_package_correlation")
    if wp_rho not in (None, ""):
        rho = _float(params, "work_package_correlation", 0.0, 0.0, 1.0)
        ids: dict[int, int] = {}
        for i, w in enumerate(wps):
            if w is not None:
                if w not in ids:
                    ids[w] = len(rhos)
                    rhos.append(rho)
                grp[i] = ids[w]
    index = {tid: i for i, tid in enumerate(inp.task_ids)}
    for g in params.get("correlation_groups") or []:
        rho = _float(g, "rho", 0.0, 0.0, 1.0)
        for tid in g.get("task_ids") or []:
            if tid not in index:
                raise ValidationError(f"task {tid} of a correlation group is not in this project",
                                      field="correlation_groups")  # fmt: skip
            grp[index[tid]] = len(rhos)
        rhos.append(rho)
    if rhos:
        inp.correlation_group, inp.group_correlation = grp, rhos


# --------------------------------------------------------------------------------------------- errors

_FIELDS = {"duration.low": "optimistic", "duration.mode": "most_likely", "duration.high": "pessimistic",
           "probability": "probability_value", "delay.low": "impact_schedule", "delay.mode": "impact_schedule",
           "delay.high": "impact_schedule", "cost.low": "impact_cost", "cost.mode": "impact_cost",
           "cost.high": "impact_cost"}  # fmt: skip
_WORDS = {"duration.low": "optimistic", "duration.mode": "most likely", "duration.high": "pessimistic"}


def engine_error(exc: MonteCarloError, inp: Inputs) -> ValidationError:
    """The engine's error with the task (and risk) named instead of indexed, and the field as users know it."""
    msg = str(exc)
    details: dict[str, Any] = {}
    fld = (
        _FIELDS.get(exc.field, exc.field)
        if exc.risk is not None or exc.field.startswith("duration")
        else exc.field
    )
    if exc.risk is not None and exc.risk < len(inp.risk_ids):
        tail = msg.split(": ", 1)[-1]
        ti = int(np.asarray(inp.risks.task)[exc.risk]) if inp.risks is not None else None
        where = f"risk {inp.risk_refs[exc.risk]}" + (f" on task '{inp.names[ti]}'" if ti is not None else "")
        msg = f"{where}: {tail}"
        details["risk_id"] = inp.risk_ids[exc.risk]
        if ti is not None:
            details["task_id"] = inp.task_ids[ti]
    elif exc.task is not None and exc.task < len(inp.names):
        tail = msg.split(": ", 1)[-1]
        for k, w in _WORDS.items():
            tail = tail.replace(k, w)
        tail = re.sub(r"\((-?[\d.e+]+)\)", lambda m: f"({float(m.group(1)) / inp.mpd:g} d)", tail)
        msg = f"task '{inp.names[exc.task]}': {tail}"
        details["task_id"] = inp.task_ids[exc.task]
    return ValidationError(msg, field=fld, details=details)


# --------------------------------------------------------------------------------------------- runs


def _run(inp: Inputs, iterations: int, seed: int, bins: int, progress: Callable[[float, str], None] | None,
         cancel: Callable[[], bool] | None = None) -> MonteCarloResult:  # fmt: skip
    try:
        return simulate(
            inp.duration, inp.src, inp.dst, inp.typ, inp.lag, lag_percent=inp.lag_percent, cost=inp.cost,
            fixed_cost=inp.fixed_cost,
            risks=inp.risks, actuals=inp.actuals, constraints=inp.constraints, correlation_group=inp.correlation_group, group_correlation=inp.group_correlation,
            iterations=iterations, seed=seed, percentiles=PERCENTILES, bins=bins,
            target_finish=inp.target_finish, target_cost=inp.target_cost, progress=progress, cancel=cancel,
            max_iterations=max(MAX_ITERATIONS, 1),
        )  # fmt: skip
    except MonteCarloError as exc:
        raise engine_error(exc, inp) from None


def create_run(
    s: Session, actor: Actor, project_id: int, *, iterations: int = 10_000, seed: int | None = None,
    **params: Any,
) -> dict[str, Any]:  # fmt: skip
    """Validate the inputs (errors name the task and field) and store a queued run; `launch` executes it."""
    project_for(s, actor, project_id, Perm.RISK_MANAGE)
    if not isinstance(iterations, int) or not 1 <= iterations <= MAX_ITERATIONS:
        raise ValidationError(f"iterations ({iterations}) must be in 1..{MAX_ITERATIONS}", field="iterations")
    if seed is None:
        seed = secrets.randbelow(2**31)
    if not 0 <= seed < 2**31:
        raise ValidationError("seed must be in 0..2147483647", field="seed")
    params = {k: v for k, v in params.items() if v is not None}
    bins = int(_float(params, "bins", 40, 5, 200))
    inp = build_inputs(s, project_id, params)
    _run(inp, 1, seed, bins, None)  # the engine's own checks, before anything is stored
    run = SimulationRun(project_id=project_id, status="queued", iterations=iterations, seed=seed, params=params,
                        progress=0.0, message="queued", created_by=actor.user_id, created_at=now(),
                        heartbeat_at=now())  # fmt: skip
    s.add(run)
    s.flush()
    journal.record(s, actor, entity_type="simulation_run", entity_id=run.id, action="create",
                   after={"iterations": iterations, "seed": seed, "params": params}, project_id=project_id)  # fmt: skip
    out = run_dict(run, True)
    out["inline"] = iterations * len(inp.task_ids) < INLINE_WORK
    return out


Units = Callable[..., AbstractContextManager[Session]]  # db.uow, or one lending a caller's session


def _update(uow: Units, run_id: int, **values: Any) -> None:
    with uow() as s:
        run = s.get(SimulationRun, run_id)
        if run is not None:
            for k, v in values.items():
                setattr(run, k, v)


_SIGNALS: dict[int, threading.Event] = {}  # run id -> cancel signal of the runs executing in this process
_SIGNALS_LOCK = threading.Lock()
CANCEL_POLL = 0.5  # seconds between looks at the run row for a cancellation from another process


def _signal(run_id: int) -> threading.Event:
    with _SIGNALS_LOCK:
        return _SIGNALS.setdefault(run_id, threading.Event())


def _cancel_check(uow: Units, run_id: int, signal: threading.Event) -> Callable[[], bool]:
    """True once the run is to stop: the in-process signal at once, the row's flag within CANCEL_POLL."""
    last = [time.monotonic()]

    def check() -> bool:
        if signal.is_set():
            return True
        t = time.monotonic()
        if t - last[0] < CANCEL_POLL:
            return False
        last[0] = t
        with uow(readonly=True) as s:
            flagged = s.scalar(select(SimulationRun.cancel_requested_at).where(SimulationRun.id == run_id))
        if flagged is not None:
            signal.set()
        return flagged is not None

    return check


def execute_run(db: Database, run_id: int, progress: Callable[[float, str], None] | None = None) -> None:
    """Execute a queued run, writing progress (at most twice a second) and the results to its row. Failures
    are recorded on the run (status failed, error), never raised; a cancellation (see cancel_run) stops it
    between batches of iterations with status cancelled and no result."""
    _execute(db.uow, run_id, progress)


def execute_in_session(s: Session, run_id: int, progress: Callable[[float, str], None] | None = None) -> None:
    """Execute a queued run inside the caller's unit of work (which sees the caller's uncommitted plan and
    holds the results until the caller commits), e.g. for a script or the demo that builds a project in one
    transaction. Otherwise as :func:`execute_run`: failures are recorded on the run, never raised."""

    @contextmanager
    def lend(*, readonly: bool = False) -> Iterator[Session]:
        yield s

    _execute(lend, run_id, progress)


def _execute(uow: Units, run_id: int, progress: Callable[[float, str], None] | None) -> None:
    signal = _signal(run_id)
    try:
        with uow() as s:
            run = s.get(SimulationRun, run_id)
            if run is None or run.status != "queued":
                return
            run.status, run.started_at, run.message, run.heartbeat_at = "running", now(), "starting", now()
            iterations, seed, params = run.iterations, run.seed, dict(run.params)
            inp = build_inputs(s, run.project_id, params)
        _run_engine(uow, run_id, inp, iterations, seed, params, progress, signal)
    except ValidationError as exc:
        _update(uow, run_id, status="failed", error=exc.message, message="failed", finished_at=now())
    except Exception as exc:  # recorded on the run: a background thread has no one else to tell
        log.exception("simulation run %s failed", run_id)
        _update(uow, run_id, status="failed", error=f"{type(exc).__name__}: {exc}", message="failed",
                finished_at=now())  # fmt: skip
    finally:
        with _SIGNALS_LOCK:
            _SIGNALS.pop(run_id, None)


def _run_engine(uow: Units, run_id: int, inp: Inputs, iterations: int, seed: int, params: dict[str, Any],
                progress: Callable[[float, str], None] | None, signal: threading.Event) -> None:  # fmt: skip
    last = [0.0]

    def report(frac: float, msg: str) -> None:
        if progress is not None:
            progress(frac, msg)
        t = time.monotonic()
        if t - last[0] >= 0.5 and not signal.is_set():
            last[0] = t
            _update(uow, run_id, progress=min(frac, 0.99), message=msg, heartbeat_at=now())

    try:
        res = _run(inp, iterations, seed, int(params.get("bins") or 40), report,
                   _cancel_check(uow, run_id, signal))  # fmt: skip
    except MonteCarloCancelled as exc:
        _update(uow, run_id, status="cancelled", message=f"cancelled after {exc.done:,} of {iterations:,} iterations",
                result=None, finished_at=now())  # fmt: skip
        return
    _update(uow, run_id, status="done", progress=1.0, message="done", result=result_dict(res, inp),
            finished_at=now())  # fmt: skip


def cancel_run(s: Session, actor: Actor, project_id: int, run_id: int) -> dict[str, Any]:
    """Cancel a queued or running run (whoever may run simulations). A queued run is cancelled at once; a
    running one stops at its next batch of iterations (its status moves to cancelled then). Refused (409) for
    a run that is done, failed or cancelled already."""
    project_for(s, actor, project_id, Perm.RISK_MANAGE)
    run = s.get(SimulationRun, run_id)
    if run is None or run.project_id != project_id:
        raise NotFound(f"simulation run {run_id} not found in this project", field="run_id")
    if run.status in ("queued", "running") and is_stale(run, now()):
        before = {"status": run.status}
        t = now()
        run.status, run.finished_at, run.cancel_requested_at, run.cancelled_by = (
            "cancelled",
            t,
            t,
            actor.user_id,
        )
        run.message = f"cancelled; {STALE_MESSAGE}"
        s.flush()
        journal.record(s, actor, entity_type="simulation_run", entity_id=run.id, action="cancel", before=before,
                       after={"status": run.status, "cancel_requested_at": t.isoformat()}, project_id=project_id,
                       cause=STALE_MESSAGE)  # fmt: skip
        return run_dict(run, can(s, actor, project_id, Perm.BUDGET_READ))
    if run.status not in ("queued", "running") or run.cancel_requested_at is not None:
        what = "being cancelled" if run.status == "running" else run.status
        raise Conflict(f"simulation run {run_id} is {what} already; only a queued or running run can be cancelled",
                       field="run_id", current=run_dict(run, can(s, actor, project_id, Perm.BUDGET_READ)))  # fmt: skip
    before = {"status": run.status}
    t = now()
    run.cancel_requested_at, run.cancelled_by = t, actor.user_id
    if run.status == "queued":
        run.status, run.message, run.finished_at = "cancelled", "cancelled before it started", t
    else:
        run.message = "cancelling"
    s.flush()
    journal.record(s, actor, entity_type="simulation_run", entity_id=run.id, action="cancel", before=before,
                   after={"status": run.status, "cancel_requested_at": t.isoformat()}, project_id=project_id)  # fmt: skip
    with _SIGNALS_LOCK:
        signal = _SIGNALS.get(run.id)  # the runner is in this process: stop at its next batch
    if signal is not None:
        signal.set()
    return run_dict(run, can(s, actor, project_id, Perm.BUDGET_READ))


def launch(db: Database, run_id: int, *, background: bool) -> threading.Thread | None:
    """Execute a run now, or in a background thread (returned, e.g. for tests to join)."""
    if not background:
        execute_run(db, run_id)
        return None
    t = threading.Thread(target=execute_run, args=(db, run_id), name=f"simulation-{run_id}", daemon=True)
    t.start()
    return t


# --------------------------------------------------------------------------------------------- results


def _when(inp: Inputs, x: float) -> str | None:
    try:
        return inp.cal.to_datetime(inp.start_w + round(x), finish=True).isoformat()
    except (CalendarRangeError, ValueError):
        return None


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 4)


def result_dict(res: MonteCarloResult, inp: Inputs) -> dict[str, Any]:
    mpd = inp.mpd

    def days(x: float) -> float | None:
        return None if not np.isfinite(x) else round(float(x) / mpd, 2)

    h = res.finish_histogram
    out: dict[str, Any] = {
        "tasks_count": len(inp.task_ids), "risks_count": len(inp.risk_ids), "currency": inp.currency,
        "warnings": inp.warnings, "deterministic": {"days": days(res.deterministic_finish),
                                                    "date": _when(inp, res.deterministic_finish)},
        "mean": {"days": days(res.finish_mean), "date": _when(inp, res.finish_mean)},
        "std_days": days(res.finish_std),
        "finish": [{"p": int(p), "days": days(v), "date": _when(inp, v)} for p, v in res.finish_percentiles.items()],
        "histogram": {"edges_days": [days(e) for e in h.edges], "edges_dates": [_when(inp, e) for e in h.edges],
                      "counts": h.counts.tolist(), "cumulative": [round(float(c), 5) for c in h.cumulative]},
        "tasks": [{"task_id": tid, "name": inp.names[i], "criticality": _num(res.criticality[i]),
                   "sensitivity": _num(res.sensitivity[i]), "cruciality": _num(res.cruciality[i])}
                  for i, tid in enumerate(inp.task_ids)],
        "risks": [{"risk_id": rid, "name": inp.risk_refs[k], "occurrence": _num(res.risk_occurrence[k]),
                   "sensitivity": _num(res.risk_sensitivity[k])} for k, rid in enumerate(inp.risk_ids)],
        "tornado": [{"kind": d.kind, "id": inp.task_ids[d.index] if d.kind == "task" else inp.risk_ids[d.index],
                     "name": inp.names[d.index] if d.kind == "task" else inp.risk_refs[d.index],
                     "sensitivity": _num(d.sensitivity), "low_days": days(d.finish_low),
                     "high_days": days(d.finish_high)} for d in res.tornado],
        "target_date": inp.target_date, "p_target_date": _num(res.p_finish_target) if res.p_finish_target is not None else None,
        "target_cost": inp.target_cost,
        "p_target_cost": _num(res.p_cost_target) if res.p_cost_target is not None else None,
        "cost": None,
    }  # fmt: skip
    if res.cost is not None and res.cost_histogram is not None:
        ch = res.cost_histogram
        out["cost"] = {
            "percentiles": [{"p": int(p), "value": round(v, 2)} for p, v in res.cost_percentiles.items()],
            "mean": round(float(res.cost.mean()), 2),
            "histogram": {"edges": [round(float(e), 2) for e in ch.edges], "counts": ch.counts.tolist(),
                          "cumulative": [round(float(c), 5) for c in ch.cumulative]},
        }  # fmt: skip
    return out


def run_dict(run: SimulationRun, see_cost: bool, *, full: bool = True) -> dict[str, Any]:
    result = run.result
    if result is not None and not see_cost:
        result = {**result, "cost": None, "target_cost": None, "p_target_cost": None}
    if result is not None and not full:
        result = {k: result.get(k) for k in ("finish", "deterministic", "mean", "p_target_date", "target_date",
                                             "p_target_cost", "tasks_count", "risks_count")}  # fmt: skip
        if see_cost and run.result and run.result.get("cost"):
            result["cost_percentiles"] = run.result["cost"]["percentiles"]
    return {
        "id": run.id, "project_id": run.project_id, "status": run.status, "iterations": run.iterations,
        "seed": run.seed, "params": run.params, "progress": run.progress, "message": run.message,
        "error": run.error, "result": result, "created_by": run.created_by, "created_at": run.created_at,
        "started_at": run.started_at, "finished_at": run.finished_at,
        "cancel_requested_at": run.cancel_requested_at, "cancelled_by": run.cancelled_by,
        "heartbeat_at": run.heartbeat_at,
    }  # fmt: skip


def _stale_minutes() -> int:
    raw = os.environ.get("CHARTER_SIMULATION_STALE_MINUTES", "").strip()
    if raw.isdecimal() and int(raw) > 0:
        return int(raw)
    if raw:
        log.warning("CHARTER_SIMULATION_STALE_MINUTES=%r is not a positive whole number; using 10", raw)
    return 10


STALE_AFTER = dt.timedelta(minutes=_stale_minutes())
STALE_MESSAGE = "the process running it stopped"


def is_stale(run: SimulationRun, at: dt.datetime) -> bool:
    """A queued or running run whose runner gave no sign of life for STALE_AFTER (never one executing in this
    process: that one is alive)."""
    if run.status not in ("queued", "running"):
        return False
    with _SIGNALS_LOCK:
        if run.id in _SIGNALS:
            return False
    beat = run.heartbeat_at or run.started_at or run.created_at
    return beat is None or at - beat > STALE_AFTER


def _fail_stale(s: Session, run: SimulationRun, at: dt.datetime) -> None:
    beat = run.heartbeat_at or run.started_at or run.created_at
    before = {"status": run.status}
    since = f" (no sign of life since {beat:%Y-%m-%d %H:%M} UTC)" if beat is not None else ""
    run.status, run.message, run.finished_at = "failed", "failed", at
    run.error = f"{STALE_MESSAGE}{since}; start a new run"
    s.flush()
    journal.record(s, SYSTEM, entity_type="simulation_run", entity_id=run.id, action="fail", before=before,
                   after={"status": run.status, "error": run.error}, project_id=run.project_id,
                   cause=STALE_MESSAGE)  # fmt: skip


def sweep_stale_runs(s: Session, at: dt.datetime | None = None) -> list[int]:
    """For the worker (and reads): mark failed every queued or running run whose heartbeat is older than
    STALE_AFTER. Idempotent. Returns the run ids marked."""
    at = at or now()
    q = select(SimulationRun).where(SimulationRun.status.in_(("queued", "running")))
    done = []
    for run in s.scalars(q.order_by(SimulationRun.id)):
        if is_stale(run, at):
            _fail_stale(s, run, at)
            done.append(run.id)
    return done


def get_run(s: Session, actor: Actor, project_id: int, run_id: int) -> dict[str, Any]:
    """A run with its results. A queued or running run whose process stopped is marked failed here (the
    caller's unit of work commits it)."""
    project_for(s, actor, project_id)
    run = s.get(SimulationRun, run_id)
    if run is None or run.project_id != project_id:
        raise NotFound(f"simulation run {run_id} not found in this project", field="run_id")
    if is_stale(run, now()):
        _fail_stale(s, run, now())
    return run_dict(run, can(s, actor, project_id, Perm.BUDGET_READ))


def list_runs(s: Session, actor: Actor, project_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The runs, newest first, with their headline results (for comparison)."""
    project_for(s, actor, project_id)
    see = can(s, actor, project_id, Perm.BUDGET_READ)
    at = now()
    for run in s.scalars(select(SimulationRun).where(SimulationRun.project_id == project_id,
                                                    SimulationRun.status.in_(("queued", "running")))):  # fmt: skip
        if is_stale(run, at):
            _fail_stale(s, run, at)
    q = select(SimulationRun).where(SimulationRun.project_id == project_id).order_by(SimulationRun.id.desc())
    return [run_dict(r, see, full=False) for r in s.scalars(q.limit(limit))]
