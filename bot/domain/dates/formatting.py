"""Friendly formatting of instants: "Fri 4 Dec 2026, 17:00 CET" and "in 3 days" / "2 hours overdue"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.domain.dates.vocabulary import day_label


def format_local(instant: datetime, zone: ZoneInfo) -> str:
    """Format an instant as a wall-clock time in `zone`, e.g. ``"Fri 4 Dec 2026, 17:00 CET"``.

    English names are used regardless of the process locale. Zones without a letter abbreviation
    show their offset as tzdata spells it (``"-03"`` for America/Sao_Paulo).

    Args:
        instant: A timezone-aware datetime.
        zone: The zone to show it in.

    Returns:
        The formatted text.

    Raises:
        ValueError: `instant` is naive.
    """
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be timezone-aware")
    local = instant.astimezone(zone)
    return f"{day_label(local)}, {local:%H:%M} {local.tzname()}"


def format_relative(instant: datetime, now: datetime, *, zone: tzinfo | None = None) -> str:
    """Describe how far `instant` is from `now`, e.g. ``"in 3 days"`` or ``"2 hours overdue"``.

    Within 24 hours either way the distance is counted in time: ``"now"`` (under a minute),
    ``"in 1 minute"``, ``"in 5 hours"``, ``"3 hours overdue"`` (rounded down). Further away it is
    counted in calendar days in `zone`: ``"tomorrow"``, ``"in 3 days"``, ``"1 day overdue"``,
    ``"2 days overdue"``, and ``"today"`` in the rare case of a 25-hour day (clocks going back) where
    more than 24 hours still fall on the same date.

    Args:
        instant: The due moment, timezone-aware.
        now: The current instant, timezone-aware.
        zone: Zone whose calendar days are counted; defaults to the zone of `now` (UTC for the usual
            UTC `now`), so pass the reader's zone for text shown to a person.

    Returns:
        The description.

    Raises:
        ValueError: `instant` or `now` is naive.
    """
    if instant.tzinfo is None or instant.utcoffset() is None or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("instant and now must be timezone-aware")
    delta = instant - now
    future = delta >= timedelta(0)
    size = abs(delta)
    if size < timedelta(minutes=1):
        return "now"
    if size < timedelta(hours=1):
        return _relative_phrase(size // timedelta(minutes=1), "minute", future)
    if size < timedelta(days=1):
        return _relative_phrase(size // timedelta(hours=1), "hour", future)
    days_zone = zone or now.tzinfo
    days = (instant.astimezone(days_zone).date() - now.astimezone(days_zone).date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return _relative_phrase(abs(days), "day", days > 0)


def _relative_phrase(count: int, unit: str, future: bool) -> str:
    amount = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"in {amount}" if future else f"{amount} overdue"


@dataclass(frozen=True)
class DueText:
    """How a due time reads to one reader at one instant, computed once (`describe_due`).

    Attributes:
        local: The due time on the reader's wall clock, "Thu 10 Dec 2026, 17:00 CET".
        relative: How far away it is, "in 4 days", "tomorrow", "now" or "2 days overdue".
        overdue: Whether `relative` says it is overdue.
    """

    local: str
    relative: str
    overdue: bool

    @property
    def phrase(self) -> str:
        """The one phrase a message uses: "due in 4 days (Thu 10 Dec 2026, 17:00 CET)" or
        "2 days overdue (due Fri 4 Dec 2026, 17:00 CET)"; "overdue" is said at most once."""
        if self.overdue:
            return f"{self.relative} (due {self.local})"
        return f"due {self.relative} ({self.local})"


def describe_due(due_at: datetime, now: datetime, zone: ZoneInfo) -> DueText:
    """Describe a due time for a reader in `zone` at `now`: the wall-clock time and the distance,
    both from the same instant, so a message never says two different things about it.

    Args:
        due_at: The due instant, timezone-aware.
        now: The instant the message is written for, timezone-aware.
        zone: The reader's zone (its calendar counts the days).

    Returns:
        The texts; use `DueText.phrase`, or its parts, once per message.
    """
    relative = format_relative(due_at, now, zone=zone)
    return DueText(local=format_local(due_at, zone), relative=relative, overdue=relative.endswith(" overdue"))
