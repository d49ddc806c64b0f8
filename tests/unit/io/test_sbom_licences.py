"""A component's licences read from a CycloneDX SBOM keep their meaning when several are joined."""

from __future__ import annotations

import json

from charter.io import inventory as inv


def _licence(licenses: list[dict[str, object]]) -> str:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5",
           "components": [{"type": "library", "name": "lib", "version": "2", "licenses": licenses}]}  # fmt: skip
    return inv.read_cyclonedx_json(json.dumps(doc).encode())[0].licence


def test_a_compound_expression_joined_to_another_licence_keeps_its_grouping() -> None:
    """'Apache-2.0 OR MIT' and 'MIT' were joined as 'Apache-2.0 OR MIT AND MIT', which SPDX reads as
    'Apache-2.0 OR (MIT AND MIT)': another licence than the SBOM's."""
    got = _licence([{"license": {"id": "MIT"}}, {"expression": "Apache-2.0 OR MIT"}])
    assert got in ("(Apache-2.0 OR MIT) AND MIT", "MIT AND (Apache-2.0 OR MIT)")
    assert _licence([{"expression": "Apache-2.0 OR MIT"}]) == "Apache-2.0 OR MIT"  # alone: as written
    assert _licence([{"license": {"id": "MIT"}}, {"license": {"id": "BSD-3-Clause"}}]) in (
        "MIT AND BSD-3-Clause",
        "BSD-3-Clause AND MIT",
    )
