"""Passwords: a user changes their own (POST /api/v1/me/password, the Password form of /account), an admin sets
anyone's (`charter user passwd`, the admin's user page, PATCH /users/{id} with a password). A change ends the
user's other web sessions (the one that asked stays), is journalled without the hash, and a wrong current
password is a 422 on `current_password` that counts as a failed sign-in (throttled like the login form)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from charter.domain.errors import NotAuthenticated
from charter.persistence.models import LoginAttempt, User
from charter.services import accounts, journal
from webhelpers import PW, csrf_of, signed_in

NEW = "a brand new passphrase"


def _set_password(seed: Any, who: str, password: str = PW) -> None:
    with seed.db.uow() as s:
        s.execute(
            update(User)
            .where(User.id == seed.users[who])
            .values(password_hash=accounts.hash_password(password))
        )


def _sessions(seed: Any, who: str, n: int) -> list[str]:
    with seed.db.uow() as s:
        return [accounts.start_session(s, s.get(User, seed.users[who])).cookie for _ in range(n)]


def _alive(seed: Any, cookie: str) -> bool:
    with seed.db.uow() as s:
        return accounts.resolve_session(s, cookie) is not None


def _signs_in(seed: Any, username: str, password: str) -> bool:
    try:
        with seed.db.uow() as s:
            accounts.authenticate(s, username, password, "127.0.0.1")
    except NotAuthenticated:
        return False
    return True


def _journal(seed: Any, who: str, action: str) -> list[dict[str, Any]]:
    with seed.db.uow(readonly=True) as s:
        entries = journal.entries(s, entity_type="user", entity_id=seed.users[who])
    return [e for e in entries if e["action"] == action]


def _failures(seed: Any, username: str) -> int:
    with seed.db.uow(readonly=True) as s:
        q = select(func.count()).select_from(LoginAttempt)
        return s.scalar(q.where(LoginAttempt.username == username, LoginAttempt.success.is_(False))) or 0


# --------------------------------------------------------------------------------------------- API


def test_api_change_own_password_ends_web_sessions(api: Any, seed: Any, as_: Any) -> None:
    _set_password(seed, "worker")
    cookies = _sessions(seed, "worker", 2)
    other = _sessions(seed, "pm", 1)[0]
    r = api.post("/me/password", json={"current_password": PW, "new_password": NEW}, headers=as_("worker"))
    assert r.status_code == 200, r.text
    assert r.json() == {"sessions_ended": 2}
    assert not any(_alive(seed, c) for c in cookies)  # the API has no session of its own: all of them end
    assert _alive(seed, other)  # nobody else's
    assert api.get("/me", headers=as_("worker")).status_code == 200  # API tokens stay
    assert _signs_in(seed, "worker", NEW) and not _signs_in(seed, "worker", PW)
    [entry] = _journal(seed, "worker", "change_password")
    assert entry["actor_id"] == seed.users["worker"]
    assert entry["changes"] == {"other_sessions_ended": [None, 2]}
    with seed.db.uow(readonly=True) as s:
        stored = s.get(User, seed.users["worker"]).password_hash
    assert stored and stored not in str(entry["changes"]) and "password_hash" not in str(entry["changes"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"current_password": "not my password", "new_password": NEW}, "current_password"),
        ({"current_password": PW, "new_password": "short"}, "new_password"),
        ({"current_password": PW, "new_password": PW}, "new_password"),
        ({"current_password": PW, "new_password": "x" * 1025}, "new_password"),
        ({"current_password": PW}, "new_password"),
    ],
    ids=["wrong current", "too short", "unchanged", "too long", "missing"],
)
def test_api_refusals_name_the_field_and_change_nothing(
    api: Any, seed: Any, as_: Any, body: dict[str, str], field: str
) -> None:
    _set_password(seed, "worker")
    cookie = _sessions(seed, "worker", 1)[0]
    r = api.post("/me/password", json=body, headers=as_("worker"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field
    assert _signs_in(seed, "worker", PW) and _alive(seed, cookie)
    assert not _journal(seed, "worker", "change_password")


def test_a_wrong_current_password_counts_as_a_failed_sign_in(api: Any, seed: Any, as_: Any) -> None:
    """Guessing through a stolen token or session is throttled as the login form is, and the login with it."""
    _set_password(seed, "worker")
    wrong = {"current_password": "guess number one", "new_password": NEW}
    for _ in range(5):
        assert api.post("/me/password", json=wrong, headers=as_("worker")).status_code == 422
    assert _failures(seed, "worker") == 5
    r = api.post("/me/password", json={"current_password": PW, "new_password": NEW}, headers=as_("worker"))
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert not _journal(seed, "worker", "change_password")


def test_no_password_yet_and_anonymous(api: Any, seed: Any, as_: Any) -> None:
    r = api.post("/me/password", json={"current_password": "anything at all", "new_password": NEW},
                 headers=as_("observer"))  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["field"] == "current_password"
    assert "no password yet" in r.json()["error"]["message"]
    r = api.post("/me/password", json={"current_password": "anything at all", "new_password": NEW})
    assert r.status_code == 401


def test_api_admin_reset_by_patch_ends_the_users_sessions(api: Any, seed: Any, as_: Any) -> None:
    cookies = _sessions(seed, "worker", 2)
    version = api.get(f"/users/{seed.users['worker']}", headers=as_("admin")).json()["version"]
    r = api.patch(f"/users/{seed.users['worker']}", json={"version": version, "password": NEW},
                  headers=as_("admin"))  # fmt: skip
    assert r.status_code == 200, r.text
    assert not any(_alive(seed, c) for c in cookies)
    assert _signs_in(seed, "worker", NEW)
    [entry] = _journal(seed, "worker", "reset_password")
    assert entry["actor_id"] == seed.users["admin"] and entry["changes"] == {"sessions_ended": [None, 2]}


# --------------------------------------------------------------------------------------------- web


def _password_form(page: str) -> str:
    return page.split('action="/account/password"')[1].split("</form>")[0]


def test_web_change_own_password_keeps_this_session(seed: Any) -> None:
    _set_password(seed, "worker")
    other = _sessions(seed, "worker", 1)[0]
    with signed_in(seed, "worker") as c:
        page = c.get("/account").text
        form = _password_form(page)
        assert 'name="current_password" type="password"' in form and 'name="new_password_again"' in form
        assert "value=" not in form.replace('name="csrf_token" value=', "")
        data = {"csrf_token": csrf_of(page), "current_password": PW, "new_password": NEW,
                "new_password_again": NEW}  # fmt: skip
        r = c.post("/account/password", data=data)
        assert r.status_code == 303 and r.headers["location"] == "/account?changed=password#password"
        page = c.get(r.headers["location"])
        assert page.status_code == 200 and 'id="password-changed"' in page.text  # still signed in
    assert not _alive(seed, other)
    assert _signs_in(seed, "worker", NEW)
    assert len(_journal(seed, "worker", "change_password")) == 1


@pytest.mark.parametrize(
    ("current", "new", "again", "field", "status"),
    [
        ("wrong password here", NEW, NEW, "current_password", 422),
        (PW, NEW, NEW + "!", "new_password_again", 422),
        (PW, "short", "short", "new_password", 422),
    ],
    ids=["wrong current", "typed twice differently", "too short"],
)
def test_web_refusal_beside_the_form_never_echoes_passwords(
    seed: Any, current: str, new: str, again: str, field: str, status: int
) -> None:
    _set_password(seed, "worker")
    with signed_in(seed, "worker") as c:
        page = c.get("/account").text
        data = {"csrf_token": csrf_of(page), "current_password": current, "new_password": new,
                "new_password_again": again}  # fmt: skip
        r = c.post("/account/password", data=data)
        assert r.status_code == status, r.text
        assert 'id="password-error"' in r.text
        form = _password_form(r.text)
        assert 'aria-invalid="true"' in form.split(f'name="{field}"')[1].split(">")[0]
        for typed in {current, new, again}:
            assert typed not in r.text
    assert _signs_in(seed, "worker", PW)


# --------------------------------------------------------------------------------------------- CLI


def _charter(args: list[str], stdin: str | None = None) -> Any:
    from charter.cli.main import app

    return CliRunner().invoke(app, args, input=stdin)


def test_cli_passwd_from_stdin_and_prompt(cli: Any, seed: Any) -> None:
    cookies = _sessions(seed, "worker", 2)
    r = _charter(["--as", "admin", "user", "passwd", "worker", "--password-stdin"], f"{NEW}\n")
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert "Password of worker set" in r.stdout and NEW not in r.output
    assert not any(_alive(seed, c) for c in cookies)
    assert _signs_in(seed, "worker", NEW)
    # asked twice, hidden: a mismatch asks again
    again = "another passphrase!"
    r = _charter(
        ["--as", "admin", "user", "passwd", "worker"], f"{again}\nnope nope nope\n{again}\n{again}\n"
    )
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert "do not match" in r.output and again not in r.output
    assert _signs_in(seed, "worker", again)
    assert len(_journal(seed, "worker", "reset_password")) == 2


def test_cli_passwd_refusals(cli: Any, seed: Any) -> None:
    r = _charter(["--as", "pm", "user", "passwd", "worker", "--password-stdin"], f"{NEW}\n")
    assert r.exit_code == 1 and "only an instance admin" in r.stderr
    r = _charter(["--as", "admin", "user", "passwd", "worker", "--password-stdin"], "short\n")
    assert r.exit_code == 1 and "at least 10 characters" in r.stderr and "(field: password)" in r.stderr
    r = _charter(["--as", "admin", "user", "passwd", "nobody", "--password-stdin"], f"{NEW}\n")
    assert r.exit_code == 1 and "no user 'nobody'" in r.stderr
    assert not _journal(seed, "worker", "reset_password")
    help_text = cli("user", "passwd", "--help", who="admin").stdout
    assert "--password-stdin" in help_text
