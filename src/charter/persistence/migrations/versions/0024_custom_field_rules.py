"""custom fields that are required or have a default: `custom_fields.required`, `custom_fields.default_value`

Revision ID: 0024_custom_field_rules
Revises: 0023_custom_fields
Create Date: 2026-11-27 14:00:00.000000

A required field must have a value on every task made from a form, the API, the command line or a file (its
default fills it when it has one); a field's default is the value a new task gets when none is given.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_custom_field_rules"
down_revision = "0023_custom_fields"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.add_column(sa.Column("required", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("default_value", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.drop_column("default_value")
        batch_op.drop_column("required")
