"""Wall-clock rules: local times to UTC instants across DST changes, and moving out of quiet hours and
weekends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.dates import DateParseError, resolve_wall_clock
from bot.domain.reminders.policy import ReminderPolicy


def wall_clock(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock time `at` on `day` in `zone`.

    A time skipped by a daylight-saving change becomes the first valid instant after the gap; a
    time that occurs twice means the first occurrence (both via `resolve_wall_clock`).

    Args:
        day: The local calendar date.
        at: The local time of day (naive).
        zone: The zone.

    Returns:
        An aware datetime in UTC.
    """
    try:
        local = resolve_wall_clock(datetime.combine(day, at), zone)
    except DateParseError as gap:
        if gap.suggestion is None:  # pragma: no cover - resolve_wall_clock always suggests for gaps
            raise
        local = gap.suggestion
    return local.astimezone(UTC)


def next_allowed(instant: datetime, zone: ZoneInfo, policy: ReminderPolicy) -> datetime:
    """The first instant at or after `instant` outside quiet hours and (if skipped) weekends.

    Quiet hours end at their end time on the local wall clock; a weekend ends on Monday at 00:00,
    itself subject to quiet hours (so with 20:00–08:00 a Saturday reminder moves to Monday 08:00).

    Args:
        instant: Aware instant.
        zone: The recipient's zone, whose wall clock and weekends count.
        policy: Quiet hours and weekend rule.

    Returns:
        An aware datetime in UTC, never before `instant`.
    """
    candidate = instant.astimezone(UTC)
    quiet = policy.quiet_hours
    for _ in range(8):  # at most: weekend → Monday 00:00 → end of quiet hours
        local = candidate.astimezone(zone)
        if policy.skip_weekends and local.weekday() >= 5:
            monday = local.date() + timedelta(days=7 - local.weekday())
            candidate = wall_clock(monday, time(0), zone)
            continue
        if quiet.contains(local.time()):
            day = local.date()
            if quiet.start > quiet.end and local.time() >= quiet.start:
                day += timedelta(days=1)
            candidate = wall_clock(day, quiet.end, zone)
            continue
        break
    return candidate
