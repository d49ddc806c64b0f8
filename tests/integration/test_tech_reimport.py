"""Importing an SBOM again added every component a second time, and SPDX's NOASSERTION was stored as a version.
A component already in the inventory with the same name (any case) and version is now the same component:
what the file states of it is merged in (journaled), nothing is added twice, and the answer counts what was
added, updated and unchanged (service, API, web, CLI). NOASSERTION/NONE versions are stored as no version,
a NOASSERTION licence as unknown."""

from __future__ import annotations

import copy
import json
from typing import Any

from charter.io import inventory as inv
from charter.services import journal, tech
from webhelpers import csrf_of, signed_in

CDX = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.5",
    "components": [
        {"type": "library", "name": "requests", "version": "2.31.0", "purl": "pkg:pypi/requests@2.31.0",
         "licenses": [{"license": {"id": "Apache-2.0"}}]},
        {"type": "library", "name": "idna", "version": "3.6", "purl": "pkg:pypi/idna@3.6"},
    ],
}  # fmt: skip

SPDX = {
    "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "app",
    "documentNamespace": "https://example.com/spdxdocs/app-1",
    "creationInfo": {"created": "2024-03-01T10:00:00Z", "creators": ["Tool: syft-1.0.1"]},
    "packages": [
        {"SPDXID": "SPDXRef-a", "name": "zlib", "versionInfo": "NOASSERTION", "downloadLocation": "NOASSERTION",
         "filesAnalyzed": False, "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION"},
        {"SPDXID": "SPDXRef-b", "name": "busybox", "versionInfo": "NONE", "downloadLocation": "NOASSERTION",
         "filesAnalyzed": False, "licenseConcluded": "GPL-2.0-only"},
    ],
}  # fmt: skip


def _counts(out: dict[str, Any]) -> tuple[int, int, int]:
    return out["added"], out["updated"], out["unchanged"]


def test_reimporting_merges_by_name_and_version_and_counts(seed: Any) -> None:
    pm = seed.actor("pm")
    data = json.dumps(CDX).encode()
    with seed.db.uow() as s:
        assert _counts(tech.import_file(s, pm, seed.p1, data, "bom.json")) == (2, 0, 0)
    with seed.db.uow() as s:
        again = tech.import_file(s, pm, seed.p1, data, "bom.json")
    assert _counts(again) == (0, 0, 2) and again["imported"] == 2
    newer = copy.deepcopy(CDX)
    newer["components"][1]["licenses"] = [{"license": {"id": "BSD-3-Clause"}}]  # idna's licence now stated
    newer["components"].append({"type": "library", "name": "certifi", "version": "2024.2.2"})
    newer["components"].append({"type": "library", "name": "Requests", "version": "2.32.0"})  # a new version
    with seed.db.uow() as s:
        out = tech.import_file(s, pm, seed.p1, json.dumps(newer).encode(), "bom.json")
    assert _counts(out) == (2, 1, 1)
    with seed.db.uow(readonly=True) as s:
        rows = tech.list_components(s, pm, seed.p1)
        idna = next(r for r in rows if r["name"] == "idna")
        entry = journal.entries(s, entity_type="tech_component", entity_id=str(idna["id"]))[0]
    assert sorted((r["name"], r["current_version"]) for r in rows) == [
        ("Requests", "2.32.0"), ("certifi", "2024.2.2"), ("idna", "3.6"), ("requests", "2.31.0")]  # fmt: skip
    assert idna["licence"] == "BSD-3-Clause" and idna["version"] == 2
    assert entry["changes"]["licence"] == ["", "BSD-3-Clause"] and entry["cause"] == "import of bom.json"
    # a file that says less keeps what is stored; the organisation's inventory is another scope
    with seed.db.uow() as s:
        assert _counts(tech.import_file(s, pm, seed.p1, data, "bom.json")) == (0, 0, 2)
        assert _counts(tech.import_file(s, seed.actor("admin"), None, data, "bom.json")) == (2, 0, 0)


def test_spdx_noassertion_is_no_version_and_an_unknown_licence(seed: Any) -> None:
    specs = inv.read_spdx_json(json.dumps(SPDX).encode())
    assert [(x.name, x.version, x.licence) for x in specs] == [
        ("zlib", "", ""),
        ("busybox", "", "GPL-2.0-only"),
    ]
    tv = (b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: a\n"
          b"DocumentNamespace: https://example.com/a\nCreator: Tool: x\nCreated: 2024-03-01T10:00:00Z\n\n"
          b"PackageName: zlib\nSPDXID: SPDXRef-z\nPackageVersion: 1.3\nPackageDownloadLocation: NOASSERTION\n"
          b"FilesAnalyzed: false\nPackageLicenseConcluded: NOASSERTION\n")  # fmt: skip
    assert [(x.version, x.licence) for x in inv.read_spdx_tv(tv)] == [("1.3", "")]
    cdx = {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
        {"type": "library", "name": "lib", "version": "NOASSERTION", "licenses": [{"license": {"name": "NOASSERTION"}}]}]}  # fmt: skip
    assert [(x.version, x.licence) for x in inv.read_cyclonedx_json(json.dumps(cdx).encode())] == [("", "")]
    with seed.db.uow() as s:
        tech.import_file(s, seed.actor("pm"), seed.p1, json.dumps(SPDX).encode(), "sbom.spdx.json")
        again = tech.import_file(s, seed.actor("pm"), seed.p1, json.dumps(SPDX).encode(), "sbom.spdx.json")
        rows = tech.list_components(s, seed.actor("pm"), seed.p1)
    assert _counts(again) == (0, 0, 2)
    assert {r["name"]: r["current_version"] for r in rows} == {"zlib": "", "busybox": ""}


def test_api_web_and_cli_report_the_counts(seed: Any, api: Any, as_: Any, cli: Any, tmp_path: Any) -> None:
    data = json.dumps(CDX).encode()
    files = {"file": ("bom.json", data, "application/json")}
    r = api.post("/tech/import", params={"project_id": seed.p1}, headers=as_("pm"), files=files)
    assert r.status_code == 201 and _counts(r.json()) == (2, 0, 0)
    with signed_in(seed, "pm") as client:
        token = csrf_of(client.get(f"/tech?project={seed.p1}").text)
        ok = client.post("/tech/import", data={"csrf_token": token, "project_id": str(seed.p1)}, files=files)
        assert ok.status_code == 303
        page = client.get(ok.headers["location"]).text
    assert 'id="imported"' in page and "0 added, 0 updated, 2 unchanged" in page
    bom = tmp_path / "bom.json"
    bom.write_bytes(data)
    out = cli("tech", "import", str(bom), "--project", "P1").stdout
    assert "imported 2 components from bom.json (cyclonedx-json): 0 added, 0 updated, 2 unchanged" in out
    with seed.db.uow(readonly=True) as s:
        assert len(tech.list_components(s, seed.actor("pm"), seed.p1)) == 2
