"""A defect nobody will fix had to walk the whole workflow (triaged, in progress, resolved, verified, closed) to
stop counting as open. It now closes as "won't fix" from any open status with a required reason, journaled
as the change's cause and shown with it; the decision is the managers' (quality manager, the package's Task
Leader), not the owner's alone; a won't-fix defect may be reopened. API, web and CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import delete

from charter.domain import quality as Q
from charter.domain.errors import Conflict, PermissionDenied, ValidationError
from charter.persistence.models import Defect, JournalEntry
from charter.services import journal, quality
from webhelpers import csrf_of, signed_in


def test_the_workflow_allows_wont_fix_from_every_open_status_only() -> None:
    for status in Q.OPEN_DEFECT:
        Q.check_transition(status, Q.DefectStatus.WONT_FIX)
    for status in (Q.DefectStatus.VERIFIED, Q.DefectStatus.CLOSED):
        with pytest.raises(Conflict):
            Q.check_transition(status, Q.DefectStatus.WONT_FIX)
    Q.check_transition(Q.DefectStatus.WONT_FIX, Q.DefectStatus.IN_PROGRESS)  # reopened
    assert not Q.defect_open("wont_fix") and Q.DefectStatus.WONT_FIX in Q.DONE


def _defect(seed: Any, **kw: Any) -> dict[str, Any]:
    with seed.db.uow() as s:
        return quality.create_defect(s, seed.actor("pm"), seed.p1, title="Tooltip flickers", severity="minor",
                                     found_in="test", task_id=seed.tasks["a"], **kw)  # fmt: skip


def test_wont_fix_needs_a_reason_is_journaled_and_stops_counting_as_open(
    seed: Any, frozen_clock: Any
) -> None:
    pm, tl = seed.actor("pm"), seed.actor("task_leader")
    d = _defect(seed)
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        quality.update_defect(s, pm, seed.p1, d["id"], d["version"], status="wont_fix", reason="  ")
    assert e.value.field == "reason"
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        quality.update_defect(s, pm, seed.p1, d["id"], d["version"], status="triaged", reason="no")
    assert e.value.field == "reason"
    with seed.db.uow() as s:  # straight from new, by the package's Task Leader
        out = quality.update_defect(s, tl, seed.p1, d["id"], d["version"], status="wont_fix",
                                    reason="Cosmetic; the widget is replaced next release")  # fmt: skip
    assert out["status"] == "wont_fix" and out["open"] is False and out["closed_at"] is not None
    assert out["wont_fix_reason"] == "Cosmetic; the widget is replaced next release"
    with seed.db.uow(readonly=True) as s:
        listed = quality.list_defects(s, pm, seed.p1)
        entry = journal.entries(s, entity_type="defect", entity_id=str(d["id"]))[0]
        assert quality.list_defects(s, pm, seed.p1, status="open") == []
    assert listed[0]["wont_fix_reason"] == "Cosmetic; the widget is replaced next release"
    assert entry["cause"] == "won't fix: Cosmetic; the widget is replaced next release"
    assert entry["changes"]["status"] == ["new", "wont_fix"]
    assert entry["changes"]["resolution"] == [None, "Cosmetic; the widget is replaced next release"]
    with seed.db.uow() as s:  # reopened: to be fixed after all
        again = quality.update_defect(s, pm, seed.p1, d["id"], out["version"], status="in_progress")
    assert again["open"] and again["closed_at"] is None and again["wont_fix_reason"] is None
    with seed.db.uow(readonly=True) as s:
        assert s.get(Defect, d["id"]).resolution is None  # type: ignore[union-attr]
        entry = journal.entries(s, entity_type="defect", entity_id=str(d["id"]))[0]
    assert entry["changes"]["resolution"] == ["Cosmetic; the widget is replaced next release", None]


def test_the_reason_is_the_defects_own_not_read_back_from_the_journal(seed: Any) -> None:
    """The reason is kept on the defect (`resolution`): it is there, and listed, with the journal's entries
    gone; closed as won't fix again after a reopen, the new reason replaces the old one."""
    pm = seed.actor("pm")
    d = _defect(seed)
    with seed.db.uow() as s:
        d = quality.update_defect(
            s, pm, seed.p1, d["id"], d["version"], status="wont_fix", reason="Duplicate"
        )
    with seed.db.uow() as s:
        assert s.get(Defect, d["id"]).resolution == "Duplicate"  # type: ignore[union-attr]
        s.execute(delete(JournalEntry).where(JournalEntry.entity_type == "defect"))
    with seed.db.uow(readonly=True) as s:
        assert quality.list_defects(s, pm, seed.p1)[0]["wont_fix_reason"] == "Duplicate"
    with seed.db.uow() as s:
        d = quality.update_defect(s, pm, seed.p1, d["id"], d["version"], priority=1)
    assert d["wont_fix_reason"] == "Duplicate"  # another change keeps it
    with seed.db.uow() as s:
        d = quality.update_defect(s, pm, seed.p1, d["id"], d["version"], status="in_progress")
    with seed.db.uow() as s:
        d = quality.update_defect(
            s, pm, seed.p1, d["id"], d["version"], status="wont_fix", reason="Not worth it"
        )
    with seed.db.uow(readonly=True) as s:
        assert [r["wont_fix_reason"] for r in quality.list_defects(s, pm, seed.p1)] == ["Not worth it"]
        assert s.get(Defect, d["id"]).resolution == "Not worth it"  # type: ignore[union-attr]


def test_the_owner_alone_does_not_decide_wont_fix(seed: Any) -> None:
    d = _defect(seed, owner_id=seed.users["worker"])
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        quality.update_defect(s, seed.actor("worker"), seed.p1, d["id"], d["version"], status="wont_fix",
                              reason="not mine")  # fmt: skip
    with seed.db.uow() as s:  # their ordinary moves stay theirs
        assert quality.update_defect(s, seed.actor("worker"), seed.p1, d["id"], d["version"],
                                     status="triaged")["status"] == "triaged"  # fmt: skip


def test_api_web_and_cli(seed: Any, api: Any, as_: Any, cli: Any) -> None:
    base = f"/projects/{seed.p1}/defects"
    d = _defect(seed)
    r = api.patch(
        f"{base}/{d['id']}", headers=as_("pm"), json={"version": d["version"], "status": "wont_fix"}
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "reason"
    r = api.patch(f"{base}/{d['id']}", headers=as_("pm"),
                  json={"version": d["version"], "status": "wont_fix", "reason": "Duplicate of #1"})  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "wont_fix"
    assert r.json()["wont_fix_reason"] == "Duplicate of #1"

    d = _defect(seed)
    with signed_in(seed, "pm") as client:
        page = client.get(f"/projects/{seed.p1}/quality")
        token = csrf_of(page.text)
        assert f'id="defect-wont-fix-{d["id"]}"' in page.text
        url = f"/projects/{seed.p1}/quality/defect-wont-fix"
        form = {"csrf_token": token, "defect_id": str(d["id"]), "version": str(d["version"]), "reason": ""}
        bad = client.post(url, data=form)
        assert bad.status_code == 422 and f'id="defect-wont-fix-{d["id"]}-error"' in bad.text
        assert "needs a reason" in bad.text
        ok = client.post(url, data={**form, "reason": "Works as designed"})
        assert ok.status_code == 303, ok.text
        page = client.get(f"/projects/{seed.p1}/quality").text
    assert "Won't fix: Works as designed" in page and f'id="defect-wont-fix-{d["id"]}"' not in page

    d = _defect(seed)
    out = cli(
        "quality", "defect-edit", "P1", str(d["id"]), "--status", "wont_fix", "--reason", "Out of scope"
    )
    assert "wont_fix" in out.stdout and "Won't fix: Out of scope" in out.stdout
    d = _defect(seed)
    bad = cli("quality", "defect-edit", "P1", str(d["id"]), "--status", "wont_fix", code=1)
    assert "needs a reason" in bad.output
    rows = json.loads(cli("quality", "defects", "P1", "--json").stdout)
    assert [x["id"] for x in rows] == [d["id"]]  # only the open one
