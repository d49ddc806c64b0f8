"""the outbox's delivered messages are compacted after a while: `outbox.compacted_at`

Revision ID: 0022_outbox_compacted
Revises: 0021_outbox_recipient
Create Date: 2026-11-27 09:00:00.000000

The outbox keeps one row per delivery (event x recipient x channel), and that row is what stops a scheduled
reminder from being sent twice, so a sent row is never deleted. Its payload (the e-mail's text, the webhook's
event) is no longer needed once it was delivered: `notifications.compact_outbox` (run by the worker, and by
`charter notify compact`) keeps what the delivery lists show (kind and subject) and stamps `compacted_at`.
The partial index finds the sent rows not yet compacted by their age without reading the others.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import charter.persistence.types

revision = "0022_outbox_compacted"
down_revision = "0021_outbox_recipient"
branch_labels = None
depends_on = None

WHERE = "status = 'sent' AND compacted_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("compacted_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_index(
        "ix_outbox_to_compact", "outbox", ["sent_at"],
        sqlite_where=sa.text(WHERE), postgresql_where=sa.text(WHERE),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_outbox_to_compact", table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("compacted_at")
