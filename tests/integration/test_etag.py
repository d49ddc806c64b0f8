"""The Gantt data and the task list carry an ETag, a digest of the exact body: If-None-Match naming it gives an
empty 304, but only for the same user-visible content (another user's edit flags differ, so their tags do),
never past the permission check, and any edit gives a fresh body under a new tag."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter import etag
from charter.app import create_app
from charter.domain.roles import OBSERVER, TASK_LEADER
from charter.persistence.db import Database
from charter.services import accounts, projects, roles, tasks, work_packages
from charter.services.context import SYSTEM, Actor

PW = "etag-test-password"


@pytest.fixture
def world(db: Database, frozen_clock: Any) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    """pm manages the project; tl leads WP-A only; outsider is in no project. Alpha (WP-A) -> Bravo (WP-B)."""
    with db.uow() as s:
        ids: dict[str, Any] = {
            n: accounts.create_user(s, SYSTEM, username=n, display_name=n.title(), password=PW)["id"]
            for n in ("pm", "tl", "outsider")
        }
        pid = projects.create_project(
            s, SYSTEM, key="ET", name="Tags", manager_id=ids["pm"], start_date=date(2030, 1, 7)
        )["id"]
        wpa = work_packages.create_work_package(s, SYSTEM, pid, name="WP-A")["id"]
        wpb = work_packages.create_work_package(s, SYSTEM, pid, name="WP-B")["id"]
        leader = next(r["id"] for r in roles.list_roles(s, SYSTEM, pid) if r["key"] == TASK_LEADER)
        roles.assign_role(s, SYSTEM, pid, role_id=leader, user_id=ids["tl"], scope_id=wpa)
        a = tasks.create_task(s, SYSTEM, pid, name="Alpha", work_package_id=wpa, duration="2d")["id"]
        b = tasks.create_task(s, SYSTEM, pid, name="Bravo", work_package_id=wpb, duration="1d")["id"]
        tasks.create_link(s, SYSTEM, pid, pred_id=a, succ_id=b)
        tokens = {
            n: accounts.create_token(s, Actor(ids[n], n), name="t", expires_in_days=None)["token"]
            for n in ("pm", "tl", "outsider")
        }
    ids.update(
        project=pid, wpa=wpa, a=a, b=b, h={n: {"Authorization": f"Bearer {t}"} for n, t in tokens.items()}
    )
    with TestClient(create_app(db), follow_redirects=False) as client:
        yield client, ids


def login(client: TestClient, username: str) -> None:
    client.cookies.clear()
    page = client.get("/login").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    data = {"username": username, "password": PW, "csrf_token": csrf, "next": "/projects"}
    assert client.post("/login", data=data).status_code == 303


def rename(client: TestClient, ids: dict[str, Any], task: int, name: str) -> None:
    url = f"/api/v1/projects/{ids['project']}/tasks/{task}"
    version = client.get(url, headers=ids["h"]["pm"]).json()["version"]
    r = client.patch(url, json={"version": version, "name": name}, headers=ids["h"]["pm"])
    assert r.status_code == 200, r.text


def test_if_none_match_parsing() -> None:
    tag = etag.tag_of(b"{}")
    assert etag.matches(tag, tag)
    assert etag.matches(f'"other", W/{tag}', tag)
    assert etag.matches("*", tag)
    assert not etag.matches(None, tag)
    assert not etag.matches('"other"', tag)
    assert etag.tag_of(b"{}") != etag.tag_of(b"[]")


def test_gantt_data_304_for_the_same_body_and_fresh_after_an_edit(
    world: tuple[TestClient, dict[str, Any]],
) -> None:
    client, ids = world
    url = f"/projects/{ids['project']}/gantt.json"
    login(client, "pm")
    first = client.get(url)
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert tag == etag.tag_of(first.content)
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200

    rename(client, ids, ids["a"], "Alpha renamed")
    fresh = client.get(url, headers={"If-None-Match": tag})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != tag
    assert "Alpha renamed" in {t["name"] for t in fresh.json()["tasks"]}
    assert client.get(url, headers={"If-None-Match": fresh.headers["etag"]}).status_code == 304


def test_gantt_tag_differs_where_what_the_user_may_do_differs(
    world: tuple[TestClient, dict[str, Any]],
) -> None:
    client, ids = world
    url = f"/projects/{ids['project']}/gantt.json"
    login(client, "pm")
    pm_body = client.get(url)
    login(client, "tl")
    tl_body = client.get(url, headers={"If-None-Match": pm_body.headers["etag"]})
    assert tl_body.status_code == 200  # the same plan, but tl may edit only WP-A's tasks
    editable = {t["id"]: t["editable"] for t in tl_body.json()["tasks"]}
    assert editable == {ids["a"]: True, ids["b"]: False}
    assert tl_body.headers["etag"] != pm_body.headers["etag"]
    login(client, "outsider")  # a tag proves nothing: the project stays invisible
    assert client.get(url, headers={"If-None-Match": pm_body.headers["etag"]}).status_code == 404


def test_task_list_304_for_the_same_body_and_fresh_after_an_edit(
    world: tuple[TestClient, dict[str, Any]],
) -> None:
    client, ids = world
    url = f"/api/v1/projects/{ids['project']}/tasks"
    first = client.get(url, headers=ids["h"]["tl"])
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert [t["name"] for t in first.json()] == ["Alpha", "Bravo"]
    assert client.get(url, headers={**ids["h"]["tl"], "If-None-Match": tag}).status_code == 304
    # another page or filter is another body
    filtered = client.get(
        url, params={"work_package_id": ids["wpa"]}, headers={**ids["h"]["tl"], "If-None-Match": tag}
    )
    assert filtered.status_code == 200
    assert [t["name"] for t in filtered.json()] == ["Alpha"]

    rename(client, ids, ids["b"], "Bravo renamed")
    fresh = client.get(url, headers={**ids["h"]["tl"], "If-None-Match": tag})
    assert fresh.status_code == 200
    assert [t["name"] for t in fresh.json()] == ["Alpha", "Bravo renamed"]
    assert fresh.headers["etag"] != tag
    assert client.get(url, headers={**ids["h"]["outsider"], "If-None-Match": tag}).status_code == 404


def test_grants_are_read_afresh_by_every_request(
    world: tuple[TestClient, dict[str, Any]], db: Database
) -> None:
    """A read-only request reads the caller's grants once; the next request sees a role change."""
    client, ids = world
    url = f"/api/v1/projects/{ids['project']}/tasks"
    assert client.get(url, headers=ids["h"]["outsider"]).status_code == 404
    with db.uow() as s:
        leader = next(r["id"] for r in roles.list_roles(s, SYSTEM, ids["project"]) if r["key"] == OBSERVER)
        roles.assign_role(s, SYSTEM, ids["project"], role_id=leader, user_id=ids["outsider"])
    assert client.get(url, headers=ids["h"]["outsider"]).status_code == 200
