"""Migrations on the configured backend (SQLite, or PostgreSQL via CHARTER_TEST_DATABASE_URL): empty -> head,
down to base and up again, the models match the migrated schema, and the schema check's messages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from charter.persistence.db import Database
from charter.persistence.models import Base
from charter.persistence.search_index import include_name


@pytest.fixture
def empty(empty_db_url: str) -> Iterator[Database]:
    database = Database(empty_db_url)
    yield database
    database.dispose()


def tables(database: Database) -> set[str]:
    with database.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def schema_diff(database: Database) -> list[object]:
    with database.engine.connect() as conn:
        return list(
            compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name}),
                Base.metadata,
            )
        )


def test_upgrade_from_empty_to_head_down_to_base_and_up_again(empty: Database) -> None:
    head = empty.head_revision()
    assert head is not None
    assert empty.current_revision() is None
    assert tables(empty) == set()

    empty.upgrade()
    assert empty.current_revision() == head
    model_tables = set(Base.metadata.tables)
    assert model_tables <= tables(empty)

    empty.downgrade("base")
    assert empty.current_revision() is None
    assert tables(empty) - {"alembic_version"} == set()

    empty.upgrade()
    assert empty.current_revision() == head
    assert model_tables <= tables(empty)
    assert schema_diff(empty) == []


def test_each_revision_steps_up_and_down(empty: Database) -> None:
    revisions = empty.all_revisions()
    assert revisions and revisions[-1] == empty.head_revision()
    for rev in revisions:
        empty.upgrade(rev)
        assert empty.current_revision() == rev
    for rev in reversed(revisions[:-1]):
        empty.downgrade(rev)
        assert empty.current_revision() == rev
    empty.downgrade("base")
    assert empty.current_revision() is None


def test_models_match_the_migrated_schema(db: Database) -> None:
    diff = schema_diff(db)
    assert diff == [], "models and migrations disagree; write a migration:\n" + "\n".join(map(str, diff))


def test_schema_problem_messages(empty: Database) -> None:
    problem = empty.schema_problem()
    assert problem is not None and "\n" not in problem
    assert "no Charter schema" in problem

    empty.upgrade()
    assert empty.schema_problem() is None

    with empty.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    problem = empty.schema_problem()
    assert problem is not None and "\n" not in problem
    assert "unknown revision ffffffffffff" in problem


def test_schema_problem_when_behind(empty: Database) -> None:
    revisions = empty.all_revisions()
    if len(revisions) < 2:
        pytest.skip("only one revision: a database cannot be behind yet")
    empty.upgrade(revisions[-2])
    problem = empty.schema_problem()
    assert problem is not None and "\n" not in problem and "behind" in problem
