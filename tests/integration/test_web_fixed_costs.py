"""Fixed costs on tasks on the budget page: the PM picks a task, adds a fixed cost with its amount, accrual
and budget line; the line's actual takes the accrued part; a bad amount re-renders the form with what was
typed; an edit or delete made with a stale version is refused with 409 and the current state shown; a
stakeholder without budget.edit sees no forms and is refused by the service."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.persistence.db import Database
from charter.services import accounts, budget, tasks
from webhelpers import PW, login


@pytest.fixture
def web(db: Database, seed: Any) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    """P1 with a hardware line and Task A half done; passwords for the PM and a stakeholder."""
    admin = seed.actor("admin")
    with db.uow() as s:
        for name in ("pm", "stakeholder"):
            u = accounts.get_user(s, admin, seed.users[name])
            accounts.update_user(s, admin, u["id"], u["version"], password=PW)
        hw = budget.create_line(s, seed.actor("pm"), seed.p1, category="hardware", name="Servers",
                                amount="10000", work_package_id=seed.wp_a)["id"]  # fmt: skip
        t = tasks.get_task(s, admin, seed.p1, seed.tasks["a"])
        tasks.update_task(s, admin, seed.p1, t["id"], t["version"], percent_complete=50)
    with TestClient(create_app(db), follow_redirects=False) as client:
        yield client, {"p": seed.p1, "hw": hw, "task": seed.tasks["a"], "db": db, "seed": seed}


def _line_actual(ids: dict[str, Any]) -> Decimal:
    with ids["db"].uow(readonly=True) as s:
        summ = budget.summary(s, ids["seed"].actor("pm"), ids["p"])
    return Decimal(next(ln for ln in summ["lines"] if ln["id"] == ids["hw"])["actual_fixed_costs"])


def test_pm_adds_edits_and_deletes_a_fixed_cost_on_the_budget_page(web) -> None:
    client, ids = web
    token = login(client, "pm")
    p, url = ids["p"], f"/projects/{ids['p']}/budget"
    page = client.get(url).text
    assert 'id="fixed-cost-form"' in page and 'id="no-fixed-costs"' in page
    picker = page[page.index('id="fc-task"') :]
    assert f'<option value="{ids["task"]}"' in picker[: picker.index("</select>")]
    assert "Task A" in picker[: picker.index("</select>")]

    # a bad amount: 422, the form keeps what was typed and names the field
    form = {"csrf_token": token, "task_id": str(ids["task"]), "description": "Rack licence", "amount": "-5",
            "accrual": "end", "budget_line_id": str(ids["hw"])}  # fmt: skip
    r = client.post(f"{url}/fixed-costs", data=form)
    assert r.status_code == 422, r.text
    assert 'id="fixed-cost-error"' in r.text and "Amount" in r.text
    assert 'value="Rack licence"' in r.text and 'value="-5"' in r.text
    assert re.search(r'<option value="end" selected', r.text)
    assert _line_actual(ids) == 0

    # added, prorated: half of it is actual on the line while the task is half done
    r = client.post(f"{url}/fixed-costs", data={**form, "amount": "1200.00", "accrual": "prorated"})
    assert r.status_code == 303, r.text
    with ids["db"].uow(readonly=True) as s:
        (fc,) = budget.list_fixed_costs(s, ids["seed"].actor("pm"), p)
    assert fc["description"] == "Rack licence" and fc["budget_line_id"] == ids["hw"]
    assert fc["amount"] == Decimal("1200.00") and fc["version"] == 1
    assert _line_actual(ids) == Decimal("600.00")
    page = client.get(url).text
    row = page[page.index(f'data-fixed-cost="{fc["id"]}"') :]
    row = row[: row.index("</tr>")]
    assert "Rack licence" in row and "Servers" in row and "1200.00" in row and "600.00" in row
    task_page = client.get(f"/projects/{p}/tasks/{ids['task']}").text
    assert (
        'id="task-fixed-costs-table"' in task_page and "Rack licence" in task_page and "600.00" in task_page
    )
    assert f"/projects/{p}/budget?task={ids['task']}#fixed-costs" in task_page

    # edited at version 1: accrued at the end, so nothing is actual yet
    edit = f"{url}/fixed-costs/{fc['id']}/edit"
    change = {**form, "amount": "1500.00", "accrual": "end", "version": "1", "action": "save"}
    r = client.post(edit, data=change)
    assert r.status_code == 303, r.text
    assert _line_actual(ids) == 0
    # the same form again, still at version 1: 409, what was typed stays, the current state is on the page
    r = client.post(edit, data={**change, "description": "Rack licence, 3 years", "amount": "1800.00"})
    assert r.status_code == 409, r.text
    assert f'id="fixed-cost-{fc["id"]}-error"' in r.text and "changed by someone else" in r.text
    assert 'value="Rack licence, 3 years"' in r.text and "1\u202f500.00" in r.text
    # a stale delete is refused too; the current version deletes it
    r = client.post(edit, data={"csrf_token": token, "version": "1", "action": "delete"})
    assert r.status_code == 409, r.text
    r = client.post(edit, data={"csrf_token": token, "version": "2", "action": "delete"})
    assert r.status_code == 303, r.text
    with ids["db"].uow(readonly=True) as s:
        assert budget.list_fixed_costs(s, ids["seed"].actor("pm"), p) == []
    # without the CSRF token nothing is written
    r = client.post(f"{url}/fixed-costs", data={k: v for k, v in form.items() if k != "csrf_token"})
    assert r.status_code == 403
    with ids["db"].uow(readonly=True) as s:
        assert budget.list_fixed_costs(s, ids["seed"].actor("pm"), p) == []


def test_the_task_link_preselects_the_task(web) -> None:
    client, ids = web
    login(client, "pm")
    page = client.get(f"/projects/{ids['p']}/budget?task={ids['task']}").text
    assert '<details id="add-fixed-cost" open>' in page
    assert f'<option value="{ids["task"]}" selected>' in page


def test_a_stakeholder_gets_no_fixed_cost_forms_and_is_refused(web) -> None:
    client, ids = web
    with ids["db"].uow() as s:
        fc = budget.add_fixed_cost(s, ids["seed"].actor("pm"), ids["p"], task_id=ids["task"],
                                   description="Licence", amount="50.00")  # fmt: skip
    token = login(client, "stakeholder")
    url = f"/projects/{ids['p']}/budget"
    page = client.get(url)
    if page.status_code == 200:  # a stakeholder may read the budget, never change it
        assert 'id="fixed-cost-form"' not in page.text and "/fixed-costs/" not in page.text
    r = client.post(f"{url}/fixed-costs/{fc['id']}/edit",
                    data={"csrf_token": token, "version": "1", "action": "delete"})  # fmt: skip
    assert r.status_code in (403, 404)
    with ids["db"].uow(readonly=True) as s:
        assert len(budget.list_fixed_costs(s, ids["seed"].actor("pm"), ids["p"])) == 1


def test_vendor_contacts_categories_rating_and_notes_are_edited_on_the_page(web) -> None:
    """The vendor edit form shows every contact (clear a name to remove it) and a blank row to add one."""
    from charter.services import procurement

    client, ids = web
    with ids["db"].uow() as s:
        v = procurement.create_vendor(s, ids["seed"].actor("pm"), name="Initech", categories=["hardware"],
                                      rating=3, notes="", contacts=[{"name": "Bill", "email": "bill@initech.test",
                                                                     "phone": None}])  # fmt: skip
    token = login(client, "pm")
    page = client.get(f"/projects/{ids['p']}/procurement").text
    form = page[page.index(f'action="/projects/{ids["p"]}/procurement/vendors/{v["id"]}"') :]
    form = form[: form.index("</form>")]
    assert 'name="contact_0_name" value="Bill"' in form and 'value="bill@initech.test"' in form
    assert 'name="contact_1_name" value=""' in form
    url = f"/projects/{ids['p']}/procurement/vendors/{v['id']}"
    edit = {"csrf_token": token, "version": "1", "name": "Initech", "categories": "hardware, cloud",
            "rating": "5", "notes": "fast delivery", "contact_0_name": "Bill", "contact_0_email": "bill@initech.test",
            "contact_0_phone": "+1 555 0100", "contact_1_name": "Peter", "contact_1_email": "peter@initech.test",
            "contact_1_phone": ""}  # fmt: skip
    bad = client.post(url, data={**edit, "rating": "7"})
    assert bad.status_code == 422 and 'value="Peter"' in bad.text and 'value="fast delivery"' in bad.text
    assert client.post(url, data=edit).status_code == 303
    with ids["db"].uow(readonly=True) as s:
        (got,) = procurement.list_vendors(s, ids["seed"].actor("pm"))
    assert (
        got["categories"] == ["hardware", "cloud"] and got["rating"] == 5 and got["notes"] == "fast delivery"
    )
    assert [(c["name"], c["email"], c["phone"]) for c in got["contacts"]] == [
        ("Bill", "bill@initech.test", "+1 555 0100"), ("Peter", "peter@initech.test", None)]  # fmt: skip
    # clearing a contact's name removes it; a stale version is refused
    cleared = {**edit, "version": "2", "contact_0_name": ""}
    assert client.post(url, data=cleared).status_code == 303
    assert client.post(url, data=cleared).status_code == 409
    with ids["db"].uow(readonly=True) as s:
        (got,) = procurement.list_vendors(s, ids["seed"].actor("pm"))
    assert [c["name"] for c in got["contacts"]] == ["Peter"]
