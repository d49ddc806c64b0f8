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


def _conflict_escalations(s: Session, at: dt.datetime) -> Any:
    from charter.services import conflicts

    return conflicts.due_escalations(s, at)


def _conflict_detection(s: Session, at: dt.datetime) -> Any:
    from charter.services import conflict_detect

    return conflict_detect.due_detection(s, at)


def _status_reports(s: Session, at: dt.datetime) -> Any:
    from charter.services import reports

    return reports.scheduled_drafts(s, at)


def _contract_dates(s: Session, at: dt.datetime) -> Any:
    from charter.services import procurement

    return procurement.due_contract_reminders(s, at)


def _comm_plan_overdue(s: Session, at: dt.datetime) -> Any:
    from charter.services import comm_plan

    return comm_plan.due_overdue_flags(s, at)


def _stale_simulations(s: Session, at: dt.datetime) -> Any:
    from charter.services import simulation

    return simulation.sweep_stale_runs(s, at)


def _outbox_compaction(s: Session, at: dt.datetime) -> Any:
    from charter.services import notifications
    from charter.services.context import SYSTEM

    return notifications.compact_outbox(s, SYSTEM)


def jobs() -> list[Callable[[Session, dt.datetime], Any]]:
    """Risk review reminders, technology end-of-life / expiry alerts, the conflict ladder's automatic
    escalations, the conflict detectors, the status-report drafts for the period just ended (with a
    reminder to the PM), contract notice and renewal dates, overdue communication-plan entries (to their
    owner and the PM), the sweep that fails Monte Carlo runs whose
    process stopped, and the outbox's compaction (a batch of old deliveries' text per pass)."""
    return [
        _risk_reviews,
        _technology_alerts,
        _conflict_escalations,
        _conflict_detection,
        _status_reports,
        _contract_dates,
        _comm_plan_overdue,
        _stale_simulations,
        _outbox_compaction,
    ]


def attachment_resolvers() -> dict[str, Callable[[Session, dict[str, Any]], Any]]:
    """What the worker needs to turn the outbox's attachment references into files (the published status
    report's PDF)."""
    from charter.services import reports

    return {reports.PDF_ATTACHMENT: reports.pdf_attachment}
