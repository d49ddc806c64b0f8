"""The composition root: one ASGI app serving the web pages, the static files and the JSON API."""

from __future__ import annotations

import gc
import sys

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from charter.api.app import create_api
from charter.config import get_settings
from charter.persistence.db import Database
from charter.web.app import install_web

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """The security headers on every answer (those a route set itself win). Plain ASGI rather than
    BaseHTTPMiddleware, which copies every response body through a stream of its own: the Gantt data is
    megabytes, and the wrapper cost every request a measurable share of its time under load."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        private = scope["path"].startswith(("/api/", "/projects", "/account", "/admin"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                h.setdefault("Content-Security-Policy", CSP)
                h.setdefault("X-Content-Type-Options", "nosniff")
                h.setdefault("X-Frame-Options", "DENY")
                h.setdefault("Referrer-Policy", "same-origin")
                h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                if https:
                    h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
                if private:
                    h.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


BODY_SLACK = 1024 * 1024  # multipart envelope and form fields around an upload of max_upload_bytes


class BodyTooLarge(StarletteHTTPException):
    """Raised while the body is read; an HTTPException, so the API and the web app render it (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit // (1024 * 1024)} MB")


class BodySizeLimit:
    """Refuse request bodies over settings.max_upload_bytes (+ slack) with 413: at once when Content-Length
    says so, else as soon as the streamed body passes the limit. JSON under /api/, HTML elsewhere."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = get_settings().max_upload_bytes + BODY_SLACK
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, BodyTooLarge(limit))
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, exc: BodyTooLarge) -> None:
        response: Response
        if scope["path"].startswith("/api/"):
            response = JSONResponse(
                {"error": {"code": "too_large", "message": exc.detail, "field": None}}, status_code=413
            )
        else:
            response = HTMLResponse(f"<!doctype html><title>Too large</title><p>{exc.detail}</p>", 413)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


class SchemaOutOfDate(SystemExit):
    pass


def create_app(
    db: Database | None = None,
    *,
    check_schema: bool = True,
    run_worker: bool = False,
    freeze_gc: bool = False,
) -> FastAPI:
    """`run_worker`: on SQLite, drain the notification outbox in this process (what `charter serve` does;
    on PostgreSQL run `charter worker` processes instead, as many as you like).

    `freeze_gc` (a server process, not tests that build many apps): once started, move every object alive
    then (modules, routes, schemas, mappers: about 430,000) out of the cyclic garbage collector's sight
    (`gc.freeze`). A full collection walks every tracked object while all request threads wait: 200 ms with
    them, 2 ms without, which was the p99 of even one-row reads under load."""
    settings = get_settings()
    if db is None:
        pool = settings.db_pool_size or settings.request_threads + 4
        url = settings.resolved_database_url()
        db = Database(url) if url.startswith("sqlite") else Database(url, pool_size=pool)
    if check_schema:
        problem = db.schema_problem()
        if problem:
            print(f"charter: cannot start: {problem}", file=sys.stderr)
            raise SchemaOutOfDate(2)
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    worker = run_worker and db.is_sqlite

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        # the synchronous routes' thread pool (see Settings.request_threads)
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        stop = None
        if worker:
            from charter.notify.worker import start_background_worker
            from charter.services import scheduled

            stop = start_background_worker(
                db, jobs=scheduled.jobs(), attachments=scheduled.attachment_resolvers()
            )
        if freeze_gc:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if stop is not None:
                stop()

    app = FastAPI(title="Charter", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.db = db
    app.add_middleware(BodySizeLimit)  # inside SecurityHeaders, so a 413 carries the headers too
    app.add_middleware(SecurityHeaders)
    app.mount("/api/v1", create_api(db))
    install_web(app, db)
    return app


def app_from_env() -> FastAPI:
    """Entry point for `uvicorn --factory charter.app:app_from_env` (what `charter serve` runs)."""
    return create_app(run_worker=True, freeze_gc=True)
