"""team

Revision ID: 0003_team
Revises: 0002_scheduling
Create Date: 2026-11-25
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import charter.persistence.types

revision = "0003_team"
down_revision = "0002_scheduling"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("max_units", sa.Float(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("shifts", sa.JSON(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_resources_department_id_departments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_resources_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint("user_id", name=op.f("uq_resources_user_id")),
    )
    op.create_table(
        "levelling_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("plan_revision", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_levelling_runs_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_levelling_runs_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_levelling_runs")),
    )
    with op.batch_alter_table("levelling_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_levelling_runs_project_id"), ["project_id"], unique=False)

    op.create_table(
        "resource_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_exceptions_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_exceptions")),
        sa.UniqueConstraint("resource_id", "day", name=op.f("uq_resource_exceptions_resource_id_day")),
    )
    with op.batch_alter_table("resource_exceptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_exceptions_resource_id"), ["resource_id"], unique=False)

    op.create_table(
        "resource_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("standard", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("overtime", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_rates_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_rates")),
        sa.UniqueConstraint(
            "resource_id", "valid_from", name=op.f("uq_resource_rates_resource_id_valid_from")
        ),
    )
    with op.batch_alter_table("resource_rates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_rates_resource_id"), ["resource_id"], unique=False)

    op.create_table(
        "timesheet_locks",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("locked_by", sa.Integer(), nullable=True),
        sa.Column("locked_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["locked_by"], ["users.id"], name=op.f("fk_timesheet_locks_locked_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_timesheet_locks_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_timesheet_locks")),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("units", sa.Float(), nullable=False),
        sa.Column("work", sa.Integer(), nullable=False),
        sa.Column("created_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_assignments_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_assignments_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_assignments_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint("task_id", "resource_id", name=op.f("uq_assignments_task_id_resource_id")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignments_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_resource_id"), ["resource_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_task_id"), ["task_id"], unique=False)

    op.create_table(
        "timesheet_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("overtime", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("created_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_timesheet_entries_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_timesheet_entries_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_timesheet_entries_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_timesheet_entries_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timesheet_entries")),
        sa.UniqueConstraint(
            "user_id", "task_id", "day", name=op.f("uq_timesheet_entries_user_id_task_id_day")
        ),
    )
    with op.batch_alter_table("timesheet_entries", schema=None) as batch_op:
        batch_op.create_index("ix_timesheet_entries_project_day", ["project_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_timesheet_entries_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_timesheet_entries_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("task_type", sa.String(length=16), nullable=False, server_default="fixed_units")
        )
        batch_op.add_column(
            sa.Column("effort_driven", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("levelled_start", sa.DateTime(), nullable=True))

    # task assignees become assignments of person resources (one resource per user)
    conn = op.get_bind()
    now = datetime.now(UTC)
    if conn.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    users = conn.execute(
        sa.text(
            "SELECT DISTINCT u.id, u.display_name, u.department_id FROM task_assignees ta JOIN users u ON u.id = ta.user_id"
        )
    ).fetchall()
    for uid, name, dept in users:
        conn.execute(
            sa.text(
                "INSERT INTO resources (kind, name, user_id, department_id, skills, max_units, weekdays, shifts, unit,"
                " active, created_at, version) VALUES ('person', :n, :u, :d, '[]', 1.0, '[]', '[]', '', :t, :now, 1)"
            ),
            {"n": name, "u": uid, "d": dept, "t": True, "now": now},
        )
    conn.execute(
        sa.text(
            "INSERT INTO assignments (project_id, task_id, resource_id, units, work, created_at, version)"
            " SELECT t.project_id, t.id, r.id, 1.0, t.duration, :now, 1 FROM task_assignees ta"
            " JOIN tasks t ON t.id = ta.task_id JOIN resources r ON r.user_id = ta.user_id"
        ),
        {"now": now},
    )
    op.drop_table("task_assignees")


def downgrade() -> None:
    op.create_table(
        "task_assignees",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_assignees_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_task_assignees_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("task_id", "user_id", name=op.f("pk_task_assignees")),
    )
    op.execute(
        "INSERT INTO task_assignees (task_id, user_id) SELECT a.task_id, r.user_id FROM assignments a"
        " JOIN resources r ON r.id = a.resource_id WHERE r.user_id IS NOT NULL"
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("levelled_start")
        batch_op.drop_column("effort_driven")
        batch_op.drop_column("task_type")

    with op.batch_alter_table("timesheet_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timesheet_entries_user_id"))
        batch_op.drop_index(batch_op.f("ix_timesheet_entries_task_id"))
        batch_op.drop_index("ix_timesheet_entries_project_day")

    op.drop_table("timesheet_entries")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_task_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_resource_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_project_id"))

    op.drop_table("assignments")
    op.drop_table("timesheet_locks")
    with op.batch_alter_table("resource_rates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_rates_resource_id"))

    op.drop_table("resource_rates")
    with op.batch_alter_table("resource_exceptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_exceptions_resource_id"))

    op.drop_table("resource_exceptions")
    with op.batch_alter_table("levelling_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_levelling_runs_project_id"))

    op.drop_table("levelling_runs")
    op.drop_table("resources")
