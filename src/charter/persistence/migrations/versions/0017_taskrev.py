"""plan revision stamps on tasks, links and computed rows

Revision ID: 0017_taskrev
Revises: 0016_docsearch
Create Date: 2026-11-26 01:50:00.000000

`plan_rev` on `tasks`, `task_links` and `task_computed`: the plan revision at which the row last changed
(2**31 - 1 until the next plan change stamps it; tasks and links indexed with the project), so that a process whose plan cache
holds an older revision reads only the rows changed since (services/plan_cache.py). Existing rows get 0: no
process holds a cached plan across the upgrade, so every one is read in full once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_taskrev"
down_revision = "0016_docsearch"
branch_labels = None
depends_on = None

TABLES = ("tasks", "task_links", "task_computed")
PENDING = str(2**31 - 1)


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("plan_rev", sa.Integer(), nullable=False, server_default=PENDING))
            if table != "task_computed":  # (rewritten by the thousand: an index would cost every such write)
                batch_op.create_index(f"ix_{table}_project_rev", ["project_id", "plan_rev"], unique=False)
        op.execute(sa.text(f"UPDATE {table} SET plan_rev = 0"))  # noqa: S608 (a constant of this module)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table != "task_computed":
                batch_op.drop_index(f"ix_{table}_project_rev")
            batch_op.drop_column("plan_rev")
