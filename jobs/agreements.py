"""The agreement reminders' tick (bot/agreements/reminders.py, docs/agreements.md).

APScheduler only decides when this runs; what is due, and that each reminder is sent once across any
number of processes, is decided in the database (the `agreement_reminder` ledger). Time comes from
`services.clock` unless `now` is given, so the demo's simulated clock and the tests drive it too.
"""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler

from bot.agreements.reminders import AgreementNotice, send_agreement_reminders
from bot.services import Services
from bot.slack.agreement_blocks import AGREEMENT_EVENT_TYPE, build_agreement_reminder
from bot.slack.notifier import SlackNotifier

logger = logging.getLogger(__name__)

AGREEMENT_JOB_ID = "agreement-reminders"


def send_agreement_notices(services: Services, *, now: datetime | None = None) -> int:
    """The tick: returns how many agreement reminders were posted."""
    if services.notifier is None:
        logger.warning("agreement reminder tick skipped: no notifier configured")
        return 0
    return send_agreement_reminders(
        services.session_factory,
        SlackNoticeSender(services.notifier),
        (lambda: now) if now is not None else services.clock.now,
        defaults=services.settings.reminder_policy,
        expiry_days=services.settings.agreement_expiry_days,
        stale_days=services.settings.agreement_stale_days,
        admins=services.settings.admins,
    )


def register_agreement_job(scheduler: BaseScheduler, services: Services) -> None:
    """Add the agreement reminder tick, at the reminders' pace."""
    tick = services.settings.reminder_tick_seconds
    scheduler.add_job(
        send_agreement_notices,
        "interval",
        seconds=tick,
        id=AGREEMENT_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(60, 4 * tick),
        kwargs={"services": services},
    )


class SlackNoticeSender:
    """Posts agreement reminders to the recipient's DM through the jobs' notifier, tagged with their key."""

    def __init__(self, notifier: SlackNotifier) -> None:
        self._notifier = notifier

    def send(self, notice: AgreementNotice, /) -> None:
        """DM the reminder."""
        self._notifier.post_reminder(
            notice.recipient,
            build_agreement_reminder(notice),
            key=notice.key,
            team_id=notice.team_id,
            event_type=AGREEMENT_EVENT_TYPE,
        )
