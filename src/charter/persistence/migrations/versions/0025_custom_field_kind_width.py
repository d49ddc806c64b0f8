"""a custom field's kind takes "multi_choice": `custom_fields.kind` widens from 8 to 16 characters

Revision ID: 0025_custom_field_kind_width
Revises: 0024_custom_field_rules
Create Date: 2026-11-27 18:00:00.000000

A multi choice field holds several of its options on a task (a JSON list). Going back down turns the multi
choice fields into text fields, each task's options joined by commas, as the exports write them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_custom_field_kind_width"
down_revision = "0024_custom_field_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.alter_column(
            "kind", existing_type=sa.String(8), type_=sa.String(16), existing_nullable=False
        )


def downgrade() -> None:
    conn = op.get_bind()
    fields = sa.table("custom_fields", sa.column("id", sa.Integer), sa.column("project_id", sa.Integer),
                      sa.column("kind", sa.String), sa.column("choices", sa.JSON),
                      sa.column("default_value", sa.JSON))  # fmt: skip
    tasks = sa.table("tasks", sa.column("id", sa.Integer), sa.column("project_id", sa.Integer),
                     sa.column("custom", sa.JSON))  # fmt: skip
    multi = conn.execute(sa.select(fields.c.id, fields.c.project_id, fields.c.default_value)
                         .where(fields.c.kind == "multi_choice")).all()  # fmt: skip
    for fid, pid, default in multi:
        key = str(fid)
        for tid, custom in conn.execute(
            sa.select(tasks.c.id, tasks.c.custom).where(tasks.c.project_id == pid)
        ).all():
            if custom and isinstance(custom.get(key), list):
                conn.execute(tasks.update().where(tasks.c.id == tid)
                             .values(custom={**custom, key: ", ".join(custom[key])}))  # fmt: skip
        conn.execute(fields.update().where(fields.c.id == fid).values(
            kind="text", choices=[], default_value=", ".join(default) if isinstance(default, list) else default))  # fmt: skip
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.alter_column(
            "kind", existing_type=sa.String(16), type_=sa.String(8), existing_nullable=False
        )
