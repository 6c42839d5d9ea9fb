"""Back-planning a paper from its venue's deadline (pure: no database, no Slack).

From the deadline D, the partners' longest pre-publication review window W (days, from the agreements
covering the project), each author organisation's internal sign-off window S (funding calls only) and
a buffer B:

- partner review starts = D − W (when some agreement sets a window),
- `<organisation>` sign-off starts = D − S (funding calls, organisations with a window),
- draft complete = D − max(W, S…) − B,
- submission = D.

Days are counted on the deadline's own wall clock, never by adding offsets: a 12:00 Amsterdam deadline
planned back across a daylight-saving change stays at 12:00 Amsterdam time (a different UTC hour), and
23:59 AoE stays 23:59 AoE. A time that falls in a daylight-saving gap moves to the first valid time
after it; one in an overlap is its first occurrence (`resolve_wall_clock`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.dates.due import DateParseError, resolve_wall_clock
from bot.publications.deadlines import Deadline, milestone_zone, zone_of

DRAFT = "draft"
REVIEW = "review"
SUBMISSION = "submission"
SIGNOFF = "signoff:"


@dataclass(frozen=True)
class PlannedStep:
    """One milestone of a paper's plan.

    Attributes:
        step: Its stable name (`draft`, `review`, `submission`, `signoff:<organisation>`).
        label: How it is titled ("Partner review starts").
        due: The instant, aware, in UTC.
        zone: The IANA zone the milestone keeps (the deadline's; `Etc/GMT+12` for AoE).
    """

    step: str
    label: str
    due: datetime
    zone: str


@dataclass(frozen=True)
class Plan:
    """A paper's back-planned milestones and whether its review still fits before the deadline.

    Attributes:
        steps: The milestones, earliest first.
        window_days: The longest window planned back from the deadline (review or sign-off), or 0.
        review_start: When the longest window must start (D − window), or None without a window.
        late: The review (or sign-off) should have started before now: it no longer fits.
    """

    steps: tuple[PlannedStep, ...]
    window_days: int
    review_start: datetime | None
    late: bool


def days_before(deadline: Deadline, days: int) -> datetime:
    """The instant `days` calendar days before the deadline at the same wall-clock time, in UTC."""
    zone = zone_of(deadline.zone)
    wall = deadline.local().replace(tzinfo=None) - timedelta(days=days)
    try:
        return resolve_wall_clock(wall, zone).astimezone(UTC)
    except DateParseError as error:
        # The time does not exist that day (clocks went forward): the first valid time after the gap.
        assert error.suggestion is not None
        return error.suggestion.astimezone(UTC)


def back_plan(
    deadline: Deadline,
    *,
    review_days: int | None,
    buffer_days: int,
    signoff_days: Mapping[str, int],
    now: datetime,
) -> Plan:
    """Plan a paper's milestones backwards from its venue's deadline.

    Args:
        deadline: The venue's deadline.
        review_days: The partners' longest pre-publication review window, or None if none applies.
        buffer_days: Days kept free between draft complete and the start of the longest window.
        signoff_days: Internal sign-off windows by organisation (funding calls; empty otherwise).
        now: The current instant, to tell whether the window still fits.

    Returns:
        The plan (see the module's rules).
    """
    zone = milestone_zone(deadline.zone)
    steps: list[PlannedStep] = []
    if review_days:
        steps.append(PlannedStep(REVIEW, "Partner review starts", days_before(deadline, review_days), zone))
    for organisation, days in sorted(signoff_days.items()):
        label = f"{organisation} sign-off starts"
        steps.append(PlannedStep(SIGNOFF + organisation, label, days_before(deadline, days), zone))
    window = max([review_days or 0, *signoff_days.values()])
    steps.append(PlannedStep(DRAFT, "Draft complete", days_before(deadline, window + buffer_days), zone))
    steps.append(PlannedStep(SUBMISSION, "Submission", deadline.instant, zone))
    review_start = days_before(deadline, window) if window else None
    steps.sort(key=lambda s: (s.due, s.step))
    return Plan(
        steps=tuple(steps),
        window_days=window,
        review_start=review_start,
        late=review_start is not None and review_start < now,
    )
