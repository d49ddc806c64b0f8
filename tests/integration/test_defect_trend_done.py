"""The weekly defect trend counts a defect as done from when it was verified, as the one open-defect definition
does (the quality page, the gate and the status report): a verified defect that nobody has closed yet is not
open, and a verified-then-closed one is done in the week of its verification, counted once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from charter.services import quality


def _walk(seed: Any, defect_id: int, statuses: tuple[str, ...], version: int = 1) -> int:
    with seed.db.uow() as s:
        for status in statuses:
            version = quality.update_defect(s, seed.actor("pm"), seed.p1, defect_id, version, status=status)[
                "version"
            ]
    return version


def test_done_from_verification(seed: Any, frozen_clock: Any) -> None:
    pm = seed.actor("pm")
    frozen_clock.set(datetime(2030, 1, 7, 9, tzinfo=UTC))  # Monday of 2030-W02
    with seed.db.uow() as s:
        ids = [
            quality.create_defect(s, pm, seed.p1, title=f"Bug {n}", severity="minor", found_in="test")["id"]
            for n in range(3)
        ]
    frozen_clock.set(datetime(2030, 1, 9, 9, tzinfo=UTC))  # W02: bug 0 verified (not closed); bug 1 verified
    v0 = _walk(seed, ids[0], ("triaged", "in_progress", "resolved", "verified"))
    v1 = _walk(seed, ids[1], ("triaged", "in_progress", "resolved", "verified"))
    frozen_clock.set(datetime(2030, 1, 15, 9, tzinfo=UTC))  # W03: bug 1 closed; bug 2 only resolved
    _walk(seed, ids[1], ("closed",), v1)
    _walk(seed, ids[2], ("triaged", "in_progress", "resolved"))
    with seed.db.uow(readonly=True) as s:
        weeks = {w["week"]: w for w in quality.defect_trend(s, pm, seed.p1, weeks=2)["weeks"]}
        open_now = [d for d in quality.list_defects(s, pm, seed.p1) if d["status"] in ("new", "triaged",
                                                                                     "in_progress", "resolved")]  # fmt: skip
    assert (weeks["2030-W02"]["opened"], weeks["2030-W02"]["closed"], weeks["2030-W02"]["open"]) == (3, 2, 1)
    assert (weeks["2030-W03"]["opened"], weeks["2030-W03"]["closed"], weeks["2030-W03"]["open"]) == (0, 0, 1)
    assert weeks["2030-W03"]["open"] == len(open_now) == 1  # the trend agrees with the open-defect definition
    # reopened: open again, and done once more only when verified again
    frozen_clock.set(datetime(2030, 1, 16, 9, tzinfo=UTC))
    _walk(seed, ids[0], ("in_progress",), v0)
    with seed.db.uow(readonly=True) as s:
        w3 = quality.defect_trend(s, pm, seed.p1, weeks=1)["weeks"][-1]
    assert w3["open"] == 2
