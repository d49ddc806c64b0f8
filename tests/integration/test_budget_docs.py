"""Receipts of expenses as stored attachments, contract updates / closure / reminders, "approvals waiting for
me" across projects, and the S-curve as a PNG — through the API and the services, on the seeded world."""

from __future__ import annotations

import datetime as dt
import io
import tarfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from charter.config import get_settings
from charter.persistence import backup as backups
from charter.persistence.models import Attachment, JournalEntry, Notification
from charter.services import attachments, closure, procurement, scheduled
from charter.services.context import now

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.headers.get("content-type", "").startswith("application/json") else r


def err(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    e = r.json()["error"]
    if field is not None:
        assert e["field"] == field, e
    return e


@pytest.fixture
def b(api: Any, seed: Any, as_: Any) -> dict[str, Any]:
    p = seed.p1
    hw = ok(api.post(f"/projects/{p}/budget/lines", headers=as_("pm"), json={
        "category": "hardware", "name": "Servers", "amount": "10000.00", "work_package_id": seed.wp_a}), 201)  # fmt: skip
    travel = ok(api.post(f"/projects/{p}/budget/lines", headers=as_("pm"), json={
        "category": "travel", "name": "Trips", "amount": "2000.00"}), 201)  # fmt: skip
    ok(api.put(f"/projects/{p}/approval-rules", headers=as_("sponsor"), json={"version": 0, "rules": [
        {"up_to": "1000.00", "role_key": "project_manager"}, {"up_to": None, "role_key": "sponsor"}]}))  # fmt: skip
    v = ok(api.post("/vendors", headers=as_("pm"), json={"name": "Acme"}), 201)
    return {"p": p, "hw": hw["id"], "travel": travel["id"], "vendor": v["id"]}


def _expense(api: Any, b: Any, as_: Any) -> dict[str, Any]:
    return ok(api.post(f"/projects/{b['p']}/expenses", headers=as_("pm"), json={
        "budget_line_id": b["travel"], "day": "2026-01-08", "amount": "120.50", "description": "Train"}), 201)  # fmt: skip


def _stored_files(project_id: int) -> set[str]:
    folder = attachments.root() / str(project_id)
    return {f.name for f in folder.iterdir()} if folder.is_dir() else set()


# --------------------------------------------------------------------------------------------- receipts


def test_receipt_upload_is_stored_under_a_server_name_and_downloads_only_as_attachment(
    api: Any, b: Any, as_: Any, seed: Any
) -> None:
    e = _expense(api, b, as_)
    assert e["receipts"] == []
    before = _stored_files(b["p"])
    url = f"/projects/{b['p']}/expenses/{e['id']}/receipts"
    out = ok(
        api.post(url, headers=as_("pm"), files={"file": ("../../etc/évidence.pdf", PDF, "text/html")}), 201
    )
    (r,) = out["receipts"]
    # the type comes from the magic bytes, not the client's claim; the name is a label without a path
    assert (
        r["content_type"] == "application/pdf" and r["filename"] == "évidence.pdf" and r["size"] == len(PDF)
    )
    new = _stored_files(b["p"]) - before
    assert len(new) == 1 and "evidence" not in next(iter(new)) and len(next(iter(new))) == 32
    with seed.db.uow(readonly=True) as s:
        row = s.get(Attachment, r["id"])
        assert row is not None and row.stored_name == f"{b['p']}/{next(iter(new))}"
        assert s.scalar(select(func.count()).where(JournalEntry.entity_type == "expense_receipt")) == 1
    got = ok(api.get(f"{url}/{r['id']}", headers=as_("sponsor")))
    assert got.content == PDF and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    listed = ok(api.get(f"/projects/{b['p']}/expenses", headers=as_("sponsor")))
    assert [x["filename"] for x in listed[0]["receipts"]] == ["évidence.pdf"]
    # reading needs budget.read on the project; another project's caller does not see it at all
    err(api.get(f"{url}/{r['id']}", headers=as_("worker")), 403)
    err(api.get(f"{url}/{r['id']}", headers=as_("outsider")), 404)
    err(api.get(f"/projects/{b['p']}/expenses/{e['id']}/receipts/999999", headers=as_("pm")), 404)
    # deleting removes the row and the file
    ok(api.delete(f"{url}/{r['id']}", headers=as_("pm")), 204)
    assert _stored_files(b["p"]) == before
    err(api.get(f"{url}/{r['id']}", headers=as_("pm")), 404)


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("receipt.pdf", b"<html><script>alert(1)</script></html>", "only JPG, PDF, PNG"),
        ("receipt.png", b"GIF89a" + b"\x00" * 20, "only JPG, PDF, PNG"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_receipts_of_the_wrong_type_or_empty_are_refused_and_leave_nothing(
    api: Any, b: Any, as_: Any, seed: Any, name: str, data: bytes, needle: str
) -> None:
    e = _expense(api, b, as_)
    before = _stored_files(b["p"])
    url = f"/projects/{b['p']}/expenses/{e['id']}/receipts"
    res = err(
        api.post(url, headers=as_("pm"), files={"file": (name, data, "application/pdf")}), 422, "receipt"
    )
    assert needle in res["message"]
    assert _stored_files(b["p"]) == before
    with seed.db.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_receipt_over_the_limit_is_refused_with_the_limit_named(
    api: Any, b: Any, as_: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    e = _expense(api, b, as_)
    monkeypatch.setattr(get_settings(), "attachment_max_bytes", 2048)
    url = f"/projects/{b['p']}/expenses/{e['id']}/receipts"
    big = PNG + b"\x00" * 4096
    res = err(
        api.post(url, headers=as_("pm"), files={"file": ("scan.png", big, "image/png")}), 422, "receipt"
    )
    assert "the limit is 2 KB" in res["message"]
    ok(api.post(url, headers=as_("pm"), files={"file": ("scan.jpg", JPEG, "image/jpeg")}), 201)


def test_only_the_budget_editor_attaches_receipts(api: Any, b: Any, as_: Any) -> None:
    e = _expense(api, b, as_)
    url = f"/projects/{b['p']}/expenses/{e['id']}/receipts"
    for who, status in (("sponsor", 403), ("task_leader", 403), ("outsider", 404)):
        err(api.post(url, headers=as_(who), files={"file": ("r.pdf", PDF, "application/pdf")}), status)
    err(api.post(f"/projects/{b['p']}/expenses/424242/receipts", headers=as_("pm"),
                 files={"file": ("r.pdf", PDF, "application/pdf")}), 404, "expense_id")  # fmt: skip


def test_a_failed_transaction_removes_the_file_it_wrote(seed: Any, b: Any) -> None:
    from charter.services import budget

    with seed.db.uow() as s:
        e = budget.add_expense(s, seed.actor("pm"), b["p"], budget_line_id=b["travel"], day=dt.date(2026, 1, 8),
                               amount="10", description="Taxi")  # fmt: skip
    before = _stored_files(b["p"])
    with pytest.raises(RuntimeError), seed.db.uow() as s:
        budget.add_receipt(s, seed.actor("pm"), b["p"], e["id"], attachments.Upload("r.pdf", PDF))
        assert len(_stored_files(b["p"]) - before) == 1  # written ...
        raise RuntimeError("something later in the use-case failed")
    assert _stored_files(b["p"]) == before  # ... and gone with the rollback


def test_an_expense_with_its_receipt_in_one_step_and_the_backup_carries_the_file(
    seed: Any, b: Any, tmp_path: Path
) -> None:
    from charter.services import budget

    with seed.db.uow() as s:
        e = budget.add_expense(s, seed.actor("pm"), b["p"], budget_line_id=b["travel"], day=dt.date(2026, 1, 8),
                               amount="99.90", description="Hotel",
                               receipt=attachments.Upload("hotel.jpg", JPEG))  # fmt: skip
    (r,) = e["receipts"]
    with seed.db.uow(readonly=True) as s:
        stored = s.get(Attachment, r["id"]).stored_name  # type: ignore[union-attr]
    out = tmp_path / "b.tar.gz"
    manifest = backups.create_backup(seed.db, out, attachments.root())
    assert stored in manifest["attachments"]
    with tarfile.open(out) as tar:
        member = tar.extractfile(f"attachments/{stored}")
        assert member is not None and member.read() == JPEG
    # a bad receipt refuses the whole expense
    with pytest.raises(Exception, match="only JPG, PDF, PNG"), seed.db.uow() as s:
        budget.add_expense(s, seed.actor("pm"), b["p"], budget_line_id=b["travel"], day=dt.date(2026, 1, 8),
                           amount="5", description="Bad", receipt=attachments.Upload("x.pdf", b"MZ\x90\x00"))  # fmt: skip
    with seed.db.uow(readonly=True) as s:
        assert [x["description"] for x in budget.list_expenses(s, seed.actor("pm"), b["p"])] == ["Hotel"]


# --------------------------------------------------------------------------------------------- contracts


def _contract(api: Any, b: Any, as_: Any, **kw: Any) -> dict[str, Any]:
    body = {"vendor_id": b["vendor"], "title": "Support", "kind": "subscription", "value": "1200",
            "start": "2030-01-01", "end": "2030-12-31", "renewal_date": "2030-12-31", "notice_date": "2030-10-01",
            **kw}  # fmt: skip
    return ok(api.post(f"/projects/{b['p']}/contracts", headers=as_("pm"), json=body), 201)


def test_contract_update_takes_the_version_and_is_journaled(api: Any, b: Any, as_: Any, seed: Any) -> None:
    c = _contract(api, b, as_)
    url = f"/projects/{b['p']}/contracts/{c['id']}"
    c2 = ok(api.patch(url, headers=as_("pm"), json={"version": c["version"], "value": "1500.00",
                                                    "notice_date": "2030-09-30"}))  # fmt: skip
    assert Decimal(c2["value"]) == Decimal("1500.00") and c2["notice_date"] == "2030-09-30"
    assert c2["version"] == c["version"] + 1
    stale = err(api.patch(url, headers=as_("pm"), json={"version": c["version"], "value": "1"}), 409)
    assert Decimal(stale["current"]["value"]) == Decimal("1500.00")
    err(api.patch(url, headers=as_("pm"), json={"version": c2["version"], "notice_date": "2031-02-01"}),
        422, "notice_date")  # fmt: skip
    err(api.patch(url, headers=as_("pm"), json={"version": c2["version"], "value": "-5"}), 422, "value")
    err(api.patch(url, headers=as_("pm"), json={"version": c2["version"], "title": None}), 422)
    err(api.patch(url, headers=as_("pm"), json={"version": c2["version"], "project_id": 9}), 422)
    err(api.patch(url, headers=as_("sponsor"), json={"version": c2["version"], "value": "1"}), 403)
    with seed.db.uow(readonly=True) as s:
        rows = s.scalars(select(JournalEntry).where(JournalEntry.entity_type == "contract",
                                                    JournalEntry.entity_id == str(c["id"])).order_by(JournalEntry.id)).all()  # fmt: skip
        assert [x.action for x in rows] == ["create", "update"]
        assert [Decimal(str(v)) for v in rows[-1].changes["value"]] == [Decimal("1200"), Decimal("1500")]


def test_closing_a_contract_feeds_the_closure_checklist(
    api: Any, b: Any, as_: Any, seed: Any, frozen_clock: Any
) -> None:
    c = _contract(api, b, as_, end=None)
    with seed.db.uow(readonly=True) as s:
        item = next(
            x for x in closure.checklist(s, seed.actor("pm"), b["p"])["items"] if x["key"] == "contracts"
        )
    assert not item["ok"] and "Support" in item["detail"]
    url = f"/projects/{b['p']}/contracts/{c['id']}"
    err(
        api.post(f"{url}/close", headers=as_("pm"), json={"version": c["version"], "day": "2029-12-01"}),
        422,
        "day",
    )
    closed = ok(
        api.post(f"{url}/close", headers=as_("pm"), json={"version": c["version"], "reason": "not renewed"})
    )
    assert closed["status"] == "closed" and closed["closed_on"] and closed["closed_reason"] == "not renewed"
    with seed.db.uow(readonly=True) as s:
        item = next(
            x for x in closure.checklist(s, seed.actor("pm"), b["p"])["items"] if x["key"] == "contracts"
        )
    assert item["ok"]
    err(api.post(f"{url}/close", headers=as_("pm"), json={"version": closed["version"]}), 409)
    err(api.patch(url, headers=as_("pm"), json={"version": closed["version"], "value": "1"}), 409, "status")


def _reminders(seed: Any) -> list[tuple[int, str, str]]:
    with seed.db.uow(readonly=True) as s:
        return [(n.user_id, n.kind, n.event_key) for n in s.scalars(
            select(Notification).where(Notification.kind.like("contract.%")).order_by(Notification.id))]  # fmt: skip


def test_notice_and_renewal_dates_remind_the_pm_once_through_the_workers_pass(
    api: Any, b: Any, as_: Any, seed: Any, frozen_clock: Any
) -> None:
    c = _contract(api, b, as_, start="2029-01-01", notice_date="2030-01-20", renewal_date="2030-03-01")
    far = _contract(
        api, b, as_, title="Later", start="2029-01-01", notice_date="2030-06-01", renewal_date=None
    )
    at = now()  # 2030-01-07: the notice date is 13 days away, the renewal 53 (outside the 30-day window)
    (job,) = [j for j in scheduled.jobs() if j.__name__ == "_contract_dates"]  # not the last any more
    for _ in range(2):  # a second pass notifies nobody again
        with seed.db.uow() as s:
            job(s, at)
    pm = seed.users["pm"]
    assert _reminders(seed) == [(pm, "contract.notice", f"contract.notice:{c['id']}:2030-01-20")]
    with seed.db.uow(readonly=True) as s:  # the reminder opens the contract's own page
        links = s.scalars(select(Notification.link).where(Notification.kind.like("contract.%"))).all()
    assert links == [f"/projects/{b['p']}/procurement/contracts/{c['id']}"]
    # a month later the renewal falls in the window; a changed notice date is a new event
    c2 = ok(api.patch(f"/projects/{b['p']}/contracts/{c['id']}", headers=as_("pm"),
                      json={"version": c["version"], "notice_date": "2030-02-10"}))  # fmt: skip
    with seed.db.uow() as s:
        done = procurement.due_contract_reminders(s, at + dt.timedelta(days=25))
    assert sorted(done) == [(c["id"], "notice"), (c["id"], "renewal")]
    assert [k for _, _, k in _reminders(seed)][1:] == [f"contract.notice:{c['id']}:2030-02-10",
                                                         f"contract.renewal:{c['id']}:2030-03-01"]  # fmt: skip
    # a closed contract is reminded of nothing
    ok(api.post(f"/projects/{b['p']}/contracts/{far['id']}/close", headers=as_("pm"),
                json={"version": far["version"]}))  # fmt: skip
    with seed.db.uow() as s:
        assert procurement.due_contract_reminders(s, at + dt.timedelta(days=130)) == []
    assert c2["status"] == "active"


# --------------------------------------------------------------------------------------------- approvals


def test_approvals_waiting_for_me_across_projects(api: Any, b: Any, as_: Any) -> None:
    p = b["p"]
    big = ok(api.post(f"/projects/{p}/purchase-requests", headers=as_("task_leader"), json={
        "budget_line_id": b["hw"], "title": "SAN", "amount": "4000", "vendor_id": b["vendor"]}), 201)  # fmt: skip
    small = ok(api.post(f"/projects/{p}/purchase-requests", headers=as_("task_leader"), json={
        "budget_line_id": b["hw"], "title": "Cables", "amount": "200", "vendor_id": b["vendor"]}), 201)  # fmt: skip
    ok(api.post(f"/projects/{p}/budget/versions", headers=as_("pm"), json={"note": "v1"}), 201)
    ok(api.post(f"/projects/{p}/purchase-requests/{small['id']}/approve", headers=as_("pm"), json={}))
    order = ok(api.post(f"/projects/{p}/purchase-orders", headers=as_("pm"), json={
        "request_id": small["id"], "lines": [{"unit_price": "200"}]}), 201)  # fmt: skip
    held = ok(api.post(f"/projects/{p}/invoices", headers=as_("pm"), json={
        "order_id": order["id"], "number": "INV-9", "day": "2026-01-09", "amount": "200"}), 201)  # fmt: skip
    assert held["status"] == "held"

    sponsor = ok(api.get("/me/approvals/all", headers=as_("sponsor")))
    assert [r["id"] for r in sponsor["purchase_requests"]] == [big["id"]]
    assert sponsor["purchase_requests"][0]["api"].endswith(f"/purchase-requests/{big['id']}/approve")
    assert [v["number"] for v in sponsor["budget_versions"]] == [1]
    assert [i["id"] for i in sponsor["invoices"]] == [held["id"]]
    assert sponsor["count"] == 3

    pm = ok(api.get("/me/approvals/all", headers=as_("pm")))
    assert pm["purchase_requests"] == [] and pm["budget_versions"] == []
    assert pm["invoices"] == []  # the PM registered INV-9: someone else releases it
    for who in ("task_leader", "worker", "outsider", "admin"):
        mine = ok(api.get("/me/approvals/all", headers=as_(who)))
        assert mine["purchase_requests"] == [] and mine["budget_versions"] == [], who
    err(api.get("/me/approvals/all", headers=as_("anonymous")), 401)
    # deciding removes it from the list
    ok(api.post(f"/projects/{p}/purchase-requests/{big['id']}/approve", headers=as_("sponsor"), json={}))
    assert ok(api.get("/me/approvals/all", headers=as_("sponsor")))["purchase_requests"] == []


# --------------------------------------------------------------------------------------------- S-curve PNG


def test_s_curve_exports_as_png(api: Any, b: Any, as_: Any) -> None:
    r = ok(api.get(f"/projects/{b['p']}/evm/s-curve.png", headers=as_("pm"), params={"as_of": "2030-03-31"}))
    assert r.headers["content-type"] == "image/png" and r.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert "attachment" in r.headers["content-disposition"]
    from PIL import Image

    img = Image.open(io.BytesIO(r.content))
    assert img.size == (960, 480)
    # the plot is not blank: it draws the series in their colours
    colours = {c for _, c in img.convert("RGB").getcolors(maxcolors=1 << 20) or []}
    assert (0x1F, 0x5F, 0xA8) in colours  # PV
    err(api.get(f"/projects/{b['p']}/evm/s-curve.png", headers=as_("worker")), 403)
    err(api.get(f"/projects/{b['p']}/evm/s-curve.png", headers=as_("outsider")), 404)


# --------------------------------------------------------------------------------------------- CLI


def test_cli_expenses_receipts_contracts_approvals_and_png(
    api: Any, b: Any, as_: Any, seed: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from charter.cli.main import app

    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> Any:
        r = runner.invoke(app, ["--as", "pm", *args])
        assert r.exit_code == code, (r.stdout, r.stderr)
        return r

    try:
        scan = tmp_path / "taxi.pdf"
        scan.write_bytes(PDF)
        out = json.loads(run("budget", "expense", "add", "P1", "--line", str(b["travel"]), "--amount", "18.40",
                             "--description", "Taxi", "--day", "2026-01-08", "--receipt", str(scan), "--json").stdout)  # fmt: skip
        (r,) = out["receipts"]
        assert r["content_type"] == "application/pdf"
        fake = tmp_path / "evil.png"
        fake.write_bytes(b"<?php echo 1; ?>")
        bad = run("budget", "expense", "attach", "P1", str(out["id"]), str(fake), code=1)
        assert "only JPG, PDF, PNG" in bad.stderr and "Traceback" not in bad.output
        saved = tmp_path / "back.pdf"
        run("budget", "expense", "receipt", "P1", str(out["id"]), str(r["id"]), "-o", str(saved))
        assert saved.read_bytes() == PDF
        c = _contract(api, b, as_, start="2020-01-01")
        run("contract", "update", "P1", str(c["id"]), "--value", "1500", "--notice", "2030-09-01")
        listed = json.loads(run("contract", "list", "P1", "--json").stdout)
        assert Decimal(listed[0]["value"]) == Decimal("1500") and listed[0]["notice_date"] == "2030-09-01"
        stale = run("contract", "update", "P1", str(c["id"]), "--value", "1", "--version", "1", code=1)
        assert "changed by someone else" in stale.stderr
        run("contract", "close", "P1", str(c["id"]), "--reason", "ended")
        assert json.loads(run("contract", "list", "P1", "--json").stdout)[0]["status"] == "closed"
        png = tmp_path / "s.png"
        run("evm", "P1", "--as-of", "2030-01-31", "--format", "png", "-o", str(png), "--save-snapshot")
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        trend = ok(
            api.get(f"/projects/{b['p']}/evm/trend", headers=as_("pm"), params={"as_of": "2030-02-28"})
        )
        assert (
            next(m for m in trend["months"] if m["month"] == "2030-01")["ev"] is not None
        )  # the saved point
        ok(api.post(f"/projects/{b['p']}/purchase-requests", headers=as_("task_leader"), json={
            "budget_line_id": b["hw"], "title": "SAN", "amount": "4000"}), 201)  # fmt: skip
        r2 = runner.invoke(app, ["--as", "sponsor", "approvals", "--json"])
        assert r2.exit_code == 0 and [x["title"] for x in json.loads(r2.stdout)["purchase_requests"]] == [
            "SAN"
        ]
        assert "Nothing waits" in run("approvals").stdout
    finally:
        get_settings.cache_clear()


# --------------------------------------------------------------------------------------------- drill-down


def test_line_drill_down_shows_the_records_behind_each_number(api: Any, b: Any, as_: Any) -> None:
    p, pm = b["p"], as_("pm")
    r = ok(api.post(f"/projects/{p}/purchase-requests", headers=as_("task_leader"), json={
        "budget_line_id": b["hw"], "title": "Disks", "amount": "600", "vendor_id": b["vendor"]}), 201)  # fmt: skip
    ok(api.post(f"/projects/{p}/purchase-requests/{r['id']}/approve", headers=pm, json={}))
    o = ok(api.post(f"/projects/{p}/purchase-orders", headers=pm, json={
        "request_id": r["id"], "lines": [{"unit_price": "600"}]}), 201)  # fmt: skip
    ok(api.post(f"/projects/{p}/purchase-orders/{o['id']}/receipts", headers=pm, json={"day": "2026-01-08",
                                                                                       "amount": "400"}), 201)  # fmt: skip
    ok(api.post(f"/projects/{p}/invoices", headers=pm, json={
        "order_id": o["id"], "number": "A-1", "day": "2026-01-09", "amount": "400"}), 201)  # fmt: skip
    ok(api.post(f"/projects/{p}/invoices", headers=pm, json={
        "order_id": o["id"], "number": "A-2", "day": "2026-01-09", "amount": "150"}), 201)  # fmt: skip
    rec = ok(api.get(f"/projects/{p}/budget/lines/{b['hw']}/records", headers=as_("task_leader")))
    assert Decimal(rec["line"]["committed"]) == Decimal("200") and Decimal(rec["line"]["actual"]) == Decimal(
        "400"
    )
    assert Decimal(rec["line"]["held"]) == Decimal("150")
    (order,) = rec["orders"]
    assert Decimal(order["committed"]) == Decimal("200") and Decimal(order["invoiced"]) == Decimal("400")
    assert [(i["number"], i["status"], i["actual"]) for i in rec["invoices"]] == [
        ("A-1", "accepted", True), ("A-2", "held", False)]  # fmt: skip
    # the numbers add up: committed = the orders' committed, actual invoices = the payable invoices
    assert sum(Decimal(x["committed"]) for x in rec["orders"]) == Decimal(rec["line"]["committed"])
    assert sum(Decimal(i["amount"]) for i in rec["invoices"] if i["actual"]) == Decimal(
        rec["line"]["actual_invoices"]
    )
    err(api.get(f"/projects/{p}/budget/lines/{b['hw']}/records", headers=as_("task_leader_b")), 403)
    err(api.get(f"/projects/{p}/budget/lines/{b['hw']}/records", headers=as_("outsider")), 404)
