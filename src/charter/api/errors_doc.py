"""The error responses every operation may give, for the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from charter.api.schemas import ErrorOut

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Malformed request"},
    401: {"model": ErrorOut, "description": "No valid API token"},
    403: {"model": ErrorOut, "description": "Your roles do not allow this"},
    404: {"model": ErrorOut, "description": "Not found, or in a project you cannot see"},
    409: {"model": ErrorOut, "description": "Stale version or conflicting state; `current` holds the record"},
    413: {"model": ErrorOut, "description": "The request body is larger than the upload limit"},
    422: {"model": ErrorOut, "description": "Invalid input; `field` names it"},
    429: {"model": ErrorOut, "description": "Too many requests"},
}
