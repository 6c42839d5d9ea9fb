"""Conversations: what Liaison remembers of a thread or DM so follow-ups resolve (issue 14).

`conversation_turn` keeps, per person and conversation, the records of the last answer (a day at
most); `assistant_thread` keeps the channel a person looks at beside an assistant thread. Nothing to
backfill: memory starts with the first answer after the upgrade.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "conversation_turn",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("intent", sa.String(length=32), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_conversation_turn_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_turn")),
        sa.UniqueConstraint(
            "workspace_id",
            "channel_id",
            "thread_ts",
            "user_id",
            name=op.f("uq_conversation_turn_workspace_id_channel_id_thread_ts_user_id"),
        ),
    )
    op.create_index(
        "ix_conversation_turn_workspace_id_updated_at",
        "conversation_turn",
        ["workspace_id", "updated_at"],
        unique=False,
    )
    op.create_table(
        "assistant_thread",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("context_channel_id", sa.String(length=32), nullable=True),
        sa.Column("titled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_assistant_thread_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_thread")),
        sa.UniqueConstraint(
            "workspace_id",
            "channel_id",
            "thread_ts",
            name=op.f("uq_assistant_thread_workspace_id_channel_id_thread_ts"),
        ),
    )
    op.create_index(
        "ix_assistant_thread_workspace_id_updated_at",
        "assistant_thread",
        ["workspace_id", "updated_at"],
        unique=False,
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_assistant_thread_workspace_id_updated_at", table_name="assistant_thread")
    op.drop_table("assistant_thread")
    op.drop_index("ix_conversation_turn_workspace_id_updated_at", table_name="conversation_turn")
    op.drop_table("conversation_turn")
