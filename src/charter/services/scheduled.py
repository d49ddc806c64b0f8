"""The scheduled checks the worker runs on every pass (each idempotent through notify()'s event keys)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session


def _risk_reviews(s: Session, at: dt.datetime) -> Any:
    from charter.services import risk

    return risk.due_reminders(s, at)


def _technology_alerts(s: Session, at: dt.datetime) -> Any:
    from charter.services import tech

    return tech.due_alerts(s, at)


def _contract_dates(s: Session, at: dt.datetime) -> Any:
    from charter.services import procurement

    return procurement.due_contract_reminders(s, at)


def jobs() -> list[Callable[[Session, dt.datetime], Any]]:
    """Risk review reminders, technology end-of-life / expiry alerts, contract notice and renewal dates."""
    return [_risk_reviews, _technology_alerts, _contract_dates]
