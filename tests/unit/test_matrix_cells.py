"""The PostgreSQL run's sample of a permission-matrix row keeps every outcome, the PM and the scoped roles."""

from __future__ import annotations

import pytest

import matrix_cells

CALLERS = ("anonymous", "admin", "pm", "task_leader", "task_leader_b", "worker", "stakeholder", "liaison",
           "sponsor", "observer", "outsider")  # fmt: skip


def _row(**outcomes: str) -> dict[str, str]:
    return {c: outcomes.get(c, "403") for c in CALLERS}


def test_sqlite_tries_every_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matrix_cells, "IS_POSTGRES", False)
    assert matrix_cells.callers_to_try(_row(anonymous="401", pm="ok"), CALLERS) == list(CALLERS)


def test_postgres_tries_each_outcome_the_pm_and_the_scoped_roles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matrix_cells, "IS_POSTGRES", True)
    monkeypatch.setattr(matrix_cells, "EVERYTHING", False)
    row = _row(anonymous="401", admin="ok", pm="ok", task_leader="ok", sponsor="ok", outsider="404")
    got = matrix_cells.callers_to_try(row, CALLERS)
    assert got == ["anonymous", "admin", "pm", "task_leader", "task_leader_b", "liaison", "outsider"]
    assert {row[c] for c in got} == set(row.values())  # no outcome left untried
    monkeypatch.setattr(matrix_cells, "EVERYTHING", True)
    assert matrix_cells.callers_to_try(row, CALLERS) == list(CALLERS)
