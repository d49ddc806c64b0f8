"""The worker runs the scheduled checks of the layers above on every pass: a risk whose review date passed
reminds its owner once, however many passes run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from charter.config import get_settings
from charter.notify.worker import from_settings
from charter.persistence.models import Notification
from charter.services import risk, scheduled


def test_risk_review_reminder_is_sent_once(seed: Any, frozen_clock: Any) -> None:
    with seed.db.uow() as s:
        r = risk.create_risk(
            s,
            seed.actor("pm"),
            seed.p1,
            title="Vendor late",
            owner_id=seed.users["task_leader"],
            review_date=(frozen_clock.now - dt.timedelta(days=2)).date(),
        )
    worker = from_settings(seed.db, get_settings(), now=lambda: frozen_clock.now, jobs=scheduled.jobs())
    worker.run_once()
    worker.run_once()
    with seed.db.uow(readonly=True) as s:
        notes = s.scalars(select(Notification).where(Notification.user_id == seed.users["task_leader"])).all()
        reminders = [n for n in notes if "due for review" in n.subject]
        assert len(reminders) == 1, [n.subject for n in notes]
        assert s.scalar(select(func.count()).select_from(Notification)) >= 1
    assert r["id"]
