"""a project's approval rules have a version: `approval_rule_sets`

Revision ID: 0028_approval_rule_sets
Revises: 0027_feed_key
Create Date: 2026-11-28 12:00:00.000000

The rules are replaced as a whole, so the version belongs to the set, not to a row: one row per project
that has saved its rules since, holding the version and when it was saved. A project without a row is at
version 0 (its rules, if any, were saved before rules had a version), so existing data needs no rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import charter.persistence.types

revision = "0028_approval_rule_sets"
down_revision = "0027_feed_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approval_rule_sets",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_approval_rule_sets_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_approval_rule_sets")),
    )


def downgrade() -> None:
    op.drop_table("approval_rule_sets")
