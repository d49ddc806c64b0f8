"""Custom fields in the web pages: the fields page (add, rename, change choices, archive, restore; bad input
and a taken name keep the typed values; members who may not define fields see no forms and get 403), and the
task page (the values in the summary, the inputs by kind in the edit form, a bad value is a 422 beside its
input with the typed values kept, nothing written)."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from sqlalchemy import func, select

from charter.persistence.models import CustomField, Task
from charter.services import custom_fields
from charter.services.context import SYSTEM
from webhelpers import csrf_of, no_inline, signed_in


def _define(seed: Any) -> dict[str, int]:
    with seed.db.uow() as s:
        return {
            "customer": custom_fields.create_field(s, SYSTEM, seed.p1, name="Customer", kind="text")["id"],
            "points": custom_fields.create_field(s, SYSTEM, seed.p1, name="Story points", kind="number")[
                "id"
            ],
            "release": custom_fields.create_field(s, SYSTEM, seed.p1, name="Release", kind="date")["id"],
            "component": custom_fields.create_field(
                s, SYSTEM, seed.p1, name="Component", kind="choice", choices=["Backend", "Frontend"]
            )["id"],
            "review": custom_fields.create_field(s, SYSTEM, seed.p1, name="Security review", kind="flag")[
                "id"
            ],
        }


def _task_form(page: str) -> dict[str, str]:
    """The task form's fields as the browser would post them (inputs, selected options, textareas)."""
    form = page[page.index('id="task-form"') : page.index("</form>", page.index('id="task-form"'))]
    out: dict[str, str] = {}
    for m in re.finditer(r"<input ([^>]*)>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', m.group(1)))
        if "name" not in attrs or (attrs.get("type") == "checkbox" and " checked" not in m.group(1)):
            continue
        out[html_lib.unescape(attrs["name"])] = html_lib.unescape(attrs.get("value", ""))
    for m in re.finditer(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r"<option(?: value=\"([^\"]*)\")? selected>([^<]*)</option>", m.group(2))
        out[html_lib.unescape(m.group(1))] = (chosen.group(1) if chosen and chosen.group(1) is not None
                                              else chosen.group(2) if chosen else "")  # fmt: skip
    for m in re.finditer(r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        out[m.group(1)] = html_lib.unescape(m.group(2))
    return out


def test_fields_page_add_rename_archive_restore(seed: Any) -> None:
    url = f"/projects/{seed.p1}/fields"
    with signed_in(seed, "pm") as c:
        page = c.get(url).text
        no_inline(page)
        assert 'id="no-fields"' in page and 'id="field-form"' in page
        r = c.post(url, data={"csrf_token": csrf_of(page), "name": "Component", "kind": "choice",
                              "choices": "Backend\nFrontend"})  # fmt: skip
        assert r.status_code == 303, r.text
        page = c.get(url).text
        assert "Backend, Frontend" in page
        with seed.db.uow(readonly=True) as s:
            f = s.scalars(select(CustomField)).one()
            fid, version = f.id, f.version
        # a choice field without choices: 422 beside the field, what was typed kept, nothing written
        r = c.post(
            url, data={"csrf_token": csrf_of(page), "name": "Tier <b>", "kind": "choice", "choices": ""}
        )
        assert r.status_code == 422
        assert 'id="add-error"' in r.text and "needs at least one choice" in r.text
        assert 'value="Tier &lt;b&gt;"' in r.text
        # the same name in other letters: 409, kept
        r = c.post(url, data={"csrf_token": csrf_of(page), "name": "component", "kind": "text"})
        assert r.status_code == 409 and "already has a field named" in r.text
        # rename and add a choice
        r = c.post(f"{url}/{fid}", data={"csrf_token": csrf_of(page), "version": str(version), "name": "Area",
                                         "choices": "Backend, Frontend, Data", "position": "1"})  # fmt: skip
        assert r.status_code == 303, r.text
        # a stale version: 409 with the saved values shown and the typed ones kept
        r = c.post(f"{url}/{fid}", data={"csrf_token": csrf_of(page), "version": str(version), "name": "Zone",
                                         "choices": "Backend"})  # fmt: skip
        assert r.status_code == 409 and 'id="conflict"' in r.text and 'value="Zone"' in r.text
        # archive: listed as archived, gone from the task page; restore brings it back
        r = c.post(f"{url}/{fid}/archive", data={"csrf_token": csrf_of(page), "version": str(version + 1)})
        assert r.status_code == 303
        page = c.get(url).text
        assert 'id="archived-table"' in page and "Area" in page
        assert "t-cf-" not in c.get(f"/projects/{seed.p1}/tasks/{seed.tasks['a']}").text
        r = c.post(f"{url}/{fid}/restore", data={"csrf_token": csrf_of(page), "version": str(version + 2),
                                                 "name": "Zone"})  # fmt: skip
        assert r.status_code == 303
        assert 'id="t-cf-' in c.get(f"/projects/{seed.p1}/tasks/{seed.tasks['a']}").text
    with seed.db.uow(readonly=True) as s:
        f = s.get(CustomField, fid)
        assert f is not None
        assert (f.name, f.choices, f.archived, s.scalar(select(func.count()).select_from(CustomField))) == (
            "Zone", ["Backend", "Frontend", "Data"], False, 1,
        )  # fmt: skip


def test_members_who_may_not_define_fields_see_no_forms_and_get_403(seed: Any) -> None:
    ids = _define(seed)
    url = f"/projects/{seed.p1}/fields"
    with signed_in(seed, "task_leader") as c:
        page = c.get(url).text
        assert "Customer" in page and 'id="read-only"' in page and 'id="field-form"' not in page
        token = csrf_of(page)
        assert c.post(url, data={"csrf_token": token, "name": "X", "kind": "text"}).status_code == 403
        assert (
            c.post(f"{url}/{ids['customer']}/archive", data={"csrf_token": token, "version": "1"}).status_code
            == 403
        )
        # no CSRF token: refused
        assert c.post(url, data={"name": "X", "kind": "text"}).status_code in (400, 403)
    with signed_in(seed, "outsider") as c:
        assert c.get(url).status_code == 404
    with signed_in(seed, "pm") as c:  # another project's field through this project: 404
        token = csrf_of(c.get(url).text)
        with seed.db.uow() as s:
            other = custom_fields.create_field(s, SYSTEM, seed.p2, name="Y", kind="text")["id"]
        r = c.post(f"{url}/{other}", data={"csrf_token": token, "version": "1", "name": "Z"})
        assert r.status_code == 404


def test_task_page_shows_and_saves_values_by_kind(seed: Any) -> None:
    _define(seed)
    url = f"/projects/{seed.p1}/tasks/{seed.tasks['a']}"
    with signed_in(seed, "task_leader") as c:
        page = c.get(url).text
        no_inline(page)
        assert 'id="custom-fields"' in page
        assert 'type="date"' in page and '<option value="yes"' in page and "<option>Backend</option>" in page
        data = {**_task_form(page), "csrf_token": csrf_of(page), "cf:Customer": "ACME <Corp>",
                "cf:Story points": "2.5", "cf:Release": "2030-03-01", "cf:Component": "Frontend",
                "cf:Security review": "yes"}  # fmt: skip
        r = c.post(url, data=data)
        assert r.status_code == 303, r.text
        page = c.get(url).text
        assert "ACME &lt;Corp&gt;" in page and "<b>" not in page
        summary = page[page.index('id="summary"') : page.index("</dl>", page.index('id="summary"'))]
        assert re.search(r"Story points</dt><dd[^>]*>2.5</dd>", summary)
        assert re.search(r"Security review</dt><dd[^>]*>yes</dd>", summary)
        assert "<option selected>Frontend</option>" in page
        assert '<option value="yes" selected>Yes</option>' in page
        # a bad value: 422 naming the field, beside its input, the typed values kept, nothing written
        with seed.db.uow(readonly=True) as s:
            t = s.get(Task, seed.tasks["a"])
            assert t is not None
            before = (t.version, dict(t.custom or {}))
        data = {**_task_form(page), "csrf_token": csrf_of(page), "cf:Story points": "lots", "name": "Renamed"}
        r = c.post(url, data=data)
        assert r.status_code == 422
        assert "not a number" in r.text and 'aria-invalid="true"' in r.text
        assert 'value="lots"' in r.text and 'value="Renamed"' in r.text
        with seed.db.uow(readonly=True) as s:
            t = s.get(Task, seed.tasks["a"])
            assert t is not None
            assert (t.version, dict(t.custom or {}), t.name) == (*before, "Task A")
        # emptying an input clears the value
        page = c.get(url).text
        r = c.post(url, data={**_task_form(page), "csrf_token": csrf_of(page), "cf:Customer": ""})
        assert r.status_code == 303
    with seed.db.uow(readonly=True) as s:
        t = s.get(Task, seed.tasks["a"])
        assert t is not None
        assert sorted(map(str, (t.custom or {}).values())) == ["2.5", "2030-03-01", "Frontend", "True"]
    # the assigned worker's progress form has no custom fields
    with signed_in(seed, "worker") as c:
        page = c.get(url).text
        assert 'id="progress-form"' in page and 'id="custom-fields"' not in page


def test_task_table_filters_by_a_field_and_shows_the_fields_as_columns(seed: Any) -> None:
    _define(seed)
    with seed.db.uow() as s:
        from charter.services import tasks

        for key, values in (
            ("a", {"Component": "Backend", "Customer": "ACME"}),
            ("b", {"Component": "Frontend"}),
        ):
            t = tasks.get_task(s, SYSTEM, seed.p1, seed.tasks[key])
            tasks.update_task(s, SYSTEM, seed.p1, t["id"], t["version"], custom_fields=values)
    url = f"/projects/{seed.p1}/schedule"
    with signed_in(seed, "pm") as c:
        page = c.get(url).text
        assert 'id="f-cf"' in page and "custom-field" not in page.split('id="schedule-table"')[1]
        page = c.get(url, params={"cf": "Component", "cv": "backend", "cols": "custom"}).text
        no_inline(page)
        table = page.split('id="schedule-table"')[1].split("</table>")[0]
        assert 'id="row-count">1 task</p>' in page
        assert f'id="row-{seed.tasks["a"]}"' in table and f'id="row-{seed.tasks["b"]}"' not in table
        assert re.search(
            r'<th scope="col" class="custom-field"><a href="[^"]*sort=field%3AComponent[^"]*">Component</a></th>',
            table,
        )
        assert (
            '<td class="custom-field">Backend</td>' in table and '<td class="custom-field">ACME</td>' in table
        )
        # the row's inline save keeps the columns (htmx swaps the row alone)
        assert 'name="cols" value="custom"' in table
        page = c.get(url, params={"cf": "Component", "cv": ""}).text  # no value
        table = page.split('id="schedule-table"')[1].split("</table>")[0]
        assert f'id="row-{seed.tasks["c"]}"' in table and f'id="row-{seed.tasks["a"]}"' not in table
        # a value that does not fit: said beside the filter, the table unfiltered
        page = c.get(url, params={"cf": "Story points", "cv": "many"}).text
        assert 'id="filter-error"' in page and "not a number" in page
        assert 'id="row-count">3 tasks' in page
        # an htmx row save with the columns on answers a row with the same cells
        with seed.db.uow(readonly=True) as s:
            t = s.get(Task, seed.tasks["a"])
            assert t is not None
            version = t.version
        token = csrf_of(c.get(url).text)
        r = c.post(f"/projects/{seed.p1}/schedule/rows/{seed.tasks['a']}",
                   data={"csrf_token": token, "version": str(version), "name": "Task A2", "cols": "custom"},
                   headers={"HX-Request": "true"})  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.text.count('class="custom-field"') == 5 and "Backend" in r.text


def test_task_table_sorts_by_a_custom_column(seed: Any) -> None:
    _define(seed)
    with seed.db.uow() as s:
        from charter.services import tasks

        for key, points in (("a", 8), ("b", 3)):
            t = tasks.get_task(s, SYSTEM, seed.p1, seed.tasks[key])
            tasks.update_task(
                s, SYSTEM, seed.p1, t["id"], t["version"], custom_fields={"Story points": points}
            )
    url = f"/projects/{seed.p1}/schedule"
    with signed_in(seed, "pm") as c:
        page = c.get(url, params={"cols": "custom", "sort": "field:Story points"}).text
        table = page.split('id="schedule-table"')[1].split("</table>")[0]
        order = re.findall(r'<tr id="row-(\d+)"', table)
        assert order == [str(seed.tasks[k]) for k in ("b", "a", "c")]
        assert 'aria-sort="ascending"><a href="/projects/' in table and "Story points ▲" in table
        page = c.get(url, params={"cols": "custom", "sort": "field:Story points", "dir": "desc"}).text
        order = re.findall(r'<tr id="row-(\d+)"', page.split('id="schedule-table"')[1])
        assert order == [str(seed.tasks[k]) for k in ("c", "a", "b")]
        # a field that is gone: the WBS order, no error
        assert c.get(url, params={"sort": "field:Nope"}).status_code == 200


def test_fields_page_counts_a_flag_by_its_yes_tasks(seed: Any) -> None:
    _define(seed)
    with seed.db.uow() as s:
        from charter.services import tasks

        for key, flag in (("a", True), ("b", False)):
            t = tasks.get_task(s, SYSTEM, seed.p1, seed.tasks[key])
            tasks.update_task(
                s, SYSTEM, seed.p1, t["id"], t["version"], custom_fields={"Security review": flag}
            )
    with signed_in(seed, "pm") as c:
        page = c.get(f"/projects/{seed.p1}/fields").text
        row = page.split('<th scope="row">Security review</th>')[1].split("</tr>")[0]
        assert '<td class="num">1</td>' in row
        # the task table's columns read a flag as yes / no, and a task without a value as a dash
        page = c.get(f"/projects/{seed.p1}/schedule", params={"cols": "custom"}).text
    table = page.split('id="schedule-table"')[1].split("</table>")[0]
    review = {}
    for key in ("a", "b", "c"):
        cells = re.findall(
            r'<td class="custom-field">([^<]*)</td>',
            table.split(f'id="row-{seed.tasks[key]}"')[1].split("</tr>")[0],
        )
        review[key] = cells[-1]  # the fields in their order: Security review is the last defined
    assert review == {"a": "yes", "b": "no", "c": "—"}


def test_an_ms_project_file_imported_on_the_schedule_page_brings_its_fields(seed: Any) -> None:
    """The schedule page's import takes a file's named MS Project fields: the fields page lists them and the
    task table filters by their values."""
    from charter.domain.schedule import FieldSpec, PlanSpec, TaskSpec
    from charter.io.mspdi import write_mspdi

    plan = PlanSpec(name="P", custom_fields=[FieldSpec("Tier", "choice", ["Gold", "Silver"])])
    plan.tasks = [TaskSpec(ref="1", name="Imported gold", duration=480, custom={"Tier": "Gold"}),
                  TaskSpec(ref="2", name="Imported silver", duration=480, custom={"Tier": "Silver"})]  # fmt: skip
    with signed_in(seed, "pm") as c:
        page = c.get(f"/projects/{seed.p1}/schedule").text
        r = c.post(f"/projects/{seed.p1}/import", data={"csrf_token": csrf_of(page)},
                   files={"file": ("plan.xml", write_mspdi(plan))})  # fmt: skip
        assert r.status_code == 200, r.text
        notice = r.text.split('id="imported"')[1].split("</section>")[0]
        assert "Imported plan.xml" in notice and "2 tasks" in notice
        assert (
            'id="imported-fields">Custom fields added: Tier' in notice and "imported-left-out" not in notice
        )
        assert "Gold, Silver" in c.get(f"/projects/{seed.p1}/fields").text
        table = c.get(f"/projects/{seed.p1}/schedule", params={"cf": "Tier", "cv": "Gold"}).text
        assert "Imported gold" in table and "Imported silver" not in table


def test_required_fields_and_defaults_on_the_pages(seed: Any) -> None:
    """The PM marks a field required and gives defaults on the fields page; the task table's *Add a task*
    asks for the required fields (a default already filled in); a task without the value is a 422 beside its
    input, the typed values kept; the fields page counts the older tasks without a value."""
    url = f"/projects/{seed.p1}/fields"
    with signed_in(seed, "pm") as c:
        page = c.get(url).text
        r = c.post(
            url, data={"csrf_token": csrf_of(page), "name": "Customer", "kind": "text", "required": "on"}
        )
        assert r.status_code == 303, r.text
        r = c.post(url, data={"csrf_token": csrf_of(page), "name": "Tier", "kind": "choice",
                              "choices": "Gold\nSilver", "default": "Silver"})  # fmt: skip
        assert r.status_code == 303, r.text
        r = c.post(
            url, data={"csrf_token": csrf_of(page), "name": "Urgent", "kind": "flag", "required": "on"}
        )
        assert r.status_code == 422 and "cannot be required" in r.text and 'value="Urgent"' in r.text
        page = c.get(url).text
        no_inline(page)
        with seed.db.uow(readonly=True) as s:
            ids = {f.name: f.id for f in s.scalars(select(CustomField))}
            tasks_now = s.scalar(select(func.count()).select_from(Task).where(Task.project_id == seed.p1))
        row = page[page.index(f'id="field-{ids["Customer"]}"') :]
        assert (
            f'id="missing-{ids["Customer"]}">{tasks_now} tasks without a value' in row[: row.index("</tr>")]
        )
        row = page[page.index(f'id="field-{ids["Tier"]}"') :]
        assert "<td>Silver</td>" in row[: row.index("</tr>")]

        table = c.get(f"/projects/{seed.p1}/schedule").text
        add = table[table.index('id="add-task"') : table.index("</form>", table.index('id="add-task"'))]
        assert f'id="at-cf-{ids["Customer"]}" name="cf:Customer" maxlength="2000" value="" required' in add
        assert "cf:Tier" not in add  # only the required fields
        r = c.post(f"/projects/{seed.p1}/tasks", data={"csrf_token": csrf_of(table), "name": "Kick-off call",
                                                       "duration": "1d", "cf:Customer": ""})  # fmt: skip
        assert r.status_code == 422 and "a value is required" in r.text
        assert 'value="Kick-off call"' in r.text and 'aria-invalid="true"' in r.text
        r = c.post(f"/projects/{seed.p1}/tasks", data={"csrf_token": csrf_of(table), "name": "Kick-off call",
                                                       "duration": "1d", "cf:Customer": "ACME"})  # fmt: skip
        assert r.status_code == 303, r.text
        with seed.db.uow(readonly=True) as s:
            t = s.scalars(select(Task).where(Task.name == "Kick-off call")).one()
            assert t.custom == {str(ids["Customer"]): "ACME", str(ids["Tier"]): "Silver"}
            tid = t.id
            fid, version = ids["Customer"], s.get(CustomField, ids["Customer"]).version  # type: ignore[union-attr]
        # the task page marks it; an older task without a value saves with the input left empty, but a value
        # cannot be emptied
        assert (
            'Customer <span class="muted">(required)</span>' in c.get(f"/projects/{seed.p1}/tasks/{tid}").text
        )
        older = f"/projects/{seed.p1}/tasks/{seed.tasks['a']}"
        page = c.get(older).text
        r = c.post(
            older, data={**_task_form(page), "csrf_token": csrf_of(page), "cf:Customer": "", "name": "A2"}
        )
        assert r.status_code == 303, r.text
        page = c.get(f"/projects/{seed.p1}/tasks/{tid}").text
        r = c.post(f"/projects/{seed.p1}/tasks/{tid}", data={**_task_form(page), "csrf_token": csrf_of(page),
                                                             "cf:Customer": ""})  # fmt: skip
        assert r.status_code == 422 and "a value is required" in r.text
        # the field made optional again on the fields page
        page = c.get(url).text
        r = c.post(f"{url}/{fid}", data={"csrf_token": csrf_of(page), "version": str(version), "name": "Customer",
                                         "rules": "1", "default": ""})  # fmt: skip
        assert r.status_code == 303, r.text
        with seed.db.uow(readonly=True) as s:
            f = s.get(CustomField, fid)
            assert f is not None and f.required is False and f.default_value is None
