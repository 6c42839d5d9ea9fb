"""One reminder tick: expire what is too late, claim what is due, send it, settle every claim.

The tick never holds a database transaction while talking to Slack:

1. expire stale rows and report deliveries that failed for good (one transaction);
2. claim a batch (one statement, committed at once, so other processes see it);
3. compose the messages (a read session), cancelling those whose milestone changed;
4. send them from a small thread pool, round-robin over channels so per-channel pacing never starves
   other channels, while the main thread extends the batch's lease and writes outcomes every
   half second (so a crash loses little and a restart redoes even less).

Exactly-once: a claim is settled only by its token holder; a row taken over from an expired lease, or
after an unanswered attempt, is looked for in Slack (by the delivery key in message metadata) before
it is posted again. Only when that lookup is impossible is a resend made blind, and then it is logged
as ambiguous.

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
from bot.reminders.content import Composed, compose
from bot.reminders.outcomes import Outcome, plan_failure_reports, record_outcomes
from bot.reminders.sending import (
    AmbiguousDeliveryError,
    HistoryUnavailableError,
    NotInstalledError,
    PermanentDeliveryError,
    Sender,
    TransientDeliveryError,
)
from bot.settings import Settings

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5
FLUSH_SIZE = 500
# Look this far before the first attempt when searching Slack for a message that may have been posted.
RECONCILE_MARGIN = timedelta(minutes=2)
AMBIGUOUS_RETRY_BASE = timedelta(seconds=5)
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
    """host:pid:thread, recorded on claimed rows."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


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
                batch = self._claim()
                if batch is None:
                    exhausted = True
                else:
                    token, composed = batch
                    results += [
                        (token, Outcome(item.claim.id, DeliveryStatus.CANCELLED, error=item.cancel_reason))
                        for item in composed
                        if item.content is None
                    ]
                    for item in _round_robin([i for i in composed if i.content is not None and i.target]):
                        in_flight[token] += 1
                        pool.submit(self._deliver_to, done, token, item)
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

    def _deliver_to(self, done: queue.SimpleQueue[tuple[str, Outcome]], token: str, item: Composed) -> None:
        done.put((token, self._deliver(item)))

    def _claim(self) -> tuple[str, list[Composed]] | None:
        with self.session_factory.begin() as session:
            claims = claim_due(
                session,
                self.now(),
                limit=self.settings.reminder_batch_size,
                lease=self.lease,
                claimer=self.claimer,
                grace=self.grace,
            )
        if not claims:
            return None
        self.report.batches += 1
        self.report.claimed += len(claims)
        with self.session_factory() as session:
            composed = compose(session, claims, self.now(), defaults=self.settings.reminder_policy)
        return claims[0].token, composed

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

    def _deliver(self, item: Composed) -> Outcome:
        claim = item.claim
        assert item.content is not None and item.target is not None
        try:
            return self._send(item, claim, item.target)
        except NotInstalledError:
            # Uninstalled (or token revoked): nothing can be sent there, now or on a retry; cancelling
            # also spares the lead a failure report that could not be delivered either.
            return Outcome(claim.id, DeliveryStatus.CANCELLED, error=NOT_INSTALLED)
        except PermanentDeliveryError as error:
            return Outcome(claim.id, DeliveryStatus.FAILED, error=error.error)
        except AmbiguousDeliveryError as error:
            logger.warning(
                "ambiguous: no answer from Slack for reminder delivery %s (%s): %s; it will be looked for "
                "before it is sent again",
                claim.id,
                claim.key,
                error.error,
            )
            return self._retry(claim, error.error, ambiguous=True)
        except TransientDeliveryError as error:
            return self._retry(claim, error.error, retry_after=error.retry_after)
        except Exception as error:  # a bug in composing must not cost the other deliveries
            logger.exception("reminder delivery %s failed unexpectedly", claim.id)
            return self._retry(claim, f"internal error: {type(error).__name__}")

    def _send(self, item: Composed, claim: Claim, target: str) -> Outcome:
        ambiguous = False
        if claim.uncertain:
            try:
                found = self.sender.find_reminder(
                    target,
                    key=claim.key,
                    since=claim.first_attempt_at - RECONCILE_MARGIN,
                    team_id=item.team_id,
                )
            except HistoryUnavailableError as error:
                logger.warning(
                    "ambiguous resend of reminder delivery %s (%s): cannot read the conversation's history "
                    "(%s), so an earlier unanswered attempt may show twice",
                    claim.id,
                    claim.key,
                    error.error,
                )
                found, ambiguous = None, True
            if found is not None:
                return Outcome(
                    claim.id, DeliveryStatus.SENT, ts=found.ts, slack_channel=found.channel, reconciled=True
                )
        assert item.content is not None
        posted = self.sender.send_reminder(target, item.content, key=claim.key, team_id=item.team_id)
        return Outcome(
            claim.id, DeliveryStatus.SENT, ts=posted.ts, slack_channel=posted.channel, ambiguous=ambiguous
        )

    def _retry(
        self, claim: Claim, error: str, *, ambiguous: bool = False, retry_after: float | None = None
    ) -> Outcome:
        at = self.now()
        if at - claim.first_attempt_at >= self.retry_window:
            return Outcome(claim.id, DeliveryStatus.FAILED, error=error, ambiguous=ambiguous)
        delay = retry_delay(
            claim.attempts,
            jitter=random.random(),
            base=AMBIGUOUS_RETRY_BASE if ambiguous else timedelta(seconds=30),
        )
        if retry_after:
            delay = max(delay, timedelta(seconds=retry_after))
        return Outcome(
            claim.id, DeliveryStatus.PLANNED, error=error, not_before=at + delay, ambiguous=ambiguous
        )


def _round_robin(items: Sequence[Composed]) -> Iterator[Composed]:
    """First post of every channel, then every second post, …: the pool's queue order then matches
    each channel's pacing slots, so no worker sleeps while another channel could go."""
    by_target: dict[str, list[Composed]] = defaultdict(list)
    for item in items:
        by_target[f"{item.team_id}:{item.target}"].append(item)
    lanes = list(by_target.values())
    depth = max((len(lane) for lane in lanes), default=0)
    for rank in range(depth):
        for lane in lanes:
            if rank < len(lane):
                yield lane[rank]
