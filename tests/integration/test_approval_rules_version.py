"""The approval rules have a version like every mutable record: get_rules gives it (0 before the first save),
each save moves it by one and is journaled, and a save at a stale version is refused (409) with the rules as
they are now and nothing written, through the API, the procurement page's form and `charter request rules`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from charter.app import create_app
from charter.domain.errors import Conflict, PermissionDenied
from charter.persistence.models import ApprovalRuleSet, JournalEntry
from charter.services import procurement
from charter.services.context import Actor
from webhelpers import login_seeded

PM_THEN_SPONSOR = [{"up_to": "1000", "role_key": "project_manager"}, {"up_to": None, "role_key": "sponsor"}]


def _rules(seed: Any) -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        return procurement.get_rules(s, seed.actor("pm"), seed.p1)


def _pairs(data: dict[str, Any]) -> list[tuple[Any, str]]:
    return [(None if r["up_to"] is None else Decimal(str(r["up_to"])), r["role_key"]) for r in data["rules"]]


def _journal(seed: Any) -> list[JournalEntry]:
    q = select(JournalEntry).where(
        JournalEntry.entity_type == "approval_rules", JournalEntry.entity_id == str(seed.p1)
    )
    with seed.db.uow(readonly=True) as s:
        rows = list(s.scalars(q.order_by(JournalEntry.id)))
        s.expunge_all()
    return rows


def _set(seed: Any, who: Actor, version: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    with seed.db.uow() as s:
        return procurement.set_rules(s, who, seed.p1, version, items)


def _journal_count(seed: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(JournalEntry)) or 0)


# --------------------------------------------------------------------------------------------- service


def test_each_save_moves_the_version_by_one_and_is_journaled(seed: Any, frozen_clock: Any) -> None:
    assert _rules(seed)["version"] == 0 and _rules(seed)["rules"] == []
    sponsor = seed.actor("sponsor")
    first = _set(seed, sponsor, 0, PM_THEN_SPONSOR)
    assert first["version"] == 1 and _rules(seed)["version"] == 1
    # the same rules again, at the same (frozen) instant: still a save, still a new version
    again = _set(seed, sponsor, 1, PM_THEN_SPONSOR)
    assert again["version"] == 2 and _rules(seed)["version"] == 2
    cleared = _set(seed, sponsor, 2, [])
    assert cleared["version"] == 3 and cleared["rules"] == [] and cleared["default_approver"] == "sponsor"
    entries = _journal(seed)
    assert len(entries) == 3 and all(e.actor_id == seed.users["sponsor"] for e in entries)
    assert entries[0].changes["rules"] == [[], ["project_manager <= 1000.00", "sponsor <= None"]]
    assert entries[2].changes["rules"][1] == []
    with seed.db.uow(readonly=True) as s:
        row = s.get(ApprovalRuleSet, seed.p1)
        assert row is not None and row.version == 3


def test_a_stale_version_is_refused_with_the_current_rules_and_nothing_written(seed: Any) -> None:
    sponsor = seed.actor("sponsor")
    _set(seed, sponsor, 0, PM_THEN_SPONSOR)
    count = _journal_count(seed)
    with pytest.raises(Conflict) as exc:
        _set(seed, sponsor, 0, [{"up_to": None, "role_key": "project_manager"}])
    assert exc.value.field == "version" and exc.value.current is not None
    assert exc.value.current["version"] == 1
    assert _pairs(exc.value.current) == [(Decimal("1000"), "project_manager"), (None, "sponsor")]
    assert _pairs(_rules(seed)) == [(Decimal("1000"), "project_manager"), (None, "sponsor")]
    assert _rules(seed)["version"] == 1 and _journal_count(seed) == count
    # a version from the future is as stale
    with pytest.raises(Conflict):
        _set(seed, sponsor, 7, [])
    # the PM may not set them at any version
    with pytest.raises(PermissionDenied):
        _set(seed, seed.actor("pm"), 1, [])
    assert _rules(seed)["version"] == 1 and _journal_count(seed) == count


# --------------------------------------------------------------------------------------------- API


def test_api_puts_at_the_version_read_and_a_stale_put_is_409_with_the_current_rules(
    api: Any, seed: Any, as_: Any
) -> None:
    url = f"/projects/{seed.p1}/approval-rules"
    got = api.get(url, headers=as_("sponsor"))
    assert got.status_code == 200 and got.json()["version"] == 0
    put = api.put(url, headers=as_("sponsor"), json={"version": 0, "rules": PM_THEN_SPONSOR})
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 1 and api.get(url, headers=as_("pm")).json()["version"] == 1
    count = _journal_count(seed)
    stale = api.put(url, headers=as_("sponsor"), json={"version": 0, "rules": []})
    assert stale.status_code == 409, stale.text
    e = stale.json()["error"]
    assert e["field"] == "version" and e["current"]["version"] == 1
    assert [r["role_key"] for r in e["current"]["rules"]] == ["project_manager", "sponsor"]
    assert _pairs(_rules(seed)) == [(Decimal("1000"), "project_manager"), (None, "sponsor")]
    assert _journal_count(seed) == count
    # the version is required
    missing = api.put(url, headers=as_("sponsor"), json={"rules": []})
    assert missing.status_code == 422 and "version" in missing.text
    assert _rules(seed)["version"] == 1
    nxt = api.put(url, headers=as_("sponsor"), json={"version": 1, "rules": []})
    assert nxt.status_code == 200 and nxt.json()["version"] == 2 and nxt.json()["rules"] == []


# --------------------------------------------------------------------------------------------- web


@pytest.fixture
def client(seed: Any) -> Iterator[TestClient]:
    with TestClient(create_app(seed.db), follow_redirects=False) as c:
        yield c


def test_the_form_carries_the_version_and_a_stale_save_keeps_the_input_and_shows_the_rules_now(
    client: TestClient, seed: Any
) -> None:
    token = login_seeded(seed, client, "sponsor")
    page = client.get(f"/projects/{seed.p1}/procurement").text
    assert 'name="version" value="0"' in page.split('id="rules-form"', 1)[1].split("</form>", 1)[0]
    url = f"/projects/{seed.p1}/procurement/rules"
    form = {
        "csrf_token": token,
        "version": "0",
        "up_to_0": "500",
        "role_0": "project_manager",
        "role_1": "sponsor",
    }
    assert client.post(url, data=form).status_code == 303
    assert _rules(seed)["version"] == 1 and _pairs(_rules(seed)) == [(Decimal("500"), "project_manager"),
                                                                      (None, "sponsor")]  # fmt: skip
    page = client.get(f"/projects/{seed.p1}/procurement").text
    assert 'name="version" value="1"' in page.split('id="rules-form"', 1)[1].split("</form>", 1)[0]
    count = _journal_count(seed)
    # someone else saved meanwhile (from the page at version 0): refused, what they typed kept, rules now shown
    stale = client.post(url, data={**form, "up_to_0": "777", "role_1": ""})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text
    assert 'value="777"' in stale.text  # the input kept
    shown = stale.text.split('id="approval-rules"', 1)[1].split("</p>", 1)[0]
    assert "up to 500.00" in shown and "777" not in shown  # the rules as they are now
    rules_form = stale.text.split('id="rules-form"', 1)[1].split("</form>", 1)[0]
    assert 'name="version" value="1"' in rules_form  # saving again applies the input over the current rules
    assert _rules(seed)["version"] == 1 and _journal_count(seed) == count
    assert _pairs(_rules(seed)) == [(Decimal("500"), "project_manager"), (None, "sponsor")]
    # without the version the form is refused naming it
    no_version = {k: v for k, v in form.items() if k != "version"}
    missing = client.post(url, data=no_version)
    assert missing.status_code == 422 and _rules(seed)["version"] == 1


def test_the_form_shows_every_rule_so_saving_it_as_shown_keeps_them_all(
    seed: Any, client: TestClient
) -> None:
    many = [{"up_to": str(100 * (i + 1)), "role_key": "project_manager"} for i in range(5)]
    _set(seed, seed.actor("sponsor"), 0, [*many, {"up_to": None, "role_key": "sponsor"}])
    token = login_seeded(seed, client, "sponsor")
    rules_form = client.get(f"/projects/{seed.p1}/procurement").text.split('id="rules-form"', 1)[1]
    rules_form = rules_form.split("</form>", 1)[0]
    assert rules_form.count('name="role_') == 7  # six rules and one more to add (the form had three rows)
    sent = {"csrf_token": token, "version": "1"}
    for i in range(7):  # what the browser sends: every row as shown
        up_to = re.search(rf'name="up_to_{i}"[^>]*value="([^"]*)"', rules_form)
        role = re.search(rf'name="role_{i}".*?<option value="([^"]*)" selected', rules_form, re.S)
        sent[f"up_to_{i}"], sent[f"role_{i}"] = up_to.group(1) if up_to else "", role.group(1) if role else ""
    assert client.post(f"/projects/{seed.p1}/procurement/rules", data=sent).status_code == 303
    assert len(_rules(seed)["rules"]) == 6 and _rules(seed)["version"] == 2


# --------------------------------------------------------------------------------------------- CLI


def test_cli_sets_at_the_current_version_by_default_and_refuses_a_stale_one(cli: Any, seed: Any) -> None:
    out = cli("request", "rules", "show", "P1").stdout
    assert "Version 0." in out
    assert json.loads(cli("request", "rules", "show", "P1", "--json").stdout)["version"] == 0
    # default: the current version
    data = json.loads(cli("request", "rules", "set", "P1", "1000:project_manager", "sponsor", "--json",
                          who="sponsor").stdout)  # fmt: skip
    assert data["version"] == 1 and _rules(seed)["version"] == 1
    out = cli(
        "request", "rules", "set", "P1", "500:project_manager", "sponsor", "--version", "1", who="sponsor"
    )
    assert "Version 2." in out.stdout and _rules(seed)["version"] == 2
    count = _journal_count(seed)
    stale = cli("request", "rules", "set", "P1", "--clear", "--version", "1", who="sponsor", code=1).output
    assert "(field: version)" in stale and "version 2" in stale
    assert _rules(seed)["version"] == 2 and _journal_count(seed) == count
    assert _pairs(_rules(seed)) == [(Decimal("500"), "project_manager"), (None, "sponsor")]
    # the PM is refused at the right version as well
    cli("request", "rules", "set", "P1", "--clear", "--version", "2", who="pm", code=1)
    assert _rules(seed)["version"] == 2 and _journal_count(seed) == count
    assert _journal(seed)[-1].actor_id == seed.users["sponsor"]
