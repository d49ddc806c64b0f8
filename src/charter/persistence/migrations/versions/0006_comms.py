"""communications: routed messages (threads, participants, liaison forwards), the communication plan, meetings

Revision ID: 0006_comms
Revises: 0005_notify
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import charter.persistence.types

revision = "0006_comms"
down_revision = "0005_notify"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, charter.persistence.types.UTCDateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, referred: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "comm_forwards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("liaison_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        _when("created_at"),
        _fk("comm_forwards", "department_id", "departments", "SET NULL"),
        _fk("comm_forwards", "liaison_id", "users", "SET NULL"),
        _fk("comm_forwards", "project_id", "projects", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comm_forwards")),
    )
    with op.batch_alter_table("comm_forwards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comm_forwards_project_id"), ["project_id"], unique=False)

    op.create_table(
        "comm_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("entity_type", sa.String(length=30), nullable=True),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("raised_by", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=20), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("to_user_id", sa.Integer(), nullable=True),
        sa.Column("to_department_id", sa.Integer(), nullable=True),
        sa.Column("to_role_id", sa.Integer(), nullable=True),
        sa.Column("route", sa.String(length=20), nullable=False),
        sa.Column("direct_contact", sa.Boolean(), nullable=False),
        sa.Column("liaison_id", sa.Integer(), nullable=True),
        sa.Column("pm_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("forward_id", sa.Integer(), nullable=True),
        _when("received_at"),
        _when("first_response_at", True),
        _when("forwarded_at", True),
        _when("answered_at", True),
        _when("closed_at", True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("pm_minutes", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("comm_items", "answered_by", "users", "SET NULL"),
        _fk("comm_items", "department_id", "departments", "SET NULL"),
        _fk("comm_items", "forward_id", "comm_forwards", "SET NULL"),
        _fk("comm_items", "liaison_id", "users", "SET NULL"),
        _fk("comm_items", "pm_id", "users", "SET NULL"),
        _fk("comm_items", "project_id", "projects", "CASCADE"),
        _fk("comm_items", "raised_by", "users", "SET NULL"),
        _fk("comm_items", "to_department_id", "departments", "SET NULL"),
        _fk("comm_items", "to_role_id", "roles", "SET NULL"),
        _fk("comm_items", "to_user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comm_items")),
    )
    with op.batch_alter_table("comm_items", schema=None) as batch_op:
        batch_op.create_index("ix_comm_items_entity", ["entity_type", "entity_id"], unique=False)
        batch_op.create_index(
            "ix_comm_items_project_department", ["project_id", "department_id"], unique=False
        )

    op.create_table(
        "comm_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _when("created_at"),
        _fk("comm_messages", "author_id", "users", "SET NULL"),
        _fk("comm_messages", "item_id", "comm_items", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comm_messages")),
    )
    with op.batch_alter_table("comm_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comm_messages_item_id"), ["item_id"], unique=False)

    op.create_table(
        "comm_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        _when("added_at"),
        _fk("comm_participants", "item_id", "comm_items", "CASCADE"),
        _fk("comm_participants", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comm_participants")),
        sa.UniqueConstraint("item_id", "user_id", name=op.f("uq_comm_participants_item_id_user_id")),
    )
    with op.batch_alter_table("comm_participants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comm_participants_user_id"), ["user_id"], unique=False)

    op.create_table(
        "comm_plan_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("information", sa.String(length=300), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("audience_user_id", sa.Integer(), nullable=True),
        sa.Column("audience_department_id", sa.Integer(), nullable=True),
        sa.Column("audience_role_id", sa.Integer(), nullable=True),
        sa.Column("frequency", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("last_done_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _when("created_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("comm_plan_entries", "audience_department_id", "departments", "SET NULL"),
        _fk("comm_plan_entries", "audience_role_id", "roles", "SET NULL"),
        _fk("comm_plan_entries", "audience_user_id", "users", "SET NULL"),
        _fk("comm_plan_entries", "owner_id", "users", "SET NULL"),
        _fk("comm_plan_entries", "project_id", "projects", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comm_plan_entries")),
    )
    with op.batch_alter_table("comm_plan_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comm_plan_entries_project_id"), ["project_id"], unique=False)

    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        _when("starts_at"),
        _when("ends_at"),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("organiser_id", sa.Integer(), nullable=True),
        sa.Column("plan_entry_id", sa.Integer(), nullable=True),
        _when("created_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("meetings", "organiser_id", "users", "SET NULL"),
        _fk("meetings", "plan_entry_id", "comm_plan_entries", "SET NULL"),
        _fk("meetings", "project_id", "projects", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetings_project_id"), ["project_id"], unique=False)

    op.create_table(
        "meeting_attendees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _fk("meeting_attendees", "meeting_id", "meetings", "CASCADE"),
        _fk("meeting_attendees", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendees")),
        sa.UniqueConstraint("meeting_id", "user_id", name=op.f("uq_meeting_attendees_meeting_id_user_id")),
    )
    with op.batch_alter_table("meeting_attendees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_attendees_user_id"), ["user_id"], unique=False)

    op.create_table(
        "meeting_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _when("created_at"),
        _fk("meeting_items", "created_by", "users", "SET NULL"),
        _fk("meeting_items", "meeting_id", "meetings", "CASCADE"),
        _fk("meeting_items", "owner_id", "users", "SET NULL"),
        _fk("meeting_items", "task_id", "tasks", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_items")),
    )
    with op.batch_alter_table("meeting_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_items_meeting_id"), ["meeting_id"], unique=False)


def downgrade() -> None:
    for table, indexes in (
        ("meeting_items", ["ix_meeting_items_meeting_id"]),
        ("meeting_attendees", ["ix_meeting_attendees_user_id"]),
        ("meetings", ["ix_meetings_project_id"]),
        ("comm_plan_entries", ["ix_comm_plan_entries_project_id"]),
        ("comm_participants", ["ix_comm_participants_user_id"]),
        ("comm_messages", ["ix_comm_messages_item_id"]),
        ("comm_items", ["ix_comm_items_project_department", "ix_comm_items_entity"]),
        ("comm_forwards", ["ix_comm_forwards_project_id"]),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for ix in indexes:
                batch_op.drop_index(ix)
        op.drop_table(table)
