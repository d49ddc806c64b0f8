"""Fixed costs on tasks through the API (PATCH and DELETE with the version read, stale: 409 with the current
state) and the CLI (`charter budget fixed-cost list|add|update|delete`): the line's actual takes the
accrued part, bad input names the field, nothing half-written."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from charter.persistence.models import JournalEntry
from charter.services import budget, tasks


@pytest.fixture
def fc(seed: Any) -> dict[str, Any]:
    """P1 with a hardware line; Task A half done."""
    admin = seed.actor("admin")
    with seed.db.uow() as s:
        hw = budget.create_line(s, seed.actor("pm"), seed.p1, category="hardware", name="Servers",
                                amount="10000", work_package_id=seed.wp_a)["id"]  # fmt: skip
        t = tasks.get_task(s, admin, seed.p1, seed.tasks["a"])
        tasks.update_task(s, admin, seed.p1, t["id"], t["version"], percent_complete=50)
    return {"p": seed.p1, "hw": hw, "task": seed.tasks["a"], "wbs": t["wbs_code"]}


def _fixed_actual(seed: Any, fc: dict[str, Any]) -> Decimal:
    with seed.db.uow(readonly=True) as s:
        summ = budget.summary(s, seed.actor("pm"), fc["p"])
    return Decimal(next(ln for ln in summ["lines"] if ln["id"] == fc["hw"])["actual_fixed_costs"])


def test_api_updates_and_deletes_with_the_version_read(api: Any, as_: Any, seed: Any, fc: Any) -> None:
    url = f"/projects/{fc['p']}/fixed-costs"
    r = api.post(url, headers=as_("pm"), json={"task_id": fc["task"], "description": "Licence",
                                               "amount": "300.00", "budget_line_id": fc["hw"]})  # fmt: skip
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["task"] == "Task A" and made["budget_line"] == "Servers" and Decimal(made["accrued"]) == 150
    assert _fixed_actual(seed, fc) == Decimal("150.00")
    r = api.patch(f"{url}/{made['id']}", headers=as_("pm"), json={"version": 1, "accrual": "start"})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and _fixed_actual(seed, fc) == Decimal("300.00")
    stale = api.patch(f"{url}/{made['id']}", headers=as_("pm"), json={"version": 1, "amount": "1"})
    assert stale.status_code == 409 and stale.json()["error"]["current"]["accrual"] == "start"
    bad = api.patch(f"{url}/{made['id']}", headers=as_("pm"), json={"version": 2, "amount": "-3"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "amount"
    assert (
        api.patch(f"{url}/{made['id']}", headers=as_("pm"), json={"version": 2, "id": 9}).status_code == 422
    )
    r = api.patch(f"{url}/{made['id']}", headers=as_("pm"), json={"version": 2, "budget_line_id": None})
    assert r.status_code == 200 and r.json()["budget_line"] is None and _fixed_actual(seed, fc) == 0
    assert api.delete(f"{url}/{made['id']}", headers=as_("pm"), params={"version": 1}).status_code == 409
    assert api.delete(f"{url}/{made['id']}", headers=as_("pm"), params={"version": 3}).status_code == 204
    assert api.get(url, headers=as_("pm")).json() == []
    with seed.db.uow(readonly=True) as s:
        actions = list(s.scalars(select(JournalEntry.action).where(JournalEntry.entity_type == "task_fixed_cost")
                                 .order_by(JournalEntry.id)))  # fmt: skip
    assert actions == ["create", "update", "update", "delete"]


def test_cli_fixed_cost_list_add_update_delete(cli: Any, seed: Any, fc: Any) -> None:
    for sub in ("list", "add", "update", "delete"):
        assert "Usage" in cli("budget", "fixed-cost", sub, "--help").stdout
    task = fc["wbs"] or str(fc["task"])
    out = json.loads(cli("budget", "fixed-cost", "add", "P1", "--task", task, "--amount", "800.00",
                         "--description", "Switch", "--line", str(fc["hw"]), "--json").stdout)  # fmt: skip
    assert out["task_id"] == fc["task"] and out["accrual"] == "prorated" and Decimal(out["accrued"]) == 400
    assert _fixed_actual(seed, fc) == Decimal("400.00")
    listed = cli("budget", "fixed-cost", "list", "P1").stdout
    assert "Switch" in listed and "Servers" in listed and "400.00" in listed
    only = json.loads(cli("budget", "fixed-cost", "list", "P1", "--task", str(fc["task"]), "--json").stdout)
    assert [x["id"] for x in only] == [out["id"]]
    other = json.loads(
        cli("budget", "fixed-cost", "list", "P1", "--task", str(seed.tasks["b"]), "--json").stdout
    )
    assert other == []

    bad = cli("budget", "fixed-cost", "add", "P1", "--task", task, "--amount", "10", "--description", "X",
              "--accrual", "sometimes", code=1)  # fmt: skip
    assert "accrual" in bad.stderr
    missing = cli("budget", "fixed-cost", "add", "P1", "--task", "99999", "--amount", "10", "--description", "X",
                  code=1)  # fmt: skip
    assert "task_id" in missing.stderr

    cli("budget", "fixed-cost", "update", "P1", str(out["id"]), "--amount", "1000.00", "--accrual", "end")
    (now,) = json.loads(cli("budget", "fixed-cost", "list", "P1", "--json").stdout)
    assert Decimal(now["amount"]) == Decimal("1000.00") and now["accrual"] == "end" and now["version"] == 2
    assert _fixed_actual(seed, fc) == 0
    stale = cli(
        "budget", "fixed-cost", "update", "P1", str(out["id"]), "--amount", "1", "--version", "1", code=1
    )
    assert "changed by someone else" in stale.stderr
    cli("budget", "fixed-cost", "update", "P1", str(out["id"]), "--no-line")
    assert json.loads(cli("budget", "fixed-cost", "list", "P1", "--json").stdout)[0]["budget_line_id"] is None
    assert "nothing to change" in cli("budget", "fixed-cost", "update", "P1", str(out["id"]), code=1).stderr
    refused = cli("budget", "fixed-cost", "delete", "P1", str(out["id"]), who="stakeholder", code=1)
    assert refused.stderr
    assert "changed by someone else" in cli("budget", "fixed-cost", "delete", "P1", str(out["id"]), "--version",
                                            "1", code=1).stderr  # fmt: skip
    cli("budget", "fixed-cost", "delete", "P1", str(out["id"]))
    assert json.loads(cli("budget", "fixed-cost", "list", "P1", "--json").stdout) == []
