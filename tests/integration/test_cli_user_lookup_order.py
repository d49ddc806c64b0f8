"""A project command that names a person (charter role assign/handover, messages send --user, risk update
--owner, meeting create --attendee / action --owner, tech handover, resource add --user; change create/edit
--approver, comm-plan add/update/pass-on, quality review create/edit --reviewer, conflicts raise --party,
quality stakeholder-add --user, project create --manager, quality deliverable-add --acceptor, defect-add /
defect-edit --owner, risk add --owner, task add --assign, department add/update --head) looked the name up
before the service checked the right, so a member without the right learned whether a username exists ("no
user 'ghost'" against a refusal for a real one). The right is now checked first, in the service: an unknown
name and an existing one get the same refusal. `charter workload --person` (anyone's load is anyone's to see)
answers an unknown name as it answers a user never booked."""

from __future__ import annotations

import json
from typing import Any

import pytest

GHOST = "ghost-nobody"


def _alike(cli: Any, who: str, *args: str) -> str:
    """The command with a name that does not exist and with one that does: the same refusal."""
    unknown = cli(*[a.replace("{user}", GHOST) for a in args], who=who, code=1)
    known = cli(*[a.replace("{user}", "worker") for a in args], who=who, code=1)
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


DEFECT_ADD = ("quality", "defect-add", "P1", "--title", "Bug", "--severity", "minor", "--found-in", "test",
              "--owner", "{user}")  # fmt: skip


def _no_user(cli: Any, who: str, *args: str) -> None:
    """Whoever holds the right still hears that the name is unknown."""
    err = cli(*[a.replace("{user}", GHOST) for a in args], who=who, code=1).stderr
    assert "no user" in err and GHOST in err, err


@pytest.mark.parametrize(
    ("who", "args"),
    [
        ("observer", ("change", "create", "P1", "--title", "Swap the DB", "--approver", "{user}")),
        ("worker", ("change", "create", "P1", "--title", "Swap the DB", "--approver", "{user}")),
        ("worker", ("comm-plan", "add", "P1", "Weekly status", "--owner", "{user}")),
        ("worker", ("comm-plan", "add", "P1", "Weekly status", "--to", "user:{user}")),
        ("worker", ("comm-plan", "pass-on", "P1", "--from", "{user}", "--to", "pm")),
        ("worker", ("quality", "review", "create", "P1", "--title", "Design", "--reviewer", "{user}")),
        ("observer", ("conflicts", "raise", "P1", "Clash", "--party", "{user}")),
        ("worker", ("quality", "stakeholder-add", "P1", "--name", "Ops", "--user", "{user}")),
        ("observer", ("project", "create", "ZZ", "Elsewhere", "--manager", "{user}")),
        ("observer", DEFECT_ADD),
        ("observer", ("risk", "add", "P1", "Vendor lock-in", "--owner", "{user}")),
        ("pm", ("department", "add", "Operations", "--head", "{user}")),
        ("pm", ("department", "update", "Sales", "--head", "{user}")),
    ],
)
def test_naming_anyone_without_the_right_gets_the_same_refusal(
    cli: Any, who: str, args: tuple[str, ...]
) -> None:
    _alike(cli, who, *args)


@pytest.mark.parametrize(
    ("who", "args"),
    [
        ("pm", ("change", "create", "P1", "--title", "Swap the DB", "--approver", "{user}")),
        ("pm", ("comm-plan", "add", "P1", "Weekly status", "--owner", "{user}")),
        ("pm", ("comm-plan", "pass-on", "P1", "--from", "{user}", "--to", "pm")),
        ("pm", ("quality", "review", "create", "P1", "--title", "Design", "--reviewer", "{user}")),
        ("pm", ("quality", "stakeholder-add", "P1", "--name", "Ops", "--user", "{user}")),
        ("admin", ("project", "create", "ZZ", "Elsewhere", "--manager", "{user}")),
        ("pm", DEFECT_ADD),
        ("worker", ("risk", "add", "P1", "Vendor lock-in", "--owner", "{user}")),
        ("pm", ("task", "add", "P1", "Install", "--assign", "{user}")),
        ("admin", ("department", "add", "Operations", "--head", "{user}")),
    ],
)
def test_whoever_holds_the_right_hears_no_user(cli: Any, who: str, args: tuple[str, ...]) -> None:
    _no_user(cli, who, *args)


def test_project_create_names_oneself_as_manager(cli: Any) -> None:
    p = json.loads(
        cli("project", "create", "ZY", "Mine", "--manager", "observer", "--json", who="observer").stdout
    )
    assert p["key"] == "ZY"


def test_change_edit_board_by_a_requester_who_does_not_decide(cli: Any) -> None:
    c = json.loads(cli("change", "create", "P1", "--title", "Swap the DB", "--json", who="worker").stdout)
    _alike(cli, "worker", "change", "edit", "P1", str(c["number"]), "--approver", "{user}")
    _no_user(cli, "pm", "change", "edit", "P1", str(c["number"]), "--approver", "{user}")


def test_review_edit_reviewers_without_the_right(cli: Any, seed: Any) -> None:
    r = json.loads(
        cli("quality", "review", "create", "P1", "--title", "Design", "--reviewer", "pm", "--json").stdout
    )
    _alike(cli, "worker", "quality", "review", "edit", "P1", str(r["id"]), "--reviewer", "{user}")
    _no_user(cli, "pm", "quality", "review", "edit", "P1", str(r["id"]), "--reviewer", "{user}")


def test_deliverable_acceptor_without_the_right(cli: Any, seed: Any) -> None:
    args = ("quality", "deliverable-add", "P1", "--name", "Design doc", "--work-package-id", str(seed.wp_a),
            "--acceptor", "{user}")  # fmt: skip
    _alike(cli, "worker", *args)
    _no_user(cli, "pm", *args)


def test_defect_owner_by_someone_who_may_not_change_it(cli: Any) -> None:
    d = json.loads(cli("quality", "defect-add", "P1", "--title", "Bug", "--severity", "minor", "--found-in", "test",
                       "--json").stdout)  # fmt: skip
    _alike(cli, "worker", "quality", "defect-edit", "P1", str(d["id"]), "--owner", "{user}")
    _no_user(cli, "pm", "quality", "defect-edit", "P1", str(d["id"]), "--owner", "{user}")


def test_comm_plan_update_owner_without_the_right(cli: Any) -> None:
    e = json.loads(cli("comm-plan", "add", "P1", "Weekly status", "--json").stdout)
    _alike(cli, "worker", "comm-plan", "update", "P1", str(e["id"]), "--owner", "{user}")
    _no_user(cli, "pm", "comm-plan", "update", "P1", str(e["id"]), "--owner", "{user}")


def test_task_add_assign_by_a_planner_who_may_not_assign_people(cli: Any) -> None:
    """A custom role that plans tasks (task.edit) but does not manage the team: the task would be made, the
    people are refused, and an unknown name is refused the same way."""
    cli("role", "create", "P1", "Planner", "-p", "project.read", "-p", "task.edit")
    cli("role", "assign", "P1", "Planner", "observer")
    _alike(cli, "observer", "task", "add", "P1", "Install", "--assign", "{user}")


def test_workload_of_an_unknown_name_is_that_of_a_user_never_booked(cli: Any) -> None:
    window = ("--from", "2030-01-07", "--to", "2030-01-20", "--json")
    unknown = json.loads(cli("workload", "--person", GHOST, *window, who="worker").stdout)
    unbooked = json.loads(cli("workload", "--person", "admin", *window, who="worker").stdout)
    assert unknown == unbooked and unknown["resources"] == []
    assert "No resource for ghost-nobody." in cli("workload", "--person", GHOST, who="worker").stdout
