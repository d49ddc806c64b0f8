"""The technology, closure and lessons pages over HTTP: import (refused whole, naming each problem), add a
component, record an update item and turn it into an edited plan, the closing checklist with hand-over and a
refused closure, lessons across projects; CSRF on every form, no inline styles or scripts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from charter.app import create_app
from charter.persistence.models import TechComponent, TechUpdate, TechUpdateTask, User
from charter.services import accounts
from webhelpers import PW, csrf_of, login, no_inline


@pytest.fixture
def web(seed: Any) -> Iterator[tuple[TestClient, Any]]:
    with seed.db.uow() as s:
        s.execute(update(User).values(password_hash=accounts.hash_password(PW)))
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        yield client, seed


BOM = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
    {"type": "library", "name": "requests", "version": "2.31.0", "licenses": [{"license": {"id": "Apache-2.0"}}]},
    {"type": "gizmo", "name": "odd"}]}  # fmt: skip


def test_import_add_update_and_plan_through_the_pages(web: tuple[TestClient, Any]) -> None:
    client, w = web
    token = login(client, "pm")
    page = client.get(f"/tech?project={w.p1}")
    assert page.status_code == 200 and "import-form" in page.text
    no_inline(page.text)
    bad = client.post("/tech/import", data={"csrf_token": token, "project_id": str(w.p1)},
                      files={"file": ("bom.json", json.dumps(BOM).encode(), "application/json")})  # fmt: skip
    assert bad.status_code == 422 and "components[1]" in bad.text and "import-problems" in bad.text
    with w.db.uow(readonly=True) as s:
        assert s.scalars(select(TechComponent)).all() == []
    BOM["components"].pop()
    ok = client.post("/tech/import", data={"csrf_token": token, "project_id": str(w.p1)},
                     files={"file": ("bom.json", json.dumps(BOM).encode(), "application/json")})  # fmt: skip
    assert ok.status_code == 303 and "requests" in client.get(ok.headers["location"]).text

    refused = client.post("/tech/components", data={"csrf_token": token, "project_id": str(w.p1), "name": "Node",
                                                    "release_date": "2024-01-01", "eol_date": "2023-01-01"})  # fmt: skip
    assert refused.status_code == 422 and 'value="Node"' in refused.text  # re-rendered with what was typed
    r = client.post("/tech/components", data={"csrf_token": token, "project_id": str(w.p1), "name": "Node",
                                              "kind": "platform", "current_version": "18",
                                              "owner_id": str(w.users["task_leader"])})  # fmt: skip
    assert r.status_code == 303
    url = r.headers["location"]
    cid = int(url.rsplit("/", 1)[1])
    r = client.post(f"{url}/updates", data={"csrf_token": token, "kind": "end_of_life", "title": "Node 18 EOL",
                                            "severity": "high", "due_on": "2030-04-30"})  # fmt: skip
    assert r.status_code == 303
    page = client.get(url)
    no_inline(page.text)
    with w.db.uow(readonly=True) as s:
        uid = s.scalars(select(TechUpdate.id).where(TechUpdate.component_id == cid)).one()
    assert f"plan-{uid}-form" in page.text and "Choose the replacement or upgrade path: Node 18" in page.text
    form = {"csrf_token": token, "version": "1", "component_id": str(cid), "step_name_1": "Pick Node 22",
            "step_days_1": "2", "step_name_2": "Staging", "step_days_2": "x"}  # fmt: skip
    bad = client.post(f"/tech/updates/{uid}/plan", data=form)
    assert bad.status_code == 422 and 'value="Pick Node 22"' in bad.text
    form.update(step_days_2="3", step_name_3="Production", step_days_3="1")
    assert client.post(f"/tech/updates/{uid}/plan", data={**form, "csrf_token": "forged"}).status_code == 403
    r = client.post(f"/tech/updates/{uid}/plan", data=form)
    assert r.status_code == 303, r.text
    page = client.get(url)
    assert f'id="plan-{uid}"' in page.text and "Pick Node 22" in page.text and "Production" in page.text
    with w.db.uow(readonly=True) as s:
        assert len(s.scalars(select(TechUpdateTask).where(TechUpdateTask.update_id == uid)).all()) == 3


def test_closure_page_refuses_closure_hands_over_and_records_lessons(web: tuple[TestClient, Any]) -> None:
    client, w = web
    token = login(client, "pm")
    page = client.get(f"/projects/{w.p1}/closure")
    assert page.status_code == 200 and "closure-checklist" in page.text
    no_inline(page.text)
    r = client.post(f"/projects/{w.p1}/close", data={"csrf_token": token})
    assert r.status_code == 409 and "Roles released" in r.text
    r = client.post(
        f"/projects/{w.p1}/tech/handover", data={"csrf_token": token, "owner_id": str(w.users["sponsor"])}
    )
    assert r.status_code == 303
    r = client.post(f"/projects/{w.p1}/lessons", data={"csrf_token": token, "title": "", "body": "typed"})
    assert r.status_code == 422 and "typed" in r.text
    r = client.post(f"/projects/{w.p1}/lessons", data={"csrf_token": token, "title": "Order licences early",
                                                       "category": "procurement"})  # fmt: skip
    assert r.status_code == 303
    assert "Order licences early" in client.get("/lessons?q=licences").text
    login(client, "outsider")
    assert "Order licences early" not in client.get("/lessons?q=licences").text
    assert client.get(f"/projects/{w.p1}/closure").status_code == 404


def test_people_land_on_their_desk_when_they_hold_a_role(web: tuple[TestClient, Any]) -> None:
    client, _ = web
    client.cookies.clear()
    page = client.get("/login")
    r = client.post("/login", data={"username": "worker", "password": PW, "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert client.get("/").headers["location"] == "/desk"
    assert "Your desk" in client.get("/desk").text
    login(client, "admin")  # holds no role: the project list
    assert client.get("/").headers["location"] == "/projects"


def test_every_desk_and_search_link_opens_and_the_stakeholder_raises_in_one_step(
    web: tuple[TestClient, Any],
) -> None:
    client, w = web
    from charter.services import comms, tech

    with w.db.uow() as s:
        comms.send(s, w.actor("pm"), w.p1, to="user", to_user_id=w.users["task_leader"], subject="Quoll handover",
                   body="quoll runbook")  # fmt: skip
        tech.create_component(s, w.actor("pm"), w.p1, name="Quoll gateway")
    for who in ("pm", "task-leader", "stakeholder", "liaison", "sponsor", "worker"):
        login(client, who)
        page = client.get("/desk")
        assert page.status_code == 200, who
        no_inline(page.text)
        links = set(re.findall(r'href="(/[^"#]*)', page.text)) - {"/logout"}
        for link in sorted(links):
            assert client.get(link).status_code == 200, (who, link)
    login(client, "task-leader")
    from charter.services import search

    with w.db.uow(readonly=True) as s:
        hits = search.search(s, w.actor("task_leader"), "quoll")["results"]
    assert {h["kind"] for h in hits} >= {"message", "component"}
    for h in hits:
        assert client.get(h["link"]).status_code == 200, h
    token = login(client, "stakeholder")
    page = client.get("/desk")
    assert "desk-P1-raise" in page.text
    r = client.post(f"/projects/{w.p1}/concerns", data={"csrf_token": token, "subject": "Training too early",
                                                         "area": "schedule", "body": "before go-live"})  # fmt: skip
    assert r.status_code == 303
    assert "Training too early" in client.get("/desk").text
