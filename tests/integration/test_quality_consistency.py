"""Quality figures agree everywhere: a defect is open until it is verified or closed (a resolved one still awaits
verification) on the quality page, at the phase gate and in the status report; the report counts only the
metrics that apply now (the current phase's and the phase-less ones); a signed-off review takes no findings."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from charter.app import create_app
from charter.domain import quality as Q
from charter.domain.errors import Conflict
from charter.persistence.models import JournalEntry, Project, ReviewFinding
from charter.services import quality, reports
from webhelpers import login_seeded


def login(seed: Any, client: TestClient, username: str) -> str:
    return login_seeded(seed, client, username)


def _defect(seed: Any, title: str, severity: str, *path: str) -> int:
    """A defect reported by the worker and moved by the PM through `path`."""
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        d = quality.create_defect(
            s, seed.actor("worker"), seed.p1, title=title, severity=severity, found_in="test"
        )
    for status in path:
        with seed.db.uow() as s:
            cur = next(x for x in quality.list_defects(s, pm, seed.p1) if x["id"] == d["id"])
            quality.update_defect(s, pm, seed.p1, d["id"], cur["version"], status=status)
    return int(d["id"])


def _report_quality(seed: Any) -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        p = s.get(Project, seed.p1)
        assert p is not None
        live = reports.live_status(s, p)
    return next(a for a in live["areas"] if a["area"] == "quality")


def test_one_definition_of_an_open_defect() -> None:
    assert Q.defect_open("resolved") and Q.defect_open("new") and Q.defect_open("in_progress")
    assert not Q.defect_open("verified") and not Q.defect_open("closed")
    assert set(Q.OPEN_DEFECT_VALUES) == {"new", "triaged", "in_progress", "resolved"}


def test_quality_page_gate_and_report_count_the_same_open_defects(seed: Any) -> None:
    to_resolved = ("triaged", "in_progress", "resolved")
    _defect(seed, "Data loss on save", "critical", *to_resolved)  # resolved, not verified: still open
    _defect(seed, "Wrong totals", "major", *to_resolved)  # resolved: open
    _defect(seed, "Typo in footer", "minor", *to_resolved, "verified")  # verified: done
    _defect(seed, "Old crash", "critical", *to_resolved, "verified", "closed")  # closed: done
    _defect(seed, "Slow search", "minor")  # new: open

    pm = seed.actor("pm")
    with seed.db.uow(readonly=True) as s:
        listed = quality.list_defects(s, pm, seed.p1, status="open")
        gate = quality.gate(s, pm, seed.p1)
    assert sorted(d["title"] for d in listed) == ["Data loss on save", "Slow search", "Wrong totals"]
    critical = next(c for c in gate["failed"] if c["criterion"] == "open_critical_defects")
    assert [i.split(" ", 1)[1] for i in critical["items"]] == ["Data loss on save"]

    q = _report_quality(seed)
    assert q["figures"]["open_defects"] == 3
    assert q["figures"]["open_critical"] == 1 and q["figures"]["open_major"] == 1
    assert q["rag"] == "red" and "1 open critical defect" in q["rule"]

    with TestClient(create_app(seed.db)) as client:
        login(seed, client, "pm")
        html = client.get(f"/projects/{seed.p1}/quality").text
    m = re.search(r'<p id="defects-open">(\d+) open', html)
    assert m and int(m.group(1)) == 3


def test_report_counts_only_the_metrics_that_apply_in_the_current_phase(seed: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow(readonly=True) as s:
        current = s.get(Project, seed.p1).phase  # type: ignore[union-attr]
    later = Q.next_phase(Q.Phase(current)).value
    with seed.db.uow() as s:
        now_m = quality.create_metric(s, pm, seed.p1, name="Review coverage", direction="at_least", target=80,
                                      phase=current)  # fmt: skip
        always = quality.create_metric(s, pm, seed.p1, name="Escaped defects", direction="at_most", target=2)
        go_live = quality.create_metric(s, pm, seed.p1, name="Test pass rate", direction="at_least", target=95,
                                        phase=later)  # fmt: skip
    with seed.db.uow() as s:
        quality.record_measurement(s, pm, seed.p1, now_m["id"], value=90)  # on target
        quality.record_measurement(s, pm, seed.p1, always["id"], value=1)  # on target
        quality.record_measurement(s, pm, seed.p1, go_live["id"], value=40)  # a later phase's: not yet
    q = _report_quality(seed)
    assert q["figures"]["metrics"] == 2 and q["figures"]["metrics_measured"] == 2
    assert q["figures"]["metrics_off_target"] == 0
    assert q["rag"] == "green", q["rule"]
    with seed.db.uow(readonly=True) as s:  # the gate of this phase agrees
        gate = quality.gate(s, pm, seed.p1)
    assert not any(c["criterion"] == "metrics_below_target" for c in gate["failed"])

    with seed.db.uow() as s:  # a phase-less metric off target does count
        quality.record_measurement(s, pm, seed.p1, always["id"], value=5)
    q = _report_quality(seed)
    assert q["figures"]["metrics_off_target"] == 1 and q["rag"] == "red", q["rule"]
    with seed.db.uow(readonly=True) as s:
        gate = quality.gate(s, pm, seed.p1)
    failing = next(c for c in gate["failed"] if c["criterion"] == "metrics_below_target")
    assert [i.split(":")[0] for i in failing["items"]] == ["Escaped defects"]


def test_a_signed_off_review_takes_no_findings(seed: Any, api: Any, as_: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        r = quality.create_review(
            s, pm, seed.p1, title="Design review", reviewer_ids=[seed.users["task_leader"]]
        )
    with seed.db.uow() as s:
        quality.add_finding(s, seed.actor("task_leader"), seed.p1, r["id"], text="Section 3 unclear")
        quality.sign_off(s, seed.actor("task_leader"), seed.p1, r["id"])
    with seed.db.uow(readonly=True) as s:
        journaled = s.scalar(select(func.count()).select_from(JournalEntry))
    with seed.db.uow() as s, pytest.raises(Conflict) as refused:
        quality.add_finding(s, pm, seed.p1, r["id"], text="Late remark", raise_defect=True)
    assert refused.value.field == "status" and "signed off" in refused.value.message
    res = api.post(f"/projects/{seed.p1}/reviews/{r['id']}/findings", json={"text": "Late remark"},
                   headers=as_("task_leader"))  # fmt: skip
    assert res.status_code == 409 and "signed off" in res.json()["error"]["message"]
    with seed.db.uow(readonly=True) as s:  # nothing half-written: no finding, no defect, no journal entry
        assert s.scalar(select(func.count()).select_from(ReviewFinding)) == 1
        assert quality.list_defects(s, pm, seed.p1) == []
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == journaled


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"title": "   "}, "title"), ({"priority": 9}, "priority"), ({"priority": 0}, "priority")],
)
def test_editing_a_defect_is_validated_as_reporting_one(
    seed: Any, changes: dict[str, Any], field: str
) -> None:
    """A defect's title could be blanked and its priority set to 9 by an edit (the web form and the CLI go
    through the service; the API's schema alone refused the priority), though reporting one refuses both."""
    from charter.domain.errors import ValidationError

    d = _defect(seed, "Login fails", "major")
    with seed.db.uow() as s:
        cur = next(x for x in quality.list_defects(s, seed.actor("pm"), seed.p1) if x["id"] == d)
        with pytest.raises(ValidationError) as e:
            quality.update_defect(s, seed.actor("pm"), seed.p1, d, cur["version"], **changes)
    assert e.value.field == field
    with seed.db.uow(readonly=True) as s:
        after = next(x for x in quality.list_defects(s, seed.actor("pm"), seed.p1) if x["id"] == d)
    assert after["title"] == "Login fails" and after["priority"] == 3


def test_a_measurement_dated_in_the_future_is_refused(seed: Any, frozen_clock: Any) -> None:
    """A measurement typed with next year's date became the metric's latest value at the phase gate (which
    read it as met) while the status report, which reads what was measured up to its period, still found the
    metric off target: the two disagreed until that date came."""
    from datetime import UTC, datetime, timedelta

    from charter.domain.errors import ValidationError

    frozen_clock.set(datetime(2030, 1, 14, 9, 0, tzinfo=UTC))
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        m = quality.create_metric(s, pm, seed.p1, name="Coverage", direction="at_least", target=80.0)
        quality.record_measurement(s, pm, seed.p1, m["id"], value=60.0)
    with seed.db.uow() as s, pytest.raises(ValidationError) as e:
        quality.record_measurement(s, pm, seed.p1, m["id"], value=95.0,
                                   measured_at=datetime(2031, 1, 14, 9, 0, tzinfo=UTC))  # fmt: skip
    assert e.value.field == "measured_at"
    with seed.db.uow() as s:  # a moment ago is fine
        quality.record_measurement(s, pm, seed.p1, m["id"], value=70.0,
                                   measured_at=datetime(2030, 1, 14, 9, 0, tzinfo=UTC) - timedelta(hours=1))  # fmt: skip
