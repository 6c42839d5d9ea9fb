"""Reminder planning: wall-clock rules in, UTC instants out. Pure: no Slack, no database.

Every planned delivery has a key that is unique for what it means (this milestone, this kind of
reminder, this occurrence, for this due date), so planning the same thing twice finds the row that is
already there instead of adding a second one. Times follow these rules (docs/reminders.md):

- Wall-clock times ("09:00 in the recipient's zone") are turned into instants with zoneinfo through
  `bot.domain.dates.resolve_wall_clock`. A time skipped by a daylight-saving change (02:30 on the night
  clocks go forward) means the first valid instant after the gap (03:00); a time that happens twice
  (clocks going back) means its first occurrence.
- Lead times of whole days are counted in calendar days on the recipient's wall clock (T−1 day at
  09:00 is 09:00 the day before, whether that day had 23, 24 or 25 hours); other lead times are exact
  durations before the due instant; lead time 0 is the due instant itself.
- A delivery that would fall in quiet hours or on a weekend (in the recipient's zone) moves to the
  next allowed instant. A reminder *before* the due time that would move to or past the due time is
  dropped: the due reminder says the same thing. Daily "waiting on you" digests skip weekends instead
  of moving (Monday has its own).

The package's modules: `deliveries` (kinds, planned deliveries, milestone facts), `policy` (policy values
and their text form), `timing` (wall clock, quiet hours, weekends), `milestones` (lead times and
escalations), `snooze`, `digests` (weekly and daily), `failures` (retry backoff, failure reports). Their
public names are re-exported here, so callers import from `bot.domain.reminders`.
"""

from __future__ import annotations

from bot.domain.reminders.deliveries import (
    MILESTONE_KINDS,
    RECURRING_KINDS,
    DeliveryKind,
    MilestoneFacts,
    PlannedDelivery,
)
from bot.domain.reminders.digests import plan_digest, plan_waiting
from bot.domain.reminders.failures import failure_report, retry_delay
from bot.domain.reminders.milestones import basis_label, lead_time_label, plan_milestone
from bot.domain.reminders.policy import (
    MAX_ESCALATION_DAYS,
    MAX_LEAD,
    MAX_LEAD_TIMES,
    NO_QUIET_HOURS,
    WEEKDAYS,
    PolicyError,
    PolicyOverrides,
    QuietHours,
    ReminderPolicy,
    describe_policy,
    format_clock,
    format_lead_time,
    format_lead_times,
    format_quiet_hours,
    format_weekday,
    parse_clock,
    parse_days,
    parse_lead_times,
    parse_quiet_hours,
    parse_weekday,
)
from bot.domain.reminders.snooze import SnoozeOption, plan_snooze, snooze_until
from bot.domain.reminders.timing import next_allowed, wall_clock

__all__ = [
    "MAX_ESCALATION_DAYS",
    "MAX_LEAD",
    "MAX_LEAD_TIMES",
    "MILESTONE_KINDS",
    "NO_QUIET_HOURS",
    "RECURRING_KINDS",
    "WEEKDAYS",
    "DeliveryKind",
    "MilestoneFacts",
    "PlannedDelivery",
    "PolicyError",
    "PolicyOverrides",
    "QuietHours",
    "ReminderPolicy",
    "SnoozeOption",
    "basis_label",
    "describe_policy",
    "failure_report",
    "format_clock",
    "format_lead_time",
    "format_lead_times",
    "format_quiet_hours",
    "format_weekday",
    "lead_time_label",
    "next_allowed",
    "parse_clock",
    "parse_days",
    "parse_lead_times",
    "parse_quiet_hours",
    "parse_weekday",
    "plan_digest",
    "plan_milestone",
    "plan_snooze",
    "plan_waiting",
    "retry_delay",
    "snooze_until",
    "wall_clock",
]
