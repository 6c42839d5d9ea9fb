"""The "Move it" button a relative or past date gets (`/milestone move bidshade-3 next friday`).

Its value carries the instant that was echoed to the user, not the phrase they typed, so the move means
what they saw (`{"ref", "instant", "zone"}`). A signed request proves who pressed it, not that Liaison
wrote its value: `read_move_button` refuses anything Liaison would not have written.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.dates import MAX_YEARS_AHEAD, MIN_YEAR, ParsedDue
from bot.slack.payload_values import loads_clean


def encode_move_button(ref: str, due: ParsedDue) -> str:
    """The button's value for moving milestone `ref` to `due`."""
    return json.dumps({"ref": ref, "instant": due.instant.isoformat(), "zone": due.zone})


def read_move_button(value: object, now: datetime) -> tuple[str, ParsedDue] | None:
    """The milestone ref and due time a "Move it" button carries, or None when it is not one of ours.

    Refused: anything but a JSON object (including JSON nested too deep to decode), fields that are not
    strings, an instant without a UTC offset (it would be read in no zone at all, and the database
    refuses it), one that cannot be put in its zone or in UTC (near year 1 or 9999), an unknown zone,
    and an instant outside what the date parser accepts (years from `MIN_YEAR` to `MAX_YEARS_AHEAD`
    ahead), which Liaison never echoes and reminders could not be planned around.

    Args:
        value: The button's value.
        now: The current instant.
    """
    if not isinstance(value, str):
        return None
    try:
        data = loads_clean(value)
        if not isinstance(data, dict):
            return None
        ref, instant_text, zone_name = data.get("ref"), data.get("instant"), data.get("zone")
        if not (isinstance(ref, str) and isinstance(instant_text, str) and isinstance(zone_name, str)):
            return None
        instant = datetime.fromisoformat(instant_text)
        if instant.tzinfo is None or instant.utcoffset() is None:
            return None
        zone = ZoneInfo(zone_name)
        local = instant.astimezone(zone)
        utc = instant.astimezone(UTC)
        if utc.year < MIN_YEAR or utc > now + timedelta(days=366 * MAX_YEARS_AHEAD + 2):
            return None
    # OSError: a zone name the file system refuses (too long); OverflowError: out of the calendar.
    except (ValueError, TypeError, OverflowError, OSError, ZoneInfoNotFoundError):
        return None
    return ref, ParsedDue(instant=instant, zone=zone.key, local=local, relative=False, time_given=True)
