"""Agreements register (issue 17).

`agreement` holds each agreement (key, kind, parties, owner, status and the day it began, dates,
document link, review window, data restriction, notes), `agreement_status_change` its status history,
`agreement_project` the projects it covers, `milestone_agreement` the milestones waiting on it,
`agreement_reminder` the ledger of expiry reminders and stale-status nudges (unique by agreement and
kind), `join_request` the requests to join a project whose data is restricted, awaiting the lead.
New tables only; nothing to backfill.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("parties", sa.Text(), nullable=False),
        sa.Column("data_restricted_to", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_since", sa.Date(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("document_url", sa.String(length=2000), nullable=True),
        sa.Column("publication_review_days", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["person.id"], name=op.f("fk_agreement_owner_id_person"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_agreement_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement")),
        sa.UniqueConstraint("workspace_id", "key", name=op.f("uq_agreement_workspace_id_key")),
    )
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreement_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "agreement_project",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_agreement_project_agreement_id_agreement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_agreement_project_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agreement_id", "project_id", name=op.f("pk_agreement_project")),
    )
    with op.batch_alter_table("agreement_project", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_project_project_id"), ["project_id"], unique=False)

    op.create_table(
        "agreement_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("send_at", sa.DateTime(), nullable=False),
        sa.Column("send_zone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_agreement_reminder_agreement_id_agreement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["person.id"],
            name=op.f("fk_agreement_reminder_recipient_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_agreement_reminder_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_reminder")),
        sa.UniqueConstraint("agreement_id", "kind", name=op.f("uq_agreement_reminder_agreement_id_kind")),
    )
    with op.batch_alter_table("agreement_reminder", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_reminder_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agreement_reminder_recipient_id"), ["recipient_id"], unique=False
        )
        batch_op.create_index("ix_agreement_reminder_status_send_at", ["status", "send_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_agreement_reminder_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "agreement_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_agreement_status_change_agreement_id_agreement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_status_change")),
    )
    with op.batch_alter_table("agreement_status_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_status_change_agreement_id"), ["agreement_id"], unique=False
        )

    op.create_table(
        "join_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("lead_asked_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_join_request_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_join_request_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_join_request_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_join_request")),
    )
    with op.batch_alter_table("join_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_join_request_project_id"), ["project_id"], unique=False)
        batch_op.create_index("ix_join_request_project_person", ["project_id", "person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_join_request_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "milestone_agreement",
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_milestone_agreement_agreement_id_agreement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestone.id"],
            name=op.f("fk_milestone_agreement_milestone_id_milestone"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("milestone_id", "agreement_id", name=op.f("pk_milestone_agreement")),
    )
    with op.batch_alter_table("milestone_agreement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_milestone_agreement_agreement_id"), ["agreement_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("milestone_agreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestone_agreement_agreement_id"))

    op.drop_table("milestone_agreement")
    with op.batch_alter_table("join_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_join_request_workspace_id"))
        batch_op.drop_index("ix_join_request_project_person")
        batch_op.drop_index(batch_op.f("ix_join_request_project_id"))

    op.drop_table("join_request")
    with op.batch_alter_table("agreement_status_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_status_change_agreement_id"))

    op.drop_table("agreement_status_change")
    with op.batch_alter_table("agreement_reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_reminder_workspace_id"))
        batch_op.drop_index("ix_agreement_reminder_status_send_at")
        batch_op.drop_index(batch_op.f("ix_agreement_reminder_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_agreement_reminder_agreement_id"))

    op.drop_table("agreement_reminder")
    with op.batch_alter_table("agreement_project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_project_project_id"))

    op.drop_table("agreement_project")
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_agreement_owner_id"))

    op.drop_table("agreement")
