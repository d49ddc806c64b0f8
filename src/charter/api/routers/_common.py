"""Route bodies shared by the routers: changing and removing a record read at a `version`; a use-case of an
async route run off the event loop.

The service checks the version; a stale one raises `Conflict` with the record as it is now, which the one
error handler renders as 409 with `current`. The routes keep their own signatures, names and docstrings, so
the OpenAPI schema is what each route declares.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from charter.api.schemas import shown
from charter.persistence.db import Database
from charter.services.context import Actor

T = TypeVar("T")


def _amounts_shown(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """`endpoint` returning its answer with amounts as people enter them (`schemas.shown`). The wrapper keeps
    the endpoint's signature, name and docstring (FastAPI reads them through `__wrapped__`)."""
    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            return shown(await endpoint(*args, **kwargs))

        return run_async

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        return shown(endpoint(*args, **kwargs))

    return run


class AmountsRoute(APIRoute):
    """The route class of the routers whose answers carry amounts (budget, procurement, time, risk...):
    "12000.00", not the stored "12000.000". The schedule's routers do without it: their answers hold no
    amount, and walking a 10,000-task answer would cost tens of milliseconds."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _amounts_shown(endpoint), **kwargs)


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
