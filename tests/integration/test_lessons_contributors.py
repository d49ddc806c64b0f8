"""Lessons learned come from the whole team, not only the PM: Task Leaders (task.edit) and everyone who may raise
issues (concern.raise) record them; an Observer only reads them (403, nothing written, no form). Lesson bodies
and the quality plan's notes are shown as sanitised Markdown."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from charter.app import create_app
from charter.domain.errors import PermissionDenied
from charter.persistence.models import JournalEntry, Lesson
from charter.services import closure, quality
from webhelpers import login_seeded

BODY = "Profile the data **before** estimating.\n\n<script>alert(1)</script>\n\n- extract\n- profile"


def login(seed: Any, client: TestClient, username: str) -> str:
    return login_seeded(seed, client, username)


def _count(seed: Any, model: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_task_leaders_and_raisers_record_lessons_observers_do_not(seed: Any) -> None:
    for who in ("task_leader", "worker", "stakeholder", "liaison", "sponsor", "pm"):
        with seed.db.uow() as s:
            out = closure.add_lesson(
                s, seed.actor(who), seed.p1, title=f"Lesson from {who}", category="scope"
            )
        assert out["created_by"] == seed.users[who]
    with seed.db.uow(readonly=True) as s:
        actions = list(s.scalars(select(JournalEntry.action).where(JournalEntry.entity_type == "lesson")))
    assert actions == ["create"] * 6
    lessons, journaled = _count(seed, Lesson), _count(seed, JournalEntry)
    with seed.db.uow() as s, pytest.raises(PermissionDenied):
        closure.add_lesson(s, seed.actor("observer"), seed.p1, title="I only watched")
    assert _count(seed, Lesson) == lessons and _count(seed, JournalEntry) == journaled


def test_the_closure_page_offers_the_form_to_contributors_and_renders_markdown(seed: Any) -> None:
    with TestClient(create_app(seed.db)) as client:
        login(seed, client, "observer")
        assert 'id="lesson"' not in client.get(f"/projects/{seed.p1}/closure").text
        csrf = login(seed, client, "task_leader")
        page = client.get(f"/projects/{seed.p1}/closure").text
        assert 'id="lesson"' in page
        r = client.post(f"/projects/{seed.p1}/lessons", data={"csrf_token": csrf, "title": "Profile first",
                                                              "body": BODY, "category": "data"},
                        follow_redirects=False)  # fmt: skip
        assert r.status_code == 303, r.text
        for url in (f"/projects/{seed.p1}/closure", "/lessons?q=profile"):
            html = client.get(url).text
            body = html.split('<div class="lesson-body">', 1)[1].split("</div>", 1)[0]
            assert "<strong>before</strong>" in body and "<li>profile</li>" in body, url
            assert "<script>" not in body and "**before**" not in body, url


def test_quality_plan_notes_are_markdown(seed: Any) -> None:
    with seed.db.uow() as s:
        quality.set_plan(s, seed.actor("pm"), seed.p1, notes="Follow **ISO 9001**.\n\n<script>x()</script>")
    with TestClient(create_app(seed.db)) as client:
        login(seed, client, "worker")
        html = client.get(f"/projects/{seed.p1}/quality").text
    notes = html.split('<div id="plan-notes">', 1)[1].split("</div>", 1)[0]
    assert "<strong>ISO 9001</strong>" in notes and "<script>" not in notes
