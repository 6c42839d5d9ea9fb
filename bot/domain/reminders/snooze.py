"""Snoozing a reminder: the choices on its buttons and the reminder each one plans."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.reminders.deliveries import DeliveryKind, PlannedDelivery
from bot.domain.reminders.policy import ReminderPolicy
from bot.domain.reminders.timing import next_allowed, wall_clock


class SnoozeOption(enum.StrEnum):
    """The snooze choices on a reminder."""

    HOUR = "1h"
    TOMORROW = "tomorrow"
    NEXT_WEEK = "next_week"


def plan_snooze(
    *,
    milestone_id: int,
    project_id: int,
    source_delivery_id: int,
    recipient_id: int,
    zone: ZoneInfo,
    option: SnoozeOption,
    policy: ReminderPolicy,
    basis_due_at: datetime,
    now: datetime,
) -> PlannedDelivery:
    """The reminder a Snooze click asks for.

    One snooze per reminder message: its key names the message's delivery, so a double click or a
    retried request plans the same delivery (a later choice replaces an earlier one).

    Args:
        milestone_id: The milestone.
        project_id: Its project.
        source_delivery_id: The delivery whose message was snoozed.
        recipient_id: Who asked (they get the reminder again).
        zone: Their zone.
        option: 1 hour, tomorrow at the local reminder time, or next Monday at that time.
        policy: For the local time, quiet hours and weekends.
        basis_due_at: The milestone's current due time.
        now: The click's instant.

    Returns:
        The planned snooze delivery.
    """
    nominal = snooze_until(option, now, zone, policy)
    occurrence = f"d{source_delivery_id}"
    return PlannedDelivery(
        kind=DeliveryKind.SNOOZE,
        key=f"m{milestone_id}:{DeliveryKind.SNOOZE}:{occurrence}",
        series=f"m{milestone_id}:{DeliveryKind.SNOOZE}",
        occurrence=occurrence,
        send_at=next_allowed(nominal, zone, policy),
        zone=zone.key,
        nominal_at=nominal,
        recipient_id=recipient_id,
        milestone_id=milestone_id,
        project_id=project_id,
        basis_due_at=basis_due_at.astimezone(UTC),
    )


def snooze_until(option: SnoozeOption, now: datetime, zone: ZoneInfo, policy: ReminderPolicy) -> datetime:
    """When a snooze ends, before quiet hours and weekends are applied.

    `1h` is an exact hour; `tomorrow` is tomorrow at the policy's local reminder time; `next_week`
    is next Monday at that time (all on the wall clock of `zone`).
    """
    if option == SnoozeOption.HOUR:
        return now.astimezone(UTC) + timedelta(hours=1)
    today = now.astimezone(zone).date()
    if option == SnoozeOption.TOMORROW:
        return wall_clock(today + timedelta(days=1), policy.local_time, zone)
    return wall_clock(today + timedelta(days=7 - today.weekday()), policy.local_time, zone)
