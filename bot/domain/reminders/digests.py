"""Recurring digests: the weekly project digest and the daily "waiting on you" DM."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.reminders.deliveries import DeliveryKind, PlannedDelivery
from bot.domain.reminders.policy import ReminderPolicy
from bot.domain.reminders.timing import next_allowed, wall_clock


def plan_digest(
    *, project_id: int, channel_id: str | None, zone: ZoneInfo, policy: ReminderPolicy, now: datetime
) -> PlannedDelivery | None:
    """The next weekly digest of a project (the first whose send time is after `now`).

    The occurrence is the nominal local date; a digest moved by quiet hours or a weekend keeps it.

    Returns:
        The delivery, or None without a channel or with digests off.
    """
    if policy.digest_weekday is None or not channel_id:
        return None
    today = now.astimezone(zone).date()
    day = today + timedelta(days=(policy.digest_weekday - today.weekday()) % 7) - timedelta(days=7)
    for _ in range(3):
        nominal = wall_clock(day, policy.digest_time, zone)
        send_at = next_allowed(nominal, zone, policy)
        if send_at > now:
            occurrence = day.isoformat()
            return PlannedDelivery(
                kind=DeliveryKind.DIGEST,
                key=f"p{project_id}:{DeliveryKind.DIGEST}:{occurrence}",
                series=f"p{project_id}:{DeliveryKind.DIGEST}",
                occurrence=occurrence,
                send_at=send_at,
                zone=zone.key,
                nominal_at=nominal,
                channel_id=channel_id,
                project_id=project_id,
            )
        day += timedelta(days=7)
    return None  # pragma: no cover - three weeks always contain a future occurrence


def plan_waiting(
    *, person_id: int, zone: ZoneInfo, policy: ReminderPolicy, now: datetime
) -> PlannedDelivery | None:
    """The next daily "waiting on you" DM of a person, at the local reminder time.

    With weekends skipped, Saturday and Sunday have no occurrence (they are not moved to Monday,
    which has its own).

    Returns:
        The delivery, or None with the daily digest off.
    """
    if not policy.waiting_digest:
        return None
    day = now.astimezone(zone).date() - timedelta(days=1)
    for _ in range(10):
        if not (policy.skip_weekends and day.weekday() >= 5):
            nominal = wall_clock(day, policy.local_time, zone)
            send_at = next_allowed(nominal, zone, policy)
            if send_at > now:
                occurrence = day.isoformat()
                return PlannedDelivery(
                    kind=DeliveryKind.WAITING,
                    key=f"u{person_id}:{DeliveryKind.WAITING}:{occurrence}",
                    series=f"u{person_id}:{DeliveryKind.WAITING}",
                    occurrence=occurrence,
                    send_at=send_at,
                    zone=zone.key,
                    nominal_at=nominal,
                    recipient_id=person_id,
                )
        day += timedelta(days=1)
    return None  # pragma: no cover - ten days always contain a weekday
