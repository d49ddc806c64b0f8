"""lessons learned become editable: a `version` on `lessons`

Revision ID: 0018_lesson_version
Revises: 0017_taskrev
Create Date: 2026-11-26 13:15:00.000000

`lessons.version` (NOT NULL, server default 1), the optimistic-concurrency counter every other editable
record carries: a lesson is now changed and removed by its author and whoever manages quality, naming the
version they read (services/closure.py). Existing lessons start at version 1. No `updated_at`: like the
other quality records, when and by whom a lesson changed is in the journal.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_lesson_version"
down_revision = "0017_taskrev"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.drop_column("version")
