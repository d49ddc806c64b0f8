"""Custom fields on tasks through the API: the PM defines them (text, number, date, choice, flag); task editors
set the values in the task's own PATCH, checked against the field's kind, versioned and journaled with the
task; a field is archived, never deleted, and keeps its values; names are unique among the fields in use."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from charter.persistence.models import JournalEntry


def err(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    e = r.json()["error"]
    if field is not None:
        assert e["field"] == field, e
    return e


def _field(api: Any, seed: Any, as_: Any, **body: Any) -> dict[str, Any]:
    r = api.post(f"/projects/{seed.p1}/custom-fields", json=body, headers=as_("pm"))
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


@pytest.fixture
def fields(api: Any, seed: Any, as_: Any) -> dict[str, dict[str, Any]]:
    return {
        "customer": _field(api, seed, as_, name="Customer", kind="text"),
        "points": _field(api, seed, as_, name="Story points", kind="number"),
        "release": _field(api, seed, as_, name="Release date", kind="date"),
        "component": _field(api, seed, as_, name="Component", kind="choice", choices=["Backend", "Frontend"]),
        "review": _field(api, seed, as_, name="Security review", kind="flag"),
    }


def _task(api: Any, seed: Any, as_: Any, name: str = "a", who: str = "pm") -> dict[str, Any]:
    r = api.get(f"/projects/{seed.p1}/tasks/{seed.tasks[name]}", headers=as_(who))
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_values_set_read_and_cleared_in_the_tasks_patch(api: Any, seed: Any, as_: Any, fields: Any) -> None:
    t = _task(api, seed, as_)
    assert t["custom_fields"] == {
        "Customer": None, "Story points": None, "Release date": None, "Component": None, "Security review": None,
    }  # fmt: skip
    body = {
        "Customer": "  ACME Corp ",
        "story points": "5",  # names match whatever the case; numbers may come as text
        "Release date": "2030-03-01",
        "Component": "backend",  # the choice as defined
        "Security review": True,
    }
    r = api.patch(
        f"/projects/{seed.p1}/tasks/{t['id']}",
        json={"version": t["version"], "custom_fields": body},
        headers=as_("pm"),
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["custom_fields"] == {
        "Customer": "ACME Corp", "Story points": 5, "Release date": "2030-03-01", "Component": "Backend",
        "Security review": True,
    }  # fmt: skip
    assert got["version"] == t["version"] + 1
    # the list and the schedule carry them too
    listed = api.get(f"/projects/{seed.p1}/tasks", headers=as_("observer")).json()
    assert next(x for x in listed if x["id"] == t["id"])["custom_fields"]["Story points"] == 5
    sched = api.get(f"/projects/{seed.p1}/schedule", headers=as_("pm")).json()
    assert next(x for x in sched["tasks"] if x["id"] == t["id"])["custom_fields"]["Customer"] == "ACME Corp"
    # fields left out keep their value; null and "" clear one
    r = api.patch(
        f"/projects/{seed.p1}/tasks/{t['id']}",
        json={"version": got["version"], "custom_fields": {"Customer": None, "Story points": "", "Release date": "2030-03-02"}},
        headers=as_("pm"),
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["custom_fields"] == {
        "Customer": None, "Story points": None, "Release date": "2030-03-02", "Component": "Backend",
        "Security review": True,
    }  # fmt: skip
    # journaled with the task, before and after
    with seed.db.uow(readonly=True) as s:
        entries = [
            dict(e.changes or {})
            for e in s.scalars(
                select(JournalEntry)
                .where(JournalEntry.entity_type == "task", JournalEntry.entity_id == str(t["id"]))
                .order_by(JournalEntry.id)
            )
        ]
    changes = [e["custom"] for e in entries if "custom" in e]
    assert [None, {str(fields["customer"]["id"]): "ACME Corp", str(fields["points"]["id"]): 5,
            str(fields["release"]["id"]): "2030-03-01", str(fields["component"]["id"]): "Backend",
            str(fields["review"]["id"]): True}] in changes  # fmt: skip


def test_a_new_task_takes_values_and_an_edit_of_them_leaves_the_schedule(
    api: Any, seed: Any, as_: Any, fields: Any
) -> None:
    before = api.get(f"/projects/{seed.p1}/schedule", headers=as_("pm")).json()
    r = api.post(
        f"/projects/{seed.p1}/tasks",
        json={"name": "Spike", "work_package_id": seed.wp_a, "custom_fields": {"Component": "Frontend"}},
        headers=as_("task_leader"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["custom_fields"]["Component"] == "Frontend"
    t = _task(api, seed, as_, "c")
    r = api.patch(
        f"/projects/{seed.p1}/tasks/{t['id']}",
        json={"version": t["version"], "custom_fields": {"Customer": "Initech"}},
        headers=as_("task_leader"),
    )
    assert r.status_code == 200, r.text
    after = api.get(f"/projects/{seed.p1}/schedule", headers=as_("pm")).json()
    assert after["plan_revision"] == before["plan_revision"] + 1  # the new task only


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"Story points": "five"}, "custom_fields.Story points", "not a number"),
        ({"Story points": True}, "custom_fields.Story points", "number"),
        ({"Release date": "1 March"}, "custom_fields.Release date", "not a date"),
        ({"Release date": "2030-02-30"}, "custom_fields.Release date", "not a date"),
        ({"Component": "Database"}, "custom_fields.Component", "not one of: Backend, Frontend"),
        ({"Security review": "perhaps"}, "custom_fields.Security review", "yes or no"),
        ({"Customer": 12}, "custom_fields.Customer", "text"),
        ({"Customer": "x" * 2001}, "custom_fields.Customer", "limit is 2000"),
        ({"Budget code": "X1"}, "custom_fields.Budget code", "no custom field named 'Budget code'"),
    ],
)
def test_a_value_that_does_not_fit_is_a_422_naming_the_field_and_nothing_is_written(
    api: Any, seed: Any, as_: Any, fields: Any, values: dict[str, Any], field: str, words: str
) -> None:
    t = _task(api, seed, as_)
    r = api.patch(
        f"/projects/{seed.p1}/tasks/{t['id']}",
        json={"version": t["version"], "name": "Renamed", "custom_fields": {"Customer": "ok", **values}},
        headers=as_("pm"),
    )
    assert words in err(r, 422, field)["message"]
    again = _task(api, seed, as_)
    assert (again["version"], again["name"], again["custom_fields"]["Customer"]) == (
        t["version"],
        "Task A",
        None,
    )


def test_stale_write_of_a_value_is_a_409_with_the_current_values(
    api: Any, seed: Any, as_: Any, fields: Any
) -> None:
    t = _task(api, seed, as_)
    ok = api.patch(
        f"/projects/{seed.p1}/tasks/{t['id']}",
        json={"version": t["version"], "custom_fields": {"Customer": "First"}},
        headers=as_("pm"),
    )
    assert ok.status_code == 200
    r = api.patch(
        f"/projects/{seed.p1}/tasks/{t['id']}",
        json={"version": t["version"], "custom_fields": {"Customer": "Second"}},
        headers=as_("task_leader"),
    )
    assert err(r, 409, "version")
    assert r.json()["error"]["current"]["custom_fields"]["Customer"] == "First"


def test_who_may_define_fields_and_set_values(api: Any, seed: Any, as_: Any, fields: Any) -> None:
    for who in ("task_leader", "worker", "stakeholder", "sponsor", "observer", "liaison"):
        r = api.post(
            f"/projects/{seed.p1}/custom-fields", json={"name": "X", "kind": "text"}, headers=as_(who)
        )
        err(r, 403)
    err(
        api.post(
            f"/projects/{seed.p1}/custom-fields", json={"name": "X", "kind": "text"}, headers=as_("outsider")
        ),
        404,
    )
    err(api.get(f"/projects/{seed.p1}/custom-fields", headers=as_("outsider")), 404)
    err(
        api.get(f"/projects/{seed.p1}/custom-fields/{fields['customer']['id']}", headers=as_("outsider")), 404
    )
    # another project's field is not found through this project
    other = api.post(
        f"/projects/{seed.p2}/custom-fields", json={"name": "Y", "kind": "text"}, headers=as_("admin")
    )
    assert other.status_code == 201
    err(api.get(f"/projects/{seed.p1}/custom-fields/{other.json()['id']}", headers=as_("pm")), 404)
    # everyone on the project reads them
    assert [f["name"] for f in api.get(f"/projects/{seed.p1}/custom-fields", headers=as_("observer")).json()] == [
        "Customer", "Story points", "Release date", "Component", "Security review",
    ]  # fmt: skip
    # the assigned worker records progress, not custom values; the leader of another package neither
    t = _task(api, seed, as_)
    for who in ("worker", "task_leader_b"):
        r = api.patch(
            f"/projects/{seed.p1}/tasks/{t['id']}",
            json={"version": t["version"], "custom_fields": {"Customer": "X"}},
            headers=as_(who),
        )
        err(r, 403)
    # a project's own fields only: P1's names mean nothing on P2's tasks
    x = api.get(f"/projects/{seed.p2}/tasks/{seed.tasks['p2']}", headers=as_("admin")).json()
    r = api.patch(
        f"/projects/{seed.p2}/tasks/{x['id']}",
        json={"version": x["version"], "custom_fields": {"Customer": "X"}},
        headers=as_("admin"),
    )
    err(r, 422, "custom_fields.Customer")


def test_definitions_are_checked(api: Any, seed: Any, as_: Any, fields: Any) -> None:
    url = f"/projects/{seed.p1}/custom-fields"
    h = as_("pm")
    assert (
        "already has a field named 'Customer'"
        in err(api.post(url, json={"name": " customer ", "kind": "text"}, headers=h), 409, "name")["message"]
    )
    err(api.post(url, json={"name": "Tier", "kind": "choice"}, headers=h), 422, "choices")
    err(
        api.post(url, json={"name": "Tier", "kind": "choice", "choices": ["A", "a"]}, headers=h),
        422,
        "choices",
    )
    err(api.post(url, json={"name": "Tier", "kind": "text", "choices": ["A"]}, headers=h), 422, "choices")
    err(api.post(url, json={"name": "Tier", "kind": "money"}, headers=h), 422)
    err(api.post(url, json={"name": "   ", "kind": "text"}, headers=h), 422, "name")
    err(
        api.post(url, json={"name": "Cost=High", "kind": "text"}, headers=h), 422, "name"
    )  # NAME=VALUE splits
    err(api.post(url, json={"name": "Tier", "kind": "text", "id": 5}, headers=h), 422)  # mass assignment
    f = fields["component"]
    err(api.patch(f"{url}/{f['id']}", json={"version": f["version"], "kind": "text"}, headers=h), 422)


def test_rename_reorder_choices_archive_and_restore(api: Any, seed: Any, as_: Any, fields: Any) -> None:
    url = f"/projects/{seed.p1}/custom-fields"
    h = as_("pm")
    t = _task(api, seed, as_)
    r = api.patch(
        f"/projects/{seed.p1}/tasks/{t['id']}",
        json={"version": t["version"], "custom_fields": {"Component": "Backend", "Customer": "ACME"}},
        headers=h,
    )
    assert r.status_code == 200
    comp = fields["component"]
    # a choice a task holds cannot go; a new one can come
    e = err(
        api.patch(
            f"{url}/{comp['id']}", json={"version": comp["version"], "choices": ["Frontend"]}, headers=h
        ),
        409,
        "choices",
    )
    assert "1 task(s) still have 'Backend'" in e["message"]
    r = api.patch(f"{url}/{comp['id']}", json={"version": comp["version"], "choices": ["Backend", "Frontend", "Data"], "name": "Area", "position": 0}, headers=h)  # fmt: skip
    assert r.status_code == 200, r.text
    comp = r.json()
    assert comp["choices"] == ["Backend", "Frontend", "Data"] and comp["version"] == 2
    # stale
    err(api.patch(f"{url}/{comp['id']}", json={"version": 1, "name": "Zone"}, headers=h), 409, "version")
    got = _task(api, seed, as_)["custom_fields"]
    assert next(iter(got)) == "Area" and got["Area"] == "Backend"  # renamed and first
    # archived: gone from the tasks, values kept; its name is free again
    cust = fields["customer"]
    r = api.patch(f"{url}/{cust['id']}", json={"version": cust["version"], "archived": True}, headers=h)
    assert r.status_code == 200 and r.json()["archived"] is True
    assert "Customer" not in _task(api, seed, as_)["custom_fields"]
    assert [f["name"] for f in api.get(url, headers=h).json()] == [
        "Area",
        "Story points",
        "Release date",
        "Security review",
    ]
    assert api.get(url, params={"archived": True}, headers=h).json()[-1]["name"] == "Customer"
    newer = _field(api, seed, as_, name="Customer", kind="choice", choices=["ACME", "Initech"])
    # restoring while another field has the name is refused; after renaming it, it comes back with its values
    err(api.patch(f"{url}/{cust['id']}", json={"version": 2, "archived": False}, headers=h), 409, "name")
    r = api.patch(
        f"{url}/{cust['id']}", json={"version": 2, "archived": False, "name": "Customer (old)"}, headers=h
    )
    assert r.status_code == 200, r.text
    got = _task(api, seed, as_)["custom_fields"]
    assert got["Customer (old)"] == "ACME" and got["Customer"] is None
    assert newer["kind"] == "choice"
    with seed.db.uow(readonly=True) as s:
        kinds = [
            (e.action, sorted(e.changes))
            for e in s.scalars(
                select(JournalEntry)
                .where(JournalEntry.entity_type == "custom_field", JournalEntry.entity_id == str(cust["id"]))
                .order_by(JournalEntry.id)
            )
        ]
    assert (
        kinds[0][0] == "create"
        and kinds[1] == ("update", ["archived"])
        and kinds[2] == ("update", ["archived", "name"])
    )


def test_csv_and_excel_exports_carry_a_column_per_field(api: Any, seed: Any, as_: Any, fields: Any) -> None:
    import csv
    import io

    import openpyxl

    t = _task(api, seed, as_)
    r = api.patch(
        f"/projects/{seed.p1}/tasks/{t['id']}",
        json={"version": t["version"], "custom_fields": {
            "Customer": "=HYPERLINK(\"http://evil\")", "Story points": 2.5, "Release date": "2030-03-01",
            "Security review": False,
        }},
        headers=as_("pm"),
    )  # fmt: skip
    assert r.status_code == 200, r.text
    r = api.get(f"/projects/{seed.p1}/export", params={"format": "csv"}, headers=as_("observer"))
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[-5:] == ["Customer", "Story points", "Release date", "Component", "Security review"]
    row = next(x for x in rows if x[3] == "Task A")
    assert row[-5:] == ['\'=HYPERLINK("http://evil")', "2.5", "2030-03-01", "", "no"]  # formula-safe
    r = api.get(f"/projects/{seed.p1}/export", params={"format": "xlsx"}, headers=as_("pm"))
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    values = list(ws.iter_rows(values_only=True))
    row_x = next(x for x in values if x[3] == "Task A")
    assert row_x[-5] == '\'=HYPERLINK("http://evil")' and row_x[-4] == 2.5
    assert row_x[-3].date().isoformat() == "2030-03-01" and row_x[-1] == "no"
    # a field named like a built-in column ("Notes"): the file's first "notes" column is the task's own
    notes = api.post(
        f"/projects/{seed.p1}/custom-fields", json={"name": "Notes", "kind": "text"}, headers=as_("pm")
    )
    assert notes.status_code == 201
    _set(api, seed, as_, "a", {"Notes": "custom words"})
    # the export imports again as a new project: the extra columns are not in the way
    csv_bytes = api.get(f"/projects/{seed.p1}/export", params={"format": "csv"}, headers=as_("pm")).content
    r = api.post(
        "/imports",
        files={"file": ("plan.csv", csv_bytes, "text/csv")},
        data={"key": "COPY"},
        headers=as_("admin"),
    )
    assert r.status_code == 201, r.text
    copy = r.json()["project_id"]
    copied = {x["name"]: x for x in api.get(f"/projects/{copy}/tasks", headers=as_("admin")).json()}
    assert {"Task A", "Task B", "Task C"} <= set(copied)
    assert copied["Task A"]["description"] == ""  # not the custom "Notes" column


def _set(api: Any, seed: Any, as_: Any, name: str, values: dict[str, Any]) -> None:
    t = _task(api, seed, as_, name)
    r = api.patch(
        f"/projects/{seed.p1}/tasks/{t['id']}",
        json={"version": t["version"], "custom_fields": values},
        headers=as_("pm"),
    )
    assert r.status_code == 200, r.text


def test_the_task_list_filters_by_custom_field_values(api: Any, seed: Any, as_: Any, fields: Any) -> None:
    _set(api, seed, as_, "a", {"Customer": "ACME Corp", "Component": "Backend", "Story points": 5,
                               "Security review": True})  # fmt: skip
    _set(api, seed, as_, "b", {"Customer": "Initech", "Component": "Frontend", "Story points": 2.5})
    url = f"/projects/{seed.p1}/tasks"
    h = as_("observer")

    def names(*field: str) -> list[str]:
        r = api.get(url, params={"field": list(field)}, headers=h)
        assert r.status_code == 200, r.text
        return [t["name"] for t in r.json()]

    assert names("Component=backend") == ["Task A"]  # as the choice is defined
    assert names("customer=acme") == ["Task A"]  # a text field: contains, any case
    assert names("Story points=2.5") == ["Task B"]
    assert names("Story points=5", "Component=Backend") == ["Task A"]
    assert names("Story points=5", "Component=Frontend") == []
    assert names("Security review=yes") == ["Task A"]
    assert names("Security review=no") == ["Task C", "Task B"]  # never set counts as no (WBS order)
    assert names("Component=") == ["Task C"]  # no value
    err(api.get(url, params={"field": "Budget code=X"}, headers=h), 422, "field")
    err(api.get(url, params={"field": "Story points=many"}, headers=h), 422, "field")
    err(api.get(url, params={"field": "Component"}, headers=h), 422, "field")
    # sorted and paged after the filter, as the other filters
    r = api.get(url, params={"field": "Component=", "sort": "-name", "limit": 1}, headers=h)
    assert [t["name"] for t in r.json()] == ["Task C"]


def test_search_finds_tasks_by_their_custom_text(api: Any, seed: Any, as_: Any, fields: Any) -> None:
    _set(api, seed, as_, "c", {"Customer": "Quuxcorp Holdings"})
    r = api.get("/search", params={"q": "quuxcorp"}, headers=as_("observer"))
    assert r.status_code == 200, r.text
    assert [(h["kind"], h["title"]) for h in r.json()["results"]] == [("task", "Task C")]
    assert api.get("/search", params={"q": "quuxcorp"}, headers=as_("outsider")).json()["results"] == []
    _set(api, seed, as_, "c", {"Customer": None})
    assert api.get("/search", params={"q": "quuxcorp"}, headers=as_("observer")).json()["results"] == []


def test_the_journal_shows_each_changed_value_under_its_fields_name(
    api: Any, seed: Any, as_: Any, fields: Any
) -> None:
    _set(api, seed, as_, "a", {"Customer": "ACME", "Story points": 3})
    _set(api, seed, as_, "a", {"Customer": "Initech"})
    r = api.get(
        f"/projects/{seed.p1}/journal",
        params={"entity_type": "task", "entity_id": seed.tasks["a"]},
        headers=as_("observer"),
    )
    assert r.status_code == 200, r.text
    changes = [e["changes"] for e in r.json() if e["action"] == "update"][:2]
    assert changes == [
        {"custom_fields.Customer": ["ACME", "Initech"]},
        {"custom_fields.Customer": [None, "ACME"], "custom_fields.Story points": [None, 3]},
    ]
    # an archived field's values keep its name; the stored entry is untouched
    cust = fields["customer"]
    api.patch(
        f"/projects/{seed.p1}/custom-fields/{cust['id']}",
        json={"version": 1, "archived": True},
        headers=as_("pm"),
    )
    r = api.get(f"/projects/{seed.p1}/journal", params={"entity_type": "task"}, headers=as_("pm"))
    assert {"custom_fields.Customer": ["ACME", "Initech"]} in [e["changes"] for e in r.json()]
    with seed.db.uow(readonly=True) as s:
        stored = [
            dict(e.changes)
            for e in s.scalars(select(JournalEntry).where(JournalEntry.entity_type == "task"))
            if "custom" in e.changes
        ]
    assert len(stored) == 2


def test_the_task_list_sorts_by_a_custom_field(api: Any, seed: Any, as_: Any, fields: Any) -> None:
    comp = fields["component"]
    r = api.patch(
        f"/projects/{seed.p1}/custom-fields/{comp['id']}",
        json={"version": comp["version"], "choices": ["Frontend", "Backend"]},  # the listed order counts
        headers=as_("pm"),
    )
    assert r.status_code == 200
    _set(api, seed, as_, "a", {"Story points": 8, "Component": "Backend", "Customer": "beta"})
    _set(api, seed, as_, "b", {"Story points": 2.5, "Component": "Frontend", "Customer": "Alpha"})
    url = f"/projects/{seed.p1}/tasks"

    def names(sort: str) -> list[str]:
        r = api.get(url, params={"sort": sort}, headers=as_("observer"))
        assert r.status_code == 200, r.text
        return [t["name"] for t in r.json()]

    assert names("field:Story points") == ["Task B", "Task A", "Task C"]  # no value: last
    assert names("-field:story points") == ["Task C", "Task A", "Task B"]  # ... first when descending
    assert names("field:Component") == ["Task B", "Task A", "Task C"]  # Frontend is listed first
    assert names("field:Customer") == ["Task B", "Task A", "Task C"]  # any case: Alpha before beta
    err(api.get(url, params={"sort": "field:Nope"}, headers=as_("observer")), 422, "sort")
    err(api.get(url, params={"sort": "nope"}, headers=as_("observer")), 422, "sort")


def test_csv_and_excel_imports_fill_the_fields_the_project_has(
    api: Any, seed: Any, as_: Any, fields: Any
) -> None:
    """A file's columns named like the project's custom fields set their values (checked as a task's update
    checks them, any problem named by line and nothing written); other columns are left out."""
    h = as_("admin")
    for body in ({"name": "story points", "kind": "number"},
                 {"name": "Component", "kind": "choice", "choices": ["Backend", "Frontend"]},
                 {"name": "Release date", "kind": "date"}, {"name": "Security review", "kind": "flag"}):  # fmt: skip
        assert api.post(f"/projects/{seed.p2}/custom-fields", json=body, headers=h).status_code == 201
    _set(api, seed, as_, "a", {"Story points": 8, "Component": "Backend", "Customer": "ACME",
                               "Release date": "2030-03-01", "Security review": True})  # fmt: skip
    for fmt in ("csv", "xlsx"):
        data = api.get(f"/projects/{seed.p1}/export", params={"format": fmt}, headers=h).content
        r = api.post(f"/projects/{seed.p2}/import", files={"file": (f"plan.{fmt}", data)}, headers=h)
        assert r.status_code == 200, r.text
    tasks = [t for t in api.get(f"/projects/{seed.p2}/tasks", headers=h).json() if t["name"] == "Task A"]
    assert len(tasks) == 2
    for t in tasks:  # P2 has no "Customer": that column is left out
        assert t["custom_fields"] == {"story points": 8, "Component": "Backend", "Release date": "2030-03-01",
                                      "Security review": True}  # fmt: skip
    before = len(api.get(f"/projects/{seed.p2}/tasks", headers=h).json())
    bad = b"id,name,duration,Component,Story points\r\n1,One,1d,Backend,5\r\n2,Two,1d,Database,x\r\n"
    r = api.post(f"/projects/{seed.p2}/import", files={"file": ("bad.csv", bad, "text/csv")}, headers=h)
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert (
        "line 3" in message
        and "custom_fields.Component" in message
        and "not one of: Backend, Frontend" in message
    )
    assert len(api.get(f"/projects/{seed.p2}/tasks", headers=h).json()) == before  # nothing written


def test_required_fields_and_defaults_fill_new_tasks(api: Any, seed: Any, as_: Any) -> None:
    """A field's default is the value a new task gets when none is given; a required field needs a value on
    every task made from now on (a 422 naming it, nothing written). Tasks made before keep what they have
    and are still edited freely, but a required value cannot be cleared; the field list counts the tasks
    without one."""
    pm = as_("pm")
    base = f"/projects/{seed.p1}/custom-fields"
    assert err(api.post(base, json={"name": "Urgent", "kind": "flag", "required": True}, headers=pm), 422,
               "required")["message"].startswith("a flag is always yes or no")  # fmt: skip
    assert "is not a number" in err(api.post(base, json={"name": "Points", "kind": "number", "default": "lots"},
                                             headers=pm), 422, "default")["message"]  # fmt: skip
    e = err(api.post(base, json={"name": "Tier", "kind": "choice", "choices": ["Gold"], "default": "Bronze"},
                     headers=pm), 422, "default")  # fmt: skip
    assert "not one of: Gold" in e["message"]
    r = api.post(base, json={"name": "Customer", "kind": "text", "required": True}, headers=pm)
    assert r.status_code == 201 and r.json()["required"] is True and r.json()["default"] is None
    tier = api.post(base, json={"name": "Tier", "kind": "choice", "choices": ["Gold", "Silver"],
                                "default": "silver"}, headers=pm).json()  # fmt: skip
    assert tier["default"] == "Silver" and tier["required"] is False
    flag = api.post(base, json={"name": "Reviewed", "kind": "flag", "default": "yes"}, headers=pm).json()
    assert flag["default"] is True

    tasks_url = f"/projects/{seed.p1}/tasks"
    before = len(api.get(tasks_url, headers=pm).json())
    e = err(api.post(tasks_url, json={"name": "No customer"}, headers=pm), 422, "custom_fields.Customer")
    assert e["message"] == "a value is required"
    e = err(api.post(tasks_url, json={"name": "Blank", "custom_fields": {"Customer": " "}}, headers=pm), 422,
            "custom_fields.Customer")  # fmt: skip
    assert len(api.get(tasks_url, headers=pm).json()) == before
    r = api.post(tasks_url, json={"name": "New", "custom_fields": {"customer": "ACME"}}, headers=pm)
    assert r.status_code == 201, r.text
    assert r.json()["custom_fields"] == {"Customer": "ACME", "Tier": "Silver", "Reviewed": True}
    r = api.post(tasks_url, json={"name": "Gold one", "custom_fields": {"Customer": "B", "Tier": "Gold",
                                                                         "Reviewed": False}}, headers=pm)  # fmt: skip
    assert r.json()["custom_fields"] == {"Customer": "B", "Tier": "Gold", "Reviewed": False}
    new = r.json()
    e = err(api.patch(f"{tasks_url}/{new['id']}", json={"version": new["version"], "custom_fields": {"Customer": None}},
                      headers=pm), 422, "custom_fields.Customer")  # fmt: skip
    # a task made before the field was required is edited as before, and counted as lacking a value
    a = _task(api, seed, as_)
    assert a["custom_fields"]["Customer"] is None
    r = api.patch(
        f"{tasks_url}/{a['id']}", json={"version": a["version"], "name": "Task A renamed"}, headers=pm
    )
    assert r.status_code == 200, r.text
    # a form that sends every field, the required one empty as it was, saves (nothing is cleared)
    a = r.json()
    body = {"version": a["version"], "custom_fields": {"Customer": "", "Tier": "Gold"}}
    r = api.patch(f"{tasks_url}/{a['id']}", json=body, headers=pm)
    assert r.status_code == 200 and r.json()["custom_fields"]["Tier"] == "Gold", r.text
    fields = {f["name"]: f for f in api.get(base, headers=pm).json()}
    assert fields["Customer"]["required"] is True

    # changing the rules: the default must stay one of the choices (a choice tasks hold cannot go either);
    # null removes it; a field becomes optional again
    size = api.post(base, json={"name": "Size", "kind": "choice", "choices": ["S", "M"], "default": "M"},
                    headers=pm).json()  # fmt: skip
    e = err(api.patch(f"{base}/{size['id']}", json={"version": size["version"], "choices": ["S"]}, headers=pm),
            422, "choices")  # fmt: skip
    assert "default 'M' is not one of the choices" in e["message"]
    r = api.patch(f"{base}/{size['id']}", json={"version": size["version"], "choices": ["S"], "default": "s"},
                  headers=pm)  # fmt: skip
    assert r.status_code == 200 and r.json()["default"] == "S", r.text
    r = api.patch(f"{base}/{tier['id']}", json={"version": tier["version"], "choices": ["Gold"], "default": None},
                  headers=pm)  # fmt: skip
    assert r.status_code == 409  # "New" holds Silver
    r = api.patch(f"{base}/{tier['id']}", json={"version": tier["version"], "default": None}, headers=pm)
    assert r.status_code == 200 and r.json()["default"] is None
    cust = fields["Customer"]
    r = api.patch(f"{base}/{cust['id']}", json={"version": cust["version"], "required": False}, headers=pm)
    assert r.status_code == 200 and r.json()["required"] is False
    assert api.post(tasks_url, json={"name": "Free again"}, headers=pm).status_code == 201


def test_a_risk_response_made_for_its_owner_gets_the_defaults_not_the_required_check(
    api: Any, seed: Any, as_: Any
) -> None:
    """A response action a risk's owner adds in the risk's package is made on their behalf: it takes the
    defaults, and a required field without one is left empty (the fields page counts it) rather than
    refusing the response."""
    from charter.services import custom_fields, risk

    pm = as_("pm")
    base = f"/projects/{seed.p1}/custom-fields"
    api.post(base, json={"name": "Customer", "kind": "text", "required": True}, headers=pm)
    api.post(
        base, json={"name": "Tier", "kind": "choice", "choices": ["Gold"], "default": "Gold"}, headers=pm
    )
    with seed.db.uow() as s:
        r = risk.create_risk(s, seed.actor("pm"), seed.p1, title="Supplier fails", work_package_id=seed.wp_a)
        out = risk.add_action(s, seed.actor("pm"), seed.p1, r["id"], name="Second supplier")
        missing_before = custom_fields.missing_required(s, seed.p1)
    action = next(a for a in out["actions"] if a["name"] == "Second supplier")
    t = api.get(f"/projects/{seed.p1}/tasks/{action['task_id']}", headers=pm).json()
    assert t["custom_fields"] == {"Customer": None, "Tier": "Gold"}
    assert list(missing_before.values()) == [len(api.get(f"/projects/{seed.p1}/tasks", headers=pm).json())]


def test_imports_fill_defaults_and_name_the_lines_without_a_required_value(
    api: Any, seed: Any, as_: Any
) -> None:
    h = as_("admin")
    base = f"/projects/{seed.p2}/custom-fields"
    api.post(base, json={"name": "Customer", "kind": "text", "required": True}, headers=h)
    api.post(base, json={"name": "Tier", "kind": "choice", "choices": ["Gold", "Silver"], "default": "Gold"},
             headers=h)  # fmt: skip
    before = len(api.get(f"/projects/{seed.p2}/tasks", headers=h).json())
    bad = b"id,name,duration,Customer,Tier\r\n1,One,1d,ACME,\r\n2,Two,1d,,Silver\r\n"
    r = api.post(f"/projects/{seed.p2}/import", files={"file": ("p.csv", bad, "text/csv")}, headers=h)
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert "line 3" in message and "custom_fields.Customer: a value is required" in message
    assert "line 2" not in message
    assert len(api.get(f"/projects/{seed.p2}/tasks", headers=h).json()) == before
    good = bad.replace(b"2,Two,1d,,Silver", b"2,Two,1d,Globex,Silver")
    r = api.post(f"/projects/{seed.p2}/import", files={"file": ("p.csv", good, "text/csv")}, headers=h)
    assert r.status_code == 200, r.text
    got = {t["name"]: t["custom_fields"] for t in api.get(f"/projects/{seed.p2}/tasks", headers=h).json()}
    assert got["One"] == {"Customer": "ACME", "Tier": "Gold"} and got["Two"] == {"Customer": "Globex",
                                                                                "Tier": "Silver"}  # fmt: skip
