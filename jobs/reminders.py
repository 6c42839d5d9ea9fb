"""Reminder jobs: the tick that sends due deliveries, recurring planning, and time-zone refresh.

APScheduler only decides *when* these run; what is sent, and that it is sent once, is decided by the
delivery ledger in the database (bot/reminders: planning, claims, outcomes). Every job reads time from
`services.clock` unless given `now`, so the demo console's simulated clock drives them too.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from bot.models import Person, Workspace
from bot.reminders.dispatch import TickReport, run_tick
from bot.reminders.planning import plan_recurring, replan_person
from bot.reminders.sending import DeliveryError
from bot.services import Services

logger = logging.getLogger(__name__)


def send_due_reminders(services: Services, *, now: datetime | None = None) -> int:
    """The tick: claim due reminder deliveries, post them, record the outcome.

    Args:
        services: Session factory, settings, clock and notifier.
        now: A fixed instant (tests); the services' clock otherwise.

    Returns:
        How many deliveries were posted (or found already posted).
    """
    return run_reminder_tick(services, now=now).sent


def run_reminder_tick(services: Services, *, now: datetime | None = None) -> TickReport:
    """`send_due_reminders` with the full report (for tests, the console and the benchmark)."""
    if services.notifier is None:
        logger.warning("reminder tick skipped: no notifier configured")
        return TickReport()
    return run_tick(
        session_factory=services.session_factory,
        settings=services.settings,
        sender=services.notifier,
        now=(lambda: now) if now is not None else services.clock.now,
    )


def plan_reminders(services: Services, *, now: datetime | None = None) -> int:
    """Plan the next weekly digest of each project and daily "waiting on you" DM of each person.

    Milestone reminders are planned when milestones change; this job covers the recurring series.

    Returns:
        How many deliveries were newly planned.
    """
    with services.session_factory.begin() as session:
        return plan_recurring(
            session, now or services.clock.now(), defaults=services.settings.reminder_policy
        )


def refresh_time_zones(services: Services, *, now: datetime | None = None) -> int:
    """Copy each person's time zone from their Slack profile and replan their reminders if it changed.

    A person whose profile cannot be read keeps the zone they had (the failure is logged).

    Returns:
        How many people's zones changed.
    """
    if services.notifier is None:
        return 0
    at = now or services.clock.now()
    with services.session_factory() as session:
        people = [
            (p.id, p.slack_id, p.timezone, team)
            for p, team in session.execute(
                select(Person, Workspace.slack_team_id)
                .join(Workspace, Person.workspace_id == Workspace.id)
                # Slack would refuse a disconnected workspace's dead token; nothing is planned there.
                .where(Workspace.disconnected_at.is_(None))
            )
        ]
    changed = 0
    for person_id, slack_id, current, team_id in people:
        try:
            zone = services.notifier.user_zone(slack_id, team_id=team_id)
        except DeliveryError as error:
            logger.info("time zone of %s not refreshed: %s", slack_id, error.error)
            continue
        if not zone or zone == current or not _is_zone(zone):
            continue
        with services.session_factory.begin() as session:
            person = session.get(Person, person_id)
            if person is None:
                continue
            person.timezone = zone
            replan_person(session, person, at, defaults=services.settings.reminder_policy)
        changed += 1
    return changed


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
