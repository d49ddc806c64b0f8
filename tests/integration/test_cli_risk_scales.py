"""`charter risk scale show|set`: the project's risk scales from the command line (they were web and API only):
the stored levels, the journal, the refusals and --json."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from charter.persistence.models import JournalEntry, RiskScale
from charter.services import risk


def _scales(seed: Any, project: int | None = None) -> dict[str, list[dict[str, Any]]]:
    with seed.db.uow(readonly=True) as s:
        return dict(risk.get_scales(s, seed.actor("admin"), project or seed.p1)["scales"])


def _journal(seed: Any) -> list[dict[str, Any]]:
    with seed.db.uow(readonly=True) as s:
        q = (
            select(JournalEntry.changes)
            .where(JournalEntry.entity_type == "risk_scales", JournalEntry.entity_id == str(seed.p1))
            .order_by(JournalEntry.id)
        )
        return list(s.scalars(q))


def test_show_and_set_some_levels(cli: Any, seed: Any) -> None:
    shown = json.loads(cli("risk", "scale", "show", "P1", "--json", who="observer").stdout)
    assert shown["scales"] == _scales(seed) and shown["units"]["schedule"] == "working days"
    out = cli("risk", "scale", "show", "P1", who="worker").stdout
    assert "probability" in out and "Very low" in out and "working days" in out and "0.3" in out

    out = cli("risk", "scale", "set", "P1", "--level", "probability:1:Rare:0.01:0.05",
              "--level", "schedule:3:Weeks:5:15", "--level", "quality:2:Noticeable",
              "--level", "cost:5::50000:200000").stdout  # fmt: skip
    assert "Risk scales saved (4 levels set)" in out and "Rare" in out and "Noticeable" in out
    sc = _scales(seed)
    assert sc["probability"][0] == {"level": 1, "label": "Rare", "low": 0.01, "high": 0.05}
    assert sc["schedule"][2] == {"level": 3, "label": "Weeks", "low": 5.0, "high": 15.0}
    assert sc["quality"][1] == {"level": 2, "label": "Noticeable", "low": None, "high": None}
    assert sc["cost"][4] == {"level": 5, "label": "Very high", "low": 50000.0, "high": 200000.0}  # label kept
    low = {"level": 2, "label": "Low", "low": 0.1, "high": 0.3}
    assert sc["probability"][1] == low  # not named: as before
    # the label alone keeps the range; an empty bound keeps that bound
    cli("risk", "scale", "set", "P1", "--level", "schedule:3:Several weeks", "--level", "schedule:4::12:")
    sc = _scales(seed)
    assert sc["schedule"][2] == {"level": 3, "label": "Several weeks", "low": 5.0, "high": 15.0}
    assert sc["schedule"][3] == {"level": 4, "label": "High", "low": 12.0, "high": 20.0}
    with seed.db.uow(readonly=True) as s:
        stored = {(r.dimension, r.level): r.label for r in s.scalars(select(RiskScale).where(RiskScale.project_id == seed.p1))}  # fmt: skip
    assert stored[("probability", 1)] == "Rare" and stored[("schedule", 3)] == "Several weeks"
    assert _scales(seed, seed.p2)["probability"][0]["label"] == "Very low"  # another project's stay
    entries = _journal(seed)
    assert len(entries) == 2
    assert json.dumps(entries[0]).count("Rare") >= 1 and "Very low" in json.dumps(entries[0])

    out = json.loads(cli("risk", "scale", "set", "P1", "--level", "scope:5:Product pulled", "--json").stdout)
    assert out["scales"]["scope"][4]["label"] == "Product pulled" and out["project_id"] == seed.p1


def test_refusals_name_the_field_and_change_nothing(cli: Any, seed: Any) -> None:
    before = _scales(seed)
    # who manages risks only (the PM); a project one cannot see is not found
    out = cli("risk", "scale", "set", "P1", "--level", "probability:1:Rare", who="observer", code=1).stderr
    assert "error" in out
    cli("risk", "scale", "set", "P1", "--level", "probability:1:Rare", who="worker", code=1)
    assert "not found" in cli("risk", "scale", "show", "P1", who="outsider", code=1).stderr
    for spec, field in (
        ("likelihood:1:Rare", "dimension"),
        ("probability:6:Beyond", "level"),
        ("probability:x:Rare", "level"),
        ("probability:1", "level"),
        ("probability:1:Rare:0.1", "level"),
        ("probability:1:Rare:abc:0.1", "probability.1.low"),
        ("probability:5:Certain:0.5:1.5", "probability.5"),  # a probability lies in 0-1
        ("cost:2:Low:9000:1000", "cost.2"),  # low above high
        ("schedule:1:Tiny:50:60", "schedule"),  # must rise with the level
        ("cost:1:Nothing:none:1000", "cost.1"),  # a numeric scale needs both ends
    ):
        out = cli("risk", "scale", "set", "P1", "--level", spec, code=1).stderr
        assert f"field: {field}" in out, (spec, out)
    # one bad level refuses them all
    cli("risk", "scale", "set", "P1", "--level", "quality:1:Cosmetic", "--level", "cost:2:x:9:1", code=1)
    cli("risk", "scale", "set", "P1", code=2)  # --level is required: a usage error
    assert _scales(seed) == before and _journal(seed) == []


@pytest.mark.any_backend
def test_every_command_has_help(cli: Any) -> None:
    for c in ("show", "set"):
        out = cli("risk", "scale", c, "--help").stdout
        assert "Usage" in out and len(out.split("\n")) > 5, c
    assert "scale" in cli("risk", "--help").stdout


@pytest.mark.any_backend
def test_the_commands_the_docs_name_exist(cli: Any) -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "project-manager.md").read_text(encoding="utf-8")
    seen = set(re.findall(r"charter risk scale ([a-z-]+)", text))
    assert seen == {"show", "set"}
    for name in seen:
        assert "Usage" in cli("risk", "scale", name, "--help").stdout, name
