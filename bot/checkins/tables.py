"""The tables of `bot.checkins` (registered on `bot.db.Base` by `bot.schema`).

- `checkin_schedule`: a project's check-in settings (no row: check-ins off).
- `checkin_round`: one week's check-in of a project, unique by (project, ISO week); it carries the
  summary's delivery state, so the summary is claimed and posted once like a reminder.
- `checkin_ask`: the ledger of questions, unique by (round, person): nobody is asked twice a week per
  project, however many processes tick. It also holds the answers and the blocker made from them.

Statuses are `bot.models.DeliveryStatus` values kept as short strings.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime


class CheckinSchedule(Base):
    """When a project's members are asked (their own zone) and when the summary is posted (workspace zone)."""

    __tablename__ = "checkin_schedule"

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    ask_day: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    ask_time: Mapped[str] = mapped_column(String(5))  # "10:00", each member's wall clock
    cutoff_day: Mapped[int] = mapped_column(Integer)
    cutoff_time: Mapped[str] = mapped_column(String(5))  # the workspace's wall clock
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))


class _Delivered:
    """The leased-ledger columns `bot.reminders.delivery_table.claim_assignments` sets."""

    status: Mapped[str] = mapped_column(String(16))
    # When the next attempt may be made: the asking time (the cut-off, for a summary), later after a
    # failure, or when an unanswered post is to be looked for.
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ambiguous_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    slack_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CheckinRound(_Delivered, Base):
    """One week's check-in of a project; its delivery columns are the summary's."""

    __tablename__ = "checkin_round"
    __table_args__ = (
        UniqueConstraint("project_id", "week"),
        Index("ix_checkin_round_status_not_before", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    week: Mapped[str] = mapped_column(String(8))  # ISO week of the asking day, "2026-W49"
    ask_date: Mapped[date] = mapped_column(Date)  # the calendar day everyone is asked on (own zone)
    cutoff_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cutoff_zone: Mapped[str] = mapped_column(String(64))


class CheckinAsk(_Delivered, Base):
    """One person's question of one round, and their answers."""

    __tablename__ = "checkin_ask"
    __table_args__ = (
        UniqueConstraint("round_id", "person_id"),
        Index("ix_checkin_ask_status_not_before", "status", "not_before"),
        # Replies in a DM thread are matched to their question by the question's message.
        Index("ix_checkin_ask_slack_message", "slack_channel", "slack_ts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("checkin_round.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    ask_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ask_zone: Mapped[str] = mapped_column(String(64))
    done_text: Mapped[str | None] = mapped_column(Text)
    next_text: Mapped[str | None] = mapped_column(Text)
    blocking_text: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_via: Mapped[str | None] = mapped_column(String(16))  # "form" or "thread"
    blocker_id: Mapped[int | None] = mapped_column(ForeignKey("blocker.id", ondelete="SET NULL"))
