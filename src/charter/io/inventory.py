"""Technology inventory files: CSV, CycloneDX (JSON, XML) and SPDX (JSON, tag-value) SBOMs.

The maintained SBOM libraries are not dependencies of Charter, so this is a small, strict reader of the
fields the inventory needs (name, version, licence, supplier, type). Every input is untrusted: sizes and
counts are capped, XML goes through `parse_untrusted_xml` (no DTDs or entities), and a malformed document is
refused as a whole, naming the element or line, so nothing is imported from it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from typing import Any

from charter.domain.errors import BadRequest, ValidationError
from charter.io.mspdi import parse_untrusted_xml

MAX_BYTES = 20_000_000
MAX_ITEMS = 20_000
MAX_DEPTH = 16
KINDS = ("software", "library", "platform", "hardware", "saas", "certificate", "domain")
CSV_COLUMNS = (
    "name", "kind", "vendor", "version", "licence", "release_date", "support_end", "eol_date", "owner",
    "systems", "departments",
)  # fmt: skip

_CDX_KIND = {
    "application": "software",
    "file": "software",
    "library": "library",
    "framework": "library",
    "container": "platform",
    "platform": "platform",
    "operating-system": "platform",
    "device": "hardware",
    "firmware": "hardware",
    "machine-learning-model": "software",
    "data": "software",
    "cryptographic-asset": "certificate",
}
_SPDX_KIND = {
    "APPLICATION": "software",
    "FRAMEWORK": "library",
    "LIBRARY": "library",
    "CONTAINER": "platform",
    "OPERATING-SYSTEM": "platform",
    "DEVICE": "hardware",
    "FIRMWARE": "hardware",
}


@dataclass
class ComponentSpec:
    where: str  # "line 4", "components[2]", "component at line 17"
    name: str
    kind: str = "library"
    vendor: str = ""
    version: str = ""
    licence: str = ""
    release_date: dt.date | None = None
    support_end: dt.date | None = None
    eol_date: dt.date | None = None
    owner: str = ""
    systems: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)


def _problem(problems: list[str], where: str, msg: str) -> None:
    problems.append(f"{where}: {msg}")


def _raise(problems: list[str], what: str) -> None:
    if problems:
        listed = "\n".join(problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ValidationError(
            f"the {what} could not be imported ({len(problems)} problem(s)):\n{listed}{more}",
            details={"problems": problems},
        )


def _text(value: Any, limit: int) -> str:
    return str(value).strip()[:limit] if value is not None else ""


# --------------------------------------------------------------------------------------------- CSV


def _date(value: str, where: str, name: str, problems: list[str]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _problem(problems, where, f"{name} {value!r} is not a date (YYYY-MM-DD)")
        return None


def read_csv(data: bytes, problems: list[str] | None = None) -> list[ComponentSpec]:
    """Rows of an inventory CSV. With `problems`, row problems are appended there (the caller adds its own
    and raises once); without, they are raised here."""
    collect = problems is not None
    problems = problems if problems is not None else []
    if len(data) > MAX_BYTES:
        raise BadRequest(f"the inventory CSV is {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("the inventory CSV is not UTF-8 text") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ValidationError("the inventory CSV is empty")
    header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
    if "name" not in header:
        raise ValidationError("the inventory CSV has no 'name' column (line 1)")
    unknown = [h for h in header if h and h not in CSV_COLUMNS]
    if unknown:
        raise ValidationError(
            f"line 1: unknown column {unknown[0]!r}; expected some of {', '.join(CSV_COLUMNS)}"
        )
    if len(rows) - 1 > MAX_ITEMS:
        raise ValidationError(f"the inventory CSV has more than {MAX_ITEMS} rows")
    out: list[ComponentSpec] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        where = f"line {n}"
        if len(row) > len(header):
            _problem(problems, where, f"{len(row)} cells but {len(header)} columns")
            continue
        raw = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
        name = raw.get("name", "")
        if not name:
            _problem(problems, where, "name is empty")
            continue
        kind = (raw.get("kind") or "software").lower()
        if kind not in KINDS:
            _problem(problems, where, f"kind {kind!r} is not one of {', '.join(KINDS)}")
        spec = ComponentSpec(
            where=where,
            name=name[:200],
            kind=kind,
            vendor=raw.get("vendor", "")[:200],
            version=raw.get("version", "")[:100],
            licence=raw.get("licence", "")[:200],
            release_date=_date(raw.get("release_date", ""), where, "release_date", problems),
            support_end=_date(raw.get("support_end", ""), where, "support_end", problems),
            eol_date=_date(raw.get("eol_date", ""), where, "eol_date", problems),
            owner=raw.get("owner", ""),
            systems=[x.strip() for x in raw.get("systems", "").split(";") if x.strip()],
            departments=[x.strip() for x in raw.get("departments", "").split(";") if x.strip()],
        )
        out.append(spec)
    if not collect:
        _raise(problems, "inventory CSV")
    return out


# --------------------------------------------------------------------------------------------- SBOMs


def detect(data: bytes) -> str:
    """'cyclonedx-json', 'cyclonedx-xml', 'spdx-json', 'spdx-tv' or 'csv'."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "spdx-json" if b'"spdxVersion"' in data[:100_000] else "cyclonedx-json"
    if head.startswith(b"<"):
        return "cyclonedx-xml"
    if head.startswith(b"SPDXVersion:") or b"\nSPDXVersion:" in head:
        return "spdx-tv"
    return "csv"


def read_sbom(data: bytes) -> tuple[str, list[ComponentSpec]]:
    fmt = detect(data)
    if fmt == "cyclonedx-json":
        return fmt, read_cyclonedx_json(data)
    if fmt == "cyclonedx-xml":
        return fmt, read_cyclonedx_xml(data)
    if fmt == "spdx-json":
        return fmt, read_spdx_json(data)
    if fmt == "spdx-tv":
        return fmt, read_spdx_tv(data)
    raise BadRequest("the file is neither a CycloneDX nor an SPDX document")


def _load_json(data: bytes, what: str) -> Any:
    if len(data) > MAX_BYTES:
        raise BadRequest(f"the {what} is {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BadRequest(f"the {what} is not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise BadRequest(
            f"the {what} is not valid JSON (line {e.lineno}, column {e.colno}): {e.msg}"
        ) from None
    except RecursionError:
        raise BadRequest(f"the {what} is nested too deeply") from None


def _cdx_licence(value: Any, where: str, problems: list[str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, list):
        _problem(problems, f"{where}.licenses", "must be a list")
        return ""
    names: list[str] = []
    for j, item in enumerate(value):
        if not isinstance(item, dict):
            _problem(problems, f"{where}.licenses[{j}]", "must be an object")
            continue
        if isinstance(item.get("expression"), str):
            names.append(item["expression"])
            continue
        lic = item.get("license")
        if not isinstance(lic, dict):
            _problem(problems, f"{where}.licenses[{j}]", "needs 'license' or 'expression'")
            continue
        ident = lic.get("id") or lic.get("name")
        if not isinstance(ident, str):
            _problem(problems, f"{where}.licenses[{j}].license", "needs a string 'id' or 'name'")
            continue
        names.append(ident)
    return " AND ".join(names)[:200]


def _cdx_components(
    items: Any, where: str, depth: int, out: list[ComponentSpec], problems: list[str]
) -> None:
    if items is None:
        return
    if not isinstance(items, list):
        _problem(problems, where, "must be a list")
        return
    if depth > MAX_DEPTH:
        _problem(problems, where, f"components nested deeper than {MAX_DEPTH}")
        return
    for i, c in enumerate(items):
        w = f"{where}[{i}]"
        if len(out) >= MAX_ITEMS:
            _problem(problems, w, f"more than {MAX_ITEMS} components")
            return
        if not isinstance(c, dict):
            _problem(problems, w, "must be an object")
            continue
        name, version = c.get("name"), c.get("version", "")
        if not isinstance(name, str) or not name.strip():
            _problem(problems, f"{w}.name", "is missing or not a string")
            continue
        if not isinstance(version, str):
            _problem(problems, f"{w}.version", "is not a string")
            continue
        ctype = c.get("type", "library")
        if not isinstance(ctype, str) or ctype not in _CDX_KIND:
            _problem(problems, f"{w}.type", f"unknown component type {ctype!r}")
            continue
        supplier = c.get("supplier")
        vendor = supplier.get("name") if isinstance(supplier, dict) else c.get("publisher")
        out.append(
            ComponentSpec(
                where=w,
                name=name.strip()[:200],
                kind=_CDX_KIND[ctype],
                vendor=_text(vendor if isinstance(vendor, str) else "", 200),
                version=version.strip()[:100],
                licence=_cdx_licence(c.get("licenses"), w, problems),
            )
        )
        _cdx_components(c.get("components"), f"{w}.components", depth + 1, out, problems)


def read_cyclonedx_json(data: bytes) -> list[ComponentSpec]:
    doc = _load_json(data, "CycloneDX SBOM")
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise ValidationError("bomFormat: not a CycloneDX document (bomFormat must be 'CycloneDX')")
    if not isinstance(doc.get("specVersion"), str):
        raise ValidationError("specVersion: missing or not a string")
    out: list[ComponentSpec] = []
    problems: list[str] = []
    _cdx_components(doc.get("components", []), "components", 0, out, problems)
    _raise(problems, "CycloneDX SBOM")
    return out


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(el: Any, name: str) -> str:
    for ch in el:
        if _local(ch.tag) == name:
            return (ch.text or "").strip()
    return ""


def read_cyclonedx_xml(data: bytes) -> list[ComponentSpec]:
    root = parse_untrusted_xml(data, MAX_BYTES, "CycloneDX SBOM")
    if _local(root.tag) != "bom" or "cyclonedx.org" not in (root.nsmap.get(None) or ""):
        raise ValidationError(f"<{_local(root.tag)}> (line {root.sourceline}): not a CycloneDX <bom>")
    out: list[ComponentSpec] = []
    problems: list[str] = []
    for el in root.iter():
        if _local(el.tag) != "component":
            continue
        w = f"<component> at line {el.sourceline}"
        if len(out) >= MAX_ITEMS:
            _problem(problems, w, f"more than {MAX_ITEMS} components")
            break
        depth = sum(1 for _ in el.iterancestors())
        if depth > 2 * MAX_DEPTH + 2:
            _problem(problems, w, f"components nested deeper than {MAX_DEPTH}")
            continue
        name = _child_text(el, "name")
        if not name:
            _problem(problems, w, "<name> is missing or empty")
            continue
        ctype = el.get("type", "library")
        if ctype not in _CDX_KIND:
            _problem(problems, w, f"unknown component type {ctype!r}")
            continue
        licences: list[str] = []
        for ch in el:
            if _local(ch.tag) != "licenses":
                continue
            for lic in ch:
                if _local(lic.tag) == "expression":
                    licences.append((lic.text or "").strip())
                elif _local(lic.tag) == "license":
                    ident = _child_text(lic, "id") or _child_text(lic, "name")
                    if not ident:
                        _problem(problems, f"<license> at line {lic.sourceline}", "needs <id> or <name>")
                    licences.append(ident)
        vendor = ""
        for ch in el:
            if _local(ch.tag) == "supplier":
                vendor = _child_text(ch, "name")
        vendor = vendor or _child_text(el, "publisher")
        out.append(
            ComponentSpec(
                where=w,
                name=name[:200],
                kind=_CDX_KIND[ctype],
                vendor=vendor[:200],
                version=_child_text(el, "version")[:100],
                licence=" AND ".join(x for x in licences if x)[:200],
            )
        )
    _raise(problems, "CycloneDX SBOM")
    return out


def _spdx_vendor(value: Any) -> str:
    if not isinstance(value, str) or value.strip() == "NOASSERTION":
        return ""
    for prefix in ("Organization:", "Person:", "Tool:"):
        if value.startswith(prefix):
            return value[len(prefix) :].strip()[:200]
    return value.strip()[:200]


def _spdx_licence(concluded: Any, declared: Any) -> str:
    for v in (concluded, declared):
        if isinstance(v, str) and v.strip() and v.strip() not in ("NOASSERTION", "NONE"):
            return v.strip()[:200]
    return ""


def read_spdx_json(data: bytes) -> list[ComponentSpec]:
    doc = _load_json(data, "SPDX document")
    if not isinstance(doc, dict) or not str(doc.get("spdxVersion", "")).startswith("SPDX-"):
        raise ValidationError("spdxVersion: not an SPDX document")
    packages = doc.get("packages", [])
    if not isinstance(packages, list):
        raise ValidationError("packages: must be a list")
    if len(packages) > MAX_ITEMS:
        raise ValidationError(f"packages: more than {MAX_ITEMS} packages")
    out: list[ComponentSpec] = []
    problems: list[str] = []
    for i, p in enumerate(packages):
        w = f"packages[{i}]"
        if not isinstance(p, dict):
            _problem(problems, w, "must be an object")
            continue
        name, version = p.get("name"), p.get("versionInfo", "")
        if not isinstance(name, str) or not name.strip():
            _problem(problems, f"{w}.name", "is missing or not a string")
            continue
        if not isinstance(version, str):
            _problem(problems, f"{w}.versionInfo", "is not a string")
            continue
        purpose = p.get("primaryPackagePurpose", "LIBRARY")
        out.append(
            ComponentSpec(
                where=w,
                name=name.strip()[:200],
                kind=_SPDX_KIND.get(purpose, "library") if isinstance(purpose, str) else "library",
                vendor=_spdx_vendor(p.get("supplier")),
                version=version.strip()[:100],
                licence=_spdx_licence(p.get("licenseConcluded"), p.get("licenseDeclared")),
            )
        )
    _raise(problems, "SPDX document")
    return out


def read_spdx_tv(data: bytes) -> list[ComponentSpec]:
    if len(data) > MAX_BYTES:
        raise BadRequest(f"the SPDX document is {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("the SPDX document is not UTF-8 text") from None
    problems: list[str] = []
    packages: list[dict[str, Any]] = []
    in_text: int | None = None
    seen_version = False
    for n, line in enumerate(text.splitlines(), start=1):
        if in_text is not None:
            if "</text>" in line:
                in_text = None
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        tag, sep, value = stripped.partition(":")
        if not sep or not tag.replace("-", "").isalnum():
            _problem(problems, f"line {n}", "expected 'Tag: value'")
            continue
        value = value.strip()
        if value.startswith("<text>") and "</text>" not in value:
            in_text = n
            value = ""
        value = value.removeprefix("<text>").removesuffix("</text>")
        if tag == "SPDXVersion":
            seen_version = value.startswith("SPDX-")
        elif tag == "PackageName":
            if len(packages) >= MAX_ITEMS:
                _problem(problems, f"line {n}", f"more than {MAX_ITEMS} packages")
                break
            packages.append({"line": n, "name": value})
        elif tag in ("PackageVersion", "PackageLicenseConcluded", "PackageLicenseDeclared", "PackageSupplier",
                     "PrimaryPackagePurpose"):  # fmt: skip
            if not packages:
                _problem(problems, f"line {n}", f"{tag} before any PackageName")
                continue
            packages[-1][tag] = value
    if in_text is not None:
        _problem(problems, f"line {in_text}", "<text> is never closed")
    if not seen_version:
        problems.insert(0, "line 1: SPDXVersion is missing; not an SPDX tag-value document")
    out: list[ComponentSpec] = []
    for p in packages:
        w = f"PackageName at line {p['line']}"
        if not p["name"]:
            _problem(problems, w, "the package has no name")
            continue
        out.append(
            ComponentSpec(
                where=w,
                name=p["name"][:200],
                kind=_SPDX_KIND.get(p.get("PrimaryPackagePurpose", ""), "library"),
                vendor=_spdx_vendor(p.get("PackageSupplier")),
                version=str(p.get("PackageVersion", ""))[:100],
                licence=_spdx_licence(p.get("PackageLicenseConcluded"), p.get("PackageLicenseDeclared")),
            )
        )
    _raise(problems, "SPDX document")
    return out
