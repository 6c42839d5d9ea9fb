"""When deliveries fail: the backoff between attempts, and the report to a lead once one fails for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.reminders.deliveries import DeliveryKind, PlannedDelivery


def retry_delay(attempts: int, *, jitter: float, base: timedelta = timedelta(seconds=30)) -> timedelta:
    """Capped exponential backoff between delivery attempts: 30 s, 1 min, 2 min … at most 15 min.

    Args:
        attempts: Attempts made so far (1 after the first failure).
        jitter: A number in [0, 1) (random in production) spreading retries of many deliveries.
        base: The first delay.

    Returns:
        The delay before the next attempt, between half and all of the capped exponential value.
    """
    capped = min(base * (2 ** max(attempts - 1, 0)), timedelta(minutes=15))
    return capped * (0.5 + jitter / 2)


def failure_report(
    *, failed_delivery_id: int, project_id: int, lead_id: int, zone: ZoneInfo, now: datetime
) -> PlannedDelivery:
    """A report to the project lead that a delivery failed for good, to send right away."""
    occurrence = f"d{failed_delivery_id}"
    return PlannedDelivery(
        kind=DeliveryKind.FAILURE,
        key=f"p{project_id}:{DeliveryKind.FAILURE}:{occurrence}",
        series=f"p{project_id}:{DeliveryKind.FAILURE}",
        occurrence=occurrence,
        send_at=now.astimezone(UTC),
        zone=zone.key,
        nominal_at=now.astimezone(UTC),
        recipient_id=lead_id,
        project_id=project_id,
    )
