"""an index on `outbox (recipient, id)`: a webhook's recent deliveries

Revision ID: 0021_outbox_recipient
Revises: 0020_attachment_text
Create Date: 2026-11-27 00:45:00.000000

The webhooks page, `GET …/webhooks/{id}/deliveries` and `charter webhook deliveries` list one webhook's
deliveries newest first (recipient `webhook:<id>`). The outbox keeps every delivery, so without this index
the list reads the whole table.
"""

from __future__ import annotations

from alembic import op

revision = "0021_outbox_recipient"
down_revision = "0020_attachment_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_recipient_id", "outbox", ["recipient", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_recipient_id", table_name="outbox")
