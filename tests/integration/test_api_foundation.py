"""The JSON API's foundation: error shape, mass assignment, optimistic concurrency, projects, roles and
their history, gaps, soft delete, the journal, API tokens and login throttling."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from charter.config import get_settings
from charter.domain.roles import OBSERVER, PM, SPONSOR, TASK_WORKER, Area
from charter.persistence.models import JournalEntry, Project, User
from charter.services import accounts
from webhelpers import csrf_of, signed_in

PASSWORD = "correct horse battery"


def journal_count(db: Any) -> int:
    with db.uow(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(JournalEntry)) or 0


def assert_error(r: Any, status: int, code: str | None = None, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert {"code", "message", "field"} <= set(err), err
    assert isinstance(err["message"], str) and err["message"]
    if code is not None:
        assert err["code"] == code, err
    if field is not None:
        assert err["field"] == field, err
    return err


# --------------------------------------------------------------------------------------------- errors


def test_error_shape_for_each_status(api: Any, seed: Any, as_: Any) -> None:
    p1 = f"/projects/{seed.p1}"
    r = api.post("/projects", content=b"{not json", headers={**as_("pm"), "Content-Type": "application/json"})
    assert_error(r, 400, "bad_request")
    assert_error(api.get(p1), 401, "not_authenticated")
    assert api.get(p1).headers["WWW-Authenticate"] == "Bearer"
    assert_error(api.patch(p1, json={"version": 1, "name": "x"}, headers=as_("worker")), 403, "forbidden")
    assert_error(api.get("/projects/999999", headers=as_("pm")), 404, "not_found")
    assert_error(
        api.post("/projects", json={"key": "P1", "name": "Dup"}, headers=as_("pm")), 409, "conflict", "key"
    )
    assert_error(
        api.post("/projects", json={"key": "X", "name": "Short"}, headers=as_("pm")), 422, "invalid", "key"
    )
    assert_error(api.get("/no-such-endpoint", headers=as_("pm")), 404, "not_found")


def test_a_bad_token_is_401(api: Any, seed: Any) -> None:
    for header in ("Bearer chr_nonsense", "Bearer ", "Basic dXNlcjpwYXNz"):
        r = api.get("/me", headers={"Authorization": header})
        assert_error(r, 401)


# --------------------------------------------------------------------------------------------- mass assignment


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/projects", {"key": "NEW", "name": "N", "id": 77}, "id"),
        ("POST", "/projects", {"key": "NEW", "name": "N", "version": 5}, "version"),
        ("POST", "/projects", {"key": "NEW", "name": "N", "is_admin": True}, "is_admin"),
        ("POST", "/projects", {"key": "NEW", "name": "N", "deleted_at": None}, "deleted_at"),
        ("PATCH", "/projects/{p1}", {"version": 1, "deleted_at": None}, "deleted_at"),
        ("PATCH", "/projects/{p1}", {"version": 1, "key": "HIJACK"}, "key"),
        ("PATCH", "/projects/{p1}", {"version": 1, "created_by": 1}, "created_by"),
        ("POST", "/projects/{p1}/assignments", {"role_id": 1, "user_id": 1, "created_by": 1}, "created_by"),
        ("POST", "/projects/{p1}/roles", {"name": "R", "builtin": True}, "builtin"),
        ("POST", "/me/tokens", {"name": "t", "user_id": 1}, "user_id"),
        ("PATCH", "/users/{me}", {"version": 1, "username": "root"}, "username"),
    ],
)
def test_unknown_fields_are_422_naming_the_field(
    api: Any, seed: Any, as_: Any, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    url = path.format(p1=seed.p1, me=seed.users["pm"])
    before = journal_count(seed.db)
    err = assert_error(api.request(method, url, json=body, headers=as_("pm")), 422, "invalid", field)
    assert field in err["message"]
    assert journal_count(seed.db) == before


def test_non_admin_cannot_make_themselves_admin(api: Any, seed: Any, as_: Any) -> None:
    me = seed.users["worker"]
    assert_error(api.patch(f"/users/{me}", json={"version": 1, "is_admin": True}, headers=as_("worker")), 403)
    assert api.get("/me", headers=as_("worker")).json()["is_admin"] is False
    r = api.post(
        "/users",
        json={"username": "sneaky", "display_name": "S", "is_admin": True},
        headers=as_("worker"),
    )
    assert_error(r, 403)


# --------------------------------------------------------------------------------------------- concurrency


def test_stale_update_is_409_with_current_and_writes_nothing(api: Any, seed: Any, as_: Any) -> None:
    url = f"/projects/{seed.p1}"
    r = api.patch(url, json={"version": 1, "name": "First"}, headers=as_("pm"))
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    before = journal_count(seed.db)
    r = api.patch(url, json={"version": 1, "name": "Second", "objectives": "lost"}, headers=as_("pm"))
    err = assert_error(r, 409, "conflict", "version")
    assert err["current"]["version"] == 2
    assert err["current"]["name"] == "First"
    assert journal_count(seed.db) == before
    now = api.get(url, headers=as_("pm")).json()
    assert (now["name"], now["objectives"], now["version"]) == ("First", "", 2)


def test_stale_assignment_end_and_raci_set_are_409(api: Any, seed: Any, as_: Any) -> None:
    a = seed.assignments["worker"]
    r = api.post(f"/projects/{seed.p1}/assignments/{a}/end", json={"version": 7}, headers=as_("pm"))
    assert_error(r, 409, "conflict", "version")
    url = f"/projects/{seed.p1}/raci/budget/{seed.roles[PM]}"
    assert_error(api.put(url, json={"letter": "R", "version": 9}, headers=as_("pm")), 409)


# --------------------------------------------------------------------------------------------- projects


def test_create_project_seeds_builtin_roles_and_pm_accountable_everywhere(
    api: Any, seed: Any, as_: Any
) -> None:
    r = api.post(
        "/projects", json={"key": "crm", "name": "CRM rollout", "currency": "EUR"}, headers=as_("worker")
    )
    assert r.status_code == 201, r.text
    p = r.json()
    assert (p["key"], p["project_manager"], p["version"]) == ("CRM", "Worker", 1)
    roles = api.get(f"/projects/{p['id']}/roles", headers=as_("worker")).json()
    assert len(roles) == 7 and all(x["builtin"] for x in roles)
    by_key = {x["key"]: x for x in roles}
    assert [h["user"] for h in by_key[PM]["holders"]] == ["Worker"]
    raci = api.get(f"/projects/{p['id']}/raci", headers=as_("worker")).json()
    accountable = {c["area"]: c["role_id"] for c in raci["cells"] if c["letter"] == "A"}
    assert accountable == {a: by_key[PM]["id"] for a in raci["areas"]}
    assert len(raci["areas"]) == 10
    assert raci["gaps"] == []
    assert api.get(f"/projects/{p['id']}/gaps", headers=as_("worker")).json() == []
    # the creator's new project is invisible to others
    assert_error(api.get(f"/projects/{p['id']}", headers=as_("pm")), 404)


def test_only_an_admin_creates_a_project_for_someone_else(api: Any, seed: Any, as_: Any) -> None:
    body = {"key": "OPS", "name": "Ops", "manager_id": seed.users["observer"]}
    assert_error(api.post("/projects", json=body, headers=as_("worker")), 422, field="manager_id")
    r = api.post("/projects", json=body, headers=as_("admin"))
    assert r.status_code == 201 and r.json()["project_manager"] == "Observer"


# --------------------------------------------------------------------------------------------- roles over time


def test_assign_end_and_hand_over_with_history(api: Any, seed: Any, as_: Any, frozen_clock: Any) -> None:
    base = f"/projects/{seed.p1}"
    pm = as_("pm")
    frozen_clock.advance(days=1)
    r = api.post(
        f"{base}/assignments",
        json={"role_id": seed.roles[OBSERVER], "user_id": seed.users["outsider"]},
        headers=pm,
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["current"] and new["valid_from"].startswith("2030-01-08T09:00")
    assert api.get(f"/projects/{seed.p1}", headers=as_("outsider")).status_code == 200

    frozen_clock.advance(hours=2)
    r = api.post(
        f"{base}/assignments/{new['id']}/end", json={"version": new["version"], "note": "done"}, headers=pm
    )
    assert r.status_code == 200, r.text
    assert r.json()["current"] is False and r.json()["valid_until"].startswith("2030-01-08T11:00")
    assert_error(api.get(f"/projects/{seed.p1}", headers=as_("outsider")), 404)  # ended roles grant nothing

    # hand the PM role over: one ends exactly when the other starts
    handover_at = frozen_clock.advance(days=3)
    r = api.post(
        f"{base}/handovers", json={"role_id": seed.roles[PM], "to_user_id": seed.users["worker"]}, headers=pm
    )
    assert r.status_code == 201, r.text
    ended, started = r.json()["ended"], r.json()["started"]
    assert ended["valid_until"] == started["valid_from"]
    assert started["valid_from"].startswith(handover_at.strftime("%Y-%m-%dT%H:%M"))
    assert (ended["user"], started["user"], started["current"], ended["current"]) == (
        "Pm",
        "Worker",
        True,
        False,
    )

    history = api.get(f"{base}/assignments", headers=as_("worker")).json()
    pm_rows = [a for a in history if a["role_key"] == PM]
    assert [a["user"] for a in pm_rows] == ["Worker", "Pm"]  # newest first
    assert pm_rows[0]["valid_from"] == pm_rows[1]["valid_until"]
    current = api.get(f"{base}/assignments", params={"current": "true"}, headers=as_("worker")).json()
    assert [a["user"] for a in current if a["role_key"] == PM] == ["Worker"]
    assert api.get(f"/projects/{seed.p1}", headers=as_("worker")).json()["project_manager"] == "Worker"
    # the former PM keeps no PM powers
    assert_error(api.patch(f"/projects/{seed.p1}", json={"version": 1, "name": "x"}, headers=pm), 404)


def test_exclusive_role_refuses_second_holder_and_same_person_twice(api: Any, seed: Any, as_: Any) -> None:
    base = f"/projects/{seed.p1}/assignments"
    r = api.post(
        base, json={"role_id": seed.roles[SPONSOR], "user_id": seed.users["worker"]}, headers=as_("pm")
    )
    assert_error(r, 409, "conflict", "user_id")
    r = api.post(
        base, json={"role_id": seed.roles[TASK_WORKER], "user_id": seed.users["worker"]}, headers=as_("pm")
    )
    assert_error(r, 409, "conflict", "user_id")
    r = api.post(
        base,
        json={"role_id": seed.roles[SPONSOR], "user_id": seed.users["worker"], "scope_id": seed.wp_a},
        headers=as_("pm"),
    )
    assert_error(r, 422, "invalid", "scope_id")


def test_ending_the_only_accountable_holder_opens_gaps_and_assigning_closes_them(
    api: Any, seed: Any, as_: Any, frozen_clock: Any
) -> None:
    base = f"/projects/{seed.p1}"
    admin = as_("admin")
    assert api.get(f"{base}/gaps", headers=admin).json() == []
    r = api.post(f"{base}/assignments/{seed.assignments['pm']}/end", json={"version": 1}, headers=admin)
    assert r.status_code == 200, r.text
    gaps = api.get(f"{base}/gaps", headers=admin).json()
    assert {g["area"] for g in gaps} == {a.value for a in Area}
    assert all(g["kind"] == "accountable_role_unheld" and g["role_id"] == seed.roles[PM] for g in gaps)
    assert "Project Manager" in gaps[0]["message"]
    frozen_clock.advance(minutes=5)
    r = api.post(
        f"{base}/assignments",
        json={"role_id": seed.roles[PM], "user_id": seed.users["observer"]},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert api.get(f"{base}/gaps", headers=as_("observer")).json() == []


def test_custom_role_mid_project_takes_accountability_and_shows_a_gap_until_held(
    api: Any, seed: Any, as_: Any
) -> None:
    base = f"/projects/{seed.p1}"
    body = {
        "name": "Security Officer",
        "permissions": ["risk.manage"],
        "raci": {"risk": "A", "technology": "C"},
    }
    r = api.post(f"{base}/roles", json=body, headers=as_("pm"))
    assert r.status_code == 201, r.text
    role = r.json()
    assert role["builtin"] is False and set(role["permissions"]) == {"risk.manage", "project.read"}
    raci = api.get(f"{base}/raci", headers=as_("pm")).json()
    letters = {(c["area"], c["role_id"]): c["letter"] for c in raci["cells"]}
    assert letters[("risk", role["id"])] == "A"
    assert letters[("risk", seed.roles[PM])] == "R"  # accountability moved; the PM stays responsible
    assert letters[("technology", role["id"])] == "C"
    assert [(g["area"], g["role"]) for g in raci["gaps"]] == [("risk", "Security Officer")]
    j = api.get(f"{base}/journal", params={"entity_type": "raci"}, headers=as_("pm")).json()
    assert any(e["cause"] == "accountability for risk moved to Security Officer" for e in j)
    r = api.post(
        f"{base}/assignments",
        json={"role_id": role["id"], "user_id": seed.users["stakeholder"]},
        headers=as_("pm"),
    )
    assert r.status_code == 201, r.text
    assert api.get(f"{base}/gaps", headers=as_("pm")).json() == []
    # the new holder now has the custom role's permission on top of their own
    assert_error(api.post(f"{base}/roles", json={"name": "X"}, headers=as_("stakeholder")), 403)


def test_builtin_role_keeps_its_permissions(api: Any, seed: Any, as_: Any) -> None:
    r = api.patch(
        f"/projects/{seed.p1}/roles/{seed.roles[OBSERVER]}",
        json={"version": 1, "permissions": ["project.edit"]},
        headers=as_("pm"),
    )
    assert_error(r, 422, "invalid", "permissions")


# --------------------------------------------------------------------------------------------- soft delete


def test_soft_delete_hides_and_admin_restores(api: Any, seed: Any, as_: Any) -> None:
    url = f"/projects/{seed.p1}"
    assert_error(api.delete(url, params={"version": 9}, headers=as_("pm")), 409)
    r = api.delete(url, params={"version": 1}, headers=as_("pm"))
    assert r.status_code == 200 and r.json()["deleted"] is True
    for who in ("pm", "worker", "observer", "outsider"):
        assert_error(api.get(url, headers=as_(who)), 404)
        assert_error(api.get(f"{url}/roles", headers=as_(who)), 404)
    assert seed.p1 not in [p["id"] for p in api.get("/projects", headers=as_("pm")).json()]
    assert seed.p1 not in [p["id"] for p in api.get("/projects", headers=as_("admin")).json()]
    listed = api.get("/projects", params={"include_deleted": "true"}, headers=as_("admin")).json()
    assert [p["deleted"] for p in listed if p["id"] == seed.p1] == [True]
    assert_error(api.get("/projects", params={"include_deleted": "true"}, headers=as_("pm")), 403)
    assert api.get(url, headers=as_("admin")).json()["deleted"] is True
    assert_error(api.post(f"{url}/restore", headers=as_("pm")), 403)
    r = api.post(f"{url}/restore", headers=as_("admin"))
    assert r.status_code == 200 and r.json()["deleted"] is False
    assert api.get(url, headers=as_("pm")).status_code == 200
    assert_error(api.post(f"{url}/restore", headers=as_("admin")), 409)
    actions = [
        e["action"]
        for e in api.get(f"{url}/journal", params={"entity_type": "project"}, headers=as_("pm")).json()
    ]
    assert actions[:2] == ["restore", "delete"]


# --------------------------------------------------------------------------------------------- journal


def test_journal_records_before_and_after_of_an_update(api: Any, seed: Any, as_: Any) -> None:
    url = f"/projects/{seed.p1}"
    r = api.patch(url, json={"version": 1, "name": "Renamed", "status": "active"}, headers=as_("pm"))
    assert r.status_code == 200, r.text
    entries = api.get(
        f"{url}/journal",
        params={"entity_type": "project", "entity_id": str(seed.p1)},
        headers=as_("observer"),
    ).json()
    last = entries[0]
    assert (last["action"], last["actor"], last["actor_id"]) == ("update", "pm", seed.users["pm"])
    assert last["changes"] == {"name": ["Project One", "Renamed"], "status": ["proposed", "active"]}
    assert "version" not in last["changes"]
    # a no-op update writes no journal entry
    before = journal_count(seed.db)
    assert api.patch(url, json={"version": 2, "name": "Renamed"}, headers=as_("pm")).status_code == 200
    assert journal_count(seed.db) == before
    assert_error(api.get("/journal", headers=as_("pm")), 403)
    assert any(e["entity_type"] == "user" for e in api.get("/journal", headers=as_("admin")).json())


# --------------------------------------------------------------------------------------------- tokens


def test_token_create_list_revoke(api: Any, seed: Any, as_: Any) -> None:
    r = api.post("/me/tokens", json={"name": "laptop", "expires_in_days": 30}, headers=as_("worker"))
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["token"]
    assert secret.startswith("chr_") and created["prefix"] == secret[:10]
    mine = {"Authorization": f"Bearer {secret}"}
    assert api.get("/me", headers=mine).json()["username"] == "worker"
    listed = api.get("/me/tokens", headers=mine).json()
    assert {t["name"] for t in listed} == {"tests", "laptop"}
    assert all("token" not in t and "token_hash" not in t for t in listed)
    # someone else's token is not found, not forbidden
    assert_error(api.delete(f"/me/tokens/{created['id']}", headers=as_("pm")), 404)
    r = api.delete(f"/me/tokens/{created['id']}", headers=as_("worker"))
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert_error(api.get("/me", headers=mine), 401, "not_authenticated")
    assert api.get("/me", headers=as_("worker")).status_code == 200  # the other token still works


def test_expired_token_and_deactivated_user_are_401(api: Any, seed: Any, as_: Any, frozen_clock: Any) -> None:
    r = api.post("/me/tokens", json={"name": "short", "expires_in_days": 1}, headers=as_("worker"))
    short = {"Authorization": f"Bearer {r.json()['token']}"}
    assert api.get("/me", headers=short).status_code == 200
    frozen_clock.advance(days=1)
    assert_error(api.get("/me", headers=short), 401)
    r = api.patch(
        f"/users/{seed.users['observer']}", json={"version": 1, "is_active": False}, headers=as_("admin")
    )
    assert r.status_code == 200, r.text
    assert_error(api.get("/me", headers=as_("observer")), 401)


# --------------------------------------------------------------------------------------------- login


def _set_password(db: Any, user_id: int) -> None:
    with db.uow() as s:
        s.execute(
            update(User).where(User.id == user_id).values(password_hash=accounts.hash_password(PASSWORD))
        )


def test_password_login_issues_a_working_token(api: Any, seed: Any) -> None:
    _set_password(seed.db, seed.users["worker"])
    r = api.post("/auth/token", json={"username": "Worker", "password": PASSWORD, "name": "cli"})
    assert r.status_code == 201, r.text
    assert (
        api.get("/me", headers={"Authorization": f"Bearer {r.json()['token']}"}).json()["username"]
        == "worker"
    )
    assert_error(api.post("/auth/token", json={"username": "worker", "password": "wrong password"}), 401)
    assert_error(api.post("/auth/token", json={"username": "nobody", "password": PASSWORD}), 401)


def test_login_throttling_after_n_failures(api: Any, seed: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTER_LOGIN_MAX_FAILURES", "3")
    get_settings.cache_clear()
    assert get_settings().login_max_failures == 3
    _set_password(seed.db, seed.users["worker"])
    for _ in range(3):
        assert_error(api.post("/auth/token", json={"username": "worker", "password": "wrong password"}), 401)
    r = api.post("/auth/token", json={"username": "worker", "password": PASSWORD})
    assert_error(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) == get_settings().login_window_minutes * 60
    # other accounts are not locked by someone else's failures
    _set_password(seed.db, seed.users["pm"])
    assert api.post("/auth/token", json={"username": "pm", "password": PASSWORD}).status_code == 201


def test_project_rows_carry_versions(seed: Any) -> None:
    with seed.db.uow(readonly=True) as s:
        assert s.scalar(select(Project.version).where(Project.id == seed.p1)) == 1


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/projects/{p1}", {"version": 1, "objectives": None}, "objectives"),
        ("/users/{worker}", {"version": 1, "is_active": None}, "is_active"),
        ("/projects/{p1}/roles/{observer}", {"version": 1, "description": None}, "description"),
    ],
)
def test_null_for_a_required_field_is_422(
    api: Any, seed: Any, as_: Any, path: str, body: dict[str, Any], field: str
) -> None:
    url = path.format(p1=seed.p1, worker=seed.users["worker"], observer=seed.roles[OBSERVER])
    assert_error(api.patch(url, json=body, headers=as_("admin")), 422, "invalid", field)


def _locked(*_: Any, **__: Any) -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    raise OperationalError("UPDATE tasks ...", {}, sqlite3.OperationalError("database is locked"))


def test_a_busy_database_is_503_with_retry_after_not_a_500(
    api: Any, seed: Any, as_: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's busy timeout running out (seen under `charter bench load`) or a PostgreSQL deadlock: the
    transaction rolled back, so the client is told to retry instead of getting an internal error."""
    from charter.services import tasks

    monkeypatch.setattr(tasks, "update_task", _locked)
    t = seed.tasks["a"]
    r = api.patch(f"/projects/{seed.p1}/tasks/{t}", json={"version": 1, "name": "x"}, headers=as_("pm"))
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"] == "2"
    assert r.json()["error"]["code"] == "busy" and "try again" in r.json()["error"]["message"]


def test_a_busy_database_on_a_web_page_is_503_with_retry_after(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from charter.app import create_app

    monkeypatch.setattr(accounts, "authenticate", _locked)
    with TestClient(create_app(db)) as client:
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        r = client.post("/login", data={"username": "x", "password": "y", "csrf_token": token})
    assert r.status_code == 503 and r.headers["Retry-After"] == "2"
    assert "Try again in a moment" in r.text and "Traceback" not in r.text


def test_a_token_name_over_80_characters_is_refused_on_the_web_as_by_the_api(seed: Any) -> None:
    """The API refused a token name over 80 characters (its column's size); the Account page stored it on
    SQLite, and PostgreSQL refused the row."""
    with signed_in(seed, "worker") as c:
        csrf = csrf_of(c.get("/account").text)
        r = c.post("/account/tokens", data={"csrf_token": csrf, "name": "n" * 81, "expires_in_days": "30"})
        assert r.status_code == 422 and "the limit is 80" in r.text and 'value="' + "n" * 81 + '"' in r.text
        r = c.post("/account/tokens", data={"csrf_token": csrf, "name": "ü" * 80, "expires_in_days": "30"})
        assert r.status_code == 200, r.text
    with seed.db.uow(readonly=True) as s:
        assert [t["name"] for t in accounts.list_tokens(s, seed.actor("worker"))][-1] == "ü" * 80


def test_a_nul_character_is_refused_by_the_api_and_dropped_from_web_forms(
    api: Any, seed: Any, as_: Any
) -> None:
    """A task named "a\\x00b" was stored on SQLite and refused by PostgreSQL's text as "a number in the request
    is out of range" (and was a 500 on the web pages): the API refuses it naming the field, the web forms drop
    it (a browser never means one)."""
    before = journal_count(seed.db)
    url = f"/projects/{seed.p1}/tasks"
    for body, field in (
        ({"name": "a\x00b"}, "name"),
        ({"name": "ok", "description": "x\x00"}, "description"),
        ({"name": "ok", "custom_fields": {"Tier\x00": "Gold"}}, "custom_fields"),
    ):
        assert_error(api.post(url, json=body, headers=as_("pm")), 422, "invalid", field)
    assert journal_count(seed.db) == before
    with signed_in(seed, "pm") as c:
        page = c.get(f"/projects/{seed.p1}/schedule").text
        r = c.post(f"/projects/{seed.p1}/tasks",
                   data={"csrf_token": csrf_of(page), "name": "Nul\x00led", "duration": "1d"})  # fmt: skip
        assert r.status_code == 303, r.text
    listed = api.get(url, headers=as_("pm"), params={"q": "Nulled"}).json()
    assert [t["name"] for t in listed] == ["Nulled"]
