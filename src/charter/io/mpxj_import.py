"""Plans in the formats the MPXJ library reads (.mpp, .xer, .pmxml, .mpx, Planner, Asta, Phoenix ...).

MPXJ is a Java library; the optional ``charter[mpxj]`` extra brings its Python wrapper and JPype, and a Java
runtime must be installed. The JVM starts once per process, on the first such import. MPXJ reads the file and
writes it back as MS Project XML, which then goes through Charter's own MSPDI reader, so one code path
validates every imported plan whatever its original format. The conversion runs in a worker thread under
a time limit, one at a time, on a JVM with a bounded heap.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from charter.domain.errors import BadRequest
from charter.domain.schedule import PlanSpec

__all__ = ["EXTENSIONS", "MpxjUnavailable", "available", "convert_to_mspdi", "read_mpxj"]

# File name endings MPXJ reads that Charter routes to it (MS Project XML .xml keeps Charter's own reader).
EXTENSIONS = ("mpp", "mpt", "mpx", "xer", "pmxml", "pp", "planner", "gan", "ppx", "pep", "pod", "schedule",
              "sdef", "fts", "mpd", "prx", "sp", "cdpx", "cdpz", "stx", "zip")  # fmt: skip
INSTALL_HINT = "install charter[mpxj] and a Java runtime (Java 11 or later) to import this format"
TIMEOUT_SECONDS = 60.0
JVM_HEAP = "-Xmx768m"

_start_lock = threading.Lock()
_busy = threading.Lock()  # one conversion at a time; held by the worker until MPXJ returns


class MpxjUnavailable(BadRequest):
    """MPXJ, JPype or a Java runtime is missing (HTTP 400)."""

    code = "mpxj_unavailable"


def _modules() -> Any:
    try:
        import jpype
        import mpxj  # noqa: F401  (puts MPXJ's jars on the class path)
    except ImportError:
        raise MpxjUnavailable(f"this file needs the MPXJ library: {INSTALL_HINT}", field="file") from None
    return jpype


def available() -> bool:
    """Whether MPXJ, JPype and a Java runtime are all present (does not start the JVM)."""
    try:
        jpype = _modules()
        jpype.getDefaultJVMPath()
    except Exception:
        return False
    return True


def _jvm() -> Any:
    """JPype with the JVM started (once per process)."""
    jpype = _modules()
    with _start_lock:
        if not jpype.isJVMStarted():
            try:
                jpype.startJVM(jpype.getDefaultJVMPath(), JVM_HEAP, convertStrings=False)
            except Exception:
                raise MpxjUnavailable(
                    f"no usable Java runtime was found: {INSTALL_HINT}", field="file"
                ) from None
    return jpype


@dataclass
class _Job:
    data: bytes
    out: bytes | None = None
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


def _run(job: _Job) -> None:
    try:
        jpype = _jvm()
        from java.io import ByteArrayInputStream, ByteArrayOutputStream
        from org.mpxj.mspdi import MSPDIWriter
        from org.mpxj.reader import UniversalProjectReader

        try:
            project = UniversalProjectReader().read(ByteArrayInputStream(jpype.JArray(jpype.JByte)(job.data)))
            if project is None:
                job.error = "it is not a project file in a format MPXJ recognises"
                return
            props = project.getProjectProperties()
            if props.getStartDate() is None and props.getPlannedStart() is not None:
                # a Primavera file whose activities carry no dates: its planned start is the project's start
                props.setStartDate(props.getPlannedStart())
            sink = ByteArrayOutputStream()
            MSPDIWriter().write(project, sink)
            job.out = bytes(sink.toByteArray())
        except jpype.JException as e:
            text = str(e.getMessage() or e.getClass().getSimpleName()).strip().splitlines()
            job.error = f"MPXJ could not read it ({(text[0] if text else 'unknown error')[:300]})"
    except MpxjUnavailable as e:
        job.error = e.message
    except Exception as e:  # anything else from the JVM bridge: a message, never a traceback
        job.error = f"MPXJ could not read it ({type(e).__name__})"
    finally:
        _busy.release()
        job.done.set()


def _declares_dtd(data: bytes) -> bool:
    """An XML file (Primavera PMXML, Planner, GanttProject ...) with a document type declaration or entities:
    refused before MPXJ sees it, the same rule as for MS Project XML (no entity expansion, no external DTD)."""
    head = data[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="ignore").encode("utf-8", errors="ignore")
    else:
        text = data.removeprefix(b"\xef\xbb\xbf")
    if not text.lstrip().startswith(b"<"):
        return False
    return b"<!DOCTYPE" in text or b"<!ENTITY" in text


def convert_to_mspdi(data: bytes, *, max_bytes: int, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The file as MS Project XML, converted by MPXJ. Raises MpxjUnavailable or BadRequest."""
    if len(data) > max_bytes:
        raise BadRequest(f"the file is {len(data):,} bytes; the limit is {max_bytes:,}", field="file")
    if not data:
        raise BadRequest("the file is empty", field="file")
    if _declares_dtd(data):
        raise BadRequest("the file declares a DTD or entities, which are not allowed", field="file")
    _jvm()  # a missing runtime is reported before any thread starts
    if not _busy.acquire(timeout=timeout):
        raise BadRequest("another project file is still being converted; try again shortly", field="file")
    job = _Job(data)
    threading.Thread(target=_run, args=(job,), name="mpxj-convert", daemon=True).start()
    if not job.done.wait(timeout):
        raise BadRequest(f"reading the file took longer than {timeout:g} seconds", field="file")
    if job.error is not None or job.out is None:
        raise BadRequest(f"the file cannot be imported: {job.error or 'MPXJ returned nothing'}", field="file")
    return job.out


def read_mpxj(data: bytes, *, max_bytes: int = 50_000_000, timeout: float = TIMEOUT_SECONDS) -> PlanSpec:
    """Read any project file MPXJ reads into a PlanSpec, through Charter's MSPDI reader."""
    from charter.io.mspdi import read_mspdi

    xml = convert_to_mspdi(data, max_bytes=max_bytes, timeout=timeout)
    # MPXJ's XML is trusted and may be larger than the original (a .mpp is compressed); line numbers in
    # problems would point into that intermediate XML, so problems name the task UID instead.
    return read_mspdi(xml, max_bytes=max(50_000_000, 20 * len(data)), lines=False)
