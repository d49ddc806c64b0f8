"""An SBOM import matched components by name (any case) and version only, so npm `debug` 4.3.4 and pypi `debug`
4.3.4 from one file became one component. A component now has a Package URL (purl, canonical form): imports read
it (CycloneDX `purl`, SPDX `externalRefs` of type purl, a CSV `purl` column) and match on it first, then by name +
version where the stored component has no other purl (and give it the file's). The purl is shown and edited in
the API, the web pages and the CLI; a malformed one is refused naming the field. Migration 0030 adds the column."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import text

from charter.domain.errors import ValidationError
from charter.io import inventory as inv
from charter.persistence.db import Database
from charter.services import journal, tech
from webhelpers import csrf_of, signed_in

CDX = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.5",
    "components": [
        {"type": "library", "name": "debug", "version": "4.3.4", "purl": "pkg:npm/debug@4.3.4"},
        {"type": "library", "name": "debug", "version": "4.3.4", "purl": "pkg:pypi/debug@4.3.4"},
    ],
}

SPDX = {
    "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "app",
    "documentNamespace": "https://example.com/spdxdocs/app-purl",
    "creationInfo": {"created": "2024-03-01T10:00:00Z", "creators": ["Tool: syft-1.0.1"]},
    "packages": [
        {"SPDXID": "SPDXRef-a", "name": "debug", "versionInfo": "4.3.4", "downloadLocation": "NOASSERTION",
         "filesAnalyzed": False,
         "externalRefs": [{"referenceCategory": "SECURITY", "referenceType": "cpe23Type",
                           "referenceLocator": "cpe:2.3:a:debug:debug:4.3.4:*:*:*:*:*:*:*"},
                          {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                           "referenceLocator": "pkg:NPM/debug@4.3.4"}]},
        {"SPDXID": "SPDXRef-b", "name": "debug", "versionInfo": "4.3.4", "downloadLocation": "NOASSERTION",
         "filesAnalyzed": False,
         "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                           "referenceLocator": "pkg:pypi/Debug@4.3.4"}]},
        {"SPDXID": "SPDXRef-c", "name": "zlib", "versionInfo": "1.3", "downloadLocation": "NOASSERTION",
         "filesAnalyzed": False},
    ],
}  # fmt: skip

SPDX_TV = b"""SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: app
DocumentNamespace: https://example.com/spdxdocs/app-tv
Creator: Tool: syft-1.0.1
Created: 2024-03-01T10:00:00Z

PackageName: debug
SPDXID: SPDXRef-debug
PackageVersion: 4.3.4
PackageDownloadLocation: NOASSERTION
FilesAnalyzed: false
ExternalRef: PACKAGE-MANAGER purl pkg:npm/debug@4.3.4
"""


def _counts(out: dict[str, Any]) -> tuple[int, int, int]:
    return out["added"], out["updated"], out["unchanged"]


def _debugs(seed: Any) -> dict[str | None, dict[str, Any]]:
    with seed.db.uow(readonly=True) as s:
        rows = tech.list_components(s, seed.actor("pm"), seed.p1)
    return {r["purl"]: r for r in rows if r["name"] == "debug"}


def test_same_named_packages_of_two_ecosystems_stay_two_and_a_reimport_updates_each(seed: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        assert _counts(tech.import_file(s, pm, seed.p1, json.dumps(CDX).encode(), "bom.json")) == (2, 0, 0)
    rows = _debugs(seed)
    assert set(rows) == {"pkg:npm/debug@4.3.4", "pkg:pypi/debug@4.3.4"}
    with seed.db.uow() as s:
        assert _counts(tech.import_file(s, pm, seed.p1, json.dumps(CDX).encode(), "bom.json")) == (0, 0, 2)
    newer = copy.deepcopy(CDX)
    newer["components"][0]["licenses"] = [{"license": {"id": "MIT"}}]
    newer["components"][1]["licenses"] = [{"license": {"id": "BSD-3-Clause"}}]
    newer["components"][0]["purl"] = "pkg:NPM/debug@4.3.4"  # another spelling of the same purl
    with seed.db.uow() as s:
        out = tech.import_file(s, pm, seed.p1, json.dumps(newer).encode(), "bom.json")
    assert _counts(out) == (0, 2, 0)
    rows = _debugs(seed)
    assert rows["pkg:npm/debug@4.3.4"]["licence"] == "MIT"
    assert rows["pkg:pypi/debug@4.3.4"]["licence"] == "BSD-3-Clause"
    assert len(rows) == 2


def test_a_component_without_a_purl_is_matched_by_name_and_version_and_gets_it(seed: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        manual = tech.create_component(s, pm, seed.p1, name="Debug", current_version="4.3.4", kind="library")
        # the first of the file's two packages takes the stored one; the second is another package
        out = tech.import_file(s, pm, seed.p1, json.dumps(CDX).encode(), "bom.json")
    assert _counts(out) == (1, 1, 0)
    rows = _debugs(seed)
    with seed.db.uow(readonly=True) as s:
        got = tech.get_component(s, pm, manual["id"])
        entry = journal.entries(s, entity_type="tech_component", entity_id=str(manual["id"]))[0]
    assert got["purl"] == "pkg:npm/debug@4.3.4" and got["name"] == "Debug"
    assert entry["changes"]["purl"] == [None, "pkg:npm/debug@4.3.4"]
    assert set(rows) == {"pkg:pypi/debug@4.3.4"}  # the other one is named "debug"; "Debug" is the stored one
    # a file without purls still matches by name and version, and keeps the stored purls
    plain = {"bomFormat": "CycloneDX", "specVersion": "1.5",
             "components": [{"type": "library", "name": "debug", "version": "4.3.4"}]}  # fmt: skip
    with seed.db.uow() as s:
        again = tech.import_file(s, pm, seed.p1, json.dumps(plain).encode(), "plain.json")
        assert _counts(again) == (0, 0, 1)
        assert tech.get_component(s, pm, manual["id"])["purl"] == "pkg:npm/debug@4.3.4"


def test_cyclonedx_xml_purl_is_read_and_a_malformed_one_refuses_the_file(seed: Any) -> None:
    xml = b"""<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">
  <components>
    <component type="library"><name>debug</name><version>4.3.4</version><purl>pkg:NPM/debug@4.3.4</purl></component>
    <component type="library"><name>debug</name><version>4.3.4</version><purl>pkg:pypi/debug@4.3.4</purl></component>
  </components>
</bom>"""
    assert [x.purl for x in inv.read_cyclonedx_xml(xml)] == ["pkg:npm/debug@4.3.4", "pkg:pypi/debug@4.3.4"]
    bad = copy.deepcopy(CDX)
    bad["components"][1]["purl"] = "pypi/debug@4.3.4"
    with seed.db.uow() as s, pytest.raises(ValidationError) as e:
        tech.import_file(s, seed.actor("pm"), seed.p1, json.dumps(bad).encode(), "bom.json")
    assert "components[1]: 'debug'" in e.value.message and "pypi/debug@4.3.4" in e.value.message
    with seed.db.uow(readonly=True) as s:
        assert tech.list_components(s, seed.actor("pm"), seed.p1) == []


def test_spdx_external_refs_and_csv_purls_are_read(seed: Any) -> None:
    specs = inv.read_spdx_json(json.dumps(SPDX).encode())
    assert [(x.name, x.purl) for x in specs] == [
        ("debug", "pkg:npm/debug@4.3.4"),
        ("debug", "pkg:pypi/debug@4.3.4"),
        ("zlib", None),
    ]
    assert [x.purl for x in inv.read_spdx_tv(SPDX_TV)] == ["pkg:npm/debug@4.3.4"]
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        out = tech.import_file(s, pm, seed.p1, json.dumps(SPDX).encode(), "sbom.spdx.json")
    assert _counts(out) == (3, 0, 0)
    assert set(_debugs(seed)) == {"pkg:npm/debug@4.3.4", "pkg:pypi/debug@4.3.4"}
    csv = b"name,version,purl\ndebug,4.3.4,pkg:npm/debug@4.3.4\ndebug,4.3.4,pkg:pypi/debug@4.3.4\nzlib,1.3,\n"
    with seed.db.uow() as s:
        assert _counts(tech.import_file(s, pm, seed.p1, csv, "inv.csv")) == (0, 0, 3)
    bad = copy.deepcopy(SPDX)
    bad["packages"][1]["externalRefs"][0]["referenceLocator"] = "pypi/debug@4.3.4"
    with seed.db.uow() as s, pytest.raises(ValidationError) as e:
        tech.import_file(s, pm, seed.p1, json.dumps(bad).encode(), "sbom.spdx.json")
    assert "packages[1] externalRefs purl: purl 'pypi/debug@4.3.4' is not a Package URL" in e.value.message
    with seed.db.uow() as s, pytest.raises(ValidationError) as e:
        tech.import_file(s, pm, seed.p1, b"name,purl\nx,pkg:npm/\n", "inv.csv")
    assert "line 2: purl 'pkg:npm/' is not a Package URL" in e.value.message


def _error(r: Any, status: int, field: str) -> str:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["field"] == field, err
    return str(err["message"])


def test_api_sets_shows_clears_and_refuses_a_malformed_purl(seed: Any, api: Any, as_: Any) -> None:
    h = as_("pm")
    r = api.post("/tech/components", headers=h,
                 json={"project_id": seed.p1, "name": "debug", "current_version": "4.3.4",
                       "purl": " pkg:NPM/debug@4.3.4 "})  # fmt: skip
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["purl"] == "pkg:npm/debug@4.3.4"
    assert api.get(f"/tech/components/{c['id']}", headers=h).json()["purl"] == "pkg:npm/debug@4.3.4"
    for bad in ("npm/debug", "pkg:npm", "pkg:npm/", "pkg:/debug"):
        msg = _error(api.post("/tech/components", headers=h, json={"project_id": seed.p1, "name": "x",
                                                                     "purl": bad}), 422, "purl")  # fmt: skip
        assert "not a Package URL" in msg
        msg = _error(api.patch(f"/tech/components/{c['id']}", headers=h, json={"version": c["version"],
                                                                                 "purl": bad}), 422, "purl")  # fmt: skip
    r = api.patch(f"/tech/components/{c['id']}", headers=h,
                  json={"version": c["version"], "purl": "pkg:pypi/Debug@4.3.4"})  # fmt: skip
    assert r.status_code == 200 and r.json()["purl"] == "pkg:pypi/debug@4.3.4"
    r = api.patch(f"/tech/components/{c['id']}", headers=h, json={"version": r.json()["version"], "purl": ""})
    assert r.status_code == 200 and r.json()["purl"] is None
    assert api.post("/tech/components", headers=h,
                    json={"project_id": seed.p1, "name": "y", "purl": 5}).status_code == 422  # fmt: skip
    long = "pkg:npm/" + "a" * 500
    _error(api.post("/tech/components", headers=h, json={"project_id": seed.p1, "name": "y", "purl": long}),
           422, "purl")  # fmt: skip


def test_web_forms_set_and_show_the_purl_and_keep_what_was_typed(seed: Any) -> None:
    with signed_in(seed, "pm") as client:
        token = csrf_of(client.get(f"/tech?project={seed.p1}").text)
        form = {"csrf_token": token, "project_id": str(seed.p1), "name": "debug", "kind": "library",
                "current_version": "4.3.4", "purl": "npm/debug@4.3.4"}  # fmt: skip
        bad = client.post("/tech/components", data=form)
        assert bad.status_code == 422 and "not a Package URL" in bad.text
        assert 'value="npm/debug@4.3.4"' in bad.text and 'id="c-purl"' in bad.text
        ok = client.post("/tech/components", data={**form, "purl": "pkg:npm/debug@4.3.4"})
        assert ok.status_code == 303, ok.text
        url = ok.headers["location"]
        page = client.get(url).text
        assert "<code>pkg:npm/debug@4.3.4</code>" in page and 'value="pkg:npm/debug@4.3.4"' in page
        cid = int(url.rsplit("/", 1)[1])
        with seed.db.uow(readonly=True) as s:
            version = tech.get_component(s, seed.actor("pm"), cid)["version"]
        edit = {"csrf_token": csrf_of(page), "version": str(version), "name": "debug", "kind": "library",
                "current_version": "4.3.4", "purl": "pkg:"}  # fmt: skip
        refused = client.post(f"{url}/edit", data=edit)
        assert refused.status_code == 422 and 'value="pkg:"' in refused.text
        assert client.post(f"{url}/edit", data={**edit, "purl": "pkg:pypi/debug@4.3.4"}).status_code == 303
        assert "<code>pkg:pypi/debug@4.3.4</code>" in client.get(url).text


def test_cli_add_edit_and_show_the_purl(seed: Any, cli: Any) -> None:
    out = cli("tech", "add", "debug", "--project", "P1", "--kind", "library", "--current-version", "4.3.4",
              "--purl", "pkg:NPM/debug@4.3.4", "--json").stdout  # fmt: skip
    c = json.loads(out)
    assert c["purl"] == "pkg:npm/debug@4.3.4"
    assert "purl: pkg:npm/debug@4.3.4" in cli("tech", "show", str(c["id"])).stdout
    bad = cli("tech", "edit", str(c["id"]), "--purl", "debug", code=1)
    assert "not a Package URL" in bad.output
    cli("tech", "edit", str(c["id"]), "--purl", "pkg:pypi/debug@4.3.4")
    assert json.loads(cli("tech", "show", str(c["id"]), "--json").stdout)["purl"] == "pkg:pypi/debug@4.3.4"
    cli("tech", "edit", str(c["id"]), "--purl", "")
    assert json.loads(cli("tech", "show", str(c["id"]), "--json").stdout)["purl"] is None


def test_migration_0030_adds_the_column_and_keeps_the_rows(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        db.upgrade("0029_outbox_journal_entry")
        with db.engine.begin() as c:
            c.execute(text(
                "INSERT INTO tech_components (id, name, kind, vendor, current_version, licence, systems,"
                " departments, source, created_at, version) VALUES (1, 'debug', 'library', '', '4.3.4', 'MIT',"
                " '[]', '[]', 'cyclonedx', '2026-01-01 09:00:00', 1)"
            ))  # fmt: skip
        db.upgrade()
        assert db.schema_problem() is None
        with db.engine.begin() as c:
            assert c.execute(text("SELECT name, licence, purl FROM tech_components")).one() == (
                "debug", "MIT", None)  # fmt: skip
            c.execute(text("UPDATE tech_components SET purl = 'pkg:npm/debug@4.3.4' WHERE id = 1"))
        db.downgrade("0029_outbox_journal_entry")
        with db.engine.connect() as c:
            assert c.execute(text("SELECT name, licence FROM tech_components")).one() == ("debug", "MIT")
    finally:
        db.dispose()
