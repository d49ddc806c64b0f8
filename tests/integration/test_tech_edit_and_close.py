"""Editing a component (service, API, web form with version and 409, CLI) and closing update items: done by
itself when every step of its plan completes, done or dismissed by hand with a note (service, API, web, CLI);
the on-demand due-date check refused to non-admins in the service."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from charter.app import create_app
from charter.config import get_settings
from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from charter.persistence.models import JournalEntry, TechComponent, TechUpdate, User
from charter.services import accounts, tasks, tech, tech_plans

PW = "tech-edit-test-password"


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def login(client: TestClient, username: str) -> str:
    client.cookies.clear()
    page = client.get("/login")
    r = client.post("/login", data={"username": username, "password": PW, "csrf_token": csrf_of(page.text),
                                    "next": "/projects"})  # fmt: skip
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/projects").text)


def no_inline(html: str) -> None:
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"


def _item(seed: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    with seed.db.uow() as s:
        c = tech.create_component(s, seed.actor("pm"), seed.p1, name="Django", current_version="4.2",
                                  release_date="2023-04-03", owner_id=seed.users["task_leader"])  # fmt: skip
        u = tech.create_update(
            s, seed.actor("pm"), c["id"], kind="advisory", title="CVE-2030-1", severity="high"
        )
    return c, u


def _status(seed: Any, update_id: int) -> str:
    with seed.db.uow(readonly=True) as s:
        u = s.get(TechUpdate, update_id)
        assert u is not None
        return u.status


def _complete(seed: Any, who: str, task_id: int) -> None:
    with seed.db.uow() as s:
        t = tasks.get_task(s, seed.actor(who), seed.p1, task_id)
        tasks.update_task(s, seed.actor(who), seed.p1, task_id, t["version"], percent_complete=100)


def test_item_becomes_done_when_every_step_of_its_plan_completes(seed: Any, frozen_clock: Any) -> None:
    _, u = _item(seed)
    steps = [{"name": "Assess", "days": 1}, {"name": "Patch", "days": 1}, {"name": "Verify", "days": 1}]
    with seed.db.uow() as s:
        out = tech_plans.create_plan(s, seed.actor("pm"), u["id"], u["version"], steps=steps)
    ids = [t["task_id"] for t in out["tasks"]]
    _complete(seed, "pm", ids[0])
    _complete(seed, "pm", ids[2])
    assert _status(seed, u["id"]) == "planned"  # one step still open
    _complete(seed, "pm", ids[1])
    assert _status(seed, u["id"]) == "done"
    with seed.db.uow(readonly=True) as s:
        p = tech_plans.plan(s, seed.actor("pm"), u["id"])
        entry = s.scalars(select(JournalEntry).where(JournalEntry.entity_type == "tech_update",
                                                     JournalEntry.entity_id == str(u["id"]))
                          .order_by(JournalEntry.id.desc())).first()  # fmt: skip
        assert entry is not None and entry.changes["status"] == ["planned", "done"]
        assert entry.cause and "plan" in entry.cause
    assert p["done"] and p["status"] == "done"
    # a done item is not planned again nor closed again by hand
    with seed.db.uow() as s, pytest.raises(Conflict):
        tech.set_update_status(s, seed.actor("pm"), u["id"], p["version"], "done")


def test_mark_done_or_dismissed_by_hand_with_a_note(seed: Any) -> None:
    _, u = _item(seed)
    pm = seed.actor("pm")
    with seed.db.uow() as s, pytest.raises(ValidationError) as e:
        tech.set_update_status(s, pm, u["id"], u["version"], "dismissed", "  ")
    assert e.value.field == "note"
    with seed.db.uow() as s, pytest.raises(ValidationError) as e:
        tech.set_update_status(s, pm, u["id"], u["version"], "open")
    assert e.value.field == "status"
    with seed.db.uow() as s, pytest.raises(PermissionDenied):
        tech.set_update_status(s, seed.actor("worker"), u["id"], u["version"], "done")
    with seed.db.uow() as s, pytest.raises(NotFound):
        tech.set_update_status(s, seed.actor("outsider"), u["id"], u["version"], "done")
    with seed.db.uow() as s, pytest.raises(Conflict) as c:
        tech.set_update_status(s, pm, u["id"], u["version"] + 1, "done")
    assert c.value.current is not None and c.value.current["status"] == "open"
    assert _status(seed, u["id"]) == "open"
    with seed.db.uow() as s:
        out = tech.set_update_status(s, pm, u["id"], u["version"], "dismissed", "we do not use the admin")
    assert out["status"] == "dismissed" and out["version"] == u["version"] + 1
    with seed.db.uow(readonly=True) as s:
        entry = s.scalars(select(JournalEntry).where(JournalEntry.entity_type == "tech_update")
                          .order_by(JournalEntry.id.desc())).first()  # fmt: skip
        assert entry is not None and entry.changes["note"] == [None, "we do not use the admin"]
        assert entry.actor_id == seed.users["pm"]


def test_the_on_demand_due_check_is_for_admins_in_the_service(seed: Any) -> None:
    with seed.db.uow() as s, pytest.raises(PermissionDenied):
        tech.run_due_check(s, seed.actor("pm"))
    with seed.db.uow() as s:
        assert tech.run_due_check(s, seed.actor("admin")) == []


def test_api_patch_component_and_close_item(api: Any, as_: Any, seed: Any) -> None:
    c, u = _item(seed)
    h = as_("pm")
    r = api.patch(
        f"/tech/components/{c['id']}", headers=h, json={"version": c["version"], "eol_date": "2020-01-01"}
    )
    assert r.status_code == 422 and "eol_date" in r.text
    r = api.patch(f"/tech/components/{c['id']}", headers=h, json={"version": c["version"], "current_version": "5.0",
                                                                  "systems": ["CRM"]})  # fmt: skip
    assert r.status_code == 200 and r.json()["current_version"] == "5.0" and r.json()["systems"] == ["CRM"]
    url = f"/tech/updates/{u['id']}/status"
    assert (
        api.post(url, headers=h, json={"version": u["version"], "status": "done", "id": 3}).status_code == 422
    )
    assert api.post(url, headers=h, json={"version": u["version"], "status": "open"}).status_code == 422
    assert (
        api.post(url, headers=as_("worker"), json={"version": u["version"], "status": "done"}).status_code
        == 403
    )
    assert (
        api.post(url, headers=as_("outsider"), json={"version": u["version"], "status": "done"}).status_code
        == 404
    )
    r = api.post(
        url, headers=h, json={"version": u["version"], "status": "done", "note": "patched by the vendor"}
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    r = api.post(url, headers=h, json={"version": u["version"], "status": "done"})
    assert r.status_code == 409
    assert api.post("/tech/due", headers=as_("pm")).status_code == 403
    assert api.post("/tech/due", headers=as_("admin")).status_code == 200


@pytest.fixture
def web(seed: Any) -> Any:
    with seed.db.uow() as s:
        s.execute(update(User).values(password_hash=accounts.hash_password(PW)))
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        yield client, seed


def test_edit_form_saves_keeps_typed_input_and_shows_the_current_state_on_409(web: Any) -> None:
    client, w = web
    c, u = _item(w)
    token = login(client, "pm")
    url = f"/tech/{c['id']}"
    page = client.get(url)
    assert page.status_code == 200 and 'id="edit-form"' in page.text and f"status-{u['id']}-form" in page.text
    no_inline(page.text)
    form = {"csrf_token": token, "version": str(c["version"]), "name": "Django", "kind": "library",
            "vendor": "DSF", "current_version": "5.0", "licence": "BSD-3-Clause", "release_date": "2023-04-03",
            "support_end": "2026-04-01", "eol_date": "2020-01-01", "owner_id": str(w.users["worker"]),
            "systems": "CRM\nIntranet, Shop", "departments": "Sales"}  # fmt: skip
    bad = client.post(f"{url}/edit", data=form)
    assert bad.status_code == 422 and "eol_date" in bad.text and 'value="DSF"' in bad.text
    assert client.post(f"{url}/edit", data={**form, "csrf_token": "forged"}).status_code == 403
    form["eol_date"] = "2027-04-01"
    r = client.post(f"{url}/edit", data=form)
    assert r.status_code == 303, r.text
    with w.db.uow(readonly=True) as s:
        row = s.get(TechComponent, c["id"])
        assert row is not None
        assert (row.kind, row.vendor, row.current_version, row.owner_id) == ("library", "DSF", "5.0",
                                                                              w.users["worker"])  # fmt: skip
        assert row.systems == ["CRM", "Intranet", "Shop"] and row.departments == ["Sales"]
        assert str(row.eol_date) == "2027-04-01"
        current = row.version
    # someone else saved meanwhile: the stale form is refused, the page shows the current state and the typed input
    stale = client.post(f"{url}/edit", data={**form, "current_version": "5.1"})
    assert stale.status_code == 409
    assert "current state" in stale.text and 'value="5.1"' in stale.text
    assert "<dd>DSF</dd>" in stale.text and f'name="version" value="{current}"' in stale.text
    again = client.post(f"{url}/edit", data={**form, "csrf_token": csrf_of(stale.text), "version": str(current),
                                             "current_version": "5.1"})  # fmt: skip
    assert again.status_code == 303
    assert 'class="error"' not in client.get(url).text


def test_item_buttons_mark_done_and_dismiss(web: Any) -> None:
    client, w = web
    c, u = _item(w)
    token = login(client, "pm")
    data = {
        "csrf_token": token,
        "version": str(u["version"]),
        "component_id": str(c["id"]),
        "status": "dismissed",
    }
    bad = client.post(f"/tech/updates/{u['id']}/status", data={**data, "note": ""})
    assert bad.status_code == 422 and "dismissed" in bad.text
    r = client.post(
        f"/tech/updates/{u['id']}/status", data={**data, "status": "done", "note": "vendor patched"}
    )
    assert r.status_code == 303
    assert _status(w, u["id"]) == "done"
    page = client.get(f"/tech/{c['id']}")
    assert f"status-{u['id']}-form" not in page.text and "<strong>done</strong>" in page.text
    login(client, "worker")
    token = csrf_of(client.get(f"/tech/{c['id']}").text)
    with w.db.uow() as s:
        u2 = tech.create_update(s, w.actor("pm"), c["id"], kind="new_version", title="5.1")
    r = client.post(f"/tech/updates/{u2['id']}/status", data={**data, "csrf_token": token, "version": "1",
                                                              "status": "done"})  # fmt: skip
    assert r.status_code == 403 and _status(w, u2["id"]) == "open"


def test_cli_edit_and_resolve(seed: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from charter.cli.main import app

    c, u = _item(seed)
    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.url)
    monkeypatch.setenv("CHARTER_USER", "pm")
    get_settings.cache_clear()
    runner = CliRunner()
    r = runner.invoke(app, ["tech", "edit", "--help"])
    assert r.exit_code == 0 and "--eol" in r.stdout
    r = runner.invoke(app, ["tech", "edit", str(c["id"]), "--eol", "2001-01-01"])
    assert r.exit_code != 0 and "eol_date" in r.stderr
    r = runner.invoke(app, ["tech", "edit", str(c["id"]), "--current-version", "5.0", "--systems", "CRM, Shop",
                            "--owner", "", "--json"])  # fmt: skip
    assert r.exit_code == 0, (r.stdout, r.stderr)
    out = json.loads(r.stdout)
    assert out["current_version"] == "5.0" and out["systems"] == ["CRM", "Shop"] and out["owner_id"] is None
    r = runner.invoke(app, ["tech", "resolve", str(u["id"]), "--dismiss"])
    assert r.exit_code != 0 and "dismissed" in r.stderr
    r = runner.invoke(app, ["tech", "resolve", str(u["id"]), "--dismiss", "--note", "not exposed"])
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert _status(seed, u["id"]) == "dismissed"
