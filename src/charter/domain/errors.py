"""Domain errors. Each carries a stable code, a human message and, where it applies, the field it is about.

The API, the web pages and the CLI render these in one place each; nothing else decides a status code.
"""

from __future__ import annotations

from typing import Any


class CharterError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}


class ValidationError(CharterError):
    """The input is well-formed but breaks a rule (HTTP 422)."""

    code = "invalid"
    http_status = 422


class BadRequest(CharterError):
    """The request cannot be understood (HTTP 400)."""

    code = "bad_request"
    http_status = 400


class NotAuthenticated(CharterError):
    code = "not_authenticated"
    http_status = 401


class PermissionDenied(CharterError):
    """The caller can see the object but may not do this to it (HTTP 403)."""

    code = "forbidden"
    http_status = 403


class NotFound(CharterError):
    """The object does not exist, or lies in a project the caller cannot see (HTTP 404)."""

    code = "not_found"
    http_status = 404


class Conflict(CharterError):
    """A stale version or a state that forbids the change (HTTP 409). `current` is the record as it is now."""

    code = "conflict"
    http_status = 409

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        current: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
    ):
        super().__init__(message, field=field, details=details)
        self.current = current


class TooManyRequests(CharterError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int = 60):
        super().__init__(message)
        self.retry_after = retry_after


def stale(entity: str, expected: int, current: dict[str, Any]) -> Conflict:
    return Conflict(
        f"{entity} was changed by someone else (you had version {expected}, it is now "
        f"version {current.get('version')}); reload and apply your change again",
        field="version",
        current=current,
    )
