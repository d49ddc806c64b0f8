"""`charter comm-plan list|add|update|delete|done|pass-on|check`: the communication plan from the command line
(it was web and API only): the stored entries, the journal, the refusals and --json."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from charter.persistence.models import CommPlanEntry, JournalEntry, Notification
from charter.services import comm_plan


def _plan(seed: Any) -> dict[int, dict[str, Any]]:
    with seed.db.uow(readonly=True) as s:
        return {e["id"]: e for e in comm_plan.list_plan(s, seed.actor("pm"), seed.p1)}


def _journal(seed: Any, entry_id: int) -> list[tuple[str, str | None]]:
    with seed.db.uow(readonly=True) as s:
        q = (
            select(JournalEntry.action, JournalEntry.cause)
            .where(JournalEntry.entity_type == "comm_plan_entry", JournalEntry.entity_id == str(entry_id))
            .order_by(JournalEntry.id)
        )
        return [(a, c) for a, c in s.execute(q)]


def _add(cli: Any, *args: str, who: str = "pm") -> dict[str, Any]:
    return dict(json.loads(cli("comm-plan", "add", "P1", *args, "--json", who=who).stdout))


def test_add_update_done_delete_as_on_the_page(cli: Any, seed: Any, frozen_clock: Any) -> None:
    today = frozen_clock.now.date()
    e = _add(cli, "Status report", "--to", "department:Sales", "--frequency", "weekly", "--channel", "email",
             "--owner", "liaison", "--starts-on", str(today - timedelta(days=21)))  # fmt: skip
    stored = _plan(seed)[e["id"]]
    assert (stored["audience"], stored["audience_department_id"], stored["frequency"], stored["channel"]) == (
        "department", seed.sales, "weekly", "email"
    )  # fmt: skip
    assert stored["owner_id"] == seed.users["liaison"] and stored["overdue"] and stored["version"] == 1
    assert _journal(seed, e["id"]) == [("create", None)]
    # the whole project by default, owned by whoever adds it, from today
    mine = _add(cli, "Steering summary", "--frequency", "monthly", "--channel", "report")
    assert (mine["audience"], mine["owner_id"], str(mine["starts_on"])) == (
        "project", seed.users["pm"], str(today)
    )  # fmt: skip

    out = cli("comm-plan", "list", "P1").stdout
    assert "Status report" in out and "Sales" in out and "overdue" in out and "Steering summary" in out
    due = json.loads(cli("comm-plan", "list", "P1", "--due", "--json").stdout)
    assert [x["id"] for x in due] == [e["id"], mine["id"]]  # soonest first; the new one is due today
    assert "Nothing is due" in cli("comm-plan", "list", "P2", "--due", who="outsider").stdout

    # a role of the project, another frequency, paused: the other audience ids are cleared
    out = cli("comm-plan", "update", "P1", str(e["id"]), "--to", "role:Sponsor", "--frequency", "per_milestone",
              "--pause").stdout  # fmt: skip
    assert f"Updated Entry {e['id']}" in out and "paused" in out
    stored = _plan(seed)[e["id"]]
    assert (stored["audience"], stored["audience_role_id"], stored["audience_department_id"]) == (
        "role", seed.roles["sponsor"], None
    )  # fmt: skip
    assert stored["frequency"] == "per_milestone" and stored["active"] is False and stored["next_due"] is None
    assert stored["version"] == 2 and stored["owner_id"] == seed.users["liaison"]  # not given: unchanged
    upd = json.loads(cli("comm-plan", "update", "P1", str(e["id"]), "--resume", "--to", "user:stakeholder",
                         "--frequency", "weekly", "--version", "2", "--json").stdout)  # fmt: skip
    assert upd["active"] is True and upd["audience_user_id"] == seed.users["stakeholder"]
    assert upd["audience_role_id"] is None and upd["version"] == 3

    # done: the owner (the liaison) records it; the next due date moves on a week
    done = json.loads(cli("comm-plan", "done", "P1", str(e["id"]), "--json", who="liaison").stdout)
    assert str(done["last_done_on"]) == str(today) and str(done["next_due"]) == str(today + timedelta(days=7))
    assert _journal(seed, e["id"])[-1] == ("update", "done")
    cli("comm-plan", "done", "P1", str(mine["id"]), "--on", str(today - timedelta(days=2)))
    assert str(_plan(seed)[mine["id"]]["last_done_on"]) == str(today - timedelta(days=2))

    out = cli("comm-plan", "delete", "P1", str(mine["id"])).stdout
    assert f"Entry {mine['id']} Steering summary deleted" in out
    assert mine["id"] not in _plan(seed)
    assert [a for a, _ in _journal(seed, mine["id"])] == ["create", "update", "delete"]


def test_check_flags_the_overdue_to_owner_and_pm(cli: Any, seed: Any, frozen_clock: Any) -> None:
    today = frozen_clock.now.date()
    late = _add(cli, "Sales digest", "--to", "department:Sales", "--owner", "liaison", "--starts-on",
                str(today - timedelta(days=10)))  # fmt: skip
    _add(cli, "Kick-off note", "--frequency", "once", "--starts-on", str(today + timedelta(days=3)))
    assert "Nothing is overdue" in cli("comm-plan", "check", "P2", who="outsider").stdout
    out = cli("comm-plan", "check", "P1").stdout
    assert "1 overdue" in out and "Sales digest" in out and "Kick-off note" not in out
    with seed.db.uow(readonly=True) as s:
        got = set(s.scalars(select(Notification.user_id).where(Notification.kind == "comms.plan_overdue")))
    assert got == {seed.users["liaison"], seed.users["pm"]}
    flagged = json.loads(cli("comm-plan", "check", "P1", "--json").stdout)
    assert [x["id"] for x in flagged] == [late["id"]] and flagged[0]["overdue"] is True
    with seed.db.uow(readonly=True) as s:  # once per entry and due date
        q = select(Notification.id).where(Notification.kind == "comms.plan_overdue")
        assert len(list(s.scalars(q))) == 2


def test_pass_on_moves_the_active_entries_of_one_owner(cli: Any, seed: Any) -> None:
    a = _add(cli, "Weekly status", "--owner", "liaison")
    b = _add(cli, "Sales digest", "--to", "department:Sales", "--owner", "liaison")
    paused = _add(cli, "Old bulletin", "--owner", "liaison")
    cli("comm-plan", "update", "P1", str(paused["id"]), "--pause")
    other = _add(cli, "Steering summary")  # the PM's

    # whoever keeps the plan only; the new owner must be a member; not to themselves
    assert "error" in cli("comm-plan", "pass-on", "P1", "--from", "liaison", "--to", "worker", who="worker",
                          code=1).stderr  # fmt: skip
    out = cli("comm-plan", "pass-on", "P1", "--from", "liaison", "--to", "outsider", code=1).stderr
    assert "not a member" in out and "field: to_user_id" in out
    out = cli("comm-plan", "pass-on", "P1", "--from", "liaison", "--to", "liaison", code=1).stderr
    assert "field: to_user_id" in out
    out = cli("comm-plan", "pass-on", "P1", "--from", "nobody", "--to", "worker", code=1).stderr
    assert "field: from_user_id" in out
    assert all(e["owner_id"] == seed.users["liaison"] for i, e in _plan(seed).items() if i != other["id"])

    out = cli("comm-plan", "pass-on", "P1", "--from", "liaison", "--to", "stakeholder").stdout
    assert "2 entries passed on" in out and "Weekly status" in out and "Sales digest" in out
    plan = _plan(seed)
    assert plan[a["id"]]["owner_id"] == plan[b["id"]]["owner_id"] == seed.users["stakeholder"]
    assert plan[paused["id"]]["owner_id"] == seed.users["liaison"]  # paused entries stay
    assert plan[other["id"]]["owner_id"] == seed.users["pm"]
    action, cause = _journal(seed, a["id"])[-1]
    assert action == "update" and cause is not None and "passed on" in cause
    again = json.loads(cli("comm-plan", "pass-on", "P1", "--from", "liaison", "--to", "stakeholder",
                           "--json").stdout)  # fmt: skip
    assert again == []


def test_refusals_name_the_field_and_write_nothing(cli: Any, seed: Any) -> None:
    e = _add(cli, "Weekly status", "--owner", "liaison")

    def count() -> int:
        with seed.db.uow(readonly=True) as s:
            return len(list(s.scalars(select(CommPlanEntry.id))))

    # permission: an observer neither adds nor changes; a worker does not record another's entry as done
    cli("comm-plan", "add", "P1", "Gossip", who="observer", code=1)
    cli("comm-plan", "update", "P1", str(e["id"]), "--frequency", "monthly", who="observer", code=1)
    cli("comm-plan", "delete", "P1", str(e["id"]), who="worker", code=1)
    out = cli("comm-plan", "done", "P1", str(e["id"]), who="worker", code=1).stderr
    assert "owner" in out
    cli("comm-plan", "list", "P1", who="outsider", code=1)  # a project they cannot see: not found
    # bad values, each naming its field
    for args, field in (
        (("--frequency", "daily"), "frequency"),
        (("--channel", "pigeon"), "channel"),
        (("--to", "team"), "audience"),
        (("--to", "department:Nowhere"), "audience_department_id"),
        (("--to", "role:Janitor"), "audience_role_id"),
        (("--to", "user:"), "audience_user_id"),
        (("--to", "user:outsider"), "audience_user_id"),
        (("--owner", "outsider"), "owner_id"),
        (("--starts-on", "soon"), "starts_on"),
    ):
        out = cli("comm-plan", "add", "P1", "Something", *args, code=1).stderr
        assert f"field: {field}" in out, (args, out)
    assert "field: information" in cli("comm-plan", "add", "P1", "  ", code=1).stderr
    assert "field: information" in cli("comm-plan", "add", "P1", "x" * 301, code=1).stderr
    assert "field: on" in cli("comm-plan", "done", "P1", str(e["id"]), "--on", "2999-01-01", code=1).stderr
    assert "nothing to change" in cli("comm-plan", "update", "P1", str(e["id"]), code=1).stderr
    assert "field: entry_id" in cli("comm-plan", "update", "P1", "999", "--pause", code=1).stderr
    # a stale version: refused, saying what is saved now
    stale = ("comm-plan", "update", "P1", str(e["id"]), "--frequency", "monthly", "--version", "7")
    out = cli(*stale, code=1).stderr
    assert "changed by someone else" in out and "field: version" in out
    cli("comm-plan", "update", "P1", str(e["id"]), "--channel", "email")
    out = cli("comm-plan", "delete", "P1", str(e["id"]), "--version", "1", code=1).stderr
    assert "changed by someone else" in out
    assert count() == 1
    stored = _plan(seed)[e["id"]]
    assert (stored["frequency"], stored["channel"], stored["version"], stored["last_done_on"]) == (
        "weekly", "email", 2, None
    )  # fmt: skip
    assert [a for a, _ in _journal(seed, e["id"])] == ["create", "update"]


@pytest.mark.any_backend
def test_every_command_has_help(cli: Any) -> None:
    for c in ("list", "add", "update", "delete", "done", "pass-on", "check"):
        out = cli("comm-plan", c, "--help").stdout
        assert "Usage" in out and len(out.split("\n")) > 5, c


@pytest.mark.any_backend
def test_the_commands_the_docs_name_exist(cli: Any) -> None:
    import re
    from pathlib import Path

    docs = Path(__file__).parents[2] / "docs"
    text = "".join((docs / page).read_text(encoding="utf-8") for page in ("project-manager.md", "liaison.md"))
    seen = set()
    for name in re.findall(r"charter comm-plan ([a-z-]+)", text):
        seen.add(name)
        assert "Usage" in cli("comm-plan", name, "--help").stdout, name
    assert seen == {"list", "add", "update", "delete", "done", "pass-on", "check"}
