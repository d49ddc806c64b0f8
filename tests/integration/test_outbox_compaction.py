"""The outbox's delivered messages are compacted after CHARTER_OUTBOX_KEEP_DAYS (90): their text goes, their
row stays with its kind and subject. The row is what keeps notify() from sending an event twice, and what
the webhook delivery list shows. Pending, sending and failed rows keep everything. The worker compacts a
batch on every pass; `charter notify compact` does it all at once (admins)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, update

from charter.domain.errors import PermissionDenied
from charter.persistence.models import OutboxMessage
from charter.services import notifications, scheduled
from charter.services import webhooks as webhook_admin
from charter.services.context import SYSTEM

URL = "https://93.184.215.14/hook"


def _rows(seed: Any) -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        return {
            f"{m.event_key}|{m.channel}": SimpleNamespace(payload=m.payload, compacted_at=m.compacted_at)
            for m in s.scalars(select(OutboxMessage))
        }


def _notify(seed: Any, key: str) -> dict[str, int]:
    with seed.db.uow() as s:
        return notifications.notify(
            s, recipients=[seed.users["worker"]], kind="risk.review", subject=f"Review {key}",
            body="The long text of the reminder " * 20, project_id=seed.p1, link="/projects/1/risks",
            event_key=key,
        )  # fmt: skip


def _sent(seed: Any, key: str, days_ago: float, status: str = "sent") -> None:
    with seed.db.uow() as s:
        at = notifications.now() - timedelta(days=days_ago)
        s.execute(update(OutboxMessage).where(OutboxMessage.event_key == key)
                  .values(status=status, sent_at=at if status == "sent" else None))  # fmt: skip


@pytest.fixture
def outbox(seed: Any, frozen_clock: Any) -> Any:
    with seed.db.uow() as s:
        hook = webhook_admin.create_webhook(s, seed.actor("pm"), seed.p1, url=URL, events=["risk.review"])
    for key in ("old", "recent", "old-failed", "old-pending"):
        counts = _notify(seed, key)
        assert counts["email"] == 1 and counts["webhook"] == 1, counts
    _sent(seed, "old", 91)
    _sent(seed, "recent", 10)
    _sent(seed, "old-failed", 91, status="failed")
    return hook


def test_old_deliveries_lose_their_text_and_keep_kind_and_subject(seed: Any, outbox: Any) -> None:
    with seed.db.uow() as s:
        out = notifications.compact_outbox(s, seed.actor("admin"))
    assert out["compacted"] == 2  # the e-mail and the webhook event of "old"
    rows = _rows(seed)
    assert rows["old|email"].payload == {"kind": "risk.review", "subject": "Review old",
                                         "user_id": seed.users["worker"]}  # fmt: skip
    assert rows["old|webhook"].payload["event"]["subject"] == "Review old"
    assert "body" not in rows["old|webhook"].payload["event"] and rows["old|email"].compacted_at is not None
    for key in ("recent", "old-failed", "old-pending"):  # too recent, or not delivered: untouched
        for channel in ("email", "webhook"):
            row = rows[f"{key}|{channel}"]
            assert row.compacted_at is None and "long text" in str(row.payload), (key, channel)
    # the row still stops the same event from being sent again
    assert _notify(seed, "old") == {"inbox": 0, "email": 0, "webhook": 0}
    # and the webhook's delivery list still says what was sent
    with seed.db.uow(readonly=True) as s:
        listed = webhook_admin.webhook_deliveries(s, seed.actor("pm"), seed.p1, outbox["id"])
    assert {(d["kind"], d["subject"]) for d in listed} >= {("risk.review", "Review old")}
    with seed.db.uow() as s:  # done once
        assert notifications.compact_outbox(s, seed.actor("admin"))["compacted"] == 0


def test_the_age_is_a_setting_and_zero_keeps_everything(seed: Any, outbox: Any) -> None:
    with seed.db.uow() as s:
        assert notifications.compact_outbox(s, SYSTEM, older_than_days=0) == {
            "compacted": 0,
            "before": None,
            "more": False,
        }
        assert notifications.compact_outbox(s, SYSTEM, older_than_days=5)["compacted"] == 4  # "recent" too
    with seed.db.uow() as s, pytest.raises(PermissionDenied):
        notifications.compact_outbox(s, seed.actor("pm"))


def test_the_worker_compacts_a_batch_on_each_pass(seed: Any, outbox: Any) -> None:
    (job,) = [j for j in scheduled.jobs() if j.__name__ == "_outbox_compaction"]
    with seed.db.uow() as s:
        job(s, notifications.now())
    assert _rows(seed)["old|email"].compacted_at is not None
    with seed.db.uow() as s:  # a batch at a time
        assert notifications.compact_outbox(s, SYSTEM, older_than_days=5, batch=1)["compacted"] == 1


def test_cli_compacts_everything_old_and_says_how_much(seed: Any, outbox: Any, cli: Any) -> None:
    r = cli("notify", "compact", who="pm", code=1)
    assert "only an instance admin" in r.stderr + r.stdout
    r = cli("notify", "compact", who="admin")
    assert "Compacted 2 deliveries sent before 2029-10-09" in r.stdout, r.stdout
    r = cli("notify", "compact", "--older-than", "5", who="admin")  # the recent ones (the old are done)
    assert "Compacted 2 deliveries sent before 2030-01-02 09:00 UTC." in r.stdout, r.stdout
    assert "CHARTER_OUTBOX_KEEP_DAYS" in cli("notify", "compact", "--help").stdout


def test_api_compacts_a_batch_and_says_if_more_are_left(seed: Any, outbox: Any, api: Any) -> None:
    r = api.post("/outbox/compact", headers=seed.headers("pm"))
    assert r.status_code == 403, r.text
    r = api.post("/outbox/compact", params={"older_than_days": 5, "limit": 3}, headers=seed.headers("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["compacted"] == 3 and r.json()["more"] is True
    assert r.json()["before"].startswith("2030-01-02T09:00:00")
    r = api.post("/outbox/compact", params={"older_than_days": 5}, headers=seed.headers("admin"))
    assert r.json()["compacted"] == 1 and r.json()["more"] is False
    r = api.post("/outbox/compact", params={"older_than_days": 0}, headers=seed.headers("admin"))
    assert r.status_code == 422 and r.json()["error"]["field"] == "older_than_days", r.text
