"""Requests acked before their listener runs (HTTP or Socket Mode): recorded first, then run from the record.

`RecordedRequests` is what both transports call before they ack a slash command, click, shortcut or
event (`bot.serving.web`, `bot.serving.socket_mode`): it writes the request to the durable inbox
(`bot.serving.inbox`) within a bounded time and says how that went, so that the transport can ack (or,
when nothing could be recorded, tell the user at once, or let Slack retry an event). What follows the
ack is done here too: the request goes onto the listener pool (or waits in the table when the
in-memory queue is full), a write that is slow is settled after the ack with the user told, and each
recorded request is dispatched to Bolt with its effect claim set (`bot.db.EffectClaim`).
"""

from __future__ import annotations

import enum
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from functools import partial
from typing import Any, NamedTuple

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import SQLAlchemyError

from bot.db import EFFECT_CLAIM, EffectClaim
from bot.serving.ack_priority import AckPriority
from bot.serving.inbox import Inbox, InboxItem, NewRequest
from bot.serving.inbox_sql import HeldConnection
from bot.serving.inbox_worker import InboxWorker
from bot.serving.logs import REQUEST_ID, first_line
from bot.serving.metrics import Metrics
from bot.serving.slack_body import parse_body, response_url
from bot.slack.response_url import ANSWER_HOLD

logger = logging.getLogger(__name__)

# How long an ack waits for its inbox record: a command's and a click's ack must reach Slack within
# 3 s, and a write that takes longer is settled after the ack; an event is answered 503 instead (Slack
# retries it, and the retry is dropped as a replay if the slow write landed after all).
ACK_WRITE_BUDGET_SECONDS = 1.0
EVENT_WRITE_BUDGET_SECONDS = 2.5
# After the ack, how much longer a slow record is waited for before the user hears that it waits.
SLOW_WRITE_NOTICE_SECONDS = 1.5
# How long a command answered while its record is written waits for the ack's verdict on the record
# (which comes within ACK_WRITE_BUDGET_SECONDS); past this it gives up, and the request, if recorded
# after all, is run again from its record.
EARLY_VERDICT_SECONDS = ACK_WRITE_BUDGET_SECONDS + 4.0
# A header stored with Socket Mode requests: their body is the envelope's payload as JSON.
TRANSPORT_HEADER = "x-liaison-transport"
SOCKET_MODE = "socket_mode"

DATABASE_UNREACHABLE = (
    ":warning: Liaison cannot reach its database right now, so nothing was done. "
    "Please try again in a minute."
)
DATABASE_SLOW = (
    ":hourglass_flowing_sand: Liaison's database is not answering right now. Your request waits for it: "
    "it runs if the database answers within a minute, and you will be told if it does not."
)
ALREADY_APPLIED = (
    ":information_source: Liaison restarted while answering this, after it was done: "
    "ask again to see the result."
)


# What a record's writer tells before the commit: the insert's verdict, and the future of the commit.
_InsertedCallback = Callable[[InboxItem | None, Future[InboxItem | None]], None]


class Recorded(enum.Enum):
    """How recording a request went, which decides its ack."""

    ACCEPTED = "accepted"  # recorded: it runs
    REPLAY = "replay"  # recorded before: acked and dropped
    UNREACHABLE = "unreachable"  # refused by the database: nothing was done (clicks are told so)
    PENDING = "pending"  # not written yet: settled after the ack (the user is told what happens)


class _EarlyAnswer:
    """A read-only command running while its record is written: the insert decides whether its answer
    is posted, and exactly one side ends up running the request (this run, or a run from the record).

    The writer's thread calls `inserted` with the new record as soon as the insert returns it, before
    the commit (on PostgreSQL the commit's flush of the WAL to disk is the slowest, most variable part
    of the write): the run is then the request's, held by the inbox worker (its reserved room turned
    into the record's lease, renewed, handed back on a graceful stop) until it has ended and the record
    is committed (`finish`). The ack's thread calls `close` once it knows how the write went, or that
    it is slow: from then on the run can no longer take the request; `close` says whether it did. The
    run waits for the verdict (`verdict`) before its answer is posted and when it ends, for
    EARLY_VERDICT_SECONDS at most: past that it takes no verdict either, and the request, if recorded,
    runs from its record.

    Args:
        worker: The inbox worker, in which the caller reserved room for the run (`InboxWorker.reserve`).
    """

    def __init__(self, worker: InboxWorker) -> None:
        self._worker = worker
        self._lock = threading.Lock()
        self._decided = threading.Event()
        self._item: InboxItem | None = None
        self._committed: Future[InboxItem | None] | None = None
        self._closed = False

    def inserted(self, item: InboxItem | None, committed: Future[InboxItem | None]) -> None:
        """The writer's thread: the insert recorded the request (`item`), or found it recorded (None);
        `committed` settles once the commit is over."""
        if item is None:
            return  # a replay: the ack closes the run once the write is over
        with self._lock:
            if self._closed:
                return
            self._worker.adopt(item)  # held before the run can end (`finish` lets go of it)
            self._item = item
            self._committed = committed
            self._closed = True
            self._decided.set()

    def finish(self, item: InboxItem, outcome: str) -> None:
        """The run took the request and ended: let the worker go of it once the record is committed.

        Its finish mark must not be written before: on PostgreSQL the mark's UPDATE would not see the
        row yet, the mark would be lost, and the request would run again once its lease ran out. Until
        then the request stays held (its lease renewed). A commit that failed leaves no row of its own
        to mark, and its id may be another record's by then (SQLite): the request is forgotten.
        """
        committed = self._committed
        assert committed is not None  # set with the item (`inserted`)

        def let_go(write: Future[InboxItem | None]) -> None:
            if write.exception() is None:
                self._worker.finished(item, outcome)
            else:
                self._worker.forget(item)

        committed.add_done_callback(let_go)

    def close(self) -> bool:
        """The ack's thread, once: whether the run took the request; if not, it never will, and the room
        reserved for it is given back (the request, if recorded, is the ack's to run)."""
        with self._lock:
            if self._item is not None:
                return True
            self._closed = True
            self._decided.set()
        self._worker.unreserve()
        return False

    def verdict(self) -> InboxItem | None:
        """Wait for the verdict: the recorded request, or None (nothing may be posted)."""
        if not self._decided.wait(EARLY_VERDICT_SECONDS):
            with self._lock:
                self._closed = True  # too late from now on: the request runs from its record
                self._decided.set()
        with self._lock:
            return self._item

    def recorded(self) -> bool:
        """`bot.slack.response_url.ANSWER_HOLD`: whether the answer may be posted."""
        return self.verdict() is not None


class RecordedRequests:
    """The inbox as both transports use it: record before the ack, run from the record after it.

    A read-only slash command (`answers_early`) arriving alone (`AckPriority.alone`, so no other ack
    waits for it) starts on the listener pool while its record is written: its reads and Block Kit
    overlap the insert's round trip, and its answer is posted once the insert has recorded it, without
    waiting for the commit (never for a replay, or a request whose insert failed or was late). Its ack
    still waits for the commit; should the commit fail after the insert, the answer is given all the
    same, from this process only (docs/deployment.md). It writes nothing, so it needs no effect claim; in
    a burst, commands run from their record after the acks, as every other request does.

    Args:
        bolt: The Bolt app, built with `process_before_response` (a dispatch runs the listener to its end).
        inbox: The table.
        listeners: The listener pool.
        ack_priority: Holds listener work back while requests are being acked.
        metrics: Where outcomes are counted.
        queue_limit: Requests this process keeps in memory; more wait in the inbox.
        writers: Inbox writes that may wait on the database at once; past that, requests are refused as
            if the database were unreachable rather than tying up the threads that ack.
        answers_early: Whether a slash command (its parsed payload) only reads, so that it may run while
            its record is written; None: never (a database of one shared connection cannot read while
            it writes).
    """

    def __init__(
        self,
        bolt: App,
        inbox: Inbox,
        listeners: Executor,
        *,
        ack_priority: AckPriority,
        metrics: Metrics,
        queue_limit: int,
        writers: int,
        answers_early: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        self.bolt = bolt
        self.inbox = inbox
        self.listeners = listeners
        self.ack_priority = ack_priority
        self.metrics = metrics
        self.worker = InboxWorker(
            inbox,
            listeners,
            self.process,
            capacity=queue_limit,
            wait_for_no_acks=ack_priority.wait_for_no_acks,
        )
        self._writes = RecordWriter(inbox)
        self._write_slots = threading.BoundedSemaphore(writers)
        self._answers_early = answers_early

    def start(self) -> None:
        """Start taking requests from the inbox that this process did not ack itself."""
        self.worker.start()

    def stop_taking_work(self) -> None:
        """Take no more requests from the inbox (a graceful stop; those held are handed back later)."""
        self.worker.stop_polling()
        self._writes.shutdown()

    def hand_back(self, timeout: float = 2.0) -> int:
        """Release every request still held, for another instance; the number released.

        The records still being written are waited for first, `timeout` seconds at most: a command
        answered before its commit is let go of when the commit is over (`_EarlyAnswer.finish`), and
        handing its record back before then would release nothing and leave it leased to this process,
        to be run again, and answered twice, after its lease.
        """
        self._writes.wait(timeout)
        return self.worker.hand_back()

    def record(
        self,
        *,
        kind: str,
        key: str,
        body: str,
        query: str,
        headers: dict[str, str],
        parsed: dict[str, Any] | None = None,
    ) -> Recorded:
        """Record a request before its ack, within the ack's budget; what follows the ack is arranged here.

        Args:
            kind: What the request is (`bot.serving.slack_body.classify_body`'s kinds).
            key: Its replay key (unique per body).
            body: The body Bolt will be given (Socket Mode: the payload as JSON).
            query: The query string.
            headers: The request's headers.
            parsed: The body as the caller parsed it (`bot.serving.slack_body.ParsedBody.payload`, a Socket
                Mode payload): given to Bolt as it is when the request runs from memory.
        """
        leased = self.worker.has_room()
        budget = EVENT_WRITE_BUDGET_SECONDS if kind == "event" else ACK_WRITE_BUDGET_SECONDS
        deadline = time.monotonic() + budget
        if not self._write_slots.acquire(timeout=budget):
            # Every writer is stuck on the database: nothing more is sent its way.
            logger.error("cannot record a Slack %s request: every inbox write waits on the database", kind)
            return self._unrecorded(kind, body, headers)
        queued_at = self.ack_priority.now()
        early: _EarlyAnswer | None = None
        item: InboxItem | None = None
        try:
            try:
                early = self._answer_early(kind, body, query, headers, parsed) if leased else None
                write = self._writes.submit(
                    NewRequest(key, kind, body, query, headers, leased),
                    on_inserted=early.inserted if early is not None else None,
                )
            except BaseException:  # e.g. shutting down: the transport stopped taking requests meanwhile
                self._write_slots.release()
                raise
            write.add_done_callback(lambda _done: self._write_slots.release())
            try:
                item = write.result(timeout=max(deadline - time.monotonic(), 0.0))
            except FutureTimeout:
                running, early = early, None
                if running is not None and running.close():
                    # Inserted, and running already: only the commit is slow.
                    write.add_done_callback(_log_a_failed_commit)
                    self._count(kind, "accepted")
                    return Recorded.ACCEPTED
                # It may still land. Slack is answered now; the write is settled on the listener pool.
                logger.warning("recording a Slack %s request is slow; answering Slack first", kind)
                self.listeners.submit(self._settle_slow_write, write, kind, body, headers, leased)
                return Recorded.PENDING
            except SQLAlchemyError as error:
                running, early = early, None
                if running is not None and running.close():
                    # Inserted, and running already: the answer is given, from this process only.
                    _log_a_failed_commit(write)
                    self._count(kind, "accepted")
                    return Recorded.ACCEPTED
                logger.error(
                    "cannot record a Slack %s request, the database is unreachable: %s",
                    kind,
                    first_line(error),
                )
                return self._unrecorded(kind, body, headers)
            if item is None:
                self._count(kind, "replay")
                logger.warning("dropped a replayed Slack request (%s)", kind)
                return Recorded.REPLAY
            self._count(kind, "accepted")
            if early is not None:
                running, early = early, None
                if running.close():
                    return Recorded.ACCEPTED  # it is running already
            if leased:
                self.worker.submit(replace(item, queued_at=queued_at, parsed=parsed))
            else:
                self.worker.notify_waiting()
            return Recorded.ACCEPTED
        finally:
            if early is not None:  # not recorded (a replay, a failed write, an error): no answer
                early.close()

    def _answer_early(
        self, kind: str, body: str, query: str, headers: dict[str, str], parsed: dict[str, Any] | None
    ) -> _EarlyAnswer | None:
        """Start a read-only command that arrived alone while its record is written (see the class)."""
        if (
            self._answers_early is None
            or kind != "command"
            or parsed is None
            or not self._answers_early(parsed)
            or not self.ack_priority.alone()
        ):
            return None
        request = _bolt_request(body, query, headers, parsed)
        if not self.worker.reserve():
            return None
        early = _EarlyAnswer(self.worker)
        try:
            self.listeners.submit(self._run_early, early, request)
        except RuntimeError:  # the pool is shutting down: the request runs from its record, if at all
            self.worker.unreserve()
            return None
        return early

    def _run_early(self, early: _EarlyAnswer, request: BoltRequest) -> None:
        """Run a command before its record is written; its answer waits for the record (`ANSWER_HOLD`)."""
        outcome = "error"
        # The pool runs this in a copy of the ack's context: its log lines carry the request's id.
        hold = ANSWER_HOLD.set(early.recorded)
        try:
            answer = self.bolt.dispatch(request)
            outcome = "error" if answer.status >= 500 else "done"
        except Exception:
            logger.exception("Bolt failed on a Slack command answered while it was recorded")
        finally:
            ANSWER_HOLD.reset(hold)
            item = early.verdict()  # at once when the answer was posted: it waited for the verdict
            if item is not None:  # recorded, and held since (`_EarlyAnswer.inserted`)
                try:
                    if outcome == "error":
                        self._count(item.kind, "error")
                finally:
                    early.finish(item, outcome)

    def _count(self, kind: str, outcome: str) -> None:
        self.metrics.count_slack_request(kind, outcome)

    def _unrecorded(self, kind: str, body: str, headers: dict[str, str]) -> Recorded:
        """Nothing was recorded, so nothing will be done: a click's user is told through its `response_url`
        (a command's ack says it itself; Slack retries an event)."""
        self._count(kind, "error")
        if kind not in ("command", "event"):
            self.listeners.submit(_tell_database_unreachable, body, headers)
        return Recorded.UNREACHABLE

    def _settle_slow_write(
        self, write: Future[InboxItem | None], kind: str, body: str, headers: dict[str, str], leased: bool
    ) -> None:
        """A request whose record was not written within the ack's budget: run it once it is, or say so.

        The user hears within Slack's 3 s either way: that the database is not answering and the
        request waits for it, then, if the write fails or the lease runs out, that nothing was done.
        """
        try:
            try:
                item = write.result(timeout=SLOW_WRITE_NOTICE_SECONDS)
            except FutureTimeout:
                if kind != "event":
                    _tell_user(body, headers, DATABASE_SLOW)
                item = write.result(timeout=self.inbox.lease.total_seconds())
        except (FutureTimeout, SQLAlchemyError) as error:
            # If the write still lands after this, its lease has run out and any instance runs it:
            # the remaining window docs/deployment.md names.
            logger.error("a Slack %s request could not be recorded: %s", kind, first_line(error) or "timeout")
            self._count(kind, "error")
            if kind != "event":
                _tell_database_unreachable(body, headers)
            return
        if item is None:
            self._count(kind, "replay")
            return
        self._count(kind, "accepted")
        if leased:
            self.worker.submit(item)
        else:
            self.worker.notify_waiting()

    def process(self, item: InboxItem) -> str:
        """Run one recorded request through Bolt to its listener's end (the inbox worker's callback).

        Returns:
            The outcome the inbox records: "done", "already applied" (another attempt committed its
            effects: they are not written twice) or "error".
        """
        self.ack_priority.wait_for_turn(
            item.queued_at if item.queued_at is not None else self.ack_priority.now()
        )
        if item.effect_owner is not None and item.effect_owner != item.attempt:
            # Its instance stopped after writing and before answering: the user hears it was done.
            logger.info("an inbox request (%s) was already applied by an earlier attempt", item.kind)
            _tell_user(item.body, item.headers, ALREADY_APPLIED)
            return "already applied"
        request_id = REQUEST_ID.set(item.headers.get("x-request-id") or REQUEST_ID.get())
        claim = EFFECT_CLAIM.set(EffectClaim(item.id, item.attempt))
        try:
            answer = self.bolt.dispatch(_bolt_request(item.body, item.query, item.headers, item.parsed))
        except Exception:
            logger.exception("Bolt failed on a Slack %s request after its ack", item.kind)
            self._count(item.kind, "error")
            return "error"
        finally:
            EFFECT_CLAIM.reset(claim)
            REQUEST_ID.reset(request_id)
        # Listener errors were logged by the app's error handler, an unhandled request by Bolt (a
        # warning): Slack already has its ack, so there is nothing to answer, only to record.
        if answer.status >= 500:
            self._count(item.kind, "error")
            return "error"
        return "done"


class RecordWriter:
    """Writes the records acks wait for, in batches: what queued up while a write ran goes in one statement.

    Under steady traffic each record is written alone, as soon as it is submitted. In a burst, the
    requests being acked at once (one per server thread) would otherwise be a transaction each: on
    SQLite each a commit (an fsync) behind one write lock, the others sleeping in its busy handler; on
    PostgreSQL each a round trip and a commit. A batch is one statement, so a burst costs a few commits.
    Two threads write: one batch may be written while the next one gathers, and a connection stuck
    mid-statement does not hold up every ack. How many writes may wait on the database at once is
    `RecordedRequests`' concern (its write slots), as before.

    Args:
        inbox: The table.
        threads: Writer threads.
        max_batch: The most records in one statement.
    """

    def __init__(self, inbox: Inbox, *, threads: int = 2, max_batch: int = 64) -> None:
        self.inbox = inbox
        self.max_batch = max_batch
        self._queue: deque[_Write] = deque()
        self._ready = threading.Condition(threading.Lock())
        self._closed = False
        self._threads = [
            threading.Thread(target=self._write_batches, name=f"inbox-write-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def submit(
        self, request: NewRequest, *, on_inserted: _InsertedCallback | None = None
    ) -> Future[InboxItem | None]:
        """Queue a record; its future holds the recorded request (None for a replay) or the error.

        Args:
            request: What to record.
            on_inserted: Told on the writer's thread what the insert said (the record, or None for a
                replay) before its commit, which waits for it (`Inbox.record_many`), with the future the
                commit settles (the one returned); it must not block.
        """
        future: Future[InboxItem | None] = Future()
        with self._ready:
            if self._closed:
                raise RuntimeError("the inbox writer is shut down")
            self._queue.append(_Write(request, future, on_inserted))
            self._ready.notify()
        return future

    def shutdown(self) -> None:
        """Take no more records; those queued are still written."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def wait(self, timeout: float) -> bool:
        """After `shutdown`: wait up to `timeout` seconds for the records queued to be written; whether
        they were."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def _write_batches(self) -> None:
        connection = HeldConnection(self.inbox.engine)
        try:
            while True:
                with self._ready:
                    while not self._queue and not self._closed:
                        self._ready.wait()
                    if not self._queue:
                        return
                    batch = [self._queue.popleft() for _ in range(min(len(self._queue), self.max_batch))]
                told = any(write.on_inserted is not None for write in batch)
                try:
                    items = self.inbox.record_many(
                        [write.request for write in batch],
                        connection=connection,
                        on_inserted=partial(_tell_inserted, batch) if told else None,
                    )
                except Exception as error:  # each waiting ack decides what a failure means for it
                    for write in batch:
                        write.future.set_exception(error)
                else:
                    for write, item in zip(batch, items, strict=True):
                        write.future.set_result(item)
        finally:
            connection.close()


class _Write(NamedTuple):
    """A record waiting for a writer: its request, its outcome, and who is told of its insert."""

    request: NewRequest
    future: Future[InboxItem | None]
    on_inserted: _InsertedCallback | None


def _tell_inserted(batch: list[_Write], items: list[InboxItem | None]) -> None:
    for write, item in zip(batch, items, strict=True):
        if write.on_inserted is not None:
            write.on_inserted(item, write.future)


def _bolt_request(
    body: str, query: str, headers: dict[str, str], parsed: dict[str, Any] | None
) -> BoltRequest:
    """The request as Bolt takes it, with the body parsed once (by the ack, or here for a polled one).

    Bolt parses a body it is given as text itself, differently from `bot.serving.slack_body` in corner
    cases (a slash command whose text contains "payload" reaches it as an empty body); given the parsed
    body, it takes it as it is. It accepts a parsed body only in its Socket Mode form, which changes
    nothing else here: its own signature check, the one thing the mode decides, is off behind ours.
    """
    bolt_headers: dict[str, str | Sequence[str]] = {
        name: value for name, value in headers.items() if name != TRANSPORT_HEADER
    }
    payload = parsed
    if payload is None:
        socket_mode = headers.get(TRANSPORT_HEADER) == SOCKET_MODE
        payload = json.loads(body) if socket_mode else parse_body(body).payload
    return BoltRequest(mode=SOCKET_MODE, body=payload, query=query or None, headers=bolt_headers or None)


def _response_url(body: str, headers: dict[str, str]) -> str | None:
    if headers.get(TRANSPORT_HEADER) != SOCKET_MODE:
        return response_url(body)
    try:
        payload: Any = json.loads(body)
    except ValueError:
        return None
    url = payload.get("response_url") if isinstance(payload, dict) else None
    return url if isinstance(url, str) and url else None


def _log_a_failed_commit(write: Future[InboxItem | None]) -> None:
    """A read-only command's record was inserted, so it is being answered, but its commit failed: it is
    answered from this process only (the window docs/deployment.md names)."""
    error = write.exception()
    if error is not None:
        logger.warning(
            "a read-only Slack command is answered without its record, whose commit failed: %s",
            first_line(error),
        )


def _tell_database_unreachable(body: str, headers: dict[str, str]) -> None:
    """Tell the user (through the request's `response_url`, when it has one) that nothing was done."""
    if not _tell_user(body, headers, DATABASE_UNREACHABLE):
        logger.error("a Slack request without a response_url was dropped: the database is unreachable")


def _tell_user(body: str, headers: dict[str, str], text: str) -> bool:
    """Post an ephemeral `text` at the request's `response_url`; False when it has none."""
    url = _response_url(body, headers)
    if url is None:
        return False
    try:
        WebhookClient(url, timeout=5).send(text=text, response_type="ephemeral", replace_original=False)
    except OSError as error:
        logger.warning("could not tell the user why a request was not acted on: %s", type(error).__name__)
    return True
