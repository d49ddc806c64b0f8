"""One place that turns errors into JSON: {"error": {"code", "message", "field"}} with the right status."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from charter.api.schemas import shown
from charter.domain import errors as E

log = logging.getLogger("charter.api")


def status_of(exc: E.CharterError) -> int:
    return exc.http_status


def _json_safe(v: Any) -> Any:
    """As the routes answer: amounts as strings ("20000.00", `schemas.shown`), not the float FastAPI's
    encoder makes of a Decimal, so a record in a 409's `current` has the types of the record a route gives."""
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(shown(v), custom_encoder={Decimal: str})


def error_response(
    status: int, code: str, message: str, field: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message, "field": field}
    body.update({k: _json_safe(v) for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": body}, status_code=status, headers=headers)


BUSY_MESSAGE = "the database is busy or unavailable; nothing was saved; try again in a moment"
RETRY_AFTER_SECONDS = 2


def busy_log(request: Request, exc: OperationalError) -> None:
    """SQLite's busy timeout ran out ("database is locked"), a PostgreSQL deadlock or lock timeout, or the
    database is unreachable: the transaction was rolled back, so the client may simply retry."""
    log.warning(
        "database busy on %s: %s", request.url.path, str(exc.orig).splitlines()[0] if exc.orig else exc
    )


def busy_response(request: Request, exc: OperationalError) -> JSONResponse:
    busy_log(request, exc)
    resp = error_response(503, "busy", BUSY_MESSAGE)
    resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return resp


def install(app: FastAPI) -> None:
    @app.exception_handler(E.CharterError)
    async def _charter(_: Request, exc: E.CharterError) -> JSONResponse:
        extra: dict[str, Any] = {}
        if isinstance(exc, E.Conflict) and exc.current is not None:
            extra["current"] = exc.current
        resp = error_response(status_of(exc), exc.code, exc.message, exc.field, **extra)
        if isinstance(exc, E.TooManyRequests):
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        first = errs[0] if errs else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or None
        msg = first.get("msg", "invalid request")
        if first.get("type") == "extra_forbidden":
            msg = "unknown field; it is not part of this request"
        if first.get("type") == "json_invalid":
            return error_response(400, "bad_request", "the body is not valid JSON", field)
        return error_response(422, "invalid", f"{field}: {msg}" if field else msg, field)

    @app.exception_handler(StaleDataError)
    async def _stale(_: Request, exc: StaleDataError) -> JSONResponse:
        return error_response(
            409, "conflict", "the record was changed by someone else at the same time; reload"
        )

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_: Request, exc: Exception) -> JSONResponse:
        # An id or number beyond what the database column holds (SQLite: OverflowError on binding;
        # PostgreSQL: DataError) is bad input, not a server fault.
        return error_response(422, "invalid", "a number in the request is out of range")

    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError) -> JSONResponse:
        return busy_response(request, exc)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        # A service that missed a check (a reference to a missing record, a duplicate): the database
        # refused the change, so nothing was written; say so instead of a 500.
        log.warning("integrity error reached the API: %s", str(exc.orig).splitlines()[0])
        return error_response(
            409, "conflict", "the change refers to a record that does not exist or duplicates one that does"
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            404: "not_found",
            405: "method_not_allowed",
            401: "not_authenticated",
            413: "too_large",
        }.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "internal", "an internal error occurred; it has been logged")
