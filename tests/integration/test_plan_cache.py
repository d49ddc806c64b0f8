"""The per-process plan cache (services/plan_cache.py): a task edit re-reads only the task it changed and
writes only the results that moved, and the result is always what a full recompute from the database gives,
also after another process changed the plan, after rolled-back savepoints and transactions, and after a
recompute outside `plan_changed`."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from charter.persistence.db import Database
from charter.persistence.models import Task
from charter.services import plan_cache, scheduling
from charter.services import tasks as tasks_svc

N = 30


@pytest.fixture
def net(db: Database, seed: Any) -> dict[str, Any]:
    """P1 with N tasks in a random network of FS/SS/FF links with lags (the seeded tasks stay in it)."""
    admin = seed.actor("admin")
    rng = random.Random(7)
    p = seed.p1
    with db.uow() as s:
        ids = [seed.tasks["a"], seed.tasks["b"], seed.tasks["c"]]
        for i in range(N):
            t = tasks_svc.create_task(s, admin, p, name=f"T{i}", duration=f"{rng.randint(1, 5)}d")
            ids.append(t["id"])
        for k in range(1, len(ids)):
            for j in rng.sample(range(k), min(k, 2)):
                if (j, k) == (0, 1):
                    continue  # seeded: a -> b
                kind = rng.choice(["FS", "FS", "SS", "FF"])
                tasks_svc.create_link(
                    s, admin, p, pred_id=ids[j], succ_id=ids[k], type=kind, lag=rng.randint(0, 2)
                )
    return {"p": p, "ids": ids, "admin": admin, "p2_task": seed.tasks["p2"]}


def edit(db: Database, admin: Any, p: int, tid: int, **changes: Any) -> list[int]:
    with db.uow() as s:
        version = s.get(Task, tid).version
        tasks_svc.update_task(s, admin, p, tid, version, **changes)
        return list(s.info["charter.changed_tasks"])


def assert_matches_full_recompute(db: Database, p: int) -> None:
    """A recompute from the database alone finds nothing to write: the stored schedule is the right one."""
    with db.uow(readonly=True) as s:
        scheduling.recompute(s, p)
        assert s.info["charter.changed_tasks"] == []


def full_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = scheduling.Network.__init__

    def counting(self: Any, s: Any, project_id: int) -> None:
        calls.append(project_id)
        original(self, s, project_id)

    monkeypatch.setattr(scheduling.Network, "__init__", counting)
    return calls


def random_change(rng: random.Random) -> dict[str, Any]:
    return rng.choice([
        {"duration": f"{rng.randint(1, 9)}d"},
        {"duration": f"{rng.randint(1, 30)}h"},
        {"percent_complete": float(rng.choice([0, 30, 60]))},
        {"constraint_type": "snet", "constraint_date": dt.datetime(2030, rng.randint(2, 4), rng.randint(1, 28), 9)},
        {"constraint_type": "asap"},
        {"deadline": dt.datetime(2030, rng.randint(1, 3), rng.randint(1, 28), 18)},
    ])  # fmt: skip


def test_edits_through_the_cache_match_a_full_recompute(
    db: Database, net: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = full_reads(monkeypatch)
    rng = random.Random(11)
    edit(db, net["admin"], net["p"], net["ids"][0], duration="2d")  # the first edit of this process reads all
    moved_any = False
    for _ in range(25):
        reads.clear()
        moved = edit(db, net["admin"], net["p"], rng.choice(net["ids"]), **random_change(rng))
        assert reads == []  # the edit patched the cached network instead of reading it
        moved_any |= bool(moved)
        assert_matches_full_recompute(db, net["p"])  # (this one reads in full)
    assert moved_any


def test_a_change_by_another_process_is_seen(db: Database, net: dict[str, Any]) -> None:
    other = Database(db.url)  # another engine: another process's cache
    try:
        p, ids, admin = net["p"], net["ids"], net["admin"]
        edit(db, admin, p, ids[3], duration="2d")
        edit(db, admin, p, ids[4], duration="2d")  # this process now caches the plan
        edit(other, admin, p, ids[3], duration="9d")  # and the other one changes it
        with other.uow() as s:  # a link too (not a task edit: read in full over there)
            tasks_svc.create_link(s, admin, p, pred_id=ids[5], succ_id=ids[-1], lag=20)
        edit(db, admin, p, ids[6], duration="3d")
        assert_matches_full_recompute(db, p)
        with db.uow(readonly=True) as s:
            assert s.get(Task, ids[3]).duration == 9 * scheduling.minutes_per_day(s, p)
    finally:
        other.dispose()


def test_rolled_back_savepoints_and_transactions_leave_no_trace(
    db: Database, net: dict[str, Any], frozen_clock: Any
) -> None:
    """With the clock frozen every recompute stamps the same time: only the revision tells states apart."""
    p, ids, admin = net["p"], net["ids"], net["admin"]
    other = Database(db.url)
    try:
        edit(db, admin, p, ids[3], duration="2d")
        edit(db, admin, p, ids[4], duration="2d")
        with db.uow() as s:  # a preview: two edits in a savepoint, rolled back; the transaction commits
            sp = s.begin_nested()
            for tid in (ids[3], ids[4]):
                tasks_svc.update_task(s, admin, p, tid, s.get(Task, tid).version, duration="15d")
            sp.rollback()
        with pytest.raises(RuntimeError), db.uow() as s:  # an edit whose transaction fails afterwards
            tasks_svc.update_task(s, admin, p, ids[5], s.get(Task, ids[5]).version, duration="20d")
            raise RuntimeError("something after the edit failed")
        # another process reaches the revisions the discarded states had, with other content
        edit(other, admin, p, ids[6], duration="4d")
        edit(other, admin, p, ids[7], duration="4d")
        edit(db, admin, p, ids[0], duration="25d")  # moves nearly everything: each row is written again
        assert_matches_full_recompute(db, p)
        with db.uow(readonly=True) as s:
            mpd = scheduling.minutes_per_day(s, p)
            assert [s.get(Task, t).duration for t in ids[3:5]] == [2 * mpd, 2 * mpd]
            assert s.get(Task, ids[5]).duration != 20 * mpd
    finally:
        other.dispose()


def test_a_recompute_outside_plan_changed_makes_the_cache_forget(db: Database, net: dict[str, Any]) -> None:
    p, ids, admin = net["p"], net["ids"], net["admin"]
    edit(db, admin, p, ids[3], duration="2d")
    edit(db, admin, p, ids[4], duration="2d")
    with db.uow() as s:  # a path that changes the plan without bumping the revision, then recomputes
        s.get(Task, ids[8]).duration *= 4
        assert ids[8] in {*scheduling.recompute(s, p)["critical_paths"][0], *s.info["charter.changed_tasks"]}
    edit(db, admin, p, ids[0], duration="25d")
    assert_matches_full_recompute(db, p)


def test_cache_is_cleared_and_rebuilt(
    db: Database, net: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, ids, admin = net["p"], net["ids"], net["admin"]
    edit(db, admin, p, ids[3], duration="2d")
    reads = full_reads(monkeypatch)
    plan_cache.clear()
    edit(db, admin, p, ids[4], duration="3d")
    edit(db, admin, p, ids[5], duration="3d")
    assert reads == [p]  # read once after the clear, then patched
    assert_matches_full_recompute(db, p)


def test_the_cache_keeps_a_bounded_number_of_projects(
    db: Database, net: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, ids, admin = net["p"], net["ids"], net["admin"]
    monkeypatch.setattr(plan_cache, "MAX_PROJECTS", 1)
    edit(db, admin, p, ids[3], duration="2d")
    with db.uow(readonly=True) as s:
        assert plan_cache.lookup(s, p, tuple(s.execute(_revision(p)).one())) is not None
    with db.uow() as s:  # another project's edit pushes P1 out
        other = s.get(Task, net["p2_task"])
        tasks_svc.update_task(s, admin, other.project_id, other.id, other.version, duration="3d")
    with db.uow(readonly=True) as s:
        assert plan_cache.lookup(s, p, tuple(s.execute(_revision(p)).one())) is None
    edit(db, admin, p, ids[4], duration="2d")
    assert_matches_full_recompute(db, p)


def _revision(project_id: int) -> Any:
    from sqlalchemy import select

    from charter.persistence.models import ProjectSchedule

    return select(ProjectSchedule.plan_revision, ProjectSchedule.computed_at).where(
        ProjectSchedule.project_id == project_id
    )


def _open_gantt(db: Database, project_id: int, *, page: str = "gantt.json", username: str = "ganttpm") -> Any:
    """GET /projects/{id}/gantt.json (or the page) as a signed-in user (an admin created here with a password)."""
    import re

    from fastapi.testclient import TestClient

    from charter.app import create_app
    from charter.services import accounts
    from charter.services.context import SYSTEM

    password = "plan-cache-test-password"
    with db.uow() as s:
        if not accounts_exist(s, username):
            accounts.create_user(
                s, SYSTEM, username=username, display_name="Gantt", password=password, is_admin=True
            )
    with TestClient(create_app(db), follow_redirects=False) as client:
        m = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert m
        data = {"username": username, "password": password, "csrf_token": m.group(1), "next": "/projects"}
        assert client.post("/login", data=data).status_code == 303
        r = client.get(f"/projects/{project_id}/{page}")
        assert r.status_code == 200
        return r.json() if page.endswith(".json") else r.text


def accounts_exist(s: Any, username: str) -> bool:
    from sqlalchemy import select

    from charter.persistence.models import User

    return s.scalars(select(User.id).where(User.username == username)).first() is not None


def _cached(db: Database, p: int) -> Any:
    with db.uow(readonly=True) as s:
        return plan_cache.lookup(s, p, tuple(s.execute(_revision(p)).one()))


def test_opening_the_gantt_warms_the_cache(
    db: Database, net: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a server start the cache is empty: opening the chart fills it with the current revision, read
    from the stored rows, so the first drag patches the network instead of reading the project in full, and
    its result is still the one a full recompute gives."""
    p, ids, admin = net["p"], net["ids"], net["admin"]
    edit(db, admin, p, ids[3], duration="2d")
    plan_cache.clear()  # a restart
    assert _cached(db, p) is None
    data = _open_gantt(db, p)
    entry = _cached(db, p)
    assert entry is not None
    with db.uow(readonly=True) as s:
        assert data["plan_revision"] == s.execute(_revision(p)).one()[0]
    assert sorted(entry.net.ids) == sorted(t["id"] for t in data["tasks"])
    reads = full_reads(monkeypatch)
    edit(db, admin, p, ids[0], duration="6d")  # moves nearly everything
    edit(db, admin, p, ids[5], duration="4d")
    assert reads == []  # the first edits after the "restart" used the warmed entry
    assert_matches_full_recompute(db, p)  # (this one reads in full)
    # the other project's plan is not in the cache: only the project opened is warmed
    with db.uow(readonly=True) as s:
        other = s.get(Task, net["p2_task"]).project_id
        assert plan_cache.lookup(s, other, tuple(s.execute(_revision(other)).one())) is None


def test_a_warmed_entry_is_refreshed_not_reused_after_another_process_changed_the_plan(
    db: Database, net: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warmed entry names the revision the chart was read at; after another process's change it is not
    the current state, so the next edit brings it up to date with the rows stamped since (no full read) and
    the result equals a full recompute."""
    p, ids, admin = net["p"], net["ids"], net["admin"]
    edit(db, admin, p, ids[3], duration="2d")
    plan_cache.clear()
    _open_gantt(db, p, page="gantt")  # the page, which embeds the chart's data
    assert _cached(db, p) is not None
    other = Database(db.url)  # another process changes the plan: this one's entry names an old revision
    try:
        edit(other, admin, p, ids[3], duration="11d")
    finally:
        other.dispose()
    assert _cached(db, p) is None
    reads = full_reads(monkeypatch)
    edit(db, admin, p, ids[4], duration="5d")
    assert reads == []  # refreshed from the warmed entry with the other process's rows, not read in full
    assert_matches_full_recompute(db, p)
    with db.uow(readonly=True) as s:
        assert s.get(Task, ids[3]).duration == 11 * scheduling.minutes_per_day(s, p)


def test_a_stale_read_does_not_warm_or_replace_a_newer_entry(db: Database, net: dict[str, Any]) -> None:
    """An entry whose revision is no longer current is not published, and one of an older revision does not
    push out a newer one (a reader that finished after a writer published)."""
    p, ids, admin = net["p"], net["ids"], net["admin"]
    edit(db, admin, p, ids[3], duration="2d")
    with db.uow(readonly=True) as s:
        rev, at = s.execute(_revision(p)).one()
        assert not plan_cache.warm(s, p, (rev - 1, at), object())  # not the database's revision
        held = plan_cache.lookup(s, p, (rev, at))
        assert held is not None
    plan_cache.clear()
    _open_gantt(db, p)
    warmed = _cached(db, p)
    edit(db, admin, p, ids[4], duration="3d")  # publishes revision rev + 1
    newer = _cached(db, p)
    assert newer is not None and newer is not warmed
    with db.uow(readonly=True) as s:
        rev2, _at2 = s.execute(_revision(p)).one()
        assert rev2 == rev + 1
        # an old reader reaching warm now would be told its revision is not current
        assert not plan_cache.warm(s, p, (rev, at), warmed)
    assert _cached(db, p) is newer


def test_only_a_reading_transaction_warms(db: Database, net: dict[str, Any]) -> None:
    """The chart's data read inside a transaction that changes things (the drag's own answer) or without
    `warm_cache` leaves the cache alone: what such a transaction reads may never be committed."""
    p, ids, admin = net["p"], net["ids"], net["admin"]
    edit(db, admin, p, ids[3], duration="2d")
    plan_cache.clear()
    with db.uow(readonly=True) as s:
        scheduling.gantt_schedule(s, admin, p)
    assert _cached(db, p) is None
    with pytest.raises(RuntimeError), db.uow() as s:
        s.get(Task, ids[8]).duration *= 4  # not flushed: the Gantt's Core reads do not see it either
        scheduling.gantt_schedule(s, admin, p, warm_cache=True)
        raise RuntimeError("rolled back")
    assert _cached(db, p) is None
    with db.uow(readonly=True) as s:
        scheduling.gantt_schedule(s, admin, p, warm_cache=True)
    assert _cached(db, p) is not None


# ------------------------------------------------------- another process's changes: read only what changed


def _datetimes(a: Any) -> Any:
    return a.view("int64") if a.dtype.kind == "M" else a


def assert_same_as_full_read(s: Any, p: int, entry: Any) -> None:
    """`entry` (brought up to date from the stamped rows) is exactly what reading the project in full gives."""
    import numpy as np
    from sqlalchemy import select

    from charter.persistence.models import TaskComputed

    full = scheduling.Network.__new__(scheduling.Network)
    _network_init(full, s, p)
    net = entry.net
    assert net.ids == full.ids
    assert [tuple(r) for r in net.rows] == [tuple(r) for r in full.rows]
    assert net.index == full.index
    for f in ("link_id", "pred", "succ", "src", "dst", "typ", "lag", "kind"):
        assert np.array_equal(getattr(net, f), getattr(full, f)), f
    inputs = scheduling._Inputs(full.rows)
    for f in scheduling._Inputs.FIELDS:
        assert np.array_equal(_datetimes(getattr(entry.inputs, f)), _datetimes(getattr(inputs, f))), f
    st = entry.stored
    assert st.ids == full.ids
    rows = {r[0]: r for r in s.execute(select(TaskComputed.task_id, *(getattr(TaskComputed, c) for c in
                                                                      scheduling._COLS))).all()}  # fmt: skip
    assert st.absent == {t for t in full.ids if t not in rows}
    for i, tid in enumerate(st.ids):
        if tid in st.absent:
            continue
        r = rows[tid]
        dates = [None if np.isnat(d[i]) else d[i].item() for d in st.dates]
        assert (*dates, int(st.tf[i]), int(st.ff[i]), bool(st.crit[i]), st.viol.get(tid)) == tuple(r[1:]), tid


_network_init = scheduling.Network.__init__


def refreshes(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Check every entry brought up to date against a full read in the same transaction; counts them."""
    done: list[Any] = []
    original = scheduling._refreshed

    def checked(s: Any, p: int, entry: Any, since: int) -> Any:
        out = original(s, p, entry, since)
        if out is not None:
            assert_same_as_full_read(s, p, out)
        done.append(out is not None)
        return out

    monkeypatch.setattr(scheduling, "_refreshed", checked)
    return done


def assert_output_is_a_full_recompute(db: Database, p: int) -> None:
    """One more plan change through the cache (nothing changed) answers what a recompute from the database
    alone answers, and writes nothing."""
    with db.uow() as s:
        cached = scheduling.plan_changed(s, p)
        assert s.info["charter.changed_tasks"] == []
    with db.uow(readonly=True) as s:
        full = scheduling.recompute(s, p)
        assert s.info["charter.changed_tasks"] == []
    assert cached == full


def _link_ids(db: Database, p: int) -> list[tuple[int, int, int, int]]:
    from sqlalchemy import select

    from charter.persistence.models import TaskLink

    with db.uow(readonly=True) as s:
        return [tuple(r) for r in s.execute(select(TaskLink.id, TaskLink.version, TaskLink.pred_id,
                                                   TaskLink.succ_id).where(TaskLink.project_id == p)).all()]  # fmt: skip


def random_edit(
    db: Database, admin: Any, p: int, ids: list[int], rng: random.Random, *, deletes: bool
) -> str:
    """One edit of another process: a task's fields, a link added, changed or removed, a task added or
    deleted, a day off in the project calendar."""
    from charter.domain.errors import Conflict
    from charter.services import calendars

    kinds = ["task", "task", "link+", "link~", "task+", "calendar"] + (["link-", "task-"] if deletes else [])
    kind = rng.choice(kinds)
    with db.uow() as s:
        if kind == "task":
            t = s.get(Task, rng.choice(ids))
            tasks_svc.update_task(s, admin, p, t.id, t.version, **random_change(rng))
        elif kind == "link+":  # from an earlier task to a later one: never a cycle
            a, b = sorted(rng.sample(range(len(ids)), 2))
            if (ids[a], ids[b]) in {(x[2], x[3]) for x in _link_ids(db, p)}:
                return "none"
            tasks_svc.create_link(s, admin, p, pred_id=ids[a], succ_id=ids[b], type=rng.choice(["FS", "SS", "FF"]),
                                  lag=rng.randint(0, 3))  # fmt: skip
        elif kind == "link~":
            lid, version, *_ = rng.choice(_link_ids(db, p))
            tasks_svc.update_link(
                s, admin, p, lid, version, lag=rng.randint(0, 4), type=rng.choice(["FS", "SS"])
            )
        elif kind == "link-":
            lid, version, *_ = rng.choice(_link_ids(db, p))
            tasks_svc.delete_link(s, admin, p, lid, version)
        elif kind == "task+":
            t = tasks_svc.create_task(s, admin, p, name=f"N{len(ids)}", duration=f"{rng.randint(1, 4)}d")
            tasks_svc.create_link(s, admin, p, pred_id=rng.choice(ids), succ_id=t["id"])
            ids.append(t["id"])
        elif kind == "task-":
            tid = ids.pop(rng.randrange(3, len(ids)))
            tasks_svc.delete_task(s, admin, p, tid, s.get(Task, tid).version)
        else:  # a day off within the schedule: moves most tasks, stamps their stored rows
            cal = calendars.project_calendar_row(s, p)
            day = dt.date(2030, 1, 8) + dt.timedelta(days=rng.randint(0, 40))
            try:
                calendars.add_exception(s, admin, p, cal.id, day=day, name="off")
            except Conflict:
                return "none"
            scheduling.plan_changed(s, p)
    return kind


def test_another_processs_changes_are_read_as_rows_changed_since(
    db: Database, net: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Process B caches the plan; process A makes random changes (no deletions); B's next edit reads only the
    rows changed since its revision, and its entry and results are exactly a full read's."""
    p, ids, admin = net["p"], list(net["ids"]), net["admin"]
    other = Database(db.url)
    try:
        rng = random.Random(5)
        edit(other, admin, p, ids[3], duration="2d")  # B caches the plan
        done = refreshes(monkeypatch)
        reads = full_reads(monkeypatch)
        refreshed = 0
        for k in range(10):
            before = _revision_of(db, p)
            kinds = [random_edit(db, admin, p, ids, rng, deletes=False) for _ in range(rng.randint(1, 4))]
            moved_on = _revision_of(db, p) != before  # else B holds the current revision: a plain cache hit
            reads.clear()
            done.clear()
            edit(other, admin, p, rng.choice(ids), duration=f"{k + 10}d")  # a value no edit of A gives
            assert (reads, done) == ([], [True] if moved_on else []), (
                kinds
            )  # brought up to date, not read in full
            refreshed += moved_on
            assert_matches_full_recompute(other, p)
        assert refreshed >= 5
        reads.clear()
        assert_output_is_a_full_recompute(other, p)
    finally:
        other.dispose()


def _revision_of(db: Database, p: int) -> int:
    with db.uow(readonly=True) as s:
        return int(scheduling.settings_row(s, p).plan_revision)


def test_a_deletion_by_another_process_makes_a_full_read(
    db: Database, net: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, ids, admin = net["p"], list(net["ids"]), net["admin"]
    other = Database(db.url)
    try:
        for k, victim in enumerate(("link", "task")):
            edit(other, admin, p, ids[3], duration=f"{k + 11}d")  # B caches the plan
            with db.uow() as s:  # A deletes a task or a link, and adds one (the count alone would not tell)
                if victim == "link":
                    lid, version, *_ = min(_link_ids(db, p))  # (SQLite would give the last id again)
                    tasks_svc.delete_link(s, admin, p, lid, version)
                    tasks_svc.create_link(s, admin, p, pred_id=ids[1], succ_id=ids[-1], lag=7)
                else:
                    tid = ids.pop(5)
                    tasks_svc.delete_task(s, admin, p, tid, s.get(Task, tid).version)
                    ids.append(tasks_svc.create_task(s, admin, p, name="new", duration="2d")["id"])
            done = refreshes(monkeypatch)
            reads = full_reads(monkeypatch)
            edit(other, admin, p, ids[4], duration=f"{k + 21}d")
            assert (reads, done) == ([p], [False])
            assert_matches_full_recompute(other, p)
            monkeypatch.undo()
    finally:
        other.dispose()


def test_structural_edits_of_one_process_read_only_their_rows(
    db: Database, net: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding a task or a link, changing a link or the calendar: read as the rows this edit stamped."""
    p, ids, admin = net["p"], list(net["ids"]), net["admin"]
    edit(db, admin, p, ids[3], duration="2d")
    done = refreshes(monkeypatch)
    reads: list[bool] = []  # per recompute of a plan change: read in full?
    original = scheduling._recompute

    def recompute(s: Any, pid: int, base: Any, touched: Any, stamp: int) -> Any:
        reads.append(base is None or touched is None)
        return original(s, pid, base, touched, stamp)

    monkeypatch.setattr(scheduling, "_recompute", recompute)
    rng = random.Random(3)
    for _ in range(12):  # (a new link's cycle check still reads the network: create_link)
        kind = random_edit(db, admin, p, ids, rng, deletes=False)
        assert not any(reads), kind
        assert_matches_full_recompute(db, p)
        reads.clear()
    assert len(done) >= 6 and all(done)
    assert_output_is_a_full_recompute(db, p)


def test_rows_written_outside_plan_changed_are_read_again(
    db: Database, net: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task changed and recomputed without a revision bump (stamped pending) is part of what B reads."""
    p, ids, admin = net["p"], net["ids"], net["admin"]
    other = Database(db.url)
    try:
        edit(other, admin, p, ids[3], duration="12d")  # B caches the plan
        with db.uow() as s:
            s.get(Task, ids[8]).duration *= 5
            scheduling.recompute(s, p)
        done = refreshes(monkeypatch)
        edit(other, admin, p, ids[4], duration="13d")
        assert done == [True]
        assert_matches_full_recompute(other, p)
        with other.uow(readonly=True) as s:
            assert s.get(Task, ids[8]).plan_rev == scheduling.settings_row(s, p).plan_revision
        assert_output_is_a_full_recompute(other, p)
    finally:
        other.dispose()


def test_random_edit_sequences_of_two_processes_match_a_full_read(
    db: Database, net: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hypothesis draws sequences of edits (deletions too) that two processes take turns at; every entry
    brought up to date equals a full read, and every stored schedule is a full recompute's."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    p, ids, admin = net["p"], list(net["ids"]), net["admin"]
    other = Database(db.url)
    done = refreshes(monkeypatch)
    counter = iter(range(10, 10_000))

    @settings(max_examples=6, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(seed=st.integers(0, 2**32 - 1), turns=st.lists(st.booleans(), min_size=1, max_size=6))
    def run(seed: int, turns: list[bool]) -> None:
        rng = random.Random(seed)
        for mine in turns:
            who = db if mine else other
            if rng.random() < 0.5:
                random_edit(who, admin, p, ids, rng, deletes=len(ids) > 12)
            else:
                edit(who, admin, p, rng.choice(ids), duration=f"{next(counter) % 50 + 10}h")
            assert_matches_full_recompute(who, p)

    try:
        run()
        assert any(done)  # some entries were brought up to date (each checked against a full read)
    finally:
        other.dispose()


# --------------------------------------------------------------------------------------------- plan-free edits


PLAN_FREE_VALUES = {
    "name": "Renamed",
    "description": "New words",
    "priority": 900,
    "optimistic": "1d",
    "most_likely": "2d",
    "pessimistic": "6d",
    "custom_fields": {"Customer": "ACME"},  # a text field the test defines
}


def test_plan_free_fields_are_exactly_those_that_touch_no_engine_input() -> None:
    assert set(PLAN_FREE_VALUES) == tasks_svc.PLAN_FREE_FIELDS
    assert not tasks_svc.PLAN_FREE_FIELDS & set(scheduling.ENGINE_FIELDS)
    assert tasks_svc.PLAN_FREE_FIELDS <= tasks_svc.EDITABLE


@pytest.mark.parametrize(
    "fields",
    [
        ("name",),
        ("description",),
        ("priority",),
        ("optimistic", "most_likely", "pessimistic"),
        ("custom_fields",),
    ],
)  # a three-point estimate is set as a whole
def test_plan_free_edits_take_no_plan_lock_and_leave_the_plan_alone(
    db: Database, net: dict[str, Any], fields: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, tid = net["p"], net["ids"][5]
    if "custom_fields" in fields:
        from charter.services import custom_fields

        with db.uow() as s:
            custom_fields.create_field(s, net["admin"], p, name="Customer", kind="text")
    locks: list[int] = []
    original = tasks_svc.lock_plan
    monkeypatch.setattr(tasks_svc, "lock_plan", lambda s, pid: (locks.append(pid), original(s, pid)))
    before = _revision_of(db, p)
    assert edit(db, net["admin"], p, tid, **{f: PLAN_FREE_VALUES[f] for f in fields}) == []
    assert locks == []
    assert _revision_of(db, p) == before
    edit(db, net["admin"], p, tid, duration="7d")  # anything else takes it
    assert locks == [p]
    assert_matches_full_recompute(db, p)


def test_a_plan_free_edit_does_not_wait_for_another_tasks_rescheduling(
    db: Database, net: dict[str, Any]
) -> None:
    """PostgreSQL: while one transaction holds the plan lock (a reschedule in progress), a description edit of
    another task commits at once; a duration edit would wait for the lock (lock_timeout makes that an error
    here instead of a wait). Both end in the final state, and the stored schedule is a full recompute's."""
    if db.is_sqlite:
        pytest.skip("SQLite serialises every writer at BEGIN IMMEDIATE: there is no plan lock to skip")
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    p, admin = net["p"], net["admin"]
    a, b = net["ids"][5], net["ids"][9]
    with db.uow() as holder:
        v = holder.get(Task, a).version
        tasks_svc.update_task(holder, admin, p, a, v, duration="9d")  # holds the plan lock until commit
        with db.uow() as s:
            s.execute(text("SET LOCAL lock_timeout = '2s'"))
            vb = s.get(Task, b).version
            tasks_svc.update_task(s, admin, p, b, vb, description="while another task reschedules")
        with pytest.raises(OperationalError), db.uow() as s:
            s.execute(text("SET LOCAL lock_timeout = '200ms'"))
            vb = s.get(Task, b).version
            tasks_svc.update_task(s, admin, p, b, vb, duration="4d")
    with db.uow(readonly=True) as s:
        assert s.get(Task, b).description == "while another task reschedules"
        assert s.get(Task, a).duration == 9 * 8 * 60
    assert_matches_full_recompute(db, p)
