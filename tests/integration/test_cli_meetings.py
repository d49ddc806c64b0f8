"""Meetings from the command line: list, show, create, minutes, decision, action (a task) and the iCalendar
invitation; each refuses a bad input with one clear line and exit 1 (no traceback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from charter.services import tasks


def test_a_meeting_from_invitation_to_action_items(cli: Any, seed: Any, tmp_path: Path) -> None:
    for cmd in ("list", "show", "create", "minutes", "decision", "action", "invite"):
        assert cli("meeting", cmd, "--help").stdout.strip()
    m = json.loads(cli("meeting", "create", "P1", "--title", "Cut-over rehearsal", "--starts", "2030-01-08T10:00",
                       "--ends", "2030-01-08T11:00", "--attendee", "worker", "--attendee", "task-leader",
                       "--agenda", "1. Dry run", "--json", who="task-leader").stdout)  # fmt: skip
    assert m["organiser"] and len(m["attendees"]) == 2
    mid = str(m["id"])
    assert "Cut-over rehearsal" in cli("meeting", "list", "P1", who="worker").stdout
    cli("meeting", "minutes", "P1", mid, "--text", "Dry run *passed*.", who="task-leader")
    cli("meeting", "decision", "P1", mid, "Go live on Saturday", who="task-leader")
    # a Task Leader's action items go in their own package; the project level is refused with the reason
    refused = cli("meeting", "action", "P1", mid, "Write the runbook", "--owner", "worker", "--due", "2030-01-10",
                  who="task-leader", code=1)  # fmt: skip
    assert "work_package_id" in refused.output or "work package" in refused.output
    done = json.loads(cli("meeting", "action", "P1", mid, "Write the runbook", "--owner", "worker", "--due",
                          "2030-01-10", "--wp", str(seed.wp_a), "--duration", "2d", "--json", who="task-leader").stdout)  # fmt: skip
    (action,) = done["actions"]
    with seed.db.uow(readonly=True) as s:
        t = tasks.get_task(s, seed.actor("pm"), seed.p1, action["task_id"])
    assert t["work_package_id"] == seed.wp_a and t["name"] == "Write the runbook" and t["duration_days"] == 2
    shown = cli("meeting", "show", "P1", mid).stdout
    assert "Dry run *passed*." in shown and "Go live on Saturday" in shown and "Write the runbook" in shown
    ics = cli("meeting", "invite", "P1", mid, who="worker").stdout
    assert "BEGIN:VCALENDAR" in ics and "METHOD:REQUEST" in ics
    out = tmp_path / "m.ics"
    cli("meeting", "invite", "P1", mid, "--out", str(out))
    assert out.read_bytes().startswith(b"BEGIN:VCALENDAR")


def test_bad_input_is_one_line_and_exit_1(cli: Any, seed: Any) -> None:
    bad_when = cli("meeting", "create", "P1", "--title", "x", "--starts", "tomorrow", "--ends", "2030-01-08T11:00",
                   code=1)  # fmt: skip
    assert "starts_at" in bad_when.output or "ISO" in bad_when.output
    m = json.loads(cli("meeting", "create", "P1", "--title", "Steering", "--starts", "2030-01-08T10:00", "--ends",
                       "2030-01-08T11:00", "--json").stdout)  # fmt: skip
    mid = str(m["id"])
    assert (
        "ISO date"
        in cli("meeting", "action", "P1", mid, "x", "--owner", "worker", "--due", "soon", code=1).output
    )
    early = cli("meeting", "action", "P1", mid, "x", "--owner", "worker", "--due", "2030-01-01", code=1)
    assert "before the meeting" in early.output
    # someone else's meeting: only its organiser or the PM record minutes
    assert cli("meeting", "minutes", "P1", mid, "--text", "mine", who="worker", code=1).output.strip()
    # a project the user cannot see is not found
    assert "not found" in cli("meeting", "list", "P2", who="worker", code=1).output
