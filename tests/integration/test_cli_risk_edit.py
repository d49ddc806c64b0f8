"""`charter risk update|status|action|comment`: a risk worked from the command line as on its page and through
the API (they were web and API only; the CLI could raise and list risks)."""

from __future__ import annotations

import json
from typing import Any

from charter.services import risk


def _raise(cli: Any, title: str = "Vendor API rate limits", who: str = "pm") -> dict[str, Any]:
    out = cli("risk", "add", "P1", title, "--probability", "3", "--cost", "4", "--json", who=who).stdout
    return dict(json.loads(out))


def _get(seed: Any, risk_id: int) -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        return risk.get_risk(s, seed.actor("admin"), seed.p1, risk_id)


def test_update_rerates_and_keeps_the_history(cli: Any, seed: Any) -> None:
    r = _raise(cli)
    out = cli("risk", "update", "P1", r["ref"], "--probability", "4", "--schedule", "5", "--strategy", "mitigate",
              "--response", "Cache the calls", "--owner", "task-leader", "--task", str(seed.tasks["a"]), "--review", "2030-02-01",
              "--residual-probability", "2", "--residual-impact", "2").stdout  # fmt: skip
    assert f"Updated {r['ref']}" in out and "score 20" in out and "owner" in out, out
    got = _get(seed, r["id"])
    assert (got["probability"], got["impact_schedule"], got["strategy"], got["response"]) == (
        4, 5, "mitigate", "Cache the calls"
    )  # fmt: skip
    assert got["owner_id"] == seed.users["task_leader"] and got["task_id"] is not None
    assert str(got["review_date"]) == "2030-02-01" and got["residual_score"] == 4
    with seed.db.uow(readonly=True) as s:
        assert len(risk.ratings(s, seed.actor("pm"), seed.p1, r["id"])) == 2  # raised, then re-rated
    # 'none' clears the review date; only what is given changes
    cli("risk", "update", "P1", str(r["number"]), "--review", "none")
    got = _get(seed, r["id"])
    assert got["review_date"] is None and got["probability"] == 4


def test_status_action_and_comment(cli: Any, seed: Any) -> None:
    r = _raise(cli)
    assert "assessed" in cli("risk", "status", "P1", r["ref"], "assessed").stdout
    cli("risk", "update", "P1", r["ref"], "--strategy", "mitigate")
    cli("risk", "status", "P1", r["ref"], "responding")
    out = cli("risk", "action", "P1", r["ref"], "--name", "Add a retry queue", "--duration", "3d").stdout
    assert "1 response action(s)" in out and "Add a retry queue" in out
    out = cli("risk", "action", "P1", r["ref"], "--task", str(seed.tasks["a"])).stdout
    assert "2 response action(s)" in out
    assert (
        "Comment added to " + r["ref"]
        in cli("risk", "comment", "P1", r["ref"], "Seen in the *load test*").stdout
    )
    out = cli(
        "risk", "status", "P1", r["ref"], "occurred", "--occurred-on", "2030-01-15", "--note", "429s"
    ).stdout
    assert "occurred" in out
    got = _get(seed, r["id"])
    assert (
        got["status"] == "occurred"
        and str(got["occurred_on"]) == "2030-01-15"
        and got["issue_note"] == "429s"
    )
    assert [c["body"] for c in got["comments"]] == ["Seen in the *load test*"]
    assert len(got["actions"]) == 2


def test_refusals_name_what_is_wrong_and_change_nothing(cli: Any, seed: Any) -> None:
    r = _raise(cli)
    before = _get(seed, r["id"])
    # the owner or a risk manager only: the worker may raise, not re-rate another's risk
    out = cli("risk", "update", "P1", r["ref"], "--probability", "1", who="worker", code=1).output
    assert "owner" in out or "manage" in out, out
    assert "not a date" in cli("risk", "update", "P1", r["ref"], "--review", "soon", code=1).output
    assert "nothing to change" in cli("risk", "update", "P1", r["ref"], code=1).output
    assert "not found" in cli("risk", "update", "P1", "R-999", "--probability", "2", code=1).output
    assert (
        "version"
        in cli("risk", "update", "P1", r["ref"], "--probability", "2", "--version", "99", code=1).output
    )
    cli("risk", "update", "P1", r["ref"], "--probability", "9", code=2)  # outside 1-5: a usage error
    out = cli("risk", "status", "P1", r["ref"], "done", code=1).output  # not a status
    assert "status" in out
    assert "one of them" in cli("risk", "action", "P1", r["ref"], code=1).output
    assert "empty" in cli("risk", "comment", "P1", r["ref"], " ", code=1).output
    cli(
        "risk", "update", "P2", r["ref"], "--probability", "2", who="worker", code=1
    )  # a project they cannot see
    after = _get(seed, r["id"])
    assert after["version"] == before["version"] and after["probability"] == 3 and after["comments"] == []
    for cmd in ("update", "status", "action", "comment"):
        assert cli("risk", cmd, "--help").exit_code == 0


def test_show_prints_the_rating_history(cli: Any, seed: Any) -> None:
    """`charter risk show` promised the rating history (its help, as the risk's page shows it) but printed
    only the current rating."""
    r = _raise(cli)
    cli("risk", "update", "P1", r["ref"], "--probability", "5")
    out = cli("risk", "show", "P1", r["ref"]).stdout
    history = out[out.index("rating history") :]
    lines = [ln for ln in history.splitlines()[1:] if "score" in ln]
    assert [ln.split("score ")[1].split()[0].rstrip(";,") for ln in lines] == ["12", "20"], out
