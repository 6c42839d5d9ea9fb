"""How dates are written: strict due dates in commands, date ranges in questions, friendly formatting.

One place knows the weekday and month names (and which spellings each reader accepts), the relative
forms ("today", "tomorrow", "friday", "next friday", "in 3 days", "end of week") and how they, and a
month and day without a year ("dec 20"), resolve against today: `bot.domain.dates.vocabulary`. Two
readers share it:

- `parse_due` (`bot.domain.dates.due`) reads a due date typed in a command or form. It never guesses:
  text that is not one of the documented forms raises `DateParseError` whose message can be shown to
  the user as is; day and month both in numbers ("12/20") are refused with each reading spelled out.
  Given `keep_time_of`, a date without a time keeps that instant's time of day and zone (a move).
- `find_date_range` (`bot.domain.dates.ranges`) finds a range of days ("next week", "before
  Christmas", "by friday") in a question, leniently: words it does not understand are no range;
  `adjacent_range` (`bot.domain.dates.adjacent`) gives the one after or before it ("the week after").

Wall-clock times are interpreted in the asker's time zone with one shared rule for daylight-saving
changes (`resolve_wall_clock`), also used by the YAML importer and reminders. `format_local` and
`format_relative` show instants back (`bot.domain.dates.formatting`).

This package's interface is what it exports here.
"""

from __future__ import annotations

from bot.domain.dates.adjacent import UNITS as ADJACENT_UNITS
from bot.domain.dates.adjacent import adjacent_range
from bot.domain.dates.due import (
    ACCEPTED_FORMS,
    MAX_RELATIVE_COUNT,
    MAX_YEARS_AHEAD,
    MIN_YEAR,
    DateParseError,
    ParsedDue,
    form_due_problem,
    parse_due,
    resolve_wall_clock,
)
from bot.domain.dates.formatting import format_local, format_relative
from bot.domain.dates.ranges import SOON, DateRange, find_date_range
from bot.domain.dates.vocabulary import DATE_WORDS, MONTH_NAMES, WEEKDAY_NAMES, next_weekday

__all__ = [
    "ACCEPTED_FORMS",
    "ADJACENT_UNITS",
    "DATE_WORDS",
    "MAX_RELATIVE_COUNT",
    "MAX_YEARS_AHEAD",
    "MIN_YEAR",
    "MONTH_NAMES",
    "SOON",
    "WEEKDAY_NAMES",
    "DateParseError",
    "DateRange",
    "ParsedDue",
    "adjacent_range",
    "find_date_range",
    "form_due_problem",
    "format_local",
    "format_relative",
    "next_weekday",
    "parse_due",
    "resolve_wall_clock",
]
