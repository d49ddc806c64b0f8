"""The purchase flow in real Chromium: a Task Leader raises a purchase request above the PM's approval limit;
the Sponsor finds it under "Approvals waiting for me" and approves it; the PM issues the purchase order,
records a partial receipt, and enters one invoice that matches and one that does not (held); the budget line
shows the money moving from committed to actual, with the held amount kept out of actual."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from charter.services import accounts, budget, procurement

PASSWORD = "browser-purchase-pass"


def _world(db, world_builder):  # type: ignore[no-untyped-def]
    w = world_builder(db)
    admin = w.actor("admin")
    with db.uow() as s:
        for name in ("pm", "task_leader", "sponsor"):
            u = accounts.get_user(s, admin, w.users[name])
            accounts.update_user(s, admin, u["id"], u["version"], password=PASSWORD)
        line = budget.create_line(s, w.actor("pm"), w.p1, category="hardware", name="Servers", amount="10000",
                                  work_package_id=w.wp_a)["id"]  # fmt: skip
        procurement.set_rules(s, w.actor("sponsor"), w.p1, 0, [
            {"up_to": "1000.00", "role_key": "project_manager"}, {"up_to": None, "role_key": "sponsor"}])  # fmt: skip
        vendor = procurement.create_vendor(s, w.actor("pm"), name="Acme Hardware")["id"]
    return w, line, vendor


def _login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Your (desk|projects)$"))).to_be_visible()


def test_purchase_request_to_invoices_updates_the_budget(page: Page, live_server, world_builder) -> None:  # type: ignore[no-untyped-def]
    w, line, vendor = _world(live_server.db, world_builder)
    base, p = live_server.url, w.p1
    procurement_url = f"{base}/projects/{p}/procurement"

    # 1. the Task Leader of WP-A raises 4 000 against the WP-A line: above the PM's 1 000, so the Sponsor decides
    _login(page, base, "task-leader")
    page.goto(procurement_url)
    page.locator("#raise summary").click()
    form = page.locator("#request-form")
    form.get_by_label("Budget line").select_option(str(line))
    form.get_by_label("Title").fill("Two rack servers")
    form.get_by_label("Amount").fill("4000")
    form.get_by_label("Vendor").select_option(str(vendor))
    form.get_by_role("button", name="Raise request").click()
    row = page.locator("#requests-table tbody tr").filter(has_text="Two rack servers")
    expect(row).to_contain_text("Submitted")
    expect(row).to_contain_text("Sponsor")

    # 2. the Sponsor sees it waiting and approves it from "Approvals waiting for me"
    _login(page, base, "sponsor")
    page.goto(f"{base}/me/approvals")
    waiting = page.locator("#waiting-requests tbody tr").filter(has_text="Two rack servers")
    expect(waiting).to_contain_text("4\u202f000")  # thousands set apart (money.grouped)
    waiting.get_by_label("Reason").fill("capacity plan agreed")
    waiting.get_by_role("button", name="Approve").click()
    expect(page).to_have_url(re.compile(r"/me/approvals"))
    expect(page.locator("#nothing-waiting")).to_be_visible()

    # 3. the PM issues the purchase order from the approved request
    _login(page, base, "pm")
    page.goto(procurement_url)
    row = page.locator("#requests-table tbody tr").filter(has_text="Two rack servers")
    expect(row).to_contain_text("Approved")
    row.locator("details.place-order summary").click()
    order_form = row.locator("form")
    order_form.get_by_label("Quantity").fill("2")
    order_form.get_by_label("Unit price").fill("2000")
    order_form.get_by_role("button", name="Issue purchase order").click()
    order = page.locator("#orders-table tbody tr").filter(has_text="PO-P1-0001")
    expect(order).to_contain_text("Acme Hardware")
    expect(order).to_contain_text("4\u202f000")

    page.goto(f"{base}/projects/{p}/budget")
    servers = page.locator(f"#budget-table tr[data-line='{line}']")
    expect(servers.locator(".col-committed")).to_have_text("4\u202f000.00")
    expect(servers.locator(".col-actual")).to_have_text("0.00")

    # 4. one server arrives: a receipt of 2 000
    page.goto(procurement_url)
    order = page.locator("#orders-table tbody tr").filter(has_text="PO-P1-0001")
    order.get_by_label("Amount").fill("2000")
    order.get_by_role("button", name="Record receipt").click()
    expect(page.locator("#orders-table tbody tr").filter(has_text="PO-P1-0001")).to_contain_text("2\u202f000")

    # 5. an invoice for what was received matches; a second one beyond the receipt is held
    for number, amount in (("INV-100", "2000"), ("INV-101", "1500")):
        page.locator("#register-invoice summary").click()
        inv = page.locator("#register-invoice form")
        inv.get_by_label("Invoice number").fill(number)
        inv.get_by_label("Amount").fill(amount)
        inv.get_by_role("button", name="Register invoice").click()
        expect(page.locator("#invoices-table")).to_contain_text(number)
    expect(page.locator("#invoices-table tr").filter(has_text="INV-100")).to_contain_text("Accepted")
    held = page.locator("#invoices-table tr").filter(has_text="INV-101")
    expect(held).to_have_class("held")
    expect(held).to_contain_text("Held")

    # the held invoice waits for a decision by another approver than the PM who registered it (the Sponsor)
    page.goto(f"{base}/me/approvals")
    expect(page.get_by_text("INV-101")).to_have_count(0)
    _login(page, base, "sponsor")
    page.goto(f"{base}/me/approvals")
    expect(page.locator("#waiting-invoices")).to_contain_text("INV-101")
    _login(page, base, "pm")

    # 6. the budget line: 2 000 actual (the matched invoice), 2 000 still committed, the held 1 500 in neither
    page.goto(f"{base}/projects/{p}/budget")
    servers = page.locator(f"#budget-table tr[data-line='{line}']")
    expect(servers.locator(".col-committed")).to_have_text("2\u202f000.00")
    expect(servers.locator(".col-actual")).to_have_text("2\u202f000.00")
    expect(servers.locator(".col-remaining")).to_have_text("6\u202f000.00")
