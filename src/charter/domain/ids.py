"""Ids typed by people (CLI arguments, references such as R-12, query strings)."""

from __future__ import annotations

MAX_ID = 2**63 - 1  # the widest integer column (SQLite's INTEGER, PostgreSQL's bigint)


def as_id(text: str) -> int | None:
    """The id `text` names ("42", " 7 "), else None: decimal digits only ("²" is a digit to str.isdigit but
    not a number to int) and within the database's integers (a 20-digit "id" is no row, not an overflow)."""
    t = text.strip()
    if not t.isdecimal():
        return None
    n = int(t)
    return n if n <= MAX_ID else None
