"""The change feed: channel subscriptions, personal opt-outs, and the feed's delivery ledger.

`feed_subscription` says which channels get a project's changes (the project's own channel gets every
kind without a row; a row with empty `kinds` mutes it); `feed_opt_out` lists people who turned personal
change notifications off; `feed_intake` marks the audit entries the feed job has taken (once, whichever
process takes them); `feed_item` is one post-to-be per (audit entry, channel or person), claimed with a
lease and settled like a reminder delivery. See docs/feed.md. Nothing to backfill: the feed starts with
changes made after the upgrade.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "feed_intake",
        sa.Column("audit_entry_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_entry_id"],
            ["audit_entry.id"],
            name=op.f("fk_feed_intake_audit_entry_id_audit_entry"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("audit_entry_id", name=op.f("pk_feed_intake")),
    )
    with op.batch_alter_table("feed_intake", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_intake_at"), ["at"], unique=False)

    op.create_table(
        "feed_opt_out",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_feed_opt_out_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_feed_opt_out")),
    )
    op.create_table(
        "feed_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("audit_entry_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("uncertain", sa.Boolean(), nullable=False),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("first_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("ambiguous_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("slack_channel", sa.String(length=32), nullable=True),
        sa.Column("slack_ts", sa.String(length=32), nullable=True),
        sa.Column("found_in_history", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'claimed', 'sent', 'failed', 'expired', 'cancelled')",
            name=op.f("ck_feed_item_delivery_status"),
        ),
        sa.ForeignKeyConstraint(
            ["audit_entry_id"],
            ["audit_entry.id"],
            name=op.f("fk_feed_item_audit_entry_id_audit_entry"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_feed_item_project_id_project"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["person.id"], name=op.f("fk_feed_item_recipient_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_feed_item_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_item")),
        sa.UniqueConstraint("key", name=op.f("uq_feed_item_key")),
    )
    with op.batch_alter_table("feed_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_item_audit_entry_id"), ["audit_entry_id"], unique=False)
        batch_op.create_index(
            "ix_feed_item_project_id_channel_id", ["project_id", "channel_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_feed_item_recipient_id"), ["recipient_id"], unique=False)
        batch_op.create_index("ix_feed_item_status_not_before", ["status", "not_before"], unique=False)
        batch_op.create_index(batch_op.f("ix_feed_item_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "feed_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("kinds", sa.String(length=80), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_feed_subscription_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_feed_subscription_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_subscription")),
        sa.UniqueConstraint(
            "project_id", "channel_id", name=op.f("uq_feed_subscription_project_id_channel_id")
        ),
    )
    with op.batch_alter_table("feed_subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_subscription_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("feed_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_subscription_workspace_id"))

    op.drop_table("feed_subscription")
    with op.batch_alter_table("feed_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_item_workspace_id"))
        batch_op.drop_index("ix_feed_item_status_not_before")
        batch_op.drop_index(batch_op.f("ix_feed_item_recipient_id"))
        batch_op.drop_index("ix_feed_item_project_id_channel_id")
        batch_op.drop_index(batch_op.f("ix_feed_item_audit_entry_id"))

    op.drop_table("feed_item")
    op.drop_table("feed_opt_out")
    with op.batch_alter_table("feed_intake", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_intake_at"))

    op.drop_table("feed_intake")
