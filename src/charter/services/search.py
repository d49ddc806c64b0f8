"""Search across tasks, work packages, projects, messages, risks, concerns, inventory and lessons.

Permission first: every hit must be a row the actor can see (the projects they can see, plus, for
messages and concerns, the same per-project visibility their own lists apply); the condition is part of the
query, so nothing invisible is ever matched, ranked or counted.

The text lives in the persistent index `search_docs`, rewritten on every write in the write's own
transaction (`services/search_index.py`):

- PostgreSQL: `to_tsvector('simple', title || ' ' || body) @@ websearch_to_tsquery('simple', q)` per kind,
  answered from the GIN expression index `ix_search_docs_fts`, ranked by `ts_rank`;
  websearch_to_tsquery accepts any input without error.
- SQLite: `search_fts MATCH q` on the FTS5 table over `search_docs`, ranked by bm25. The user's words are
  reduced to word tokens and each is quoted as an FTS5 string, so quotes and operators (`"foo`, `OR`,
  `NEAR(`, `*`) are searched as text and never reach the FTS5 parser as syntax.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session

from charter.persistence.models import (
    CommItem,
    CommMessage,
    Concern,
    Lesson,
    Project,
    Risk,
    SearchDoc,
    Task,
    TechComponent,
    WorkPackage,
)
from charter.persistence.search_index import FTS_TABLE, TSVECTOR_SQL
from charter.services.authz import require_user, visible_project_ids
from charter.services.comms_common import visibility
from charter.services.context import Actor

MAX_QUERY = 200
LIMIT = 50
_WORD = re.compile(r"\w+", re.UNICODE)
_CONTROL = re.compile("[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class _Kind:
    kind: str
    base: Callable[[], Any]  # selects (id, project_id, title, *text columns)
    project_col: Any
    link: str  # format with id, project_id
    visible: Callable[[Session, Actor, list[int]], ColumnElement[bool] | None] | None = None


def _comm_cond(s: Session, actor: Actor, pids: list[int]) -> ColumnElement[bool] | None:
    parts: list[ColumnElement[bool]] = []
    for pid in pids:
        cond = visibility(s, actor, pid)
        parts.append(CommItem.project_id == pid if cond is None else (CommItem.project_id == pid) & cond)
    return or_(*parts) if parts else literal(False)


def _concern_cond(s: Session, actor: Actor, pids: list[int]) -> ColumnElement[bool] | None:
    from charter.services.stakeholders import _visible

    parts: list[ColumnElement[bool]] = []
    for pid in pids:
        cond = _visible(s, actor, pid)
        parts.append(Concern.project_id == pid if cond is None else (Concern.project_id == pid) & cond)
    return or_(*parts) if parts else literal(False)


KINDS: tuple[_Kind, ...] = (
    _Kind("project", lambda: select(Project.id, Project.id, Project.name, Project.key, Project.objectives,
                                    Project.scope_statement).where(Project.deleted_at.is_(None)),
          Project.id, "/projects/{project_id}"),
    _Kind("work_package", lambda: select(WorkPackage.id, WorkPackage.project_id, WorkPackage.name,
                                         WorkPackage.wbs_code, WorkPackage.description),
          WorkPackage.project_id, "/projects/{project_id}/schedule"),
    _Kind("task", lambda: select(Task.id, Task.project_id, Task.name, Task.wbs_code, Task.description),
          Task.project_id, "/projects/{project_id}/schedule"),
    _Kind("message", lambda: select(CommItem.id, CommItem.project_id, CommItem.subject, CommMessage.body)
          .join(CommMessage, CommMessage.item_id == CommItem.id),
          CommItem.project_id, "/projects/{project_id}/messages/{id}", _comm_cond),
    _Kind("risk", lambda: select(Risk.id, Risk.project_id, Risk.title, Risk.cause, Risk.event, Risk.effect),
          Risk.project_id, "/projects/{project_id}/risks"),
    _Kind("concern", lambda: select(Concern.id, Concern.project_id, Concern.subject, Concern.body),
          Concern.project_id, "/projects/{project_id}/concerns", _concern_cond),
    _Kind("component", lambda: select(TechComponent.id, TechComponent.project_id, TechComponent.name,
                                      TechComponent.vendor, TechComponent.current_version, TechComponent.licence),
          TechComponent.project_id, "/tech/{id}"),
    _Kind("lesson", lambda: select(Lesson.id, Lesson.project_id, Lesson.title, Lesson.body, Lesson.category),
          Lesson.project_id, "/lessons"),
)  # fmt: skip


def clean(q: str) -> str:
    """The query without control characters (PostgreSQL text cannot hold NUL), trimmed and capped."""
    return _CONTROL.sub(" ", q or "").strip()[:MAX_QUERY]


def fts5_query(q: str) -> str:
    """The user's text as an FTS5 query: every word token quoted as a string (implicit AND)."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in _WORD.findall(q)[:20])


def _restricted(s: Session, actor: Actor, k: _Kind, pids: list[int]) -> Select[Any]:
    stmt: Select[Any] = k.base()
    if k.kind == "component":
        stmt = stmt.where(or_(TechComponent.project_id.is_(None), TechComponent.project_id.in_(pids)))
    else:
        stmt = stmt.where(k.project_col.in_(pids))
    if k.visible is not None:
        cond = k.visible(s, actor, pids)
        if cond is not None:
            stmt = stmt.where(cond)
    return stmt


def _visible_ids(s: Session, actor: Actor) -> list[int]:
    return list(s.scalars(select(Project.id).where(Project.id.in_(visible_project_ids(s, actor)),
                                                   Project.deleted_at.is_(None))))  # fmt: skip


def search(
    s: Session, actor: Actor, q: str, *, kinds: list[str] | None = None, limit: int = LIMIT
) -> dict[str, Any]:
    require_user(actor)
    q = clean(q)
    wanted = [k for k in KINDS if not kinds or k.kind in kinds]
    if not _WORD.search(q):
        return {"query": q, "total": 0, "results": []}
    pids = _visible_ids(s, actor)
    keys: dict[int, str] = {
        pid: key for pid, key in s.execute(select(Project.id, Project.key).where(Project.id.in_(pids)))
    }
    if s.get_bind().dialect.name == "postgresql":
        hits = _pg(s, actor, q, wanted, pids)
    else:
        hits = _sqlite(s, actor, q, wanted, pids)
    hits.sort(key=lambda h: (-h["rank"], h["kind"], h["id"]))
    for h in hits:
        h["project_key"] = keys.get(h["project_id"])
    return {"query": q, "total": len(hits), "results": hits[: max(1, min(limit, 200))]}


def _hit(k: _Kind, row: Any, rank: float) -> dict[str, Any]:
    target, project_id, title, body = row[0], row[1], row[2], row[3]
    return {
        "kind": k.kind,
        "id": target,
        "project_id": project_id,
        "title": title,
        "snippet": (body or "")[:240],
        "link": k.link.format(id=target, project_id=project_id),
        "rank": rank,
    }


def _visible_targets(s: Session, actor: Actor, k: _Kind, pids: list[int]) -> Select[Any]:
    """The ids of the rows of this kind the actor may see (a subquery; the id is the base's first column)."""
    base = _restricted(s, actor, k, pids)
    return base.with_only_columns(base.selected_columns[0])


def _visible(s: Session, actor: Actor, wanted: list[_Kind], pids: list[int]) -> ColumnElement[bool]:
    """An index entry the actor may see: of a wanted kind, and its target among that kind's visible rows."""
    return or_(false(), *[
        and_(SearchDoc.kind == k.kind, SearchDoc.target_id.in_(_visible_targets(s, actor, k, pids)))
        for k in wanted
    ])  # fmt: skip


def _collect(s: Session, stmt: Select[Any], wanted: list[_Kind]) -> list[dict[str, Any]]:
    by_kind = {k.kind: k for k in wanted}
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for row in s.execute(stmt):
        k = by_kind[row[0]]
        key, rank = (k.kind, row[1]), float(row[5])
        if key not in out or out[key]["rank"] < rank:  # a thread: its best-matching message
            out[key] = _hit(k, row[1:], rank)
    return list(out.values())


def _cols() -> tuple[Any, ...]:
    return (SearchDoc.kind, SearchDoc.target_id, SearchDoc.project_id, SearchDoc.title, SearchDoc.body)


def pg_statement(s: Session, actor: Actor, q: str, wanted: list[_Kind], pids: list[int]) -> Select[Any]:
    """One query: the GIN expression index finds the matching entries, the permission condition keeps the
    visible ones."""
    tsv: Any = literal_column(TSVECTOR_SQL)
    tsq = func.websearch_to_tsquery(literal_column("'simple'::regconfig"), q)
    return select(*_cols(), func.ts_rank(tsv, tsq)).where(tsv.op("@@")(tsq), _visible(s, actor, wanted, pids))


def sqlite_statement(s: Session, actor: Actor, q: str, wanted: list[_Kind], pids: list[int]) -> Select[Any]:
    """One query: the FTS5 match is evaluated once (a materialised CTE, so SQLite cannot turn it into an
    inner loop), then joined to the entries and filtered by permission."""
    fts = table(FTS_TABLE, column("rowid"))
    matched = (
        select(fts.c.rowid.label("doc_id"), (-literal_column(f"bm25({FTS_TABLE})")).label("rank"))
        .where(literal_column(FTS_TABLE).op("MATCH")(fts5_query(q)))
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )
    return (
        select(*_cols(), matched.c.rank)
        .select_from(matched)
        .join(SearchDoc, SearchDoc.id == matched.c.doc_id)
        .where(_visible(s, actor, wanted, pids))
    )


def _pg(s: Session, actor: Actor, q: str, wanted: list[_Kind], pids: list[int]) -> list[dict[str, Any]]:
    return _collect(s, pg_statement(s, actor, q, wanted, pids), wanted)


def _sqlite(s: Session, actor: Actor, q: str, wanted: list[_Kind], pids: list[int]) -> list[dict[str, Any]]:
    return _collect(s, sqlite_statement(s, actor, q, wanted, pids), wanted)
