"""Route bodies shared by the routers: changing and removing a record read at a `version`.

The service checks the version; a stale one raises `Conflict` with the record as it is now, which the one
error handler renders as 409 with `current`. The routes keep their own signatures, names and docstrings, so
the OpenAPI schema is what each route declares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from charter.persistence.db import Database
from charter.services.context import Actor

T = TypeVar("T")


def patch_versioned(db: Database, actor: Actor, update: Callable[..., T], *ids: int, body: BaseModel) -> T:
    """A PATCH: the fields the body sets, except `version`, passed as
    `update(session, actor, *ids, version, **fields)` in one unit of work."""
    fields = body.model_dump(exclude_unset=True)
    version = fields.pop("version")
    with db.uow() as s:
        return update(s, actor, *ids, version, **fields)


def delete_versioned(
    db: Database, actor: Actor, delete: Callable[..., object], *ids: int, version: int
) -> None:
    """A DELETE: `delete(session, actor, *ids, version)` in one unit of work."""
    with db.uow() as s:
        delete(s, actor, *ids, version)
