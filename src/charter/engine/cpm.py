"""Critical path method over compressed arrays, with working-time calendars.

Model and conventions
---------------------
- **Tasks** are indices ``0..n-1``.  ``duration[i]`` is in *working minutes of the task's calendar*
  (the project calendar unless ``task_calendar[i] >= 0``); ``WorkCalendar.days(d)`` converts days.
  A zero duration makes a milestone.
- **Links** are parallel arrays ``src, dst, typ, lag[, lag_kind]``: ``typ`` 0 = FS, 1 = SS, 2 = FF,
  3 = SF (as in netgen); ``lag_kind`` 0 = working minutes counted on the *successor's* calendar,
  1 = elapsed minutes (24x7 wall-clock time), 2 = percent of the predecessor's duration (``lag`` is the
  percentage, e.g. 50 or -25).  Lags may be negative.
- **Time unit of the results**: integer working minutes on the *project* calendar counted from the
  project start (``0`` is the first working instant at or after ``start``).  Floats are in working
  minutes of the task's own calendar (the same thing for tasks on the project calendar).
- **Start/finish convention** (as MS Project): a working time denotes an instant only up to
  non-working gaps; starts are shown on the *start side* (the next working instant, so a task whose
  computed start falls in a weekend shows Monday 09:00), finishes on the *finish side* (a one-day task
  started Monday 09:00 finishes Monday 18:00, not Tuesday 09:00).  A milestone driven by a finish (FS/FF
  link) is shown on the finish side, so a milestone after a task finishing Monday 18:00 sits at Monday
  18:00 and its FS successor starts Tuesday 09:00; a milestone at the project start or placed by a
  constraint is shown on the start side (the next working instant).
- **Constraints** (``constraint_type`` codes in :class:`Constraint`, instants in ``constraint_date``):
  SNET, FNET, MSO, MFO are applied in the forward pass (MSO/MFO pin the early dates even against the
  logic); SNLT, FNLT, MSO, MFO and ``deadline`` cap the late dates in the backward pass.  A constraint or
  deadline that cannot be met is never hidden: it gives negative total float and a :class:`Violation`.
  ALAP tasks get the same early/late dates; their *scheduled* dates (``start``/``finish``) are the late
  ones.  Every task's late finish is also capped by the project finish.
- **Progress**: a task with an actual finish (or 100 %) is complete: its actual dates stand (without an
  actual start, it started ``duration`` before its actual finish), it has zero float, is not critical and
  does not constrain its predecessors.  A task with an actual start (or % complete > 0, or remaining
  < duration) is in progress: it started at its actual start (or where logic puts it), and its remaining
  work is scheduled from ``max(status date, start + work done)``.  Tasks not started are scheduled no
  earlier than the status date.  Links into started tasks are ignored (the start already happened).
- **Cycles** raise :class:`CycleError` with the cycle; :func:`find_cycle_if_linked` tells the service
  layer whether a new link would close one.
- **Task calendars**: a task's own times are counted on its calendar; a link between tasks on different
  calendars (or with an elapsed lag) goes through the real instant: a finish at its earliest instant, a
  start at its latest (the next working instant), and in the backward pass always the latest instant,
  so crossing calendars loses no float.  All calendars of one schedule must cover the same date range.
  Free float across calendars is measured in the predecessor's own working time too.
  Known approximation: a finish-type bound (FF/SF) that lands in the successor calendar's non-working
  time is met at the end of the successor's previous working period (same working time).
- **Elapsed durations** (``elapsed[i]``, MS Project's "3ed"): the task's duration, remaining work, actual
  dates, constraints and floats are wall-clock minutes; it is scheduled on a 24x7 calendar over the project
  calendar's range (the task-calendar machinery above), so it runs through nights, weekends and holidays.
  It starts where its links put it (right at a working predecessor's finish instant) but, without
  predecessors, no earlier than the project's first working instant.

Performance: the network is renumbered in topological order (Kahn, numba) so both passes run over
contiguous CSR arrays; the all-project-calendar path is pure integer arithmetic, calendars are used only
to turn the results into datetimes (per-day tables, O(1) per date).
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from charter.engine import _cpm_kernels as k
from charter.engine.calendar import CalendarRangeError, WorkCalendar

__all__ = [
    "Constraint",
    "CycleError",
    "LagKind",
    "LinkType",
    "Schedule",
    "Violation",
    "find_cycle",
    "find_cycle_if_linked",
    "schedule",
    "topological_order",
]

I64 = npt.NDArray[np.int64]
DT64 = npt.NDArray[np.datetime64]
BoolArr = npt.NDArray[np.bool_]
NONE = k.NONE
BIG = k.BIG


class LinkType(IntEnum):
    FS = 0
    SS = 1
    FF = 2
    SF = 3


class LagKind(IntEnum):
    WORKING = 0
    ELAPSED = 1
    PERCENT = 2


class Constraint(IntEnum):
    ASAP = 0
    ALAP = 1
    SNET = 2
    SNLT = 3
    FNET = 4
    FNLT = 5
    MSO = 6
    MFO = 7


class CycleError(Exception):
    """The links contain a cycle; ``cycle`` lists its task indices in link order (last links to first)."""

    def __init__(self, cycle: list[int]) -> None:
        self.cycle = cycle
        super().__init__("dependency cycle: " + " -> ".join(str(t) for t in [*cycle, cycle[0]]))


@dataclass(frozen=True)
class Violation:
    """A constraint or deadline that the logic does not let the task meet."""

    task: int
    kind: str  # "SNLT", "FNLT", "MSO", "MFO" or "deadline"
    limit_at: dt.datetime  # the constraint / deadline instant
    required_at: dt.datetime  # the earliest start (SNLT, MSO) or finish (others) that logic allows
    excess: int  # working minutes of the task's calendar by which the limit is missed (> 0)


@dataclass(frozen=True)
class Schedule:
    """Result of :func:`schedule`.  Integer times: project working minutes from the project start."""

    calendar: WorkCalendar
    origin: int  # working time of the project start on the project calendar (its own origin)
    order: I64  # topological order of the task indices
    es: I64
    ef: I64
    ls: I64
    lf: I64
    total_float: I64  # working minutes of the task's calendar; negative = a constraint cannot be met
    free_float: I64  # >= 0, <= max(total_float, 0)
    critical: BoolArr  # total_float <= threshold (complete tasks are never critical)
    critical_paths: list[list[int]]  # chains of task indices along driving links, in time order
    project_finish: int
    project_finish_at: dt.datetime
    es_at: DT64  # datetime64[m], start side (milestones driven by a finish: finish side)
    ef_at: DT64  # finish side
    ls_at: DT64
    lf_at: DT64
    alap: BoolArr
    driving_predecessor: I64  # task whose link sets the early start, -1 if none (floor/constraint)
    violations: list[Violation] = field(default_factory=list)

    @property
    def start(self) -> I64:
        """Scheduled start: early start, late start for ALAP tasks."""
        out: I64 = np.where(self.alap, self.ls, self.es)
        return out

    @property
    def finish(self) -> I64:
        out: I64 = np.where(self.alap, self.lf, self.ef)
        return out

    @property
    def start_at(self) -> DT64:
        out: DT64 = np.where(self.alap, self.ls_at, self.es_at)
        return out

    @property
    def finish_at(self) -> DT64:
        out: DT64 = np.where(self.alap, self.lf_at, self.ef_at)
        return out

    def to_datetime(self, t: int, *, finish: bool = False) -> dt.datetime:
        """A project time of this schedule as a datetime on the project calendar."""
        return self.calendar.to_datetime(self.origin + int(t), finish=finish)


# ----------------------------------------------------------------------------- graph helpers


def _as_i64(a: npt.ArrayLike, name: str, size: int | None = None) -> I64:
    out: I64 = np.ascontiguousarray(a, dtype=np.int64)
    if out.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if size is not None and out.size != size:
        raise ValueError(f"{name} has {out.size} elements, expected {size}")
    return out


def _check_links(n: int, src: I64, dst: I64) -> None:
    if src.size != dst.size:
        raise ValueError("src and dst differ in length")
    if src.size and (min(int(src.min()), int(dst.min())) < 0 or max(int(src.max()), int(dst.max())) >= n):
        raise ValueError(f"link endpoints must be task indices in 0..{n - 1}")


def _cycle_from_remaining(n: int, src: I64, dst: I64, indeg: I64) -> list[int]:
    """A cycle among the tasks Kahn could not order (each has an unordered predecessor)."""
    pptr, pperm = k.group(n, dst)
    alive = indeg > 0
    v = int(np.argmax(alive))
    seen: dict[int, int] = {}
    path: list[int] = []
    while v not in seen:
        seen[v] = len(path)
        path.append(v)
        preds = src[pperm[pptr[v] : pptr[v + 1]]]
        v = int(preds[alive[preds]][0])
    cyc = path[seen[v] :]
    cyc.reverse()
    return cyc


def topological_order(n: int, src: npt.ArrayLike, dst: npt.ArrayLike) -> I64:
    """Task indices in topological order (Kahn); raises :class:`CycleError` naming a cycle."""
    s = _as_i64(src, "src")
    d = _as_i64(dst, "dst")
    _check_links(n, s, d)
    order, count, indeg = k.topo_order(n, s, d)
    if count < n:
        raise CycleError(_cycle_from_remaining(n, s, d, indeg))
    out: I64 = order
    return out


def find_cycle(n: int, src: npt.ArrayLike, dst: npt.ArrayLike) -> list[int] | None:
    """A cycle in the links (task indices in link order), or ``None`` if they form a DAG."""
    try:
        topological_order(n, src, dst)
    except CycleError as e:
        return e.cycle
    return None


def find_cycle_if_linked(n: int, src: npt.ArrayLike, dst: npt.ArrayLike, a: int, b: int) -> list[int] | None:
    """The cycle that adding link ``a -> b`` would close (``[a, b, ..., x]`` with ``x -> a`` existing),
    or ``None`` if the link is safe.  Assumes the existing links are acyclic."""
    if a == b:
        return [a]
    s = _as_i64(src, "src")
    d = _as_i64(dst, "dst")
    _check_links(n, s, d)
    if not (0 <= a < n and 0 <= b < n):
        raise ValueError(f"link endpoints must be task indices in 0..{n - 1}")
    sptr, sperm = k.group(n, s)
    parent = {b: -1}
    queue = deque([b])
    while queue:
        u = queue.popleft()
        if u == a:
            path = []
            x = a
            while x != -1:
                path.append(x)
                x = parent[x]
            path.reverse()  # b ... a
            return [a, *path[:-1]]
        for w in d[sperm[sptr[u] : sptr[u + 1]]].tolist():
            if w not in parent:
                parent[w] = u
                queue.append(w)
    return None


# ----------------------------------------------------------------------------- scheduling


@dataclass(frozen=True)
class _Tables:
    cum: I64
    shs: I64
    she: I64
    shc: I64
    nsh: I64
    wdy: I64
    nwd: I64

    def args(self) -> tuple[I64, I64, I64, I64, I64, I64, I64]:
        return self.cum, self.shs, self.she, self.shc, self.nsh, self.wdy, self.nwd

    def w2abs(self, cal: I64, w: I64, finish: BoolArr) -> I64:
        out: I64 = k.w2abs_many(self.shs, self.shc, self.nsh, self.wdy, self.nwd, cal, w, finish)
        return out

    def abs2w(self, cal: I64, a: I64) -> I64:
        out: I64 = k.abs2w_many(self.cum, self.shs, self.she, self.nsh, cal, a)
        return out

    def abs2w_one(self, cal: I64, a: int) -> I64:
        out: I64 = k.abs2w_scalar_many(self.cum, self.shs, self.she, self.nsh, cal, a)
        return out


def _stack_tables(cals: Sequence[WorkCalendar]) -> _Tables:
    p = cals[0]
    for c in cals:
        if c.tables.wday.size == 0:
            raise ValueError(f"calendar {c.name or c!r} has no working day in {c.start}..{c.end}")
    for c in cals[1:]:
        if not c.same_range(p):
            raise ValueError(
                f"task calendar {c.name or c!r} covers {c.start}..{c.end}, the project calendar {p.start}..{p.end};"
                " build task calendars over the project calendar's range"
            )
    ns = max(c.tables.shift_start.size for c in cals)
    kk = len(cals)
    cum = p.tables.cum.reshape(1, -1) if kk == 1 else np.stack([c.tables.cum for c in cals])
    shs = np.zeros((kk, ns), np.int64)
    she = np.zeros((kk, ns), np.int64)
    shc = np.zeros((kk, ns + 1), np.int64)
    nsh = np.zeros(kk, np.int64)
    nwd = np.array([c.tables.wday.size for c in cals], np.int64)
    if kk == 1:
        wdy = p.tables.wday.reshape(1, -1)
    else:
        wdy = np.zeros((kk, max(1, int(nwd.max()))), np.int64)
        for i, c in enumerate(cals):
            wdy[i, : nwd[i]] = c.tables.wday
    for i, c in enumerate(cals):
        t = c.tables
        m = t.shift_start.size
        shs[i, :m] = t.shift_start
        she[i, :m] = t.shift_end
        shc[i, : m + 1] = t.shift_cum
        shc[i, m + 1 :] = t.shift_cum[-1]
        nsh[i] = m
    return _Tables(cum, shs, she, shc, nsh, wdy, nwd)


def _instants(cal: WorkCalendar, a: npt.ArrayLike | None, n: int, name: str) -> tuple[I64, BoolArr] | None:
    """Optional per-task instants -> (elapsed minutes, present mask); NaT means absent."""
    if a is None:
        return None
    arr = np.asarray(a, dtype="datetime64[m]")
    if arr.shape != (n,):
        raise ValueError(f"{name} must have one entry per task")
    present = ~np.isnat(arr)
    if not present.any():
        return None
    m = np.zeros(n, np.int64)
    m[present] = cal.minutes_array(arr[present])
    return m, present


def _instant_of(cal: WorkCalendar, at: dt.datetime | dt.date) -> int:
    return cal.to_minutes(at)


def schedule(
    duration: npt.ArrayLike,
    src: npt.ArrayLike,
    dst: npt.ArrayLike,
    typ: npt.ArrayLike,
    lag: npt.ArrayLike,
    lag_kind: npt.ArrayLike | None = None,
    *,
    calendar: WorkCalendar,
    start: dt.datetime | dt.date,
    task_calendar: npt.ArrayLike | None = None,
    calendars: Sequence[WorkCalendar] = (),
    constraint_type: npt.ArrayLike | None = None,
    constraint_date: npt.ArrayLike | None = None,
    deadline: npt.ArrayLike | None = None,
    actual_start: npt.ArrayLike | None = None,
    actual_finish: npt.ArrayLike | None = None,
    percent_complete: npt.ArrayLike | None = None,
    remaining: npt.ArrayLike | None = None,
    status_date: dt.datetime | dt.date | None = None,
    critical_threshold: int = 0,
    elapsed: npt.ArrayLike | None = None,
) -> Schedule:
    """Forward and backward pass over the network (see the module docstring for the conventions).

    :param duration: ``(n,)`` working minutes on each task's calendar.
    :param src, dst, typ, lag, lag_kind: ``(m,)`` links (``lag_kind`` defaults to working minutes).
    :param calendar: the project calendar; ``start`` the project start (instant or date = 00:00).
    :param task_calendar: ``(n,)`` index into ``calendars`` per task, ``-1`` = project calendar.
        Task calendars must cover the same date range as the project calendar.
    :param constraint_type: ``(n,)`` :class:`Constraint` codes; ``constraint_date`` ``(n,)`` datetime64
        (NaT where unused).  ``deadline`` ``(n,)`` datetime64 or NaT.
    :param actual_start, actual_finish: ``(n,)`` datetime64 or NaT; ``percent_complete`` ``(n,)`` 0..100;
        ``remaining`` ``(n,)`` remaining working minutes (``-1`` = derive from % complete).
    :param status_date: remaining work is scheduled no earlier than this instant.
    :param elapsed: ``(n,)`` booleans: the task's duration (and remaining, progress, float) is in elapsed
        minutes, 24x7; it is scheduled on a round-the-clock calendar, whatever ``task_calendar`` says, and
        starts no earlier than the project's first working instant.
    """
    cal0 = calendar
    dur = _as_i64(duration, "duration")
    n = dur.size
    el: BoolArr | None = None
    if elapsed is not None:
        el = np.ascontiguousarray(elapsed, dtype=np.bool_)
        if el.shape != (n,):
            raise ValueError("elapsed must have one entry per task")
        if not el.any():
            el = None
    if el is not None:  # elapsed tasks go on a 24x7 calendar over the same range (the multi-calendar path)
        round_the_clock = WorkCalendar(
            cal0.start, cal0.end, weekdays=range(7), shifts=((0, 1440),), name="24x7"
        )
        tc = np.full(n, -1, np.int64) if task_calendar is None else _as_i64(task_calendar, "task_calendar", n)
        task_calendar = np.where(el, len(calendars), tc)
        calendars = [*calendars, round_the_clock]
    if n and int(dur.min()) < 0:
        raise ValueError(f"task {int(np.argmin(dur))} has a negative duration")
    s = _as_i64(src, "src")
    d = _as_i64(dst, "dst")
    _check_links(n, s, d)
    m = s.size
    ty = np.ascontiguousarray(typ, dtype=np.int8)
    lg = _as_i64(lag, "lag", m)
    if ty.shape != (m,) or (m and (int(ty.min()) < 0 or int(ty.max()) > 3)):
        raise ValueError("typ must hold one link type code 0..3 per link")
    kind = np.zeros(m, np.int8) if lag_kind is None else np.ascontiguousarray(lag_kind, dtype=np.int8)
    if kind.shape != (m,) or (m and (int(kind.min()) < 0 or int(kind.max()) > 2)):
        raise ValueError("lag_kind must hold one code 0..2 per link")
    if m and bool((kind == LagKind.PERCENT).any()):
        pct = kind == LagKind.PERCENT
        lg = lg.copy()
        lg[pct] = np.round(lg[pct] * dur[s[pct]] / 100.0).astype(np.int64)
        # a percentage of an elapsed predecessor is that much wall-clock time
        to = np.int8(LagKind.WORKING) if el is None else np.where(el[s], np.int8(LagKind.ELAPSED), np.int8(0))
        kind = np.where(pct, to, kind).astype(np.int8)

    # calendars
    cals: list[WorkCalendar] = [cal0, *calendars]
    tcal = np.zeros(n, np.int64)
    multi = False
    if task_calendar is not None:
        tcal = _as_i64(task_calendar, "task_calendar", n) + 1
        if n and (int(tcal.min()) < 0 or int(tcal.max()) >= len(cals)):
            raise ValueError("task_calendar indices must be -1 or index into calendars")
        multi = bool((tcal != 0).any())
    tabs = _stack_tables(cals if multi else [cal0])
    targs = tabs.args()
    general = multi or bool((kind == LagKind.ELAPSED).any())

    start_abs = _instant_of(cal0, start)
    origin = int(cal0.to_working(start))
    dummy = np.zeros(1, np.int64)
    es_floor: I64 | None = tabs.abs2w_one(tcal, start_abs) if multi else None
    if el is not None and es_floor is not None:  # not before the project's work starts (its working start)
        first_abs = _instant_of(cal0, cal0.to_datetime(origin))
        es_floor[el] = np.maximum(es_floor[el], first_abs)  # 24x7: working time = elapsed minutes

    def floor_array() -> I64:
        return es_floor if es_floor is not None else np.full(n, origin, np.int64)

    def to_w(mins: I64) -> I64:
        """Elapsed minutes -> working time on each task's calendar."""
        return tabs.abs2w(tcal, mins)

    # progress (the per-task arrays exist only when progress is given)
    has_progress = any(x is not None for x in (actual_start, actual_finish, percent_complete, remaining))
    complete = np.zeros(n, np.bool_)
    started = np.zeros(n, np.bool_)
    rem: I64 = dummy
    mode: npt.NDArray[np.int8] = np.zeros(1, np.int8)
    as_w: I64 = dummy
    af_w: I64 = dummy
    done: I64 = dummy
    if has_progress:
        rem = dur.copy()
        mode = np.zeros(n, np.int8)
        as_w = np.zeros(n, np.int64)
        af_w = np.zeros(n, np.int64)
        if percent_complete is not None:
            pc = np.asarray(percent_complete, dtype=np.float64)
            if pc.shape != (n,):
                raise ValueError("percent_complete must have one entry per task")
            pc = np.clip(pc, 0.0, 100.0)
            rem = np.round(dur * (1.0 - pc / 100.0)).astype(np.int64)
            started |= pc > 0
            complete |= pc >= 100
        if remaining is not None:
            rg = _as_i64(remaining, "remaining", n)
            given = rg >= 0
            rem = np.where(given, np.minimum(rg, dur), rem)
            started |= given & (rg < dur)
            complete |= given & (rg == 0) & (dur > 0)
        ast = _instants(cal0, actual_start, n, "actual_start")
        afi = _instants(cal0, actual_finish, n, "actual_finish")
        if ast is not None:
            as_w[ast[1]] = to_w(ast[0])[ast[1]]
            started |= ast[1]
            mode[ast[1]] = 1
        if afi is not None:
            fixed = afi[1]
            af_w[fixed] = to_w(afi[0])[fixed]
            no_as = fixed & (mode == 0)
            as_w[no_as] = af_w[no_as] - dur[no_as]
            mode[fixed] = 2
            complete |= fixed
            started |= fixed
        rem[complete] = 0
        done = dur - rem
    status_w = np.full(n if has_progress else 1, NONE, np.int64)
    if status_date is not None:
        sabs = _instant_of(cal0, status_date)
        sw = tabs.abs2w_one(tcal, sabs) if multi else np.full(n, cal0.to_working(status_date), np.int64)
        if has_progress:
            status_w = np.where(complete, NONE, sw)
        es_floor = floor_array()
        es_floor = np.where(started, es_floor, np.maximum(es_floor, sw))

    # constraints
    fixed_es: I64 | None = None
    ctype = np.zeros(n, np.int8)
    cw = np.zeros(n, np.int64)
    has_ctype = constraint_type is not None
    if constraint_type is not None:
        ctype = np.ascontiguousarray(constraint_type, dtype=np.int8)
        if ctype.shape != (n,) or (n and (int(ctype.min()) < 0 or int(ctype.max()) > 7)):
            raise ValueError("constraint_type must hold one Constraint code per task")
        dated = ctype >= Constraint.SNET
        if dated.any():
            if constraint_date is None:
                raise ValueError("constraint_date is required for dated constraints")
            ci = _instants(cal0, constraint_date, n, "constraint_date")
            missing = dated if ci is None else dated & ~ci[1]
            if missing.any():
                raise ValueError(f"task {int(np.argmax(missing))} has a dated constraint without a date")
            assert ci is not None
            cw[dated] = to_w(ci[0])[dated]
            es_floor = floor_array()
            sel = ctype == Constraint.SNET
            es_floor[sel] = np.maximum(es_floor[sel], cw[sel])
            sel = ctype == Constraint.FNET
            es_floor[sel] = np.maximum(es_floor[sel], cw[sel] - dur[sel])
            pin = (ctype == Constraint.MSO) | (ctype == Constraint.MFO)
            if pin.any():
                fixed_es = np.full(n, NONE, np.int64)
                fixed_es[pin] = np.where(ctype == Constraint.MFO, cw - dur, cw)[pin]
    dl = _instants(cal0, deadline, n, "deadline")
    dlw: I64 | None = None
    if dl is not None:
        dlw = np.where(dl[1], to_w(dl[0]), BIG)
    has_fixed = fixed_es is not None

    # topological order and rank-space arrays
    order, count, indeg = k.topo_order(n, s, d)
    if count < n:
        raise CycleError(_cycle_from_remaining(n, s, d, indeg))
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    pptr0, pperm0 = k.group(n, d)
    pptr, psrc, ptyp, plag, pkind = k.renumber_links(order, rank, pptr0, pperm0, s, ty, lg, kind)
    del pptr0, pperm0
    sptr, sdst, styp, slag, skind = k.transpose(pptr, psrc, ptyp, plag, pkind)

    def g(a: npt.NDArray[Any] | None, flag: bool = True) -> npt.NDArray[Any]:
        return a[order] if (a is not None and flag) else dummy

    r_cal = g(tcal, general)
    r_dur = dur[order]
    r_complete = complete[order] if has_progress else np.zeros(1, np.bool_)
    es_r, ef_r, esreq_r, drv_r, mfin_r = k.forward(
        pptr, psrc, ptyp, plag, pkind, r_cal, r_dur, origin, g(es_floor), g(fixed_es),
        g(mode, has_progress).astype(np.int8, copy=False), g(as_w, has_progress), g(af_w, has_progress),
        g(done, has_progress), g(rem, has_progress), g(status_w, has_progress), *targs, general,
        es_floor is not None, has_fixed, has_progress,
    )  # fmt: skip
    del psrc, ptyp, plag, pkind, pptr

    # project finish (latest early finish instant) and late-finish caps
    if multi:
        ef_abs = tabs.w2abs(r_cal, ef_r, np.ones(n, np.bool_))
        pf_abs = int(ef_abs.max()) if n else start_abs
        pf0 = int(tabs.abs2w_one(np.zeros(1, np.int64), pf_abs)[0])
        over = ef_r > tabs.cum[r_cal, -1]
        del ef_abs
    else:
        pf0 = int(ef_r.max()) if n else origin
        over = ef_r > int(tabs.cum[0, -1])
    if n and bool(over.any()):
        i = int(order[np.argmax(over)])
        raise CalendarRangeError(f"the early finish of task {i}", cal0.start, cal0.end)
    lf_cap: I64 | None = None
    caps = (ctype == Constraint.SNLT) | (ctype >= Constraint.FNLT)
    if multi or dlw is not None or bool(caps.any()):
        lf_cap = tabs.abs2w_one(r_cal, pf_abs) if multi else np.full(n, pf0, np.int64)
        if caps.any():
            ci_r = rank[np.flatnonzero(caps)]
            oi = order[ci_r]
            span = ef_r[ci_r] - es_r[ci_r]
            ct = ctype[oi]
            lim = np.where((ct == Constraint.FNLT) | (ct == Constraint.MFO), cw[oi], cw[oi] + span)
            lf_cap[ci_r] = np.minimum(lf_cap[ci_r], lim)
        if dlw is not None:
            lf_cap = np.minimum(lf_cap, dlw[order])

    ls_r, lf_r, ffl_r = k.backward(
        sptr, sdst, styp, slag, skind, r_cal, r_dur, mfin_r, es_r, ef_r, pf0, lf_cap if lf_cap is not None else dummy,
        r_complete, *targs, general, lf_cap is not None, has_progress,
    )  # fmt: skip
    del sdst, styp, slag, skind, lf_cap

    violations: list[Violation] = []
    if has_ctype or dlw is not None:
        violations = _violations(
            cal0, ctype, cw, dlw, complete, rank, es_r, esreq_r, ef_r, r_dur, mfin_r, r_cal, multi, tabs, has_fixed
        )  # fmt: skip
    del esreq_r, r_dur

    # in place: es_r .. lf_r to project time, ffl_r to free float
    tf_r, crit_r, a_es, a_ef, a_ls, a_lf = k.finalize(
        r_cal, mfin_r, es_r, ef_r, ls_r, lf_r, ffl_r, r_complete, critical_threshold, origin, *targs, multi,
        has_progress,
    )  # fmt: skip
    del mfin_r, r_cal, r_complete
    chains_flat, offsets = k.critical_chains(crit_r, drv_r, ef_r)
    flat = order[chains_flat].tolist()
    offs = offsets.tolist()
    paths = [flat[offs[i] : offs[i + 1]] for i in range(len(offs) - 1)]
    drv = np.where(drv_r >= 0, order[np.maximum(drv_r, 0)], -1)[rank]
    del drv_r

    # back to task order: gathers (random reads) are much cheaper than scatters; drop each rank-order
    # array as soon as it is permuted, to keep the peak memory down
    es = es_r[rank]
    del es_r
    ef = ef_r[rank]
    del ef_r
    ls = ls_r[rank]
    del ls_r
    lf = lf_r[rank]
    del lf_r
    tf = tf_r[rank]
    del tf_r
    ff = ffl_r[rank]
    del ffl_r
    crit = crit_r[rank]
    del crit_r
    o = cal0.origin
    es_at = o + a_es[rank].view("timedelta64[m]")
    del a_es
    ef_at = o + a_ef[rank].view("timedelta64[m]")
    del a_ef
    ls_at = o + a_ls[rank].view("timedelta64[m]")
    del a_ls
    lf_at = o + a_lf[rank].view("timedelta64[m]")
    del a_lf

    if multi and m:
        _milestones_after_their_predecessors(es_at, ef_at, ls_at, lf_at, s, d, ty, lg, dur, tcal, cals)
    pf_at = cal0.to_datetime(pf0, finish=True)
    return Schedule(
        calendar=cal0,
        origin=origin,
        order=order,
        es=es,
        ef=ef,
        ls=ls,
        lf=lf,
        total_float=tf,
        free_float=ff,
        critical=crit,
        critical_paths=paths,
        project_finish=pf0 - origin,
        project_finish_at=pf_at,
        es_at=es_at,
        ef_at=ef_at,
        ls_at=ls_at,
        lf_at=lf_at,
        alap=ctype == Constraint.ALAP,
        driving_predecessor=drv,
        violations=violations,
    )


def _milestones_after_their_predecessors(
    es_at: DT64,
    ef_at: DT64,
    ls_at: DT64,
    lf_at: DT64,
    s: I64,
    d: I64,
    ty: npt.NDArray[np.int8],
    lg: I64,
    dur: I64,
    tcal: I64,
    cals: Sequence[WorkCalendar],
) -> None:
    """A milestone is shown on the finish side of its calendar's working time. On a calendar other than its
    predecessor's, that can fall before the predecessor's finish (a 24x7 task ending at midnight, a
    milestone on an office calendar shown at 17:00 the day before): after a plain FS link (no lag), show it
    at its calendar's next working instant at or after the predecessor's finish instead. In place."""
    bad = np.flatnonzero((ty == LinkType.FS) & (lg == 0) & (dur[d] == 0) & (es_at[d] < ef_at[s]))
    for j in bad.tolist():
        a, b = int(s[j]), int(d[j])
        if es_at[b] >= ef_at[a]:
            continue
        after = ef_at[a].astype("datetime64[m]").astype(dt.datetime)
        when = np.datetime64(cals[int(tcal[b])].next_working_instant(after), "m")
        es_at[b] = ef_at[b] = when
        if ls_at[b] < when:
            ls_at[b] = lf_at[b] = when


def _violations(
    cal0: WorkCalendar,
    ctype: npt.NDArray[np.int8],
    cw: I64,
    dlw: I64 | None,
    complete: BoolArr,
    rank: I64,
    es_r: I64,
    esreq_r: I64,
    ef_r: I64,
    dur_r: I64,
    mfin_r: BoolArr,
    cal_r: I64,
    multi: bool,
    tabs: _Tables,
    has_fixed: bool,
) -> list[Violation]:
    """Constraints/deadlines that logic does not let the task meet, in own-calendar working time."""
    cand = (ctype == Constraint.SNLT) | (ctype >= Constraint.FNLT)
    if dlw is not None:
        cand |= dlw < BIG
    cand &= ~complete
    found: list[tuple[int, str, int, int, bool]] = []
    for i in np.flatnonzero(cand).tolist():
        r = int(rank[i])
        es_req = int(esreq_r[r]) if has_fixed else int(es_r[r])
        ef = int(ef_r[r])
        c = int(ctype[i])
        lim = int(cw[i])
        if c in (Constraint.SNLT, Constraint.MSO) and es_req > lim:
            found.append((i, Constraint(c).name, lim, es_req, bool(mfin_r[r])))
        elif c == Constraint.FNLT and ef > lim:
            found.append((i, "FNLT", lim, ef, True))
        elif c == Constraint.MFO and es_req + int(dur_r[r]) > lim:
            found.append((i, "MFO", lim, es_req + int(dur_r[r]), True))
        if dlw is not None and ef > int(dlw[i]):
            found.append((i, "deadline", int(dlw[i]), ef, True))
    out: list[Violation] = []
    for i, kind, lim, got, finish in found:
        c = int(cal_r[rank[i]]) if multi else 0
        cc = np.array([c, c], np.int64)
        lim_m, got_m = tabs.w2abs(cc, np.array([lim, got], np.int64), np.array([finish, finish])).tolist()
        out.append(Violation(i, kind, cal0.from_minutes(lim_m), cal0.from_minutes(got_m), got - lim))
    return out
