"""Quality and change control from the command line (issue #7): reviews and inspections, checklist templates,
the lifecycle and quality plan, deliverables and defects, the stakeholder register, concerns and change
requests. Every command succeeds once and refuses one bad input with a clear one-line message and exit 1."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from charter.persistence.models import JournalEntry
from charter.services import roles


def js(r: Any) -> Any:
    return json.loads(r.stdout)


def _actions(seed: Any, kind: str) -> list[str]:
    with seed.db.uow(readonly=True) as s:
        q = select(JournalEntry.action).where(JournalEntry.entity_type == kind).order_by(JournalEntry.id)
        return list(s.scalars(q))


@pytest.mark.any_backend
def test_every_new_command_has_help(cli: Any) -> None:
    groups = {
        ("quality", "review"): ("list", "show", "create", "finding", "sign-off", "edit", "delete"),
        ("quality", "checklist"): ("list", "create", "edit", "delete", "apply"),
        ("quality",): ("phase-edit", "plan-set", "metric-add", "measure", "metric-remove", "deliverable-add",
                       "accept", "reject", "resubmit", "defect-add", "defect-edit", "stakeholder-add",
                       "stakeholder-edit", "grid"),
        ("concern",): ("show", "ack", "answer", "change-request", "conflict"),
        ("change",): ("edit",),
    }  # fmt: skip
    for group, commands in groups.items():
        for c in commands:
            out = cli(*group, c, "--help").stdout
            assert "Usage" in out and len(out.split("\n")) > 5, (group, c)


def test_checklist_templates_are_shared_and_applied_to_reviews(cli: Any, seed: Any) -> None:
    t = js(cli("quality", "checklist", "create", "--name", "Code review", "--item", "Tests pass",
               "--item", "No secrets", "--json"))  # fmt: skip
    assert t["items"] == ["Tests pass", "No secrets"] and t["version"] == 1
    assert "Code review" in cli("quality", "checklist", "list").stdout
    dup = cli("quality", "checklist", "create", "--name", "Code review", "--item", "x", code=1)
    assert "exists" in dup.stderr and "name" in dup.stderr
    empty = cli("quality", "checklist", "create", "--name", "Empty", code=1)
    assert "at least one item" in empty.stderr
    denied = cli("quality", "checklist", "create", "--name", "Mine", "--item", "x", who="worker", code=1)
    assert "quality managers" in denied.stderr

    edited = js(cli("quality", "checklist", "edit", "Code review", "--item", "Tests pass", "--item",
                    "No secrets", "--item", "Docs updated", "--json"))  # fmt: skip
    assert edited["version"] == 2 and len(edited["items"]) == 3
    stale = cli("quality", "checklist", "edit", str(t["id"]), "--name", "CR", "--version", "1", code=1)
    assert "changed by someone else" in stale.stderr
    unknown = cli("quality", "checklist", "edit", "No such list", "--name", "x", code=1)
    assert "not found" in unknown.stderr and "template" in unknown.stderr

    # Reusable across projects: the same template starts a review in P1, then is applied to another one
    r = js(cli("quality", "review", "create", "P1", "--title", "Design review", "--reviewer", "task-leader",
               "--item", "Diagram", "--json"))  # fmt: skip
    applied = js(cli("quality", "checklist", "apply", "P1", str(r["id"]), "Code review", "--json"))
    assert [x["item"] for x in applied["checklist"]] == [
        "Diagram",
        "Tests pass",
        "No secrets",
        "Docs updated",
    ]
    unknown_apply = cli("quality", "checklist", "apply", "P1", str(r["id"]), "Nope", code=1)
    assert "not found" in unknown_apply.stderr

    other = cli("quality", "checklist", "create", "--name", "Spare", "--item", "x", "--json")
    cli("quality", "checklist", "delete", str(js(other)["id"]))
    assert "Spare" not in cli("quality", "checklist", "list").stdout
    assert _actions(seed, "checklist_template") == ["create", "update", "create", "delete"]


def test_review_create_finding_sign_off_edit_delete(cli: Any, seed: Any) -> None:
    cli(
        "quality", "checklist", "create", "--name", "Inspection", "--item", "Complete", "--item", "Consistent"
    )
    r = js(cli("quality", "review", "create", "P1", "--title", "Spec inspection", "--kind", "inspection",
               "--reviewer", "task-leader", "--reviewer", "sponsor", "--template", "Inspection", "--item",
               "Traceable", "--json"))  # fmt: skip
    assert [x["item"] for x in r["checklist"]] == ["Complete", "Consistent", "Traceable"]
    assert {x["name"] for x in r["reviewers"]} == {"Task Leader", "Sponsor"} and r["kind"] == "inspection"
    bad = cli("quality", "review", "create", "P1", "--title", "X", "--reviewer", "task-leader", "--template",
              "Missing", code=1)  # fmt: skip
    assert "checklist template 'Missing' not found" in bad.stderr
    none = cli("quality", "review", "create", "P1", "--title", "X", code=1)
    assert "reviewer" in none.stderr
    outsider = cli("quality", "review", "create", "P1", "--title", "X", "--reviewer", "outsider", code=1)
    assert "holds no role" in outsider.stderr

    rid = str(r["id"])
    out = cli("quality", "review", "finding", "P1", rid, "--text", "Section 3 contradicts 5", "--severity",
              "major", "--defect", who="task-leader").stdout  # fmt: skip
    assert "defect #" in out
    badsev = cli("quality", "review", "finding", "P1", rid, "--text", "x", "--severity", "awful", code=1)
    assert "severity" in badsev.stderr
    listed = cli("quality", "review", "list", "P1").stdout
    assert "Spec inspection" in listed and "open" in listed
    shown = cli("quality", "review", "show", "P1", rid).stdout
    assert "Section 3 contradicts 5" in shown and "Traceable" in shown

    not_reviewer = cli("quality", "review", "sign-off", "P1", rid, who="worker", code=1)
    assert "only a named reviewer" in not_reviewer.stderr
    badres = cli("quality", "review", "sign-off", "P1", rid, "--result", "0=maybe", who="task-leader", code=1)
    assert "results" in badres.stderr
    one = js(cli("quality", "review", "sign-off", "P1", rid, "--result", "0=pass", "--result", "2=fail",
                 "--json", who="task-leader"))  # fmt: skip
    assert one["status"] == "open" and one["checklist"][0]["result"] == "pass"
    twice = cli("quality", "review", "sign-off", "P1", rid, who="task-leader", code=1)
    assert "already" in twice.stderr

    fixed = cli("quality", "review", "edit", "P1", rid, "--item", "Other", code=1)
    assert "items are fixed" in fixed.stderr
    e = js(cli("quality", "review", "edit", "P1", rid, "--title", "Spec inspection v2", "--json"))
    stale = cli(
        "quality", "review", "edit", "P1", rid, "--title", "Old", "--version", str(e["version"] - 1), code=1
    )
    assert "changed by someone else" in stale.stderr
    done = js(cli("quality", "review", "sign-off", "P1", rid, "--json", who="sponsor"))
    assert done["status"] == "signed_off"
    kept = cli("quality", "review", "delete", "P1", rid, code=1)
    assert "signed off" in kept.stderr

    spare = js(cli("quality", "review", "create", "P1", "--title", "Spare", "--reviewer", "pm", "--json"))
    cli("quality", "review", "delete", "P1", str(spare["id"]))
    assert [x["title"] for x in js(cli("quality", "review", "list", "P1", "--json"))] == [
        "Spec inspection v2"
    ]
    missing = cli("quality", "review", "show", "P1", "9999", code=1)
    assert "review 9999 not found" in missing.stderr


def test_lifecycle_plan_and_metrics(cli: Any, seed: Any) -> None:
    life = js(cli("quality", "phase-edit", "P1", "initiation", "--entry", "Charter signed", "--exit",
                  "Plan approved", "--json"))  # fmt: skip
    ph = life["phases"][0]
    assert ph["entry_criteria"] == "Charter signed" and ph["exit_criteria"] == "Plan approved"
    stale = cli("quality", "phase-edit", "P1", "initiation", "--exit", "X", "--version", "0", code=1)
    assert "changed by someone else" in stale.stderr
    badphase = cli("quality", "phase-edit", "P1", "someday", "--exit", "X", code=1)
    assert "phase" in badphase.stderr

    p = js(cli("quality", "plan-set", "P1", "--standard", "ISO 9001", "--standard", "ISO/IEC 25010",
               "--ack-days", "2", "--responsible-role-id", str(seed.roles["project_manager"]), "--json"))  # fmt: skip
    assert p["standards"] == ["ISO 9001", "ISO/IEC 25010"] and p["concern_ack_days"] == 2
    assert p["responsible_role"]
    assert "ack_days" in cli("quality", "plan-set", "P1", "--ack-days", "99", code=1).stderr
    assert "nothing to change" in cli("quality", "plan-set", "P1", code=1).stderr

    m = js(cli("quality", "metric-add", "P1", "--name", "Test pass rate", "--target", "95", "--unit", "%",
               "--json"))  # fmt: skip
    bad = cli(
        "quality", "metric-add", "P1", "--name", "X", "--target", "1", "--direction", "sideways", code=1
    )
    assert "direction" in bad.stderr
    out = cli("quality", "measure", "P1", str(m["id"]), "90", "--note", "nightly").stdout
    assert "not met" in out
    assert "not found" in cli("quality", "measure", "P1", "9999", "1", code=1).stderr
    assert "at" in cli("quality", "measure", "P1", str(m["id"]), "1", "--at", "yesterday", code=1).stderr
    assert "Test pass rate" in cli("quality", "plan", "P1").stdout

    # The gate fails on the metric: closing is refused with the failed criteria listed
    refused = cli("quality", "close", "P1", code=1)
    assert "gate fails" in refused.stderr and "Test pass rate" in refused.stderr
    with seed.db.uow() as s:
        roles.set_raci(s, seed.actor("admin"), seed.p1, area="quality", role_id=seed.roles["project_manager"],
                       letter="A")  # fmt: skip
    closed = js(cli("quality", "close", "P1", "--override", "Customer accepts", "--json"))
    assert closed["overrides"][0]["reason"] == "Customer accepts"
    assert "override" in _actions(seed, "phase_gate")

    stale_m = cli("quality", "metric-remove", "P1", str(m["id"]), "--version", "7", code=1)
    assert "changed by someone else" in stale_m.stderr
    cli("quality", "metric-remove", "P1", str(m["id"]))
    assert js(cli("quality", "plan", "P1", "--json"))["metrics"] == []


def test_deliverables_and_defects(cli: Any, seed: Any) -> None:
    d = js(cli("quality", "deliverable-add", "P1", "--name", "Design doc", "--work-package-id", str(seed.wp_a),
               "--acceptor", "sponsor", "--criteria", "Signed by architecture board", "--json"))  # fmt: skip
    assert d["status"] == "pending" and d["acceptor"] == "Sponsor"
    outsider = cli("quality", "deliverable-add", "P1", "--name", "X", "--work-package-id", str(seed.wp_a),
                   "--acceptor", "outsider", code=1)  # fmt: skip
    assert "acceptor_id" in outsider.stderr
    did = str(d["id"])
    wrong = cli("quality", "accept", "P1", did, who="stakeholder", code=1)
    assert "named as the acceptor" in wrong.stderr
    blank = cli("quality", "reject", "P1", did, "--reason", " ", who="sponsor", code=1)
    assert "reason" in blank.stderr
    out = cli("quality", "reject", "P1", did, "--reason", "Missing the data model", who="sponsor").stdout
    assert "rejected" in out and "Missing the data model" in out
    assert "pending" in cli("quality", "resubmit", "P1", did).stdout
    assert "only a rejected" in cli("quality", "resubmit", "P1", did, code=1).stderr
    acc = js(cli("quality", "accept", "P1", did, "--json", who="sponsor"))
    assert acc["status"] == "accepted" and acc["decided_by"] == "Sponsor" and acc["decided_at"]
    assert _actions(seed, "deliverable") == ["create", "reject", "resubmit", "accept"]

    f = js(cli("quality", "defect-add", "P1", "--title", "Login fails", "--severity", "critical", "--found-in",
               "test", "--task-id", str(seed.tasks["a"]), "--deliverable-id", did, "--owner", "worker", "--json",
               who="worker"))  # fmt: skip
    assert f["status"] == "new" and f["owner"] == "Worker"
    badfound = cli("quality", "defect-add", "P1", "--title", "X", "--severity", "minor", "--found-in", "dreams",
                   code=1)  # fmt: skip
    assert "found_in" in badfound.stderr
    fid = str(f["id"])
    e = js(cli("quality", "defect-edit", "P1", fid, "--severity", "major", "--status", "triaged", "--json"))
    assert e["severity"] == "major" and e["status"] == "triaged"
    jump = cli("quality", "defect-edit", "P1", fid, "--status", "closed", code=1)
    assert "can move to" in jump.stderr
    stale = cli("quality", "defect-edit", "P1", fid, "--priority", "1", "--version", "1", code=1)
    assert "changed by someone else" in stale.stderr
    owner = js(cli("quality", "defect-edit", "P1", fid, "--status", "in_progress", "--json", who="worker"))
    assert owner["status"] == "in_progress"
    notowner = cli("quality", "defect-edit", "P1", fid, "--severity", "minor", who="stakeholder", code=1)
    assert "only quality managers" in notowner.stderr
    listed = cli("quality", "defects", "P1", "--severity", "major").stdout
    assert "Login fails" in listed
    assert js(cli("quality", "defects", "P1", "--status", "closed", "--json")) == []
    assert len(js(cli("quality", "defects", "P1", "--status", "all", "--json"))) == 1
    assert sum(w["opened"] for w in js(cli("quality", "trend", "P1", "--json"))["weeks"]) == 1


def test_stakeholder_register_and_grid(cli: Any, seed: Any) -> None:
    x = js(cli("quality", "stakeholder-add", "P1", "--name", "Sales team", "--kind", "group", "--department",
               "Sales", "--interest", "5", "--influence", "4", "--attitude", "supporter", "--json"))  # fmt: skip
    assert x["department"] == "Sales" and x["quadrant"]
    assert "department" in cli("quality", "stakeholder-add", "P1", "--name", "X", "--department", "Nowhere",
                               code=1).stderr  # fmt: skip
    assert "attitude" in cli("quality", "stakeholder-add", "P1", "--name", "X", "--attitude", "grumpy",
                             code=1).stderr  # fmt: skip
    e = js(cli("quality", "stakeholder-edit", "P1", str(x["id"]), "--influence", "2", "--current", "supportive",
               "--json"))  # fmt: skip
    assert e["influence"] == 2 and e["version"] == 2
    stale = cli("quality", "stakeholder-edit", "P1", str(x["id"]), "--name", "Y", "--version", "1", code=1)
    assert "changed by someone else" in stale.stderr
    grid = js(cli("quality", "grid", "P1", "--json"))["grid"]
    assert grid[5 - 2][5 - 1] == ["Sales team"]
    assert "Sales team" in cli("quality", "grid", "P1").stdout
    assert "Sales team" in cli("quality", "stakeholders", "P1").stdout
    denied = cli("quality", "grid", "P1", who="worker", code=1)
    assert "register" in denied.stderr


def test_concerns_and_change_requests(cli: Any, seed: Any) -> None:
    c1 = js(cli("concern", "raise", "P1", "--subject", "Go-live too early", "--area", "schedule", "--severity",
                "high", "--needed-by", "2031-01-31", "--json", who="stakeholder"))  # fmt: skip
    cid = str(c1["id"])
    assert "not found" in cli("concern", "ack", "P1", "9999", code=1).stderr
    notpm = cli("concern", "ack", "P1", cid, who="worker", code=1)
    assert "not found" in notpm.stderr or "Project Manager" in notpm.stderr
    acked = js(cli("concern", "ack", "P1", cid, "--json"))
    assert acked["status"] == "acknowledged"
    assert "already" in cli("concern", "ack", "P1", cid, code=1).stderr
    assert "answer" in cli("concern", "answer", "P1", cid, "--text", " ", code=1).stderr
    ans = cli("concern", "answer", "P1", cid, "--text", "We keep the date, with a fallback").stdout
    assert "fallback" in ans
    seen = cli("concern", "show", "P1", cid, who="stakeholder").stdout
    assert "answered" in seen and "fallback" in seen

    c2 = js(cli("concern", "raise", "P1", "--subject", "Scope creep", "--area", "scope", "--json",
                who="stakeholder"))  # fmt: skip
    op = json.dumps([{"op": "task_duration", "task_id": seed.tasks["a"], "duration": "5d"}])
    out = cli("concern", "change-request", "P1", str(c2["id"]), "--changes", op).stdout
    assert "became CR-1" in out
    again = cli("concern", "change-request", "P1", str(c2["id"]), code=1)
    assert "already" in again.stderr
    assert "JSON" in cli("concern", "change-request", "P1", cid, "--changes", "{oops", code=1).stderr

    c3 = js(cli("concern", "raise", "P1", "--subject", "Two teams want the same server", "--area", "quality",
                "--json", who="stakeholder"))  # fmt: skip
    conf = js(cli("concern", "conflict", "P1", str(c3["id"]), "--json"))
    assert conf["ref"].startswith("C-") and conf["concern_id"] == c3["id"]
    assert "already" in cli("concern", "conflict", "P1", str(c3["id"]), code=1).stderr
    assert "CR-1" in cli("concern", "list", "P1", "--mine", who="stakeholder").stdout

    # change edit: a board, quorum, stale version; then preview and the board's vote decides
    e = js(cli("change", "edit", "P1", "1", "--approver", "sponsor", "--quorum", "1", "--json"))
    assert [a["name"] for a in e["approvers"]] == ["Sponsor"] and e["quorum"] == 1
    stale = cli("change", "edit", "P1", "1", "--title", "X", "--version", "1", code=1)
    assert "changed by someone else" in stale.stderr
    assert "CR-9" in cli("change", "edit", "P1", "9", "--title", "X", code=1).stderr
    cli("change", "preview", "P1", "1")
    off_board = cli("change", "approve", "P1", "1", code=1)
    assert "change board" in off_board.stderr
    decided = js(cli("change", "approve", "P1", "1", "--reason", "Fits the budget", "--json", who="sponsor"))
    assert decided["status"] == "approved" and decided["votes"][0]["vote"] == "approve"
    since = js(cli("change", "since", "P1", str(decided["baseline_number"]), "--json"))
    assert since["changed"] == [] and since["added"] == []
    outcome = js(cli("concern", "show", "P1", str(c2["id"]), "--json", who="stakeholder"))["outcome"]
    assert outcome["number"] == 1 and outcome["status"] == "approved"


def test_change_create_with_board_and_bad_input(cli: Any, seed: Any) -> None:
    c = js(cli("change", "create", "P1", "--title", "Add a test phase", "--area", "schedule", "--approver",
               "sponsor", "--approver", "pm", "--quorum", "2", "--description", "Two weeks", "--json"))  # fmt: skip
    assert c["quorum"] == 2 and len(c["approvers"]) == 2 and c["areas"] == ["schedule"]
    assert "Board:" in cli("change", "show", "P1", str(c["number"])).stdout
    bad = cli("change", "create", "P1", "--title", "X", "--approver", "sponsor", "--quorum", "3", code=1)
    assert "quorum" in bad.stderr
    assert "no user" in cli("change", "create", "P1", "--title", "X", "--approver", "ghost", code=1).stderr


def test_concern_list_flags_an_unacknowledged_concern_after_the_deadline(cli: Any, frozen_clock: Any) -> None:
    from datetime import UTC, datetime

    frozen_clock.set(datetime(2030, 1, 7, 9, 0, tzinfo=UTC))  # a Monday; 3 working days to acknowledge
    c = js(cli("concern", "raise", "P1", "--subject", "Budget cut", "--area", "budget", "--json",
               who="stakeholder"))  # fmt: skip
    assert js(cli("concern", "list", "P1", "--overdue", "--json")) == []
    frozen_clock.set(datetime(2030, 1, 14, 9, 0, tzinfo=UTC))
    late = js(cli("concern", "list", "P1", "--overdue", "--json"))
    assert [x["id"] for x in late] == [c["id"]] and late[0]["overdue"]
    assert "overdue" in cli("concern", "show", "P1", str(c["id"])).stdout
    cli("concern", "ack", "P1", str(c["id"]))
    assert js(cli("concern", "list", "P1", "--overdue", "--json")) == []


@pytest.mark.any_backend
def test_the_commands_the_project_manager_page_lists_exist(cli: Any) -> None:
    import re
    from pathlib import Path

    page = (Path(__file__).parents[2] / "docs" / "project-manager.md").read_text(encoding="utf-8")
    section = page.split("### Quality and change control from the command line", 1)[1].split("\n## ", 1)[0]
    seen = set()
    for span in re.findall(r"`([^`]+)`", section):
        words = span.split()
        if words and words[0] == "charter":
            words = words[1:]
        if len(words) < 2 or words[0] not in ("quality", "concern", "change"):
            continue
        group = words[:2] if words[1] in ("review", "checklist") else words[:1]
        names = words[len(group)] if len(words) > len(group) else ""
        for name in names.split("|"):
            seen.add((*group, name))
            assert "Usage" in cli(*group, name, "--help").stdout, (group, name)
    assert len(seen) > 40
