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
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import SQLAlchemyError

from bot.db import EFFECT_CLAIM, EffectClaim
from bot.serving.ack_priority import AckPriority
from bot.serving.inbox import Inbox, InboxItem, InboxWorker
from bot.serving.logs import REQUEST_ID, first_line
from bot.serving.metrics import Metrics
from bot.serving.slack_body import response_url

logger = logging.getLogger(__name__)

# How long an ack waits for its inbox record: a command's and a click's ack must reach Slack within
# 3 s, and a write that takes longer is settled after the ack; an event is answered 503 instead (Slack
# retries it, and the retry is dropped as a replay if the slow write landed after all).
ACK_WRITE_BUDGET_SECONDS = 1.0
EVENT_WRITE_BUDGET_SECONDS = 2.5
# After the ack, how much longer a slow record is waited for before the user hears that it waits.
SLOW_WRITE_NOTICE_SECONDS = 1.5
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


class Recorded(enum.Enum):
    """How recording a request went, which decides its ack."""

    ACCEPTED = "accepted"  # recorded: it runs
    REPLAY = "replay"  # recorded before: acked and dropped
    UNREACHABLE = "unreachable"  # refused by the database: nothing was done (clicks are told so)
    PENDING = "pending"  # not written yet: settled after the ack (the user is told what happens)


class RecordedRequests:
    """The inbox as both transports use it: record before the ack, run from the record after it.

    Args:
        bolt: The Bolt app, built with `process_before_response` (a dispatch runs the listener to its end).
        inbox: The table.
        listeners: The listener pool.
        ack_priority: Holds listener work back while requests are being acked.
        metrics: Where outcomes are counted.
        queue_limit: Requests this process keeps in memory; more wait in the inbox.
        writers: Inbox writes that may wait on the database at once; past that, requests are refused as
            if the database were unreachable rather than tying up the threads that ack.
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
    ) -> None:
        self.bolt = bolt
        self.inbox = inbox
        self.listeners = listeners
        self.ack_priority = ack_priority
        self.metrics = metrics
        self.worker = InboxWorker(inbox, listeners, self.process, capacity=queue_limit)
        self._writes = ThreadPoolExecutor(max_workers=writers, thread_name_prefix="inbox-write")
        self._write_slots = threading.BoundedSemaphore(writers)

    def start(self) -> None:
        """Start taking requests from the inbox that this process did not ack itself."""
        self.worker.start()

    def stop_taking_work(self) -> None:
        """Take no more requests from the inbox (a graceful stop; those held are handed back later)."""
        self.worker.stop_polling()
        self._writes.shutdown(wait=False)

    def hand_back(self) -> int:
        """Release every request still held, for another instance; the number released."""
        return self.worker.hand_back()

    def record(self, *, kind: str, key: str, body: str, query: str, headers: dict[str, str]) -> Recorded:
        """Record a request before its ack, within the ack's budget; what follows the ack is arranged here.

        Args:
            kind: What the request is (`bot.serving.slack_body.classify_body`'s kinds).
            key: Its replay key (unique per body).
            body: The body Bolt will be given (Socket Mode: the payload as JSON).
            query: The query string.
            headers: The request's headers.
        """
        leased = self.worker.has_room()
        budget = EVENT_WRITE_BUDGET_SECONDS if kind == "event" else ACK_WRITE_BUDGET_SECONDS
        deadline = time.monotonic() + budget
        if not self._write_slots.acquire(timeout=budget):
            # Every writer is stuck on the database: nothing more is sent its way.
            logger.error("cannot record a Slack %s request: every inbox write waits on the database", kind)
            return self._unrecorded(kind, body, headers)
        write = self._writes.submit(
            self.inbox.record, key=key, kind=kind, body=body, query=query, headers=headers, leased=leased
        )
        write.add_done_callback(lambda _done: self._write_slots.release())
        queued_at = self.ack_priority.now()
        try:
            item = write.result(timeout=max(deadline - time.monotonic(), 0.0))
        except FutureTimeout:
            # It may still land. Slack is answered now; the write is settled on the listener pool.
            logger.warning("recording a Slack %s request is slow; answering Slack first", kind)
            self.listeners.submit(self._settle_slow_write, write, kind, body, headers, leased)
            return Recorded.PENDING
        except SQLAlchemyError as error:
            logger.error(
                "cannot record a Slack %s request, the database is unreachable: %s", kind, first_line(error)
            )
            return self._unrecorded(kind, body, headers)
        if item is None:
            self._count(kind, "replay")
            logger.warning("dropped a replayed Slack request (%s)", kind)
            return Recorded.REPLAY
        self._count(kind, "accepted")
        if leased:
            self.worker.submit(replace(item, queued_at=queued_at))
        else:
            self.worker.notify_waiting()
        return Recorded.ACCEPTED

    def _count(self, kind: str, outcome: str) -> None:
        self.metrics.slack_requests.labels(kind, outcome).inc()

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
            answer = self.bolt.dispatch(_bolt_request(item))
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


def _bolt_request(item: InboxItem) -> BoltRequest:
    headers: dict[str, str | Sequence[str]] = {
        name: value for name, value in item.headers.items() if name != TRANSPORT_HEADER
    }
    if item.headers.get(TRANSPORT_HEADER) == SOCKET_MODE:
        return BoltRequest(mode=SOCKET_MODE, body=json.loads(item.body), headers=headers or None)
    return BoltRequest(body=item.body, query=item.query, headers=headers)


def _response_url(body: str, headers: dict[str, str]) -> str | None:
    if headers.get(TRANSPORT_HEADER) != SOCKET_MODE:
        return response_url(body)
    try:
        payload: Any = json.loads(body)
    except ValueError:
        return None
    url = payload.get("response_url") if isinstance(payload, dict) else None
    return url if isinstance(url, str) and url else None


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
