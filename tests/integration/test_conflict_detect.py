"""Detected conflicts, hand-built: over-allocation across two projects, a missed deadline (negative float), a
budget line overrun. Each opens an entry by itself, is idempotent, closes when the cause is gone, and is not
reopened after a person resolved it unless the cause comes back after it had gone.

The seeded world starts both projects on Mon 2020-01-06: in P1 the worker does Task A (3d, Jan 6-8) full
time, then Task B (WP-B, 2d) follows; P2's Task X (1d) is on Jan 6 too. The clock is frozen on that Monday."""

from __future__ import annotations

import datetime as dt
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from charter.domain.errors import PermissionDenied
from charter.persistence.models import Assignment, JournalEntry
from charter.services import assignments, budget, conflict_detect, conflicts, resources, tasks
from charter.services.context import SYSTEM

MONDAY = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)  # after the world was built (08:00)


@pytest.fixture
def monday(frozen_clock: Any) -> Any:
    frozen_clock.set(MONDAY)
    return frozen_clock


def _detect(seed: Any, pid: int | None = None, who: str = "admin") -> dict[str, Any]:
    with seed.db.uow() as s:
        return conflict_detect.detect(s, seed.actor(who), pid or seed.p1)


def _detected(seed: Any, pid: int | None = None) -> list[dict[str, Any]]:
    with seed.db.uow(readonly=True) as s:
        return conflicts.list_conflicts(s, seed.actor("admin"), pid or seed.p1, source="detected")


def _journal(seed: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def _assign_x(seed: Any) -> int:
    """The worker also takes P2's Task X (same day as Task A): over capacity on Jan 6."""
    with seed.db.uow() as s:
        rid = resources.person_resource(s, seed.users["worker"], SYSTEM).id
        rows = assignments.add_assignment(s, seed.actor("admin"), seed.p2, seed.tasks["p2"], resource_id=rid)
    return int(next(a["assignment_id"] for a in rows if a["resource_id"] == rid))


def _unassign_x(seed: Any, aid: int) -> None:
    with seed.db.uow() as s:
        a = s.get(Assignment, aid)
        assert a is not None
        assignments.remove_assignment(s, seed.actor("admin"), seed.p2, seed.tasks["p2"], aid, a.version)


def test_over_allocation_across_two_projects_opens_and_closes(seed: Any, monday: Any) -> None:
    assert _detect(seed)["opened"] == []
    aid = _assign_x(seed)
    report = _detect(seed)
    assert report["opened"] == ["C-1"]
    (c,) = _detected(seed)
    d = c["details"]
    assert c["kind"] == "resource" and c["status"] == "open" and c["detector_key"].endswith(":2020-W02")
    assert d["week"] == "2020-W02" and [x["day"] for x in d["days"]] == ["2020-01-06"]
    assert [t["task"] for t in d["tasks"]] == ["Task A"] and d["other_projects_minutes"] == 480
    assert "Task X" not in str(c)  # the other project's task is counted, not named
    assert c["work_package_id"] == seed.wp_a and c["owner_id"] == seed.users["task_leader"]
    assert [p["user_id"] for p in c["parties"]] == [seed.users["worker"]]
    # P2's log gets its own entry, naming P2's task
    p2 = _detect(seed, seed.p2)
    assert p2["opened"] == ["C-1"]
    assert [t["task"] for t in _detected(seed, seed.p2)[0]["details"]["tasks"]] == ["Task X"]
    # idempotent: nothing changes, nothing is journaled
    before = _journal(seed)
    again = _detect(seed)
    assert again["opened"] == again["closed"] == again["updated"] == [] and again["kept"] == ["C-1"]
    assert _journal(seed) == before
    # the cause goes: closed by the system; and stays closed
    _unassign_x(seed, aid)
    assert _detect(seed)["closed"] == ["C-1"]
    (c,) = _detected(seed)
    assert (
        c["status"] == "closed" and "cause is gone" in c["outcome"] and c["details"]["cause_present"] is False
    )
    assert _detect(seed)["closed"] == []
    # the cause comes back: the same entry reopens
    aid = _assign_x(seed)
    assert _detect(seed)["reopened"] == ["C-1"]
    (c,) = _detected(seed)
    assert c["status"] == "open" and c["escalate_at"] is not None


def test_a_resolved_detected_conflict_is_not_reopened_while_the_cause_persists(
    seed: Any, monday: Any
) -> None:
    aid = _assign_x(seed)
    _detect(seed)
    (c,) = _detected(seed)
    with seed.db.uow() as s:
        conflicts.resolve(s, seed.actor("pm"), seed.p1, c["id"], c["version"], approach="accommodate",
                          outcome="The worker does Task A after hours this once")  # fmt: skip
    assert _detect(seed)["kept"] == ["C-1"]
    assert _detected(seed)[0]["status"] == "resolved"
    _unassign_x(seed, aid)
    _detect(seed)
    (c,) = _detected(seed)
    assert c["status"] == "resolved" and c["details"]["cause_present"] is False
    _assign_x(seed)
    assert _detect(seed)["reopened"] == ["C-1"]
    assert _detected(seed)[0]["status"] == "open"


def test_a_missed_deadline_is_a_schedule_conflict(seed: Any, monday: Any) -> None:
    with seed.db.uow() as s:
        t = tasks.get_task(s, seed.actor("admin"), seed.p1, seed.tasks["b"])
        tasks.update_task(s, seed.actor("admin"), seed.p1, seed.tasks["b"], t["version"],
                          deadline=dt.datetime(2020, 1, 8, 17, 0))  # fmt: skip
    report = _detect(seed)
    assert (
        len(report["opened"]) == 2
    )  # Task B misses its deadline; Task A, which drives it, has negative float
    found = {x["details"]["task_id"]: x for x in _detected(seed) if x["kind"] == "schedule"}
    b, a = found[seed.tasks["b"]], found[seed.tasks["a"]]
    assert b["detector_key"] == f"schedule:task:{seed.tasks['b']}" and b["severity"] == "high"
    assert b["details"]["total_float_minutes"] < 0 and b["details"]["violation"]
    assert b["level"] == "task_leader" and b["owner_id"] == seed.users["task_leader_b"]
    assert (
        a["severity"] == "medium"
        and a["details"]["violation"] is None
        and a["details"]["total_float_minutes"] < 0
    )
    assert a["owner_id"] == seed.users["task_leader"]
    with seed.db.uow() as s:
        t = tasks.get_task(s, seed.actor("admin"), seed.p1, seed.tasks["b"])
        tasks.update_task(s, seed.actor("admin"), seed.p1, seed.tasks["b"], t["version"], deadline=None)
    assert sorted(_detect(seed)["closed"]) == sorted([a["ref"], b["ref"]])


def test_a_budget_line_overrun_is_a_budget_conflict(seed: Any, monday: Any) -> None:
    admin = seed.actor("admin")
    with seed.db.uow() as s:
        line = budget.create_line(s, admin, seed.p1, category="hardware", name="Lab kit", amount="100.00",
                                  work_package_id=seed.wp_a)  # fmt: skip
        budget.add_expense(s, admin, seed.p1, budget_line_id=line["id"], day=dt.date(2020, 1, 6), amount="150.00",
                           description="Oscilloscope")  # fmt: skip
    report = _detect(seed, who="pm")
    assert len(report["opened"]) == 2  # the line, and the project's estimate at completion (no work done yet)
    by_key = {x["detector_key"]: x for x in _detected(seed)}
    c = by_key[f"budget:line:{line['id']}"]
    assert c["kind"] == "budget" and c["severity"] == "high" and c["details"]["over"] == "50.00"
    assert c["owner_id"] == seed.users["task_leader"]
    eac = by_key["budget:eac"]
    assert eac["details"]["bac"] == "100.00" and eac["work_package_id"] is None and eac["level"] == "pm"
    # amounts read as money, in the currency's minor units
    assert c["title"] == "Budget line Lab kit is overrun by 50.00 USD"
    assert (
        c["description"]
        == "Actual (150.00 USD) plus committed (0.00 USD) exceeds the line's budget (100.00 USD)."
    )
    assert re.fullmatch(
        r"EAC \d+\.\d\d USD is above BAC 100\.00 USD( \(CPI \d+\.\d\d\))?\.", eac["description"]
    ), eac
    with seed.db.uow() as s:
        budget.update_line(s, admin, seed.p1, line["id"], line["version"], amount="500.00")
    report = _detect(seed)
    assert report["closed"] == [c["ref"]] and report["updated"] == [eac["ref"]]  # EAC 650 > BAC 500 still
    assert {x["detector_key"]: x for x in _detected(seed)}["budget:eac"]["details"]["bac"] == "500.00"


def test_detect_now_is_the_pms_and_the_worker_runs_it_every_quarter_hour(seed: Any, monday: Any) -> None:
    with pytest.raises(PermissionDenied):
        _detect(seed, who="task_leader")
    _assign_x(seed)
    with seed.db.uow() as s:
        first = conflict_detect.due_detection(s, monday.now)
    assert set(first) == {seed.p1, seed.p2} and first[seed.p1]["opened"] == ["C-1"]
    monday.advance(minutes=5)
    with seed.db.uow() as s:
        assert conflict_detect.due_detection(s, monday.now) == {}
    monday.advance(minutes=11)
    with seed.db.uow() as s:
        again = conflict_detect.due_detection(s, monday.now)
    assert again[seed.p1]["kept"] == ["C-1"]
    with seed.db.uow(readonly=True) as s:
        pol = conflicts.get_policy(s, seed.actor("pm"), seed.p1)
    assert pol["detected_at"] == monday.now
    assert monday.now - MONDAY == timedelta(minutes=16)


def test_detect_now_through_the_api(api: Any, seed: Any, as_: Any, monday: Any) -> None:
    _assign_x(seed)
    r = api.post(f"/projects/{seed.p1}/conflicts/detect", headers=as_("pm"))
    assert r.status_code == 200 and r.json()["opened"] == ["C-1"], r.text
    listed = api.get(f"/projects/{seed.p1}/conflicts", params={"source": "detected"}, headers=as_("worker"))
    assert [x["detected"] for x in listed.json()] == [True]
