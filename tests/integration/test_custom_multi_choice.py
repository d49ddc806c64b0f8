"""Multi choice custom fields (several of a list's options on one task: the systems a change touches): defined
like a choice field, set as a list (or comma-separated text), kept in the field's order; filtered by "holds any
of", sorted by the options' order; on the task page as a multi-select; in `charter task show`, the journal,
CSV/Excel (comma-separated cells that import again) and MS Project XML (a text field: it has no multi-select)."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import openpyxl
import pytest

from charter.io.mspdi import read_mspdi
from webhelpers import signed_in

SYSTEMS = ["CRM", "Billing", "Data warehouse"]


@pytest.fixture
def systems(api: Any, seed: Any, as_: Any) -> dict[str, Any]:
    r = api.post(f"/projects/{seed.p1}/custom-fields", json={"name": "Systems", "kind": "multi_choice",
                                                             "choices": SYSTEMS}, headers=as_("pm"))  # fmt: skip
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    assert out["kind"] == "multi_choice" and out["choices"] == SYSTEMS
    return out


def _task(api: Any, seed: Any, as_: Any, key: str) -> dict[str, Any]:
    out: dict[str, Any] = api.get(f"/projects/{seed.p1}/tasks/{seed.tasks[key]}", headers=as_("pm")).json()
    return out


def _set(api: Any, seed: Any, as_: Any, key: str, value: Any, who: str = "pm") -> Any:
    t = _task(api, seed, as_, key)
    return api.patch(f"/projects/{seed.p1}/tasks/{t['id']}", headers=as_(who),
                     json={"version": t["version"], "custom_fields": {"Systems": value}})  # fmt: skip


def test_values_are_a_list_in_the_fields_order(api: Any, seed: Any, as_: Any, systems: Any) -> None:
    r = _set(api, seed, as_, "a", ["data warehouse", "CRM", "crm"])
    assert r.status_code == 200, r.text
    assert r.json()["custom_fields"]["Systems"] == ["CRM", "Data warehouse"]
    r = _set(api, seed, as_, "a", "Billing, crm", who="task_leader")  # text as an export writes it
    assert r.json()["custom_fields"]["Systems"] == ["CRM", "Billing"]
    r = _set(api, seed, as_, "a", ["CRM", "ERP"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "custom_fields.Systems"
    assert "'ERP' is not one of: CRM, Billing, Data warehouse" in r.json()["error"]["message"]
    assert _task(api, seed, as_, "a")["custom_fields"]["Systems"] == ["CRM", "Billing"]  # nothing written
    assert _set(api, seed, as_, "a", []).json()["custom_fields"]["Systems"] is None  # an empty list clears
    bad = api.post(f"/projects/{seed.p1}/custom-fields", json={"name": "X", "kind": "multi_choice"},
                   headers=as_("pm"))  # fmt: skip
    assert bad.status_code == 422 and "needs at least one choice" in bad.json()["error"]["message"]


def test_filter_holds_any_of_and_sort_by_the_options_order(
    api: Any, seed: Any, as_: Any, systems: Any
) -> None:
    for key, value in (("a", ["Billing"]), ("b", ["CRM", "Data warehouse"]), ("c", None)):
        assert _set(api, seed, as_, key, value).status_code == 200
    url = f"/projects/{seed.p1}/tasks"

    def names(**params: Any) -> list[str]:
        r = api.get(url, params=params, headers=as_("observer"))
        assert r.status_code == 200, r.text
        return [t["name"] for t in r.json()]

    assert names(field="Systems=crm") == ["Task B"]
    assert names(field="Systems=Billing, Data warehouse") == ["Task A", "Task B"]
    assert names(field="Systems=") == ["Task C"]
    assert names(sort="field:Systems") == ["Task B", "Task A", "Task C"]  # CRM before Billing; none last
    r = api.get(url, params={"field": "Systems=ERP"}, headers=as_("observer"))
    assert r.status_code == 422 and "'ERP' is not one of" in r.json()["error"]["message"]


def test_defaults_and_removing_a_choice_tasks_hold(api: Any, seed: Any, as_: Any, systems: Any) -> None:
    url = f"/projects/{seed.p1}/custom-fields/{systems['id']}"
    r = api.patch(url, json={"version": systems["version"], "required": True, "default": ["Billing", "CRM"]},
                  headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200, r.text
    f = r.json()
    assert f["default"] == ["CRM", "Billing"]
    # the default holds Billing: the choices cannot drop it without a new default
    r = api.patch(
        url, json={"version": f["version"], "choices": ["CRM", "Data warehouse"]}, headers=as_("pm")
    )
    assert r.status_code == 422, r.text
    assert "the default 'CRM, Billing' is not one of the choices" in r.json()["error"]["message"]
    t = api.post(f"/projects/{seed.p1}/tasks", json={"name": "New", "duration": "1d"}, headers=as_("pm"))
    assert t.status_code == 201, t.text
    assert t.json()["custom_fields"]["Systems"] == ["CRM", "Billing"]
    # a task holds Billing now: the choices cannot drop it (a 409 naming the option, as for a choice field)
    r = api.patch(url, json={"version": f["version"], "choices": ["CRM", "Data warehouse"], "default": ["CRM"]},
                  headers=as_("pm"))  # fmt: skip
    assert r.status_code == 409 and "1 task(s) still have 'Billing'" in r.json()["error"]["message"], r.text


def test_the_task_page_edits_them_with_a_multi_select(api: Any, seed: Any, as_: Any, systems: Any) -> None:
    assert _set(api, seed, as_, "a", ["CRM"]).status_code == 200
    url = f"/projects/{seed.p1}/tasks/{seed.tasks['a']}"
    with signed_in(seed, "pm") as c:
        page = c.get(url).text
        assert re.search(r"Systems</dt><dd[^>]*>CRM</dd>", page)
        select = page.split(f'id="t-cf-{systems["id"]}"')[1].split("</select>")[0]
        assert 'multiple size="3"' in select and "<option selected>CRM</option>" in select
        # the hidden empty value, the list and its hint are one cell of the form's two-column grid
        wrapper = page.split('<span class="multi-choice">')[1].split("</span></span>")[0]
        assert (
            wrapper.startswith('<input type="hidden" name="cf:Systems" value="">')
            and "chooses several" in wrapper
        )
        form = _form_of(page)
        # the browser sends the hidden empty value first, then each option chosen
        body = [(k, v) for k, v in form if k != "cf:Systems"]
        body += [("cf:Systems", ""), ("cf:Systems", "Billing"), ("cf:Systems", "Data warehouse")]
        r = c.post(url, content=_encode(body), headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code in (200, 303), r.text
        assert _task(api, seed, as_, "a")["custom_fields"]["Systems"] == ["Billing", "Data warehouse"]
        page = c.get(url).text
        assert re.search(r"Systems</dt><dd[^>]*>Billing, Data warehouse</dd>", page)
        # none chosen: the hidden value alone clears it
        form = [(k, v) for k, v in _form_of(page) if k != "cf:Systems"] + [("cf:Systems", "")]
        r = c.post(url, content=_encode(form), headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code in (200, 303), r.text
        assert _task(api, seed, as_, "a")["custom_fields"]["Systems"] is None
        # the table's columns, and the journal, read the list as text
        table = c.get(f"/projects/{seed.p1}/schedule", params={"cols": "custom"}).text
        assert '<td class="custom-field">—</td>' in table
        journal = c.get(f"/projects/{seed.p1}/journal").text
        assert "custom_fields.Systems</code>: Billing, Data warehouse → ∅" in journal
        assert "custom_fields.Systems</code>: CRM → Billing, Data warehouse" in journal


def test_a_value_that_does_not_fit_keeps_what_was_chosen(seed: Any, api: Any, as_: Any, systems: Any) -> None:
    url = f"/projects/{seed.p1}/tasks/{seed.tasks['a']}"
    with signed_in(seed, "pm") as c:
        form = [(k, v) for k, v in _form_of(c.get(url).text) if k != "cf:Systems"]
        form += [("cf:Systems", ""), ("cf:Systems", "Billing"), ("cf:Systems", "ERP")]
        r = c.post(url, content=_encode(form), headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 422
        select = r.text.split(f'id="t-cf-{systems["id"]}"')[1].split("</select>")[0]
        assert "<option selected>Billing</option>" in select and 'aria-invalid="true"' in select
    assert _task(api, seed, as_, "a")["custom_fields"]["Systems"] is None


def test_command_line(cli: Any, seed: Any) -> None:
    r = cli("field", "add", "P1", "Systems", "--kind", "multi-choice", "--choices", "CRM, Billing")
    assert "added: Systems (multi_choice)" in r.stdout
    cli("task", "update", "P1", "Task A", "--field", "Systems=billing, CRM")
    assert "Systems: CRM, Billing" in cli("task", "show", "P1", "Task A").stdout
    listed = json.loads(cli("task", "list", "P1", "--field", "Systems=Billing", "--json").stdout)
    assert [t["name"] for t in listed] == ["Task A"]
    r = cli("task", "update", "P1", "Task A", "--field", "Systems=ERP", code=1)
    assert "custom_fields.Systems" in r.output and "'ERP' is not one of" in r.output


def test_exports_write_them_as_text_that_imports_again(api: Any, seed: Any, as_: Any, systems: Any) -> None:
    assert _set(api, seed, as_, "a", ["CRM", "Data warehouse"]).status_code == 200
    h = as_("admin")
    rows = list(csv.DictReader(io.StringIO(api.get(f"/projects/{seed.p1}/export", params={"format": "csv"},
                                                   headers=h).content.decode("utf-8-sig"))))  # fmt: skip
    assert {r["name"]: r["Systems"] for r in rows}["Task A"] == "CRM, Data warehouse"
    book = openpyxl.load_workbook(
        io.BytesIO(api.get(f"/projects/{seed.p1}/export", params={"format": "xlsx"}, headers=h).content)
    )
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    cells = {
        r[header.index("name")]: r[header.index("Systems")] for r in sheet.iter_rows(2, values_only=True)
    }
    assert cells["Task A"] == "CRM, Data warehouse"
    xml = api.get(f"/projects/{seed.p1}/export", params={"format": "mspdi"}, headers=h).content
    plan = read_mspdi(xml)
    assert [(f.name, f.kind) for f in plan.custom_fields] == [("Systems", "text")]  # no multi-select there
    assert {t.name: t.custom.get("Systems") for t in plan.tasks}["Task A"] == "CRM, Data warehouse"
    body = {"name": "Systems", "kind": "multi_choice", "choices": SYSTEMS}
    assert api.post(f"/projects/{seed.p2}/custom-fields", json=body, headers=h).status_code == 201
    for fmt in ("csv", "xlsx", "mspdi"):
        data = api.get(f"/projects/{seed.p1}/export", params={"format": fmt}, headers=h).content
        name = f"plan.{'xml' if fmt == 'mspdi' else fmt}"
        r = api.post(f"/projects/{seed.p2}/import", files={"file": (name, data)}, headers=h)
        assert r.status_code == 200, (fmt, r.text)
    got = [t["custom_fields"]["Systems"] for t in api.get(f"/projects/{seed.p2}/tasks", headers=h).json()
           if t["name"] == "Task A"]  # fmt: skip
    assert got == [["CRM", "Data warehouse"]] * 3


def _form_of(page: str) -> list[tuple[str, str]]:
    """The task form's fields as a browser posts them: inputs, the chosen options of each select, textareas."""
    form = page[page.index('id="task-form"') : page.index("</form>", page.index('id="task-form"'))]
    out: list[tuple[str, str]] = []
    for m in re.finditer(r"<input([^>]*)>", form):
        attrs = m.group(1)
        name = re.search(r'name="([^"]*)"', attrs)
        if not name or ('type="checkbox"' in attrs and "checked" not in attrs):
            continue
        value = re.search(r'value="([^"]*)"', attrs)
        out.append((_unescape(name.group(1)), _unescape(value.group(1)) if value else "on"))
    for m in re.finditer(r'<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>', form, re.S):
        options = re.findall(r"<option([^>]*)>([^<]*)</option>", m.group(2))
        chosen = [(attrs, text) for attrs, text in options if "selected" in attrs]
        if not chosen and "multiple" not in m.group(0).split(">")[0]:
            chosen = options[:1]
        for attrs, text in chosen:
            value = re.search(r'value="([^"]*)"', attrs)
            out.append((_unescape(m.group(1)), _unescape(value.group(1) if value else text)))
    for m in re.finditer(r'<textarea[^>]*name="([^"]*)"[^>]*>(.*?)</textarea>', form, re.S):
        out.append((_unescape(m.group(1)), _unescape(m.group(2))))
    return out


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _encode(pairs: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(pairs)


def test_the_demo_crm_project_tracks_the_systems_each_task_touches(demo_db: Any) -> None:
    from charter.services import scheduling
    from charter.services.context import SYSTEM
    from charter.services.demo import CRM_TOUCHES

    with demo_db.uow(readonly=True) as s:
        crm = next(p for p in projects_of(s) if p.key == "CRM")
        listed = scheduling.list_tasks(s, SYSTEM, crm.id, custom={"Systems touched": "ERP"})
    assert sorted(t["name"] for t in listed) == sorted(
        n for n, systems in CRM_TOUCHES.items() if "ERP" in systems
    )
    assert {t["name"]: t["custom_fields"]["Systems touched"] for t in listed}["Go-live weekend"] == [
        "Legacy CRM", "SaaS CRM", "ERP", "Telephony (CTI)", "Data warehouse",
    ]  # fmt: skip


def projects_of(s: Any) -> list[Any]:
    from sqlalchemy import select

    from charter.persistence.models import Project

    return list(s.scalars(select(Project)))
