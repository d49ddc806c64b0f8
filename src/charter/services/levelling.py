"""Resource levelling of a project: a fast heuristic or an optimising CP-SAT leveller (engine/levelling),
previewed before it is accepted (what moves, by how much, the new finish, what stays over-allocated),
accepted in one transaction, and undone by restoring the previous dates.

Levelling works in working days of the project calendar. A task with an elapsed (24x7) duration, or on a task
calendar of its own, is never moved: the day grid cannot say where it would run if delayed. It stays where the
schedule put it, and its load is the workload's (services.workload: an elapsed task's wall-clock minutes on each
day times the units, its work spread round the clock; an own-calendar task's working minutes of its calendar),
taken off its people's capacity as other projects' load is, so the tasks levelling moves go around it. What it
overloads by itself (a person on it at full time, a Saturday crew's Saturday for a Monday-to-Friday person)
levelling cannot remove: it stays in the preview's remaining over-allocations, as on the workload page. Each
person's capacity on a day is their units on their own working days, less their vacations and less what their
other projects already load them with.
Accepting sets a task's `levelled_start` (a start-no-earlier-than the scheduler honours)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain import schedule as rules
from charter.domain.errors import Conflict, NotFound, ValidationError
from charter.domain.roles import Perm
from charter.engine import levelling as engine
from charter.persistence.models import (
    Assignment,
    Calendar,
    LevellingRun,
    Project,
    Resource,
    ResourceException,
    Task,
    TaskComputed,
)
from charter.services import journal
from charter.services.authz import project_for
from charter.services.calendars import calendar_range, project_calendar_row, work_calendar
from charter.services.context import Actor, now
from charter.services.scheduling import Network, plan_changed, project_start, recompute, settings_row
from charter.services.workload import capacity, task_minutes_by_day, workload

Progress = Callable[[float, str], None]
METHODS = ("heuristic", "optimal")
MAX_HORIZON = 5000


class _Model:
    """The project as an engine problem, in working days of the project calendar."""

    def __init__(self, s: Session, project: Project) -> None:
        pid = project.id
        pcal_row = project_calendar_row(s, pid)
        self.cal = work_calendar(s, pcal_row, calendar_range(project))
        own_cals = {
            c.id: c
            for c in s.scalars(select(Calendar).where(Calendar.project_id == pid, Calendar.id != pcal_row.id))
        }
        self.mpd = self.cal.minutes_per_day
        start = project_start(project)
        self.origin = self.cal.to_working(dt.datetime(start.year, start.month, start.day)) // self.mpd
        net = Network(s, pid)
        self.net = net
        tasks = {t.id: t for t in s.scalars(select(Task).where(Task.project_id == pid))}
        comp = {c.task_id: c for c in s.scalars(select(TaskComputed).where(TaskComputed.project_id == pid))}
        self.tasks = [tasks[i] for i in net.ids]
        self.computed = [comp.get(i) for i in net.ids]
        n = len(self.tasks)
        self.dur = np.array([0 if t.milestone or t.duration == 0 else max(1, math.ceil(t.duration / self.mpd))
                             for t in self.tasks], dtype=np.int64)  # fmt: skip
        self.cur = np.array(
            [self.day(c.start) if c and c.start else 0 for c in self.computed], dtype=np.int64
        )
        settings = settings_row(s, pid)
        status_day = self.day(settings.status_date) if settings.status_date else 0
        release = np.zeros(n, dtype=np.int64)
        fixed = np.full(n, -1, dtype=np.int64)
        self.done = np.zeros(n, dtype=bool)
        elapsed = np.zeros(n, dtype=bool)  # elapsed tasks not complete: pinned where scheduled
        # tasks on a calendar of their own, not complete: pinned where scheduled, with that calendar
        pinned_cal: dict[int, Any] = {}
        own_work: dict[int, Any] = {}
        for i, (t, c) in enumerate(zip(self.tasks, self.computed, strict=True)):
            started = t.actual_start is not None or t.percent_complete > 0
            kind = rules.ConstraintType(t.constraint_type)
            if not rules.loads_resources(t.status, t.percent_complete, t.actual_finish):  # done or cancelled
                # stays where the schedule holds it (at its actuals: finished early, its successors follow then)
                fixed[i] = self.cur[i]
                self.done[i] = True
                self._scheduled_span(i, c)
            elif rules.is_elapsed(t.duration_unit):
                # elapsed (24x7) time is not moved: it stays where the schedule put it (its span in working days
                # holds its successors); its people's load comes off their capacity below
                fixed[i] = self.cur[i]
                elapsed[i] = True
                self._scheduled_span(i, c)
            elif t.calendar_id in own_cals:
                # on a calendar of its own it is not moved either: where it would run if delayed is a day its
                # calendar works, which the project-day grid does not know; its load comes off capacity below
                fixed[i] = self.cur[i]
                if t.calendar_id not in own_work:
                    own_work[t.calendar_id] = work_calendar(
                        s, own_cals[t.calendar_id], calendar_range(project)
                    )
                pinned_cal[i] = own_work[t.calendar_id]
                self._scheduled_span(i, c)
            elif started and c is not None and c.finish is not None and self.dur[i] > 0:
                # what is left of a task under way sits where the scheduler put it: before its finish
                left = max(1, math.ceil(t.duration * (1 - t.percent_complete / 100) / self.mpd))
                self.dur[i] = left
                fixed[i] = max(self.day(c.finish) - left + 1, 0)
            elif kind in (rules.ConstraintType.MSO, rules.ConstraintType.MFO):
                fixed[i] = self.cur[i]
            else:
                release[i] = max(0, status_day)
                if kind == rules.ConstraintType.SNET and t.constraint_date is not None:
                    release[i] = max(release[i], self.day(t.constraint_date))
        self.movable = fixed < 0
        links = []
        kinds = {0: engine.LinkType.FS, 1: engine.LinkType.SS, 2: engine.LinkType.FF, 3: engine.LinkType.SF}
        for a, b, ty, lag, lk in zip(
            net.src.tolist(),
            net.dst.tolist(),
            net.typ.tolist(),
            net.lag.tolist(),
            net.kind.tolist(),
            strict=True,
        ):
            if lk == 2:  # percent of the predecessor's duration
                days = round(lag * int(self.dur[a]) / 100)
            elif lk == 1:  # elapsed minutes: about 5 working days a week
                days = round(lag / 1440 * 5 / 7)
            else:
                days = round(lag / self.mpd)
            links.append(engine.Link(a, b, kinds[ty], days))
        rows = s.execute(select(Assignment, Resource).join(Resource, Resource.id == Assignment.resource_id)
                         .where(Assignment.project_id == pid, Resource.active.is_(True))).all()  # fmt: skip
        self.resources: list[Resource] = []
        col: dict[int, int] = {}
        for _, r in rows:
            if r.id not in col and r.kind != "material":
                col[r.id] = len(self.resources)
                self.resources.append(r)
        R = len(self.resources)
        demand = np.zeros((n, max(R, 1)), dtype=np.int64)
        index = {tid: i for i, tid in enumerate(net.ids)}
        pinned_load: list[tuple[int, int, float]] = []  # (task, resource, units) of the unmoved pinned tasks
        for a, r in rows:
            i = index[a.task_id]
            if r.id not in col or self.done[i]:
                continue
            if elapsed[i] or i in pinned_cal:  # loads its people as the workload counts it (below)
                pinned_load.append((i, r.id, a.units))
            else:
                demand[i, col[r.id]] += round(a.units * 100)
        cap = np.array([round(r.max_units * 100) for r in self.resources] or [100], dtype=np.int64)
        horizon = int(min(MAX_HORIZON, max(int(self.cur.max(initial=0)), release.max(initial=0))
                          + int(self.dur.sum()) + 1))  # fmt: skip
        self.horizon = horizon
        profiles = np.repeat(cap[:, None], horizon, axis=1)
        if R:
            dates = [self.date_of(t) for t in range(horizon)]
            other = workload(
                s,
                _SYSTEM_READER,
                start=dates[0],
                end=min(dates[-1], dates[0] + dt.timedelta(days=399)),
                resource_ids=[r.id for r in self.resources],
                exclude_project_id=pid,
            )
            loads: dict[int, dict[dt.date, int]] = {
                p["resource_id"]: {d["day"]: d["load_minutes"] for d in p["days"]} for p in other["resources"]
            }
            date_set = set(dates)
            for i, rid, units in pinned_load:
                c = self.computed[i]
                if c is None or c.start is None or c.finish is None:
                    continue
                day_load = loads.setdefault(rid, {})
                if i in pinned_cal:  # the working minutes of its own calendar on the project days it spans
                    span = [d for d in dates if c.start.date() <= d <= c.finish.date()]
                    spread = task_minutes_by_day(pinned_cal[i], c.start, c.finish, span)
                else:
                    spread = task_minutes_by_day(None, c.start, c.finish, date_set, elapsed=True)
                for d, minutes in spread.items():
                    day_load[d] = day_load.get(d, 0) + round(minutes * units)
            for j, r in enumerate(self.resources):
                exc = {
                    e.day: e.working
                    for e in s.scalars(select(ResourceException).where(ResourceException.resource_id == r.id))
                }
                caps = capacity(r, dates, exc)
                per_day = sum(b - a for a, b in (r.shifts or ((540, 780), (840, 1080))))
                for k, d in enumerate(dates):
                    if caps[d] == 0:
                        profiles[j, k] = 0
                        continue
                    used = loads.get(r.id, {}).get(d, 0)
                    profiles[j, k] = max(0, cap[j] - round(used / per_day * 100))
        self.problem = engine.LevellingProblem(
            durations=self.dur, demands=demand, capacities=cap, links=links, capacity_profiles=profiles,
            release=release, fixed_start=fixed, priority=np.array([t.priority for t in self.tasks], dtype=np.int64),
            names=[t.name for t in self.tasks], resource_names=[r.name for r in self.resources] or ["none"],
        )  # fmt: skip

    def _scheduled_span(self, i: int, c: TaskComputed | None) -> None:
        """A task pinned where the schedule put it lasts the working days its scheduled span touches."""
        if c is not None and c.start is not None and c.finish is not None and self.dur[i] > 0:
            last = (self.cal.to_working(c.finish) - 1) // self.mpd - self.origin
            self.dur[i] = max(1, int(last) - int(self.cur[i]) + 1)

    def day(self, at: dt.datetime) -> int:
        return int(self.cal.to_working(at) // self.mpd - self.origin)

    def date_of(self, day: int) -> dt.date:
        return self.cal.to_datetime((self.origin + day) * self.mpd).date()

    def start_of(self, day: int) -> dt.datetime:
        return self.cal.to_datetime((self.origin + day) * self.mpd)


class _Reader:
    user_id = None
    username = "levelling"
    is_admin = True
    label = "levelling"


_SYSTEM_READER: Any = _Reader()


def _run_dict(run: LevellingRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "project_id": run.project_id,
        "method": run.method,
        "status": run.status,
        "created_at": run.created_at,
        "applied_at": run.applied_at,
        **run.result,
    }


def preview(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    method: str = "heuristic",
    time_limit: float = 10.0,
    within_slack: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Level the project and show the result without changing the plan: the moves, the new finish, the
    over-allocations that remain, and (optimal) the proven lower bound on the finish."""
    project = project_for(s, actor, project_id, Perm.TASK_EDIT)
    if method not in METHODS:
        raise ValidationError(f"method must be one of {', '.join(METHODS)}", field="method")
    if not 0 < time_limit <= 600:
        raise ValidationError("the time limit is between 0 and 600 seconds", field="time_limit")
    m = _Model(s, project)
    if not m.resources:
        raise ValidationError(
            "no resources are assigned in this project; there is nothing to level", field="project"
        )
    try:
        if method == "heuristic":
            res = engine.level_heuristic(m.problem, within_slack=within_slack, progress=progress)
        else:
            res = engine.level_cpsat(m.problem, time_limit=time_limit, progress=progress)
    except engine.CycleError as exc:
        chain = " -> ".join(m.tasks[i].name for i in [*exc.cycle, exc.cycle[0]])
        raise Conflict(f"the links form a cycle: {chain}") from None
    except engine.LevellingError as exc:
        raise ValidationError(f"cannot level this project: {exc}") from None
    starts = np.asarray(res.starts, dtype=np.int64)
    moves: dict[int, dt.datetime | None] = {}
    previous: dict[str, str | None] = {}
    stuck = set(res.not_levelled)  # kept where they are (their predecessors' moves push them, as links do)
    for i, t in enumerate(m.tasks):
        if not m.movable[i] or i in stuck:
            continue
        want = m.start_of(int(starts[i])) if starts[i] > m.cur[i] else None
        if want != t.levelled_start:
            moves[t.id] = want
            previous[str(t.id)] = t.levelled_start.isoformat() if t.levelled_start else None
    before = {c.task_id: (c.start, c.finish) for c in m.computed if c is not None}
    old_finish = settings_row(s, project_id).finish
    sp = s.begin_nested()  # try it, read the result, roll it back
    try:
        for t in m.tasks:
            if t.id in moves:
                t.levelled_start = moves[t.id]
        s.flush()
        after = recompute(s, project_id)
        comp = {
            c.task_id: (c.start, c.finish)
            for c in s.scalars(select(TaskComputed).where(TaskComputed.project_id == project_id))
        }
        first = min((c[0] for c in comp.values() if c[0]), default=None)
        status_date = settings_row(s, project_id).status_date
        if first is not None and status_date is not None and status_date > first:
            first = status_date  # what already happened is not levelled
        last = max((c[1] for c in comp.values() if c[1]), default=None)
        remaining = []
        if first and last:
            wl = workload(
                s,
                actor,
                start=first.date(),
                end=min(last.date(), first.date() + dt.timedelta(days=399)),
                resource_ids=[r.id for r in m.resources],
            )
            remaining = wl["overallocations"]
    finally:
        sp.rollback()
    mpd = m.mpd
    changes = []
    for t in m.tasks:
        b, a = before.get(t.id), comp.get(t.id)
        if b is None or a is None:
            continue
        old_start, new_start = b[0], a[0]
        if old_start is not None and new_start is not None and old_start != new_start:
            if new_start > old_start:
                delay = m.cal.working_between(old_start, new_start)
            else:
                delay = -m.cal.working_between(new_start, old_start)
            changes.append({"task_id": t.id, "name": t.name, "wbs_code": t.wbs_code, "old_start": b[0],
                            "new_start": a[0], "old_finish": b[1], "new_finish": a[1],
                            "delay_days": round(delay / mpd, 2)})  # fmt: skip
    result = {
        "moves": {str(k): (v.isoformat() if v else None) for k, v in moves.items()},
        "previous": previous,
        "changes": changes,
        "old_finish": old_finish.isoformat() if old_finish else None,
        "new_finish": after["finish"].isoformat() if after["finish"] else None,
        "makespan_days": int(res.makespan),
        "lower_bound_days": int(res.lower_bound) if res.lower_bound is not None else None,
        "engine_status": res.status,
        "solve_seconds": round(float(res.solve_time), 3),
        "remaining_overallocations": [{**o, "day": o["day"].isoformat()} for o in remaining],
        "not_levelled": [m.tasks[i].name for i in res.not_levelled],
        "warnings": list(res.warnings),
    }
    run = LevellingRun(
        project_id=project_id,
        method=method,
        status="preview",
        plan_revision=settings_row(s, project_id).plan_revision,
        result=_jsonable(result),
        created_by=actor.user_id,
        created_at=now(),
    )
    s.add(run)
    s.flush()
    return _run_dict(run)


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    return v


def _run(s: Session, project_id: int, run_id: int) -> LevellingRun:
    run = s.get(LevellingRun, run_id)
    if run is None or run.project_id != project_id:
        raise NotFound(f"levelling run {run_id} not found in this project", field="run_id")
    return run


def _apply(s: Session, actor: Actor, project_id: int, values: dict[str, str | None], cause: str) -> None:
    for tid, iso in values.items():
        t = s.get(Task, int(tid))
        if t is None or t.project_id != project_id:
            continue
        before = journal.snapshot(t)
        t.levelled_start = dt.datetime.fromisoformat(iso) if iso else None
        s.flush()
        journal.record(
            s,
            actor,
            entity_type="task",
            entity_id=t.id,
            action="update",
            project_id=project_id,
            before=before,
            after=journal.snapshot(t),
            cause=cause,
        )


def accept(s: Session, actor: Actor, project_id: int, run_id: int) -> dict[str, Any]:
    """Apply a previewed levelling: one transaction, journaled; the plan must not have changed since."""
    project_for(s, actor, project_id, Perm.TASK_EDIT, for_update=True)
    run = _run(s, project_id, run_id)
    if run.status != "preview":
        raise Conflict(f"this levelling run is {run.status}; preview again", field="run_id")
    if run.plan_revision != settings_row(s, project_id).plan_revision:
        # reported, not recorded: the raise rolls this use-case back; listings derive "stale" themselves
        raise Conflict("the plan changed since this preview; preview the levelling again", field="run_id")
    _apply(s, actor, project_id, run.result["moves"], f"resource levelling run {run.id} ({run.method})")
    out = plan_changed(s, project_id)
    run.status = "applied"
    run.applied_at = now()
    run.plan_revision = settings_row(s, project_id).plan_revision
    s.flush()
    return {**_run_dict(run), "finish": out["finish"]}


def undo(s: Session, actor: Actor, project_id: int, run_id: int) -> dict[str, Any]:
    """Restore the dates an applied levelling replaced. Runs are undone last first: a later applied run
    levelled from this one's dates, and restoring these under it would leave its moves in the plan after
    both are undone (the later run's undo brings this one's dates back)."""
    project_for(s, actor, project_id, Perm.TASK_EDIT, for_update=True)
    run = _run(s, project_id, run_id)
    if run.status != "applied":
        raise Conflict(f"this levelling run is {run.status}, not applied", field="run_id")
    later = s.scalar(
        select(LevellingRun.id)
        .where(
            LevellingRun.project_id == project_id, LevellingRun.status == "applied", LevellingRun.id > run.id
        )
        .order_by(LevellingRun.id.desc())
    )
    if later is not None:
        raise Conflict(f"levelling run {later} was accepted after this one; undo run {later} first",
                       field="run_id")  # fmt: skip
    _apply(s, actor, project_id, run.result["previous"], f"undo of resource levelling run {run.id}")
    out = plan_changed(s, project_id)
    run.status = "undone"
    s.flush()
    return {**_run_dict(run), "finish": out["finish"]}


def list_runs(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    project_for(s, actor, project_id)
    rows = s.scalars(select(LevellingRun).where(LevellingRun.project_id == project_id)
                     .order_by(LevellingRun.id.desc()).limit(50))  # fmt: skip
    revision = settings_row(s, project_id).plan_revision
    out = []
    for r in rows:
        d = _run_dict(r)
        if r.status == "preview" and r.plan_revision != revision:
            d["status"] = "stale"  # the plan moved on since this preview: it can no longer be accepted
        out.append(d)
    return out
