"""a defect closed as won't fix keeps its reason: `defects.resolution`

Revision ID: 0031_defect_resolution
Revises: 0030_tech_component_purl
Create Date: 2026-11-28 14:00:00.000000

The reason a defect was closed as won't fix lived only in the journal entry's cause ("won't fix: <reason>"),
and every defect list read the journal back for it. It is now a column of the defect, set when it is closed as
won't fix and cleared when it is reopened. Existing defects in status `wont_fix` get the reason of the last
journal entry that moved them there (read and parsed here, so the same on SQLite and PostgreSQL); going down
drops the column, the journal still holding every reason.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031_defect_resolution"
down_revision = "0030_tech_component_purl"
branch_labels = None
depends_on = None

CAUSE = "won't fix: "  # services/quality.py's prefix of the journaled cause


def upgrade() -> None:
    with op.batch_alter_table("defects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolution", sa.Text(), nullable=True))
    conn = op.get_bind()
    defects = sa.table("defects", sa.column("id", sa.Integer), sa.column("status", sa.String),
                       sa.column("resolution", sa.Text))  # fmt: skip
    journal = sa.table("journal", sa.column("id", sa.Integer), sa.column("at", sa.DateTime),
                       sa.column("entity_type", sa.String), sa.column("entity_id", sa.String),
                       sa.column("changes", sa.JSON), sa.column("cause", sa.Text))  # fmt: skip
    wont_fix = {
        str(i) for i in conn.execute(sa.select(defects.c.id).where(defects.c.status == "wont_fix")).scalars()
    }
    if not wont_fix:
        return
    reasons: dict[str, str] = {}
    rows = conn.execute(
        sa.select(journal.c.entity_id, journal.c.changes, journal.c.cause)
        .where(journal.c.entity_type == "defect", journal.c.cause.like(CAUSE + "%"))
        .order_by(journal.c.at, journal.c.id)
    )
    for entity_id, changes, cause in rows:
        status = (changes or {}).get("status") if isinstance(changes, dict) else None
        if (
            entity_id in wont_fix
            and isinstance(status, list)
            and len(status) == 2
            and status[1] == "wont_fix"
        ):
            reasons[entity_id] = cause[len(CAUSE) :]  # the last move there wins
    for entity_id, reason in reasons.items():
        conn.execute(defects.update().where(defects.c.id == int(entity_id)).values(resolution=reason))


def downgrade() -> None:
    with op.batch_alter_table("defects", schema=None) as batch_op:
        batch_op.drop_column("resolution")
