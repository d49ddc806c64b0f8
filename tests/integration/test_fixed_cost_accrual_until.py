"""The actual cost of a past day (the EVM trend's earlier months) takes fixed costs only as far as they had
accrued by then: at start from the task's start, at end from its finish, pro rata as the progress was made."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from charter.domain.budget import Accrual, accrued_fraction_on
from charter.persistence.models import Project, Task
from charter.services import budget, evm


def _fixed(s: Any, p: Project, line: int, until: dt.date | None) -> Decimal:
    return Decimal(budget.cost_columns(s, p, until=until)["lines"][line]["actual_fixed_costs"])


def test_fixed_costs_accrue_as_of_until(seed: Any, frozen_clock: Any) -> None:  # today: 2030-01-07
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        line = budget.create_line(s, pm, seed.p1, category="hardware", name="Kit", amount="10000")["id"]
        a = s.get(Task, seed.tasks["a"])  # started 1 Nov, half done today
        a.actual_start, a.percent_complete = dt.datetime(2029, 11, 1, 8), 50.0
        b = s.get(Task, seed.tasks["b"])  # ran from 1 Oct to 15 Dec
        b.actual_start, b.actual_finish = dt.datetime(2029, 10, 1, 8), dt.datetime(2029, 12, 15, 17)
        b.percent_complete, b.status = 100.0, "completed"
        s.flush()
        for task, accrual, amount in (("a", "start", "300"), ("a", "prorated", "1000"), ("b", "end", "500")):
            budget.add_fixed_cost(s, pm, seed.p1, task_id=seed.tasks[task], description=accrual,
                                  amount=amount, accrual=accrual, budget_line_id=line)  # fmt: skip
    with seed.db.uow(readonly=True) as s:
        p = s.get(Project, seed.p1)
        assert p is not None
        # today (and any later day): what has accrued now
        assert _fixed(s, p, line, None) == Decimal("1300.00")  # 300 + 50% of 1000 + 500
        assert _fixed(s, p, line, dt.date(2030, 1, 7)) == Decimal("1300.00")
        # before the tasks started: nothing
        assert _fixed(s, p, line, dt.date(2029, 9, 30)) == 0
        assert _fixed(s, p, line, dt.date(2029, 10, 31)) == 0
        # end of November: A's start cost, 30 of the 68 days of A's progress so far; B not finished yet
        assert _fixed(s, p, line, dt.date(2029, 11, 30)) == Decimal("300") + Decimal("220.59")
        # end of December: B finished on the 15th
        assert _fixed(s, p, line, dt.date(2029, 12, 31)) == Decimal("300") + Decimal("448.53") + Decimal(
            "500"
        )
        trend = evm.trend(s, pm, seed.p1)
    months = {m["month"]: Decimal(m["ac"]) for m in trend["months"]}
    assert months.get("2029-10", Decimal(0)) == 0
    assert months["2030-01"] == Decimal("1300.00")


def test_accrued_fraction_on_each_rule() -> None:
    start, finish, today = dt.date(2029, 1, 1), dt.date(2029, 1, 10), dt.date(2029, 2, 1)
    before, during, after = dt.date(2028, 12, 31), dt.date(2029, 1, 5), dt.date(2029, 1, 20)
    assert accrued_fraction_on(Accrual.START, 10, start, None, before, today) == 0
    assert accrued_fraction_on(Accrual.START, 10, start, None, during, today) == 1
    assert accrued_fraction_on(Accrual.END, 100, start, finish, during, today) == 0
    assert accrued_fraction_on(Accrual.END, 100, start, finish, after, today) == 1
    assert accrued_fraction_on(Accrual.END, 90, start, finish, after, today) == 0
    assert accrued_fraction_on(Accrual.PRORATED, 100, start, finish, during, today) == 0.5
    assert accrued_fraction_on(Accrual.PRORATED, 100, start, finish, after, today) == 1
    assert accrued_fraction_on(Accrual.PRORATED, 40, None, None, before, today) == 0.4  # no dates: today's
