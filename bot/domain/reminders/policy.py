"""Reminder policy values (defaults ← workspace ← project) and their text form in settings and commands."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import time, timedelta
from typing import TypeVar

MAX_LEAD_TIMES = 8
MAX_LEAD = timedelta(days=90)
MAX_ESCALATION_DAYS = 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_LEAD_RE = re.compile(r"^(\d{1,3})\s*([wdhm])$")
_CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_T = TypeVar("_T")


class PolicyError(ValueError):
    """A reminder setting is malformed; the message says what is expected."""


@dataclass(frozen=True)
class QuietHours:
    """A daily window (local wall clock) with no deliveries; `start == end` means none.

    A window whose start is after its end runs over midnight (20:00–08:00).
    """

    start: time
    end: time

    @property
    def enabled(self) -> bool:
        """Whether the window is non-empty."""
        return self.start != self.end

    def contains(self, moment: time) -> bool:
        """Whether a local time of day falls in the window (start inclusive, end exclusive)."""
        if not self.enabled:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


NO_QUIET_HOURS = QuietHours(time(0), time(0))


@dataclass(frozen=True)
class ReminderPolicy:
    """The effective reminder rules for a project (defaults ← workspace ← project).

    Attributes:
        lead_times: How long before the due time the owner is reminded; 0 is the due time itself.
        local_time: Wall-clock time for day-granular reminders and daily digests (recipient's zone).
        quiet_hours: Window without deliveries, in the recipient's zone.
        skip_weekends: No deliveries on Saturdays and Sundays (recipient's zone).
        escalate_lead_days: Days after the due time when the project lead is told (0: never).
        escalate_channel_days: Days after the due time when the project channel is told (0: never).
        digest_weekday: Weekday (0 = Monday) of the weekly channel digest, None for none.
        digest_time: Wall-clock time of the weekly digest in the workspace zone.
        waiting_digest: Whether people get a daily "waiting on you" DM (each may opt out).
    """

    lead_times: tuple[timedelta, ...] = (timedelta(days=7), timedelta(days=1), timedelta(0))
    local_time: time = time(9, 0)
    quiet_hours: QuietHours = QuietHours(time(20, 0), time(8, 0))
    skip_weekends: bool = True
    escalate_lead_days: int = 2
    escalate_channel_days: int = 5
    digest_weekday: int | None = 0
    digest_time: time = time(9, 0)
    waiting_digest: bool = True

    def merged(self, overrides: PolicyOverrides | None) -> ReminderPolicy:
        """This policy with every field the overrides set replaced."""
        if overrides is None:
            return self
        o = overrides

        def pick(value: _T | None, inherited: _T) -> _T:
            return inherited if value is None else value

        return ReminderPolicy(
            lead_times=pick(o.lead_times, self.lead_times),
            local_time=pick(o.local_time, self.local_time),
            quiet_hours=pick(o.quiet_hours, self.quiet_hours),
            skip_weekends=pick(o.skip_weekends, self.skip_weekends),
            escalate_lead_days=pick(o.escalate_lead_days, self.escalate_lead_days),
            escalate_channel_days=pick(o.escalate_channel_days, self.escalate_channel_days),
            digest_weekday=None if o.digest_off else pick(o.digest_weekday, self.digest_weekday),
            digest_time=pick(o.digest_time, self.digest_time),
            waiting_digest=pick(o.waiting_digest, self.waiting_digest),
        )


@dataclass(frozen=True)
class PolicyOverrides:
    """Fields a workspace or project sets explicitly; None means "inherit"."""

    lead_times: tuple[timedelta, ...] | None = None
    local_time: time | None = None
    quiet_hours: QuietHours | None = None
    skip_weekends: bool | None = None
    escalate_lead_days: int | None = None
    escalate_channel_days: int | None = None
    digest_weekday: int | None = None
    digest_off: bool = False
    digest_time: time | None = None
    waiting_digest: bool | None = None


def parse_lead_times(text: str) -> tuple[timedelta, ...]:
    """Parse `7d,1d,0` (units w, d, h, m; `0` or `due` for the due time), largest first.

    Raises:
        PolicyError: Not of that form, more than eight lead times, or one longer than 90 days.
    """
    parts = [p.strip().lower() for p in text.split(",") if p.strip()]
    if not parts:
        raise PolicyError("Give at least one lead time, e.g. 7d,1d,0 (0 is the due time).")
    leads: set[timedelta] = set()
    for part in parts:
        if part in ("0", "due", "0d", "0h", "0m"):
            leads.add(timedelta(0))
            continue
        match = _LEAD_RE.match(part)
        if match is None:
            raise PolicyError(
                f"“{part}” is not a lead time. Use a number and a unit: 7d, 1d, 2h, 30m, 1w, or 0 for "
                "the due time."
            )
        count, unit = int(match.group(1)), match.group(2)
        lead = {"w": timedelta(weeks=count), "d": timedelta(days=count), "h": timedelta(hours=count)}.get(
            unit, timedelta(minutes=count)
        )
        if lead > MAX_LEAD:
            raise PolicyError(f"Lead times are at most 90 days; “{part}” is longer.")
        leads.add(lead)
    if len(leads) > MAX_LEAD_TIMES:
        raise PolicyError(f"At most {MAX_LEAD_TIMES} lead times.")
    return tuple(sorted(leads, reverse=True))


def format_lead_time(lead: timedelta) -> str:
    """`7d`, `1d`, `2h`, `30m`, or `0` (the due time)."""
    if lead == timedelta(0):
        return "0"
    if lead % timedelta(days=1) == timedelta(0):
        return f"{lead.days}d"
    if lead % timedelta(hours=1) == timedelta(0):
        return f"{int(lead.total_seconds() // 3600)}h"
    return f"{int(lead.total_seconds() // 60)}m"


def format_lead_times(leads: Iterable[timedelta]) -> str:
    """`7d,1d,0`."""
    return ",".join(format_lead_time(lead) for lead in sorted(leads, reverse=True))


def parse_clock(text: str) -> time:
    """Parse a 24-hour local time `HH:MM` (e.g. `09:00`, `9:30`).

    Raises:
        PolicyError: Not a valid time.
    """
    match = _CLOCK_RE.match(text.strip())
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise PolicyError(f"“{text.strip()}” is not a time; use 24-hour HH:MM, e.g. 09:00.")
    return time(int(match.group(1)), int(match.group(2)))


def format_clock(moment: time) -> str:
    """`09:00`."""
    return f"{moment:%H:%M}"


def parse_quiet_hours(text: str) -> QuietHours:
    """Parse `20:00-08:00`, or `off` for no quiet hours.

    Raises:
        PolicyError: Not of that form.
    """
    cleaned = text.strip().lower()
    if cleaned in ("off", "none", "no"):
        return NO_QUIET_HOURS
    start, sep, end = cleaned.replace("–", "-").partition("-")
    if not sep:
        raise PolicyError(f"“{text.strip()}” is not a quiet-hours window; use e.g. 20:00-08:00, or off.")
    return QuietHours(parse_clock(start), parse_clock(end))


def format_quiet_hours(quiet: QuietHours) -> str:
    """`20:00-08:00` or `off`."""
    return f"{format_clock(quiet.start)}-{format_clock(quiet.end)}" if quiet.enabled else "off"


def parse_weekday(text: str) -> int | None:
    """Parse `mon`…`sun` (or the full name) to 0…6, or `off` to None.

    Raises:
        PolicyError: Not a weekday.
    """
    cleaned = text.strip().lower()
    if cleaned in ("off", "none", "no"):
        return None
    for index, name in enumerate(WEEKDAYS):
        if cleaned in (name, _WEEKDAY_NAMES[index]):
            return index
    raise PolicyError(f"“{text.strip()}” is not a weekday; use mon, tue, wed, thu, fri, sat or sun (or off).")


def format_weekday(weekday: int | None) -> str:
    """`mon` … `sun`, or `off`."""
    return "off" if weekday is None else WEEKDAYS[weekday]


def parse_days(text: str, name: str) -> int:
    """Parse a number of days such as `2d` or `2` (0 or `off` disables).

    Raises:
        PolicyError: Not a whole number of days from 0 to 60.
    """
    cleaned = text.strip().lower().removesuffix("d")
    if cleaned in ("off", "none", "no"):
        return 0
    if not cleaned.isdigit() or int(cleaned) > MAX_ESCALATION_DAYS:
        raise PolicyError(f"{name} must be a number of days from 0 to {MAX_ESCALATION_DAYS}, e.g. 2d.")
    return int(cleaned)


def describe_policy(policy: ReminderPolicy) -> Sequence[tuple[str, str]]:
    """Label/value pairs for showing a policy to people."""
    digest = (
        "off"
        if policy.digest_weekday is None
        else f"{format_weekday(policy.digest_weekday)} {format_clock(policy.digest_time)}"
    )
    return (
        ("lead-times", format_lead_times(policy.lead_times)),
        ("at", format_clock(policy.local_time)),
        ("quiet", format_quiet_hours(policy.quiet_hours)),
        ("weekends", "skip" if policy.skip_weekends else "allow"),
        (
            "escalate",
            f"lead {_days(policy.escalate_lead_days)}, channel {_days(policy.escalate_channel_days)}",
        ),
        ("digest", digest),
        ("waiting", "on" if policy.waiting_digest else "off"),
    )


def _days(days: int) -> str:
    return "off" if days == 0 else f"{days}d"
