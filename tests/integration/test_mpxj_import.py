"""Plans in MPXJ's formats (.xer, .mpx, .pmxml ...) through the API and the CLI.

The files are made in the test: a plan Charter exports as MS Project XML is rewritten by MPXJ's own writers
as a Primavera XER, a Primavera PMXML and an MPX file, then imported. The JVM starts once per test session.
Needs the optional MPXJ extra and a Java runtime; without them only the "missing" path runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from charter.config import get_settings
from charter.io import mpxj_import

# Skipped locally without MPXJ or Java; CI installs both (the dev extra and .ci/run), so there it must run.
needs_mpxj = pytest.mark.skipif(
    not mpxj_import.available() and os.environ.get("CI", "").lower() != "true",
    reason="needs charter[mpxj] and a Java runtime",
)
PM = "admin"


def err(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    e = r.json()["error"]
    if field is not None:
        assert e["field"] == field, e
    return e


def rewrite(mspdi: bytes, fmt: str) -> bytes:
    """The MS Project XML file as MPXJ writes it in `fmt` (XER, MPX, PMXML ...)."""
    mpxj_import._jvm()
    from java.io import ByteArrayInputStream, ByteArrayOutputStream
    from org.mpxj.reader import UniversalProjectReader
    from org.mpxj.writer import FileFormat, UniversalProjectWriter

    project = UniversalProjectReader().read(ByteArrayInputStream(mspdi))
    sink = ByteArrayOutputStream()
    UniversalProjectWriter(getattr(FileFormat, fmt)).write(project, sink)
    return bytes(sink.toByteArray())


@pytest.fixture
def cli(seed: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from typer.testing import CliRunner

    from charter.cli.main import app

    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        yield lambda *args: runner.invoke(app, ["--as", PM, *args])
    finally:
        get_settings.cache_clear()


@pytest.fixture
def plan(api: Any, seed: Any, as_: Any) -> dict[str, Any]:
    """P1 from 2030-01-07: Task A (WP-A, 3d) -FS-> Task B (WP-B, 2d); A -SS+4h-> Task C (WP-A, 1d);
    B -FF-1d-> D (WP-A.1, 2d); C -FS+2d-> M (milestone, no work package); A -SF-> E (WP-B, 1d)."""
    h = as_(PM)
    p = seed.p1
    r = api.patch(f"/projects/{p}", json={"version": 1, "start_date": "2030-01-07"}, headers=h)
    assert r.status_code == 200, r.text
    ids = {"A": seed.tasks["a"], "B": seed.tasks["b"], "C": seed.tasks["c"]}
    for name, body in [
        ("D", {"duration": "2d", "work_package_id": seed.wp_a1}),
        ("M", {"milestone": True}),
        ("E", {"duration": "1d", "work_package_id": seed.wp_b}),
    ]:
        r = api.post(f"/projects/{p}/tasks", json={"name": name, **body}, headers=h)
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    for a, b, kind, lag in [("A", "C", "SS", "4h"), ("B", "D", "FF", "-1d"), ("C", "M", "FS", "2d"),
                            ("A", "E", "SF", 0)]:  # fmt: skip
        r = api.post(
            f"/projects/{p}/links",
            json={"pred_id": ids[a], "succ_id": ids[b], "type": kind, "lag": lag},
            headers=h,
        )
        assert r.status_code == 201, r.text
    return {"p": p, "h": h, **ids}


def shape(api: Any, p: int, h: dict[str, str]) -> dict[str, Any]:
    """Tasks (by name: work package path, duration, dates) and links (by names: type, lag) of a project."""
    s = api.get(f"/projects/{p}/schedule", headers=h).json()
    wps = {w["id"]: w for w in s["summaries"] if w["id"]}

    def path(wp_id: int | None) -> str:
        return "" if wp_id is None else f"{path(wps[wp_id]['parent_id'])}/{wps[wp_id]['name']}"

    tasks = {t["id"]: t for t in s["tasks"]}
    return {
        "tasks": {
            t["name"].removeprefix("Task "): (
                path(t["work_package_id"]),
                t["duration_minutes"],
                t["start"],
                t["finish"],
            )
            for t in tasks.values()
        },
        "links": {
            (
                tasks[x["pred_id"]]["name"].removeprefix("Task "),
                tasks[x["succ_id"]]["name"].removeprefix("Task "),
            ): (
                x["type"],
                x["lag"],
                x["lag_kind"],
            )
            for x in s["links"]
        },
        "finish": s["finish"],
    }


@needs_mpxj
@pytest.mark.parametrize("fmt", ["XER", "PMXML", "MPX"])
def test_a_primavera_or_mpx_file_imports_with_tree_links_and_dates(
    api: Any, plan: dict[str, Any], fmt: str
) -> None:
    p, h = plan["p"], plan["h"]
    original = shape(api, p, h)
    assert original["links"][("A", "E")] == ("SF", 0, "working")
    exported = api.get(f"/projects/{p}/export", params={"format": "mspdi"}, headers=h).content
    data = rewrite(exported, fmt)
    r = api.post(
        "/imports", files={"file": (f"plan.{fmt.lower()}", data)}, data={"key": f"I{fmt}"}, headers=h
    )
    assert r.status_code == 201, r.text
    res = r.json()
    assert (res["tasks"], res["links"]) == (6, 5)
    copy = shape(api, res["project_id"], h)
    assert copy["tasks"] == original["tasks"]
    assert copy["links"] == original["links"]
    assert copy["finish"] == original["finish"]


@needs_mpxj
def test_explicit_format_and_garbage_files(api: Any, plan: dict[str, Any], db: Any) -> None:
    p, h = plan["p"], plan["h"]
    before = len(api.get(f"/projects/{p}/tasks", headers=h).json())
    e = err(
        api.post(f"/projects/{p}/import", files={"file": ("plan.mpp", b"\x00garbage" * 50)}, headers=h), 400
    )
    assert "not a project file" in e["message"] or "MPXJ could not read it" in e["message"], e
    assert "Traceback" not in e["message"]
    e = err(
        api.post(f"/projects/{p}/import", files={"file": ("plan.xer", b"ERMHDR\t1\n%T\tTASK\n")}, headers=h),
        400,
    )
    assert e["field"] == "file"
    assert len(api.get(f"/projects/{p}/tasks", headers=h).json()) == before
    # an MPX file under a name MPXJ's reader does not know, with the format given
    exported = api.get(f"/projects/{p}/export", params={"format": "mspdi"}, headers=h).content
    r = api.post(
        f"/projects/{p}/import",
        files={"file": ("plan.dat", rewrite(exported, "MPX"))},
        data={"format": "mpxj"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["tasks"] == 6


def test_without_mpxj_the_import_says_what_to_install(
    api: Any, seed: Any, as_: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> Any:
        raise mpxj_import.MpxjUnavailable(f"this file needs the MPXJ library: {mpxj_import.INSTALL_HINT}")

    monkeypatch.setattr(mpxj_import, "_modules", missing)
    assert not mpxj_import.available()
    r = api.post(
        f"/projects/{seed.p1}/import", files={"file": ("plan.mpp", b"\xd0\xcf\x11\xe0" * 64)}, headers=as_(PM)
    )
    e = err(r, 400)
    assert "charter[mpxj]" in e["message"] and "Java" in e["message"], e


def test_the_cli_imports_an_xer_file_and_reports_missing_mpxj(
    api: Any, plan: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    exported = api.get(f"/projects/{plan['p']}/export", params={"format": "mspdi"}, headers=plan["h"]).content
    if mpxj_import.available():
        xer = tmp_path / "plan.xer"
        xer.write_bytes(rewrite(exported, "XER"))
        out = cli("import", str(xer), "--key", "CLIX", "--json")
        assert out.exit_code == 0, (out.stdout, out.stderr)
        assert '"tasks": 6' in out.stdout and '"links": 5' in out.stdout
        bad = tmp_path / "bad.mpp"
        bad.write_bytes(b"not a project" * 10)
        out = cli("import", str(bad), "--key", "CLIY")
        assert out.exit_code != 0 and "Traceback" not in out.output
        assert "cannot be imported" in out.stderr

    def missing() -> Any:
        raise mpxj_import.MpxjUnavailable(f"this file needs the MPXJ library: {mpxj_import.INSTALL_HINT}")

    monkeypatch.setattr(mpxj_import, "_modules", missing)
    mpp = tmp_path / "plan.mpp"
    mpp.write_bytes(b"\xd0\xcf\x11\xe0" * 64)
    out = cli("import", str(mpp), "--key", "CLIZ")
    assert out.exit_code != 0 and "Traceback" not in out.output
    assert "charter[mpxj]" in out.stderr


@needs_mpxj
def test_the_ms_project_fixture_as_primavera_pmxml_keeps_ms_project_dates(
    api: Any, seed: Any, as_: Any
) -> None:
    """The file MS Project 2019 saved, rewritten by MPXJ as Primavera PMXML (MPX keeps dates only, no times)."""
    fixture = Path(__file__).parent.parent / "fixtures" / "mspdi" / "task-links-project2019-mspdi.xml"
    pmxml = rewrite(fixture.read_bytes(), "PMXML")
    r = api.post("/imports", files={"file": ("links.pmxml", pmxml)}, data={"key": "PMX19"}, headers=as_(PM))
    assert r.status_code == 201, r.text
    res = r.json()
    assert (res["tasks"], res["links"]) == (16, 8)
    assert res["dates_compared"] == res["dates_matching"] == 16, res["mismatches"]


def test_xml_with_a_dtd_never_reaches_mpxj(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_jvm() -> Any:
        raise AssertionError("MPXJ was started for a file that declares a DTD")

    monkeypatch.setattr(mpxj_import, "_jvm", no_jvm)
    doc = '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]><APIBusinessObjects>&a;</APIBusinessObjects>'
    for data in (doc.encode(), b"\xef\xbb\xbf  " + doc.encode(), doc.encode("utf-16")):
        with pytest.raises(mpxj_import.BadRequest, match="DTD"):
            mpxj_import.read_mpxj(data)


def test_a_slow_conversion_times_out_and_the_next_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    release = threading.Event()

    def stuck(job: Any) -> None:  # stands in for MPXJ reading a file that takes too long
        release.wait(10)
        job.out = b"<Project/>"
        mpxj_import._busy.release()
        job.done.set()

    monkeypatch.setattr(mpxj_import, "_jvm", lambda: None)
    monkeypatch.setattr(mpxj_import, "_run", stuck)
    try:
        with pytest.raises(mpxj_import.BadRequest, match="longer than"):
            mpxj_import.convert_to_mspdi(b"PK\x03\x04 some file", max_bytes=1000, timeout=0.05)
        with pytest.raises(mpxj_import.BadRequest, match="still being converted"):
            mpxj_import.convert_to_mspdi(b"PK\x03\x04 some file", max_bytes=1000, timeout=0.05)
        with pytest.raises(mpxj_import.BadRequest, match="limit"):
            mpxj_import.convert_to_mspdi(b"x" * 1001, max_bytes=1000)
    finally:
        release.set()
    assert mpxj_import._busy.acquire(timeout=5)
    mpxj_import._busy.release()
