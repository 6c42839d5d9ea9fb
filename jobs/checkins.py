"""The weekly check-ins' tick (bot/checkins, docs/checkins.md): plan, ask, summarise; each message once.

APScheduler only decides when this runs; who is asked, and that each person is asked once a week per
project across any number of processes, is decided in the database (the check-in ledger). Time comes
from `services.clock` unless `now` is given, so the demo's simulated clock and the tests drive it too.
"""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler

from bot.checkins.content import CheckinQuestion, CheckinSummary
from bot.checkins.dispatch import CheckinReport, run_checkins
from bot.reminders.sending import PostedMessage
from bot.services import Services
from bot.slack.checkin_blocks import CHECKIN_EVENT_TYPE, build_question_reply, build_summary_reply
from bot.slack.notifier import SlackNotifier

logger = logging.getLogger(__name__)

CHECKIN_JOB_ID = "weekly-checkins"


def send_checkins(services: Services, *, now: datetime | None = None) -> int:
    """The tick: returns how many questions and summaries were posted (or found posted)."""
    report = run_checkin_tick(services, now=now)
    return report.asked + report.summaries


def run_checkin_tick(services: Services, *, now: datetime | None = None) -> CheckinReport:
    """`send_checkins` with the full report."""
    if services.notifier is None:
        logger.warning("check-in tick skipped: no notifier configured")
        return CheckinReport()
    return run_checkins(
        session_factory=services.session_factory,
        settings=services.settings,
        sender=SlackCheckinSender(services.notifier),
        now=(lambda: now) if now is not None else services.clock.now,
    )


def register_checkin_job(scheduler: BaseScheduler, services: Services) -> None:
    """Add the check-in tick, at the reminders' pace (it catches up whatever is due when it runs)."""
    tick = services.settings.reminder_tick_seconds
    scheduler.add_job(
        send_checkins,
        "interval",
        seconds=tick,
        id=CHECKIN_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(60, 4 * tick),
        kwargs={"services": services},
    )


class SlackCheckinSender:
    """Posts check-in messages through the jobs' notifier (pacing, typed errors, token per workspace),
    tagged `liaison_checkin` with their key, and finds them again by key (`bot.checkins.sending`)."""

    def __init__(self, notifier: SlackNotifier) -> None:
        self._notifier = notifier

    def send_question(self, question: CheckinQuestion, /) -> PostedMessage:
        """DM the questions."""
        return self._notifier.post_reminder(
            question.target,
            build_question_reply(question),
            key=question.key,
            team_id=question.team_id,
            event_type=CHECKIN_EVENT_TYPE,
        )

    def send_summary(self, summary: CheckinSummary, /) -> PostedMessage:
        """Post a round's summary to the project channel."""
        return self._notifier.post_reminder(
            summary.target,
            build_summary_reply(summary),
            key=summary.key,
            team_id=summary.team_id,
            event_type=CHECKIN_EVENT_TYPE,
        )

    def find_checkin(
        self, target: str, /, *, key: str, since: datetime, team_id: str | None = None
    ) -> PostedMessage | None:
        """Look for a check-in message by key."""
        return self._notifier.find_reminder(
            target, key=key, since=since, team_id=team_id, event_type=CHECKIN_EVENT_TYPE
        )
