"""Weekly check-ins: per-project questions by DM, answers summarised to the channel (issue 14).

`checkin_schedule` holds a project's settings (no row: check-ins off), `checkin_round` one week's
check-in of a project with its summary's delivery state, `checkin_ask` the ledger of questions, unique
by (round, person), with the answers. Nothing to backfill.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "checkin_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("ask_date", sa.Date(), nullable=False),
        sa.Column("cutoff_at", sa.DateTime(), nullable=False),
        sa.Column("cutoff_zone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("uncertain", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("first_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("ambiguous_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("slack_channel", sa.String(length=32), nullable=True),
        sa.Column("slack_ts", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_checkin_round_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_checkin_round_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_round")),
        sa.UniqueConstraint("project_id", "week", name=op.f("uq_checkin_round_project_id_week")),
    )
    with op.batch_alter_table("checkin_round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_round_project_id"), ["project_id"], unique=False)
        batch_op.create_index("ix_checkin_round_status_not_before", ["status", "not_before"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkin_round_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "checkin_schedule",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("ask_day", sa.Integer(), nullable=False),
        sa.Column("ask_time", sa.String(length=5), nullable=False),
        sa.Column("cutoff_day", sa.Integer(), nullable=False),
        sa.Column("cutoff_time", sa.String(length=5), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_checkin_schedule_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_checkin_schedule_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_checkin_schedule")),
    )
    with op.batch_alter_table("checkin_schedule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_schedule_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "checkin_ask",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("ask_at", sa.DateTime(), nullable=False),
        sa.Column("ask_zone", sa.String(length=64), nullable=False),
        sa.Column("done_text", sa.Text(), nullable=True),
        sa.Column("next_text", sa.Text(), nullable=True),
        sa.Column("blocking_text", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_via", sa.String(length=16), nullable=True),
        sa.Column("blocker_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("uncertain", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("first_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("ambiguous_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("slack_channel", sa.String(length=32), nullable=True),
        sa.Column("slack_ts", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["blocker.id"],
            name=op.f("fk_checkin_ask_blocker_id_blocker"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_checkin_ask_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["checkin_round.id"],
            name=op.f("fk_checkin_ask_round_id_checkin_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_checkin_ask_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_ask")),
        sa.UniqueConstraint("round_id", "person_id", name=op.f("uq_checkin_ask_round_id_person_id")),
    )
    with op.batch_alter_table("checkin_ask", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_ask_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkin_ask_round_id"), ["round_id"], unique=False)
        batch_op.create_index("ix_checkin_ask_slack_message", ["slack_channel", "slack_ts"], unique=False)
        batch_op.create_index("ix_checkin_ask_status_not_before", ["status", "not_before"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkin_ask_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("checkin_ask", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_ask_workspace_id"))
        batch_op.drop_index("ix_checkin_ask_status_not_before")
        batch_op.drop_index("ix_checkin_ask_slack_message")
        batch_op.drop_index(batch_op.f("ix_checkin_ask_round_id"))
        batch_op.drop_index(batch_op.f("ix_checkin_ask_person_id"))

    op.drop_table("checkin_ask")
    with op.batch_alter_table("checkin_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_schedule_workspace_id"))

    op.drop_table("checkin_schedule")
    with op.batch_alter_table("checkin_round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_round_workspace_id"))
        batch_op.drop_index("ix_checkin_round_status_not_before")
        batch_op.drop_index(batch_op.f("ix_checkin_round_project_id"))

    op.drop_table("checkin_round")
