"""The calendars pages over HTTP: the list (days, hours, holidays, the project default, tasks on each,
exceptions), creating a calendar, changing its working days (the plan moves), adding and removing a holiday
(the finish moves a day and back), a stale version (409, input kept, nothing changed), bad input (422 naming
the field, input kept, nothing written), read-only members (no forms, POST 403), another project's calendar
(404) and a POST without CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from charter.app import create_app
from charter.domain.roles import OBSERVER, TASK_WORKER
from charter.persistence.db import Database
from charter.persistence.models import JournalEntry
from charter.services import accounts, calendars, projects, roles, scheduling, tasks
from charter.services.context import SYSTEM
from webhelpers import PW, login, no_inline

FRI = datetime(2030, 1, 11, 18, 0)  # Build (5d from Monday 2030-01-07) ends on Friday evening
MON = datetime(2030, 1, 14, 18, 0)  # ...a working day later: the next Monday


@pytest.fixture
def web(db: Database) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    with db.uow() as s:
        ids: dict[str, Any] = {
            n: accounts.create_user(s, SYSTEM, username=n, display_name=n.title(), password=PW)["id"]
            for n in ("pm", "worker", "observer", "other")
        }
        pid = projects.create_project(
            s, SYSTEM, key="CAL", name="Calendar project", manager_id=ids["pm"], start_date=date(2030, 1, 7)
        )["id"]
        keys = {r["key"]: r["id"] for r in roles.list_roles(s, SYSTEM, pid) if r["key"]}
        roles.assign_role(s, SYSTEM, pid, role_id=keys[TASK_WORKER], user_id=ids["worker"])
        roles.assign_role(s, SYSTEM, pid, role_id=keys[OBSERVER], user_id=ids["observer"])
        ids["task"] = tasks.create_task(s, SYSTEM, pid, name="Build", duration="5d")["id"]
        p2 = projects.create_project(s, SYSTEM, key="OTH", name="Other project", manager_id=ids["other"])[
            "id"
        ]
        ids["cal"] = calendars.list_calendars(s, SYSTEM, pid)[0]["id"]
        ids["cal2"] = calendars.list_calendars(s, SYSTEM, p2)[0]["id"]
    ids.update(project=pid, p2=p2)
    with TestClient(create_app(db), follow_redirects=False) as client:
        yield client, ids


def finish(db: Database, pid: int) -> datetime:
    with db.uow(readonly=True) as s:
        t = scheduling.get_schedule(s, SYSTEM, pid)["tasks"][0]
    out: datetime = t["finish"]
    return out


def calendar(db: Database, pid: int, cid: int) -> dict[str, Any]:
    with db.uow() as s:
        return next(c for c in calendars.list_calendars(s, SYSTEM, pid) if c["id"] == cid)


def journal_count(db: Database) -> int:
    with db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def edit_form(csrf: str, version: int, **over: str | None) -> dict[str, str]:
    form: dict[str, str | None] = {"csrf_token": csrf, "version": str(version), "name": "Standard", "shifts": "09:00-13:00,14:00-18:00",
            "country": "", "subdiv": "", **{f"day_{i}": "on" for i in range(5)}}  # fmt: skip
    form.update(over)
    return {k: v for k, v in form.items() if v is not None}


def test_list_shows_the_calendars_and_is_linked_from_the_schedule(web, db: Database) -> None:
    client, ids = web
    login(client, "pm")
    pid = ids["project"]
    with db.uow() as s:
        calendars.create_calendar(s, SYSTEM, pid, name="24x7 cut-over", weekdays=list(range(7)), shifts=[[0, 1440]],
                                  country="DE", subdiv="BY")  # fmt: skip
        calendars.add_exception(s, SYSTEM, pid, ids["cal"], day=date(2030, 12, 24), name="Christmas Eve")
    r = client.get(f"/projects/{pid}/calendars")
    assert r.status_code == 200
    no_inline(r.text)
    table = r.text[r.text.index('id="calendars-table"') :]
    row = table[table.index(f'id="cal-{ids["cal"]}"') :]
    row = row[: row.index("</tr>")]
    assert "Standard" in row and "project default" in row and "mon, tue, wed, thu, fri" in row
    assert "09:00-13:00,14:00-18:00" in row and "<td>1</td>" in row and "Christmas Eve" in row
    assert "2030-12-24 off" in row
    assert "24x7 cut-over" in table and "00:00-24:00" in table and "DE-BY" in table
    assert 'id="create-form"' in r.text
    assert f'href="/projects/{pid}/calendars"' in client.get(f"/projects/{pid}/schedule").text
    page = client.get(f"/projects/{pid}/calendars/{ids['cal']}")
    assert page.status_code == 200 and 'id="edit-form"' in page.text and 'id="exception-form"' in page.text
    no_inline(page.text)


def test_create_a_calendar(web, db: Database) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid = ids["project"]
    form: dict[str, str | None] = {"csrf_token": csrf, "name": "Part time", "shifts": "08:00-12:00", "country": "de", "subdiv": "BY",
            "day_0": "on", "day_2": "on"}  # fmt: skip
    r = client.post(f"/projects/{pid}/calendars", data=form)
    assert r.status_code == 303
    new = r.headers["location"]
    assert re.fullmatch(rf"/projects/{pid}/calendars/\d+", new)
    page = client.get(new).text
    assert (
        "Part time" in page and "mon, wed" in page and "08:00-12:00 (4 h a day)" in page and "DE-BY" in page
    )
    cid = int(new.rsplit("/", 1)[1])
    c = calendar(db, pid, cid)
    assert (c["weekdays"], c["shifts"], c["country"], c["is_project_default"]) == (
        [0, 2],
        [[480, 720]],
        "DE",
        False,
    )


def test_working_days_move_the_finish(web, db: Database) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, cid = ids["project"], ids["cal"]
    assert finish(db, pid) == FRI
    form = edit_form(csrf, 1, day_4=None)  # Monday to Thursday: the fifth day is the next Monday
    r = client.post(f"/projects/{pid}/calendars/{cid}", data=form)
    assert r.status_code == 303 and r.headers["location"] == f"/projects/{pid}/calendars/{cid}"
    assert calendar(db, pid, cid)["weekdays"] == [0, 1, 2, 3]
    assert finish(db, pid) == MON
    assert "mon, tue, wed, thu<" in client.get(f"/projects/{pid}/calendars/{cid}").text


def test_a_holiday_moves_the_finish_and_removing_it_moves_it_back(web, db: Database) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, cid = ids["project"], ids["cal"]
    r = client.post(f"/projects/{pid}/calendars/{cid}/exceptions",
                    data={"csrf_token": csrf, "from": "2030-01-09", "name": "Staff day"})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == f"/projects/{pid}/calendars/{cid}#exceptions"
    assert finish(db, pid) == MON
    (exc,) = calendar(db, pid, cid)["exceptions"]
    assert (exc["day"], exc["name"], exc["working"]) == (date(2030, 1, 9), "Staff day", False)
    page = client.get(f"/projects/{pid}/calendars/{cid}").text
    assert "Staff day" in page and "day off" in page
    r = client.post(
        f"/projects/{pid}/calendars/{cid}/exceptions/{exc['id']}/delete", data={"csrf_token": csrf}
    )
    assert r.status_code == 303
    assert calendar(db, pid, cid)["exceptions"] == []
    assert finish(db, pid) == FRI


def test_a_range_of_days_and_an_extra_working_day(web, db: Database) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, cid = ids["project"], ids["cal"]
    r = client.post(f"/projects/{pid}/calendars/{cid}/exceptions",
                    data={"csrf_token": csrf, "from": "2030-01-08", "to": "2030-01-09", "name": "Offsite"})  # fmt: skip
    assert r.status_code == 303
    assert [e["day"] for e in calendar(db, pid, cid)["exceptions"]] == [date(2030, 1, 8), date(2030, 1, 9)]
    assert finish(db, pid) == datetime(2030, 1, 15, 18, 0)
    r = client.post(f"/projects/{pid}/calendars/{cid}/exceptions",
                    data={"csrf_token": csrf, "from": "2030-01-12", "name": "Sat", "working": "on"})  # fmt: skip
    assert r.status_code == 303
    assert finish(db, pid) == MON


def test_a_stale_version_is_409_with_the_input_kept_and_nothing_changed(web, db: Database) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, cid = ids["project"], ids["cal"]
    with db.uow() as s:  # someone else sets the holidays meanwhile (version 1 -> 2)
        calendars.update_calendar(s, SYSTEM, pid, cid, 1, country="FR")
        scheduling.plan_changed(s, pid)
    before = finish(db, pid), journal_count(db)
    r = client.post(
        f"/projects/{pid}/calendars/{cid}", data=edit_form(csrf, 1, name="Mine", shifts="08:00-16:00")
    )
    assert r.status_code == 409
    assert 'id="conflict"' in r.text and "FR" in r.text
    assert 'value="Mine"' in r.text and 'value="08:00-16:00"' in r.text
    assert '<input type="hidden" name="version" value="2">' in r.text  # submit again: over theirs
    c = calendar(db, pid, cid)
    assert (c["name"], c["shifts"], c["country"], c["version"]) == (
        "Standard",
        [[540, 780], [840, 1080]],
        "FR",
        2,
    )
    assert (finish(db, pid), journal_count(db)) == before


@pytest.mark.parametrize(
    ("path", "over", "field", "kept"),
    [
        ("", {"shifts": "9 to 5"}, "shifts", 'value="9 to 5"'),
        ("", {"shifts": "14:00-18:00,09:00-13:00"}, "shifts", 'value="14:00-18:00,09:00-13:00"'),
        ("", {"country": "XX"}, "country", 'value="XX"'),
        ("", {"name": "", "shifts": "08:00-12:00"}, "name", 'value="08:00-12:00"'),
        (
            "",
            {"day_0": "", "day_1": "", "day_2": "", "day_3": "", "day_4": "", "name": "Kept"},
            "weekdays",
            'value="Kept"',
        ),
        ("/exceptions", {"from": "2030-13-01", "name": "Bad"}, "from", 'value="2030-13-01"'),
        ("/exceptions", {"from": "2030-01-09", "to": "2030-01-08", "name": "Back"}, "to", 'value="Back"'),
    ],
)
def test_bad_input_is_422_naming_the_field_with_the_input_kept(
    web, db: Database, path, over, field, kept
) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, cid = ids["project"], ids["cal"]
    before = calendar(db, pid, cid), journal_count(db)
    form = edit_form(csrf, 1, **over) if not path else {"csrf_token": csrf, **over}
    r = client.post(f"/projects/{pid}/calendars/{cid}{path}", data={k: v for k, v in form.items() if v != ""})
    assert r.status_code == 422, r.text
    assert f"({field.capitalize()})" in r.text and kept in r.text
    assert 'aria-invalid="true"' in r.text
    assert (calendar(db, pid, cid), journal_count(db)) == before


def test_create_with_bad_input_is_422_and_writes_nothing(web, db: Database) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid = ids["project"]
    before = journal_count(db)
    r = client.post(f"/projects/{pid}/calendars",
                    data={"csrf_token": csrf, "name": "Night", "shifts": "22:00-06:00", "day_0": "on"})  # fmt: skip
    assert r.status_code == 422 and "(Shifts)" in r.text and 'value="Night"' in r.text
    assert 'value="22:00-06:00"' in r.text
    assert journal_count(db) == before
    with db.uow() as s:
        assert len(calendars.list_calendars(s, SYSTEM, pid)) == 1


def test_a_day_with_an_exception_already_is_409(web, db: Database) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, cid = ids["project"], ids["cal"]
    with db.uow() as s:
        calendars.add_exception(s, SYSTEM, pid, cid, day=date(2030, 1, 9))
    r = client.post(f"/projects/{pid}/calendars/{cid}/exceptions",
                    data={"csrf_token": csrf, "from": "2030-01-08", "to": "2030-01-09", "name": "Twice"})  # fmt: skip
    assert r.status_code == 409 and "already has an exception" in r.text and 'value="Twice"' in r.text
    assert len(calendar(db, pid, cid)["exceptions"]) == 1  # all days or none


@pytest.mark.parametrize("who", ["worker", "observer"])
def test_read_only_members_see_no_forms_and_a_post_is_403(web, db: Database, who: str) -> None:
    client, ids = web
    pid, cid = ids["project"], ids["cal"]
    with db.uow() as s:
        eid = calendars.add_exception(s, SYSTEM, pid, cid, day=date(2030, 1, 9), name="Staff day")[
            "exceptions"
        ][0]["id"]
    csrf = login(client, who)
    lst = client.get(f"/projects/{pid}/calendars")
    assert lst.status_code == 200 and "Standard" in lst.text and 'id="read-only"' in lst.text
    page = client.get(f"/projects/{pid}/calendars/{cid}")
    assert page.status_code == 200 and "Staff day" in page.text
    for text in (lst.text, page.text):
        assert 'method="post"' not in text.replace('action="/logout"', "").split("<main", 1)[1]
    before = calendar(db, pid, cid), journal_count(db)
    for url, form in (
        (f"/projects/{pid}/calendars", {"name": "Mine", "shifts": "09:00-17:00", "day_0": "on"}),
        (f"/projects/{pid}/calendars/{cid}", edit_form(csrf, 1)),
        (f"/projects/{pid}/calendars/{cid}/exceptions", {"from": "2030-01-10"}),
        (f"/projects/{pid}/calendars/{cid}/exceptions/{eid}/delete", {}),
    ):
        r = client.post(url, data={**form, "csrf_token": csrf})
        assert r.status_code == 403, url
    assert (calendar(db, pid, cid), journal_count(db)) == before


def test_another_projects_calendar_is_404(web, db: Database) -> None:
    client, ids = web
    csrf = login(client, "pm")
    pid, other = ids["project"], ids["cal2"]
    with db.uow() as s:
        eid = calendars.add_exception(s, SYSTEM, ids["p2"], other, day=date(2030, 1, 9))["exceptions"][0][
            "id"
        ]
    before = journal_count(db)
    assert client.get(f"/projects/{pid}/calendars/{other}").status_code == 404
    assert client.get(f"/projects/{ids['p2']}/calendars").status_code == 404  # not a member there
    for url, form in (
        (f"/projects/{pid}/calendars/{other}", edit_form(csrf, 1)),
        (f"/projects/{pid}/calendars/{other}/exceptions", {"from": "2030-01-10"}),
        (f"/projects/{pid}/calendars/{other}/exceptions/{eid}/delete", {}),
        (f"/projects/{pid}/calendars/{ids['cal']}/exceptions/{eid}/delete", {}),
    ):
        r = client.post(url, data={**form, "csrf_token": csrf})
        assert r.status_code == 404, url
    assert journal_count(db) == before


def test_a_post_without_csrf_is_refused(web, db: Database) -> None:
    client, ids = web
    login(client, "pm")
    pid, cid = ids["project"], ids["cal"]
    before = journal_count(db)
    form = edit_form("", 1)
    del form["csrf_token"]
    assert client.post(f"/projects/{pid}/calendars/{cid}", data=form).status_code == 403
    r = client.post(f"/projects/{pid}/calendars/{cid}/exceptions", data={"from": "2030-01-09"})
    assert r.status_code == 403
    r = client.post(f"/projects/{pid}/calendars/{cid}", data={**form, "csrf_token": "forged"})
    assert r.status_code == 403
    assert journal_count(db) == before
    assert calendar(db, pid, cid)["version"] == 1


def test_anonymous_is_sent_to_login(web) -> None:
    client, ids = web
    r = client.get(f"/projects/{ids['project']}/calendars")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_the_task_form_puts_a_task_on_a_calendar(web, db: Database) -> None:
    """The task form's Calendar field (MS Project's Task Information > Calendar): on a seven-day calendar ten
    working days from Monday end on the Wednesday after (not the Friday); back on the project's calendar they
    end where they did; another project's calendar is refused naming the field."""
    client, ids = web
    csrf = login(client, "pm")
    pid, tid = ids["project"], ids["task"]
    with db.uow() as s:
        every = calendars.create_calendar(s, SYSTEM, pid, name="Every day", weekdays=list(range(7)))["id"]
        t = tasks.update_task(
            s, SYSTEM, pid, tid, tasks.get_task(s, SYSTEM, pid, tid)["version"], duration="10d"
        )
    page = client.get(f"/projects/{pid}/tasks/{tid}")
    assert page.status_code == 200 and 'name="calendar_id"' in page.text and "Every day" in page.text
    before = finish(db, pid)
    assert before == datetime(2030, 1, 18, 18, 0)  # ten working days Mon-Fri
    form = {"csrf_token": csrf, "version": str(t["version"]), "name": "Build", "duration": "10d",
            "priority": "500", "status": "not_started", "constraint_type": "asap", "calendar_id": str(every)}  # fmt: skip
    r = client.post(f"/projects/{pid}/tasks/{tid}", data=form)
    assert r.status_code == 303, r.text
    with db.uow(readonly=True) as s:
        assert tasks.get_task(s, SYSTEM, pid, tid)["calendar_id"] == every
    assert finish(db, pid) == datetime(2030, 1, 16, 18, 0)  # ten days Monday to Wednesday, weekend included
    page = client.get(f"/projects/{pid}/tasks/{tid}").text
    assert re.search(rf'<option value="{every}" selected>Every day</option>', page)
    # back to the project's calendar; another project's calendar is refused naming the field
    with db.uow(readonly=True) as s:
        form["version"] = str(tasks.get_task(s, SYSTEM, pid, tid)["version"])
    r = client.post(f"/projects/{pid}/tasks/{tid}", data={**form, "calendar_id": str(ids["cal2"])})
    assert r.status_code == 422 and "calendar" in r.text and 'aria-invalid="true"' in r.text
    r = client.post(f"/projects/{pid}/tasks/{tid}", data={**form, "calendar_id": ""})
    assert r.status_code == 303, r.text
    assert finish(db, pid) == before
