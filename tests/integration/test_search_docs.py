"""Search over documents: message attachments (only for who sees the thread), expense receipts (only for who
may read the budget) and deliverables, filtered by the owner's permission before they are counted; results
open the owner and offer the download; deleting an attachment removes it from search; reindex covers them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import delete

from charter.persistence.models import SearchDoc
from charter.services import attachments, budget, comms, quality, search, search_index
from charter.services.context import SYSTEM

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def docs(seed: Any) -> dict[str, Any]:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        thread = comms.send(s, pm, seed.p1, to="user", to_user_id=seed.users["task_leader"], subject="Design",
                            body="See the file", files=[attachments.Upload("quasar-design.pdf", PDF)])  # fmt: skip
        line = budget.create_line(s, pm, seed.p1, category="travel", name="Trips", amount="2000")["id"]
        expense = budget.add_expense(s, pm, seed.p1, budget_line_id=line, day=dt.date(2026, 1, 8), amount="50",
                                     description="Nebula workshop travel",
                                     receipt=attachments.Upload("quasar-ticket.pdf", PDF))  # fmt: skip
        d = quality.create_deliverable(s, pm, seed.p1, work_package_id=seed.wp_a, name="Quasar handbook",
                                       acceptor_id=seed.users["pm"],
                                       acceptance_criteria="reviewed by the pulsar board")  # fmt: skip
        other = seed.actor("outsider")  # PM of P2
        line2 = budget.create_line(s, other, seed.p2, category="travel", name="Trips", amount="900")["id"]
        budget.add_expense(s, other, seed.p2, budget_line_id=line2, day=dt.date(2026, 1, 8), amount="9",
                           description="Taxi", receipt=attachments.Upload("quasar-p2.pdf", PDF))  # fmt: skip
    return {"thread": thread["id"], "expense": expense["id"], "receipt": expense["receipts"][0]["id"],
            "deliverable": d["id"]}  # fmt: skip


def _find(seed: Any, who: str, q: str, **kw: Any) -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        return search.search(s, seed.actor(who), q, **kw)


def _titles(out: dict[str, Any]) -> set[str]:
    return {h["title"] for h in out["results"]}


def test_documents_are_found_by_who_sees_their_owner_and_nobody_else(seed: Any, docs: Any) -> None:
    pm = _find(seed, "pm", "quasar")
    assert _titles(pm) == {"quasar-design.pdf", "quasar-ticket.pdf", "Quasar handbook"}
    assert pm["total"] == 3
    by_title = {h["title"]: h for h in pm["results"]}
    thread, exp, p1 = docs["thread"], docs["expense"], seed.p1
    message_file = by_title["quasar-design.pdf"]
    assert (
        message_file["kind"] == "attachment" and message_file["link"] == f"/projects/{p1}/messages/{thread}"
    )
    assert message_file["download"].startswith(f"/projects/{p1}/messages/{thread}/attachments/")
    receipt = by_title["quasar-ticket.pdf"]
    assert receipt["link"] == f"/projects/{p1}/budget#expense-{exp}"
    assert receipt["download"] == f"/projects/{p1}/budget/expenses/{exp}/receipts/{docs['receipt']}"
    assert by_title["Quasar handbook"]["link"] == f"/projects/{p1}/quality#deliverable-{docs['deliverable']}"
    # the owner's text and the content type are searchable too
    assert _titles(_find(seed, "pm", "nebula workshop")) >= {"quasar-ticket.pdf"}
    assert _titles(_find(seed, "pm", "pulsar board")) == {"Quasar handbook"}
    assert "quasar-design.pdf" in _titles(_find(seed, "pm", "application pdf"))
    # the thread's recipient sees its file, not the receipt (budget.read only for their own package)
    leader = _find(seed, "task_leader", "quasar")
    assert _titles(leader) == {"quasar-design.pdf", "Quasar handbook"} and leader["total"] == 2
    # a project member outside the thread and without budget.read: only the deliverable, and the count says so
    worker = _find(seed, "worker", "quasar")
    assert _titles(worker) == {"Quasar handbook"} and worker["total"] == 1
    # another project's user: only their own receipt
    outsider = _find(seed, "outsider", "quasar")
    assert _titles(outsider) == {"quasar-p2.pdf"} and outsider["total"] == 1
    # counted before paging: the total is of visible hits only, the page is cut after
    one = _find(seed, "worker", "quasar", limit=1)
    assert one["total"] == 1 and len(one["results"]) == 1
    page = _find(seed, "pm", "quasar", limit=1)
    assert page["total"] == 3 and len(page["results"]) == 1


def test_only_document_kinds_can_be_asked_for(seed: Any, docs: Any) -> None:
    out = _find(seed, "pm", "quasar", kinds=["attachment"])
    assert {h["kind"] for h in out["results"]} == {"attachment"} and out["total"] == 2


def test_deleting_a_receipt_removes_it_from_search(seed: Any, docs: Any) -> None:
    with seed.db.uow() as s:
        budget.delete_receipt(s, seed.actor("pm"), seed.p1, docs["expense"], docs["receipt"])
    assert _titles(_find(seed, "pm", "quasar")) == {"quasar-design.pdf", "Quasar handbook"}
    assert _find(seed, "pm", "quasar")["total"] == 2


def test_deleting_a_deliverable_removes_it_from_search(seed: Any, docs: Any) -> None:
    with seed.db.uow() as s:
        d = quality.list_deliverables(s, seed.actor("pm"), seed.p1)[0]
        quality.delete_deliverable(s, seed.actor("pm"), seed.p1, d["id"], d["version"])
    assert _titles(_find(seed, "pm", "quasar")) == {"quasar-design.pdf", "quasar-ticket.pdf"}


def test_reindex_rebuilds_document_entries(seed: Any, docs: Any) -> None:
    with seed.db.uow() as s:
        s.execute(delete(SearchDoc).where(SearchDoc.kind.in_(["attachment", "deliverable"])))
    assert _find(seed, "pm", "quasar")["total"] == 0
    with seed.db.uow() as s:
        counts = search_index.rebuild(s, SYSTEM)
    assert counts["attachment"] == 3 and counts["deliverable"] == 1
    assert _find(seed, "pm", "quasar")["total"] == 3


def test_search_page_links_open_the_owner_and_the_download(seed: Any, docs: Any) -> None:
    import html
    import re

    from fastapi.testclient import TestClient
    from sqlalchemy import update

    from charter.app import create_app
    from charter.persistence.models import User
    from charter.services import accounts

    pw = "search-docs-web-password"
    with seed.db.uow() as s:
        s.execute(update(User).values(password_hash=accounts.hash_password(pw)))

    def login(client: TestClient, username: str) -> None:
        client.cookies.clear()
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        r = client.post("/login", data={"username": username.replace("_", "-"), "password": pw, "csrf_token": token.group(1),
                                        "next": "/projects"})  # fmt: skip
        assert r.status_code == 303, r.text

    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        login(client, "pm")
        page = html.unescape(client.get("/search", params={"q": "quasar"}).text)
        assert ">3 results<" in page
        p1, thread, exp = seed.p1, docs["thread"], docs["expense"]
        assert f'href="/projects/{p1}/messages/{thread}"' in page
        assert f'href="/projects/{p1}/budget#expense-{exp}"' in page
        receipt = f"/projects/{p1}/budget/expenses/{exp}/receipts/{docs['receipt']}"
        assert f'href="{receipt}"' in page
        (download,) = re.findall(rf'href="(/projects/{p1}/messages/{thread}/attachments/\d+)"', page)
        for url in (receipt, download):
            r = client.get(url)
            assert r.status_code == 200 and r.content == PDF
            assert r.headers["content-disposition"].startswith("attachment")
        assert f'id="expense-{exp}"' in client.get(f"/projects/{p1}/budget").text
        assert f'id="deliverable-{docs["deliverable"]}"' in client.get(f"/projects/{p1}/quality").text
        login(client, "worker")
        page = client.get("/search", params={"q": "quasar"}).text
        assert ">1 result<" in page and "quasar-design" not in page and "quasar-ticket" not in page
        assert client.get(download).status_code == 404
