"""The search index, maintained on write.

Every flush that adds, changes or deletes a searchable row (project, work package, task, message, risk,
concern, component, lesson, deliverable, attachment) rewrites that row's `search_docs` entry through the same connection, so the
index changes in the same transaction as the write and rolls back with it. A change that does not touch
the indexed text (a task's progress, a risk's rating) leaves the index alone. The database keeps its own
full-text structure over `search_docs` (PostgreSQL GIN expression index, SQLite FTS5 table with triggers;
see `persistence/search_index.py`), so a search reads an index instead of building one.

Writes that bypass the ORM (bulk SQL, a restore of an old backup, hand edits) are caught up with
`rebuild` (`charter search reindex`). Rows deleted by a database cascade leave entries behind that searches
never return (each hit is joined back to its visible source row) and the next rebuild removes.

Documents: a deliverable (name; phase, description, acceptance criteria) and an attachment (file name;
content type, its owner's text: the expense's description, the message thread's subject; and the words
inside the file, `Attachment.content_text`, read at upload). An attachment's entry is rewritten when its
owner's text changes (an expense's description, a thread's subject). `rebuild` first reads the text of
files stored before text was read (`attachments.fill_missing_text`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, and_, cast, delete, event, func, insert, inspect, literal, select, text
from sqlalchemy.orm import Session

from charter.persistence.models import (
    Attachment,
    CommItem,
    CommMessage,
    Concern,
    Deliverable,
    Expense,
    Lesson,
    Project,
    Risk,
    SearchDoc,
    Task,
    TechComponent,
    WorkPackage,
)
from charter.services import attachments
from charter.services.authz import require_admin
from charter.services.context import Actor

CHUNK = 500


@dataclass(frozen=True)
class Source:
    kind: str
    model: type[Any]
    title: Any
    parts: tuple[Any, ...]
    project: Any
    target: Any

    @property
    def watched(self) -> set[str]:
        cols = (self.title, *self.parts, self.project)
        return {c.key for c in cols if getattr(c, "class_", None) is self.model}


def _words(col: Any) -> Any:
    """A file name or content type with its separators as spaces: PostgreSQL's parser reads
    `quasar-design.pdf` and `application/pdf` as single tokens, so their words are indexed as well."""
    out = col
    for sep in (".", "-", "_", "/", "+"):
        out = func.replace(out, sep, " ")
    return out


SOURCES: tuple[Source, ...] = (
    Source("project", Project, Project.name, (Project.key, Project.objectives, Project.scope_statement),
           Project.id, Project.id),
    Source("work_package", WorkPackage, WorkPackage.name, (WorkPackage.wbs_code, WorkPackage.description),
           WorkPackage.project_id, WorkPackage.id),
    # a task's custom field values are indexed as their JSON text ({"3": "ACME Corp", "4": 5}): the words of
    # the values are found, the field ids and punctuation are noise no one searches for
    Source("task", Task, Task.name, (Task.wbs_code, Task.description, Task.custom), Task.project_id, Task.id),
    Source("message", CommMessage, CommItem.subject, (CommMessage.body,), CommItem.project_id, CommItem.id),
    Source("risk", Risk, Risk.title, (Risk.cause, Risk.event, Risk.effect), Risk.project_id, Risk.id),
    Source("concern", Concern, Concern.subject, (Concern.body,), Concern.project_id, Concern.id),
    Source("component", TechComponent, TechComponent.name,
           (TechComponent.vendor, TechComponent.current_version, TechComponent.licence),
           TechComponent.project_id, TechComponent.id),
    Source("lesson", Lesson, Lesson.title, (Lesson.body, Lesson.category), Lesson.project_id, Lesson.id),
    Source("deliverable", Deliverable, Deliverable.name,
           (Deliverable.phase, Deliverable.description, Deliverable.acceptance_criteria),
           Deliverable.project_id, Deliverable.id),
    Source("attachment", Attachment, Attachment.filename,
           (func.coalesce(Expense.description, CommItem.subject), Attachment.content_type,
            _words(Attachment.filename), _words(Attachment.content_type), Attachment.content_text),
           Attachment.project_id, Attachment.id),
)  # fmt: skip
_BY_MODEL = {src.model: src for src in SOURCES}
_MESSAGE = _BY_MODEL[CommMessage]
_ATTACHMENT = _BY_MODEL[Attachment]
EXPENSE_OWNER = "expense"  # Attachment.owner_kind of an expense's receipt (services/budget.py)
MESSAGE_OWNER = "comm_message"  # ... of a message's file (services/comms.py)


def _body(parts: Iterable[Any]) -> Any:
    out: Any = None
    for p in parts:
        piece = func.coalesce(cast(p, Text), "")
        out = piece if out is None else out + literal(" ") + piece
    return out


def _rows(src: Source) -> Any:
    """(kind, ref_id, target_id, project_id, title, body) of the source's rows."""
    stmt = select(
        literal(src.kind),
        src.model.id,
        src.target,
        src.project,
        func.substr(func.coalesce(src.title, ""), 1, 300),
        _body(src.parts),
    )
    if src.model is CommMessage:
        stmt = stmt.join(CommItem, CommItem.id == CommMessage.item_id)
    elif src.model is Attachment:  # the owner's text: an expense's description, a message thread's subject
        stmt = (
            stmt.select_from(Attachment)
            .outerjoin(Expense, and_(Attachment.owner_kind == EXPENSE_OWNER, Expense.id == Attachment.owner_id))
            .outerjoin(CommMessage,
                       and_(Attachment.owner_kind == MESSAGE_OWNER, CommMessage.id == Attachment.owner_id))
            .outerjoin(CommItem, CommItem.id == CommMessage.item_id)
        )  # fmt: skip
    return stmt


_COLS = ("kind", "ref_id", "target_id", "project_id", "title", "body")


def _reindex(conn: Any, src: Source, ids: set[int]) -> None:
    ordered = sorted(ids)
    for i in range(0, len(ordered), CHUNK):
        part = ordered[i : i + CHUNK]
        conn.execute(delete(SearchDoc).where(SearchDoc.kind == src.kind, SearchDoc.ref_id.in_(part)))
        conn.execute(insert(SearchDoc).from_select(_COLS, _rows(src).where(src.model.id.in_(part))))


def _forget(conn: Any, kind: str, ids: set[int], *, by_target: bool = False) -> None:
    ordered = sorted(ids)
    col = SearchDoc.target_id if by_target else SearchDoc.ref_id
    for i in range(0, len(ordered), CHUNK):
        conn.execute(delete(SearchDoc).where(SearchDoc.kind == kind, col.in_(ordered[i : i + CHUNK])))


def _text_changed(obj: Any, names: set[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[n].history.has_changes() for n in names)


def _after_flush(session: Session, _ctx: Any) -> None:
    changed: dict[Source, set[int]] = defaultdict(set)
    gone: dict[str, set[int]] = defaultdict(set)
    threads: set[int] = set()  # threads whose subject or project changed: their messages' entries
    gone_threads: set[int] = set()
    expenses: set[int] = set()  # expenses whose description changed: their receipts' entries
    for obj in session.new:
        src = _BY_MODEL.get(type(obj))
        if src is not None:
            changed[src].add(obj.id)
    for obj in session.dirty:
        src = _BY_MODEL.get(type(obj))
        if src is not None and _text_changed(obj, src.watched):
            changed[src].add(obj.id)
        elif isinstance(obj, CommItem) and _text_changed(obj, {"subject", "project_id"}):
            threads.add(obj.id)
        elif isinstance(obj, Expense) and _text_changed(obj, {"description"}):
            expenses.add(obj.id)
    for obj in session.deleted:
        src = _BY_MODEL.get(type(obj))
        if src is not None:
            gone[src.kind].add(obj.id)
        elif isinstance(obj, CommItem):
            gone_threads.add(obj.id)
    if not (changed or gone or threads or gone_threads or expenses):
        return
    conn = session.connection()
    for kind, ids in gone.items():
        _forget(conn, kind, ids)
    if gone_threads:
        _forget(conn, "message", gone_threads, by_target=True)
    if threads:
        messages = set(conn.scalars(select(CommMessage.id).where(CommMessage.item_id.in_(sorted(threads)))))
        changed[_MESSAGE] |= messages
        changed[_ATTACHMENT] |= _files_of(conn, MESSAGE_OWNER, messages)
    if expenses:
        changed[_ATTACHMENT] |= _files_of(conn, EXPENSE_OWNER, expenses)
    for src, ids in changed.items():
        _reindex(conn, src, ids - gone[src.kind])


def _files_of(conn: Any, owner_kind: str, owner_ids: set[int]) -> set[int]:
    out: set[int] = set()
    ordered = sorted(owner_ids)
    for i in range(0, len(ordered), CHUNK):
        q = select(Attachment.id).where(Attachment.owner_kind == owner_kind,
                                        Attachment.owner_id.in_(ordered[i : i + CHUNK]))  # fmt: skip
        out |= set(conn.scalars(q))
    return out


event.listen(Session, "after_flush", _after_flush)


TEXTS_READ = "attachment_texts_read"


def rebuild(s: Session, actor: Actor) -> dict[str, int]:
    """Rebuild the whole index from the source rows (admin), after reading the text of the attachments that
    have none yet. Returns the entries per kind, and under `TEXTS_READ` how many files' text was read."""
    require_admin(actor)
    texts_read = attachments.fill_missing_text(s)
    conn = s.connection()
    conn.execute(delete(SearchDoc))
    counts: dict[str, int] = {}
    for src in SOURCES:
        conn.execute(insert(SearchDoc).from_select(_COLS, _rows(src)))
        counts[src.kind] = s.scalar(select(func.count()).where(SearchDoc.kind == src.kind)) or 0
    if conn.dialect.name == "sqlite":  # the FTS5 index re-read from search_docs, whatever state it was in
        conn.execute(text("INSERT INTO search_fts(search_fts) VALUES ('rebuild')"))  # FTS_TABLE
    counts[TEXTS_READ] = texts_read
    return counts
