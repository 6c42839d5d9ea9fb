"""Claiming due deliveries for a tick, keeping the claims alive, and expiring what is too late.

Two rules keep delivery exactly-once:

- A row is claimed by one atomic statement that sets a fresh claim token and a lease. On PostgreSQL
  the candidates are picked with `FOR UPDATE SKIP LOCKED`, so any number of processes can claim at
  once without waiting on or taking each other's rows; SQLite serialises writers itself, so the same
  single UPDATE is atomic there too.
- A row is settled only by the holder of its claim token while it is still claimed
  (`bot.reminders.outcomes`). A claimer whose lease ran out (crash, stall) loses the row to the next
  claimer, which first looks in Slack for the message the lost attempt may have posted (`uncertain`),
  and posts only once that message is proven absent (`bot.reminders.reconciliation`).

Every function takes the caller's `session` (the caller commits) and `now`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session

from bot.domain.reminders import RECURRING_KINDS, DeliveryKind
from bot.models import DeliveryStatus
from bot.reminders.delivery_table import CLAIMED, PLANNED, claim_assignments
from bot.reminders.delivery_table import DELIVERIES as D

_NEWER = D.alias("newer")


@dataclass(frozen=True)
class Claim:
    """A delivery this process holds (until `lease_expires_at`) and must send or settle."""

    id: int
    token: str
    key: str
    kind: DeliveryKind
    workspace_id: int
    milestone_id: int | None
    project_id: int | None
    recipient_id: int | None
    channel_id: str | None
    occurrence: str
    send_at: datetime
    basis_due_at: datetime | None
    attempts: int
    uncertain: bool
    first_attempt_at: datetime
    slack_channel: str | None
    ambiguous_at: datetime | None = None


def expire_stale(session: Session, now: datetime, *, grace: timedelta, retry_window: timedelta) -> list[int]:
    """Settle rows that must not be sent any more; runs before each claim.

    - Never-attempted rows more than `grace` past their send time are expired (after downtime).
    - Planned occurrences of a recurring digest with a newer occurrence already due are expired:
      after downtime only the latest digest is sent.
    - Rows still failing `retry_window` after their first attempt become failed.

    Returns:
        The ids of rows that became failed (their project leads get a report).
    """
    expired_late = _unlocked(session, D.c.status == PLANNED, D.c.attempts == 0, D.c.send_at < now - grace)
    session.execute(
        update(D)
        .where(D.c.id.in_(expired_late), D.c.status == PLANNED)
        .values(
            status=DeliveryStatus.EXPIRED, last_error="missed by more than the grace window", updated_at=now
        )
    )
    superseded = _unlocked(
        session,
        D.c.status == PLANNED,
        D.c.kind.in_(list(RECURRING_KINDS)),
        exists().where(
            _NEWER.c.series == D.c.series, _NEWER.c.send_at > D.c.send_at, _NEWER.c.send_at <= now
        ),
    )
    session.execute(
        update(D)
        .where(D.c.id.in_(superseded), D.c.status == PLANNED)
        .values(status=DeliveryStatus.EXPIRED, last_error="superseded by a later occurrence", updated_at=now)
    )
    given_up = _unlocked(
        session,
        or_(D.c.status == PLANNED, and_(D.c.status == CLAIMED, D.c.lease_expires_at < now)),
        D.c.attempts > 0,
        D.c.first_attempt_at < now - retry_window,
    )
    failed = session.execute(
        update(D)
        .where(D.c.id.in_(given_up))
        .values(status=DeliveryStatus.FAILED, updated_at=now, claim_token=None)
        .returning(D.c.id)
    )
    return [int(i) for i in failed.scalars()]


def _unlocked(session: Session, *criteria: Any) -> Any:
    """Ids matching `criteria`, skipping rows another transaction holds (PostgreSQL).

    Housekeeping runs in every process at every tick; skipping locked rows means it never waits on
    (or deadlocks with) a claimer or a replanning request; what it skips, the next tick settles.
    """
    query = select(D.c.id).where(*criteria)
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
    grace: timedelta,
    recipients: Collection[int] | None = None,
) -> list[Claim]:
    """Claim up to `limit` due deliveries for this process, atomically.

    Due means planned with `not_before` reached (and, for a first attempt, within the grace window),
    or claimed by someone whose lease has run out. The claim sets a fresh token, the lease, counts the
    attempt, and marks a row taken over from an expired lease as `uncertain` (its earlier attempt may
    have posted), with that lease's expiry as its `ambiguous_at`: the dead claimer posted, if at all,
    before then. Commit right after: the claim is what other processes see.

    Args:
        session: A fresh transaction.
        now: The current instant.
        limit: At most this many rows.
        lease: How long the claim holds without being extended.
        claimer: Who claims, for the record (host:pid).
        grace: Missed first attempts older than this are not claimed (`expire_stale` expires them).
        recipients: Only deliveries to these people (the tick claims what else is due for the people
            of a full batch, so that each gets one DM: `bot.reminders.combining`).

    Returns:
        The claimed deliveries, oldest first.
    """
    token = uuid4().hex
    due = (
        select(D.c.id)
        .where(
            or_(
                and_(
                    D.c.status == PLANNED,
                    D.c.not_before <= now,
                    or_(D.c.attempts > 0, D.c.send_at >= now - grace),
                ),
                and_(D.c.status == CLAIMED, D.c.lease_expires_at < now),
            )
        )
        .order_by(D.c.not_before)
        .limit(limit)
    )
    if recipients is not None:
        due = due.where(D.c.recipient_id.in_(list(recipients)))
    if session.get_bind().dialect.name == "postgresql":
        # SKIP LOCKED: concurrent claimers take disjoint rows instead of queueing on each other.
        due = due.with_for_update(skip_locked=True)
    picked = due.cte("due")
    result = session.execute(
        update(D)
        .where(D.c.id.in_(select(picked.c.id)))
        .values(claim_assignments(D, token=token, claimer=claimer, now=now, lease=lease))
        .returning(
            D.c.id,
            D.c.key,
            D.c.kind,
            D.c.workspace_id,
            D.c.milestone_id,
            D.c.project_id,
            D.c.recipient_id,
            D.c.channel_id,
            D.c.occurrence,
            D.c.send_at,
            D.c.basis_due_at,
            D.c.attempts,
            D.c.uncertain,
            D.c.first_attempt_at,
            D.c.slack_channel,
            D.c.ambiguous_at,
        )
    )
    claims = [
        Claim(
            id=row.id,
            token=token,
            key=row.key,
            kind=DeliveryKind(row.kind),
            workspace_id=row.workspace_id,
            milestone_id=row.milestone_id,
            project_id=row.project_id,
            recipient_id=row.recipient_id,
            channel_id=row.channel_id,
            occurrence=row.occurrence,
            send_at=row.send_at,
            basis_due_at=row.basis_due_at,
            attempts=row.attempts,
            uncertain=bool(row.uncertain),
            first_attempt_at=row.first_attempt_at,
            slack_channel=row.slack_channel,
            ambiguous_at=row.ambiguous_at,
        )
        for row in result
    ]
    claims.sort(key=lambda c: (c.send_at, c.id))
    return claims


def extend_leases(session: Session, token: str, until: datetime) -> int:
    """Extend the lease of the rows a claim still holds (called while a long batch is sending).

    Returns:
        How many rows are still held.
    """
    result = session.execute(
        update(D).where(D.c.claim_token == token, D.c.status == CLAIMED).values(lease_expires_at=until)
    )
    return int(getattr(result, "rowcount", 0) or 0)
