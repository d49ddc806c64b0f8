"""The instance admin's users and departments: the web pages /admin/users, /admin/users/{id} and
/admin/departments (as PATCH /users/{id}, POST /users, POST|PATCH /departments and `charter user|department`
do), deactivation (signs the user out everywhere, revokes their API tokens; sessions and tokens of an inactive
user are refused even if left over) and the last active admin, who can be neither demoted nor deactivated."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select, update

from charter.persistence.models import ApiToken, User
from charter.services import accounts, journal
from webhelpers import PW, csrf_of, no_inline, signed_in

NEW = "a brand new passphrase"


def _version(page: str, action: str) -> str:
    form = page.split(f'action="{action}"')[1].split("</form>")[0]
    m = re.search(r'name="version" value="(\d+)"', form)
    assert m, form
    return m.group(1)


def _alive(seed: Any, cookie: str) -> bool:
    with seed.db.uow() as s:
        return accounts.resolve_session(s, cookie) is not None


def _session(seed: Any, who: str) -> str:
    with seed.db.uow() as s:
        return accounts.start_session(s, s.get(User, seed.users[who])).cookie


def _user(api: Any, as_: Any, seed: Any, who: str) -> dict[str, Any]:
    r = api.get(f"/users/{seed.users[who]}", headers=as_("admin"))
    assert r.status_code == 200
    return dict(r.json())


# --------------------------------------------------------------------------------------------- access


@pytest.mark.parametrize("who", ["pm", "worker", "outsider"])
def test_only_admins_see_the_pages_and_the_link(seed: Any, who: str) -> None:
    with signed_in(seed, who) as c:
        assert 'href="/admin/users"' not in c.get("/account").text
        for url in ("/admin/users", f"/admin/users/{seed.users['worker']}", "/admin/departments"):
            r = c.get(url)
            assert r.status_code == 403 and "only an instance admin" in r.text, url
    with signed_in(seed, "admin") as c:
        assert '<a href="/admin/users">Admin</a>' in c.get("/account").text
        assert c.get("/admin/users/999999").status_code == 404


def test_anonymous_is_sent_to_login(seed: Any) -> None:
    from fastapi.testclient import TestClient

    from charter.app import create_app

    with TestClient(create_app(seed.db), follow_redirects=False) as c:
        r = c.get("/admin/users")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


# --------------------------------------------------------------------------------------------- users


def test_list_and_add_a_user(api: Any, seed: Any, as_: Any) -> None:
    with signed_in(seed, "admin") as c:
        page = c.get("/admin/users").text
        no_inline(page)
        row = page.split(f'id="user-{seed.users["liaison"]}"')[1].split("</tr>")[0]
        assert "Liaison" in row and "liaison@example.test" in row and "Sales" in row
        data = {"csrf_token": csrf_of(page), "username": "Priya.Nair", "display_name": "Priya Nair",
                "email": "priya@example.test", "department_id": str(seed.sales), "is_admin": "on",
                "password": NEW, "password_again": NEW}  # fmt: skip
        r = c.post("/admin/users", data=data)
        assert r.status_code == 303, r.text
        uid = int(r.headers["location"].split("/")[-1].split("?")[0])
        page = c.get(r.headers["location"]).text
        assert 'id="notice"' in page and "Priya Nair" in page and "password set" in page
    u = api.get(f"/users/{uid}", headers=as_("admin")).json()
    assert (u["username"], u["email"], u["department"], u["is_admin"]) == (
        "priya.nair", "priya@example.test", "Sales", True
    )  # fmt: skip
    with seed.db.uow() as s:
        assert accounts.authenticate(s, "priya.nair", NEW, "127.0.0.1").id == uid


@pytest.mark.parametrize(
    ("fields", "field", "status"),
    [
        ({"username": "worker"}, "username", 409),
        ({"username": "x"}, "username", 422),
        ({"display_name": "  "}, "display_name", 422),
        ({"email": "not an address"}, "email", 422),
        ({"password": NEW, "password_again": NEW + "?"}, "password_again", 422),
        ({"password": "short", "password_again": "short"}, "password", 422),
    ],
    ids=["taken", "bad username", "no name", "bad e-mail", "passwords differ", "weak password"],
)
def test_add_refusal_beside_the_form_keeps_input_not_passwords(
    seed: Any, fields: dict[str, str], field: str, status: int
) -> None:
    with signed_in(seed, "admin") as c:
        page = c.get("/admin/users").text
        data = {"csrf_token": csrf_of(page), "username": "newbie", "display_name": "New Bie Typed",
                "email": "nb@example.test", "department_id": str(seed.sales), **fields}  # fmt: skip
        r = c.post("/admin/users", data=data)
        assert r.status_code == status, r.text
        assert 'id="add-error"' in r.text
        form = r.text.split('action="/admin/users"')[1].split("</form>")[0]
        assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', form)
        if field != "display_name":
            assert 'value="New Bie Typed"' in form
        assert re.search(rf'<option value="{seed.sales}"\s*selected>', form)
        assert NEW not in r.text and 'value="short"' not in r.text  # passwords are never sent back
    with seed.db.uow(readonly=True) as s:
        assert s.scalar(select(User.id).where(User.username == "newbie")) is None


def test_edit_a_user(api: Any, seed: Any, as_: Any) -> None:
    url = f"/admin/users/{seed.users['worker']}"
    with signed_in(seed, "admin") as c:
        page = c.get(url).text
        no_inline(page)
        data = {"csrf_token": csrf_of(page), "version": _version(page, url), "display_name": "Wendy Worker",
                "email": "wendy@example.test", "department_id": str(seed.sales), "is_admin": "on",
                "is_active": "on"}  # fmt: skip
        r = c.post(url, data=data)
        assert r.status_code == 303 and r.headers["location"] == f"{url}?saved=1", r.text
        page = c.get(r.headers["location"]).text
        assert "Saved." in page and "Wendy Worker" in page
        history = page.split('id="history"')[1]
        assert "Display name: Worker → Wendy Worker" in history
    u = _user(api, as_, seed, "worker")
    assert (u["display_name"], u["email"], u["department"], u["is_admin"], u["is_active"]) == (
        "Wendy Worker", "wendy@example.test", "Sales", True, True
    )  # fmt: skip


def test_stale_edit_is_409_with_the_saved_values_and_the_input_kept(api: Any, seed: Any, as_: Any) -> None:
    url = f"/admin/users/{seed.users['worker']}"
    with signed_in(seed, "admin") as c:
        page = c.get(url).text
        old = _version(page, url)
        r = api.patch(f"/users/{seed.users['worker']}", json={"version": int(old), "display_name": "Theirs"},
                      headers=as_("admin"))  # fmt: skip
        assert r.status_code == 200
        data = {"csrf_token": csrf_of(page), "version": old, "display_name": "Mine", "email": "",
                "is_active": "on"}  # fmt: skip
        r = c.post(url, data=data)
        assert r.status_code == 409, r.text
        assert 'id="edit-error"' in r.text and "changed by someone else" in r.text
        assert 'id="edit-conflict"' in r.text and "<strong>Theirs</strong>" in r.text
        assert 'value="Mine"' in r.text
        assert _version(r.text, url) == str(int(old) + 1)
        r = c.post(url, data={**data, "version": _version(r.text, url)})
        assert r.status_code == 303
    assert _user(api, as_, seed, "worker")["display_name"] == "Mine"


@pytest.mark.parametrize("flag", ["is_admin", "is_active"])
def test_the_last_active_admin_keeps_the_flag_on_the_web(seed: Any, flag: str) -> None:
    url = f"/admin/users/{seed.users['admin']}"
    with signed_in(seed, "admin") as c:
        page = c.get(url).text
        data = {"csrf_token": csrf_of(page), "version": _version(page, url), "display_name": "Admin",
                "is_admin": "on", "is_active": "on"}  # fmt: skip
        del data[flag]
        r = c.post(url, data=data)
        assert r.status_code == 409, r.text
        assert 'id="edit-error"' in r.text and "last active instance admin" in r.text
        assert re.search(rf'name="{flag}"[^>]*aria-invalid="true"', r.text)
        assert c.get("/admin/users").status_code == 200  # still an admin, still signed in


def test_an_admin_who_steps_down_leaves_the_admin_pages(seed: Any) -> None:
    with seed.db.uow() as s:
        s.execute(update(User).where(User.id == seed.users["pm"]).values(is_admin=True))
    url = f"/admin/users/{seed.users['admin']}"
    with signed_in(seed, "admin") as c:
        page = c.get(url).text
        data = {"csrf_token": csrf_of(page), "version": _version(page, url), "display_name": "Admin",
                "is_active": "on"}  # fmt: skip
        r = c.post(url, data=data)
        assert r.status_code == 303 and r.headers["location"] == "/account"
        assert c.get("/admin/users").status_code == 403
        assert 'href="/admin/users"' not in c.get("/account").text


def test_admin_sets_a_password(seed: Any) -> None:
    worker_session = _session(seed, "worker")
    url = f"/admin/users/{seed.users['worker']}/password"
    with signed_in(seed, "admin") as c:
        page = c.get(f"/admin/users/{seed.users['worker']}").text
        r = c.post(url, data={"csrf_token": csrf_of(page), "password": NEW, "password_again": NEW + "x"})
        assert r.status_code == 422 and 'id="password-error"' in r.text and NEW not in r.text
        assert _alive(seed, worker_session)
        r = c.post(url, data={"csrf_token": csrf_of(page), "password": NEW, "password_again": NEW})
        assert r.status_code == 303 and r.headers["location"].endswith("?password=set")
        assert "The password was set" in c.get(r.headers["location"]).text
    assert not _alive(seed, worker_session)
    with seed.db.uow() as s:
        assert accounts.authenticate(s, "worker", NEW, "127.0.0.1").id == seed.users["worker"]


def test_admin_sets_own_password_and_stays_signed_in(seed: Any) -> None:
    other = _session(seed, "admin")
    with signed_in(seed, "admin") as c:
        page = c.get(f"/admin/users/{seed.users['admin']}").text
        assert "(this one of yours stays)" in page
        r = c.post(f"/admin/users/{seed.users['admin']}/password",
                   data={"csrf_token": csrf_of(page), "password": NEW, "password_again": NEW})  # fmt: skip
        assert r.status_code == 303
        assert c.get("/admin/users").status_code == 200
    assert not _alive(seed, other)


# --------------------------------------------------------------------------------------------- deactivation


def test_deactivating_signs_out_and_revokes_tokens(api: Any, seed: Any, as_: Any) -> None:
    cookie = _session(seed, "worker")
    url = f"/admin/users/{seed.users['worker']}"
    with signed_in(seed, "admin") as c:
        page = c.get(url).text
        data = {"csrf_token": csrf_of(page), "version": _version(page, url), "display_name": "Worker"}
        r = c.post(url, data=data)  # "Active" unticked
        assert r.status_code == 303, r.text
        page = c.get("/admin/users").text
        row = page.split(f'id="user-{seed.users["worker"]}"')[1].split("</tr>")[0]
        assert "past" in page.split(f'id="user-{seed.users["worker"]}"')[1][:20] and "<td>no</td>" in row
    assert not _alive(seed, cookie)
    assert api.get("/me", headers=as_("worker")).status_code == 401
    with seed.db.uow(readonly=True) as s:
        tokens = s.scalars(select(ApiToken).where(ApiToken.user_id == seed.users["worker"])).all()
        assert tokens and all(t.revoked_at is not None for t in tokens)
        entries = journal.entries(s, entity_type="api_token")
    assert any(e["cause"] == "user worker was deactivated" for e in entries)
    # made active again: signing in works, the revoked tokens stay revoked
    v = _user(api, as_, seed, "worker")["version"]
    r = api.patch(
        f"/users/{seed.users['worker']}", json={"version": v, "is_active": True}, headers=as_("admin")
    )
    assert r.status_code == 200
    assert api.get("/me", headers=as_("worker")).status_code == 401


def test_sessions_and_tokens_of_an_inactive_user_are_refused(api: Any, seed: Any, as_: Any) -> None:
    """Even a session or token that deactivation did not end (a row written behind Charter's back)."""
    cookie = _session(seed, "worker")
    with seed.db.uow() as s:
        s.execute(update(User).where(User.id == seed.users["worker"]).values(is_active=False))
    with seed.db.uow() as s:
        assert accounts.resolve_session(s, cookie) is None
        assert accounts.resolve_token(s, seed.tokens["worker"]) is None
    assert api.get("/me", headers=as_("worker")).status_code == 401
    with seed.db.uow() as s:
        s.execute(
            update(User)
            .where(User.id == seed.users["worker"])
            .values(password_hash=accounts.hash_password(PW))
        )
    from fastapi.testclient import TestClient

    from charter.app import create_app

    with TestClient(create_app(seed.db), follow_redirects=False) as c:
        page = c.get("/login").text
        r = c.post("/login", data={"username": "worker", "password": PW, "csrf_token": csrf_of(page)})
        assert r.status_code == 401


@pytest.mark.parametrize("flag", ["is_admin", "is_active"])
def test_the_last_active_admin_in_the_api(api: Any, seed: Any, as_: Any, flag: str) -> None:
    admin = seed.users["admin"]
    v = _user(api, as_, seed, "admin")["version"]
    r = api.patch(f"/users/{admin}", json={"version": v, flag: False}, headers=as_("admin"))
    assert r.status_code == 409 and r.json()["error"]["field"] == flag
    assert "last active instance admin" in r.json()["error"]["message"]
    # an inactive admin does not count
    with seed.db.uow() as s:
        s.execute(update(User).where(User.id == seed.users["pm"]).values(is_admin=True, is_active=False))
    assert (
        api.patch(f"/users/{admin}", json={"version": v, flag: False}, headers=as_("admin")).status_code
        == 409
    )
    with seed.db.uow() as s:
        s.execute(update(User).where(User.id == seed.users["pm"]).values(is_active=True))
    r = api.patch(f"/users/{admin}", json={"version": v, flag: False}, headers=as_("admin"))
    assert r.status_code == 200, r.text


# --------------------------------------------------------------------------------------------- departments


def test_departments_list_add_and_edit(api: Any, seed: Any, as_: Any) -> None:
    with signed_in(seed, "admin") as c:
        page = c.get("/admin/departments").text
        no_inline(page)
        row = page.split(f'id="dept-{seed.sales}"')[1].split("</tr>")[0]
        assert "<td>Sales</td>" in row and '<td class="num">1</td>' in row  # the liaison
        r = c.post("/admin/departments", data={"csrf_token": csrf_of(page), "name": "Legal",
                                                "head_user_id": str(seed.users["sponsor"])})  # fmt: skip
        assert r.status_code == 303, r.text
        legal = next(d for d in api.get("/departments", headers=as_("admin")).json() if d["name"] == "Legal")
        assert legal["head"] == "Sponsor"
        page = c.get("/admin/departments").text
        url = f"/admin/departments/{legal['id']}"
        r = c.post(url, data={"csrf_token": csrf_of(page), "version": _version(page, url), "name": "Legal & Risk",
                              "head_user_id": ""})  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == f"/admin/departments#dept-{legal['id']}"
    d = next(d for d in api.get("/departments", headers=as_("admin")).json() if d["id"] == legal["id"])
    assert (d["name"], d["head_user_id"]) == ("Legal & Risk", None)


def test_department_refusals_beside_their_form(api: Any, seed: Any, as_: Any) -> None:
    with signed_in(seed, "admin") as c:
        page = c.get("/admin/departments").text
        r = c.post("/admin/departments", data={"csrf_token": csrf_of(page), "name": "Sales"})
        assert r.status_code == 409 and 'id="add-error"' in r.text and "exists" in r.text
        legal = api.post("/departments", json={"name": "Legal"}, headers=as_("admin")).json()
        page = c.get("/admin/departments").text
        url = f"/admin/departments/{seed.sales}"
        version = _version(page, url)
        # renaming onto another department's name: 409 on the name, typed name kept, that disclosure open
        r = c.post(url, data={"csrf_token": csrf_of(page), "version": version, "name": "Legal"})
        assert r.status_code == 409 and f'id="dept-{seed.sales}-error"' in r.text
        assert f'<details id="dept-{seed.sales}-edit" open>' in r.text
        # stale
        api.patch(f"/departments/{seed.sales}", json={"version": int(version), "name": "Sales EMEA"},
                  headers=as_("admin"))  # fmt: skip
        r = c.post(url, data={"csrf_token": csrf_of(page), "version": version, "name": "Sales & Marketing"})
        assert r.status_code == 409 and "changed by someone else" in r.text
        assert 'value="Sales &amp; Marketing"' in r.text
        assert _version(r.text, url) == str(int(version) + 1)
    names = {d["name"] for d in api.get("/departments", headers=as_("admin")).json()}
    assert names == {"Sales EMEA", legal["name"]}
