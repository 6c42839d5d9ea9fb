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
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.domain.dates import DateParseError, resolve_wall_clock

MAX_LEAD_TIMES = 8
MAX_LEAD = timedelta(days=90)
MAX_ESCALATION_DAYS = 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_LEAD_RE = re.compile(r"^(\d{1,3})\s*([wdhm])$")
_CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_T = TypeVar("_T")


class DeliveryKind(enum.StrEnum):
    """What a planned delivery is; part of its unique key."""

    LEAD_TIME = "lead_time"  # owner DM before (or at) the due time
    ESCALATE_LEAD = "escalate_lead"  # project lead DM, N days overdue
    ESCALATE_CHANNEL = "escalate_channel"  # project channel, M days overdue
    SNOOZE = "snooze"  # a reminder someone asked for again later
    DIGEST = "digest"  # weekly project digest in the project channel
    WAITING = "waiting"  # daily "waiting on you" DM
    FAILURE = "failure"  # report to a project lead that a delivery failed for good


RECURRING_KINDS = frozenset({DeliveryKind.DIGEST, DeliveryKind.WAITING})
MILESTONE_KINDS = frozenset(
    {DeliveryKind.LEAD_TIME, DeliveryKind.ESCALATE_LEAD, DeliveryKind.ESCALATE_CHANNEL, DeliveryKind.SNOOZE}
)


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


@dataclass(frozen=True)
class MilestoneFacts:
    """What planning needs to know about one milestone, its people and its project.

    Zones are IANA names, already resolved (person's Slack zone, else the workspace zone).
    """

    milestone_id: int
    project_id: int
    due_at: datetime
    due_zone: str
    is_open: bool
    owner_id: int | None
    owner_zone: str
    lead_id: int | None
    lead_zone: str
    channel_id: str | None
    workspace_zone: str


@dataclass(frozen=True)
class PlannedDelivery:
    """One delivery to make, at `send_at` (UTC).

    Attributes:
        kind: What it is.
        key: Unique meaning of the delivery: the same key is never delivered twice.
        series: The recurring series (or the milestone and kind) the delivery belongs to.
        occurrence: Which occurrence of the rule ("T-7d@20261127T110000Z", "2026-11-23").
        send_at: When to send, after moving out of quiet hours and weekends.
        zone: The zone whose wall clock the rule was read in.
        nominal_at: When the rule says, before moving; equals `send_at` when nothing moved.
        recipient_id: The person to DM, if any.
        channel_id: The channel to post in, if any.
        milestone_id: The milestone it is about, if any.
        project_id: The project it is about, if any.
        basis_due_at: The milestone due time it was planned from (stale once the milestone moves).
    """

    kind: DeliveryKind
    key: str
    series: str
    occurrence: str
    send_at: datetime
    zone: str
    nominal_at: datetime
    recipient_id: int | None = None
    channel_id: str | None = None
    milestone_id: int | None = None
    project_id: int | None = None
    basis_due_at: datetime | None = field(default=None)

    @property
    def moved(self) -> bool:
        """Whether quiet hours, a weekend or a DST gap moved it from the time the rule gives."""
        return self.send_at != self.nominal_at


class SnoozeOption(enum.StrEnum):
    """The snooze choices on a reminder."""

    HOUR = "1h"
    TOMORROW = "tomorrow"
    NEXT_WEEK = "next_week"


# -- wall clock ----------------------------------------------------------------------------------


def wall_clock(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock time `at` on `day` in `zone`.

    A time skipped by a daylight-saving change becomes the first valid instant after the gap; a
    time that occurs twice means the first occurrence (both via `resolve_wall_clock`).

    Args:
        day: The local calendar date.
        at: The local time of day (naive).
        zone: The zone.

    Returns:
        An aware datetime in UTC.
    """
    try:
        local = resolve_wall_clock(datetime.combine(day, at), zone)
    except DateParseError as gap:
        if gap.suggestion is None:  # pragma: no cover - resolve_wall_clock always suggests for gaps
            raise
        local = gap.suggestion
    return local.astimezone(UTC)


def next_allowed(instant: datetime, zone: ZoneInfo, policy: ReminderPolicy) -> datetime:
    """The first instant at or after `instant` outside quiet hours and (if skipped) weekends.

    Quiet hours end at their end time on the local wall clock; a weekend ends on Monday at 00:00,
    itself subject to quiet hours (so with 20:00–08:00 a Saturday reminder moves to Monday 08:00).

    Args:
        instant: Aware instant.
        zone: The recipient's zone, whose wall clock and weekends count.
        policy: Quiet hours and weekend rule.

    Returns:
        An aware datetime in UTC, never before `instant`.
    """
    candidate = instant.astimezone(UTC)
    quiet = policy.quiet_hours
    for _ in range(8):  # at most: weekend → Monday 00:00 → end of quiet hours
        local = candidate.astimezone(zone)
        if policy.skip_weekends and local.weekday() >= 5:
            monday = local.date() + timedelta(days=7 - local.weekday())
            candidate = wall_clock(monday, time(0), zone)
            continue
        if quiet.contains(local.time()):
            day = local.date()
            if quiet.start > quiet.end and local.time() >= quiet.start:
                day += timedelta(days=1)
            candidate = wall_clock(day, quiet.end, zone)
            continue
        break
    return candidate


# -- milestone reminders ---------------------------------------------------------------------------


def basis_label(due_at: datetime) -> str:
    """Compact UTC stamp of a due time, part of milestone delivery keys (`20261127T110000Z`)."""
    return due_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def lead_time_label(lead: timedelta) -> str:
    """`T-7d`, `T-2h`, `T-30m`, or `T-0` for the due time."""
    return "T-" + format_lead_time(lead)


def plan_milestone(facts: MilestoneFacts, policy: ReminderPolicy, now: datetime) -> list[PlannedDelivery]:
    """Every future delivery one milestone should get: lead-time reminders and escalations.

    Only deliveries at or after `now` are returned (reminders already in the past are not re-planned; rows
    planned earlier and missed are the ledger's business). Nothing is planned for a milestone that is
    done or has no owner, except escalations to the lead and channel, which need no owner.

    Args:
        facts: The milestone and its people.
        policy: The effective policy of its project.
        now: The current instant (aware).

    Returns:
        The planned deliveries, by send time.
    """
    if not facts.is_open:
        return []
    due = facts.due_at.astimezone(UTC)
    planned: list[PlannedDelivery] = []

    if facts.owner_id is not None:
        owner_zone = ZoneInfo(facts.owner_zone)
        for lead in sorted(set(policy.lead_times), reverse=True):
            nominal = _lead_nominal(due, lead, owner_zone, policy.local_time)
            send_at = next_allowed(nominal, owner_zone, policy)
            if lead > timedelta(0) and send_at >= due:
                continue  # moved onto or past the due time: the due reminder covers it
            planned.append(
                _milestone_delivery(
                    facts,
                    DeliveryKind.LEAD_TIME,
                    lead_time_label(lead),
                    send_at,
                    owner_zone,
                    nominal,
                    recipient_id=facts.owner_id,
                )
            )

    due_zone = ZoneInfo(facts.due_zone)
    if policy.escalate_lead_days > 0 and facts.lead_id is not None and facts.lead_id != facts.owner_id:
        lead_zone = ZoneInfo(facts.lead_zone)
        nominal = _days_after(due, policy.escalate_lead_days, due_zone)
        planned.append(
            _milestone_delivery(
                facts,
                DeliveryKind.ESCALATE_LEAD,
                f"{policy.escalate_lead_days}d",
                next_allowed(nominal, lead_zone, policy),
                lead_zone,
                nominal,
                recipient_id=facts.lead_id,
            )
        )
    if policy.escalate_channel_days > 0 and facts.channel_id:
        channel_zone = ZoneInfo(facts.workspace_zone)
        nominal = _days_after(due, policy.escalate_channel_days, due_zone)
        planned.append(
            _milestone_delivery(
                facts,
                DeliveryKind.ESCALATE_CHANNEL,
                f"{policy.escalate_channel_days}d",
                next_allowed(nominal, channel_zone, policy),
                channel_zone,
                nominal,
                channel_id=facts.channel_id,
            )
        )
    return sorted((p for p in planned if p.send_at >= now), key=lambda p: (p.send_at, p.key))


def _milestone_delivery(
    facts: MilestoneFacts,
    kind: DeliveryKind,
    step: str,
    send_at: datetime,
    zone: ZoneInfo,
    nominal: datetime,
    *,
    recipient_id: int | None = None,
    channel_id: str | None = None,
) -> PlannedDelivery:
    # The due time is part of the occurrence: a moved milestone gets fresh keys (and its reminders
    # again), while moving it back to a date already reminded about finds the old, sent rows.
    due = facts.due_at.astimezone(UTC)
    occurrence = f"{step}@{basis_label(due)}"
    return PlannedDelivery(
        kind=kind,
        key=f"m{facts.milestone_id}:{kind}:{occurrence}",
        series=f"m{facts.milestone_id}:{kind}",
        occurrence=occurrence,
        send_at=send_at,
        zone=zone.key,
        nominal_at=nominal,
        recipient_id=recipient_id,
        channel_id=channel_id,
        milestone_id=facts.milestone_id,
        project_id=facts.project_id,
        basis_due_at=due,
    )


def _lead_nominal(due: datetime, lead: timedelta, zone: ZoneInfo, local_time: time) -> datetime:
    if lead > timedelta(0) and lead % timedelta(days=1) == timedelta(0):
        # Whole days are calendar days on the recipient's wall clock, at their local reminder time.
        day = due.astimezone(zone).date() - timedelta(days=lead.days)
        return wall_clock(day, local_time, zone)
    return due - lead  # exact durations (and the due instant itself) are instants, not wall clock


def _days_after(due: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The same wall-clock time `days` calendar days after `due`, in the milestone's own zone."""
    local = due.astimezone(zone)
    return wall_clock(local.date() + timedelta(days=days), local.time().replace(tzinfo=None), zone)


def plan_snooze(
    *,
    milestone_id: int,
    project_id: int,
    source_delivery_id: int,
    recipient_id: int,
    zone: ZoneInfo,
    option: SnoozeOption,
    policy: ReminderPolicy,
    basis_due_at: datetime,
    now: datetime,
) -> PlannedDelivery:
    """The reminder a Snooze click asks for.

    One snooze per reminder message: its key names the message's delivery, so a double click or a
    retried request plans the same delivery (a later choice replaces an earlier one).

    Args:
        milestone_id: The milestone.
        project_id: Its project.
        source_delivery_id: The delivery whose message was snoozed.
        recipient_id: Who asked (they get the reminder again).
        zone: Their zone.
        option: 1 hour, tomorrow at the local reminder time, or next Monday at that time.
        policy: For the local time, quiet hours and weekends.
        basis_due_at: The milestone's current due time.
        now: The click's instant.

    Returns:
        The planned snooze delivery.
    """
    nominal = snooze_until(option, now, zone, policy)
    occurrence = f"d{source_delivery_id}"
    return PlannedDelivery(
        kind=DeliveryKind.SNOOZE,
        key=f"m{milestone_id}:{DeliveryKind.SNOOZE}:{occurrence}",
        series=f"m{milestone_id}:{DeliveryKind.SNOOZE}",
        occurrence=occurrence,
        send_at=next_allowed(nominal, zone, policy),
        zone=zone.key,
        nominal_at=nominal,
        recipient_id=recipient_id,
        milestone_id=milestone_id,
        project_id=project_id,
        basis_due_at=basis_due_at.astimezone(UTC),
    )


def snooze_until(option: SnoozeOption, now: datetime, zone: ZoneInfo, policy: ReminderPolicy) -> datetime:
    """When a snooze ends, before quiet hours and weekends are applied.

    `1h` is an exact hour; `tomorrow` is tomorrow at the policy's local reminder time; `next_week`
    is next Monday at that time (all on the wall clock of `zone`).
    """
    if option == SnoozeOption.HOUR:
        return now.astimezone(UTC) + timedelta(hours=1)
    today = now.astimezone(zone).date()
    if option == SnoozeOption.TOMORROW:
        return wall_clock(today + timedelta(days=1), policy.local_time, zone)
    return wall_clock(today + timedelta(days=7 - today.weekday()), policy.local_time, zone)


# -- recurring digests ------------------------------------------------------------------------------


def plan_digest(
    *, project_id: int, channel_id: str | None, zone: ZoneInfo, policy: ReminderPolicy, now: datetime
) -> PlannedDelivery | None:
    """The next weekly digest of a project (the first whose send time is after `now`).

    The occurrence is the nominal local date; a digest moved by quiet hours or a weekend keeps it.

    Returns:
        The delivery, or None without a channel or with digests off.
    """
    if policy.digest_weekday is None or not channel_id:
        return None
    today = now.astimezone(zone).date()
    day = today + timedelta(days=(policy.digest_weekday - today.weekday()) % 7) - timedelta(days=7)
    for _ in range(3):
        nominal = wall_clock(day, policy.digest_time, zone)
        send_at = next_allowed(nominal, zone, policy)
        if send_at > now:
            occurrence = day.isoformat()
            return PlannedDelivery(
                kind=DeliveryKind.DIGEST,
                key=f"p{project_id}:{DeliveryKind.DIGEST}:{occurrence}",
                series=f"p{project_id}:{DeliveryKind.DIGEST}",
                occurrence=occurrence,
                send_at=send_at,
                zone=zone.key,
                nominal_at=nominal,
                channel_id=channel_id,
                project_id=project_id,
            )
        day += timedelta(days=7)
    return None  # pragma: no cover - three weeks always contain a future occurrence


def plan_waiting(
    *, person_id: int, zone: ZoneInfo, policy: ReminderPolicy, now: datetime
) -> PlannedDelivery | None:
    """The next daily "waiting on you" DM of a person, at the local reminder time.

    With weekends skipped, Saturday and Sunday have no occurrence (they are not moved to Monday,
    which has its own).

    Returns:
        The delivery, or None with the daily digest off.
    """
    if not policy.waiting_digest:
        return None
    day = now.astimezone(zone).date() - timedelta(days=1)
    for _ in range(10):
        if not (policy.skip_weekends and day.weekday() >= 5):
            nominal = wall_clock(day, policy.local_time, zone)
            send_at = next_allowed(nominal, zone, policy)
            if send_at > now:
                occurrence = day.isoformat()
                return PlannedDelivery(
                    kind=DeliveryKind.WAITING,
                    key=f"u{person_id}:{DeliveryKind.WAITING}:{occurrence}",
                    series=f"u{person_id}:{DeliveryKind.WAITING}",
                    occurrence=occurrence,
                    send_at=send_at,
                    zone=zone.key,
                    nominal_at=nominal,
                    recipient_id=person_id,
                )
        day += timedelta(days=1)
    return None  # pragma: no cover - ten days always contain a weekday


def failure_report(
    *, failed_delivery_id: int, project_id: int, lead_id: int, zone: ZoneInfo, now: datetime
) -> PlannedDelivery:
    """A report to the project lead that a delivery failed for good, to send right away."""
    occurrence = f"d{failed_delivery_id}"
    return PlannedDelivery(
        kind=DeliveryKind.FAILURE,
        key=f"p{project_id}:{DeliveryKind.FAILURE}:{occurrence}",
        series=f"p{project_id}:{DeliveryKind.FAILURE}",
        occurrence=occurrence,
        send_at=now.astimezone(UTC),
        zone=zone.key,
        nominal_at=now.astimezone(UTC),
        recipient_id=lead_id,
        project_id=project_id,
    )


# -- retries ----------------------------------------------------------------------------------------


def retry_delay(attempts: int, *, jitter: float, base: timedelta = timedelta(seconds=30)) -> timedelta:
    """Capped exponential backoff between delivery attempts: 30 s, 1 min, 2 min … at most 15 min.

    Args:
        attempts: Attempts made so far (1 after the first failure).
        jitter: A number in [0, 1) (random in production) spreading retries of many deliveries.
        base: The first delay.

    Returns:
        The delay before the next attempt, between half and all of the capped exponential value.
    """
    capped = min(base * (2 ** max(attempts - 1, 0)), timedelta(minutes=15))
    return capped * (0.5 + jitter / 2)


# -- parsing and formatting of settings ------------------------------------------------------------


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
