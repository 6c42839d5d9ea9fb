"""Acks first: listener work waits while Slack requests are still being acknowledged.

Slack gives an app 3 seconds to acknowledge a request (a slash command, a click, an event) and shows
the user an error otherwise, while the answer that follows (through `response_url`, a modal, a message)
has no such deadline. In one Python process the threads acking requests and the threads running
listeners share one interpreter lock, so under a burst (a channel clicking the same button, an
announcement everyone answers) the listeners' CPU work — queries, Block Kit — would delay the acks
still to come. `AckPriority` lets a listener task wait for a quiet moment: no request being acked
and, after a burst (acks ending within a few milliseconds of each other), none finished in the last
few milliseconds. Each task waits at most `max_wait` seconds after it was queued, so a process that
is never quiet still makes progress; under steady traffic (tens of milliseconds between requests) a
task starts as soon as its own ack is out.

docs/deployment.md ("What happens to a request") and docs/benchmarks.md ("HTTP load") show the effect.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Long enough to bridge the gaps in a burst (request threads reading the next requests while the
# senders, sharing the machine, fall behind: 5 ms let listener work in and doubled the burst's p99 in
# some runs), short enough to be unnoticeable in an answer.
DEFAULT_QUIET_SECONDS = 0.025
# Acks that end closer together than this make a burst. Between isolated requests (steady traffic:
# 50/s is one per 20 ms) listener work starts at once, so that it is done before the next request
# arrives instead of being pushed into it by the quiet period.
DEFAULT_BURST_GAP_SECONDS = 0.010
# A burst of 200 is acked in a few hundred milliseconds; past this, listener work goes ahead anyway.
DEFAULT_MAX_WAIT_SECONDS = 1.5


class AckPriority:
    """Tracks requests being acked and lets background work wait until there are none.

    Args:
        quiet_seconds: How long after the last ack finished a waiting task may start.
        max_wait_seconds: The longest a task waits, counted from when it was queued.
        burst_gap_seconds: Acks ending closer together than this are a burst; the quiet period
            applies only then.
        clock: Monotonic seconds (tests may pass their own).
    """

    def __init__(
        self,
        *,
        quiet_seconds: float = DEFAULT_QUIET_SECONDS,
        max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
        burst_gap_seconds: float = DEFAULT_BURST_GAP_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if quiet_seconds < 0 or max_wait_seconds < 0 or burst_gap_seconds < 0:
            raise ValueError("quiet, burst and maximum waiting times cannot be negative")
        self.quiet_seconds = quiet_seconds
        self.max_wait_seconds = max_wait_seconds
        self.burst_gap_seconds = burst_gap_seconds
        self._clock = clock
        lock = threading.Lock()
        # Two conditions on one lock: tasks waiting for the acks in progress to end are woken when
        # they do; tasks sitting out a burst's quiet period wake on their own timer. An ack ending
        # within a burst only moves the quiet period later, so waking those tasks for it (a few
        # thread switches per ack, hundreds in a burst) would only send them back to sleep.
        self._acks_over = threading.Condition(lock)
        self._quiet = threading.Condition(lock)
        self._acking = 0
        self._last_ack_end = -float("inf")
        self._previous_ack_end = -float("inf")

    @contextmanager
    def acking(self) -> Iterator[None]:
        """Mark the enclosed block as acknowledging a request (background work holds back)."""
        with self._acks_over:
            self._acking += 1
        try:
            yield
        finally:
            with self._acks_over:
                self._acking -= 1
                self._previous_ack_end, self._last_ack_end = self._last_ack_end, self._clock()
                if self._acking == 0:
                    self._acks_over.notify_all()
                    if self._last_ack_end - self._previous_ack_end >= self.burst_gap_seconds:
                        self._quiet.notify_all()  # not a burst (any more): the quiet period is over

    def wait_for_turn(self, queued_at: float) -> float:
        """Block until no ack is running and the quiet period has passed, or the wait is over.

        Args:
            queued_at: When the task was queued (this instance's clock); the wait ends at
                `queued_at + max_wait_seconds` at the latest.

        Returns:
            Seconds spent waiting here.
        """
        started = self._clock()
        deadline = queued_at + self.max_wait_seconds
        with self._acks_over:
            while True:
                now = self._clock()
                if now >= deadline:
                    break
                if self._acking == 0:
                    in_burst = self._last_ack_end - self._previous_ack_end < self.burst_gap_seconds
                    quiet_at = self._last_ack_end + self.quiet_seconds if in_burst else now
                    if now >= quiet_at:
                        break
                    self._quiet.wait(min(quiet_at, deadline) - now)
                else:
                    self._acks_over.wait(deadline - now)
        return self._clock() - started

    def wait_for_no_acks(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds until no request is being acked; whether none is.

        Args:
            timeout: The longest wait, in seconds (0: only look).
        """
        with self._acks_over:
            return self._acks_over.wait_for(lambda: self._acking == 0, timeout)

    def alone(self) -> bool:
        """Whether the request being acked (inside `acking`) is the only one: no other ack is running and
        none ended within the burst gap, so listener work started now delays no other ack."""
        with self._acks_over:
            return self._acking <= 1 and self._clock() - self._last_ack_end >= self.burst_gap_seconds

    def now(self) -> float:
        """The current time on this instance's clock (to stamp a task when it is queued)."""
        return self._clock()
