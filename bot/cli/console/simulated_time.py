"""Moving the console's simulated clock (`:clock +3d`) and living through the time it skips."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
    JobExecutionEvent,
)
from apscheduler.schedulers.base import BaseScheduler

from bot.cli.console.fake_slack import FakeSlackApi, RecordedCall
from bot.clock import SimulatedClock
from bot.services import Services
from jobs.feed import run_feed_tick
from jobs.reminders import plan_reminders, run_reminder_tick

_CLOCK_RE = re.compile(r"^([+-]?)(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_clock_step(arg: str) -> timedelta | None:
    """`+3d`, `-1h`, `45m`, `2w` as a signed duration; None if it is not one."""
    match = _CLOCK_RE.match(arg.replace(" ", ""))
    if match is None:
        return None
    sign = -1 if match.group(1) == "-" else 1
    return timedelta(**{_UNITS[match.group(3)]: sign * int(match.group(2))})


def live_through(
    services: Services,
    clock: SimulatedClock,
    fake: FakeSlackApi,
    delta: timedelta,
    on_posts: Callable[[datetime, list[RecordedCall]], None],
) -> None:
    """Move the clock forward in steps (an hour, or 1/100 of a long jump), running the reminder jobs
    at each, so reminders, escalations and digests fire in order (a single jump would look like
    downtime: anything more than the grace window late would expire unseen).

    Args:
        services: The console's services.
        clock: The simulated clock to move.
        fake: The fake Slack whose calls are reported.
        delta: How far to move.
        on_posts: Called with the simulated instant and the calls of each step that posted something.
    """
    step = max(timedelta(hours=1), delta / 100)
    remaining = delta
    while remaining > timedelta(0):
        move = min(step, remaining)
        remaining -= move
        now = clock.advance(move)
        before = len(fake.calls())
        plan_reminders(services, now=now)
        run_reminder_tick(services, now=now)
        run_feed_tick(services, now=now)  # e.g. DMs held back by quiet hours
        calls = fake.calls()[before:]
        if any(c.method == "chat.postMessage" for c in calls):
            on_posts(now, calls)


def wake_jobs(scheduler: BaseScheduler, *, timeout: float) -> bool:
    """Run every scheduled job now, instead of at its next real-time tick, and wait until each has run.

    The jobs read the simulated clock, so after a move they act on the new time at once; waiting for
    them keeps what they post above the console's next prompt instead of interleaved with what comes
    after it.

    Args:
        scheduler: The console's running scheduler.
        timeout: The longest wait, in seconds (a job retrying a slow Slack can take a while).

    Returns:
        Whether every job finished within the timeout.
    """
    woken_at = datetime.now(UTC)
    pending = {job.id for job in scheduler.get_jobs()}
    finished = threading.Condition()

    def on_job_event(event: JobEvent) -> None:
        if isinstance(event, JobExecutionEvent) and event.scheduled_run_time < woken_at:
            return  # a run that began before the wake read the clock before the move
        with finished:
            pending.discard(event.job_id)
            finished.notify_all()

    mask = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
    scheduler.add_listener(on_job_event, mask)
    try:
        for job in scheduler.get_jobs():
            job.modify(next_run_time=woken_at)
        with finished:
            return finished.wait_for(lambda: not pending, timeout)
    finally:
        scheduler.remove_listener(on_job_event)
