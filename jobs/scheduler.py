"""Builds the APScheduler instance; `__main__`/the CLI starts and stops it.

APScheduler is only the timer: every job is idempotent and the database holds the truth, so a job
store in memory is enough and several processes may run the same jobs (see docs/architecture.md).
"""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from bot.services import Services
from jobs.housekeeping import purge_processed_requests

HOUSEKEEPING_JOB_ID = "housekeeping"


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
    return scheduler
