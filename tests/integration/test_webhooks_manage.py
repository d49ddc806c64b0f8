"""Managing a project's webhooks: the kinds a webhook is sent are checked against the notification kinds,
its latest deliveries are listed, a test event can be sent; through the service, the API, the web page
(/projects/{id}/webhooks) and `charter webhook ...`."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from charter.domain.errors import NotFound, PermissionDenied, ValidationError
from charter.persistence.models import OutboxMessage, Webhook
from charter.services import notifications
from charter.services import webhooks as webhook_admin
from webhelpers import csrf_of, no_inline, signed_in

World = Any
URL = "https://93.184.215.14/hook"


def _hooks(w: World) -> int:
    with w.db.uow(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(Webhook)) or 0


def _make(w: World, **kw: Any) -> dict[str, Any]:
    with w.db.uow() as s:
        return webhook_admin.create_webhook(s, w.actor("pm"), w.p1, url=URL, **kw)


def test_a_misspelt_kind_is_refused_and_named(seed: World) -> None:
    with pytest.raises(ValidationError) as exc, seed.db.uow() as s:
        webhook_admin.create_webhook(
            s, seed.actor("pm"), seed.p1, url=URL, events=["task.assigned", "task.asigned"]
        )
    assert exc.value.field == "events" and "event 2: 'task.asigned'" in exc.value.message
    assert _hooks(seed) == 0
    hook = _make(seed, events=[" risk.owner ", "risk.owner", ""])
    assert hook["events"] == ["risk.owner"]
    with pytest.raises(ValidationError), seed.db.uow() as s:
        webhook_admin.update_webhook(s, seed.actor("pm"), seed.p1, hook["id"], hook["version"], events=["*"])
    with seed.db.uow(readonly=True) as s:
        assert s.get(Webhook, hook["id"]).events == ["risk.owner"]


def test_deliveries_list_the_hooks_own_events_newest_first_and_a_ping_joins_them(
    seed: World, frozen_clock: Any
) -> None:
    mine, other = _make(seed, events=["task.assigned"]), _make(seed, events=["risk.owner"])
    with seed.db.uow() as s:
        notifications.notify(s, recipients=[seed.users["worker"]], kind="task.assigned", subject="Task A is yours",
                             body="b", project_id=seed.p1, link=None, event_key="ev:1")  # fmt: skip
        ping = webhook_admin.ping_webhook(s, seed.actor("pm"), seed.p1, mine["id"])
    assert ping["kind"] == "webhook.ping" and ping["status"] == "pending"
    with seed.db.uow(readonly=True) as s:
        rows = webhook_admin.webhook_deliveries(s, seed.actor("pm"), seed.p1, mine["id"])
        assert [(r["kind"], r["subject"]) for r in rows] == [
            ("webhook.ping", "Test event from Charter"),
            ("task.assigned", "Task A is yours"),
        ]
        assert webhook_admin.webhook_deliveries(s, seed.actor("pm"), seed.p1, other["id"]) == []
        payload = s.scalar(select(OutboxMessage.payload).where(OutboxMessage.id == ping["id"]))
    assert payload["webhook_id"] == mine["id"] and payload["event"]["project_id"] == seed.p1


def test_only_who_may_edit_the_project_sees_or_pings_a_hook_and_an_inactive_one_is_not_pinged(
    seed: World,
) -> None:
    hook = _make(seed)
    for who in ("worker", "task_leader", "sponsor"):
        with pytest.raises(PermissionDenied), seed.db.uow(readonly=True) as s:
            webhook_admin.webhook_deliveries(s, seed.actor(who), seed.p1, hook["id"])
        with pytest.raises(PermissionDenied), seed.db.uow() as s:
            webhook_admin.ping_webhook(s, seed.actor(who), seed.p1, hook["id"])
    with pytest.raises(NotFound), seed.db.uow() as s:  # P1's hook named through P2 by P2's manager
        webhook_admin.ping_webhook(s, seed.actor("outsider"), seed.p2, hook["id"])
    with seed.db.uow() as s:
        webhook_admin.update_webhook(s, seed.actor("pm"), seed.p1, hook["id"], hook["version"], active=False)
    with pytest.raises(ValidationError) as exc, seed.db.uow() as s:
        webhook_admin.ping_webhook(s, seed.actor("pm"), seed.p1, hook["id"])
    assert exc.value.field == "active"
    with seed.db.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_api_validates_kinds_lists_deliveries_and_pings(seed: World, api: Any) -> None:
    base = f"/projects/{seed.p1}/webhooks"
    r = api.post(base, json={"url": URL, "events": ["nope"]}, headers=seed.headers("pm"))
    assert r.status_code == 422 and r.json()["error"]["field"] == "events", r.text
    hook = api.post(base, json={"url": URL, "events": ["task.assigned"]}, headers=seed.headers("pm")).json()
    r = api.post(f"{base}/{hook['id']}/ping", headers=seed.headers("pm"))
    assert r.status_code == 202 and r.json()["kind"] == "webhook.ping", r.text
    r = api.get(f"{base}/{hook['id']}/deliveries", params={"limit": 5}, headers=seed.headers("pm"))
    assert r.status_code == 200 and [d["status"] for d in r.json()] == ["pending"], r.text
    assert api.get(f"{base}/{hook['id']}/deliveries", headers=seed.headers("worker")).status_code == 403
    assert api.get(f"{base}/999999/deliveries", headers=seed.headers("pm")).status_code == 404
    r = api.patch(f"{base}/{hook['id']}", json={"version": hook["version"], "events": ["comms.reply", "bad"]},
                  headers=seed.headers("pm"))  # fmt: skip
    assert r.status_code == 422 and "event 2: 'bad'" in r.json()["error"]["message"], r.text


def test_a_stale_api_delete_of_a_webhook_is_refused_with_the_webhook_as_it_is(seed: World, api: Any) -> None:
    """DELETE …/webhooks/{id} takes the version read, as every other versioned DELETE: one sent with a version
    the webhook has moved past is a 409 with the webhook as it is now, and nothing is removed (it took no
    version and removed whatever the webhook had become); no version is a 422 naming it."""
    base = f"/projects/{seed.p1}/webhooks"
    read = _make(seed, events=["task.assigned"])
    r = api.patch(f"{base}/{read['id']}", json={"version": read["version"], "url": URL + "/v2"},
                  headers=seed.headers("pm"))  # fmt: skip
    assert r.status_code == 200, r.text
    r = api.delete(f"{base}/{read['id']}", params={"version": read["version"]}, headers=seed.headers("pm"))
    assert r.status_code == 409, r.text
    err = r.json()["error"]
    assert err["field"] == "version"
    [now] = api.get(base, headers=seed.headers("pm")).json()
    assert now["url"] == URL + "/v2" and now["version"] == read["version"] + 1
    assert now["secret"] is None and "secret" not in err["current"]  # the secret is never shown again
    same = [k for k in now if k not in ("secret", "created_at")]
    assert {k: err["current"][k] for k in same} == {k: now[k] for k in same}
    at = (
        err["current"]["created_at"],
        now["created_at"],
    )  # the same instant ("+00:00" in a 409, "Z" in the body)
    assert datetime.fromisoformat(at[0]) == datetime.fromisoformat(at[1].replace("Z", "+00:00"))
    r = api.delete(f"{base}/{read['id']}", headers=seed.headers("pm"))
    assert r.status_code == 422 and r.json()["error"]["field"] == "version", r.text
    assert _hooks(seed) == 1
    r = api.delete(f"{base}/{read['id']}", params={"version": now["version"]}, headers=seed.headers("pm"))
    assert r.status_code == 204, r.text
    assert _hooks(seed) == 0


# --------------------------------------------------------------------------------------------- web


def test_web_page_adds_a_hook_shows_its_secret_once_and_keeps_a_refused_form(seed: World) -> None:
    with signed_in(seed, "pm") as client:
        page = client.get(f"/projects/{seed.p1}")
        assert f'href="/projects/{seed.p1}/webhooks"' in page.text
        page = client.get(f"/projects/{seed.p1}/webhooks")
        assert page.status_code == 200 and 'id="no-hooks"' in page.text
        no_inline(page.text)
        token = csrf_of(page.text)
        r = client.post(f"/projects/{seed.p1}/webhooks", data={
            "csrf_token": token, "url": "http://127.0.0.1:9/in", "active": "on", "ev_risk.owner": "on"})  # fmt: skip
        assert r.status_code == 422 and "webhook URL refused" in r.text
        assert 'value="http://127.0.0.1:9/in"' in r.text
        assert re.search(r'name="ev_risk.owner" checked', r.text) and not re.search(
            r'name="ev_task.assigned" checked', r.text)  # fmt: skip
        assert _hooks(seed) == 0
        r = client.post(f"/projects/{seed.p1}/webhooks", data={
            "csrf_token": token, "url": URL, "active": "on", "ev_risk.owner": "on"})  # fmt: skip
        assert r.status_code == 201, r.text
        with seed.db.uow(readonly=True) as s:
            hook = s.scalars(select(Webhook)).one()
            assert (hook.events, hook.active) == (["risk.owner"], True)
            secret = hook.secret
        assert f'<code id="secret-value">{secret}</code>' in r.text
        again = client.get(f"/projects/{seed.p1}/webhooks")
        assert secret not in again.text and "You own a risk" in again.text


def test_web_change_is_versioned_and_ping_rotate_delete_work(seed: World) -> None:
    hook = _make(seed, events=["task.assigned"])
    url = f"/projects/{seed.p1}/webhooks/{hook['id']}"
    with signed_in(seed, "pm") as client:
        token = csrf_of(client.get(f"/projects/{seed.p1}/webhooks").text)
        r = client.post(url, data={"csrf_token": token, "version": str(hook["version"]),
                                   "url": URL + "/v2", "ev_comms.reply": "on"})  # fmt: skip
        assert r.status_code == 303 and r.headers["location"].endswith(f"#hook-{hook['id']}")
        with seed.db.uow(readonly=True) as s:
            h = s.get(Webhook, hook["id"])
            assert (h.url, h.events, h.active) == (URL + "/v2", ["comms.reply"], False)
        r = client.post(url, data={"csrf_token": token, "version": str(hook["version"]), "url": URL + "/v3",
                                   "active": "on"})  # fmt: skip
        assert r.status_code == 409 and 'value="' + URL + '/v3"' in r.text and "current webhook" in r.text
        r = client.post(url + "/ping", data={"csrf_token": token})
        assert r.status_code == 422 and "inactive" in r.text
        with seed.db.uow() as s:
            webhook_admin.update_webhook(
                s, seed.actor("pm"), seed.p1, hook["id"], hook["version"] + 1, active=True
            )
        r = client.post(url + "/ping", data={"csrf_token": token})
        assert r.status_code == 303
        page = client.get(f"/projects/{seed.p1}/webhooks")
        assert f'id="deliveries-{hook["id"]}"' in page.text and "Test event from Charter" in page.text
        r = client.post(url + "/rotate", data={"csrf_token": token, "version": str(hook["version"] + 2)})
        assert r.status_code == 200, r.text
        with seed.db.uow(readonly=True) as s:
            assert s.get(Webhook, hook["id"]).secret in r.text
        r = client.post(url + "/delete", data={"csrf_token": token, "version": str(hook["version"] + 2)})
        assert r.status_code == 409 and "current webhook" in r.text and _hooks(seed) == 1  # rotated since
        r = client.post(url + "/delete", data={"csrf_token": token, "version": str(hook["version"] + 3)})
        assert r.status_code == 303 and _hooks(seed) == 0


def test_web_page_is_refused_to_who_may_not_edit_the_project(seed: World) -> None:
    with signed_in(seed, "worker") as client:
        assert client.get(f"/projects/{seed.p1}/webhooks").status_code == 403
        assert f'href="/projects/{seed.p1}/webhooks"' not in client.get(f"/projects/{seed.p1}").text
    with signed_in(seed, "outsider") as client:
        assert client.get(f"/projects/{seed.p1}/webhooks").status_code == 404


# --------------------------------------------------------------------------------------------- CLI


def test_cli_manages_webhooks(cli: Any, seed: World) -> None:
    out = cli("webhook", "add", "P1", URL, "--events", "task.assigned,risk.owner").stdout
    hook_id = int(re.search(r"Webhook (\d+) added", out).group(1))  # type: ignore[union-attr]
    with seed.db.uow(readonly=True) as s:
        assert s.get(Webhook, hook_id).secret in out
    assert "task.assigned, risk.owner" in cli("webhook", "list", "P1").stdout
    r = cli("webhook", "add", "P1", URL, "--events", "task.done", code=1)
    assert "'task.done' is not a notification kind" in r.output
    cli("webhook", "update", "P1", str(hook_id), "--events", "", "--inactive")
    with seed.db.uow(readonly=True) as s:
        h = s.get(Webhook, hook_id)
        assert (h.events, h.active) == ([], False)
    assert "inactive" in cli("webhook", "ping", "P1", str(hook_id), code=1).output
    cli("webhook", "update", "P1", str(hook_id), "--active")
    assert "Test event queued" in cli("webhook", "ping", "P1", str(hook_id)).stdout
    assert "webhook.ping" in cli("webhook", "deliveries", "P1", str(hook_id)).stdout
    assert "task.assigned" in cli("webhook", "kinds").stdout
    cli("webhook", "list", "P1", who="worker", code=1)
    assert (
        "changed by someone else"
        in cli("webhook", "remove", "P1", str(hook_id), "--version", "1", code=1).stderr
    )
    assert "No webhooks." not in cli("webhook", "list", "P1").stdout
    cli("webhook", "remove", "P1", str(hook_id))
    assert "No webhooks." in cli("webhook", "list", "P1").stdout
