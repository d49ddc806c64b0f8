"""Stored files (attachments): one storage for every area that keeps uploaded documents (today the receipts of
expenses). The rules:

- The content type is decided from the file's content (magic bytes; plain text when it is UTF-8 without
  control characters), never from its name or the client's claim; each area accepts an allow-list: expense
  receipts PDF, PNG, JPEG (`RECEIPT_TYPES`); message attachments also GIF, WebP, ZIP (which includes Office
  documents) and plain text (`MESSAGE_TYPES`). HTML, SVG and XML are never accepted anywhere: they are
  refused by name even when they would pass as text, because a browser could run their scripts.
  Empty files and files over the size limit (``CHARTER_ATTACHMENT_MAX_BYTES``, named in the error) are
  refused.
- The file is written under a server-generated random name in ``<data dir>/attachments/<project id>/``,
  the folder every backup archives; the name the uploader gave is only shown, never used as a path.
- A file is written before its row is committed; if the transaction rolls back the file is removed again,
  so a failed upload leaves nothing behind.
- The words inside the file (plain text, PDF, Office and OpenDocument files) are read at upload, within the
  limits of `io/document_text.py`, and stored with the row (`content_text`) for search; a file whose text
  cannot be read is stored all the same, without text. Routes and commands read the words before the
  use-case's transaction begins (`read_ahead`), so a slow document never holds the database's write lock. Rows from before text was read are filled by
  `fill_missing_text` (run by `charter search reindex`).
- Downloads are always ``Content-Disposition: attachment`` with ``X-Content-Type-Options: nosniff`` (the
  routes set them through `download_headers`), so a browser never renders an upload inline.

Permission checks belong to the owning area's service (e.g. `budget.add_receipt`), which calls `store`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from charter.config import get_settings
from charter.domain.errors import NotFound, ValidationError
from charter.io import document_text
from charter.persistence.models import Attachment
from charter.services.context import Actor, now

# content type -> the magic bytes a file of that type starts with
MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/zip": (b"PK\x03\x04",),
}
TEXT = "text/plain"
WEBP = "image/webp"
MARKUP = "text/html"  # what sniff() calls HTML, SVG and XML: never accepted
EXTENSION = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
             "application/zip": ".zip", WEBP: ".webp", TEXT: ".txt"}  # fmt: skip
RECEIPT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
MESSAGE_TYPES = frozenset(EXTENSION)
MAX_FILES_PER_MESSAGE = 10
_MARKUP_TAGS = (b"<html", b"<svg", b"<!doctype", b"<?xml", b"<script", b"<iframe", b"<body", b"<head",
                b"<object", b"<embed", b"<xsl", b"<math")  # fmt: skip
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclasses.dataclass(frozen=True)
class Upload:
    """What a route read from a request: the name the client gave and the bytes, and the words read from
    them (`read_ahead`)."""

    filename: str
    data: bytes
    _words: dict[str, str] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def words(self, ctype: str) -> str:
        """The text inside the file read as `ctype` (read once, see `read_ahead`)."""
        if ctype not in self._words:
            self._words[ctype] = document_text.extract(self.data, ctype)
        return self._words[ctype]


def read_ahead(uploads: Upload | Iterable[Upload | None] | None) -> None:
    """Read the words inside the files now, before the use-case's transaction begins: reading a PDF can take
    up to `document_text.MAX_SECONDS`, and inside the transaction that time would hold SQLite's writer lock
    (every other write of every process waits) or PostgreSQL's row locks. Routes and commands call it on what
    they read, outside any unit of work (an async route in a worker thread: it is processor work). Never
    raises: a file `check` will refuse is not read (nor are more files than a post may carry), and `store`
    reads what was not read ahead."""
    items = [uploads] if isinstance(uploads, Upload) else list(uploads or [])
    if len(items) > MAX_FILES_PER_MESSAGE:  # `check_all` refuses them all: nothing to read
        return
    limit = max_bytes()
    for u in items:
        if u is None or not u.data or len(u.data) > limit:
            continue
        ctype = sniff(u.data)
        if ctype is not None and ctype != MARKUP:
            u.words(ctype)


def root() -> Path:
    return get_settings().data_dir / "attachments"


def max_bytes() -> int:
    return get_settings().attachment_max_bytes


def limit_text() -> str:
    """The size limit as the refusals name it ("10 MB"), for the forms to say beforehand."""
    return _human(max_bytes())


def _human(n: int) -> str:
    return (
        f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB" if n >= 1024 else f"{n} bytes"
    )


def sniff(data: bytes) -> str | None:
    """The content type from the bytes: a known magic number, else MARKUP for anything that looks like
    HTML/SVG/XML, else plain text for UTF-8 without control characters, else None (unknown)."""
    for ctype, magics in MAGIC.items():
        if any(data.startswith(m) for m in magics):
            return ctype
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n\x0c").lower()
    if head.startswith(b"<") and any(tag in head for tag in _MARKUP_TAGS):
        return MARKUP
    if any(tag in head for tag in (b"<script", b"<svg", b"<html", b"<iframe")):
        return MARKUP
    if _CONTROL.search(data):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return TEXT


def kinds(allowed: frozenset[str]) -> str:
    """The accepted kinds as users know them: "GIF, JPG, PDF"."""
    return ", ".join(sorted(EXTENSION[c].lstrip(".").upper() for c in allowed))


def check(upload: Upload, allowed: frozenset[str] = RECEIPT_TYPES, field: str = "file") -> str:
    """The content type of an acceptable upload; a ValidationError naming the field otherwise."""
    limit = max_bytes()
    if not upload.data:
        raise ValidationError("the file is empty", field=field)
    if len(upload.data) > limit:
        raise ValidationError(
            f"the file is {_human(len(upload.data))}; the limit is {_human(limit)}", field=field
        )
    ctype = sniff(upload.data)
    if ctype == MARKUP:
        raise ValidationError(
            f"HTML, SVG and XML files are not accepted (a browser could run their scripts); only "
            f"{kinds(allowed)} files are", field=field,
        )  # fmt: skip
    if ctype is None or ctype not in allowed:
        raise ValidationError(
            f"only {kinds(allowed)} files are accepted (checked from the file's content)", field=field
        )
    return ctype


def check_all(
    uploads: list[Upload], allowed: frozenset[str], field: str = "files", most: int = MAX_FILES_PER_MESSAGE
) -> None:
    """Check every upload before anything is written; the error names the file (and its position)."""
    if len(uploads) > most:
        raise ValidationError(f"at most {most} files may be attached at once; {len(uploads)} were given",
                              field=field)  # fmt: skip
    for n, u in enumerate(uploads, 1):
        try:
            check(u, allowed, field)
        except ValidationError as exc:
            shown = clean_name(u.filename, TEXT, "file") if u.filename else f"file {n}"
            raise ValidationError(f"{shown}: {exc.message}", field=field) from None


NAME_MAX = 200  # characters of a file name kept
_EXT_MAX = 16  # a longer "extension" is part of the name (a.b-long-sentence...)


def clean_name(name: str, ctype: str, default: str = "receipt") -> str:
    """The uploader's file name as shown (a display label only): no path, no control characters, at most
    NAME_MAX characters; a longer name is shortened in its stem, so that its extension stays."""
    base = re.split(r"[\\/]", (name or "").replace("\x00", ""))[-1]
    base = re.sub(r"[\x00-\x1f\x7f\"]", "", base).strip().lstrip(".").strip()
    if len(base) > NAME_MAX:
        stem, dot, ext = base.rpartition(".")
        if dot and stem and 0 < len(ext) <= _EXT_MAX:
            base = f"{stem[: NAME_MAX - len(ext) - 1].rstrip()}.{ext}"
        else:
            base = base[:NAME_MAX]
    return base or f"{default}{EXTENSION[ctype]}"


def _when_done(s: Session, *, committed: Any = None, rolled_back: Any = None) -> None:
    """Run `committed()` or `rolled_back()` once the session's OUTERMOST transaction ends. Savepoints (which
    PostgreSQL code paths use, e.g. the notification outbox) commit and roll back on their own and fire the
    same session events: they must neither mark the file as kept nor remove it."""
    s.connection()  # the transaction has begun, so there is an outermost one to follow
    root = s.get_transaction()
    state = {"committed": False, "done": False}

    def on_commit(session: Session) -> None:
        if not session.in_nested_transaction():
            state["committed"] = True

    def on_end(session: Session, transaction: Any) -> None:
        if state["done"] or transaction is not root:
            return
        state["done"] = True
        fn = committed if state["committed"] else rolled_back
        if fn is not None:
            fn()

    event.listen(s, "after_commit", on_commit)
    event.listen(s, "after_transaction_end", on_end)


def store(
    s: Session, actor: Actor, *, project_id: int, owner_kind: str, owner_id: int, upload: Upload,
    allowed: frozenset[str] = RECEIPT_TYPES, field: str = "file", default_name: str = "receipt",
) -> dict[str, Any]:  # fmt: skip
    """Check and write the file, add its row (in the caller's transaction); returns its description."""
    ctype = check(upload, allowed, field)
    words = upload.words(ctype)
    folder = root() / str(project_id)
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{project_id}/{secrets.token_hex(16)}"
    path = root() / stored
    tmp = path.with_suffix(".part")
    with open(tmp, "xb") as f:
        f.write(upload.data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _when_done(s, rolled_back=lambda: path.unlink(missing_ok=True))
    a = Attachment(
        project_id=project_id, owner_kind=owner_kind, owner_id=owner_id, stored_name=stored,
        filename=clean_name(upload.filename, ctype, default_name), content_type=ctype, size=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(), uploaded_by=actor.user_id, created_at=now(),
        content_text=words,
    )  # fmt: skip
    s.add(a)
    s.flush()
    return attachment_dict(a)


def fill_missing_text(s: Session, batch: int = 50) -> int:
    """Read the text of every stored file whose row has none yet (stored before text was read, or restored
    from such a backup); returns how many were read. A file missing from storage is left for a later run.
    Derived data, like the search index, so not journaled; the caller checks permission (the instance admin
    rebuilding the index) and rebuilds the index entries afterwards."""
    done = 0
    last = 0
    while True:
        rows = s.execute(
            select(Attachment.id, Attachment.stored_name, Attachment.content_type)
            .where(Attachment.content_text.is_(None), Attachment.id > last)
            .order_by(Attachment.id)
            .limit(batch)
        ).all()
        if not rows:
            return done
        for a_id, stored, ctype in rows:
            last = a_id
            try:
                data = (root() / stored).read_bytes()
            except OSError:
                continue
            words = document_text.extract(data, ctype)
            s.execute(update(Attachment).where(Attachment.id == a_id).values(content_text=words))
            done += 1


def attachment_dict(a: Attachment) -> dict[str, Any]:
    return {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
            "sha256": a.sha256, "uploaded_by": a.uploaded_by, "created_at": a.created_at}  # fmt: skip


def of(s: Session, owner_kind: str, owner_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The attachments of each owner."""
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in owner_ids}
    if owner_ids:
        q = select(Attachment).where(Attachment.owner_kind == owner_kind, Attachment.owner_id.in_(owner_ids))
        for a in s.scalars(q.order_by(Attachment.id)):
            out[a.owner_id].append(attachment_dict(a))
    return out


@dataclasses.dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    data: bytes


def read(
    s: Session, *, project_id: int, owner_kind: str, owner_id: int | set[int], attachment_id: int
) -> Download:
    """The file of one attachment of the owner (or of one of the owners); the caller has already checked the
    right to read its owner(s)."""
    a = s.get(Attachment, attachment_id)
    owners = owner_id if isinstance(owner_id, set) else {owner_id}
    if a is None or (a.project_id, a.owner_kind) != (project_id, owner_kind) or a.owner_id not in owners:
        raise NotFound(f"attachment {attachment_id} not found", field="attachment_id")
    path = root() / a.stored_name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"the file of attachment {attachment_id} is missing from storage") from None
    return Download(a.filename, a.content_type, data)


def delete(
    s: Session, *, project_id: int, owner_kind: str, owner_id: int, attachment_id: int
) -> dict[str, Any]:
    """Remove the row now and the file once the transaction commits."""
    a = s.get(Attachment, attachment_id)
    if a is None or (a.project_id, a.owner_kind, a.owner_id) != (project_id, owner_kind, owner_id):
        raise NotFound(f"attachment {attachment_id} not found", field="attachment_id")
    out = attachment_dict(a)
    path = root() / a.stored_name
    s.delete(a)
    s.flush()
    _when_done(s, committed=lambda: path.unlink(missing_ok=True))
    return out


def download_headers(filename: str) -> dict[str, str]:
    """Always a download, never rendered inline; the browser may not guess another type."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "download"
    return {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    }
