"""Technology inventory files: CSV, CycloneDX (JSON, XML) and SPDX (JSON, tag-value) SBOMs.

SBOMs are read through the maintained libraries: cyclonedx-python-lib for CycloneDX and spdx-tools for SPDX;
this module keeps only the inventory's own mapping (name, version, licence, supplier, type) and the
untrusted-input guard around them. Sizes and counts are capped before a library sees the bytes, XML is
parsed first by `parse_untrusted_xml` (no DTDs, no entities, no network), and every component the library
refuses is reported with its place in the document (`components[3]`, `<component> at line 17`,
`packages[2]`, `line 40`); one refusal refuses the whole file, so nothing is imported from it.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any, cast

import defusedxml.ElementTree as safe_et
from cyclonedx.model.bom import Bom as _Bom
from cyclonedx.model.component import Component as _Component
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
from lxml import etree as lxml_etree
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
from spdx_tools.spdx.model.spdx_none import SpdxNone
from spdx_tools.spdx.parser.error import SPDXParsingError
from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser as _JsonParser
from spdx_tools.spdx.parser.jsonlikedict.package_parser import PackageParser as _PackageParser
from spdx_tools.spdx.parser.tagvalue.parser import Parser as _TagValueParser

from charter.domain.errors import BadRequest, ValidationError
from charter.domain.figures import counted
from charter.domain.purl import normalise as normalise_purl
from charter.io.mspdi import parse_untrusted_xml

# The libraries' readers are added at runtime (py-serializable) or untyped (spdx-tools): typed as Any here.
Bom: Any = _Bom
Component: Any = _Component
JsonLikeDictParser: Any = _JsonParser
PackageParser: Any = _PackageParser
SpdxTagValueParser: Any = _TagValueParser

MAX_BYTES = 20_000_000
MAX_ITEMS = 20_000
MAX_DEPTH = 16
KINDS = ("software", "library", "platform", "hardware", "saas", "certificate", "domain")
CSV_COLUMNS = (
    "name", "kind", "vendor", "version", "purl", "licence", "release_date", "support_end", "eol_date", "owner",
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
    purl: str | None = None  # canonical (domain/purl.py)
    licence: str = ""
    release_date: dt.date | None = None
    support_end: dt.date | None = None
    eol_date: dt.date | None = None
    owner: str = ""
    systems: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)


_NO_VALUE = frozenset({"NOASSERTION", "NONE"})  # SPDX's "not stated" and "there is none": no value


def _version(value: Any) -> str:
    """A component's version as stored: SPDX's NOASSERTION and NONE mean there is no version to store."""
    text = str(value or "").strip()
    return "" if text.upper() in _NO_VALUE else text[:100]


def _problem(problems: list[str], where: str, msg: str) -> None:
    problems.append(f"{where}: {msg}")


def _purl(value: Any, where: str, problems: list[str]) -> str | None:
    """A component's Package URL in canonical form; a malformed one is a problem at its place."""
    try:
        return normalise_purl(str(value) if value is not None else None)
    except ValueError as e:
        _problem(problems, where, str(e))
        return None


def _raise(problems: list[str], what: str) -> None:
    if problems:
        listed = "\n".join(problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ValidationError(
            f"the {what} could not be imported ({counted(len(problems), 'problem')}):\n{listed}{more}",
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
            version=_version(raw.get("version", "")),
            purl=_purl(raw.get("purl"), where, problems),
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
    if head.startswith((b"SPDXVersion:", b"#")) and b"SPDXVersion:" in data[:100_000]:
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


_SETTER = re.compile(r"parameter (\w+)=(.{0,60}?) violates type hint")
_MISSING = re.compile(r"missing \d+ required (?:keyword-only |positional )?arguments?: (.+)$")


def _reason(e: BaseException) -> str:
    """The library's complaint, short and without Python internals."""
    text = str(e).strip()
    m = _SETTER.search(text)
    if m:
        return f"{m.group(1)} has the wrong type ({m.group(2)})"
    m = _MISSING.search(text)
    if m:
        return f"{m.group(1).replace(chr(39), '')} is missing"
    return (text or type(e).__name__)[:300]


# CycloneDX: cyclonedx-python-lib reads every component into its model (`Component.from_json` /
# `Component.from_xml`); each component is read on its own (its nested components detached and read in
# turn) so a component the library refuses is named by its place in the document.


def _cdx_spec(c: Any, where: str, problems: list[str]) -> ComponentSpec:
    licences: list[str] = []
    for lic in c.licenses:
        if isinstance(lic, LicenseExpression):
            licences.append(str(lic.value))
        elif isinstance(lic, DisjunctiveLicense):
            licences.append(str(lic.id or lic.name or ""))
    licences = [x for x in licences if x and x.strip().upper() != "NOASSERTION"]  # NOASSERTION: unknown
    if len(licences) > 1:  # joined with AND: a compound expression keeps its grouping ("(A OR B) AND C")
        licences = [f"({x})" if " " in x.strip() else x for x in licences]
    vendor = (c.supplier.name if c.supplier is not None else None) or c.publisher or ""
    return ComponentSpec(
        where=where,
        name=str(c.name).strip()[:200],
        kind=_CDX_KIND.get(c.type.value, "software"),
        vendor=str(vendor).strip()[:200],
        version=_version(c.version),
        purl=_purl(c.purl, where, problems),  # the library has parsed it (a malformed one is refused there)
        licence=" AND ".join(licences)[:200],
    )


def _cdx_json_components(
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
    for i, raw in enumerate(items):
        w = f"{where}[{i}]"
        if len(out) >= MAX_ITEMS:
            _problem(problems, w, f"more than {MAX_ITEMS} components")
            return
        if not isinstance(raw, dict):
            _problem(problems, w, "must be an object")
            continue
        if not isinstance(raw.get("name"), str) or not raw["name"].strip():
            _problem(problems, f"{w}.name", "is missing or not a string")
            continue
        if not isinstance(raw.get("version", ""), str):
            _problem(problems, f"{w}.version", "is not a string")
            continue
        own = {k: v for k, v in raw.items() if k != "components"}
        own.setdefault("type", "library")
        try:
            comp = Component.from_json(own)
        except Exception as e:  # the library raises ValueError, TypeError, KeyError, ... for bad input
            _problem(problems, w, f"{raw['name'][:80]!r}: {_reason(e)}")
        else:
            if comp is not None:
                out.append(_cdx_spec(comp, w, problems))
        _cdx_json_components(raw.get("components"), f"{w}.components", depth + 1, out, problems)


def read_cyclonedx_json(data: bytes) -> list[ComponentSpec]:
    doc = _load_json(data, "CycloneDX SBOM")
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise ValidationError("bomFormat: not a CycloneDX document (bomFormat must be 'CycloneDX')")
    if not isinstance(doc.get("specVersion"), str):
        raise ValidationError("specVersion: missing or not a string")
    try:  # the document's own fields (metadata, serial number), through the library
        Bom.from_json({k: v for k, v in doc.items() if k not in ("components", "dependencies", "services")})
    except Exception as e:
        raise ValidationError(f"the CycloneDX SBOM could not be read: {_reason(e)}") from None
    out: list[ComponentSpec] = []
    problems: list[str] = []
    _cdx_json_components(doc.get("components", []), "components", 0, out, problems)
    _raise(problems, "CycloneDX SBOM")
    return out


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def read_cyclonedx_xml(data: bytes) -> list[ComponentSpec]:
    """CycloneDX XML. The document is first parsed by `parse_untrusted_xml` (lxml with DTDs, entity
    resolution and network access off; any DOCTYPE/ENTITY refused) to get line numbers and to refuse
    hostile markup before the library sees it; each component is then handed to cyclonedx-python-lib,
    whose XML reader (py-serializable) itself parses through defusedxml."""
    root = parse_untrusted_xml(data, MAX_BYTES, "CycloneDX SBOM")
    ns = root.nsmap.get(None) or ""
    if _local(root.tag) != "bom" or "cyclonedx.org" not in ns:
        raise ValidationError(f"<{_local(root.tag)}> (line {root.sourceline}): not a CycloneDX <bom>")
    out: list[ComponentSpec] = []
    problems: list[str] = []
    for el in root.iter("{*}component"):
        w = f"<component> at line {el.sourceline}"
        if len(out) >= MAX_ITEMS:
            _problem(problems, w, f"more than {MAX_ITEMS} components")
            break
        if sum(1 for _ in el.iterancestors()) > 2 * MAX_DEPTH + 2:
            _problem(problems, w, f"components nested deeper than {MAX_DEPTH}")
            continue
        own = copy.deepcopy(el)
        for nested in [ch for ch in own if _local(ch.tag) == "components"]:
            own.remove(nested)
        name = next((ch.text or "" for ch in own if _local(ch.tag) == "name"), "").strip()
        if not name:
            _problem(problems, w, "<name> is missing or empty")
            continue
        if "type" not in own.attrib:
            own.set("type", "library")
        try:
            comp = Component.from_xml(safe_et.fromstring(lxml_etree.tostring(own)), default_namespace=ns)
        except Exception as e:  # the library raises ValueError, TypeError, KeyError, ... for bad input
            _problem(problems, w, f"{name[:80]!r}: {_reason(e)}")
            continue
        if comp is not None:
            out.append(_cdx_spec(comp, w, problems))
    _raise(problems, "CycloneDX SBOM")
    return out


# SPDX 2.x: spdx-tools reads the JSON form (JsonLikeDictParser, each package also on its own so a refused
# package is named `packages[i]`) and the tag-value form (its ply grammar, which names lines). The XML, YAML
# and RDF forms are not accepted: only the JSON and tag-value readers take bytes Charter has bounded and
# checked, and those are the forms SBOM tools emit by default.


def _spdx_vendor(actor: Any) -> str:
    name = getattr(actor, "name", None)
    return str(name).strip()[:200] if name else ""


def _spdx_licence(concluded: Any, declared: Any) -> str:
    for v in (concluded, declared):
        if v is None or isinstance(v, SpdxNoAssertion | SpdxNone):
            continue
        text = str(v).strip()
        if text and text.upper() != "NOASSERTION":  # written as text (not the library's value): unknown too
            return text[:200]
    return ""


def _spdx_purl(p: Any, where: str, problems: list[str]) -> str | None:
    """The package's first external reference of type `purl` (SPDX 2.x `externalRefs`, category
    PACKAGE-MANAGER; the type is matched whatever the category, as some tools file it under OTHER)."""
    for ref in p.external_references or []:
        if str(ref.reference_type).strip().lower() == "purl":
            return _purl(ref.locator, f"{where} externalRefs purl", problems)
    return None


def _spdx_spec(p: Any, where: str, problems: list[str]) -> ComponentSpec:
    purpose = p.primary_package_purpose.name.replace("_", "-") if p.primary_package_purpose else "LIBRARY"
    return ComponentSpec(
        where=where,
        name=str(p.name).strip()[:200],
        kind=_SPDX_KIND.get(purpose, "library"),
        vendor=_spdx_vendor(p.supplier),
        version=_version(p.version),
        purl=_spdx_purl(p, where, problems),
        licence=_spdx_licence(p.license_concluded, p.license_declared),
    )


def _spdx_messages(e: SPDXParsingError) -> list[str]:
    seen: dict[str, None] = {}
    for m in cast(Any, e).get_messages():
        seen.setdefault(_reason(Exception(m)) if "violates type hint" in m else str(m)[:300], None)
    return list(seen)


def read_spdx_json(data: bytes) -> list[ComponentSpec]:
    doc = _load_json(data, "SPDX document")
    if not isinstance(doc, dict) or not str(doc.get("spdxVersion", "")).startswith("SPDX-"):
        raise ValidationError("spdxVersion: not an SPDX document")
    packages = doc.get("packages", [])
    if not isinstance(packages, list):
        raise ValidationError("packages: must be a list")
    if len(packages) > MAX_ITEMS:
        raise ValidationError(f"packages: more than {MAX_ITEMS} packages")
    problems: list[str] = []
    for i, p in enumerate(packages):
        w = f"packages[{i}]"
        if not isinstance(p, dict):
            _problem(problems, w, "must be an object")
            continue
        try:
            PackageParser().parse_package(p)
        except SPDXParsingError as e:
            label = f"{w} ({str(p.get('name'))[:80]!r})"
            for m in _spdx_messages(e):
                _problem(problems, label, m)
    _raise(problems, "SPDX document")
    try:
        parsed = JsonLikeDictParser().parse(doc)
    except SPDXParsingError as e:
        _raise([f"document: {m}" for m in _spdx_messages(e)], "SPDX document")
        raise  # pragma: no cover - _raise always raises on a non-empty list
    out = [_spdx_spec(p, f"packages[{i}]", problems) for i, p in enumerate(parsed.packages)]
    _raise(problems, "SPDX document")
    return out


def read_spdx_tv(data: bytes) -> list[ComponentSpec]:
    if len(data) > MAX_BYTES:
        raise BadRequest(f"the SPDX document is {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("the SPDX document is not UTF-8 text") from None
    if text.count("PackageName:") > MAX_ITEMS:
        raise ValidationError(f"the SPDX document has more than {MAX_ITEMS} packages")
    try:
        # ply builds the grammar's tables in memory (40 ms): left to itself it writes parsetab.py and a 1.5 MB
        # parser.out into site-packages, and a second process reading the half-written file failed the import
        parsed = SpdxTagValueParser(write_tables=False, debug=False).parse(text)
    except SPDXParsingError as e:
        _raise(_spdx_messages(e), "SPDX document")
        raise  # pragma: no cover - _raise always raises on a non-empty list
    except Exception as e:  # the ply grammar can fail outside its own error type on odd input
        raise ValidationError(f"the SPDX document could not be read: {_reason(e)}") from None
    starts = [n for n, line in enumerate(text.splitlines(), 1) if line.lstrip().startswith("PackageName:")]
    problems: list[str] = []
    out = [
        _spdx_spec(p, f"PackageName at line {starts[i]}" if i < len(starts) else f"package {i + 1}", problems)
        for i, p in enumerate(parsed.packages)
    ]
    _raise(problems, "SPDX document")
    return out
