"""The weekly refresh of linked profiles (ORCID, OpenAlex): off unless LIAISON_PROFILE_REFRESH is on.

The job wakes hourly and re-reads only the links last fetched more than a week ago, each in its own
transaction, so several processes running it at once cost at most a duplicated fetch (the writes
replace the same works) and a process that stops half-way leaves every profile whole. A link that
fails keeps its works and notes the error (shown under /profile); the next run tries it again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler

from bot.experts.sources.service import RefreshReport, refresh_links
from bot.services import Services

logger = logging.getLogger(__name__)

PROFILE_REFRESH_JOB_ID = "profile-refresh"
PROFILE_REFRESH_CHECK_HOURS = 1


def refresh_linked_profiles(services: Services, *, now: datetime | None = None) -> RefreshReport:
    """Re-read every linked record due for its weekly refresh.

    Args:
        services: Settings (API URLs, contact) and the session factory.
        now: A fixed instant (tests); the services' clock otherwise.

    Returns:
        How many links were refreshed and how many failed.
    """
    report = refresh_links(services.session_factory, services.settings, now or services.clock.now())
    if report.refreshed or report.failed:
        logger.info("linked profiles: %d refreshed, %d failed", report.refreshed, report.failed)
    return report


def register_profile_refresh_job(scheduler: BackgroundScheduler, services: Services) -> bool:
    """Add the refresh job when LIAISON_PROFILE_REFRESH is on; whether it was added."""
    if not services.settings.profile_refresh_enabled:
        return False
    scheduler.add_job(
        refresh_linked_profiles,
        "interval",
        hours=PROFILE_REFRESH_CHECK_HOURS,
        id=PROFILE_REFRESH_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
        kwargs={"services": services},
    )
    return True
