"""The phase moves on only at its gate and a project closes only on its checklist.

An edit of the charter (service, API, web form) used to set any phase or the closed status directly, skipping
the gate's criteria (open critical defects, unaccepted deliverables, metrics, reviews) and the closing
checklist. It may still repeat the current phase and status (forms and PUT-like clients send them back)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from charter.app import create_app
from charter.domain.errors import ValidationError
from charter.persistence.models import JournalEntry, User
from charter.services import accounts, projects, quality
from webhelpers import PW, csrf_of, login

World = Any


def test_the_service_refuses_a_phase_jump_and_a_direct_close(seed: World) -> None:
    with seed.db.uow() as s:
        p = projects.get_project(s, seed.actor("pm"), seed.p1)
        with pytest.raises(ValidationError) as phase:
            projects.update_project(s, seed.actor("pm"), seed.p1, p["version"], phase="execution")
        assert phase.value.field == "phase" and "gate" in phase.value.message
        with pytest.raises(ValidationError) as closed:
            projects.update_project(s, seed.actor("admin"), seed.p1, p["version"], status="closed")
        assert closed.value.field == "status" and "checklist" in closed.value.message
        # repeating the current phase and status is no change of either
        same = projects.update_project(
            s, seed.actor("pm"), seed.p1, p["version"], phase=p["phase"], status=p["status"], name="Renamed"
        )
        assert (same["phase"], same["status"], same["name"]) == (p["phase"], p["status"], "Renamed")
    with seed.db.uow() as s:  # the gate still moves the phase on, journaled
        before = projects.get_project(s, seed.actor("pm"), seed.p1)["phase"]
        quality.close_phase(s, seed.actor("pm"), seed.p1)
        after = projects.get_project(s, seed.actor("pm"), seed.p1)["phase"]
        assert (before, after) == ("initiation", "planning")
        rows = s.scalars(select(JournalEntry).where(JournalEntry.entity_type == "project")).all()
        assert any(r.changes.get("phase") == ["initiation", "planning"] for r in rows)


def test_the_api_answers_422_naming_the_field(api: Any, seed: World, as_: Any) -> None:
    url = f"/projects/{seed.p1}"
    p = api.get(url, headers=as_("pm")).json()
    r = api.patch(url, json={"version": p["version"], "phase": "closing"}, headers=as_("pm"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "phase"
    r = api.patch(url, json={"version": p["version"], "status": "closed"}, headers=as_("pm"))
    assert r.status_code == 422 and r.json()["error"]["field"] == "status"
    assert api.get(url, headers=as_("pm")).json()["version"] == p["version"]  # nothing written
    r = api.patch(
        url, json={"version": p["version"], "phase": p["phase"], "status": "on_hold"}, headers=as_("pm")
    )
    assert r.status_code == 200 and r.json()["status"] == "on_hold"


@pytest.fixture
def web(seed: World) -> Iterator[tuple[TestClient, World]]:
    with seed.db.uow() as s:
        s.execute(update(User).values(password_hash=accounts.hash_password(PW)))
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        yield client, seed


def test_the_charter_form_shows_the_phase_and_where_it_moves_on(web: tuple[TestClient, World]) -> None:
    client, w = web
    login(client, "pm")
    page = client.get(f"/projects/{w.p1}").text
    assert 'name="phase"' not in page.split('id="charter"', 1)[1].split("</section>", 1)[0]
    assert f'href="/projects/{w.p1}/quality#lifecycle"' in page
    assert '<option value="closed"' not in page  # closing is the closure page's
    form = {"csrf_token": csrf_of(page), "version": "1", "name": "Typed name", "status": "closed"}
    r = client.post(f"/projects/{w.p1}/charter", data=form)
    assert r.status_code == 422
    assert "closure checklist" in r.text or "Closure page" in r.text
    assert 'value="Typed name"' in r.text  # what the user typed is kept
    # a hand-made post with a phase is refused the same way
    r = client.post(f"/projects/{w.p1}/charter", data={**form, "status": "active", "phase": "execution"})
    assert r.status_code in (200, 303)  # phase is not a field of the form: ignored, the rest saved
    with w.db.uow() as s:
        p = projects.get_project(s, w.actor("pm"), w.p1)
    assert (p["phase"], p["name"]) == ("initiation", "Typed name")
    quality_page = client.get(f"/projects/{w.p1}/quality").text
    assert 'id="lifecycle"' in quality_page
