"""References typed by people (CLI arguments, query strings, ticked boxes) that look like numbers but are not
ids: "²" is a digit to str.isdigit yet not to int(), and 20 digits overflow SQLite's integers. Each is simply
not found, never a server error or a traceback."""

from __future__ import annotations

from typing import Any

import pytest

from charter.domain.errors import NotFound
from charter.services import projects, timesheets, work_packages

World = Any
ODD = ["²", "99999999999999999999", "-1", "٣٣٣"]


@pytest.mark.parametrize("ref", ODD)
def test_a_project_task_or_package_named_oddly_is_not_found(seed: World, ref: str) -> None:
    with seed.db.uow(readonly=True) as s:
        with pytest.raises(NotFound):
            projects.find_project_id(s, seed.actor("pm"), ref)
        with pytest.raises(NotFound):
            timesheets.find_task_id(s, seed.actor("pm"), seed.p1, ref)
        with pytest.raises(NotFound):
            work_packages.find_work_package_id(s, seed.actor("pm"), seed.p1, ref)


@pytest.mark.parametrize("ref", [r for r in ODD if not r.startswith("-")])  # "-1" reads as an option
def test_cli_says_not_found(cli: Any, ref: str) -> None:
    assert "not found" in cli("task", "list", ref, code=1).output
    assert "no task" in cli("task", "show", "P1", ref, code=1).output
    assert "no user" in cli("time", "list", "--project", "P1", "--user", ref, code=1).output
    out = cli("risk", "show", "P1", ref, code=1).output  # "٣٣٣" is the number 333: R-333, not found
    assert "not a risk number" in out or "not found" in out
