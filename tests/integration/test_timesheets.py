"""Timesheets through the API, the services and the CLI: logging with every bad-input rule named and nothing
written, approval rights (a Task Leader cannot approve another package's hours, nobody approves their own),
locked periods, actual work with a % complete suggestion, and labour cost across a rate change with overtime.

P1 is moved to start on Monday 2030-01-07: task A (WP-A, worker assigned, 3d) 01-07..01-09, B (WP-B, 2d)
01-10..01-11, C (WP-A, 1d) 01-07. The clock stands at Friday 2030-01-25 unless a test moves it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from charter.cli.main import app as cli_app
from charter.config import get_settings
from charter.persistence.models import JournalEntry, Resource, TimesheetEntry
from charter.services import journal, projects, resources, scheduling, tasks, timesheets
from charter.services.context import SYSTEM, Actor

NOW = datetime(2030, 1, 25, 12, 0, tzinfo=UTC)


def err(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    e: dict[str, Any] = r.json()["error"]
    if field is not None:
        assert e["field"] == field, e
    return e


def counts(seed: Any) -> tuple[int, int]:
    with seed.db.uow(readonly=True) as s:
        entries = s.scalar(select(func.count()).select_from(TimesheetEntry)) or 0
        journal = s.scalar(select(func.count()).select_from(JournalEntry)) or 0
    return entries, journal


@pytest.fixture
def ts(seed: Any, api: Any, as_: Any, frozen_clock: Any) -> Any:
    with seed.db.uow() as s:
        admin = seed.actor("admin")
        projects.update_project(s, admin, seed.p1, 1, start_date=date(2030, 1, 7))
        scheduling.plan_changed(s, seed.p1)
    frozen_clock.set(NOW)
    return seed


def log(api: Any, as_: Any, who: str, task: int, day: str, hours: Any, p: int, **extra: Any) -> Any:
    body = {"task_id": task, "day": day, "hours": hours, **extra}
    return api.post(f"/projects/{p}/timesheet", json=body, headers=as_(who))


def ok_log(
    api: Any, as_: Any, who: str, task: int, day: str, hours: Any, p: int, **extra: Any
) -> dict[str, Any]:
    r = log(api, as_, who, task, day, hours, p, **extra)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def submit(api: Any, as_: Any, who: str, week: str = "2030-W02") -> dict[str, Any]:
    r = api.post("/me/timesheet/submit", params={"week": week}, headers=as_(who))
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


# --------------------------------------------------------------------------------------------- logging


def test_log_week_update_delete(api: Any, ts: Any, as_: Any) -> None:
    p, a = ts.p1, ts.tasks["a"]
    e1 = ok_log(api, as_, "worker", a, "2030-01-07", "2h", p, note="schema")
    assert (e1["minutes"], e1["status"], e1["note"]) == (120, "draft", "schema")
    assert ok_log(api, as_, "worker", a, "2030-01-08", "90m", p)["minutes"] == 90
    e3 = ok_log(api, as_, "worker", a, "2030-01-09", 1.5, p)
    assert e3["minutes"] == 90
    week = api.get("/me/timesheet", params={"week": "2030-W02"}, headers=as_("worker")).json()
    assert week["week"] == "2030-W02" and week["days"][0] == "2030-01-07"
    row = next(r for r in week["rows"] if r["task_id"] == a)
    assert sorted(row["entries"]) == ["2030-01-07", "2030-01-08", "2030-01-09"]
    assert row["total_minutes"] == 300 and week["total_minutes"] == 300
    assert week["day_totals"]["2030-01-08"] == 90 and week["day_totals"]["2030-01-12"] == 0

    r = api.patch(
        f"/projects/{p}/timesheet/{e1['id']}", json={"version": 1, "hours": "3h"}, headers=as_("worker")
    )
    assert r.status_code == 200 and r.json()["minutes"] == 180 and r.json()["version"] == 2
    stale = api.patch(
        f"/projects/{p}/timesheet/{e1['id']}", json={"version": 1, "note": "x"}, headers=as_("worker")
    )
    assert err(stale, 409, "version")
    assert stale.json()["error"]["current"]["version"] == 2
    r = api.delete(f"/projects/{p}/timesheet/{e3['id']}", params={"version": 1}, headers=as_("worker"))
    assert r.status_code == 204
    again = ok_log(api, as_, "worker", a, "2030-01-09", "1h", p)
    dup = log(api, as_, "worker", a, "2030-01-09", "1h", p)
    assert "2030-01-09" in err(dup, 409, "day")["message"]
    with ts.db.uow(readonly=True) as s:
        actions = [j["action"] for j in journal.entries(s, entity_type="timesheet_entry")]
    assert actions.count("create") == 4 and "update" in actions and "delete" in actions
    assert again["status"] == "draft"


def _body(seed: Any, **over: Any) -> dict[str, Any]:
    return {"task_id": seed.tasks["a"], "day": "2030-01-08", "hours": "2h", **over}


BAD = [
    # (what, overrides, status, field, words the message must contain)
    ("future day", {"day": "2030-01-26"}, 422, "day", ["2030-01-26", "future"]),
    ("before the task starts", {"day": "2030-01-04"}, 422, "day", ["2030-01-04", "Task A", "2030-01-07"]),
    ("after the task finished", {"task": "c", "day": "2030-01-15"}, 422, "day", ["2030-01-15", "Task C"]),
    ("not a number of hours", {"hours": "lots"}, 422, "hours", ["lots"]),
    ("zero hours", {"hours": "0h"}, 422, "hours", ["at least one minute"]),
    ("more than a day in one entry", {"hours": "25h"}, 422, "hours", ["2030-01-08", "24"]),
    ("task of another project", {"task": "p2"}, 404, "task_id", ["task"]),
    ("unknown field", {"minutes": 60}, 422, "minutes", []),
]


@pytest.mark.parametrize(("what", "over", "status", "field", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_named_and_writes_nothing(
    api: Any, ts: Any, as_: Any, what: str, over: dict[str, Any], status: int, field: str, words: list[str]
) -> None:
    if "task" in over:
        over["task_id"] = ts.tasks[over.pop("task")]
    before = counts(ts)
    r = api.post(
        f"/projects/{ts.p1}/timesheet",
        json=_body(ts, **over),
        headers=as_("worker" if over.get("task_id") != ts.tasks["c"] else "task_leader"),
    )
    e = err(r, status, field)
    for w in words:
        assert w in e["message"], e
    assert counts(ts) == before


def test_a_day_holds_at_most_24_hours_across_tasks(api: Any, ts: Any, as_: Any) -> None:
    p = ts.p1
    ok_log(api, as_, "task_leader", ts.tasks["a"], "2030-01-07", "20h", p)
    before = counts(ts)
    e = err(log(api, as_, "task_leader", ts.tasks["c"], "2030-01-07", "5h", p), 422, "hours")
    assert "2030-01-07" in e["message"] and "24" in e["message"]
    assert counts(ts) == before
    ok_log(api, as_, "task_leader", ts.tasks["c"], "2030-01-07", "4h", p)
    week = api.get("/me/timesheet", params={"week": "2030-W02"}, headers=as_("task_leader")).json()
    assert week["day_totals"]["2030-01-07"] == 24 * 60


def test_not_assigned_is_refused_naming_the_task(api: Any, ts: Any, as_: Any) -> None:
    before = counts(ts)
    e = err(log(api, as_, "worker", ts.tasks["b"], "2030-01-10", "1h", ts.p1), 403, "task_id")
    assert "Task B" in e["message"]
    err(log(api, as_, "stakeholder", ts.tasks["a"], "2030-01-07", "1h", ts.p1), 403)
    err(log(api, as_, "outsider", ts.tasks["a"], "2030-01-07", "1h", ts.p1), 404)
    assert counts(ts) == before


def test_a_started_task_stays_open_until_today(api: Any, ts: Any, as_: Any) -> None:
    p, a = ts.p1, ts.tasks["a"]
    err(log(api, as_, "worker", a, "2030-01-24", "1h", p), 422, "day")  # finish 01-09 + 7 days grace
    ok_log(api, as_, "worker", a, "2030-01-16", "1h", p)  # within the grace
    t = api.get(f"/projects/{p}/tasks/{a}", headers=as_("pm")).json()
    r = api.patch(
        f"/projects/{p}/tasks/{a}",
        json={"version": t["version"], "actual_start": "2030-01-07T09:00:00"},
        headers=as_("pm"),
    )
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    ok_log(api, as_, "worker", a, "2030-01-24", "1h", p)
    ok_log(api, as_, "worker", a, "2030-01-25", "1h", p)


def test_hours_parsing() -> None:
    assert [timesheets.parse_hours(v) for v in ("2h", "90m", "1.5h", 1.5, 2, "1,5", "45 min", "3")] == [
        120,
        90,
        90,
        90,
        120,
        90,
        45,
        180,
    ]
    # a clock time, as timesheets and stopwatches write it, was refused as "not a number of hours"
    assert [timesheets.parse_hours(v) for v in ("1:30", " 0:45 ", "8:00", "10:05")] == [90, 45, 480, 605]
    for bad in ("1:60", "1:5", ":30", "1:30:00"):
        with pytest.raises(Exception, match="not a number of hours"):
            timesheets.parse_hours(bad)
    assert timesheets.parse_week("2030-W02") == date(2030, 1, 7)
    with pytest.raises(Exception) as exc:
        timesheets.parse_week("2030-13")
    assert getattr(exc.value, "field", None) == "week"


# --------------------------------------------------------------------------------------------- approval


def test_approval_rights(api: Any, ts: Any, as_: Any) -> None:
    p, a = ts.p1, ts.tasks["a"]
    e = ok_log(api, as_, "worker", a, "2030-01-07", "2h", p)
    url = f"/projects/{p}/timesheet/{e['id']}"
    assert "draft" in err(api.post(f"{url}/approve", headers=as_("task_leader")), 409, "status")["message"]
    assert submit(api, as_, "worker")["submitted"] == 1
    assert [x["id"] for x in api.get("/me/approvals", headers=as_("task_leader")).json()] == [e["id"]]
    assert api.get("/me/approvals", headers=as_("task_leader_b")).json() == []
    assert [x["id"] for x in api.get("/me/approvals", headers=as_("pm")).json()] == [e["id"]]
    before = counts(ts)
    # the Task Leader of another package does not see the entry (404, naming no task, as for one that does
    # not exist); the worker approving their own hours is refused
    gone = err(api.post(f"{url}/approve", headers=as_("task_leader_b")), 404, "entry_id")
    assert gone["message"] == f"timesheet entry {e['id']} not found"
    err(api.post(f"{url}/approve", headers=as_("worker")), 403)
    err(api.post(f"{url}/reject", json={"reason": "no"}, headers=as_("task_leader_b")), 404)
    # someone else's entry is not theirs to change or delete either, and says nothing of its task
    for who in ("task_leader_b", "stakeholder"):
        err(api.patch(url, json={"version": 2, "hours": "1h"}, headers=as_(who)), 404, "entry_id")
        err(api.delete(url, params={"version": 2}, headers=as_(who)), 404, "entry_id")
    # whoever approves its package sees it: refused (403), not hidden
    err(api.patch(url, json={"version": 2, "hours": "1h"}, headers=as_("task_leader")), 403, "entry_id")
    err(api.post(f"{url}/approve", headers=as_("outsider")), 404)
    err(api.post(f"{url}/reject", json={"reason": "  "}, headers=as_("task_leader")), 422, "reason")
    err(api.post(f"{url}/reject", json={}, headers=as_("task_leader")), 422, "reason")
    assert counts(ts) == before
    r = api.post(f"{url}/approve", headers=as_("task_leader"))
    assert (
        r.status_code == 200
        and r.json()["status"] == "approved"
        and r.json()["decided_by"] == ts.users["task_leader"]
    )
    changed = api.patch(url, json={"version": r.json()["version"], "hours": "1h"}, headers=as_("worker"))
    assert "approved" in err(changed, 409, "status")["message"]
    r = api.post(f"{url}/reject", json={"reason": "booked on the wrong task"}, headers=as_("pm"))
    assert r.json()["status"] == "rejected" and r.json()["decision_note"] == "booked on the wrong task"
    fixed = api.patch(url, json={"version": r.json()["version"], "hours": "1h"}, headers=as_("worker"))
    assert fixed.json()["status"] == "draft" and fixed.json()["decision_note"] == ""


def test_nobody_approves_their_own_hours_but_the_pm(api: Any, ts: Any, as_: Any) -> None:
    p = ts.p1
    own = ok_log(api, as_, "task_leader", ts.tasks["c"], "2030-01-07", "3h", p)  # task.edit on WP-A
    submit(api, as_, "task_leader")
    assert api.get("/me/approvals", headers=as_("task_leader")).json() == []
    e = err(api.post(f"/projects/{p}/timesheet/{own['id']}/approve", headers=as_("task_leader")), 403)
    assert "own" in e["message"]
    pm_own = ok_log(api, as_, "pm", ts.tasks["b"], "2030-01-10", "1h", p)
    submit(api, as_, "pm")
    assert {x["id"] for x in api.get("/me/approvals", headers=as_("pm")).json()} == {own["id"], pm_own["id"]}
    for entry in (own, pm_own):
        r = api.post(f"/projects/{p}/timesheet/{entry['id']}/approve", headers=as_("pm"))
        assert r.status_code == 200, r.text


def test_sub_package_hours_are_approved_by_the_parent_packages_leader(api: Any, ts: Any, as_: Any) -> None:
    p = ts.p1
    with ts.db.uow() as s:
        admin = ts.actor("admin")
        tid = tasks.create_task(s, admin, p, name="Deep", work_package_id=ts.wp_a1, duration="2d")["id"]
        tasks.set_assignees(s, admin, p, tid, [ts.users["worker"]])
    e = ok_log(api, as_, "worker", tid, "2030-01-08", "1h", p)
    submit(api, as_, "worker")
    err(api.post(f"/projects/{p}/timesheet/{e['id']}/approve", headers=as_("task_leader_b")), 404)
    assert (
        api.post(f"/projects/{p}/timesheet/{e['id']}/approve", headers=as_("task_leader")).status_code == 200
    )


# --------------------------------------------------------------------------------------------- locks


def test_locked_periods_cannot_change(api: Any, ts: Any, as_: Any) -> None:
    p, a = ts.p1, ts.tasks["a"]
    e = ok_log(api, as_, "worker", a, "2030-01-08", "2h", p)
    later = ok_log(api, as_, "worker", a, "2030-01-09", "1h", p)
    err(
        api.put(f"/projects/{p}/timesheet-lock", json={"until": "2030-01-08"}, headers=as_("task_leader")),
        403,
    )
    r = api.put(f"/projects/{p}/timesheet-lock", json={"until": "2030-01-08"}, headers=as_("pm"))
    assert r.status_code == 200 and r.json()["until"] == "2030-01-08"
    before = counts(ts)
    msg = err(log(api, as_, "worker", a, "2030-01-07", "1h", p), 409, "day")["message"]
    assert "2030-01-08" in msg and "2030-01-07" in msg
    url = f"/projects/{p}/timesheet/{e['id']}"
    assert (
        "2030-01-08"
        in err(api.patch(url, json={"version": 1, "hours": "1h"}, headers=as_("worker")), 409, "day")[
            "message"
        ]
    )
    err(api.delete(url, params={"version": 1}, headers=as_("worker")), 409, "day")
    err(api.post("/me/timesheet/submit", params={"week": "2030-W02"}, headers=as_("worker")), 409, "day")
    assert counts(ts) == before
    with ts.db.uow(readonly=True) as s:
        assert s.get(TimesheetEntry, later["id"]).status == "draft"  # all or nothing
    assert api.get(f"/projects/{p}/actuals", headers=as_("worker")).json()["locked_until"] == "2030-01-08"
    # lowering the lock is journaled and opens the days again
    api.put(f"/projects/{p}/timesheet-lock", json={"until": "2030-01-01"}, headers=as_("pm"))
    r = api.patch(url, json={"version": 1, "hours": "1h"}, headers=as_("worker"))
    assert r.status_code == 200, r.text
    locks = api.get(f"/projects/{p}/journal", headers=as_("pm")).json()
    lock_rows = [j for j in locks if j["entity_type"] == "timesheet_lock"]
    assert [j["changes"]["until"] for j in reversed(lock_rows)] == [
        [None, "2030-01-08"],
        ["2030-01-08", "2030-01-01"],
    ]
    assert lock_rows[0]["cause"] == "lock lowered"


# --------------------------------------------------------------------------------------------- actuals, cost


def test_actual_work_and_percent_suggestion(api: Any, ts: Any, as_: Any) -> None:
    p, a = ts.p1, ts.tasks["a"]
    ids = [
        ok_log(api, as_, "worker", a, d, "8h", p)["id"] for d in ("2030-01-07", "2030-01-08", "2030-01-09")
    ]
    ok_log(api, as_, "worker", a, "2030-01-10", "4h", p)  # a draft: not actual work
    submit(api, as_, "worker")
    for i in ids[:2]:
        api.post(f"/projects/{p}/timesheet/{i}/approve", headers=as_("task_leader"))

    def row() -> dict[str, Any]:
        data = api.get(f"/projects/{p}/actuals", headers=as_("observer")).json()
        return next(t for t in data["tasks"] if t["task_id"] == a)

    r = row()
    assert r["planned_minutes"] == 1440  # 3 days x 8 h, the worker's assignment
    assert (r["actual_minutes"], r["actual_hours"], r["submitted_minutes"]) == (960, 16.0, 240 + 480)
    assert r["suggested_percent"] == pytest.approx(66.7)
    api.post(f"/projects/{p}/timesheet/{ids[2]}/approve", headers=as_("task_leader"))
    api.post("/me/timesheet/submit", params={"week": "2030-W02"}, headers=as_("worker"))
    last = api.get("/me/approvals", headers=as_("task_leader")).json()[0]["id"]
    api.post(f"/projects/{p}/timesheet/{last}/approve", headers=as_("task_leader"))
    assert row()["actual_minutes"] == 1680 and row()["suggested_percent"] == 99.0  # capped until complete
    t = api.get(f"/projects/{p}/tasks/{a}", headers=as_("pm")).json()
    api.patch(
        f"/projects/{p}/tasks/{a}", json={"version": t["version"], "percent_complete": 100}, headers=as_("pm")
    )
    assert row()["suggested_percent"] == 100.0


def test_labour_cost_with_a_rate_change_and_overtime(api: Any, ts: Any, as_: Any) -> None:
    p, a = ts.p1, ts.tasks["a"]
    with ts.db.uow() as s:
        admin = ts.actor("admin")
        rid = s.scalar(select(Resource.id).where(Resource.user_id == ts.users["worker"]))
        resources.add_rate(s, admin, rid, valid_from=date(2029, 1, 1), standard="100", overtime="150")
        resources.add_rate(s, admin, rid, valid_from=date(2030, 1, 9), standard="120.50", overtime="180")
    ok_log(api, as_, "worker", a, "2030-01-07", "2h", p)  # 200
    ok_log(api, as_, "worker", a, "2030-01-08", "90m", p, overtime=True)  # 225
    ok_log(api, as_, "worker", a, "2030-01-09", "2h", p)  # 241 at the new rate
    ok_log(api, as_, "worker", a, "2030-01-10", "20m", p, overtime=True)  # 60
    ok_log(api, as_, "worker", a, "2030-01-11", "5h", p)  # stays a draft: no cost
    submit(api, as_, "worker")
    for x in api.get("/me/approvals", headers=as_("task_leader")).json():
        if x["day"] != "2030-01-11":
            assert (
                api.post(f"/projects/{p}/timesheet/{x['id']}/approve", headers=as_("task_leader")).status_code
                == 200
            )
    with ts.db.uow(readonly=True) as s:
        assert timesheets.labour_cost(s, p) == {a: Decimal("726.00")}
        assert timesheets.labour_cost(s, p, until=date(2030, 1, 8)) == {a: Decimal("425.00")}
        assert timesheets.labour_cost(s, ts.p2) == {}


def test_a_rate_in_another_currency_is_not_charged_and_is_named(api: Any, ts: Any, as_: Any) -> None:
    """P1 is in USD; the worker's rate is in EUR: their approved hours are not costed as if they were USD,
    the budget names them; a USD rate from the same day on prices them."""
    p, a, admin = ts.p1, ts.tasks["a"], ts.actor("admin")
    with ts.db.uow() as s:
        rid = s.scalar(select(Resource.id).where(Resource.user_id == ts.users["worker"]))
        assert rid is not None
        rate = resources.add_rate(s, admin, rid, valid_from=date(2029, 1, 1), standard="100", currency="eur")
    assert rate["rates"][0]["currency"] == "EUR"
    ok_log(api, as_, "worker", a, "2030-01-07", "2h", p)
    ok_log(api, as_, "worker", a, "2030-01-08", "90m", p)
    submit(api, as_, "worker")
    for x in api.get("/me/approvals", headers=as_("task_leader")).json():
        assert (
            api.post(f"/projects/{p}/timesheet/{x['id']}/approve", headers=as_("task_leader")).status_code
            == 200
        )
    with ts.db.uow(readonly=True) as s:
        assert timesheets.labour_cost(s, p) == {a: Decimal("0.00")}
    summary = api.get(f"/projects/{p}/budget", headers=as_("pm")).json()
    (warning,) = summary["labour_warnings"]
    assert "3.5 h approved for Worker are not costed" in warning and "rate is in EUR" in warning
    assert "currency is USD" in warning
    # the next rate without a currency takes the previous one's; a USD rate from the start prices the hours
    with ts.db.uow() as s:
        assert (
            resources.add_rate(s, admin, rid, valid_from=date(2029, 6, 1), standard="90")["rates"][-1][
                "currency"
            ]
            == "EUR"
        )
        resources.add_rate(s, admin, rid, valid_from=date(2030, 1, 1), standard="110", currency="USD")
    with ts.db.uow(readonly=True) as s:
        assert timesheets.labour_cost(s, p) == {a: Decimal("385.00")}
    assert api.get(f"/projects/{p}/budget", headers=as_("pm")).json()["labour_warnings"] == []


def test_a_new_rate_defaults_to_the_currency_of_the_projects(api: Any, ts: Any, as_: Any) -> None:
    admin = ts.actor("admin")
    with ts.db.uow() as s:
        worker = s.scalar(select(Resource.id).where(Resource.user_id == ts.users["worker"]))
        pm = resources.person_resource(s, ts.users["pm"], SYSTEM).id
        assert worker is not None
        projects.update_project(
            s, admin, ts.p2, projects.get_project(s, admin, ts.p2)["version"], currency="EUR"
        )
    r = api.post(f"/resources/{worker}/rates", headers=as_("admin"), json={"valid_from": "2029-01-01",
                                                                          "standard": "80"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["rates"][0]["currency"] == "USD"  # the worker is assigned in P1 (USD)
    # the PM works on no task: P1 is USD, P2 EUR -> the currency must be named
    bad = api.post(f"/resources/{pm}/rates", headers=as_("admin"), json={"valid_from": "2029-01-01",
                                                                        "standard": "80"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "currency"
    assert "USD" in bad.json()["error"]["message"] and "EUR" in bad.json()["error"]["message"]
    bad = api.post(f"/resources/{worker}/rates", headers=as_("admin"),
                   json={"valid_from": "2029-02-01", "standard": "80", "currency": "XYZ"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "currency"


# --------------------------------------------------------------------------------------------- CLI

runner = CliRunner()


def cli(*args: str, ok: bool = True) -> Any:
    result = runner.invoke(cli_app, list(args))
    if ok:
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


@pytest.fixture
def cli_db(ts: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    """The CLI pointed at the seeded database (as tests/integration/test_cli.py points it at its own)."""
    if not ts.db.url.startswith("sqlite"):
        pytest.skip("the CLI tests run against SQLite")
    monkeypatch.setenv("CHARTER_DATABASE_URL", ts.db.url)
    monkeypatch.setenv("CHARTER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CHARTER_USER", raising=False)
    get_settings.cache_clear()
    yield ts
    get_settings.cache_clear()


def test_cli_log_week_submit_approve_reject_lock(cli_db: Any) -> None:
    out = cli(
        "--as", "worker", "timesheet", "log", "P1", "Task A", "2h", "--day", "2030-01-07", "--note", "ETL"
    ).stdout
    assert "Logged 2 h on Task A for 2030-01-07" in out
    cli("--as", "worker", "timesheet", "log", "P1", str(cli_db.tasks["a"]), "1.5h", "--day", "2030-01-08")
    week = json.loads(cli("--as", "worker", "timesheet", "week", "--week", "2030-W02", "--json").stdout)
    assert week["total_minutes"] == 210 and week["day_totals"]["2030-01-08"] == 90
    assert "Week 2030-W02" in cli("--as", "worker", "timesheet", "week", "--week", "2030-W02").stdout
    assert "Submitted 2 entries" in cli("--as", "worker", "timesheet", "submit", "--week", "2030-W02").stdout
    waiting = json.loads(cli("--as", "task-leader", "timesheet", "approvals", "--json").stdout)
    assert len(waiting) == 2
    assert "Nothing waits" in cli("--as", "task-leader-b", "timesheet", "approvals").stdout
    refused = cli("--as", "task-leader-b", "timesheet", "approve", str(waiting[0]["id"]), ok=False)
    assert refused.exit_code == 1 and "not found" in refused.stderr and "Task A" not in refused.stderr
    assert "is approved" in cli("--as", "task-leader", "timesheet", "approve", str(waiting[0]["id"])).stdout
    no_reason = cli("--as", "task-leader", "timesheet", "reject", str(waiting[1]["id"]), ok=False)
    assert no_reason.exit_code == 1 and "reason" in no_reason.stderr
    out = cli(
        "--as", "task-leader", "timesheet", "reject", str(waiting[1]["id"]), "--reason", "too much"
    ).stdout
    assert "is rejected" in out
    bad = cli("--as", "worker", "timesheet", "log", "P1", "Task A", "2h", "--day", "2030-01-02", ok=False)
    lines = bad.stderr.strip().splitlines()
    assert bad.exit_code == 1 and len(lines) == 1 and "2030-01-02" in lines[0] and "field: day" in lines[0]
    assert cli("--as", "worker", "timesheet", "lock", "P1", "--until", "2030-01-08", ok=False).exit_code == 1
    assert (
        "locked until 2030-01-08"
        in cli("--as", "pm", "timesheet", "lock", "P1", "--until", "2030-01-08").stdout
    )
    locked = cli("--as", "worker", "timesheet", "log", "P1", "Task A", "1h", "--day", "2030-01-07", ok=False)
    assert "locked until 2030-01-08" in locked.stderr
    for path in (["log"], ["week"], ["submit"], ["approvals"], ["approve"], ["reject"], ["lock"]):
        assert "Usage" in cli("timesheet", *path, "--help").stdout


def test_service_actor_without_user_cannot_log(ts: Any) -> None:
    with ts.db.uow() as s, pytest.raises(Exception) as exc:
        timesheets.log_entry(
            s,
            Actor(None, "system", is_admin=True),
            ts.p1,
            task_id=ts.tasks["a"],
            day=date(2030, 1, 7),
            hours="1h",
        )
    assert getattr(exc.value, "http_status", None) == 403
