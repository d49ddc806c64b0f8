"""Action items of a meeting go where the organiser may add tasks.

An action item becomes a task. A Task Leader who organises a meeting adds them to a work package they lead
(the web form offers exactly the places the organiser's roles add tasks to); someone whose roles add tasks
nowhere is told so instead of getting a form that always fails. A refused form keeps what was typed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from charter.app import create_app
from charter.domain.errors import ValidationError
from charter.persistence.models import User
from charter.services import accounts, meetings, tasks
from webhelpers import PW, csrf_of, login

World = Any
AT = datetime(2030, 1, 8, 10, 0, tzinfo=UTC)


def _meeting(w: World, organiser: str) -> int:
    with w.db.uow() as s:
        m = meetings.create_meeting(s, w.actor(organiser), w.p1, title=f"{organiser}'s sync", starts_at=AT,
                                    ends_at=AT + timedelta(hours=1), attendee_ids=[w.users["worker"]])  # fmt: skip
    return int(m["id"])


def test_targets_follow_the_roles_and_a_task_leader_adds_to_their_package(seed: World) -> None:
    w = seed
    with w.db.uow(readonly=True) as s:
        pm = meetings.action_targets(s, w.actor("pm"), w.p1)
        tl = meetings.action_targets(s, w.actor("task_leader"), w.p1)
        stakeholder = meetings.action_targets(s, w.actor("stakeholder"), w.p1)
    assert pm[0] == {"id": None, "label": "Project level"} and {w.wp_a, w.wp_b} <= {t["id"] for t in pm}
    assert {t["id"] for t in tl} == {w.wp_a, w.wp_a1}  # WP-A and its sub-package; not WP-B, not project level
    assert stakeholder == []
    mid = _meeting(w, "task_leader")
    with w.db.uow() as s:
        with pytest.raises(ValidationError) as none:  # project level is not the TL's
            meetings.add_action(s, w.actor("task_leader"), w.p1, mid, text="Fix the build",
                                owner_id=w.users["worker"], due_on=date(2030, 1, 10))  # fmt: skip
        assert none.value.field == "work_package_id" and "choose a work package" in none.value.message
        with pytest.raises(ValidationError) as other:  # another leader's package
            meetings.add_action(s, w.actor("task_leader"), w.p1, mid, text="Fix the build",
                                owner_id=w.users["worker"], due_on=date(2030, 1, 10), work_package_id=w.wp_b)  # fmt: skip
        assert other.value.field == "work_package_id"
        with pytest.raises(ValidationError) as foreign:  # a package of another project reads as not found
            meetings.add_action(s, w.actor("task_leader"), w.p1, mid, text="Fix the build",
                                owner_id=w.users["worker"], due_on=date(2030, 1, 10), work_package_id=w.wp_p2)  # fmt: skip
        assert "not found in this project" in foreign.value.message
    with w.db.uow() as s:
        m = meetings.add_action(s, w.actor("task_leader"), w.p1, mid, text="Fix the build",
                                owner_id=w.users["worker"], due_on=date(2030, 1, 10), work_package_id=w.wp_a)  # fmt: skip
        (action,) = m["actions"]
        t = tasks.get_task(s, w.actor("task_leader"), w.p1, action["task_id"])
    assert t["work_package_id"] == w.wp_a and t["name"] == "Fix the build"


@pytest.fixture
def web(seed: World) -> Iterator[tuple[TestClient, World]]:
    with seed.db.uow() as s:
        s.execute(update(User).values(password_hash=accounts.hash_password(PW)))
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        yield client, seed


def test_the_web_form_offers_the_leaders_packages_and_keeps_what_was_typed(
    web: tuple[TestClient, World],
) -> None:
    client, w = web
    mid = _meeting(w, "task_leader")
    url = f"/projects/{w.p1}/meetings/{mid}"
    login(client, "task-leader")
    page = client.get(url).text
    form_html = page.split('id="ac-wp"', 1)[1].split("</select>", 1)[0]
    assert f'value="{w.wp_a}"' in form_html and f'value="{w.wp_b}"' not in form_html
    assert "Project level" not in form_html
    typed = {"csrf_token": csrf_of(page), "text": "Typed action", "owner_id": str(w.users["worker"]),
             "due_on": "2030-01-01", "work_package_id": str(w.wp_a)}  # fmt: skip
    r = client.post(url + "/actions", data=typed)  # due before the meeting
    assert r.status_code == 422
    assert 'value="Typed action"' in r.text and 'value="2030-01-01"' in r.text
    assert f'<option value="{w.wp_a}" selected>' in r.text
    r = client.post(url + "/actions", data={**typed, "due_on": "2030-01-10", "duration": "soon"})
    assert r.status_code == 422 and 'value="soon"' in r.text  # a duration that does not parse, kept
    r = client.post(url + "/actions", data={**typed, "due_on": "2030-01-10", "duration": "3d"})
    assert r.status_code == 303
    with w.db.uow(readonly=True) as s:
        (action,) = meetings.get_meeting(s, w.actor("task_leader"), w.p1, mid)["actions"]
        t = tasks.get_task(s, w.actor("pm"), w.p1, action["task_id"])
        assert t["work_package_id"] == w.wp_a and t["duration_days"] == 3


def test_an_organiser_who_adds_tasks_nowhere_is_told_so(web: tuple[TestClient, World]) -> None:
    client, w = web
    mid = _meeting(w, "stakeholder")
    login(client, "stakeholder")
    page = client.get(f"/projects/{w.p1}/meetings/{mid}").text
    assert 'id="no-actions"' in page and 'id="ac-wp"' not in page
    assert 'id="mi-text"' in page  # the organiser still keeps the minutes
