"""Archived projects and soft-deleted milestones and blockers.

`project.archived_at` marks an archived project (read-only, hidden from lists, no reminders);
`milestone.deleted_at` and `blocker.deleted_at` mark rows deleted with `/milestone delete` and
`/blocker delete`, kept so that their numbers stay taken and the Undo button restores them exactly.
All three are nullable; nothing to backfill.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("project", "archived_at"), ("milestone", "deleted_at"), ("blocker", "deleted_at"))


def upgrade() -> None:
    """Upgrade schema."""
    for table, column in _COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.DateTime(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    for table, column in reversed(_COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
