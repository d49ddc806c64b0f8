"""`charter budget line add|update|delete` and `charter budget version list|propose|approve|reject|withdraw`:
the budget's lines and versions from the command line (they were web and API only)."""

from __future__ import annotations

import json
from typing import Any

from charter.services import budget


def _lines(seed: Any) -> dict[str, dict[str, Any]]:
    with seed.db.uow(readonly=True) as s:
        return {ln["name"]: ln for ln in budget.list_lines(s, seed.actor("pm"), seed.p1)}


def test_lines_and_a_version_the_sponsor_approves(cli: Any, seed: Any) -> None:
    out = cli("budget", "line", "add", "P1", "Cloud hosting", "--amount", "12 500.50", "--category",
              "cloud_services", "--wp", "WP-A", "--json").stdout  # fmt: skip
    line = json.loads(out)
    assert line["work_package_id"] == seed.wp_a and float(line["amount"]) == 12500.5
    out = cli(
        "budget", "line", "update", "P1", str(line["id"]), "--amount", "14000", "--name", "Hosting"
    ).stdout
    assert "Changed Budget line" in out and "Hosting" in out and "14000" in out
    assert float(_lines(seed)["Hosting"]["amount"]) == 14000
    cli("budget", "line", "update", "P1", str(line["id"]), "--wp", "")  # to the whole project
    assert _lines(seed)["Hosting"]["work_package_id"] is None
    out = cli("budget", "version", "propose", "P1", "--note", "Hosting added").stdout
    assert "Budget version 1: proposed" in out
    assert "waits a decision" in cli("budget", "version", "propose", "P1", code=1).output  # one at a time
    cli("budget", "version", "approve", "P1", "1", who="pm", code=1)  # the PM does not approve their own
    assert "approved" in cli("budget", "version", "approve", "P1", "1", who="sponsor").stdout
    cli("budget", "version", "propose", "P1")
    assert "reason" in cli("budget", "version", "reject", "P1", "2", who="sponsor", code=1).output
    assert (
        "rejected"
        in cli("budget", "version", "reject", "P1", "2", "--reason", "Too high", who="sponsor").stdout
    )
    cli("budget", "version", "propose", "P1")
    assert "withdrawn" in cli("budget", "version", "withdraw", "P1", "3").stdout
    rows = json.loads(cli("budget", "version", "list", "P1", "--json").stdout)
    assert [v["status"] for v in rows] == ["approved", "rejected", "withdrawn"]
    assert "Too high" in cli("budget", "version", "list", "P1").stdout
    assert "deleted" in cli("budget", "line", "delete", "P1", str(line["id"])).stdout
    assert "Hosting" not in _lines(seed)


def test_refusals_name_the_field_and_write_nothing(cli: Any, seed: Any) -> None:
    before = _lines(seed)
    cli(
        "budget",
        "line",
        "add",
        "P1",
        "Laptops",
        "--amount",
        "900",
        "--category",
        "hardware",
        who="worker",
        code=1,
    )
    assert "amount" in cli("budget", "line", "add", "P1", "Laptops", "--amount", "lots", "--category",
                           "hardware", code=1).output  # fmt: skip
    assert "category" in cli("budget", "line", "add", "P1", "Laptops", "--amount", "9", "--category", "toys",
                             code=1).output  # fmt: skip
    assert "nothing to change" in cli("budget", "line", "update", "P1", "1", code=1).output
    assert _lines(seed) == before
    line = json.loads(cli("budget", "line", "add", "P1", "Laptops", "--amount", "900", "--category", "hardware",
                          "--json").stdout)  # fmt: skip
    out = cli(
        "budget", "line", "update", "P1", str(line["id"]), "--amount", "1", "--version", "99", code=1
    ).output
    assert "version" in out
    assert "No budget versions yet" in cli("budget", "version", "list", "P1").stdout
    for sub in (("line", "add"), ("line", "update"), ("line", "delete"), ("version", "list"),
                ("version", "propose"), ("version", "approve"), ("version", "reject"), ("version", "withdraw")):  # fmt: skip
        assert cli("budget", *sub, "--help").exit_code == 0
