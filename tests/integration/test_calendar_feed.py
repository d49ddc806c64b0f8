"""The calendar feed at a secret address: made, replaced and revoked through the API, the Account page and
`charter user feed-key`; read without any credential by calendar applications; 404 for anything but a
current key of an active user; stored and journalled without the secret."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from charter.app import create_app
from charter.config import get_settings
from charter.persistence.db import Database
from charter.persistence.models import Base, JournalEntry, User
from charter.services import accounts, feeds, journal
from webhelpers import csrf_of, login_seeded


@pytest.fixture
def app(db: Database, seed: Any) -> Iterator[TestClient]:
    """The whole app (pages, and the API under /api/v1) as a client that sends nothing of its own."""
    with TestClient(create_app(db, check_schema=False)) as client:
        yield client


def _make(app: TestClient, seed: Any, who: str) -> dict[str, Any]:
    r = app.post("/api/v1/me/feed-key", headers=seed.headers(who))
    assert r.status_code == 201, r.text
    return dict(r.json())


def _fetch(app: TestClient, url: str) -> Any:
    """A calendar application's request: no Authorization header, no cookie."""
    app.cookies.clear()
    return app.get(url)


def _row(seed: Any, who: str) -> tuple[str | None, Any, int, bool]:
    with seed.db.uow(readonly=True) as s:
        u = s.get(User, seed.users[who])
        assert u is not None
        return u.feed_key_hash, u.feed_key_created_at, u.version, u.is_active


def _journal(seed: Any, who: str) -> list[tuple[str, dict[str, Any], str | None]]:
    with seed.db.uow(readonly=True) as s:
        rows = s.execute(
            select(JournalEntry.action, JournalEntry.changes, JournalEntry.cause)
            .where(JournalEntry.entity_type == "user", JournalEntry.entity_id == str(seed.users[who]))
            .where(JournalEntry.action.like("%feed_key"))
            .order_by(JournalEntry.id)
        ).all()
    return [(a, c, why) for a, c, why in rows]


def _journal_count(seed: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(JournalEntry)) or 0


def _events(ics: bytes) -> str:
    """The feed without its DTSTAMP lines (the time it was made)."""
    return "\n".join(line for line in ics.decode().splitlines() if not line.startswith("DTSTAMP:"))


def _key_of(url: str) -> str:
    m = re.search(r"/feeds/(chf_[A-Za-z0-9_-]+)/tasks\.ics$", url)
    assert m, url
    return m.group(1)


# --------------------------------------------------------------------------------------------- the API


def test_the_address_works_without_credentials_and_gives_the_owners_tasks_only(
    app: TestClient, seed: Any
) -> None:
    made = _make(app, seed, "worker")
    assert made["url"].startswith("http://testserver/api/v1/feeds/chf_") and made["url"].endswith(
        "/tasks.ics"
    )
    assert made["active"] is True and made["replaced"] is False and made["created_at"]
    r = _fetch(app, made["url"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/calendar")
    assert "set-cookie" not in r.headers
    assert r.headers["cache-control"] == "no-store"
    assert b"BEGIN:VCALENDAR" in r.content and b"SUMMARY:P1: Task A" in r.content
    assert b"Task B" not in r.content and b"Task C" not in r.content and b"Task X" not in r.content
    # the same feed as with the worker's token
    signed = app.get("/api/v1/me/tasks.ics", headers=seed.headers("worker"))
    assert _events(r.content) == _events(signed.content)
    # another user's address gives their tasks, not the worker's
    pm = _fetch(app, _make(app, seed, "pm")["url"])
    assert pm.status_code == 200 and b"BEGIN:VCALENDAR" in pm.content and b"Task A" not in pm.content
    # the status says it is there, never the key
    state = app.get("/api/v1/me/feed-key", headers=seed.headers("worker")).json()
    assert state == {"active": True, "created_at": made["created_at"]}


def test_a_new_key_replaces_the_old_one(app: TestClient, seed: Any) -> None:
    first = _make(app, seed, "worker")
    second = _make(app, seed, "worker")
    assert second["replaced"] is True and _key_of(first["url"]) != _key_of(second["url"])
    assert _fetch(app, first["url"]).status_code == 404
    assert _fetch(app, second["url"]).status_code == 200
    assert [a for a, _, _ in _journal(seed, "worker")] == ["make_feed_key", "replace_feed_key"]


def test_a_revoked_key_is_404(app: TestClient, seed: Any) -> None:
    made = _make(app, seed, "worker")
    r = app.delete("/api/v1/me/feed-key", headers=seed.headers("worker"))
    assert r.status_code == 200 and r.json() == {"active": False, "created_at": None}
    assert _row(seed, "worker")[:2] == (None, None)
    assert _fetch(app, made["url"]).status_code == 404
    entries = _journal(seed, "worker")
    assert [a for a, _, _ in entries] == ["make_feed_key", "revoke_feed_key"]
    assert entries[-1][1]["feed_key_created_at"][1] is None
    before = _journal_count(seed)
    again = app.delete("/api/v1/me/feed-key", headers=seed.headers("worker"))
    assert again.status_code == 200 and again.json()["active"] is False
    assert _journal_count(seed) == before, "revoking nothing wrote to the journal"


def test_deactivating_the_user_revokes_the_key(app: TestClient, seed: Any) -> None:
    made = _make(app, seed, "worker")
    with seed.db.uow() as s:
        version = accounts.get_user(s, seed.actor("admin"), seed.users["worker"])["version"]
        accounts.update_user(s, seed.actor("admin"), seed.users["worker"], version, is_active=False)
    assert _row(seed, "worker")[0] is None
    assert _fetch(app, made["url"]).status_code == 404
    action, _, cause = _journal(seed, "worker")[-1]
    assert action == "revoke_feed_key" and cause == "user worker was deactivated"
    with seed.db.uow() as s:  # active again: the old address stays dead
        version = accounts.get_user(s, seed.actor("admin"), seed.users["worker"])["version"]
        accounts.update_user(s, seed.actor("admin"), seed.users["worker"], version, is_active=True)
    assert _fetch(app, made["url"]).status_code == 404


def test_an_inactive_users_key_is_404_even_if_still_stored(app: TestClient, seed: Any) -> None:
    """Deactivation revokes the key; the lookup refuses an inactive user's key on its own as well."""
    made = _make(app, seed, "worker")
    with seed.db.uow() as s:
        s.execute(update(User).where(User.id == seed.users["worker"]).values(is_active=False))
    assert _row(seed, "worker")[0] is not None
    assert _fetch(app, made["url"]).status_code == 404


def test_any_wrong_key_is_the_same_404_by_the_same_path(
    app: TestClient, seed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _make(app, seed, "worker")
    key = _key_of(made["url"])
    hashed: list[str] = []
    real = feeds.secret_hash
    monkeypatch.setattr(feeds, "secret_hash", lambda v: hashed.append(v) or real(v))
    wrong = [
        "chf_" + "A" * 43,
        key[:-1] + ("B" if key[-1] != "B" else "C"),
        key[:-1],
        key + "x",
        key.upper(),
        key.removeprefix("chf_"),
        "x",
        "%20",
        "a" * 2000,
        seed.tokens["worker"],  # an API token is no feed key
    ]
    before = _journal_count(seed)
    bodies = set()
    for w in wrong:
        r = _fetch(app, f"/api/v1/feeds/{w}/tasks.ics")
        assert r.status_code == 404, (w, r.status_code, r.text)
        assert "set-cookie" not in r.headers
        bodies.add(r.text)
    assert len(bodies) == 1 and feeds.NO_FEED in bodies.pop()
    assert len(hashed) == len(wrong), "every presented key is hashed and looked up, whatever its shape"
    assert _journal_count(seed) == before
    # the API token still works where it belongs, and the feed where it belongs
    assert app.get("/api/v1/me", headers=seed.headers("worker")).status_code == 200
    assert _fetch(app, made["url"]).status_code == 200


def test_the_secret_is_stored_and_journalled_only_as_its_hash(app: TestClient, seed: Any) -> None:
    made = _make(app, seed, "worker")
    key = _key_of(made["url"])
    digest = hashlib.sha256(key.encode()).hexdigest()
    assert _row(seed, "worker")[0] == digest
    found_hash = []
    with seed.db.uow(readonly=True) as s:
        for table in Base.metadata.sorted_tables:
            rows = s.execute(select(table)).all()
            dump = repr([tuple(r) for r in rows])
            assert key not in dump, f"the feed key is in {table.name} in clear"
            if digest in dump:
                found_hash.append(table.name)
    assert found_hash == ["users"], "the key's hash is only on the user's row (not in the journal)"
    for _, changes, _ in _journal(seed, "worker"):
        assert set(changes) == {"feed_key_created_at"}
    with seed.db.uow(readonly=True) as s:  # a user's snapshot (an admin's edit journals one) leaves it out
        assert "feed_key_hash" not in journal.snapshot(s.get(User, seed.users["worker"]))


def test_the_key_does_not_move_the_users_version(app: TestClient, seed: Any) -> None:
    """An instance admin's form opened before the user made a key still saves (no false 409)."""
    version = _row(seed, "worker")[2]
    _make(app, seed, "worker")
    app.delete("/api/v1/me/feed-key", headers=seed.headers("worker"))
    assert _row(seed, "worker")[2] == version
    with seed.db.uow() as s:
        u = accounts.update_user(
            s, seed.actor("admin"), seed.users["worker"], version, display_name="W. Orker"
        )
    assert u["version"] == version + 1


def test_the_address_is_rate_limited_like_a_token(
    app: TestClient, seed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _make(app, seed, "worker")
    monkeypatch.setenv("CHARTER_TOKEN_RATE_PER_MINUTE", "2")
    get_settings.cache_clear()
    assert [_fetch(app, made["url"]).status_code for _ in range(2)] == [200, 200]
    r = _fetch(app, made["url"])
    assert r.status_code == 429 and r.headers["retry-after"] == "60"
    assert "calendar feed address" in r.json()["error"]["message"]


def test_the_openapi_schema_says_the_feed_needs_no_token(app: TestClient) -> None:
    spec = app.get("/api/v1/openapi.json").json()
    feed = spec["paths"]["/feeds/{key}/tasks.ics"]["get"]
    assert "security" not in feed
    assert set(feed["responses"]) - {"422"} == {"200", "404", "429"}  # FastAPI adds 422 to every operation
    assert "text/calendar" in feed["responses"]["200"]["content"]
    mine = spec["paths"]["/me/feed-key"]
    assert set(mine) == {"get", "post", "delete"}
    assert mine["post"]["security"] == [{"HTTPBearer": []}]
    assert "url" in spec["components"]["schemas"]["FeedKeyCreated"]["properties"]
    assert "key" not in spec["components"]["schemas"]["FeedKeyCreated"]["properties"]


def test_anonymous_cannot_make_or_revoke_a_key(app: TestClient, seed: Any) -> None:
    before = _journal_count(seed)
    assert app.post("/api/v1/me/feed-key").status_code == 401
    assert app.delete("/api/v1/me/feed-key").status_code == 401
    assert _journal_count(seed) == before


# --------------------------------------------------------------------------------------------- the Account page


def test_the_account_page_shows_the_address_once(app: TestClient, seed: Any) -> None:
    csrf = login_seeded(seed, app, "worker")
    page = app.get("/account")
    assert "You have no calendar feed address." in page.text and "/account/feed-key/revoke" not in page.text
    r = app.post("/account/feed-key", data={"csrf_token": csrf})
    assert r.status_code == 200
    m = re.search(r'<input id="feed-url" class="secret" type="text" readonly value="([^"]+)"', r.text)
    assert m, r.text
    url = m.group(1)
    assert url.startswith("http://testserver/api/v1/feeds/chf_")
    assert r.headers["cache-control"] == "no-store"
    key = _key_of(url)
    assert _row(seed, "worker")[0] == hashlib.sha256(key.encode()).hexdigest()
    # shown once: the page afterwards says since when, never the key
    again = app.get("/account")
    assert key not in again.text and "Your feed address is active, made" in again.text
    assert "Make a new address" in again.text and "/account/feed-key/revoke" in again.text
    assert b"SUMMARY:P1: Task A" in _fetch(app, url).content
    # revoke
    login_seeded(seed, app, "worker")
    csrf = csrf_of(app.get("/account").text)
    r = app.post("/account/feed-key/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account#calendar-feed"
    assert _row(seed, "worker")[:2] == (None, None)
    assert _fetch(app, url).status_code == 404


@pytest.mark.parametrize("path", ["/account/feed-key", "/account/feed-key/revoke"])
def test_the_account_forms_need_the_csrf_token(app: TestClient, seed: Any, path: str) -> None:
    with seed.db.uow() as s:
        feeds.make_feed_key(s, seed.actor("worker"))
    stored = _row(seed, "worker")[0]
    login_seeded(seed, app, "worker")
    before = _journal_count(seed)
    for body in ({}, {"csrf_token": "forged-token"}):
        r = app.post(path, data=body, follow_redirects=False)
        assert r.status_code == 403, (path, body, r.status_code)
    assert _row(seed, "worker")[0] == stored and _journal_count(seed) == before


# --------------------------------------------------------------------------------------------- the CLI


def test_cli_prints_a_working_address(cli: Any, app: TestClient, seed: Any) -> None:
    out = cli("user", "feed-key", who="worker").stdout
    path = next(line.strip() for line in out.splitlines() if line.strip().startswith("/api/v1/feeds/"))
    assert path.endswith("/tasks.ics") and "https://charter.example.org" in out
    r = _fetch(app, path)
    assert r.status_code == 200 and b"SUMMARY:P1: Task A" in r.content
    assert _row(seed, "worker")[0] == hashlib.sha256(_key_of(path).encode()).hexdigest()
    # a second one replaces it
    data = json.loads(cli("user", "feed-key", "--json", who="worker").stdout)
    assert data["replaced"] is True and data["path"] == feeds.feed_path(data["key"])
    assert _fetch(app, path).status_code == 404 and _fetch(app, data["path"]).status_code == 200
    assert [a for a, _, _ in _journal(seed, "worker")] == ["make_feed_key", "replace_feed_key"]
    # revoke, then revoke nothing
    assert "is revoked" in cli("user", "feed-key", "--revoke", who="worker").stdout
    assert _fetch(app, data["path"]).status_code == 404 and _row(seed, "worker")[0] is None
    assert "nothing to revoke" in cli("user", "feed-key", "--revoke", who="worker").stdout
    state = json.loads(cli("user", "feed-key", "--revoke", "--json", who="worker").stdout)
    assert state == {"active": False, "created_at": None, "revoked": False}
    assert len(_journal(seed, "worker")) == 3


def test_with_a_public_url_the_address_is_whole_everywhere(
    cli: Any, app: TestClient, seed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARTER_PUBLIC_URL", "https://pm.example.org/charter/")
    get_settings.cache_clear()
    out = cli("user", "feed-key", who="worker").stdout
    (line,) = [x.strip() for x in out.splitlines() if "/api/v1/feeds/" in x and x.endswith("/tasks.ics")]
    assert (
        line.startswith("https://pm.example.org/charter/api/v1/feeds/chf_")
        and "CHARTER_PUBLIC_URL" not in out
    )
    assert _fetch(app, line.removeprefix("https://pm.example.org/charter")).status_code == 200
    made = app.post("/api/v1/me/feed-key", headers=seed.headers("worker")).json()
    assert made["url"].startswith("https://pm.example.org/charter/api/v1/feeds/chf_")
    assert _fetch(app, made["url"].removeprefix("https://pm.example.org/charter")).status_code == 200


# --------------------------------------------------------------------------------------------- project milestones


def _go_live(seed: Any) -> None:
    from charter.services import tasks

    with seed.db.uow() as s:
        tasks.create_task(
            s, seed.actor("pm"), seed.p1, name="Go-live", work_package_id=seed.wp_b, milestone=True
        )


def test_the_key_opens_the_milestones_of_each_project_its_owner_may_see(app: TestClient, seed: Any) -> None:
    _go_live(seed)
    made = _make(app, seed, "worker")
    key = _key_of(made["url"])
    with seed.db.uow(readonly=True) as s:
        seen = [p["project_id"] for p in feeds._project_feeds(s, seed.actor("worker"), key)]
    assert seen == [seed.p1]  # the worker works on P1 only
    [p1] = made["projects"]
    assert p1["project_id"] == seed.p1 and p1["project_key"] == "P1"
    assert p1["url"] == f"http://testserver/api/v1/feeds/{key}/projects/{seed.p1}/milestones.ics"
    r = _fetch(app, p1["url"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert "set-cookie" not in r.headers and r.headers["cache-control"] == "no-store"
    # what the project's iCalendar export gives, read as the key's owner
    export = app.get(
        f"/api/v1/projects/{seed.p1}/export", params={"format": "ics"}, headers=seed.headers("worker")
    )
    assert b"SUMMARY:P1: Go-live" in r.content and _events(r.content) == _events(export.content)
    assert b"Task A" not in r.content  # milestones only
    # a project the owner may not see, one that does not exist, a wrong key: the same 404
    for url in (
        f"/api/v1/feeds/{key}/projects/{seed.p2}/milestones.ics",
        f"/api/v1/feeds/{key}/projects/999999/milestones.ics",
        f"/api/v1/feeds/chf_wrong/projects/{seed.p1}/milestones.ics",
    ):
        gone = _fetch(app, url)
        assert gone.status_code == 404 and gone.json()["error"]["message"] == feeds.NO_FEED, url
    # revoked: the project addresses stop with the task feed
    assert app.delete("/api/v1/me/feed-key", headers=seed.headers("worker")).status_code == 200
    assert _fetch(app, p1["url"]).status_code == 404


def test_a_project_its_owner_leaves_stops_answering(app: TestClient, seed: Any) -> None:
    from charter.persistence.models import RoleAssignment

    made = _make(app, seed, "observer")
    [p1] = [p for p in made["projects"] if p["project_id"] == seed.p1]
    assert _fetch(app, p1["url"]).status_code == 200
    with seed.db.uow() as s:
        s.execute(update(RoleAssignment).where(RoleAssignment.user_id == seed.users["observer"],
                                               RoleAssignment.project_id == seed.p1)
                  .values(valid_until=RoleAssignment.valid_from))  # fmt: skip
    assert _fetch(app, p1["url"]).status_code == 404


def test_the_account_page_and_the_cli_list_the_project_addresses(
    cli: Any, app: TestClient, seed: Any
) -> None:
    _go_live(seed)
    csrf = login_seeded(seed, app, "worker")
    page = app.post("/account/feed-key", data={"csrf_token": csrf}).text
    urls = re.findall(r'aria-label="Milestones of P1"[^>]*|value="([^"]+/milestones\.ics)"', page)
    [url] = [u for u in urls if u]
    assert url.startswith("http://testserver/api/v1/feeds/chf_") and f"/projects/{seed.p1}/" in url
    assert b"SUMMARY:P1: Go-live" in _fetch(app, url).content
    out = cli("user", "feed-key", who="worker").stdout
    [line] = [x.strip() for x in out.splitlines() if x.strip().startswith("P1: ")]
    path = line.removeprefix("P1: ")
    assert path.endswith(f"/projects/{seed.p1}/milestones.ics")
    assert b"SUMMARY:P1: Go-live" in _fetch(app, path).content
    assert _fetch(app, url).status_code == 404  # the page's key was replaced


def test_cli_refuses_a_deactivated_user(cli: Any, seed: Any) -> None:
    with seed.db.uow() as s:
        s.execute(update(User).where(User.id == seed.users["worker"]).values(is_active=False))
    before = _journal_count(seed)
    r = cli("user", "feed-key", who="worker", code=1)
    assert "deactivated" in r.stderr and "(field: as)" in r.stderr
    assert _row(seed, "worker")[0] is None and _journal_count(seed) == before
    r = cli("user", "feed-key", who="nobody", code=1)
    assert "no user 'nobody'" in r.stderr
