"""Technology inventory: SBOM and CSV imports, due-date alerts to owners, handover and the closing checklist."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select

from charter.domain.errors import BadRequest, CharterError, Conflict, ValidationError
from charter.persistence.models import Notification, Project
from charter.services import closure, roles, tech
from charter.services.context import SYSTEM

CYCLONEDX_JSON = {
    "$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json",
    "bomFormat": "CycloneDX",
    "specVersion": "1.5",
    "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
    "version": 1,
    "metadata": {
        "timestamp": "2024-03-01T10:00:00Z",
        "tools": {"components": [{"type": "application", "group": "CycloneDX", "name": "cyclonedx-py",
                                  "version": "4.1.0"}]},
        "component": {"type": "application", "bom-ref": "app", "name": "shop", "version": "1.0"},
    },
    "components": [
        {"type": "library", "bom-ref": "pkg:pypi/requests@2.31.0", "name": "requests", "version": "2.31.0",
         "purl": "pkg:pypi/requests@2.31.0", "licenses": [{"license": {"id": "Apache-2.0"}}],
         "hashes": [{"alg": "SHA-256", "content": "58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f"}],
         "components": [{"type": "library", "bom-ref": "pkg:pypi/urllib3@2.0.7", "name": "urllib3",
                         "version": "2.0.7", "licenses": [{"expression": "MIT"}]}]},
        {"type": "operating-system", "bom-ref": "os", "name": "debian", "version": "12",
         "supplier": {"name": "Debian", "url": ["https://www.debian.org"]}},
    ],
    "dependencies": [{"ref": "app", "dependsOn": ["pkg:pypi/requests@2.31.0"]}],
}  # fmt: skip

CYCLONEDX_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" serialNumber="urn:uuid:1b0e0b8e-8f4e-4b7a-9c61-5d1b0f0e2a10" version="1">
  <metadata><timestamp>2024-03-01T10:00:00Z</timestamp></metadata>
  <components>
    <component type="framework" bom-ref="pkg:pypi/flask@3.0.0">
      <publisher>Pallets</publisher>
      <name>flask</name>
      <version>3.0.0</version>
      <licenses><license><id>BSD-3-Clause</id></license></licenses>
      <purl>pkg:pypi/flask@3.0.0</purl>
      <components>
        <component type="library"><name>werkzeug</name><version>3.0.1</version>
          <licenses><expression>BSD-3-Clause OR MIT</expression></licenses></component>
      </components>
    </component>
  </components>
</bom>
"""

SPDX_JSON = {
    "spdxVersion": "SPDX-2.3",
    "dataLicense": "CC0-1.0",
    "SPDXID": "SPDXRef-DOCUMENT",
    "name": "app",
    "documentNamespace": "https://example.com/spdxdocs/app-5c2d0b5e-3a1f-4d8e-9b7a-2f6c1e0d4a93",
    "creationInfo": {"created": "2024-03-01T10:00:00Z", "creators": ["Tool: syft-1.0.1", "Organization: Example"]},
    "packages": [
        {"SPDXID": "SPDXRef-Package-numpy", "name": "numpy", "versionInfo": "1.26.4", "downloadLocation": "NOASSERTION",
         "filesAnalyzed": False, "licenseConcluded": "BSD-3-Clause", "licenseDeclared": "BSD-3-Clause",
         "copyrightText": "NOASSERTION", "supplier": "Organization: NumFOCUS", "primaryPackagePurpose": "LIBRARY",
         "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                           "referenceLocator": "pkg:pypi/numpy@1.26.4"}]},
        {"SPDXID": "SPDXRef-Package-left-pad", "name": "left-pad", "versionInfo": "1.3.0",
         "downloadLocation": "https://registry.example/left-pad/-/left-pad-1.3.0.tgz", "filesAnalyzed": False,
         "licenseConcluded": "NOASSERTION", "licenseDeclared": "WTFPL"},
    ],
    "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                       "relatedSpdxElement": "SPDXRef-Package-numpy"}],
}  # fmt: skip

SPDX_TV = b"""## Document Information
SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: app
DocumentNamespace: https://example.com/spdxdocs/app-9d0e7c1a-0b2f-4e55-8a61-3c7d2e9f1b40
Creator: Tool: syft-1.0.1
Created: 2024-03-01T10:00:00Z
DocumentComment: <text>a comment
PackageName: not-a-package
</text>

## Package
PackageName: openssl
SPDXID: SPDXRef-openssl
PackageVersion: 3.0.13
PackageDownloadLocation: https://www.openssl.org/source/openssl-3.0.13.tar.gz
FilesAnalyzed: false
PackageSupplier: Organization: OpenSSL
PackageLicenseConcluded: Apache-2.0
PackageLicenseDeclared: Apache-2.0
PackageCopyrightText: NOASSERTION
PrimaryPackagePurpose: LIBRARY
"""


def _by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in rows}


def test_cyclonedx_and_spdx_imports_land_versions_and_licences(seed: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        a = tech.import_file(s, pm, seed.p1, json.dumps(CYCLONEDX_JSON).encode(), "bom.json")
        b = tech.import_file(s, pm, seed.p1, CYCLONEDX_XML, "bom.xml")
        c = tech.import_file(s, pm, seed.p1, json.dumps(SPDX_JSON).encode(), "sbom.spdx.json")
        d = tech.import_file(s, pm, seed.p1, SPDX_TV, "sbom.spdx")
    assert (a["format"], a["imported"]) == ("cyclonedx-json", 3)
    assert (b["format"], c["format"], d["format"]) == ("cyclonedx-xml", "spdx-json", "spdx-tv")
    with seed.db.uow(readonly=True) as s:
        inv = _by_name(tech.list_components(s, pm, seed.p1))
    assert inv["requests"]["current_version"] == "2.31.0" and inv["requests"]["licence"] == "Apache-2.0"
    assert inv["urllib3"]["licence"] == "MIT"
    assert inv["debian"]["kind"] == "platform" and inv["debian"]["vendor"] == "Debian"
    assert inv["flask"]["current_version"] == "3.0.0" and inv["flask"]["licence"] == "BSD-3-Clause"
    assert inv["numpy"]["licence"] == "BSD-3-Clause" and inv["numpy"]["vendor"] == "NumFOCUS"
    assert inv["left-pad"]["licence"] == "WTFPL"
    assert inv["openssl"]["current_version"] == "3.0.13" and "not-a-package" not in inv


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY x "y">]><bom xmlns="http://cyclonedx.org/schema/bom/1.5"/>',
         "DTD"),
        (b'<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>\n<component type="library">'
         b"<version>1</version></component></components></bom>", "line 2"),
        (b'<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component>', "line 1"),
        (json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5",
                     "components": [{"name": "ok", "version": "1"}, {"name": 5}]}).encode(), "components[1].name"),
        (json.dumps({**SPDX_JSON, "packages": [SPDX_JSON["packages"][0], {**SPDX_JSON["packages"][1],
                                                                          "versionInfo": []}]}).encode(),
         "packages[1] ('left-pad'): version has the wrong type"),
        (json.dumps({**SPDX_JSON, "packages": [{"name": "nameless-id", "versionInfo": "1"}]}).encode(),
         "packages[0] ('nameless-id'): spdx_id"),
        (json.dumps({**CYCLONEDX_JSON, "components": [{**CYCLONEDX_JSON["components"][0], "components": [
            {"type": "gizmo", "name": "odd"}]}]}).encode(), "components[0].components[0]: 'odd': 'gizmo' is not a valid"),
        (SPDX_TV + b"this is not a tag\n", "line 24"),
        (b"SPDXVersion: SPDX-2.3\nPackageName: a\nthis is not a tag\n", "line 3"),
        (CYCLONEDX_XML.replace(b'type="library"', b'type="gizmo"'), "<component> at line 12: 'werkzeug'"),
        (b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
         b'<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library"><name>&b;</name>'
         b"</component></components></bom>", "DTD"),
        (b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
         b'<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library"><name>&xxe;</name>'
         b"</component></components></bom>", "DTD"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [' + b" " * 20_000_001 + b"]}", "the limit"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [' + b"[" * 5000, "nested too deeply"),
    ],
)  # fmt: skip
def test_hostile_or_malformed_sboms_are_refused_whole(seed: Any, data: bytes, named: str) -> None:
    pm = seed.actor("pm")
    with pytest.raises((ValidationError, BadRequest)) as e, seed.db.uow() as s:
        tech.import_file(s, pm, seed.p1, data, "upload")
    assert named in str(e.value)
    with seed.db.uow(readonly=True) as s:
        assert tech.list_components(s, pm, seed.p1) == []


def test_csv_import_names_every_bad_line_and_imports_nothing(seed: Any) -> None:
    pm = seed.actor("pm")
    good = b"name,kind,version,licence,release_date,eol_date,owner\nPostgres,platform,16,PostgreSQL,2023-09-14,2028-11-09,pm\n"
    bad = (
        good
        + b"X,gizmo,1,,,,\nY,software,1,,2024-01-01,2023-01-01,\nZ,software,1,,,,nobody\n=cmd,software,,,,not-a-date,\n"
    )
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        tech.import_file(s, pm, seed.p1, bad, "inv.csv")
    msg = str(e.value)
    for expected in ("line 3: kind 'gizmo'", "line 4: eol_date (2023-01-01) is before release_date",
                     "line 5: owner 'nobody'", "line 6: eol_date 'not-a-date'"):  # fmt: skip
        assert expected in msg
    with seed.db.uow() as s:
        assert tech.list_components(s, pm, seed.p1) == []
        out = tech.import_file(s, pm, seed.p1, good, "inv.csv")
    assert out["components"][0]["owner_id"] == seed.users["pm"]


def test_eol_before_release_is_refused_naming_the_field(seed: Any) -> None:
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        tech.create_component(s, seed.actor("pm"), seed.p1, name="Java", kind="platform",
                              release_date="2024-01-01", eol_date="2023-12-31")  # fmt: skip
    assert e.value.field == "eol_date"


def test_only_tech_managers_change_the_inventory(seed: Any) -> None:
    with pytest.raises(CharterError), seed.db.uow() as s:
        tech.create_component(s, seed.actor("worker"), seed.p1, name="Redis")
    with pytest.raises(CharterError), seed.db.uow() as s:
        tech.create_component(s, seed.actor("pm"), None, name="Org-wide")
    with seed.db.uow() as s:
        tech.create_component(s, seed.actor("admin"), None, name="Org-wide")
    with seed.db.uow(readonly=True) as s:
        assert [c["name"] for c in tech.list_components(s, seed.actor("outsider"))] == ["Org-wide"]


def _alerts(seed: Any) -> list[tuple[str, str]]:
    with seed.db.uow(readonly=True) as s:
        return [(n.kind, n.subject) for n in s.scalars(
            select(Notification).where(Notification.user_id == seed.users["task_leader"],
                                       Notification.kind == "tech.due"))]  # fmt: skip


def test_end_of_life_30_days_out_alerts_the_owner_once_even_after_closure(
    seed: Any, frozen_clock: Any
) -> None:
    today = frozen_clock.now.date()
    with seed.db.uow() as s:
        c = tech.create_component(s, seed.actor("pm"), seed.p1, name="Node.js", kind="platform",
                                  current_version="18", owner_id=seed.users["task_leader"],
                                  eol_date=today + dt.timedelta(days=30))  # fmt: skip
        tech.create_component(s, seed.actor("pm"), seed.p1, name="Far", eol_date=today + dt.timedelta(days=400),
                              owner_id=seed.users["task_leader"])  # fmt: skip
    with seed.db.uow() as s:
        raised = tech.due_alerts(s)
    assert [(r["component_id"], r["threshold"], r["days_left"]) for r in raised] == [(c["id"], 30, 30)]
    assert len(_alerts(seed)) == 1 and "Node.js 18: end of life in 30 days" in _alerts(seed)[0][1]
    with seed.db.uow() as s:
        assert tech.due_alerts(s) == []  # idempotent
    with seed.db.uow() as s:  # the project is closed: the check still runs
        s.get(Project, seed.p1).status = "closed"
    frozen_clock.advance(days=60)
    with seed.db.uow() as s:
        c2 = tech.create_component(s, SYSTEM, seed.p1, name="TLS cert", kind="certificate",
                                   owner_id=seed.users["task_leader"],
                                   eol_date=frozen_clock.now.date() + dt.timedelta(days=10))  # fmt: skip
        raised = tech.due_alerts(s)
    assert [r["component_id"] for r in raised] == [c2["id"]]
    assert any("TLS cert : expiry in 10 days" in subj for _, subj in _alerts(seed))


def test_update_item_becomes_an_update_task(seed: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        c = tech.create_component(s, pm, seed.p1, name="Django", current_version="4.2")
        u = tech.create_update(s, pm, c["id"], kind="advisory", title="CVE-2030-1", severity="high",
                               due_on="2030-02-01", make_task=True, work_package_id=seed.wp_a)  # fmt: skip
        assert u["status"] == "planned" and u["task_id"]
        from charter.services import tasks

        assert tasks.get_task(s, pm, seed.p1, u["task_id"])["name"] == "Update Django: CVE-2030-1"


def _release_roles(seed: Any) -> None:
    with seed.db.uow() as s:
        for name in ("task_leader", "task_leader_b", "worker", "stakeholder", "liaison"):
            a = next(
                x
                for x in roles.list_assignments(s, seed.actor("admin"), seed.p1)
                if x["id"] == seed.assignments[name]
            )
            roles.end_assignment(s, seed.actor("admin"), seed.p1, a["id"], a["version"])


def test_closure_is_refused_while_roles_are_held_and_orders_open(seed: Any, frozen_clock: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        tech.create_component(s, pm, seed.p1, name="Kafka")
    with pytest.raises(Conflict) as e, seed.db.uow() as s:
        closure.close_project(s, pm, seed.p1)
    failed = {i["key"] for i in e.value.details["failed"]}
    assert {"roles", "lessons", "technology"} <= failed
    assert "Task Leader" in str(e.value)
    _release_roles(seed)
    with seed.db.uow() as s:
        closure.add_lesson(s, pm, seed.p1, title="Freeze scope early", body="Scope creep cost us a month")
        tech.hand_over(s, pm, seed.p1, seed.users["sponsor"])
    with seed.db.uow() as s:
        check = closure.checklist(s, pm, seed.p1)
    assert check["ready"], check
    with seed.db.uow() as s:
        assert closure.close_project(s, pm, seed.p1)["status"] == "closed"


def test_closure_is_refused_while_an_order_is_open(seed: Any, frozen_clock: Any) -> None:
    from charter.services import budget, procurement

    admin = seed.actor("admin")
    with seed.db.uow() as s:
        line = budget.create_line(s, seed.actor("pm"), seed.p1, category="software_licences", name="Licences",
                                  amount="1000.00", work_package_id=seed.wp_a)  # fmt: skip
        vendor = procurement.create_vendor(s, admin, name="ACME")
        req = procurement.create_request(s, seed.actor("pm"), seed.p1, budget_line_id=line["id"], title="Seats",
                                         amount="100.00", vendor_id=vendor["id"])  # fmt: skip
        procurement.decide_request(s, seed.actor("sponsor"), seed.p1, req["id"], approve=True)
        order = procurement.create_order(s, seed.actor("pm"), seed.p1, request_id=req["id"],
                                         lines=[{"unit_price": "100.00"}])  # fmt: skip
    _release_roles(seed)
    with seed.db.uow() as s:
        closure.add_lesson(s, admin, seed.p1, title="Buy early")
        check = closure.checklist(s, admin, seed.p1)
    orders = next(i for i in check["items"] if i["key"] == "orders")
    assert not orders["ok"] and order["number"] in orders["detail"]
    with pytest.raises(Conflict) as e, seed.db.uow() as s:
        closure.close_project(s, admin, seed.p1)
    assert "Orders received and invoiced" in str(e.value)


def test_lessons_are_searchable_across_visible_projects_only(seed: Any) -> None:
    with seed.db.uow() as s:
        closure.add_lesson(s, seed.actor("pm"), seed.p1, title="Vendor lock-in hurts")
        closure.add_lesson(s, seed.actor("outsider"), seed.p2, title="Vendor contracts need exit clauses")
    with seed.db.uow(readonly=True) as s:
        assert len(closure.list_lessons(s, seed.actor("admin"), q="vendor")) == 2
        assert [x["title"] for x in closure.list_lessons(s, seed.actor("worker"), q="vendor")] == [
            "Vendor lock-in hurts"
        ]
        assert closure.list_lessons(s, seed.actor("worker"), q='"% _ NEAR(') == []


def test_api_import_and_due(api: Any, seed: Any, as_: Any) -> None:
    r = api.post("/tech/import", params={"project_id": seed.p1}, headers=as_("pm"),
                 files={"file": ("bom.json", json.dumps(CYCLONEDX_JSON).encode(), "application/json")})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 3
    assert api.post("/tech/due", headers=as_("pm")).status_code == 403
    assert api.post("/tech/due", headers=as_("admin")).status_code == 200
    assert api.get(f"/projects/{seed.p1}/closure", headers=as_("worker")).json()["ready"] is False


def test_cli_tech_import_due_closure_and_search(
    seed: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, frozen_clock: Any
) -> None:
    from typer.testing import CliRunner

    from charter.cli.main import app
    from charter.config import get_settings

    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.url)
    monkeypatch.setenv("CHARTER_USER", "pm")
    get_settings.cache_clear()
    runner = CliRunner()
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps(CYCLONEDX_JSON))

    def run(*args: str) -> Any:
        r = runner.invoke(app, list(args))
        assert r.exit_code == 0, (r.stdout, r.stderr, r.exception)
        return r

    assert json.loads(run("tech", "import", str(bom), "--project", "P1", "--json").stdout)["imported"] == 3
    assert "urllib3" in run("tech", "list", "--project", "P1").stdout
    monkeypatch.setenv("CHARTER_USER", "admin")
    assert json.loads(run("tech", "due", "--days", "90", "--notify", "--json").stdout) == []
    assert json.loads(run("tech", "due", "--days", "90", "--json").stdout) == []  # no dates in that SBOM
    assert "FAIL" in run("closure", "check", "P1").stdout
    bad = runner.invoke(app, ["closure", "close", "P1"])
    assert bad.exit_code != 0 and "Roles released" in bad.stderr
    run("lesson", "add", "P1", "Plan licences early")
    assert "Plan licences early" in run("lesson", "list", "licences").stdout
    assert json.loads(run("search", 'urllib3 "OR', "--json").stdout)["total"] == 0
    assert json.loads(run("search", "urllib3", "--json").stdout)["total"] == 1


def test_due_lists_what_ends_within_the_window_for_those_who_may_see_it(
    seed: Any, frozen_clock: Any, api: Any, as_: Any
) -> None:
    today = frozen_clock.now.date()
    with seed.db.uow() as s:
        near = tech.create_component(s, seed.actor("pm"), seed.p1, name="TLS api", kind="certificate",
                                     eol_date=today + dt.timedelta(days=20))  # fmt: skip
        tech.create_component(s, seed.actor("pm"), seed.p1, name="Java 17", support_end=today + dt.timedelta(days=60),
                              eol_date=today + dt.timedelta(days=900))  # fmt: skip
        tech.create_component(
            s, seed.actor("pm"), seed.p1, name="Far away", eol_date=today + dt.timedelta(days=500)
        )
        tech.create_update(s, seed.actor("pm"), near["id"], kind="certificate", title="Renew")
    with seed.db.uow(readonly=True) as s:
        rows = tech.due_within(s, seed.actor("worker"), 90)
        assert [(r["name"], r["due_field"], r["days_left"], r["open_updates"]) for r in rows] == [
            ("TLS api", "eol_date", 20, 1), ("Java 17", "support_end", 60, 0)]  # fmt: skip
        assert tech.due_within(s, seed.actor("outsider"), 90) == []
        with pytest.raises(ValidationError):
            tech.due_within(s, seed.actor("pm"), -1)
    r = api.get("/tech/due", params={"days": 30}, headers=as_("pm"))
    assert r.status_code == 200 and [x["name"] for x in r.json()] == ["TLS api"]


def test_a_stale_component_edit_is_409_with_the_current_record(api: Any, seed: Any, as_: Any) -> None:
    """The API's 409 for a component edited meanwhile carried no current record (and said "version 2"
    without what the caller had), unlike every other stale write."""
    r = api.post("/tech/components", json={"project_id": seed.p1, "name": "Postgres", "kind": "platform"},
                 headers=as_("pm"))  # fmt: skip
    assert r.status_code == 201, r.text
    c = r.json()
    assert api.patch(f"/tech/components/{c['id']}", json={"version": c["version"], "current_version": "16"},
                     headers=as_("pm")).status_code == 200  # fmt: skip
    r = api.patch(f"/tech/components/{c['id']}", json={"version": c["version"], "current_version": "17"},
                  headers=as_("pm"))  # fmt: skip
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["field"] == "version" and f"version {c['version']}" in err["message"]
    assert err["current"]["current_version"] == "16" and err["current"]["version"] == c["version"] + 1
    u = api.post(f"/tech/components/{c['id']}/updates", json={"kind": "advisory", "title": "CVE-1"},
                 headers=as_("pm")).json()  # fmt: skip
    body = {"version": u["version"], "status": "done"}
    assert api.post(f"/tech/updates/{u['id']}/status", json=body, headers=as_("pm")).status_code == 200
    r = api.post(f"/tech/updates/{u['id']}/status", json=body, headers=as_("pm"))
    assert r.status_code == 409 and r.json()["error"]["current"]["status"] == "done"
