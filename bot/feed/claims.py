"""The feed items' ledger: expire, claim (with a lease and a claim token), extend, settle.

The rules are the reminder ledger's (bot/reminders/claims.py, docs/reminders.md):

- a claim is one atomic statement that sets a fresh token and a lease; on PostgreSQL the candidates
  are picked `FOR UPDATE SKIP LOCKED`, so concurrent feed ticks take disjoint items without waiting;
  SQLite serialises writers, so the same UPDATE is atomic there too;
- an item is settled only by the holder of its token while it is still claimed; one taken over from an
  expired lease is marked `uncertain` (its claimer may have posted) and is looked up before it is
  posted again.

Batching: a channel item's first attempt waits while a post about the same project went to the same
channel less than the batch window ago (`LIAISON_FEED_BATCH_SECONDS`); once the window is over, every
item of that project and channel that is due is claimed together and goes out as one post. So the first
change is posted at once, and what lands in the following minute goes out together at its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import uuid4

from sqlalchemy import Table, and_, exists, literal, or_, select, update
from sqlalchemy.orm import Session

from bot.models import DeliveryStatus, FeedItem
from bot.reminders.delivery_table import as_instant, claim_assignments

ITEMS = cast(Table, FeedItem.__table__)
_EARLIER = ITEMS.alias("earlier")
PLANNED = DeliveryStatus.PLANNED
CLAIMED = DeliveryStatus.CLAIMED
# Never-attempted items this late are not posted any more (after downtime); items still failing this
# long after their first attempt fail for good.
FEED_GRACE = timedelta(hours=6)
FEED_RETRY_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class FeedClaim:
    """An item this process holds until its lease expires, and must send or settle."""

    id: int
    token: str
    key: str
    workspace_id: int
    project_id: int
    audit_entry_id: int
    target: str
    channel_id: str | None
    recipient_id: int | None
    at: datetime
    attempts: int
    uncertain: bool
    first_attempt_at: datetime
    ambiguous_at: datetime | None


@dataclass(frozen=True)
class FeedOutcome:
    """How one claimed item ended this time (see `bot.reminders.outcomes.Outcome`)."""

    item_id: int
    status: DeliveryStatus
    ts: str | None = None
    slack_channel: str | None = None
    error: str | None = None
    not_before: datetime | None = None
    ambiguous: bool = False
    found: bool = False
    unanswered_at: datetime | None = None


def expire_stale(session: Session, now: datetime) -> int:
    """Expire items never attempted within `FEED_GRACE` of their time, and fail those still failing
    `FEED_RETRY_WINDOW` after their first attempt. Returns how many rows were settled.

    Rows another transaction holds are skipped (PostgreSQL), so this never waits on a claimer; the next
    tick settles them.
    """
    late = _unlocked(
        session, ITEMS.c.status == PLANNED, ITEMS.c.attempts == 0, ITEMS.c.not_before < now - FEED_GRACE
    )
    expired = session.execute(
        update(ITEMS)
        .where(ITEMS.c.id.in_(late), ITEMS.c.status == PLANNED)
        .values(
            status=DeliveryStatus.EXPIRED, last_error="missed by more than the grace window", updated_at=now
        )
    )
    given_up = _unlocked(
        session,
        or_(ITEMS.c.status == PLANNED, and_(ITEMS.c.status == CLAIMED, ITEMS.c.lease_expires_at < now)),
        ITEMS.c.attempts > 0,
        ITEMS.c.first_attempt_at < now - FEED_RETRY_WINDOW,
    )
    failed = session.execute(
        update(ITEMS)
        .where(ITEMS.c.id.in_(given_up))
        .values(status=DeliveryStatus.FAILED, claim_token=None, updated_at=now)
    )
    return int(getattr(expired, "rowcount", 0) or 0) + int(getattr(failed, "rowcount", 0) or 0)


def _unlocked(session: Session, *criteria: Any) -> Any:
    query = select(ITEMS.c.id).where(*criteria)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query.scalar_subquery()


def claim_due(
    session: Session,
    now: datetime,
    *,
    limit: int,
    lease: timedelta,
    claimer: str,
    batch_window: timedelta | None,
) -> list[FeedClaim]:
    """Claim up to `limit` due items, atomically (commit right after).

    Due: planned and `not_before` reached, or claimed with an expired lease. A channel item's first
    attempt also waits while a post of the same project to the same channel is less than
    `batch_window` old (None or zero: no batching).
    """
    token = uuid4().hex
    ready = [ITEMS.c.status == PLANNED, ITEMS.c.not_before <= now]
    if batch_window:
        recent = exists().where(
            _EARLIER.c.project_id == ITEMS.c.project_id,
            _EARLIER.c.channel_id == ITEMS.c.channel_id,
            _EARLIER.c.status.in_([CLAIMED, DeliveryStatus.SENT]),
            _EARLIER.c.first_attempt_at > now - batch_window,
        )
        ready.append(or_(ITEMS.c.attempts > 0, ITEMS.c.channel_id.is_(None), ~recent))
    due = (
        select(ITEMS.c.id)
        .where(or_(and_(*ready), and_(ITEMS.c.status == CLAIMED, ITEMS.c.lease_expires_at < now)))
        .order_by(ITEMS.c.not_before, ITEMS.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    picked = due.cte("due")
    result = session.execute(
        update(ITEMS)
        .where(ITEMS.c.id.in_(select(picked.c.id)))
        .values(claim_assignments(ITEMS, token=token, claimer=claimer, now=now, lease=lease))
        .returning(
            ITEMS.c.id,
            ITEMS.c.key,
            ITEMS.c.workspace_id,
            ITEMS.c.project_id,
            ITEMS.c.audit_entry_id,
            ITEMS.c.target,
            ITEMS.c.channel_id,
            ITEMS.c.recipient_id,
            ITEMS.c.at,
            ITEMS.c.attempts,
            ITEMS.c.uncertain,
            ITEMS.c.first_attempt_at,
            ITEMS.c.ambiguous_at,
        )
    )
    claims = [
        FeedClaim(
            id=row.id,
            token=token,
            key=row.key,
            workspace_id=row.workspace_id,
            project_id=row.project_id,
            audit_entry_id=row.audit_entry_id,
            target=row.target,
            channel_id=row.channel_id,
            recipient_id=row.recipient_id,
            at=row.at,
            attempts=row.attempts,
            uncertain=bool(row.uncertain),
            first_attempt_at=row.first_attempt_at,
            ambiguous_at=row.ambiguous_at,
        )
        for row in result
    ]
    claims.sort(key=lambda c: (c.at, c.audit_entry_id, c.id))
    return claims


def extend_leases(session: Session, token: str, until: datetime) -> None:
    """Keep the items a claim still holds (called between posts of a long tick)."""
    session.execute(
        update(ITEMS)
        .where(ITEMS.c.claim_token == token, ITEMS.c.status == CLAIMED)
        .values(lease_expires_at=until)
    )


def record_outcomes(
    session: Session, token: str, outcomes: Sequence[FeedOutcome], now: datetime
) -> list[int]:
    """Settle claimed items; only those still held by `token` change.

    Returns:
        The ids whose claim was lost meanwhile (another process took them over after the lease expired).
    """
    lost = []
    for outcome in outcomes:
        values: dict[str, Any] = dict(
            status=outcome.status, claim_token=None, lease_expires_at=None, updated_at=now
        )
        if outcome.status == DeliveryStatus.SENT:
            values.update(
                slack_ts=outcome.ts,
                slack_channel=outcome.slack_channel,
                sent_at=now,
                last_error=None,
                found_in_history=outcome.found,
            )
        elif outcome.status == PLANNED:
            values.update(
                not_before=outcome.not_before or now,
                last_error=outcome.error,
                uncertain=or_(ITEMS.c.uncertain, literal(outcome.ambiguous)),
                ambiguous_at=as_instant(outcome.unanswered_at)
                if outcome.unanswered_at
                else ITEMS.c.ambiguous_at,
            )
        else:
            values.update(last_error=outcome.error)
        result = session.execute(
            update(ITEMS)
            .where(ITEMS.c.id == outcome.item_id, ITEMS.c.claim_token == token, ITEMS.c.status == CLAIMED)
            .values(**values)
        )
        if not getattr(result, "rowcount", 0):
            lost.append(outcome.item_id)
    return lost


def purge_settled(session: Session, now: datetime, *, keep: timedelta = timedelta(days=30)) -> None:
    """Delete items settled more than `keep` ago (the record of where each change was posted); rows
    another transaction holds are left for a later tick."""
    settled = [DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.EXPIRED, DeliveryStatus.CANCELLED]
    old = _unlocked(session, ITEMS.c.status.in_(settled), ITEMS.c.updated_at < now - keep)
    session.execute(ITEMS.delete().where(ITEMS.c.id.in_(old)))
