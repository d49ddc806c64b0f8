"""scheduling

Revision ID: 0002_scheduling
Revises: 0001_foundation
Create Date: 2026-11-25
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import charter.persistence.types

revision = "0002_scheduling"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("saved_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("saved_by", sa.Integer(), nullable=True),
        sa.Column("finish", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_baselines_project_id_projects"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["saved_by"], ["users.id"], name=op.f("fk_baselines_saved_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_baselines")),
        sa.UniqueConstraint("project_id", "number", name=op.f("uq_baselines_project_id_number")),
    )
    op.create_table(
        "calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("is_project_default", sa.Boolean(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("shifts", sa.JSON(), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("subdiv", sa.String(length=16), nullable=True),
        sa.Column("created_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_calendars_project_id_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendars")),
    )
    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendars_project_id"), ["project_id"], unique=False)

    op.create_table(
        "project_schedules",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("status_date", sa.DateTime(), nullable=True),
        sa.Column("critical_threshold", sa.Integer(), nullable=False),
        sa.Column("finish", sa.DateTime(), nullable=True),
        sa.Column("computed_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("plan_revision", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_schedules_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_project_schedules")),
    )
    op.create_table(
        "calendar_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["calendars.id"],
            name=op.f("fk_calendar_exceptions_calendar_id_calendars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_exceptions")),
        sa.UniqueConstraint("calendar_id", "day", name=op.f("uq_calendar_exceptions_calendar_id_day")),
    )
    with op.batch_alter_table("calendar_exceptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_exceptions_calendar_id"), ["calendar_id"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("work_package_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("wbs_code", sa.String(length=64), nullable=False),
        sa.Column("milestone", sa.Boolean(), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("duration_unit", sa.String(length=8), nullable=False),
        sa.Column("optimistic", sa.Integer(), nullable=True),
        sa.Column("most_likely", sa.Integer(), nullable=True),
        sa.Column("pessimistic", sa.Integer(), nullable=True),
        sa.Column("work", sa.Integer(), nullable=True),
        sa.Column("percent_complete", sa.Float(), nullable=False),
        sa.Column("actual_start", sa.DateTime(), nullable=True),
        sa.Column("actual_finish", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("constraint_type", sa.String(length=8), nullable=False),
        sa.Column("constraint_date", sa.DateTime(), nullable=True),
        sa.Column("deadline", sa.DateTime(), nullable=True),
        sa.Column("calendar_id", sa.Integer(), nullable=True),
        sa.Column("created_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["calendars.id"],
            name=op.f("fk_tasks_calendar_id_calendars"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_tasks_project_id_projects"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["work_package_id"],
            ["work_packages.id"],
            name=op.f("fk_tasks_work_package_id_work_packages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_project_wp", ["project_id", "work_package_id"], unique=False)

    op.create_table(
        "baseline_tasks",
        sa.Column("baseline_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.DateTime(), nullable=True),
        sa.Column("finish", sa.DateTime(), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("work", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["baseline_id"],
            ["baselines.id"],
            name=op.f("fk_baseline_tasks_baseline_id_baselines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_baseline_tasks_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("baseline_id", "task_id", name=op.f("pk_baseline_tasks")),
    )
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
    op.create_table(
        "task_computed",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.DateTime(), nullable=True),
        sa.Column("finish", sa.DateTime(), nullable=True),
        sa.Column("early_start", sa.DateTime(), nullable=True),
        sa.Column("early_finish", sa.DateTime(), nullable=True),
        sa.Column("late_start", sa.DateTime(), nullable=True),
        sa.Column("late_finish", sa.DateTime(), nullable=True),
        sa.Column("total_float", sa.Integer(), nullable=False),
        sa.Column("free_float", sa.Integer(), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("violation", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_task_computed_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_computed_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_task_computed")),
    )
    with op.batch_alter_table("task_computed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_computed_project_id"), ["project_id"], unique=False)

    op.create_table(
        "task_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("pred_id", sa.Integer(), nullable=False),
        sa.Column("succ_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=2), nullable=False),
        sa.Column("lag", sa.Integer(), nullable=False),
        sa.Column("lag_kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pred_id"], ["tasks.id"], name=op.f("fk_task_links_pred_id_tasks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_task_links_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["succ_id"], ["tasks.id"], name=op.f("fk_task_links_succ_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_links")),
        sa.UniqueConstraint("pred_id", "succ_id", name=op.f("uq_task_links_pred_id_succ_id")),
    )
    with op.batch_alter_table("task_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_links_pred_id"), ["pred_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_links_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_links_succ_id"), ["succ_id"], unique=False)

    # every existing project gets its schedule settings and a standard project calendar
    conn = op.get_bind()
    projects = conn.execute(sa.text("SELECT id FROM projects")).fetchall()
    now = datetime.now(UTC)
    if conn.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    for (pid,) in projects:
        conn.execute(
            sa.text(
                "INSERT INTO calendars (project_id, name, is_project_default, weekdays, shifts, country, subdiv,"
                " created_at, version) VALUES (:p, 'Standard', :t, :w, :s, NULL, NULL, :now, 1)"
            ),
            {"p": pid, "t": True, "w": "[0, 1, 2, 3, 4]", "s": "[[540, 780], [840, 1080]]", "now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO project_schedules (project_id, critical_threshold, plan_revision, version)"
                " VALUES (:p, 0, 0, 1)"
            ),
            {"p": pid},
        )


def downgrade() -> None:
    with op.batch_alter_table("task_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_links_succ_id"))
        batch_op.drop_index(batch_op.f("ix_task_links_project_id"))
        batch_op.drop_index(batch_op.f("ix_task_links_pred_id"))

    op.drop_table("task_links")
    with op.batch_alter_table("task_computed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_computed_project_id"))

    op.drop_table("task_computed")
    op.drop_table("task_assignees")
    op.drop_table("baseline_tasks")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_project_wp")

    op.drop_table("tasks")
    with op.batch_alter_table("calendar_exceptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_exceptions_calendar_id"))

    op.drop_table("calendar_exceptions")
    op.drop_table("project_schedules")
    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendars_project_id"))

    op.drop_table("calendars")
    op.drop_table("baselines")
