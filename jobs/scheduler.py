"""Builds the APScheduler instance; `__main__`/the CLI starts and stops it.

APScheduler is only the timer: every job is idempotent and the database holds the truth, so a job
store in memory is enough and several processes may run the same jobs (see docs/architecture.md).
"""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from bot.clock import SystemClock
from bot.services import Services
from jobs.agreements import register_agreement_job
from jobs.checkins import register_checkin_job
from jobs.expert_index import refresh_expert_indexes
from jobs.feed import send_feed
from jobs.handover import register_handover_job
from jobs.housekeeping import purge_processed_requests
from jobs.profile_refresh import register_profile_refresh_job
from jobs.reminders import plan_reminders, refresh_time_zones, send_due_reminders

HOUSEKEEPING_JOB_ID = "housekeeping"
REMINDER_TICK_JOB_ID = "milestone-reminders"
REMINDER_PLANNING_JOB_ID = "reminder-planning"
TIME_ZONE_JOB_ID = "time-zone-refresh"
EXPERT_INDEX_JOB_ID = "expert-index-refresh"
FEED_JOB_ID = "change-feed"
REMINDER_PLANNING_MINUTES = 10
EXPERT_INDEX_REFRESH_SECONDS = 60


def build_scheduler(services: Services) -> BackgroundScheduler:
    """Create a scheduler (not started) with every periodic job registered."""
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(
        purge_processed_requests,
        "interval",
        hours=1,
        id=HOUSEKEEPING_JOB_ID,
        replace_existing=True,
        misfire_grace_time=3600,
        kwargs={"services": services},
    )
    tick = services.settings.reminder_tick_seconds
    # The tick catches up everything due whenever it runs, so a late run is never harmful: coalesce
    # missed runs into one and accept lateness up to a few ticks (APScheduler's default of 1 s would
    # skip runs after a pause such as a laptop sleeping or a long GC).
    scheduler.add_job(
        send_due_reminders,
        "interval",
        seconds=tick,
        id=REMINDER_TICK_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(60, 4 * tick),
        kwargs={"services": services},
    )
    # Milestone reminders are planned when milestones change; recurring digests are planned here,
    # first right at start so that a fresh database has them.
    scheduler.add_job(
        plan_reminders,
        "interval",
        minutes=REMINDER_PLANNING_MINUTES,
        id=REMINDER_PLANNING_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=REMINDER_PLANNING_MINUTES * 60,
        # APScheduler runs on real time (the demo's simulated clock only shifts what jobs see).
        next_run_time=SystemClock().now(),
        kwargs={"services": services},
    )
    scheduler.add_job(
        refresh_time_zones,
        "interval",
        hours=6,
        id=TIME_ZONE_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
        kwargs={"services": services},
    )
    # Embeds changed profile items and warms this process's index cache before the next /expert
    # asks; a no-op until the model has loaded. One run at a time: a long re-embedding (a new
    # model) simply makes the next runs coalesce.
    scheduler.add_job(
        refresh_expert_indexes,
        "interval",
        seconds=EXPERT_INDEX_REFRESH_SECONDS,
        id=EXPERT_INDEX_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=EXPERT_INDEX_REFRESH_SECONDS,
        kwargs={"services": services},
    )
    register_handover_job(scheduler, services)  # people's last days: notices, then the handover
    register_checkin_job(scheduler, services)  # weekly check-ins (docs/checkins.md)
    register_agreement_job(scheduler, services)  # agreement expiry and stale-status reminders
    register_profile_refresh_job(scheduler, services)  # linked ORCID/OpenAlex profiles, if on
    # The change feed (docs/feed.md): like the reminder tick, it catches up whatever is due when it runs.
    feed_tick = services.settings.feed_seconds
    scheduler.add_job(
        send_feed,
        "interval",
        seconds=feed_tick,
        id=FEED_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(60, 4 * feed_tick),
        kwargs={"services": services},
    )
    return scheduler
