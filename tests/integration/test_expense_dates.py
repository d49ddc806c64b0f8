"""An expense is money already spent, yet one could be dated in the future: a typo'd 2031 counted as actual
cost now in earned value. Refused beside the date on the API, the budget page and the command line, with a
day's grace for time zones (as goods receipts and invoices are), nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.services import budget
from webhelpers import login_seeded

TODAY = dt.date(2030, 1, 7)  # the frozen clock's day
LATER = (TODAY + dt.timedelta(days=2)).isoformat()  # beyond the day's grace
TOMORROW = (TODAY + dt.timedelta(days=1)).isoformat()  # within it


@pytest.fixture
def line(seed: Any, frozen_clock: Any) -> int:
    """A project-level travel line of P1, no expense on it yet."""
    with seed.db.uow() as s:
        return int(budget.create_line(s, seed.actor("pm"), seed.p1, category="travel", name="Trips",
                                      amount="2000")["id"])  # fmt: skip


def _expenses(seed: Any) -> list[tuple[str, str]]:
    with seed.db.uow(readonly=True) as s:
        return [
            (e["description"], e["day"].isoformat())
            for e in budget.list_expenses(s, seed.actor("pm"), seed.p1)
        ]


def test_an_expense_dated_in_the_future_is_refused_through_the_api(
    api: Any, as_: Any, seed: Any, line: int
) -> None:
    body = {"budget_line_id": line, "day": LATER, "amount": "80", "description": "Hotel"}
    r = api.post(f"/projects/{seed.p1}/expenses", headers=as_("pm"), json=body)
    assert r.status_code == 422 and r.json()["error"]["field"] == "day", r.text
    assert LATER in r.json()["error"]["message"] and "in the future" in r.json()["error"]["message"]
    assert _expenses(seed) == []
    # nor counted as actual cost: the line has spent nothing
    lines = api.get(f"/projects/{seed.p1}/budget/lines", headers=as_("pm")).json()
    assert [x["actual_expenses"] for x in lines if x["id"] == line] == ["0.00"]
    # tomorrow is within the grace (a person east of UTC types their own day); so is any past day
    ok = api.post(f"/projects/{seed.p1}/expenses", headers=as_("pm"), json={**body, "day": TOMORROW})
    assert ok.status_code == 201, ok.text
    ok = api.post(f"/projects/{seed.p1}/expenses", headers=as_("pm"),
                  json={**body, "day": "2029-12-20", "description": "Taxi"})  # fmt: skip
    assert ok.status_code == 201, ok.text
    assert _expenses(seed) == [("Taxi", "2029-12-20"), ("Hotel", TOMORROW)]


def test_the_budget_page_refuses_a_future_expense_beside_its_date(seed: Any, line: int) -> None:
    p = seed.p1
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        token = login_seeded(seed, client, "pm")
        form = {"csrf_token": token, "budget_line_id": str(line), "day": LATER, "amount": "42.50",
                "description": "Cables"}  # fmt: skip
        r = client.post(f"/projects/{p}/budget/expenses", data=form)
        assert r.status_code == 422 and 'id="expense-error"' in r.text and "in the future" in r.text
        assert f'id="ex-day" name="day" type="date" required value="{LATER}" aria-invalid="true"' in r.text
        assert 'value="Cables"' in r.text and 'value="42.50"' in r.text  # what was typed comes back
        assert _expenses(seed) == []
        r = client.post(f"/projects/{p}/budget/expenses", data={**form, "day": TOMORROW})
        assert r.status_code == 303, r.text
    assert _expenses(seed) == [("Cables", TOMORROW)]


def test_the_command_line_refuses_a_future_expense(cli: Any, seed: Any, line: int) -> None:
    out = cli("budget", "expense", "add", "P1", "--line", str(line), "--amount", "18.40", "--description", "Taxi",
              "--day", LATER, code=1).output  # fmt: skip
    assert "(field: day)" in out and LATER in out
    assert _expenses(seed) == []
    cli("budget", "expense", "add", "P1", "--line", str(line), "--amount", "18.40", "--description", "Taxi",
        "--day", TOMORROW)  # fmt: skip
    assert _expenses(seed) == [("Taxi", TOMORROW)]
