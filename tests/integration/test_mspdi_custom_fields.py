"""Custom fields in MS Project XML: exported as MS Project's local task fields (Text, Number, Date, Flag; a
choice as a Text field with its value list, the field's name as the alias) and read back from files MS Project
saved: a local field with an alias or a value on some task becomes a custom field of the imported project."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from charter.domain.schedule import FieldSpec, PlanSpec, TaskSpec
from charter.io import mpxj_import
from charter.io.mspdi import CUSTOM_SLOTS, read_mspdi, write_mspdi

TEXT1, TEXT2, NUMBER1, DATE1, FLAG1, FLAG2 = (
    CUSTOM_SLOTS["Text"][0], CUSTOM_SLOTS["Text"][1], CUSTOM_SLOTS["Number"][0], CUSTOM_SLOTS["Date"][0],
    CUSTOM_SLOTS["Flag"][0], CUSTOM_SLOTS["Flag"][1],
)  # fmt: skip
FIELDS = [
    FieldSpec("Customer", "text"),
    FieldSpec("Story points", "number"),
    FieldSpec("Release date", "date"),
    FieldSpec("Component", "choice", ["Backend", "Frontend"]),
    FieldSpec("Security review", "flag"),
]


def test_the_field_ids_are_ms_projects() -> None:
    """The PjCustomField values MS Project writes (Text1 = 188743731, Text11 = 188743997, Number6 = 188743982,
    Date1 = 188743945, Flag11 = 188743972): 30 text, 20 number, 10 date and 20 flag slots, none twice."""
    assert (CUSTOM_SLOTS["Text"][0], CUSTOM_SLOTS["Text"][10], CUSTOM_SLOTS["Text"][29]) == (
        188743731, 188743997, 188744016,
    )  # fmt: skip
    assert (CUSTOM_SLOTS["Number"][0], CUSTOM_SLOTS["Number"][5], CUSTOM_SLOTS["Number"][19]) == (
        188743767, 188743982, 188743996,
    )  # fmt: skip
    assert (CUSTOM_SLOTS["Date"][0], CUSTOM_SLOTS["Date"][9]) == (188743945, 188743954)
    assert (CUSTOM_SLOTS["Flag"][0], CUSTOM_SLOTS["Flag"][9], CUSTOM_SLOTS["Flag"][10]) == (
        188743752, 188743761, 188743972,
    )  # fmt: skip
    ids = [i for slots in CUSTOM_SLOTS.values() for i in slots]
    assert [len(CUSTOM_SLOTS[k]) for k in ("Text", "Number", "Date", "Flag")] == [30, 20, 10, 20]
    assert len(set(ids)) == len(ids)


def _plan(fields: list[FieldSpec] | None = None) -> PlanSpec:
    plan = PlanSpec(name="P", custom_fields=list(FIELDS if fields is None else fields))
    values = {"Customer": "ACME <Corp> & Söhne", "Story points": 2.5, "Release date": "2030-03-01",
              "Component": "Frontend", "Security review": True}  # fmt: skip
    plan.tasks = [
        TaskSpec(ref="1", name="One", duration=480, custom=values),
        TaskSpec(ref="2", name="Two", duration=480, custom={"Story points": 8, "Security review": False}),
        TaskSpec(ref="3", name="Three", duration=480),
    ]
    return plan


def test_a_plans_fields_and_values_come_back_from_its_file() -> None:
    back = read_mspdi(write_mspdi(_plan()))
    assert back.custom_fields == FIELDS
    one, two, three = back.tasks
    assert one.custom == {"Customer": "ACME <Corp> & Söhne", "Story points": "2.5", "Release date": "2030-03-01",
                          "Component": "Frontend", "Security review": True}  # fmt: skip
    assert two.custom == {"Story points": "8"}  # a flag that is off is not written, as MS Project does
    assert three.custom == {}


def test_the_file_holds_local_fields_with_aliases_and_a_value_list() -> None:
    xml = write_mspdi(_plan()).decode()
    assert f"<FieldID>{TEXT1}</FieldID>\n      <FieldName>Text1</FieldName>\n      <CFType>7</CFType>\n" \
           "      <Alias>Customer</Alias>" in xml  # fmt: skip
    assert (
        f"<FieldID>{TEXT2}</FieldID>\n      <FieldName>Text2</FieldName>" in xml
    )  # the choice: the next Text
    assert "<Alias>Component</Alias>\n      <RestrictValues>1</RestrictValues>" in xml
    assert "<Value>\n          <ID>2</ID>\n          <Value>Frontend</Value>" in xml
    assert f"<FieldID>{DATE1}</FieldID>\n        <Value>2030-03-01T00:00:00</Value>" in xml
    assert f"<FieldID>{NUMBER1}</FieldID>\n        <Value>2.5</Value>" in xml
    assert f"<FieldID>{FLAG1}</FieldID>\n        <Value>1</Value>" in xml


def test_fields_past_the_last_slot_of_their_kind_are_left_out_of_the_file() -> None:
    fields = [FieldSpec(f"D{i}", "date") for i in range(11)]
    plan = PlanSpec(name="P", custom_fields=fields)
    plan.tasks = [TaskSpec(ref="1", name="One", custom={"D0": "2030-01-01", "D10": "2030-01-02"})]
    back = read_mspdi(write_mspdi(plan))
    assert [f.name for f in back.custom_fields] == [f"D{i}" for i in range(10)]
    assert back.tasks[0].custom == {"D0": "2030-01-01"}


def _project_file(defs: str, task_attrs: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Project xmlns="http://schemas.microsoft.com/project">
  <Name>p.xml</Name><StartDate>2014-10-17T08:00:00</StartDate><MinutesPerDay>480</MinutesPerDay>
  <ExtendedAttributes>{defs}</ExtendedAttributes>
  <Tasks>
    <Task><UID>0</UID><ID>0</ID><Name>p</Name><OutlineLevel>0</OutlineLevel><Summary>1</Summary></Task>
    <Task><UID>1</UID><ID>1</ID><Name>One</Name><OutlineLevel>1</OutlineLevel><Duration>PT8H0M0S</Duration>
      {task_attrs}</Task>
    <Task><UID>2</UID><ID>2</ID><Name>Two</Name><OutlineLevel>1</OutlineLevel><Duration>PT8H0M0S</Duration></Task>
  </Tasks>
</Project>""".encode()


def test_a_file_ms_project_saved_gives_the_fields_it_names_or_uses() -> None:
    """MS Project writes a definition for every local field of a kind, named or not (all 20 flags, say), and
    a task's value only where it is set: the fields taken are those with an alias and those some task uses,
    named by the alias or, without one, by MS Project's own name (Flag2). A value given by its value list
    GUID is read through the list; a value MS Project let in without listing it joins the choices."""
    flags = "".join(
        f"<ExtendedAttribute><FieldID>{fid}</FieldID><FieldName>Flag{n}</FieldName></ExtendedAttribute>"
        for n, fid in enumerate(CUSTOM_SLOTS["Flag"], 1)
    )
    defs = (
        flags
        + f"""
      <ExtendedAttribute><FieldID>{TEXT1}</FieldID><FieldName>Text1</FieldName><Alias>Component</Alias>
        <ValueList><Value><ID>1</ID><Value>Backend</Value><FieldGUID>aa-1</FieldGUID></Value>
          <Value><ID>2</ID><Value>Frontend</Value><FieldGUID>aa-2</FieldGUID></Value></ValueList>
      </ExtendedAttribute>
      <ExtendedAttribute><FieldID>{NUMBER1}</FieldID><FieldName>Number1</FieldName><Alias>Cost = risk</Alias>
      </ExtendedAttribute>
      <ExtendedAttribute><FieldID>{CUSTOM_SLOTS["Number"][1]}</FieldID><FieldName>Number2</FieldName>
        <Alias>cost - RISK</Alias></ExtendedAttribute>"""
    )
    attrs = f"""
      <ExtendedAttribute><FieldID>{TEXT1}</FieldID><ValueGUID>AA-2</ValueGUID></ExtendedAttribute>
      <ExtendedAttribute><FieldID>{FLAG2}</FieldID><Value>1</Value></ExtendedAttribute>
      <ExtendedAttribute><FieldID>{DATE1}</FieldID><Value>2014-10-20T17:00:00</Value></ExtendedAttribute>
      <ExtendedAttribute><FieldID>{TEXT2}</FieldID><Value>  free text kept as typed </Value></ExtendedAttribute>
      <ExtendedAttribute><FieldID>{CUSTOM_SLOTS["Number"][1]}</FieldID><Value>3</Value></ExtendedAttribute>"""
    plan = read_mspdi(_project_file(defs, attrs))
    assert plan.custom_fields == [
        FieldSpec("Flag2", "flag"),
        FieldSpec("Component", "choice", ["Backend", "Frontend"]),
        FieldSpec("Cost - risk", "number"),  # "=" cannot be in a name (NAME=VALUE splits there)
        FieldSpec("cost - RISK (Number2)", "number"),  # the same name twice: the second says its slot
        FieldSpec("Date1", "date"),  # then the fields used without a definition, by slot
        FieldSpec("Text2", "text"),
    ]
    assert plan.tasks[0].custom == {"Component": "Frontend", "Flag2": True, "Date1": "2014-10-20",
                                    "Text2": "  free text kept as typed ", "cost - RISK (Number2)": "3"}  # fmt: skip
    attrs = f"<ExtendedAttribute><FieldID>{TEXT1}</FieldID><Value>Database</Value></ExtendedAttribute>"
    plan = read_mspdi(_project_file(defs, attrs))
    assert plan.custom_fields[0] == FieldSpec("Component", "choice", ["Backend", "Frontend", "Database"])


# ------------------------------------------------------------------------------------------ through the API


@pytest.fixture
def p1_fields(api: Any, seed: Any, as_: Any) -> None:
    for body in ({"name": "Customer", "kind": "text"}, {"name": "Story points", "kind": "number"},
                 {"name": "Release date", "kind": "date"},
                 {"name": "Component", "kind": "choice", "choices": ["Backend", "Frontend"]},
                 {"name": "Security review", "kind": "flag"}):  # fmt: skip
        r = api.post(f"/projects/{seed.p1}/custom-fields", json=body, headers=as_("pm"))
        assert r.status_code == 201, r.text
    t = api.get(f"/projects/{seed.p1}/tasks/{seed.tasks['a']}", headers=as_("pm")).json()
    values = {"Customer": "ACME", "Story points": 2.5, "Release date": "2030-03-01", "Component": "Frontend",
              "Security review": True}  # fmt: skip
    r = api.patch(f"/projects/{seed.p1}/tasks/{t['id']}", json={"version": t["version"], "custom_fields": values},
                  headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200, r.text


def _task_a(api: Any, project_id: int, h: dict[str, str]) -> dict[str, Any]:
    tasks = [t for t in api.get(f"/projects/{project_id}/tasks", headers=h).json() if t["name"] == "Task A"]
    assert len(tasks) == 1
    return tasks[0]


def test_a_project_exported_to_ms_project_xml_imports_with_its_fields(
    api: Any, seed: Any, as_: Any, p1_fields: None
) -> None:
    h = as_("pm")
    data = api.get(f"/projects/{seed.p1}/export", params={"format": "mspdi"}, headers=h).content
    r = api.post("/imports", data={"key": "CFX"}, files={"file": ("p.xml", data)}, headers=h)
    assert r.status_code == 201, r.text
    result = r.json()
    assert result["custom_fields_added"] == ["Customer", "Story points", "Release date", "Component",
                                             "Security review"]  # fmt: skip
    assert result["custom_fields_left_out"] == []
    pid = result["project_id"]
    fields = api.get(f"/projects/{pid}/custom-fields", headers=h).json()
    assert [(f["name"], f["kind"], f["choices"]) for f in fields] == [
        ("Customer", "text", []), ("Story points", "number", []), ("Release date", "date", []),
        ("Component", "choice", ["Backend", "Frontend"]), ("Security review", "flag", []),
    ]  # fmt: skip
    assert _task_a(api, pid, h)["custom_fields"] == {"Customer": "ACME", "Story points": 2.5,
                                                     "Release date": "2030-03-01", "Component": "Frontend",
                                                     "Security review": True}  # fmt: skip


def test_an_import_into_a_project_uses_its_fields_and_checks_the_values(
    api: Any, seed: Any, as_: Any, p1_fields: None
) -> None:
    """A field the project already has (any case) takes the file's values, checked as a task update checks
    them: a value that does not fit is a 422 naming the task's line, and nothing is written."""
    h = as_("admin")
    assert api.post(f"/projects/{seed.p2}/custom-fields", json={"name": "customer", "kind": "text"},
                    headers=h).status_code == 201  # fmt: skip
    assert api.post(f"/projects/{seed.p2}/custom-fields", json={"name": "Component", "kind": "choice",
                    "choices": ["Backend", "Mobile"]}, headers=h).status_code == 201  # fmt: skip
    data = api.get(f"/projects/{seed.p1}/export", params={"format": "mspdi"}, headers=h).content
    before = len(api.get(f"/projects/{seed.p2}/tasks", headers=h).json())
    r = api.post(f"/projects/{seed.p2}/import", files={"file": ("p.xml", data)}, headers=h)
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert "custom_fields.Component" in message and "'Frontend' is not one of: Backend, Mobile" in message
    assert "line " in message
    assert len(api.get(f"/projects/{seed.p2}/tasks", headers=h).json()) == before
    assert [f["name"] for f in api.get(f"/projects/{seed.p2}/custom-fields", headers=h).json()] == [
        "customer", "Component",
    ]  # nothing added either  # fmt: skip
    fixed = data.replace(b"<Value>Frontend</Value>", b"<Value>Backend</Value>")
    r = api.post(f"/projects/{seed.p2}/import", files={"file": ("p.xml", fixed)}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["custom_fields_added"] == ["Story points", "Release date", "Security review"]
    assert _task_a(api, seed.p2, h)["custom_fields"] == {"customer": "ACME", "Component": "Backend",
                                                         "Story points": 2.5, "Release date": "2030-03-01",
                                                         "Security review": True}  # fmt: skip


def test_a_file_with_more_fields_than_a_project_takes_is_refused_whole(api: Any, seed: Any, as_: Any) -> None:
    fields = [FieldSpec(f"T{i}", "text") for i in range(30)] + [
        FieldSpec(f"N{i}", "number") for i in range(20)
    ]
    plan = PlanSpec(name="P", custom_fields=[*fields, FieldSpec("D", "date")])
    plan.tasks = [TaskSpec(ref="1", name="One", duration=480, custom={"T0": "x"})]
    h = as_("admin")
    r = api.post(f"/projects/{seed.p2}/import", files={"file": ("p.xml", write_mspdi(plan))}, headers=h)
    assert r.status_code == 422, r.text
    assert "51 custom fields this project does not have" in r.json()["error"]["message"]
    assert api.get(f"/projects/{seed.p2}/custom-fields", headers=h).json() == []


@pytest.mark.skipif(  # CI installs MPXJ and Java (the dev extra and .ci/run): there it must run
    not mpxj_import.available() and os.environ.get("CI", "").lower() != "true",
    reason="needs charter[mpxj] and a Java runtime",
)
def test_mpxj_reads_the_fields_as_ms_project_local_fields() -> None:
    """MPXJ (which reads MS Project's own files) reads the exported local fields, their aliases and values,
    and writes them back as MS Project XML that Charter reads to the same fields (MPXJ writes them in field id
    order and without the choice's value list, so the choice comes back as text with its value)."""
    again = read_mspdi(mpxj_import.convert_to_mspdi(write_mspdi(_plan()), max_bytes=10_000_000))
    assert {f.name: f.kind for f in again.custom_fields} == {
        "Customer": "text", "Story points": "number", "Release date": "date", "Component": "text",
        "Security review": "flag",
    }  # fmt: skip
    one = next(t for t in again.tasks if t.name == "One")
    assert one.custom["Customer"] == "ACME <Corp> & Söhne"
    assert float(one.custom["Story points"]) == 2.5
    assert one.custom["Release date"] == "2030-03-01"
    assert one.custom["Component"] == "Frontend"
    assert one.custom["Security review"] is True
    two = next(t for t in again.tasks if t.name == "Two")
    assert float(two.custom["Story points"]) == 8
    assert two.custom.get("Security review") in (None, False)


def test_fields_an_importer_may_not_add_are_left_out_and_named(api: Any, seed: Any, as_: Any) -> None:
    """Adding a field needs project.edit: someone who may import tasks without it (a custom "Scheduler" role)
    gets the tasks, and the fields the project lacks are named as left out, their values with them."""
    pm = as_("pm")
    r = api.post(f"/projects/{seed.p1}/roles", json={"name": "Scheduler", "permissions": ["task.edit", "wbs.edit"]},
                 headers=pm)  # fmt: skip
    assert r.status_code == 201, r.text
    r = api.post(f"/projects/{seed.p1}/assignments", json={"role_id": r.json()["id"], "user_id": seed.users["observer"]},
                 headers=pm)  # fmt: skip
    assert r.status_code == 201, r.text
    assert api.post(f"/projects/{seed.p1}/custom-fields", json={"name": "Customer", "kind": "text"},
                    headers=pm).status_code == 201  # fmt: skip
    r = api.post(f"/projects/{seed.p1}/import", files={"file": ("p.xml", write_mspdi(_plan()))},
                 headers=as_("observer"))  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["custom_fields_added"] == []
    assert r.json()["custom_fields_left_out"] == [
        "Story points",
        "Release date",
        "Component",
        "Security review",
    ]
    assert [f["name"] for f in api.get(f"/projects/{seed.p1}/custom-fields", headers=pm).json()] == [
        "Customer"
    ]
    one = next(t for t in api.get(f"/projects/{seed.p1}/tasks", headers=pm).json() if t["name"] == "One")
    assert one["custom_fields"] == {"Customer": "ACME <Corp> & Söhne"}


def test_the_cli_imports_the_fields_and_says_so(seed: Any, cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "plan.xml"
    path.write_bytes(write_mspdi(_plan()))
    out = cli("import", str(path), "--key", "CFCLI")
    assert (
        "Custom fields added: Customer, Story points, Release date, Component, Security review" in out.stdout
    )
    listed = cli("field", "list", "CFCLI").stdout
    assert "Component" in listed and "Backend" in listed and "Frontend" in listed
    shown = cli("task", "list", "CFCLI", "--field", "Component=Frontend").stdout
    assert "One" in shown and "Two" not in shown


def test_the_schedule_page_names_the_fields_left_out(api: Any, seed: Any, as_: Any) -> None:
    """The page's import says what the API's answer says: the fields an importer without project.edit could
    not add, in the notice above the task table."""
    from webhelpers import csrf_of, signed_in

    pm = as_("pm")
    r = api.post(f"/projects/{seed.p1}/roles", json={"name": "Scheduler", "permissions": ["task.edit", "wbs.edit"]},
                 headers=pm)  # fmt: skip
    r = api.post(f"/projects/{seed.p1}/assignments", json={"role_id": r.json()["id"], "user_id": seed.users["observer"]},
                 headers=pm)  # fmt: skip
    assert r.status_code == 201, r.text
    with signed_in(seed, "observer") as c:
        page = c.get(f"/projects/{seed.p1}/schedule").text
        r = c.post(f"/projects/{seed.p1}/import", data={"csrf_token": csrf_of(page)},
                   files={"file": ("p.xml", write_mspdi(_plan()))})  # fmt: skip
    assert r.status_code == 200, r.text
    notice = r.text.split('id="imported"')[1].split("</section>")[0]
    assert "imported-fields" not in notice
    assert (
        'id="imported-left-out" class="flag">Custom fields left out: Customer, Story points, Release date, '
        "Component, Security review." in notice
    )
