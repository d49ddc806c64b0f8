"""The shared bodies of versioned PATCH and DELETE routes, with a fake database and fake services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import pytest
from pydantic import BaseModel

from charter.api.routers._common import delete_versioned, patch_versioned
from charter.domain.errors import Conflict
from charter.persistence.db import Database
from charter.services.context import Actor


class FakeDb:
    def __init__(self) -> None:
        self.units: list[str] = []

    @contextmanager
    def uow(self, *, readonly: bool = False) -> Iterator[str]:
        assert not readonly
        self.units.append("open")
        try:
            yield "session"
        except BaseException:
            self.units.append("rolled back")
            raise
        self.units.append("committed")


class Patch(BaseModel):
    version: int
    name: str | None = None
    target: float | None = None


ACTOR = cast(Actor, object())


def test_patch_passes_only_the_fields_set_and_the_version_in_one_unit() -> None:
    db, calls = FakeDb(), []

    def update(s: Any, actor: Any, pid: int, oid: int, version: int, **fields: Any) -> dict[str, Any]:
        calls.append((s, actor, pid, oid, version, fields))
        return {"id": oid, "version": version + 1, **fields}

    out = patch_versioned(cast(Database, db), ACTOR, update, 7, 3, body=Patch(version=2, name="n"))
    assert out == {"id": 3, "version": 3, "name": "n"}
    assert calls == [("session", ACTOR, 7, 3, 2, {"name": "n"})]
    assert db.units == ["open", "committed"]


def test_patch_lets_a_stale_version_conflict_through_with_the_current_state() -> None:
    db = FakeDb()

    def update(s: Any, actor: Any, oid: int, version: int, **fields: Any) -> dict[str, Any]:
        raise Conflict("stale", field="version", current={"id": oid, "version": 5})

    with pytest.raises(Conflict) as e:
        patch_versioned(cast(Database, db), ACTOR, update, 3, body=Patch(version=4, target=1.5))
    assert e.value.current == {"id": 3, "version": 5}
    assert db.units == ["open", "rolled back"]


def test_delete_passes_the_ids_and_the_version_in_one_unit() -> None:
    db, calls = FakeDb(), []

    def delete(s: Any, actor: Any, pid: int, oid: int, version: int) -> None:
        calls.append((s, actor, pid, oid, version))

    assert delete_versioned(cast(Database, db), ACTOR, delete, 7, 3, version=2) is None
    assert calls == [("session", ACTOR, 7, 3, 2)]
    assert db.units == ["open", "committed"]
