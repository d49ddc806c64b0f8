"""Search finds words inside attachments: the text read at upload (the real upload routes) is indexed with
the file, shown in context, found only by who may see the file; files stored before text was read are read
by `charter search reindex`; a file whose text cannot be read is stored all the same."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import zipfile
from typing import Any

from sqlalchemy import select, text, update

from charter.persistence.models import Attachment, User
from charter.services import accounts, attachments, budget, search, search_index
from charter.services.context import SYSTEM

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
FILLER = "The steering group reviewed the cut-over plan and the rollback rehearsal. " * 40  # ~3,000 chars


def _docx(text_: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", f"<w:document {W}><w:body><w:p><w:r><w:t>{text_}</w:t></w:r></w:p>"
                                        "</w:body></w:document>")  # fmt: skip
    return buf.getvalue()


def _pdf(text_: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(w=0, text=text_)
    return bytes(pdf.output())


def _ok(r: Any, status: int = 201) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def _post_thread(api: Any, seed: Any, who: str, project: int, filename: str, data: bytes) -> dict[str, Any]:
    form = {"to": "project", "kind": "announcement", "subject": "Cut-over", "body": "See the attached notes"}
    return _ok(api.post(f"/projects/{project}/messages/with-attachments", headers=seed.headers(who), data=form,
                        files=[("files", (filename, data, "application/octet-stream"))]))  # fmt: skip


def _search(api: Any, seed: Any, who: str, q: str) -> dict[str, Any]:
    return _ok(api.get("/search", params={"q": q}, headers=seed.headers(who)), 200)


def _titles(out: dict[str, Any]) -> set[str]:
    return {h["title"] for h in out["results"]}


def test_a_word_inside_an_uploaded_file_is_found_by_who_sees_it_only(api: Any, seed: Any) -> None:
    # words that appear nowhere but inside the files: not in their names, the subject or the body
    _post_thread(api, seed, "pm", seed.p1, "notes.docx", _docx(f"{FILLER} Zanzibarite cut-over checklist"))
    _post_thread(api, seed, "outsider", seed.p2, "p2-notes.docx", _docx("zanzibarite in the other project"))
    line = budget_line(seed)
    expense = _ok(api.post(f"/projects/{seed.p1}/expenses", headers=seed.headers("pm"),
                           json={"budget_line_id": line, "day": "2026-01-08", "amount": "80",
                                 "description": "Hotel"}))  # fmt: skip
    _ok(api.post(f"/projects/{seed.p1}/expenses/{expense['id']}/receipts", headers=seed.headers("pm"),
                 files={"file": ("scan.pdf", _pdf("Invoice 4711 Quokka Hotel Hamburg"), "application/pdf")}))  # fmt: skip

    pm = _search(api, seed, "pm", "zanzibarite")
    assert _titles(pm) == {"notes.docx"} and pm["total"] == 1
    (hit,) = pm["results"]
    assert hit["kind"] == "attachment"
    # the snippet shows the word in its context, though it is ~3,000 characters into the document
    assert "Zanzibarite cut-over checklist" in hit["snippet"] and hit["snippet"].startswith("… ")
    assert len(hit["snippet"]) <= 250
    # another project's user finds only their own project's file, never this one
    outsider = _search(api, seed, "outsider", "zanzibarite")
    assert _titles(outsider) == {"p2-notes.docx"} and outsider["total"] == 1
    assert _search(api, seed, "outsider", "checklist")["total"] == 0
    # a PDF receipt's words: for who may read the budget; a member without budget.read does not find it
    assert _titles(_search(api, seed, "pm", "quokka")) == {"scan.pdf"}
    assert _search(api, seed, "worker", "quokka")["total"] == 0
    assert _search(api, seed, "outsider", "quokka")["total"] == 0
    # a member who sees the announcement finds its file's words
    assert _titles(_search(api, seed, "worker", "zanzibarite")) == {"notes.docx"}


def budget_line(seed: Any) -> int:
    with seed.db.uow() as s:
        return int(budget.create_line(s, seed.actor("pm"), seed.p1, category="travel", name="Trips",
                                      amount="2000")["id"])  # fmt: skip


def test_the_search_page_shows_the_word_in_context(seed: Any) -> None:
    from fastapi.testclient import TestClient

    from charter.app import create_app

    pm = seed.actor("pm")
    with seed.db.uow() as s:
        s.execute(update(User).values(password_hash=accounts.hash_password("attachment-text-password")))
        line = budget.create_line(s, pm, seed.p1, category="travel", name="Trips", amount="2000")["id"]
        budget.add_expense(s, pm, seed.p1, budget_line_id=line, day=dt.date(2026, 1, 8), amount="12",
                           description="Taxi", receipt=attachments.Upload("r.pdf", _pdf("Fare to Wallaby Street")))  # fmt: skip

    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        for who, found in (("pm", True), ("outsider", False)):
            client.cookies.clear()
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
            assert token
            r = client.post("/login", data={"username": who, "password": "attachment-text-password",
                                            "csrf_token": token.group(1), "next": "/projects"})  # fmt: skip
            assert r.status_code == 303, r.text
            page = html.unescape(client.get("/search", params={"q": "wallaby"}).text)
            if found:
                assert ">1 result<" in page and "r.pdf" in page and "Fare to Wallaby Street" in page
            else:
                assert (
                    "0 results" in page
                    and "r.pdf" not in page
                    and "Wallaby" not in page.replace('value="wallaby"', "")
                )


def test_reindex_reads_the_text_of_files_stored_before(seed: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        line = budget.create_line(s, pm, seed.p1, category="travel", name="Trips", amount="2000")["id"]
        e = budget.add_expense(s, pm, seed.p1, budget_line_id=line, day=dt.date(2026, 1, 8), amount="12",
                               description="Taxi", receipt=attachments.Upload("r.pdf", _pdf("Numbat depot fare")))  # fmt: skip
        budget.add_expense(s, pm, seed.p1, budget_line_id=line, day=dt.date(2026, 1, 9), amount="5",
                           description="Parking", receipt=attachments.Upload("p.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32))  # fmt: skip
    receipt = e["receipts"][0]["id"]
    with seed.db.uow() as s:  # as a row stored before Charter read attachments' text, with its index entry
        s.execute(update(Attachment).values(content_text=None))
        s.execute(text("DELETE FROM search_docs WHERE kind = 'attachment'"))
    with seed.db.uow() as s:
        counts = search_index.rebuild(s, seed.actor("admin"))
    assert counts[search_index.TEXTS_READ] == 2 and counts["attachment"] == 2
    with seed.db.uow(readonly=True) as s:
        texts = {n: t for n, t in s.execute(select(Attachment.filename, Attachment.content_text))}
        assert texts == {"r.pdf": "Numbat depot fare", "p.png": ""}
        out = search.search(s, pm, "numbat")
        assert [h["id"] for h in out["results"]] == [receipt]
    with seed.db.uow() as s:  # read once: the next rebuild has nothing left to read
        assert search_index.rebuild(s, SYSTEM)[search_index.TEXTS_READ] == 0


def test_a_file_whose_text_cannot_be_read_is_stored_all_the_same(api: Any, seed: Any) -> None:
    broken = b"%PDF-1.7\n" + bytes(range(256)) * 8
    item = _post_thread(api, seed, "pm", seed.p1, "broken.pdf", broken)
    assert item["messages"][0]["attachments"][0]["content_type"] == "application/pdf"
    with seed.db.uow(readonly=True) as s:
        assert s.scalar(select(Attachment.content_text)) == ""
    assert _titles(_search(api, seed, "pm", "broken")) == {"broken.pdf"}  # still found by its name


def test_cli_reindex_says_how_many_files_it_read(seed: Any, cli: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        line = budget.create_line(s, pm, seed.p1, category="travel", name="Trips", amount="2000")["id"]
        budget.add_expense(s, pm, seed.p1, budget_line_id=line, day=dt.date(2026, 1, 8), amount="12",
                           description="Taxi", receipt=attachments.Upload("r.pdf", _pdf("Bilby station fare")))  # fmt: skip
        s.execute(update(Attachment).values(content_text=None))
    r = cli("search", "reindex", who="admin")
    assert "read the text of 1 attachment " in r.stdout and "indexed" in r.stdout
    assert "attachment_texts_read" not in r.stdout  # not counted among the entries
    out = json.loads(cli("search", "bilby", "--json").stdout)
    assert [h["title"] for h in out["results"]] == ["r.pdf"]
    assert json.loads(cli("search", "reindex", "--json", who="admin").stdout)["attachment_texts_read"] == 0


def test_the_words_of_an_upload_are_read_before_its_transaction_begins(
    api: Any, seed: Any, cli: Any, monkeypatch: Any, tmp_path: Any
) -> None:
    """Reading a document can take seconds; inside the use-case's transaction that would hold SQLite's writer
    lock (every write of every process waits) or PostgreSQL's row locks. Every upload route and command reads
    the words first: API, web and CLI, messages, replies and receipts."""
    from charter.io import document_text
    from charter.persistence.db import Database
    from webhelpers import csrf_of, signed_in

    open_writes: list[int] = []
    real_unit = Database._unit

    def unit(self: Database, readonly: bool) -> Any:
        if not readonly:
            open_writes.append(1)
        try:
            yield from real_unit(self, readonly)
        finally:
            if not readonly:
                open_writes.pop()

    reads: list[tuple[str, int]] = []
    real_extract = document_text.extract

    def extract(data: bytes, ctype: str, **kw: Any) -> str:
        words = real_extract(data, ctype, **kw)
        reads.append((words.split()[0] if words else "", len(open_writes)))
        return words

    monkeypatch.setattr(Database, "_unit", unit)
    monkeypatch.setattr(document_text, "extract", extract)

    p = seed.p1
    _post_thread(api, seed, "pm", p, "a.txt", b"Apiword in a message\n")
    line = budget_line(seed)
    expense = _ok(api.post(f"/projects/{p}/expenses", headers=seed.headers("pm"),
                           json={"budget_line_id": line, "day": "2026-01-08", "amount": "80", "description": "Hotel"}))  # fmt: skip
    _ok(api.post(f"/projects/{p}/expenses/{expense['id']}/receipts", headers=seed.headers("pm"),
                 files={"file": ("scan.pdf", _pdf("Receiptword of the hotel"), "application/pdf")}))  # fmt: skip
    with signed_in(seed, "pm") as web:
        token = csrf_of(web.get(f"/projects/{p}/messages").text)
        r = web.post(f"/projects/{p}/messages", data={"csrf_token": token, "to": "project", "kind": "announcement",
                     "subject": "Web", "body": "see file"}, files=[("files", ("w.txt", b"Webword notes\n", "text/plain"))])  # fmt: skip
        assert r.status_code == 303, r.text
        r = web.post(f"{r.headers['location']}/reply", data={"csrf_token": token, "body": "and more"},
                     files=[("files", ("r.docx", _docx("Replyword inside"), "application/octet-stream"))])  # fmt: skip
        assert r.status_code == 303, r.text
        r = web.post(f"/projects/{p}/budget/expenses", data={"csrf_token": token, "budget_line_id": str(line),
                     "day": "2026-01-09", "amount": "12", "description": "Taxi"},
                     files={"receipt": ("t.pdf", _pdf("Formword taxi fare"), "application/pdf")})  # fmt: skip
        assert r.status_code == 303, r.text
    note = tmp_path / "cli.txt"
    note.write_bytes(b"Cliword from the command line\n")
    send = ["--to", "project", "--kind", "announcement", "--subject", "CLI", "--body", "attached"]
    cli("messages", "send", str(p), *send, "--attach", str(note))
    receipt = tmp_path / "cli.pdf"
    receipt.write_bytes(_pdf("Clireceiptword parking"))
    cli("budget", "expense", "attach", str(p), str(expense["id"]), str(receipt))

    words = ["apiword", "receiptword", "webword", "replyword", "formword", "cliword", "clireceiptword"]
    assert sorted(w.lower() for w, _ in reads) == sorted(words)  # each file read once
    assert [w for w, open_ in reads if open_] == []  # and never inside a write transaction
    for w in words:  # the words read ahead are the ones stored and found
        assert len(_search(api, seed, "pm", w)["results"]) == 1, w


def test_read_ahead_reads_nothing_a_post_will_refuse(monkeypatch: Any) -> None:
    from charter.io import document_text

    reads: list[str] = []
    monkeypatch.setattr(document_text, "extract", lambda data, ctype, **kw: reads.append(ctype) or "")
    too_many = [
        attachments.Upload(f"{n}.txt", b"words\n") for n in range(attachments.MAX_FILES_PER_MESSAGE + 1)
    ]
    attachments.read_ahead(too_many)
    assert reads == []  # the post is refused whole: nothing is read for it
    attachments.read_ahead([attachments.Upload("x.svg", b"<svg onload=alert(1)>"), attachments.Upload("e", b""),
                            None, attachments.Upload("ok.txt", b"words\n")])  # fmt: skip
    assert reads == ["text/plain"]
