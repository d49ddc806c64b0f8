"""saved views of a project's task list: `saved_views` (a name, the filters, sort and columns, private or shared)

Revision ID: 0026_saved_views
Revises: 0025_custom_field_kind_width
Create Date: 2026-11-27 18:30:00.000000

A member keeps the task lists they use (the critical tasks of one package, the tasks of one component sorted
by float) under a name; the Project Manager shares views with everyone who sees the project.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import charter.persistence.types

revision = "0026_saved_views"
down_revision = "0025_custom_field_kind_width"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("created_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_saved_views_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_saved_views_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
    )
    with op.batch_alter_table("saved_views", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_views_project_id"), ["project_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("saved_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_views_project_id"))
    op.drop_table("saved_views")
