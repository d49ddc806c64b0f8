"""a user's calendar feed has a secret address: `users.feed_key_hash` and `users.feed_key_created_at`

Revision ID: 0027_feed_key
Revises: 0026_saved_views
Create Date: 2026-11-28 10:00:00.000000

Calendar applications subscribe to a URL and cannot send a token, so each user may have one secret feed
address (services/feeds.py). As with API tokens only the key's SHA-256 is stored (unique: the key is found
by it), with the time it was made. Existing users have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import charter.persistence.types

revision = "0027_feed_key"
down_revision = "0026_saved_views"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feed_key_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "feed_key_created_at", charter.persistence.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_index(batch_op.f("ix_users_feed_key_hash"), ["feed_key_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_feed_key_hash"))
        batch_op.drop_column("feed_key_created_at")
        batch_op.drop_column("feed_key_hash")
