"""The status report pages over HTTP: the project's link, the PM creates a draft, edits the narrative (a stale
form re-renders with the typed text and 409), publishes; the sponsor reads the published report and its PDF
but never a draft; CSRF is required; no inline styles or scripts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from charter.app import create_app
from charter.persistence.models import User
from charter.services import accounts
from webhelpers import PW, csrf_of, login, no_inline

World = Any


@pytest.fixture
def web(seed: World, frozen_clock: Any) -> Iterator[tuple[TestClient, World]]:
    frozen_clock.set(datetime(2030, 1, 14, 9, 0, tzinfo=UTC))
    with seed.db.uow() as s:
        s.execute(update(User).values(password_hash=accounts.hash_password(PW)))
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        yield client, seed


def test_pm_drafts_edits_and_publishes_and_the_sponsor_reads(web: tuple[TestClient, World]) -> None:
    client, w = web
    base = f"/projects/{w.p1}/reports"
    csrf = login(client, "pm")
    assert f'href="{base}"' in client.get(f"/projects/{w.p1}").text
    page = client.get(base)
    assert page.status_code == 200 and "Create draft" in page.text
    no_inline(page.text)
    r = client.post(base, data={"csrf_token": csrf, "period": "week", "date": "not a date"})
    assert r.status_code == 422 and "must be a date" in r.text and 'value="not a date"' in r.text
    assert client.post(base, data={"period": "week", "date": "2030-01-08"}).status_code in (
        400,
        403,
    )  # no CSRF
    r = client.post(base, data={"csrf_token": csrf, "period": "week", "date": "2030-01-08"})
    assert r.status_code == 303
    url = r.headers["location"]
    page = client.get(url)
    assert (
        page.status_code == 200
        and 'id="rag-table"' in page.text
        and "no data: the conflict log is empty" in page.text
    )
    no_inline(page.text)
    r = client.post(url + "/narrative", data={"csrf_token": csrf, "version": "1",
                                              "narrative": "**Green** week <script>alert(1)</script>"})  # fmt: skip
    assert r.status_code == 303
    page = client.get(url)
    assert "<strong>Green</strong>" in page.text and "<script>alert(1)" not in page.text
    stale = client.post(
        url + "/narrative", data={"csrf_token": csrf, "version": "1", "narrative": "typed again"}
    )
    assert (
        stale.status_code == 409 and "typed again" in stale.text and "changed by someone else" in stale.text
    )
    assert client.post(url + "/publish", data={"csrf_token": csrf, "version": "2"}).status_code == 303
    page = client.get(url)
    assert "the figures are frozen" in page.text and 'id="publish"' not in page.text

    login(client, "sponsor")
    listing = client.get(base)
    assert url in listing.text and "Create draft" not in listing.text
    pdf = client.get(url + "/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and b"Project One" in pdf.content
    csrf = csrf_of(client.get(url).text)
    assert client.post(url + "/publish", data={"csrf_token": csrf, "version": "3"}).status_code == 403


def test_pm_overrides_thresholds_on_the_page(web: tuple[TestClient, World]) -> None:
    client, w = web
    base = f"/projects/{w.p1}/reports"
    csrf = login(client, "pm")
    r = client.post(base + "/thresholds", data={"csrf_token": csrf, "version": "0", "cpi_red": "0.99"})
    assert (
        r.status_code == 422
        and "cpi_red" in r.text.replace("cpi red", "cpi_red")
        and 'value="0.99"' in r.text
    )
    r = client.post(base + "/thresholds", data={"csrf_token": csrf, "version": "0", "cpi_red": "0.85",
                                                "overload_red_days": "5"})  # fmt: skip
    assert r.status_code == 303
    with w.db.uow(readonly=True) as s:
        from charter.services import reports

        got = reports.get_thresholds(s, w.actor("pm"), w.p1)
    assert got["overrides"] == {"cpi_red": 0.85} and got["version"] == 1
    login(client, "sponsor")
    page = client.get(base)
    assert "Save thresholds" not in page.text and "0.85" in page.text


def test_a_draft_is_not_found_for_the_sponsor(web: tuple[TestClient, World]) -> None:
    client, w = web
    base = f"/projects/{w.p1}/reports"
    csrf = login(client, "pm")
    url = client.post(base, data={"csrf_token": csrf, "period": "month", "date": "2030-01-08"}).headers[
        "location"
    ]
    login(client, "sponsor")
    assert client.get(url).status_code == 404
    assert client.get(url + "/pdf").status_code == 404
    assert url not in client.get(base).text
    login(client, "outsider")
    assert client.get(base).status_code == 404
