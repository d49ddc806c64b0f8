"""The Gantt's task rows, kept per process and brought up to date by reading only what changed.

Opening the Gantt of a 10,000-task project used to read 10,000 task rows with their stored results (27 columns,
most of them datetimes), sort them by WBS code and build 10,000 dicts: about 100 ms of one core per request,
which under load was a third of all the server's time. Most opens follow an edit or two of a few tasks, so this
module keeps, per database engine and project, the rows read last time and reads again only:

- the task rows whose ``version`` differs from the cached row's (any ORM update of a task bumps it: a name,
  a description, a duration...), found by one narrow query of ids and versions;
- the task rows whose stored results (``task_computed``) were stamped with a plan revision above the cached
  one (``plan_rev``, see plan_cache): what a reschedule moved;
- the links stamped above the cached revision, when the plan revision moved.

Anything structural is read in full instead: a task or link added or removed (the id sets or counts differ), a
re-read task whose WBS code or package changed (a move renumbers its siblings without bumping their versions),
a package whose code or parent changed, another minutes-per-day figure, a plan revision lower than the cached
one (a restored database), or an entry older than ``MAX_AGE`` seconds (a bound on any change this misses).
Cached rows and dicts are shared between requests: callers treat them as read-only.

Each row is self-consistent (one statement read it with its version), and rows stamped after the revision an
entry is keyed by are read again next time, so a row never stays older than what the database holds.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from charter.persistence.db import plain_rows
from charter.persistence.models import Task, TaskComputed, TaskLink

MAX_PROJECTS = 8  # projects kept per engine (each 10,000-task project: a few MB)
# seconds before an entry is rebuilt from a full read whatever happened: a bound on changes the checks above
# would miss (none is known: the random two-process tests find none). A full read of 10,000 tasks costs about
# 200 ms of one core against 40 ms brought up to date; at 30 s it was the Gantt's p99 under load.
MAX_AGE = 300.0
REREAD_LIMIT = 2000  # more changed rows than this: one full read is cheaper than an IN list

_lock = threading.Lock()
_entries: dict[Any, OrderedDict[int, Entry]] = {}


@dataclass
class Entry:
    revision: tuple[Any, ...]
    mpd: int
    built: float
    rows: dict[int, Any]  # task id -> the row as the Gantt query returns it (version at index VERSION)
    tasks: dict[int, dict[str, Any]]  # task id -> the drawn task (read-only)
    order: list[int]  # task ids in WBS order
    links: dict[int, Any]  # link id -> (id, pred_id, succ_id, type, lag, lag_kind)
    wps: tuple[Any, ...]  # (id, wbs_code, name, parent_id) of every package, sorted
    fragments: dict[tuple[int, bool], orjson.Fragment] = field(default_factory=dict)
    # computed from the rows by the Gantt read: "all" (summaries, links, flags), "links" (the drawn links)
    derived: dict[str, Any] = field(default_factory=dict)
    # summaries of packages without sub-packages by package row (scheduling._rollup), kept for the packages
    # none of whose tasks changed
    leaves: dict[Any, dict[str, Any]] = field(default_factory=dict)


VERSION = 16  # index of tasks.version in the Gantt query's rows
CODE, PACKAGE = 1, 3


def _engine_key(s: Session) -> Any:
    bind = s.get_bind()
    return getattr(bind, "engine", bind)


def clear() -> None:
    with _lock:
        _entries.clear()


def _held(s: Session, project_id: int) -> Entry | None:
    with _lock:
        return _entries.get(_engine_key(s), OrderedDict()).get(project_id)


def _publish(s: Session, project_id: int, entry: Entry) -> None:
    with _lock:
        per = _entries.setdefault(_engine_key(s), OrderedDict())
        held = per.get(project_id)
        if held is not None and (held.revision[0] or 0) > (entry.revision[0] or 0):
            return  # a newer one was published meanwhile
        per[project_id] = entry
        per.move_to_end(project_id)
        while len(per) > MAX_PROJECTS:
            per.popitem(last=False)


def current(
    s: Session,
    project_id: int,
    revision: tuple[Any, ...],
    mpd: int,
    wps: Sequence[Any],
    read_rows: Callable[[Sequence[int] | None], Sequence[Any]],
    read_links: Callable[[int | None], Sequence[Any]],
    build_task: Callable[[Any], dict[str, Any]],
    code_key: Callable[[str], Any],
) -> Entry:
    """The project's Gantt rows as the database holds them now. `read_rows(ids)` reads the Gantt query's rows
    (of these task ids, None: all), `read_links(since)` the links (stamped above `since`, None: all),
    `build_task(row)` turns a row into the drawn task. `revision` was read before any of them."""
    wp_key = tuple(sorted((w[0], w[1], w[2], w[3]) for w in wps))
    held = _held(s, project_id)
    entry = _refreshed(s, project_id, held, revision, mpd, wp_key, read_rows, read_links, build_task)
    if entry is None:
        rows = {r[0]: r for r in read_rows(None)}
        entry = Entry(
            revision=revision,
            mpd=mpd,
            built=time.monotonic(),
            rows=rows,
            tasks={tid: build_task(r) for tid, r in rows.items()},
            order=sorted(rows, key=lambda tid: code_key(rows[tid][CODE])),
            links={lk[0]: lk for lk in read_links(None)},
            wps=wp_key,
        )
    if entry is not held:
        _publish(s, project_id, entry)
    return entry


def _refreshed(
    s: Session,
    project_id: int,
    held: Entry | None,
    revision: tuple[Any, ...],
    mpd: int,
    wp_key: tuple[Any, ...],
    read_rows: Callable[[Sequence[int] | None], Sequence[Any]],
    read_links: Callable[[int | None], Sequence[Any]],
    build_task: Callable[[Any], dict[str, Any]],
) -> Entry | None:
    """`held` brought up to date (itself when nothing changed), or None when a full read is needed."""
    if held is None or held.mpd != mpd or time.monotonic() - held.built > MAX_AGE:
        return None
    if [(i, code, parent) for i, code, _, parent in held.wps] != [
        (i, code, parent) for i, code, _, parent in wp_key
    ]:
        return None  # a package added, removed, moved or renumbered: task codes may have changed
    old_rev, new_rev = held.revision[0] or 0, revision[0] or 0
    if new_rev < old_rev:
        return None
    conn = s.connection()
    t = Task.__table__.c
    versions = plain_rows(conn, select(t.id, t.version).where(t.project_id == project_id))
    if len(versions) != len(held.rows):
        return None
    stale = [tid for tid, v in versions if (r := held.rows.get(tid)) is None or r[VERSION] != v]
    if any(tid not in held.rows for tid in stale):
        return None  # a task removed and another added (the counts are equal)
    links = held.links
    if revision != held.revision:
        c = TaskComputed.__table__.c
        moved = conn.execute(
            select(c.task_id).where(c.project_id == project_id, c.plan_rev > old_rev)
        ).scalars()
        stale = sorted(set(stale).union(moved))
        lc = TaskLink.__table__.c
        count = conn.execute(select(func.count()).where(lc.project_id == project_id)).scalar_one()
        links = dict(held.links)
        for lk in read_links(old_rev):
            links[lk[0]] = lk
        if len(links) != count:
            return None  # a link removed
    if not stale and links is held.links and wp_key == held.wps and revision == held.revision:
        return held
    if len(stale) > REREAD_LIMIT:
        return None
    fresh = read_rows(stale) if stale else []
    if len(fresh) != len(stale):
        return None  # removed meanwhile
    rows = dict(held.rows)
    tasks = dict(held.tasks)
    for r in fresh:
        old = rows[r[0]]
        if old[CODE] != r[CODE] or old[PACKAGE] != r[PACKAGE]:
            return None  # moved: its siblings were renumbered without a version bump
        rows[r[0]] = r
        tasks[r[0]] = build_task(r)
    # the drawn links stay while the links and the minutes per day (checked above) are the same
    kept = {"links": held.derived["links"]} if links is held.links and "links" in held.derived else {}
    gone = set(stale)
    touched = {held.rows[tid][PACKAGE] for tid in gone}  # a moved task reads in full (below)
    leaves = {k: v for k, v in held.leaves.copy().items() if k[0] not in touched}
    # copied in one C call first: other requests' threads add fragments to the held entry meanwhile
    fragments = {k: v for k, v in held.fragments.copy().items() if k[0] not in gone}
    return Entry(
        revision=revision,
        mpd=mpd,
        built=held.built,
        rows=rows,
        tasks=tasks,
        order=held.order,
        links=links,
        wps=wp_key,
        fragments=fragments,
        derived=kept,
        leaves=leaves,
    )


def task_fragments(entry: Entry, editable: dict[int | None, bool]) -> list[orjson.Fragment]:
    """The drawn tasks in WBS order as encoded JSON, each with its "editable" flag last (as the dicts with
    the flag added would encode), encoded once per task and flag."""
    out: list[orjson.Fragment] = []
    frags = entry.fragments
    tasks = entry.tasks
    for tid in entry.order:
        d = tasks[tid]
        flag = bool(editable.get(d["work_package_id"], False))
        f = frags.get((tid, flag))
        if f is None:
            f = frags[tid, flag] = orjson.Fragment(orjson.dumps({**d, "editable": flag}, default=_iso))
        out.append(f)
    return out


def _iso(o: Any) -> str:
    if hasattr(o, "isoformat"):
        return str(o.isoformat())
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")
