"""The change feed's tick: new audit entries become channel posts and personal DMs, each posted once.

APScheduler only decides when this runs; what is posted, and that it is posted once across any number
of processes, is decided in the database (bot/feed: intake markers, the feed item ledger). Time comes
from `services.clock` unless `now` is given, so the demo's simulated clock drives it too.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.feed.dispatch import FeedReport, run_feed
from bot.services import Services
from bot.slack.feed_blocks import SlackFeedSender

logger = logging.getLogger(__name__)


def send_feed(services: Services, *, now: datetime | None = None) -> int:
    """The tick: take new changes, post what is due. Returns how many items were posted (or found)."""
    return run_feed_tick(services, now=now).sent


def run_feed_tick(services: Services, *, now: datetime | None = None, batching: bool = True) -> FeedReport:
    """`send_feed` with the full report; `batching=False` posts held changes at once (`liaison say`)."""
    if services.notifier is None:
        logger.warning("feed tick skipped: no notifier configured")
        return FeedReport()
    return run_feed(
        session_factory=services.session_factory,
        settings=services.settings,
        sender=SlackFeedSender(services.notifier),
        now=(lambda: now) if now is not None else services.clock.now,
        batching=batching,
    )
