"""Threads about an object ("discussions"): a thread about a task, work package, risk or change request must be
about an object of its own project; the object's page lists the threads about it that the viewer may see and
starts one; the thread names and links what it is about; the API and the CLI filter by it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from charter.app import create_app
from charter.domain.errors import NotFound
from charter.persistence.models import CommItem, User
from charter.services import accounts, change, comms, risk
from webhelpers import PW

World = Any


def _count(w: World) -> int:
    with w.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(CommItem)) or 0)


def _send(w: World, who: str, **kw: Any) -> dict[str, Any]:
    kw.setdefault("to", "pm")
    kw.setdefault("subject", "Question")
    kw.setdefault("body", "When does it start?")
    with w.db.uow() as s:
        return comms.send(s, w.actor(who), w.p1, **kw)


@pytest.fixture
def web(seed: World) -> Iterator[tuple[TestClient, World]]:
    w = seed
    with w.db.uow() as s:
        s.execute(update(User).values(password_hash=accounts.hash_password(PW)))
        s.execute(update(User).where(User.id == w.users["stakeholder"]).values(department_id=w.sales))
    with TestClient(create_app(w.db), follow_redirects=False) as client:
        yield client, w


# --------------------------------------------------------------------------------------------- service / API


def test_api_refuses_a_thread_about_another_projects_task(seed: World, api: Any) -> None:
    w = seed
    before = _count(w)
    body = {"to": "pm", "subject": "Hi", "body": "About that task", "entity_type": "task",
            "entity_id": w.tasks["p2"]}  # fmt: skip
    r = api.post(f"/projects/{w.p1}/messages", json=body, headers=w.headers("worker"))
    assert r.status_code == 404, r.text
    assert r.json()["error"]["field"] == "entity_id", r.text
    assert _count(w) == before
    r = api.post(f"/projects/{w.p1}/messages", json={**body, "entity_id": 999999},
                 headers=w.headers("worker"))  # fmt: skip
    assert r.status_code == 404 and _count(w) == before
    r = api.post(f"/projects/{w.p1}/messages", json={**body, "entity_type": "work_package",
                 "entity_id": w.wp_p2}, headers=w.headers("worker"))  # fmt: skip
    assert r.status_code == 404 and _count(w) == before
    r = api.post(f"/projects/{w.p1}/messages/with-attachments",
                 data={k: str(v) for k, v in body.items()}, files=[("files", ("a.txt", b"hello", "text/plain"))],
                 headers=w.headers("worker"))  # fmt: skip
    assert r.status_code == 404 and _count(w) == before

    r = api.post(f"/projects/{w.p1}/messages", json={**body, "entity_id": w.tasks["a"]},
                 headers=w.headers("worker"))  # fmt: skip
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["entity_type"] == "task" and out["entity_id"] == w.tasks["a"]
    assert out["about"]["name"].endswith("Task A") and out["about"]["word"] == "task"
    listed = api.get(f"/projects/{w.p1}/messages", params={"entity_type": "task", "entity_id": w.tasks["a"]},
                     headers=w.headers("pm")).json()  # fmt: skip
    assert [i["id"] for i in listed] == [out["id"]]
    other = api.get(f"/projects/{w.p1}/messages", params={"entity_type": "task", "entity_id": w.tasks["b"]},
                    headers=w.headers("pm")).json()  # fmt: skip
    assert other == []
    assert api.get(f"/projects/{w.p1}/messages", params={"entity_type": "nonsense"},
                   headers=w.headers("pm")).status_code == 422  # fmt: skip


def test_service_checks_every_kind_of_object(seed: World) -> None:
    w = seed
    with w.db.uow() as s:
        r = risk.create_risk(s, w.actor("pm"), w.p1, title="Supplier late")
        cr = change.create_change_request(s, w.actor("pm"), w.p1, title="More licences", description="d",
                                          reason="r", areas=["scope"])  # fmt: skip
    for etype, eid in (("risk", r["id"]), ("change_request", cr["id"]), ("work_package", w.wp_a)):
        item = _send(w, "worker", entity_type=etype, entity_id=eid)
        assert item["entity_type"] == etype and item["about"]["name"]
    for etype in ("risk", "change_request", "meeting", "concern", "purchase_order"):
        with pytest.raises(NotFound) as e:
            _send(w, "worker", entity_type=etype, entity_id=987654)
        assert e.value.field == "entity_id"
