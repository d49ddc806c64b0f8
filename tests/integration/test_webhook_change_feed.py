"""The change feed: webhooks subscribed to `change.*` or `change.<entity_type>` are sent every journal entry of
their project (entity, action, {field: [before, after]}, cause, actor), in the change's own transaction; a
webhook without events is not; the hooks are read once per use-case however many rows it journals."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import event, func, select

from charter.domain.errors import ValidationError
from charter.notify import email as mail
from charter.notify import worker as worker_module
from charter.notify.worker import Worker
from charter.persistence.models import JournalEntry, OutboxMessage, Task, Webhook
from charter.services import risk, tasks
from charter.services import webhooks as webhook_admin
from charter.services.context import now
from webhelpers import csrf_of, signed_in

World = Any
URL = "https://93.184.215.14/hook"


def _hook(w: World, events: list[str] | None = None, *, project: int | None = None, **kw: Any) -> int:
    who = "pm" if project is None else "outsider"
    with w.db.uow() as s:
        return int(
            webhook_admin.create_webhook(s, w.actor(who), project or w.p1, url=URL, events=events, **kw)["id"]
        )


def _sent(w: World, hook_id: int, entity_type: str | None = None) -> list[dict[str, Any]]:
    """The change events queued to a hook (of one entity type), oldest first."""
    with w.db.uow(readonly=True) as s:
        events = [
            p["event"]
            for p in s.scalars(
                select(OutboxMessage.payload)
                .where(OutboxMessage.recipient == f"webhook:{hook_id}", OutboxMessage.channel == "webhook")
                .order_by(OutboxMessage.id)
            )
        ]
    return [e for e in events if e["kind"].startswith("change.") and entity_type in (None, e["entity_type"])]


def _rename_task(w: World, key: str, name: str, who: str = "pm", project: int | None = None) -> None:
    with w.db.uow() as s:
        t = s.get(Task, w.tasks[key])
        tasks.update_task(s, w.actor(who), project or w.p1, t.id, t.version, name=name)


def _rename_risk(w: World) -> int:
    with w.db.uow() as s:
        r = risk.create_risk(s, w.actor("pm"), w.p1, title="Vendor late")
    with w.db.uow() as s:
        risk.update_risk(s, w.actor("pm"), w.p1, r["id"], r["version"], title="Vendor very late")
    return int(r["id"])


def test_a_task_hook_gets_the_task_change_with_its_fields_and_not_a_risk_change(
    seed: World, frozen_clock: Any
) -> None:
    hook = _hook(seed, ["change.task"])
    with seed.db.uow(readonly=True) as s:
        old = s.get(Task, seed.tasks["a"]).name
    _rename_task(seed, "a", "Renamed A")
    _rename_risk(seed)
    [ev] = _sent(seed, hook)
    assert ev["kind"] == "change.task" and ev["entity_type"] == "task" and ev["action"] == "update"
    assert ev["entity_id"] == str(seed.tasks["a"]) and ev["changes"]["name"] == [old, "Renamed A"]
    assert (ev["project_id"], ev["project_key"], ev["actor"]) == (seed.p1, "P1", "pm")
    assert ev["at"] == now().isoformat() and ev["event_key"].startswith("change:")
    with seed.db.uow(readonly=True) as s:  # what the journal recorded, nothing more
        entry = s.scalars(
            select(JournalEntry)
            .where(JournalEntry.entity_type == "task", JournalEntry.entity_id == str(seed.tasks["a"]))
            .order_by(JournalEntry.id.desc())
        ).first()
        assert entry is not None
        assert ev["changes"] == entry.changes and ev["cause"] == entry.cause
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.recipient == f"webhook:{hook}")).one()
        assert row.status == "pending" and row.payload["webhook_id"] == hook
        assert row.journal_entry_id == entry.id  # filled in at the flush: the entry had no id when queued


def test_every_change_hook_gets_tasks_and_risks_and_the_worker_posts_the_event(
    seed: World, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = _hook(seed, ["change.*"])
    _rename_task(seed, "a", "Renamed A")
    risk_id = _rename_risk(seed)
    got = _sent(seed, hook)
    kinds = [(e["kind"], e["action"]) for e in got]
    assert ("change.task", "update") in kinds and ("change.risk", "create") in kinds
    [update] = [e for e in got if e["kind"] == "change.risk" and e["action"] == "update"]
    assert update["entity_id"] == str(risk_id) and update["changes"]["title"] == [
        "Vendor late",
        "Vendor very late",
    ]
    assert len({e["event_key"] for e in got}) == len(got)
    posted: list[dict[str, Any]] = []

    def capture(url: str, secret: str, payload: dict[str, Any], **kw: Any) -> int:
        posted.append(payload)
        return 200

    monkeypatch.setattr(worker_module.webhooks, "deliver", capture)
    Worker(db=seed.db, smtp=mail.SmtpConfig(host=""), allow_hosts=frozenset(), now=now).run_once()
    assert sorted(p["event_key"] for p in posted) == sorted(e["event_key"] for e in got)
    # each event names its journal entry, the `id` that GET …/journal shows for that change
    with seed.db.uow(readonly=True) as s:
        entries = {
            e.id: (e.entity_type, e.entity_id, e.action, e.changes)
            for e in s.scalars(select(JournalEntry).where(JournalEntry.project_id == seed.p1))
        }
    for p in posted:
        assert entries[p["journal_id"]] == (p["entity_type"], p["entity_id"], p["action"], p["changes"])
    assert len({p["journal_id"] for p in posted}) == len(posted)


def test_every_change_leaves_out_what_the_journal_shows_only_the_pm_unless_named(seed: World) -> None:
    from charter.services import change_feed, journal
    from charter.services.comms_common import THREAD_JOURNAL_TYPES
    from charter.services.conflict_ladder import ENTITY

    assert {*THREAD_JOURNAL_TYPES, ENTITY} == change_feed.CONFIDENTIAL  # the journal's own list, in step
    every, named = _hook(seed, ["change.*"]), _hook(seed, ["change.conflict", "change.comm_message"])
    with seed.db.uow() as s:  # a conflict's and a thread's records: the project-wide journal hides them
        for kind in ("conflict", "comm_message", "comm_item"):
            journal.record(s, seed.actor("pm"), entity_type=kind, entity_id=1, action="create",
                           after={"title": "Private"}, project_id=seed.p1)  # fmt: skip
    assert [e["entity_type"] for e in _sent(seed, every) if e["entity_type"] != "webhook"] == []
    assert sorted(e["entity_type"] for e in _sent(seed, named)) == ["comm_message", "conflict"]


def test_a_rolled_back_change_sends_nothing(seed: World) -> None:
    hook = _hook(seed, ["change.*"])
    with pytest.raises(RuntimeError), seed.db.uow() as s:
        t = s.get(Task, seed.tasks["a"])
        tasks.update_task(s, seed.actor("pm"), seed.p1, t.id, t.version, name="Never")
        s.flush()
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) >= 1  # queued in the transaction ...
        raise RuntimeError("the use-case fails after the change")
    assert _sent(seed, hook, "task") == []  # ... and gone with it
    with seed.db.uow(readonly=True) as s:
        assert s.get(Task, seed.tasks["a"]).name != "Never"


def test_other_projects_inactive_hooks_and_hooks_without_events_get_no_changes(seed: World) -> None:
    p1_hook = _hook(seed, ["change.*"])
    p2_hook = _hook(seed, ["change.*"], project=seed.p2)
    inactive = _hook(seed, ["change.*"], active=False)
    every_kind = _hook(seed)  # no events: every notification kind, but no changes
    _rename_task(seed, "p2", "P2 renamed", who="outsider", project=seed.p2)
    assert [e["entity_id"] for e in _sent(seed, p2_hook, "task")] == [str(seed.tasks["p2"])]
    assert _sent(seed, p1_hook, "task") == []
    _rename_task(seed, "a", "Renamed A")
    assert [e["entity_id"] for e in _sent(seed, p1_hook, "task")] == [str(seed.tasks["a"])]
    # a change.* hook is told of the project's webhooks being added too, and only of its own project's
    assert {e["entity_id"] for e in _sent(seed, p1_hook, "webhook")} == {
        str(p1_hook),
        str(inactive),
        str(every_kind),
    }
    assert {e["project_id"] for e in _sent(seed, p2_hook)} == {seed.p2}
    assert _sent(seed, inactive) == [] and _sent(seed, every_kind) == []
    with seed.db.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).where(OutboxMessage.recipient == f"webhook:{every_kind}")) == 0


def test_a_secret_the_journal_never_records_is_never_sent(seed: World) -> None:
    hook = _hook(seed, ["change.webhook"])
    with seed.db.uow() as s:
        w = s.get(Webhook, hook)
        answer = webhook_admin.update_webhook(
            s, seed.actor("pm"), seed.p1, hook, w.version, rotate_secret=True
        )
    created, ev = _sent(seed, hook)  # its own creation, then the rotation
    assert created["action"] == "create" and "secret" not in created["changes"]
    assert ev["action"] == "update" and ev["changes"] == {"secret_rotated": [False, True]}
    with seed.db.uow(readonly=True) as s:
        payloads = s.scalars(select(OutboxMessage.payload)).all()
    assert answer["secret"] and not any(answer["secret"] in str(p) for p in payloads)


def test_misspelt_change_events_are_refused_naming_events_and_their_place(seed: World, api: Any) -> None:
    for bad in ("chnage.task", "change.Task", "change.", "change.task-x", "change.**"):
        with pytest.raises(ValidationError) as exc, seed.db.uow() as s:
            webhook_admin.create_webhook(s, seed.actor("pm"), seed.p1, url=URL, events=["risk.owner", bad])
        assert exc.value.field == "events" and f"event 2: {bad!r}" in exc.value.message, bad
    base = f"/projects/{seed.p1}/webhooks"
    r = api.post(
        base, json={"url": URL, "events": ["change.task", "change.rsik!"]}, headers=seed.headers("pm")
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "events", r.text
    assert (
        "event 2: 'change.rsik!'" in r.json()["error"]["message"]
        and "change.*" in r.json()["error"]["message"]
    )
    r = api.post(base, json={"url": URL, "events": ["change.budget_line", "change.*", "task.assigned"]},
                 headers=seed.headers("pm"))  # fmt: skip
    assert r.status_code == 201 and r.json()["events"] == ["change.budget_line", "change.*", "task.assigned"]
    hook = r.json()
    r = api.patch(f"{base}/{hook['id']}", json={"version": hook["version"], "events": ["change.risk"]},
                  headers=seed.headers("pm"))  # fmt: skip
    assert r.status_code == 200 and r.json()["events"] == ["change.risk"], r.text
    with seed.db.uow(readonly=True) as s:
        assert s.get(Webhook, hook["id"]).events == ["change.risk"]
        assert s.scalar(select(func.count()).select_from(Webhook)) == 1


def test_a_bulk_import_reads_the_hooks_once_and_sends_every_row(seed: World, api: Any) -> None:
    hook = _hook(seed, ["change.task"])
    other = _hook(seed, ["change.risk"])
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with seed.db.uow(readonly=True) as s:
        last = s.scalar(select(func.max(JournalEntry.id)))
    rows = "".join(f"Imported {n},2d\n" for n in range(40))
    event.listen(seed.db.engine, "before_cursor_execute", count)
    try:
        r = api.post(f"/projects/{seed.p1}/import", headers=seed.headers("pm"),
                     files={"file": ("plan.csv", f"name,duration\n{rows}".encode(), "text/csv")},
                     data={"format": "csv"})  # fmt: skip
    finally:
        event.remove(seed.db.engine, "before_cursor_execute", count)
    assert r.status_code in (200, 201), r.text
    hook_reads = [q for q in statements if re.search(r"\bFROM webhooks\b", q)]
    assert len(hook_reads) == 1, hook_reads
    created = [e for e in _sent(seed, hook) if e["action"] == "create"]
    assert sorted(e["changes"]["name"][1] for e in created) == sorted(f"Imported {n}" for n in range(40))
    with seed.db.uow(readonly=True) as s:
        journaled = s.scalar(
            select(func.count()).where(
                JournalEntry.id > last,
                JournalEntry.project_id == seed.p1,
                JournalEntry.entity_type == "task",
                JournalEntry.action == "create",
            )
        )
    assert journaled == len(created) and _sent(seed, other) == []


def test_a_hook_added_mid_use_case_gets_the_changes_after_it(seed: World) -> None:
    with seed.db.uow() as s:
        pm = seed.actor("pm")
        a, c = s.get(Task, seed.tasks["a"]), s.get(Task, seed.tasks["c"])
        tasks.update_task(s, pm, seed.p1, a.id, a.version, name="Before the hook")  # reads: no hooks
        hook = webhook_admin.create_webhook(s, pm, seed.p1, url=URL, events=["change.task"])["id"]
        tasks.update_task(s, pm, seed.p1, c.id, c.version, name="After the hook")
    assert [e["changes"]["name"][1] for e in _sent(seed, hook)] == ["After the hook"]


# --------------------------------------------------------------------------------------------- web and CLI


def test_web_form_takes_change_events_beside_the_ticked_kinds(seed: World) -> None:
    with signed_in(seed, "pm") as client:
        page = client.get(f"/projects/{seed.p1}/webhooks")
        token = csrf_of(page.text)
        assert 'name="changes"' in page.text
        r = client.post(f"/projects/{seed.p1}/webhooks", data={
            "csrf_token": token, "url": URL, "active": "on", "ev_risk.owner": "on", "changes": "change.Task"})  # fmt: skip
        assert r.status_code == 422 and "change.Task" in r.text and 'aria-invalid="true"' in r.text
        assert 'value="change.Task"' in r.text
        r = client.post(f"/projects/{seed.p1}/webhooks", data={
            "csrf_token": token, "url": URL, "active": "on", "ev_risk.owner": "on",
            "changes": "change.task, change.risk"})  # fmt: skip
        assert r.status_code == 201, r.text
        with seed.db.uow(readonly=True) as s:
            hook = s.scalars(select(Webhook)).one()
            hook_id, version = hook.id, hook.version
            assert hook.events == ["risk.owner", "change.task", "change.risk"]
        page = client.get(f"/projects/{seed.p1}/webhooks")
        assert 'value="change.task change.risk"' in page.text
        r = client.post(f"/projects/{seed.p1}/webhooks/{hook_id}", data={
            "csrf_token": token, "url": URL, "active": "on", "version": str(version), "changes": "change.*"})  # fmt: skip
        assert r.status_code == 303, r.text
    with seed.db.uow(readonly=True) as s:
        assert s.get(Webhook, hook_id).events == ["change.*"]


def test_cli_adds_change_events_and_lists_them(seed: World, cli: Any) -> None:
    out = cli("webhook", "add", "P1", URL, "--events", "change.task,risk.owner").stdout
    with seed.db.uow(readonly=True) as s:
        hook = s.scalars(select(Webhook)).one()
        hook_id, events = hook.id, hook.events
    assert events == ["change.task", "risk.owner"] and str(hook_id) in out
    r = cli("webhook", "update", "P1", str(hook_id), "--events", "change.*,change.Risk", code=1)
    assert "event 2: 'change.Risk'" in r.output and "(field: events)" in r.output
    assert "change.task, risk.owner" in cli("webhook", "list", "P1").stdout
    assert "change.*" in cli("webhook", "kinds").stdout
    cli("webhook", "add", "P1", URL, "--events", "change.*", who="worker", code=1)
    with seed.db.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Webhook)) == 1
