"""Hostile input: stored XSS is escaped on every page, every HTML page carries a CSP without unsafe-inline,
every state-changing web route refuses a missing or forged CSRF token (the list is walked from the app),
exports neutralise spreadsheet formulas, XML bombs / external entities / external DTDs are refused fast and
small, request bodies cannot mass-assign fields their schema lacks (walked from OpenAPI), filters and sort
keys cannot inject SQL, and oversized bodies are refused with 413."""

from __future__ import annotations

import csv
import io
import re
import time
import tracemalloc
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from charter.app import BODY_SLACK, create_app
from charter.config import get_settings
from charter.domain.errors import CharterError
from charter.io.tabular import safe_cell
from charter.persistence.db import Database
from charter.persistence.models import Attachment, CommItem, User
from charter.services import accounts, calendars, interchange, projects, roles, tasks, work_packages
from charter.services.context import SYSTEM

PW = "hostile-test-password"
PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '"><svg onload="window.__xss=1">',
    "javascript:window.__xss=1",
    "[click me](javascript:window.__xss=1)",
    '<a href="javascript:window.__xss=1">link</a>',
    "'><iframe src=javascript:window.__xss=1>",
]
ALL = "\n\n".join(PAYLOADS)


class Injected(HTMLParser):
    """What the payloads would create if they reached a page unescaped: inline scripts, event-handler
    attributes, javascript: URLs, svg/iframe elements."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "script" and not attr.get("src") and attr.get("type") != "application/json":
            self.found.append("inline <script>")
        if tag in ("iframe", "object", "embed"):
            self.found.append(f"<{tag}>")
        if (
            tag == "svg" and "chart" not in (attr.get("class") or "").split()
        ):  # Charter's own charts are class "chart"
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value}>")


def injected(html: str) -> list[str]:
    parser = Injected()
    parser.feed(html)
    return parser.found


def build_hostile(db: Database) -> dict[str, Any]:
    with db.uow() as s:
        uid = accounts.create_user(s, SYSTEM, username="mallory", display_name=PAYLOADS[2], password=PW)["id"]
        pid = projects.create_project(
            s,
            SYSTEM,
            key="XSS",
            name=PAYLOADS[1],
            objectives=ALL,
            scope_statement=ALL,
            success_criteria=ALL,
            manager_id=uid,
            start_date=date(2030, 1, 7),
        )["id"]
        roles.create_role(s, SYSTEM, pid, name=PAYLOADS[2])
        wp = work_packages.create_work_package(s, SYSTEM, pid, name=PAYLOADS[0])["id"]
        task_ids = [
            tasks.create_task(s, SYSTEM, pid, name=p, work_package_id=wp, duration="1d", description=ALL)[
                "id"
            ]
            for p in PAYLOADS
        ]
        calendars.create_calendar(s, SYSTEM, pid, name=PAYLOADS[1])
    return {"user": uid, "project": pid, "wp": wp, "tasks": task_ids}


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def _login(c: TestClient, username: str = "mallory") -> str:
    c.cookies.clear()
    page = c.get("/login")
    r = c.post(
        "/login",
        data={"username": username, "password": PW, "csrf_token": _csrf(page.text), "next": "/projects"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return _csrf(c.get("/projects").text)


@pytest.fixture
def hostile(db: Database) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    ids = build_hostile(db)
    with TestClient(create_app(db)) as c:
        yield c, ids


def walk_routes(routes: Any, prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route, through included routers (FastAPI may keep them nested)."""
    for r in routes:
        if hasattr(r, "original_router"):
            yield from walk_routes(r.original_router.routes, prefix + (r.include_context.prefix or ""))
        elif hasattr(r, "methods") and hasattr(r, "path"):
            yield prefix + r.path, set(r.methods or ())


def _fill(path: str, ids: dict[str, Any]) -> str:
    values = {"project_id": ids["project"], "task_id": ids["tasks"][0], "decision": "approve", "what": "x"}
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str(values.get(m.group(1), 1)), path)


# --------------------------------------------------------------------------------------------- XSS, CSP


def test_stored_payloads_are_escaped_on_every_page_and_csp_is_strict(hostile: Any) -> None:
    c, ids = hostile
    _login(c)
    pid, tid = ids["project"], ids["tasks"][0]
    pages = [f"/projects/{pid}", "/projects", f"/projects/{pid}/tasks/{tid}"]
    pages += sorted(
        _fill(p, ids)
        for p, methods in walk_routes(c.app.routes)  # type: ignore[attr-defined]
        if "GET" in methods and p.startswith(("/projects/{project_id}", "/me"))
    )
    seen = 0
    for url in dict.fromkeys(pages):
        r = c.get(url)
        if r.status_code != 200 or not r.headers.get("content-type", "").startswith("text/html"):
            continue
        seen += 1
        csp = r.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
        assert "script-src 'self'" in csp or "default-src 'self'" in csp
        assert not injected(r.text), f"{url}: {injected(r.text)}"
    assert seen >= 5, "too few pages rendered to prove anything"


# --------------------------------------------------------------------------------------------- CSRF


@pytest.mark.any_backend
def test_every_state_changing_web_route_refuses_missing_or_forged_csrf(hostile: Any) -> None:
    c, ids = hostile
    _login(c)
    posts = sorted(
        p
        for p, methods in walk_routes(c.app.routes)  # type: ignore[attr-defined]
        if methods & {"POST", "PUT", "PATCH", "DELETE"} and not p.startswith(("/api/", "/static"))
    )
    assert len(posts) >= 20
    before = {
        t: c.get(f"/projects/{ids['project']}/tasks/{t}").text.count("window.__xss") for t in ids["tasks"]
    }
    failures = []
    for path in posts:
        url = _fill(path, ids)
        for token in (None, "forged-token"):
            data = {"name": "changed", "version": "1"} | ({"csrf_token": token} if token else {})
            headers = {"X-CSRF-Token": token} if token else {}
            r = c.post(url, data=data, headers=headers, follow_redirects=False)
            if r.status_code != 403:
                failures.append(f"{path} ({token or 'no token'}): {r.status_code}")
    assert not failures, failures
    after = {
        t: c.get(f"/projects/{ids['project']}/tasks/{t}").text.count("window.__xss") for t in ids["tasks"]
    }
    assert after == before  # nothing changed


# --------------------------------------------------------------------------------------------- exports


def test_exports_neutralise_formulas(db: Database, seed: Any) -> None:
    world = seed
    evil = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"]
    with db.uow() as s:
        for e in evil:
            tasks.create_task(s, SYSTEM, world.p1, name=e, work_package_id=world.wp_a, duration="1d")
    for e in [*evil, "\tTAB", "\r=1"]:
        assert safe_cell(e) == "'" + e
    assert safe_cell("plain") == "plain" and safe_cell(3) == 3
    with TestClient(create_app(db)) as c:
        r = c.get(f"/api/v1/projects/{world.p1}/export?format=csv", headers=world.headers("admin"))
        assert r.status_code == 200
        cells = [cell for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig"))) for cell in row]
        r = c.get(f"/api/v1/projects/{world.p1}/export?format=xlsx", headers=world.headers("admin"))
        assert r.status_code == 200
        wb = openpyxl.load_workbook(io.BytesIO(r.content))
        xcells = [v for row in wb.active.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    for e in evil:
        assert "'" + e in cells and e not in cells
        assert "'" + e in xcells and e not in xcells
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "@")) for v in cells + xcells)


# --------------------------------------------------------------------------------------------- XML

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&lol9;</Name><Tasks/></Project>"""
QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "' + b"A" * 50_000 + b'">]>'
    b'<Project xmlns="http://schemas.microsoft.com/project"><Name>' + b"&a;" * 50_000 + b"</Name></Project>"
)
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&xxe;</Name><Tasks/></Project>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE p SYSTEM "http://127.0.0.1:9/evil.dtd">
<Project xmlns="http://schemas.microsoft.com/project"><Name>x</Name><Tasks/></Project>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY % ext SYSTEM "http://127.0.0.1:9/x.dtd"> %ext;]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>x</Name><Tasks/></Project>"""


@pytest.mark.parametrize(
    "doc",
    [BILLION_LAUGHS, QUADRATIC, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY],
    ids=["billion-laughs", "quadratic-blowup", "external-entity", "external-dtd", "parameter-entity"],
)
@pytest.mark.parametrize("fmt", ["mspdi", "mpxj"])  # mpxj: refused before MPXJ (or Java) ever sees it
def test_xml_attacks_are_refused_fast_and_small(doc: bytes, fmt: str) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(CharterError) as info:
            interchange.read_plan(doc, fmt)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0, elapsed
    assert peak < 50 * 1024 * 1024, peak
    assert "root:" not in info.value.message  # no file content leaked into the message


def test_xml_attack_through_the_api_is_a_4xx(db: Database, seed: Any) -> None:
    world = seed
    with TestClient(create_app(db)) as c:
        for doc in (BILLION_LAUGHS, EXTERNAL_ENTITY):
            r = c.post(
                f"/api/v1/projects/{world.p1}/import",
                files={"file": ("plan.xml", doc, "application/xml")},
                headers=world.headers("admin"),
            )
            assert r.status_code in (400, 422), r.text
            assert r.json()["error"]["message"]


# --------------------------------------------------------------------------------------------- mass assignment

EXTRAS = ("id", "project_id", "created_by", "is_admin", "owner_id", "version_id", "role")


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _json_body_ops(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("post", "patch", "put"):
                continue
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                yield method, path, _resolve(spec, content["application/json"]["schema"])


@pytest.mark.any_backend
def test_request_schemas_forbid_unknown_fields(db: Database) -> None:
    spec = TestClient(create_app(db)).get("/api/v1/openapi.json").json()
    ops = list(_json_body_ops(spec))
    assert len(ops) >= 40
    open_ = []
    for method, path, schema in ops:
        if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
            open_.append(f"{method.upper()} {path}")
    assert not open_, f"request bodies that accept unknown fields: {open_}"


@pytest.mark.any_backend
def test_mass_assignment_is_refused_with_422(db: Database, seed: Any) -> None:
    """Every JSON body gets a field its schema lacks (an id, an owner, a version, a role flag ...), on top of
    data generated valid for the schema: 422 naming that field, before any handler runs."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    world = seed
    app = create_app(db)
    spec = TestClient(app).get("/api/v1/openapi.json").json()
    props = {(m, p): set(sch.get("properties", {})) for m, p, sch in _json_body_ops(spec)}
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = world.headers("admin")
    failures: list[str] = []
    checked = 0
    for result in schema.get_all_operations():
        op = result.ok()
        key = (op.method.lower(), op.path)
        if key not in props:
            continue
        extra = {e: True if e == "is_admin" else 1 for e in EXTRAS if e not in props[key]}
        outcomes: list[tuple[int, Any]] = []

        @settings(max_examples=3, database=None, deadline=None, suppress_health_check=list(HealthCheck))
        @given(
            case=op.as_strategy(
                path_parameters={
                    **{p.name: world.p1 for p in op.path_parameters if p.name.endswith("_id")},
                    # a free-text segment: "%2e%2e" would become "..", and the request leave /api/v1
                    **{p.name: "schedule" for p in op.path_parameters if p.name == "area"},
                }
            )
        )
        def send(case: Any) -> None:
            if isinstance(case.body, dict):
                case.body = {**case.body, **extra}  # noqa: B023 (called at once, in this iteration)
                r = case.call(headers=headers)
                outcomes.append((r.status_code, r.json() if r.content else None))  # noqa: B023

        send()
        if not outcomes:  # the body is not an object (a list, say): nothing to smuggle a field into
            continue
        checked += 1
        statuses = {status for status, _ in outcomes}
        fields = {(b or {}).get("error", {}).get("field") for _, b in outcomes}
        if statuses != {422}:
            failures.append(f"{op.method.upper()} {op.path}: {sorted(statuses)}")
        elif not fields & set(extra):
            failures.append(f"{op.method.upper()} {op.path}: 422 but never naming an extra field: {fields}")
    assert checked >= 40
    assert not failures, failures


# --------------------------------------------------------------------------------------------- SQL injection

SQLI = ["' OR 1=1 --", "name; DROP TABLE tasks; --", "1) UNION SELECT password_hash FROM users --", "%' --"]


def test_sort_keys_are_allow_listed_and_filters_are_data(db: Database, seed: Any) -> None:
    world = seed
    with TestClient(create_app(db)) as c:
        h = world.headers("admin")
        url = f"/api/v1/projects/{world.p1}/tasks"
        for evil in [*SQLI, "name desc", "id", "password_hash"]:
            r = c.get(url, params={"sort": evil}, headers=h)
            assert r.status_code == 422, (evil, r.status_code)
            assert r.json()["error"]["field"] == "sort"
        for evil in SQLI:
            r = c.get(url, params={"q": evil}, headers=h)
            assert r.status_code == 200 and r.json() == [], evil
        # every string query parameter of every GET operation takes the same strings as plain data
        spec = c.get("/api/v1/openapi.json").json()
        for path, item in spec["paths"].items():
            op = item.get("get")
            if not op:
                continue
            strings = [
                p["name"]
                for p in op.get("parameters", [])
                if p["in"] == "query" and _resolve(spec, p.get("schema", {})).get("type") == "string"
            ]
            for evil in SQLI if strings else ():
                r = c.get(
                    path.replace("{project_id}", str(world.p1)).replace("{task_id}", str(world.tasks["a"])),
                    params=dict.fromkeys(strings, evil),
                    headers=h,
                )
                assert r.status_code < 500, (path, evil, r.status_code)
        assert len(c.get(url, headers=h).json()) == 3  # the tasks table is intact


# --------------------------------------------------------------------------------------------- body size


def test_oversized_bodies_are_refused_with_413(
    db: Database, seed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = seed
    monkeypatch.setenv("CHARTER_MAX_UPLOAD_BYTES", "2048")
    get_settings.cache_clear()
    too_big = b"x" * (2048 + BODY_SLACK + 1)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold on the streamed body
        for i in range(0, len(too_big), 64 * 1024):
            yield too_big[i : i + 64 * 1024]

    with TestClient(create_app(db)) as c:
        h = world.headers("admin") | {"Content-Type": "application/json"}
        for content in (too_big, chunks()):
            r = c.post("/api/v1/projects", content=content, headers=h)
            assert r.status_code == 413
            assert r.headers["content-type"].startswith("application/json")
            assert r.json()["error"]["code"] == "too_large"
            assert "content-security-policy" in r.headers
        r = c.post(
            f"/api/v1/projects/{world.p1}/import",
            files={"file": ("plan.csv", too_big, "text/csv")},
            headers=world.headers("admin"),
        )
        assert r.status_code == 413
        r = c.post("/login", content=too_big, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
        # a body within the limit still works
        r = c.post("/api/v1/projects", json={"key": "OK1", "name": "fits"}, headers=world.headers("admin"))
        assert r.status_code == 201


# --------------------------------------------------------------------------------------------- attachments


def _multipart(fields: dict[str, str], files: list[tuple[bytes, bytes]]) -> tuple[bytes, str]:
    """A multipart body built by hand, so a file name can carry bytes a client library would refuse."""
    boundary = "hostile-boundary-7f3a"
    out = b""
    for k, v in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    for name, data in files:
        out += (f"--{boundary}\r\n".encode() + b'Content-Disposition: form-data; name="files"; filename="'
                + name + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + data + b"\r\n")  # fmt: skip
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("raw_name", "shown"),
    [
        (b"../../../../etc/passwd.pdf", "passwd.pdf"),
        (b"..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
        (b"report\x00.html.pdf", "report.html.pdf"),
        (b"..", "attachment.pdf"),
        (b"/", "attachment.pdf"),
        (b'<img src=x onerror="window.__xss=1">.pdf', "<img src=x onerror=window.__xss=1>.pdf"),
    ],
)
def test_message_attachment_names_cannot_traverse_or_inject(
    db: Database, seed: Any, raw_name: bytes, shown: str
) -> None:
    """The uploader's name is a label: no path, no NUL or control characters, never a place on disk; on the
    thread page it is escaped text; the stored file sits under a random name inside the project's folder."""
    from charter.services import attachments

    w = seed
    body, ctype = _multipart({"to": "user", "to_user_id": str(w.users["worker"]), "subject": "s", "body": "b"},
                             [(raw_name, b"%PDF-1.4 hostile")])  # fmt: skip
    earlier = set(attachments.root().rglob("*"))  # other tests' files share the session's data dir
    with TestClient(create_app(db)) as c:
        r = c.post(f"/api/v1/projects/{w.p1}/messages/with-attachments", content=body,
                   headers=w.headers("pm") | {"Content-Type": ctype})  # fmt: skip
        assert r.status_code == 201, r.text
        (f,) = r.json()["messages"][0]["attachments"]
        assert f["filename"] == shown and "\x00" not in f["filename"]
        files = [p for p in attachments.root().rglob("*") if p.is_file() and p not in earlier]
        assert files and all(p.resolve().parent == (attachments.root() / str(w.p1)).resolve() for p in files)
        got = c.get(f["url"], headers=w.headers("worker"))
        assert got.status_code == 200 and got.headers["content-disposition"].startswith("attachment;")
        assert "/" not in got.headers["content-disposition"].split(";")[1]
        with db.uow() as s:
            s.execute(
                update(User).where(User.username == "worker").values(password_hash=accounts.hash_password(PW))
            )
        _login(c, "worker")
        page = c.get(f"/projects/{w.p1}/messages/{r.json()['id']}")
        assert page.status_code == 200
        found = Injected()
        found.feed(page.text)
        assert not found.found, found.found


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b'\xef\xbb\xbf  \n<?xml version="1.0"?><svg><script>alert(1)</script></svg>',
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"\n\n<HTML><BODY onload=alert(1)>",
        b"notes\n<script>alert(1)</script>\n",
    ],
)
def test_svg_and_html_attachments_are_refused_whatever_their_name(
    db: Database, seed: Any, data: bytes
) -> None:
    """HTML, SVG and XML could run scripts if a browser ever rendered them: refused outright (checked from the
    content, the name and the claimed type do not matter), naming what is accepted; nothing is stored."""
    w = seed
    with TestClient(create_app(db)) as c:
        r = c.post(f"/api/v1/projects/{w.p1}/messages/with-attachments", headers=w.headers("pm"),
                   data={"to": "user", "to_user_id": str(w.users["worker"]), "subject": "s", "body": "b"},
                   files=[("files", ("photo.png", data, "image/png"))])  # fmt: skip
    assert r.status_code == 422, r.text
    e = r.json()["error"]
    assert e["field"] == "files" and "HTML, SVG and XML files are not accepted" in e["message"]
    assert "PDF" in e["message"]
    with db.uow(readonly=True) as s:
        assert s.query(Attachment).count() == 0 and s.query(CommItem).count() == 0


def _docx(document_xml: str) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", document_xml)
    return buf.getvalue()


def test_words_read_from_attachments_are_escaped_and_xml_bombs_inside_them_are_not_expanded(
    db: Database, seed: Any
) -> None:
    """A document's text is read with defusedxml: an entity bomb inside a DOCX is stored as a file with no
    text (the upload still succeeds); a payload inside a document's text is escaped in the search page's
    snippet."""
    w_ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    bomb = _docx('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lollollol">'
                 + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
                 + f"]><w:document {w_ns}><w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>")  # fmt: skip
    payload = _docx(f"<w:document {w_ns}><w:body><w:p><w:r><w:t>quetzal "
                    '&lt;img src=x onerror="window.__xss=1"&gt; quetzal</w:t></w:r></w:p></w:body></w:document>')  # fmt: skip
    w = seed
    with TestClient(create_app(db)) as c:
        started = time.perf_counter()
        r = c.post(f"/api/v1/projects/{w.p1}/messages/with-attachments", headers=w.headers("pm"),
                   data={"to": "user", "to_user_id": str(w.users["worker"]), "subject": "s", "body": "b"},
                   files=[("files", ("bomb.docx", bomb, "application/octet-stream")),
                          ("files", ("payload.docx", payload, "application/octet-stream"))])  # fmt: skip
        assert r.status_code == 201, r.text
        assert time.perf_counter() - started < 30  # generous: an expanded bomb would take far longer
        with db.uow(readonly=True) as s:
            texts = {a.filename: a.content_text for a in s.query(Attachment)}
        assert texts["bomb.docx"] == "" and texts["payload.docx"].startswith("quetzal <img")
        assert (
            c.get("/api/v1/search", params={"q": "lollollol"}, headers=w.headers("pm")).json()["total"] == 0
        )
        with db.uow() as s:
            s.execute(
                update(User).where(User.username == "pm").values(password_hash=accounts.hash_password(PW))
            )
        _login(c, "pm")
        page = c.get("/search", params={"q": "quetzal"})
        assert page.status_code == 200 and "payload.docx" in page.text and "&lt;img" in page.text
        assert not injected(page.text), injected(page.text)
