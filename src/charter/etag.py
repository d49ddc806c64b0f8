"""Entity tags for the large read-only answers (the Gantt data, the task list): a strong ETag that is a digest
of the exact body sent, and 304 Not Modified when the request's If-None-Match names it.

The tag is computed from the body, so it is equal only for byte-equal content: it already covers what the
user may see and edit (the edit flags are in the body), and any change to what is sent yields a new tag. It
saves the transfer (1.5 MB of Gantt data at 10,000 tasks), not the building of the body. Responses stay
``no-store`` for browsers' caches; a client that keeps the body itself sends the tag back."""

from __future__ import annotations

import hashlib

from starlette.responses import Response


def tag_of(body: bytes) -> str:
    # SHA-256 (hardware-assisted on current CPUs: 0.9 ms for 1.5 MB here, BLAKE2b 2.3 ms), first 128 bits
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header names `tag` (weak comparison, as RFC 9110 asks for this header)."""
    if not if_none_match:
        return False
    for item in if_none_match.split(","):
        item = item.strip()
        if item == "*" or item.removeprefix("W/") == tag:
            return True
    return False


def json_response(body: bytes, if_none_match: str | None) -> Response:
    """`body` as application/json with its ETag, or an empty 304 when the client holds that body already."""
    tag = tag_of(body)
    if matches(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    return Response(body, media_type="application/json", headers={"ETag": tag})
