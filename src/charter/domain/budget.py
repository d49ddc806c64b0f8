"""Budget lines (cost accounts) and budget versions.

The cost baseline is the latest approved budget version. Earned value measures performance against the
performance measurement baseline: the cost baseline without the reserves (contingency and management
reserves carry no work, so no value can be earned on them); the reserves are reported beside it.
"""

from __future__ import annotations

from enum import StrEnum

from charter.domain.errors import Conflict, ValidationError


class Category(StrEnum):
    LABOUR = "labour"
    HARDWARE = "hardware"
    SOFTWARE_LICENCES = "software_licences"
    CLOUD_SERVICES = "cloud_services"
    TRAVEL = "travel"
    TRAINING = "training"
    CONTINGENCY_RESERVE = "contingency_reserve"
    MANAGEMENT_RESERVE = "management_reserve"


RESERVES: frozenset[Category] = frozenset({Category.CONTINGENCY_RESERVE, Category.MANAGEMENT_RESERVE})


class VersionStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"


class Accrual(StrEnum):
    START = "start"
    PRORATED = "prorated"
    END = "end"


def parse_category(value: str, field: str = "category") -> Category:
    try:
        return Category(value)
    except ValueError:
        known = ", ".join(c.value for c in Category)
        raise ValidationError(f"unknown category {value!r}; use one of {known}", field=field) from None


def parse_accrual(value: str, field: str = "accrual") -> Accrual:
    try:
        return Accrual(value)
    except ValueError:
        raise ValidationError("accrual is start, prorated or end", field=field) from None


def check_decision(status: str, reason: str | None, *, rejecting: bool) -> None:
    """Only a proposed version is decided; a rejection says why."""
    if status != VersionStatus.PROPOSED:
        raise Conflict(f"the version is {status}; only a proposed version can be decided", field="status")
    if rejecting and not (reason or "").strip():
        raise ValidationError("say why the version is rejected", field="reason")


def accrued_fraction(accrual: Accrual, percent_complete: float) -> float:
    """How much of a fixed cost has been incurred at a task's progress."""
    if accrual is Accrual.START:
        return 1.0 if percent_complete > 0 else 0.0
    if accrual is Accrual.END:
        return 1.0 if percent_complete >= 100 else 0.0
    return max(0.0, min(100.0, percent_complete)) / 100.0
