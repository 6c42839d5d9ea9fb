"""One reminder tick: expire what is too late, claim what is due, send it, settle every claim.

The tick never holds a database transaction while talking to Slack:

1. expire stale rows and report deliveries that failed for good (one transaction);
2. claim a batch (one statement, committed at once, so other processes see it; a full batch also
   claims the other due DMs of its people);
3. compose the messages (a read session), cancelling those whose milestone changed, and group them
   into posts: one DM per person (`bot.reminders.combining`), one post per channel delivery;
4. send them from a small thread pool, round-robin over channels so per-channel pacing never starves
   other channels, while the main thread extends the batch's lease and writes outcomes every
   half second (so a crash loses little and a restart redoes even less).

Exactly-once, per row even when one post settles several: a claim is settled only by its token holder
(every row of a combined post is marked by that post); a row taken over from an expired lease, or
after an unanswered attempt, is looked for in Slack (by the delivery key in message metadata) and posted
again only once a lookup made after the attempt can no longer land proves it absent
(`bot.reminders.reconciliation`); until then it waits. Only when the history cannot be read is a resend
made blind (after the same wait), and then it is logged as ambiguous.

The tick reaches Slack only through a `bot.reminders.sending.Sender` (in production
`bot.slack.notifier.SlackNotifier`): it hands over composed content and reads back sorted errors.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.domain.reminders import retry_delay
from bot.models import DeliveryStatus
from bot.reminders.claims import Claim, claim_due, expire_stale, extend_leases
from bot.reminders.combining import DM_KINDS, Post, combined_content, plan_posts
from bot.reminders.content import Composed, compose
from bot.reminders.outcomes import Outcome, plan_failure_reports, record_outcomes
from bot.reminders.reconciliation import Reconciliation, Verdict, next_lookup_at, reconcile
from bot.reminders.sending import (
    AmbiguousDeliveryError,
    NotInstalledError,
    PermanentDeliveryError,
    Sender,
    TransientDeliveryError,
)
from bot.settings import Settings

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5
FLUSH_SIZE = 500
NOT_INSTALLED = "Liaison is not installed in this workspace"


@dataclass
class TickReport:
    """What one tick did (for logs, tests and the benchmark)."""

    claimed: int = 0
    sent: int = 0
    reconciled: int = 0
    retried: int = 0
    ambiguous: int = 0
    failed: int = 0
    cancelled: int = 0
    lost: int = 0
    batches: int = 0

    def add(self, outcome: Outcome) -> None:
        """Count one outcome."""
        if outcome.status == DeliveryStatus.SENT:
            self.sent += 1
            self.reconciled += outcome.reconciled
        elif outcome.status == DeliveryStatus.PLANNED:
            self.retried += 1
        elif outcome.status == DeliveryStatus.FAILED:
            self.failed += 1
        elif outcome.status == DeliveryStatus.CANCELLED:
            self.cancelled += 1
        self.ambiguous += outcome.ambiguous


def default_claimer() -> str:
    """host:pid:thread, recorded on claimed rows (`claimed_by`, 80 characters).

    The host name is cut to 48 characters: Linux allows 64, and with a pid and a 64-bit thread id the
    whole would not fit the column, which PostgreSQL enforces.
    """
    return f"{socket.gethostname()[:48]}:{os.getpid()}:{threading.get_ident()}"


def run_tick(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    sender: Sender,
    now: Callable[[], datetime],
    claimer: str | None = None,
    max_batches: int | None = None,
) -> TickReport:
    """Send every due reminder (claimed in batches of `settings.reminder_batch_size`), settle each claim.

    Batches overlap: when fewer than half a batch is still waiting to be sent, the next batch is
    claimed and composed while the thread pool keeps posting, so Slack never waits on the database.

    Args:
        session_factory: Sessions on the shared database.
        settings: Batch size, lease, grace and retry windows, thread pool size.
        sender: Delivers the composed reminders (`bot.slack.notifier.SlackNotifier` posts to Slack).
        now: The clock (`services.clock.now`, or a fixed instant in tests).
        claimer: Recorded on claims; host:pid:thread by default.
        max_batches: Stop claiming after this many batches (None: until nothing is due).

    Returns:
        Counts of what happened.
    """
    report = TickReport()
    grace = timedelta(hours=settings.reminder_grace_hours)
    with session_factory.begin() as session:
        failed = expire_stale(
            session, now(), grace=grace, retry_window=timedelta(hours=settings.reminder_retry_hours)
        )
        plan_failure_reports(session, failed, now())
    report.failed += len(failed)
    with ThreadPoolExecutor(max_workers=settings.reminder_workers, thread_name_prefix="reminder") as pool:
        _Tick(session_factory, settings, sender, now, claimer or default_claimer(), report).run(
            pool, max_batches
        )
    if report.claimed:
        logger.info(
            "reminder tick: %d claimed, %d sent (%d found already posted), %d to retry, %d failed, "
            "%d cancelled, %d ambiguous, %d lost to another claimer",
            report.claimed,
            report.sent,
            report.reconciled,
            report.retried,
            report.failed,
            report.cancelled,
            report.ambiguous,
            report.lost,
        )
    return report


class _Tick:
    """Claims, sends and settles; the main thread owns every database write, workers only post."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        sender: Sender,
        now: Callable[[], datetime],
        claimer: str,
        report: TickReport,
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self.sender = sender
        self.now = now
        self.claimer = claimer
        self.report = report
        self.grace = timedelta(hours=settings.reminder_grace_hours)
        self.lease = timedelta(seconds=settings.reminder_lease_seconds)
        self.retry_window = timedelta(hours=settings.reminder_retry_hours)
        self.landing = timedelta(seconds=settings.reminder_landing_seconds)

    def run(self, pool: ThreadPoolExecutor, max_batches: int | None) -> None:
        # Workers hand outcomes back through a queue: waiting on a thousand futures at once would cost
        # the main thread (and, through the GIL, the senders) time for every single completion.
        done: queue.SimpleQueue[tuple[str, Outcome]] = queue.SimpleQueue()
        in_flight: Counter[str] = Counter()
        results: list[tuple[str, Outcome]] = []
        low_water = max(self.settings.reminder_batch_size // 2, 1)
        exhausted = False
        last_flush = last_beat = time.monotonic()
        while True:
            may_claim = max_batches is None or self.report.batches < max_batches
            if not exhausted and may_claim and in_flight.total() < low_water:
                composed = self._claim()
                if composed is None:
                    exhausted = True
                else:
                    results += [
                        (
                            item.claim.token,
                            Outcome(item.claim.id, DeliveryStatus.CANCELLED, error=item.cancel_reason),
                        )
                        for item in composed
                        if item.content is None
                    ]
                    for post in _round_robin(plan_posts(composed)):
                        for item in post.items:
                            in_flight[item.claim.token] += 1
                        pool.submit(self._deliver_to, done, post)
                    continue
            if not in_flight.total():
                # Failure reports planned while settling are due at once: claim again for them.
                if self._flush(results):
                    results, exhausted = [], False
                    continue
                break
            finished: list[tuple[str, Outcome]] = []
            try:
                finished.append(done.get(timeout=FLUSH_SECONDS / 2))
                while True:
                    finished.append(done.get_nowait())
            except queue.Empty:
                pass
            for token, _outcome in finished:
                in_flight[token] -= 1
            results += finished
            in_flight = +in_flight  # drop tokens with nothing left in flight
            clock = time.monotonic()
            if len(results) >= FLUSH_SIZE or (results and clock - last_flush >= FLUSH_SECONDS):
                if self._flush(results):
                    exhausted = False
                results, last_flush = [], clock
            if in_flight and clock - last_beat >= self.lease.total_seconds() / 3:
                # Long sends (paced channels, Retry-After) keep their claims while still working.
                with self.session_factory.begin() as session:
                    for token in in_flight:
                        extend_leases(session, token, self.now() + self.lease)
                last_beat = clock

    def _deliver_to(self, done: queue.SimpleQueue[tuple[str, Outcome]], post: Post) -> None:
        for settled in self._deliver(post):
            done.put(settled)

    def _claim(self) -> list[Composed] | None:
        limit = self.settings.reminder_batch_size
        with self.session_factory.begin() as session:
            claims = claim_due(
                session, self.now(), limit=limit, lease=self.lease, claimer=self.claimer, grace=self.grace
            )
            people = {c.recipient_id for c in claims if c.recipient_id is not None and c.kind in DM_KINDS}
            if len(claims) >= limit and people:
                # A full batch may have left out more of its people's due DMs: take them too, so that
                # each person gets one message this tick (`bot.reminders.combining`).
                claims += claim_due(
                    session,
                    self.now(),
                    limit=limit,
                    lease=self.lease,
                    claimer=self.claimer,
                    grace=self.grace,
                    recipients=people,
                )
        if not claims:
            return None
        self.report.batches += 1
        self.report.claimed += len(claims)
        with self.session_factory() as session:
            return compose(session, claims, self.now(), defaults=self.settings.reminder_policy)

    def _flush(self, results: list[tuple[str, Outcome]]) -> int:
        """Record outcomes; returns how many failure reports that planned."""
        if not results:
            return 0
        by_token: dict[str, list[Outcome]] = defaultdict(list)
        for token, outcome in results:
            by_token[token].append(outcome)
        at = self.now()
        lost: list[int] = []
        reports = 0
        with self.session_factory.begin() as session:
            for token, outcomes in by_token.items():
                lost_here = record_outcomes(session, token, outcomes, at)
                lost += lost_here
                failed = [
                    o.delivery_id
                    for o in outcomes
                    if o.status == DeliveryStatus.FAILED and o.delivery_id not in lost_here
                ]
                reports += plan_failure_reports(session, failed, at)
        for delivery_id in lost:
            # Our lease ran out and another process took the row over: it looks for our message
            # before posting, but if we posted after its look, Slack has it twice.
            logger.warning("ambiguous: lost the claim on reminder delivery %s while sending it", delivery_id)
        self.report.lost += len(lost)
        lost_set = set(lost)
        for _token, outcome in results:
            if outcome.delivery_id not in lost_set:
                self.report.add(outcome)
        return reports

    def _deliver(self, post: Post) -> list[tuple[str, Outcome]]:
        """Send one post and settle each delivery in it: (claim token, outcome) per delivery.

        A delivery whose earlier attempt went unanswered is looked for first (by its own key); the rest
        (and those proven absent) go out together in one message that carries all their keys.
        """
        settled: list[tuple[str, Outcome]] = []
        to_post: list[Composed] = []
        blind: set[int] = set()
        for item in post.items:
            if not item.claim.uncertain:
                to_post.append(item)
                continue
            try:
                outcome, unreadable = self._look(item, post)
            except Exception as error:  # sorted by `_unsent`
                settled += self._unsent([item], error)
                continue
            if outcome is not None:
                settled.append((item.claim.token, outcome))
                continue
            to_post.append(item)
            if unreadable:
                blind.add(item.claim.id)
        if not to_post:
            return settled
        try:
            posted = self.sender.send_reminder(
                post.target, combined_content(to_post), key=to_post[0].claim.key, team_id=post.team_id
            )
        except Exception as error:  # sorted by `_unsent`
            return settled + self._unsent(to_post, error)
        return settled + [
            (
                item.claim.token,
                Outcome(
                    item.claim.id,
                    DeliveryStatus.SENT,
                    ts=posted.ts,
                    slack_channel=posted.channel,
                    ambiguous=item.claim.id in blind,
                ),
            )
            for item in to_post
        ]

    def _unsent(self, items: Sequence[Composed], error: Exception) -> list[tuple[str, Outcome]]:
        """Outcomes of deliveries a post (or a lookup) failed for; called while handling `error`.

        The deliveries of one post are retried at the same time (one jitter), so they go out together
        again.
        """
        jitter = random.random()
        outcomes: list[Outcome] = []
        for item in items:
            claim = item.claim
            if isinstance(error, NotInstalledError):
                # Uninstalled (or token revoked): nothing can be sent there, now or on a retry; cancelling
                # also spares the lead a failure report that could not be delivered either.
                outcomes.append(Outcome(claim.id, DeliveryStatus.CANCELLED, error=NOT_INSTALLED))
            elif isinstance(error, PermanentDeliveryError):
                outcomes.append(Outcome(claim.id, DeliveryStatus.FAILED, error=error.error))
            elif isinstance(error, AmbiguousDeliveryError):
                logger.warning(
                    "ambiguous: no answer from Slack for reminder delivery %s (%s): %s; it is looked for "
                    "and posted again only if still absent %s s from now",
                    claim.id,
                    claim.key,
                    error.error,
                    f"{self.landing.total_seconds():g}",
                )
                outcomes.append(self._retry(claim, error.error, ambiguous=True, jitter=jitter))
            elif isinstance(error, TransientDeliveryError):
                outcomes.append(self._retry(claim, error.error, retry_after=error.retry_after, jitter=jitter))
            else:  # a bug in composing must not cost the other deliveries
                logger.exception("reminder delivery %s failed unexpectedly", claim.id)
                outcomes.append(self._retry(claim, f"internal error: {type(error).__name__}", jitter=jitter))
        return [(item.claim.token, outcome) for item, outcome in zip(items, outcomes, strict=True)]

    def _look(self, item: Composed, post: Post) -> tuple[Outcome | None, bool]:
        """Look for an uncertain delivery's earlier, unanswered post.

        Returns:
            (outcome, unreadable): an outcome if the lookup settles it for now (found, or not yet
            provable); else None, and whether the resend is blind (the history cannot be read).
        """
        claim = item.claim
        looked = reconcile(
            self.sender,
            claim,
            post.target,
            team_id=post.team_id,
            now=self.now(),
            landing=self.landing,
            jitter=random.random(),
        )
        if looked.verdict == Verdict.FOUND:
            assert looked.message is not None
            found = Outcome(
                claim.id,
                DeliveryStatus.SENT,
                ts=looked.message.ts,
                slack_channel=looked.message.channel,
                reconciled=True,
            )
            return found, False
        if looked.verdict == Verdict.NOT_YET:
            return self._look_again(claim, looked), False
        if looked.verdict == Verdict.UNREADABLE:
            logger.warning(
                "ambiguous resend of reminder delivery %s (%s): cannot read the conversation's history "
                "(%s), so an earlier unanswered attempt may show twice",
                claim.id,
                claim.key,
                looked.error,
            )
            return None, True
        logger.info(
            "reminder delivery %s (%s): its unanswered attempt is not in Slack and can no longer "
            "land; posting it again",
            claim.id,
            claim.key,
        )
        return None, False

    def _retry(
        self,
        claim: Claim,
        error: str,
        *,
        ambiguous: bool = False,
        retry_after: float | None = None,
        jitter: float,
    ) -> Outcome:
        at = self.now()
        if at - claim.first_attempt_at >= self.retry_window:
            return Outcome(claim.id, DeliveryStatus.FAILED, error=error, ambiguous=ambiguous)
        if ambiguous:
            # The post may still land: the next step is a lookup, never a post (reconciliation).
            return Outcome(
                claim.id,
                DeliveryStatus.PLANNED,
                error=error,
                not_before=next_lookup_at(at, at, self.landing, jitter=jitter),
                ambiguous=True,
                unanswered_at=at,
            )
        delay = retry_delay(claim.attempts, jitter=jitter, base=timedelta(seconds=30))
        if retry_after:
            delay = max(delay, timedelta(seconds=retry_after))
        return Outcome(claim.id, DeliveryStatus.PLANNED, error=error, not_before=at + delay)

    def _look_again(self, claim: Claim, looked: Reconciliation) -> Outcome:
        """An unanswered attempt was not found, but may still land: wait for the next lookup."""
        error = "unanswered post not found in Slack yet"
        if looked.error:
            error += f" (history unreadable: {looked.error})"
        if self.now() - claim.first_attempt_at >= self.retry_window:
            return Outcome(claim.id, DeliveryStatus.FAILED, error=error)
        assert looked.look_again_at is not None
        return Outcome(claim.id, DeliveryStatus.PLANNED, error=error, not_before=looked.look_again_at)


def _round_robin(posts: Sequence[Post]) -> Iterator[Post]:
    """First post of every channel, then every second post, …: the pool's queue order then matches
    each channel's pacing slots, so no worker sleeps while another channel could go."""
    by_target: dict[str, list[Post]] = defaultdict(list)
    for post in posts:
        by_target[f"{post.team_id}:{post.target}"].append(post)
    lanes = list(by_target.values())
    depth = max((len(lane) for lane in lanes), default=0)
    for rank in range(depth):
        for lane in lanes:
            if rank < len(lane):
                yield lane[rank]
