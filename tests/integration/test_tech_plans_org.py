"""Update plans for organisation-wide components (the owner or an admin chooses the project that carries the
tasks: service, API, web, CLI, permissions), and an update item that goes back to planned when a step of its
plan is reopened."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select, update

from charter.domain.errors import NotFound, PermissionDenied, ValidationError
from charter.persistence.models import JournalEntry, TechUpdate, User
from charter.services import accounts, tasks, tech, tech_plans, work_packages

STEPS = [{"name": "Assess", "days": 1}, {"name": "Renew", "days": 1}]


def _org_item(seed: Any, owner: str = "pm") -> tuple[dict[str, Any], dict[str, Any]]:
    admin = seed.actor("admin")
    with seed.db.uow() as s:
        c = tech.create_component(s, admin, None, name="Wildcard certificate", kind="certificate",
                                  owner_id=seed.users[owner])  # fmt: skip
        u = tech.create_update(s, admin, c["id"], kind="certificate", title="Expires in March", severity="high",
                               due_on="2030-03-01")  # fmt: skip
    return c, u


def _status(seed: Any, update_id: int) -> str:
    with seed.db.uow(readonly=True) as s:
        u = s.get(TechUpdate, update_id)
        assert u is not None
        return u.status


def _last_journal(seed: Any, update_id: int) -> JournalEntry:
    with seed.db.uow(readonly=True) as s:
        q = (
            select(JournalEntry)
            .where(JournalEntry.entity_type == "tech_update", JournalEntry.entity_id == str(update_id))
            .order_by(JournalEntry.id.desc())
        )
        entry = s.scalars(q).first()
        assert entry is not None
        s.expunge(entry)
        return entry


def _progress(seed: Any, task_id: int, pct: float, who: str = "pm") -> None:
    with seed.db.uow() as s:
        t = tasks.get_task(s, seed.actor(who), seed.p1, task_id)
        tasks.update_task(s, seed.actor(who), seed.p1, task_id, t["version"], percent_complete=pct)


def test_the_owner_plans_an_org_wide_update_in_a_project_they_choose(seed: Any, frozen_clock: Any) -> None:
    _, u = _org_item(seed)
    pm = seed.actor("pm")
    with seed.db.uow(readonly=True) as s:
        p = tech_plans.proposal(s, pm, u["id"])
    assert p["org_wide"] and p["may_plan"] and p["project_id"] is None
    assert [x["key"] for x in p["projects"]] == ["P1"]  # tech.manage in P1 only
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        tech_plans.create_plan(s, pm, u["id"], u["version"], steps=STEPS)
    assert e.value.field == "project_id"
    with pytest.raises(NotFound), seed.db.uow() as s:  # a project the owner cannot see
        tech_plans.create_plan(s, pm, u["id"], u["version"], steps=STEPS, project_id=seed.p2)
    with seed.db.uow() as s:
        out = tech_plans.create_plan(s, pm, u["id"], u["version"], steps=STEPS, project_id=seed.p1)
    assert out["status"] == "planned" and out["project_id"] == seed.p1 and out["org_wide"]
    assert [t["name"] for t in out["tasks"]] == ["Assess", "Renew"]
    assert all(t["assignees"] == [seed.users["pm"]] for t in out["tasks"])
    with seed.db.uow(readonly=True) as s:
        wps = {w["id"]: w["name"] for w in work_packages.list_work_packages(s, pm, seed.p1)}
        assert {wps[t["work_package_id"]] for t in out["tasks"]} == {"Technology updates"}
        assert tech_plans.plan(s, pm, u["id"])["project_id"] == seed.p1
    assert _last_journal(seed, u["id"]).project_id == seed.p1
    for t in out["tasks"]:
        _progress(seed, t["task_id"], 100)
    assert _status(seed, u["id"]) == "done"


def test_only_the_owner_or_an_admin_plans_an_org_wide_update(seed: Any) -> None:
    _, u = _org_item(seed, owner="worker")
    for who in ("pm", "task_leader", "outsider"):  # not the owner: refused even with tech.manage somewhere
        with seed.db.uow(readonly=True) as s:
            assert tech_plans.proposal(s, seed.actor(who), u["id"])["may_plan"] is False
        with pytest.raises(PermissionDenied), seed.db.uow() as s:
            tech_plans.create_plan(s, seed.actor(who), u["id"], u["version"], steps=STEPS, project_id=seed.p1)
    # the owner, without tech.manage in the chosen project, cannot put tasks there
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        tech_plans.create_plan(
            s, seed.actor("worker"), u["id"], u["version"], steps=STEPS, project_id=seed.p1
        )
    assert _status(seed, u["id"]) == "open"
    with seed.db.uow() as s:  # an admin may, in any project
        out = tech_plans.create_plan(s, seed.actor("admin"), u["id"], u["version"], steps=STEPS,
                                     project_id=seed.p2)  # fmt: skip
    assert out["project_id"] == seed.p2


def test_a_project_component_plans_only_in_its_own_project(seed: Any) -> None:
    with seed.db.uow() as s:
        c = tech.create_component(s, seed.actor("pm"), seed.p1, name="Django")
        u = tech.create_update(s, seed.actor("pm"), c["id"], kind="advisory", title="CVE", severity="low")
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        tech_plans.create_plan(s, seed.actor("admin"), u["id"], u["version"], steps=STEPS, project_id=seed.p2)
    assert e.value.field == "project_id"


def test_a_done_item_goes_back_to_planned_when_a_step_is_reopened(seed: Any, frozen_clock: Any) -> None:
    with seed.db.uow() as s:
        c = tech.create_component(s, seed.actor("pm"), seed.p1, name="Postgres", current_version="15")
        u = tech.create_update(s, seed.actor("pm"), c["id"], kind="new_version", title="16", severity="low")
        out = tech_plans.create_plan(s, seed.actor("pm"), u["id"], u["version"], steps=STEPS)
    ids = [t["task_id"] for t in out["tasks"]]
    for i in ids:
        _progress(seed, i, 100)
    assert _status(seed, u["id"]) == "done"
    _progress(seed, ids[1], 60)  # reopened: progress back below 100 %
    assert _status(seed, u["id"]) == "planned"
    entry = _last_journal(seed, u["id"])
    assert entry.changes["status"] == ["done", "planned"] and entry.cause and "reopened" in entry.cause
    _progress(seed, ids[0], 50)  # another step reopened: the item is already back in progress
    assert _status(seed, u["id"]) == "planned"
    _progress(seed, ids[0], 100)
    _progress(seed, ids[1], 100)
    assert _status(seed, u["id"]) == "done"


def test_a_dismissed_item_stays_dismissed_when_a_step_is_reopened(seed: Any) -> None:
    with seed.db.uow() as s:
        c = tech.create_component(s, seed.actor("pm"), seed.p1, name="Redis")
        u = tech.create_update(s, seed.actor("pm"), c["id"], kind="advisory", title="CVE", severity="low")
        out = tech_plans.create_plan(s, seed.actor("pm"), u["id"], u["version"], steps=STEPS[:1])
    _progress(seed, out["tasks"][0]["task_id"], 100)
    with seed.db.uow() as s:  # done by the plan; dismissing a done item is refused, so dismiss a fresh one
        v = s.get(TechUpdate, u["id"])
        assert v is not None and v.status == "done"
        v.status = "dismissed"
    _progress(seed, out["tasks"][0]["task_id"], 10)
    assert _status(seed, u["id"]) == "dismissed"


def test_api_and_cli_take_the_project_of_an_org_wide_plan(
    seed: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, u = _org_item(seed)
    _, u2 = _org_item(seed)
    body = {"version": u["version"], "steps": STEPS, "project_id": seed.p1}
    r = api.post(f"/tech/updates/{u['id']}/plan", headers=seed.headers("task_leader"), json=body)
    assert r.status_code == 403, r.text
    r = api.post(
        f"/tech/updates/{u['id']}/plan", headers=seed.headers("pm"), json={**body, "project_id": None}
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "project_id", r.text
    r = api.get(f"/tech/updates/{u['id']}/plan-template", headers=seed.headers("pm"))
    assert r.status_code == 200 and [x["id"] for x in r.json()["projects"]] == [seed.p1]
    r = api.post(f"/tech/updates/{u['id']}/plan", headers=seed.headers("pm"), json=body)
    assert r.status_code == 201 and r.json()["project_id"] == seed.p1, r.text

    from typer.testing import CliRunner

    from charter.cli.main import app
    from charter.config import get_settings

    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.url)
    monkeypatch.setenv("CHARTER_USER", "pm")
    get_settings.cache_clear()
    runner = CliRunner()
    r = runner.invoke(app, ["tech", "plan", str(u2["id"]), "--json"])
    assert r.exit_code != 0 and "project" in (r.stdout + r.stderr)
    r = runner.invoke(app, ["tech", "plan", str(u2["id"]), "--project", "P1", "--json"])
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert json.loads(r.stdout)["project_id"] == seed.p1


def test_web_component_page_plans_an_org_wide_update_in_a_chosen_project(seed: Any) -> None:
    from fastapi.testclient import TestClient

    from charter.app import create_app

    c, u = _org_item(seed)
    pw = "tech-org-web-password"
    with seed.db.uow() as s:
        s.execute(update(User).values(password_hash=accounts.hash_password(pw)))

    def login(client: TestClient, username: str) -> str:
        client.cookies.clear()
        page = client.get("/login").text
        m = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert m
        r = client.post("/login", data={"username": username.replace("_", "-"), "password": pw, "csrf_token": m.group(1),
                                        "next": "/projects"})  # fmt: skip
        assert r.status_code == 303, r.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/tech/{c['id']}").text)
        assert token
        return token.group(1)

    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        login(client, "task_leader")
        page = client.get(f"/tech/{c['id']}").text
        assert f'id="plan-{u["id"]}-who"' in page and f'id="plan-{u["id"]}-form"' not in page
        csrf = login(client, "pm")
        page = client.get(f"/tech/{c['id']}").text
        assert f'id="plan-{u["id"]}-project"' in page and f'<option value="{seed.p1}"' in page
        form = {"csrf_token": csrf, "version": str(u["version"]), "component_id": str(c["id"]),
                "step_name_1": "Renew", "step_days_1": "1"}  # fmt: skip
        r = client.post(f"/tech/updates/{u['id']}/plan", data=form)
        assert r.status_code == 422 and "choose the project" in r.text  # nothing chosen: said, kept
        assert 'value="Renew"' in r.text
        r = client.post(f"/tech/updates/{u['id']}/plan", data={**form, "project_id": str(seed.p1)})
        assert r.status_code == 303, r.text
        page = client.get(f"/tech/{c['id']}").text
        assert f"/projects/{seed.p1}/tasks/" in page and "Planned in project P1" in page
