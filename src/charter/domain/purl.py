"""Package URLs (purl, https://github.com/package-url/purl-spec): a technology component's identity across
ecosystems (`pkg:npm/debug@4.3.4` and `pkg:pypi/debug@4.3.4` are two packages of one name and version).

A purl is parsed and written back by packageurl-python, which applies the spec's normalisation: the type is
lower-cased, and so are the namespace and name of the types whose spec says so (npm names, pypi with `_` as
`-`, github/bitbucket, deb, apk, ...; maven and golang keep their case); qualifiers are sorted with
lower-cased keys. That canonical text is what is stored and compared, so two spellings of one package match.
"""

from __future__ import annotations

from packageurl import PackageURL

MAX_LENGTH = 500


def normalise(value: str | None, field: str = "purl") -> str | None:
    """The canonical form of a purl, None for no purl (None or blank); a ValueError naming the field (the
    caller turns it into its own error) when the text is not a Package URL: it must start with `pkg:` and
    have a type and a name (`pkg:TYPE/[NAMESPACE/]NAME[@VERSION][?QUALIFIERS][#SUBPATH]`)."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > MAX_LENGTH:
        raise ValueError(f"{field} is longer than {MAX_LENGTH} characters")
    try:
        canonical = str(PackageURL.from_string(text).to_string())
    except ValueError as e:
        reason = str(e).split(": '", 1)[0].rstrip(".").removeprefix("purl ")
        raise ValueError(
            f"{field} {text[:100]!r} is not a Package URL (pkg:TYPE/[NAMESPACE/]NAME[@VERSION]): {reason}"
        ) from None
    if len(canonical) > MAX_LENGTH:
        raise ValueError(f"{field} is longer than {MAX_LENGTH} characters")
    return canonical
