"""Richer milestones: a description, links, dependencies between milestones, blockers on a milestone.

`milestone.description` and `milestone.links` (a JSON list of http(s) URLs) are nullable text;
`milestone_dependency` says which milestone comes after which (never a cycle, checked by the code);
`blocker.milestone_id` links a blocker to the milestone it holds up (set NULL when that one goes).
Nothing to backfill.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("links", sa.Text(), nullable=True))
    with op.batch_alter_table("blocker", schema=None) as batch_op:
        batch_op.add_column(sa.Column("milestone_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_blocker_milestone_id"), ["milestone_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_blocker_milestone_id_milestone"),
            "milestone",
            ["milestone_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "milestone_dependency",
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("depends_on_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["depends_on_id"],
            ["milestone.id"],
            name=op.f("fk_milestone_dependency_depends_on_id_milestone"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestone.id"],
            name=op.f("fk_milestone_dependency_milestone_id_milestone"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("milestone_id", "depends_on_id", name=op.f("pk_milestone_dependency")),
    )
    with op.batch_alter_table("milestone_dependency", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_milestone_dependency_depends_on_id"), ["depends_on_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("milestone_dependency", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestone_dependency_depends_on_id"))
    op.drop_table("milestone_dependency")
    with op.batch_alter_table("blocker", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_blocker_milestone_id_milestone"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_blocker_milestone_id"))
        batch_op.drop_column("milestone_id")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_column("links")
        batch_op.drop_column("description")
