"""The composition root: one ASGI app serving the web pages, the static files and the JSON API."""

from __future__ import annotations

import sys

from fastapi import FastAPI
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from charter.api.app import create_api
from charter.config import get_settings
from charter.persistence.db import Database
from charter.web.app import install_web

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.url.scheme == "https":
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.url.path.startswith(("/api/", "/projects", "/account", "/admin")):
            h.setdefault("Cache-Control", "no-store")
        return response


class SchemaOutOfDate(SystemExit):
    pass


def create_app(db: Database | None = None, *, check_schema: bool = True) -> FastAPI:
    if db is None:
        db = Database(get_settings().resolved_database_url())
    if check_schema:
        problem = db.schema_problem()
        if problem:
            print(f"charter: cannot start: {problem}", file=sys.stderr)
            raise SchemaOutOfDate(2)
    app = FastAPI(title="Charter", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.db = db
    app.add_middleware(SecurityHeaders)
    app.mount("/api/v1", create_api(db))
    install_web(app, db)
    return app


def app_from_env() -> FastAPI:
    """Entry point for `uvicorn --factory charter.app:app_from_env` (what `charter serve` runs)."""
    return create_app()
