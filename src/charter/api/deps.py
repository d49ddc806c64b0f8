"""Dependencies shared by the API routers: the database and the acting user (Bearer token)."""

from __future__ import annotations

import time
from collections import deque
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from charter.config import get_settings
from charter.domain.errors import NotAuthenticated, TooManyRequests
from charter.persistence.db import Database
from charter.services import accounts
from charter.services.context import Actor

bearer = HTTPBearer(
    auto_error=False, description="An API token created with POST /auth/token or in the web app"
)


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


class _RateLimiter:
    """A sliding one-minute window per token (or calendar feed address), in this process."""

    def __init__(self) -> None:
        self.hits: dict[str, deque[float]] = {}

    def check(self, key: str, per_minute: int, what: str = "token") -> None:
        t = time.monotonic()
        q = self.hits.setdefault(key, deque())
        while q and q[0] <= t - 60:
            q.popleft()
        if len(q) >= per_minute:
            raise TooManyRequests(f"too many requests with this {what}; slow down", retry_after=60)
        q.append(t)
        if len(self.hits) > 10000:
            self.hits.clear()


limiter = _RateLimiter()


def get_actor(
    db: Annotated[Database, Depends(get_db)],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if creds is None or creds.scheme.lower() != "bearer":
        raise NotAuthenticated("send an API token as `Authorization: Bearer <token>`")
    limiter.check(creds.credentials[:16], get_settings().token_rate_per_minute)
    with db.uow(readonly=True) as s:
        actor = accounts.resolve_token(s, creds.credentials)
    if actor is None:
        raise NotAuthenticated("the API token is unknown, revoked or expired")
    return actor


DB = Annotated[Database, Depends(get_db)]
CurrentActor = Annotated[Actor, Depends(get_actor)]
