"""The demo's history as a whole: seeded at dawn nothing is dated after the moment it was made, and its journal
lists in time order (the areas' events are merged into one timeline)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from charter.persistence.db import Database
from charter.persistence.models import JournalEntry
from charter.services import demo, journal


def test_a_demo_seeded_at_dawn_has_no_future_and_a_journal_in_time_order(
    db: Database, frozen_clock: Any
) -> None:
    started = frozen_clock.set(datetime(2027, 3, 3, 5, 0, tzinfo=UTC))  # a Wednesday, before the day's events
    assert demo.seed(db)["created"]
    with db.uow(readonly=True) as s:
        rows = s.execute(select(JournalEntry.id, JournalEntry.at).order_by(JournalEntry.id)).all()
    ats = [at.replace(tzinfo=UTC) if at.tzinfo is None else at for _id, at in rows]
    assert len(ats) > 500  # every area's history is there
    assert max(ats) <= started
    # an event may span days (a question asked, answered three days later) while the next event starts
    # earlier: the journal lists by time, so it reads in time order all the same
    with db.uow(readonly=True) as s:
        listed = journal.entries(s, project_id=1, limit=2000)
    assert len(listed) > 300
    assert [e["at"] for e in listed] == sorted((e["at"] for e in listed), reverse=True)
    assert not demo.seed(db)["created"]  # a second run changes nothing
