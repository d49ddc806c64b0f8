"""Which cells of a permission matrix run on which backend.

The SQLite run tries every cell: each route as every caller. Who may do what is decided in the service
layer, the same code on either backend; what PostgreSQL can break is the SQL a route runs. So the
PostgreSQL run tries, per route, the first caller of each outcome (success: the route's whole work; 401,
403, 404: refused with nothing written), the Project Manager, and the callers whose permission comes from a
scoped role (a Task Leader's work package, a Liaison's department: SQL decides those).
CHARTER_TEST_EVERYTHING=1 runs every cell on PostgreSQL too."""

from __future__ import annotations

import os

IS_POSTGRES = os.environ.get("CHARTER_TEST_DATABASE_URL", "").strip().startswith("postgresql")
EVERYTHING = os.environ.get("CHARTER_TEST_EVERYTHING") == "1"

# the Project Manager (most routes' main user) and the callers whose permissions depend on a scope the
# database resolves (a work package, a department)
ALWAYS = frozenset({"pm", "task_leader", "task_leader_b", "liaison"})


def callers_to_try(expect: dict[str, str], callers: tuple[str, ...]) -> list[str]:
    """The callers of one row to try on this backend, in `callers` order."""
    if not IS_POSTGRES or EVERYTHING:
        return list(callers)
    seen: set[str] = set()
    out = []
    for c in callers:
        outcome = expect[c]
        if c in ALWAYS or outcome not in seen:
            out.append(c)
        seen.add(outcome)
    return out
