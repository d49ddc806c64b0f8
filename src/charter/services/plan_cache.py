"""A per-process cache of each project's network and stored schedule, keyed by the project's plan revision.

Rescheduling after one edit recomputes the whole project (the engine needs 2 ms for 10,000 tasks), but reading
10,000 task rows and 10,000 stored results back from the database costs far more than that. The cache keeps,
per database engine and project, what the last committed recompute of this process read and wrote, together
with the plan revision (``project_schedules.plan_revision``) it belongs to and the time its recompute
stamped (``computed_at``; together they name one committed state even across a restored backup). Every plan change bumps that
revision in the database, in the transaction that makes the change, so an entry is usable as it is only as the
state of exactly the revision the transaction read before bumping it.

An entry of an older revision (another process made the changes since, or a rolled-back transaction or
savepoint, or a path outside ``plan_changed`` changed rows) is brought up to date instead of read again: every
row of ``tasks``, ``task_links`` and ``task_computed`` carries ``plan_rev``, the revision at which it last
changed. Any INSERT or UPDATE that does not set it writes ``PLAN_REV_PENDING`` (2**31 - 1: the column's
default and onupdate, so ORM and Core writes alike), and ``plan_changed`` stamps the project's pending tasks
and links with the revision it bumps to, in the same transaction; the recompute stamps the stored rows it
writes with that revision (a recompute outside ``plan_changed``, which bumps none, with the next one, under the
plan lock: no state of that revision can be older than them). So every row that changed after revision r has
``plan_rev > r``, and ``scheduling._refreshed`` reads just those (tasks and links through an index on
``(project_id, plan_rev)``; the stored rows, rewritten by the thousand, have none and are filtered) and
patches a copy of the entry. Deletions leave no row to stamp: the numbers of tasks and links
are compared, and as every row that exists either is unchanged since r (so in the entry) or is read, equal
counts mean nothing was deleted; otherwise the project is read in full. The entry holds only the tasks' engine
fields, the links and the stored results: calendars, the project's start, the status date and the critical
threshold are read by every recompute, so their changes need no stamp.

Entries are staged in the session and published only after the transaction commits, and only if the revision
in the database is still the one they were computed for just before the commit (a savepoint that bumped the
revision and was then rolled back leaves a staged entry ahead of the database). A recompute outside
``plan_changed`` (no revision bump) never uses the cache and evicts the project's entry when its transaction
commits. Restoring a database backup under a running server requires a restart (as it does anyway).

Entries are immutable once published (patches copy), so threads of one process can share them.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from charter.persistence.models import ProjectSchedule

_STAGED = "charter.plan_cache.staged"
_EVICT = "charter.plan_cache.evict"
_READY = "charter.plan_cache.ready"
_WROTE = "charter.plan_cache.wrote"  # this transaction flushed changes (it may read its own uncommitted rows)
READONLY = "charter.readonly"  # set by Database.uow(readonly=True): the transaction is rolled back at its end

MAX_PROJECTS = 32  # per database: the projects edited most recently (an entry of 10,000 tasks is a few MB)

_lock = threading.Lock()
_entries: weakref.WeakKeyDictionary[Engine, OrderedDict[int, tuple[tuple[Any, ...], Any]]] = (
    weakref.WeakKeyDictionary()
)


def _engine(s: Session) -> Engine | None:
    bind = s.get_bind()
    return bind if isinstance(bind, Engine) else getattr(bind, "engine", None)


def lookup(s: Session, project_id: int, revision: tuple[Any, ...]) -> Any | None:
    """The entry for `revision` (plan revision, computed_at) of the project: staged by this session's transaction, else published."""
    if project_id in s.info.get(_EVICT, ()):
        return None
    staged = s.info.get(_STAGED, {}).get(project_id)
    if staged is not None:
        return staged[1] if staged[0] == revision else None
    engine = _engine(s)
    if engine is None:
        return None
    with _lock:
        hit = _entries.get(engine, OrderedDict()).get(project_id)
    return hit[1] if hit is not None and hit[0] == revision else None


def latest(s: Session, project_id: int) -> tuple[tuple[Any, ...], Any] | None:
    """The published entry of the project whatever its revision, with that revision (a state to bring up to
    date from the rows stamped since); None when this session changed the project outside ``plan_changed``."""
    if project_id in s.info.get(_EVICT, ()):
        return None
    engine = _engine(s)
    if engine is None:
        return None
    with _lock:
        return _entries.get(engine, OrderedDict()).get(project_id)


def stage(s: Session, project_id: int, revision: tuple[Any, ...], entry: Any) -> None:
    """Remember `entry` as the state of `revision`, to be published when the transaction commits."""
    s.info.setdefault(_STAGED, {})[project_id] = (revision, entry)


def discard(s: Session, project_id: int) -> None:
    """Forget what this transaction staged for the project (before a change whose outcome is not known yet)."""
    s.info.get(_STAGED, {}).pop(project_id, None)


def distrust(s: Session, project_id: int) -> None:
    """The project's stored state changed outside ``plan_changed``: use no entry for it in this session, and
    drop the published one when the transaction commits."""
    discard(s, project_id)
    s.info.setdefault(_EVICT, set()).add(project_id)


def warm(s: Session, project_id: int, revision: tuple[Any, ...], entry: Any) -> bool:
    """Publish `entry`, built by a reading transaction (the Gantt's) from rows it read after it read
    `revision`, if the database still holds that revision now: revisions only grow, so an unchanged one means
    no change to the plan committed while the rows were read. An entry of a newer revision is kept."""
    if not s.info.get(READONLY) or s.info.get(_WROTE) or s.info.get(_STAGED) or s.info.get(_EVICT):
        return False  # a transaction that changes things may read what is never committed
    if s.new or s.dirty or s.deleted:
        return False
    engine = _engine(s)
    if engine is None:
        return False
    c = ProjectSchedule.__table__.c
    q = select(c.plan_revision, c.computed_at).where(c.project_id == project_id)
    if tuple(s.connection().execute(q).one_or_none() or ()) != revision:
        return False
    with _lock:
        per = _entries.setdefault(engine, OrderedDict())
        held = per.get(project_id)
        if held is not None and (held[0][0] or 0) > (revision[0] or 0):
            return False
        per[project_id] = (revision, entry)
        per.move_to_end(project_id)
        while len(per) > MAX_PROJECTS:
            per.popitem(last=False)
    return True


def clear() -> None:
    """Drop every entry, and the Gantt's cached rows (tests; after restoring a backup in-process)."""
    from charter.services import gantt_rows

    with _lock:
        _entries.clear()
    gantt_rows.clear()


@event.listens_for(Session, "after_flush")
def _after_flush(s: Session, _ctx: Any) -> None:
    s.info[_WROTE] = True


@event.listens_for(Session, "before_commit")
def _before_commit(s: Session) -> None:
    staged: dict[int, tuple[tuple[Any, ...], Any]] = s.info.pop(_STAGED, {})
    if not staged or s.get_nested_transaction() is not None:
        if staged:
            s.info[_STAGED] = staged  # a savepoint's release: keep them for the real commit
        return
    c = ProjectSchedule.__table__.c
    q = select(c.project_id, c.plan_revision, c.computed_at).where(c.project_id.in_(list(staged)))
    current = {pid: (rev, at) for pid, rev, at in s.connection().execute(q).all()}
    evict = s.info.get(_EVICT, set())
    s.info[_READY] = {
        pid: (rev, entry)
        for pid, (rev, entry) in staged.items()
        if current.get(pid) == rev and pid not in evict
    }


@event.listens_for(Session, "after_commit")
def _after_commit(s: Session) -> None:
    if s.get_nested_transaction() is not None:
        return  # a savepoint's release: the outer transaction is still open
    s.info.pop(_WROTE, None)
    ready: dict[int, tuple[tuple[Any, ...], Any]] = s.info.pop(_READY, {})
    evict: set[int] = s.info.pop(_EVICT, set())
    if not ready and not evict:
        return
    engine = _engine(s)
    if engine is None:
        return
    with _lock:
        per = _entries.setdefault(engine, OrderedDict())
        for pid in evict:
            per.pop(pid, None)
        for pid, item in ready.items():
            per[pid] = item
            per.move_to_end(pid)
        while len(per) > MAX_PROJECTS:
            per.popitem(last=False)


@event.listens_for(Session, "after_rollback")
def _after_rollback(s: Session) -> None:
    if s.get_nested_transaction() is None:  # the whole transaction (a savepoint's is caught at commit)
        s.info.pop(_READY, None)
        s.info.pop(_WROTE, None)
        s.info.pop(_STAGED, None)
        s.info.pop(_EVICT, None)
