"""Actual and remaining work per assignment, as MS Project's Actual Work / Remaining Work (Jira's time spent /
remaining estimate): each assignment shows the hours its person logged on the task (approved entries only, the
rule of the Time page's actuals and EVM's labour cost) and what remains of its work; whoever may change the
assignment's work may state what remains ("6 more hours"): the work becomes logged + remaining. API, task page
and command line; refusals name the field.

The world: Task A (WP-A, 3d, fixed units) has the worker full time (24 h); the worker logged 8 h (approved),
4 h (submitted, waiting) and 2 h (rejected) on it."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from charter.domain import schedule as rules
from charter.domain.errors import ValidationError
from charter.io import mpxj_import
from charter.persistence.models import JournalEntry
from charter.services import projects, resources, scheduling
from webhelpers import csrf_of, signed_in

MPD = 480
NOW = datetime(2030, 1, 11, 12, 0, tzinfo=UTC)  # Friday of the week task A runs (2030-01-07..09)


@pytest.fixture
def world(seed: Any, frozen_clock: Any, api: Any) -> Any:
    with seed.db.uow() as s:
        projects.update_project(s, seed.actor("admin"), seed.p1, 1, start_date=date(2030, 1, 7))
        scheduling.plan_changed(s, seed.p1)
    frozen_clock.set(NOW)
    h = seed.headers("worker")
    ids = []
    for day, hours in (("2030-01-07", "8h"), ("2030-01-08", "4h"), ("2030-01-09", "2h")):
        r = api.post(f"/projects/{seed.p1}/timesheet", json={"task_id": seed.tasks["a"], "day": day, "hours": hours},
                     headers=h)  # fmt: skip
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    assert api.post("/me/timesheet/submit", params={"week": "2030-W02"}, headers=h).status_code == 200
    r = api.post(f"/projects/{seed.p1}/timesheet/{ids[0]}/approve", headers=seed.headers("pm"))
    assert r.status_code == 200, r.text
    r = api.post(f"/projects/{seed.p1}/timesheet/{ids[2]}/reject", json={"reason": "wrong task"},
                 headers=seed.headers("pm"))  # fmt: skip
    assert r.status_code == 200, r.text
    seed.entries = ids
    return seed


def _url(w: Any, aid: int | None = None) -> str:
    return f"/projects/{w.p1}/tasks/{w.tasks['a']}/assignments" + (f"/{aid}" if aid else "")


def _worker(api: Any, w: Any) -> dict[str, Any]:
    r = api.get(_url(w), headers=w.headers("pm"))
    assert r.status_code == 200, r.text
    row: dict[str, Any] = next(a for a in r.json() if a["name"] == "Worker")
    return row


def _patch(api: Any, w: Any, body: dict[str, Any], who: str = "pm", version: int | None = None) -> Any:
    a = _worker(api, w)
    return api.patch(_url(w, a["assignment_id"]), headers=w.headers(who),
                     json={"version": a["version"] if version is None else version, **body})  # fmt: skip


def _journal(w: Any, aid: int) -> list[dict[str, Any]]:
    with w.db.uow(readonly=True) as s:
        q = select(JournalEntry.changes).where(
            JournalEntry.entity_type == "assignment", JournalEntry.entity_id == str(aid),
            JournalEntry.action == "update",
        ).order_by(JournalEntry.id)  # fmt: skip
        return [dict(c) for c in s.scalars(q)]


def _cell(html: str, id_: str) -> str:
    m = re.search(rf'id="{id_}"[^>]*>([^<]*)<', html)
    assert m, f"no {id_}"
    return m.group(1).strip()


@given(
    work=st.integers(min_value=0, max_value=rules.MAX_DAYS * MPD),
    actual=st.integers(min_value=0, max_value=rules.MAX_DAYS * MPD),
    remaining=st.integers(min_value=0, max_value=rules.MAX_DAYS * MPD),
)
def test_a_stated_remaining_work_reads_back_and_keeps_the_hours_logged(
    work: int, actual: int, remaining: int
) -> None:
    done, left = rules.split_work(work, actual)
    assert done == actual and left == max(work - actual, 0)
    if actual + remaining == 0 or actual + remaining > rules.MAX_DAYS * MPD:
        return
    assert rules.split_work(rules.work_with_remaining(actual, remaining, MPD), actual) == (actual, remaining)


def test_nothing_logged_and_nothing_remaining_is_refused_by_the_rule() -> None:
    with pytest.raises(ValidationError) as exc:
        rules.work_with_remaining(0, 0, MPD)
    assert exc.value.field == "remaining_work"


def test_approved_hours_are_actual_work_on_the_api(world: Any, api: Any) -> None:
    w = world
    a = _worker(api, w)
    # 24 h planned; 8 h approved count, the 4 h waiting and the 2 h rejected do not (as on the Time page)
    assert (a["work_minutes"], a["actual_work"], a["actual_work_minutes"]) == (1440, "8h", 480)
    assert (a["remaining_work"], a["remaining_work_minutes"]) == ("16h", 960)
    t = api.get(f"/projects/{w.p1}/tasks/{w.tasks['a']}", headers=w.headers("pm")).json()
    assert (t["actual_work_minutes"], t["remaining_work_minutes"], t["remaining_work"]) == (480, 960, "16h")
    assert t["assignees"][0]["actual_work_minutes"] == 480
    actuals = api.get(f"/projects/{w.p1}/actuals", headers=w.headers("pm")).json()["tasks"]
    same = next(x for x in actuals if x["task_id"] == w.tasks["a"])
    assert same["actual_minutes"] == 480  # the Time page's actual work: the same figure
    # approving the waiting 4 h moves the actual work; the work stays
    r = api.post(f"/projects/{w.p1}/timesheet/{w.entries[1]}/approve", headers=w.headers("pm"))
    assert r.status_code == 200, r.text
    a = _worker(api, w)
    assert (a["work_minutes"], a["actual_work_minutes"], a["remaining_work_minutes"]) == (1440, 720, 720)
    # a resource with no account (equipment) logs nothing: its remaining work is its work
    rig = _rig(w)
    r = api.post(_url(w), json={"resource_id": rig, "units": 0.5, "work": "4h"}, headers=w.headers("pm"))
    assert r.status_code == 201, r.text
    row = next(x for x in r.json() if x["name"] == "Test rig")
    assert (row["actual_work_minutes"], row["remaining_work_minutes"]) == (0, 240)
    t = api.get(f"/projects/{w.p1}/tasks/{w.tasks['a']}", headers=w.headers("pm")).json()
    assert (t["actual_work_minutes"], t["remaining_work_minutes"]) == (
        720,
        960,
    )  # the worker's 12 h + the rig's 4 h
    with signed_in(w, "observer") as client:  # the task page sums them under the table
        page = client.get(f"/projects/{w.p1}/tasks/{w.tasks['a']}").text
    total = page.split('id="assignments-total"')[1].split("</tr>")[0]
    assert re.findall(r'<td class="num">([^<]*)</td>', total) == ["28 h", "12 h", "16 h"], total


def _rig(w: Any) -> int:
    with w.db.uow() as s:
        return int(resources.create_resource(s, w.actor("admin"), name="Test rig", kind="equipment")["id"])


def test_an_overrun_leaves_nothing_remaining_and_stating_more_grows_the_work(world: Any, api: Any) -> None:
    w = world
    r = _patch(api, w, {"work": "6h"})
    assert r.status_code == 200, r.text
    a = _worker(api, w)
    assert (a["work_minutes"], a["actual_work_minutes"], a["remaining_work_minutes"]) == (360, 480, 0)
    r = _patch(api, w, {"remaining_work": "2h"})
    assert r.status_code == 200, r.text
    assert _worker(api, w)["work_minutes"] == 600  # 8 h logged + 2 h to go


def test_stating_the_remaining_work_sets_the_work_once_and_is_journalled(world: Any, api: Any) -> None:
    w = world
    before = _worker(api, w)
    r = _patch(api, w, {"remaining_work": "6h"})
    assert r.status_code == 200, r.text
    a = next(x for x in r.json() if x["name"] == "Worker")
    assert (a["work_minutes"], a["actual_work_minutes"], a["remaining_work"]) == (840, 480, "6h")
    assert a["version"] == before["version"] + 1
    changes = _journal(w, a["assignment_id"])
    assert len(changes) == 1 and changes[0]["work"] == [1440, 840], changes
    # the task follows its type (fixed units: the duration is the work over the units)
    t = api.get(f"/projects/{w.p1}/tasks/{w.tasks['a']}", headers=w.headers("pm")).json()
    assert t["duration_minutes"] == 840 and t["remaining_work_minutes"] == 360
    # the remaining work shown, sent back (with the work shown, or as a bare number of days), changes nothing
    for body in ({"remaining_work": "6h"}, {"remaining_work": "6h", "work": "14h"}, {"remaining_work": 0.75}):
        r = _patch(api, w, body)
        assert r.status_code == 200, (body, r.text)
    assert _worker(api, w)["version"] == a["version"] and len(_journal(w, a["assignment_id"])) == 1


def test_bad_remaining_work_is_422_naming_the_field(world: Any, api: Any) -> None:
    w = world
    before = _worker(api, w)
    for body in (
        {"remaining_work": ""},
        {"remaining_work": "  "},
        {"remaining_work": "-2h"},
        {"remaining_work": -1},
        {"remaining_work": "lots"},
        {"remaining_work": "2ed"},  # work is working time
        {"remaining_work": "99999d"},
        {"remaining_work": None},
        {"remaining_work": "6h", "work": "20h"},  # both: they would disagree
    ):
        r = _patch(api, w, body)
        assert r.status_code == 422, (body, r.text)
        err = r.json()["error"]
        assert err["field"] == "remaining_work" or "remaining_work" in json.dumps(err), (body, err)
    assert _worker(api, w) == before
    # nothing logged yet: remaining 0 would leave no work at all
    rig = _rig(w)
    rows = api.post(_url(w), json={"resource_id": rig, "work": "4h"}, headers=w.headers("pm")).json()
    row = next(x for x in rows if x["name"] == "Test rig")
    r = api.patch(_url(w, row["assignment_id"]), json={"version": row["version"], "remaining_work": "0h"},
                  headers=w.headers("pm"))  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["field"] == "remaining_work", r.text


def test_a_stale_version_is_409_and_the_right_is_the_right_to_change_the_work(world: Any, api: Any) -> None:
    w = world
    before = _worker(api, w)
    r = _patch(api, w, {"remaining_work": "6h"}, version=before["version"] - 1)
    assert r.status_code == 409, r.text
    # the worker logs hours, planning them is not theirs; task_leader_b leads another package
    for who in ("worker", "task_leader_b", "stakeholder"):
        r = _patch(api, w, {"remaining_work": "6h"}, who=who)
        assert r.status_code in (403, 404), (who, r.text)
    assert _worker(api, w) == before
    r = _patch(api, w, {"remaining_work": "10h"}, who="task_leader")  # leads WP-A, where task A is
    assert r.status_code == 200, r.text
    assert _worker(api, w)["work_minutes"] == 1080


def test_the_task_page_shows_and_takes_the_remaining_work(world: Any, api: Any) -> None:
    w = world
    a = _worker(api, w)
    aid = a["assignment_id"]
    f = f"assignment-{aid}"
    with signed_in(w, "pm") as client:
        page = client.get(f"/projects/{w.p1}/tasks/{w.tasks['a']}").text
        assert _cell(page, f"{f}-actual") == "8 h" and _cell(page, f"{f}-remaining") == "16 h"
        assert 'value="16"' in re.search(rf'<input id="{f}-rw"[^>]*>', page).group(0)  # type: ignore[union-attr]
        shown = {"csrf_token": csrf_of(page), "version": a["version"], "units": "100", "work": "24",
                 "remaining_work": "16"}  # fmt: skip
        r = client.post(_url(w, aid), data={**shown, "remaining_work": "10"})
        assert r.status_code == 303, r.text
        assert _worker(api, w)["work_minutes"] == 1080  # 8 h logged + 10 h
        page = client.get(f"/projects/{w.p1}/tasks/{w.tasks['a']}").text
        assert _cell(page, f"{f}-remaining") == "10 h"
        # blank, negative, both changed: 422 beside the row with the input kept; a stale page: 409
        now = _worker(api, w)
        fresh = {
            **shown,
            "csrf_token": csrf_of(page),
            "version": now["version"],
            "work": "18",
            "remaining_work": "10",
        }
        for typed, extra in (("", {}), ("-3", {}), ("5", {"work": "30"})):
            r = client.post(_url(w, aid), data={**fresh, **extra, "remaining_work": typed})
            assert r.status_code == 422, (typed, r.text)
            row = r.text.split(f'<tr id="{f}">')[1].split("</tr>")[0]
            rw = re.search(rf'<input id="{f}-rw"[^>]*>', row).group(0)  # type: ignore[union-attr]
            assert f'value="{typed}"' in rw and 'aria-invalid="true"' in rw, row
        r = client.post(_url(w, aid), data={**fresh, "version": now["version"] - 1, "remaining_work": "4"})
        assert r.status_code == 409
        # sent again after the 409 with the form as it was shown (work and remaining both old): applies the work
        r = client.post(_url(w, aid), data={**fresh, "units": "50", "work": "24", "remaining_work": "16"})
        assert r.status_code == 303, r.text
    assert _worker(api, w)["work_minutes"] == 1440 and _worker(api, w)["units"] == 0.5


def test_the_command_line_shows_and_sets_the_remaining_work(world: Any, api: Any, cli: Any) -> None:
    w = world
    a = _worker(api, w)
    task = str(w.tasks["a"])
    out = cli("task", "assignments", "P1", task).stdout
    assert "8h" in out and "16h" in out and "remaining" in out
    assert "24h (8h logged, 16h remaining)" in cli("task", "show", "P1", task).stdout
    out = cli("task", "assignment-update", "P1", task, str(a["assignment_id"]), "--remaining", "6").stdout
    assert "8h logged, 6h remaining" in out
    assert _worker(api, w)["work_minutes"] == 840
    r = cli("task", "assignment-update", "P1", task, str(a["assignment_id"]), "--remaining", "", code=1)
    assert "field: remaining_work" in r.stderr
    r = cli("task", "assignment-update", "P1", task, str(a["assignment_id"]), "--remaining", "2", "--work", "30",
            code=1)  # fmt: skip
    assert "not both" in r.stderr
    r = cli("task", "assignment-update", "P1", task, str(a["assignment_id"]), "--remaining", "2", who="worker",
            code=1)  # fmt: skip
    assert _worker(api, w)["work_minutes"] == 840
    data = json.loads(cli("task", "assignments", "P1", task, "--json").stdout)
    assert data[0]["remaining_work_minutes"] == 360 and data[0]["actual_work"] == "8h"


def _export_with_rig(w: Any, api: Any) -> bytes:
    """P1 as MS Project XML, Task A with the worker (24 h, 8 h approved) and a test rig (4 h)."""
    r = api.post(_url(w), json={"resource_id": _rig(w), "units": 0.5, "work": "4h"}, headers=w.headers("pm"))
    assert r.status_code == 201, r.text
    r = api.get(f"/projects/{w.p1}/export", params={"format": "mspdi"}, headers=w.headers("pm"))
    assert r.status_code == 200, r.text
    return bytes(r.content)


# MSPDI's Assignment sequence (mspdi_pj12.xsd), the elements Charter writes in it: a schema-validating reader
# (MS Project's) wants them in this order
ASSIGNMENT_ORDER = [
    "UID", "TaskUID", "ResourceUID", "PercentWorkComplete", "ActualWork", "RemainingWork", "Units", "Work"
]  # fmt: skip


def test_the_ms_project_file_carries_each_assignments_actual_and_remaining_work(world: Any, api: Any) -> None:
    """The MS Project XML export writes each assignment's ActualWork (the approved hours) and RemainingWork
    beside its Work, as PT…H…M…S in the schema's order; it reads back through the MSPDI parser, and an import
    of it keeps the work only (actual work in Charter comes from timesheets, not from a file)."""
    from lxml import etree

    from charter.io.mspdi import NS, read_mspdi

    w = world
    data = _export_with_rig(w, api)
    root = etree.fromstring(data)
    names = {
        el.findtext(f"{{{NS}}}UID"): el.findtext(f"{{{NS}}}Name")
        for el in root.iterfind(f".//{{{NS}}}Resource")
    }
    found = {}
    for el in root.iterfind(f"{{{NS}}}Assignments/{{{NS}}}Assignment"):
        tags = [etree.QName(c).localname for c in el]
        assert tags == sorted(tags, key=ASSIGNMENT_ORDER.index), tags
        who = names[el.findtext(f"{{{NS}}}ResourceUID")]
        found[who] = tuple(el.findtext(f"{{{NS}}}{k}") for k in ("Work", "ActualWork", "RemainingWork"))
    assert found["Worker"] == ("PT24H0M0S", "PT8H0M0S", "PT16H0M0S")  # 8 h approved of 24 h
    assert found["Test rig"] == ("PT4H0M0S", "PT0H0M0S", "PT4H0M0S")  # equipment logs nothing
    plan = read_mspdi(data)  # the parser takes it (no problem raised)
    a_ref = next(t.ref for t in plan.tasks if t.name == "Task A")
    task_a = next(t for t in plan.tasks if t.ref == a_ref)
    assert sorted(a.work or 0 for a in task_a.assignments) == [240, 1440]
    assert all(a.actual_work is None for a in task_a.assignments)  # not read: timesheets are the actuals
    r = api.post("/imports", files={"file": ("p1.xml", data, "application/xml")}, data={"key": "COPY"},
                 headers=w.headers("admin"))  # fmt: skip
    assert r.status_code == 201, r.text
    copy = r.json()["project_id"]
    tasks = api.get(f"/projects/{copy}/tasks", headers=w.headers("admin")).json()
    t = next(x for x in tasks if x["name"] == "Task A")
    rows = api.get(f"/projects/{copy}/tasks/{t['id']}/assignments", headers=w.headers("admin")).json()
    worker = next(x for x in rows if x["name"] == "Worker")
    assert (worker["work_minutes"], worker["actual_work_minutes"]) == (1440, 0)  # nothing logged in the copy


@pytest.mark.skipif(
    not mpxj_import.available() and os.environ.get("CI", "").lower() != "true",
    reason="needs charter[mpxj] and a Java runtime",
)
def test_mpxj_reads_the_exported_actual_and_remaining_work(world: Any, api: Any) -> None:
    """Another reader of MS Project XML (MPXJ, which MS Project's own files are checked against in
    test_mpxj_import.py) finds the same actual and remaining work in the export."""
    data = _export_with_rig(world, api)
    mpxj_import._jvm()
    from java.io import ByteArrayInputStream
    from org.mpxj.reader import UniversalProjectReader

    project = UniversalProjectReader().read(ByteArrayInputStream(data))
    found = {
        str(a.getResource().getName()): tuple(
            round(float(d.getDuration()), 2) for d in (a.getWork(), a.getActualWork(), a.getRemainingWork())
        )
        for a in project.getResourceAssignments()
        if a.getResource() is not None
    }
    assert found == {"Worker": (24.0, 8.0, 16.0), "Test rig": (4.0, 0.0, 4.0)}  # hours


# MSPDI's Task sequence (mspdi_pj12.xsd, as MPXJ's schema classes give it), the elements Charter writes in it
TASK_ORDER = [
    "UID", "ID", "Name", "OutlineLevel", "Priority", "Start", "Finish", "Duration", "DurationFormat", "Work",
    "Milestone", "Summary", "PercentComplete", "ActualStart", "ActualFinish", "ActualWork", "RemainingDuration",
    "RemainingWork", "ConstraintType", "CalendarUID", "ConstraintDate", "Deadline", "Notes", "PredecessorLink",
    "ExtendedAttribute", "Baseline",
]  # fmt: skip


def test_the_ms_project_file_carries_each_tasks_work_sums_and_percent_work_complete(
    world: Any, api: Any
) -> None:
    """Each task carries ActualWork / RemainingWork, the sums of its assignments' (as the API's task), where
    the schema's Task sequence has them (after ActualFinish, after RemainingDuration); each assignment its
    PercentWorkComplete (actual / work, a whole number), first after ResourceUID. A task without assignments
    or a work package carries none. The file reads back through the MSPDI parser."""
    from lxml import etree

    from charter.io.mspdi import NS, read_mspdi

    w = world
    data = _export_with_rig(w, api)
    root = etree.fromstring(data)
    tasks = {el.findtext(f"{{{NS}}}Name"): el for el in root.iterfind(f"{{{NS}}}Tasks/{{{NS}}}Task")}
    for el in tasks.values():
        tags = [etree.QName(c).localname for c in el]
        assert tags == sorted(tags, key=TASK_ORDER.index), tags
    a = tasks["Task A"]
    # the worker 8 h approved of 24 h, the rig nothing of 4 h: 8 h done, 16 + 4 h to go
    sums = tuple(a.findtext(f"{{{NS}}}{k}") for k in ("ActualWork", "RemainingWork"))
    assert sums == ("PT8H0M0S", "PT20H0M0S")
    t = api.get(f"/projects/{w.p1}/tasks/{w.tasks['a']}", headers=w.headers("pm")).json()
    assert (t["actual_work_minutes"], t["remaining_work_minutes"]) == (480, 1200)  # the API's, the same
    b = tasks["Task B"]  # nobody assigned
    assert b.find(f"{{{NS}}}ActualWork") is None and b.find(f"{{{NS}}}RemainingWork") is None
    names = {
        el.findtext(f"{{{NS}}}UID"): el.findtext(f"{{{NS}}}Name")
        for el in root.iterfind(f".//{{{NS}}}Resource")
    }
    found = {}
    for el in root.iterfind(f"{{{NS}}}Assignments/{{{NS}}}Assignment"):
        tags = [etree.QName(c).localname for c in el]
        assert tags == sorted(tags, key=ASSIGNMENT_ORDER.index), tags
        found[names[el.findtext(f"{{{NS}}}ResourceUID")]] = el.findtext(f"{{{NS}}}PercentWorkComplete")
    assert found == {"Worker": "33", "Test rig": "0"}  # 8 of 24 h; 0 of 4 h
    plan = read_mspdi(data)  # the parser takes it (no problem raised)
    assert sorted(a.work or 0 for t in plan.tasks if t.name == "Task A" for a in t.assignments) == [240, 1440]


def test_percent_work_complete_is_a_whole_number_and_100_only_when_nothing_remains() -> None:
    pwc = rules.percent_work_complete
    cases = [(1440, 480), (1440, 960), (240, 0), (0, 0), (None, 60), (0, 60)]
    assert [pwc(work, actual) for work, actual in cases] == [33, 67, 0, 0, 0, 0]
    cases = [(200, 1), (200, 199), (200, 200), (200, 260)]  # 0.5 % is 1; 99.5 % with work left is 99
    assert [pwc(work, actual) for work, actual in cases] == [1, 99, 100, 100]


@given(work=st.integers(1, rules.MAX_DAYS * MPD), actual=st.integers(0, rules.MAX_DAYS * MPD))
def test_percent_work_complete_follows_actual_over_work(work: int, actual: int) -> None:
    p = rules.percent_work_complete(work, actual)
    assert 0 <= p <= 100 and (p == 100) == (actual >= work) and (p == 0) == (200 * actual < work)
    if 0 < actual < work:
        assert abs(p - 100 * actual / work) <= 0.5 or p == 99  # 99.5 % and up with work left: 99


@pytest.mark.skipif(
    not mpxj_import.available() and os.environ.get("CI", "").lower() != "true",
    reason="needs charter[mpxj] and a Java runtime",
)
def test_mpxj_reads_the_exported_task_work_sums_and_percent_work_complete(world: Any, api: Any) -> None:
    """MPXJ finds the task's actual and remaining work and each assignment's % work complete in the export."""
    data = _export_with_rig(world, api)
    mpxj_import._jvm()
    from java.io import ByteArrayInputStream
    from org.mpxj import TimeUnit
    from org.mpxj.reader import UniversalProjectReader

    project = UniversalProjectReader().read(ByteArrayInputStream(data))
    task = next(t for t in project.getTasks() if str(t.getName()) == "Task A")
    props = project.getProjectProperties()
    hours = [
        round(float(d.convertUnits(TimeUnit.HOURS, props).getDuration()), 2)
        for d in (task.getActualWork(), task.getRemainingWork())
    ]
    assert hours == [8.0, 20.0]
    found = {
        str(a.getResource().getName()): int(a.getPercentageWorkComplete())
        for a in project.getResourceAssignments()
        if a.getResource() is not None
    }
    assert found == {"Worker": 33, "Test rig": 0}
