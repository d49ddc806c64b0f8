"""A file saved by Microsoft Project imports with the dates Microsoft Project computed.

The fixture (tests/fixtures/mspdi/, see its README) was saved by MS Project 2019: eight pairs of one-day tasks
on the Standard calendar (Mon-Fri 08-12, 13-17), each pair joined by one link: FS with no lag, FS +1d, FS +2d,
FS +1w, FS +2w, SF +2d, SS +2d and FF +2d. Charter recomputes the plan and every task's start and finish must
equal the Start and Finish MS Project stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from charter.io.mspdi import read_mspdi

FIXTURE = Path(__file__).parent.parent / "fixtures" / "mspdi" / "task-links-project2019-mspdi.xml"


def test_the_fixture_is_read_as_ms_project_saved_it() -> None:
    plan = read_mspdi(FIXTURE.read_bytes())
    assert len(plan.tasks) == 16 and all(t.duration == 480 and t.start and t.finish for t in plan.tasks)
    kinds = {(lk.type.value, lk.lag) for lk in plan.links}
    assert kinds == {("FS", 0), ("FS", 480), ("FS", 960), ("FS", 2400), ("FS", 4800), ("SF", 960),
                     ("SS", 960), ("FF", 960)}  # fmt: skip


def test_dates_match_what_ms_project_computed(api: Any, as_: Any) -> None:
    h = as_("admin")
    r = api.post(
        "/imports",
        files={"file": (FIXTURE.name, FIXTURE.read_bytes(), "application/xml")},
        data={"key": "MSP19"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    res = r.json()
    assert res["tasks"] == 16 and res["links"] == 8
    assert res["dates_compared"] == 16
    assert res["dates_matching"] == 16, res["mismatches"]
    assert res["finish"] == "2018-11-02T17:00:00"
    # and the same dates through the schedule the project now shows
    plan = read_mspdi(FIXTURE.read_bytes())
    shown = api.get(f"/projects/{res['project_id']}/schedule", headers=h).json()["tasks"]
    got = sorted((t["start"], t["finish"]) for t in shown)
    want = sorted((t.start.isoformat(), t.finish.isoformat()) for t in plan.tasks if t.start and t.finish)
    assert got == want
