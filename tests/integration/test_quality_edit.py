"""Editing and removing quality records through the API: metrics, deliverables (not once accepted),
checklist templates (not while a review uses one), reviews (not once signed off). Every change is
version-checked (stale -> 409 with the current state), journaled, and PATCH bodies refuse nulls and unknown
fields."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from charter.config import get_settings
from charter.persistence.models import JournalEntry


def _journal(seed: Any, kind: str, entity_id: int) -> list[str]:
    with seed.db.uow(readonly=True) as s:
        q = select(JournalEntry.action).where(JournalEntry.entity_type == kind,
                                              JournalEntry.entity_id == str(entity_id))  # fmt: skip
        return list(s.scalars(q.order_by(JournalEntry.id)))


def test_metric_update_and_delete(api: Any, seed: Any, as_: Any) -> None:
    base = f"/projects/{seed.p1}/quality-metrics"
    m = api.post(
        base, json={"name": "Pass rate", "direction": "at_least", "target": 95}, headers=as_("pm")
    ).json()
    api.post(f"{base}/{m['id']}/measurements", json={"value": 92}, headers=as_("pm"))
    r = api.patch(f"{base}/{m['id']}", json={"version": m["version"], "target": 90, "name": "Test pass rate",
                                             "unit": "%"}, headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["name"], out["target"], out["unit"], out["met"]) == ("Test pass rate", 90, "%", True)
    assert out["version"] == m["version"] + 1 and len(out["measurements"]) == 1
    stale = api.patch(f"{base}/{m['id']}", json={"version": m["version"], "target": 80}, headers=as_("pm"))
    assert stale.status_code == 409 and stale.json()["error"]["current"]["target"] == 90
    for bad in ({"version": out["version"], "name": None}, {"version": out["version"], "project_id": 2},
                {"version": out["version"], "direction": "sideways"}):  # fmt: skip
        assert api.patch(f"{base}/{m['id']}", json=bad, headers=as_("pm")).status_code == 422, bad
    assert api.patch(f"{base}/{m['id']}", json={"version": out["version"], "target": 1},
                     headers=as_("worker")).status_code == 403  # fmt: skip
    assert (
        api.delete(f"{base}/{m['id']}", params={"version": m["version"]}, headers=as_("pm")).status_code
        == 409
    )
    assert (
        api.delete(f"{base}/{m['id']}", params={"version": out["version"]}, headers=as_("pm")).status_code
        == 204
    )
    plan = api.get(f"/projects/{seed.p1}/quality-plan", headers=as_("pm")).json()
    assert plan["metrics"] == []
    assert _journal(seed, "quality_metric", m["id"]) == ["create", "update", "delete"]


def test_deliverable_update_and_delete_until_accepted(api: Any, seed: Any, as_: Any) -> None:
    base = f"/projects/{seed.p1}/deliverables"
    d = api.post(base, json={"work_package_id": seed.wp_a, "name": "Spec", "acceptor_id": seed.users["stakeholder"]},
                 headers=as_("task_leader")).json()  # fmt: skip
    r = api.patch(f"{base}/{d['id']}", json={"version": d["version"], "acceptance_criteria": "Signed",
                                             "acceptor_id": seed.users["sponsor"], "description": "The spec"},
                  headers=as_("task_leader"))  # fmt: skip
    assert r.status_code == 200, r.text
    d = r.json()
    assert (d["acceptance_criteria"], d["acceptor_id"]) == ("Signed", seed.users["sponsor"])
    # moving it into another Task Leader's package is refused for this one
    r = api.patch(f"{base}/{d['id']}", json={"version": d["version"], "work_package_id": seed.wp_b},
                  headers=as_("task_leader"))  # fmt: skip
    assert r.status_code == 403
    assert api.patch(f"{base}/{d['id']}", json={"version": d["version"], "acceptor_id": seed.users["outsider"]},
                     headers=as_("pm")).json()["error"]["field"] == "acceptor_id"  # fmt: skip
    # the new acceptor decides; an accepted deliverable is neither changed nor removed
    assert api.post(f"{base}/{d['id']}/accept", json={}, headers=as_("sponsor")).status_code == 200
    d = api.get(base, headers=as_("pm")).json()[0]
    r = api.patch(f"{base}/{d['id']}", json={"version": d["version"], "name": "Spec v2"}, headers=as_("pm"))
    assert r.status_code == 409 and "accepted" in r.json()["error"]["message"]
    r = api.delete(f"{base}/{d['id']}", params={"version": d["version"]}, headers=as_("pm"))
    assert r.status_code == 409 and "accepted" in r.json()["error"]["message"]
    # a pending one referred to by a defect is kept, naming it; once unlinked it goes
    e = api.post(base, json={"work_package_id": seed.wp_a, "name": "Guide", "acceptor_id": seed.users["sponsor"]},
                 headers=as_("pm")).json()  # fmt: skip
    defect = api.post(f"/projects/{seed.p1}/defects", json={"title": "Typo", "severity": "minor", "found_in": "test",
                                                            "deliverable_id": e["id"]}, headers=as_("pm")).json()  # fmt: skip
    r = api.delete(f"{base}/{e['id']}", params={"version": e["version"]}, headers=as_("pm"))
    assert r.status_code == 409 and f"defect #{defect['id']}" in r.json()["error"]["message"]
    api.patch(f"/projects/{seed.p1}/defects/{defect['id']}", json={"version": defect["version"],
                                                                   "deliverable_id": None}, headers=as_("pm"))  # fmt: skip
    assert (
        api.delete(f"{base}/{e['id']}", params={"version": e["version"]}, headers=as_("pm")).status_code
        == 204
    )
    assert [x["id"] for x in api.get(base, headers=as_("pm")).json()] == [d["id"]]
    assert _journal(seed, "deliverable", e["id"]) == ["create", "delete"]


def test_template_update_and_delete(api: Any, seed: Any, as_: Any) -> None:
    t = api.post("/checklist-templates", json={"name": "Code review", "items": ["Tests pass"]},
                 headers=as_("pm")).json()  # fmt: skip
    url = f"/checklist-templates/{t['id']}"
    r = api.patch(url, json={"version": t["version"], "items": ["Tests pass", "Docs updated", " "]},
                  headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200 and r.json()["items"] == ["Tests pass", "Docs updated"]
    t = r.json()
    assert api.patch(url, json={"version": t["version"], "items": []}, headers=as_("pm")).status_code == 422
    assert (
        api.patch(url, json={"version": t["version"], "name": "X"}, headers=as_("worker")).status_code == 403
    )
    review = api.post(f"/projects/{seed.p1}/reviews", json={"title": "Sprint 1", "reviewer_ids": [seed.users["worker"]],
                                                            "template_id": t["id"]}, headers=as_("pm")).json()  # fmt: skip
    assert [x["item"] for x in review["checklist"]] == ["Tests pass", "Docs updated"]
    r = api.delete(url, params={"version": t["version"]}, headers=as_("pm"))
    assert r.status_code == 409 and "used by 1 review" in r.json()["error"]["message"]
    api.delete(
        f"/projects/{seed.p1}/reviews/{review['id']}",
        params={"version": review["version"]},
        headers=as_("pm"),
    )
    assert api.delete(url, params={"version": t["version"]}, headers=as_("pm")).status_code == 204
    assert api.get("/checklist-templates", headers=as_("pm")).json() == []


def test_review_update_before_sign_off(api: Any, seed: Any, as_: Any) -> None:
    base = f"/projects/{seed.p1}/reviews"
    w, tl = seed.users["worker"], seed.users["task_leader"]
    rv = api.post(
        base, json={"title": "Design", "reviewer_ids": [w], "items": ["Complete"]}, headers=as_("pm")
    ).json()
    r = api.patch(f"{base}/{rv['id']}", json={"version": rv["version"], "reviewer_ids": [w, tl],
                                              "items": ["Complete", "Consistent"]}, headers=as_("pm"))  # fmt: skip
    assert r.status_code == 200, r.text
    rv = r.json()
    assert [x["user_id"] for x in rv["reviewers"]] == sorted([w, tl]) and len(rv["checklist"]) == 2
    assert api.patch(f"{base}/{rv['id']}", json={"version": rv["version"], "reviewer_ids": [seed.users["outsider"]]},
                     headers=as_("pm")).status_code == 422  # fmt: skip
    api.post(f"{base}/{rv['id']}/sign-off", json={}, headers=as_("worker"))
    rv = api.get(base, headers=as_("pm")).json()[0]
    r = api.patch(
        f"{base}/{rv['id']}", json={"version": rv["version"], "items": ["Other"]}, headers=as_("pm")
    )
    assert r.status_code == 409 and r.json()["error"]["field"] == "items"
    # dropping the reviewer who has not signed: everyone left has signed, so the review is signed off
    r = api.patch(
        f"{base}/{rv['id']}", json={"version": rv["version"], "reviewer_ids": [w]}, headers=as_("pm")
    )
    assert r.status_code == 200 and r.json()["status"] == "signed_off"
    rv = r.json()
    r = api.patch(f"{base}/{rv['id']}", json={"version": rv["version"], "title": "Late"}, headers=as_("pm"))
    assert r.status_code == 409 and "signed off" in r.json()["error"]["message"]
    r = api.delete(f"{base}/{rv['id']}", params={"version": rv["version"]}, headers=as_("pm"))
    assert r.status_code == 409 and "signed off" in r.json()["error"]["message"]
    assert _journal(seed, "review", rv["id"]) == ["create", "update", "sign_off", "update"]


def test_cli_edits_and_removes(seed: Any, monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from charter.cli.main import app
    from charter.services import quality

    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.url)
    get_settings.cache_clear()  # settings read before this test set the URL
    with seed.db.uow() as s:
        pm = seed.actor("pm")
        m = quality.create_metric(s, pm, seed.p1, name="Pass rate", direction="at_least", target=95)
        d = quality.create_deliverable(s, pm, seed.p1, work_package_id=seed.wp_a, name="Spec",
                                       acceptor_id=seed.users["stakeholder"])  # fmt: skip
    cli = CliRunner()
    out = cli.invoke(
        app, ["--as", "pm", "quality", "metric-edit", "P1", str(m["id"]), "--target", "90", "--json"]
    )
    assert out.exit_code == 0, out.output
    out = cli.invoke(app, ["--as", "pm", "quality", "metric-edit", "P1", str(m["id"]), "--unit", "%",
                           "--version", str(m["version"])])  # fmt: skip
    assert out.exit_code != 0 and "changed by someone else" in out.output
    out = cli.invoke(app, ["--as", "task-leader", "quality", "deliverable-edit", "P1", str(d["id"]),
                           "--criteria", "Signed by the sponsor"])  # fmt: skip
    assert out.exit_code == 0 and "saved" in out.output, out.output
    out = cli.invoke(app, ["--as", "worker", "quality", "deliverable-remove", "P1", str(d["id"])])
    assert out.exit_code != 0
    out = cli.invoke(app, ["--as", "pm", "quality", "deliverable-remove", "P1", str(d["id"])])
    assert out.exit_code == 0, out.output
    with seed.db.uow(readonly=True) as s:
        assert quality.plan(s, pm, seed.p1)["metrics"][0]["target"] == 90
        assert quality.list_deliverables(s, pm, seed.p1) == []
