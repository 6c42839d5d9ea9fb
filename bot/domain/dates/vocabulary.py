"""How dates are written: weekday and month names, their accepted spellings, and relative days.

Both date readers (`bot.domain.dates.due` for commands and forms, `bot.domain.dates.ranges` for
questions) take their words from here, and resolve "friday" / "next friday", "in N days/weeks" and a
month and day without a year ("dec 20": the next such day from today on, `next_month_day`) by the same
rules, so a date means the same thing wherever it is typed. The English labels that dates are shown
with ("Fri 4 Dec 2026") are built from the same names, and read back as a due date.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta


def one_of(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first so that "thurs" is tried before "thu".

    Args:
        words: Plain words (no regex syntax).

    Returns:
        The alternation, without a group around it.
    """
    return "|".join(sorted(words, key=len, reverse=True))


WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# Labels are in English whatever the process locale.
_DAY_ABBREVIATIONS = tuple(name[:3].title() for name in WEEKDAY_NAMES)
_MONTH_ABBREVIATIONS = tuple(name[:3].title() for name in MONTH_NAMES)

# A due date names a weekday in full or by its first three letters, nothing looser: a command is
# checked and echoed back, so an unclear spelling is reported rather than guessed.
DUE_WEEKDAYS = {name: i for i, name in enumerate(WEEKDAY_NAMES)} | {
    name[:3]: i for i, name in enumerate(WEEKDAY_NAMES)
}
# Running text also abbreviates these ways; a question accepts them.
TEXT_WEEKDAYS = DUE_WEEKDAYS | {"tues": 1, "thur": 3, "thurs": 3}
TEXT_MONTHS = (
    {name: i + 1 for i, name in enumerate(MONTH_NAMES)}
    | {name[:3]: i + 1 for i, name in enumerate(MONTH_NAMES)}
    | {"sept": 9}
)
# A due date names a month in full, by its first three letters or as "sept" (as running text does).
DUE_MONTHS = TEXT_MONTHS
# Every word a question may use to say when: a question reader keeps them out of names and typo fixes.
DATE_WORDS = frozenset(
    """today tonight tomorrow week weeks month months year years day days end before by until till
    within christmas xmas holidays new this following coming fortnight eod eow""".split()  # noqa: SIM905 (a word list reads better as text)
).union(TEXT_WEEKDAYS, TEXT_MONTHS)

# The units of "in N days" and "in N weeks" (questions also say "in the next N months").
UNIT_PATTERN = r"days?|weeks?"
_DAYS_PER_UNIT = {"day": 1, "week": 7, "month": 30}

# "End of day" and "end of week" are the end of the working day: 17:00, on Friday for the week.
END_OF_DAY = time(17, 0)
END_OF_WEEK_WEEKDAY = 4
# A day of the month, as written after or before a month name: "20", "20th", "1st", "2nd", "3rd".
DAY_OF_MONTH = r"(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?"
# "dec 20", "december 20th", "dec. 20" and "20 dec", "20th of december"; the year is matched apart.
MONTH_FIRST = rf"(?P<month>{one_of(DUE_MONTHS)})\.?\s{DAY_OF_MONTH}"
DAY_FIRST = rf"{DAY_OF_MONTH}\s(?:of\s)?(?P<month>{one_of(DUE_MONTHS)})\.?"


def next_weekday(today: date, weekday: int) -> date:
    """The first `weekday` strictly after `today`, the one meaning of "friday" and "next friday".

    On a Friday, "friday" is a week later: a due date of today would need no weekday, and people use
    "friday" and "next friday" interchangeably, so both readers give them this one meaning.

    Args:
        today: The asker's date.
        weekday: 0 for Monday to 6 for Sunday.

    Returns:
        The date.
    """
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def end_of_week(today: date) -> date:
    """The working week's last day, Friday: this week's, or on a weekend the coming one.

    Args:
        today: The asker's date.

    Returns:
        The date (today on a Friday).
    """
    return today + timedelta(days=(END_OF_WEEK_WEEKDAY - today.weekday()) % 7)


def next_month_day(today: date, month: int, day: int) -> date | None:
    """The first `month`/`day` on or after `today`, the meaning of a date written without a year.

    "dec 20" on 20 December is today; on 21 December it is next year's. A day that a month has only
    in leap years (29 February) is the next one that exists.

    Args:
        today: The asker's date.
        month: 1 to 12.
        day: The day of the month as written.

    Returns:
        The date, or None if `month` never has `day` (31 April, 30 February, day 0).
    """
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2000, month)[1]:
        return None
    year = today.year
    while True:  # at most a leap cycle (eight years around a century not divisible by 400)
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
        year += 1


def days_per(unit: str) -> int:
    """Days in one unit of "in N days" and the like; a month counts as 30 days.

    Args:
        unit: "day", "week" or "month", singular or plural.

    Returns:
        The number of days.
    """
    return _DAYS_PER_UNIT[unit.removesuffix("s")]


def day_label(moment: datetime | date, *, with_year: bool = True) -> str:
    """Locale-independent "Fri 4 Dec 2026", or "Fri 4 Dec" without the year.

    Args:
        moment: The day (a datetime's own date, in its own zone).
        with_year: Whether to end with the year.

    Returns:
        The label.
    """
    label = f"{_DAY_ABBREVIATIONS[moment.weekday()]} {moment.day} {_MONTH_ABBREVIATIONS[moment.month - 1]}"
    return f"{label} {moment.year}" if with_year else label


def month_label(month: int) -> str:
    """Locale-independent "December" for 12.

    Args:
        month: 1 to 12.

    Returns:
        The month's English name, capitalised.
    """
    return MONTH_NAMES[month - 1].title()
