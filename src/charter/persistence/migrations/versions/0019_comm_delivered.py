"""messages nobody has to act on are `delivered`, not open

Revision ID: 0019_comm_delivered
Revises: 0018_lesson_version
Create Date: 2026-11-26 17:50:00.000000

A new status of `comm_items`: `delivered` — an announcement, or the Project Manager's message a department's
liaison relayed to the department. Both used to stay `open` / `forwarded` for ever, counted among the open
threads although they wait for nobody. Existing rows move: announcements still `open`, and outbound items
still `forwarded` (relayed). The downgrade puts them back. The column is a plain string: no schema change.
"""

from __future__ import annotations

from alembic import op

revision = "0019_comm_delivered"
down_revision = "0018_lesson_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE comm_items SET status = 'delivered' WHERE direction = 'announcement' AND status = 'open'"
    )
    op.execute(
        "UPDATE comm_items SET status = 'delivered' WHERE direction = 'outbound' AND status = 'forwarded'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE comm_items SET status = 'open' WHERE direction = 'announcement' AND status = 'delivered'"
    )
    op.execute(
        "UPDATE comm_items SET status = 'forwarded' WHERE direction <> 'announcement' AND status = 'delivered'"
    )
