"""Exactly-once reminders under slow Slack: when an attempt went unanswered, and what a lookup found.

`reminder_delivery.ambiguous_at` is when the latest attempt that may have posted was given up on (a post
left unanswered, or the expired lease of a claimer that died); the delivery is posted again only once a
history lookup at least `LIAISON_REMINDER_LANDING_SECONDS` later does not find it. `found_in_history`
marks a delivery settled as sent because its message was found in Slack (not posted by the settling
attempt). See docs/reminders.md, "Ambiguous resends". Existing rows: no unanswered attempt known, not
found in history.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("reminder_delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ambiguous_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("found_in_history", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("reminder_delivery", schema=None) as batch_op:
        batch_op.drop_column("found_in_history")
        batch_op.drop_column("ambiguous_at")
