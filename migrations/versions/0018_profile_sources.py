"""Expert profiles from ORCID, OpenAlex and BibTeX (issue 15).

`profile_source_link` holds a person's link to their ORCID or OpenAlex record, `source_work` the works
fetched from it or uploaded (each with the owner's hidden flag), `http_cache_entry` the last response of
each fetched URL with its validators. New tables only; nothing to backfill.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "profile_source_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("linked_by", sa.String(length=32), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=True),
        sa.Column("expertise", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_profile_source_link_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_source_link")),
        sa.UniqueConstraint("person_id", "source", name=op.f("uq_profile_source_link_person_id_source")),
    )
    with op.batch_alter_table("profile_source_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_profile_source_link_person_id"), ["person_id"], unique=False)

    op.create_table(
        "source_work",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("doi", sa.String(length=300), nullable=True),
        sa.Column("abstract", sa.Text(), nullable=True),
        sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_source_work_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_work")),
        sa.UniqueConstraint("person_id", "source", "key", name=op.f("uq_source_work_person_id_source_key")),
    )
    with op.batch_alter_table("source_work", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_work_person_id"), ["person_id"], unique=False)

    op.create_table(
        "http_cache_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("etag", sa.String(length=300), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_http_cache_entry")),
        sa.UniqueConstraint("url", name=op.f("uq_http_cache_entry_url")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("http_cache_entry")
    with op.batch_alter_table("source_work", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_work_person_id"))
    op.drop_table("source_work")
    with op.batch_alter_table("profile_source_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_source_link_person_id"))
    op.drop_table("profile_source_link")
