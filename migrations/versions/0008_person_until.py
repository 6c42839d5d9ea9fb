"""People's end dates: `person.until` (their last day) and the handover notice sent for it.

`until` is the last day a person is on the alliance (students and interns leave); the day after, in the
workspace's zone, their open milestones go to each project's lead and their memberships end
(bot/projects/end_dates.py, jobs/handover.py). `handover_notice_until` is the end date whose handover
notice (14 days before, `LIAISON_HANDOVER_NOTICE_DAYS`) went to the leads, so it is sent once per person
and end date. Both nullable: existing people have no end date and no notice sent.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("handover_notice_until", sa.Date(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("handover_notice_until")
        batch_op.drop_column("until")
