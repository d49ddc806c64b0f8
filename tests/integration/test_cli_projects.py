"""`charter project create|edit|delete|restore`: the charter from the command line, through the same services
(permissions, the lifecycle guard, optimistic versions, the journal); every problem is one line naming the
field, exit 1, nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from charter.persistence.models import JournalEntry, Project, RoleAssignment


def js(r: Any) -> Any:
    return json.loads(r.stdout)


def _count(seed: Any, model: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _journal(seed: Any, entity_id: int) -> list[str]:
    with seed.db.uow(readonly=True) as s:
        q = (
            select(JournalEntry.action)
            .where(JournalEntry.entity_type == "project", JournalEntry.entity_id == str(entity_id))
            .order_by(JournalEntry.id)
        )
        return list(s.scalars(q))


def _one_line(r: Any) -> str:
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1, r.output
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.any_backend
def test_every_command_has_help(cli: Any) -> None:
    for sub, option in (
        ("create", "--manager"),
        ("edit", "--version"),
        ("delete", "--yes"),
        ("restore", "--json"),
    ):
        out = cli("project", sub, "--help").stdout
        assert "Usage" in out and option in out
    create = cli("project", "create", "--help").stdout
    for option in ("--start", "--target", "--currency", "--status", "--phase", "--objectives", "--scope",
                   "--success-criteria"):  # fmt: skip
        assert option in create


def test_create_then_list_and_show(cli: Any, seed: Any) -> None:
    made = js(cli("project", "create", "crm", "CRM rollout", "--manager", "pm", "--start", "2030-01-07",
                  "--target", "2030-06-28", "--currency", "eur", "--objectives", "One *customer* view",
                  "--json", who="admin"))  # fmt: skip
    assert made["key"] == "CRM" and made["name"] == "CRM rollout" and made["currency"] == "EUR"
    assert made["start_date"] == "2030-01-07" and made["target_date"] == "2030-06-28"
    assert made["project_manager"] == "Pm" and made["status"] == "proposed" and made["phase"] == "initiation"
    assert _journal(seed, made["id"]) == ["create"]
    # the manager sees it, with the built-in roles and the charter text
    assert "CRM" in [p["key"] for p in js(cli("project", "list", "--json", who="pm"))]
    shown = js(cli("project", "show", "CRM", "--json", who="pm"))
    assert shown["objectives"] == "One *customer* view" and any(
        r["key"] == "project_manager" for r in shown["roles"]
    )
    assert "CRM rollout" in cli("project", "show", "CRM", who="pm").stdout
    # and it has its standard calendar
    assert [c["name"] for c in js(cli("calendar", "list", "CRM", "--json", who="pm"))] == ["Standard"]

    # anyone may start a project of their own: they become its Project Manager
    own = js(cli("project", "create", "OPS", "Ops tooling", "--status", "active", "--json", who="worker"))
    assert own["project_manager"] == "Worker" and own["status"] == "active"
    text = cli("project", "create", "OPS2", "[bold]Markup[/bold] name", who="worker").stdout
    assert "[bold]Markup[/bold] name" in text  # user text is printed as typed, not as Rich markup


def test_create_refuses_bad_input_with_one_line_and_writes_nothing(cli: Any, seed: Any) -> None:
    projects, assignments = _count(seed, Project), _count(seed, RoleAssignment)
    cases = [
        (("NEW", "New", "--start", "2030-13-01"), "start_date"),
        (("NEW", "New", "--target", "soon"), "target_date"),
        (("NEW", "New", "--start", "2030-06-01", "--target", "2030-01-01"), "target_date"),
        (("NEW", "New", "--manager", "ghost"), "manager_id"),
        (("1NEW", "New"), "key"),
        (("P1", "Again"), "key"),  # taken
        (("NEW", "New", "--currency", "XYZ"), "currency"),
        (("NEW", "New", "--status", "dreaming"), "status"),
        (("NEW", "New", "--phase", "nirvana"), "phase"),
        (("NEW", "   "), "name"),
        (("NEW", "x" * 201), "name"),
    ]
    for args, field in cases:
        line = _one_line(cli("project", "create", *args, who="admin", code=1))
        assert f"(field: {field})" in line, (args, line)
    line = _one_line(cli("project", "create", "NEW", "New", "--manager", "pm", who="worker", code=1))
    assert "only an admin may create a project for someone else" in line
    assert _count(seed, Project) == projects and _count(seed, RoleAssignment) == assignments


def test_edit_changes_only_the_options_given(cli: Any, seed: Any) -> None:
    before = js(cli("project", "show", "P1", "--json"))
    after = js(cli("project", "edit", "P1", "--name", "Project Uno", "--target", "2030-12-31", "--scope",
                   "Everything", "--json"))  # fmt: skip
    assert after["name"] == "Project Uno" and after["target_date"] == "2030-12-31"
    assert after["version"] == before["version"] + 1
    shown = js(cli("project", "show", "P1", "--json"))
    assert shown["scope_statement"] == "Everything"
    assert (shown["currency"], shown["status"], shown["phase"], shown["start_date"], shown["objectives"]) == (
        before["currency"], before["status"], before["phase"], before["start_date"], before["objectives"])  # fmt: skip
    # the current phase and status may be repeated; '' clears a date
    cli("project", "edit", "P1", "--phase", "initiation", "--status", "active", "--target", "")
    assert js(cli("project", "show", "P1", "--json"))["target_date"] is None
    assert _journal(seed, seed.p1) == ["create", "update", "update"]


def test_edit_refuses_a_stale_version_and_the_lifecycle_shortcuts(cli: Any, seed: Any) -> None:
    v = js(cli("project", "show", "P1", "--json"))["version"]
    cli("project", "edit", "P1", "--name", "First")
    line = _one_line(cli("project", "edit", "P1", "--name", "Second", "--version", str(v), code=1))
    assert f"you had version {v}, it is now version {v + 1}" in line and "(field: version)" in line
    assert "phase" in _one_line(cli("project", "edit", "P1", "--phase", "execution", code=1))
    assert "(field: status)" in _one_line(cli("project", "edit", "P1", "--status", "closed", code=1))
    assert "(field: start_date)" in _one_line(cli("project", "edit", "P1", "--start", "01/02/2030", code=1))
    assert "nothing to change" in _one_line(cli("project", "edit", "P1", code=1))
    p = js(cli("project", "show", "P1", "--json"))
    assert (p["name"], p["phase"], p["status"], p["version"]) == ("First", "initiation", "proposed", v + 1)
    assert _journal(seed, seed.p1) == ["create", "update"]


def test_only_those_whose_roles_allow_it_edit_or_delete(cli: Any, seed: Any) -> None:
    projects, journal = _count(seed, Project), _count(seed, JournalEntry)
    line = _one_line(cli("project", "edit", "P1", "--name", "Mine", who="worker", code=1))
    assert "do not allow project.edit" in line
    line = _one_line(cli("project", "delete", "P1", "--yes", who="task-leader", code=1))
    assert "do not allow project.delete" in line
    # a project one cannot see is not found at all
    assert "not found" in _one_line(cli("project", "edit", "P1", "--name", "Mine", who="outsider", code=1))
    assert "only an instance admin" in _one_line(cli("project", "restore", "P1", who="pm", code=1))
    assert _count(seed, Project) == projects and _count(seed, JournalEntry) == journal
    p = js(cli("project", "show", "P1", "--json"))
    assert p["name"] == "Project One" and not p["deleted"]


def test_delete_then_restore(cli: Any, seed: Any) -> None:
    def keys(who: str, *extra: str) -> list[str]:
        return [p["key"] for p in js(cli("project", "list", *extra, "--json", who=who))]

    # without --yes it asks; no answer is no
    r = cli("project", "delete", "P1", code=1)
    assert "Delete project P1" in r.output
    assert "P1" in keys("pm")
    # a stale version is refused
    assert "version" in _one_line(cli("project", "delete", "P1", "--version", "99", "--yes", code=1))
    assert "P1" in keys("pm")

    assert "deleted" in cli("project", "delete", "P1", "--yes").stdout
    assert "P1" not in keys("pm") and "P1" not in keys("admin")
    assert "P1" in keys("admin", "--all")
    assert "not found" in _one_line(cli("project", "show", "P1", code=1))
    # a deleted project cannot be edited, and only an admin restores it
    assert "not found" in _one_line(cli("project", "edit", "P1", "--name", "x", who="admin", code=1))
    assert "only an instance admin" in _one_line(cli("project", "restore", "P1", code=1))
    assert "not found" in _one_line(cli("project", "restore", "NOPE", who="admin", code=1))

    restored = js(cli("project", "restore", "p1", "--json", who="admin"))
    assert restored["key"] == "P1" and not restored["deleted"]
    assert "P1" in keys("pm")
    assert _journal(seed, seed.p1) == ["create", "delete", "restore"]
    # restoring what is not deleted is refused
    assert "not deleted" in _one_line(cli("project", "restore", str(seed.p1), who="admin", code=1))
