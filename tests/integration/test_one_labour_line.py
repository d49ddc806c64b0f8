"""One labour line per place: a package's approved hours are charged to its labour line (else the nearest
ancestor's, else the project level's), so a second labour line at the same place would never be charged and is
refused, by create and by an edit that moves a line there or makes it labour; the web form keeps what was
typed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from charter.app import create_app
from charter.persistence.models import User
from charter.services import accounts
from webhelpers import PW, csrf_of, login


def _line(api: Any, seed: Any, as_: Any, status: int = 201, **body: Any) -> Any:
    r = api.post(f"/projects/{seed.p1}/budget/lines", headers=as_("pm"),
                 json={"category": "labour", "name": "Staff", "amount": "1000", **body})  # fmt: skip
    assert r.status_code == status, r.text
    return r.json()


def test_a_second_labour_line_at_the_same_place_is_refused(api: Any, seed: Any, as_: Any) -> None:
    wp_a = _line(api, seed, as_, work_package_id=seed.wp_a)
    top = _line(api, seed, as_)  # the project level is a place of its own
    _line(api, seed, as_, work_package_id=seed.wp_a1)  # so is a sub-package
    again = _line(api, seed, as_, 422, work_package_id=seed.wp_a, name="Contractors")
    assert again["error"]["field"] == "work_package_id"
    assert f"(line {wp_a['id']})" in again["error"]["message"]
    assert _line(api, seed, as_, 422, name="More staff")["error"]["field"] == "work_package_id"
    # other categories share a place freely
    _line(api, seed, as_, category="hardware", name="Servers", work_package_id=seed.wp_a)
    hw = _line(api, seed, as_, category="hardware", name="Racks", work_package_id=seed.wp_b)
    url = f"/projects/{seed.p1}/budget/lines"
    # an edit that would put a second labour line somewhere is refused the same way; nothing is written
    r = api.patch(f"{url}/{hw['id']}", headers=as_("pm"), json={"version": hw["version"], "category": "labour",
                                                                   "work_package_id": seed.wp_a})  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["field"] == "work_package_id"
    r = api.patch(
        f"{url}/{top['id']}",
        headers=as_("pm"),
        json={"version": top["version"], "work_package_id": seed.wp_a},
    )
    assert r.status_code == 422
    r = api.patch(
        f"{url}/{hw['id']}", headers=as_("pm"), json={"version": hw["version"], "category": "labour"}
    )
    assert r.status_code == 200, r.text  # WP-B had none
    r = api.patch(
        f"{url}/{wp_a['id']}", headers=as_("pm"), json={"version": wp_a["version"], "name": "Staff A"}
    )
    assert r.status_code == 200  # a line's own place is not "taken"


@pytest.fixture
def web(seed: Any) -> Iterator[TestClient]:
    with seed.db.uow() as s:
        s.execute(update(User).values(password_hash=accounts.hash_password(PW)))
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        yield client


def test_the_budget_form_says_why_and_keeps_the_typing(
    web: TestClient, api: Any, seed: Any, as_: Any
) -> None:
    _line(api, seed, as_, work_package_id=seed.wp_a)
    login(web, "pm")
    page = web.get(f"/projects/{seed.p1}/budget").text
    form = {"csrf_token": csrf_of(page), "category": "labour", "name": "Typed contractors", "amount": "2500",
            "work_package_id": str(seed.wp_a), "description": ""}  # fmt: skip
    r = web.post(f"/projects/{seed.p1}/budget/lines", data=form)
    assert r.status_code == 422
    assert "already has the labour line" in r.text and 'value="Typed contractors"' in r.text


def test_contractors_have_a_category_of_their_own(api: Any, seed: Any, as_: Any) -> None:
    """Own staff's approved hours go to the labour line; external people invoiced by a vendor to their own."""
    _line(api, seed, as_, work_package_id=seed.wp_a)
    ext = _line(api, seed, as_, category="contractors", name="Integrator", work_package_id=seed.wp_a)
    assert ext["category"] == "contractors"
    r = api.get(f"/projects/{seed.p1}/budget/lines", headers=as_("pm"))
    assert {x["category"] for x in r.json()} >= {"labour", "contractors"}
