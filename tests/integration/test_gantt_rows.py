"""The Gantt's cached rows (services/gantt_rows.py): every Gantt read, by whichever process and after whatever
changes by any process, is exactly what a full read of the database gives, while reading again only the rows
that changed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import orjson
import pytest
from tests.integration.test_plan_cache import edit, net, random_edit

from charter.persistence.db import Database
from charter.persistence.models import Task, WorkPackage
from charter.services import gantt_rows, scheduling, work_packages
from charter.services import tasks as tasks_svc

__all__ = ["net"]  # the fixture, shared with the plan cache's tests


def gantt(db: Database, actor: Any, p: int) -> tuple[dict[str, Any], Any]:
    with db.uow(readonly=True) as s:
        out = scheduling.gantt_schedule(s, actor, p, warm_cache=True)
    return out, out.pop("_rows")


@contextmanager
def no_cache() -> Iterator[None]:
    with (
        mock.patch.object(gantt_rows, "_held", lambda s, p: None),
        mock.patch.object(gantt_rows, "_publish", lambda *a: None),
    ):
        yield


def full_read(db: Database, actor: Any, p: int) -> dict[str, Any]:
    with no_cache():
        return gantt(db, actor, p)[0]


def reads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What each Gantt read did: None for a full read, else the refreshed entry."""
    seen: list[Any] = []
    original = gantt_rows._refreshed

    def spy(*a: Any, **kw: Any) -> Any:
        out = original(*a, **kw)
        seen.append(out)
        return out

    monkeypatch.setattr(gantt_rows, "_refreshed", spy)
    return seen


def plan_free_or_move(db: Database, admin: Any, p: int, ids: list[int], rng: random.Random) -> str:
    """Edits the plan cache's random_edit does not make: names, descriptions, moves between and within
    packages (which renumber siblings without bumping their versions), package renames and new packages."""
    kind = rng.choice(["name", "description", "move", "position", "wp-name", "wp+"])
    with db.uow() as s:
        t = s.get(Task, rng.choice(ids))
        if kind in ("name", "description"):
            tasks_svc.update_task(s, admin, p, t.id, t.version, **{kind: f"{kind} {rng.random():.6f}"})
        elif kind == "move":
            wps = [w.id for w in s.query(WorkPackage).filter(WorkPackage.project_id == p)]
            target = rng.choice([*wps, None])
            tasks_svc.update_task(s, admin, p, t.id, t.version, work_package_id=target)
        elif kind == "position":
            tasks_svc.update_task(s, admin, p, t.id, t.version, position=rng.randint(0, 5))
        elif kind == "wp-name":
            w = s.query(WorkPackage).filter(WorkPackage.project_id == p).first()
            assert w is not None
            work_packages.update_work_package(s, admin, p, w.id, w.version, name=f"WP {rng.random():.6f}")
        else:
            work_packages.create_work_package(s, admin, p, name=f"New {rng.random():.6f}", parent_id=None)
    return kind


def test_random_changes_of_two_processes_read_like_a_full_read(
    db: Database, net: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, ids, admin = net["p"], list(net["ids"]), net["admin"]
    other = Database(db.url)
    seen = reads(monkeypatch)
    rng = random.Random(11)
    kinds: list[str] = []
    try:
        for step in range(40):
            who = db if step % 2 else other
            r = rng.random()
            if r < 0.4:
                kinds.append(plan_free_or_move(who, admin, p, ids, rng))
            elif r < 0.7:
                kinds.append(random_edit(who, admin, p, ids, rng, deletes=len(ids) > 12))
            else:
                edit(who, admin, p, rng.choice(ids), duration=f"{rng.randint(1, 40)}h")
            for reader in (db, other):
                got, entry = gantt(reader, admin, p)
                assert entry is not None
                assert got == full_read(reader, admin, p), (step, kinds[-3:])
        assert any(x is not None for x in seen)  # brought up to date, not only read in full
        assert any(x is None for x in seen[2:])  # and structural changes read in full
    finally:
        other.dispose()


def test_an_edit_rereads_only_that_task(
    db: Database, net: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, ids, admin = net["p"], net["ids"], net["admin"]
    gantt(db, admin, p)
    asked: list[Any] = []
    original = gantt_rows._refreshed

    def spy(s: Any, project_id: int, held: Any, revision: Any, mpd: int, wp_key: Any, read_rows: Any,
            *rest: Any) -> Any:  # fmt: skip
        def counted(which: Any) -> Any:
            asked.append(None if which is None else sorted(which))
            return read_rows(which)

        return original(s, project_id, held, revision, mpd, wp_key, counted, *rest)

    monkeypatch.setattr(gantt_rows, "_refreshed", spy)
    edit(db, admin, p, ids[4], description="only this one")
    got, _ = gantt(db, admin, p)
    assert asked == [[ids[4]]]
    asked.clear()
    got, _ = gantt(db, admin, p)  # nothing changed: nothing read again
    assert asked == []
    moved = edit(db, admin, p, ids[3], duration="13d")
    got, _ = gantt(db, admin, p)
    assert asked and set(asked[0]) == {ids[3], *moved}
    assert got == full_read(db, admin, p)


def test_the_encoded_tasks_are_the_bytes_of_the_dicts_and_flags_stay_per_caller(
    db: Database, net: dict[str, Any], seed: Any
) -> None:
    p = net["p"]
    admin, leader = net["admin"], seed.actor("task_leader")
    _, entry = gantt(db, admin, p)
    tasks = [entry.tasks[t] for t in entry.order]
    for flags in ({}, {seed.wp_a: True}, {None: True, seed.wp_b: True}):
        expected = orjson.dumps([{**t, "editable": flags.get(t["work_package_id"], False)} for t in tasks])
        assert orjson.dumps(gantt_rows.task_fragments(entry, flags)) == expected
    # the same cached rows serve callers with other rights: each gets their own flags
    with db.uow(readonly=True) as s:
        from charter.web.routes_schedule import _gantt_data

        mine = _gantt_data(s, leader, p, None, encoded=True)
        theirs = _gantt_data(s, admin, p, None, encoded=True)
    mine_rows = orjson.loads(orjson.dumps(mine["tasks"]))
    theirs_rows = orjson.loads(orjson.dumps(theirs["tasks"]))
    assert all(r["editable"] for r in theirs_rows)
    assert {r["work_package_id"] for r in mine_rows if r["editable"]} <= {seed.wp_a, seed.wp_a1}
    assert any(not r["editable"] for r in mine_rows)


def test_an_old_entry_is_read_in_full_again(
    db: Database, net: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, admin = net["p"], net["admin"]
    seen = reads(monkeypatch)
    gantt(db, admin, p)
    gantt(db, admin, p)
    assert seen[-1] is not None
    monkeypatch.setattr(gantt_rows, "MAX_AGE", -1.0)
    gantt(db, admin, p)
    assert seen[-1] is None


def test_concurrent_reads_and_edits_in_one_process(db: Database, net: dict[str, Any]) -> None:
    """Threads of one process read the Gantt while another edits: the shared entry is never changed under a
    reader (no error), and the last read is a full read's."""
    import threading

    p, ids, admin = net["p"], net["ids"], net["admin"]
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                _, entry = gantt(db, admin, p)
                orjson.dumps(gantt_rows.task_fragments(entry, {}))
                orjson.dumps(gantt_rows.task_fragments(entry, {None: True}))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(30):
            edit(db, admin, p, ids[i % len(ids)], name=f"renamed {i}")
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert errors == []
    assert gantt(db, admin, p)[0] == full_read(db, admin, p)


def test_package_summaries_follow_their_tasks_and_only_theirs_are_computed_again(
    db: Database, net: dict[str, Any], seed: Any
) -> None:
    """Package summaries are kept per package while none of its tasks changed: an edit of a task in WP-B
    recomputes WP-B's summary (and every summary is a full read's), WP-A.1's (no task of it moved) stays the
    object it was."""
    p, admin = net["p"], net["admin"]
    other = Database(db.url)
    try:
        first, entry = gantt(db, admin, p)
        b_before = next(x for x in first["summaries"] if x["id"] == seed.wp_b)
        edit(other, admin, p, seed.tasks["b"], duration="17d", percent_complete=40.0)
        got, entry2 = gantt(db, admin, p)
        assert entry2 is not entry
        assert got == full_read(db, admin, p)
        b_after = next(x for x in got["summaries"] if x["id"] == seed.wp_b)
        assert b_after != b_before and b_after["percent_complete"] == 40.0
        leaf_a = next(v for k, v in entry2.leaves.items() if k[0] == seed.wp_a1)  # WP-A.1 has no sub-package
        assert leaf_a is next(v for k, v in entry.leaves.items() if k[0] == seed.wp_a1)
    finally:
        other.dispose()
