"""The Resource Sheet on the web (/resources, /resources/{id}): every signed-in user reads the resources,
their rates over time and their days off; the instance admin adds a resource, edits it (a stale version is
409 beside the form with the saved values), adds a rate (a bad one is 422 on its input, what was typed kept)
and enters days off; a person enters their own days off and working week; everyone else gets no forms and
a forged post is 403 with nothing written. Over the same services as the API's /resources."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select

from charter.persistence.models import JournalEntry
from charter.services import resources
from charter.services.context import SYSTEM
from webhelpers import csrf_of, no_inline, signed_in


def _journal(seed: Any, entity_type: str | None = None) -> list[tuple[str, str]]:
    with seed.db.uow(readonly=True) as s:
        q = select(JournalEntry.entity_type, JournalEntry.action).order_by(JournalEntry.id)
        if entity_type:
            q = q.where(JournalEntry.entity_type == entity_type)
        return [(t, a) for t, a in s.execute(q)]


def _count(seed: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def _rig(seed: Any) -> int:
    """An equipment resource made by the admin."""
    with seed.db.uow() as s:
        return int(resources.create_resource(s, seed.actor("admin"), name="Test rig", kind="equipment")["id"])


def _person(seed: Any, who: str) -> int:
    with seed.db.uow() as s:
        return int(resources.person_resource(s, seed.users[who], SYSTEM).id)


def _get(seed: Any, rid: int) -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        return resources.get_resource(s, seed.actor("admin"), rid)


def _input(html: str, id_: str) -> str:
    m = re.search(rf'<input id="{id_}"[^>]*>', html)
    assert m, f"no input {id_}"
    return m.group(0)


def test_admin_adds_edits_rates_and_enters_days_off(seed: Any) -> None:
    with signed_in(seed, "admin") as client:
        page = client.get("/resources")
        assert page.status_code == 200
        no_inline(page.text)
        assert '<a href="/resources">Resources</a>' in page.text  # the top navigation
        assert 'id="create-form"' in page.text
        csrf = csrf_of(page.text)
        r = client.post("/resources", data={"csrf_token": csrf, "name": " Staging env ", "kind": "environment",
                                            "max_units": "200%", "skills": "k8s, postgres, k8s"})  # fmt: skip
        assert r.status_code == 303, r.text
        rid = int(r.headers["location"].rsplit("/", 1)[1])
        got = _get(seed, rid)
        assert (got["name"], got["kind"], got["max_units"], got["skills"]) == (
            "Staging env", "environment", 2.0, ["k8s", "postgres"])  # fmt: skip

        page = client.get(f"/resources/{rid}")
        assert page.status_code == 200 and 'id="edit-form"' in page.text and 'id="rate-form"' in page.text
        no_inline(page.text)
        r = client.post(f"/resources/{rid}", data={
            "csrf_token": csrf, "version": "1", "name": "Staging cluster", "department_id": str(seed.sales),
            "max_units": "0.5", "skills": "k8s", "day_0": "on", "day_1": "on", "day_2": "on",
            "shifts": "08:00-12:00", "active": "on"})  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == f"/resources/{rid}"
        got = _get(seed, rid)
        assert (got["name"], got["department_id"], got["max_units"], got["weekdays"], got["shifts"],
                got["active"], got["version"]) == ("Staging cluster", seed.sales, 0.5, [0, 1, 2], [[480, 720]],
                                                   True, 2)  # fmt: skip

        r = client.post(f"/resources/{rid}/rates", data={"csrf_token": csrf, "valid_from": "2020-01-01",
                                                          "standard": "1 250.5", "currency": "eur"})  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == f"/resources/{rid}#rates"
        r = client.post(f"/resources/{rid}/rates", data={"csrf_token": csrf, "valid_from": "2099-01-01",
                                                          "standard": "90", "overtime": "120.125"})  # fmt: skip
        assert r.status_code == 303
        rates = _get(seed, rid)["rates"]
        assert [(str(x["valid_from"]), x["currency"]) for x in rates] == [("2020-01-01", "EUR"),
                                                                          ("2099-01-01", "EUR")]  # fmt: skip

        r = client.post(f"/resources/{rid}/exceptions", data={"csrf_token": csrf, "day": "2030-08-05",
                                                               "until": "2030-08-07", "name": "Upgrade"})  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == f"/resources/{rid}#exceptions"
        exc = _get(seed, rid)["exceptions"]
        assert [str(e["day"]) for e in exc] == ["2030-08-05", "2030-08-06", "2030-08-07"]
        assert all(e["name"] == "Upgrade" and not e["working"] for e in exc)
        r = client.post(f"/resources/{rid}/exceptions/{exc[1]['id']}/delete", data={"csrf_token": csrf})
        assert r.status_code == 303
        assert [str(e["day"]) for e in _get(seed, rid)["exceptions"]] == ["2030-08-05", "2030-08-07"]

        page = client.get(f"/resources/{rid}").text
        assert 'id="res-days">mon, tue, wed<' in page and 'id="res-hours">08:00-12:00<' in page
        assert 'id="res-department">Sales<' in page
        today = re.search(
            r'<tr id="rate-\d+"><td>2020-01-01 <span class="badge">today</span>.*?</tr>', page, re.S
        )
        assert today and "1\u202f250.50" in today.group(0)  # in force today, in the currency's minor units
        assert "120.125" in page  # a rate's digits that carry a value are kept
        assert page.count('<tr id="exc-') == 2
        m = re.search(rf'<tr id="res-{rid}">.*?</tr>', client.get("/resources").text, re.S)
        assert m
        row = m.group(0)
        assert "Staging cluster" in row and "1\u202f250.50 EUR" in row and ">2 <" in row

    # the seeded world made the worker's person resource (Task A) first; then this test's create and update
    assert _journal(seed, "resource") == [("resource", "create")] * 2 + [("resource", "update")]
    assert _journal(seed, "resource_rate") == [("resource_rate", "create")] * 2
    assert _journal(seed, "resource_exception") == [("resource_exception", "create")] * 3 + [
        ("resource_exception", "delete")]  # fmt: skip


def test_non_admin_reads_without_forms_and_a_forged_post_is_403(seed: Any) -> None:
    rid = _rig(seed)
    with seed.db.uow() as s:
        resources.add_rate(s, seed.actor("admin"), rid, valid_from=dt.date(2020, 1, 1),
                           standard="80", currency="EUR")  # fmt: skip
    before = _count(seed)
    with signed_in(seed, "observer") as client:
        page = client.get("/resources")
        assert page.status_code == 200 and "Test rig" in page.text and 'id="read-only"' in page.text
        assert 'method="post" action="/resources' not in page.text
        page = client.get(f"/resources/{rid}")
        assert page.status_code == 200 and "80.00" in page.text and "EUR" in page.text
        assert 'method="post" action="/resources' not in page.text and 'id="read-only"' in page.text
        csrf = csrf_of(page.text)  # (the sign-out form's)
        for url, data in (("/resources", {"name": "Mine", "max_units": "1"}),
                          (f"/resources/{rid}", {"version": "1", "name": "Mine", "max_units": "1"}),
                          (f"/resources/{rid}/rates", {"valid_from": "2021-01-01", "standard": "1"}),
                          (f"/resources/{rid}/exceptions", {"day": "2030-01-01"})):  # fmt: skip
            r = client.post(url, data={"csrf_token": csrf, **data})
            assert r.status_code == 403, url
            assert 'id="page-error"' in r.text and "only an instance admin" in r.text
        r = client.post(f"/resources/{rid}/rates", data={"valid_from": "2021-01-01", "standard": "1"})
        assert r.status_code == 403  # no CSRF token
        assert client.get("/resources/999999").status_code == 404
    assert _count(seed) == before
    assert _get(seed, rid)["version"] == 1 and len(_get(seed, rid)["rates"]) == 1


def test_stale_edit_is_409_beside_the_form_with_the_saved_values(seed: Any, api: Any, as_: Any) -> None:
    rid = _rig(seed)
    r = api.patch(f"/resources/{rid}", headers=as_("admin"), json={"version": 1, "name": "Lab rig"})
    assert r.status_code == 200 and r.json()["version"] == 2
    with signed_in(seed, "admin") as client:
        csrf = csrf_of(client.get(f"/resources/{rid}").text)
        r = client.post(f"/resources/{rid}", data={"csrf_token": csrf, "version": "1", "name": "Bench rig",
                                                    "max_units": "3", "active": "on"})  # fmt: skip
        assert r.status_code == 409
        assert 'id="edit-error"' in r.text and "changed by someone else" in r.text
        conflict = re.search(r'<div class="conflict".*?</div>', r.text, re.S)
        assert conflict and "<strong>Name</strong>: Lab rig" in conflict.group(0)
        assert 'value="Bench rig"' in _input(r.text, "edit-name")  # what was typed, kept
        assert 'value="3"' in _input(r.text, "edit-units")
        assert 'name="version" value="2"' in r.text  # a second Save goes over the stored version
    assert _get(seed, rid)["name"] == "Lab rig"


def test_bad_rate_is_422_on_its_input_with_the_input_kept(seed: Any) -> None:
    rid = _rig(seed)
    before = _count(seed)
    with signed_in(seed, "admin") as client:
        csrf = csrf_of(client.get(f"/resources/{rid}").text)
        url = f"/resources/{rid}/rates"
        r = client.post(url, data={"csrf_token": csrf, "valid_from": "2030-01-01", "standard": "eighty",
                                   "currency": "EUR"})  # fmt: skip
        assert r.status_code == 422
        assert 'id="rate-error"' in r.text and "is not a decimal number" in r.text
        standard = _input(r.text, "rate-standard")
        assert 'value="eighty"' in standard and 'aria-invalid="true"' in standard
        assert 'value="2030-01-01"' in _input(r.text, "rate-from")
        assert 'value="EUR"' in _input(r.text, "rate-currency")
        for data, field in (({"standard": "-5"}, "rate-standard"), ({"standard": "1.23456"}, "rate-standard"),
                            ({"standard": "NaN"}, "rate-standard"), ({"standard": "5", "overtime": "x"}, "rate-overtime"),
                            ({"standard": "5", "currency": "XYZ"}, "rate-currency"),
                            ({"standard": "5", "valid_from": "someday"}, "rate-from"),
                            ({"standard": ""}, "rate-standard")):  # fmt: skip
            r = client.post(url, data={"csrf_token": csrf, "valid_from": "2030-01-01", **data})
            assert r.status_code == 422, data
            assert 'aria-invalid="true"' in _input(r.text, field), data
        good = {"csrf_token": csrf, "valid_from": "2030-01-01", "currency": "EUR"}
        assert client.post(url, data={**good, "standard": "5"}).status_code == 303
        r = client.post(url, data={**good, "standard": "6"})
        assert r.status_code == 409 and "a rate valid from 2030-01-01 exists" in r.text
        assert 'aria-invalid="true"' in _input(r.text, "rate-from")
        assert 'value="6"' in _input(r.text, "rate-standard")
        # the other forms: a bad field, beside its form, the typed values kept
        r = client.post("/resources", data={"csrf_token": csrf, "name": "Too much", "max_units": "lots"})
        assert r.status_code == 422 and 'aria-invalid="true"' in _input(r.text, "create-units")
        assert 'value="Too much"' in _input(r.text, "create-name")
        r = client.post(f"/resources/{rid}", data={"csrf_token": csrf, "version": "1", "name": "Rig",
                                                    "max_units": "1", "shifts": "9 to 5"})  # fmt: skip
        assert r.status_code == 422 and 'aria-invalid="true"' in _input(r.text, "edit-shifts")
        assert 'value="9 to 5"' in _input(r.text, "edit-shifts")
        r = client.post(f"/resources/{rid}/exceptions", data={"csrf_token": csrf, "day": "2030-01-09",
                                                               "until": "2030-01-02", "name": "Trip"})  # fmt: skip
        assert r.status_code == 422 and 'aria-invalid="true"' in _input(r.text, "ex-until")
        assert 'value="Trip"' in _input(r.text, "ex-name")
    assert _count(seed) == before + 1  # the one good rate


def test_a_person_enters_their_own_days_off_and_working_week(seed: Any) -> None:
    mine, theirs = _person(seed, "worker"), _person(seed, "task_leader")
    with signed_in(seed, "worker") as client:
        page = client.get(f"/resources/{mine}").text
        assert 'id="hours-form"' in page and 'id="exception-form"' in page
        assert 'id="edit-form"' not in page and 'id="rate-form"' not in page
        csrf = csrf_of(page)
        r = client.post(f"/resources/{mine}/exceptions", data={"csrf_token": csrf, "day": "2030-07-01",
                                                                "until": "2030-07-02", "name": "Vacation"})  # fmt: skip
        assert r.status_code == 303
        r = client.post(f"/resources/{mine}", data={"csrf_token": csrf, "version": "1", "scope": "hours",
                                                     "day_0": "on", "day_1": "on", "shifts": ""})  # fmt: skip
        assert r.status_code == 303
        got = _get(seed, mine)
        assert got["weekdays"] == [0, 1] and got["shifts"] == [] and len(got["exceptions"]) == 2
        first = got["exceptions"][0]["id"]
        r = client.post(f"/resources/{mine}/exceptions/{first}/delete", data={"csrf_token": csrf})
        assert r.status_code == 303 and len(_get(seed, mine)["exceptions"]) == 1
        # their own name and units are the admin's to change
        r = client.post(f"/resources/{mine}", data={"csrf_token": csrf, "version": "2", "name": "Me",
                                                     "max_units": "2"})  # fmt: skip
        assert r.status_code == 403
        page = client.get(f"/resources/{theirs}").text
        assert 'method="post" action="/resources' not in page
        r = client.post(f"/resources/{theirs}/exceptions", data={"csrf_token": csrf, "day": "2030-07-01"})
        assert r.status_code == 403
    assert _get(seed, theirs)["exceptions"] == [] and _get(seed, mine)["name"] != "Me"
