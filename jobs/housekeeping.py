"""Deletes request-deduplication records once Slack can no longer retry those requests."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from bot.models import ProcessedRequest
from bot.services import Services

# Slack retries an event for at most about an hour; a day of memory is ample.
DEDUP_RETENTION = timedelta(days=1)


def purge_processed_requests(services: Services, *, now: datetime | None = None) -> int:
    """Delete dedup records older than the retention window.

    Returns:
        The number of rows deleted.
    """
    cutoff = (now or services.clock.now()) - DEDUP_RETENTION
    with services.session_factory.begin() as session:
        result = session.execute(delete(ProcessedRequest).where(ProcessedRequest.seen_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
