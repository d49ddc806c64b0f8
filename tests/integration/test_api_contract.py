"""The API keeps its published contract under generated input (Schemathesis over /api/v1/openapi.json).

Every operation of the OpenAPI schema is called with data generated from its own schema, against the
in-process ASGI app (security middleware included) and a seeded world, as the instance admin and as an
observer (a low-privilege member of P1). For every response:

- no server error (5xx);
- the status code is one the operation documents, and its body conforms to the documented schema;
- the content type is one the operation documents.

Path parameters are pinned to objects of the seeded world (P1, its tasks, roles ...) so the calls reach the
code behind the 404s; everything else is generated. A stateful run follows the schema's links (create, then
read/patch/delete what was created) for a bounded number of steps.

Bounded: a few examples per operation, no shrinking, no example database; the whole module takes ~30 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from charter.app import create_app
from charter.config import get_settings
from charter.persistence.db import Database
from charter.services import accounts, closure

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 4  # per operation and role


@pytest.fixture
def contract(db: Database, seed: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # generated traffic is far beyond a person's; the token rate limit is tested in test_security_headers
    monkeypatch.setenv("CHARTER_TOKEN_RATE_PER_MINUTE", "1000000")
    get_settings.cache_clear()
    world = seed
    with db.uow() as s:  # a token the callers may revoke without locking themselves out
        world.spare_tokens = {
            name: accounts.create_token(s, world.actor(name), name="spare")["id"]
            for name in ("admin", "observer")
        }
        world.lesson = closure.add_lesson(s, world.actor("pm"), world.p1, title="Freeze scope early")["id"]
    app = create_app(db)
    # built once here, without the loader's 10 s read timeout (a busy machine takes longer), then served cached
    assert TestClient(app).get("/api/v1/openapi.json").status_code == 200
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    yield schema, world


def _pins(world: Any, caller: str) -> dict[str, Any]:
    return {
        "token_id": world.spare_tokens[caller],
        "project_id": world.p1,
        "wp_id": world.wp_a,
        "role_id": world.roles["observer"],
        "assignment_id": world.assignments["observer"],
        "task_id": world.tasks["c"],
        "link_id": world.links["ab"],
        "calendar_id": world.calendars["p1"],
        "user_id": world.users["worker"],
        "lesson_id": world.lesson,
    }


def _operations(schema: Any) -> list[Any]:
    return [r.ok() for r in schema.get_all_operations()]


def _run(schema: Any, world: Any, caller: str) -> list[str]:
    headers = world.headers(caller)
    pins = _pins(world, caller)
    failures: list[str] = []
    for op in _operations(schema):
        names = {p.name for p in op.path_parameters}
        path = {k: v for k, v in pins.items() if k in names}
        if op.method.lower() == "delete" and op.path == "/projects/{project_id}":
            path["project_id"] = world.p2  # keep P1 alive for the operations that follow
        strategy = st.one_of(
            op.as_strategy(schemathesis.GenerationMode.POSITIVE, path_parameters=path or None),
            op.as_strategy(schemathesis.GenerationMode.NEGATIVE, path_parameters=path or None),
        )

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def call(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            call()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(
                f"{op.method.upper()} {op.path}: {str(exc)[:1500]} {getattr(exc, '__notes__', '')}"
            )
    return failures


@pytest.mark.parametrize("caller", ["admin", "observer"])
def test_every_operation_honours_its_schema(contract: Any, caller: str) -> None:
    schema, world = contract
    failures = _run(schema, world, caller)
    assert not failures, "\n\n".join(failures)


def test_stateful_sequences_honour_the_schema(contract: Any) -> None:
    """Schemathesis infers links between operations (a created id feeds the operations that take it) and
    walks short sequences of calls as the admin; every response is checked as above."""
    schema, world = contract
    headers = world.headers("admin")
    # the core of the model, so that links (a created id feeding the operations that take it) are followed
    core = schema.include(
        path_regex=r"^/projects(/\{project_id\}(/(tasks|work-packages|links|roles)(/.*)?)?)?$"
    )
    machine = core.as_state_machine()

    class Sequences(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, headers=headers)

    Sequences.run(
        settings=settings(
            max_examples=8,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
