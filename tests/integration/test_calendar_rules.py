"""Calendar edits through the API keep the rules the web form keeps: a name, a region only with its country;
a refused edit changes nothing."""

from __future__ import annotations

from typing import Any


def _err(r: Any, status: int, field: str) -> str:
    assert r.status_code == status, r.text
    e = r.json()["error"]
    assert e["field"] == field, e
    return str(e["message"])


def test_update_needs_a_name_and_a_region_needs_its_country(api: Any, seed: Any, as_: Any) -> None:
    pm = as_("pm")
    made = api.post(f"/projects/{seed.p1}/calendars", json={"name": "Munich", "country": "DE", "subdiv": "BY"},
                    headers=pm)  # fmt: skip
    assert made.status_code == 201, made.text
    cal = made.json()
    url = f"/projects/{seed.p1}/calendars/{cal['id']}"
    assert "needs a name" in _err(api.patch(url, json={"version": cal["version"], "name": "  "}, headers=pm), 422,
                                  "name")  # fmt: skip
    assert "country" in _err(api.patch(url, json={"version": cal["version"], "country": None}, headers=pm), 422,
                             "subdiv")  # fmt: skip
    r = api.post(f"/projects/{seed.p1}/calendars", json={"name": "Nowhere", "subdiv": "BY"}, headers=pm)
    assert "country" in _err(r, 422, "subdiv")
    after = next(
        c for c in api.get(f"/projects/{seed.p1}/calendars", headers=pm).json() if c["id"] == cal["id"]
    )
    assert (after["name"], after["country"], after["subdiv"], after["version"]) == ("Munich", "DE", "BY", 1)
    ok = api.patch(url, json={"version": 1, "name": " Bavaria ", "country": None, "subdiv": None}, headers=pm)
    assert ok.status_code == 200, ok.text
    assert (ok.json()["name"], ok.json()["country"], ok.json()["subdiv"]) == ("Bavaria", None, None)
