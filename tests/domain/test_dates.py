"""Tests for bot.domain.dates: strict due dates, date ranges in questions, the DST rule and formatting."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.dates import (
    DateParseError,
    ParsedDue,
    find_date_range,
    format_local,
    format_relative,
    parse_due,
    resolve_wall_clock,
)

# A Friday morning: 09:00 in Amsterdam, 03:00 in New York, 05:00 in São Paulo, 13:30 in Kolkata.
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
# Late Friday evening in UTC: already Saturday in Amsterdam and Kolkata, still Friday in the Americas.
LATE_NOW = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)

AMS = ZoneInfo("Europe/Amsterdam")
NYC = ZoneInfo("America/New_York")
SAO = ZoneInfo("America/Sao_Paulo")
KOL = ZoneInfo("Asia/Kolkata")
ZONES = [AMS, NYC, SAO, KOL]


def _zone_id(value: object) -> str | None:
    return value.key if isinstance(value, ZoneInfo) else None


def _parse(text: str, zone: ZoneInfo = AMS, now: datetime = NOW) -> ParsedDue:
    return parse_due(text, now=now, zone=zone)


def _error(text: str, zone: ZoneInfo = AMS, now: datetime = NOW) -> DateParseError:
    with pytest.raises(DateParseError) as info:
        parse_due(text, now=now, zone=zone)
    return info.value


# --- ISO forms ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "expected_utc"),
    [
        (AMS, datetime(2026, 12, 4, 16, 0, tzinfo=UTC)),
        (NYC, datetime(2026, 12, 4, 22, 0, tzinfo=UTC)),
        (SAO, datetime(2026, 12, 4, 20, 0, tzinfo=UTC)),
        (KOL, datetime(2026, 12, 4, 11, 30, tzinfo=UTC)),
    ],
    ids=_zone_id,
)
def test_iso_date_uses_default_time_in_asker_zone(zone: ZoneInfo, expected_utc: datetime) -> None:
    parsed = _parse("2026-12-04", zone)
    assert parsed.instant == expected_utc
    assert parsed.instant.tzinfo is UTC
    assert parsed.zone == zone.key
    assert parsed.local.tzinfo is zone
    assert parsed.local.replace(tzinfo=None) == datetime(2026, 12, 4, 17, 0)
    assert parsed.relative is False
    assert parsed.time_given is False


@pytest.mark.parametrize(
    ("text", "expected_local"),
    [
        ("2026-12-04 17:00", datetime(2026, 12, 4, 17, 0)),
        ("2026-12-04T17:00", datetime(2026, 12, 4, 17, 0)),
        ("2026-12-04t17:00", datetime(2026, 12, 4, 17, 0)),
        ("2026-12-04 17:00:30", datetime(2026, 12, 4, 17, 0, 30)),
        ("2026-12-04T09:05:07", datetime(2026, 12, 4, 9, 5, 7)),
        ("2026-12-04 9:30", datetime(2026, 12, 4, 9, 30)),
        ("2026-12-04 5pm", datetime(2026, 12, 4, 17, 0)),
        ("2026-12-04 at noon", datetime(2026, 12, 4, 12, 0)),
        ("2026-12-04 00:00", datetime(2026, 12, 4, 0, 0)),
        ("2026-12-04 23:59", datetime(2026, 12, 4, 23, 59)),
    ],
)
def test_iso_datetime_forms_are_read_as_wall_clock(text: str, expected_local: datetime) -> None:
    for zone in ZONES:
        parsed = _parse(text, zone)
        assert parsed.local.replace(tzinfo=None) == expected_local, zone
        assert parsed.instant == expected_local.replace(tzinfo=zone).astimezone(UTC)
        assert parsed.time_given is True
        assert parsed.relative is False


def test_iso_datetime_in_kolkata_has_half_hour_offset() -> None:
    assert _parse("2026-12-04 17:00", KOL).instant == datetime(2026, 12, 4, 11, 30, tzinfo=UTC)


# --- Relative forms ----------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES, ids=_zone_id)
def test_today_and_tomorrow_on_friday_morning(zone: ZoneInfo) -> None:
    today = _parse("today", zone)
    tomorrow = _parse("tomorrow", zone)
    assert today.local.replace(tzinfo=None) == datetime(2026, 11, 20, 17, 0)
    assert tomorrow.local.replace(tzinfo=None) == datetime(2026, 11, 21, 17, 0)
    assert today.relative and tomorrow.relative
    assert not today.time_given and not tomorrow.time_given


@pytest.mark.parametrize(
    ("zone", "today"),
    [
        (AMS, date(2026, 11, 21)),
        (NYC, date(2026, 11, 20)),
        (SAO, date(2026, 11, 20)),
        (KOL, date(2026, 11, 21)),
    ],
    ids=_zone_id,
)
def test_today_is_the_date_in_the_asker_zone(zone: ZoneInfo, today: date) -> None:
    assert _parse("today", zone, LATE_NOW).local.date() == today
    assert _parse("tomorrow", zone, LATE_NOW).local.date() == today + timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("monday", date(2026, 11, 23)),
        ("tuesday", date(2026, 11, 24)),
        ("wednesday", date(2026, 11, 25)),
        ("thursday", date(2026, 11, 26)),
        ("friday", date(2026, 11, 27)),
        ("saturday", date(2026, 11, 21)),
        ("sunday", date(2026, 11, 22)),
        ("mon", date(2026, 11, 23)),
        ("tue", date(2026, 11, 24)),
        ("wed", date(2026, 11, 25)),
        ("thu", date(2026, 11, 26)),
        ("fri", date(2026, 11, 27)),
        ("sat", date(2026, 11, 21)),
        ("sun", date(2026, 11, 22)),
    ],
)
def test_weekday_is_next_such_day_strictly_after_today(text: str, expected: date) -> None:
    for zone in ZONES:
        for phrase in (text, f"next {text}", text.upper(), f"Next {text.capitalize()}"):
            parsed = _parse(phrase, zone)
            assert parsed.local.date() == expected, (phrase, zone)
            assert parsed.local.time() == time(17, 0)
            assert parsed.relative is True


def test_weekday_named_on_that_weekday_means_one_week_later() -> None:
    # Friday in Amsterdam at NOW.
    assert _parse("friday").local.date() == date(2026, 11, 27)
    assert _parse("next friday").local.date() == date(2026, 11, 27)


@pytest.mark.parametrize(
    ("zone", "saturday", "friday"),
    [
        # Already Saturday 00:30 in Amsterdam: "saturday" is a week later, "friday" is in six days.
        (AMS, date(2026, 11, 28), date(2026, 11, 27)),
        (KOL, date(2026, 11, 28), date(2026, 11, 27)),
        # Still Friday evening in New York and São Paulo.
        (NYC, date(2026, 11, 21), date(2026, 11, 27)),
        (SAO, date(2026, 11, 21), date(2026, 11, 27)),
    ],
    ids=_zone_id,
)
def test_weekday_depends_on_today_in_asker_zone(zone: ZoneInfo, saturday: date, friday: date) -> None:
    assert _parse("saturday", zone, LATE_NOW).local.date() == saturday
    assert _parse("sat", zone, LATE_NOW).local.date() == saturday
    assert _parse("friday", zone, LATE_NOW).local.date() == friday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 1 day", date(2026, 11, 21)),
        ("in 1 days", date(2026, 11, 21)),
        ("in 3 days", date(2026, 11, 23)),
        ("in 1 week", date(2026, 11, 27)),
        ("in 2 weeks", date(2026, 12, 4)),
        ("in 365 days", date(2027, 11, 20)),
        ("In 10 Days", date(2026, 11, 30)),
    ],
)
def test_in_n_days_or_weeks(text: str, expected: date) -> None:
    for zone in ZONES:
        parsed = _parse(text, zone)
        assert parsed.local.date() == expected
        assert parsed.relative is True
        assert parsed.time_given is False


# --- Month names, year-first numbers and the ends of days and weeks (issue 13, defect 9) -------------


# Today is Fri 20 Nov 2026. A date whose year is taken from today, and is not this year's, is marked
# relative: the command echoes it back for confirmation.
@pytest.mark.parametrize(
    ("text", "expected", "relative"),
    [
        ("dec 20", date(2026, 12, 20), False),
        ("december 20", date(2026, 12, 20), False),
        ("Dec 20th", date(2026, 12, 20), False),
        ("dec. 20", date(2026, 12, 20), False),
        ("20 dec", date(2026, 12, 20), False),
        ("20th of December", date(2026, 12, 20), False),
        ("20 december 2026", date(2026, 12, 20), False),
        ("December 20, 2026", date(2026, 12, 20), False),
        ("dec 1st", date(2026, 12, 1), False),
        ("2nd jan", date(2027, 1, 2), True),
        ("sept 3", date(2027, 9, 3), True),
        ("may 5 2027", date(2027, 5, 5), False),
        ("Fri 4 Dec 2026", date(2026, 12, 4), False),  # as the bot writes dates: a copied one reads back
        ("friday dec 4", date(2026, 12, 4), False),
        ("2026-12-20", date(2026, 12, 20), False),
        ("2026-1-4", date(2026, 1, 4), False),
        ("2026/12/20", date(2026, 12, 20), False),
        ("2026.12.20", date(2026, 12, 20), False),
        ("on dec 20", date(2026, 12, 20), False),
        ("by 2026-12-20", date(2026, 12, 20), False),
    ],
)
def test_absolute_date_forms_mean_one_day(text: str, expected: date, relative: bool) -> None:
    parsed = _parse(text)
    assert parsed.local.date() == expected
    assert parsed.local.time() == time(17, 0) and parsed.time_given is False
    assert parsed.relative is relative


def test_month_day_without_year_is_the_next_such_day_from_today_on() -> None:
    assert _parse("nov 20").local.date() == date(2026, 11, 20)  # today
    assert _parse("nov 19").local.date() == date(2027, 11, 19)  # yesterday's is a year away
    assert _parse("nov 19").relative is True
    assert _parse("feb 29").local.date() == date(2028, 2, 29)  # the next that exists


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dec 20 17:00", datetime(2026, 12, 20, 17, 0)),
        ("dec 20 at 9am", datetime(2026, 12, 20, 9, 0)),
        ("20 december 2026 noon", datetime(2026, 12, 20, 12, 0)),
        ("Fri 4 Dec 2026, 17:00", datetime(2026, 12, 4, 17, 0)),
        ("dec 20, 5:30pm", datetime(2026, 12, 20, 17, 30)),
    ],
)
def test_month_names_take_a_time(text: str, expected: datetime) -> None:
    parsed = _parse(text)
    assert parsed.local.replace(tzinfo=None) == expected and parsed.time_given is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yesterday", datetime(2026, 11, 19, 17, 0)),
        ("eod", datetime(2026, 11, 20, 17, 0)),
        ("EOD", datetime(2026, 11, 20, 17, 0)),
        ("end of day", datetime(2026, 11, 20, 17, 0)),
        ("end of the day", datetime(2026, 11, 20, 17, 0)),
        ("by eod", datetime(2026, 11, 20, 17, 0)),
        ("eod 15:00", datetime(2026, 11, 20, 15, 0)),
        # NOW is a Friday: the end of the week is today.
        ("eow", datetime(2026, 11, 20, 17, 0)),
        ("end of week", datetime(2026, 11, 20, 17, 0)),
        ("end of the week", datetime(2026, 11, 20, 17, 0)),
        ("end of this week", datetime(2026, 11, 20, 17, 0)),
        ("end of week 12:00", datetime(2026, 11, 20, 12, 0)),
    ],
)
def test_yesterday_end_of_day_and_end_of_week(text: str, expected: datetime) -> None:
    parsed = _parse(text)
    assert parsed.local.replace(tzinfo=None) == expected
    assert parsed.relative is True


@pytest.mark.parametrize(
    ("today", "friday"),
    [
        (date(2026, 11, 16), date(2026, 11, 20)),  # Monday
        (date(2026, 11, 19), date(2026, 11, 20)),  # Thursday
        (date(2026, 11, 21), date(2026, 11, 27)),  # Saturday: the coming week's
        (date(2026, 11, 22), date(2026, 11, 27)),  # Sunday
    ],
)
def test_end_of_week_is_this_working_weeks_friday(today: date, friday: date) -> None:
    now = datetime.combine(today, time(9, 0), tzinfo=AMS).astimezone(UTC)
    parsed = _parse("end of week", now=now)
    assert parsed.local.replace(tzinfo=None) == datetime.combine(friday, time(17, 0))
    # "End of day and end of week" name their time: a move does not keep the milestone's.
    assert parsed.time_given is True


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("12/20", ["2026-12-20 or dec 20"]),
        ("20/12", ["2026-12-20 or dec 20"]),
        ("20.12", ["2026-12-20 or dec 20"]),
        ("12/4", ["2026-12-04 or dec 4", "2027-04-12 or apr 12"]),
        ("04/12/2026", ["2026-04-12 or apr 12", "2026-12-04 or dec 4"]),
        ("4-12-26 17:00", ["2026-04-12 or apr 12", "2026-12-04 or dec 4"]),
        ("31/31", ["a date like 2026-12-04 or dec 4"]),
        ("1/2/0000", ["a date like 2026-12-04 or dec 4"]),
    ],
)
def test_day_and_month_in_numbers_are_refused_with_each_reading_spelled_out(
    text: str, readings: list[str]
) -> None:
    message = str(_error(text))
    assert "is not clear: day and month are written in either order" in message
    for reading in readings:
        assert reading in message
    assert len(message) < 250


# --- Keeping the time of day and zone of a moved date --------------------------------------------


KOLKATA_DUE = datetime(2026, 12, 11, 21, 30, tzinfo=KOL)  # a milestone due 21:30 in Kolkata


@pytest.mark.parametrize(
    ("text", "expected_local"),
    [
        ("dec 20", datetime(2026, 12, 20, 21, 30)),
        ("2026-12-20", datetime(2026, 12, 20, 21, 30)),
        ("tomorrow", datetime(2026, 11, 21, 21, 30)),
        ("next friday", datetime(2026, 11, 27, 21, 30)),
        ("in 2 weeks", datetime(2026, 12, 4, 21, 30)),
        ("yesterday", datetime(2026, 11, 19, 21, 30)),
    ],
)
def test_a_date_without_time_keeps_the_given_time_of_day_and_zone(
    text: str, expected_local: datetime
) -> None:
    # The mover is in New York; the day is theirs, the time of day and zone the milestone's.
    parsed = parse_due(text, now=NOW, zone=NYC, keep_time_of=KOLKATA_DUE)
    assert parsed.zone == "Asia/Kolkata" and parsed.local.tzinfo == KOL
    assert parsed.local.replace(tzinfo=None) == expected_local
    assert parsed.instant == parsed.local.astimezone(UTC) and parsed.time_given is False


@pytest.mark.parametrize("text", ["dec 20 9:00", "2026-12-20T09:00", "eod", "end of week"])
def test_a_date_with_a_time_is_read_in_the_askers_zone_even_when_keeping(text: str) -> None:
    parsed = parse_due(text, now=NOW, zone=NYC, keep_time_of=KOLKATA_DUE)
    assert parsed.zone == "America/New_York" and parsed.time_given is True


def test_kept_time_of_day_is_given_in_its_own_zone_not_the_instants_tzinfo() -> None:
    # The same instant given in UTC would keep 16:00 UTC: the zone comes with the instant.
    in_utc = parse_due("dec 20", now=NOW, zone=NYC, keep_time_of=KOLKATA_DUE.astimezone(ZoneInfo("UTC")))
    assert in_utc.zone == "UTC" and in_utc.local.replace(tzinfo=None) == datetime(2026, 12, 20, 16, 0)


def test_kept_time_that_does_not_exist_on_the_new_day_is_refused() -> None:
    due_at_0230 = datetime(2027, 3, 21, 2, 30, tzinfo=AMS)
    with pytest.raises(DateParseError, match="does not exist in Europe/Amsterdam"):
        parse_due("2027-03-28", now=NOW, zone=NYC, keep_time_of=due_at_0230)


def test_keep_time_of_must_carry_a_zoneinfo() -> None:
    with pytest.raises(ValueError, match="keep_time_of"):
        parse_due("dec 20", now=NOW, zone=AMS, keep_time_of=datetime(2026, 12, 11, 16, 0))
    with pytest.raises(ValueError, match="keep_time_of"):
        parse_due("dec 20", now=NOW, zone=AMS, keep_time_of=datetime(2026, 12, 11, 16, 0, tzinfo=UTC))


# --- Times -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time_text", "expected"),
    [
        ("17:00", time(17, 0)),
        ("9:30", time(9, 30)),
        ("09:30", time(9, 30)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("17:00:30", time(17, 0, 30)),
        ("5pm", time(17, 0)),
        ("5 pm", time(17, 0)),
        ("5PM", time(17, 0)),
        ("5am", time(5, 0)),
        ("5:30pm", time(17, 30)),
        ("11:45am", time(11, 45)),
        ("12am", time(0, 0)),
        ("12:15am", time(0, 15)),
        ("12pm", time(12, 0)),
        ("noon", time(12, 0)),
        ("Noon", time(12, 0)),
        ("at 17:00", time(17, 0)),
        ("at 5pm", time(17, 0)),
        ("at noon", time(12, 0)),
    ],
)
def test_time_forms_after_every_date_form(time_text: str, expected: time) -> None:
    for date_text, expected_date in [
        ("tomorrow", date(2026, 11, 21)),
        ("next friday", date(2026, 11, 27)),
        ("mon", date(2026, 11, 23)),
        ("in 3 days", date(2026, 11, 23)),
        ("2026-12-04", date(2026, 12, 4)),
    ]:
        parsed = _parse(f"{date_text} {time_text}", NYC)
        assert parsed.local.replace(tzinfo=None) == datetime.combine(expected_date, expected)
        assert parsed.time_given is True


def test_default_time_is_used_only_without_a_time() -> None:
    without = parse_due("tomorrow", now=NOW, zone=SAO, default_time=time(9, 15))
    with_time = parse_due("tomorrow 18:00", now=NOW, zone=SAO, default_time=time(9, 15))
    assert without.local.time() == time(9, 15)
    assert without.time_given is False
    assert with_time.local.time() == time(18, 0)


def test_case_and_whitespace_are_ignored() -> None:
    parsed = _parse("  TOMORROW \t  At   NOON  ", KOL)
    assert parsed.local.replace(tzinfo=None) == datetime(2026, 11, 21, 12, 0)
    assert parsed.instant == datetime(2026, 11, 21, 6, 30, tzinfo=UTC)


def test_today_with_a_past_time_is_returned_not_rejected() -> None:
    # Deciding what to do with a past due date is the caller's job; parsing stays literal.
    parsed = _parse("today 08:00")
    assert parsed.instant == datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    assert parsed.instant < NOW


# --- Rejections --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Please give a due date"),
        ("   ", "Please give a due date"),
        ("soon", "couldn't read “soon” as a date"),
        ("next week", "couldn't read"),
        ("next", "couldn't read"),
        ("this friday", "couldn't read"),
        ("thurs", "couldn't read"),
        ("fridays", "couldn't read"),
        ("in a week", "couldn't read"),
        ("in 3 months", "couldn't read"),
        ("in -1 days", "couldn't read"),
        ("3 days", "couldn't read"),
        ("noon", "couldn't read"),
        ("17:00", "couldn't read"),
        ("25:00 tomorrow", "couldn't read"),
        ("today tomorrow", "couldn't read “tomorrow” as a time"),
        ("friday friday", "couldn't read “friday” as a time"),
        ("tomorrow 17", "couldn't read “17” as a time"),
        ("tomorrow at", "couldn't read “at” as a time"),
        ("tomorrow 5 o'clock", "couldn't read"),
        ("tomorrow midnight", "couldn't read “midnight” as a time"),
        ("2026-12-04 17:00 CET", "as a time"),
        ("2026-12-04T5pm", "couldn't read “5pm” as a time"),
        ("2026-12-04Tnoon", "as a time"),
        ("tomorrow 25:00", "25:00 is not a valid time: hours run from 0 to 23"),
        ("tomorrow 24:00", "hours run from 0 to 23"),
        ("tomorrow 17:61", "17:61 is not a valid time: minutes"),
        ("tomorrow 17:00:60", "minutes and seconds run from 00 to 59"),
        ("tomorrow 13pm", "13pm is not a valid time: with am/pm the hour must be 1 to 12"),
        ("tomorrow 0am", "with am/pm the hour must be 1 to 12"),
        ("tomorrow 5:60pm", "minutes run from 00 to 59"),
        ("2026-02-30", "2026-02-30 is not a valid date: February 2026 has 28 days"),
        ("2028-02-30", "February 2028 has 29 days"),
        ("2026-04-31 10:00", "April 2026 has 30 days"),
        ("2026-13-01", "the month must be 01 to 12"),
        ("2026-00-10", "the month must be 01 to 12"),
        ("2026-12-00", "December 2026 has 31 days"),
        ("1999-12-31", "before the year 2000"),
        ("0026-12-04", "before the year 2000"),
        ("0000-01-01", "before the year 2000"),
        ("2032-01-01", "more than 5 years away; please pick a date up to 2031-11-20"),
        ("2031-11-21", "more than 5 years away"),
        ("in 300 weeks", "more than 5 years away"),
        ("in 0 days", "N must be from 1 to 365"),
        ("in 366 days", "N must be from 1 to 365"),
        ("in 999999999999999999999 days", "N must be from 1 to 365"),
        ("04/12/2026", "Write 2026-04-12 or apr 12 for one reading, 2026-12-04 or dec 4 for the other"),
        ("12/4", "“12/4” is not clear: day and month are written in either order"),
        ("4.12.2026 17:00", "2026-12-04 or dec 4"),
        ("2026-13-4", "the month must be 01 to 12"),
        ("2026-12-4-1", "couldn't read"),
        ("dec 2026", "couldn't read"),
        ("dec 32", "December 32 is not a date: December has at most 31 days"),
        ("feb 30", "February has at most 29 days"),
        ("apr 31 2027", "2027-04-31 is not a valid date: April 2027 has 30 days"),
        ("29 feb 2027", "February 2027 has 28 days"),
        ("dec 20 1999", "before the year 2000"),
        ("sun 4 dec 2026", "Fri 4 Dec 2026 is a Friday, not a Sunday"),
        ("decem 20", "couldn't read"),
        ("end of month", "couldn't read"),
        ("eod eod", "couldn't read “eod” as a time"),
        ("by", "couldn't read “by” as a date"),
        ("２０２６-12-04", "couldn't read"),  # full-width digits are not ISO digits
        ("tomorrow ５pm", "as a time"),
    ],
)
def test_bad_input_is_rejected_with_a_useful_message(text: str, fragment: str) -> None:
    message = str(_error(text))
    assert fragment in message
    assert "\n" not in message
    assert len(message) < 250


@pytest.mark.parametrize("text", ["soon", "", "next week", "dec 2026"])
def test_unreadable_date_message_lists_accepted_forms(text: str) -> None:
    message = str(_error(text))
    for form in ("2026-12-04", "tomorrow", "next friday", "in 3 days", "17:00", "5pm", "noon"):
        assert form in message


def test_time_error_message_lists_accepted_times() -> None:
    message = str(_error("friday teatime"))
    for form in ("17:00", "5pm", "noon"):
        assert form in message


def test_long_input_is_shortened_in_the_message() -> None:
    message = str(_error("please move it to some time around the end of next month if possible"))
    assert "…" in message
    assert len(message) < 250


def test_date_exactly_five_years_ahead_is_accepted() -> None:
    assert _parse("2031-11-20").local.date() == date(2031, 11, 20)


def test_date_parse_error_is_a_value_error() -> None:
    assert isinstance(_error("soon"), ValueError)
    assert _error("soon").suggestion is None


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="now must be timezone-aware") as info:
        parse_due("tomorrow", now=datetime(2026, 11, 20, 8, 0), zone=AMS)
    assert not isinstance(info.value, DateParseError)


def test_aware_default_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="default_time"):
        parse_due("tomorrow", now=NOW, zone=AMS, default_time=time(17, 0, tzinfo=UTC))


# --- Daylight saving ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zone", "options", "suggestion_utc"),
    [
        ("2027-03-28 02:30", AMS, "Try 03:00 or 03:30.", datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
        ("2027-03-28 2:30am", AMS, "Try 03:00 or 03:30.", datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
        ("2027-03-28 02:00", AMS, "Try 03:00.", datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
        ("2027-03-28 02:59", AMS, "Try 03:00 or 03:59.", datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
        ("2027-03-14 02:30", NYC, "Try 03:00 or 03:30.", datetime(2027, 3, 14, 7, 0, tzinfo=UTC)),
        ("2027-03-14T02:15:30", NYC, "Try 03:00 or 03:15:30.", datetime(2027, 3, 14, 7, 0, tzinfo=UTC)),
    ],
)
def test_time_in_spring_forward_gap_is_rejected_with_next_valid_time(
    text: str, zone: ZoneInfo, options: str, suggestion_utc: datetime
) -> None:
    error = _error(text, zone)
    message = str(error)
    assert "does not exist in " + zone.key in message
    assert "because clocks go forward from 02:00 to 03:00" in message
    assert message.endswith(options)
    assert error.suggestion == suggestion_utc
    assert error.suggestion is not None and error.suggestion.tzinfo is zone
    assert error.suggestion.replace(tzinfo=None).time() == time(3, 0)


def test_gap_message_names_the_day() -> None:
    assert "02:30 on Sun 28 Mar 2027 does not exist in Europe/Amsterdam" in str(_error("2027-03-28 02:30"))


def test_relative_date_landing_in_gap_is_rejected() -> None:
    saturday = datetime(2027, 3, 27, 8, 0, tzinfo=UTC)
    assert "does not exist" in str(_error("tomorrow 02:30", AMS, saturday))
    assert "does not exist" in str(_error("sunday 2:30am", AMS, saturday))
    # The same wall time is fine in a zone without DST that night.
    assert _parse("tomorrow 02:30", KOL, saturday).instant == datetime(2027, 3, 27, 21, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "zone", "expected_utc"),
    [
        ("2027-03-28 01:59", AMS, datetime(2027, 3, 28, 0, 59, tzinfo=UTC)),
        ("2027-03-28 03:00", AMS, datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
        ("2027-03-14 01:59", NYC, datetime(2027, 3, 14, 6, 59, tzinfo=UTC)),
        ("2027-03-14 03:00", NYC, datetime(2027, 3, 14, 7, 0, tzinfo=UTC)),
    ],
)
def test_times_at_the_edges_of_the_gap_exist(text: str, zone: ZoneInfo, expected_utc: datetime) -> None:
    assert _parse(text, zone).instant == expected_utc


@pytest.mark.parametrize(
    ("text", "zone", "expected_utc", "offset_hours"),
    [
        # Clocks go back 03:00 -> 02:00: 02:30 happens at 00:30 UTC (CEST) and 01:30 UTC (CET).
        ("2027-10-31 02:30", AMS, datetime(2027, 10, 31, 0, 30, tzinfo=UTC), 2),
        ("2026-10-25 02:30", AMS, datetime(2026, 10, 25, 0, 30, tzinfo=UTC), 2),
        # Clocks go back 02:00 -> 01:00: 01:30 happens at 05:30 UTC (EDT) and 06:30 UTC (EST).
        ("2027-11-07 01:30", NYC, datetime(2027, 11, 7, 5, 30, tzinfo=UTC), -4),
    ],
)
def test_ambiguous_time_in_fall_back_overlap_is_first_occurrence(
    text: str, zone: ZoneInfo, expected_utc: datetime, offset_hours: int
) -> None:
    parsed = _parse(text, zone)
    assert parsed.instant == expected_utc
    assert parsed.local.fold == 0
    assert parsed.local.utcoffset() == timedelta(hours=offset_hours)


def test_resolve_wall_clock_normal_gap_and_overlap() -> None:
    normal = resolve_wall_clock(datetime(2026, 12, 4, 17, 0), AMS)
    assert normal == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert normal.tzinfo is AMS
    with pytest.raises(DateParseError, match="clocks go forward"):
        resolve_wall_clock(datetime(2027, 3, 28, 2, 30), AMS)
    overlap = resolve_wall_clock(datetime(2027, 10, 31, 2, 30, fold=1), AMS)
    assert overlap.fold == 0
    assert overlap.utcoffset() == timedelta(hours=2)
    # PEP 495: a time in the overlap never compares equal to a datetime in another zone, so compare in UTC.
    assert overlap.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_resolve_wall_clock_rejects_aware_input() -> None:
    with pytest.raises(ValueError, match="naive"):
        resolve_wall_clock(datetime(2026, 12, 4, 17, 0, tzinfo=UTC), AMS)


def test_resolve_wall_clock_handles_half_hour_dst_and_skipped_days() -> None:
    # Lord Howe Island moves its clocks by 30 minutes.
    with pytest.raises(DateParseError) as lord_howe:
        resolve_wall_clock(datetime(2027, 10, 3, 2, 15), ZoneInfo("Australia/Lord_Howe"))
    assert "from 02:00 to 02:30. Try 02:30 or 02:45." in str(lord_howe.value)
    # Samoa skipped 30 December 2011 entirely.
    with pytest.raises(DateParseError) as samoa:
        resolve_wall_clock(datetime(2011, 12, 30, 12, 0), ZoneInfo("Pacific/Apia"))
    assert "from Fri 30 Dec 2011 00:00 to Sat 31 Dec 2011 00:00" in str(samoa.value)
    assert samoa.value.suggestion == datetime(2011, 12, 30, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone_name", "missing_slots"),
    [
        ("Europe/Amsterdam", 2),  # 02:00 and 02:30 on 28 March
        ("America/New_York", 2),  # 02:00 and 02:30 on 14 March
        ("America/Sao_Paulo", 0),  # no DST since 2019
        ("Asia/Kolkata", 0),
        ("Australia/Lord_Howe", 1),  # 02:00 on 3 October (30-minute change)
    ],
)
def test_resolve_wall_clock_agrees_with_brute_force_over_a_year(zone_name: str, missing_slots: int) -> None:
    # Independent oracle: every wall time that some UTC instant of 2027 shows on the clock, keeping the
    # earliest instant for each. All offsets in these zones are whole half hours.
    zone = ZoneInfo(zone_name)
    step = timedelta(minutes=30)
    first_instant: dict[datetime, datetime] = {}
    instant = datetime(2026, 12, 30, tzinfo=UTC)
    while instant < datetime(2028, 1, 2, tzinfo=UTC):
        first_instant.setdefault(instant.astimezone(zone).replace(tzinfo=None, fold=0), instant)
        instant += step
    missing = 0
    wall = datetime(2027, 1, 1)
    while wall < datetime(2028, 1, 1):
        if wall in first_instant:
            assert resolve_wall_clock(wall, zone).astimezone(UTC) == first_instant[wall], wall
        else:
            missing += 1
            with pytest.raises(DateParseError):
                resolve_wall_clock(wall, zone)
        wall += step
    assert missing == missing_slots


# --- Formatting --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        (datetime(2026, 12, 4, 16, 0, tzinfo=UTC), AMS, "Fri 4 Dec 2026, 17:00 CET"),
        (datetime(2027, 7, 1, 15, 0, tzinfo=UTC), AMS, "Thu 1 Jul 2027, 17:00 CEST"),
        (datetime(2026, 12, 4, 22, 0, tzinfo=UTC), NYC, "Fri 4 Dec 2026, 17:00 EST"),
        (datetime(2027, 7, 1, 21, 0, tzinfo=UTC), NYC, "Thu 1 Jul 2027, 17:00 EDT"),
        (datetime(2026, 12, 4, 20, 0, tzinfo=UTC), SAO, "Fri 4 Dec 2026, 17:00 -03"),
        (datetime(2026, 12, 4, 11, 30, tzinfo=UTC), KOL, "Fri 4 Dec 2026, 17:00 IST"),
        (datetime(2026, 12, 4, 23, 30, tzinfo=UTC), KOL, "Sat 5 Dec 2026, 05:00 IST"),
        (datetime(2027, 1, 3, 8, 5, tzinfo=UTC), AMS, "Sun 3 Jan 2027, 09:05 CET"),
        # Both occurrences of 02:30 on the fall-back night, told apart by the abbreviation.
        (datetime(2027, 10, 31, 0, 30, tzinfo=UTC), AMS, "Sun 31 Oct 2027, 02:30 CEST"),
        (datetime(2027, 10, 31, 1, 30, tzinfo=UTC), AMS, "Sun 31 Oct 2027, 02:30 CET"),
        # An aware instant in another zone is converted, not relabelled.
        (datetime(2026, 12, 4, 17, 0, tzinfo=NYC), AMS, "Fri 4 Dec 2026, 23:00 CET"),
    ],
)
def test_format_local(instant: datetime, zone: ZoneInfo, expected: str) -> None:
    assert format_local(instant, zone) == expected


def test_format_local_rejects_naive_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_local(datetime(2026, 12, 4, 17, 0), AMS)


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(0), "now"),
        (timedelta(seconds=59), "now"),
        (timedelta(seconds=-59), "now"),
        (timedelta(minutes=1), "in 1 minute"),
        (timedelta(minutes=59, seconds=59), "in 59 minutes"),
        (timedelta(minutes=-10), "10 minutes overdue"),
        (timedelta(minutes=-1), "1 minute overdue"),
        (timedelta(hours=1), "in 1 hour"),
        (timedelta(hours=5), "in 5 hours"),
        (timedelta(hours=5, minutes=59), "in 5 hours"),
        (timedelta(hours=23, minutes=59), "in 23 hours"),
        (timedelta(hours=-1), "1 hour overdue"),
        (timedelta(hours=-3), "3 hours overdue"),
        (timedelta(hours=-23, minutes=-59), "23 hours overdue"),
        (timedelta(hours=24), "tomorrow"),
        (timedelta(hours=39), "tomorrow"),  # Saturday 23:00 UTC
        (timedelta(hours=41), "in 2 days"),  # Sunday 01:00 UTC: calendar days, not 24-hour blocks
        (timedelta(days=3), "in 3 days"),
        (timedelta(days=14), "in 14 days"),
        (timedelta(hours=-24), "1 day overdue"),
        (timedelta(hours=-32), "1 day overdue"),  # Thursday 00:00 UTC
        (timedelta(hours=-33), "2 days overdue"),  # Wednesday 23:00 UTC
        (timedelta(days=-2), "2 days overdue"),
        (timedelta(days=-30), "30 days overdue"),
    ],
)
def test_format_relative(delta: timedelta, expected: str) -> None:
    assert format_relative(NOW + delta, NOW) == expected


def test_format_relative_counts_days_in_the_given_zone() -> None:
    # 40 hours after NOW is Sunday 00:00 UTC but still Saturday 19:00 in New York.
    instant = NOW + timedelta(hours=40)
    assert format_relative(instant, NOW) == "in 2 days"
    assert format_relative(instant, NOW, zone=NYC) == "tomorrow"
    assert format_relative(instant, NOW.astimezone(NYC)) == "tomorrow"


def test_format_relative_today_on_a_25_hour_day() -> None:
    # 25 October 2026 lasts 25 hours in Amsterdam: 00:10 CEST to 23:50 CET is 24h40m on one date.
    now = datetime(2026, 10, 24, 22, 10, tzinfo=UTC)
    instant = datetime(2026, 10, 25, 22, 50, tzinfo=UTC)
    assert format_relative(instant, now, zone=AMS) == "today"
    assert format_relative(instant, now) == "tomorrow"


def test_format_relative_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_relative(datetime(2026, 12, 4, 17, 0), NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        format_relative(NOW, datetime(2026, 11, 20, 8, 0))


def test_parsed_due_round_trips_through_formatting() -> None:
    parsed = _parse("next friday", AMS)
    assert format_local(parsed.instant, AMS) == "Fri 27 Nov 2026, 17:00 CET"
    assert format_relative(parsed.instant, NOW, zone=AMS) == "in 7 days"
    parsed_ny = _parse("in 3 days 9am", NYC)
    assert format_local(parsed_ny.instant, NYC) == "Mon 23 Nov 2026, 09:00 EST"
    assert format_local(parsed_ny.instant, AMS) == "Mon 23 Nov 2026, 15:00 CET"


# -- date ranges in questions ---------------------------------------------------------------------


def _range(text: str, now: datetime = NOW, zone: ZoneInfo = AMS) -> tuple[str, str, str]:
    found, _ = find_date_range(text, now=now, zone=zone)
    assert found is not None, text
    return (
        found.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        found.end.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        found.label,
    )


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("due this week", "2026-11-16 00:00", "2026-11-23 00:00"),  # from its Monday: the overdue too
        ("due the rest of the week", "2026-11-20 09:00", "2026-11-23 00:00"),
        ("due next week", "2026-11-23 00:00", "2026-11-30 00:00"),
        ("due next month", "2026-12-01 00:00", "2027-01-01 00:00"),
        ("due this month", "2026-11-01 00:00", "2026-12-01 00:00"),
        ("due for the rest of the month", "2026-11-20 09:00", "2026-12-01 00:00"),
        # Ranges in the past (NOW is Friday 20 November 2026, 09:00 in Amsterdam).
        ("what was due last week", "2026-11-09 00:00", "2026-11-16 00:00"),
        ("due the previous week", "2026-11-09 00:00", "2026-11-16 00:00"),
        ("what was due last month", "2026-10-01 00:00", "2026-11-01 00:00"),
        ("due yesterday", "2026-11-19 00:00", "2026-11-20 00:00"),
        ("due in the past 10 days", "2026-11-10 00:00", "2026-11-20 09:00"),
        ("due over the last two weeks", "2026-11-06 00:00", "2026-11-20 09:00"),
        ("anything due the past week", "2026-11-13 00:00", "2026-11-20 09:00"),
        ("what was due earlier this month", "2026-11-01 00:00", "2026-11-20 09:00"),
        ("what was due earlier this week", "2026-11-16 00:00", "2026-11-20 09:00"),
        ("anything due in the last fortnight", "2026-11-06 00:00", "2026-11-20 09:00"),
        ("whats been due since monday", "2026-11-16 00:00", "2026-11-20 09:00"),
        ("due since friday", "2026-11-13 00:00", "2026-11-20 09:00"),  # on a Friday: a week back
        ("anything due since this monday", "2026-11-16 00:00", "2026-11-20 09:00"),
        ("what was due last friday", "2026-11-13 00:00", "2026-11-14 00:00"),  # on a Friday: a week back
        ("anything due in the past month", "2026-10-21 00:00", "2026-11-20 09:00"),
        ("what's come due since yesterday", "2026-11-19 00:00", "2026-11-20 09:00"),
        ("anything due last monday", "2026-11-16 00:00", "2026-11-17 00:00"),
        ("what was due last weekend", "2026-11-14 00:00", "2026-11-16 00:00"),
        ("what's due by the end of this week", "2026-11-20 09:00", "2026-11-23 00:00"),
        ("due the rest of this week", "2026-11-20 09:00", "2026-11-23 00:00"),
        ("due by the end of this month", "2026-11-20 09:00", "2026-12-01 00:00"),
        ("what's due the week after next", "2026-11-30 00:00", "2026-12-07 00:00"),
        ("before christmas", "2026-11-20 09:00", "2026-12-25 00:00"),
        ("before the end of the year", "2026-11-20 09:00", "2027-01-01 00:00"),
        ("by friday", "2026-11-20 09:00", "2026-11-28 00:00"),  # on a Friday: next week's, like /milestone
        ("on monday", "2026-11-23 00:00", "2026-11-24 00:00"),
        ("any deadlines monday", "2026-11-23 00:00", "2026-11-24 00:00"),  # a bare day: that day
        ("what's due tuesday", "2026-11-24 00:00", "2026-11-25 00:00"),
        ("due before tuesday", "2026-11-20 09:00", "2026-11-24 00:00"),
        ("tomorrow", "2026-11-21 00:00", "2026-11-22 00:00"),
        ("in the next 10 days", "2026-11-20 09:00", "2026-12-01 00:00"),
        ("in december", "2026-12-01 00:00", "2027-01-01 00:00"),
        ("by 2026 12 04", "2026-11-20 09:00", "2026-12-05 00:00"),
        ("coming up", "2026-11-20 09:00", "2026-12-04 09:00"),
        # Held-out phrasings (NOW is Friday 20 November 2026, 09:00 in Amsterdam).
        ("what is due on the 24th", "2026-11-24 00:00", "2026-11-25 00:00"),
        ("anything due by the 27th", "2026-11-20 09:00", "2026-11-28 00:00"),
        ("due on the 3rd", "2026-12-03 00:00", "2026-12-04 00:00"),  # past this month's: next month's
        ("due the 20th", "2026-11-20 00:00", "2026-11-21 00:00"),  # today is the 20th
        ("due on the 10th of december", "2026-12-10 00:00", "2026-12-11 00:00"),
        ("what is due by the end of the month", "2026-11-20 09:00", "2026-12-01 00:00"),
        ("what is due this weekend", "2026-11-21 00:00", "2026-11-23 00:00"),
        ("what is due dec 16", "2026-12-16 00:00", "2026-12-17 00:00"),  # a named day: on it
        ("what is due by dec 16", "2026-11-20 09:00", "2026-12-17 00:00"),
        ("due the day after tomorrow", "2026-11-22 00:00", "2026-11-23 00:00"),
        ("due by the end of next week", "2026-11-20 09:00", "2026-11-30 00:00"),
        ("what's due the week after this one", "2026-11-23 00:00", "2026-11-30 00:00"),
        ("anything due the week after this week", "2026-11-23 00:00", "2026-11-30 00:00"),
        # On a weekday "this coming week" is the seven days ahead, as "the week ahead" is.
        ("any deadlines this coming week", "2026-11-20 09:00", "2026-11-28 00:00"),
        ("due in the upcoming week", "2026-11-20 09:00", "2026-11-28 00:00"),
        ("due by the end of next month", "2026-11-20 09:00", "2027-01-01 00:00"),
        ("anything due until end of next month", "2026-11-20 09:00", "2027-01-01 00:00"),
        ("what's due through january", "2026-11-20 09:00", "2027-02-01 00:00"),
        ("due till the end of december", "2026-11-20 09:00", "2027-01-01 00:00"),
        ("what's due the week of the 30th", "2026-11-30 00:00", "2026-12-07 00:00"),
        ("anything due in the week of dec 9", "2026-12-07 00:00", "2026-12-14 00:00"),
        ("due the week of 2 december", "2026-11-30 00:00", "2026-12-07 00:00"),
        ("what's due the week of the 18th", "2026-11-20 09:00", "2026-11-23 00:00"),  # this week, from now
        ("what's due between now and the 30th", "2026-11-20 09:00", "2026-12-01 00:00"),
        ("anything due between the 24th and the 27th", "2026-11-24 00:00", "2026-11-28 00:00"),
        ("due between december 10 and december 4", "2026-12-04 00:00", "2026-12-11 00:00"),  # either order
        ("anything due between monday and friday", "2026-11-23 00:00", "2026-11-28 00:00"),
        ("due between friday and tuesday", "2026-11-20 00:00", "2026-11-25 00:00"),  # today is a Friday
        ("what's due after christmas", "2026-12-26 00:00", "2027-01-26 00:00"),
        ("what's due late january", "2027-01-21 00:00", "2027-02-01 00:00"),
        ("anything due mid december", "2026-12-11 00:00", "2026-12-21 00:00"),
        ("due in the second half of december", "2026-12-16 00:00", "2027-01-01 00:00"),
        ("due early december", "2026-12-01 00:00", "2026-12-11 00:00"),
        ("due in early november", "2026-11-01 00:00", "2026-11-11 00:00"),  # over: what was due then
        ("due late november", "2026-11-21 00:00", "2026-12-01 00:00"),  # from its first day, after now
        ("what's due before mid january", "2026-11-20 09:00", "2027-01-11 00:00"),
        ("anything due by the end of january", "2026-11-20 09:00", "2027-02-01 00:00"),
    ],
)
def test_date_ranges(text: str, start: str, end: str) -> None:
    assert _range(text)[:2] == (start, end)


def test_this_coming_week_on_a_weekend_is_the_next_calendar_week() -> None:
    sunday = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    start, end, label = _range("what's due this coming week", sunday)
    assert (start, end) == ("2026-11-23 00:00", "2026-11-30 00:00")
    assert label.startswith("next week (Mon 23 Nov")


def test_next_month_in_december_is_january() -> None:
    december = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    assert _range("next month", december)[:2] == ("2027-01-01 00:00", "2027-02-01 00:00")


def test_christmas_after_christmas_is_next_years() -> None:
    boxing_day = datetime(2026, 12, 26, 12, 0, tzinfo=UTC)
    assert _range("before christmas", boxing_day)[1] == "2027-12-25 00:00"


def test_day_boundaries_are_the_askers() -> None:
    # 08:00 UTC on Friday is already 17:00 on Friday in Seoul but 03:00 in New York; both still Friday,
    # so "tomorrow" is Saturday in each zone, at each zone's own midnight.
    seoul, new_york = ZoneInfo("Asia/Seoul"), ZoneInfo("America/New_York")
    assert _range("tomorrow", zone=seoul)[:2] == ("2026-11-21 00:00", "2026-11-22 00:00")
    assert _range("tomorrow", zone=new_york)[:2] == ("2026-11-21 00:00", "2026-11-22 00:00")
    late_friday = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # already Saturday in Seoul
    assert _range("tomorrow", late_friday, seoul)[:2] == ("2026-11-22 00:00", "2026-11-23 00:00")


def test_week_across_the_dst_change_ends_at_local_midnight() -> None:
    # Clocks go back in Amsterdam on 2026-10-25: "this week" still ends at Monday 00:00 local.
    thursday = datetime(2026, 10, 22, 10, 0, tzinfo=UTC)
    found, _ = find_date_range("due this week", now=thursday, zone=AMS)
    assert found is not None
    assert found.end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)  # 00:00 CET on Monday 26 Oct


def test_a_month_named_in_the_past_tense_in_january_is_last_years() -> None:
    january = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)
    assert _range("what was due in december", january)[:2] == ("2026-12-01 00:00", "2027-01-01 00:00")


def test_a_month_named_in_the_past_tense_is_this_years_up_to_now() -> None:
    assert _range("what was due in october") == ("2026-10-01 00:00", "2026-11-01 00:00", "in October 2026")
    assert _range("what was due in november")[:2] == ("2026-11-01 00:00", "2026-11-20 09:00")
    assert _range("what is due in october")[:2] == ("2027-10-01 00:00", "2027-11-01 00:00")


@pytest.mark.parametrize("text", ["who owns the 2nd one", "what about the 3rd item", "the 1st milestone"])
def test_a_position_in_a_list_is_not_a_day_of_the_month(text: str) -> None:
    assert find_date_range(text, now=NOW, zone=AMS)[0] is None


def test_the_last_week_of_a_month_is_not_last_week() -> None:
    assert _range("what is due the last week of december")[:2] == ("2026-12-25 00:00", "2027-01-01 00:00")


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        (
            "anything due the 2nd week of december",
            "2026-12-08 00:00",
            "2026-12-15 00:00",
            "the 2nd week of December (Tue 8 Dec – Mon 14 Dec)",
        ),
        ("deadlines in the first week of january?", "2027-01-01 00:00", "2027-01-08 00:00", None),
        ("what is due the third week of dec", "2026-12-15 00:00", "2026-12-22 00:00", None),
        ("the final week of february", "2027-02-22 00:00", "2027-03-01 00:00", None),
        ("what was due the 1st week of november", "2026-11-01 00:00", "2026-11-08 00:00", None),
        ("anything due before the 4th week of december", "2026-11-20 09:00", "2026-12-22 00:00", None),
        ("anything due by the 4th week of december", "2026-11-20 09:00", "2026-12-29 00:00", None),
    ],
)
def test_the_nth_week_of_a_month_is_seven_days_of_it_from_its_first(
    text: str, start: str, end: str, label: str | None
) -> None:
    found = _range(text)
    assert found[:2] == (start, end)
    assert label is None or found[2] == label


def test_the_date_phrase_is_removed_from_the_text() -> None:
    _, rest = find_date_range("what is due next week on pcm", now=NOW, zone=AMS)
    assert rest == "what is due on pcm"


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("what is due by dec 20", "2026-11-20 09:00", "2026-12-21 00:00", "by Sun 20 Dec"),
        ("anything before 20 december 2026", "2026-11-20 09:00", "2026-12-20 00:00", "before Sun 20 Dec"),
        ("due on december 20th", "2026-12-20 00:00", "2026-12-21 00:00", "on Sun 20 Dec"),
        ("due until 2nd jan", "2026-11-20 09:00", "2027-01-03 00:00", "by Sat 2 Jan"),
        ("due by may 5", "2026-11-20 09:00", "2027-05-06 00:00", "by Wed 5 May"),
        ("due eod", "2026-11-20 09:00", "2026-11-21 00:00", "today"),
        ("due by end of day", "2026-11-20 09:00", "2026-11-21 00:00", "today"),
        ("due by end of week", "2026-11-20 09:00", "2026-11-23 00:00", "by the end of the week (Sun 22 Nov)"),
        ("anything eow", "2026-11-20 09:00", "2026-11-23 00:00", "by the end of the week (Sun 22 Nov)"),
    ],
)
def test_month_names_and_ends_of_days_in_questions(text: str, start: str, end: str, label: str) -> None:
    assert _range(text) == (start, end, label)


@pytest.mark.parametrize("text", ["due by feb 30", "who knows about 5 decks", "top 3 marketers"])
def test_what_only_looks_like_a_month_day_is_no_range(text: str) -> None:
    found, rest = find_date_range(text, now=NOW, zone=AMS)
    assert found is None and rest == text


def test_only_a_vague_soon_is_marked_as_one() -> None:
    vague, _ = find_date_range("anything coming up on uplift", now=NOW, zone=AMS)
    exact, _ = find_date_range("anything due in the next 14 days on uplift", now=NOW, zone=AMS)

    assert vague is not None and vague.soon
    assert exact is not None and not exact.soon and exact.end - exact.start >= vague.end - vague.start
