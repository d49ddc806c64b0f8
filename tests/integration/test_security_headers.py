"""Security headers on every kind of response, HSTS only over TLS, rate limits and session expiry.

HSTS policy: the header is sent when the request itself came over TLS (ASGI scope scheme "https"). A
client-supplied X-Forwarded-Proto is NOT trusted: `charter serve` runs uvicorn with proxy_headers=False, so
behind a TLS-terminating proxy the proxy adds HSTS (or uvicorn is started with --proxy-headers and
--forwarded-allow-ips naming the proxy, which then rewrites the scheme before Charter sees it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.config import get_settings
from charter.persistence.db import Database
from charter.services import accounts
from charter.services.context import SYSTEM

PW = "headers-test-password"


@pytest.fixture
def client(db: Database, world_builder: Any) -> Iterator[tuple[TestClient, Any]]:
    world = world_builder(db)
    with TestClient(create_app(db)) as c:
        yield c, world


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m
    return m.group(1)


def _assert_headers(r: Any) -> None:
    h = r.headers
    csp = h["content-security-policy"]
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, csp
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["object-src"] == "object-src 'none'"
    assert "script-src" in directives or "default-src" in directives
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")


def test_headers_on_html_json_static_errors_and_redirects(client: Any) -> None:
    c, world = client
    auth = world.headers("admin")
    responses = [
        c.get("/login"),  # HTML page
        c.get("/projects", follow_redirects=False),  # redirect to login
        c.get("/no-such-page"),  # HTML 404
        c.get("/api/v1/projects", headers=auth),  # JSON
        c.get("/api/v1/projects"),  # JSON 401
        c.get("/api/v1/openapi.json"),
        c.post("/api/v1/projects", json={"key": "X"}, headers=auth),  # JSON 422
    ]
    static = re.search(r'(?:href|src)="(/static/[^"]+)"', responses[0].text)
    if static:
        responses.append(c.get(static.group(1)))
    assert [r.status_code for r in responses][:7] == [200, 303, 404, 200, 401, 200, 422]
    for r in responses:
        _assert_headers(r)
    assert responses[3].headers["cache-control"] == "no-store"  # API data is never cached


def test_hsts_only_over_tls_and_forwarded_proto_is_not_trusted(db: Database) -> None:
    app = create_app(db)
    with TestClient(app, base_url="http://testserver") as plain:
        assert "strict-transport-security" not in plain.get("/login").headers
        spoofed = plain.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in spoofed.headers
    with TestClient(app, base_url="https://testserver") as tls:
        for r in (tls.get("/login"), tls.get("/api/v1/projects")):
            hsts = r.headers["strict-transport-security"]
            assert "max-age=31536000" in hsts and "includeSubDomains" in hsts


def test_token_use_is_rate_limited_with_429_json_and_retry_after(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, world = client
    from charter.api import deps

    monkeypatch.setenv("CHARTER_TOKEN_RATE_PER_MINUTE", "5")
    get_settings.cache_clear()
    monkeypatch.setattr(deps, "limiter", deps._RateLimiter())
    auth = world.headers("observer")
    codes = [c.get("/api/v1/me", headers=auth).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    r = c.get("/api/v1/me", headers=auth)
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"]["code"] and r.json()["error"]["message"]
    assert int(r.headers["retry-after"]) > 0
    # another token is not affected
    assert c.get("/api/v1/me", headers=world.headers("pm")).status_code == 200


def test_password_exchange_is_throttled_with_retry_after(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, _ = client
    monkeypatch.setenv("CHARTER_LOGIN_MAX_FAILURES", "3")
    get_settings.cache_clear()
    body = {"username": "pm", "password": "wrong-password-1", "name": "t"}
    codes = [c.post("/api/v1/auth/token", json=body).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    r = c.post("/api/v1/auth/token", json=body)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert r.json()["error"]["code"]


def _web_login(db: Database, c: TestClient) -> None:
    with db.uow() as s:
        accounts.create_user(s, SYSTEM, username="sally", display_name="Sally", password=PW)
    page = c.get("/login")
    r = c.post(
        "/login",
        data={"username": "sally", "password": PW, "csrf_token": _csrf(page.text), "next": "/projects"},
        follow_redirects=False,
    )
    assert r.status_code == 303


def _signed_in(c: TestClient) -> bool:
    return c.get("/projects", follow_redirects=False).status_code == 200


def test_web_login_is_throttled(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTER_LOGIN_MAX_FAILURES", "2")
    get_settings.cache_clear()
    with TestClient(create_app(db)) as c:
        token = _csrf(c.get("/login").text)
        answers = [
            c.post("/login", data={"username": "nobody", "password": "x", "csrf_token": token})
            for _ in range(3)
        ]
    assert [r.status_code for r in answers] == [401, 401, 429]
    assert int(answers[-1].headers["retry-after"]) > 0 and "retry-after" not in answers[0].headers


def test_session_expires_when_idle(db: Database, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTER_SESSION_IDLE_MINUTES", "30")
    get_settings.cache_clear()
    with TestClient(create_app(db)) as c:
        _web_login(db, c)
        frozen_clock.advance(minutes=29)
        assert _signed_in(c)  # activity renews the idle window ...
        frozen_clock.advance(minutes=29)
        assert _signed_in(c)
        frozen_clock.advance(minutes=31)  # ... and 31 minutes of silence end it
        assert not _signed_in(c)


def test_session_expires_absolutely_despite_activity(
    db: Database, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARTER_SESSION_HOURS", "2")
    monkeypatch.setenv("CHARTER_SESSION_IDLE_MINUTES", "30")
    get_settings.cache_clear()
    with TestClient(create_app(db)) as c:
        _web_login(db, c)
        for _ in range(5):  # active every 20 minutes for 100 minutes
            frozen_clock.advance(minutes=20)
            assert _signed_in(c)
        frozen_clock.advance(minutes=21)  # 2 h 1 min after sign-in
        assert not _signed_in(c)
