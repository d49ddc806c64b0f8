"""Route bodies shared by the routers: changing and removing a record read at a `version`; a use-case of an
async route run off the event loop.

The service checks the version; a stale one raises `Conflict` with the record as it is now, which the one
error handler renders as 409 with `current`. The routes keep their own signatures, names and docstrings, so
the OpenAPI schema is what each route declares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

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


async def in_uow(db: Database, use_case: Callable[[Session], T]) -> T:
    """`use_case(session)` in one unit of work in a worker thread, for an async route (one that awaited an
    upload first): a transaction run on the event loop would stall every other request of the process for as
    long as it lasts (an import: a second or more), and on SQLite it would wait there for its turn."""

    def run() -> T:
        with db.uow() as s:
            return use_case(s)

    return await run_in_threadpool(run)
