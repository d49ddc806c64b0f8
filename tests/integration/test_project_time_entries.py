"""A project's time entries for the people who run it (services.time_entries, GET /projects/{id}/time-entries
and its CSV, the web page /projects/{id}/time, `charter time list`) and the budget's warning about approved
hours costed 0 because the person has no rate on those days.

P1 starts on Monday 2030-01-07 (as in test_timesheets.py): task A (WP-A, worker assigned) 01-07..01-09,
B (WP-B) 01-10..01-11, C (WP-A) 01-07. The clock stands at Friday 2030-01-25. The hours (`hours` fixture):

    worker        A  01-07  2h    approved  note "=HYPERLINK(...)"
    worker        A  01-08  1.5h  approved  note "@SUM(A1)"
    task_leader   C  01-07  1h    draft
    pm            B  01-10  3h    submitted note "+1 more"
    task_leader_b B  01-11  2h    draft     note "-reviewed"
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from charter.app import create_app
from charter.domain.errors import NotFound, PermissionDenied, ValidationError
from charter.persistence.models import Resource
from charter.services import budget, projects, resources, scheduling, time_entries, timesheets
from webhelpers import login_seeded, no_inline

NOW = datetime(2030, 1, 25, 12, 0, tzinfo=UTC)
EVERY = 5  # entries in the project


@pytest.fixture
def ts(seed: Any, frozen_clock: Any) -> Any:
    with seed.db.uow() as s:
        projects.update_project(s, seed.actor("admin"), seed.p1, 1, start_date=date(2030, 1, 7))
        scheduling.plan_changed(s, seed.p1)
    frozen_clock.set(NOW)
    return seed


def _log(w: Any, who: str, task: str, day: str, hours: str, note: str = "") -> dict[str, Any]:
    with w.db.uow() as s:
        return timesheets.log_entry(
            s, w.actor(who), w.p1, task_id=w.tasks[task], day=date.fromisoformat(day), hours=hours, note=note
        )


@pytest.fixture
def hours(ts: Any) -> Any:
    a1 = _log(ts, "worker", "a", "2030-01-07", "2h", '=HYPERLINK("http://evil.test","x")')
    a2 = _log(ts, "worker", "a", "2030-01-08", "90m", "@SUM(A1)")
    _log(ts, "task_leader", "c", "2030-01-07", "1h")
    _log(ts, "pm", "b", "2030-01-10", "3h", "+1 more")
    _log(ts, "task_leader_b", "b", "2030-01-11", "2h", "-reviewed")
    with ts.db.uow() as s:
        timesheets.submit_week(s, ts.actor("worker"), "2030-W02")
        timesheets.submit_week(s, ts.actor("pm"), "2030-W02")
    with ts.db.uow() as s:
        for e in (a1, a2):
            timesheets.approve_entry(s, ts.actor("task_leader"), e["id"], ts.p1)
    return ts


def _entries(w: Any, who: str, **kw: Any) -> dict[str, Any]:
    with w.db.uow(readonly=True) as s:
        return time_entries.project_entries(s, w.actor(who), w.p1, **kw)


def _who(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["user"], e["day"].isoformat()) for e in data["items"]]


# --------------------------------------------------------------------------------------------- service


def test_pm_sees_every_entry_with_task_package_person_and_totals(hours: Any) -> None:
    data = _entries(hours, "pm")
    assert data["scope"] == "all" and data["project_key"] == "P1" and data["total_count"] == EVERY
    assert _who(data) == [
        ("Worker", "2030-01-07"), ("Task Leader", "2030-01-07"), ("Worker", "2030-01-08"),
        ("Pm", "2030-01-10"), ("Task Leader B", "2030-01-11"),
    ]  # fmt: skip
    first = next(e for e in data["items"] if e["user"] == "Worker")
    assert first["task_name"] == "Task A" and first["work_package"] == "WP-A" and first["task_wbs"]
    assert (first["minutes"], first["hours"], first["status"]) == (120, 2.0, "approved")
    assert first["note"].startswith("=HYPERLINK")
    tot = data["totals"]
    assert tot["minutes"] == 120 + 90 + 60 + 180 + 120 and tot["hours"] == 9.5
    assert {r["user"]: r["minutes"] for r in tot["by_user"]} == {
        "Worker": 210, "Task Leader": 60, "Pm": 180, "Task Leader B": 120,
    }  # fmt: skip
    assert {r["work_package"]: r["minutes"] for r in tot["by_work_package"]} == {"WP-A": 270, "WP-B": 300}
    assert [(r["status"], r["minutes"]) for r in tot["by_status"]] == [
        ("draft", 180), ("submitted", 180), ("approved", 210),
    ]  # fmt: skip


def test_who_sees_which_entries(hours: Any) -> None:
    assert _entries(hours, "sponsor")["total_count"] == EVERY  # budget.read project-wide
    assert _entries(hours, "admin")["total_count"] == EVERY
    tl = _entries(hours, "task_leader")  # WP-A: the worker's hours on A and their own on C
    assert tl["scope"] == "work_packages"
    assert sorted(_who(tl)) == [
        ("Task Leader", "2030-01-07"),
        ("Worker", "2030-01-07"),
        ("Worker", "2030-01-08"),
    ]
    assert {r["work_package"] for r in tl["totals"]["by_work_package"]} == {"WP-A"}
    tlb = _entries(hours, "task_leader_b")  # WP-B: the PM's hours on B and their own
    assert sorted(_who(tlb)) == [("Pm", "2030-01-10"), ("Task Leader B", "2030-01-11")]
    worker = _entries(hours, "worker")
    assert worker["scope"] == "own" and _who(worker) == [("Worker", "2030-01-07"), ("Worker", "2030-01-08")]
    assert worker["totals"]["minutes"] == 210
    for member in ("observer", "stakeholder", "liaison"):  # may not log hours nor read budgets: refused
        with pytest.raises(PermissionDenied):
            _entries(hours, member)
    with pytest.raises(NotFound):  # cannot see P1
        _entries(hours, "outsider")
    # a filter never widens a scope
    assert _entries(hours, "worker", user_id=hours.users["pm"])["total_count"] == 0
    assert _entries(hours, "task_leader", work_package_id=hours.wp_b)["total_count"] == 0


def test_filters_paging_and_their_validation(hours: Any) -> None:
    w = hours
    assert _who(_entries(w, "pm", date_from=date(2030, 1, 8), date_to=date(2030, 1, 10))) == [
        ("Worker", "2030-01-08"), ("Pm", "2030-01-10"),
    ]  # fmt: skip
    assert _entries(w, "pm", user_id=w.users["worker"])["totals"]["minutes"] == 210
    assert _entries(w, "pm", work_package_id=w.wp_b)["total_count"] == 2
    assert _entries(w, "pm", work_package_id=w.wp_a1)["total_count"] == 0  # a sub-package without tasks
    assert _entries(w, "pm", task_id=w.tasks["c"])["total_count"] == 1
    assert [e["status"] for e in _entries(w, "pm", status="approved")["items"]] == ["approved", "approved"]
    page = _entries(w, "pm", limit=2, offset=1)
    assert len(page["items"]) == 2 and page["total_count"] == EVERY and page["totals"]["minutes"] == 570
    assert _who(page) == [("Task Leader", "2030-01-07"), ("Worker", "2030-01-08")]  # by day, then WBS
    bad = [
        ({"date_from": date(2030, 1, 10), "date_to": date(2030, 1, 9)}, "date_to"),
        ({"work_package_id": w.wp_p2}, "work_package_id"),
        ({"task_id": w.tasks["p2"]}, "task_id"),
        ({"user_id": w.users["outsider"]}, "user_id"),
        ({"status": "paid"}, "status"),
        ({"limit": 0}, "limit"),
    ]
    for kw, field in bad:
        with pytest.raises(ValidationError) as exc:
            _entries(w, "pm", **kw)
        assert exc.value.field == field, kw


def test_the_queries_do_not_grow_with_the_entries(ts: Any) -> None:
    """Entries, people, tasks and packages are read by joins: the number of statements is the same for 1
    entry as for 3 people's entries on 3 tasks."""

    def statements() -> int:
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(args[2])

        event.listen(ts.db.engine, "before_cursor_execute", count)
        try:
            _entries(ts, "pm")
        finally:
            event.remove(ts.db.engine, "before_cursor_execute", count)
        return len(seen)

    _log(ts, "worker", "a", "2030-01-07", "1h")
    few = statements()
    _log(ts, "pm", "b", "2030-01-10", "2h")
    _log(ts, "task_leader", "c", "2030-01-07", "1h")
    _log(ts, "worker", "a", "2030-01-08", "1h")
    assert _entries(ts, "pm")["total_count"] == 4
    assert statements() == few


# --------------------------------------------------------------------------------------------- API


def test_api_lists_filters_and_refuses(api: Any, hours: Any, as_: Any) -> None:
    url = f"/projects/{hours.p1}/time-entries"
    r = api.get(url, headers=as_("pm"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total_count"] == EVERY and body["totals"]["hours"] == 9.5 and body["limit"] == 200
    assert body["items"][0]["day"] == "2030-01-07" and {"task_wbs", "work_package", "user"} <= set(
        body["items"][0]
    )
    r = api.get(url, headers=as_("pm"), params={"status": "submitted", "user_id": hours.users["pm"]})
    assert [(e["user"], e["status"]) for e in r.json()["items"]] == [("Pm", "submitted")]
    r = api.get(url, headers=as_("task_leader"), params={"limit": 1, "offset": 2})
    assert r.json()["total_count"] == 3 and len(r.json()["items"]) == 1
    assert api.get(url, headers=as_("worker")).json()["totals"]["minutes"] == 210
    r = api.get(url, headers=as_("pm"), params={"date_from": "2030-01-09", "date_to": "2030-01-08"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "date_to"
    r = api.get(url, headers=as_("pm"), params={"task_id": hours.tasks["p2"]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "task_id"
    assert api.get(url, headers=as_("pm"), params={"status": "paid"}).status_code == 422
    assert api.get(url, headers=as_("observer")).status_code == 403
    assert api.get(url, headers=as_("outsider")).status_code == 404
    assert api.get(url).status_code == 401


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_is_formula_safe_and_scoped(api: Any, hours: Any, as_: Any) -> None:
    url = f"/projects/{hours.p1}/time-entries.csv"
    r = api.get(url, headers=as_("pm"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf") and "time-" in r.headers["content-disposition"]
    rows = _csv(r.content.decode("utf-8-sig"))
    assert rows[0] == list(time_entries.CSV_COLUMNS) and len(rows) == EVERY + 1
    notes = {row[9] for row in rows[1:]}
    # every note a spreadsheet would run as a formula starts with a quote; plain text is unchanged
    assert {'\'=HYPERLINK("http://evil.test","x")', "'@SUM(A1)", "'+1 more", "'-reviewed", ""} == notes
    assert not any(cell[:1] in "=+-@" and cell for row in rows[1:] for cell in row)
    worker_rows = [row for row in rows[1:] if row[1] == "Worker"]
    assert [(row[3], row[5], row[6], row[8]) for row in worker_rows] == [
        ("WP-A", "Task A", "2.00", "approved"), ("WP-A", "Task A", "1.50", "approved"),
    ]  # fmt: skip
    tl = _csv(api.get(url, headers=as_("task_leader")).content.decode("utf-8-sig"))
    assert len(tl) == 4 and {row[3] for row in tl[1:]} == {"WP-A"}
    only = _csv(api.get(url, headers=as_("pm"), params={"status": "approved"}).content.decode("utf-8-sig"))
    assert len(only) == 3
    assert api.get(url, headers=as_("observer")).status_code == 403
    assert api.get(url, headers=as_("outsider")).status_code == 404


# --------------------------------------------------------------------------------------------- web


@pytest.fixture
def client(db: Any) -> Iterator[TestClient]:
    with TestClient(create_app(db)) as c:
        yield c


def test_web_time_page_filters_totals_and_csv(hours: Any, client: TestClient) -> None:
    login_seeded(hours, client, "pm")
    home = client.get(f"/projects/{hours.p1}").text
    assert 'id="tab-time"' in home
    page = client.get(f"/projects/{hours.p1}/time")
    assert page.status_code == 200
    html = page.text
    no_inline(html)
    assert html.count("data-entry=") == EVERY and 'id="time-totals"' in html and "9.5 h" in html
    assert 'id="time-csv"' in html and "Every person" in html
    # the form is GET and keeps its values; the CSV link carries the same filters
    q = {"date_from": "2030-01-08", "date_to": "2030-01-31", "user_id": str(hours.users["worker"]),
         "work_package_id": str(hours.wp_a), "status": "approved"}  # fmt: skip
    html = client.get(f"/projects/{hours.p1}/time", params=q).text
    assert 'method="get"' in html and html.count("data-entry=") == 1
    assert 'name="date_from" type="date" value="2030-01-08"' in html
    assert f'<option value="{hours.users["worker"]}" selected>Worker</option>' in html
    assert f'<option value="{hours.wp_a}" selected>' in html and '<option value="approved" selected>' in html
    assert "date_from=2030-01-08" in html and "status=approved" in html
    csv_url = f"/projects/{hours.p1}/time.csv"
    rows = _csv(client.get(csv_url, params=q).content.decode("utf-8-sig"))
    assert len(rows) == 2 and rows[1][9] == "'@SUM(A1)"
    # a bad filter names its field and keeps the values
    bad = client.get(
        f"/projects/{hours.p1}/time", params={"date_from": "2030-01-09", "date_to": "2030-01-08"}
    )
    assert bad.status_code == 422 and 'id="time-filters-error"' in bad.text
    assert 'value="2030-01-09"' in bad.text and 'aria-invalid="true"' in bad.text
    assert client.get(f"/projects/{hours.p1}/time", params={"date_from": "soon"}).status_code == 422


def test_web_time_page_per_role(hours: Any, client: TestClient) -> None:
    login_seeded(hours, client, "task_leader")
    html = client.get(f"/projects/{hours.p1}/time").text
    assert html.count("data-entry=") == 3 and "Task B" not in html
    login_seeded(hours, client, "worker")
    assert 'id="tab-time"' in client.get(f"/projects/{hours.p1}").text
    assert client.get(f"/projects/{hours.p1}/time").text.count("data-entry=") == 2
    login_seeded(hours, client, "observer")
    assert 'id="tab-time"' not in client.get(f"/projects/{hours.p1}").text
    assert client.get(f"/projects/{hours.p1}/time").status_code == 403
    assert client.get(f"/projects/{hours.p1}/time.csv").status_code == 403
    login_seeded(hours, client, "outsider")
    assert client.get(f"/projects/{hours.p1}/time").status_code == 404


# --------------------------------------------------------------------------------------------- CLI


def test_cli_time_list(hours: Any, cli: Any) -> None:
    out = cli("time", "list", "--project", "P1").stdout
    assert "Time of P1" in out and "Task Leader B" in out and "Total: 9.5 h in 5 entries" in out
    assert "Per status: draft 3 h, submitted 3 h, approved 3.5 h" in out
    out = cli(
        "time",
        "list",
        "--project",
        "P1",
        "--from",
        "2030-01-08",
        "--to",
        "2030-01-10",
        "--status",
        "approved",
    )
    assert "Total: 1.5 h in 1 entries" in out.stdout
    data = json.loads(cli("time", "list", "-p", "P1", "--user", "worker", "--json").stdout)
    assert data["total_count"] == 2 and {e["user"] for e in data["items"]} == {"Worker"}
    rows = _csv(cli("time", "list", "--project", "P1", "--csv").stdout)
    assert rows[0][0] == "day" and len(rows) == EVERY + 1 and "'+1 more" in {r[9] for r in rows}
    assert "Total: 3.5 h" in cli("time", "list", "--project", "P1", who="worker").stdout
    # who sees only their own hours names only themselves; another name, existing or not, is one refusal,
    # so that it tells nothing about which usernames exist (a caller who sees no time: refused before too)
    mine = json.loads(cli("time", "list", "-p", "P1", "--user", "worker", "--json", who="worker").stdout)
    assert mine["total_count"] == 2
    refusals = {cli("time", "list", "-p", "P1", "--user", name, code=1, who="worker").stderr
                for name in ("pm", "nobody", "999999")}  # fmt: skip
    assert len(refusals) == 1 and "only your own hours" in refusals.pop()
    for name in ("pm", "nobody"):
        r = cli("time", "list", "-p", "P1", "--user", name, code=1, who="observer")
        assert "no user" not in r.stderr and "time" in r.stderr
    assert "3 entries" in cli("time", "list", "--project", "P1", who="task-leader").stdout
    bad = cli("time", "list", "--project", "P1", "--from", "2030-01-10", "--to", "2030-01-01", code=1)
    assert "date_to" in bad.stderr
    assert cli("time", "list", "--project", "P1", "--status", "paid", code=1).stderr.count("status") >= 1
    cli("time", "list", "--project", "P1", code=1, who="observer")
    cli("time", "list", "--project", "P1", code=1, who="outsider")
    help_text = cli("time", "list", "--help").stdout
    assert "--from" in help_text and "--csv" in help_text and "Task Leader" in help_text


# --------------------------------------------------------------------------------------------- no-rate warning


def _approve_all(w: Any, who: str) -> None:
    with w.db.uow() as s:
        for x in timesheets.approvals_for(s, w.actor(who)):
            timesheets.approve_entry(s, w.actor(who), x["id"], x["project_id"])


def test_approved_hours_without_a_rate_are_named_not_silently_zero(hours: Any, api: Any, as_: Any) -> None:
    """The worker (a resource without any rate) has 3.5 h approved on WP-A: the budget names them, with the
    package and the days, instead of costing them 0 silently; scoped like the budget view."""
    w = hours
    summary = api.get(f"/projects/{w.p1}/budget", headers=as_("pm")).json()
    (warning,) = summary["labour_warnings"]
    assert "3.5 h approved for Worker on work package WP-A (2030-01-07 to 2030-01-08) are costed 0" in warning
    assert "add a rate valid from 2030-01-07" in warning
    # the Task Leader of WP-A sees it on their budget view; the leader of WP-B does not (another package)
    assert api.get(f"/projects/{w.p1}/budget", headers=as_("task_leader")).json()["labour_warnings"] == [
        warning
    ]
    assert api.get(f"/projects/{w.p1}/budget", headers=as_("task_leader_b")).json()["labour_warnings"] == []
    # a rate from the second day on leaves the first day named
    with w.db.uow() as s:
        rid = s.scalar(select(Resource.id).where(Resource.user_id == w.users["worker"]))
        assert rid is not None
        resources.add_rate(
            s, w.actor("admin"), rid, valid_from=date(2030, 1, 8), standard="100", currency="USD"
        )
    with w.db.uow(readonly=True) as s:
        (left,) = budget.labour_warnings(s, w.p1)
    assert "2 h approved for Worker on work package WP-A (2030-01-07) are costed 0" in left
    with w.db.uow() as s:
        resources.add_rate(
            s, w.actor("admin"), rid, valid_from=date(2030, 1, 1), standard="100", currency="USD"
        )
    with w.db.uow(readonly=True) as s:
        assert budget.labour_warnings(s, w.p1) == []
        assert timesheets.labour_cost(s, w.p1) == {w.tasks["a"]: Decimal("350.00")}


def test_no_rate_warning_for_a_person_without_a_resource_on_the_web_and_cli(
    hours: Any, client: TestClient, cli: Any
) -> None:
    """The PM's submitted hours on B, approved by the PM; the PM has no resource at all -> named too; the
    budget page and `charter budget show` show the warnings."""
    _approve_all(hours, "pm")
    with hours.db.uow(readonly=True) as s:
        warnings = budget.labour_warnings(s, hours.p1)
        has_resource = s.scalar(select(Resource.id).where(Resource.user_id == hours.users["pm"]))
    assert has_resource is None
    assert any("3 h approved for Pm on work package WP-B (2030-01-10) are costed 0" in x for x in warnings)
    assert any("for Worker on work package WP-A" in x for x in warnings)
    login_seeded(hours, client, "pm")
    html = client.get(f"/projects/{hours.p1}/budget").text
    assert 'id="labour-warnings"' in html and "3 h approved for Pm on work package WP-B" in html
    out = cli("budget", "show", "P1").stdout
    assert "Labour:" in out and "3 h approved for Pm on work package WP-B (2030-01-10) are costed 0" in out
