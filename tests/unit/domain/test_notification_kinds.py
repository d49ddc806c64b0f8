"""Every kind of notification a service sends is a kind people can choose in their preferences."""

from __future__ import annotations

import re
from pathlib import Path

from charter.domain import notifications as kinds
from charter.domain.communications import ItemKind

SERVICES = Path(__file__).resolve().parents[3] / "src" / "charter" / "services"


def _sent() -> set[str]:
    found: set[str] = set()
    for path in SERVICES.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'kind="([a-z_]+\.[a-z_]+)"', text))
        for prefix in re.findall(r'kind=f"([a-z_]+)\.\{', text):  # kind=f"comms.{i.kind}", f"contract.{kind}"
            found |= {k for k in kinds.KINDS if k.startswith(prefix + ".")}
            found.add(prefix + ".*")
    return found


def test_every_kind_sent_is_listed_with_a_label() -> None:
    sent = _sent()
    literal = {k for k in sent if not k.endswith(".*")}
    assert literal - set(kinds.KINDS) == set(), "a service sends a kind the preferences cannot name"
    assert {k.removesuffix(".*") for k in sent if k.endswith(".*")} == {"comms", "contract"}
    # the computed ones: a thread's kind, a contract's date
    assert {f"comms.{k.value}" for k in ItemKind} <= set(kinds.KINDS)
    assert {"contract.notice", "contract.renewal"} <= set(kinds.KINDS)
    assert len(literal) >= 15  # the scan really reads the services


def test_labels_and_groups() -> None:
    assert kinds.label("risk.owner") == "You own a risk"
    assert kinds.label("*").startswith("Every kind")
    assert kinds.label("task.assigned") == "A task is assigned to you"
    assert kinds.label("task.renamed") == "task.renamed"  # an unknown kind reads as itself
    assert kinds.is_known("*") and kinds.is_known("tech.due") and not kinds.is_known("risk.raised")
    flat = [k for _, options in kinds.groups() for k, _ in options]
    assert flat == list(kinds.KINDS)
