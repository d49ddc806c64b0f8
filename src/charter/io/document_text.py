"""The words inside an uploaded document, for the search index: plain text (also Markdown and CSV, which
arrive as `text/plain`), PDF (pypdf), and the Office and OpenDocument files that arrive as `application/zip`
(DOCX, XLSX, PPTX, ODT/ODS/ODP). Images and other zip files have no text.

Every input is hostile until read, and reading it must never fail or stall an upload:

- at most `MAX_CHARS` characters are kept (whitespace collapsed, control characters and NUL removed, which
  PostgreSQL text cannot hold). At `MAX_CHARS` the PostgreSQL tsvector of the text stays below its 1 MB
  limit (at worst ~4 bytes per input character: a different one-letter word every two characters);
- PDF: at most `MAX_PDF_PAGES` pages;
- zip containers: a member is read only when its declared size is at most `MAX_MEMBER_BYTES` (zipfile never
  returns more than the declared size, and a member whose content disagrees with it fails its CRC), and
  never more than that many bytes; an XLSX is opened only if all its members together declare at most
  `MAX_UNPACKED_BYTES`; XML is parsed with defusedxml (no DTD, no entities, no network); at most
  `MAX_PARTS` slides or sheets;
- reading stops after `MAX_SECONDS` (checked between pages, parts and XML elements) with what it has;
- any failure to parse gives no text (logged at debug level), never an error.
"""

from __future__ import annotations

import io
import logging
import re
import time
import zipfile
from collections.abc import Iterator
from typing import IO, Any

log = logging.getLogger(__name__)

MAX_CHARS = 200_000
MAX_PDF_PAGES = 200
MAX_MEMBER_BYTES = 20_000_000
MAX_UNPACKED_BYTES = 60_000_000
MAX_PARTS = 500
MAX_SECONDS = 2.0

TEXT = "text/plain"
PDF = "application/pdf"
ZIP = "application/zip"

_JUNK = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")
_SPACE = re.compile(r"\s+")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_ODF_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_SLIDE = re.compile(r"ppt/slides/slide(\d+)\.xml")


class _Full(Exception):
    """The text reached its cap or the time ran out: stop reading, keep what there is."""


class _Text:
    def __init__(self, max_chars: int, seconds: float) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.max_chars = max_chars
        self.deadline = time.monotonic() + seconds

    def add(self, piece: str | None) -> None:
        if time.monotonic() > self.deadline:
            raise _Full
        piece = clean(piece or "")
        if not piece:
            return
        self.parts.append(piece)
        self.size += len(piece) + 1
        if self.size >= self.max_chars:
            raise _Full

    def value(self) -> str:
        return " ".join(self.parts)[: self.max_chars].strip()


def clean(s: str) -> str:
    """Text as stored: control characters out, whitespace collapsed, lone surrogates replaced."""
    s = s.encode("utf-8", "replace").decode("utf-8")
    return _SPACE.sub(" ", _JUNK.sub(" ", s)).strip()


def extract(
    data: bytes, content_type: str, *, max_chars: int = MAX_CHARS, seconds: float = MAX_SECONDS
) -> str:
    """The document's text (at most `max_chars` characters); "" when it has none or cannot be read."""
    reader = _READERS.get(content_type)
    if reader is None:
        return ""
    out = _Text(max_chars, seconds)
    try:
        reader(data, out)
    except _Full:
        pass
    except Exception as exc:  # a hostile or damaged file: no text, never a failed upload
        log.debug("no text from a %s attachment: %s: %s", content_type, type(exc).__name__, exc)
        return ""
    return out.value()


def _plain(data: bytes, out: _Text) -> None:
    text = data[: out.max_chars * 4].decode("utf-8", "replace").lstrip("\ufeff")
    for start in range(0, len(text), 65536):
        out.add(text[start : start + 65536])


def _pdf(data: bytes, out: _Text) -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        return
    for n in range(min(len(reader.pages), MAX_PDF_PAGES)):
        out.add(reader.pages[n].extract_text())


def _zip(data: bytes, out: _Text) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = set(z.namelist())
        if "word/document.xml" in names:
            _xml_text(
                z,
                "word/document.xml",
                out,
                paragraph={_W + "p"},
                word=_W + "t",
                space=frozenset({_W + "tab", _W + "br", _W + "cr"}),
            )
        elif "xl/workbook.xml" in names:
            _xlsx(data, z, out)
        elif "ppt/presentation.xml" in names:
            slides = sorted((int(m.group(1)), name) for name in names if (m := _SLIDE.fullmatch(name)))
            for _, name in slides[:MAX_PARTS]:
                _xml_text(z, name, out, paragraph={_A + "p"}, word=_A + "t")
        elif "content.xml" in names and _is_odf(z):
            _xml_text(
                z,
                "content.xml",
                out,
                paragraph={_ODF_TEXT + "p", _ODF_TEXT + "h"},
                word=None,
                space=frozenset({_ODF_TEXT + "s", _ODF_TEXT + "tab", _ODF_TEXT + "line-break"}),
            )


def _is_odf(z: zipfile.ZipFile) -> bool:
    try:
        info = z.getinfo("mimetype")
    except KeyError:
        return False
    if info.file_size > 200:
        return False
    with z.open(info) as f:
        return f.read(200).startswith(b"application/vnd.oasis.opendocument.")


class _Bounded(io.RawIOBase):
    """A member's bytes, never more than `limit` of them (then an error: the member is bigger than it said)."""

    def __init__(self, f: IO[bytes], limit: int) -> None:
        self.f, self.left = f, limit

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        chunk = self.f.read(min(len(b), self.left + 1))
        if len(chunk) > self.left:
            raise ValueError("a zip member holds more than its declared size")
        self.left -= len(chunk)
        b[: len(chunk)] = chunk
        return len(chunk)


def _member(z: zipfile.ZipFile, name: str) -> IO[bytes] | None:
    info = z.getinfo(name)
    if info.file_size > MAX_MEMBER_BYTES:
        log.debug("zip member %s declares %d bytes: not read", name, info.file_size)
        return None
    return io.BufferedReader(_Bounded(z.open(info), MAX_MEMBER_BYTES))


def _xml_text(z: zipfile.ZipFile, name: str, out: _Text, *, paragraph: set[str], word: str | None,
              space: frozenset[str] = frozenset()) -> None:  # fmt: skip
    """The text of the XML member, paragraph by paragraph: of its `word` elements (all its text when None),
    a space for each of the `space` elements (tabs, line breaks)."""
    from defusedxml.ElementTree import iterparse

    f = _member(z, name)
    if f is None:
        return
    with f:
        for _, el in iterparse(f, events=("end",), forbid_dtd=True):
            if el.tag not in paragraph:
                continue
            pieces: list[str] = []
            for n in el.iter():
                if n.tag in space:
                    n.text = " "
                    pieces.append(" ")
                elif n.tag == word:
                    pieces.append(n.text or "")
            out.add("".join(el.itertext()) if word is None else "".join(pieces))
            el.clear()


def _xlsx(data: bytes, z: zipfile.ZipFile, out: _Text) -> None:
    """Cell values (cached results of formulas), sheet by sheet; openpyxl parses with defusedxml."""
    import openpyxl

    infos = z.infolist()
    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES or any(
        i.file_size > MAX_MEMBER_BYTES for i in infos
    ):
        log.debug("workbook declares more than %d bytes unpacked: not read", MAX_UNPACKED_BYTES)
        return
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for ws in wb.worksheets[:MAX_PARTS]:
            out.add(ws.title)
            for row in _rows(ws):
                out.add(" ".join(str(v) for v in row if v is not None and str(v).strip()))
    finally:
        wb.close()


def _rows(ws: Any) -> Iterator[tuple[Any, ...]]:
    yield from ws.iter_rows(values_only=True)


_READERS = {TEXT: _plain, PDF: _pdf, ZIP: _zip}
