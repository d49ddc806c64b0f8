"""A resource from the command line (`charter resource show|update|rate|exception`) and the API's ranges of
days off (`until`) and their removal (DELETE /resources/{id}/exceptions/{exception_id}): the same service
as the Resources page, the same refusals, each naming its field."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from charter.domain.errors import ValidationError
from charter.services import resources
from charter.services.context import SYSTEM


def _rig(seed: Any) -> int:
    with seed.db.uow() as s:
        return int(resources.create_resource(s, seed.actor("admin"), name="Test rig", kind="equipment")["id"])


def _get(seed: Any, rid: int) -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        return resources.get_resource(s, seed.actor("admin"), rid)


@pytest.mark.any_backend
def test_help_of_every_new_command(cli: Any) -> None:
    for cmd, option in (("show", "--json"), ("update", "--max-units"), ("rate", "--valid-from"),
                        ("exception", "--until")):  # fmt: skip
        r = cli("resource", cmd, "--help")
        assert option in r.stdout, cmd
    assert "--rate" in cli("resource", "rate", "--help").stdout  # (--standard's other name)


def test_cli_update_rate_exception_and_show(seed: Any, cli: Any) -> None:
    rid = _rig(seed)
    r = cli("resource", "update", "test RIG", "--name", "Bench rig", "--max-units", "2", "--weekdays", "mon-thu",
            "--hours", "08:00-12:00", "--skills", "soldering, scope", "--department", "Sales", who="admin")  # fmt: skip
    assert f"Resource {rid} updated: Bench rig" in r.stdout and "version 2" in r.stdout
    got = _get(seed, rid)
    assert (got["max_units"], got["weekdays"], got["shifts"], got["skills"], got["department_id"]) == (
        2.0, [0, 1, 2, 3], [[480, 720]], ["soldering", "scope"], seed.sales)  # fmt: skip
    r = cli("resource", "update", str(rid), "--weekdays", "", "--department", "", "--inactive", who="admin")
    got = _get(seed, rid)
    assert (got["weekdays"], got["department_id"], got["active"], got["version"]) == ([], None, False, 3)

    r = cli("resource", "rate", "Bench rig", "--rate", "85.5", "--from", "2020-01-01", "--currency", "EUR",
            who="admin")  # fmt: skip
    assert "Bench rig: 85.50 EUR from 2020-01-01" in r.stdout
    r = cli("resource", "rate", str(rid), "--standard", "90", "--valid-from", "2021-01-01", "--overtime", "120",
            "--json", who="admin")  # fmt: skip
    assert [x["currency"] for x in json.loads(r.stdout)["rates"]] == ["EUR", "EUR"]  # the previous rate's

    r = cli("resource", "exception", "Bench rig", "--start", "2030-08-05", "--end", "2030-08-09", "--reason",
            "Calibration", who="admin")  # fmt: skip
    assert "2030-08-05 .. 2030-08-09 (5 days) off" in r.stdout
    r = cli("resource", "exception", "Bench rig", "--day", "2030-08-06", "--until", "2030-08-07", "--remove",
            who="admin")  # fmt: skip
    assert "removed" in r.stdout
    assert [str(e["day"]) for e in _get(seed, rid)["exceptions"]] == [
        "2030-08-05",
        "2030-08-08",
        "2030-08-09",
    ]

    r = cli("resource", "show", "Bench rig")  # any signed-in user reads it
    assert "Bench rig" in r.stdout and "[inactive]" in r.stdout and "85.50" in r.stdout
    assert "2030-08-08" in r.stdout and "Calibration" in r.stdout and "08:00-12:00" in r.stdout
    data = json.loads(cli("resource", "show", str(rid), "--json").stdout)
    assert data["id"] == rid and len(data["rates"]) == 2 and len(data["exceptions"]) == 3


def test_a_person_by_username_and_their_own_days_off(seed: Any, cli: Any) -> None:
    with seed.db.uow() as s:
        resources.person_resource(s, seed.users["worker"], SYSTEM)
    r = cli("resource", "exception", "worker", "--day", "2030-07-01", "--name", "Dentist", who="worker")
    assert "2030-07-01 off" in r.stdout
    r = cli("resource", "update", "worker", "--weekdays", "mon-wed", who="worker")  # own part-time week
    assert "mon, tue, wed" in r.stdout
    r = cli("resource", "update", "worker", "--max-units", "2", who="worker", code=1)
    assert "only an instance admin" in r.stderr


def test_cli_refusals(seed: Any, cli: Any) -> None:
    rid = _rig(seed)
    r = cli("resource", "update", "Test rig", code=1, who="admin")
    assert "nothing to change" in r.stderr
    r = cli("resource", "update", "Test rig", "--name", "X", "--version", "7", code=1, who="admin")
    assert "changed by someone else" in r.stderr and "(field: version)" in r.stderr
    r = cli("resource", "update", "No such thing", "--name", "X", code=1, who="admin")
    assert "no resource 'No such thing'" in r.stderr and "(field: resource)" in r.stderr
    r = cli("resource", "rate", "Test rig", "--rate", "cheap", "--from", "2020-01-01", code=1, who="admin")
    assert "(field: standard)" in r.stderr
    r = cli("resource", "rate", "Test rig", "--rate", "80", "--from", "soon", code=1, who="admin")
    assert "(field: valid_from)" in r.stderr
    r = cli("resource", "rate", "Test rig", "--rate", "80", "--from", "2020-01-01", code=1, who="pm")
    assert "only an instance admin" in r.stderr
    r = cli("resource", "exception", "Test rig", "--day", "2030-01-09", "--until", "2030-01-01", code=1,
            who="admin")  # fmt: skip
    assert "(field: until)" in r.stderr
    r = cli("resource", "exception", "Test rig", "--day", "2030-01-09", "--remove", code=1, who="admin")
    assert "no entry on 2030-01-09" in r.stderr
    with seed.db.uow() as s:
        resources.create_resource(s, seed.actor("admin"), name="test rig", kind="equipment")
    r = cli("resource", "show", "Test rig", code=1)
    assert "2 resources are named" in r.stderr and "give the id" in r.stderr
    got = _get(seed, rid)
    assert (got["version"], got["rates"], got["exceptions"]) == (1, [], [])


def test_api_range_of_days_off_and_removal(seed: Any, api: Any, as_: Any) -> None:
    rid = _rig(seed)
    url = f"/resources/{rid}/exceptions"
    r = api.post(url, headers=as_("admin"), json={"day": "2030-08-05", "until": "2030-08-07", "name": "Away"})
    assert r.status_code == 201 and [e["day"] for e in r.json()["exceptions"]] == [
        "2030-08-05", "2030-08-06", "2030-08-07"]  # fmt: skip
    r = api.post(url, headers=as_("admin"), json={"day": "2030-08-01", "until": "2030-08-05"})
    assert r.status_code == 409 and r.json()["error"]["field"] == "day"  # one day is taken: none is added
    r = api.post(url, headers=as_("admin"), json={"day": "2030-01-01", "until": "2031-12-31"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "until"
    assert len(_get(seed, rid)["exceptions"]) == 3
    first = _get(seed, rid)["exceptions"][0]["id"]
    assert api.delete(f"{url}/{first}", headers=as_("pm")).status_code == 403
    r = api.delete(f"{url}/{first}", headers=as_("admin"))
    assert r.status_code == 200 and len(r.json()["exceptions"]) == 2
    r = api.delete(f"{url}/{first}", headers=as_("admin"))
    assert r.status_code == 404 and r.json()["error"]["field"] == "exception_id"


def test_api_refuses_what_the_columns_cannot_hold(seed: Any, api: Any, as_: Any) -> None:
    rid = _rig(seed)
    r = api.patch(f"/resources/{rid}", headers=as_("admin"), json={"version": 1, "department_id": 999999})
    assert r.status_code == 422 and r.json()["error"]["field"] == "department_id"
    for value in ("1e20", "Infinity", "NaN", "0.00001", "-1"):
        with seed.db.uow() as s, pytest.raises(ValidationError) as caught:
            resources.add_rate(s, seed.actor("admin"), rid, valid_from=dt.date(2020, 1, 1), standard=value,
                               currency="EUR")  # fmt: skip
        assert caught.value.field == "standard", value
    assert _get(seed, rid)["rates"] == []
