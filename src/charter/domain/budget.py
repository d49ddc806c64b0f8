"""Budget lines (cost accounts) and budget versions.

The cost baseline is the latest approved budget version. Earned value measures performance against the
performance measurement baseline: the cost baseline without the reserves (contingency and management
reserves carry no work, so no value can be earned on them); the reserves are reported beside it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from charter.domain.errors import Conflict, ValidationError


class Category(StrEnum):
    LABOUR = "labour"
    HARDWARE = "hardware"
    SOFTWARE_LICENCES = "software_licences"
    CLOUD_SERVICES = "cloud_services"
    CONTRACTORS = (
        "contractors"  # external people and services, invoiced by a vendor (labour is own staff's hours)
    )
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


def accrued_fraction_on(
    accrual: Accrual, percent_complete: float, start: dt.date | None, finish: dt.date | None,
    until: dt.date, today: dt.date,
) -> float:  # fmt: skip
    """How much of a fixed cost had been incurred by the end of `until`, from the task's progress today and
    its dates (actual, else scheduled). At start: once the task has started, from its start day on. At end:
    once it is complete, from its finish day on. Pro rata: today's progress is taken to have been made evenly
    from the start until the finish (a finished task) or today; later days (and a task without a start) have
    today's fraction."""
    now_frac = accrued_fraction(accrual, percent_complete)
    if until >= today or now_frac == 0.0 or start is None:
        return now_frac
    if until < start:
        return 0.0
    if accrual is Accrual.START:
        return now_frac
    if accrual is Accrual.END:
        return now_frac if finish is None or finish <= until else 0.0
    done = percent_complete >= 100 and finish is not None
    reached = min(finish, today) if done and finish is not None else today
    if until >= reached or reached <= start:
        return now_frac
    return now_frac * ((until - start).days + 1) / ((reached - start).days + 1)
