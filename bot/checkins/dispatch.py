"""The check-in tick: plan, ask who is due, post the summaries whose cut-off has come; each exactly once.

The ledger follows the reminders' rules (bot/reminders/claims.py, docs/reminders.md):

- a claim is one UPDATE that sets a fresh token and a lease on rows picked `FOR UPDATE SKIP LOCKED` on
  PostgreSQL (SQLite serialises writers), so concurrent ticks, in one process or many, take disjoint
  rows; a row is settled only by the holder of its token;
- each message carries its key in the message metadata; a row whose earlier attempt may have posted (a
  timeout, or a claimer whose lease expired) is looked for by that key first, and posted again only when
  a lookup made `LIAISON_REMINDER_LANDING_SECONDS` after the unanswered attempt does not find it. When
  the history cannot be read the row fails instead: a missed question is better than a repeated one.

Questions are asked only before their round's cut-off; those that could not be (downtime, failures)
expire then. A summary not posted within `SUMMARY_GRACE` of its cut-off expires too.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import uuid4

from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.content import (
    CheckinQuestion,
    CheckinSummary,
    Composed,
    compose_question,
    compose_summary,
)
from bot.checkins.planning import plan_checkins
from bot.checkins.sending import CheckinSender
from bot.checkins.tables import CheckinAsk, CheckinRound
from bot.domain.reminders import retry_delay
from bot.models import DeliveryStatus
from bot.reminders.delivery_table import claim_assignments
from bot.reminders.dispatch import default_claimer
from bot.reminders.reconciliation import RECONCILE_MARGIN
from bot.reminders.sending import (
    AmbiguousDeliveryError,
    DeliveryError,
    HistoryUnavailableError,
    NotInstalledError,
    PermanentDeliveryError,
    PostedMessage,
    TransientDeliveryError,
)
from bot.settings import Settings

logger = logging.getLogger(__name__)

ASKS = cast(Table, CheckinAsk.__table__)
ROUNDS = cast(Table, CheckinRound.__table__)
PLANNED = DeliveryStatus.PLANNED
CLAIMED = DeliveryStatus.CLAIMED
SUMMARY_GRACE = timedelta(hours=6)
CLAIM_BATCH = 100
MAX_ROUNDS = 20


@dataclass
class CheckinReport:
    """What one tick did (for logs and tests)."""

    planned: int = 0
    asked: int = 0
    summaries: int = 0
    found: int = 0
    retried: int = 0
    cancelled: int = 0
    failed: int = 0
    expired: int = 0
    lost: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Claim:
    id: int
    token: str
    attempts: int
    uncertain: bool
    first_attempt_at: datetime
    ambiguous_at: datetime | None


@dataclass(frozen=True)
class _Outcome:
    status: DeliveryStatus
    posted: PostedMessage | None = None
    error: str | None = None
    not_before: datetime | None = None
    ambiguous: bool = False
    found: bool = False


def run_checkins(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    sender: CheckinSender,
    now: Callable[[], datetime],
    claimer: str | None = None,
) -> CheckinReport:
    """Plan this week's check-ins, ask everyone due, post every summary due; each message once.

    Args:
        session_factory: Sessions on the shared database.
        settings: Lease, landing window and the reminder policy (quiet hours).
        sender: Posts and finds check-in messages (`bot.slack.checkin_blocks.SlackCheckinSender`).
        now: The clock (`services.clock.now`, or a fixed instant in tests).
        claimer: Recorded on claims; host:pid:thread by default.

    Returns:
        Counts of what happened.
    """
    report = CheckinReport()
    with session_factory.begin() as session:
        at = now()
        report.expired = _expire(session, at)
        report.planned = plan_checkins(session, at, defaults=settings.reminder_policy)
    tick = _Tick(session_factory, settings, sender, now, claimer or default_claimer(), report)
    for table in (ASKS, ROUNDS):
        for _ in range(MAX_ROUNDS):
            if not tick.round(table):
                break
    if report.asked or report.summaries or report.failed:
        logger.info(
            "check-in tick: %d planned, %d asked, %d summaries, %d found posted, %d to retry, %d cancelled, "
            "%d failed, %d expired, %d lost",
            report.planned,
            report.asked,
            report.summaries,
            report.found,
            report.retried,
            report.cancelled,
            report.failed,
            report.expired,
            report.lost,
        )
    return report


def _expire(session: Session, now: datetime) -> int:
    """Settle questions whose round closed before they were asked, and summaries long overdue."""
    closed = select(ROUNDS.c.id).where(ROUNDS.c.cutoff_at <= now)
    unasked = session.execute(
        update(ASKS)
        .where(
            ASKS.c.round_id.in_(closed),
            or_(
                ASKS.c.status == PLANNED,
                and_(ASKS.c.status == CLAIMED, ASKS.c.lease_expires_at < now),
            ),
        )
        .values(
            status=DeliveryStatus.EXPIRED,
            claim_token=None,
            last_error="not asked before the cut-off",
            updated_at=now,
        )
    )
    late = session.execute(
        update(ROUNDS)
        .where(
            ROUNDS.c.cutoff_at < now - SUMMARY_GRACE,
            or_(
                ROUNDS.c.status == PLANNED,
                and_(ROUNDS.c.status == CLAIMED, ROUNDS.c.lease_expires_at < now),
            ),
        )
        .values(
            status=DeliveryStatus.EXPIRED,
            claim_token=None,
            last_error="summary not posted in time",
            updated_at=now,
        )
    )
    return int(getattr(unasked, "rowcount", 0) or 0) + int(getattr(late, "rowcount", 0) or 0)


def claim_due(
    session: Session, table: Table, now: datetime, *, limit: int, lease: timedelta, claimer: str
) -> list[_Claim]:
    """Claim up to `limit` due rows of the questions' or the rounds' ledger (commit right after).

    Due: planned with `not_before` reached, or claimed with an expired lease (then uncertain: the
    previous claimer may have posted). Questions only while their round is open.
    """
    token = uuid4().hex
    c = table.c
    criteria: list[Any] = [
        or_(
            and_(c.status == PLANNED, c.not_before <= now),
            and_(c.status == CLAIMED, c.lease_expires_at < now),
        )
    ]
    if table is ASKS:
        criteria.append(c.round_id.in_(select(ROUNDS.c.id).where(ROUNDS.c.cutoff_at > now)))
    due = select(c.id).where(*criteria).order_by(c.not_before, c.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    picked = due.cte("due")
    result = session.execute(
        update(table)
        .where(c.id.in_(select(picked.c.id)))
        .values(claim_assignments(table, token=token, claimer=claimer, now=now, lease=lease))
        .returning(c.id, c.attempts, c.uncertain, c.first_attempt_at, c.ambiguous_at)
    )
    claims = [
        _Claim(row.id, token, row.attempts, bool(row.uncertain), row.first_attempt_at, row.ambiguous_at)
        for row in result
    ]
    return sorted(claims, key=lambda claim: claim.id)


def _settle(session: Session, table: Table, claim: _Claim, outcome: _Outcome, now: datetime) -> bool:
    """Record an outcome if the claim still holds; False when another claimer took the row over."""
    values: dict[str, Any] = dict(
        status=outcome.status,
        claim_token=None,
        lease_expires_at=None,
        updated_at=now,
        last_error=outcome.error,
    )
    if outcome.status == DeliveryStatus.SENT and outcome.posted is not None:
        values.update(sent_at=now, slack_channel=outcome.posted.channel, slack_ts=outcome.posted.ts)
    elif outcome.status == PLANNED:
        values.update(not_before=outcome.not_before or now)
        if outcome.ambiguous:
            values.update(uncertain=True, ambiguous_at=now)
    result = session.execute(
        update(table)
        .where(table.c.id == claim.id, table.c.claim_token == claim.token, table.c.status == CLAIMED)
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


class _Tick:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        sender: CheckinSender,
        now: Callable[[], datetime],
        claimer: str,
        report: CheckinReport,
    ) -> None:
        self.session_factory = session_factory
        self.sender = sender
        self.now = now
        self.claimer = claimer
        self.report = report
        self.lease = timedelta(seconds=settings.reminder_lease_seconds)
        self.landing = timedelta(seconds=settings.reminder_landing_seconds)

    def round(self, table: Table) -> bool:
        """Claim, compose, send and settle one batch of questions or summaries; False when none was due."""
        with self.session_factory.begin() as session:
            claims = claim_due(
                session, table, self.now(), limit=CLAIM_BATCH, lease=self.lease, claimer=self.claimer
            )
        if not claims:
            return False
        for claim in claims:
            with self.session_factory() as session:
                at = self.now()
                composed = (
                    compose_question(session, claim.id, at)
                    if table is ASKS
                    else compose_summary(session, claim.id)
                )
            outcome = self._deliver(claim, composed)
            with self.session_factory.begin() as session:
                settled = _settle(session, table, claim, outcome, self.now())
            if not settled:
                logger.warning("ambiguous: lost the claim on check-in row %s while sending it", claim.id)
                self.report.lost += 1
            else:
                self._count(outcome, table, composed.cancel_reason)
        return True

    def _count(self, outcome: _Outcome, table: Table, reason: str | None) -> None:
        report = self.report
        if outcome.status == DeliveryStatus.SENT:
            report.found += outcome.found
            if table is ASKS:
                report.asked += 1
            else:
                report.summaries += 1
        elif outcome.status == PLANNED:
            report.retried += 1
        elif outcome.status == DeliveryStatus.CANCELLED:
            report.cancelled += 1
            if reason:
                report.reasons[reason] = report.reasons.get(reason, 0) + 1
        else:
            report.failed += 1

    def _deliver(self, claim: _Claim, composed: Composed) -> _Outcome:
        message = composed.message
        if message is None:
            return _Outcome(DeliveryStatus.CANCELLED, error=composed.cancel_reason)
        if claim.uncertain:
            looked = self._look(claim, message)
            if looked is not None:
                return looked
        try:
            if isinstance(message, CheckinQuestion):
                posted = self.sender.send_question(message)
            else:
                posted = self.sender.send_summary(message)
        except DeliveryError as error:
            return self._unsent(claim, error)
        return _Outcome(DeliveryStatus.SENT, posted=posted)

    def _look(self, claim: _Claim, message: CheckinQuestion | CheckinSummary) -> _Outcome | None:
        """Look for an earlier attempt's post: an outcome if that settles it for now, None to post."""
        unanswered_at = claim.ambiguous_at or claim.first_attempt_at
        at = self.now()
        try:
            found = self.sender.find_checkin(
                message.target,
                key=message.key,
                since=claim.first_attempt_at - RECONCILE_MARGIN,
                team_id=message.team_id,
            )
        except HistoryUnavailableError as error:
            # Nobody is asked twice: without the history, an earlier attempt may have been posted.
            return _Outcome(DeliveryStatus.FAILED, error=f"earlier attempt unverifiable: {error.error}")
        except DeliveryError as error:
            return _Outcome(
                PLANNED, error=f"history lookup failed: {error.error}", not_before=at + self.landing
            )
        if found is not None:
            return _Outcome(DeliveryStatus.SENT, posted=found, found=True)
        if at < unanswered_at + self.landing:
            # A slow post may still land: look again once the landing window is over.
            return _Outcome(
                PLANNED, error="unanswered post not found yet", not_before=unanswered_at + self.landing
            )
        return None

    def _unsent(self, claim: _Claim, error: DeliveryError) -> _Outcome:
        at = self.now()
        if isinstance(error, NotInstalledError):
            return _Outcome(DeliveryStatus.CANCELLED, error="not installed")
        if isinstance(error, PermanentDeliveryError):
            logger.warning("check-in row %s failed for good: %s", claim.id, error.error)
            return _Outcome(DeliveryStatus.FAILED, error=error.error)
        if isinstance(error, AmbiguousDeliveryError):
            logger.warning("ambiguous: no answer from Slack for check-in row %s: %s", claim.id, error.error)
            return _Outcome(PLANNED, error=error.error, not_before=at + self.landing, ambiguous=True)
        delay = retry_delay(claim.attempts, jitter=random.random(), base=timedelta(seconds=15))
        if isinstance(error, TransientDeliveryError) and error.retry_after:
            delay = max(delay, timedelta(seconds=error.retry_after))
        return _Outcome(PLANNED, error=error.error, not_before=at + delay)
