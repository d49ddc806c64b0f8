"""Upgrading from every earlier migration keeps the data: rows seeded at each revision are all there at
head (row counts and checksums of the columns that existed), and data moved by a migration lands where it
should — on SQLite (where tables are rebuilt to alter them) and on PostgreSQL."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import text

from charter.persistence.db import Database

SEED_0001 = [
    "INSERT INTO departments (id, name, created_at, version) VALUES (1, 'Sales', '2026-01-01 09:00:00', 1)",
    "INSERT INTO users (id, username, display_name, is_admin, is_active, department_id, created_at, version)"
    " VALUES (1, 'ada', 'Ada', true, true, 1, '2026-01-01 09:00:00', 1),"
    " (2, 'bob', 'Bob', false, true, 1, '2026-01-01 09:00:00', 1)",
    "UPDATE departments SET head_user_id = 2 WHERE id = 1",
    "INSERT INTO projects (id, key, name, objectives, scope_statement, success_criteria, status, phase, currency,"
    " created_at, version) VALUES (1, 'OLD', 'Old', 'Obj', '', '', 'active', 'planning', 'EUR',"
    " '2026-01-01 09:00:00', 1)",
    "INSERT INTO work_packages (id, project_id, name, description, position, wbs_code, created_at, version)"
    " VALUES (1, 1, 'WP', '', 1, '1', '2026-01-01 09:00:00', 1)",
    "INSERT INTO roles (id, project_id, key, name, description, scope_kind, exclusive, permissions, builtin,"
    " created_at, version) VALUES (1, 1, 'project_manager', 'Project Manager', '', 'project', true,"
    " '[\"project.read\"]', true, '2026-01-01 09:00:00', 1)",
    "INSERT INTO role_assignments (id, project_id, role_id, user_id, valid_from, note, created_at, version)"
    " VALUES (1, 1, 1, 1, '2026-01-01 09:00:00', '', '2026-01-01 09:00:00', 1)",
    "INSERT INTO raci_cells (project_id, area, role_id, letter, version) VALUES (1, 'budget', 1, 'A', 1)",
    "INSERT INTO journal (id, at, actor_id, project_id, entity_type, entity_id, action, changes)"
    " VALUES (1, '2026-01-01 09:00:00', 1, 1, 'project', '1', 'create', '{}')",
]
SEED_0002 = [
    "INSERT INTO tasks (id, project_id, work_package_id, name, description, position, wbs_code, milestone,"
    " duration, duration_unit, percent_complete, status, priority, constraint_type, created_at, version)"
    " VALUES (1, 1, 1, 'Build', '', 1, '1.1', false, 960, 'days', 25.0, 'in_progress', 500, 'asap',"
    " '2026-01-01 09:00:00', 1), (2, 1, 1, 'Test', '', 2, '1.2', false, 480, 'days', 0, 'not_started', 500,"
    " 'asap', '2026-01-01 09:00:00', 1)",
    "INSERT INTO task_links (id, project_id, pred_id, succ_id, type, lag, lag_kind, created_at, version)"
    " VALUES (1, 1, 1, 2, 'FS', 0, 'working', '2026-01-01 09:00:00', 1)",
    "INSERT INTO task_assignees (task_id, user_id) VALUES (1, 2), (2, 2)",
]
TABLES_0001 = [
    "departments",
    "users",
    "projects",
    "work_packages",
    "roles",
    "role_assignments",
    "raci_cells",
    "journal",
]
TABLES_0002 = ["tasks", "task_links"]


def _checksum(db: Database, table: str, columns: list[str]) -> tuple[int, str]:
    with db.engine.connect() as c:
        rows = c.execute(text(f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1")).all()
    return len(rows), hashlib.sha256(repr([tuple(map(str, r)) for r in rows]).encode()).hexdigest()


def _columns(db: Database, table: str) -> list[str]:
    from sqlalchemy import inspect

    return sorted(c["name"] for c in inspect(db.engine).get_columns(table))


def _seed(db: Database, statements: list[str]) -> None:
    with db.engine.begin() as c:
        for sql in statements:
            c.execute(text(sql))


@pytest.mark.parametrize("start", ["0001_foundation", "0002_scheduling"])
def test_upgrade_from_each_revision_keeps_the_data(empty_db_url: str, start: str) -> None:
    db = Database(empty_db_url)
    try:
        db.upgrade(start)
        _seed(db, SEED_0001)
        tables = list(TABLES_0001)
        if start >= "0002":
            _seed(db, SEED_0002)
            tables += TABLES_0002
        before: dict[str, Any] = {}
        for t in tables:
            cols = _columns(db, t)
            before[t] = (cols, _checksum(db, t, cols))
        db.upgrade()
        assert db.schema_problem() is None
        for t, (cols, digest) in before.items():
            assert _checksum(db, t, cols) == digest, f"{t} changed in the upgrade from {start}"
        with db.engine.connect() as c:
            if start >= "0002":
                moved = c.execute(text(
                    "SELECT a.task_id, r.user_id, a.work FROM assignments a JOIN resources r ON r.id = a.resource_id"
                    " ORDER BY a.task_id"
                )).all()  # fmt: skip
                assert [tuple(x) for x in moved] == [(1, 2, 960), (2, 2, 480)]
            if start < "0002":  # projects that existed before scheduling got their settings and a calendar
                assert (
                    c.execute(text("SELECT count(*) FROM calendars WHERE is_project_default")).scalar() == 1
                )
                assert c.execute(text("SELECT count(*) FROM project_schedules")).scalar() == 1
    finally:
        db.dispose()


def test_downgrade_restores_assignees(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        db.upgrade("0002_scheduling")
        _seed(db, SEED_0001 + SEED_0002)
        db.upgrade()
        db.downgrade("0002_scheduling")
        with db.engine.connect() as c:
            rows = c.execute(text("SELECT task_id, user_id FROM task_assignees ORDER BY task_id")).all()
        assert [tuple(r) for r in rows] == [(1, 2), (2, 2)]
        assert _checksum(db, "tasks", ["id", "name", "duration"])[0] == 2
    finally:
        db.dispose()


SEED_LESSONS = [
    "INSERT INTO lessons (id, project_id, title, body, category, created_by, created_at) VALUES"
    " (1, 1, 'Freeze scope early', 'Agree it in **week one**', 'scope', 2, '2026-01-02 09:00:00'),"
    " (2, 1, 'Order licences early', '', '', NULL, '2026-01-03 09:00:00')",
]
LESSON_COLUMNS = ["id", "project_id", "title", "body", "category", "created_by", "created_at"]


def test_lessons_keep_their_text_and_start_at_version_1(empty_db_url: str) -> None:
    """0018_lesson_version: the lessons recorded before it are all there, at version 1; down again keeps them."""
    db = Database(empty_db_url)
    try:
        db.upgrade("0017_taskrev")
        _seed(db, SEED_0001 + SEED_LESSONS)
        before = _checksum(db, "lessons", LESSON_COLUMNS)
        db.upgrade()
        assert db.schema_problem() is None
        assert _checksum(db, "lessons", LESSON_COLUMNS) == before
        with db.engine.connect() as c:
            assert c.execute(text("SELECT id, version FROM lessons ORDER BY id")).all() == [(1, 1), (2, 1)]
        _seed(db, ["INSERT INTO lessons (id, project_id, title, body, category, created_at)"
                   " VALUES (3, 1, 'New', '', '', '2026-01-04 09:00:00')"])  # fmt: skip
        with db.engine.connect() as c:  # a writer that does not name the version gets the server default
            assert c.execute(text("SELECT version FROM lessons WHERE id = 3")).scalar() == 1
        db.downgrade("0017_taskrev")
        assert "version" not in _columns(db, "lessons")
        assert _checksum(db, "lessons", LESSON_COLUMNS)[0] == 3
    finally:
        db.dispose()


SEED_COMMS = [
    "INSERT INTO comm_items (id, project_id, kind, subject, raised_by, direction, audience, route, direct_contact,"
    " status, received_at, version) VALUES"
    " (1, 1, 'announcement', 'Go-live moved', 1, 'announcement', 'project', 'direct', false, 'open',"
    " '2026-01-02 09:00:00', 1),"
    " (2, 1, 'message', 'Rehearsal', 1, 'outbound', 'department', 'via_liaison', false, 'forwarded',"
    " '2026-01-02 10:00:00', 1),"
    " (3, 1, 'message', 'Question', 2, 'inbound', 'pm', 'via_liaison', false, 'forwarded',"
    " '2026-01-02 11:00:00', 1),"
    " (4, 1, 'message', 'Still with the liaison', 1, 'outbound', 'department', 'via_liaison', false,"
    " 'with_liaison', '2026-01-02 12:00:00', 1),"
    " (5, 1, 'announcement', 'Closed one', 1, 'announcement', 'project', 'direct', false, 'closed',"
    " '2026-01-02 13:00:00', 1)",
]


def test_messages_nobody_acts_on_become_delivered(empty_db_url: str) -> None:
    """0019_comm_delivered: open announcements and relayed PM messages are `delivered`; a message forwarded
    to the PM, one still with the liaison and a closed one keep their status; down again restores them."""
    db = Database(empty_db_url)
    try:
        db.upgrade("0018_lesson_version")
        _seed(db, SEED_0001 + SEED_COMMS)
        q = text("SELECT id, status FROM comm_items ORDER BY id")
        with db.engine.connect() as c:
            before = [tuple(r) for r in c.execute(q)]
        db.upgrade()
        with db.engine.connect() as c:
            assert [tuple(r) for r in c.execute(q)] == [
                (1, "delivered"), (2, "delivered"), (3, "forwarded"), (4, "with_liaison"), (5, "closed"),
            ]  # fmt: skip
        db.downgrade("0018_lesson_version")
        with db.engine.connect() as c:
            assert [tuple(r) for r in c.execute(q)] == before
    finally:
        db.dispose()


ATTACHMENT_TEXT = "0020_attachment_text"
SEED_ATTACHMENTS = [
    "INSERT INTO attachments (id, project_id, owner_kind, owner_id, stored_name, filename, content_type, size,"
    " sha256, uploaded_by, created_at) VALUES"
    " (1, 1, 'comm_message', 7, '1/0a1b', 'minutes.pdf', 'application/pdf', 1200, 'ab', 2,"
    " '2026-01-02 09:00:00'),"
    " (2, 1, 'expense', 3, '1/0c2d', 'receipt.png', 'image/png', 300, 'cd', NULL, '2026-01-03 09:00:00')",
]
ATTACHMENT_COLUMNS = ["id", "project_id", "owner_kind", "owner_id", "stored_name", "filename", "content_type",
                      "size", "sha256", "uploaded_by", "created_at"]  # fmt: skip


def test_attachments_keep_their_rows_and_wait_for_their_text(empty_db_url: str) -> None:
    """0020_attachment_text: the stored files' rows are all there, their text NULL (not read yet, which
    `charter search reindex` fills); down again drops only the text."""
    db = Database(empty_db_url)
    try:
        revisions = db.all_revisions()
        before_rev = revisions[revisions.index(ATTACHMENT_TEXT) - 1]
        db.upgrade(before_rev)
        _seed(db, SEED_0001 + SEED_ATTACHMENTS)
        before = _checksum(db, "attachments", ATTACHMENT_COLUMNS)
        db.upgrade()
        assert db.schema_problem() is None
        assert _checksum(db, "attachments", ATTACHMENT_COLUMNS) == before
        with db.engine.connect() as c:
            assert c.execute(text("SELECT id, content_text FROM attachments ORDER BY id")).all() == [
                (1, None), (2, None),
            ]  # fmt: skip
        _seed(db, ["UPDATE attachments SET content_text = 'the minutes' WHERE id = 1"])
        db.downgrade(before_rev)
        assert "content_text" not in _columns(db, "attachments")
        assert _checksum(db, "attachments", ATTACHMENT_COLUMNS) == before
    finally:
        db.dispose()


def test_multi_choice_fields_fit_the_kind_column_and_go_back_down_as_text(empty_db_url: str) -> None:
    """0025_custom_field_kind_width: "multi_choice" is longer than the 8 characters the kind had (PostgreSQL
    refused it); down again, a multi choice becomes a text field, each task's options joined by commas."""
    db = Database(empty_db_url)
    try:
        db.upgrade("0002_scheduling")
        _seed(db, SEED_0001 + SEED_0002)
        db.upgrade()
        _seed(db, [
            "INSERT INTO custom_fields (id, project_id, name, kind, choices, position, archived, required,"
            " default_value, created_at, version) VALUES (1, 1, 'Systems', 'multi_choice', '[\"CRM\", \"ERP\"]',"
            " 0, false, false, '[\"CRM\"]', '2026-01-01 09:00:00', 1),"
            " (2, 1, 'Customer', 'text', '[]', 1, false, false, NULL, '2026-01-01 09:00:00', 1)",
            "UPDATE tasks SET custom = '{\"1\": [\"CRM\", \"ERP\"], \"2\": \"ACME\"}' WHERE id = 1",
        ])  # fmt: skip
        db.downgrade("0024_custom_field_rules")
        import sqlalchemy as sa

        fields_t = sa.table("custom_fields", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                            sa.column("choices", sa.JSON), sa.column("default_value", sa.JSON))  # fmt: skip
        tasks_t = sa.table("tasks", sa.column("id", sa.Integer), sa.column("custom", sa.JSON))
        with db.engine.connect() as c:  # JSON read as JSON on both databases
            fields = c.execute(sa.select(fields_t).order_by(fields_t.c.id)).all()
            custom = c.execute(sa.select(tasks_t.c.custom).where(tasks_t.c.id == 1)).scalar()
        assert [tuple(f) for f in fields] == [(1, "text", [], "CRM"), (2, "text", [], None)]
        assert custom == {"1": "CRM, ERP", "2": "ACME"}
        db.upgrade()
    finally:
        db.dispose()


SEED_DEFECTS = [
    "INSERT INTO defects (id, project_id, title, description, severity, priority, found_in, status, opened_at,"
    " closed_at, version) VALUES"
    " (1, 1, 'Tooltip flickers', '', 'minor', 3, 'test', 'wont_fix', '2026-01-02 09:00:00',"
    " '2026-01-04 09:00:00', 3),"
    " (2, 1, 'Typo', '', 'minor', 3, 'test', 'wont_fix', '2026-01-02 09:00:00', '2026-01-02 10:00:00', 2),"
    " (3, 1, 'Slow report', '', 'major', 3, 'test', 'in_progress', '2026-01-02 09:00:00', NULL, 3)",
    "INSERT INTO journal (id, at, actor_id, project_id, entity_type, entity_id, action, changes, cause) VALUES"
    " (2, '2026-01-02 10:00:00', 1, 1, 'defect', '1', 'update',"
    " '{\"status\": [\"new\", \"wont_fix\"]}', 'won''t fix: First thought'),"
    " (3, '2026-01-03 10:00:00', 1, 1, 'defect', '1', 'update', '{\"status\": [\"wont_fix\", \"in_progress\"]}',"
    " NULL),"
    " (4, '2026-01-04 09:00:00', 1, 1, 'defect', '1', 'update',"
    " '{\"status\": [\"in_progress\", \"wont_fix\"]}', 'won''t fix: The widget''s replaced — next release'),"
    " (5, '2026-01-02 11:00:00', 1, 1, 'defect', '3', 'update',"
    " '{\"status\": [\"new\", \"wont_fix\"]}', 'won''t fix: Later reopened'),"
    " (6, '2026-01-02 12:00:00', 1, 1, 'risk', '2', 'update',"
    " '{\"status\": [\"open\", \"wont_fix\"]}', 'won''t fix: not a defect')",
]


def test_wont_fix_reasons_move_from_the_journal_to_the_defect(empty_db_url: str) -> None:
    """0031_defect_resolution: a defect now in status won't fix gets the reason of the last journal entry that
    moved it there (defect 1 was closed, reopened and closed again); one with no such entry (2), a reopened
    one (3) and another entity's entry with the same id (the risk 2) leave it empty; down again drops it."""
    db = Database(empty_db_url)
    try:
        db.upgrade("0030_tech_component_purl")
        _seed(db, SEED_0001 + SEED_DEFECTS)
        before = _checksum(db, "defects", _columns(db, "defects"))
        db.upgrade("0031_defect_resolution")
        with db.engine.connect() as c:
            rows = c.execute(text("SELECT id, status, resolution FROM defects ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [
            (1, "wont_fix", "The widget's replaced — next release"), (2, "wont_fix", None), (3, "in_progress", None),
        ]  # fmt: skip
        db.downgrade("0030_tech_component_purl")
        assert "resolution" not in _columns(db, "defects")
        assert _checksum(db, "defects", _columns(db, "defects")) == before
        db.upgrade()
    finally:
        db.dispose()
