"""An instance admin sees whether a user has a calendar feed address and since when, and revokes it: on the
admin user page (a CSRF form), through `DELETE /api/v1/users/{id}/feed-key` and `charter user feed-key --user
NAME --revoke`; journalled on the user with the admin as actor. Nobody else may, and nobody ever makes or sees
another person's address."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from charter.app import create_app
from charter.persistence.db import Database
from charter.persistence.models import JournalEntry, User
from charter.services import feeds
from webhelpers import csrf_of, login_seeded


@pytest.fixture
def app(db: Database, seed: Any) -> Iterator[TestClient]:
    with TestClient(create_app(db, check_schema=False), follow_redirects=False) as client:
        yield client


def _key(seed: Any, who: str = "worker") -> str:
    with seed.db.uow() as s:
        return str(feeds.make_feed_key(s, seed.actor(who))["path"])


def _hash(seed: Any, who: str = "worker") -> str | None:
    with seed.db.uow(readonly=True) as s:
        u = s.get(User, seed.users[who])
        assert u is not None
        return u.feed_key_hash


def _revocations(seed: Any, who: str = "worker") -> list[tuple[int | None, dict[str, Any]]]:
    with seed.db.uow(readonly=True) as s:
        rows = s.execute(
            select(JournalEntry.actor_id, JournalEntry.changes)
            .where(JournalEntry.entity_type == "user", JournalEntry.entity_id == str(seed.users[who]))
            .where(JournalEntry.action == "revoke_feed_key")
            .order_by(JournalEntry.id)
        ).all()
    return [(a, c) for a, c in rows]


def _journal_count(seed: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(JournalEntry)) or 0)


# --------------------------------------------------------------------------------------------- API


def test_api_admin_sees_the_status_and_revokes_the_key(app: TestClient, seed: Any) -> None:
    path = _key(seed)
    url = f"/api/v1/users/{seed.users['worker']}/feed-key"
    status = app.get(url, headers=seed.headers("admin"))
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["active"] is True and body["created_at"] and body["user_id"] == seed.users["worker"]
    assert "key" not in body and "url" not in body and "path" not in body  # never the secret
    gone = app.delete(url, headers=seed.headers("admin"))
    assert gone.status_code == 200, gone.text
    assert gone.json() == {
        "user_id": seed.users["worker"],
        "active": False,
        "created_at": None,
        "revoked": True,
    }
    assert _hash(seed) is None
    app.cookies.clear()
    assert app.get(path).status_code == 404  # the address no longer works
    ((actor, changes),) = _revocations(seed)
    assert actor == seed.users["admin"] and changes["feed_key_created_at"][1] is None
    # again: nothing to revoke, nothing journalled
    count = _journal_count(seed)
    again = app.delete(url, headers=seed.headers("admin"))
    assert again.status_code == 200 and again.json()["revoked"] is False and _journal_count(seed) == count


def test_api_refuses_anyone_but_an_admin_and_an_unknown_user_is_404(app: TestClient, seed: Any) -> None:
    _key(seed)
    url = f"/api/v1/users/{seed.users['worker']}/feed-key"
    count = _journal_count(seed)
    for who in ("pm", "sponsor", "observer"):
        assert app.delete(url, headers=seed.headers(who)).status_code == 403
        assert app.get(url, headers=seed.headers(who)).status_code == 403
    app.cookies.clear()
    assert app.delete(url).status_code == 401
    assert _hash(seed) is not None and _journal_count(seed) == count
    missing = app.delete("/api/v1/users/999999/feed-key", headers=seed.headers("admin"))
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "user_id"
    assert app.get("/api/v1/users/999999/feed-key", headers=seed.headers("admin")).status_code == 404


# --------------------------------------------------------------------------------------------- web


def test_the_admin_user_page_shows_since_when_and_revokes_with_the_csrf_token(
    app: TestClient, seed: Any
) -> None:
    page_url = f"/admin/users/{seed.users['worker']}"
    login_seeded(seed, app, "admin")
    assert "No calendar feed address." in app.get(page_url).text
    path = _key(seed)
    page = app.get(page_url).text
    assert "Has a calendar feed address since" in page and 'id="feed-revoke"' in page
    assert path not in page and "chf_" not in page  # the admin never sees the address
    revoke = f"{page_url}/feed-key/revoke"
    assert app.post(revoke, data={}).status_code == 403  # without the CSRF token
    assert _hash(seed) is not None and _revocations(seed) == []
    done = app.post(revoke, data={"csrf_token": csrf_of(app.get(page_url).text)})
    assert done.status_code == 303 and done.headers["location"].startswith(f"{page_url}?feed=1")
    assert _hash(seed) is None
    assert [a for a, _ in _revocations(seed)] == [seed.users["admin"]]
    after = app.get(done.headers["location"]).text
    assert "The calendar feed address was revoked" in after and "No calendar feed address." in after
    assert 'id="feed-revoke"' not in after


def test_the_revoke_form_is_refused_to_others(app: TestClient, seed: Any) -> None:
    _key(seed)
    token = login_seeded(seed, app, "pm")
    r = app.post(f"/admin/users/{seed.users['worker']}/feed-key/revoke", data={"csrf_token": token})
    assert r.status_code == 403
    assert _hash(seed) is not None and _revocations(seed) == []


# --------------------------------------------------------------------------------------------- CLI


def test_cli_admin_revokes_another_users_key(cli: Any, app: TestClient, seed: Any) -> None:
    path = _key(seed)
    out = cli("user", "feed-key", "--user", "worker", "--revoke", who="admin").stdout
    assert "The calendar feed address of worker is revoked" in out
    assert _hash(seed) is None
    app.cookies.clear()
    assert app.get(path).status_code == 404
    assert [a for a, _ in _revocations(seed)] == [seed.users["admin"]]
    data = json.loads(cli("user", "feed-key", "--user", "worker", "--revoke", "--json", who="admin").stdout)
    assert data["revoked"] is False and data["active"] is False and data["user_id"] == seed.users["worker"]
    assert len(_revocations(seed)) == 1


def test_cli_never_makes_or_shows_someone_elses_key_and_only_an_admin_revokes_it(cli: Any, seed: Any) -> None:
    _key(seed)
    before = _hash(seed)
    count = _journal_count(seed)
    made = cli("user", "feed-key", "--user", "worker", who="admin", code=1).output
    assert "(field: user)" in made and "chf_" not in made
    assert "(field: user)" in cli("user", "feed-key", "--user", "worker", who="pm", code=1).output
    refused = cli("user", "feed-key", "--user", "worker", "--revoke", who="pm", code=1).output
    assert "error:" in refused and "admin" in refused
    assert (
        "(field: user)" in cli("user", "feed-key", "--user", "nobody", "--revoke", who="admin", code=1).output
    )
    assert _hash(seed) == before and _journal_count(seed) == count
    # naming oneself is one's own key, as without --user
    out = cli("user", "feed-key", "--user", "pm", who="pm").stdout
    assert "chf_" in out and _hash(seed, "pm") is not None
