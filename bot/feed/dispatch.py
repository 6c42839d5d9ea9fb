"""One feed tick: take new audit entries, claim due items, post them, settle every claim.

1. In one transaction: expire what is too late, take the audit entries no process has taken yet and plan
   their items (`bot.feed.intake`), and forget old intake markers and settled items.
2. Claim due items (one statement, committed at once; `bot.feed.claims`), compose them as they read now
   (`bot.feed.content`), and group them into posts: one per channel and project, one DM per person.
3. Send each post through the `FeedSender` (no transaction is open meanwhile), then settle its items,
   fenced by the claim token. Repeat until nothing is due.

Exactly once, as for reminders (docs/reminders.md, "Ambiguous resends"): each post carries its items'
keys in message metadata. An item whose earlier attempt went unanswered (a timeout, or a claimer that
died) is looked for in the conversation by its key first: found, it is settled as sent; not found, it is
posted again only once a lookup made at least `LIAISON_REMINDER_LANDING_SECONDS` after the unanswered
attempt proves it absent (`bot.reminders.reconciliation.next_lookup_at` times the lookups).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.domain.reminders import retry_delay
from bot.feed.claims import (
    FEED_RETRY_WINDOW,
    FeedClaim,
    FeedOutcome,
    claim_due,
    expire_stale,
    extend_leases,
    purge_settled,
    record_outcomes,
)
from bot.feed.content import NOT_INSTALLED, ComposedItem, compose, plan_posts, post_of
from bot.feed.intake import purge_intake, take_new_entries
from bot.feed.sending import FeedSender
from bot.models import DeliveryStatus
from bot.reminders.dispatch import default_claimer
from bot.reminders.reconciliation import RECONCILE_MARGIN, next_lookup_at
from bot.reminders.sending import (
    AmbiguousDeliveryError,
    HistoryUnavailableError,
    NotInstalledError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from bot.settings import Settings

logger = logging.getLogger(__name__)

CLAIM_BATCH = 200
MAX_ROUNDS = 20


@dataclass
class FeedReport:
    """What one feed tick did (for logs and tests)."""

    taken: int = 0
    claimed: int = 0
    posts: int = 0
    sent: int = 0
    found: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    lost: int = 0


def run_feed(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    sender: FeedSender,
    now: Callable[[], datetime],
    claimer: str | None = None,
    batching: bool = True,
    batch_size: int = CLAIM_BATCH,
) -> FeedReport:
    """Post every due feed item once, in as few posts as its targets allow.

    Args:
        session_factory: Sessions on the shared database.
        settings: Batch window, lease, landing window, reminder defaults (quiet hours).
        sender: Posts and finds feed messages (`bot.slack.feed_blocks.SlackFeedSender`).
        now: The clock (`services.clock.now`, or a fixed instant in tests).
        claimer: Recorded on claims; host:pid:thread by default.
        batching: Hold a channel's further changes of a project for the batch window after a post
            (off for a one-shot run, such as `liaison say`, after which nothing would post them).
        batch_size: Items claimed at a time.

    Returns:
        Counts of what happened.
    """
    report = FeedReport()
    with session_factory.begin() as session:
        at = now()
        report.failed += expire_stale(session, at)
        report.taken = take_new_entries(session, at, defaults=settings.reminder_policy)
        purge_intake(session, at)
        purge_settled(session, at)
    tick = _Tick(
        session_factory, settings, sender, now, claimer or default_claimer(), report, batching, batch_size
    )
    for _ in range(MAX_ROUNDS):
        if not tick.round():
            break
    if report.claimed:
        logger.info(
            "feed tick: %d entries taken, %d items claimed, %d posts, %d sent (%d found already posted), "
            "%d to retry, %d failed, %d cancelled, %d lost to another claimer",
            report.taken,
            report.claimed,
            report.posts,
            report.sent,
            report.found,
            report.retried,
            report.failed,
            report.cancelled,
            report.lost,
        )
    return report


class _Tick:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        sender: FeedSender,
        now: Callable[[], datetime],
        claimer: str,
        report: FeedReport,
        batching: bool,
        batch_size: int,
    ) -> None:
        self.session_factory = session_factory
        self.sender = sender
        self.now = now
        self.claimer = claimer
        self.report = report
        self.lease = timedelta(seconds=settings.reminder_lease_seconds)
        self.landing = timedelta(seconds=settings.reminder_landing_seconds)
        self.window = timedelta(seconds=settings.feed_batch_seconds) if batching else None
        self.batch_size = batch_size

    def round(self) -> bool:
        """Claim, compose, send and settle one batch; False when nothing was due."""
        with self.session_factory.begin() as session:
            claims = claim_due(
                session,
                self.now(),
                limit=self.batch_size,
                lease=self.lease,
                claimer=self.claimer,
                batch_window=self.window,
            )
        if not claims:
            return False
        self.report.claimed += len(claims)
        token = claims[0].token
        with self.session_factory() as session:
            composed = compose(session, claims)
        outcomes = [
            FeedOutcome(item.claim.id, DeliveryStatus.CANCELLED, error=item.cancel_reason)
            for item in composed
            if item.cancel_reason is not None
        ]
        last_beat = time.monotonic()
        for items in plan_posts(composed):
            outcomes += self._deliver(items)
            if time.monotonic() - last_beat >= self.lease.total_seconds() / 3:
                # Slow posts (paced channels, Retry-After) keep their claims while the tick works.
                with self.session_factory.begin() as session:
                    extend_leases(session, token, self.now() + self.lease)
                last_beat = time.monotonic()
        with self.session_factory.begin() as session:
            lost = set(record_outcomes(session, token, outcomes, self.now()))
        for item_id in lost:
            logger.warning("ambiguous: lost the claim on feed item %s while sending it", item_id)
        self.report.lost += len(lost)
        for outcome in outcomes:
            if outcome.item_id not in lost:
                self._count(outcome)
        return True

    def _count(self, outcome: FeedOutcome) -> None:
        if outcome.status == DeliveryStatus.SENT:
            self.report.sent += 1
            self.report.found += outcome.found
        elif outcome.status == DeliveryStatus.PLANNED:
            self.report.retried += 1
        elif outcome.status == DeliveryStatus.FAILED:
            self.report.failed += 1
        elif outcome.status == DeliveryStatus.CANCELLED:
            self.report.cancelled += 1

    def _deliver(self, items: Sequence[ComposedItem]) -> list[FeedOutcome]:
        """Post one group of items (those whose earlier attempt may have posted are looked for first)."""
        settled: list[FeedOutcome] = []
        to_post: list[ComposedItem] = []
        for item in items:
            if not item.claim.uncertain:
                to_post.append(item)
                continue
            try:
                looked = self._look(item)
            except Exception as error:  # sorted by `_unsent`
                settled += self._unsent([item], error)
                continue
            if looked is None:
                to_post.append(item)
            else:
                settled.append(looked)
        if not to_post:
            return settled
        try:
            posted = self.sender.send_feed(post_of(to_post))
        except Exception as error:  # sorted by `_unsent`
            return settled + self._unsent(to_post, error)
        self.report.posts += 1
        return settled + [
            FeedOutcome(item.claim.id, DeliveryStatus.SENT, ts=posted.ts, slack_channel=posted.channel)
            for item in to_post
        ]

    def _look(self, item: ComposedItem) -> FeedOutcome | None:
        """Look for an uncertain item's earlier post: an outcome if that settles it for now, else None
        (post it: proven absent, or the history cannot be read once the landing window is over)."""
        claim = item.claim
        unanswered_at = claim.ambiguous_at or claim.first_attempt_at
        at = self.now()
        deciding = at >= unanswered_at + self.landing
        try:
            found = self.sender.find_feed(
                item.target,
                key=claim.key,
                since=claim.first_attempt_at - RECONCILE_MARGIN,
                team_id=item.team_id,
            )
        except HistoryUnavailableError as error:
            if deciding:
                logger.warning(
                    "ambiguous resend of feed item %s (%s): cannot read the conversation's history (%s)",
                    claim.id,
                    claim.key,
                    error.error,
                )
                return None
            return self._wait(claim, unanswered_at + self.landing, "history unreadable")
        except AmbiguousDeliveryError as error:
            raise TransientDeliveryError(f"history lookup unanswered: {error.error}") from error
        if found is not None:
            return FeedOutcome(
                claim.id, DeliveryStatus.SENT, ts=found.ts, slack_channel=found.channel, found=True
            )
        if deciding:
            return None
        return self._wait(
            claim, next_lookup_at(unanswered_at, at, self.landing, jitter=random.random()), "not found yet"
        )

    def _wait(self, claim: FeedClaim, until: datetime, why: str) -> FeedOutcome:
        if self.now() - claim.first_attempt_at >= FEED_RETRY_WINDOW:
            return FeedOutcome(claim.id, DeliveryStatus.FAILED, error=f"unanswered post {why}")
        return FeedOutcome(claim.id, DeliveryStatus.PLANNED, error=f"unanswered post {why}", not_before=until)

    def _unsent(self, items: Sequence[ComposedItem], error: Exception) -> list[FeedOutcome]:
        """Outcomes of items a post (or a lookup) failed for; called while handling `error`."""
        jitter = random.random()
        at = self.now()
        outcomes = []
        for item in items:
            claim = item.claim
            if isinstance(error, NotInstalledError):
                outcomes.append(FeedOutcome(claim.id, DeliveryStatus.CANCELLED, error=NOT_INSTALLED))
            elif isinstance(error, PermanentDeliveryError):
                logger.warning("feed item %s (%s) failed for good: %s", claim.id, claim.key, error.error)
                outcomes.append(FeedOutcome(claim.id, DeliveryStatus.FAILED, error=error.error))
            elif at - claim.first_attempt_at >= FEED_RETRY_WINDOW:
                outcomes.append(FeedOutcome(claim.id, DeliveryStatus.FAILED, error=str(error)))
            elif isinstance(error, AmbiguousDeliveryError):
                logger.warning(
                    "ambiguous: no answer from Slack for feed item %s (%s): %s; looked for before any resend",
                    claim.id,
                    claim.key,
                    error.error,
                )
                outcomes.append(
                    FeedOutcome(
                        claim.id,
                        DeliveryStatus.PLANNED,
                        error=error.error,
                        not_before=next_lookup_at(at, at, self.landing, jitter=jitter),
                        ambiguous=True,
                        unanswered_at=at,
                    )
                )
            elif isinstance(error, TransientDeliveryError):
                delay = retry_delay(claim.attempts, jitter=jitter, base=timedelta(seconds=15))
                if error.retry_after:
                    delay = max(delay, timedelta(seconds=error.retry_after))
                outcomes.append(
                    FeedOutcome(claim.id, DeliveryStatus.PLANNED, error=error.error, not_before=at + delay)
                )
            else:  # a bug in composing or rendering must not cost the other posts
                logger.exception("feed item %s failed unexpectedly", claim.id)
                outcomes.append(
                    FeedOutcome(
                        claim.id,
                        DeliveryStatus.PLANNED,
                        error=f"internal error: {type(error).__name__}",
                        not_before=at + retry_delay(claim.attempts, jitter=jitter),
                    )
                )
        return outcomes
