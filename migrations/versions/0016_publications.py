"""Joint publications and venues (issue 17).

`venue` holds the workspace's conferences, journals, workshops and funding calls (deadline as the UTC
instant plus the zone it is written in, `AoE` included); `paper` a project's papers and proposals,
`paper_author` their ordered authors (people or external names), `paper_milestone` the milestones
back-planned for each step. Nothing to backfill.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "venue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("deadline_at", sa.DateTime(), nullable=True),
        sa.Column("deadline_zone", sa.String(length=64), nullable=True),
        sa.Column("notification_on", sa.Date(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_venue_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue")),
        sa.UniqueConstraint("workspace_id", "key", name=op.f("uq_venue_workspace_id_key")),
    )
    with op.batch_alter_table("venue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venue_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "paper",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=True),
        sa.Column("links", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("late_notice_for", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_paper_project_id_project"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_paper_venue_id_venue"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper")),
        sa.UniqueConstraint("project_id", "number", name=op.f("uq_paper_project_id_number")),
    )
    with op.batch_alter_table("paper", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_paper_venue_id"), ["venue_id"], unique=False)

    op.create_table(
        "paper_author",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["paper.id"], name=op.f("fk_paper_author_paper_id_paper"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_paper_author_person_id_person"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("paper_id", "position", name=op.f("pk_paper_author")),
    )
    with op.batch_alter_table("paper_author", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_author_person_id"), ["person_id"], unique=False)

    op.create_table(
        "paper_milestone",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=240), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestone.id"],
            name=op.f("fk_paper_milestone_milestone_id_milestone"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["paper.id"], name=op.f("fk_paper_milestone_paper_id_paper"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("paper_id", "step", name=op.f("pk_paper_milestone")),
    )
    with op.batch_alter_table("paper_milestone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_milestone_milestone_id"), ["milestone_id"], unique=True)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("paper_milestone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_milestone_milestone_id"))
    op.drop_table("paper_milestone")
    with op.batch_alter_table("paper_author", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_author_person_id"))
    op.drop_table("paper_author")
    with op.batch_alter_table("paper", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_venue_id"))
        batch_op.drop_index(batch_op.f("ix_paper_project_id"))
    op.drop_table("paper")
    with op.batch_alter_table("venue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venue_workspace_id"))
    op.drop_table("venue")
