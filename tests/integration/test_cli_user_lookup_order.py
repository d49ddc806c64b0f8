"""A project command that names a person (charter role assign/handover, messages send --user, risk update
--owner, meeting create --attendee / action --owner, tech handover, resource add --user) looked the name up
before the service checked the right, so a member without the right learned whether a username exists ("no
user 'ghost'" against a refusal for a real one). The right is now checked first, in the service: an unknown
name and an existing one get the same refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest

GHOST = "ghost-nobody"


def _alike(cli: Any, who: str, *args: str) -> str:
    """The command with a name that does not exist and with one that does: the same refusal."""
    unknown = cli(*[GHOST if a == "{user}" else a for a in args], who=who, code=1)
    known = cli(*["worker" if a == "{user}" else a for a in args], who=who, code=1)
    assert "no user" not in unknown.stderr and GHOST not in unknown.stderr, unknown.stderr
    assert unknown.stderr == known.stderr, (unknown.stderr, known.stderr)
    return str(unknown.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ("role", "assign", "P1", "task_worker", "{user}"),
        ("role", "handover", "P1", "task_leader", "{user}", "--scope", "WP-A"),
        ("tech", "handover", "P1", "{user}"),
    ],
)
def test_an_observer_naming_anyone_gets_the_same_refusal(cli: Any, args: tuple[str, ...]) -> None:
    _alike(cli, "observer", *args)


def test_messages_send_to_a_user_without_the_right_to_send(cli: Any) -> None:
    _alike(cli, "observer", "messages", "send", "P1", "--subject", "Hi", "--body", "x", "--to", "user",
           "--user", "{user}")  # fmt: skip


def test_risk_owner_by_someone_who_may_not_change_the_risk(cli: Any) -> None:
    r = json.loads(
        cli("risk", "add", "P1", "Vendor lock-in", "--probability", "3", "--json", who="pm").stdout
    )
    _alike(cli, "observer", "risk", "update", "P1", r["ref"], "--owner", "{user}")
    # whoever may change it still hears that the name is unknown
    assert "no user" in cli("risk", "update", "P1", r["ref"], "--owner", GHOST, who="pm", code=1).stderr


def test_meeting_action_owner_by_someone_who_may_not_edit_the_meeting(cli: Any) -> None:
    m = json.loads(cli("meeting", "create", "P1", "--title", "Steering", "--starts", "2030-01-08T10:00",
                       "--ends", "2030-01-08T11:00", "--json", who="pm").stdout)  # fmt: skip
    _alike(cli, "worker", "meeting", "action", "P1", str(m["id"]), "Do it", "--owner", "{user}",
           "--due", "2030-01-10")  # fmt: skip
    assert "no user" in cli("meeting", "action", "P1", str(m["id"]), "Do it", "--owner", GHOST, "--due",
                            "2030-01-10", who="pm", code=1).stderr  # fmt: skip


def test_meeting_create_attendee_without_the_right_to_schedule(cli: Any) -> None:
    _alike(cli, "observer", "meeting", "create", "P1", "--title", "T", "--starts", "2030-01-08T10:00",
           "--ends", "2030-01-08T11:00", "--attendee", "{user}")  # fmt: skip


def test_resource_add_with_a_user_by_a_non_admin(cli: Any) -> None:
    assert "admin" in _alike(cli, "pm", "resource", "add", "Someone", "--kind", "person", "--user", "{user}")


def test_tech_component_owner_and_plan_owner_without_the_right_to_manage(cli: Any) -> None:
    c = json.loads(cli("tech", "add", "Postgres", "--project", "P1", "--json", who="pm").stdout)
    u = json.loads(cli("tech", "update", str(c["id"]), "16.1 released", "--json", who="pm").stdout)
    _alike(cli, "observer", "tech", "edit", str(c["id"]), "--owner", "{user}")
    _alike(cli, "observer", "tech", "plan", str(u["id"]), "--owner", "{user}")
    assert "no user" in cli("tech", "edit", str(c["id"]), "--owner", GHOST, who="pm", code=1).stderr
