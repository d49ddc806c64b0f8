"""Projects and their charter."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from charter.domain.errors import ValidationError


class ProjectStatus(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Phase(StrEnum):
    INITIATION = "initiation"
    PLANNING = "planning"
    EXECUTION = "execution"
    MONITORING = "monitoring_and_control"
    CLOSING = "closing"
    OPERATIONS = "post_project_operations"


KEY_RE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")

# ISO 4217 minor units of the currencies Charter knows; money is Decimal quantised to these.
CURRENCY_MINOR_UNITS: dict[str, int] = {
    "USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2,
    "CZK": 2, "INR": 2, "CNY": 2, "BRL": 2, "MXN": 2, "ZAR": 2, "NZD": 2, "SGD": 2, "HKD": 2,
    "JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0,
    "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3,
}  # fmt: skip


def check_key(key: str) -> str:
    if not KEY_RE.match(key):
        raise ValidationError(
            "project key must be 2-10 capital letters or digits, starting with a letter (e.g. CRM)",
            field="key",
        )
    return key


def check_currency(code: str) -> str:
    if code not in CURRENCY_MINOR_UNITS:
        raise ValidationError(f"unknown currency {code!r}", field="currency")
    return code


def check_dates(start: date | None, target: date | None) -> None:
    if start and target and target < start:
        raise ValidationError("the target date is before the start date", field="target_date")
