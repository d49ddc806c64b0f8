"""Scheduling: recompute the project with the CPM engine after every plan change, read the schedule with
summaries rolled up, baselines and variances, the status date."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Sequence
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, bindparam, delete, func, insert, or_, select, type_coerce, update
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from charter.domain import schedule as rules
from charter.domain import wbs
from charter.domain.errors import Conflict, NotFound, ValidationError
from charter.domain.roles import Perm
from charter.engine import cpm
from charter.engine.calendar import CalendarRangeError, WorkCalendar
from charter.persistence.db import get_for_update
from charter.persistence.models import (
    PLAN_REV_PENDING,
    Baseline,
    BaselineTask,
    Calendar,
    Project,
    ProjectSchedule,
    Task,
    TaskComputed,
    TaskLink,
    WorkPackage,
)
from charter.services import custom_fields, gantt_rows, journal, plan_cache
from charter.services.authz import project_for
from charter.services.calendars import calendar_range, project_calendar_row, work_calendar
from charter.services.context import Actor, now

NAT = np.datetime64("NaT", "m")
ELAPSED_DAY = 1440  # an elapsed task's floats are shown in wall-clock days ("ed")


def settings_row(s: Session, project_id: int, *, lock: bool = False) -> ProjectSchedule:
    """The project's schedule row; `lock`: read fresh and hold its row lock until commit (see lock_plan)."""
    if lock:
        s.flush()  # our own pending changes reach the row before it is re-read
        row = get_for_update(s, ProjectSchedule, project_id)
    else:
        row = s.get(ProjectSchedule, project_id)
    if row is None:
        row = ProjectSchedule(project_id=project_id, critical_threshold=0, plan_revision=0)
        s.add(row)
        s.flush()
    return row


_EPOCH, _MINUTE, _NAT_INT = dt.datetime(1970, 1, 1), dt.timedelta(minutes=1), np.iinfo(np.int64).min


def _dt64(values: list[dt.datetime | None]) -> np.ndarray:
    """Naive datetimes (the project's wall clock, as stored) as datetime64[m], None as NaT: whole minutes
    counted with datetime arithmetic, three times faster than a datetime64 per value (a project's dates are
    tens of thousands)."""
    return np.array(
        [(v - _EPOCH) // _MINUTE if v is not None else _NAT_INT for v in values], dtype=np.int64
    ).view("datetime64[m]")


def project_start(p: Project) -> dt.date:
    return p.start_date or p.created_at.date()


_TASK_COLS = (
    "id",
    "duration",
    "milestone",
    "calendar_id",
    "constraint_type",
    "constraint_date",
    "deadline",
    "actual_start",
    "actual_finish",
    "percent_complete",
    "levelled_start",
    "duration_unit",
)
# A task's fields the engine reads: an edit that changes none of them leaves the stored schedule exact
ENGINE_FIELDS = _TASK_COLS[1:]


def _task_rows(s: Session, project_id: int, ids: Sequence[int] | None = None) -> list[Any]:
    c = Task.__table__.c
    q = select(*(c[k] for k in _TASK_COLS)).where(c.project_id == project_id)
    if ids is not None:
        q = q.where(c.id.in_(list(ids)))
    # Core, not ORM: this runs on every edit over every task of the project
    return list(s.connection().execute(q.order_by(c.id)).all())


_LINK_COLS = ("id", "pred_id", "succ_id", "type", "lag", "lag_kind")


def _link_arrays(links: Sequence[Any]) -> tuple[np.ndarray, ...]:
    """Link rows (_LINK_COLS) as arrays: ids, predecessor and successor task ids, engine codes, lags."""
    types = {t.value: code for t, code in rules.LINK_CODES.items()}
    kinds = {k.value: code for k, code in rules.LAG_CODES.items()}
    return (
        np.array([r[0] for r in links], dtype=np.int64),
        np.array([r[1] for r in links], dtype=np.int64),
        np.array([r[2] for r in links], dtype=np.int64),
        np.array([types[r[3]] for r in links], dtype=np.int8),
        np.array([r[4] for r in links], dtype=np.int64),
        np.array([kinds[r[5]] for r in links], dtype=np.int8),
    )


class Network:
    """The project's tasks (by id) and links (by id) as the engine's arrays."""

    def __init__(self, s: Session, project_id: int):
        lc = TaskLink.__table__.c
        links = (
            s.connection()
            .execute(select(*(lc[k] for k in _LINK_COLS)).where(lc.project_id == project_id).order_by(lc.id))
            .all()
        )
        self._build(_task_rows(s, project_id), *_link_arrays(links))

    def _build(self, rows: list[Any], link_id: np.ndarray, pred: np.ndarray, succ: np.ndarray,
               typ: np.ndarray, lag: np.ndarray, kind: np.ndarray) -> None:  # fmt: skip
        self.ids = [r[0] for r in rows]
        self.index = {tid: i for i, tid in enumerate(self.ids)}
        self.rows = rows
        self.link_id, self.pred, self.succ = link_id, pred, succ  # link ids and their tasks' ids
        self.src = np.array([self.index[a] for a in pred.tolist()], dtype=np.int64)
        self.dst = np.array([self.index[b] for b in succ.tolist()], dtype=np.int64)
        self.typ, self.lag, self.kind = typ, lag, kind

    def refreshed(self, rows: Sequence[Any], links: Sequence[Any]) -> Network | None:
        """A copy with these task and link rows (read as _TASK_COLS and _LINK_COLS, by id) replacing the ones
        of the same id or joining them; None when a link names a task that is not in the result."""
        out = object.__new__(Network)
        added = [r for r in rows if r[0] not in self.index]
        if added and self.ids and min(r[0] for r in added) < self.ids[-1]:  # not appended: rebuild the order
            merged = {r[0]: r for r in self.rows}
            merged.update((r[0], r) for r in rows)
            out.rows = [merged[k] for k in sorted(merged)]
            out.ids = sorted(merged)
            out.index = {tid: i for i, tid in enumerate(out.ids)}
        else:
            out.rows = list(self.rows)
            for r in rows:
                if r[0] in self.index:
                    out.rows[self.index[r[0]]] = r
            added.sort(key=lambda r: r[0])
            out.rows += added
            out.ids = self.ids + [r[0] for r in added] if added else self.ids
            if added:
                out.index = dict(self.index)
                out.index.update((r[0], len(self.ids) + k) for k, r in enumerate(added))
            else:
                out.index = self.index
        arrays = [self.link_id, self.pred, self.succ, self.typ, self.lag, self.kind]
        if links:
            new = _link_arrays(links)
            keep = ~np.isin(self.link_id, new[0])
            arrays = [np.concatenate([a[keep], b]) for a, b in zip(arrays, new, strict=True)]
            order = np.argsort(arrays[0], kind="stable")
            arrays = [a[order] for a in arrays]
        out.link_id, out.pred, out.succ, out.typ, out.lag, out.kind = arrays
        if not links and len(out.ids) == len(self.ids) and out.ids is self.ids:
            out.src, out.dst = self.src, self.dst  # the same tasks at the same positions, the same links
            return out
        ids = np.array(out.ids, dtype=np.int64)
        out.src = np.searchsorted(ids, out.pred).astype(np.int64)
        out.dst = np.searchsorted(ids, out.succ).astype(np.int64)
        for pos, tid in ((out.src, out.pred), (out.dst, out.succ)):
            if pos.size and (int(pos.max()) >= ids.size or not np.array_equal(ids[pos], tid)):
                return None
        return out

    def with_rows(self, rows: Sequence[Any]) -> Network | None:
        """A copy with these task rows replaced (same tasks and links); None when one is not in the network."""
        idx = [self.index.get(r[0]) for r in rows]
        if any(i is None for i in idx):
            return None
        out = object.__new__(Network)
        out.__dict__.update(self.__dict__)
        out.rows = list(self.rows)
        for i, r in zip(idx, rows, strict=True):
            out.rows[cast(int, i)] = r
        return out

    def cycle_if_linked(self, pred_id: int, succ_id: int) -> list[int] | None:
        cyc = cpm.find_cycle_if_linked(
            len(self.ids), self.src, self.dst, self.index[pred_id], self.index[succ_id]
        )
        return None if cyc is None else [self.ids[i] for i in cyc]


def constraint_arrays(rows: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The tasks' constraints, with a levelling delay folded in: resource levelling sets `levelled_start`, which
    acts as a start-no-earlier-than (the later of the two when the task has one already)."""
    types: list[int] = []
    dates: list[dt.datetime | None] = []
    snet = rules.CONSTRAINT_CODES[rules.ConstraintType.SNET]
    codes = {k.value: v for k, v in rules.CONSTRAINT_CODES.items()}
    floors = (rules.ConstraintType.ASAP.value, rules.ConstraintType.SNET.value)
    for x in rows:
        kind = x[4]
        date, lev = x[5], x[10]
        if lev is not None and kind in floors:
            types.append(snet)
            dates.append(max(lev, date) if date is not None else lev)
        else:
            types.append(codes[kind])
            dates.append(date)
    return np.array(types, dtype=np.int64), _dt64(dates)


class _Inputs:
    """The engine's per-task arrays, built from the network's task rows (patched in place of a rebuild)."""

    FIELDS = ("dur", "milestone", "cal", "ctype", "cdate", "deadline", "astart", "afinish", "pct", "elapsed")

    def __init__(self, rows: Sequence[Any]):
        self.dur = np.array([0 if x[2] else x[1] for x in rows], dtype=np.int64)
        self.milestone = np.array([bool(x[2]) or x[1] == 0 for x in rows], dtype=np.bool_)
        self.cal = np.array([x[3] or 0 for x in rows], dtype=np.int64)
        self.ctype, self.cdate = constraint_arrays(rows)
        self.deadline = _dt64([x[6] for x in rows])
        self.astart = _dt64([x[7] for x in rows])
        self.afinish = _dt64([x[8] for x in rows])
        self.pct = np.array([x[9] or 0.0 for x in rows], dtype=np.float64)
        self.elapsed = np.array([rules.is_elapsed(x[11]) for x in rows], dtype=np.bool_)  # 24x7 durations

    def patched(self, positions: list[int], rows: Sequence[Any]) -> _Inputs:
        new = _Inputs(rows)
        out = object.__new__(_Inputs)
        for f in self.FIELDS:
            arr = getattr(self, f).copy()
            arr[positions] = getattr(new, f)
            setattr(out, f, arr)
        return out

    def extended(self, rows: Sequence[Any]) -> _Inputs:
        """A copy with these rows' tasks appended."""
        new = _Inputs(rows)
        out = object.__new__(_Inputs)
        for f in self.FIELDS:
            setattr(out, f, np.concatenate([getattr(self, f), getattr(new, f)]))
        return out


class _Stored:
    """What task_computed holds for the network's tasks (in network order) after a recompute."""

    def __init__(self, ids: list[int], dates: list[np.ndarray], tf: np.ndarray, ff: np.ndarray,
                 crit: np.ndarray, viol: dict[int, str], absent: frozenset[int] = frozenset()):  # fmt: skip
        self.ids, self.dates, self.tf, self.ff, self.crit, self.viol = ids, dates, tf, ff, crit, viol
        self.absent = absent  # tasks that have no stored row yet (their values here are placeholders)
        self.elapsed: np.ndarray | None = None  # the recompute's elapsed-duration mask, when it ran one


_COMPUTED = "charter.computed"


class _Entry:
    """One revision of a project as the plan cache keeps it."""

    def __init__(self, net: Network, inputs: _Inputs, stored: _Stored):
        self.net, self.inputs, self.stored = net, inputs, stored


def recompute(s: Session, project_id: int) -> dict[str, Any]:
    """Run the engine over the whole project and store the results (only rows that changed are written).

    This reads the project in full and, as it may follow changes made without a revision bump (previews in a
    savepoint), it makes the plan cache forget the project; edits go through :func:`plan_changed`."""
    plan_cache.distrust(s, project_id)
    # the stored rows it writes are stamped with the next revision: under the plan lock, so no cached state of
    # that revision can be older than them (see plan_cache)
    revision = settings_row(s, project_id, lock=True).plan_revision
    return _recompute(s, project_id, None, None, int(revision or 0) + 1)[0]


def _recompute(
    s: Session, project_id: int, base: _Entry | None, touched: Collection[int] | None, stamp: int
) -> tuple[dict[str, Any], _Entry]:
    """`base` + `touched`: the state before this change and the tasks whose own fields it altered (an empty
    `touched`: `base` is the current state already); without them the project is read in full. The stored
    rows written are stamped `stamp` (plan_rev)."""
    project = s.get(Project, project_id)
    if project is None:
        raise NotFound(f"project {project_id} not found")
    settings = settings_row(s, project_id)
    s.flush()  # the network is read with Core statements, which do not autoflush
    net: Network | None = None
    inputs: _Inputs | None = None
    if base is not None and touched is not None and not touched:
        net, inputs = base.net, base.inputs
    elif base is not None and touched is not None:  # the base revision plus the rows this edit touched
        rows = _task_rows(s, project_id, sorted(set(touched)))
        if len(rows) == len(set(touched)):
            net = base.net.with_rows(rows)
            if net is not None:
                inputs = base.inputs.patched([net.index[r[0]] for r in rows], rows)
    if net is None or inputs is None:
        net = Network(s, project_id)
        inputs = _Inputs(net.rows)
    rng = calendar_range(project)
    pcal_row = project_calendar_row(s, project_id)
    pcal = work_calendar(s, pcal_row, rng)
    other: dict[int, int] = {}
    cals: list[WorkCalendar] = []
    for c in s.scalars(select(Calendar).where(Calendar.project_id == project_id, Calendar.id != pcal_row.id)):
        other[c.id] = len(cals)
        cals.append(work_calendar(s, c, rng))
    n = len(net.ids)
    if other:
        task_cal = np.array([other.get(c, -1) for c in inputs.cal.tolist()], dtype=np.int64)
    else:
        task_cal = np.full(n, -1, dtype=np.int64)
    try:
        res = cpm.schedule(
            inputs.dur, net.src, net.dst, net.typ, net.lag, net.kind,
            calendar=pcal,
            start=project_start(project),
            task_calendar=task_cal,
            calendars=cals,
            constraint_type=inputs.ctype,
            constraint_date=inputs.cdate,
            deadline=inputs.deadline,
            actual_start=inputs.astart,
            actual_finish=inputs.afinish,
            percent_complete=inputs.pct,
            status_date=settings.status_date,
            critical_threshold=settings.critical_threshold,
            elapsed=inputs.elapsed if inputs.elapsed.any() else None,
        )  # fmt: skip
    except cpm.CycleError as exc:
        names = dict(s.execute(select(Task.id, Task.name).where(Task.project_id == project_id)).all())
        chain = " -> ".join(names[net.ids[i]] for i in [*exc.cycle, exc.cycle[0]])
        raise Conflict(f"the links form a cycle: {chain}") from None
    except CalendarRangeError as exc:
        raise ValidationError(f"a date lies outside the project calendar's range: {exc}") from None
    start_at, finish_at = res.start_at.copy(), res.finish_at.copy()
    if n:  # a milestone is one instant (its two sides can differ where calendars differ)
        ms = inputs.milestone & (start_at > finish_at)
        finish_at[ms] = start_at[ms]  # the later one: never before what drives it
    arrays = [start_at, finish_at, res.es_at, res.ef_at, res.ls_at, res.lf_at]
    viol: dict[int, str] = {}
    for v in res.violations:
        viol[net.ids[v.task]] = (
            f"{v.kind.upper()} {v.limit_at:%Y-%m-%d %H:%M} cannot be met: logic allows "
            f"{v.required_at:%Y-%m-%d %H:%M}"
        )
    stored = _Stored(
        net.ids,
        [np.asarray(a, dtype="datetime64[m]") for a in arrays],
        np.asarray(res.total_float, dtype=np.int64),
        np.asarray(res.free_float, dtype=np.int64),
        np.asarray(res.critical, dtype=np.bool_),
        viol,
    )
    stored.elapsed = inputs.elapsed
    prev = base.stored if base is not None and base.stored.ids == net.ids else None
    changed = _store(s, project_id, stored, prev, stamp)
    if changed:  # written with Core: a loaded ORM copy would stay stale for the rest of the session
        moved = set(changed)
        for obj in list(s.identity_map.values()):
            if isinstance(obj, TaskComputed) and obj.task_id in moved:
                s.expire(obj)
    s.info["charter.changed_tasks"] = changed  # for callers that redraw only what moved
    s.info[_COMPUTED] = stored  # their new values (see computed_changes)
    settings.finish = res.project_finish_at if n else None
    settings.computed_at = now()
    out = {
        "finish": settings.finish,
        "tasks": n,
        "critical_paths": [[net.ids[i] for i in chain] for chain in res.critical_paths],
        "violations": [{"task_id": tid, "message": m} for tid, m in viol.items()],
    }
    return out, _Entry(net, inputs, stored)


_COLS = (
    "start",
    "finish",
    "early_start",
    "early_finish",
    "late_start",
    "late_finish",
    "total_float",
    "free_float",
    "critical",
    "violation",
)


def _moved(new: _Stored, old: _Stored) -> np.ndarray:
    """Positions whose stored values differ (NaT equals NaT)."""
    mask = (new.tf != old.tf) | (new.ff != old.ff) | (new.crit != old.crit)
    for a, b in zip(new.dates, old.dates, strict=True):
        mask |= ~((a == b) | (np.isnat(a) & np.isnat(b)))
    differ = [tid for tid in set(new.viol) | set(old.viol) if new.viol.get(tid) != old.viol.get(tid)]
    if differ:
        pos = {tid: i for i, tid in enumerate(new.ids)}
        mask[[pos[tid] for tid in differ]] = True
    return np.flatnonzero(mask)


def _store(s: Session, project_id: int, new: _Stored, prev: _Stored | None, stamp: int) -> list[int]:
    """Write the computed values that changed. With the previous revision's results at hand (the plan cache)
    the comparison is done on arrays; otherwise the stored rows are read raw (no datetime parsing) and compared
    with the new values in the form the driver stores them: an edit usually moves a fraction of the tasks."""
    conn = s.connection()
    ids = new.ids
    us = [d.astype("datetime64[us]") for d in new.dates]
    table = cast(Table, TaskComputed.__table__)
    c = table.c

    def values(i: int) -> dict[str, Any]:
        return dict(zip(_COLS, (*(d[i].item() for d in us), int(new.tf[i]), int(new.ff[i]), bool(new.crit[i]),
                                new.viol.get(ids[i])), strict=True), plan_rev=stamp)  # fmt: skip

    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    if prev is not None:
        moved = _moved(new, prev)
        if prev.absent:  # tasks added since: their rows are inserted
            pos = {tid: i for i, tid in enumerate(ids)}
            add = sorted(pos[tid] for tid in prev.absent)
            moved = np.setdiff1d(moved, np.array(add, dtype=np.int64))
            inserts = [{"task_id": ids[i], "project_id": project_id, **values(i)} for i in add]
            conn.execute(insert(table), inserts)
        return [d["task_id"] for d in inserts] + _update_rows(conn, new, moved, stamp)
    else:
        if (
            conn.dialect.name == "sqlite"
        ):  # SQLAlchemy stores a naive DateTime as 'YYYY-MM-DD HH:MM:SS.ffffff'
            keys = [[None if x == "NaT" else x.replace("T", " ")
                     for x in np.datetime_as_string(d, unit="us").tolist()] for d in us]  # fmt: skip
        else:
            keys = [d.tolist() for d in us]
        raw = conn.execute(
            select(c.task_id, *(type_coerce(c[name], NullType()) for name in _COLS)).where(
                c.project_id == project_id
            )
        ).all()
        existing = {r[0]: (*r[1:9], bool(r[9]), r[10]) for r in raw}
        tf, ff, crit = new.tf.tolist(), new.ff.tolist(), new.crit.tolist()
        for i, tid in enumerate(ids):
            stored = (*(k[i] for k in keys), tf[i], ff[i], crit[i], new.viol.get(tid))
            old = existing.get(tid)
            if old is not None and old == stored:
                continue
            if old is None:
                inserts.append({"task_id": tid, "project_id": project_id, **values(i)})
            else:
                updates.append({"_id": tid, **values(i)})
    if inserts:
        conn.execute(insert(table), inserts)
    if updates:
        conn.execute(
            update(table)
            .where(c.task_id == bindparam("_id"))
            .values({n: bindparam(n) for n in (*_COLS, "plan_rev")}),
            updates,
        )
    return [d["task_id"] for d in inserts] + [d["_id"] for d in updates]


def lock_plan(s: Session, project_id: int) -> None:
    """Serialise the writers of one project's plan: every recompute rewrites the whole project's schedule and
    bumps the plan revision, so two at once would fail one of them on the revision. Task writers take this lock
    before they lock the task (one order, no deadlock); on SQLite writers are serialised already."""
    settings_row(s, project_id, lock=True)


def _sqlite_text(d: np.ndarray) -> list[str | None]:
    """Datetimes as SQLAlchemy's SQLite dialect stores them ('YYYY-MM-DD HH:MM:SS.ffffff'), NaT as None;
    converted as one array (the 'T' swapped for a space in the code points) rather than string by string."""
    if d.size == 0:
        return []
    text = np.datetime_as_string(d.astype("datetime64[us]"), unit="us")
    nat = np.isnat(d)
    points = text.view(np.uint32).reshape(text.size, -1)
    if bool(np.all((points[:, 10] == ord("T")) | nat)):  # four-digit years: a calendar's range
        points[:, 10] = np.where(nat, points[:, 10], ord(" "))
        out: list[str | None] = text.tolist()
    else:
        out = [x.replace("T", " ") for x in text.tolist()]
    for i in np.flatnonzero(nat).tolist():
        out[i] = None
    return out


def _update_rows(conn: Any, new: _Stored, pos: np.ndarray, stamp: int) -> list[int]:
    """UPDATE the rows at `pos` with one driver-level executemany: after a long chain moved, this is thousands
    of rows, and SQLAlchemy's per-parameter processing would cost more than the rest of the edit. The values
    are converted here the way the dialect's own processors do (SQLite: ISO text with microseconds)."""
    if pos.size == 0:
        return []
    ids = [new.ids[i] for i in pos.tolist()]
    cols: list[list[Any]]
    if conn.dialect.name == "sqlite":
        cols = [_sqlite_text(d[pos]) for d in new.dates]
    else:
        cols = [d[pos].astype("datetime64[us]").tolist() for d in new.dates]
    cols += [
        new.tf[pos].tolist(),
        new.ff[pos].tolist(),
        new.crit[pos].tolist(),
        [new.viol.get(i) for i in ids],
        [stamp] * len(ids),
    ]
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    table = TaskComputed.__tablename__
    # names from constants of this module, values as parameters
    sets = ", ".join(f"{c} = {mark}" for c in (*_COLS, "plan_rev"))
    sql = f"UPDATE {table} SET {sets} WHERE task_id = {mark}"  # noqa: S608
    conn.exec_driver_sql(sql, list(zip(*cols, ids, strict=True)))
    return ids


def plan_changed(s: Session, project_id: int, *, touched: Collection[int] | None = None) -> dict[str, Any]:
    """Call after any change to tasks, links, calendars or the status date: bump the plan revision and
    recompute the whole project in the same transaction (under the plan lock, see lock_plan).

    `touched` names the tasks whose own fields the change altered when it added, removed or relinked nothing
    (a task edit): the network of the previous revision is then taken from the plan cache, if this process
    holds it, with only those rows read again. Otherwise, or when this process holds an older revision (the
    previous change was made by another process), the cached state is brought up to date from the rows
    stamped since its revision (see plan_cache); failing that the project is read in full."""
    settings = settings_row(s, project_id, lock=True)
    s.flush()
    c = ProjectSchedule.__table__.c
    conn = s.connection()
    # Bumped in the database, not from the loaded row: a concurrent change waits for this row and then counts
    # on from our revision, so each revision names exactly one committed state of the plan.
    conn.execute(
        update(cast(Table, ProjectSchedule.__table__))
        .where(c.project_id == project_id)
        .values(plan_revision=func.coalesce(c.plan_revision, 0) + 1)
    )
    now_at = select(c.plan_revision, c.computed_at).where(c.project_id == project_id)
    revision, stamp = conn.execute(now_at).one()
    # the tasks and links changed since the last plan change (pending) are this revision's (see plan_cache)
    for model in (Task, TaskLink):
        tc = model.__table__.c
        conn.execute(
            update(cast(Table, model.__table__))
            .where(tc.project_id == project_id, tc.plan_rev == PLAN_REV_PENDING)
            .values(plan_rev=revision)
        )
    s.expire(settings, ["plan_revision"])
    s.info["charter.plan_bumps"] = s.info.get("charter.plan_bumps", 0) + 1  # revisions this transaction made
    # the state before this change: the previous revision as its last recompute (computed_at) left it
    base = plan_cache.lookup(s, project_id, (revision - 1, stamp))
    if base is None or touched is None:  # bring a cached state up to date from the stamped rows
        held = ((revision - 1, stamp), base) if base is not None else plan_cache.latest(s, project_id)
        base = None
        if held is not None and isinstance(held[0][0], int) and held[0][0] < revision:
            base = _refreshed(s, project_id, held[1], held[0][0])
        touched = () if base is not None else None
    plan_cache.discard(s, project_id)
    out, entry = _recompute(s, project_id, base, touched, revision)
    s.flush()
    plan_cache.stage(s, project_id, tuple(conn.execute(now_at).one()), entry)
    return out


def _refreshed(s: Session, project_id: int, entry: _Entry, since: int) -> _Entry | None:
    """`entry` (the project as its plan revision `since` left it) brought up to the current state of the
    database: the task, link and stored rows stamped after `since` replace or join its own. None (read in full)
    when a task or link was deleted since: then the counts differ, as every row that exists now either is
    unchanged since `since` (so in `entry`) or is stamped after it (so read here)."""
    conn = s.connection()
    tc, lc = Task.__table__.c, TaskLink.__table__.c
    counts = select(
        select(func.count()).where(tc.project_id == project_id).scalar_subquery(),
        select(func.count()).where(lc.project_id == project_id).scalar_subquery(),
    )
    n_tasks, n_links = conn.execute(counts).one()
    rows = list(
        conn.execute(
            select(*(tc[k] for k in _TASK_COLS))
            .where(tc.project_id == project_id, tc.plan_rev > since)
            .order_by(tc.id)
        ).all()
    )
    links = conn.execute(
        select(*(lc[k] for k in _LINK_COLS)).where(lc.project_id == project_id, lc.plan_rev > since)
    ).all()
    old = entry.net
    if len(old.ids) + sum(r[0] not in old.index for r in rows) != n_tasks:
        return None
    if old.link_id.size + int(np.count_nonzero(~np.isin([r[0] for r in links], old.link_id))) != n_links:
        return None
    net = old.refreshed(rows, links)
    if net is None:
        return None
    added = [r for r in rows if r[0] not in old.index]
    if net.ids[: len(old.ids)] != old.ids:  # a task joined between others: rebuilt
        inputs = _Inputs(net.rows)
    else:
        replaced = [r for r in rows if r[0] in old.index]
        inputs = (
            entry.inputs.patched([old.index[r[0]] for r in replaced], replaced) if replaced else entry.inputs
        )
        if added:
            inputs = inputs.extended(sorted(added, key=lambda r: r[0]))
    stored = _refreshed_stored(conn, project_id, entry.stored, net, since)
    return None if stored is None else _Entry(net, inputs, stored)


def _refreshed_stored(conn: Any, project_id: int, old: _Stored, net: Network, since: int) -> _Stored | None:
    """`old` in the order of `net`, with the stored rows stamped after `since` read in; tasks new since have
    no row until the recompute inserts it (`absent`)."""
    n = len(net.ids)
    if old.ids == net.ids:
        dates = [d.copy() for d in old.dates]
        tf, ff, crit = old.tf.copy(), old.ff.copy(), old.crit.copy()
    else:  # tasks joined: the old values move to their tasks' new positions
        at = np.array([net.index[t] for t in old.ids], dtype=np.int64)
        dates = [np.full(n, NAT, dtype="datetime64[m]") for _ in old.dates]
        for d, o in zip(dates, old.dates, strict=True):
            d[at] = o
        tf, ff, crit = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.bool_)
        tf[at], ff[at], crit[at] = old.tf, old.ff, old.crit
    viol = dict(old.viol)
    absent = set(old.absent) if old.ids == net.ids else set(old.absent) | (set(net.ids) - set(old.ids))
    cc = TaskComputed.__table__.c
    q = select(cc.task_id, *(cc[k] for k in _COLS)).where(cc.project_id == project_id, cc.plan_rev > since)
    for r in conn.execute(q).all():
        i = net.index.get(r[0])
        if i is None:
            return None
        for d, v in zip(dates, r[1:7], strict=True):
            d[i] = NAT if v is None else np.datetime64(v, "m")
        tf[i], ff[i], crit[i] = r[7], r[8], bool(r[9])
        if r[10] is None:
            viol.pop(r[0], None)
        else:
            viol[r[0]] = r[10]
        absent.discard(r[0])
    return _Stored(list(net.ids), dates, tf, ff, crit, viol, frozenset(absent))


# --------------------------------------------------------------------------------------------- reading


def plan_revision(s: Session, actor: Actor, project_id: int) -> int:
    """The project's plan revision: every plan change bumps it, so it names the state a copy of the schedule
    (a Gantt page) was read at."""
    project_for(s, actor, project_id)
    return int(settings_row(s, project_id).plan_revision or 0)


def computed_changes(s: Session, actor: Actor, project_id: int, task_ids: Collection[int]) -> dict[str, Any]:
    """The computed fields of `task_ids` as this transaction's recompute left them, column by column and
    compact, for a client that holds the rest of the schedule (the Gantt after a drag, when thousands of
    successors moved): ``id``, ``start`` and ``finish`` (minutes since 1970-01-01 on the project's wall clock,
    None when not scheduled), ``tf`` and ``ff`` (floats in working days), ``critical`` and ``violation``. Taken
    from the recompute's arrays when this session ran one, else read from the stored rows."""
    project_for(s, actor, project_id)
    mpd = minutes_per_day(s, project_id)
    wanted = set(task_ids)
    stored: _Stored | None = s.info.get(_COMPUTED)
    out: dict[str, list[Any]] = {
        k: [] for k in ("id", "start", "finish", "tf", "ff", "critical", "violation")
    }
    if not wanted:
        return out
    if stored is not None and stored.elapsed is not None and wanted <= set(stored.ids):
        pos = np.array([i for i, tid in enumerate(stored.ids) if tid in wanted], dtype=np.int64)
        out["id"] = [stored.ids[i] for i in pos.tolist()]
        for key, d in zip(("start", "finish"), stored.dates[:2], strict=True):
            sel = d[pos]
            mins = sel.astype("datetime64[m]").astype(np.int64).tolist()
            out[key] = [None if nat else m for m, nat in zip(mins, np.isnat(sel).tolist(), strict=True)]
        per = np.where(stored.elapsed[pos], ELAPSED_DAY, mpd) if stored.elapsed is not None else mpd
        out["tf"] = np.round(stored.tf[pos] / per, 2).tolist()
        out["ff"] = np.round(stored.ff[pos] / per, 2).tolist()
        out["critical"] = stored.crit[pos].tolist()
        out["violation"] = [stored.viol.get(tid) for tid in out["id"]]
        return out
    c = TaskComputed.__table__.c
    epoch = dt.datetime(1970, 1, 1)
    tc = Task.__table__.c
    rows = s.connection().execute(
        select(
            c.task_id,
            c.start,
            c.finish,
            c.total_float,
            c.free_float,
            c.critical,
            c.violation,
            tc.duration_unit,
        )
        .join(Task.__table__, tc.id == c.task_id)
        .where(c.project_id == project_id)
    )
    for tid, start, finish, tf, ff, crit, viol, unit in rows:
        if tid not in wanted:
            continue
        days = ELAPSED_DAY if rules.is_elapsed(unit) else mpd
        out["id"].append(tid)
        out["start"].append(None if start is None else (start - epoch) // dt.timedelta(minutes=1))
        out["finish"].append(None if finish is None else (finish - epoch) // dt.timedelta(minutes=1))
        out["tf"].append(round((tf or 0) / days, 2))
        out["ff"].append(round((ff or 0) / days, 2))
        out["critical"].append(bool(crit))
        out["violation"].append(viol)
    return out


def minutes_per_day(s: Session, project_id: int) -> int:
    """Working minutes in a day of the project's calendar (its shifts; 480 when it has none): what "1d" means."""
    c = project_calendar_row(s, project_id)
    return sum(b - a for a, b in c.shifts) or 480


def task_dict(
    t: Any,
    c: Any,
    mpd: int,
    assignees: list[dict[str, Any]] | None = None,
    fields: Sequence[tuple[int, str]] = (),
) -> dict[str, Any]:
    """A task as plain data; `t` and `c` are a Task and its TaskComputed, or one Core row holding both;
    `fields` the project's custom fields in use (custom_fields.name_map)."""
    held = t.custom or {}
    elapsed = rules.is_elapsed(t.duration_unit)
    per = ELAPSED_DAY if elapsed else mpd  # an elapsed task's floats are wall-clock days
    done, left = rules.split_progress(t.duration, t.percent_complete)
    worked = sum(a["actual_work_minutes"] for a in assignees or ())  # the task's: its assignments' sums
    to_go = sum(a["remaining_work_minutes"] for a in assignees or ())
    return {
        "id": t.id,
        "project_id": t.project_id,
        "work_package_id": t.work_package_id,
        "wbs_code": t.wbs_code,
        "name": t.name,
        "description": t.description,
        "milestone": t.milestone,
        "duration_minutes": t.duration,
        "duration": rules.format_minutes(t.duration, t.duration_unit, mpd),
        "duration_days": round(t.duration / per, 3) if per else 0,
        "duration_unit": t.duration_unit,
        "optimistic": t.optimistic,
        "most_likely": t.most_likely,
        "pessimistic": t.pessimistic,
        "work_minutes": t.work,
        "percent_complete": t.percent_complete,
        "actual_duration": rules.format_minutes(done, t.duration_unit, mpd),
        "remaining_duration": rules.format_minutes(left, t.duration_unit, mpd),
        "remaining_duration_minutes": left,
        "actual_work": rules.format_minutes(worked, rules.DurationUnit.HOURS, mpd),
        "actual_work_minutes": worked,
        "remaining_work": rules.format_minutes(to_go, rules.DurationUnit.HOURS, mpd),
        "remaining_work_minutes": to_go,
        "actual_start": t.actual_start,
        "actual_finish": t.actual_finish,
        "status": t.status,
        "priority": t.priority,
        "constraint_type": t.constraint_type,
        "constraint_date": t.constraint_date,
        "deadline": t.deadline,
        "calendar_id": t.calendar_id,
        "position": t.position,
        "task_type": t.task_type,
        "effort_driven": t.effort_driven,
        "levelled_start": t.levelled_start,
        "start": c.start if c else None,
        "finish": c.finish if c else None,
        "early_start": c.early_start if c else None,
        "early_finish": c.early_finish if c else None,
        "late_start": c.late_start if c else None,
        "late_finish": c.late_finish if c else None,
        "total_float_minutes": c.total_float if c else 0,
        "total_float_days": round(c.total_float / per, 2) if c and per else 0.0,
        "free_float_days": round(c.free_float / per, 2) if c and per else 0.0,
        "float_unit": "ed" if elapsed else "d",
        "critical": bool(c.critical) if c else False,
        "violation": c.violation if c else None,
        "assignees": assignees or [],
        "custom_fields": {name: held.get(str(fid)) for fid, name in fields},
        "version": t.version,
    }


def get_schedule(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    baseline: int | None = None,
    only: set[int] | None = None,
    order: list[int] | None = None,
) -> dict[str, Any]:
    """The whole schedule: tasks with computed dates and floats, work packages as summary rows with their
    dates, work and progress rolled up, links, the critical path, and variances against a baseline."""
    project = project_for(s, actor, project_id)
    settings = settings_row(s, project_id)
    mpd = minutes_per_day(s, project_id)
    tt, tc = Task.__table__, TaskComputed.__table__
    # Core rows (attribute access like the ORM objects, a fraction of the cost): this reads every task
    rows = s.connection().execute(
        select(tt, tc.c.start, tc.c.finish, tc.c.early_start, tc.c.early_finish, tc.c.late_start, tc.c.late_finish,
               tc.c.total_float, tc.c.free_float, tc.c.critical, tc.c.violation, tc.c.task_id.label("computed"))
        .select_from(tt.outerjoin(tc, tc.c.task_id == tt.c.id))
        .where(tt.c.project_id == project_id, *([tt.c.id.in_(only)] if only is not None else []))
    ).all()  # fmt: skip
    from charter.services.resources import assignees_of

    people = assignees_of(s, list(only)) if only is not None else assignees_of(s, project_id=project_id)
    fields = custom_fields.name_map(s, project_id)
    tasks = [task_dict(r, r if r.computed is not None else None, mpd, people.get(r.id), fields) for r in rows]
    base: dict[int, BaselineTask] = {}
    base_row = None
    if baseline is not None:
        base_row = s.scalars(
            select(Baseline).where(Baseline.project_id == project_id, Baseline.number == baseline)
        ).first()
        if base_row is None:
            raise NotFound(f"baseline {baseline} has not been saved", field="baseline")
        pcal = work_calendar(s, project_calendar_row(s, project_id), calendar_range(project))
        base = {
            b.task_id: b
            for b in s.scalars(select(BaselineTask).where(BaselineTask.baseline_id == base_row.id))
        }
    for t in tasks:
        b = base.get(t["id"])
        t["baseline"] = None
        if b is not None:
            t["baseline"] = {
                "start": b.start, "finish": b.finish, "duration_minutes": b.duration, "work_minutes": b.work,
                "start_variance_days": _var(pcal, b.start, t["start"], mpd),
                "finish_variance_days": _var(pcal, b.finish, t["finish"], mpd),
                "duration_variance_days": round(  # in the duration's own days (wall-clock ones when elapsed)
                    (t["duration_minutes"] - b.duration) / (ELAPSED_DAY if rules.is_elapsed(t["duration_unit"]) else mpd),
                    2,
                ),
                "work_variance_minutes": (t["work_minutes"] or 0) - (b.work or 0),
            }  # fmt: skip
    if only is not None:  # a partial read (what an edit moved, a page of the list): no roll-ups, no links
        if order is not None:
            rank = {tid: i for i, tid in enumerate(order)}
            tasks.sort(key=lambda t: rank[t["id"]])
        else:
            tasks.sort(key=lambda t: _code_key(t["wbs_code"]))
        return {"project_id": project_id, "start": project_start(project), "finish": settings.finish,
                "status_date": settings.status_date, "settings_version": settings.version, "minutes_per_day": mpd,
                "plan_revision": settings.plan_revision, "computed_at": settings.computed_at,
                "baseline": base_row.number if base_row else None, "tasks": tasks, "partial": True}  # fmt: skip
    wps = list(s.scalars(select(WorkPackage).where(WorkPackage.project_id == project_id)))
    summaries = _rollup(wps, tasks, mpd)
    links = [
        {"id": lk.id, "pred_id": lk.pred_id, "succ_id": lk.succ_id, "type": lk.type, "lag": lk.lag,
         "lag_kind": lk.lag_kind, "lag_text": rules.format_lag(lk.lag, lk.lag_kind, mpd), "version": lk.version}
        for lk in s.connection().execute(select(TaskLink.__table__).where(TaskLink.project_id == project_id))
    ]  # fmt: skip
    tasks.sort(key=lambda t: _code_key(t["wbs_code"]))
    return {
        "project_id": project_id,
        "start": project_start(project),
        "finish": settings.finish,
        "status_date": settings.status_date,
        "settings_version": settings.version,
        "minutes_per_day": mpd,
        "plan_revision": settings.plan_revision,
        "computed_at": settings.computed_at,
        "baseline": base_row.number if base_row else None,
        "tasks": tasks,
        "summaries": summaries,
        "links": links,
        **_flagged(tasks),
    }


def gantt_schedule(
    s: Session, actor: Actor, project_id: int, *, baseline: int | None = None, warm_cache: bool = False
) -> dict[str, Any]:
    """What the Gantt draws, straight from the stored rows: :func:`get_schedule`'s result with each task,
    summary and link trimmed to the drawn fields (tasks carry their baseline's start and finish). Plain tuples
    from three narrow queries and the roll-ups over them: no per-task dicts of every field, no assignees, no
    variances, no engine.

    `warm_cache` (only in a read-only transaction, which cannot hold uncommitted plan changes): fill the plan
    cache from the rows read, so that the next drag does not read the whole project (see _warm_cache)."""
    project = project_for(s, actor, project_id)
    settings = settings_row(s, project_id)
    mpd = minutes_per_day(s, project_id)
    t, c = Task.__table__.c, TaskComputed.__table__.c
    sc = ProjectSchedule.__table__.c
    revision = tuple(
        s.connection()
        .execute(select(sc.plan_revision, sc.computed_at).where(sc.project_id == project_id))
        .one()
    )  # read before the rows: the plan cache is warmed from them (see _warm_cache)
    columns = (t.id, t.wbs_code, t.name, t.work_package_id, t.milestone, t.duration, t.duration_unit, c.start,
               c.finish, c.total_float, c.free_float, c.critical, t.percent_complete, t.constraint_type,
               t.constraint_date, c.violation, t.version,
               # what else the engine reads and the recompute stores (_TASK_COLS, _COLS), for the plan cache
               t.calendar_id, t.deadline, t.actual_start, t.actual_finish, t.levelled_start, c.early_start,
               c.early_finish, c.late_start, c.late_finish, c.task_id)  # fmt: skip
    joined = Task.__table__.outerjoin(TaskComputed.__table__, c.task_id == t.id)

    def read_rows(ids: Sequence[int] | None) -> Sequence[Any]:
        q = select(*columns).select_from(joined).where(t.project_id == project_id)
        if ids is None:
            return s.connection().execute(q).all()
        out: list[Any] = []
        for i in range(0, len(ids), 500):
            out += s.connection().execute(q.where(t.id.in_(ids[i : i + 500]))).all()
        return out

    lc = TaskLink.__table__.c

    def read_links(since: int | None) -> Sequence[Any]:
        q = select(lc.id, lc.pred_id, lc.succ_id, lc.type, lc.lag, lc.lag_kind).where(
            lc.project_id == project_id
        )
        return s.connection().execute(q if since is None else q.where(lc.plan_rev > since)).all()

    base: dict[int, tuple[Any, Any]] = {}
    base_row = None
    if baseline is not None:
        base_row = s.scalars(
            select(Baseline).where(Baseline.project_id == project_id, Baseline.number == baseline)
        ).first()
        if base_row is None:
            raise NotFound(f"baseline {baseline} has not been saved", field="baseline")
        bc = BaselineTask.__table__.c
        q = select(bc.task_id, bc.start, bc.finish).where(bc.baseline_id == base_row.id)
        base = {tid: (st, fi) for tid, st, fi in s.connection().execute(q)}
    durations: dict[tuple[int, str], str] = {}  # few distinct durations among thousands of tasks
    floats: dict[int | None, float] = {}

    def build_task(row: Any) -> dict[str, Any]:
        (tid, code, name, wp, ms, dur, unit, start, finish, tf, ff, crit, pct, ctype, cdate, viol, version,
         *_) = row  # fmt: skip
        b = base.get(tid)
        text = durations.get((dur, unit))
        if text is None:
            text = durations[dur, unit] = rules.format_minutes(dur, unit, mpd)
        elapsed = unit in rules.ELAPSED_UNIT_VALUES
        if elapsed:  # floats in wall-clock days
            tfd, ffd = round((tf or 0) / ELAPSED_DAY, 2), round((ff or 0) / ELAPSED_DAY, 2)
        else:
            tfd = floats.get(tf)
            if tfd is None:
                tfd = floats[tf] = round((tf or 0) / mpd, 2) if mpd else 0.0
            ffd = floats.get(ff)
            if ffd is None:
                ffd = floats[ff] = round((ff or 0) / mpd, 2) if mpd else 0.0
        return {
            "id": tid, "wbs_code": code, "name": name, "work_package_id": wp, "milestone": ms,
            "duration": text, "duration_minutes": dur, "duration_unit": unit, "start": start,
            "finish": finish, "total_float_days": tfd,
            "free_float_days": ffd, "float_unit": "ed" if elapsed else "d", "critical": bool(crit),
            "percent_complete": pct, "constraint_type": ctype, "constraint_date": cdate, "violation": viol,
            "version": version, "baseline": {"start": b[0], "finish": b[1]} if b is not None else None,
        }  # fmt: skip

    wc = WorkPackage.__table__.c
    wps = (
        s.connection()
        .execute(select(wc.id, wc.wbs_code, wc.name, wc.parent_id).where(wc.project_id == project_id))
        .all()
    )
    entry: gantt_rows.Entry | None = None
    if base_row is None:  # the cached rows carry no baseline
        entry = gantt_rows.current(
            s, project_id, revision, mpd, wps, read_rows, read_links, build_task, _code_key
        )
        rows: Sequence[Any] = [entry.rows[tid] for tid in entry.order] if warm_cache else ()
        tasks = [entry.tasks[tid] for tid in entry.order]
        link_rows: Sequence[Any] = list(entry.links.values())
    else:
        rows = sorted(read_rows(None), key=lambda r: _code_key(r[1]))
        tasks = [build_task(r) for r in rows]
        link_rows = sorted(read_links(None), key=lambda x: x[0])
    # what is computed from the rows, kept with a cached entry: built whole, then published in one step (other
    # threads of this process read the same entry meanwhile)
    derived: dict[str, Any] | None = entry.derived.get("all") if entry is not None else None
    if derived is None:
        drawn = ("id", "wbs_code", "name", "parent_id", "start", "finish", "percent_complete", "critical")
        links = entry.derived.get("links") if entry is not None else None  # kept while no link changed
        if links is None:
            lags: dict[tuple[int, str], str] = {}
            links = []
            for i, a, b, typ, lag, kind in sorted(link_rows, key=lambda x: x[0]):
                lag_text = lags.get((lag, kind))
                if lag_text is None:
                    lag_text = lags[lag, kind] = rules.format_lag(lag, kind, mpd)
                links.append({"id": i, "pred_id": a, "succ_id": b, "type": typ, "lag_text": lag_text})
        derived = {
            "summaries": [
                {k: d[k] for k in drawn}
                for d in _rollup(
                    cast(list[WorkPackage], wps), tasks, mpd, entry.leaves if entry is not None else None
                )
            ],
            "links": links,
            **_flagged(tasks),
        }
        if entry is not None:
            entry.derived["links"] = links
            entry.derived["all"] = derived
    summaries, links = derived["summaries"], derived["links"]
    # an entry of an older revision is brought up to date by the next edit from the rows stamped since
    if warm_cache and plan_cache.latest(s, project_id) is None:
        if entry is not None:
            rows = [entry.rows[tid] for tid in entry.order]
        _warm_cache(s, project_id, revision, rows, link_rows)
    return {
        "project_id": project_id,
        "start": project_start(project),
        "finish": settings.finish,
        "status_date": settings.status_date,
        "settings_version": settings.version,
        "minutes_per_day": mpd,
        "plan_revision": settings.plan_revision,
        "computed_at": settings.computed_at,
        "baseline": base_row.number if base_row else None,
        "tasks": tasks,
        "summaries": summaries,
        "links": links,
        "critical_task_ids": derived["critical_task_ids"],
        "violations": derived["violations"],
        "_rows": entry,  # the cached rows these tasks came from (gantt_rows.task_fragments), or None
    }


def _warm_cache(
    s: Session, project_id: int, revision: tuple[Any, ...], rows: Sequence[Any], links: Sequence[Any]
) -> None:
    """Fill the plan cache from the rows the Gantt read (gantt_schedule's query), so that the first drag after
    a server start patches the network instead of reading the whole project. The entry is the stored state of
    `revision` exactly: the engine's inputs and task_computed as read (not recomputed), published only if the
    revision is still current (plan_cache.warm). Nothing is built when the cache holds the revision already,
    or when a task has no stored results yet (the next edit writes those in full)."""
    if plan_cache.lookup(s, project_id, revision) is not None:
        return
    if any(r[26] is None or r[9] is None or r[10] is None for r in rows):
        return
    by_id = sorted(rows, key=lambda r: r[0])
    # (id, duration, milestone, calendar_id, constraint_type, constraint_date, deadline, actual_start,
    #  actual_finish, percent_complete, levelled_start, duration_unit): _TASK_COLS
    task_rows = [
        (r[0], r[5], r[4], r[17], r[13], r[14], r[18], r[19], r[20], r[12], r[21], r[6]) for r in by_id
    ]
    net = object.__new__(Network)  # as Network(s, project_id) builds it: tasks and links in id order
    net._build(task_rows, *_link_arrays(sorted(links, key=lambda x: x[0])))
    stored = _Stored(
        net.ids,
        [_dt64([r[k] for r in by_id]) for k in (7, 8, 22, 23, 24, 25)],  # start, finish, early/late
        np.array([r[9] for r in by_id], dtype=np.int64),
        np.array([r[10] for r in by_id], dtype=np.int64),
        np.array([bool(r[11]) for r in by_id], dtype=np.bool_),
        {r[0]: r[15] for r in by_id if r[15] is not None},
    )
    plan_cache.warm(s, project_id, revision, _Entry(net, _Inputs(task_rows), stored))


# Sort keys of the task list: the column each reads (None: the WBS order)
LIST_SORTS: dict[str, str | None] = {
    "wbs": None, "name": "name", "start": "start", "finish": "finish", "total_float": "total_float",
    "free_float": "free_float", "duration": "duration", "priority": "priority", "percent_complete": "percent_complete",
}  # fmt: skip
# sorts by a length of time: an elapsed task's (wall-clock minutes) counts each elapsed day as a working day
TIME_SORTS = frozenset({"duration", "total_float", "free_float"})


def list_tasks(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    sort: str = "wbs",
    critical: bool | None = None,
    work_package_id: int | None = None,
    q: str | None = None,
    custom: dict[str, str] | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """A page of the project's tasks with their stored computed dates and floats (as in :func:`get_schedule`,
    same order and filters), read from tasks + task_computed without building the whole schedule: the
    filters run in SQL, then one narrow read of the matching rows' keys orders them (WBS codes order by their
    numbers, which SQL cannot), and only the page's rows are read in full. `sort` is a LIST_SORTS key, "-"
    first for descending (ties stay in WBS order); missing values sort last (first when descending). `custom`
    keeps the tasks whose custom fields hold these values (custom_fields.value_tests)."""
    key = sort.lstrip("-")
    by_field = key.startswith(custom_fields.SORT_PREFIX)
    if key not in LIST_SORTS and not by_field:
        raise ValidationError(
            f"cannot sort by {key!r}; use one of {', '.join(sorted(LIST_SORTS))} or field:NAME (a custom field)",
            field="sort",
        )
    project_for(s, actor, project_id)
    custom_sort = (
        custom_fields.sort_key(s, project_id, key[len(custom_fields.SORT_PREFIX) :]) if by_field else None
    )
    tt, tc = Task.__table__, TaskComputed.__table__
    joined = tt.outerjoin(tc, tc.c.task_id == tt.c.id)
    where: list[Any] = [tt.c.project_id == project_id]
    if critical:
        where.append(tc.c.critical.is_(True))
    elif critical is not None:  # a task not computed yet is not critical
        where.append(or_(tc.c.critical.is_(False), tc.c.critical.is_(None)))
    if work_package_id is not None:
        where.append(tt.c.work_package_id == work_package_id)
    words = (q or "").lower().split()
    for w in words:
        if w.isascii():  # SQLite's lower() folds ASCII only: other words are matched below
            where.append(func.lower(tt.c.name).contains(w, autoescape=True))
    column = LIST_SORTS.get(key)
    field = None if column is None else (tc.c[column] if column in tc.c else tt.c[column])
    tests = custom_fields.value_tests(s, project_id, custom) if custom else []
    in_time = key in TIME_SORTS  # minutes of the task's own kind: compared as working minutes (comparable)
    keys = [tt.c.id, tt.c.wbs_code, *([tt.c.name] if words else []),
            *([tt.c.custom] if tests or custom_sort else []), *([tt.c.duration_unit] if in_time else []),
            *([field] if field is not None else [])]  # fmt: skip
    rows = list(s.connection().execute(select(*keys).select_from(joined).where(*where)).all())
    if words:  # exactly the words-in-the-name test of the full schedule (any script)
        rows = [r for r in rows if all(w in r.name.lower() for w in words)]
    if tests:  # JSON values are compared here: the databases' JSON operators differ
        rows = [r for r in rows if all(test((r.custom or {}).get(str(fid))) for fid, _, test in tests)]
    rows.sort(key=lambda r: _code_key(r.wbs_code))
    if custom_sort is not None:  # by a custom field's value; tasks without one last (first when descending)
        fid, _, value_key = custom_sort

        def by_value(r: Any) -> tuple[bool, Any]:
            v = (r.custom or {}).get(str(fid))
            return (v is None, value_key(v) if v is not None else 0)

        rows.sort(key=by_value, reverse=sort.startswith("-"))
    elif field is not None:
        if in_time:  # an elapsed task's wall-clock minutes against the others' working minutes
            mpd = minutes_per_day(s, project_id)
            rows.sort(  # a task not computed yet has a float of 0, as in get_schedule
                key=lambda r: rules.as_working_minutes(r[-1] or 0, r[-2], mpd), reverse=sort.startswith("-")
            )
        else:
            rows.sort(
                key=lambda r: (r[-1] is None, r[-1] if r[-1] is not None else 0), reverse=sort.startswith("-")
            )
    elif sort.startswith("-"):
        rows.reverse()
    page = [r.id for r in rows[offset : offset + limit]]
    if not page:
        return []
    out: list[dict[str, Any]] = get_schedule(s, actor, project_id, only=set(page), order=page)["tasks"]
    return out


def _flagged(tasks: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The critical tasks' ids and the violated constraints, as the schedule and the Gantt answer them."""
    return {
        "critical_task_ids": [t["id"] for t in tasks if t["critical"]],
        "violations": [
            {"task_id": t["id"], "name": t["name"], "message": t["violation"]}
            for t in tasks
            if t["violation"]
        ],
    }


# a WBS code's sort key, memoised: the same codes are sorted again and again
_code_key = functools.lru_cache(maxsize=1 << 17)(wbs.code_key)


def _var(cal: WorkCalendar, base: dt.datetime | None, cur: dt.datetime | None, mpd: int) -> float | None:
    if base is None or cur is None:
        return None
    try:
        if cur >= base:
            return round(cal.working_between(base, cur) / mpd, 2)
        return -round(cal.working_between(cur, base) / mpd, 2)
    except (CalendarRangeError, ValueError):
        return round((cur - base).total_seconds() / 86400, 2)


def _rollup(
    wps: list[WorkPackage],
    tasks: list[dict[str, Any]],
    mpd: int,
    leaves: dict[Any, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Summary rows of the packages (ORM objects or Core rows with id, parent_id, wbs_code and name). Progress
    is weighted by duration, an elapsed one counting each elapsed day as a working day (as_working_minutes, as
    EVM weighs it), so that a 1ed task weighs as much as a 1d one, not three times as much.

    `leaves`: summaries of packages without sub-packages computed before, by package row (id, code, name,
    parent), for packages none of whose tasks changed since (gantt_rows); filled with the ones computed here."""
    by_id = {w.id: w for w in wps}
    by_wp: dict[int | None, list[dict[str, Any]]] = {}
    for t in tasks:
        by_wp.setdefault(t["work_package_id"], []).append(t)
    children: dict[int | None, list[int]] = {}
    for w in wps:
        children.setdefault(w.parent_id, []).append(w.id)
    out: dict[int, dict[str, Any]] = {}

    def walk(wp: WorkPackage) -> list[dict[str, Any]]:
        items = list(by_wp.get(wp.id, []))
        kids = children.get(wp.id, [])
        key = (wp.id, wp.wbs_code, wp.name, wp.parent_id)
        if not kids and leaves is not None and key in leaves:
            out[wp.id] = leaves[key]
            return items
        for cid in kids:
            items += walk(by_id[cid])
        # one pass, summing in the items' order as sum() would (the same floats to the last bit)
        start = finish = None
        total = work = late = 0
        done = pct = 0
        critical = False
        for t in items:
            st, fi, dur, pc = t["start"], t["finish"], t["duration_minutes"], t["percent_complete"]
            if t["duration_unit"] in rules.ELAPSED_UNIT_VALUES:
                dur = rules.as_working_minutes(dur, t["duration_unit"], mpd)
            if st and (start is None or st < start):
                start = st
            if fi and (finish is None or fi > finish):
                finish = fi
            total += dur
            done += dur * pc / 100
            pct += pc
            work += t.get("work_minutes") or 0
            critical = critical or bool(t["critical"])
            if t["violation"]:
                late += 1
        out[wp.id] = {
            "id": wp.id, "wbs_code": wp.wbs_code, "name": wp.name, "parent_id": wp.parent_id,
            "start": start, "finish": finish, "work_minutes": work,
            "percent_complete": round(done / total * 100, 1) if total else
            (round(pct / len(items), 1) if items else 0.0),
            "tasks": len(items), "critical": critical, "late_tasks": late,
        }  # fmt: skip
        if not kids and leaves is not None:
            leaves[key] = out[wp.id]
        return items

    for w in wps:
        if w.parent_id is None:
            walk(w)
    return sorted(out.values(), key=lambda d: _code_key(d["wbs_code"]))


# --------------------------------------------------------------------------------------------- settings


def set_status_date(
    s: Session, actor: Actor, project_id: int, status_date: dt.datetime | None, version: int
) -> dict[str, Any]:
    """Completed work stays where it happened; remaining work is scheduled from the status date (None: from
    the project's start, as MS Project without a status date). `version` is the schedule settings' version
    (`settings_version` of the schedule); a stale one is a 409 with the status date now set."""
    project_for(s, actor, project_id, Perm.TASK_EDIT, for_update=True)
    row = settings_row(s, project_id)
    if row.version != version:
        raise Conflict(
            "the status date was changed by someone else meanwhile; it is shown as it is now",
            field="version",
            current={"status_date": row.status_date, "version": row.version},
        )
    before = journal.snapshot(row)
    row.status_date = status_date
    row.version += 1
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="schedule",
        entity_id=project_id,
        action="update",
        project_id=project_id,
        before=before,
        after=journal.snapshot(row),
    )
    return {**plan_changed(s, project_id), "status_date": row.status_date, "settings_version": row.version}


# --------------------------------------------------------------------------------------------- baselines

MAX_BASELINES = 11


def save_baseline(
    s: Session, actor: Actor, project_id: int, *, number: int = 0, name: str = ""
) -> dict[str, Any]:
    """Save the current schedule as baseline `number` (0..10, like MS Project's Baseline 0-10), replacing
    what was saved under that number."""
    project_for(s, actor, project_id, Perm.TASK_EDIT)
    if not 0 <= number < MAX_BASELINES:
        raise ValidationError("a baseline number is 0 to 10", field="number")
    settings = settings_row(s, project_id)
    old = s.scalars(
        select(Baseline).where(Baseline.project_id == project_id, Baseline.number == number)
    ).first()
    if old is not None:
        journal.record(
            s,
            actor,
            entity_type="baseline",
            entity_id=old.id,
            action="delete",
            project_id=project_id,
            before=journal.snapshot(old),
            cause=f"baseline {number} saved again",
        )
        s.delete(old)
        s.flush()
    b = Baseline(
        project_id=project_id,
        number=number,
        name=name.strip() or f"Baseline {number}",
        saved_at=now(),
        saved_by=actor.user_id,
        finish=settings.finish,
    )
    s.add(b)
    s.flush()
    rows = s.execute(
        select(Task.id, TaskComputed.start, TaskComputed.finish, Task.duration, Task.work)
        .join(TaskComputed, TaskComputed.task_id == Task.id)
        .where(Task.project_id == project_id)
    ).all()
    if rows:
        s.execute(insert(BaselineTask), [
            {"baseline_id": b.id, "task_id": tid, "start": st, "finish": fi, "duration": du, "work": wk}
            for tid, st, fi, du, wk in rows
        ])  # fmt: skip
    journal.record(
        s,
        actor,
        entity_type="baseline",
        entity_id=b.id,
        action="create",
        project_id=project_id,
        after=journal.snapshot(b),
    )
    return baseline_dict(b, len(rows))


def baseline_dict(b: Baseline, tasks: int) -> dict[str, Any]:
    return {
        "id": b.id,
        "number": b.number,
        "name": b.name,
        "saved_at": b.saved_at,
        "finish": b.finish,
        "tasks": tasks,
    }


def list_baselines(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    project_for(s, actor, project_id)
    counts = dict(s.execute(
        select(BaselineTask.baseline_id, func.count()).join(Baseline, Baseline.id == BaselineTask.baseline_id)
        .where(Baseline.project_id == project_id).group_by(BaselineTask.baseline_id)
    ).all())  # fmt: skip
    rows = s.scalars(select(Baseline).where(Baseline.project_id == project_id).order_by(Baseline.number))
    return [baseline_dict(b, counts.get(b.id, 0)) for b in rows]


def delete_baseline(s: Session, actor: Actor, project_id: int, number: int) -> None:
    project_for(s, actor, project_id, Perm.TASK_EDIT)
    b = s.scalars(
        select(Baseline).where(Baseline.project_id == project_id, Baseline.number == number)
    ).first()
    if b is None:
        raise NotFound(f"baseline {number} has not been saved", field="number")
    journal.record(
        s,
        actor,
        entity_type="baseline",
        entity_id=b.id,
        action="delete",
        project_id=project_id,
        before=journal.snapshot(b),
    )
    s.execute(delete(Baseline).where(Baseline.id == b.id))
