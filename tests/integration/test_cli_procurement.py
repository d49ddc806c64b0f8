"""`charter request ...`, `charter request rules show|set`, `charter po add|status|receipt|show`,
`charter invoice list|add|decide`, `charter vendor list|add|update|show` and `charter contract add|show`:
procurement from the command line as on the procurement page and through the API (the CLI could only list
orders, list/change/close contracts and keep expenses)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from charter.persistence.models import JournalEntry
from charter.services import budget, procurement


@pytest.fixture
def line(seed: Any) -> int:
    """A WP-A hardware line of 10 000 (the Task Leader of WP-A may request on it)."""
    with seed.db.uow() as s:
        made = budget.create_line(s, seed.actor("pm"), seed.p1, category="hardware", name="Servers",
                                  amount="10000", work_package_id=seed.wp_a)  # fmt: skip
        return int(made["id"])


LEASE = ("contract", "add", "P1", "Lease", "--vendor", "Acme", "--value", "1")


def _j(out: str) -> Any:
    return json.loads(out)


def _journal(seed: Any, kind: str, entity_id: int | None = None) -> list[JournalEntry]:
    q = select(JournalEntry).where(JournalEntry.entity_type == kind)
    if entity_id is not None:
        q = q.where(JournalEntry.entity_id == str(entity_id))
    with seed.db.uow(readonly=True) as s:
        rows = list(s.scalars(q.order_by(JournalEntry.id)))
        s.expunge_all()
        return rows


def _journal_count(seed: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def _read(seed: Any, fn: Any, *args: Any) -> Any:
    with seed.db.uow(readonly=True) as s:
        return fn(s, seed.actor("admin"), *args)


def _vendor(cli: Any, name: str = "Acme", who: str = "pm") -> dict[str, Any]:
    return dict(_j(cli("vendor", "add", name, "--json", who=who).stdout))


def _request(
    cli: Any, who: str = "pm", amount: str = "800", title: str = "Disks", *extra: str
) -> dict[str, Any]:
    out = cli(
        "request", "add", "P1", title, "--line", "Servers", "--amount", amount, *extra, "--json", who=who
    )
    return dict(_j(out.stdout))


def test_from_request_to_released_invoice(cli: Any, seed: Any, line: int) -> None:
    # the Sponsor sets the rules as the page's "up to AMOUNT: ROLE" rows
    out = cli("request", "rules", "set", "P1", "1 000:project_manager", "sponsor", who="sponsor").stdout
    assert "up to 1000.00: project manager" in out and "any amount: sponsor" in out
    rules = _read(seed, procurement.get_rules, seed.p1)["rules"]
    assert [(r["up_to"], r["role_key"]) for r in rules] == [
        (Decimal("1000"), "project_manager"),
        (None, "sponsor"),
    ]
    assert _journal(seed, "approval_rules", seed.p1)[-1].actor_id == seed.users["sponsor"]
    assert (
        _j(cli("request", "rules", "show", "P1", "--json").stdout)["rules"][0]["role_key"]
        == "project_manager"
    )

    vendor = _vendor(cli)
    r = _request(cli, "task-leader", "800", "Disks", "--vendor", "acme", "--description", "4 x 2 TB")
    assert (
        r["approver_role"] == "project_manager"
        and r["vendor_id"] == vendor["id"]
        and r["status"] == "submitted"
    )
    assert Decimal(r["line_remaining"]) == Decimal("10000")
    out = cli("request", "decide", "P1", str(r["id"]), "approve", "--version", "2", code=1).output
    assert "changed by someone else" in out and "(field: version)" in out
    assert _read(seed, procurement.list_requests, seed.p1)[0]["status"] == "submitted"
    out = cli("request", "decide", "P1", str(r["id"]), "approve", "--note", "fits the plan", "--version",
              "1").stdout  # fmt: skip
    assert f"Purchase request #{r['id']} Disks" in out and "approved" in out
    (stored,) = _read(seed, procurement.list_requests, seed.p1)
    assert stored["status"] == "approved" and stored["decided_by"] == seed.users["pm"]
    assert stored["reason"] == "fits the plan"
    cause = _journal(seed, "purchase_request", r["id"])[-1].cause or ""
    assert "approved under rule: project manager approves up to" in cause and "fits the plan" in cause
    listed = cli("request", "list", "P1", "--status", "approved").stdout
    assert "Disks" in listed and "Servers" in listed and "task-leader" in listed and "fits the plan" in listed

    o = _j(cli("po", "add", "P1", "--request", str(r["id"]), "--quantity", "4", "--unit-price", "200",
               "--expected-delivery", "2030-02-01", "--json").stdout)  # fmt: skip
    assert (
        o["number"] == "PO-P1-0001" and Decimal(o["total"]) == 800 and o["expected_delivery"] == "2030-02-01"
    )
    assert [(x["description"], Decimal(x["quantity"])) for x in o["lines"]] == [("Disks", 4)]
    assert _read(seed, procurement.list_requests, seed.p1)[0]["status"] == "ordered"
    assert _journal(seed, "purchase_order", o["id"])[0].action == "create"

    # the Task Leader records what arrived on their line's order; the invoice above it is held
    out = cli("po", "receipt", "P1", "po-p1-0001", "--amount", "400", "--day", "2026-01-20", "--note", "half",
              who="task-leader").stdout  # fmt: skip
    assert "received 400.00" in out and "(open)" in out
    inv = _j(cli("invoice", "add", "P1", "INV-77", "--order", "PO-P1-0001", "--amount", "600", "--day", "2026-01-21",
                 "--json").stdout)  # fmt: skip
    assert inv["status"] == "held" and any(
        "exceeds the 400.00" in x and "received" in x for x in inv["hold_reasons"]
    )
    assert "held" in cli("invoice", "list", "P1", "--status", "held").stdout
    # whoever registered it does not release it; the Sponsor does
    out = cli("invoice", "decide", "P1", str(inv["id"]), "release", "--reason", "agreed", code=1).output
    assert "(field: created_by)" in out
    out = cli("invoice", "decide", "P1", str(inv["id"]), "release", "--reason", "x", "--version", "9",
              who="sponsor", code=1).output  # fmt: skip
    assert "(field: version)" in out
    out = cli("invoice", "decide", "P1", str(inv["id"]), "release", "--reason", "rest arrives Monday",
              "--version", str(inv["version"]), who="sponsor").stdout  # fmt: skip
    assert "INV-77" in out and "released" in out
    (stored_inv,) = _read(seed, procurement.list_invoices, seed.p1)
    assert stored_inv["status"] == "released" and stored_inv["reason"] == "rest arrives Monday"
    assert _journal(seed, "invoice", inv["id"])[-1].cause == "rest arrives Monday"

    shown = _j(cli("po", "show", "P1", "PO-P1-0001", "--json").stdout)
    assert (
        shown["vendor"] == "Acme" and Decimal(shown["received"]) == 400 and Decimal(shown["invoiced"]) == 600
    )
    assert [i["number"] for i in shown["invoices"]] == ["INV-77"]
    text = cli("po", "show", "P1", str(o["id"])).stdout
    assert "Vendor Acme" in text and "INV-77" in text and "2030-02-01" in text
    out = cli("po", "status", "P1", "PO-P1-0001", "close").stdout
    assert "(closed)" in out and "committed 0 (" in out
    assert _read(seed, procurement.get_order, seed.p1, o["id"])["status"] == "closed"


def test_ordering_the_approved_amount_cancelling_and_a_stale_version(cli: Any, seed: Any, line: int) -> None:
    _vendor(cli)
    r = _request(cli, "pm", "1250.50", "Switch", "--vendor", "Acme")
    assert r["approver_role"] == "sponsor"  # no rules: the Sponsor decides
    out = cli("request", "decide", "P1", str(r["id"]), "approve", code=1).output  # not their own request
    assert "only the sponsor may decide" in out and "(field: approver_role)" in out
    cli("request", "decide", "P1", str(r["id"]), "approve", who="sponsor")
    # without a price, as the page's form offers it: the approved amount, quantity 1, the request's title
    o = _j(cli("po", "add", "P1", "--request", str(r["id"]), "--json").stdout)
    assert Decimal(o["total"]) == Decimal("1250.50") and o["lines"][0]["description"] == "Switch"
    out = cli("po", "status", "P1", o["number"], "cancelled", "--version", "99", code=1).output
    assert "changed by someone else" in out and "(field: version)" in out
    assert _read(seed, procurement.get_order, seed.p1, o["id"])["status"] == "open"
    assert "(cancelled)" in cli("po", "status", "P1", o["number"], "cancel").stdout

    # a request not yet ordered is cancelled by its requester; a stale version is refused, nothing written
    t = _request(cli, "task-leader", "300", "Cables")
    out = cli("request", "cancel", "P1", str(t["id"]), "--version", str(t["version"] + 1), who="task-leader",
              code=1).output  # fmt: skip
    assert "changed by someone else" in out and "(field: version)" in out
    assert [x["status"] for x in _read(seed, procurement.list_requests, seed.p1) if x["id"] == t["id"]] == [
        "submitted"
    ]
    out = cli("request", "cancel", "P1", str(t["id"]), "--reason", "not needed", who="task-leader").stdout
    assert "cancelled" in out
    assert _journal(seed, "purchase_request", t["id"])[-1].cause == "cancelled: not needed"
    assert "No submitted purchase requests." in cli("request", "list", "P1", "--status", "submitted").stdout
    rules = cli("request", "rules", "show", "P1").stdout
    assert "No approval rules: the sponsor decides every purchase request." in rules
    cli("request", "rules", "set", "P1", "500:project_manager", "sponsor", who="sponsor")
    assert "No approval rules" in cli("request", "rules", "set", "P1", "--clear", who="sponsor").stdout
    assert _read(seed, procurement.get_rules, seed.p1)["rules"] == []


def test_vendors_kept_organisation_wide(cli: Any, seed: Any, line: int) -> None:
    out = cli("vendor", "add", "Acme", "--contact", "Dana Smith; dana@acme.test; +44 20 7946 0000", "--contact",
              "Sales desk;; 0800 123", "--categories", "hardware, cloud", "--rating", "4", "--notes", "Fast",
              "--json").stdout  # fmt: skip
    v = _j(out)
    (stored,) = _read(seed, procurement.list_vendors)
    assert stored["contacts"] == [
        {"name": "Dana Smith", "email": "dana@acme.test", "phone": "+44 20 7946 0000"},
        {"name": "Sales desk", "email": None, "phone": "0800 123"},
    ]
    assert (stored["categories"], stored["rating"], stored["notes"]) == (["hardware", "cloud"], 4, "Fast")
    assert _journal(seed, "vendor", v["id"])[0].actor_id == seed.users["pm"]

    out = cli("vendor", "update", "acme", "--name", "Acme Ltd", "--rating", "none", "--no-contacts",
              who="sponsor").stdout  # fmt: skip
    assert "Changed Vendor" in out and "Acme Ltd" in out and "version 2" in out
    (stored,) = _read(seed, procurement.list_vendors)
    assert (stored["name"], stored["rating"], stored["contacts"], stored["categories"]) == (
        "Acme Ltd", None, [], ["hardware", "cloud"]
    )  # fmt: skip
    changes = _journal(seed, "vendor", v["id"])[-1].changes
    assert changes["name"] == ["Acme", "Acme Ltd"] and changes["rating"] == [4, None]
    # a stale version is refused and changes nothing
    out = cli("vendor", "update", str(v["id"]), "--notes", "Slow", "--version", "1", code=1).output
    assert "vendor was changed by someone else" in out and "(field: version)" in out
    assert _read(seed, procurement.list_vendors)[0]["notes"] == "Fast"

    listed = _j(cli("vendor", "list", "--json", who="observer").stdout)
    assert [x["name"] for x in listed] == ["Acme Ltd"]
    assert "Acme Ltd" in cli("vendor", "show", "Acme Ltd").stdout
    r = _request(cli, "task-leader", "100", "Mice", "--vendor", str(v["id"]))
    cli("request", "decide", "P1", str(r["id"]), "approve", who="sponsor")
    cli("po", "add", "P1", "--request", str(r["id"]))
    seen = _j(cli("vendor", "show", "Acme Ltd", "--project", "P1", "--json").stdout)
    assert seen["vendor"]["id"] == v["id"] and [o["number"] for o in seen["orders"]] == ["PO-P1-0001"]
    assert seen["contracts"] == [] and seen["invoices"] == []
    text = cli("vendor", "show", "Acme Ltd", "--project", "P1").stdout
    assert "PO-P1-0001" in text and "No contracts in P1" in text


def test_contracts_added_shown_and_still_changed_and_closed(
    cli: Any, seed: Any, line: int, frozen_clock: Any
) -> None:
    _vendor(cli)
    c = _j(cli("contract", "add", "P1", "Support 2030", "--vendor", "Acme", "--kind", "subscription", "--value",
               "1200", "--start", "2030-01-01", "--end", "2030-12-31", "--renewal", "2030-12-31", "--notice",
               "2030-02-01", "--notes", "auto-renews", "--json").stdout)  # fmt: skip
    (stored,) = _read(seed, procurement.list_contracts, seed.p1)
    assert (stored["title"], stored["kind"], stored["value"], str(stored["notice_date"])) == (
        "Support 2030", "subscription", Decimal("1200"), "2030-02-01"
    )  # fmt: skip
    assert _journal(seed, "contract", c["id"])[0].action == "create"
    text = cli("contract", "show", "P1", str(c["id"])).stdout
    assert "Support 2030" in text and "vendor: Acme" in text and "notice 2030-02-01 (in 25 days)" in text
    # the commands that were there keep working on it
    assert "version 2" in cli("contract", "update", "P1", str(c["id"]), "--value", "1500").stdout
    assert "closed on 2030-01-31" in cli("contract", "close", "P1", str(c["id"]), "--day", "2030-01-31",
                                         "--reason", "not renewed").stdout  # fmt: skip
    shown = _j(cli("contract", "show", "P1", str(c["id"]), "--json").stdout)
    assert shown["contract"]["status"] == "closed" and shown["contract"]["upcoming"] == []
    assert [e["action"] for e in shown["history"]] == ["update", "update", "create"]
    assert "closed: not renewed" in cli("contract", "show", "P1", str(c["id"])).stdout
    assert "Support 2030" in cli("contract", "list", "P1").stdout


def test_contract_update_changes_every_term_and_close_takes_a_version(
    cli: Any, seed: Any, line: int, frozen_clock: Any
) -> None:
    _vendor(cli)
    c = _j(cli("contract", "add", "P1", "Hosting", "--vendor", "Acme", "--kind", "fixed_price", "--value", "900",
               "--start", "2030-01-01", "--end", "2030-12-31", "--renewal", "2030-12-31", "--json").stdout)  # fmt: skip
    before = _journal_count(seed)
    for args, field in ((("--kind", "barter"), "kind"), (("--start", "2031-13-01"), "start"),
                        (("--end", "2029-01-01"), "end"), (("--order", "PO-P1-9999"), "order_id"),
                        (("--title", " "), "title"), ((), "contract_id")):  # fmt: skip
        r = cli("contract", "update", "P1", str(c["id"]), *args, code=1)
        assert f"field: {field}" in r.stderr, (args, r.stderr)
    assert _journal_count(seed) == before  # nothing written on any refusal
    out = _j(cli("contract", "update", "P1", str(c["id"]), "--title", "Hosting 2030", "--kind", "subscription",
                 "--start", "2030-01-02", "--end", "none", "--renewal", "none", "--json").stdout)  # fmt: skip
    assert (out["title"], out["kind"], str(out["start"]), out["end"], out["renewal_date"], out["version"]) == (
        "Hosting 2030", "subscription", "2030-01-02", None, None, c["version"] + 1)  # fmt: skip
    (entry,) = [e for e in _journal(seed, "contract", c["id"]) if e.action == "update"]
    assert {"title", "kind", "start", "end", "renewal_date"} <= set(entry.changes or {})
    stale = cli("contract", "close", "P1", str(c["id"]), "--version", str(c["version"]), code=1)
    assert "field: version" in stale.stderr
    assert _read(seed, procurement.list_contracts, seed.p1)[0]["status"] == "active"
    closed = _j(
        cli("contract", "close", "P1", str(c["id"]), "--version", str(out["version"]), "--json").stdout
    )
    assert closed["status"] == "closed" and str(closed["closed_on"]) == "2030-01-07"
    refused = cli("contract", "update", "P1", str(c["id"]), "--notes", "x", code=1)
    assert "field: status" in refused.stderr
    assert "not found" in cli("contract", "update", "P1", str(c["id"]), "--notes", "x", who="outsider",
                              code=1).stderr  # fmt: skip


def test_refusals_write_nothing_and_name_the_field(cli: Any, seed: Any, line: int) -> None:
    _vendor(cli)
    before = _journal_count(seed)
    # permissions: the service decides, as on the page and through the API
    out = cli(
        "request", "add", "P1", "Disks", "--line", str(line), "--amount", "10", who="observer", code=1
    ).output
    assert out.startswith("error:") and "procurement.request" in out, out
    out = cli(
        "request", "add", "P1", "Disks", "--line", "Servers", "--amount", "10", who="worker", code=1
    ).output
    assert "budget.read" in out, out
    assert "only a project manager, a sponsor or an admin" in cli("vendor", "add", "Initech", who="worker",
                                                                   code=1).output  # fmt: skip
    out = cli(
        "request", "rules", "set", "P1", "sponsor", code=1
    ).output  # the PM does not set their own limit
    assert "budget.approve" in out
    cli("request", "list", "P1", who="outsider", code=1)  # a project they cannot see: not found
    # bad values name their field
    for args, field in [
        (("request", "add", "P1", "Disks", "--line", "Servers", "--amount", "lots"), "amount"),
        (("request", "add", "P1", "Disks", "--line", "Nope", "--amount", "10"), "budget_line_id"),
        (
            ("request", "add", "P1", "Disks", "--line", "Servers", "--amount", "10", "--vendor", "Nobody"),
            "vendor_id",
        ),
        (("request", "add", "P1", "x" * 201, "--line", "Servers", "--amount", "10"), "title"),
        (("request", "decide", "P1", "1", "maybe"), "decision"),
        (("request", "list", "P1", "--status", "pending"), "status"),
        (("po", "add", "P1", "--request", "1", "--quantity", "many", "--unit-price", "1"), "quantity"),
        (("po", "add", "P1", "--request", "1", "--quantity", "2"), "unit_price"),
        (("po", "add", "P1", "--request", "1", "--delivery", "next week"), "expected_delivery"),
        (("po", "receipt", "P1", "PO-P1-0042"), "order_id"),
        (("invoice", "add", "P1", "INV-1", "--order", "1", "--amount", "5", "--day", "2030-13-01"), "day"),
        (("invoice", "decide", "P1", "1", "pay", "--reason", "x"), "decision"),
        (("vendor", "add", "Initech", "--rating", "great"), "rating"),
        (("vendor", "add", "Initech", "--rating", "9"), "rating"),
        (("vendor", "add", "Initech", "--contact", "; nobody@initech.test"), "contacts"),
        (("vendor", "add", "acme"), "name"),
        (("vendor", "update", "Acme"), "vendor"),
        ((*LEASE, "--kind", "lease", "--start", "2030-01-01"), "kind"),
        ((*LEASE, "--kind", "subscription", "--start", "2030-02-01", "--end", "2030-01-01"), "end"),
    ]:
        out = cli(*args, code=1).output
        assert f"(field: {field})" in out, (args, out)
    for rules, field in [
        (("1000:boss", "sponsor"), "role_key"),
        (("a lot:project_manager",), "up_to"),
        (("5000:project_manager", "1000:sponsor"), "up_to"),
        ((":",), "role_key"),
    ]:
        out = cli("request", "rules", "set", "P1", *rules, who="sponsor", code=1).output
        assert f"(field: {field})" in out, (rules, out)
    assert _read(seed, procurement.get_rules, seed.p1)["rules"] == []
    # an order needs an approved request; a task leader places none
    r = _request(cli, "task-leader", "100", "Mice")
    assert "(field: request_id)" in cli("po", "add", "P1", "--request", str(r["id"]), code=1).output
    cli("request", "decide", "P1", str(r["id"]), "approve", who="sponsor")
    cli("po", "add", "P1", "--request", str(r["id"]), who="task-leader", code=1)
    assert _read(seed, procurement.list_orders, seed.p1) == []
    assert _journal_count(seed) == before + 2  # the request and its approval, nothing else


@pytest.mark.any_backend
def test_every_new_command_has_help(cli: Any) -> None:
    for path in (
        ("request",), ("request", "list"), ("request", "add"), ("request", "decide"), ("request", "cancel"),
        ("request", "rules", "show"), ("request", "rules", "set"), ("po", "add"), ("po", "status"),
        ("po", "receipt"), ("po", "show"), ("po", "list"), ("invoice", "list"), ("invoice", "add"),
        ("invoice", "decide"), ("vendor", "list"), ("vendor", "add"), ("vendor", "update"), ("vendor", "show"),
        ("contract", "add"), ("contract", "show"), ("contract", "list"), ("contract", "update"),
        ("contract", "close"),
    ):  # fmt: skip
        assert "Usage" in cli(*path, "--help").stdout, path


def test_the_documented_commands_exist(cli: Any) -> None:
    import re
    from pathlib import Path

    page = (Path(__file__).parents[2] / "docs" / "project-manager.md").read_text(encoding="utf-8")
    section = page.split("### Procurement from the command line", 1)[1].split("\n## ", 1)[0]
    seen = set()
    for span in re.findall(r"`([^`]+)`", section):
        words = span.split()
        if words and words[0] == "charter":
            words = words[1:]
        if len(words) < 2 or words[0] not in ("request", "po", "invoice", "vendor", "contract"):
            continue
        group = words[:2] if words[1] == "rules" else words[:1]
        for name in words[len(group)].split("|"):
            seen.add((*group, name))
            assert "Usage" in cli(*group, name, "--help").stdout, (group, name)
    assert len(seen) >= 22, seen
