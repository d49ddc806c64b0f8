"""Status figures as people read them (desk, report): labelled, amounts in the area's currency with its minor
units, indices to two decimals, the currency not a figure of its own, nothing user-typed unescaped."""

from __future__ import annotations

import re
from typing import Any

from charter.domain.figures import figure_texts as _figures


def test_figures_are_labelled_and_formatted() -> None:
    figs = {"bac": "325200.000", "cpi": 0.91284, "eac": "356279.98", "ac": "89551", "currency": "EUR",
            "finish_slip_days": 50, "open_defects": 5, "detail": {"x": 1}, "baseline": None}  # fmt: skip
    assert _figures(figs) == [
        ("BAC", "325200.00 EUR"),
        ("CPI", "0.91"),
        ("EAC", "356279.98 EUR"),
        ("AC", "89551.00 EUR"),
        ("finish slip (days)", "50"),
        ("open defects", "5"),
    ]
    assert ("baseline no.", "–") in _figures(figs, keep_none=True)
    assert _figures({"bac": "1000.6", "currency": "JPY"}) == [("BAC", "1001 JPY")]
    assert _figures(None) == []
    # pages set thousands apart (a narrow no-break space), as they show every amount; the CLI keeps plain ones
    assert _figures(figs, group=True)[:3] == [("BAC", "325\u202f200.00 EUR"), ("CPI", "0.91"),
                                              ("EAC", "356\u202f279.98 EUR")]  # fmt: skip


def test_the_desk_shows_labelled_figures(seed: Any) -> None:
    from fastapi.testclient import TestClient

    from charter.app import create_app
    from charter.persistence.models import User
    from charter.services import accounts

    with seed.db.uow() as s:
        new = accounts.start_session(s, s.get(User, seed.users["pm"]))
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        client.cookies.set("charter_session", new.cookie)
        page = client.get("/desk").text
    assert 'id="desk-P1-pm"' in page and '<span class="figure">' in page
    section = page.split('id="desk-P1-pm"')[1].split("</table>")[0]
    assert "currency:" not in page and "_" not in section
    bac = re.search(r"BAC <b>([^<]*)</b>", section)
    assert bac is not None and re.fullmatch(r"\d{1,3}(\u202f\d{3})*\.\d\d [A-Z]{3}", bac.group(1)), section
