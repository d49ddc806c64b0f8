"""Procurement rules: who approves a purchase request, purchase-order states and the three-way match.

Approval rules are ordered thresholds: a request of amount A goes to the first rule whose `up_to` is at least
A (a rule without `up_to` takes any amount). A request that would take its budget line over its remaining
budget needs the highest approver (the last rule's role). Without rules, the Sponsor approves every request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from charter.domain.dates import FUTURE_GRACE as FUTURE_GRACE  # re-exported: procurement's dates
from charter.domain.dates import check_not_future as check_not_future
from charter.domain.errors import Conflict, ValidationError
from charter.domain.money import fmt_money

DEFAULT_APPROVER = "sponsor"
APPROVER_ROLES = ("project_manager", "sponsor")


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    ORDERED = "ordered"
    CANCELLED = "cancelled"


class OrderStatus(StrEnum):
    OPEN = "open"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


OPEN_ORDER_STATES = frozenset({OrderStatus.OPEN, OrderStatus.RECEIVED})


class InvoiceStatus(StrEnum):
    ACCEPTED = "accepted"
    HELD = "held"
    RELEASED = "released"
    REJECTED = "rejected"


PAYABLE = frozenset({InvoiceStatus.ACCEPTED, InvoiceStatus.RELEASED})


class ContractKind(StrEnum):
    FIXED_PRICE = "fixed_price"
    TIME_AND_MATERIALS = "time_and_materials"
    SUBSCRIPTION = "subscription"


class ContractStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


# how far ahead a running contract's notice and renewal dates are reminded to the PM
REMINDER_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Rule:
    up_to: Decimal | None
    role_key: str


@dataclass(frozen=True)
class Routing:
    role_key: str
    rule: str  # the rule in words, journaled with the decision
    over_budget: bool


# The longest texts the tables keep (the API's schemas say the same): a longer one is refused, never cut.
TITLE_MAX = 200  # a request's or a contract's title, a vendor's name
INVOICE_NUMBER_MAX = 60


def text(value: str | None, limit: int, field: str, what: str) -> str:
    """A required text of 1 to `limit` characters (after trimming), else a ValidationError naming `field`."""
    t = (value or "").strip()
    if not t:
        raise ValidationError(f"{what} is needed", field=field)
    if len(t) > limit:
        raise ValidationError(f"{what} has {len(t)} characters; at most {limit}", field=field)
    return t


def invoice_key(number: str) -> str:
    """An invoice number as compared for duplicates: trimmed, case and inner spacing ignored."""
    return "".join(number.split()).casefold()


def check_rules(rules: Sequence[Rule]) -> None:
    last: Decimal | None = None
    for i, r in enumerate(rules):
        if r.role_key not in APPROVER_ROLES:
            raise ValidationError(
                f"rule {i + 1}: the approver is one of {', '.join(APPROVER_ROLES)}", field="role_key"
            )
        if r.up_to is not None and r.up_to < 0:
            raise ValidationError(f"rule {i + 1}: up_to cannot be negative", field="up_to")
        if last is None and i > 0:
            raise ValidationError(f"rule {i + 1} follows a rule without a limit", field="up_to")
        if r.up_to is not None and last is not None and r.up_to <= last:
            raise ValidationError(f"rule {i + 1}: limits must increase", field="up_to")
        last = r.up_to


def route(rules: Sequence[Rule], amount: Decimal, remaining: Decimal, currency: str) -> Routing:
    """Which role approves a request of `amount` against a line with `remaining` budget, and why."""
    over = amount > remaining
    if not rules:
        why = f"no approval rules: the {DEFAULT_APPROVER} approves every request"
        return Routing(DEFAULT_APPROVER, why, over)
    top = rules[-1].role_key
    if over:
        why = (
            f"{fmt_money(amount, currency)} exceeds the line's remaining budget of "
            f"{fmt_money(remaining, currency)}: needs the {_said(top)}"
        )
        return Routing(top, why, True)
    for r in rules:
        if r.up_to is None or amount <= r.up_to:
            limit = "any amount" if r.up_to is None else f"up to {fmt_money(r.up_to, currency)}"
            return Routing(r.role_key, f"{_said(r.role_key)} approves {limit}", False)
    return Routing(top, f"{fmt_money(amount, currency)} is above every limit: needs the {_said(top)}", False)


def _said(role_key: str) -> str:
    """A role as the rule's text names it to people: "project manager", not "project_manager"."""
    return role_key.replace("_", " ")


def escalate(routing: Routing, requester_roles: set[str]) -> Routing:
    """Separation of duties: no one approves their own request. When the requester holds the role the rules
    name, the request goes to the next approver up (APPROVER_ROLES is in ascending order) that the requester
    does not hold; with no such role it stays (another holder of the role decides)."""
    if routing.role_key not in requester_roles or routing.role_key not in APPROVER_ROLES:
        return routing
    for role in APPROVER_ROLES[APPROVER_ROLES.index(routing.role_key) + 1 :]:
        if role not in requester_roles:
            why = (
                f"{routing.rule}; raised by the {_said(routing.role_key)}, so it goes to the next approver up: "
                f"the {_said(role)}"
            )
            return Routing(role, why, routing.over_budget)
    return routing


def match_invoice(
    order_total: Decimal, received: Decimal, invoiced_before: Decimal, amount: Decimal, currency: str
) -> list[str]:
    """Three-way match of an invoice against its order and the receipts: the reasons to hold it (empty: it
    matches). `invoiced_before` is what earlier payable invoices of the order already claim."""
    reasons: list[str] = []
    claimed = invoiced_before + amount
    if received <= 0:
        reasons.append("nothing has been received against the order")
    elif claimed > received:
        reasons.append(
            f"invoiced {fmt_money(claimed, currency)} exceeds the {fmt_money(received, currency)} received"
        )
    if claimed > order_total:
        reasons.append(
            f"invoiced {fmt_money(claimed, currency)} exceeds the order's {fmt_money(order_total, currency)}"
        )
    return reasons


def check_order_open(status: str) -> None:
    if status not in OPEN_ORDER_STATES:
        raise Conflict(f"the order is {status}", field="status")


def check_expected_delivery(day: date, today: date) -> None:
    """An order's expected delivery as it is placed: not a day already past (a day's grace for time zones),
    which made the order late from the moment it was placed. An order whose date has passed since is kept."""
    if day < today - FUTURE_GRACE:
        raise ValidationError(
            f"the expected delivery {day.isoformat()} is already past", field="expected_delivery"
        )


def check_contract_dates(start: date, end: date | None, renewal: date | None, notice: date | None) -> None:
    if end is not None and end < start:
        raise ValidationError("the contract ends before it starts", field="end")
    if notice is not None and renewal is not None and notice > renewal:
        raise ValidationError("the notice date falls after the renewal date", field="notice_date")
