"""The handover job: notices before people's last days, and the handover the day after.

Runs every `HANDOVER_MINUTES` (and once at start) and does, on the workspace's calendar, whatever is
due, so a restart or a late run catches up and a repeated run changes nothing
(`bot.projects.end_dates`):

1. Everyone whose last day (`Person.until`) has passed leaves their projects: their open milestones
   go to each project's lead (reminders replanned in the same transaction), and each lead gets a DM.
2. Everyone whose last day is `LIAISON_HANDOVER_NOTICE_DAYS` away or nearer gets the leads of their
   projects told, once per end date, with "Hand them to me" buttons. The notice is claimed in the
   database before it is sent; if no DM of it could be delivered (Slack refused, or was unreachable),
   the claim is given back and the next run tries again. A DM that may have been posted (no answer) is
   not sent again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler

from bot.clock import SystemClock
from bot.projects.end_dates import (
    ClaimedNotice,
    claim_handover_notices,
    depart_leavers,
    release_handover_notice,
)
from bot.reminders.sending import AmbiguousDeliveryError, DeliveryError
from bot.services import Services
from bot.slack.blocks import Reply
from bot.slack.end_date_blocks import build_departure_message, build_handover_notice
from bot.slack.home_publisher import publish_homes

logger = logging.getLogger(__name__)

HANDOVER_JOB_ID = "handover"
HANDOVER_MINUTES = 30


@dataclass(frozen=True)
class HandoverRun:
    """What one run did.

    Attributes:
        departures: Projects someone left because their last day had passed.
        notices: Handover notices delivered (DMs).
        released: Leavers whose notice could not be delivered at all (tried again next run).
    """

    departures: int = 0
    notices: int = 0
    released: int = 0


def register_handover_job(scheduler: BaseScheduler, services: Services) -> None:
    """Add the handover job to `scheduler` (every `HANDOVER_MINUTES`, first right at start)."""
    scheduler.add_job(
        hand_over_leavers,
        "interval",
        minutes=HANDOVER_MINUTES,
        id=HANDOVER_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=HANDOVER_MINUTES * 60,
        # APScheduler runs on real time (the demo's simulated clock only shifts what jobs see).
        next_run_time=SystemClock().now(),
        kwargs={"services": services},
    )


def hand_over_leavers(services: Services, *, now: datetime | None = None) -> HandoverRun:
    """Hand over the work of people whose last day has passed, and tell leads about those leaving soon.

    Args:
        services: Session factory, settings, clock and notifier.
        now: A fixed instant (tests); the services' clock otherwise.

    Returns:
        What was done.
    """
    at = now or services.clock.now()
    settings = services.settings
    with services.session_factory.begin() as session:
        departures = depart_leavers(session, at, reminders=settings.reminder_policy)
    homes: dict[str | None, set[str]] = defaultdict(set)
    for departure in departures:
        homes[departure.team_id] |= departure.affected
        message = build_departure_message(departure, at)
        if message is not None:
            key = f"left:{departure.leaver.slack_id}:{departure.until}:{departure.project_key}"
            _post(services, departure.team_id, message.user_id, message.reply, key)
    if services.notifier is None:
        logger.warning("handover notices skipped: no notifier configured")
        return HandoverRun(departures=len(departures))
    with services.session_factory.begin() as session:
        claimed = claim_handover_notices(session, at, notice_days=settings.handover_notice_days)
    sent = released = 0
    for claim in claimed:
        delivered = _send_notices(services, claim, at)
        sent += delivered
        if claim.notices and delivered == 0:
            with services.session_factory.begin() as session:
                release_handover_notice(session, claim.person_id, claim.until)
            released += 1
    for team_id, users in homes.items():
        _publish(services, team_id, users)
    return HandoverRun(departures=len(departures), notices=sent, released=released)


def _send_notices(services: Services, claim: ClaimedNotice, at: datetime) -> int:
    """Send one leaver's notices; how many were (or may have been) delivered."""
    delivered = 0
    for notice in claim.notices:
        reply = build_handover_notice(notice, at, milestone_command=services.settings.commands.milestone)
        key = f"handover:{notice.leaver.slack_id}:{notice.until}:{notice.recipient.slack_id}"
        if _post(services, notice.team_id, notice.recipient.slack_id, reply, key):
            delivered += 1
    return delivered


def _post(services: Services, team_id: str | None, user_id: str, reply: Reply, key: str) -> bool:
    """DM `user_id`; True when it was (or may have been) posted. Failures are logged, never raised."""
    if services.notifier is None:
        return False
    try:
        services.notifier.post_reminder(user_id, reply, key=key, team_id=team_id)
    except AmbiguousDeliveryError as error:
        # Slack may have posted it: counted as delivered, never sent twice.
        logger.warning("handover DM %s to %s unanswered: %s", key, user_id, error.error)
    except DeliveryError as error:
        logger.warning("handover DM %s to %s failed: %s", key, user_id, error.error)
        return False
    return True


def _publish(services: Services, team_id: str | None, users: set[str]) -> None:
    if services.notifier is None or not users:
        return
    try:
        client = services.notifier.client_for(team_id)
    except DeliveryError as error:
        logger.info("App Homes of team %s not republished: %s", team_id, error.error)
        return
    publish_homes(client, services, team_id, users)
