"""Numbers typed into web forms that no column can hold — a 40-digit id, "１２", "1e3" where an id goes — are
refused beside their field (422, the input kept), never an internal error; what a form does not check itself
(a path with an id beyond the database's integers) is a page not found or a clear 422 page, nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from charter.app import create_app
from charter.domain.errors import ValidationError
from charter.persistence.models import JournalEntry
from charter.web.forms import opt_int
from webhelpers import login_seeded

HUGE = "9" * 40


@pytest.fixture
def web(seed: Any) -> Iterator[tuple[TestClient, str]]:
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        yield client, login_seeded(seed, client, "pm")


def _journal(seed: Any) -> int:
    with seed.db.uow(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(JournalEntry)) or 0


@pytest.mark.any_backend
@pytest.mark.parametrize("typed", [HUGE, "-" + HUGE, "１２", "1e3", "--5", "1_000", "٣", "0x10", "12.0"])
def test_a_form_number_is_ascii_digits_within_the_database(typed: str) -> None:
    with pytest.raises(ValidationError) as exc:
        opt_int({"task_id": typed}, "task_id")
    assert exc.value.field == "task_id"
    assert ("below 2 147 483 648" in exc.value.message) is (typed.lstrip("-") == HUGE)


@pytest.mark.any_backend
def test_ordinary_form_numbers_still_read() -> None:
    assert [opt_int({"n": v}, "n") for v in ("", "  ", "7", " 42 ", "+3", "-2", str(2**31 - 1))] == [
        None, None, 7, 42, 3, -2, 2**31 - 1]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "field", "data"),
    [
        ("/procurement/requests", "budget_line_id", {"title": "Rack servers", "amount": "800"}),
        ("/budget/lines", "work_package_id", {"category": "hardware", "name": "Disks", "amount": "10"}),
        ("/quality/defect", "task_id", {"title": "Login fails", "severity": "major"}),
    ],
)
def test_a_40_digit_id_is_refused_beside_its_field(
    web: tuple[TestClient, str], seed: Any, path: str, field: str, data: dict[str, str]
) -> None:
    client, token = web
    before = _journal(seed)
    r = client.post(f"/projects/{seed.p1}{path}", data={"csrf_token": token, field: HUGE, **data})
    assert r.status_code == 422, r.text[:300]
    assert "below 2 147 483 648" in r.text and "internal error" not in r.text
    first = next(iter(data.values()))
    assert f'value="{first}"' in r.text or first in r.text  # what was typed is kept
    assert _journal(seed) == before


def test_an_id_beyond_the_database_in_a_page_address_is_not_found(
    web: tuple[TestClient, str], seed: Any
) -> None:
    client, _ = web
    for path in (
        f"/projects/{HUGE}",
        f"/projects/{seed.p1}/tasks/{HUGE}",
        f"/projects/{seed.p1}/risks/{HUGE}",
    ):
        r = client.get(path)
        assert r.status_code == 404, (path, r.status_code)
    # the server is still there for the next request on the same connection
    assert client.get(f"/projects/{seed.p1}").status_code == 200
