"""Taking new audit entries once, and planning the feed items each one needs.

Each tick inserts a marker (`feed_intake`) for every audit entry of the last `FEED_HORIZON` that has none
yet, in one `INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`: the entries it returns are this
process's, and it writes their items in the same transaction. Another process inserting the same
marker at the same moment waits on it (PostgreSQL) or on the database's write lock (SQLite) and then
gets nothing back, so an entry is taken once however many processes run the feed. The window (rather
than a cursor on the highest id taken) means an entry whose transaction committed after a later one
(ids are handed out before commit) is still taken on the next tick.

Items (`feed_item`) are keyed `feed:a<entry id>:<channel id>` or `feed:a<entry id>:u<person id>`, unique,
inserted with ON CONFLICT DO NOTHING as well.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, exists, select
from sqlalchemy.orm import Session

from bot.db import insert_ignoring_conflicts, upsert_insert
from bot.domain.reminders import ReminderPolicy, next_allowed
from bot.feed.changes import FEED_ENTITIES, Change, personal_recipients, read_change, zone_named
from bot.feed.subscriptions import channel_targets, may_see, opted_out
from bot.models import AuditEntry, DeliveryStatus, FeedIntake, FeedItem, Person, Project, Workspace
from bot.reminders.planning import person_zone
from bot.reminders.policy import PolicyBook, load_policy_book

# Audit entries older than this when the feed first sees them are not posted (after downtime, say).
FEED_HORIZON = timedelta(hours=1)
INTAKE_BATCH = 500
AUDIT = cast(Table, AuditEntry.__table__)
INTAKE = cast(Table, FeedIntake.__table__)
ITEMS = cast(Table, FeedItem.__table__)
CHANNEL = "channel"
DM = "dm"


def take_new_entries(
    session: Session, now: datetime, *, defaults: ReminderPolicy, limit: int = INTAKE_BATCH
) -> int:
    """Take the audit entries no process has taken yet and plan their feed items.

    Args:
        session: A fresh transaction (the caller commits at once).
        now: The current instant.
        defaults: The settings' reminder policy (its quiet hours defer personal notifications).
        limit: At most this many entries.

    Returns:
        How many entries were taken.
    """
    candidates = (
        select(AUDIT.c.id, AUDIT.c.at)
        .where(
            AUDIT.c.at >= now - FEED_HORIZON,
            AUDIT.c.entity.in_(FEED_ENTITIES),
            ~exists().where(INTAKE.c.audit_entry_id == AUDIT.c.id),
        )
        .order_by(AUDIT.c.id)
        .limit(limit)
    )
    upsert = upsert_insert(session, INTAKE)
    taken = list(
        session.scalars(
            upsert.from_select(["audit_entry_id", "at"], candidates)
            .on_conflict_do_nothing(index_elements=["audit_entry_id"])
            .returning(INTAKE.c.audit_entry_id)
        )
    )
    if not taken:
        return 0
    entries = session.scalars(select(AuditEntry).where(AuditEntry.id.in_(taken)).order_by(AuditEntry.id))
    planner = _Planner(session, defaults, now)
    rows = [row for entry in entries for row in planner.items(entry)]
    if rows:
        insert_ignoring_conflicts(session, ITEMS, rows, index_elements=["key"])
    return len(taken)


def purge_intake(session: Session, now: datetime) -> None:
    """Forget markers of entries too old to be taken again (the window has passed them)."""
    old = select(INTAKE.c.audit_entry_id).where(INTAKE.c.at < now - 2 * FEED_HORIZON)
    if session.get_bind().dialect.name == "postgresql":
        old = old.with_for_update(skip_locked=True)  # never wait on (or deadlock with) another tick
    session.execute(INTAKE.delete().where(INTAKE.c.audit_entry_id.in_(old.scalar_subquery())))


class _Planner:
    """Plans the items of a batch of entries, reading each workspace's policy once."""

    def __init__(self, session: Session, defaults: ReminderPolicy, now: datetime) -> None:
        self.session = session
        self.defaults = defaults
        self.now = now
        self.books: dict[int, PolicyBook] = {}

    def items(self, entry: AuditEntry) -> list[dict[str, Any]]:
        change = read_change(self.session, entry)
        if change is None:
            return []
        workspace = self.session.get(Workspace, change.workspace_id)
        project = self.session.get(Project, change.project_id)
        if workspace is None or project is None or not workspace.connected:
            return []
        rows = [
            self._row(change, channel, CHANNEL, change.at, channel_id=channel)
            for channel, kinds in channel_targets(self.session, project).items()
            if kinds & change.kinds
        ]
        recipients = personal_recipients(self.session, change)
        silent = opted_out(self.session, recipients)
        for person_id in recipients:
            person = self.session.get(Person, person_id)
            if person is None or person_id in silent or not may_see(project, person_id):
                continue
            rows.append(
                self._row(
                    change,
                    f"u{person_id}",
                    DM,
                    self._quiet_end(workspace, project, person, change.at),
                    recipient_id=person_id,
                )
            )
        return rows

    def _quiet_end(self, workspace: Workspace, project: Project, person: Person, at: datetime) -> datetime:
        """`at`, or the end of the recipient's quiet hours (the project's policy) if it falls in them."""
        book = self.books.get(workspace.id)
        if book is None:
            book = self.books[workspace.id] = load_policy_book(self.session, workspace.id, self.defaults)
        # Quiet hours only: a change on a Saturday is told on Saturday (outside quiet hours).
        policy = dataclasses.replace(book.for_project(project.id), skip_weekends=False)
        return next_allowed(at, zone_named(person_zone(person, workspace.timezone)), policy)

    def _row(
        self,
        change: Change,
        target_key: str,
        target: str,
        not_before: datetime,
        *,
        channel_id: str | None = None,
        recipient_id: int | None = None,
    ) -> dict[str, Any]:
        return dict(
            workspace_id=change.workspace_id,
            key=f"feed:a{change.entry_id}:{target_key}",
            project_id=change.project_id,
            audit_entry_id=change.entry_id,
            target=target,
            channel_id=channel_id,
            recipient_id=recipient_id,
            at=change.at,
            not_before=not_before,
            status=DeliveryStatus.PLANNED,
            attempts=0,
            uncertain=False,
            found_in_history=False,
            created_at=self.now,
            updated_at=self.now,
        )
