"""The schedule through the JSON API: tasks, links with every type and lag kind, cycles named, bad input
named by field, stale writes, automatic recomputation, baselines and variances, progress with a status date,
summaries rolled up, and MSPDI / CSV / Excel / iCalendar interchange (all or nothing)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from charter.persistence.models import JournalEntry, Task

PM = "admin"


def err(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    e = r.json()["error"]
    if field is not None:
        assert e["field"] == field, e
    return e


@pytest.fixture
def plan(api: Any, seed: Any, as_: Any) -> dict[str, Any]:
    """P1 starting Monday 2030-01-07 (Mon-Fri, 09-13 + 14-18): A(3d) -> B(2d) -> M; A -> C(1d) -> M."""
    h = as_(PM)
    p = seed.p1
    r = api.patch(f"/projects/{p}", json={"version": 1, "start_date": "2030-01-07"}, headers=h)
    assert r.status_code == 200, r.text
    # the seeded tasks get out of the way
    for name in ("a", "b", "c"):
        t = api.get(f"/projects/{p}/tasks/{seed.tasks[name]}", headers=h).json()
        api.delete(f"/projects/{p}/tasks/{t['id']}", params={"version": t["version"]}, headers=h)
    ids = {}
    for name, body in [
        ("A", {"duration": "3d"}),
        ("B", {"duration": "2d"}),
        ("C", {"duration": 1}),
        ("M", {"milestone": True}),
    ]:
        r = api.post(
            f"/projects/{p}/tasks", json={"name": name, "work_package_id": seed.wp_a, **body}, headers=h
        )
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    for a, b in [("A", "B"), ("B", "M"), ("A", "C"), ("C", "M")]:
        r = api.post(f"/projects/{p}/links", json={"pred_id": ids[a], "succ_id": ids[b]}, headers=h)
        assert r.status_code == 201, r.text
    return {"p": p, "h": h, **ids}


def tasks_by_name(api: Any, p: int, h: dict[str, str], **params: Any) -> dict[str, dict[str, Any]]:
    data = api.get(f"/projects/{p}/schedule", headers=h, params=params).json()
    return {t["name"]: t for t in data["tasks"]}


def test_recomputed_dates_floats_and_critical_path(api: Any, plan: dict[str, Any]) -> None:
    t = tasks_by_name(api, plan["p"], plan["h"])
    assert t["A"]["start"] == "2030-01-07T09:00:00" and t["A"]["finish"] == "2030-01-09T18:00:00"
    assert t["B"]["start"] == "2030-01-10T09:00:00" and t["B"]["finish"] == "2030-01-11T18:00:00"
    assert t["C"]["finish"] == "2030-01-10T18:00:00" and t["C"]["total_float_days"] == 1.0
    assert t["M"]["start"] == t["M"]["finish"] == "2030-01-11T18:00:00"
    assert [x["critical"] for x in (t["A"], t["B"], t["C"], t["M"])] == [True, True, False, True]
    sched = api.get(f"/projects/{plan['p']}/schedule", headers=plan["h"]).json()
    assert sched["finish"] == "2030-01-11T18:00:00"
    wp = next(s for s in sched["summaries"] if s["id"] and s["name"] == "WP-A")
    assert wp["start"] == "2030-01-07T09:00:00" and wp["finish"] == "2030-01-11T18:00:00"


def test_an_edit_recomputes_and_moves_the_critical_path(api: Any, plan: dict[str, Any]) -> None:
    p, h = plan["p"], plan["h"]
    c = api.get(f"/projects/{p}/tasks/{plan['C']}", headers=h).json()
    r = api.patch(
        f"/projects/{p}/tasks/{plan['C']}", json={"version": c["version"], "duration": "4d"}, headers=h
    )
    assert r.status_code == 200, r.text
    t = tasks_by_name(api, p, h)
    assert t["C"]["critical"] and not t["B"]["critical"]
    assert t["M"]["finish"] == "2030-01-15T18:00:00"  # A ends Wed; C 4 days Thu, Fri, Mon, Tue


@pytest.mark.parametrize(
    ("body", "expected_start"),
    [
        ({"type": "SS", "lag": "1d"}, "2030-01-08T09:00:00"),
        ({"type": "FF", "lag": "0d"}, "2030-01-09T14:00:00"),  # a 4h task finishing with A
        ({"type": "SF", "lag": "0d"}, "2030-01-04T14:00:00"),
        ({"type": "FS", "lag": "-1d"}, "2030-01-09T09:00:00"),
        ({"type": "FS", "lag": "50%"}, "2030-01-11T14:00:00"),  # 1.5 working days after Wed 18:00
        ({"type": "FS", "lag": "3ed"}, "2030-01-14T09:00:00"),  # 3 elapsed days from Wed 18:00 = Sat 18:00
    ],
)
def test_link_types_and_lag_kinds(
    api: Any, plan: dict[str, Any], body: dict[str, Any], expected_start: str
) -> None:
    p, h = plan["p"], plan["h"]
    r = api.post(f"/projects/{p}/tasks", json={"name": "X", "duration": "4h"}, headers=h)
    x = r.json()["id"]
    r = api.post(f"/projects/{p}/links", json={"pred_id": plan["A"], "succ_id": x, **body}, headers=h)
    assert r.status_code == 201, r.text
    if body["type"] == "SF":
        # SF: X must finish no earlier than A starts (Mon 09:00); X is ASAP, so the project start bounds it
        expected_start = "2030-01-07T09:00:00"
    assert tasks_by_name(api, p, h)["X"]["start"] == expected_start


def test_a_link_that_makes_a_cycle_is_refused_and_named(api: Any, plan: dict[str, Any], db: Any) -> None:
    before = _journal(db)
    r = api.post(
        f"/projects/{plan['p']}/links", json={"pred_id": plan["M"], "succ_id": plan["A"]}, headers=plan["h"]
    )
    e = err(r, 422, "pred_id")
    assert "cycle" in e["message"] and "M" in e["message"] and "A" in e["message"]
    assert _journal(db) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "XX"}, "type"),
        ({"lag": "soon"}, "lag"),
        ({"lag": "abc%"}, "lag"),
        ({"lag": "99999999d"}, "lag"),
        ({"lag": "99999999999%"}, "lag"),
    ],
)
def test_bad_links_name_the_field(api: Any, plan: dict[str, Any], body: dict[str, Any], field: str) -> None:
    r = api.post(
        f"/projects/{plan['p']}/links",
        json={"pred_id": plan["B"], "succ_id": plan["C"], **body},
        headers=plan["h"],
    )
    err(r, 422, field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"duration": "-2d"}, "duration"),
        ({"duration": "two days"}, "duration"),
        ({"duration": "99999999d"}, "duration"),  # kept and shown as 1e+08d; PostgreSQL's integer overflowed
        ({"duration": "5001d"}, "duration"),
        ({"optimistic": "1d", "most_likely": "2d", "pessimistic": "9999999h"}, "pessimistic"),
        ({"constraint_type": "mso"}, "constraint_date"),
        ({"optimistic": "5d", "most_likely": "3d", "pessimistic": "9d"}, "pessimistic"),
        ({"optimistic": "1d"}, "optimistic"),
        ({"percent_complete": 120}, "percent_complete"),
        ({"constraint_date": "2031-13-01"}, "constraint_date"),
        ({"actual_start": "1900-01-01T09:00:00"}, "actual_start"),  # outside the calendar: no field was named
        ({"deadline": "2199-01-01T09:00:00"}, "deadline"),
        ({"constraint_type": "snet", "constraint_date": "2199-01-01T09:00:00"}, "constraint_date"),
        ({"id": 5}, "id"),
        ({"version": 3}, "version"),
    ],
)
def test_bad_tasks_name_the_field_and_write_nothing(
    api: Any, plan: dict[str, Any], db: Any, body: dict[str, Any], field: str
) -> None:
    before = _journal(db), _tasks(db)
    r = api.post(f"/projects/{plan['p']}/tasks", json={"name": "Bad", **body}, headers=plan["h"])
    err(r, 422, field)
    assert (_journal(db), _tasks(db)) == before


def test_a_duration_read_back_saves_the_same_minutes(api: Any, plan: dict[str, Any], db: Any) -> None:
    """A client (the task page's form) sending back the duration it was shown changes nothing: "2.333d" was
    shown as "2.33d", which saved 1118 minutes instead of 1120 with every later edit of the task."""
    p, h = plan["p"], plan["h"]
    b = api.get(f"/projects/{p}/tasks/{plan['B']}", headers=h).json()
    r = api.patch(f"/projects/{p}/tasks/{plan['B']}", json={"version": b["version"], "duration": "2.333d"},
                  headers=h)  # fmt: skip
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["duration_minutes"] == 1120 and b["duration"] == "2.333d"
    r = api.patch(f"/projects/{p}/tasks/{plan['B']}",
                  json={"version": b["version"], "duration": b["duration"], "name": "B again"}, headers=h)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["duration_minutes"] == 1120
    r = api.patch(f"/projects/{p}/tasks/{plan['B']}", json={"version": r.json()["version"], "duration": "3000d"},
                  headers=h)  # fmt: skip
    assert r.json()["duration"] == "3000d"  # never in exponent notation, which the form could not read back


def test_stale_task_update_is_409_and_writes_nothing(api: Any, plan: dict[str, Any], db: Any) -> None:
    p, h = plan["p"], plan["h"]
    b = api.get(f"/projects/{p}/tasks/{plan['B']}", headers=h).json()
    assert (
        api.patch(
            f"/projects/{p}/tasks/{plan['B']}", json={"version": b["version"], "name": "B2"}, headers=h
        ).status_code
        == 200
    )
    before = _journal(db)
    r = api.patch(
        f"/projects/{p}/tasks/{plan['B']}", json={"version": b["version"], "duration": "9d"}, headers=h
    )
    e = err(r, 409, "version")
    assert e["current"]["name"] == "B2" and e["current"]["duration"] == "2d"
    assert _journal(db) == before


def test_constraints_and_deadlines_show_negative_float(api: Any, plan: dict[str, Any]) -> None:
    p, h = plan["p"], plan["h"]
    m = api.get(f"/projects/{p}/tasks/{plan['M']}", headers=h).json()
    r = api.patch(
        f"/projects/{p}/tasks/{plan['M']}",
        json={"version": m["version"], "deadline": "2030-01-10T18:00:00"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    sched = api.get(f"/projects/{p}/schedule", headers=h).json()
    t = {x["name"]: x for x in sched["tasks"]}
    assert t["M"]["total_float_days"] == -1.0 and t["A"]["total_float_days"] == -1.0
    assert any(v["name"] == "M" for v in sched["violations"])
    c = api.get(f"/projects/{p}/tasks/{plan['C']}", headers=h).json()
    r = api.patch(
        f"/projects/{p}/tasks/{plan['C']}",
        json={"version": c["version"], "constraint_type": "snet", "constraint_date": "2030-01-14T09:00:00"},
        headers=h,
    )
    assert tasks_by_name(api, p, h)["C"]["start"] == "2030-01-14T09:00:00"


def test_progress_and_status_date(api: Any, plan: dict[str, Any], frozen_clock: Any) -> None:
    frozen_clock.set(datetime(2030, 1, 14, 9, 0, tzinfo=UTC))  # the status date: the actuals are past
    p, h = plan["p"], plan["h"]
    a = api.get(f"/projects/{p}/tasks/{plan['A']}", headers=h).json()
    api.patch(
        f"/projects/{p}/tasks/{plan['A']}",
        json={
            "version": a["version"],
            "actual_start": "2030-01-07T09:00:00",
            "actual_finish": "2030-01-09T18:00:00",
        },
        headers=h,
    )
    r = api.put(
        f"/projects/{p}/schedule/status-date",
        json={"status_date": "2030-01-14T09:00:00", "version": 1},
        headers=h,
    )
    assert r.status_code == 200, r.text
    t = tasks_by_name(api, p, h)
    assert t["A"]["status"] == "completed" and t["A"]["finish"] == "2030-01-09T18:00:00"
    assert t["B"]["start"] == "2030-01-14T09:00:00"  # remaining work from the status date
    err(
        api.put(f"/projects/{p}/schedule/status-date", json={"status_date": None, "version": 1}, headers=h),
        409,
    )


def test_baselines_and_variance(api: Any, plan: dict[str, Any]) -> None:
    p, h = plan["p"], plan["h"]
    r = api.post(f"/projects/{p}/baselines", json={"number": 0, "name": "approved"}, headers=h)
    assert r.status_code == 201 and r.json()["tasks"] == 4
    err(api.post(f"/projects/{p}/baselines", json={"number": 11}, headers=h), 422, "number")
    b = api.get(f"/projects/{p}/tasks/{plan['B']}", headers=h).json()
    api.patch(f"/projects/{p}/tasks/{plan['B']}", json={"version": b["version"], "duration": "4d"}, headers=h)
    t = tasks_by_name(api, p, h, baseline=0)
    assert t["B"]["baseline"]["finish_variance_days"] == 2.0
    assert t["B"]["baseline"]["duration_variance_days"] == 2.0
    assert t["A"]["baseline"]["finish_variance_days"] == 0.0
    assert [b["number"] for b in api.get(f"/projects/{p}/baselines", headers=h).json()] == [0]
    err(api.get(f"/projects/{p}/schedule", params={"baseline": 3}, headers=h), 404, "baseline")


def test_calendar_holiday_moves_the_schedule(api: Any, plan: dict[str, Any]) -> None:
    p, h = plan["p"], plan["h"]
    cal = api.get(f"/projects/{p}/calendars", headers=h).json()[0]
    r = api.post(
        f"/projects/{p}/calendars/{cal['id']}/exceptions",
        json={"day": "2030-01-08", "name": "Closed"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    assert tasks_by_name(api, p, h)["A"]["finish"] == "2030-01-10T18:00:00"
    r = api.patch(
        f"/projects/{p}/calendars/{cal['id']}", json={"version": cal["version"], "country": "ZZ"}, headers=h
    )
    err(r, 422, "country")


def test_task_list_sort_and_filter(api: Any, plan: dict[str, Any]) -> None:
    p, h = plan["p"], plan["h"]
    rows = api.get(f"/projects/{p}/tasks", params={"sort": "-total_float"}, headers=h).json()
    assert rows[0]["name"] == "C"
    crit = api.get(f"/projects/{p}/tasks", params={"critical": "true"}, headers=h).json()
    assert {t["name"] for t in crit} == {"A", "B", "M"}
    err(api.get(f"/projects/{p}/tasks", params={"sort": "name; DROP TABLE tasks"}, headers=h), 422, "sort")


def test_mspdi_round_trip_keeps_plan_and_dates(api: Any, plan: dict[str, Any]) -> None:
    p, h = plan["p"], plan["h"]
    r = api.get(f"/projects/{p}/export", params={"format": "mspdi"}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    r2 = api.post(
        "/imports", files={"file": ("p1.xml", r.content, "application/xml")}, data={"key": "COPY"}, headers=h
    )
    assert r2.status_code == 201, r2.text
    res = r2.json()
    assert res["tasks"] == 4 and res["links"] == 4
    assert res["dates_compared"] == res["dates_matching"] == 4, res["mismatches"]
    copy = tasks_by_name(api, res["project_id"], h)
    orig = tasks_by_name(api, p, h)
    for name in "ABCM":
        assert (copy[name]["start"], copy[name]["finish"]) == (orig[name]["start"], orig[name]["finish"])


def test_csv_and_xlsx_export_import(api: Any, plan: dict[str, Any]) -> None:
    p, h = plan["p"], plan["h"]
    for fmt in ("csv", "xlsx"):
        data = api.get(f"/projects/{p}/export", params={"format": fmt}, headers=h).content
        r = api.post(
            "/imports", files={"file": (f"p.{fmt}", data)}, data={"key": f"C{fmt.upper()}"}, headers=h
        )
        assert r.status_code == 201, r.text
        assert r.json()["links"] == 4


def test_a_bad_import_lands_nothing_and_names_the_rows(api: Any, plan: dict[str, Any], db: Any) -> None:
    before = _journal(db), _tasks(db)
    csv = b"id,name,duration,predecessors\r\n1,A,2d,\r\n2,B,-1d,1FS\r\n3,C,1d,9FS\r\n"
    r = api.post(f"/projects/{plan['p']}/import", files={"file": ("bad.csv", csv)}, headers=plan["h"])
    e = err(r, 422)
    assert "line 3" in e["message"] or "row 3" in e["message"], e
    assert (_journal(db), _tasks(db)) == before
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><Project>&b;</Project>'
    err(api.post(f"/projects/{plan['p']}/import", files={"file": ("bomb.xml", bomb)}, headers=plan["h"]), 400)
    assert (_journal(db), _tasks(db)) == before


def test_ical_feeds(api: Any, plan: dict[str, Any], seed: Any, as_: Any) -> None:
    r = api.get(f"/projects/{plan['p']}/export", params={"format": "ics"}, headers=plan["h"])
    assert r.status_code == 200 and b"BEGIN:VCALENDAR" in r.content and b"SUMMARY:P1: M" in r.content
    mine = api.get("/me/tasks.ics", headers=as_("worker"))
    assert mine.status_code == 200 and b"BEGIN:VCALENDAR" in mine.content


def _journal(db: Any) -> int:
    with db.uow(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(JournalEntry)) or 0


def _tasks(db: Any) -> int:
    with db.uow(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(Task)) or 0
