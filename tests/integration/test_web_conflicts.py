"""The conflict-log pages over HTTP: a worker logs a conflict through the form (typed input kept on error),
the Task Leader sees it with its rung and time left, escalates it, the PM resolves it with an approach and an
outcome; the PM runs "detect now" and sets the ladder's limits; an occurred risk and a concern are logged as
conflicts from their pages; the observer never sees a people conflict; the desk lists what awaits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.persistence.db import Database
from charter.services import accounts, conflicts, risk, stakeholders
from webhelpers import PW, login


@pytest.fixture
def web(db: Database, seed: Any, frozen_clock: Any) -> Iterator[TestClient]:
    admin = seed.actor("admin")
    with db.uow() as s:
        for name in ("pm", "task_leader", "worker", "observer", "sponsor"):
            u = accounts.get_user(s, admin, seed.users[name])
            accounts.update_user(s, admin, u["id"], u["version"], password=PW)
    with TestClient(create_app(db), follow_redirects=False) as client:
        yield client


def test_raise_escalate_resolve_through_the_pages(web: TestClient, seed: Any) -> None:
    p = seed.p1
    token = login(web, "worker")
    assert "/conflicts" in web.get(f"/projects/{p}").text  # linked in the project's navigation
    bad = web.post(f"/projects/{p}/conflicts", data={"csrf_token": token, "title": "Lab bench time",
                   "kind": "gossip", "description": "Both teams booked it", "work_package_id": str(seed.wp_a)})  # fmt: skip
    assert bad.status_code == 422 and "Lab bench time" in bad.text and "Both teams booked it" in bad.text
    assert 'aria-invalid="true"' in bad.text
    r = web.post(f"/projects/{p}/conflicts", data={"csrf_token": token, "title": "Lab bench time", "kind": "resource",
                 "severity": "high", "work_package_id": str(seed.wp_a), "party_label": "Facilities"})  # fmt: skip
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    token = login(web, "task-leader")
    page = web.get(f"/projects/{p}/conflicts").text
    assert "Lab bench time" in page and "Task Leader" in page and "3d 0h" in page
    assert 'id="pm-tools"' not in page
    one = web.get(url).text
    assert "Facilities" in one and 'aria-current="step">Task Leader' in one
    version = re.search(r'name="version" value="(\d+)"', one).group(1)  # type: ignore[union-attr]
    r = web.post(url + "/escalate", data={"csrf_token": token, "version": version, "reason": "Needs the PM"})
    assert r.status_code == 303
    token = login(web, "pm")
    one = web.get(url).text
    assert 'aria-current="step">Project Manager' in one
    version = re.search(r'name="version" value="(\d+)"', one).group(1)  # type: ignore[union-attr]
    bad = web.post(url + "/resolve", data={"csrf_token": token, "version": version, "outcome": "Rota agreed"})
    assert bad.status_code == 422 and "Rota agreed" in bad.text
    r = web.post(url + "/resolve", data={"csrf_token": token, "version": version, "approach": "collaborate",
                                         "outcome": "Rota agreed"})  # fmt: skip
    assert r.status_code == 303
    one = web.get(url).text
    assert "Rota agreed" in one and "Collaborate" in one and 'id="reopen-form"' in one and "Escalate" in one


def test_pm_tools_and_conversions(web: TestClient, seed: Any) -> None:
    p = seed.p1
    token = login(web, "pm")
    page = web.get(f"/projects/{p}/conflicts").text
    assert 'id="detect-form"' in page and 'id="policy-form"' in page
    assert web.post(f"/projects/{p}/conflicts/detect", data={"csrf_token": token}).status_code == 303
    bad = web.post(f"/projects/{p}/conflict-policy", data={"csrf_token": token, "version": "1",
                   "task_leader_hours": "0", "pm_hours": "48"})  # fmt: skip
    assert bad.status_code == 422 and 'value="48"' in bad.text
    ok = web.post(f"/projects/{p}/conflict-policy", data={"csrf_token": token, "version": "1",
                  "task_leader_hours": "24", "pm_hours": "48"})  # fmt: skip
    assert ok.status_code == 303 and "Task Leader (24 h)" in web.get(f"/projects/{p}/conflicts").text
    with seed.db.uow() as s:
        r = risk.create_risk(s, seed.actor("pm"), p, title="Vendor goes bust")
        risk.set_status(s, seed.actor("pm"), p, r["id"], r["version"], "occurred", note="It did")
        con = stakeholders.raise_concern(s, seed.actor("stakeholder"), p, subject="Who gets March?",
                                         areas=["schedule"])  # fmt: skip
    assert 'id="to-conflict"' in web.get(f"/projects/{p}/risks/{r['id']}").text
    made = web.post(f"/projects/{p}/risks/{r['id']}/conflict", data={"csrf_token": token})
    assert made.status_code == 303 and "/conflicts/" in made.headers["location"]
    assert "R-1" in web.get(made.headers["location"]).text
    made = web.post(f"/projects/{p}/concerns/{con['id']}/conflict", data={"csrf_token": token})
    assert made.status_code == 303 and "/conflicts/" in made.headers["location"]
    assert "Who gets March?" in web.get(made.headers["location"]).text
    desk = web.get("/me/desk").text if web.get("/me/desk").status_code == 200 else web.get("/desk").text
    assert "Conflicts awaiting you" in desk


def test_the_observer_never_sees_a_people_conflict(web: TestClient, seed: Any) -> None:
    with seed.db.uow() as s:
        c = conflicts.raise_conflict(s, seed.actor("pm"), seed.p1, title="Alice and Bob", kind="people")
    login(web, "observer")
    assert "Alice and Bob" not in web.get(f"/projects/{seed.p1}/conflicts").text
    assert web.get(f"/projects/{seed.p1}/conflicts/{c['id']}").status_code == 404
    login(web, "sponsor")
    assert "Alice and Bob" in web.get(f"/projects/{seed.p1}/conflicts/{c['id']}").text


def test_the_raiser_of_a_concern_sees_it_became_a_conflict(web: TestClient, seed: Any) -> None:
    with seed.db.uow() as s:
        con = stakeholders.raise_concern(s, seed.actor("worker"), seed.p1, subject="Two teams, one lab",
                                         areas=["schedule"])  # fmt: skip
        c = conflicts.from_concern(s, seed.actor("pm"), seed.p1, con["id"])
    login(web, "worker")
    page = web.get(f"/projects/{seed.p1}/concerns").text
    assert f"/conflicts/{c['id']}" in page and c["ref"] in page
    assert web.get(f"/projects/{seed.p1}/conflicts/{c['id']}").status_code == 200  # a party to it
