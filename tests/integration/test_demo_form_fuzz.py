"""Every form that posts, on the pages the demo's Project Manager and admin can reach, takes hostile values in
its fields without a server error — a number beyond the database's integers where a number (an id, a
version, an amount, a duration) goes, text longer than any column where text goes: each is refused beside its
field, answered as bad input (4xx), or saved. One form per route (its numbers as {n}), each field changed alone
with the rest as the page filled them in, on a copy of the demo's data. What the field held says what it
takes: a number gets the number, text the text, an empty field both.

On PostgreSQL the number is 2**31, beyond its 32-bit integer columns (SQLite's integers are 64-bit), and
text lengths are checked by the database (SQLite does not)."""

from __future__ import annotations

import html
import re
from collections import deque
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.persistence.db import Database
from charter.services import demo
from matrix_cells import IS_POSTGRES
from webhelpers import csrf_of

pytestmark = pytest.mark.xdist_group("demo")  # the demo is seeded once per test process

NUMBER = re.compile(r"/\d+(?=/|$)")
LINK = re.compile(r'\shref="(/[^"#]*)"')
HUGE = "9" * 40 if not IS_POSTGRES else "2147483648"  # beyond SQLite's integers / PostgreSQL's integer
LONG = "x" * 3000  # beyond every text column's length
NUMERIC = re.compile(r"-?[0-9][0-9 .,:]*[a-z%]{0,3}")  # 12, 1 200.50, 62,5, 5d, 1:30, 50%
# forms whose success ends the session or the data the rest needs
SKIP_ACTIONS = re.compile(r"/logout$|/delete$|/feed-key|/password$|/revoke$|/deactivate")
PAGES = 400  # pages crawled per user: far more routes than the site has


class _Forms(HTMLParser):
    """The forms that post on a page: action, fields (name -> the value the page filled in), first button."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = None
            if a.get("method", "").lower() == "post":
                self._form = {"action": html.unescape(a.get("action", "")), "fields": {}, "button": None}
                self.forms.append(self._form)
            return
        f = self._form
        if f is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "file":
                return
            if kind in ("submit", "button"):
                f["button"] = f["button"] or (name, a.get("value", ""))
            elif kind in ("checkbox", "radio"):
                if "checked" in a or name not in f["fields"]:
                    f["fields"][name] = a.get("value", "on")
            else:
                f["fields"][name] = a.get("value", "")
        elif tag == "button":
            f["button"] = f["button"] or (name, a.get("value", ""))
        elif tag == "select":
            self._select = name
            f["fields"].setdefault(name, "")
        elif tag == "option" and self._select and (not f["fields"].get(self._select) or "selected" in a):
            f["fields"][self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            f["fields"][name] = ""

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    page = client.get("/login")
    r = client.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD,
                                    "csrf_token": csrf_of(page.text), "next": "/projects"})  # fmt: skip
    assert r.status_code == 303, r.text


def _forms(client: TestClient) -> dict[str, tuple[str, dict[str, Any]]]:
    """{action route: (the page it is on, the form)}, one page per route, breadth first."""
    seen: set[str] = set()
    routes: set[str] = set()
    queue = deque(["/projects", "/desk", "/me/work", "/me/inbox", "/account", "/resources", "/admin/users"])
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    while queue and len(seen) < PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        r = client.get(path)
        if r.status_code != 200 or not r.headers.get("content-type", "").startswith("text/html"):
            continue
        parser = _Forms()
        parser.feed(r.text)
        for form in parser.forms:
            action = urljoin(path, form["action"] or path)
            route = NUMBER.sub("/{n}", urlsplit(action).path)
            if route not in found and not SKIP_ACTIONS.search(action):
                found[route] = (path, form)
        for m in LINK.finditer(r.text):
            target = html.unescape(m.group(1))
            route = NUMBER.sub("/{n}", urlsplit(target).path)
            if target.startswith(("/static/", "/api/", "/logout")) or route in routes:
                continue
            routes.add(route)
            queue.append(target)
    return found


# the admin reaches every project's forms and the admin pages; the PM the project's own (on PostgreSQL, whose
# run samples what SQLite runs in full, the admin's)
@pytest.mark.parametrize("username", [demo.ADMIN] if IS_POSTGRES else [demo.ADMIN, "priya.nair"])
def test_every_form_takes_hostile_values_without_a_server_error(demo_db: Database, username: str) -> None:
    problems: list[str] = []
    with TestClient(create_app(demo_db), raise_server_exceptions=False, follow_redirects=False) as client:
        _sign_in(client, username)
        forms = _forms(client)
        assert len(forms) >= 40, sorted(forms)  # the crawl reached the site's forms
        for route, (page, form) in sorted(forms.items()):
            action = urljoin(page, form["action"] or page)
            for name, held in form["fields"].items():
                if name == "csrf_token":
                    continue
                values = (
                    (HUGE, LONG)
                    if not held.strip()
                    else (HUGE,)
                    if NUMERIC.fullmatch(held.strip())
                    else (LONG,)
                )
                for value in values:
                    data = {**form["fields"], name: value}
                    if form["button"]:
                        data.setdefault(*form["button"])
                    r = client.post(action, data=data)
                    if r.status_code >= 500:
                        problems.append(f"{r.status_code}: {route} {name}={value[:12]!r} (form on {page})")
    assert not problems, "\n".join(problems)
