"""A concern whose change request was withdrawn is open again for the PM: it may be answered or become a new
change request (the concern then shows the new one); a concern whose change request is still in play is
neither (409). The concerns page offers the forms accordingly."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.domain.errors import Conflict
from charter.services import change, stakeholders
from webhelpers import csrf_of, login_seeded


def _concern_with_cr(seed: Any) -> tuple[int, dict[str, Any]]:
    with seed.db.uow() as s:
        c = stakeholders.raise_concern(s, seed.actor("stakeholder"), seed.p1, subject="Go-live clashes with audit",
                                       areas=["schedule"], body="Move it a week?")  # fmt: skip
        cr = stakeholders.to_change_request(s, seed.actor("pm"), seed.p1, c["id"])
    return int(c["id"]), cr


def test_a_withdrawn_request_gives_the_concern_back_to_the_pm(seed: Any) -> None:
    cid, first = _concern_with_cr(seed)
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        with pytest.raises(Conflict):  # in play: its decision answers the concern
            stakeholders.to_change_request(s, pm, seed.p1, cid)
        with pytest.raises(Conflict):
            stakeholders.answer(s, pm, seed.p1, cid, text="No")
        assert stakeholders.get_concern(s, pm, seed.p1, cid)["with_change_request"] is True
    with seed.db.uow() as s:
        change.withdraw(
            s, seed.actor("stakeholder"), seed.p1, first["id"], first["version"], reason="Audit moved"
        )
    with seed.db.uow() as s:
        c = stakeholders.get_concern(s, pm, seed.p1, cid)
        assert c["with_change_request"] is False and c["outcome"]["status"] == "withdrawn"
        second = stakeholders.to_change_request(s, pm, seed.p1, cid, title="Go-live a week later")
    assert second["number"] == first["number"] + 1
    with seed.db.uow() as s:
        c = stakeholders.get_concern(s, pm, seed.p1, cid)
        assert c["outcome"]["id"] == second["id"] and c["with_change_request"] is True
        with pytest.raises(Conflict):
            stakeholders.to_change_request(s, pm, seed.p1, cid)


def test_the_concerns_page_offers_answer_and_change_request_again(seed: Any) -> None:
    cid, first = _concern_with_cr(seed)
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        login_seeded(seed, client, "pm")
        url = f"/projects/{seed.p1}/concerns"
        page = client.get(url).text
        assert f"/concerns/{cid}/change-request" not in page and f'id="ans-{cid}"' not in page
        with seed.db.uow() as s:
            change.withdraw(s, seed.actor("pm"), seed.p1, first["id"], first["version"], reason="Not now")
        page = client.get(url).text
        assert f"/concerns/{cid}/change-request" in page and f'id="ans-{cid}"' in page
        r = client.post(f"{url}/{cid}/change-request", data={"csrf_token": csrf_of(page)})
        assert r.status_code == 303
        page = client.get(url).text
        assert f"CR-{first['number'] + 1}" in page and f"/concerns/{cid}/change-request" not in page
