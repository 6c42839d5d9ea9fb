"""The document (bot/calendar/ical.py): zones across DST, UTC, unknown zones, all-day and done items."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from bot.calendar.ical import build_calendar
from bot.calendar.items import CalendarItem
from bot.calendar.revisions import Revision
from tests.calendar.support import events

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
STAMP = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _parsed(items: list[CalendarItem]) -> Calendar:
    revisions = {item.uid: Revision(3, STAMP) for item in items}
    return Calendar.from_ical(build_calendar("n", "d", items, revisions))


def test_wall_clock_times_survive_the_dst_change_both_ways() -> None:
    # Amsterdam leaves winter time on Sun 29 Mar 2026: 17:00 is 16:00 UTC before, 15:00 UTC after.
    before = datetime(2026, 3, 28, 16, 0, tzinfo=UTC)
    after = datetime(2026, 3, 30, 15, 0, tzinfo=UTC)
    calendar = _parsed(
        [
            CalendarItem(uid="before", summary="b", start=before, zone="Europe/Amsterdam"),
            CalendarItem(uid="after", summary="a", start=after, zone="Europe/Amsterdam"),
        ]
    )
    found = events(calendar)

    assert found["before"].decoded("DTSTART") == datetime(2026, 3, 28, 17, 0, tzinfo=AMSTERDAM)
    assert found["after"].decoded("DTSTART") == datetime(2026, 3, 30, 17, 0, tzinfo=AMSTERDAM)
    assert found["before"].decoded("DTSTART") == before and found["after"].decoded("DTSTART") == after
    assert b"DTSTART;TZID=Europe/Amsterdam:20260330T170000" in calendar.to_ical()
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Amsterdam"]


def test_utc_and_unknown_zones_are_written_in_utc_and_all_day_items_as_dates() -> None:
    instant = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    calendar = _parsed(
        [
            CalendarItem(uid="utc", summary="u", start=instant, zone="UTC"),
            CalendarItem(uid="odd", summary="o", start=instant, zone="Nowhere/Special"),
            CalendarItem(uid="day", summary="d", start=date(2027, 3, 31), zone="UTC"),
        ]
    )
    found = events(calendar)
    text = calendar.to_ical()

    assert found["utc"].decoded("DTSTART") == instant and found["odd"].decoded("DTSTART") == instant
    assert text.count(b"DTSTART:20261204T170000Z") == 2
    assert found["day"].decoded("DTSTART") == date(2027, 3, 31)
    assert calendar.walk("VTIMEZONE") == []


def test_revision_and_done_marks() -> None:
    alarm = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    calendar = _parsed(
        [
            CalendarItem(uid="open", summary="Open", start=STAMP, zone="UTC", alarms=(alarm,)),
            CalendarItem(uid="done", summary="Done", start=STAMP, zone="UTC", done=True, categories=("X",)),
        ]
    )
    found = events(calendar)

    assert int(found["open"]["SEQUENCE"]) == 3
    assert found["open"].decoded("DTSTAMP") == STAMP == found["open"].decoded("LAST-MODIFIED")
    assert [a["TRIGGER"].dt for a in found["open"].walk("VALARM")] == [alarm]
    assert str(found["done"]["SUMMARY"]) == "✓ Done"
    assert list(found["done"]["CATEGORIES"].cats) == ["X", "Done"]
