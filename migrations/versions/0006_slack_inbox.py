"""The durable inbox: Slack requests recorded before their ack and processed at least once.

`slack_inbox` is written by `bot.serving.inbox` before a slash command, click, shortcut or event is
acked, and read by every serving instance; see docs/deployment.md, "What survives a crash".

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "slack_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("replay_key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("effect_owner", sa.String(length=120), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_inbox")),
        sa.UniqueConstraint("replay_key", name=op.f("uq_slack_inbox_replay_key")),
    )
    op.create_index(op.f("ix_slack_inbox_received_at"), "slack_inbox", ["received_at"], unique=False)
    op.create_index(op.f("ix_slack_inbox_lease_until"), "slack_inbox", ["lease_until"], unique=False)
    op.create_index(op.f("ix_slack_inbox_finished_at"), "slack_inbox", ["finished_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_slack_inbox_finished_at"), table_name="slack_inbox")
    op.drop_index(op.f("ix_slack_inbox_lease_until"), table_name="slack_inbox")
    op.drop_index(op.f("ix_slack_inbox_received_at"), table_name="slack_inbox")
    op.drop_table("slack_inbox")
