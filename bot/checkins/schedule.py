"""When a week's check-in happens: pure rules, no I/O (functions take `now`).

A round belongs to an ISO week. Its asking day is a calendar date (the week's `ask_day`); each member is
asked on that date at `ask_time` on their own wall clock, so someone in Seoul is asked hours before
someone in New York. The cut-off is the first `cutoff_day` at `cutoff_time` (workspace zone) on or
after the asking day, a week later when it is the same day at or before the asking time. Wall-clock
times go through `bot.domain.reminders.wall_clock`: a time in a DST gap is the first instant after
it, a time that occurs twice its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.reminders import wall_clock

_CLOCK = re.compile(r"^(\d{1,2})[:.h](\d{2})$")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# How long before its asking day a round is planned: the earliest zone (UTC+14) asks ~14 hours before
# the workspace's calendar reaches the day.
PLAN_AHEAD = timedelta(days=2)


class ScheduleError(ValueError):
    """A day or time could not be read; the message says what is expected."""


@dataclass(frozen=True)
class WeeklyTime:
    """A weekday (0 = Monday) and a wall-clock time."""

    day: int
    at: time

    def text(self) -> str:
        """`Monday 10:00`."""
        return f"{_DAY_NAMES[self.day].capitalize()} {self.at:%H:%M}"


DEFAULT_ASK = WeeklyTime(0, time(10, 0))
# The day after, so that the whole alliance (UTC−5 to UTC+9) has had its working day to answer.
DEFAULT_CUTOFF = WeeklyTime(1, time(10, 0))


def parse_day(word: str) -> int:
    """`mon`, `Monday`, `tue`… → 0…6.

    Raises:
        ScheduleError: Not a day of the week.
    """
    lowered = word.strip().lower()
    for index, name in enumerate(_DAY_NAMES):
        if len(lowered) >= 3 and name.startswith(lowered):
            return index
    raise ScheduleError(f"“{word}” is not a day of the week; write mon, tue, … or monday, tuesday, …")


def parse_clock(word: str) -> time:
    """`10:00`, `9:30` (24-hour) → a time.

    Raises:
        ScheduleError: Not HH:MM.
    """
    match = _CLOCK.match(word.strip())
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ScheduleError(f"“{word}” is not a time of day; write it as HH:MM, e.g. 10:00 or 16:30.")
    return time(int(match.group(1)), int(match.group(2)))


def format_clock(at: time) -> str:
    """`10:00`."""
    return f"{at:%H:%M}"


def week_of(day: date) -> str:
    """The ISO week a date is in, as `2026-W49`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def ask_date(week_monday: date, ask: WeeklyTime) -> date:
    """The asking day of the week that starts on `week_monday`."""
    return week_monday + timedelta(days=ask.day)


def cutoff_instant(asked_on: date, ask: WeeklyTime, cutoff: WeeklyTime, zone: ZoneInfo) -> datetime:
    """When a round asked on `asked_on` closes (UTC): the first cut-off day at or after the asking day."""
    days = (cutoff.day - ask.day) % 7
    if days == 0 and cutoff.at <= ask.at:
        days = 7
    return wall_clock(asked_on + timedelta(days=days), cutoff.at, zone)


def ask_instant(asked_on: date, ask: WeeklyTime, zone: ZoneInfo) -> datetime:
    """When someone in `zone` is asked (UTC), before quiet hours are applied."""
    return wall_clock(asked_on, ask.at, zone)


def candidate_days(now: datetime, ask: WeeklyTime, workspace_zone: ZoneInfo) -> list[date]:
    """The asking days a tick at `now` may have to plan: last week's, this week's, next week's (the
    workspace's calendar), those within `PLAN_AHEAD` of today or past."""
    today = now.astimezone(workspace_zone).date()
    monday = today - timedelta(days=today.weekday())
    days = [ask_date(monday + timedelta(weeks=offset), ask) for offset in (-1, 0, 1)]
    return [day for day in days if day - PLAN_AHEAD <= today]


def describe(ask: WeeklyTime, cutoff: WeeklyTime) -> str:
    """`Monday 10:00 (each member's time), summary Tuesday 10:00`."""
    return f"{ask.text()} (each member's own time), summary {cutoff.text()}"


def parse_schedule(text: str) -> tuple[WeeklyTime, WeeklyTime]:
    """A schedule as the workspace file writes it: `on` (the defaults), `mon 10:00` (the cut-off a day
    later, same time), or `mon 10:00 cutoff tue 16:00`.

    Raises:
        ScheduleError: Not of those forms.
    """
    words = text.split()
    if [w.lower() for w in words] == ["on"]:
        return DEFAULT_ASK, DEFAULT_CUTOFF
    if len(words) not in (2, 5) or (len(words) == 5 and words[2].lower() != "cutoff"):
        raise ScheduleError(
            f"“{text}” is not a check-in schedule; write on, mon 10:00, or mon 10:00 cutoff tue 10:00"
        )
    ask = WeeklyTime(parse_day(words[0]), parse_clock(words[1]))
    if len(words) == 2:
        return ask, WeeklyTime((ask.day + 1) % 7, ask.at)
    return ask, WeeklyTime(parse_day(words[3]), parse_clock(words[4]))


def format_schedule(ask: WeeklyTime, cutoff: WeeklyTime) -> str:
    """The file's form of a schedule: `mon 10:00 cutoff tue 10:00` (read back by `parse_schedule`)."""
    asked = f"{_DAY_NAMES[ask.day][:3]} {format_clock(ask.at)}"
    return f"{asked} cutoff {_DAY_NAMES[cutoff.day][:3]} {format_clock(cutoff.at)}"
