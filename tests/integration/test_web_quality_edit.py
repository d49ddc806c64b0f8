"""The quality page's edit and remove forms for metrics, deliverables, checklist templates and reviews over
HTTP: changes saved, refusals (accepted deliverable, stale version) shown next to the form with what the user
typed, removal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from charter.app import create_app
from charter.persistence.models import User
from charter.services import accounts, quality
from webhelpers import PW, login

World = Any


@pytest.fixture
def web(seed: World) -> Iterator[tuple[TestClient, World]]:
    with seed.db.uow() as s:
        s.execute(update(User).values(password_hash=accounts.hash_password(PW)))
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        yield client, seed


def test_metric_and_deliverable_edit_forms(web: tuple[TestClient, World]) -> None:
    client, w = web
    with w.db.uow() as s:
        m = quality.create_metric(s, w.actor("pm"), w.p1, name="Pass rate", direction="at_least", target=95)
        d = quality.create_deliverable(s, w.actor("pm"), w.p1, work_package_id=w.wp_a, name="Spec",
                                       acceptor_id=w.users["stakeholder"])  # fmt: skip
    token = login(client, "pm")
    base = f"/projects/{w.p1}/quality"
    page = client.get(base).text
    assert f'id="metric-edit-{m["id"]}"' in page and f'id="deliverable-edit-{d["id"]}"' in page
    assert " style=" not in page
    form = {"csrf_token": token, "metric_id": str(m["id"]), "version": str(m["version"]), "name": "Test pass rate",
            "direction": "at_least", "target": "90", "unit": "%", "phase": "", "responsible_role_id": ""}  # fmt: skip
    assert client.post(base + "/metric-edit", data=form).status_code == 303
    r = client.post(base + "/metric-edit", data={**form, "name": "Typed after a stale read"})
    assert r.status_code == 409 and "changed by someone else" in r.text
    assert 'value="Typed after a stale read"' in r.text  # kept; the form now carries the current version
    assert f'name="version" value="{m["version"] + 1}"' in r.text
    r = client.post(base + "/metric-edit", data={**form, "version": str(m["version"] + 1), "target": "lots"})
    assert r.status_code == 422 and 'value="lots"' in r.text  # what the user typed is kept
    with w.db.uow(readonly=True) as s:
        assert quality.plan(s, w.actor("pm"), w.p1)["metrics"][0]["target"] == 90
    dform = {"csrf_token": token, "deliverable_id": str(d["id"]), "version": str(d["version"]), "name": "Spec",
             "work_package_id": str(w.wp_a), "acceptor_id": str(w.users["sponsor"]),
             "acceptance_criteria": "Signed", "description": "", "phase": d["phase"]}  # fmt: skip
    assert client.post(base + "/deliverable-edit", data=dform).status_code == 303
    with w.db.uow() as s:
        d = quality.list_deliverables(s, w.actor("pm"), w.p1)[0]
        assert (d["acceptor_id"], d["acceptance_criteria"]) == (w.users["sponsor"], "Signed")
        quality.accept_deliverable(s, w.actor("sponsor"), w.p1, d["id"])
    assert f'id="deliverable-edit-{d["id"]}"' not in client.get(base).text  # accepted: no edit form
    r = client.post(base + "/deliverable-delete", data={"csrf_token": token, "deliverable_id": str(d["id"]),
                                                        "version": str(d["version"] + 1)})  # fmt: skip
    assert r.status_code == 409 and "accepted deliverable is kept" in r.text
    r = client.post(base + "/metric-delete", data={"csrf_token": token, "metric_id": str(m["id"]),
                                                   "version": str(m["version"] + 1)})  # fmt: skip
    assert r.status_code == 303
    with w.db.uow(readonly=True) as s:
        assert quality.plan(s, w.actor("pm"), w.p1)["metrics"] == []


def test_review_and_template_edit_forms(web: tuple[TestClient, World]) -> None:
    client, w = web
    with w.db.uow() as s:
        t = quality.create_template(s, w.actor("pm"), name="Design", items=["Complete"])
        rv = quality.create_review(s, w.actor("pm"), w.p1, title="Design review", reviewer_ids=[w.users["worker"]],
                                   template_id=t["id"])  # fmt: skip
    token = login(client, "pm")
    base = f"/projects/{w.p1}/quality"
    page = client.get(base).text
    assert f'id="review-edit-{rv["id"]}"' in page and f'id="template-edit-{t["id"]}"' in page
    form = {"csrf_token": token, "review_id": str(rv["id"]), "version": str(rv["version"]), "title": "Design review",
            f"reviewer_{w.users['worker']}": "on", f"reviewer_{w.users['task_leader']}": "on",
            "items": "Complete\nConsistent"}  # fmt: skip
    assert client.post(base + "/review-edit", data=form).status_code == 303
    with w.db.uow(readonly=True) as s:
        now = quality.list_reviews(s, w.actor("pm"), w.p1)[0]
    assert [x["item"] for x in now["checklist"]] == ["Complete", "Consistent"] and len(now["reviewers"]) == 2
    r = client.post(base + "/template-delete", data={"csrf_token": token, "template_id": str(t["id"]),
                                                     "version": str(t["version"])})  # fmt: skip
    assert r.status_code == 409 and "used by 1 review" in r.text
    r = client.post(base + "/template-edit", data={"csrf_token": token, "template_id": str(t["id"]),
                                                   "version": str(t["version"]), "name": "Design", "items": " "})  # fmt: skip
    assert r.status_code == 422 and "at least one item" in r.text
    r = client.post(base + "/review-delete", data={"csrf_token": token, "review_id": str(rv["id"]),
                                                   "version": str(now["version"])})  # fmt: skip
    assert r.status_code == 303
    r = client.post(base + "/template-delete", data={"csrf_token": token, "template_id": str(t["id"]),
                                                     "version": str(t["version"])})  # fmt: skip
    assert r.status_code == 303
    with w.db.uow(readonly=True) as s:
        assert (
            quality.list_reviews(s, w.actor("pm"), w.p1) == []
            and quality.list_templates(s, w.actor("pm")) == []
        )
