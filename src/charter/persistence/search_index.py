"""The database-specific half of the search index over `search_docs` (see `SearchDoc` in models.py).

- PostgreSQL: the stored generated column `tsv` = `to_tsvector('simple', title || ' ' || body)` and the GIN
  index `ix_search_docs_fts` over it (migration 0016; 0013 indexed the expression); queries match and rank on
  `TSVECTOR_SQL`, so a hit's vector is read, not parsed again from its text.
- SQLite: the FTS5 table `search_fts`, external content over `search_docs` (it stores only the inverted
  index), kept in step with `search_docs` by three triggers.

None of these is part of the SQLAlchemy models (SQLite has no tsvector, PostgreSQL no FTS5), so the migration creates
them for its own database, schema comparisons skip them (`include_name`) and backups skip the FTS5 tables
(`search_docs` itself is backed up; restoring its rows through the triggers rebuilds the FTS5 index).
"""

from __future__ import annotations

from typing import Any

FTS_TABLE = "search_fts"
PG_INDEX = "ix_search_docs_fts"
PG_COLUMN = "tsv"
TSVECTOR_SQL = "search_docs.tsv"
# The FTS5 table and its shadow tables (an external-content table has no _content table).
SQLITE_TABLES = frozenset({FTS_TABLE} | {f"{FTS_TABLE}_{s}" for s in ("data", "idx", "docsize", "config")})


def include_name(name: str | None, type_: Any, parent_names: Any) -> bool:
    """For alembic's schema comparison: the database-specific index structures are not in the models."""
    if type_ == "table":
        return name not in SQLITE_TABLES
    if type_ == "index":
        return name != PG_INDEX
    if type_ == "column":
        return not (name == PG_COLUMN and parent_names.get("table_name") == "search_docs")
    return True
