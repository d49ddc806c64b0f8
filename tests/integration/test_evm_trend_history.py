"""The EVM trend's past months without a saved snapshot take their earned value from the progress the journal
had recorded by each month's end (`ev_source` "journal"), so the S-curve's EV line has a point for every
month; a snapshot saved in a month still wins ("snapshot"), and the status date's month is the current EV."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from charter.services import budget, evm, projects, tasks


def _progress(seed: Any, pct: float) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        t = tasks.get_task(s, pm, seed.p1, seed.tasks["a"])
        tasks.update_task(s, pm, seed.p1, t["id"], t["version"], percent_complete=pct)


def test_past_months_earn_what_was_recorded_by_then(seed: Any, frozen_clock: Any) -> None:
    pm, sponsor = seed.actor("pm"), seed.actor("sponsor")
    frozen_clock.set(datetime(2030, 1, 2, 9, tzinfo=UTC))
    with seed.db.uow() as s:
        p = projects.get_project(s, pm, seed.p1)
        projects.update_project(s, seed.actor("admin"), seed.p1, p["version"], start_date=dt.date(2030, 1, 7))
        budget.create_line(s, pm, seed.p1, category="hardware", name="Servers", amount="10000.00",
                           work_package_id=seed.wp_a)  # fmt: skip
        budget.propose_version(s, pm, seed.p1)
    with seed.db.uow() as s:
        budget.decide_version(s, sponsor, seed.p1, 1, approve=True)
    frozen_clock.set(datetime(2030, 1, 20, 9, tzinfo=UTC))
    _progress(seed, 20)  # A carries 7 500 of WP-A's 10 000 (A 3d, C 1d): 1 500 earned in January
    frozen_clock.set(datetime(2030, 2, 14, 9, tzinfo=UTC))
    _progress(seed, 60)  # 4 500 by the end of February
    frozen_clock.set(datetime(2030, 3, 5, 9, tzinfo=UTC))
    _progress(seed, 80)  # 6 000 now
    with seed.db.uow(readonly=True) as s:
        months = {m["month"]: m for m in evm.trend(s, pm, seed.p1, dt.date(2030, 3, 5))["months"]}
    assert [(m, months[m]["ev_source"]) for m in sorted(months)] == [
        ("2030-01", "journal"), ("2030-02", "journal"), ("2030-03", "current")]  # fmt: skip
    assert Decimal(months["2030-01"]["ev"]) == Decimal("1500.00")
    assert Decimal(months["2030-02"]["ev"]) == Decimal("4500.00")
    assert Decimal(months["2030-03"]["ev"]) == Decimal("6000.00")
    # a snapshot saved in February is February's figure
    with seed.db.uow() as s:
        evm.save_snapshot(s, pm, seed.p1, dt.date(2030, 2, 10))  # (today's progress, as of the 10th)
    with seed.db.uow(readonly=True) as s:
        feb = next(
            m for m in evm.trend(s, pm, seed.p1, dt.date(2030, 3, 5))["months"] if m["month"] == "2030-02"
        )
    assert feb["ev_source"] == "snapshot" and Decimal(feb["ev"]) == Decimal("6000.00")
