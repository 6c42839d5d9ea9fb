"""Disconnected workspaces: when Slack took Liaison's bot token back (uninstall, revocation).

`workspace.disconnected_at` and `disconnected_reason` are set by `bot.slack.workspaces.forget_installation`
and cleared by a reinstall; while set, no reminder is planned for the workspace (bot/reminders/ledger.py)
and its people's time zones are not read from Slack. Both nullable: existing workspaces are connected.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 06:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disconnected_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("disconnected_reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.drop_column("disconnected_reason")
        batch_op.drop_column("disconnected_at")
