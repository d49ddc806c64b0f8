"""Status figures (desks, reports, the portfolio) as people read them: the abbreviations PMs use, units in the
label, amounts in the currency's minor units."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from charter.domain.money import for_display, grouped, quantise
from charter.domain.projects import CURRENCY_MINOR_UNITS

FIGURE_LABELS = {
    "bac": "BAC", "eac": "EAC", "ac": "AC", "cpi": "CPI", "spi": "SPI", "baseline": "baseline no.",
    "finish_slip_days": "finish slip (days)", "max_milestone_slip_days": "worst milestone slip (days)",
    "oldest_hold_days": "oldest hold (days)", "max_late_days": "latest order (days late)",
    "oldest_open_days": "oldest open (days)", "past_eol": "past end of life", "eol_soon": "end of life soon",
    "at_pm": "at the PM", "at_sponsor": "at the Sponsor",
}  # fmt: skip
FIGURE_AMOUNTS = frozenset({"bac", "eac", "ac"})


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """A count in words: "1 open threat", "2 open threats" (`plural`: when adding an s is wrong)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def figure_texts(
    figures: dict[str, Any] | None, keep_none: bool = False, group: bool = False
) -> list[tuple[str, str]]:
    """A status area's figures as (label, text) pairs: labelled and formatted (amounts in the area's currency,
    indices to two decimals); the currency itself is not a figure of its own. The web's `figures` filter
    (`group`: thousands set apart, as pages show amounts) and the CLI's desk both read them this way."""
    figures = figures or {}
    cur = figures.get("currency")
    out: list[tuple[str, str]] = []
    for k, v in figures.items():
        if k == "currency" or isinstance(v, dict | list) or (v is None and not keep_none):
            continue
        label = FIGURE_LABELS.get(k, k.replace("_", " "))
        if v is None:
            text = "–"
        elif k in FIGURE_AMOUNTS:
            d = Decimal(str(v))
            amount = quantise(d, cur) if cur in CURRENCY_MINOR_UNITS else for_display(d, None)
            shown = grouped(amount) if group else str(amount)
            text = f"{shown} {cur}" if cur else shown
        elif isinstance(v, float):
            text = f"{v:.2f}"
        else:
            text = str(v)
        out.append((label, text))
    return out
