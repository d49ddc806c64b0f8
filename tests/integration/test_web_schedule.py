"""The schedule pages over HTTP: the Gantt page and its JSON, drags through the JSON route (CSRF header,
version, permission), the task table (sort, filter, inline edit, add task and link, baselines) and the task
page (validation keeps input, a stale edit shows the saved values), for the PM, Task Leaders and a
Stakeholder."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.domain.roles import STAKEHOLDER, TASK_LEADER
from charter.persistence.db import Database
from charter.services import accounts, projects, roles, scheduling, tasks, work_packages
from charter.services.context import SYSTEM
from webhelpers import PW, login


@pytest.fixture
def web(db: Database) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    """A -> B -> M and A -> C -> M; A, C in WP-A (led by tla), B, M in WP-B (led by tlb)."""
    with db.uow() as s:
        ids: dict[str, Any] = {
            n: accounts.create_user(s, SYSTEM, username=n, display_name=n.title(), password=PW)["id"]
            for n in ("pm", "tla", "tlb", "holder")
        }
        p = projects.create_project(
            s, SYSTEM, key="SCH", name="Schedule project", manager_id=ids["pm"], start_date=date(2030, 1, 7)
        )
        pid = p["id"]
        wpa = work_packages.create_work_package(s, SYSTEM, pid, name="WP-A")["id"]
        wpb = work_packages.create_work_package(s, SYSTEM, pid, name="WP-B")["id"]
        keys = {r["key"]: r["id"] for r in roles.list_roles(s, SYSTEM, pid) if r["key"]}
        roles.assign_role(s, SYSTEM, pid, role_id=keys[TASK_LEADER], user_id=ids["tla"], scope_id=wpa)
        roles.assign_role(s, SYSTEM, pid, role_id=keys[TASK_LEADER], user_id=ids["tlb"], scope_id=wpb)
        roles.assign_role(s, SYSTEM, pid, role_id=keys[STAKEHOLDER], user_id=ids["holder"])
        t = {}
        for name, wp, dur in (("Alpha", wpa, "3d"), ("Bravo", wpb, "2d"), ("Charlie", wpa, "1d")):
            t[name[0]] = tasks.create_task(s, SYSTEM, pid, name=name, work_package_id=wp, duration=dur)["id"]
        t["M"] = tasks.create_task(s, SYSTEM, pid, name="Go live", work_package_id=wpb, milestone=True)["id"]
        for a, b in (("A", "B"), ("B", "M"), ("A", "C"), ("C", "M")):
            tasks.create_link(s, SYSTEM, pid, pred_id=t[a], succ_id=t[b])
    ids.update(project=pid, wpa=wpa, wpb=wpb, tasks=t)
    with TestClient(create_app(db), follow_redirects=False) as client:
        yield client, ids


def gantt(client: TestClient, pid: int) -> dict[str, Any]:
    r = client.get(f"/projects/{pid}/gantt.json")
    assert r.status_code == 200
    data: dict[str, Any] = r.json()
    return data


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in data["tasks"]}


def test_gantt_page_renders_with_data_and_noscript_table(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid = ids["project"]
    r = client.get(f"/projects/{pid}/gantt")
    assert r.status_code == 200
    html = r.text
    assert f'<meta name="csrf-token" content="{csrf}">' in html
    assert 'id="gantt-data"' in html and "/static/gantt.js" in html
    assert "<noscript>" in html and f'href="/projects/{pid}/tasks/{ids["tasks"]["A"]}"' in html
    assert "Phase:" in html and "style=" not in html
    home = client.get(f"/projects/{pid}").text
    assert f'href="/projects/{pid}/gantt"' in home


def test_gantt_json_is_the_schedule(web) -> None:
    client, ids = web
    login(client, "pm")
    data = gantt(client, ids["project"])
    names = by_name(data)
    assert names["Alpha"]["critical"] and names["Bravo"]["critical"] and not names["Charlie"]["critical"]
    assert names["Go live"]["milestone"] and names["Alpha"]["editable"]
    assert {s["name"] for s in data["summaries"]} == {"WP-A", "WP-B"}
    assert len(data["links"]) == 4 and data["finish"].startswith("2030-01-11")
    full = client.get(f"/projects/{ids['project']}/gantt.json?full=1").json()
    assert "late_start" in full["tasks"][0]


def _drag(client: TestClient, csrf: str, pid: int, tid: int, body: dict[str, Any]) -> Any:
    return client.post(f"/projects/{pid}/gantt/tasks/{tid}", json=body, headers={"X-CSRF-Token": csrf})


def test_drag_moves_task_recomputes_and_shifts_critical_path(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, t = ids["project"], ids["tasks"]
    c = by_name(gantt(client, pid))["Charlie"]
    r = _drag(client, csrf, pid, t["C"], {"version": c["version"], "start": "2030-01-14T09:00"})
    assert r.status_code == 200, r.text
    names = by_name(r.json())
    assert names["Charlie"]["start"].startswith("2030-01-14T09:00")
    assert names["Charlie"]["constraint_type"] == "snet"
    assert names["Go live"]["start"] > "2030-01-14"
    assert names["Charlie"]["critical"] and not names["Bravo"]["critical"]


def test_drag_changes_duration(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, t = ids["project"], ids["tasks"]
    c = by_name(gantt(client, pid))["Charlie"]
    r = _drag(client, csrf, pid, t["C"], {"version": c["version"], "duration": "4d"})
    assert r.status_code == 200
    assert by_name(r.json())["Charlie"]["duration"] == "4d"


COMPUTED = ("start", "finish", "total_float_days", "free_float_days", "critical", "violation")


def _minutes(value: str | None) -> int | None:
    return (
        None
        if value is None
        else (datetime.fromisoformat(value) - datetime(1970, 1, 1)) // timedelta(minutes=1)
    )


def test_drag_from_the_current_revision_answers_only_what_moved(web) -> None:
    """The chart sends the plan revision it holds: the answer is the edited task's row and, column-wise, the
    computed fields of exactly the tasks whose start, finish, floats, critical flag or violation changed."""
    client, ids = web
    csrf = login(client, "pm")
    pid, t = ids["project"], ids["tasks"]
    before = gantt(client, pid)
    c = by_name(before)["Charlie"]
    body = {"version": c["version"], "start": "2030-01-14T09:00", "revision": before["plan_revision"]}
    r = _drag(client, csrf, pid, t["C"], body)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["delta"] and "summaries" not in data and "links" not in data and "refreshed" not in data
    assert data["plan_revision"] == before["plan_revision"] + 1
    assert [row["name"] for row in data["tasks"]] == ["Charlie"]
    row = data["tasks"][0]
    assert row["start"].startswith("2030-01-14T09:00") and row["constraint_type"] == "snet"
    assert row["version"] == c["version"] + 1 and row["editable"] and row["critical"]
    after = gantt(client, pid)
    assert data["finish"] == after["finish"]
    old, new = {x["id"]: x for x in before["tasks"]}, {x["id"]: x for x in after["tasks"]}
    moved = {tid for tid in new if tid != t["C"] and any(new[tid][k] != old[tid][k] for k in COMPUTED)}
    ch = data["changes"]
    assert set(ch["id"]) == moved and len(ch["id"]) == len(moved)
    assert {t["M"], t["B"]} <= moved  # the milestone moved later, Bravo left the critical path
    for i, tid in enumerate(ch["id"]):
        n = new[tid]
        assert (ch["start"][i], ch["finish"][i]) == (_minutes(n["start"]), _minutes(n["finish"]))
        assert (ch["tf"][i], ch["ff"][i]) == (n["total_float_days"], n["free_float_days"])
        assert (ch["critical"][i], ch["violation"][i]) == (n["critical"], n["violation"])
    # The next drag from the answered revision is again answered with what moved.
    body = {"version": row["version"], "start": "2030-01-15T09:00", "revision": data["plan_revision"]}
    again = _drag(client, csrf, pid, t["C"], body).json()
    assert again["delta"] and again["plan_revision"] == data["plan_revision"] + 1


def test_drag_from_an_old_or_unknown_revision_answers_the_whole_chart(web, db: Database) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, t = ids["project"], ids["tasks"]
    held = gantt(client, pid)
    with db.uow() as s:  # someone else lengthens Bravo meanwhile
        b = tasks.get_task(s, SYSTEM, pid, t["B"])
        tasks.update_task(s, SYSTEM, pid, t["B"], b["version"], duration="4d")
    c = by_name(held)["Charlie"]
    body = {"version": c["version"], "start": "2030-01-14T09:00", "revision": held["plan_revision"]}
    r = _drag(client, csrf, pid, t["C"], body)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["refreshed"] and "delta" not in data
    assert data["plan_revision"] == held["plan_revision"] + 2
    names = by_name(data)
    assert set(names) == {"Alpha", "Bravo", "Charlie", "Go live"} and names["Bravo"]["duration"] == "4d"
    assert len(data["links"]) == 4 and {w["name"] for w in data["summaries"]} == {"WP-A", "WP-B"}
    # A revision the server never had (or a future one) is answered in full too; a bad one is refused.
    body = {"version": names["Charlie"]["version"], "duration": "2d", "revision": 10**6}
    r = _drag(client, csrf, pid, t["C"], body)
    assert r.status_code == 200 and r.json()["refreshed"]
    r = _drag(client, csrf, pid, t["C"], {"version": 99, "duration": "2d", "revision": "new"})
    assert r.status_code == 422 and r.json()["field"] == "revision"


def test_computed_changes_read_back_equal_the_recomputed_ones(web, db: Database) -> None:
    """Without a recompute in the transaction the stored rows are read: the same columns and values."""
    _client, ids = web
    pid, t = ids["project"], ids["tasks"]
    with db.uow() as s:
        c = tasks.get_task(s, SYSTEM, pid, t["C"])
        tasks.update_task(s, SYSTEM, pid, t["C"], c["version"], duration="5d")
        fresh = scheduling.computed_changes(s, SYSTEM, pid, set(t.values()))
    with db.uow(readonly=True) as s:
        stored = scheduling.computed_changes(s, SYSTEM, pid, set(t.values()))
        assert scheduling.computed_changes(s, SYSTEM, pid, set())["id"] == []

    def rows(d: dict[str, Any]) -> list[tuple[Any, ...]]:
        return sorted(
            zip(*(d[k] for k in ("id", "start", "finish", "tf", "ff", "critical", "violation")), strict=True)
        )

    assert rows(fresh) == rows(stored) and len(fresh["id"]) == 4


def test_drag_without_csrf_header_or_with_stale_version(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, t = ids["project"], ids["tasks"]
    c = by_name(gantt(client, pid))["Charlie"]
    r = client.post(f"/projects/{pid}/gantt/tasks/{t['C']}", json={"version": c["version"], "duration": "2d"})
    assert r.status_code == 403
    r = _drag(client, "forged", pid, t["C"], {"version": c["version"], "duration": "2d"})
    assert r.status_code == 403
    r = _drag(client, csrf, pid, t["C"], {"version": c["version"] - 1, "duration": "2d"})
    assert r.status_code == 409
    assert r.json()["current"]["version"] == c["version"]
    r = _drag(client, csrf, pid, t["C"], {"version": c["version"], "duration": "soon"})
    assert r.status_code == 422 and r.json()["field"] == "duration"


def test_task_leader_edits_own_package_only(web) -> None:
    client, ids = web
    csrf = login(client, "tla")
    pid, t = ids["project"], ids["tasks"]
    names = by_name(gantt(client, pid))
    assert names["Charlie"]["editable"] and not names["Bravo"]["editable"]
    r = _drag(client, csrf, pid, t["C"], {"version": names["Charlie"]["version"], "duration": "2d"})
    assert r.status_code == 200
    r = _drag(client, csrf, pid, t["B"], {"version": names["Bravo"]["version"], "duration": "5d"})
    assert r.status_code == 403 and r.json()["message"] == "You may not edit this task."
    page = client.get(f"/projects/{pid}/tasks/{t['B']}").text
    assert 'id="task-form"' not in page
    page = client.get(f"/projects/{pid}/tasks/{t['C']}").text
    assert 'id="task-form"' in page
    r = client.post(
        f"/projects/{pid}/tasks/{t['B']}",
        data={"csrf_token": csrf, "version": names["Bravo"]["version"], "name": "Mine now", "duration": "2d"},
    )
    assert r.status_code == 403


def test_stakeholder_sees_no_edit_controls_and_gets_403(web) -> None:
    client, ids = web
    csrf = login(client, "holder")
    pid, t = ids["project"], ids["tasks"]
    data = gantt(client, pid)
    assert not any(x["editable"] for x in data["tasks"])
    table = client.get(f"/projects/{pid}/schedule").text
    assert "Alpha" in table and 'name="percent_complete"' not in table
    assert 'id="add-task"' not in table and "Save baseline" not in table
    page = client.get(f"/projects/{pid}/tasks/{t['A']}").text
    main = page.split('id="main"')[1].split("</main>")[0]
    # no edit controls: the only form a stakeholder gets is the Discussion's, which sends a message
    assert "Alpha" in page and re.findall(r'<form[^>]*action="([^"]+)"', main) == [
        f"/projects/{pid}/messages"
    ]
    assert main.count("<form") == 1
    a = by_name(data)["Alpha"]
    for url, form in (
        (f"/projects/{pid}/tasks/{t['A']}", {"version": a["version"], "name": "X", "duration": "1d"}),
        (f"/projects/{pid}/schedule/rows/{t['A']}", {"version": a["version"], "name": "X"}),
        (f"/projects/{pid}/tasks", {"name": "New", "duration": "1d"}),
        (f"/projects/{pid}/baselines", {"number": "0"}),
    ):
        assert client.post(url, data={"csrf_token": csrf, **form}).status_code == 403, url
    assert _drag(client, csrf, pid, t["A"], {"version": a["version"], "duration": "1d"}).status_code == 403


def test_post_without_csrf_is_refused(web) -> None:
    client, ids = web
    login(client, "pm")
    pid, t = ids["project"], ids["tasks"]
    r = client.post(f"/projects/{pid}/tasks/{t['A']}", data={"version": 1, "name": "X", "duration": "1d"})
    assert r.status_code == 403
    r = client.post(f"/projects/{pid}/tasks", data={"csrf_token": "forged", "name": "X"})
    assert r.status_code == 403


def test_task_form_error_keeps_input(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, t = ids["project"], ids["tasks"]
    a = by_name(gantt(client, pid))["Alpha"]
    form = {
        "csrf_token": csrf, "version": a["version"], "name": "Alpha renamed", "duration": "forever",
        "constraint_type": "asap", "status": "not_started", "priority": "500", "description": "kept text",
    }  # fmt: skip
    r = client.post(f"/projects/{pid}/tasks/{t['A']}", data=form)
    assert r.status_code == 422
    assert 'value="Alpha renamed"' in r.text and 'value="forever"' in r.text and "kept text" in r.text
    assert 'id="t-dur" name="duration" required value="forever" aria-invalid="true"' in r.text
    form.update(duration="5d", constraint_type="snet")
    r = client.post(f"/projects/{pid}/tasks/{t['A']}", data=form)
    assert r.status_code == 422 and "SNET constraint needs a date" in r.text
    form.update(constraint_date="2030-01-08T09:00", description="**bold** <script>x</script>")
    r = client.post(f"/projects/{pid}/tasks/{t['A']}", data=form, follow_redirects=True)
    assert r.status_code == 200 and "<strong>bold</strong>" in r.text and "<script>x" not in r.text
    assert "Alpha renamed" in r.text and "2030-01-08 09:00" in r.text


def test_stale_task_edit_shows_saved_values_and_keeps_input(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, t = ids["project"], ids["tasks"]
    a = by_name(gantt(client, pid))["Alpha"]
    r = _drag(client, csrf, pid, t["A"], {"version": a["version"], "duration": "4d"})
    assert r.status_code == 200
    form = {
        "csrf_token": csrf, "version": a["version"], "name": "My Alpha", "duration": "6d",
        "constraint_type": "asap", "status": "not_started", "priority": "500",
    }  # fmt: skip
    r = client.post(f"/projects/{pid}/tasks/{t['A']}", data=form)
    assert r.status_code == 409
    assert 'id="conflict"' in r.text and "<strong>Duration</strong>: 4d" in r.text
    assert 'value="My Alpha"' in r.text and 'value="6d"' in r.text
    assert f'name="version" value="{a["version"] + 1}"' in r.text
    r = client.post(f"/projects/{pid}/tasks/{t['A']}", data={**form, "version": a["version"] + 1})
    assert r.status_code == 303


def test_table_sort_filter_and_inline_edit(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, t = ids["project"], ids["tasks"]
    r = client.get(f"/projects/{pid}/schedule?sort=duration&dir=desc")
    assert r.status_code == 200
    order = re.findall(r'<tr id="row-(\d+)"', r.text)
    assert [int(x) for x in order[:2]] == [t["A"], t["B"]]
    r = client.get(f"/projects/{pid}/schedule?critical=1")
    assert f'id="row-{t["C"]}"' not in r.text and f'id="row-{t["A"]}"' in r.text
    r = client.get(f"/projects/{pid}/schedule?q=brav")
    assert re.findall(r'<tr id="row-(\d+)"', r.text) == [str(t["B"])]
    r = client.get(f"/projects/{pid}/schedule?wp={ids['wpa']}&sort=evil")
    assert set(re.findall(r'<tr id="row-(\d+)"', r.text)) == {str(t["A"]), str(t["C"])}
    c = by_name(gantt(client, pid))["Charlie"]
    row = {
        "csrf_token": csrf,
        "version": c["version"],
        "name": "Charlie",
        "duration": "2x",
        "percent_complete": "0",
    }
    r = client.post(f"/projects/{pid}/schedule/rows/{t['C']}", data=row, headers={"HX-Request": "true"})
    assert r.status_code == 422 and r.text.lstrip().startswith("<tr") and 'value="2x"' in r.text
    r = client.post(f"/projects/{pid}/schedule/rows/{t['C']}", data={**row, "duration": "-5d"})
    assert r.status_code == 422 and r.text.startswith("<!doctype html>") and 'value="-5d"' in r.text
    r = client.post(
        f"/projects/{pid}/schedule/rows/{t['C']}", data={**row, "duration": "3d", "percent_complete": "50"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert r.status_code == 200 and 'value="3d"' in r.text and 'value="50.0"' in r.text
    r = client.post(f"/projects/{pid}/schedule/rows/{t['C']}", data={**row, "duration": "1d"})
    assert r.status_code == 409 and "was changed by someone else" in r.text and 'value="1d"' in r.text


def test_add_task_link_and_baseline(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid = ids["project"]
    codes = {t["name"]: t["wbs_code"] for t in gantt(client, pid)["tasks"]}
    r = client.post(
        f"/projects/{pid}/tasks",
        data={"csrf_token": csrf, "name": "Delta", "work_package_id": ids["wpb"], "duration": "2d",
              "predecessors": codes["Go live"]},
    )  # fmt: skip
    assert r.status_code == 303
    data = gantt(client, pid)
    delta = by_name(data)["Delta"]
    assert delta["critical"] and any(lk["succ_id"] == delta["id"] for lk in data["links"])
    r = client.post(f"/projects/{pid}/tasks", data={"csrf_token": csrf, "name": "", "duration": "zz"})
    assert r.status_code == 422 and 'value="zz"' in r.text
    r = client.post(f"/projects/{pid}/tasks", data={"csrf_token": csrf, "name": "E", "predecessors": "9.9"})
    assert r.status_code == 422 and "no task with WBS code" in r.text and 'value="9.9"' in r.text
    r = client.post(
        f"/projects/{pid}/links",
        data={
            "csrf_token": csrf,
            "pred": codes["Charlie"],
            "succ": codes["Bravo"],
            "type": "SS",
            "lag": "1d",
        },
    )
    assert r.status_code == 303
    r = client.post(
        f"/projects/{pid}/links",
        data={"csrf_token": csrf, "pred": codes["Go live"], "succ": codes["Alpha"], "type": "FS", "lag": "0"},
    )
    assert r.status_code == 422 and "cycle" in r.text
    r = client.post(f"/projects/{pid}/baselines", data={"csrf_token": csrf, "number": "11", "name": "x"})
    assert r.status_code == 422 and "0 to 10" in r.text
    r = client.post(f"/projects/{pid}/baselines", data={"csrf_token": csrf, "number": "1", "name": "Plan"})
    assert r.status_code == 303
    r = client.get(f"/projects/{pid}/schedule?baseline=1")
    assert "Finish variance" in r.text and "Plan" in r.text
    data = client.get(f"/projects/{pid}/gantt.json?baseline=1").json()
    assert data["baseline"] == 1 and all(t["baseline"] for t in data["tasks"])
    assert client.get(f"/projects/{pid}/gantt?baseline=1").status_code == 200
    # an inline save while comparing: the row's form carries the baseline, the swapped row keeps its variance
    # cell (it had one cell fewer than the table's columns)
    assert 'name="baseline" value="1"' in r.text
    delta = by_name(gantt(client, pid))["Delta"]
    r = client.post(f"/projects/{pid}/schedule/rows/{delta['id']}",
                    data={"csrf_token": csrf, "version": delta["version"], "name": "Delta", "duration": "4d",
                          "percent_complete": "0", "baseline": "1"}, headers={"HX-Request": "true"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.text.count("<td") == 12 and "not in baseline" not in r.text  # as many cells as the header


def test_task_page_links_assignees_and_delete(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, t = ids["project"], ids["tasks"]
    page = client.get(f"/projects/{pid}/tasks/{t['M']}").text
    assert "Bravo" in page and "Charlie" in page and "journal?entity_type=task&amp;entity_id" in page
    data = gantt(client, pid)
    link = next(lk for lk in client.get(f"/projects/{pid}/gantt.json?full=1").json()["links"]
                if lk["pred_id"] == t["C"] and lk["succ_id"] == t["M"])  # fmt: skip
    r = client.post(
        f"/projects/{pid}/links/{link['id']}/delete",
        data={"csrf_token": csrf, "version": link["version"], "back_task": t["M"]},
    )
    assert r.status_code == 303
    page = client.get(f"/projects/{pid}/tasks/{t['M']}").text
    assert "Charlie" not in page.split('id="links"')[1].split("</section>")[0]
    # a member with no resource yet is offered on the Assign a resource form (the resource is made then)
    assert (
        f'<option value="user:{ids["tla"]}">Tla</option>'
        in client.get(f"/projects/{pid}/tasks/{t['A']}").text
    )
    r = client.post(
        f"/projects/{pid}/tasks/{t['A']}/assignments",
        data={"csrf_token": csrf, "resource": f"user:{ids['tla']}", "units": "100"},
    )
    assert r.status_code == 303
    assert "Tla" in client.get(f"/projects/{pid}/tasks/{t['A']}").text.split('id="assignments-table"')[1]
    c = by_name(data)["Charlie"]
    r = client.post(
        f"/projects/{pid}/tasks/{t['C']}/delete", data={"csrf_token": csrf, "version": c["version"]}
    )
    assert r.status_code == 303
    assert "Charlie" not in by_name(gantt(client, pid))


def test_import_a_plan_file_on_the_schedule_page(web, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from charter.io import mpxj_import

    client, ids = web
    pid = ids["project"]
    login(client, "holder")
    assert 'id="import-plan"' not in client.get(f"/projects/{pid}/schedule").text
    csrf = login(client, "pm")
    assert 'id="import-plan"' in client.get(f"/projects/{pid}/schedule").text
    fixture = Path(__file__).parent.parent / "fixtures" / "mspdi" / "task-links-project2019-mspdi.xml"
    before = len(gantt(client, pid)["tasks"])
    r = client.post(
        f"/projects/{pid}/import",
        data={"csrf_token": csrf},
        files={"file": (fixture.name, fixture.read_bytes())},
    )
    # the task table answers with what the import did, as `charter import` prints it
    assert r.status_code == 200, r.text
    notice = r.text.split('id="imported"')[1].split("</section>")[0]
    assert f"Imported {fixture.name}" in notice and "16 tasks" in notice and "The project finishes" in notice
    assert 'id="imported-dates">Dates as in the file:' in notice
    assert 'id="schedule-table"' in r.text
    assert len(gantt(client, pid)["tasks"]) == before + 16
    # a bad row: the problems are listed, the chosen format kept, nothing lands
    bad = b"id,name,duration\r\n1,A,2d\r\n2,B,-1d\r\n"
    r = client.post(
        f"/projects/{pid}/import", data={"csrf_token": csrf, "format": "csv"}, files={"file": ("p.csv", bad)}
    )
    assert r.status_code == 422 and 'id="import-problems"' in r.text and "line 3" in r.text
    assert '<option value="csv" selected>' in r.text
    assert len(gantt(client, pid)["tasks"]) == before + 16

    def missing() -> Any:
        raise mpxj_import.MpxjUnavailable(f"this file needs the MPXJ library: {mpxj_import.INSTALL_HINT}")

    monkeypatch.setattr(mpxj_import, "_modules", missing)
    r = client.post(
        f"/projects/{pid}/import",
        data={"csrf_token": csrf},
        files={"file": ("plan.mpp", b"\xd0\xcf\x11\xe0" * 8)},
    )
    assert r.status_code == 400 and "charter[mpxj]" in r.text and "Traceback" not in r.text


def test_choosing_completed_on_the_task_page_completes_the_task(web, db: Database, frozen_clock: Any) -> None:
    """The form re-sends % complete and the actual dates as shown: a status chosen without touching them
    means what the board's move means (100 % and the actual dates), not a task "completed" at 0 %."""
    frozen_clock.set(datetime(2030, 2, 4, 9, 0, tzinfo=UTC))  # after the plan: its dates are actuals to be
    client, ids = web
    csrf = login(client, "pm")
    pid, t = ids["project"], ids["tasks"]
    a = by_name(gantt(client, pid))["Alpha"]
    form = {
        "csrf_token": csrf, "version": a["version"], "name": "Alpha", "duration": a["duration"],
        "constraint_type": "asap", "status": "completed", "priority": "500", "percent_complete": "0",
        "actual_start": "", "actual_finish": "",
    }  # fmt: skip
    r = client.post(f"/projects/{pid}/tasks/{t['A']}", data=form)
    assert r.status_code == 303, r.text
    with db.uow(readonly=True) as s:
        done = tasks.get_task(s, SYSTEM, pid, t["A"])
    assert (done["status"], done["percent_complete"]) == ("completed", 100.0), done
    assert done["actual_start"] and done["actual_finish"]
    b = by_name(gantt(client, pid))["Bravo"]
    form = {**form, "version": b["version"], "name": "Bravo", "duration": b["duration"], "status": "in_progress",
            "percent_complete": "40"}  # fmt: skip
    r = client.post(f"/projects/{pid}/tasks/{t['B']}", data=form)
    assert r.status_code == 303, r.text
    with db.uow(readonly=True) as s:
        b = tasks.get_task(s, SYSTEM, pid, t["B"])
    assert (b["status"], b["percent_complete"]) == ("in_progress", 40.0), b


def test_task_form_takes_an_elapsed_duration_and_shows_its_floats_and_estimates_in_elapsed_days(web) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, t = ids["project"], ids["tasks"]
    c = by_name(gantt(client, pid))["Charlie"]
    form = {
        "csrf_token": csrf, "version": c["version"], "name": "Charlie", "duration": "2ed", "optimistic": "1d",
        "most_likely": "2ed", "pessimistic": "3ed", "constraint_type": "asap", "status": "not_started",
        "priority": "500",
    }  # fmt: skip
    r = client.post(f"/projects/{pid}/tasks/{t['C']}", data=form)
    assert (
        r.status_code == 422
        and 'id="t-opt" name="optimistic" class="num" value="1d" aria-invalid="true"' in r.text
    )
    form["optimistic"] = "1ed"
    r = client.post(f"/projects/{pid}/tasks/{t['C']}", data=form, follow_redirects=True)
    assert r.status_code == 200, r.text
    assert 'value="2ed"' in r.text and 'id="t-opt" name="optimistic" class="num" value="1.0ed"' in r.text
    charlie = by_name(gantt(client, pid))["Charlie"]
    assert charlie["duration"] == "2ed" and charlie["float_unit"] == "ed"
    # Alpha ends Wednesday 18:00; Charlie runs 48 wall-clock hours to Friday 18:00, Bravo (2d) to Friday too
    assert charlie["start"].startswith("2030-01-09T18:00") and charlie["finish"].startswith(
        "2030-01-11T18:00"
    )
    assert "ed</td>" in client.get(f"/projects/{pid}/schedule").text


def test_percent_complete_takes_a_decimal_comma_and_an_empty_field_keeps_the_progress(
    web, db: Database
) -> None:
    """ "62,5" was refused although the timesheet takes "1,5" hours, and a cleared % complete was saved as 0,
    wiping the progress (the API refuses null); now the empty field is refused beside it, input kept."""
    client, ids = web
    csrf = login(client, "pm")
    pid, t = ids["project"], ids["tasks"]
    b = by_name(gantt(client, pid))["Bravo"]
    form = {
        "csrf_token": csrf, "version": b["version"], "name": "Bravo", "duration": b["duration"],
        "constraint_type": "asap", "status": "in_progress", "priority": "500", "percent_complete": "62,5",
        "actual_start": "", "actual_finish": "", "description": "typed text",
    }  # fmt: skip
    r = client.post(f"/projects/{pid}/tasks/{t['B']}", data=form)
    assert r.status_code == 303, r.text
    with db.uow(readonly=True) as s:
        saved = tasks.get_task(s, SYSTEM, pid, t["B"])
    assert saved["percent_complete"] == 62.5
    r = client.post(f"/projects/{pid}/tasks/{t['B']}",
                    data={**form, "version": saved["version"], "percent_complete": " "})  # fmt: skip
    assert r.status_code == 422 and "enter the % complete" in r.text and "typed text" in r.text
    with db.uow(readonly=True) as s:
        assert tasks.get_task(s, SYSTEM, pid, t["B"])["percent_complete"] == 62.5
    row = {"csrf_token": csrf, "version": saved["version"], "name": "Bravo", "duration": b["duration"]}
    r = client.post(f"/projects/{pid}/schedule/rows/{t['B']}", data={**row, "percent_complete": ""})
    assert r.status_code == 422
    r = client.post(f"/projects/{pid}/schedule/rows/{t['B']}", data={**row, "percent_complete": "70 %"})
    assert r.status_code == 303, r.text
    with db.uow(readonly=True) as s:
        assert tasks.get_task(s, SYSTEM, pid, t["B"])["percent_complete"] == 70.0


def test_an_id_beyond_a_database_integer_is_a_missing_page_or_a_refused_field_not_a_500(web) -> None:
    """A task page's address or a form's id too large for the database's integer (SQLite raised OverflowError
    on binding it, PostgreSQL a DataError) answered 500; the page is now not found and the form's field is
    refused beside it, what was typed kept."""
    client, ids = web
    csrf = login(client, "pm")
    pid, t = ids["project"], ids["tasks"]
    huge = "99999999999999999999"
    assert client.get(f"/projects/{pid}/tasks/{huge}").status_code == 404
    assert client.get(f"/projects/{huge}").status_code == 404
    a = by_name(gantt(client, pid))["Alpha"]
    form = {
        "csrf_token": csrf, "version": a["version"], "name": "Alpha", "duration": a["duration"],
        "constraint_type": "asap", "status": "not_started", "priority": "500", "percent_complete": "0",
        "work_package_id": huge, "description": "kept text",
    }  # fmt: skip
    r = client.post(f"/projects/{pid}/tasks/{t['A']}", data=form)
    assert r.status_code == 422 and "below 2 147 483 648" in r.text and "kept text" in r.text
    r = client.post(
        f"/projects/{pid}/tasks/{t['A']}", data={**form, "work_package_id": "", "calendar_id": huge}
    )
    assert r.status_code == 422 and "below 2 147 483 648" in r.text
    r = client.post(f"/projects/{pid}/views/{huge}", data={"csrf_token": csrf, "version": "1", "name": "x"})
    assert r.status_code == 422 and "nothing was saved" in r.text


def test_a_refused_edit_of_a_task_one_may_no_longer_edit_says_why(web, db: Database) -> None:
    """A Task Leader's edit of a task that moved to another package since the page was loaded (a stale tab)
    was answered 403 with the task page and no word: the error belonged to a form the page no longer showed.
    It is now said above the page's editing area, and nothing is saved."""
    client, ids = web
    csrf = login(client, "tla")
    pid, t = ids["project"], ids["tasks"]
    c = by_name(gantt(client, pid))["Charlie"]
    with db.uow() as s:  # the PM moves Charlie into WP-B meanwhile
        moved = tasks.update_task(s, SYSTEM, pid, t["C"], c["version"], work_package_id=ids["wpb"])
    form = {"csrf_token": csrf, "version": moved["version"], "percent_complete": "50", "status": "in_progress",
            "actual_start": "", "actual_finish": ""}  # fmt: skip
    r = client.post(f"/projects/{pid}/tasks/{t['C']}", data=form)
    assert r.status_code == 403
    assert 'id="refused">Not saved: your roles do not allow' in r.text
    full = {**form, "name": "Charlie", "duration": "1d", "constraint_type": "asap", "priority": "500"}
    r = client.post(f"/projects/{pid}/tasks/{t['C']}", data=full)
    assert r.status_code == 403 and 'id="refused"' in r.text
    with db.uow(readonly=True) as s:
        assert tasks.get_task(s, SYSTEM, pid, t["C"])["percent_complete"] == 0
