"""The tables of `bot.calendar` (registered on `bot.db.Base` by `bot.schema`).

- `calendar_feed`: one private feed per person and scope (their own items, or one project's), found by
  the SHA-256 of its URL token. The token itself is never stored: it is derived from the row's random
  salt with a server secret (`bot.calendar.tokens`), so a database dump alone opens no feed, and a
  reset (a new salt) retires the old URL at once.
- `calendar_entry`: what each event (by UID) last looked like to any feed, so an event keeps its UID
  and gets a higher SEQUENCE when its date or status changes (RFC 5545 3.8.7.4), whoever moved it
  and however (command, form, import, replanning).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime

PERSON_SCOPE = "person"


def project_scope(project_id: int) -> str:
    """The scope of a project feed (`calendar_feed.scope`)."""
    return f"project:{project_id}"


class CalendarFeed(Base):
    """A person's private calendar URL: their own items (`scope` "person") or one project's."""

    __tablename__ = "calendar_feed"
    __table_args__ = (UniqueConstraint("person_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    # Whose URL it is: the personal feed shows their items; a project feed needs them to be a member.
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    # "person" or "project:<id>": unique per person (a NULL project id would not be).
    scope: Mapped[str] = mapped_column(String(40))
    salt: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CalendarEntry(Base):
    """The last seen revision of one event UID: its SEQUENCE and when it last changed."""

    __tablename__ = "calendar_entry"
    __table_args__ = (UniqueConstraint("workspace_id", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(200))
    # SHA-256 of what makes a revision significant (start, status), and of everything shown.
    schedule_hash: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime())
