"""The tables of `bot.proposals` (registered on `bot.db.Base` by `bot.schema`)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime


class ProposalStatus(enum.StrEnum):
    """Where a proposal stands. Only a pending one can be confirmed or cancelled."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    # Replaced by a fresh proposal because the record changed before Confirm (a stale confirmation).
    SUPERSEDED = "superseded"


class Proposal(Base):
    """A change asked for in plain language, held server-side until its asker confirms it.

    The buttons carry only `token`; who asked, what was understood and how the record looked are
    here, so a forged or replayed button cannot change what is done or who may do it.
    """

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random and unguessable: the value of the Confirm and Cancel buttons.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    # The Slack user id of who asked: the only one who may confirm or cancel.
    requester: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # bot.proposals.requests.ChangeKind
    # The milestone ref (`pcm-2`) or the project key the change is about.
    target: Mapped[str] = mapped_column(String(64))
    # What was understood, resolved (JSON): the new due instant and zone, the new owner's Slack id,
    # the blocker's text, the reminder's instant.
    params: Mapped[str] = mapped_column(Text)
    # The record as it was when the proposal was made (JSON); a Confirm after it changed asks again.
    snapshot: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ProposalStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
