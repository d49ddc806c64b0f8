"""What the web-page tests share: the seeded users' password, signing in through the login form, the CSRF
token of a page, and the check that a page has no inline script or style. (Test modules cannot import
conftest under --import-mode=importlib; `tests` is on the path, see pyproject.toml.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

PW = "web-test-password"


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def sign_in(client: TestClient, username: str, *, landing: str = "/projects") -> None:
    """Sign in as `username` (password `PW`) through the login form, starting from no session."""
    client.cookies.clear()
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": username, "password": PW, "csrf_token": csrf_of(page.text), "next": landing},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def login(client: TestClient, username: str, *, landing: str = "/projects") -> str:
    """Sign in and return the CSRF token of the landing page (for the forms the test then posts)."""
    sign_in(client, username, landing=landing)
    return csrf_of(client.get(landing).text)


def login_seeded(world: Any, client: TestClient, name: str) -> str:
    """Give the seeded world's user `name` the password `PW`, sign in and return the CSRF token of /projects."""
    from sqlalchemy import update

    from charter.persistence.models import User
    from charter.services.accounts import hash_password

    with world.db.uow() as s:
        s.execute(update(User).where(User.id == world.users[name]).values(password_hash=hash_password(PW)))
    return login(client, name.replace("_", "-"))


@contextmanager
def comms_client(world: Any) -> Iterator[TestClient]:
    """A web client of the seeded world (not signed in) in which every user's password is `PW` (sign in with
    `login`) and the stakeholder works in Sales, so their messages to the PM go through Sales' liaison."""
    from sqlalchemy import update

    from charter.app import create_app
    from charter.persistence.models import User
    from charter.services.accounts import hash_password

    with world.db.uow() as s:
        s.execute(update(User).values(password_hash=hash_password(PW)))
        s.execute(update(User).where(User.id == world.users["stakeholder"]).values(department_id=world.sales))
    with TestClient(create_app(world.db), follow_redirects=False) as client:
        yield client


def no_inline(html: str) -> None:
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"


def signed_in(seed: Any, who: str) -> TestClient:
    """A web client of the seeded world already signed in as `who` (a session made by the service, so no
    password is needed); use it as a context manager."""
    from charter.app import create_app
    from charter.persistence.models import User
    from charter.services import accounts

    with seed.db.uow() as s:
        new = accounts.start_session(s, s.get(User, seed.users[who]))
    client = TestClient(create_app(seed.db), follow_redirects=False)
    client.cookies.set("charter_session", new.cookie)
    return client
