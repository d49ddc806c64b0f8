"""a change-feed delivery refers to its journal entry: `outbox.journal_entry_id`

Revision ID: 0029_outbox_journal_entry
Revises: 0028_approval_rule_sets
Create Date: 2026-11-28 06:30:00.000000

The change feed (services/change_feed.py) queues a delivery in the same transaction as the journal entry it
sends, before that entry has an id; the outbox row now refers to the entry (filled in at the flush) and the
worker sends its id as the event's `journal_id`, so a receiver can match an event to `GET …/journal`.
Existing rows have none (set null if an entry ever goes).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029_outbox_journal_entry"
down_revision = "0028_approval_rule_sets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("journal_entry_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_journal_entry_id_journal"),
            "journal",
            ["journal_entry_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_journal_entry_id_journal"), type_="foreignkey")
        batch_op.drop_column("journal_entry_id")
