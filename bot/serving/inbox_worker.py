"""Runs the durable inbox's requests (`bot.serving.inbox`) on the listener pool, and polls for the rest.

`InboxWorker` holds what this process runs: the requests it acked itself (leased to it when recorded),
at most `capacity` in memory, and those it takes from the table (unleased ones, and ones whose lease
ran out). It renews their leases while they run, writes their finish marks in rounds (in quiet
moments), hands back what it has not finished on a graceful stop, and prunes old rows now and then.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.serving.inbox import Inbox, InboxItem
from bot.serving.logs import first_line

logger = logging.getLogger(__name__)


class InboxWorker:
    """Runs inbox requests on the listener pool, at most `capacity` in memory, and polls for the rest.

    Args:
        inbox: The table.
        executor: The listener pool.
        process: Runs one request to its end and says how it ended (the outcome `Inbox.finish` records).
        capacity: Requests queued or running in this process at most; more wait in the table.
        poll_seconds: How often to look for requests nobody holds.
        mark_seconds: How often the finish marks waiting are written, and on SQLite the WAL checkpointed
            (see the module's docstring).
        expire_after: Requests older than this are not run any more (a command's `response_url`
            lasts 30 minutes; an event this old is news nobody waits for).
        wait_for_no_acks: Waits, up to the seconds given, until no request is being acked in this process,
            and says whether none is (`AckPriority.wait_for_no_acks`).
        quiet_wait_seconds: How long a round may wait for no request to be in flight here (see
            `_wait_for_a_quiet_moment`).
    """

    def __init__(
        self,
        inbox: Inbox,
        executor: Executor,
        process: Callable[[InboxItem], str],
        *,
        capacity: int,
        poll_seconds: float = 1.0,
        mark_seconds: float = 0.2,
        expire_after: timedelta = timedelta(minutes=25),
        wait_for_no_acks: Callable[[float], bool] = lambda _timeout: True,
        quiet_wait_seconds: float = 0.1,
    ) -> None:
        self.inbox = inbox
        self.executor = executor
        self.process = process
        self.capacity = capacity
        self.poll_seconds = poll_seconds
        self.mark_seconds = min(mark_seconds, poll_seconds)
        self.expire_after = expire_after
        self.quiet_wait_seconds = quiet_wait_seconds
        self._wait_for_no_acks = wait_for_no_acks
        self._lock = threading.Lock()
        # Notified when the last request held or reserved here is let go of, when requests wait in the
        # table, and on a stop (`_wait_for_a_quiet_moment`).
        self._idle = threading.Condition(self._lock)
        self._held: dict[int, InboxItem] = {}
        # Requests running before their record was written (`reserve`): room they take, ids not yet known.
        self._reserved = 0
        self._wake = threading.Event()
        # Set while requests may be waiting in the table for room here: a finished request then
        # wakes the poller at once instead of at its next round.
        self._backlog = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_renewal = 0.0
        self._last_prune = 0.0

    def has_room(self) -> bool:
        """Whether one more request may be queued in memory now."""
        with self._lock:
            return len(self._held) + self._reserved < self.capacity

    def held(self) -> int:
        """Requests queued or running in this process."""
        with self._lock:
            return len(self._held) + self._reserved

    def reserve(self) -> bool:
        """Take room for a request that starts running before its record is written; False when full.

        The caller then either `adopt`s the request once it is recorded, or `unreserve`s the room.
        """
        with self._lock:
            if len(self._held) + self._reserved >= self.capacity:
                return False
            self._reserved += 1
            return True

    def unreserve(self) -> None:
        """Give back the room of a reserved request that was not recorded (a replay, a failed write)."""
        with self._lock:
            self._reserved -= 1
            self._notify_if_idle()
        if self._backlog.is_set():
            self._wake.set()

    def adopt(self, item: InboxItem) -> None:
        """Hold a reserved request, now recorded, that is already running (its lease is renewed and handed
        back like any other); `finished` ends it."""
        with self._lock:
            self._reserved -= 1
            self._held[item.id] = item

    def submit(self, item: InboxItem) -> None:
        """Queue a request leased to this process."""
        with self._lock:
            self._held[item.id] = item
        try:
            self.executor.submit(self._run, item)
        except RuntimeError:
            # The pool is shutting down: hand the request back to whoever polls next.
            with self._lock:
                self._held.pop(item.id, None)
            self._release_quietly([item.id])

    def notify_waiting(self) -> None:
        """A request was left in the table (the queue was full): poll as soon as there is room."""
        self._backlog.set()
        with self._idle:
            self._idle.notify_all()  # a round waiting for a quiet moment goes ahead

    def start(self) -> None:
        """Start polling (one daemon thread)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._poll_loop, name="inbox-poller", daemon=True)
        self._thread.start()

    def stop_polling(self) -> None:
        """Take nothing more from the table."""
        self._stop.set()
        self._wake.set()
        with self._idle:
            self._idle.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def hand_back(self) -> int:
        """Write the finish marks still waiting, then release the leases of every request still held
        (call after the pool stopped running them)."""
        try:
            self.inbox.write_finished()
        except SQLAlchemyError as error:
            # Their requests run again once their leases run out; their effects are guarded.
            logger.warning("could not mark the finished inbox requests: %s", first_line(error))
        with self._lock:
            ids = list(self._held)
        return self._release_quietly(ids)

    def _release_quietly(self, ids: list[int]) -> int:
        try:
            return self.inbox.release(ids)
        except SQLAlchemyError as error:
            # Their leases run out on their own; another instance then takes them.
            logger.warning("could not hand back %d inbox requests: %s", len(ids), first_line(error))
            return 0

    def _run(self, item: InboxItem) -> None:
        outcome = "error"
        try:
            if self.inbox.clock.now() - item.received_at > self.expire_after:
                logger.warning("an inbox request (%s) waited too long and is dropped", item.kind)
                outcome = "expired"
            else:
                outcome = self.process(item)
        except Exception:
            logger.exception("processing an inbox request (%s) failed", item.kind)
        finally:
            self.finished(item, outcome)

    def finished(self, item: InboxItem, outcome: str) -> None:
        """A held request ran to its end: its finish mark waits for the poller's next mark round."""
        self.inbox.finish_later(item, outcome)
        with self._lock:
            self._held.pop(item.id, None)
            self._notify_if_idle()
        if self._backlog.is_set():
            self._wake.set()

    def forget(self, item: InboxItem) -> None:
        """Let go of a held request whose record was never committed, without a finish mark.

        On SQLite a rolled-back insert's id is given to the next record, which may be held here by
        now: a mark, or letting go by id alone, would finish that other request.
        """
        with self._lock:
            if self._held.get(item.id) is item:
                del self._held[item.id]
            self._notify_if_idle()
        if self._backlog.is_set():
            self._wake.set()

    def poll_once(self) -> int:
        """Write the finish marks waiting, renew leases due for renewal, prune now and then, and take
        what there is room for."""
        self._write_marks_quietly()
        now = time.monotonic()
        if now - self._last_renewal >= self.inbox.lease.total_seconds() / 3:
            self._last_renewal = now
            with self._lock:
                ids = list(self._held)
            self.inbox.renew(ids)
        if now - self._last_prune >= 300:
            self._last_prune = now
            self.inbox.prune()
        with self._lock:
            room = self.capacity - len(self._held) - self._reserved
        if room <= 0 or self._stop.is_set():
            return 0
        taken = self.inbox.take(room)
        if len(taken) < room:
            self._backlog.clear()
        for item in taken:
            if not item.attempt.endswith("#1"):
                logger.info("took over an inbox request (%s, attempt %s)", item.kind, item.attempt)
            self.submit(item)
        return len(taken)

    def _poll_loop(self) -> None:
        next_poll = 0.0  # a full round at once
        while not self._stop.is_set():
            if time.monotonic() >= next_poll:
                if not self._backlog.is_set():  # requests waiting in the table go first
                    self._wait_for_a_quiet_moment()
                try:
                    taken = self.poll_once()
                except SQLAlchemyError as error:
                    logger.warning("the inbox could not be polled: %s", first_line(error))
                    taken = 0
                if taken and self.has_room():
                    continue  # there may be more waiting
                next_poll = time.monotonic() + self.poll_seconds
            else:
                self._wait_for_a_quiet_moment()
                self._write_marks_quietly()
            if self._wake.wait(max(0.0, min(self.mark_seconds, next_poll - time.monotonic()))):
                self._wake.clear()
                next_poll = 0.0  # woken: a full round now

    def _wait_for_a_quiet_moment(self) -> None:
        """Hold a round back while a request is being acked or run here, for `quiet_wait_seconds` at most.

        A round's statements (the finish marks, SQLite's checkpoint, the poll) take the interpreter and
        the database for a fraction of a millisecond each, five times a second: run beside a request,
        they add their time to its answer, which puts that request among the slowest in a hundred. Under
        steady traffic the process is idle most of the time, so a round waits for such a moment; in a
        burst there is none, and the round goes ahead when the wait is over. Requests waiting in the
        table for room (the backlog) and a stop do not wait.
        """
        deadline = time.monotonic() + self.quiet_wait_seconds
        while not self._stop.is_set() and not self._backlog.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            with self._idle:
                if self._held or self._reserved:
                    self._idle.wait(remaining)  # `_notify_if_idle`, `notify_waiting` or a stop wakes it
                    continue
            if self._wait_for_no_acks(0.0):
                return
            # An ack in progress, before its request is reserved or held: wait for it to end, then look
            # at the requests here again.
            self._wait_for_no_acks(remaining)

    def _notify_if_idle(self) -> None:
        # Called with the lock held.
        if (not self._held and not self._reserved) or self._backlog.is_set():
            self._idle.notify_all()

    def _write_marks_quietly(self) -> None:
        """The round every `mark_seconds`: the finish marks waiting, then (SQLite) the WAL's checkpoint."""
        try:
            self.inbox.write_finished()
        except SQLAlchemyError as error:
            # They wait for the next try.
            logger.warning("could not mark the finished inbox requests: %s", first_line(error))
        try:
            self.inbox.checkpoint()
        except SQLAlchemyError as error:
            # The WAL grows meanwhile; the next round, or any other connection's commit, checkpoints it.
            logger.warning("could not checkpoint the database's WAL: %s", first_line(error))
