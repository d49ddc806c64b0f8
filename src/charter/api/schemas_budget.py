"""Request and response bodies of the budget, procurement and earned-value API. Amounts are decimal strings
(or JSON numbers) in the project's currency; responses give them as strings, exact."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import Field

from charter.api.schemas import In, Out, Patch

Amount = Decimal | str


class BudgetLineIn(In):
    category: str = Field(max_length=32)
    name: str = Field(min_length=1, max_length=200)
    amount: Amount
    work_package_id: int | None = None
    description: str = ""


class BudgetLinePatch(Patch):
    nullable: ClassVar[frozenset[str]] = frozenset({"work_package_id"})
    version: int
    category: str | None = Field(None, max_length=32)
    name: str | None = Field(None, max_length=200)
    amount: Amount | None = None
    work_package_id: int | None = None
    description: str | None = None


class BudgetLineOut(Out):
    id: int
    project_id: int
    work_package_id: int | None
    work_package: str | None
    category: str
    name: str
    description: str
    amount: Decimal
    reserve: bool
    budget: Decimal
    committed: Decimal
    actual: Decimal
    actual_invoices: Decimal
    actual_expenses: Decimal
    actual_labour: Decimal
    actual_fixed_costs: Decimal
    held: Decimal
    remaining: Decimal
    version: int


class VersionProposeIn(In):
    note: str = ""


class DecisionIn(In):
    reason: str = Field("", max_length=4000)
    version: int | None = Field(None, description="the request's version as read; a changed request is 409")


class RequestCancelIn(In):
    version: int
    reason: str = Field("", max_length=4000)


class BudgetVersionOut(Out):
    id: int
    project_id: int
    number: int
    status: str
    currency: str
    total: Decimal
    lines: list[dict[str, Any]]
    note: str
    proposed_by: int | None
    proposed_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    reason: str
    version: int


class FixedCostIn(In):
    task_id: int
    description: str = Field(min_length=1, max_length=200)
    amount: Amount
    accrual: str = "prorated"
    budget_line_id: int | None = None


class FixedCostPatch(Patch):
    nullable: ClassVar[frozenset[str]] = frozenset({"budget_line_id"})
    version: int
    task_id: int | None = None
    description: str | None = Field(None, min_length=1, max_length=200)
    amount: Amount | None = None
    accrual: str | None = None
    budget_line_id: int | None = None


class FixedCostOut(Out):
    id: int
    project_id: int
    task_id: int
    task: str
    task_wbs_code: str
    budget_line_id: int | None
    budget_line: str | None
    description: str
    amount: Decimal
    accrual: str
    accrued: Decimal
    version: int


class ExpenseIn(In):
    budget_line_id: int
    day: date
    amount: Amount
    description: str = Field(min_length=1, max_length=4000)


class AttachmentOut(Out):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: int | None
    created_at: datetime


class ExpenseOut(Out):
    id: int
    project_id: int
    budget_line_id: int
    day: date
    amount: Decimal
    description: str
    created_by: int | None
    receipts: list[AttachmentOut]
    version: int


class SnapshotIn(In):
    as_of: date | None = None


# --- procurement ---------------------------------------------------------------------------------------------


class Contact(In):
    name: str = Field(max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=60)


class VendorIn(In):
    name: str = Field(min_length=1, max_length=200)
    contacts: list[Contact] = Field(default_factory=list, max_length=50)
    categories: list[str] = Field(default_factory=list, max_length=20)
    rating: int | None = Field(None, ge=1, le=5)
    notes: str = ""


class VendorPatch(Patch):
    nullable: ClassVar[frozenset[str]] = frozenset({"rating"})
    version: int
    name: str | None = Field(None, max_length=200)
    contacts: list[Contact] | None = Field(None, max_length=50)
    categories: list[str] | None = Field(None, max_length=20)
    rating: int | None = Field(None, ge=1, le=5)
    notes: str | None = None


class VendorOut(Out):
    id: int
    name: str
    contacts: list[dict[str, Any]]
    categories: list[str]
    rating: int | None
    notes: str
    version: int


class RuleIn(In):
    up_to: Amount | None = None
    role_key: str = Field(max_length=40)


class RulesIn(In):
    version: int = Field(description="the rules' version you read (0 before they were first saved)")
    rules: list[RuleIn] = Field(max_length=10)


class RuleOut(Out):
    up_to: Decimal | None
    role_key: str


class RulesOut(Out):
    rules: list[RuleOut]
    default_approver: str | None
    version: int


class RequestIn(In):
    budget_line_id: int
    title: str = Field(min_length=1, max_length=200)
    amount: Amount
    description: str = ""
    vendor_id: int | None = None


class RequestOut(Out):
    id: int
    project_id: int
    budget_line_id: int
    vendor_id: int | None
    title: str
    description: str
    amount: Decimal
    status: str
    approver_role: str
    rule: str
    over_budget: bool
    requested_by: int | None
    requested_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    reason: str
    version: int
    warnings: list[str] = []
    line_remaining: Decimal | None = None


class OrderLineIn(In):
    description: str = Field("", max_length=300)
    quantity: Decimal = Field(Decimal(1), gt=0, max_digits=18, decimal_places=4)
    unit_price: Amount


class OrderIn(In):
    request_id: int
    vendor_id: int | None = None
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    expected_delivery: date | None = None


class OrderStatusIn(In):
    version: int
    status: str = Field(max_length=12)


class OrderLineOut(Out):
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class OrderOut(Out):
    id: int
    project_id: int
    number: str
    request_id: int | None
    vendor_id: int
    budget_line_id: int
    status: str
    expected_delivery: date | None
    total: Decimal
    received: Decimal
    invoiced: Decimal
    committed: Decimal
    lines: list[OrderLineOut]
    created_at: datetime
    version: int


class ReceiptIn(In):
    day: date
    amount: Amount | None = None
    note: str = ""


class InvoiceIn(In):
    order_id: int
    number: str = Field(min_length=1, max_length=60)
    day: date
    amount: Amount


class InvoiceDecisionIn(In):
    reason: str = Field(min_length=1, max_length=4000)
    version: int | None = Field(None, description="the invoice's version as read; a changed invoice is 409")


class InvoiceOut(Out):
    id: int
    project_id: int
    order_id: int
    number: str
    day: date
    amount: Decimal
    status: str
    hold_reasons: list[str]
    reason: str
    created_by: int | None = None  # who registered it: they do not release it
    version: int


class ContractIn(In):
    vendor_id: int
    title: str = Field(min_length=1, max_length=200)
    kind: str = Field(max_length=24)
    value: Amount
    start: date
    end: date | None = None
    renewal_date: date | None = None
    notice_date: date | None = None
    order_id: int | None = None
    notes: str = ""


class ContractOut(Out):
    id: int
    project_id: int
    vendor_id: int
    order_id: int | None
    title: str
    kind: str
    value: Decimal
    start: date
    end: date | None
    renewal_date: date | None
    notice_date: date | None
    notes: str
    status: str
    closed_on: date | None
    closed_reason: str
    version: int


class ContractPatch(Patch):
    nullable: ClassVar[frozenset[str]] = frozenset({"end", "renewal_date", "notice_date", "order_id"})
    version: int
    title: str | None = Field(None, min_length=1, max_length=200)
    kind: str | None = Field(None, max_length=24)
    value: Amount | None = None
    start: date | None = None
    end: date | None = None
    renewal_date: date | None = None
    notice_date: date | None = None
    order_id: int | None = None
    notes: str | None = Field(None, max_length=4000)


class ContractCloseIn(In):
    version: int
    day: date | None = None
    reason: str = Field("", max_length=2000)


class ApprovalsOut(Out):
    """Everything waiting for the caller's decision, across their projects."""

    purchase_requests: list[dict[str, Any]]
    budget_versions: list[dict[str, Any]]
    invoices: list[dict[str, Any]]
    timesheets: list[dict[str, Any]]
    count: int
