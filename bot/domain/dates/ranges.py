"""Date ranges in questions: "next week", "before Christmas", "by friday", "in the next 10 days".

A question is free text, so this reader is lenient where `bot.domain.dates.due` is strict: a phrase
it does not understand is simply no date range. Its words and its rules for "friday" and "in N days"
are those of `bot.domain.dates.vocabulary`, shared with due dates. Day boundaries are the asker's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.dates.due import DateParseError, calendar_date
from bot.domain.dates.vocabulary import (
    DAY_FIRST,
    MONTH_FIRST,
    TEXT_MONTHS,
    TEXT_WEEKDAYS,
    UNIT_PATTERN,
    day_label,
    days_per,
    month_label,
    next_month_day,
    next_weekday,
    one_of,
)

# How far ahead "soon" / "coming up" looks.
SOON = timedelta(days=14)


@dataclass(frozen=True)
class DateRange:
    """A half-open range of instants [start, end) in UTC, with the phrase it came from.

    `soon`: it stands for a vague "soon" / "coming up" / "upcoming" (the next SOON), which a question
    about a project's next milestones or people's last days reads more widely.
    """

    start: datetime
    end: datetime
    label: str
    soon: bool = False


# Words before a part of a month that make it the end of a range from now ("by the end of january").
_UP_TO = re.compile(r"\b(by|before|until|till|through|thru)(?: the)? $")
# Parts of a month by their first and last day (None: the month's last).
_MONTH_PARTS: dict[str, tuple[int, int | None]] = {
    "early": (1, 10),
    "start of": (1, 10),
    "beginning of": (1, 10),
    "first half of": (1, 15),
    "mid": (11, 20),
    "middle of": (11, 20),
    "second half of": (16, None),
    "late": (21, None),
    "end of": (21, None),
}

# Which seven days of a month "the Nth week of" it means: from the 1st, the 8th, …; "last" is its last
# seven days (a month's weeks counted from its first day, not from a Monday, as people say them).
_NTH_WEEK = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_NTH_WEEK |= {"last": 0, "final": 0}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}
_NUMBER = rf"\d+|{'|'.join(_NUMBER_WORDS)}"
# Tried in this order; the first that matches (and makes a date) wins.
_RANGE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("iso", r"\b(?P<pre>before|by|until|till|on)? ?(?P<y>20\d\d) (?P<m>\d\d?) (?P<d>\d\d?)\b"),
        # "the week of the 14th", "the week of dec 14": Monday to Sunday around that day.
        (
            "week_of_day",
            rf"\b(?:in |during )?the week of (?:the )?(?:(?P<month>{one_of(TEXT_MONTHS)}) )?"
            rf"(?P<day>[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?"
            rf"(?: (?:of )?(?P<month2>{one_of(TEXT_MONTHS)}))?\b",
        ),
        # "by dec 20", "before 20 december 2026", "on december 20th" (the month by name, as in due dates).
        *(
            ("month_day", rf"\b(?P<pre>before|by|until|till|on)? ?(?:the )?{order}(?: (?P<year>20\d\d))?\b")
            for order in (MONTH_FIRST, DAY_FIRST)
        ),
        # "the 2nd week of december", "in the last week of january": seven days of a named month.
        (
            "week_of_month",
            rf"\b(?P<pre>before|by|until|till|in|during)? ?(?:the )?(?P<nth>{'|'.join(_NTH_WEEK)}) "
            rf"week (?:of|in) (?P<month>{one_of(TEXT_MONTHS)})\b",
        ),
        # "on the 14th", "by the 18th": a day of the month without its month, the next such day ("the
        # 2nd one", "the 3rd item" point into a list).
        (
            "ordinal_day",
            r"\b(?P<pre>before|by|until|till|on)? ?the (?P<day>[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)\b"
            r"(?! (?:one|ones|item|items|milestone|milestones|blocker|project|on the list)\b)",
        ),
        (
            "next_n",
            rf"\b(?:in|within|over|during)? ?(?:the )?(?:next|coming|following) (?P<n>{_NUMBER}|few|"
            rf"couple of) (?P<unit>{UNIT_PATTERN}|months?)\b",
        ),
        ("within_n", rf"\bwithin (?:the )?(?P<n>{_NUMBER}) (?P<unit>{UNIT_PATTERN})\b"),
        ("in_n", rf"\bin (?P<n>{_NUMBER}) (?P<unit>{UNIT_PATTERN})\b"),
        (
            "christmas",
            r"\b(?P<pre>before|by|until|till|ahead of|after|past)? ?(?:the )?(?:christmas|xmas)"
            r"(?: break| holidays?)?\b",
        ),
        (
            "year_end",
            r"\b(?:before|by|until|till) (?:the )?(?:end of (?:the )?year|new year|year end|new years?)\b",
        ),
        ("this_year", r"\b(?:this|the rest of the) year\b"),
        # Ranges in the past: "what was due last week", "anything due in the past 10 days".
        (
            "past_n",
            rf"\b(?:in|within|over|during)? ?(?:the )?(?:last|past|previous) (?P<n>{_NUMBER}|few|"
            rf"couple of) (?P<unit>{UNIT_PATTERN}|months?)\b",
        ),
        ("past_fortnight", r"\b(?:in |over |during )?(?:the )?(?:last|past|previous) fortnight\b"),
        ("since_yesterday", r"\bsince yesterday\b"),
        ("yesterday", r"\byesterday\b"),
        # "what's been due since monday": from the last such day (a week back when it is that day).
        ("since_weekday", rf"\bsince (?:last |this |the )?(?P<wd>{one_of(TEXT_WEEKDAYS)})\b"),
        ("earlier_this", r"\bearlier (?:this|in the) (?P<unit>week|month)\b"),
        ("past_week", r"\b(?:the )?past week\b"),
        ("past_month", r"\b(?:the )?past month\b"),
        # "last week" is the calendar week before this one ("the last week of december" is not).
        ("last_week", r"\b(?:last|the previous|previous) week\b(?! of)"),
        ("last_month", r"\b(?:last|the previous|previous) month\b"),
        ("today", r"\b(?:today|tonight|this evening|this afternoon|eod|end of (?:the )?day)\b"),
        ("day_after_tomorrow", r"\b(?:the )?day after tomorrow\b"),
        ("tomorrow", r"\btomorrow\b"),
        # "this week" from its Monday (what is still open from its first days is overdue); the rest
        # of it, or "by the end of the week", from now.
        (
            "rest_of_week",
            r"\b(?:(?:the )?rest of (?:the|this) week|end of(?: the| this)? week|eow)\b",
        ),
        # "this coming week": on a weekend the next calendar week, else the next seven days (as "the
        # week ahead", which normalising the question turned into those words already).
        ("week_ahead", r"\b(?:(?:in|over|during) )?(?:this coming|the upcoming) week\b"),
        # "the week after this one" is next week (before "this week" finds its last words).
        ("week_after_this", r"\bthe week after (?:this|the current)(?: one| week)?\b"),
        ("this_week", r"\b(?:this|the current) week\b"),
        (
            "next_month_end",
            r"\b(?:(?:by|before|until|till|through|thru) )?(?:the )?end of (?:the )?"
            r"(?:next|coming|following) month\b",
        ),
        (
            "next_week_end",
            r"\b(?:(?:by|before|until|till) )?(?:the )?end of (?:the )?(?:next|coming|following) week\b",
        ),
        ("week_after_next", r"\b(?:the )?week after next\b"),
        ("next_week", r"\b(?:next|the coming|the following|coming) week\b"),
        ("fortnight", r"\b(?:next|this|the coming) (?:two weeks|fortnight)\b"),
        ("last_weekend", r"\b(?:last|the previous|previous|the past) (?:weekend|week end)\b"),
        (
            "weekend",
            r"\b(?P<which>this|the|next|coming|the coming)? ?(?:weekend|week end)\b",
        ),
        (
            "rest_of_month",
            r"\b(?:(?:the )?rest of (?:the|this) month|"
            r"(?:(?:before|by|until|till) )?(?:the )?end of (?:the |this )?month|eom)\b",
        ),
        ("this_month", r"\b(?:this|the current) month\b"),
        ("next_month", r"\b(?:next|the coming|the following|coming) month\b"),
        # "mid-december", "late january", "the second half of december": part of a named month (not "by
        # the end of january", which runs from now).
        (
            "part_of_month",
            rf"\b(?:in |during |over )?(?:the )?"
            rf"(?P<part>{'|'.join(_MONTH_PARTS)})(?: of)? (?P<month>{one_of(TEXT_MONTHS)})\b(?! \d)",
        ),
        (
            "month",
            rf"\b(?P<pre>before|by|until|till|through|thru|in|during|for)? ?"
            rf"(?P<month>{one_of(TEXT_MONTHS)})\b(?! \d)",
        ),
        # "what was due last friday": the most recent one (a week back when it is today).
        ("last_weekday", rf"\blast (?P<wd>{one_of(TEXT_WEEKDAYS)})\b"),
        (
            "weekday",
            rf"\b(?P<pre>before|by|until|till|on|this|next|coming)? ?(?P<wd>{one_of(TEXT_WEEKDAYS)})\b",
        ),
        ("soon", r"\b(?:soon|shortly|coming up|upcoming)\b"),
    )
)


def find_date_range(text: str, *, now: datetime, zone: ZoneInfo) -> tuple[DateRange | None, str]:
    """Find a relative date range in a normalised question.

    Understood: "today" (also "eod", "end of day"), "tomorrow", "this week" (Monday to the end of
    Sunday: what is still open from its first days is overdue; "the rest of the week", "end of week",
    "eow" from now), "next week" (Monday to Sunday; also "the week after this one"), "this coming
    week" (the next seven days; on a weekend, next week), "between now and the 20th", "early / mid / late
    december", "after christmas", "this weekend" (the coming Saturday and Sunday),
    "this month" (from its first day; "the rest of the month", "by the end of the month" from now),
    "on the 14th" / "by the 18th" (the next such day of a month), "next month", past windows ("last
    week", "last month", "yesterday", "earlier this week/month", "the past week", "in the past 10
    days"; a month named in the past tense, "what was due in October", is this year's), "in the
    next N days/weeks", "within N days", "before Christmas" (to 25 December, 00:00), "before the end
    of the year", "by friday" (to the end of the day `next_weekday` gives, as in `parse_due`), "on
    friday", "in December", "by 2026-12-04" (written "2026 12 04" once punctuation is gone), "by dec
    20" / "before 20 december 2026" / "on dec 20th" (without a year, the next such day from today on,
    as in `parse_due`), and "soon" (the next 14 days). Weeks start on Monday.

    Args:
        text: The question, casefolded, punctuation turned into spaces and spaces collapsed (as
            `bot.domain.matching.fold` leaves it).
        now: The current instant, timezone-aware.
        zone: The asker's zone; day boundaries are the asker's.

    Returns:
        The range (or None) and the text with the date phrase removed.
    """
    local = now.astimezone(zone)
    today = local.date()
    start = now.astimezone(UTC)
    between = _between(text, now=start, zone=zone)
    if between is not None:
        return between
    past = _PAST_TENSE.search(text) is not None
    for name, pattern in _RANGE_PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        found = _range_for(name, match, today, start, zone, past=past)
        if found is None:
            continue
        rest = " ".join((text[: match.start()] + " " + text[match.end() :]).split())
        return found, rest
    return None, text


# "between now and the 20th", "between the 10th and the 20th", "between monday and friday".
_BETWEEN = re.compile(
    r"\bbetween (?P<a>(?:\w+ ){0,2}?\w+) and (?P<b>(?:\w+ ){0,2}?\w+)(?= (?:on|for|in|at)\b|$)"
)


def _between(text: str, *, now: datetime, zone: ZoneInfo) -> tuple[DateRange, str] | None:
    """The days from one named day to another (either may be "now"/"today"), in either order."""
    match = _BETWEEN.search(text)
    if match is None:
        return None
    ends: list[tuple[datetime, datetime, str]] = []
    today = now.astimezone(zone).date()
    for side in (match["a"], match["b"]):
        if side in ("now", "today"):
            ends.append((now, now, "now"))
            continue
        if side in TEXT_WEEKDAYS:
            # "between monday and friday": days of the coming week, today included (on a Monday, this
            # week's), the second no earlier than the first.
            earliest = today if not ends else ends[0][0].astimezone(zone).date()
            day = earliest + timedelta(days=(TEXT_WEEKDAYS[side] - earliest.weekday()) % 7)
            ends.append((midnight(day, zone), _end_of_day(day, zone), day_label(day, with_year=False)))
            continue
        found, rest = find_date_range(f"on {side}", now=now, zone=zone)
        if found is None or rest.strip():
            return None  # not a day ("between pcm and uplift")
        ends.append((found.start, found.end, found.label.removeprefix("on ")))
    (a_start, a_end, a_label), (b_start, b_end, b_label) = sorted(ends)
    rest = " ".join((text[: match.start()] + " " + text[match.end() :]).split())
    return DateRange(a_start, max(a_end, b_end), f"between {a_label} and {b_label}"), rest


# "What was due in October": a month named in the past tense is this year's, up to now.
_PAST_TENSE = re.compile(r"\b(?:was|were|did|had)\b")


def _range_for(
    name: str, match: re.Match[str], today: date, now: datetime, zone: ZoneInfo, *, past: bool = False
) -> DateRange | None:
    """The range a matched phrase means; None for a phrase that names no real date (2026 02 30).

    `past`: the question is in the past tense, which makes a month name this year's, up to now.
    """
    groups = match.groupdict()
    pre = groups.get("pre")
    if name == "iso":
        try:
            day = calendar_date(groups["y"], groups["m"], groups["d"])
        except DateParseError:
            return None
        return _by_or_on_day(day, pre, now, zone)
    if name == "month_day":
        month, day_of_month = TEXT_MONTHS[groups["month"]], int(groups["day"])
        if groups["year"] is None:
            found = next_month_day(today, month, day_of_month)
        else:
            try:
                found = calendar_date(groups["year"], f"{month:02d}", f"{day_of_month:02d}")
            except DateParseError:
                found = None
        # "due dec 16" names a day: on it (a range up to it is asked with "by", "before", "until").
        return None if found is None else _by_or_on_day(found, pre or "on", now, zone)
    if name == "week_of_month":
        return _week_of_month(
            TEXT_MONTHS[groups["month"]], _NTH_WEEK[groups["nth"]], pre, today, now, zone, past
        )
    if name == "ordinal_day":
        found = _next_day_of_month(today, int(groups["day"]))
        return None if found is None else _by_or_on_day(found, pre or "on", now, zone)
    if name == "weekend":
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:
            saturday = today - timedelta(days=1)  # on a Sunday, "this weekend" is the one under way
        if groups.get("which") in ("next", "coming", "the coming") and today.weekday() >= 5:
            saturday += timedelta(days=7)
        begin = max(now, midnight(saturday, zone))
        sunday = saturday + timedelta(days=1)
        return DateRange(
            begin,
            _end_of_day(sunday, zone),
            f"over the weekend ({day_label(saturday, with_year=False)} – "
            f"{day_label(sunday, with_year=False)})",
        )
    if name in ("next_n", "within_n", "in_n"):
        count = _count(groups["n"])
        unit = groups["unit"]
        last = today + timedelta(days=count * days_per(unit))
        return DateRange(now, _end_of_day(last, zone), f"in the next {count} {unit.rstrip('s')}s")
    if name == "christmas":
        if pre in ("after", "past"):
            # "what's due after christmas": the month that follows it (the next one from today on).
            year = today.year if today <= date(today.year, 12, 25) else today.year + 1
            first, last = date(year, 12, 26), date(year + 1, 1, 25)
            span = f"{day_label(first, with_year=False)} – {day_label(last, with_year=False)}"
            return DateRange(
                max(now, midnight(first, zone)), _end_of_day(last, zone), f"after Christmas ({span})"
            )
        year = today.year if today < date(today.year, 12, 25) else today.year + 1
        return DateRange(now, midnight(date(year, 12, 25), zone), "before Christmas")
    if name in ("year_end", "this_year"):
        return DateRange(now, midnight(date(today.year + 1, 1, 1), zone), "before the end of the year")
    if name == "today":
        return DateRange(now, _end_of_day(today, zone), "today")
    if name == "day_after_tomorrow":
        return _by_or_on_day(today + timedelta(days=2), "on", now, zone)
    if name == "next_month_end":
        after = _first_of_next_month(_first_of_next_month(today))
        last = after - timedelta(days=1)
        return DateRange(
            now, midnight(after, zone), f"by the end of next month ({day_label(last, with_year=False)})"
        )
    if name == "week_of_day":
        named = groups.get("month") or groups.get("month2")
        day_of_month = int(groups["day"])
        if named:
            found = next_month_day(today - timedelta(days=today.weekday()), TEXT_MONTHS[named], day_of_month)
        else:
            found = _next_day_of_month(today - timedelta(days=today.weekday()), day_of_month)
        if found is None:
            return None
        monday = found - timedelta(days=found.weekday())
        sunday = monday + timedelta(days=6)
        span = f"{day_label(monday, with_year=False)} – {day_label(sunday, with_year=False)}"
        return DateRange(max(now, midnight(monday, zone)), _end_of_day(sunday, zone), f"in the week {span}")
    if name == "next_week_end":
        sunday = today + timedelta(days=13 - today.weekday())
        return DateRange(
            now, _end_of_day(sunday, zone), f"by the end of next week ({day_label(sunday, with_year=False)})"
        )
    if name == "tomorrow":
        day = today + timedelta(days=1)
        return DateRange(
            midnight(day, zone), _end_of_day(day, zone), f"tomorrow ({day_label(day, with_year=False)})"
        )
    if name in ("this_week", "rest_of_week"):
        monday = today - timedelta(days=today.weekday())
        sunday = monday + timedelta(days=6)
        if name == "rest_of_week":
            label = f"by the end of the week ({day_label(sunday, with_year=False)})"
            return DateRange(now, _end_of_day(sunday, zone), label)
        return DateRange(
            midnight(monday, zone),
            _end_of_day(sunday, zone),
            f"this week (to {day_label(sunday, with_year=False)})",
        )
    if name == "week_ahead":
        if today.weekday() >= 5:
            return _calendar_week(today + timedelta(days=7 - today.weekday()), "next_week", zone)
        return DateRange(now, _end_of_day(today + timedelta(days=7), zone), "in the next 7 days")
    if name in _WEEKS_AWAY:
        return _calendar_week(today + timedelta(days=7 * _WEEKS_AWAY[name] - today.weekday()), name, zone)
    if name == "fortnight":
        last = today + timedelta(days=14)
        return DateRange(now, _end_of_day(last, zone), "in the next two weeks")
    if name in ("this_month", "rest_of_month"):
        first_next = _first_of_next_month(today)
        if name == "rest_of_month":
            label = f"by the end of the month ({month_label(today.month)})"
            return DateRange(now, midnight(first_next, zone), label)
        month_start = midnight(today.replace(day=1), zone)
        return DateRange(month_start, midnight(first_next, zone), f"this month ({month_label(today.month)})")
    if name == "past_n":
        count = _count(groups["n"])
        unit = groups["unit"]
        first = today - timedelta(days=count * days_per(unit))
        return DateRange(midnight(first, zone), now, f"in the past {count} {unit.rstrip('s')}s")
    if name in _PAST_DAYS:
        days, label = _PAST_DAYS[name]
        return DateRange(midnight(today - timedelta(days=days), zone), now, label)
    if name == "last_weekday":
        return _by_or_on_day(_last(today, TEXT_WEEKDAYS[groups["wd"]]), "on", now, zone)
    if name == "last_weekend":
        saturday = _last(today, 5)
        if today.weekday() == 6:
            saturday -= timedelta(days=7)  # on a Sunday, the weekend under way is this one, not the last
        sunday = saturday + timedelta(days=1)
        return DateRange(
            midnight(saturday, zone),
            _end_of_day(sunday, zone),
            f"last weekend ({day_label(saturday, with_year=False)} – {day_label(sunday, with_year=False)})",
        )
    if name == "since_weekday":
        day = _last(today, TEXT_WEEKDAYS[groups["wd"]])
        return DateRange(midnight(day, zone), now, f"since {day_label(day, with_year=False)}")
    if name == "since_yesterday":
        day = today - timedelta(days=1)
        return DateRange(midnight(day, zone), now, f"since yesterday ({day_label(day, with_year=False)})")
    if name == "yesterday":
        day = today - timedelta(days=1)
        return DateRange(
            midnight(day, zone), midnight(today, zone), f"yesterday ({day_label(day, with_year=False)})"
        )
    if name == "earlier_this":
        first = today - timedelta(days=today.weekday()) if groups["unit"] == "week" else today.replace(day=1)
        return DateRange(midnight(first, zone), now, f"earlier this {groups['unit']}")
    if name == "last_month":
        first_this = today.replace(day=1)
        first = (first_this - timedelta(days=1)).replace(day=1)
        return DateRange(
            midnight(first, zone), midnight(first_this, zone), f"last month ({month_label(first.month)})"
        )
    if name == "next_month":
        first = _first_of_next_month(today)
        after = _first_of_next_month(first)
        return DateRange(
            midnight(first, zone), midnight(after, zone), f"next month ({month_label(first.month)})"
        )
    if name == "month":
        month = TEXT_MONTHS[groups["month"]]
        if past and pre not in ("before", "by", "until", "till"):
            # The most recent such month: "what was due in december", asked in January, is last year's.
            year = today.year if month <= today.month else today.year - 1
            first = date(year, month, 1)
            end = min(now, midnight(_first_of_next_month(first), zone))
            return DateRange(midnight(first, zone), end, f"in {month_label(month)} {year}")
        year = today.year if month >= today.month else today.year + 1
        first = date(year, month, 1)
        after = _first_of_next_month(first)
        label = month_label(month)
        if pre in ("through", "thru"):
            pre = "until"  # "through january": to its end
        if pre in ("before", "by", "until", "till"):
            end = midnight(first, zone) if pre == "before" else midnight(after, zone)
            return DateRange(now, end, f"{pre} {label}" if pre == "before" else f"{pre} the end of {label}")
        begin = max(now, midnight(first, zone))
        return DateRange(begin, midnight(after, zone), f"in {label} {year}")
    if name == "part_of_month":
        up_to = _UP_TO.search(match.string[: match.start()])
        month = TEXT_MONTHS[groups["month"]]
        year = today.year if month >= today.month else today.year + 1
        first_day, last_day = _MONTH_PARTS[groups["part"]]
        after = _first_of_next_month(date(year, month, 1))
        first = date(year, month, first_day)
        last = after - timedelta(days=1) if last_day is None else date(year, month, last_day)
        span = f"{day_label(first, with_year=False)} – {day_label(last, with_year=False)}"
        end = _end_of_day(last, zone)
        named = f"{groups['part']} {month_label(month)}"
        if up_to is not None:
            # "before mid january": up to the part's start; "by the end of january": to its end.
            if up_to.group(1) == "before":
                return DateRange(
                    now, midnight(first, zone), f"before {named} ({day_label(first, with_year=False)})"
                )
            the_end = groups["part"] == "end of"
            label = f"by the end of {month_label(month)}" if the_end else f"by {named} ({span})"
            return DateRange(now, end, label)
        # A part already under way is from now on; one already over is what was due in it.
        begin = max(now, midnight(first, zone)) if now < end else midnight(first, zone)
        return DateRange(begin, end, f"{named} ({span})")
    if name == "weekday":
        day = next_weekday(today, TEXT_WEEKDAYS[groups["wd"]])
        # A bare day ("any deadlines monday?", "what's due friday") is that day; "by friday" is up to
        # its end, "before friday" up to its start.
        on = pre in (None, "on", "this", "next", "coming")
        return _by_or_on_day(day, "on" if on else pre, now, zone)
    if name == "soon":
        return DateRange(now, now + SOON, "in the next 14 days", soon=True)
    return None


# Calendar weeks (Monday to Sunday) by how many weeks from this one, and how they are called.
_WEEKS_AWAY = {"last_week": -1, "next_week": 1, "week_after_this": 1, "week_after_next": 2}
_WEEK_NAMES = {
    "last_week": "last week",
    "next_week": "next week",
    "week_after_this": "next week",
    "week_after_next": "the week after next",
}
# Windows of a fixed number of days back to now, and how they are called.
_PAST_DAYS = {
    "past_week": (7, "in the past week"),
    "past_fortnight": (14, "in the past two weeks"),
    "past_month": (30, "in the past month"),
}


def _week_of_month(
    month: int, nth: int, pre: str | None, today: date, now: datetime, zone: ZoneInfo, past: bool
) -> DateRange:
    """Seven days of a named month: the `nth` (1–4) counted from the 1st, or its last seven (0).

    The month is the next one of that name (this one included), or in the past tense the most recent,
    as for a month alone; "before" and "by" make it a range from now to the week's start or end.
    """
    if past and pre not in ("before", "by", "until", "till"):
        year = today.year if month <= today.month else today.year - 1
    else:
        year = today.year if month >= today.month else today.year + 1
    after_month = _first_of_next_month(date(year, month, 1))
    first = after_month - timedelta(days=7) if nth == 0 else date(year, month, 7 * (nth - 1) + 1)
    last = first + timedelta(days=6)
    which = "last" if nth == 0 else ("1st", "2nd", "3rd", "4th")[nth - 1]
    label = (
        f"the {which} week of {month_label(month)} "
        f"({day_label(first, with_year=False)} – {day_label(last, with_year=False)})"
    )
    if pre in ("before", "by", "until", "till"):
        end = midnight(first, zone) if pre == "before" else _end_of_day(last, zone)
        return DateRange(now, end, f"{pre} {label}")
    return DateRange(midnight(first, zone), _end_of_day(last, zone), label)


def _next_day_of_month(today: date, day_of_month: int) -> date | None:
    """The next day (from today on) that is the `day_of_month`th of its month: this month's, else the
    next month that has that day."""
    month_start = today.replace(day=1)
    for _ in range(3):
        candidate = next_month_day(month_start, month_start.month, day_of_month)
        if candidate is not None and candidate >= today and candidate.month == month_start.month:
            return candidate
        month_start = _first_of_next_month(month_start)
    return None


def _calendar_week(monday: date, name: str, zone: ZoneInfo) -> DateRange:
    """Monday to the end of Sunday, called "next week (Mon 23 Nov – Sun 29 Nov)" and the like."""
    sunday = monday + timedelta(days=6)
    days = f"{day_label(monday, with_year=False)} – {day_label(sunday, with_year=False)}"
    return DateRange(midnight(monday, zone), _end_of_day(sunday, zone), f"{_WEEK_NAMES[name]} ({days})")


def _last(today: date, weekday: int) -> date:
    """The latest day before today that falls on `weekday` (Monday 0): a week back when today does."""
    return today - timedelta(days=(today.weekday() - weekday) % 7 or 7)


def _by_or_on_day(day: date, pre: str | None, now: datetime, zone: ZoneInfo) -> DateRange:
    """The range of a named day: "on" it, "before" it, else "by" it (to its end)."""
    if pre == "on":
        return DateRange(midnight(day, zone), _end_of_day(day, zone), f"on {day_label(day, with_year=False)}")
    before = pre == "before"
    end = midnight(day, zone) if before else _end_of_day(day, zone)
    return DateRange(now, end, f"{'before' if before else 'by'} {day_label(day, with_year=False)}")


def _count(written: str) -> int:
    """A count as written in a question ("10", "ten", "a few"), kept within a year of days."""
    if written.isdigit():
        return max(1, min(int(written), 366))
    return {"few": 3, "couple of": 2}.get(written, _NUMBER_WORDS.get(written, 1))


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of `day` in `zone`, in UTC."""
    # Midnight exists on every day in the zones we serve; fold=0 picks the first if it repeats.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The end of `day` in `zone` (the next midnight), in UTC."""
    return midnight(day + timedelta(days=1), zone)


def _first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
