"""search: a stored tsvector column on PostgreSQL (documents join the index without a schema change)

Revision ID: 0016_docsearch
Revises: 0015_sim_heartbeat
Create Date: 2026-11-26 01:10:00.000000

PostgreSQL only: `search_docs.tsv`, a generated column holding `to_tsvector('simple', title || ' ' || body)`,
and the GIN index `ix_search_docs_fts` over it instead of over the expression. A search then reads each
hit's stored vector for the rank instead of parsing its text again (with ten thousand hits that parsing was
most of the query). SQLite keeps its FTS5 table; nothing changes there. The column is not in the models
(SQLite has no tsvector): schema comparison skips it (`persistence/search_index.include_name`), backups
write the model's columns and PostgreSQL computes it on restore.
"""

from __future__ import annotations

from alembic import op

revision = "0016_docsearch"
down_revision = "0015_sim_heartbeat"
branch_labels = None
depends_on = None

PG_UP = (
    "DROP INDEX IF EXISTS ix_search_docs_fts",
    "ALTER TABLE search_docs ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, title || ' ' || body)) STORED",
    "CREATE INDEX ix_search_docs_fts ON search_docs USING gin (tsv)",
)
PG_DOWN = (
    "DROP INDEX IF EXISTS ix_search_docs_fts",
    "ALTER TABLE search_docs DROP COLUMN IF EXISTS tsv",
    "CREATE INDEX ix_search_docs_fts ON search_docs USING gin "
    "((to_tsvector('simple'::regconfig, title || ' ' || body)))",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for stmt in PG_UP:
            op.execute(stmt)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for stmt in PG_DOWN:
            op.execute(stmt)
