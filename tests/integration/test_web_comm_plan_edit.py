"""The communication plan's entries are changed and removed on the plan page (they could only be added and
marked done): the Project Manager edits what, to whom, how often, how, the owner and the start, pauses an entry
(never due, no *Done today*), and deletes one made by mistake; a stale edit is a 409 beside that entry's form
with what was typed kept; members without the plan's permission see no edit form and are refused."""

from __future__ import annotations

import re
from typing import Any

from charter.services import comm_plan, journal
from webhelpers import csrf_of, signed_in


def _entry(seed: Any) -> dict[str, Any]:
    with seed.db.uow() as s:
        return comm_plan.create_entry(s, seed.actor("pm"), seed.p1, information="Status report", audience="project",
                                      frequency="weekly", channel="email", owner_id=seed.users["liaison"])  # fmt: skip


def _plan(seed: Any) -> dict[int, dict[str, Any]]:
    with seed.db.uow(readonly=True) as s:
        return {e["id"]: e for e in comm_plan.list_plan(s, seed.actor("pm"), seed.p1)}


def test_the_pm_edits_pauses_and_deletes_entries(seed: Any) -> None:
    e = _entry(seed)
    url = f"/projects/{seed.p1}/comm-plan"
    with signed_in(seed, "pm") as c:
        page = c.get(url).text
        form = page.split(f'id="plan-form-{e["id"]}"')[1].split("</form>")[0]
        assert 'value="Status report"' in form and '<option value="weekly" selected>' in form
        assert f'<option value="{seed.users["liaison"]}" selected>' in form  # the owner
        edit = {"csrf_token": csrf_of(page), "version": str(e["version"]), "information": "Steering report",
                "audience": "department", "audience_department_id": "", "frequency": "monthly", "channel": "report",
                "owner_id": str(seed.users["pm"]), "starts_on": "", "active": "on"}  # fmt: skip
        # a department audience needs the department: 422 beside this entry's form, what was typed kept
        r = c.post(f"{url}/{e['id']}", data=edit)
        assert r.status_code == 422 and f'id="plan-{e["id"]}-error"' in r.text, r.text
        again = r.text.split(f'id="plan-form-{e["id"]}"')[1].split("</form>")[0]
        assert 'value="Steering report"' in again and '<option value="monthly" selected>' in again
        assert re.search(rf'id="pe{e["id"]}-dept" name="audience_department_id" aria-invalid="true"', again)
        r = c.post(f"{url}/{e['id']}", data={**edit, "audience": "project"})
        assert r.status_code == 303 and r.headers["location"].endswith(f"#entry-{e['id']}")
        got = _plan(seed)[e["id"]]
        assert (got["information"], got["frequency"], got["channel"], got["owner_id"], got["active"]) == (
            "Steering report", "monthly", "report", seed.users["pm"], True)  # fmt: skip
        # stale: the version the page had
        r = c.post(f"{url}/{e['id']}", data={**edit, "audience": "project", "information": "Late edit"})
        assert r.status_code == 409 and 'value="Late edit"' in r.text
        # paused (the box unticked): never due, no Done today
        page = c.get(url).text
        r = c.post(f"{url}/{e['id']}", data={**edit, "csrf_token": csrf_of(page), "audience": "project",
                                             "version": str(got["version"]), "active": ""})  # fmt: skip
        assert r.status_code == 303
        paused = _plan(seed)[e["id"]]
        assert paused["active"] is False and paused["next_due"] is None
        row = c.get(url).text.split(f'data-entry="{e["id"]}"')[1].split("</tr>")[0]
        assert "paused" in row and "Done today" not in row
        # deleted, journaled
        gone = {"csrf_token": csrf_of(page), "version": str(_plan(seed)[e["id"]]["version"])}
        r = c.post(f"{url}/{e['id']}/delete", data=gone)
        assert r.status_code == 303 and e["id"] not in _plan(seed)
        assert c.post(f"{url}/{e['id']}/delete", data=gone).status_code == 404
    with seed.db.uow(readonly=True) as s:
        acts = [x["action"] for x in journal.entries(s, project_id=seed.p1, entity_type="comm_plan_entry")]
    assert acts == ["delete", "update", "update", "create"]


def test_members_without_the_plan_permission_see_no_edit_form(seed: Any) -> None:
    e = _entry(seed)
    with signed_in(seed, "liaison") as c:  # the entry's owner marks it done, but does not edit the plan
        page = c.get(f"/projects/{seed.p1}/comm-plan").text
        assert "Done today" in page and f'id="plan-form-{e["id"]}"' not in page
        r = c.post(f"/projects/{seed.p1}/comm-plan/{e['id']}/delete",
                   data={"csrf_token": csrf_of(page), "version": str(e["version"])})  # fmt: skip
        assert r.status_code == 403
    assert e["id"] in _plan(seed)


def test_a_stale_api_delete_of_a_plan_entry_is_refused_with_the_entry_as_it_is(seed: Any, api: Any) -> None:
    """DELETE …/comm-plan/{id} takes the version read, as every other versioned DELETE: one sent with a version
    the entry has moved past is a 409 with the entry as it is now, and nothing is removed (it took no version
    and removed whatever the entry had become); no version is a 422 naming it."""
    read = _entry(seed)
    url = f"/projects/{seed.p1}/comm-plan/{read['id']}"
    r = api.patch(url, json={"version": read["version"], "channel": "meeting"}, headers=seed.headers("pm"))
    assert r.status_code == 200, r.text
    r = api.delete(url, params={"version": read["version"]}, headers=seed.headers("pm"))
    assert r.status_code == 409, r.text
    err = r.json()["error"]
    assert err["field"] == "version"
    now = _plan(seed)[read["id"]]
    assert now["channel"] == "meeting" and now["version"] == read["version"] + 1
    assert {k: err["current"][k] for k in ("id", "information", "channel", "version")} == {
        k: now[k] for k in ("id", "information", "channel", "version")
    }
    r = api.delete(url, headers=seed.headers("pm"))
    assert r.status_code == 422 and r.json()["error"]["field"] == "version", r.text
    assert read["id"] in _plan(seed)
    r = api.delete(url, params={"version": now["version"]}, headers=seed.headers("pm"))
    assert r.status_code == 204, r.text
    assert read["id"] not in _plan(seed)


def test_a_stale_delete_on_the_plan_page_shows_the_entry_as_it_is(seed: Any) -> None:
    """The page's *Delete* sends the version shown: the entry changed since, the page shows it as it is now
    beside its form (409) and nothing is removed."""
    e = _entry(seed)
    with seed.db.uow() as s:
        comm_plan.update_entry(s, seed.actor("pm"), seed.p1, e["id"], e["version"], channel="meeting")
    with signed_in(seed, "pm") as c:
        page = c.get(f"/projects/{seed.p1}/comm-plan").text
        r = c.post(f"/projects/{seed.p1}/comm-plan/{e['id']}/delete",
                   data={"csrf_token": csrf_of(page), "version": str(e["version"])})  # fmt: skip
        assert r.status_code == 409, r.text
        form = r.text.split(f'id="plan-form-{e["id"]}"')[1].split("</form>")[0]
        assert f'name="version" value="{e["version"] + 1}"' in form  # the entry as it is now, to act on again
        assert "changed by someone else" in r.text
    assert _plan(seed)[e["id"]]["channel"] == "meeting"
