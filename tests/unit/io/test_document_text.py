"""The words inside uploaded documents: plain text (Markdown and CSV arrive as text), PDF, DOCX, XLSX, PPTX,
ODT; hostile files (zip bombs, entity bombs, corrupt PDFs) give no text, quickly and without an error; the
caps hold."""

from __future__ import annotations

import io
import zipfile

import pytest

from charter.io import document_text as dt
from charter.services import attachments

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'


def _zip(members: dict[str, bytes | str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in members.items():
            z.writestr(name, content)
    return buf.getvalue()


def _docx(*paragraphs: str) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    return _zip({"[Content_Types].xml": "<Types/>",
                 "word/document.xml": f'<?xml version="1.0"?><w:document {W}><w:body>{body}</w:body></w:document>'})  # fmt: skip


def _pdf(*pages: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.cell(text=text)
    return bytes(pdf.output())


def _type(data: bytes) -> str:
    """The content type Charter gives the upload (checked from its bytes), as the upload path does."""
    ctype = attachments.sniff(data)
    assert ctype is not None and ctype in attachments.MESSAGE_TYPES
    return ctype


@pytest.mark.parametrize(
    "data",
    [
        b"Minutes: the wombat migration starts Monday.\n",
        b"# Plan\n\n* the **wombat** migration\n",  # Markdown
        "day,task\n2030-01-07,wombat migration\nnaïve,1\n".encode(),  # CSV
    ],
)
def test_plain_text_markdown_and_csv(data: bytes) -> None:
    assert _type(data) == "text/plain"
    text = dt.extract(data, _type(data))
    assert "wombat" in text and "\n" not in text


def test_text_loses_control_characters_and_nul() -> None:
    assert (
        dt.extract(b"\xef\xbb\xbfone\x00two\x07three \xff four", "text/plain") == "one two three \ufffd four"
    )


def test_pdf_text_from_every_page() -> None:
    data = _pdf("Hello wombat on page one", "The platypus is on page two")
    assert _type(data) == "application/pdf"
    text = dt.extract(data, "application/pdf")
    assert "wombat" in text and "platypus" in text


def test_pdf_pages_beyond_the_cap_are_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dt, "MAX_PDF_PAGES", 1)
    text = dt.extract(_pdf("Hello wombat on page one", "The platypus is on page two"), "application/pdf")
    assert "wombat" in text and "platypus" not in text


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        b"%PDF-1.7\n" + bytes(range(256)) * 40,
        _pdf("Hello wombat")[:300],  # truncated
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 1 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",  # loop
    ],
)
def test_a_corrupt_pdf_gives_no_text_without_an_error(data: bytes) -> None:
    assert dt.extract(data, "application/pdf") == ""


def test_docx_paragraphs_tabs_and_breaks() -> None:
    doc = (f'<w:document {W}><w:body><w:p><w:r><w:t>Go</w:t></w:r><w:r><w:t>-live</w:t><w:tab/>'
           f"<w:t>checklist</w:t><w:br/><w:t>wombat</w:t></w:r></w:p><w:p><w:r><w:t>second</w:t></w:r></w:p>"
           "</w:body></w:document>")  # fmt: skip
    data = _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": doc})
    assert _type(data) == "application/zip"
    assert dt.extract(data, "application/zip") == "Go-live checklist wombat second"


def test_xlsx_cell_values_sheet_by_sheet() -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Costs"
    ws.append(["Item", "Amount"])
    ws.append(["wombat licence", 1250])
    wb.create_sheet("Risks").append(["platypus outage"])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    assert _type(data) == "application/zip"
    text = dt.extract(data, "application/zip")
    assert "wombat licence 1250" in text and "platypus outage" in text and "Costs" in text


def test_pptx_slides_in_their_order() -> None:
    def slide(word: str) -> str:
        return f"<p:sld xmlns:p='p' {A}><a:p><a:r><a:t>{word}</a:t></a:r></a:p></p:sld>"

    data = _zip({"ppt/presentation.xml": "<p:presentation xmlns:p='p'/>", "ppt/slides/slide10.xml": slide("ten"),
                 "ppt/slides/slide2.xml": slide("two"), "ppt/slides/slide1.xml": slide("one")})  # fmt: skip
    assert dt.extract(data, "application/zip") == "one two ten"


def test_odt_paragraphs_and_spaces() -> None:
    t = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    content = (f'<office:document-content xmlns:office="o" xmlns:text="{t}"><office:body><office:text>'
               "<text:h>Kick-off</text:h><text:p>the<text:s/>wombat <text:span>plan</text:span> is set</text:p>"
               "</office:text></office:body></office:document-content>")  # fmt: skip
    data = _zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": content})
    assert dt.extract(data, "application/zip") == "Kick-off the wombat plan is set"


def test_images_and_other_zips_have_no_text() -> None:
    assert dt.extract(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png") == ""
    assert dt.extract(_zip({"notes.txt": "wombat"}), "application/zip") == ""
    assert dt.extract(_zip({"content.xml": "<x>wombat</x>"}), "application/zip") == ""  # not ODF


def test_a_zip_bomb_docx_is_not_unpacked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A member that declares more than the limit is never read (a bomb would declare gigabytes; the test
    uses 30 MB, about 30 KB compressed)."""
    huge = f"<w:document {W}><w:body><w:p><w:r><w:t>wombat</w:t></w:r></w:p>".encode() + b" " * 30_000_000
    data = _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": huge + b"</w:body></w:document>"})
    assert len(data) < 200_000
    assert dt.extract(data, "application/zip") == ""
    monkeypatch.setattr(dt, "MAX_MEMBER_BYTES", 40_000_000)  # the limit, nothing else, kept it out
    assert dt.extract(data, "application/zip") == "wombat"


def test_an_xlsx_that_unpacks_too_big_is_not_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["wombat"])
    buf = io.BytesIO()
    wb.save(buf)
    assert "wombat" in dt.extract(buf.getvalue(), "application/zip")
    monkeypatch.setattr(dt, "MAX_UNPACKED_BYTES", 1000)
    assert dt.extract(buf.getvalue(), "application/zip") == ""


def test_a_member_larger_than_it_declares_gives_no_text() -> None:
    """The central directory says 60 bytes; the member holds more: zipfile stops at the declared size and
    the check of the content fails, so nothing is read."""
    doc = f"<w:document {W}><w:body><w:p><w:r><w:t>wombat</w:t></w:r></w:p></w:body></w:document>".encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("word/document.xml", doc)
    raw = bytearray(buf.getvalue())
    central = raw.rindex(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (60).to_bytes(4, "little")  # uncompressed size in the directory
    local = raw.index(b"PK\x03\x04")
    raw[local + 22 : local + 26] = (60).to_bytes(4, "little")
    assert dt.extract(bytes(raw), "application/zip") == ""


@pytest.mark.parametrize(
    "xml",
    [
        # billion laughs: entities are refused by defusedxml
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        f"<w:document {W}><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>",
        # an external entity (a local file)
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f"<w:document {W}><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>",
        f"<w:document {W}><w:body><w:p><w:r><w:t>unclosed",
    ],
)
def test_hostile_or_broken_xml_gives_no_text(xml: str) -> None:
    data = _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": xml})
    assert dt.extract(data, "application/zip") == ""


def test_the_text_is_capped() -> None:
    words = ("wombat " * 60_000).encode()  # 420,000 characters
    text = dt.extract(words, "text/plain")
    assert len(text) == dt.MAX_CHARS and text.startswith("wombat wombat")
    assert len(dt.extract(words, "text/plain", max_chars=1000)) <= 1000
    many = _docx(*(["platypus " * 100] * 1000))  # 900,000 characters in 1,000 paragraphs
    assert len(dt.extract(many, "application/zip")) == dt.MAX_CHARS
    assert len(dt.extract(_pdf("wombat " * 20, "platypus " * 20), "application/pdf", max_chars=50)) <= 50


def test_reading_stops_when_the_time_is_up() -> None:
    """No time at all: nothing is read, and that is not an error."""
    assert dt.extract(_docx("wombat"), "application/zip", seconds=-1) == ""
    assert dt.extract(b"wombat", "text/plain", seconds=-1) == ""
