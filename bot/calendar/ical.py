"""Items → an iCalendar (RFC 5545) document, built with the `icalendar` package.

- Times are written in the zone they were set in (`DTSTART;TZID=Europe/Amsterdam:…`) with a VTIMEZONE
  for each zone used, so a client shows a 17:00 Amsterdam deadline at 17:00 Amsterdam time across DST;
  a zone this system does not know is written in UTC. All-day items are `VALUE=DATE`.
- A milestone is a moment (a deadline), so an event has a DTSTART and no DTEND (RFC 5545 3.6.1: it
  ends where it starts), and is TRANSPARENT (it does not make anyone busy).
- A VEVENT's STATUS may only be TENTATIVE, CONFIRMED or CANCELLED (COMPLETED is for VTODO, which
  Google Calendar and Outlook do not show from a subscription): a done item is CONFIRMED, its title
  starts with "✓ " and it has the category "Done"; it carries no alarms.
- Reminders are VALARMs with absolute triggers (`TRIGGER;VALUE=DATE-TIME:…Z`) and are also listed in
  the description, since Google Calendar ignores alarms in subscribed calendars.
- DTSTAMP and LAST-MODIFIED are the time the event last changed (a feed without METHOD, 3.8.7.2), so
  an unchanged feed is byte-for-byte the same and its ETag holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Alarm, Calendar, Event

from bot.calendar.items import CalendarItem
from bot.calendar.revisions import Revision

PRODID = "-//Liaison//Calendar feed 1.0//EN"
# How often clients that honour it (RFC 7986 REFRESH-INTERVAL, Outlook's X-PUBLISHED-TTL) refetch;
# Google Calendar refreshes on its own schedule (several hours).
REFRESH = timedelta(hours=1)
DONE_MARK = "✓ "


def build_calendar(
    name: str, description: str, items: Sequence[CalendarItem], revisions: Mapping[str, Revision]
) -> bytes:
    """The feed document.

    Args:
        name: The calendar's name as clients show it.
        description: One line about what it holds.
        items: Its events (UIDs unique).
        revisions: Each UID's SEQUENCE and modification time (`bot.calendar.revisions.observe`).
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("description", description)
    calendar.add("x-wr-caldesc", description)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for item in items:
        calendar.add_component(_event(item, revisions[item.uid]))
    if items:
        years = [item.start.year for item in items]
        # VTIMEZONEs cover the years the events are in (the default span is 1970-2038, 10 KB a zone).
        calendar.add_missing_timezones(
            first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 2, 1, 1)
        )
    return bytes(calendar.to_ical())


def _event(item: CalendarItem, revision: Revision) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", revision.modified_at.astimezone(UTC))
    event.add("last-modified", revision.modified_at.astimezone(UTC))
    event.add("sequence", revision.sequence)
    event.add("summary", (DONE_MARK if item.done else "") + item.summary)
    event.add("dtstart", _start(item))
    event.add("status", "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    if item.description:
        event.add("description", item.description)
    if item.url:
        event.add("url", item.url)
    categories = [*item.categories, "Done"] if item.done else list(item.categories)
    if categories:
        event.add("categories", categories)
    for at in item.alarms:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Reminder: {item.summary}")
        alarm.add("trigger", at.astimezone(UTC), parameters={"VALUE": "DATE-TIME"})
        event.add_component(alarm)
    return event


def _start(item: CalendarItem) -> datetime | date:
    if not isinstance(item.start, datetime):
        return item.start
    try:
        return item.start.astimezone(ZoneInfo(item.zone))
    except (ZoneInfoNotFoundError, ValueError):
        return item.start.astimezone(UTC)
