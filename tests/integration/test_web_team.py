"""The team pages over HTTP: the team table, the workload histograms, resource levelling (preview, accept,
undo, stale preview) and a work-package board, for the PM, a Task Leader and a Stakeholder; CSRF on every
post. World: Wendy works full time on Alpha (3d) and Bravo (2d) of WP-A at once from Mon 2030-01-07, so she
is over-allocated on the 7th and 8th; Alpha -> Charlie (1d, WP-A.1)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.domain.roles import STAKEHOLDER, TASK_LEADER, TASK_WORKER
from charter.persistence.db import Database
from charter.services import accounts, projects, roles, tasks, work_packages
from charter.services.context import SYSTEM, clock
from webhelpers import PW, login

PERIOD = {"from": "2030-01-07", "to": "2030-01-20"}


@pytest.fixture
def web(db: Database) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    with db.uow() as s:
        ids: dict[str, Any] = {
            n: accounts.create_user(s, SYSTEM, username=n, display_name=n.title(), password=PW)["id"]
            for n in ("pm", "tla", "holder", "wendy")
        }
        pid = projects.create_project(
            s, SYSTEM, key="TEAM", name="Team project", manager_id=ids["pm"], start_date=date(2030, 1, 7)
        )["id"]
        wpa = work_packages.create_work_package(s, SYSTEM, pid, name="WP-A")["id"]
        wpa1 = work_packages.create_work_package(s, SYSTEM, pid, name="WP-A.1", parent_id=wpa)["id"]
        keys = {r["key"]: r["id"] for r in roles.list_roles(s, SYSTEM, pid) if r["key"]}
        roles.assign_role(s, SYSTEM, pid, role_id=keys[TASK_LEADER], user_id=ids["tla"], scope_id=wpa)
        roles.assign_role(s, SYSTEM, pid, role_id=keys[STAKEHOLDER], user_id=ids["holder"])
        roles.assign_role(s, SYSTEM, pid, role_id=keys[TASK_WORKER], user_id=ids["wendy"])
        t = {}
        for name, wp, dur in (("Alpha", wpa, "3d"), ("Bravo", wpa, "2d"), ("Charlie", wpa1, "1d")):
            t[name[0]] = tasks.create_task(s, SYSTEM, pid, name=name, work_package_id=wp, duration=dur)["id"]
        tasks.create_link(s, SYSTEM, pid, pred_id=t["A"], succ_id=t["C"])
        for k in ("A", "B"):
            tasks.set_assignees(s, SYSTEM, pid, t[k], [ids["wendy"]])
    ids.update(project=pid, wpa=wpa, wpa1=wpa1, tasks=t)
    with TestClient(create_app(db), follow_redirects=False) as client:
        yield client, ids


def over_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-resource="\d+" data-day="([\d-]+)">', html)


def test_team_page_lists_members_roles_and_load(web) -> None:
    client, ids = web
    clock.freeze(datetime(2030, 1, 7, 8, 0, tzinfo=UTC))  # this week is the first week of the plan
    login(client, "pm")
    pid = ids["project"]
    r = client.get(f"/projects/{pid}/team")
    assert r.status_code == 200, r.text
    html = r.text
    for name in ("Pm", "Tla", "Holder", "Wendy"):
        assert f">{name}" in html
    assert "Task Leader (1 WP-A)" in html and "Stakeholder" in html
    row = html[html.index(f'data-user="{ids["wendy"]}"') :]
    row = " ".join(re.sub(r"<[^>]+>", " ", row[: row.index("</tr>")]).split())
    assert "over-allocated" in row and "40.0 h / 40.0 h (100 %) over" in row and "0.0 h / 40.0 h (0 %)" in row
    assert 'id="over-people"' in html and f'href="/projects/{pid}/workload' in html
    assert f'href="/projects/{pid}/work-packages/{ids["wpa"]}/board"' in html
    assert "style=" not in html and "<script>" not in html
    assert f'href="/projects/{pid}/team"' in client.get(f"/projects/{pid}").text
    assert f'href="/projects/{pid}/team"' in client.get(f"/projects/{pid}/schedule").text


def test_workload_page_draws_histograms_and_lists_overallocations(web) -> None:
    client, ids = web
    login(client, "pm")
    pid = ids["project"]
    r = client.get(f"/projects/{pid}/workload", params=PERIOD)
    assert r.status_code == 200, r.text
    html = r.text
    assert 'id="chart-team"' in html and html.count('<svg class="histogram"') == 2  # team + Wendy
    assert html.count('class="load over"') == 4  # Wendy's two days, twice (her chart and the team's)
    assert 'data-day="2030-01-07"' in html and 'class="cap"' in html
    assert over_rows(html) == ["2030-01-07", "2030-01-08"]
    assert "Alpha" in html and "Bravo" in html and "16.0 h" in html
    weekly = client.get(f"/projects/{pid}/workload", params={**PERIOD, "by": "week"}).text
    assert weekly.count('class="load over"') == 2 and "2030-W02" in weekly
    # the default period finds the plan even though it lies years away
    assert over_rows(client.get(f"/projects/{pid}/workload").text) == ["2030-01-07", "2030-01-08"]
    bad = client.get(f"/projects/{pid}/workload", params={"from": "2030-01-07", "to": "2029-01-01"})
    assert bad.status_code == 422 and "ends before it starts" in bad.text
    assert client.get(f"/projects/{pid}/workload", params={"from": "soon"}).status_code == 422
    assert "style=" not in html


def test_pm_previews_accepts_and_undoes_levelling(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid = ids["project"]
    page = client.get(f"/projects/{pid}/levelling")
    assert page.status_code == 200 and 'id="level-form"' in page.text
    r = client.post(f"/projects/{pid}/levelling", data={"csrf_token": csrf, "method": "heuristic"})
    assert r.status_code == 303
    run_url = r.headers["location"]
    run = client.get(run_url).text
    assert 'id="run-status">Preview' in run and 'id="moves"' in run
    assert re.search(r'id="new-finish">2030-01-1\d', run) and 'id="accept"' in run
    assert 'id="none-remaining"' in run
    r = client.post(run_url + "/accept", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert over_rows(client.get(f"/projects/{pid}/workload", params=PERIOD).text) == []
    applied = client.get(run_url).text
    assert 'id="run-status">Applied' in applied and 'id="undo"' in applied and 'id="accept"' not in applied
    assert client.post(run_url + "/accept", data={"csrf_token": csrf}).status_code == 409
    assert client.post(run_url + "/undo", data={"csrf_token": csrf}).status_code == 303
    assert len(over_rows(client.get(f"/projects/{pid}/workload", params=PERIOD).text)) == 2
    assert 'id="run-status">Undone' in client.get(run_url).text


def test_stale_preview_shows_the_conflict_and_offers_to_preview_again(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid = ids["project"]
    run_url = client.post(f"/projects/{pid}/levelling", data={"csrf_token": csrf}).headers["location"]
    with client.app.state.db.uow() as s:  # type: ignore[attr-defined]
        tasks.create_task(s, SYSTEM, pid, name="Delta", duration="1d")
    r = client.post(run_url + "/accept", data={"csrf_token": csrf})
    assert r.status_code == 409
    assert "the plan changed since this preview" in r.text and "Preview again" in r.text


def test_levelling_with_bad_input_keeps_the_form(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid = ids["project"]
    r = client.post(f"/projects/{pid}/levelling", data={"csrf_token": csrf, "time_limit": "soon"})
    assert r.status_code == 422 and "number of seconds" in r.text and 'aria-invalid="true"' in r.text
    r = client.post(f"/projects/{pid}/levelling", data={"csrf_token": csrf, "method": "magic"})
    assert r.status_code == 422 and "method must be one of" in r.text
    assert client.get(f"/projects/{pid}/levelling/999").status_code == 404


def test_stakeholder_sees_no_levelling_form_and_is_refused(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid = ids["project"]
    run_url = client.post(f"/projects/{pid}/levelling", data={"csrf_token": csrf}).headers["location"]
    csrf = login(client, "holder")
    page = client.get(f"/projects/{pid}/levelling")
    assert page.status_code == 200 and 'id="level-form"' not in page.text and 'id="no-level"' in page.text
    run = client.get(run_url)
    assert run.status_code == 200 and 'id="accept"' not in run.text
    assert client.post(f"/projects/{pid}/levelling", data={"csrf_token": csrf}).status_code == 403
    assert client.post(run_url + "/accept", data={"csrf_token": csrf}).status_code == 403
    assert client.post(run_url + "/undo", data={"csrf_token": csrf}).status_code == 403
    for path in ("team", "workload", f"work-packages/{ids['wpa']}/board"):
        assert client.get(f"/projects/{pid}/{path}").status_code == 200


def test_csrf_is_enforced(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid = ids["project"]
    assert client.post(f"/projects/{pid}/levelling", data={}).status_code == 403
    assert client.post(f"/projects/{pid}/levelling", data={"csrf_token": "forged"}).status_code == 403
    run_url = client.post(f"/projects/{pid}/levelling", data={"csrf_token": csrf}).headers["location"]
    assert client.post(run_url + "/accept", data={"csrf_token": "forged"}).status_code == 403
    assert 'id="run-status">Preview' in client.get(run_url).text


def test_pages_need_sign_in_and_hide_unknown_projects(web) -> None:
    client, ids = web
    client.cookies.clear()
    r = client.get(f"/projects/{ids['project']}/team")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    login(client, "pm")
    assert client.get("/projects/999/workload").status_code == 404
    assert client.get(f"/projects/{ids['project']}/work-packages/999/board").status_code == 404


def test_board_shows_columns_blocked_overloaded_and_pending_hours(web) -> None:
    client, ids = web
    pid, t = ids["project"], ids["tasks"]
    clock.freeze(datetime(2030, 1, 14, 9, 0, tzinfo=UTC))  # Charlie should have started on the 10th
    csrf = login(client, "tla")
    with client.app.state.db.uow() as s:  # type: ignore[attr-defined]
        b = tasks.get_task(s, SYSTEM, pid, t["B"])
        tasks.update_task(s, SYSTEM, pid, t["B"], b["version"], percent_complete=50.0)
    assert csrf
    r = client.get(f"/projects/{pid}/work-packages/{ids['wpa']}/board")
    assert r.status_code == 200, r.text
    html = r.text
    not_started = html[html.index('id="col-not_started"') : html.index('id="col-in_progress"')]
    in_progress = html[html.index('id="col-in_progress"') : html.index('id="col-completed"')]
    assert f'data-task="{t["A"]}"' in not_started and f'data-task="{t["C"]}"' in not_started  # sub-package
    assert f'data-task="{t["B"]}"' in in_progress
    blocked = html[html.index('id="blocked"') : html.index('id="overloaded"')]
    assert f'data-task="{t["C"]}"' in blocked and "waits for Alpha" in blocked
    assert 'id="approvals"' in html  # the timesheets service is there
    assert "Nobody working in this package is over-allocated" in html  # Wendy's overload was last week
    clock.freeze(datetime(2030, 1, 7, 9, 0, tzinfo=UTC))
    html = client.get(f"/projects/{pid}/work-packages/{ids['wpa']}/board").text
    overloaded = html[html.index('id="overloaded"') : html.index('id="approvals"')]
    assert "Wendy" in overloaded and "Mon 07 Jan (16.0 h of 8.0 h)" in overloaded
    sub = client.get(f"/projects/{pid}/work-packages/{ids['wpa1']}/board").text
    assert f'data-task="{t["A"]}"' not in sub and f'data-task="{t["C"]}"' in sub
