"""The tables of `bot.agreements` (registered on `bot.db.Base` by `bot.schema`).

- `agreement`: one agreement (NDA, data-use, research ...), referred to by its key (`dua-7`), with its
  status and the day it entered it, its dates and the terms that matter day to day. Only a link to
  the document is kept, never the document.
- `agreement_status_change`: the history of its statuses, one row per change, with the day it happened.
- `agreement_project`: the projects an agreement covers.
- `milestone_agreement`: the agreements a milestone waits on (`/agreement require`).
- `agreement_reminder`: the ledger of expiry reminders and stale-status nudges, unique by
  (agreement, kind), so each is sent once however many processes tick.
- `join_request`: a request to join a project whose data is restricted to other organisations,
  waiting on the lead's approval.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime


class AgreementKind(enum.StrEnum):
    """What sort of agreement it is; the value's key prefix names new agreements (`dua-7`)."""

    NDA = "nda"
    DATA_USE = "data_use"
    DATA_SHARING = "data_sharing"
    RESEARCH = "research"
    CONSORTIUM = "consortium"
    IP_LICENCE = "ip_licence"
    MOU = "mou"
    OTHER = "other"


class AgreementStatus(enum.StrEnum):
    """Where an agreement stands; signed, expired and terminated are final for the stale nudge."""

    DRAFT = "draft"
    NEGOTIATION = "negotiation"
    LEGAL_REVIEW = "legal_review"
    SIGNED = "signed"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class Agreement(Base):
    """An agreement between organisations, covering some projects."""

    __tablename__ = "agreement"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    # JSON lists of organisation names (kept in their written order for display and export).
    parties: Mapped[str] = mapped_column(Text, default="[]")
    data_restricted_to: Mapped[str] = mapped_column(Text, default="[]")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    # The day the current status began (in the workspace's calendar): "23 days in this status".
    status_since: Mapped[date] = mapped_column(Date)
    effective_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    document_url: Mapped[str | None] = mapped_column(String(2000))
    publication_review_days: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgreementStatusChange(Base):
    """One status an agreement entered, and on which day."""

    __tablename__ = "agreement_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    changed_on: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgreementProject(Base):
    """A project an agreement covers."""

    __tablename__ = "agreement_project"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class MilestoneAgreement(Base):
    """A milestone that cannot go ahead before an agreement is signed."""

    __tablename__ = "milestone_agreement"

    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestone.id", ondelete="CASCADE"), primary_key=True
    )
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class AgreementReminder(Base):
    """One reminder about an agreement (`expiry-60`, `stale-negotiation-2026-11-01`), sent once."""

    __tablename__ = "agreement_reminder"
    __table_args__ = (
        UniqueConstraint("agreement_id", "kind"),
        Index("ix_agreement_reminder_status_send_at", "status", "send_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime())
    send_zone: Mapped[str] = mapped_column(String(64))
    # planned → sent, or cancelled when the agreement moved on before it was due.
    status: Mapped[str] = mapped_column(String(16))
    claim_token: Mapped[str | None] = mapped_column(String(36))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JoinRequest(Base):
    """A request to join a project whose data only other organisations' members may access."""

    __tablename__ = "join_request"
    __table_args__ = (Index("ix_join_request_project_person", "project_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    # pending → approved | declined.
    status: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the lead was sent the Approve / Decline buttons (once per request).
    lead_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(64))
