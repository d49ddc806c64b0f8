"""The kinds of notification Charter sends, each with the words people choose them by (the inbox, the
preferences form, webhook subscriptions). A preference names one of these kinds, or "*" for every kind
without a row of its own. `tests/unit/test_notification_kinds.py` checks that every kind a service sends is
listed here."""

from __future__ import annotations

ANY_KIND = "*"

# kind -> (area, label); in the order the preferences form offers them
KINDS: dict[str, tuple[str, str]] = {
    "task.assigned": ("Tasks", "A task is assigned to you"),
    "comms.message": ("Communications", "A message to you"),
    "comms.concern": ("Communications", "A concern sent to you"),
    "comms.request": ("Communications", "A request sent to you"),
    "comms.announcement": ("Communications", "An announcement"),
    "comms.reply": ("Communications", "A reply in your thread"),
    "comms.mention": ("Communications", "You are mentioned"),
    "comms.answer": ("Communications", "Your message is answered"),
    "comms.forward": ("Communications", "A liaison forwards messages to you"),
    "comms.meeting": ("Communications", "A meeting invitation"),
    "comms.action_item": ("Communications", "An action item for you"),
    "comms.plan_overdue": ("Communications", "A communication plan item is overdue"),
    "quality.concern": ("Quality and change", "A concern (raised, acknowledged, answered, turned into work)"),
    "quality.gate_override": ("Quality and change", "A quality gate is overridden"),
    "change.decided": ("Quality and change", "Your change request is decided"),
    "risk.owner": ("Risk", "You own a risk"),
    "risk.review": ("Risk", "A risk is due for review"),
    "conflict.new": ("Conflicts", "A conflict is yours"),
    "conflict.escalated": ("Conflicts", "A conflict moves up"),
    "conflict.party": ("Conflicts", "You are a party to a conflict"),
    "conflict.resolved": ("Conflicts", "A conflict is resolved"),
    "contract.notice": ("Procurement", "A contract's notice date is near"),
    "contract.renewal": ("Procurement", "A contract renews soon"),
    "report.draft_ready": ("Reports", "A status report draft is ready"),
    "report.published": ("Reports", "A status report is published"),
    "tech.due": ("Technology", "A component's support or end of life is near"),
}


def label(kind: str) -> str:
    """How a kind reads: its label, a sentence for "*", else the kind itself (an event of an older release
    still in an inbox)."""
    if kind == ANY_KIND:
        return "Every kind without a row of its own"
    known = KINDS.get(kind)
    return known[1] if known else kind


def is_known(kind: str) -> bool:
    return kind == ANY_KIND or kind in KINDS


def groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """[(area, [(kind, label)])] in the order of KINDS: the choices of a preferences form."""
    out: dict[str, list[tuple[str, str]]] = {}
    for kind, (area, text) in KINDS.items():
        out.setdefault(area, []).append((kind, text))
    return list(out.items())
