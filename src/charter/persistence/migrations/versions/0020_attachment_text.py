"""the words inside attachments, for search: `attachments.content_text`

Revision ID: 0020_attachment_text
Revises: 0019_comm_delivered
Create Date: 2026-11-26 20:30:00.000000

A nullable text column holding the text read from the file at upload (services/attachments.py through
io/document_text.py), indexed with the attachment's other text (services/search_index.py). Existing rows
stay NULL, meaning "not read yet": `charter search reindex` reads their files from the data dir and fills
it (an empty string when a file has no text), then rebuilds the index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_attachment_text"
down_revision = "0019_comm_delivered"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_column("content_text")
