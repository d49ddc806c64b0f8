"""a technology component's Package URL: `tech_components.purl`

Revision ID: 0030_tech_component_purl
Revises: 0029_outbox_journal_entry
Create Date: 2026-11-28 13:30:00.000000

An SBOM import matched stored components by name (any case) and version only, so same-named packages of
different ecosystems at one version (npm `debug` 4.3.4, pypi `debug` 4.3.4) merged into one. The purl, in its
canonical form (domain/purl.py), is now kept and matched first. Existing rows have none: the next import
that matches one by name and version gives it the file's purl.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030_tech_component_purl"
down_revision = "0029_outbox_journal_entry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tech_components", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purl", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tech_components", schema=None) as batch_op:
        batch_op.drop_column("purl")
