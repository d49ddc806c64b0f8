"""Lessons learned are corrected and removed by their author (while they still contribute lessons) and by
whoever manages quality (the PM, an admin); nobody else (403), nobody outside the project (404). Every change
names the version it read (stale: 409 with the lesson as it is now) and is journaled; the only lesson of a
closed project is kept. The same through the service, the API, the web pages and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from charter.app import create_app
from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from charter.persistence.models import JournalEntry, Lesson, Project
from charter.services import closure, search
from webhelpers import csrf_of, login_seeded, no_inline


def _lesson(seed: Any, who: str = "worker", title: str = "Freeze scope early", pid: int | None = None) -> int:
    with seed.db.uow() as s:
        out = closure.add_lesson(
            s, seed.actor(who), pid or seed.p1, title=title, body="Agree it", category="scope"
        )
    assert out["version"] == 1
    return int(out["id"])


def _journal(seed: Any, lesson_id: int) -> list[tuple[str, dict[str, Any]]]:
    with seed.db.uow(readonly=True) as s:
        rows = s.execute(
            select(JournalEntry.action, JournalEntry.changes)
            .where(JournalEntry.entity_type == "lesson", JournalEntry.entity_id == str(lesson_id))
            .order_by(JournalEntry.id)
        ).all()
    return [(a, c) for a, c in rows]


def _count(seed: Any, model: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _close(seed: Any, pid: int) -> None:
    with seed.db.uow() as s:  # closing for real needs the whole checklist; the status is what counts here
        s.execute(update(Project).where(Project.id == pid).values(status="closed"))


# --------------------------------------------------------------------------------------------- service


def test_the_author_corrects_their_lesson_journaled_and_findable_by_its_new_words(seed: Any) -> None:
    lid = _lesson(seed)
    with seed.db.uow() as s:
        out = closure.update_lesson(s, seed.actor("worker"), seed.p1, lid, 1, title="  Freeze the scope in week one ",
                                    body="Sign it **with** the sponsor")  # fmt: skip
    assert (out["title"], out["body"], out["category"], out["version"]) == (
        "Freeze the scope in week one", "Sign it **with** the sponsor", "scope", 2)  # fmt: skip
    journal = _journal(seed, lid)
    assert [a for a, _ in journal] == ["create", "update"]
    changes = journal[1][1]
    assert changes["title"] == ["Freeze scope early", "Freeze the scope in week one"]
    assert changes["body"] == ["Agree it", "Sign it **with** the sponsor"]
    assert "category" not in changes
    with seed.db.uow(readonly=True) as s:
        titles = [
            h["title"] for h in search.search(s, seed.actor("pm"), "sponsor", kinds=["lesson"])["results"]
        ]
    assert titles == ["Freeze the scope in week one"]


def test_the_pm_curates_any_lesson_others_may_not(seed: Any) -> None:
    lid = _lesson(seed, "worker")
    with seed.db.uow() as s:
        assert (
            closure.update_lesson(s, seed.actor("pm"), seed.p1, lid, 1, category="planning")["version"] == 2
        )
    journaled = _count(seed, JournalEntry)
    for who in ("task_leader", "stakeholder", "sponsor", "observer"):  # members, not the author, not managers
        with seed.db.uow() as s, pytest.raises(PermissionDenied):
            closure.update_lesson(s, seed.actor(who), seed.p1, lid, 2, title="Mine now")
        with seed.db.uow() as s, pytest.raises(PermissionDenied):
            closure.delete_lesson(s, seed.actor(who), seed.p1, lid, 2)
    with seed.db.uow() as s, pytest.raises(NotFound):  # cannot see P1: not found, not forbidden
        closure.update_lesson(s, seed.actor("outsider"), seed.p1, lid, 2, title="Mine now")
    with seed.db.uow() as s, pytest.raises(NotFound):  # the lesson is not P2's
        closure.delete_lesson(s, seed.actor("outsider"), seed.p2, lid, 2)
    assert _count(seed, JournalEntry) == journaled
    with seed.db.uow(readonly=True) as s:
        assert closure.list_lessons(s, seed.actor("pm"), seed.p1)[0]["title"] == "Freeze scope early"


def test_an_author_who_now_only_observes_may_not_change_it(seed: Any) -> None:
    from charter.services import roles

    lid = _lesson(seed, "worker")
    with seed.db.uow() as s:
        roles.end_assignment(s, seed.actor("admin"), seed.p1, seed.assignments["worker"], 1)
        roles.assign_role(s, seed.actor("admin"), seed.p1, role_id=seed.roles["observer"],
                          user_id=seed.users["worker"])  # fmt: skip
    with seed.db.uow() as s, pytest.raises(PermissionDenied):
        closure.update_lesson(s, seed.actor("worker"), seed.p1, lid, 1, title="Mine")
    with seed.db.uow() as s:
        rows = closure.list_lessons(s, seed.actor("worker"), seed.p1)
        assert closure.changeable_lessons(s, seed.actor("worker"), rows) == set()
        assert closure.changeable_lessons(s, seed.actor("pm"), rows) == {lid}


def test_the_same_validation_as_recording(seed: Any) -> None:
    lid = _lesson(seed)
    with seed.db.uow() as s, pytest.raises(ValidationError) as e:
        closure.update_lesson(s, seed.actor("worker"), seed.p1, lid, 1, title="   ")
    assert e.value.field == "title"
    with seed.db.uow() as s, pytest.raises(ValidationError) as e:
        closure.update_lesson(s, seed.actor("worker"), seed.p1, lid, 1, created_by=seed.users["pm"])
    assert e.value.field == "created_by"
    with seed.db.uow() as s:
        out = closure.update_lesson(s, seed.actor("worker"), seed.p1, lid, 1, category="x" * 60)
    assert out["category"] == "x" * 40


def test_a_stale_version_is_refused_with_the_current_lesson(seed: Any) -> None:
    lid = _lesson(seed)
    with seed.db.uow() as s:
        closure.update_lesson(s, seed.actor("pm"), seed.p1, lid, 1, title="Freeze scope in week one")
    journaled = _count(seed, JournalEntry)
    with seed.db.uow() as s, pytest.raises(Conflict) as e:
        closure.update_lesson(s, seed.actor("worker"), seed.p1, lid, 1, title="Freeze scope early!")
    assert e.value.field == "version"
    assert e.value.current is not None
    assert (e.value.current["title"], e.value.current["version"]) == ("Freeze scope in week one", 2)
    with seed.db.uow() as s, pytest.raises(Conflict):
        closure.delete_lesson(s, seed.actor("worker"), seed.p1, lid, 1)
    assert _count(seed, JournalEntry) == journaled and _count(seed, Lesson) == 1


def test_delete_journals_what_it_said_and_leaves_search(seed: Any) -> None:
    lid = _lesson(seed, title="Vendor lock-in hurts")
    with seed.db.uow() as s:
        closure.delete_lesson(s, seed.actor("worker"), seed.p1, lid, 1)
    assert _count(seed, Lesson) == 0
    action, changes = _journal(seed, lid)[-1]
    assert action == "delete"
    assert changes["title"] == ["Vendor lock-in hurts", None] and changes["body"] == ["Agree it", None]
    with seed.db.uow(readonly=True) as s:
        assert search.search(s, seed.actor("pm"), "vendor", kinds=["lesson"])["total"] == 0
        assert closure.list_lessons(s, seed.actor("pm"), seed.p1) == []


def test_the_only_lesson_of_a_closed_project_is_kept(seed: Any) -> None:
    first = _lesson(seed, "pm", "Freeze scope early")
    second = _lesson(seed, "worker", "Order licences early")
    _close(seed, seed.p1)
    with seed.db.uow() as s:  # corrections are fine after closure
        closure.update_lesson(s, seed.actor("pm"), seed.p1, first, 1, body="In week one")
    with seed.db.uow() as s:  # one of two may go
        closure.delete_lesson(s, seed.actor("worker"), seed.p1, second, 1)
    with seed.db.uow() as s, pytest.raises(Conflict) as e:
        closure.delete_lesson(s, seed.actor("pm"), seed.p1, first, 2)
    assert "only lesson" in e.value.message and e.value.current and e.value.current["id"] == first
    assert _count(seed, Lesson) == 1


# --------------------------------------------------------------------------------------------- API


def test_api_patch_delete_conflict_and_mass_assignment(seed: Any, api: TestClient, as_: Any) -> None:
    lid = _lesson(seed)
    url = f"/projects/{seed.p1}/lessons/{lid}"
    r = api.patch(url, json={"version": 1, "title": "Freeze scope in week one"}, headers=as_("worker"))
    assert r.status_code == 200, r.text
    assert r.json() == {**r.json(), "id": lid, "title": "Freeze scope in week one", "body": "Agree it",
                        "category": "scope", "version": 2, "project_key": "P1"}  # fmt: skip
    stale = api.patch(url, json={"version": 1, "title": "Older"}, headers=as_("pm"))
    assert stale.status_code == 409
    assert stale.json()["error"]["current"]["title"] == "Freeze scope in week one"
    assert stale.json()["error"]["current"]["version"] == 2
    for body in ({"version": 2, "created_by": seed.users["pm"]}, {"version": 2, "project_id": seed.p2},
                 {"version": 2, "title": None}, {"title": "No version"}):  # fmt: skip
        assert api.patch(url, json=body, headers=as_("pm")).status_code == 422, body
    assert api.patch(url, json={"version": 2, "title": "X"}, headers=as_("stakeholder")).status_code == 403
    assert api.patch(url, json={"version": 2, "title": "X"}, headers=as_("outsider")).status_code == 404
    assert api.delete(url, params={"version": 2}, headers=as_("sponsor")).status_code == 403
    assert api.delete(url, params={"version": 1}, headers=as_("pm")).status_code == 409
    assert api.delete(url, headers=as_("pm")).status_code == 422
    r = api.delete(url, params={"version": 2}, headers=as_("pm"))
    assert r.status_code == 204 and r.content == b""
    assert api.delete(url, params={"version": 2}, headers=as_("pm")).status_code == 404
    assert [a for a, _ in _journal(seed, lid)] == ["create", "update", "delete"]
    listed = api.get("/lessons", headers=as_("pm")).json()
    assert listed == []


# --------------------------------------------------------------------------------------------- web


@pytest.fixture
def web(seed: Any) -> Iterator[TestClient]:
    with TestClient(create_app(seed.db)) as client:
        yield client


def test_web_edit_form_only_for_those_who_may_and_keeps_typed_values_on_error(
    seed: Any, web: TestClient
) -> None:
    lid = _lesson(seed, "worker")
    closure_url = f"/projects/{seed.p1}/closure"
    login_seeded(seed, web, "stakeholder")
    page = web.get(closure_url).text
    assert "Freeze scope early" in page and f'id="lesson-edit-{lid}"' not in page
    assert f'id="lesson-edit-{lid}"' not in web.get("/lessons").text
    login_seeded(seed, web, "worker")
    for url in (closure_url, "/lessons"):
        page = web.get(url).text
        no_inline(page)
        form = page.split(f'id="lesson-edit-{lid}"', 1)[1].split("</form>", 1)[0]
        assert 'name="csrf_token"' in form and 'name="version" value="1"' in form
        assert f'action="/projects/{seed.p1}/lessons/{lid}/delete"' in page
    csrf = csrf_of(web.get(closure_url).text)
    r = web.post(f"/projects/{seed.p1}/lessons/{lid}/edit",
                 data={"csrf_token": csrf, "version": "1", "back": "closure", "title": "  ",
                       "body": "What I typed <b>here</b>", "category": "typed-cat"})  # fmt: skip
    assert r.status_code == 422
    form = r.text.split(f'id="lesson-edit-{lid}"', 1)[1].split("</form>", 1)[0]
    assert "What I typed &lt;b&gt;here&lt;/b&gt;" in form and 'value="typed-cat"' in form
    assert 'aria-invalid="true"' in form.split('name="title"', 1)[1].split(">", 1)[0]
    error = r.text.split(f'id="lesson-edit-{lid}-error"', 1)[1].split("</p>", 1)[0]
    assert "title is required" in error
    assert _journal(seed, lid)[-1][0] == "create"
    # from /lessons a refusal shows /lessons again (with the search words)
    r = web.post(f"/projects/{seed.p1}/lessons/{lid}/edit",
                 data={"csrf_token": csrf, "version": "1", "back": "lessons", "q": "scope", "title": "",
                       "body": "typed again"})  # fmt: skip
    assert r.status_code == 422 and "<h1>Lessons learned</h1>" in r.text and "typed again" in r.text
    r = web.post(f"/projects/{seed.p1}/lessons/{lid}/edit",
                 data={"csrf_token": csrf, "version": "1", "back": "lessons", "q": "scope",
                       "title": "Freeze scope in week one", "body": "Agree it", "category": "scope"},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/lessons?q=scope"
    assert "Freeze scope in week one" in web.get("/lessons?q=week").text
    assert [a for a, _ in _journal(seed, lid)] == ["create", "update"]


def test_web_stale_version_shows_the_current_one_and_delete(seed: Any, web: TestClient) -> None:
    lid = _lesson(seed, "worker")
    with seed.db.uow() as s:
        closure.update_lesson(s, seed.actor("pm"), seed.p1, lid, 1, title="Changed by the PM")
    csrf = login_seeded(seed, web, "worker")
    r = web.post(f"/projects/{seed.p1}/lessons/{lid}/edit",
                 data={"csrf_token": csrf, "version": "1", "title": "Mine", "body": "", "category": ""})  # fmt: skip
    assert r.status_code == 409 and "was changed by someone else" in r.text
    form = r.text.split(f'id="lesson-edit-{lid}"', 1)[1].split("</form>", 1)[0]
    assert 'name="version" value="2"' in form and 'value="Mine"' in form
    assert web.post(f"/projects/{seed.p1}/lessons/{lid}/delete",
                    data={"csrf_token": csrf, "version": "1"}).status_code == 409  # fmt: skip
    r = web.post(f"/projects/{seed.p1}/lessons/{lid}/delete", data={"version": "2"}, follow_redirects=False)
    assert r.status_code == 403 and _count(seed, Lesson) == 1  # no CSRF token: refused
    r = web.post(f"/projects/{seed.p1}/lessons/{lid}/delete", data={"csrf_token": csrf, "version": "2"},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == f"/projects/{seed.p1}/closure#lesson-h"
    assert _count(seed, Lesson) == 0 and _journal(seed, lid)[-1][0] == "delete"
    login_seeded(seed, web, "outsider")
    other = _lesson(seed, "pm")
    csrf = csrf_of(web.get("/lessons").text)
    r = web.post(f"/projects/{seed.p1}/lessons/{other}/delete", data={"csrf_token": csrf, "version": "1"})
    assert r.status_code == 404 and _count(seed, Lesson) == 1


# --------------------------------------------------------------------------------------------- CLI


def test_cli_lesson_edit_and_delete(seed: Any, cli: Any) -> None:
    for command in ("edit", "delete"):
        assert "version" in cli("lesson", command, "--help").stdout
    lid = _lesson(seed, "worker")
    assert f"{lid}  [P1] Freeze scope early" in cli("lesson", "list", "--project", "P1").stdout
    out = cli("lesson", "edit", "P1", str(lid), "--title", "Freeze scope in week one", who="worker").stdout
    assert f"lesson {lid} saved (version 2)" in out
    bad = cli("lesson", "edit", "P1", str(lid), "--title", "Stale", "--version", "1", code=1)
    assert "changed by someone else" in bad.stderr
    assert "nothing to change" in cli("lesson", "edit", "P1", str(lid), code=1).stderr
    refused = cli("lesson", "delete", "P1", str(lid), who="stakeholder", code=1)
    assert "author" in refused.stderr
    assert "not found" in cli("lesson", "delete", "P1", "99999", code=1).stderr
    assert f"lesson {lid} removed" in cli("lesson", "delete", "P1", str(lid), "--version", "2").stdout
    assert [a for a, _ in _journal(seed, lid)] == ["create", "update", "delete"]
