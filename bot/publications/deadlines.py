"""Venue deadlines: wall-clock times in a zone, Anywhere on Earth included.

Most computer-science venues close at 23:59 "Anywhere on Earth" (AoE): the last zone on Earth where
that day still runs, UTC−12 all year round. IANA calls that zone `Etc/GMT+12` (POSIX signs are
inverted); Liaison stores and shows it as `AoE`, and gives milestones planned from such a deadline the
IANA name, so the rest of the bot (reminders, dates) reads it like any other zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.domain.dates.due import DateParseError, calendar_date, resolve_wall_clock
from bot.errors import InvalidInput

AOE = "AoE"
AOE_IANA = "Etc/GMT+12"
DEFAULT_DEADLINE_TIME = time(23, 59)
_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def zone_of(name: str) -> ZoneInfo:
    """The zone a deadline is written in: `AoE` (any case) or an IANA name.

    Raises:
        InvalidInput: Not a zone this system knows.
    """
    if name.strip().lower() in {"aoe", "anywhere on earth"}:
        return ZoneInfo(AOE_IANA)
    if name.strip().upper() == "UTC":
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"“{name[:60]}” is not a time zone. Write `AoE` (Anywhere on Earth, UTC−12), `UTC` or an "
            "IANA name such as `Europe/Amsterdam`."
        ) from None


def zone_name(name: str) -> str:
    """The stored name of a zone as typed: `AoE`, `UTC` or the IANA name (validated)."""
    zone = zone_of(name)
    return AOE if zone.key == AOE_IANA else zone.key


def milestone_zone(name: str) -> str:
    """The IANA name milestones planned from a deadline in zone `name` are stored with."""
    return zone_of(name).key


def zone_label(name: str | None) -> str:
    """How a zone name is shown: `AoE` for Anywhere on Earth (stored either way), else the name."""
    if name is None:
        return ""
    return AOE if name in {AOE, AOE_IANA} else name


def is_zone_word(word: str) -> bool:
    """Whether a word of a command names a zone (`AoE`, `UTC` or a known IANA name)."""
    return word.lower() in {"aoe", "utc"} or word in _iana_names()


@cache
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones())


@dataclass(frozen=True)
class Deadline:
    """A deadline: the instant (UTC) and the zone it was written in (`AoE` or an IANA name)."""

    instant: datetime
    zone: str

    def local(self) -> datetime:
        """The deadline on its own wall clock."""
        return self.instant.astimezone(zone_of(self.zone))


def parse_deadline(day_text: str, time_text: str | None, zone_text: str) -> Deadline:
    """Read a deadline written as `2027-05-15`, an optional `23:59` (default) and a zone.

    A time in a daylight-saving gap is refused with the valid times named; one in an overlap means its
    first occurrence (`bot.domain.dates.due.resolve_wall_clock`, as for milestones).

    Raises:
        InvalidInput: Not a date, a time or a zone; or a time that does not exist that day.
    """
    day = parse_day(day_text)
    clock = DEFAULT_DEADLINE_TIME
    if time_text:
        match = _TIME_RE.match(time_text.strip())
        if match is None:
            raise InvalidInput(f"“{time_text[:40]}” is not a time; write it as `23:59`.")
        clock = time(int(match.group(1)), int(match.group(2)))
    zone = zone_of(zone_text)
    try:
        local = resolve_wall_clock(datetime.combine(day, clock), zone)
    except DateParseError as error:
        raise InvalidInput(str(error)) from None
    return Deadline(instant=local.astimezone(UTC), zone=zone_name(zone_text))


def parse_day(text: str) -> date:
    """A day written year first (`2027-05-15`).

    Raises:
        InvalidInput: Any other form, or a day that does not exist.
    """
    match = _DATE_RE.match(text.strip())
    if match is None:
        raise InvalidInput(f"“{text[:40]}” is not a date; write it year first, as `2027-05-15`.")
    try:
        return calendar_date(match.group(1), match.group(2), match.group(3))
    except DateParseError as error:
        raise InvalidInput(str(error)) from None
