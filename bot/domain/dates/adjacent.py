"""The range next to another: "the week after", "the month before", "the day after that".

A follow-up such as "what's due next week?" … "and the week after?" names no date of its own: it
moves the previous question's range by a unit, counted in the asker's calendar (a week is seven of
their days whatever daylight saving does).
"""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.dates.ranges import DateRange, midnight
from bot.domain.dates.vocabulary import day_label, month_label

UNITS = ("day", "week", "fortnight", "month")


def adjacent_range(previous: DateRange, unit: str, *, forward: bool, zone: ZoneInfo) -> DateRange:
    """The `unit` of days right after (or before) `previous`, in the asker's calendar.

    After a range that ends in the middle of a day (one that ends now: "in the past week"), the next
    range starts at the following midnight; before one, at the midnight before it. A month after a
    range that ends at a month's end is the next calendar month; otherwise it is the same day of the
    next month.

    Args:
        previous: The range the earlier question asked about.
        unit: One of `UNITS`.
        forward: After `previous` (True) or before it.
        zone: The asker's time zone.

    Returns:
        The adjacent range, labelled as it will be shown ("the week after (Mon 21 Dec – Sun 27 Dec)").
    """
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    if forward:
        end_local = previous.end.astimezone(zone)
        first = end_local.date() + timedelta(days=end_local.time() != time(0))
        last = _span_end(first, unit)
    else:
        start_local = previous.start.astimezone(zone)
        last = start_local.date() - timedelta(days=1)
        first = _span_start(last, unit)
    way = "after" if forward else "before"
    if first == last:
        label = f"the day {way} (on {day_label(first, with_year=False)})"
    elif unit == "month" and first.day == 1 and (last + timedelta(days=1)).day == 1:
        label = f"the month {way} ({month_label(first.month)})"
    else:
        span = f"{day_label(first, with_year=False)} – {day_label(last, with_year=False)}"
        label = f"the {unit} {way} ({span})"
    return DateRange(midnight(first, zone), midnight(last + timedelta(days=1), zone), label)


def _span_end(first: date, unit: str) -> date:
    """The last day of the unit that starts on `first`."""
    if unit == "month":
        return _same_day_next_month(first) - timedelta(days=1)
    return first + timedelta(days={"day": 1, "week": 7, "fortnight": 14}[unit] - 1)


def _span_start(last: date, unit: str) -> date:
    """The first day of the unit that ends on `last`."""
    if unit == "month":
        following = last + timedelta(days=1)
        if following.day == 1:
            return date(last.year, last.month, 1)  # the whole calendar month before
        return _same_day_previous_month(following)
    return last - timedelta(days={"day": 1, "week": 7, "fortnight": 14}[unit] - 1)


def _same_day_next_month(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return _clamped(year, month, day.day)


def _same_day_previous_month(day: date) -> date:
    year, month = (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
    return _clamped(year, month, day.day)


def _clamped(year: int, month: int, day: int) -> date:
    """`day` of the month, or its last day when it has fewer (31 January + 1 month: 28 or 29 February)."""
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1
