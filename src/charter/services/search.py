"""Search across tasks, work packages, projects, messages, risks, concerns, inventory, lessons and documents
(deliverables, and attachments: message files and expense receipts).

Permission first: every hit must be a row the actor can see (the projects they can see, plus, for
messages and concerns, the same per-project visibility their own lists apply; a message's file only for
whoever sees its thread, an expense's receipt only for whoever may read the project's budget, as the
downloads themselves); the condition is part of the query, so nothing invisible is ever matched, ranked or
counted.

Counting and paging happen in the database too: one statement computes the visible matching entries once
(narrow rows, no text), counts the results (a thread matched by several of its messages is one result, shown
with its best-matching message) and returns only the page, best first; the text of the page's fifty entries
is read afterwards by primary key. Each kind's permission check is a correlated EXISTS on the target's
primary key (one index lookup per matching entry), not an IN over every visible row of the kind.

The text lives in the persistent index `search_docs`, rewritten on every write in the write's own
transaction (`services/search_index.py`):

- PostgreSQL: `search_docs.tsv @@ websearch_to_tsquery('simple', q)` (tsv: the stored to_tsvector('simple', title || ' ' || body)),
  answered from the GIN index `ix_search_docs_fts` on the stored vector `search_docs.tsv`, ranked by `ts_rank`;
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
    case,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from charter.domain.roles import Perm
from charter.persistence.models import (
    Attachment,
    CommItem,
    CommMessage,
    Concern,
    Deliverable,
    Lesson,
    Project,
    Risk,
    SearchDoc,
    Task,
    TechComponent,
    WorkPackage,
)
from charter.persistence.search_index import FTS_TABLE, TSVECTOR_SQL
from charter.services.authz import can, require_user, visible_project_ids
from charter.services.comms_common import visibility
from charter.services.context import Actor
from charter.services.search_index import EXPENSE_OWNER, MESSAGE_OWNER

MAX_QUERY = 200
LIMIT = 50
SNIPPET = 240
SNIPPET_BEFORE = 80
_WORD = re.compile(r"\w+", re.UNICODE)
_CONTROL = re.compile("[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class _Kind:
    kind: str
    base: Callable[[], Any]  # selects (id, project_id, title, *text columns)
    project_col: Any
    link: str  # format with id, project_id
    visible: Callable[[Session, Actor, list[int]], ColumnElement[bool] | None] | None = None


def _comm_cond(s: Session, actor: Actor, pids: list[int]) -> ColumnElement[bool]:
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


def _attachment_cond(s: Session, actor: Actor, pids: list[int]) -> ColumnElement[bool] | None:
    """A message's file: its thread is visible (`_comm_cond`); an expense's receipt: the actor may read the
    project's budget (budget.read project-wide, what the receipt download asks)."""
    messages = (
        select(CommMessage.id)
        .join(CommItem, CommItem.id == CommMessage.item_id)
        .where(CommItem.project_id.in_(pids), _comm_cond(s, actor, pids))
    )
    budget = [pid for pid in pids if can(s, actor, pid, Perm.BUDGET_READ)]
    return or_(
        and_(Attachment.owner_kind == MESSAGE_OWNER, Attachment.owner_id.in_(messages)),
        and_(Attachment.owner_kind == EXPENSE_OWNER, Attachment.project_id.in_(budget)),
    )


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
    _Kind("deliverable", lambda: select(Deliverable.id, Deliverable.project_id, Deliverable.name,
                                        Deliverable.phase, Deliverable.description, Deliverable.acceptance_criteria),
          Deliverable.project_id, "/projects/{project_id}/quality#deliverable-{id}"),
    _Kind("attachment", lambda: select(Attachment.id, Attachment.project_id, Attachment.filename,
                                       Attachment.content_type),
          Attachment.project_id, "", _attachment_cond),  # links: the owner's page (see `_attachment_links`)
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
    """The best `limit` results (at most 200) and the total count of visible results."""
    require_user(actor)
    q = clean(q)
    wanted = [k for k in KINDS if not kinds or k.kind in kinds]
    if not _WORD.search(q) or not wanted:
        return {"query": q, "total": 0, "results": []}
    pids = _visible_ids(s, actor)
    if s.get_bind().dialect.name == "postgresql":
        # the statement's estimated cost crosses jit_above_cost with a few thousand hits; compiling it takes
        # longer (~170 ms) than running it, every time
        s.execute(text("SET LOCAL jit = off"))
    rows = s.execute(page_statement(s, actor, q, wanted, pids, max(1, min(limit, 200)))).all()
    text_of = {
        doc_id: (title, snippet)
        for doc_id, title, snippet in s.execute(
            select(SearchDoc.id, SearchDoc.title, func.substr(SearchDoc.body, 1, SNIPPET)).where(
                SearchDoc.id.in_([r[0] for r in rows if r[1] != "attachment"])
            )
        )
    }
    text_of.update(_in_context(s, q, [r[0] for r in rows if r[1] == "attachment"]))
    by_kind = {k.kind: k for k in wanted}
    hits = [_hit(by_kind[kind], (target, project, *text_of.get(doc_id, ("", ""))), float(rank or 0))
            for doc_id, kind, target, project, rank, _ in rows]  # fmt: skip
    keys: dict[int, str] = {
        pid: key
        for pid, key in s.execute(
            select(Project.id, Project.key).where(Project.id.in_({h["project_id"] for h in hits} - {None}))
        )
    }
    for h in hits:
        h["project_key"] = keys.get(h["project_id"])
    _attachment_links(s, [h for h in hits if h["kind"] == "attachment"])
    return {"query": q, "total": int(rows[0][5]) if rows else 0, "results": hits}


def _in_context(s: Session, q: str, doc_ids: list[int]) -> dict[int, tuple[str, str]]:
    """(title, snippet) of attachment entries, the snippet around the first place one of the query's words
    occurs (a document's words can be far into its text), else its beginning. Found by the database, so
    only the snippet is read, not the document's text."""
    if not doc_ids:
        return {}
    body = func.lower(SearchDoc.body)
    find = func.strpos if s.get_bind().dialect.name == "postgresql" else func.instr
    found = [func.nullif(find(body, w.lower()), 0) for w in _WORD.findall(q)[:10]]
    at = func.coalesce(*found, 1) if found else literal(1)
    start = case((at > SNIPPET_BEFORE, at - SNIPPET_BEFORE), else_=1)
    out: dict[int, tuple[str, str]] = {}
    for doc_id, title, first, snippet in s.execute(
        select(SearchDoc.id, SearchDoc.title, start, func.substr(SearchDoc.body, start, SNIPPET + 1)).where(
            SearchDoc.id.in_(doc_ids)
        )
    ):
        snippet = snippet or ""
        if len(snippet) > SNIPPET:  # end at a word's end
            snippet = snippet[:SNIPPET].rsplit(" ", 1)[0] + " …"
        if first > 1:  # start at a word's start
            snippet = "… " + snippet.split(" ", 1)[-1]
        out[doc_id] = (title, snippet)
    return out


def _attachment_links(s: Session, hits: list[dict[str, Any]]) -> None:
    """An attachment result opens its owner (the message thread, the expense on the budget page) and offers
    the download (the same permission-checked route as on the owner's page)."""
    if not hits:
        return
    owners = {
        a_id: (kind, owner, thread)
        for a_id, kind, owner, thread in s.execute(
            select(Attachment.id, Attachment.owner_kind, Attachment.owner_id, CommMessage.item_id)
            .outerjoin(CommMessage,
                       and_(Attachment.owner_kind == MESSAGE_OWNER, CommMessage.id == Attachment.owner_id))
            .where(Attachment.id.in_([h["id"] for h in hits]))
        )
    }  # fmt: skip
    for h in hits:
        kind, owner, thread = owners.get(h["id"], (None, None, None))
        pid = h["project_id"]
        if kind == MESSAGE_OWNER and thread is not None:
            h["link"] = f"/projects/{pid}/messages/{thread}"
            h["download"] = f"/projects/{pid}/messages/{thread}/attachments/{h['id']}"
        elif kind == EXPENSE_OWNER:
            h["link"] = f"/projects/{pid}/budget#expense-{owner}"
            h["download"] = f"/projects/{pid}/budget/expenses/{owner}/receipts/{h['id']}"


def _hit(k: _Kind, row: Any, rank: float) -> dict[str, Any]:
    target, project_id, title, body = row[0], row[1], row[2], row[3]
    return {
        "kind": k.kind,
        "id": target,
        "project_id": project_id,
        "title": title,
        "snippet": (body or "")[: SNIPPET + 4],
        "link": k.link.format(id=target, project_id=project_id),
        "rank": rank,
    }


def _visible_target(s: Session, actor: Actor, k: _Kind, pids: list[int]) -> ColumnElement[bool]:
    """EXISTS the entry's target among this kind's rows the actor may see: correlated on the target's primary
    key, so each matching entry costs one index lookup (an IN over every visible row of the kind would build
    that whole set per search). Joining back to the source row also drops entries whose row a database
    cascade removed."""
    base = _restricted(s, actor, k, pids)
    return base.with_only_columns(literal(1)).where(base.selected_columns[0] == SearchDoc.target_id).exists()


def _visible(s: Session, actor: Actor, wanted: list[_Kind], pids: list[int]) -> ColumnElement[bool]:
    """An index entry the actor may see: of a wanted kind, and its target among that kind's visible rows.
    (No pre-filter on `search_docs.project_id`: on PostgreSQL it tempts the planner into the B-tree index
    and a to_tsvector per row of the project instead of the GIN index.)"""
    return or_(false(), *[and_(SearchDoc.kind == k.kind, _visible_target(s, actor, k, pids)) for k in wanted])


def page_statement(
    s: Session, actor: Actor, q: str, wanted: list[_Kind], pids: list[int], limit: int
) -> Select[Any]:
    """(entry id, kind, target, project, rank, total) of the best `limit` visible results, best first (rank,
    kind, id). The visible matching entries are computed once (a materialised CTE of narrow rows: no text);
    the page takes every entry of the kinds with one entry per result and, for messages, each thread's
    best-matching message; the total counts the same results (threads once) over all of them, before the
    page is cut."""
    pg = s.get_bind().dialect.name == "postgresql"
    base = (pg_statement if pg else sqlite_statement)(s, actor, q, wanted, pids)
    rank = list(base.selected_columns)[-1].element  # the rank expression itself (not its label)
    v = (
        base.with_only_columns(SearchDoc.id, SearchDoc.kind, SearchDoc.target_id, SearchDoc.project_id,
                               rank.label("rank"), maintain_column_froms=True)
        .cte("visible_hits")
        .prefix_with("MATERIALIZED")
    )  # fmt: skip
    singles = select(v.c.id, v.c.kind, v.c.target_id, v.c.project_id, v.c.rank).where(v.c.kind != "message")
    ranked = select(
        v.c.id, v.c.kind, v.c.target_id, v.c.project_id, v.c.rank,
        func.row_number().over(partition_by=v.c.target_id, order_by=(v.c.rank.desc(), v.c.id)).label("rn"),
    ).where(v.c.kind == "message").subquery("threads")  # fmt: skip
    threads = select(
        ranked.c.id, ranked.c.kind, ranked.c.target_id, ranked.c.project_id, ranked.c.rank
    ).where(ranked.c.rn == 1)
    page = singles.union_all(threads).subquery("page")
    total = (
        select(func.count()).select_from(v).where(v.c.kind != "message").scalar_subquery()
        + select(func.count(func.distinct(v.c.target_id))).where(v.c.kind == "message").scalar_subquery()
    )
    c = page.c
    return (
        select(c.id, c.kind, c.target_id, c.project_id, c.rank, total.label("total"))
        .order_by(c.rank.desc(), c.kind, c.target_id)
        .limit(limit)
    )


def _cols() -> tuple[Any, ...]:
    return (SearchDoc.kind, SearchDoc.target_id, SearchDoc.project_id, SearchDoc.title, SearchDoc.body)


def pg_statement(s: Session, actor: Actor, q: str, wanted: list[_Kind], pids: list[int]) -> Select[Any]:
    """One query: the GIN expression index finds the matching entries, the permission condition keeps the
    visible ones."""
    tsv: Any = literal_column(TSVECTOR_SQL)
    tsq = func.websearch_to_tsquery(literal_column("'simple'::regconfig"), q)
    return select(*_cols(), func.ts_rank(tsv, tsq).label("rank")).where(
        tsv.op("@@")(tsq), _visible(s, actor, wanted, pids)
    )


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
        select(*_cols(), matched.c.rank.label("rank"))
        .select_from(matched)
        .join(SearchDoc, SearchDoc.id == matched.c.doc_id)
        .where(_visible(s, actor, wanted, pids))
    )
