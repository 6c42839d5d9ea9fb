"""The tables of `bot.publications` (registered on `bot.db.Base` by `bot.schema`).

- `venue`: a conference, journal, workshop or funding call of the workspace, with its deadline kept as
  the instant (UTC) plus the zone it is written in (`AoE` for Anywhere on Earth, else an IANA name).
- `paper`: a joint paper or funding proposal of a project, numbered per project (`fatigue-p1`).
- `paper_author`: a paper's authors in order: a person of the directory or an external name.
- `paper_milestone`: the milestones back-planned for a paper, one per step (`draft`, `review`,
  `submission`, `signoff:<organisation>`), so replanning moves them instead of adding new ones.

Kinds and statuses are short strings checked by the feature (`bot.publications.records`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base, UTCDateTime
from bot.models import Milestone, Person, Project


class Venue(Base):
    """Where papers are submitted (or proposals sent): its deadline is a wall-clock time in a zone."""

    __tablename__ = "venue"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # conference, journal, workshop, funding_call
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deadline_zone: Mapped[str | None] = mapped_column(String(64))  # "AoE" or an IANA name
    notification_on: Mapped[date | None] = mapped_column(Date)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    url: Mapped[str | None] = mapped_column(String(500))


class Paper(Base):
    """A joint paper (or funding proposal, when its venue is a funding call) of one project."""

    __tablename__ = "paper"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venue.id", ondelete="SET NULL"), index=True)
    links: Mapped[str | None] = mapped_column(Text)  # one URL a line
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The review start last reported as missed, so a replan that changes nothing does not tell again.
    late_notice_for: Mapped[datetime | None] = mapped_column(UTCDateTime())

    project: Mapped[Project] = relationship()
    venue: Mapped[Venue | None] = relationship()
    authors: Mapped[list[PaperAuthor]] = relationship(
        order_by="PaperAuthor.position", cascade="all, delete-orphan", back_populates="paper"
    )
    plan: Mapped[list[PaperMilestone]] = relationship(cascade="all, delete-orphan", back_populates="paper")


class PaperAuthor(Base):
    """One author of a paper, in order: a person of the directory, or an external co-author by name."""

    __tablename__ = "paper_author"

    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))  # external co-authors only

    paper: Mapped[Paper] = relationship(back_populates="authors")
    person: Mapped[Person | None] = relationship()


class PaperMilestone(Base):
    """A milestone back-planned for one step of a paper."""

    __tablename__ = "paper_milestone"

    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[str] = mapped_column(String(240), primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestone.id", ondelete="CASCADE"), unique=True, index=True
    )

    paper: Mapped[Paper] = relationship(back_populates="plan")
    # None once the milestone is soft-deleted: ORM loads hide deleted milestones (`bot.models`).
    milestone: Mapped[Milestone | None] = relationship()
