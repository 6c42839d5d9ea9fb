"""Strict parsing of due dates typed in Slack commands and forms.

Parsing never guesses: text that is not one of the documented forms raises `DateParseError` whose
message can be shown to the user as is. Year-first numbers and month names are unambiguous; day and
month both in numbers ("12/20", "20.12", "04/12/2026") are not, since countries order them
differently, so they are refused with each possible reading written unambiguously ("write 2026-12-20
or dec 20"). Wall-clock times are interpreted in the asker's time zone
with one shared rule for daylight-saving changes (`resolve_wall_clock`), also used by the YAML
importer and reminders. The words (weekday names, "in N days") come from
`bot.domain.dates.vocabulary`, shared with the date ranges of questions.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.dates.formatting import format_local
from bot.domain.dates.vocabulary import (
    DAY_FIRST,
    DUE_MONTHS,
    DUE_WEEKDAYS,
    END_OF_DAY,
    MONTH_FIRST,
    MONTH_NAMES,
    UNIT_PATTERN,
    WEEKDAY_NAMES,
    day_label,
    days_per,
    end_of_week,
    month_label,
    next_month_day,
    next_weekday,
    one_of,
)

# How far ahead a due date may be. Further is almost certainly a typo in the year.
MAX_YEARS_AHEAD = 5
# Earliest accepted year (also catches two-digit-year slips such as 0026-12-04).
MIN_YEAR = 2000
# "in N days/weeks" accepts N in this range.
MAX_RELATIVE_COUNT = 365

ACCEPTED_FORMS = (
    "Use a date like 2026-12-04, dec 4, 4 december 2026, today, tomorrow, friday, next friday, in 3 days, "
    "eod or end of week, optionally followed by a time like 17:00, 5pm or noon."
)

# re.ASCII keeps \s and [0-9] from matching other scripts' spaces and digits.
_TIME_SUFFIX = r"(?:\s(?P<time>.+))?"
# Year first, so unambiguous: 2026-12-04, 2026-1-4, 2026/12/04, 2026.12.04, and 2026-12-04T17:00.
_ISO = re.compile(
    r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})"
    r"(?:(?P<t>t)(?P<ttime>\S+)|\s(?P<time>.+))?",
    re.ASCII,
)
# A month by name: "dec 20", "december 20th 2026", "20 dec", "20th of december 2026", "fri 20 dec"
# (the weekday, if given, must be that date's).
_NAMED_PREFIX = rf"(?:(?P<named_weekday>{one_of(DUE_WEEKDAYS)})\s)?"
_YEAR_SUFFIX = r"(?:\s(?P<year>[0-9]{4}))?"
_NAMED_MONTH_DATES = tuple(
    re.compile(_NAMED_PREFIX + order + _YEAR_SUFFIX + _TIME_SUFFIX, re.ASCII)
    for order in (MONTH_FIRST, DAY_FIRST)
)
_RELATIVE = re.compile(
    r"(?:(?P<word>today|tomorrow|yesterday)"
    r"|(?P<eod>eod|end\sof\s(?:the\s)?day)"
    r"|(?P<eow>eow|end\sof\s(?:the\s|this\s)?week)"
    rf"|in\s(?P<count>[0-9]+)\s(?P<unit>{UNIT_PATTERN})"
    rf"|(?:next\s)?(?P<weekday>{one_of(DUE_WEEKDAYS)}))" + _TIME_SUFFIX,
    re.ASCII,
)
# Day and month in numbers, not year first (12/20, 20.12, 04/12/2026, 4-12-2026): countries write the
# two in different orders, so these are refused with the unambiguous spellings of each reading.
_AMBIGUOUS_NUMERIC_DATE = re.compile(
    r"(?P<a>[0-9]{1,2})(?:[/.](?P<b>[0-9]{1,2})|(?P<sep>[-/.])(?P<b3>[0-9]{1,2})(?P=sep)(?P<y>[0-9]{2}|[0-9]{4}))"
    r"(?:\s.*)?",
    re.ASCII,
)
# A leading "by" or "on" adds nothing to a due date: "by friday", "on dec 20".
_LEADING_WORD = re.compile(r"(?:by|on)\s(?=.)", re.ASCII)
_TIME_24H = re.compile(r"(?P<h>[0-9]{1,2}):(?P<m>[0-9]{2})(?::(?P<s>[0-9]{2}))?", re.ASCII)
_TIME_12H = re.compile(r"(?P<h>[0-9]{1,2})(?::(?P<m>[0-9]{2}))?\s?(?P<ampm>am|pm)", re.ASCII)


class DateParseError(ValueError):
    """The text is not an accepted date, or names a time that does not exist.

    ``str(error)`` is a short sentence for the user. For a time skipped by a daylight-saving change,
    `suggestion` holds the first valid instant after the gap (aware, in the zone); otherwise None.
    """

    def __init__(self, message: str, *, suggestion: datetime | None = None) -> None:
        super().__init__(message)
        self.suggestion = suggestion


@dataclass(frozen=True)
class ParsedDue:
    """A due date parsed from user text.

    Attributes:
        instant: The moment, timezone-aware in UTC (store this).
        zone: IANA name of the zone the text was interpreted in, e.g. ``"Europe/Amsterdam"``.
        local: The same moment, aware, in `zone` (show this back to the user).
        relative: True when the text was relative to now ("tomorrow", "friday", "in 3 days"), so the
            UI should ask for confirmation of the resolved date.
        time_given: True when the text included a time; otherwise the default time was used.
    """

    instant: datetime
    zone: str
    local: datetime
    relative: bool
    time_given: bool


def parse_due(
    text: str,
    *,
    now: datetime,
    zone: ZoneInfo,
    default_time: time = time(17, 0),
    keep_time_of: datetime | None = None,
) -> ParsedDue:
    """Parse a due date typed by a user.

    Accepted forms (case-insensitive; commas, surrounding and repeated whitespace and a leading
    ``by`` or ``on`` ignored):

    - Year first: ``2026-12-04`` (also ``2026-1-4``, ``2026/12/04``); ``2026-12-04 17:00``,
      ``2026-12-04T17:00``, each with optional seconds.
    - A month by name, full, three letters or ``sept``, before or after the day, the day optionally
      with ``st``/``nd``/``rd``/``th``, the year optional: ``dec 20``, ``december 20th``, ``20 dec``,
      ``20th of december``, ``20 december 2026``, ``dec 20, 2026``; optionally after the weekday,
      which must then be right (``fri 4 dec 2026``, as the bot writes dates). Without a year it is
      the first such day from today on ("dec 20" on 21 December is next year's, and since that is
      resolved against today it counts as relative).
    - ``today``, ``tomorrow``, ``yesterday``.
    - ``eod`` / ``end of day`` (today at 17:00) and ``eow`` / ``end of week`` / ``end of the week``
      (this week's Friday at 17:00; on a weekend, the coming Friday's). Both name their time.
    - A weekday, full or three letters (``friday``, ``fri``): the first such day strictly after today,
      so on a Friday ``friday`` means a week later. ``next friday`` means exactly the same (people use
      the two interchangeably, so we give them one meaning and confirm the date in the UI).
    - ``in N days`` / ``in N weeks`` (singular or plural), N from 1 to 365.
    - Any of these optionally followed by a time, with an optional ``at``: ``17:00``, ``9:30``,
      ``17:00:30``, ``5pm``, ``5 pm``, ``5:30pm``, ``12am`` (midnight), ``12pm`` or ``noon``.

    Day and month both in numbers, not year first (``12/20``, ``20.12``, ``04/12/2026``), are refused:
    countries write the two in different orders, so the message spells each possible reading
    unambiguously ("write 2026-12-20 or dec 20") instead of guessing.

    "Today" is the date in `zone` at `now`. Without a time, the date takes `keep_time_of`'s wall-clock
    time in `keep_time_of`'s zone when given (a moved milestone keeps its time of day and zone), else
    `default_time` in `zone`. A time skipped by a daylight-saving change is rejected and an ambiguous
    one (clocks going back) means its first occurrence; see `resolve_wall_clock`. Dates before the
    year 2000 or more than five years after `now` are rejected. Dates in the past are returned as is;
    deciding about them is the caller's job.

    Args:
        text: What the user typed.
        now: The current instant, timezone-aware.
        zone: The asker's time zone.
        default_time: Wall-clock time used when the text has none (naive).
        keep_time_of: An instant whose time of day and zone (a `ZoneInfo`) a date without a time
            takes instead of `default_time` in `zone`: the milestone's current due date, for a move.

    Returns:
        The parsed due date.

    Raises:
        DateParseError: The text is not an accepted form, names an invalid or out-of-range date or
            time, or names a time that does not exist in its zone.
        ValueError: `now` is naive, `default_time` is aware, or `keep_time_of` is not in a `ZoneInfo`
            zone (programming errors).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if default_time.tzinfo is not None:
        raise ValueError("default_time must be a naive wall-clock time")
    if keep_time_of is not None and not isinstance(keep_time_of.tzinfo, ZoneInfo):
        raise ValueError("keep_time_of must be aware, in a ZoneInfo zone")
    cleaned = " ".join(text.lower().replace(",", " ").split())
    leading = _LEADING_WORD.match(cleaned)
    if leading:
        cleaned = cleaned[leading.end() :]
    if not cleaned:
        raise DateParseError(f"Please give a due date. {ACCEPTED_FORMS}")
    today = now.astimezone(zone).date()

    day, relative, clock = _read_date(cleaned, text, today)
    _check_range(day, today)
    if clock is None and keep_time_of is not None:
        kept_zone = keep_time_of.tzinfo
        assert isinstance(kept_zone, ZoneInfo)  # checked above; narrows the type
        kept = keep_time_of.astimezone(kept_zone)
        local = resolve_wall_clock(datetime.combine(day, kept.time().replace(microsecond=0)), kept_zone)
    else:
        local = resolve_wall_clock(datetime.combine(day, clock or default_time), zone)
    return ParsedDue(
        instant=local.astimezone(UTC),
        zone=_zone_key(local),
        local=local,
        relative=relative,
        time_given=clock is not None,
    )


def _read_date(cleaned: str, text: str, today: date) -> tuple[date, bool, time | None]:
    """The day, whether it was resolved against today, and the time (None if none was written)."""
    iso = _ISO.fullmatch(cleaned)
    if iso:
        day = calendar_date(iso.group("y"), iso.group("m").zfill(2), iso.group("d").zfill(2))
        if iso.group("t"):
            # After a "T" only the ISO 24-hour form makes sense.
            return day, False, _parse_time(iso.group("ttime"), allow_words=False)
        return day, False, _parse_time(iso.group("time")) if iso.group("time") else None
    for pattern in _NAMED_MONTH_DATES:
        named = pattern.fullmatch(cleaned)
        if named:
            day, relative = _named_month_date(named, today)
            return day, relative, _parse_time(named.group("time")) if named.group("time") else None
    rel = _RELATIVE.fullmatch(cleaned)
    if rel:
        day = _relative_date(rel, today)
        if rel.group("time"):
            return day, True, _parse_time(rel.group("time"))
        # "eod" and "end of week" name the end of the working day.
        return day, True, END_OF_DAY if rel.group("eod") or rel.group("eow") else None
    ambiguous = _AMBIGUOUS_NUMERIC_DATE.fullmatch(cleaned)
    if ambiguous:
        raise DateParseError(_ambiguous_date_message(ambiguous, today))
    raise DateParseError(f"I couldn't read {_quote(text)} as a date. {ACCEPTED_FORMS}")


def _named_month_date(match: re.Match[str], today: date) -> tuple[date, bool]:
    """The date of "dec 20 [2026]" / "20 december [2026]", and whether its year was inferred."""
    month, day_of_month = DUE_MONTHS[match.group("month")], int(match.group("day"))
    year_text = match.group("year")
    if year_text is not None:
        day = calendar_date(year_text, f"{month:02d}", f"{day_of_month:02d}")
        inferred = False
    else:
        found = next_month_day(today, month, day_of_month)
        if found is None:
            longest = calendar.monthrange(2000, month)[1]  # 2000 is a leap year: February's longest
            raise DateParseError(
                f"{month_label(month)} {day_of_month} is not a date: {month_label(month)} has at most "
                f"{longest} days."
            )
        day = found
        inferred = day.year != today.year
    named_weekday = match.group("named_weekday")
    if named_weekday is not None and DUE_WEEKDAYS[named_weekday] != day.weekday():
        raise DateParseError(
            f"{day_label(day)} is a {WEEKDAY_NAMES[day.weekday()].title()}, "
            f"not a {WEEKDAY_NAMES[DUE_WEEKDAYS[named_weekday]].title()}."
        )
    return day, inferred


def _ambiguous_date_message(match: re.Match[str], today: date) -> str:
    """Why "12/20" is refused, with each reading of it written unambiguously."""
    first, second = int(match.group("a")), int(match.group("b") or match.group("b3"))
    year_text = match.group("y")
    year = None if year_text is None else int(year_text) + (2000 if len(year_text) == 2 else 0)
    readings: list[str] = []
    for month, day_of_month in ((first, second), (second, first)):
        if year is None:
            day = next_month_day(today, month, day_of_month)
        elif (
            year >= MIN_YEAR and 1 <= month <= 12 and 1 <= day_of_month <= calendar.monthrange(year, month)[1]
        ):
            day = date(year, month, day_of_month)
        else:
            day = None
        spelled = None if day is None else f"{day.isoformat()} or {MONTH_NAMES[month - 1][:3]} {day.day}"
        if spelled is not None and spelled not in readings:
            readings.append(spelled)
    written = _quote(match.group(0).split(" ")[0])
    if not readings:
        suggestion = "a date like 2026-12-04 or dec 4"
    elif len(readings) == 1:
        suggestion = readings[0]
    else:
        suggestion = f"{readings[0]} for one reading, {readings[1]} for the other"
    return f"{written} is not clear: day and month are written in either order. Write {suggestion}."


def resolve_wall_clock(local_naive: datetime, zone: ZoneInfo) -> datetime:
    """Attach `zone` to a wall-clock time, applying the daylight-saving rule shared by the bot.

    - A time that does not exist because clocks go forward (02:30 on 2027-03-28 in Europe/Amsterdam)
      raises `DateParseError`; the message names the valid times right after the gap (03:00, and
      03:30 for the same clock reading shifted by the change) and `suggestion` holds the first.
    - A time that happens twice because clocks go back (02:30 on 2027-10-31 in Europe/Amsterdam)
      means the first occurrence (``fold=0``, still on summer time).

    Gaps are detected by round-tripping through UTC with zoneinfo, not by offset arithmetic.

    Args:
        local_naive: The wall-clock time (naive).
        zone: The zone it is read in.

    Returns:
        The aware datetime in `zone`, with ``fold=0``. Convert it with ``.astimezone(UTC)`` before
        storing or comparing: under PEP 495 a time in the overlap never compares equal (``==``) to a
        datetime with a different tzinfo, even when both name the same instant.

    Raises:
        DateParseError: The wall-clock time does not exist in `zone`.
        ValueError: `local_naive` is aware (programming error).
    """
    if local_naive.tzinfo is not None:
        raise ValueError("local_naive must be a naive datetime")
    candidate = local_naive.replace(tzinfo=zone, fold=0)
    # Naive comparison ignores fold, so a time read twice (clocks going back) passes as it should.
    if candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local_naive:
        return candidate
    # In a gap, fold=0 reads the time with the offset from before the change and fold=1 with the one
    # after, so the change itself lies between the two readings (PEP 495).
    late = candidate.astimezone(UTC)
    early = local_naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    first_valid = _first_instant_with_offset(early, late, zone).astimezone(zone)
    shifted = late.astimezone(zone)
    # Step back in UTC: arithmetic on an aware datetime would move along the wall clock instead.
    last_before = (first_valid.astimezone(UTC) - timedelta(seconds=1)).astimezone(zone)
    gap_starts = last_before.replace(tzinfo=None) + timedelta(seconds=1)
    jump_from, jump_to = _clock(gap_starts), _clock(first_valid)
    if gap_starts.date() != first_valid.date():  # a whole day skipped (Pacific/Apia, December 2011)
        jump_from, jump_to = f"{day_label(gap_starts)} {jump_from}", f"{day_label(first_valid)} {jump_to}"
    options = _clock(first_valid)
    if shifted != first_valid:
        options += f" or {_clock(shifted)}"
    raise DateParseError(
        f"{_clock(local_naive)} on {day_label(local_naive)} does not exist in {zone.key} because clocks go "
        f"forward from {jump_from} to {jump_to}. Try {options}.",
        suggestion=first_valid,
    )


def calendar_date(year_text: str, month_text: str, day_text: str) -> date:
    """Build a date from the digits of an ISO date, explaining what is wrong with an impossible one.

    Args:
        year_text: The year as written ("2026").
        month_text: The month as written ("12" or "1").
        day_text: The day of the month as written ("04" or "4").

    Returns:
        The date.

    Raises:
        DateParseError: The year is before MIN_YEAR, or the month or day does not exist.
    """
    year, month, day = int(year_text), int(month_text), int(day_text)
    written = f"{year_text}-{month_text}-{day_text}"
    if year < MIN_YEAR:
        raise DateParseError(f"{written} is before the year {MIN_YEAR}; please check the year.")
    if not 1 <= month <= 12:
        raise DateParseError(f"{written} is not a valid date: the month must be 01 to 12.")
    days_in_month = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days_in_month:
        raise DateParseError(
            f"{written} is not a valid date: {month_label(month)} {year} has {days_in_month} days."
        )
    return date(year, month, day)


def _relative_date(match: re.Match[str], today: date) -> date:
    """Resolve the date part of a relative form against `today` (in the asker's zone)."""
    word = match.group("word")
    if word == "today" or match.group("eod"):
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word == "yesterday":
        return today - timedelta(days=1)
    if match.group("eow"):
        return end_of_week(today)
    weekday_text = match.group("weekday")
    if weekday_text is not None:
        return next_weekday(today, DUE_WEEKDAYS[weekday_text])
    count = int(match.group("count"))
    if not 1 <= count <= MAX_RELATIVE_COUNT:
        raise DateParseError(f"In “in N days” or “in N weeks”, N must be from 1 to {MAX_RELATIVE_COUNT}.")
    return today + timedelta(days=count * days_per(match.group("unit")))


def _parse_time(text: str, *, allow_words: bool = True) -> time:
    """Parse the time part (``17:00``, ``5pm``, ``noon``, optionally after ``at``)."""
    cleaned = text.strip()
    if allow_words and cleaned.startswith("at "):
        cleaned = cleaned[3:]
    if allow_words and cleaned == "noon":
        return time(12, 0)
    h24 = _TIME_24H.fullmatch(cleaned)
    if h24:
        hour, minute = int(h24.group("h")), int(h24.group("m"))
        second = int(h24.group("s") or 0)
        if hour > 23:
            raise DateParseError(f"{cleaned} is not a valid time: hours run from 0 to 23.")
        if minute > 59 or second > 59:
            raise DateParseError(f"{cleaned} is not a valid time: minutes and seconds run from 00 to 59.")
        return time(hour, minute, second)
    h12 = _TIME_12H.fullmatch(cleaned) if allow_words else None
    if h12:
        hour, minute = int(h12.group("h")), int(h12.group("m") or 0)
        if not 1 <= hour <= 12:
            raise DateParseError(f"{cleaned} is not a valid time: with am/pm the hour must be 1 to 12.")
        if minute > 59:
            raise DateParseError(f"{cleaned} is not a valid time: minutes run from 00 to 59.")
        hour = hour % 12 + (12 if h12.group("ampm") == "pm" else 0)
        return time(hour, minute)
    raise DateParseError(
        f"I couldn't read {_quote(text.strip())} as a time. Use a time like 17:00, 9:30, 5pm, 5:30pm or noon."
    )


def _check_range(day: date, today: date) -> None:
    """Reject dates before MIN_YEAR or more than MAX_YEARS_AHEAD years after today."""
    if day.year < MIN_YEAR:
        raise DateParseError(f"{day.isoformat()} is before the year {MIN_YEAR}; please check the year.")
    limit = _add_years(today, MAX_YEARS_AHEAD)
    if day > limit:
        raise DateParseError(
            f"{day.isoformat()} is more than {MAX_YEARS_AHEAD} years away; "
            f"please pick a date up to {limit.isoformat()}."
        )


def _add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _first_instant_with_offset(early: datetime, late: datetime, zone: ZoneInfo) -> datetime:
    """First UTC instant in (early, late] that has the same UTC offset in `zone` as `late`.

    Bisects on whole seconds (transitions fall on whole seconds), asking zoneinfo for each offset.
    """
    target = late.astimezone(zone).utcoffset()
    low, high = early, late  # invariant: low has a different offset, high has the target one
    while high - low > timedelta(seconds=1):
        middle = low + ((high - low) // 2 // timedelta(seconds=1)) * timedelta(seconds=1)
        if middle.astimezone(zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return high


def _zone_key(moment: datetime) -> str:
    """The IANA name of an aware datetime's ZoneInfo zone."""
    zone = moment.tzinfo
    assert isinstance(zone, ZoneInfo)  # every local time here is built in a ZoneInfo zone
    return zone.key


def _clock(moment: datetime) -> str:
    """HH:MM, or HH:MM:SS when there are seconds."""
    return f"{moment:%H:%M:%S}" if moment.second else f"{moment:%H:%M}"


def _quote(text: str, limit: int = 40) -> str:
    """Quote user text for an error message, shortened so a pasted paragraph stays readable."""
    short = text.strip()
    if len(short) > limit:
        short = short[: limit - 1] + "…"
    return f"“{short}”"


# A day and month typed without a year that lands this far ahead rolled into next year: a form, which
# has no confirm step, asks for the year rather than plan a deadline a year off.
ROLLED_OVER = timedelta(days=300)
_YEAR_TYPED = re.compile(r"\b(19|20)\d\d\b")
_IN_SOME_TIME = re.compile(r"\bin \d+\b", re.IGNORECASE)  # "in 50 weeks" means what it says


def form_due_problem(due: ParsedDue, text: str, now: datetime) -> str | None:
    """Why a due date typed in a form should be typed again, or None when it can be taken as it is.

    A form has no confirmation step (a slash command echoes such dates back instead): a date in the
    past would make the milestone overdue at once, and a day and month without a year that rolled
    into next year ("dec 1" typed on 9 December) would stop its reminders for a year.

    Args:
        due: The date as parsed.
        text: The date as typed.
        now: The current instant.

    Returns:
        A message for the form's field, or None.
    """
    shown = format_local(due.instant, ZoneInfo(due.zone))
    if due.instant < now:
        return f"{shown} is in the past; pick a later date."
    if not _YEAR_TYPED.search(text) and not _IN_SOME_TIME.search(text) and due.instant - now > ROLLED_OVER:
        return f"{_quote(text)} is {shown}, almost a year away: type the year if you mean it."
    return None
