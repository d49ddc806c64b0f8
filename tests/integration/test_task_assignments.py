"""The task page's Assignments section (MS Project's Assign Resources dialog): assign a resource — a person,
equipment, a licence — with units (a percentage) and work (hours), change an assignment's units or work,
take it off (POST /projects/{id}/tasks/{task_id}/assignments[/{assignment_id}[/delete]]), over the same
service as the API's …/assignments. Refusals are shown beside the right form with the input kept; only who
may manage the task's team sees the forms.

The seeded world: Task A (WP-A, 3d, fixed units, effort-driven) has the worker full time (24 h)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from charter.persistence.models import Assignment, JournalEntry, Task
from charter.services import assignments, resources
from webhelpers import csrf_of, no_inline, signed_in


def _page(client: Any, seed: Any, task: str = "a") -> str:
    r = client.get(f"/projects/{seed.p1}/tasks/{seed.tasks[task]}")
    assert r.status_code == 200, r.text
    return str(r.text)


def _url(seed: Any, suffix: str = "", task: str = "a") -> str:
    return f"/projects/{seed.p1}/tasks/{seed.tasks[task]}/assignments{suffix}"


def _rows(seed: Any, task: str = "a") -> dict[str, dict[str, Any]]:
    with seed.db.uow(readonly=True) as s:
        return {
            a["name"]: a
            for a in assignments.list_assignments(s, seed.actor("admin"), seed.p1, seed.tasks[task])
        }


def _rig(seed: Any, name: str = "Test rig", kind: str = "equipment") -> int:
    with seed.db.uow() as s:
        return int(resources.create_resource(s, seed.actor("admin"), name=name, kind=kind)["id"])


def _row(html: str, aid: int) -> str:
    m = re.search(rf'<tr id="assignment-{aid}">(.*?)</tr>', html, re.S)
    assert m, f"no row for assignment {aid}"
    return m.group(1)


def _input(html: str, id_: str) -> str:
    m = re.search(rf'<input id="{id_}"[^>]*>', html)
    assert m, f"no input {id_}"
    return m.group(0)


def _journal(seed: Any, entity_id: int, action: str) -> list[int | None]:
    """Who made the assignment's journal entries of `action`, oldest first."""
    with seed.db.uow(readonly=True) as s:
        q = select(JournalEntry.actor_id).where(JournalEntry.entity_type == "assignment",
                                                JournalEntry.entity_id == str(entity_id),
                                                JournalEntry.action == action).order_by(JournalEntry.id)  # fmt: skip
        return list(s.scalars(q))


def test_the_section_lists_assignments_and_offers_every_resource(seed: Any) -> None:
    rig = _rig(seed)
    worker = _rows(seed)["Worker"]
    with signed_in(seed, "pm") as client:
        page = _page(client, seed)
        no_inline(page)
        section = page.split('id="assignments"')[1].split("</section>")[0]
        row = _row(section, worker["assignment_id"])
        assert "Worker" in row and "Person" in row and "100 %" in row and "24 h" in row
        assert f'name="version" value="{worker["version"]}"' in row and 'name="csrf_token"' in row
        form = section.split('id="assign-form"')[1]
        # the rig, and members who have no resource yet (made when assigned); not who is on the task already
        assert f'value="resource:{rig}"' in form and f'value="user:{seed.users["task_leader"]}"' in form
        assert f'value="resource:{worker["resource_id"]}"' not in form
        assert '<optgroup label="Person">' in form and '<optgroup label="Equipment">' in form
        assert form.index('label="Person"') < form.index('label="Equipment"')
        assert 'id="asg-units"' in form and 'value="100"' in _input(form, "asg-units")
        assert "user_" not in section  # the old tick-box form is gone: one way to assign


def test_assign_equipment_part_time_and_a_member_with_set_work(seed: Any) -> None:
    rig = _rig(seed)
    with signed_in(seed, "pm") as client:
        csrf = csrf_of(_page(client, seed))
        r = client.post(_url(seed), data={"csrf_token": csrf, "resource": f"resource:{rig}", "units": "50",
                                          "work": ""})  # fmt: skip
        assert r.status_code == 303, r.text
        assert r.headers["location"] == f"/projects/{seed.p1}/tasks/{seed.tasks['a']}#assignments"
        r = client.post(_url(seed), data={"csrf_token": csrf, "resource": f"user:{seed.users['task_leader']}",
                                          "units": "25 %", "work": "6"})  # fmt: skip
        assert r.status_code == 303, r.text
        page = _page(client, seed)
    rows = _rows(seed)
    assert rows["Test rig"]["kind"] == "equipment" and rows["Test rig"]["units"] == 0.5
    assert rows["Task Leader"]["units"] == 0.25 and rows["Task Leader"]["work_minutes"] == 360
    row = _row(page, rows["Test rig"]["assignment_id"])
    assert "Test rig" in row and "Equipment" in row and "50 %" in row
    assert "25 %" in _row(page, rows["Task Leader"]["assignment_id"])
    assert _journal(seed, rows["Test rig"]["assignment_id"], "create") == [seed.users["pm"]]


def test_edit_units_then_work(seed: Any) -> None:
    worker = _rows(seed)["Worker"]
    aid = worker["assignment_id"]
    with signed_in(seed, "pm") as client:
        page = _page(client, seed)
        r = client.post(_url(seed, f"/{aid}"), data={"csrf_token": csrf_of(page), "version": worker["version"],
                                                      "units": "50", "work": "24"})  # fmt: skip
        assert r.status_code == 303, r.text
        after = _rows(seed)["Worker"]
        # only the units were changed (the work shown was sent back as it was): fixed units, the work follows
        assert after["units"] == 0.5 and after["work_minutes"] == 720
        assert after["version"] == worker["version"] + 1  # one write, one version
        row = _row(_page(client, seed), aid)
        assert "50 %" in row and "12 h" in row
        r = client.post(_url(seed, f"/{aid}"), data={"csrf_token": csrf_of(page), "version": after["version"],
                                                      "units": "50", "work": "16"})  # fmt: skip
        assert r.status_code == 303, r.text
    assert _rows(seed)["Worker"]["work_minutes"] == 960
    assert len(_journal(seed, aid, "update")) == 2


def test_units_and_work_changed_together_move_the_version_by_one(seed: Any, api: Any, as_: Any) -> None:
    worker = _rows(seed)["Worker"]
    r = api.patch(f"/projects/{seed.p1}/tasks/{seed.tasks['a']}/assignments/{worker['assignment_id']}",
                  headers=as_("task_leader"), json={"version": worker["version"], "units": 0.5, "work": "6d"})  # fmt: skip
    assert r.status_code == 200, r.text
    after = _rows(seed)["Worker"]
    assert after["units"] == 0.5 and after["work_minutes"] != worker["work_minutes"]
    assert after["version"] == worker["version"] + 1


def test_stale_edit_is_409_beside_the_form_with_the_input_kept(seed: Any, api: Any, as_: Any) -> None:
    worker = _rows(seed)["Worker"]
    aid = worker["assignment_id"]
    r = api.patch(f"/projects/{seed.p1}/tasks/{seed.tasks['a']}/assignments/{aid}", headers=as_("task_leader"),
                  json={"version": worker["version"], "units": 0.75})  # fmt: skip
    assert r.status_code == 200, r.text
    with signed_in(seed, "pm") as client:
        page = _page(client, seed)
        r = client.post(_url(seed, f"/{aid}"), data={"csrf_token": csrf_of(page), "version": worker["version"],
                                                      "units": "40", "work": "24"})  # fmt: skip
        assert r.status_code == 409
        row = _row(r.text, aid)
        assert f'id="assignment-{aid}-error"' in row and "changed by someone else" in row
        assert "Saved now: 75 % and 18 h" in row
        assert 'value="40"' in _input(row, f"assignment-{aid}-units")  # what the user typed, kept
        now = _rows(seed)["Worker"]
        assert f'name="version" value="{now["version"]}"' in row  # Save again applies it over what is stored
    assert _rows(seed)["Worker"]["units"] == 0.75


def test_remove_and_a_stale_remove(seed: Any) -> None:
    rig = _rig(seed)
    with seed.db.uow() as s:
        assignments.add_assignment(s, seed.actor("pm"), seed.p1, seed.tasks["a"], resource_id=rig, units=0.5)
    rows = _rows(seed)
    rig_a, worker = rows["Test rig"], rows["Worker"]
    with signed_in(seed, "pm") as client:
        page = _page(client, seed)
        assert f'action="{_url(seed, "/" + str(rig_a["assignment_id"]) + "/delete")}"' in page
        r = client.post(_url(seed, f"/{rig_a['assignment_id']}/delete"),
                        data={"csrf_token": csrf_of(page), "version": rig_a["version"]})  # fmt: skip
        assert r.status_code == 303, r.text
        assert "Test rig" not in _page(client, seed).split('id="assignments"')[1].split("<form")[0]
        # the worker's assignment changed since the page was read (adding the rig shared the work): 409
        r = client.post(_url(seed, f"/{worker['assignment_id']}/delete"),
                        data={"csrf_token": csrf_of(page), "version": worker["version"] - 1})  # fmt: skip
        row = _row(r.text, worker["assignment_id"])
        assert r.status_code == 409 and "changed by someone else" in row and "Saved now" not in row
    assert set(_rows(seed)) == {"Worker"}
    assert len(_journal(seed, rig_a["assignment_id"], "delete")) == 1


def _task_a(seed: Any) -> tuple[int, int | None, int]:
    """Task A's duration, work (minutes) and version."""
    with seed.db.uow(readonly=True) as s:
        t = s.get(Task, seed.tasks["a"])
        assert t is not None
        return t.duration, t.work, t.version


def _task_journal(seed: Any) -> list[tuple[int | None, dict[str, Any], str | None]]:
    """Task A's journal entries (who, changes, cause), oldest first."""
    with seed.db.uow(readonly=True) as s:
        q = select(JournalEntry).where(JournalEntry.entity_type == "task",
                                       JournalEntry.entity_id == str(seed.tasks["a"])).order_by(JournalEntry.id)  # fmt: skip
        return [(j.actor_id, j.changes, j.cause) for j in s.scalars(q)]


def test_removing_a_resource_lengthens_the_effort_driven_task_again(seed: Any) -> None:
    """Task A (3d, effort-driven) shortens to 1.5d when the rig joins it full time; taking the rig off on the
    page gives the worker the whole work again over 3d, in the task's journal (it had stayed 1.5d)."""
    rig = _rig(seed)
    with seed.db.uow() as s:
        assignments.add_assignment(s, seed.actor("pm"), seed.p1, seed.tasks["a"], resource_id=rig)
    rig_a = _rows(seed)["Test rig"]
    duration, work, version = _task_a(seed)
    assert (duration, work) == (720, 1440)
    seen = len(_task_journal(seed))
    with signed_in(seed, "task_leader") as client:
        page = _page(client, seed)
        r = client.post(_url(seed, f"/{rig_a['assignment_id']}/delete"),
                        data={"csrf_token": csrf_of(page), "version": rig_a["version"]})  # fmt: skip
        assert r.status_code == 303, r.text
    assert _task_a(seed) == (1440, 1440, version + 1)
    assert _rows(seed)["Worker"]["work_minutes"] == 1440
    entries = _task_journal(seed)
    assert len(entries) == seen + 1
    who, changes, cause = entries[-1]
    assert who == seed.users["task_leader"] and changes["duration"] == [720, 1440]
    assert cause is not None and "Test rig taken off" in cause


def test_bad_units_and_work_are_422_with_the_input_kept(seed: Any) -> None:
    rig = _rig(seed)
    worker = _rows(seed)["Worker"]
    aid = worker["assignment_id"]
    with signed_in(seed, "pm") as client:
        csrf = csrf_of(_page(client, seed))
        for units, says in (("lots", "is not a percentage"), ("0", "more than 0"), ("-5", "more than 0"),
                            ("20000", "at most 10000")):  # fmt: skip
            r = client.post(_url(seed), data={"csrf_token": csrf, "resource": f"resource:{rig}", "units": units,
                                              "work": "7"})  # fmt: skip
            assert r.status_code == 422, units
            form = r.text.split('id="assign-form"')[1].split("</form>")[0]
            assert 'id="assign-error"' in form and says in form
            units_input = _input(form, "asg-units")
            assert 'aria-invalid="true"' in units_input and f'value="{units}"' in units_input
            assert 'value="7"' in _input(form, "asg-work")
            assert f'<option value="resource:{rig}" selected>' in form
        r = client.post(_url(seed), data={"csrf_token": csrf, "resource": "", "units": "50"})
        assert r.status_code == 422 and 'aria-invalid="true"' in r.text.split('id="asg-resource"')[1][:200]
        r = client.post(_url(seed, f"/{aid}"), data={"csrf_token": csrf, "version": worker["version"],
                                                      "units": "100", "work": "soon"})  # fmt: skip
        assert r.status_code == 422
        row = _row(r.text, aid)
        assert "is not a duration" in row and 'value="soon"' in _input(row, f"assignment-{aid}-work")
        assert 'aria-invalid="true"' in _input(row, f"assignment-{aid}-work")
        r = client.post(_url(seed, f"/{aid}"), data={"csrf_token": csrf, "version": worker["version"],
                                                      "units": "", "work": "24"})  # fmt: skip
        assert r.status_code == 422 and "is required" in _row(r.text, aid)
    assert set(_rows(seed)) == {"Worker"} and _rows(seed)["Worker"]["version"] == worker["version"]


def test_elapsed_work_is_refused_everywhere_as_remaining_work_is(
    seed: Any, api: Any, as_: Any, cli: Any
) -> None:
    """An assignment's work is working time (work = duration x units in the task's calendar), as its remaining
    work is: 3ed (three days round the clock) was taken as 72 hours of work; now the API, the task page and
    the CLI refuse it with a 422 naming `work`, in remaining_work's words."""
    rig = _rig(seed)
    worker = _rows(seed)["Worker"]
    aid = worker["assignment_id"]
    for work in ("3ed", "12eh", "90em", "1ew", "1emo"):
        r = api.post(_url(seed), json={"resource_id": rig, "work": work}, headers=as_("pm"))
        assert r.status_code == 422, (work, r.text)
        err = r.json()["error"]
        assert err["field"] == "work" and "work is working time, not elapsed" in err["message"], err
        r = api.patch(_url(seed, f"/{aid}"), json={"version": worker["version"], "work": work},
                      headers=as_("pm"))  # fmt: skip
        assert r.status_code == 422 and r.json()["error"]["field"] == "work", (work, r.text)
    r = api.patch(_url(seed, f"/{aid}"), json={"version": worker["version"], "remaining_work": "2ed"},
                  headers=as_("pm"))  # fmt: skip
    says = r.json()["error"]["message"]
    assert r.status_code == 422 and "remaining work is working time, not elapsed" in says
    with signed_in(seed, "pm") as client:
        csrf = csrf_of(_page(client, seed))
        r = client.post(_url(seed), data={"csrf_token": csrf, "resource": f"resource:{rig}", "units": "50",
                                          "work": "3ed"})  # fmt: skip
        assert r.status_code == 422
        form = r.text.split('id="assign-form"')[1].split("</form>")[0]
        assert "work is working time, not elapsed" in form
        assert 'aria-invalid="true"' in _input(form, "asg-work") and 'value="3ed"' in _input(form, "asg-work")
        r = client.post(_url(seed, f"/{aid}"), data={"csrf_token": csrf, "version": worker["version"],
                                                      "units": "100", "work": "3ed"})  # fmt: skip
        assert r.status_code == 422
        row = _row(r.text, aid)
        assert "work is working time, not elapsed" in row
        assert 'value="3ed"' in _input(row, f"assignment-{aid}-work")
    for args in (("assign", "P1", "Task A", "Test rig", "--work", "3ed"),
                 ("assignment-update", "P1", "Task A", str(aid), "--work", "3ed")):  # fmt: skip
        r = cli("task", *args, code=1)
        assert "work is working time, not elapsed" in r.stderr, (args, r.stderr)
        assert "(field: work)" in r.stderr, (args, r.stderr)
    assert set(_rows(seed)) == {"Worker"} and _rows(seed)["Worker"] == worker
    # working time is taken as before
    r = api.post(_url(seed), json={"resource_id": rig, "work": "3d"}, headers=as_("pm"))
    assert r.status_code == 201 and _rows(seed)["Test rig"]["work_minutes"] == 3 * 480, r.text


def test_a_duplicate_is_409_and_a_non_member_person_is_refused(seed: Any) -> None:
    worker = _rows(seed)["Worker"]
    with signed_in(seed, "pm") as client:
        csrf = csrf_of(_page(client, seed))
        r = client.post(_url(seed), data={"csrf_token": csrf, "resource": f"resource:{worker['resource_id']}",
                                          "units": "100"})  # fmt: skip
        assert r.status_code == 409 and "already assigned" in r.text.split('id="assign-form"')[1]
        r = client.post(_url(seed), data={"csrf_token": csrf, "resource": f"user:{seed.users['outsider']}",
                                          "units": "100"})  # fmt: skip
        assert r.status_code == 422 and "holds no role in this project" in r.text
    assert set(_rows(seed)) == {"Worker"}


def test_who_may_not_manage_the_team_sees_no_forms_and_is_refused(seed: Any) -> None:
    worker = _rows(seed)["Worker"]
    aid = worker["assignment_id"]
    rig = _rig(seed)
    # the Task Leader of WP-A manages Task A's team, not Task B's (WP-B)
    for who, task, shown in (("worker", "a", False), ("observer", "a", False), ("task_leader", "a", True),
                             ("task_leader", "b", False), ("task_leader_b", "b", True)):  # fmt: skip
        with signed_in(seed, who) as client:
            page = _page(client, seed, task)
            assert ('id="assign-form"' in page) is shown, (who, task)
            assert ("/assignments/" in page) is (shown and task == "a"), (who, task)
    with signed_in(seed, "worker") as client:
        page = _page(client, seed)
        assert "Worker" in page.split('id="assignments"')[1]  # the list is there for every reader
        csrf = csrf_of(page)
        for url, data in ((_url(seed), {"resource": f"resource:{rig}", "units": "50"}),
                          (_url(seed, f"/{aid}"), {"version": worker["version"], "units": "50", "work": "24"}),
                          (_url(seed, f"/{aid}/delete"), {"version": worker["version"]})):  # fmt: skip
            r = client.post(url, data={"csrf_token": csrf, **data})
            assert r.status_code == 403, url
            assert (
                'id="assignments-error"' in r.text
            )  # said above the list: there is no form to put it beside
    assert _rows(seed)["Worker"] == worker and "Test rig" not in _rows(seed)


def test_another_projects_assignment_or_task_is_404(seed: Any) -> None:
    rig = _rig(seed)
    with seed.db.uow() as s:
        rows = assignments.add_assignment(s, seed.actor("admin"), seed.p2, seed.tasks["p2"], resource_id=rig)
    p2a = rows[0]
    with signed_in(seed, "pm") as client:
        csrf = csrf_of(_page(client, seed))
        # P2's assignment through P1's task: not on this task
        r = client.post(_url(seed, f"/{p2a['assignment_id']}"), data={"csrf_token": csrf,
                        "version": p2a["version"], "units": "10", "work": "1"})  # fmt: skip
        assert r.status_code == 404 and 'id="assignments-error"' in r.text and "not found" in r.text
        r = client.post(_url(seed, f"/{p2a['assignment_id']}/delete"),
                        data={"csrf_token": csrf, "version": p2a["version"]})  # fmt: skip
        assert r.status_code == 404
        # P2 is not the PM's to see: its task and assignment are not found at all
        p2_url = f"/projects/{seed.p2}/tasks/{seed.tasks['p2']}/assignments"
        for url in (p2_url, f"{p2_url}/{p2a['assignment_id']}", f"{p2_url}/{p2a['assignment_id']}/delete"):
            r = client.post(url, data={"csrf_token": csrf, "version": p2a["version"], "units": "10",
                                       "resource": f"resource:{rig}"})  # fmt: skip
            assert r.status_code == 404, url
        # P2's task through P1
        r = client.post(f"/projects/{seed.p1}/tasks/{seed.tasks['p2']}/assignments",
                        data={"csrf_token": csrf, "resource": f"resource:{rig}", "units": "10"})  # fmt: skip
        assert r.status_code == 404
    with seed.db.uow(readonly=True) as s:
        a = s.get(Assignment, p2a["assignment_id"])
        assert a is not None and a.units == 1.0 and a.version == p2a["version"]


# --------------------------------------------------------------------------------------------- the CLI


@pytest.mark.any_backend
def test_cli_every_assignment_command_has_help(cli: Any) -> None:
    for sub, option in (("assign", "--units"), ("assign", "--work"), ("assignments", "--json"),
                        ("assignment-update", "--version"), ("unassign", "Usage")):  # fmt: skip
        assert option in cli("task", sub, "--help").stdout, sub


def test_cli_assign_a_resource_part_time_list_update_and_unassign(seed: Any, cli: Any) -> None:
    _rig(seed)
    r = cli("task", "assign", "P1", "Task A", "test RIG", "--units", "50", "--work", "12")
    assert "Test rig 50%" in r.stdout and "Worker" in r.stdout
    rows = _rows(seed)
    assert rows["Test rig"]["units"] == 0.5 and rows["Test rig"]["work_minutes"] == 720
    # a username: a member with no resource yet gets one; one already on the task has its units changed
    data = json.loads(
        cli("task", "assign", "P1", "Task A", "task-leader", "worker", "--units", "25%", "--json").stdout
    )["assignees"]
    assert {a["name"]: a["units"] for a in data} == {"Worker": 0.25, "Test rig": 0.5, "Task Leader": 0.25}
    with seed.db.uow(
        readonly=True
    ) as s:  # the person resource made on first booking is journaled, as the PM's
        rid = next(a["resource_id"] for a in data if a["name"] == "Task Leader")
        made = s.scalars(select(JournalEntry).where(JournalEntry.entity_type == "resource",
                                                    JournalEntry.entity_id == str(rid))).all()  # fmt: skip
        assert [(j.action, j.actor_id) for j in made] == [("create", seed.users["pm"])]
    table = cli("task", "assignments", "P1", "Task A").stdout
    rig = _rows(seed)["Test rig"]
    assert re.search(rf"{rig['assignment_id']}\s+│\s+Test rig\s+│\s+equipment\s+│\s+50%", table), table
    listed = json.loads(cli("task", "assignments", "P1", "Task A", "--json").stdout)
    assert {a["assignment_id"] for a in listed} == {a["assignment_id"] for a in _rows(seed).values()}

    aid = str(rig["assignment_id"])
    r = cli("task", "assignment-update", "P1", "Task A", aid, "--units", "75")
    assert "is now 75%" in r.stdout and f"version {_rows(seed)['Test rig']['version']})" in r.stdout
    r = cli("task", "assignment-update", "P1", "Task A", aid, "--work", "2d", "--version", str(rig["version"]),
            code=1)  # fmt: skip
    assert "changed by someone else" in r.stderr and "(field: version)" in r.stderr
    r = cli("task", "assignment-update", "P1", "Task A", aid, "--work", "2d", "--json")
    assert json.loads(r.stdout)["work_minutes"] == 960

    r = cli("task", "unassign", "P1", "Task A", "Test rig", "task-leader")
    assert "Test rig, Task Leader taken off the task" in r.stdout
    assert set(_rows(seed)) == {"Worker"}
    assert _journal(seed, rig["assignment_id"], "delete") == [seed.users["pm"]]


def test_cli_unassign_lengthens_the_effort_driven_task_again(seed: Any, cli: Any) -> None:
    _rig(seed)
    cli("task", "assign", "P1", "Task A", "Test rig")
    duration, work, version = _task_a(seed)
    assert (duration, work) == (720, 1440)
    r = cli("task", "unassign", "P1", "Task A", "Test rig")
    assert "Test rig taken off the task" in r.stdout
    assert _task_a(seed) == (1440, 1440, version + 1)
    who, changes, cause = _task_journal(seed)[-1]
    assert who == seed.users["pm"] and changes["duration"] == [720, 1440]
    assert cause is not None and "Test rig taken off" in cause


def test_cli_replace_takes_the_people_not_named_off(seed: Any, cli: Any) -> None:
    _rig(seed)
    cli("task", "assign", "P1", "Task A", "Test rig")
    data = json.loads(cli("task", "assign", "P1", "Task A", "task-leader", "--replace", "--json").stdout)[
        "assignees"
    ]
    assert sorted(a["name"] for a in data) == ["Task Leader", "Test rig"]  # the worker is off, the rig stays
    data = json.loads(cli("task", "assign", "P1", "Task A", "--replace", "--json").stdout)["assignees"]
    assert [a["name"] for a in data] == ["Test rig"]


def test_cli_refusals_name_the_field_and_change_nothing(seed: Any, cli: Any) -> None:
    _rig(seed)
    before = _rows(seed)
    aid = str(before["Worker"]["assignment_id"])
    for args, says in (
        (("assign", "P1", "Task A", "Test rig", "--units", "lots"), "(field: units)"),
        (("assign", "P1", "Task A", "Test rig", "--units", "0"), "more than 0"),
        (("assign", "P1", "Task A", "Test rig", "--work", "soon"), "(field: work)"),
        (("assign", "P1", "Task A", "No such thing"), "no user or resource named 'No such thing'"),
        (("assign", "P1", "Task A"), "name who to assign"),
        (("assign", "P1", "Task A", "outsider"), "holds no role in this project"),
        (("unassign", "P1", "Task A", "Test rig"), "Test rig is not assigned to this task"),
        (("assignment-update", "P1", "Task A", aid), "nothing to change"),
        (("assignment-update", "P1", "Task A", aid, "--units", "-5"), "(field: units)"),
        (("assignment-update", "P1", "Task B", aid, "--units", "50"), "not found on this task"),
    ):
        r = cli("task", *args, code=1)
        assert says in r.stderr, (args, r.stderr)
    # who may not manage the task's team is refused; another project is not found
    r = cli("task", "assign", "P1", "Task A", "Test rig", who="worker", code=1)
    assert "do not allow team.manage" in r.stderr
    r = cli("task", "assign", "P1", "Task B", "Test rig", who="task-leader", code=1)
    assert "do not allow" in r.stderr
    r = cli("task", "assignments", "P2", "Task X", code=1)
    assert "not found" in r.stderr.lower()
    assert _rows(seed) == before
