"""cli.common.print_rows: the list commands' JSON, table or empty line."""

from __future__ import annotations

import json
from typing import Any

import pytest

from charter.cli.common import print_rows

ROWS = [{"id": 1, "name": "Alpha"}, {"id": 2, "name": "Beta"}]


def cells(r: dict[str, Any]) -> tuple[str, ...]:
    return (str(r["id"]), r["name"].upper())


def test_json_prints_the_rows_only(capsys: pytest.CaptureFixture[str]) -> None:
    print_rows(ROWS, ("id", "name"), cells, as_json=True, empty="No rows.")
    assert json.loads(capsys.readouterr().out) == ROWS


def test_table_has_the_headers_and_a_line_per_row(capsys: pytest.CaptureFixture[str]) -> None:
    print_rows(ROWS, ("id", "name"), cells, as_json=False, empty="No rows.")
    out = capsys.readouterr().out
    assert "id" in out and "name" in out
    assert "ALPHA" in out and "BETA" in out
    assert out.index("ALPHA") < out.index("BETA")
    assert "No rows." not in out


def test_no_rows_prints_the_empty_line(capsys: pytest.CaptureFixture[str]) -> None:
    print_rows([], ("id", "name"), cells, as_json=False, empty="No rows.")
    assert capsys.readouterr().out == "No rows.\n"


def test_no_rows_as_json_is_an_empty_list(capsys: pytest.CaptureFixture[str]) -> None:
    print_rows([], ("id", "name"), cells, as_json=True, empty="No rows.")
    assert json.loads(capsys.readouterr().out) == []
