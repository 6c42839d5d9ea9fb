"""ORM models (SQLAlchemy 2.0 typed style). Every row belongs to exactly one workspace.

Instants are `UTCDateTime` (aware UTC); where a person wrote a wall-clock time, the IANA zone it was
written in is kept beside it so it can be shown and recomputed in that zone.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
)
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship, with_loader_criteria

from bot.db import Base, UTCDateTime
from bot.domain.reminders import DeliveryKind


class Sector(enum.StrEnum):
    """Where a person works."""

    INDUSTRY = "industry"
    ACADEMIA = "academia"


class ProjectStatus(enum.StrEnum):
    """Health of a project as its lead reports it."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BLOCKED = "blocked"
    DONE = "done"


# Upper bound of a person's weekly intro-request cap (and of the workspace default).
MAX_WEEKLY_REQUEST_CAP = 100


class ExpertVisibility(enum.StrEnum):
    """Whether a person may be suggested as an expert and others may read their profile."""

    LISTED = "listed"
    HIDDEN = "hidden"


class IntroStatus(enum.StrEnum):
    """Where a request for an introduction to an expert stands."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Role(enum.StrEnum):
    """A person's role on a project; viewers see private projects but are not owners of work."""

    LEAD = "lead"
    MEMBER = "member"
    VIEWER = "viewer"


class MilestoneStatus(enum.StrEnum):
    """Whether a milestone still needs doing."""

    OPEN = "open"
    DONE = "done"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Strings with a CHECK constraint: portable across SQLite and PostgreSQL and easy to migrate.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class Workspace(Base):
    """A Slack workspace (team) and its calendar defaults."""

    __tablename__ = "workspace"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    slack_team_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    as_of: Mapped[date | None] = mapped_column(Date)
    # Incremented by every change to people's profiles (import, /profile): processes that cache the
    # expert index compare it to know when to reload (bot/experts/index.py).
    profiles_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set when Slack took the bot token back (uninstall, revocation; bot/slack/workspaces.py), cleared by a
    # reinstall: meanwhile nothing is planned for the workspace, since nothing could be sent there.
    disconnected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disconnected_reason: Mapped[str | None] = mapped_column(String(200))

    @property
    def connected(self) -> bool:
        """Whether Liaison can reach this workspace on Slack (not uninstalled, token not revoked)."""
        return self.disconnected_at is None


class Person(Base):
    """Someone in the workspace, with the profile used for questions and expert suggestions."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("workspace_id", "slack_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    slack_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    discipline: Mapped[str | None] = mapped_column(String(120))
    sector: Mapped[Sector | None] = mapped_column(_enum(Sector, "sector"))
    organisation: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))
    expertise: Mapped[str | None] = mapped_column(Text)
    # `/milestone remind me off`: no daily "waiting on you" DM for this person.
    waiting_digest_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Hidden: never suggested as an expert, and nobody else sees the profile's texts.
    expert_visibility: Mapped[ExpertVisibility] = mapped_column(
        _enum(ExpertVisibility, "expert_visibility"),
        default=ExpertVisibility.LISTED,
        server_default=ExpertVisibility.LISTED.value,
    )
    # Intro requests a week this person accepts being asked; NULL: the workspace default (settings).
    weekly_request_cap: Mapped[int | None] = mapped_column(Integer)
    # Migration 0008 (hence last). The person's last day (students and interns leave); the day after,
    # in the workspace's zone, their open milestones go to each project's lead and their memberships
    # end (bot/projects/end_dates.py). NULL: no end date.
    until: Mapped[date | None] = mapped_column(Date)
    # The end date whose handover notice went to the leads (sent once per person and end date).
    handover_notice_until: Mapped[date | None] = mapped_column(Date)

    publications: Mapped[list[Publication]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Publication.position"
    )


class Publication(Base):
    """A publication listed on a person's profile."""

    __tablename__ = "publication"
    __table_args__ = (UniqueConstraint("person_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str | None] = mapped_column(Text)

    person: Mapped[Person] = relationship(back_populates="publications")


class Project(Base):
    """A joint project of the alliance."""

    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProjectStatus] = mapped_column(_enum(ProjectStatus, "project_status"))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    # Archived: read-only, hidden from lists, Home and answers, no reminders (`bot.projects.lifecycle`).
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    lead: Mapped[Person | None] = relationship(foreign_keys=[lead_id])
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Milestone.number"
    )
    blockers: Mapped[list[Blocker]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Blocker.number"
    )


class Membership(Base):
    """A person's role on a project."""

    __tablename__ = "membership"

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    # Indexed on its own: "which projects is this person on" is the most frequent membership query.
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role, "membership_role"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    project: Mapped[Project] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship()


class Milestone(Base):
    """A dated deliverable of a project, referred to by users as `KEY-NUMBER` (e.g. `bidshade-2`)."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("project_id", "number"), UniqueConstraint("project_id", "title"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    due_timezone: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    status: Mapped[MilestoneStatus] = mapped_column(_enum(MilestoneStatus, "milestone_status"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Soft-deleted (`/milestone delete`, undone by its Undo button): hidden from every ORM query.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Richer records: what the milestone is, and its links (a JSON list of http(s) URLs).
    description: Mapped[str | None] = mapped_column(Text)
    links: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship(back_populates="milestones")
    owner: Mapped[Person | None] = relationship()


class MilestoneDependency(Base):
    """A milestone that comes after another (`depends_on`): "pcm-3 after pcm-2". Never a cycle."""

    __tablename__ = "milestone_dependency"

    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestone.id", ondelete="CASCADE"), primary_key=True
    )
    depends_on_id: Mapped[int] = mapped_column(
        ForeignKey("milestone.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Blocker(Base):
    """Something that stops a project, until someone resolves it. Referred to as `KEY-bNUMBER`."""

    __tablename__ = "blocker"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # Soft-deleted (`/blocker delete`, undone by its Undo button): hidden from every ORM query.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The milestone it holds up, if any (`/blocker add KEY text --on 2`).
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestone.id", ondelete="SET NULL"), index=True
    )

    project: Mapped[Project] = relationship(back_populates="blockers")
    raised_by: Mapped[Person | None] = relationship(foreign_keys=[raised_by_id])
    resolved_by: Mapped[Person | None] = relationship(foreign_keys=[resolved_by_id])
    held_up: Mapped[Milestone | None] = relationship(foreign_keys=[milestone_id], viewonly=True)


INCLUDE_DELETED = "include_deleted"
"""Execution option (`.execution_options(include_deleted=True)`) that lets a query see soft-deleted rows."""


@event.listens_for(Session, "do_orm_execute")
def _hide_deleted(execute_state: ORMExecuteState) -> None:
    # Soft-deleted milestones and blockers keep their rows (numbers stay taken, Undo is exact) but every
    # ORM select hides them, relationship loads included, unless INCLUDE_DELETED; refreshes are left alone.
    options = execute_state.execution_options
    if not execute_state.is_select or execute_state.is_column_load or options.get(INCLUDE_DELETED):
        return
    execute_state.statement = execute_state.statement.options(
        with_loader_criteria(Milestone, lambda cls: cls.deleted_at.is_(None), include_aliases=True),
        with_loader_criteria(Blocker, lambda cls: cls.deleted_at.is_(None), include_aliases=True),
    )


class AuditEntry(Base):
    """Who changed what, when: one row per change, written in the same transaction as the change."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ProcessedRequest(Base):
    """Slack retries events and users double-click: ids seen once here are not acted on again."""

    __tablename__ = "processed_request"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class InboxRequest(Base):
    """A Slack request acked before its listener ran: recorded before the ack, processed at least once.

    `bot.serving.inbox` writes the row before answering Slack and any instance may process it; the
    lease says who is processing it until when, `effect_owner` which attempt committed its database
    effects (`bot.db.EffectClaim`), so that a redone request never applies them twice.
    """

    __tablename__ = "slack_inbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The body's replay key (`bot.serving.checks.replay_key`): a second delivery of a body is a replay.
    replay_key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text, default="")
    headers: Mapped[str] = mapped_column(Text, default="{}")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    effect_owner: Mapped[str | None] = mapped_column(String(120))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))


class DeliveryStatus(enum.StrEnum):
    """Where a planned delivery is in its life: planned → claimed → sent (or failed/expired/cancelled)."""

    PLANNED = "planned"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class ReminderPolicySetting(Base):
    """Reminder rules a workspace (`scope` "workspace") or project (`scope` "project:<id>") sets.

    Every rule column is nullable: NULL inherits from the workspace, and the workspace from settings.
    """

    __tablename__ = "reminder_policy"
    __table_args__ = (UniqueConstraint("workspace_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    # A scope string rather than a nullable project id: UNIQUE treats NULLs as distinct.
    scope: Mapped[str] = mapped_column(String(40))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    lead_times: Mapped[str | None] = mapped_column(String(120))
    local_time: Mapped[str | None] = mapped_column(String(5))
    quiet_hours: Mapped[str | None] = mapped_column(String(11))
    skip_weekends: Mapped[bool | None] = mapped_column(Boolean)
    escalate_lead_days: Mapped[int | None] = mapped_column(Integer)
    escalate_channel_days: Mapped[int | None] = mapped_column(Integer)
    digest: Mapped[str | None] = mapped_column(String(16))  # "mon 09:00" or "off"
    waiting_digest: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))


class ReminderDelivery(Base):
    """The delivery ledger: one row per planned delivery, unique by meaning (`key`).

    The scheduler tick claims due rows atomically (status `claimed`, a lease and a claim token), posts
    them and records the Slack `ts`; see bot/reminders/ (planning, claims, outcomes) and docs/reminders.md.
    """

    __tablename__ = "reminder_delivery"
    __table_args__ = (Index("ix_reminder_delivery_status_not_before", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    series: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[DeliveryKind] = mapped_column(_enum(DeliveryKind, "delivery_kind"))
    occurrence: Mapped[str] = mapped_column(String(64))
    # SET NULL, not CASCADE: the history of what was sent outlives the milestone; pending rows of a
    # deleted milestone are cancelled in the deleting transaction (bot/reminders/planning.py).
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestone.id", ondelete="SET NULL"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    send_at: Mapped[datetime] = mapped_column(UTCDateTime())
    send_zone: Mapped[str] = mapped_column(String(64))
    nominal_at: Mapped[datetime] = mapped_column(UTCDateTime())
    basis_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus, "delivery_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    ambiguous_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Set when an earlier attempt may have reached Slack (a lost lease, a timeout): look for the
    # message before posting again.
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    slack_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    acted_by: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str | None] = mapped_column(String(32))
    acted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Migration 0007 (hence last). When the latest attempt that may have posted was given up on (a post
    # left unanswered, or the expired lease of a claimer that died): the message is posted again only
    # once a history lookup `LIAISON_REMINDER_LANDING_SECONDS` later does not find it
    # (bot/reminders/reconciliation.py).
    ambiguous_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Sent means found in the conversation's history: an unanswered attempt had posted it after all.
    found_in_history: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class FeedSubscription(Base):
    """A channel that gets a project's change feed (bot/feed, docs/feed.md), and which kinds of changes.

    A project's own channel gets every kind without a row; a row for it changes the kinds, and an empty
    `kinds` mutes it (`/project unsubscribe` there). Other channels need a row (public projects only).
    """

    __tablename__ = "feed_subscription"
    __table_args__ = (UniqueConstraint("project_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(32))
    # Comma-separated `bot.feed.kinds.FeedKind` values; "" means muted.
    kinds: Mapped[str] = mapped_column(String(80))
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FeedOptOut(Base):
    """Someone who turned personal change notifications off (`/liaison notifications off`)."""

    __tablename__ = "feed_opt_out"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime())


class FeedIntake(Base):
    """An audit entry the change feed has turned into feed items (or found nothing to post about).

    Inserted with ON CONFLICT DO NOTHING by whichever process takes the entry first, in the transaction
    that writes its items, so each entry is taken once however many processes run the feed job.
    """

    __tablename__ = "feed_intake"

    audit_entry_id: Mapped[int] = mapped_column(
        ForeignKey("audit_entry.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class FeedItem(Base):
    """The feed's delivery ledger: one row per (audit entry, target), claimed and settled like a reminder.

    A target is a channel (`channel_id`) or a person's DM (`recipient_id`). The items of one target (and
    project, for a channel) claimed together go out as one post, whose message metadata carries every
    item's `key`, so a post whose answer was lost is looked up rather than posted twice.
    """

    __tablename__ = "feed_item"
    __table_args__ = (
        Index("ix_feed_item_status_not_before", "status", "not_before"),
        Index("ix_feed_item_project_id_channel_id", "project_id", "channel_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    audit_entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entry.id", ondelete="CASCADE"), index=True)
    # "channel" or "dm".
    target: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    # When the change was made (the audit entry's time).
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus, "delivery_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ambiguous_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    slack_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    found_in_history: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProfileVector(Base):
    """The embedding of one profile item (the expertise text, or one publication) under one model.

    `content_hash` is the SHA-256 of the embedded text: an item whose text changed no longer matches
    and is re-embedded; vectors of another `model_name` are ignored and replaced (bot/experts/vector_sync.py).
    """

    __tablename__ = "profile_vector"
    __table_args__ = (UniqueConstraint("person_id", "item_key", "model_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    # "expertise", or "publication:<position>".
    item_key: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    model_name: Mapped[str] = mapped_column(String(300))
    dimension: Mapped[int] = mapped_column(Integer)
    # Little-endian float32, unit length (bot.experts.embeddings.vector_to_bytes).
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IntroRequest(Base):
    """Someone asked Liaison to introduce them to a suggested expert; the expert accepts or declines.

    One row per requester, expert and subject (`subject_hash`): asking twice about the same thing
    finds the first request instead of sending the expert a second DM.
    """

    __tablename__ = "intro_request"
    __table_args__ = (
        UniqueConstraint("requester_id", "expert_id", "subject_hash"),
        Index("ix_intro_request_expert_id_created_at", "expert_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="SET NULL"), index=True)
    # What the requester needs help with: their /expert text, or the project's name.
    subject: Mapped[str] = mapped_column(Text)
    subject_hash: Mapped[str] = mapped_column(String(64))
    # Why the expert was suggested (their best-matching profile items), shown in the expert's DM.
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[IntroStatus] = mapped_column(_enum(IntroStatus, "intro_status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The expert's DM with the Accept/Decline buttons, and the group DM opened on Accept.
    expert_channel: Mapped[str | None] = mapped_column(String(32))
    expert_ts: Mapped[str | None] = mapped_column(String(32))
    group_channel: Mapped[str | None] = mapped_column(String(32))

    requester: Mapped[Person] = relationship(foreign_keys=[requester_id])
    expert: Mapped[Person] = relationship(foreign_keys=[expert_id])
    project: Mapped[Project | None] = relationship()


class WorkspaceTeam(Base):
    """A further Slack team served by a workspace: each team of an Enterprise Grid org-wide install.

    An org-wide install binds one workspace to the org (`Workspace.slack_team_id` is the enterprise id,
    `E…`); requests carry the id of the org's team they come from, so each team is recorded here the
    first time it talks to Liaison, and `bot.access.resolve_workspace` finds the org's workspace by it.
    """

    __tablename__ = "workspace_team"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    slack_team_id: Mapped[str] = mapped_column(String(32), unique=True)
    slack_enterprise_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# -- Slack's OAuth tables (multi-workspace installs) ---------------------------------------------------
#
# The tables of slack_sdk's SQLAlchemyInstallationStore and SQLAlchemyOAuthStateStore, declared in our
# metadata so that Alembic migrates them like every other table. They are written out here rather than
# built with slack_sdk's own `build_*_table` so the core imports no Slack library (docs/architecture.md);
# tests/test_slack_tables.py compares them column by column with what the installed slack_sdk builds, so
# a slack_sdk upgrade that changes them fails a test. They are keyed by Slack's team and enterprise ids,
# which `Workspace.slack_team_id` maps to a workspace. The secret columns are widened to Text because an
# encrypted token (bot.slack.installations.TokenCipher) is about twice as long as the token.
SECRET_INSTALLATION_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


def _installed_at() -> Column[datetime]:
    return Column("installed_at", DateTime, nullable=False, default=func.now())


def _app_columns() -> list[Column[Any]]:
    """The leading columns of slack_sdk's installations and bots tables: which app, in which org."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
    ]


def _bot_columns() -> list[Column[Any]]:
    """The columns slack_sdk's installations and bots tables share, in slack_sdk's order."""
    return [
        Column("bot_token", Text),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        Column("bot_refresh_token", Text),
        Column("bot_token_expires_at", DateTime),
    ]


slack_installations = Table(
    "slack_installations",
    Base.metadata,
    *_app_columns(),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    *_bot_columns(),
    Column("user_id", String(32), nullable=False),
    Column("user_token", Text),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", Text),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    _installed_at(),
    Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)
slack_bots = Table(
    "slack_bots",
    Base.metadata,
    *_app_columns(),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    *_bot_columns(),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    _installed_at(),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)
slack_oauth_states = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
