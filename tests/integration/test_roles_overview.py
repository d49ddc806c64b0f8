"""The project home reads its roles once: `roles.overview` equals the three reads it replaces, whatever the
history holds (ended, future and current assignments, custom roles, RACI cells and gaps), and the page asks
the database for the project and the role rows once each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from charter.app import create_app
from charter.persistence.models import User
from charter.services import accounts, roles
from charter.services.context import now
from charter.web.session import SESSION_COOKIE


def _separate(s: Any, actor: Any, project_id: int) -> dict[str, Any]:
    return {
        "roles": roles.list_roles(s, actor, project_id),
        "history": roles.list_assignments(s, actor, project_id),
        "raci": roles.raci(s, actor, project_id),
    }


def test_overview_equals_the_separate_reads(seed: Any, frozen_clock: Any) -> None:
    w, pm = seed, seed.actor("pm")
    with w.db.uow() as s:
        t = now()
        custom = roles.create_role(s, pm, w.p1, name="Release manager", permissions=["project.read"])
        roles.set_raci(s, pm, w.p1, area="quality", role_id=custom["id"], letter="A")  # held by nobody: a gap
        # a future assignment, an ended one and a current one of the same role
        roles.assign_role(
            s, pm, w.p1, role_id=custom["id"], user_id=w.users["worker"], valid_from=t + timedelta(days=30)
        )
        ended = roles.assign_role(s, pm, w.p1, role_id=custom["id"], user_id=w.users["observer"])
    frozen_clock.advance(days=1)
    with w.db.uow() as s:
        roles.end_assignment(s, pm, w.p1, ended["id"], ended["version"])
    frozen_clock.advance(days=1)
    with w.db.uow() as s:
        roles.assign_role(s, pm, w.p1, role_id=custom["id"], user_id=w.users["stakeholder"])
    for name in ("pm", "worker", "admin"):
        with w.db.uow(readonly=True) as s:
            together = roles.overview(s, w.actor(name), w.p1)
        with w.db.uow(readonly=True) as s:
            assert together == _separate(s, w.actor(name), w.p1), name
    assert not any(g["role_id"] == custom["id"] for g in together["raci"]["gaps"])  # held now
    held = next(r for r in together["roles"] if r["id"] == custom["id"])["holders"]
    assert [h["user_id"] for h in held] == [w.users["stakeholder"]]
    assert sum(a["role_id"] == custom["id"] for a in together["history"]) == 3


def test_overview_shows_a_gap_of_a_role_nobody_holds(seed: Any, frozen_clock: Any) -> None:
    w, pm = seed, seed.actor("pm")
    with w.db.uow() as s:
        custom = roles.create_role(s, pm, w.p1, name="Release manager", permissions=["project.read"])
        roles.set_raci(s, pm, w.p1, area="quality", role_id=custom["id"], letter="A")
    with w.db.uow(readonly=True) as s:
        together = roles.overview(s, pm, w.p1)
    with w.db.uow(readonly=True) as s:
        assert together == _separate(s, pm, w.p1)
    assert [g["role_id"] for g in together["raci"]["gaps"] if g["area"] == "quality"] == [custom["id"]]


def test_project_home_reads_the_project_and_role_rows_once(seed: Any) -> None:
    with seed.db.uow() as s:
        cookie = accounts.start_session(s, s.get(User, seed.users["pm"])).cookie
    client = TestClient(create_app(seed.db, check_schema=False))
    client.cookies.set(SESSION_COOKIE, cookie)
    statements: list[str] = []

    def record(_conn: Any, _cur: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()).lower())

    event.listen(seed.db.engine, "before_cursor_execute", record)
    try:
        r = client.get(f"/projects/{seed.p1}")
    finally:
        event.remove(seed.db.engine, "before_cursor_execute", record)
    assert r.status_code == 200, r.text
    from_projects = [q for q in statements if q.startswith("select projects.id")]
    history = [q for q in statements if q.startswith("select role_assignments.id")]
    assert len(from_projects) == 1, from_projects
    assert len(history) == 1, history
