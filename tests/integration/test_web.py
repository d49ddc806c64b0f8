"""The web shell over HTTP: sign-in, CSRF on every state-changing form, forms that keep input on errors,
409 in a form, security headers, sanitised Markdown, the schema check at start-up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from charter.app import SchemaOutOfDate, create_app
from charter.persistence.db import Database
from charter.services import accounts, projects, roles
from charter.services.context import SYSTEM
from webhelpers import PW, csrf_of, login


@pytest.fixture
def web(db: Database) -> Iterator[tuple[TestClient, dict[str, int]]]:
    with db.uow() as s:
        ids = {
            n: accounts.create_user(s, SYSTEM, username=n, display_name=n.title(), password=PW)["id"]
            for n in ("pat", "olive", "xavier", "quinn")
        }
        p = projects.create_project(
            s,
            SYSTEM,
            key="WEB",
            name="Web project",
            manager_id=ids["pat"],
            objectives="**Bold** <script>alert('x')</script> [bad](javascript:alert(1))",
        )
        observer = next(r for r in roles.list_roles(s, SYSTEM, p["id"]) if r["key"] == "observer")
        roles.assign_role(s, SYSTEM, p["id"], role_id=observer["id"], user_id=ids["olive"])
        projects.create_project(s, SYSTEM, key="OTHER", name="Other project", manager_id=ids["xavier"])
    ids["project"] = p["id"]
    with TestClient(create_app(db)) as client:
        yield client, ids


def test_pages_need_login(web) -> None:
    client, ids = web
    r = client.get(f"/projects/{ids['project']}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_login_wrong_password_keeps_username(web) -> None:
    client, _ = web
    page = client.get("/login")
    r = client.post("/login", data={"username": "pat", "password": "nope", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 401
    assert 'value="pat"' in r.text and "wrong username or password" in r.text


def test_login_form_without_csrf_is_refused(web) -> None:
    client, _ = web
    client.get("/login")
    r = client.post("/login", data={"username": "pat", "password": PW, "csrf_token": "forged"})
    assert r.status_code == 403
    assert "charter_session" not in r.cookies


def test_login_form_from_this_origin_survives_a_replaced_cookie(web) -> None:
    """Another tab (or a request racing the page) replaced the pre-login cookie: a browser's same-origin post
    of the form still signs in; the same post from another site, or with no token, is refused."""
    client, _ = web
    stale = csrf_of(client.get("/login").text)
    client.cookies.set("charter_csrf", "replaced-by-another-tab")
    creds = {"username": "pat", "password": PW, "csrf_token": stale}
    for headers in (
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://sub.testserver"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://evil.example"},
        {},
    ):
        r = client.post("/login", data=creds, headers=headers, follow_redirects=False)
        assert r.status_code == 403 and "charter_session" not in r.cookies, headers
        client.cookies.set("charter_csrf", "replaced-by-another-tab")
    r = client.post("/login", data={**creds, "csrf_token": ""}, headers={"Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 403
    r = client.post(
        "/login",
        data=creds,
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "charter_session" in r.cookies


def test_session_cookie_flags(web) -> None:
    client, _ = web
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": "pat", "password": PW, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")


STATE_CHANGING = [
    ("/projects", {"key": "NEW", "name": "New"}),
    ("/projects/{p}/charter", {"name": "Renamed", "version": "1"}),
    ("/projects/{p}/assignments", {"role_id": "1", "user_id": "2"}),
    ("/projects/{p}/assignments/1/end", {"version": "1"}),
    ("/projects/{p}/handover", {"role_id": "1", "to_user_id": "4"}),
    ("/projects/{p}/roles", {"name": "Auditor"}),
    ("/projects/{p}/raci", {"area": "risk", "role_id": "2", "letter": "A"}),
    ("/projects/{p}/work-packages", {"name": "WP"}),
    ("/projects/{p}/delete", {"version": "1"}),
    ("/projects/{p}/restore", {}),
    ("/account/tokens", {"name": "t"}),
    (
        "/account/password",
        {
            "current_password": PW,
            "new_password": "another-password",
            "new_password_again": "another-password",
        },
    ),
    ("/account/tokens/1/revoke", {}),
    ("/account/feed-key", {}),
    ("/account/feed-key/revoke", {}),
    ("/logout", {}),
]


@pytest.mark.parametrize(("path", "data"), STATE_CHANGING, ids=[p for p, _ in STATE_CHANGING])
def test_every_form_rejects_a_missing_or_forged_csrf_token(web, path: str, data: dict[str, str]) -> None:
    client, ids = web
    login(client, "pat")
    url = path.format(p=ids["project"])
    for token in (None, "forged-token"):
        body = dict(data)
        if token:
            body["csrf_token"] = token
        r = client.post(url, data=body, follow_redirects=False)
        assert r.status_code == 403, (url, r.status_code)
    # nothing changed
    with client.app.state.db.uow(readonly=True) as s:  # type: ignore[attr-defined]
        p = projects.get_project(s, SYSTEM, ids["project"])
    assert p["name"] == "Web project" and not p["deleted"]


def test_form_error_keeps_input_and_names_field(web) -> None:
    client, ids = web
    token = login(client, "pat")
    r = client.post(
        f"/projects/{ids['project']}/charter",
        data={
            "csrf_token": token,
            "version": "1",
            "name": "Kept name",
            "start_date": "2026-05-01",
            "target_date": "2026-01-01",
        },
    )
    assert r.status_code == 422
    assert "target date is before the start date" in r.text
    assert 'value="Kept name"' in r.text
    assert 'aria-invalid="true"' in r.text


def test_charter_edit_takes_a_currency_in_lower_case(web) -> None:
    client, ids = web
    token = login(client, "pat")
    r = client.post(
        f"/projects/{ids['project']}/charter",
        data={"csrf_token": token, "version": "1", "currency": " eur "},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    with client.app.state.db.uow(readonly=True) as s:  # type: ignore[attr-defined]
        assert projects.get_project(s, SYSTEM, ids["project"])["currency"] == "EUR"


def test_stale_charter_edit_is_409_and_keeps_input(web) -> None:
    client, ids = web
    token = login(client, "pat")
    pid = ids["project"]
    ok = client.post(
        f"/projects/{pid}/charter",
        data={"csrf_token": token, "version": "1", "name": "First"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    stale = client.post(
        f"/projects/{pid}/charter", data={"csrf_token": token, "version": "1", "name": "Mine"}
    )
    assert stale.status_code == 409
    assert "Someone changed this project" in stale.text
    assert 'value="Mine"' in stale.text
    with client.app.state.db.uow(readonly=True) as s:  # type: ignore[attr-defined]
        assert projects.get_project(s, SYSTEM, pid)["name"] == "First"


def test_observer_sees_no_forms_and_is_refused(web) -> None:
    client, ids = web
    token = login(client, "olive")
    page = client.get(f"/projects/{ids['project']}")
    assert page.status_code == 200
    assert "Assign a role" not in page.text and "Edit the charter" not in page.text
    r = client.post(f"/projects/{ids['project']}/roles", data={"csrf_token": token, "name": "Sneaky"})
    assert r.status_code == 403


def test_other_project_is_404(web) -> None:
    client, ids = web
    login(client, "olive")
    assert client.get(f"/projects/{ids['project'] + 1}").status_code == 404
    assert client.get(f"/projects/{ids['project'] + 1}/journal").status_code == 404
    assert "Other project" not in client.get("/projects").text


def test_a_malformed_address_or_query_is_a_page_not_json(web) -> None:
    """A word where a page's address takes an id is a 404 page; a query parameter that does not parse is a 422
    page naming it: HTML for a person, never FastAPI's JSON body."""
    client, ids = web
    login(client, "pat")
    r = client.get(f"/projects/{ids['project']}/risks/simulation")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Page not found" in r.text and '"detail"' not in r.text
    r = client.get(f"/projects/{ids['project']}/gantt", params={"baseline": "first"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "baseline" in r.text and '"detail"' not in r.text
    r = client.get("/api/v1/projects/x")  # the API keeps its JSON errors
    assert r.status_code in (401, 422) and r.json()["error"]


def test_markdown_is_sanitised_and_headers_set(web) -> None:
    client, ids = web
    login(client, "pat")
    r = client.get(f"/projects/{ids['project']}")
    assert "<strong>Bold</strong>" in r.text
    assert "<script>alert" not in r.text
    assert 'href="javascript:' not in r.text
    csp = r.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"


def test_role_history_and_journal_pages(web) -> None:
    client, ids = web
    token = login(client, "pat")
    pid = ids["project"]
    r = client.post(
        f"/projects/{pid}/handover",
        data={"csrf_token": token, "role_id": "1", "to_user_id": str(ids["quinn"])},
    )
    assert r.status_code in (200, 303)
    # pat handed the PM role away and holds no other role: the project is now invisible to pat
    assert client.get(f"/projects/{pid}").status_code == 404
    login(client, "quinn")
    page = client.get(f"/projects/{pid}")
    assert "PM: <strong>Quinn</strong>" in page.text
    journal = client.get(f"/projects/{pid}/journal")
    assert "handed over to Quinn" in journal.text


def test_server_refuses_a_database_behind_its_schema(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaOutOfDate):
        create_app(db)
