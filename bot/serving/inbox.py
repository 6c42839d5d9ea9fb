"""The durable inbox: a Slack request acked before its listener runs is recorded, and runs at least once.

A slash command, click, shortcut or event is answered with an empty 200 before its listener runs
(`bot.serving.web`). Without a record, a process killed after the ack loses what it acked. So the ack
waits for one insert into `slack_inbox` (`models.InboxRequest`), and the request is then processed
from that row by whichever instance holds its lease:

- the instance that acked it takes it at once, leased to itself, onto its listener pool, unless its
  in-memory queue is full (`InboxWorker.capacity`): then the row waits unleased in the table;
- every instance polls the table (`InboxWorker`) for rows nobody holds: unleased ones, and ones whose
  lease ran out because their instance died (kill -9, a lost machine) or hung;
- a graceful stop hands back what it has not finished (leases released), so another instance takes it
  at once rather than after the lease.

At least once means twice after a crash at the wrong moment. A request's database effects are
written once all the same: while it is processed, `bot.db.EFFECT_CLAIM` names the row and the attempt,
and the first transaction that writes anything marks the row with the attempt in the same transaction
(`bot.db.EffectClaim`); a later attempt that finds the mark of another skips the request. What Slack
was told (an answer at `response_url`, a published App Home) may be repeated: docs/deployment.md,
"What survives a crash".

The same row's unique `replay_key` (the body's hash, `bot.serving.checks.replay_key`) is the replay
check of these requests: a body delivered twice (a replay within the signature's five minutes, or
Slack's retry of an event) is acked and dropped.

Everything here uses Core statements on the engine, never an ORM session, so that the effect guard
does not mistake the inbox's own bookkeeping for a request's effects.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import Clock
from bot.models import InboxRequest
from bot.serving.logs import first_line

logger = logging.getLogger(__name__)

# Headers Bolt reads (content type, Slack's retry headers), the request id for the log lines, and
# Liaison's own (`x-liaison-transport`: how the request came).
_KEPT_HEADERS = ("content-type", "x-request-id")
_T = cast(Table, InboxRequest.__table__)


@dataclass(frozen=True)
class InboxItem:
    """One recorded request, leased to this process for one attempt.

    Attributes:
        id: The `slack_inbox` row.
        kind: What the request is (`bot.serving.slack_body.classify_body`).
        body: The verified body.
        query: The request's query string.
        headers: The headers Bolt needs.
        received_at: When it was recorded (its ack).
        attempt: This attempt's identity: the lease owner and the attempt number.
        effect_owner: The attempt that already committed the request's effects, if one did.
        queued_at: When this process's ack queued it (`AckPriority`'s clock); None when polled.
    """

    id: int
    kind: str
    body: str
    query: str
    headers: dict[str, str]
    received_at: datetime
    attempt: str
    effect_owner: str | None = None
    queued_at: float | None = None


def process_identity() -> str:
    """A lease owner name unique to this process: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def kept_headers(headers: dict[str, str]) -> dict[str, str]:
    """The headers worth keeping with a request: content type, request id, Slack's and Liaison's own."""
    return {
        name: value
        for name, value in headers.items()
        if name in _KEPT_HEADERS or name.startswith(("x-slack-", "x-liaison-"))
    }


class Inbox:
    """The `slack_inbox` table, as the serving processes use it.

    Args:
        engine: The database.
        clock: The current instant.
        owner: This process's lease owner name (`process_identity`).
        lease_seconds: How long a lease lasts without renewal; an instance that died holds its
            requests this long.
        keep_finished: How long finished rows stay (they are the replay check of their bodies, which
            Slack's signature window makes replayable for five minutes).
    """

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        owner: str,
        lease_seconds: float,
        keep_finished: timedelta = timedelta(hours=1),
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.owner = owner
        self.lease = timedelta(seconds=lease_seconds)
        self.keep_finished = keep_finished
        # Built once: statement building costs more CPU than the insert itself (bench/command_cpu.py).
        self._record = _insert_ignoring_duplicates(engine).returning(_T.c.id)
        self._finish = (
            update(_T)
            .where(_T.c.id == bindparam("row_id"), _T.c.finished_at.is_(None))
            .values(finished_at=bindparam("done_at"), outcome=bindparam("how"), lease_until=None)
        )

    def record(
        self, *, key: str, kind: str, body: str, query: str, headers: dict[str, str], leased: bool
    ) -> InboxItem | None:
        """Record a request before its ack.

        Args:
            key: The body's replay key.
            kind: What the request is.
            body: The verified body.
            query: The query string.
            headers: The request's headers (only `kept_headers` are stored).
            leased: Lease it to this process (it goes onto this process's queue); False leaves it for
                whichever instance polls first.

        Returns:
            The recorded request, or None when the body was recorded before (a replay).

        Raises:
            sqlalchemy.exc.SQLAlchemyError: The database is out of reach.
        """
        now = self.clock.now()
        stored_headers = kept_headers(headers)
        values: dict[str, Any] = {
            "replay_key": key,
            "kind": kind,
            "body": body,
            "query": query,
            "headers": json.dumps(stored_headers),
            "received_at": now,
            "attempts": 1 if leased else 0,
            "lease_owner": self.owner if leased else None,
            "lease_until": now + self.lease if leased else None,
        }
        with self.engine.begin() as connection:
            row_id = connection.execute(self._record, values).scalar()
        if row_id is None:
            return None
        return InboxItem(
            id=row_id,
            kind=kind,
            body=body,
            query=query,
            headers=stored_headers,
            received_at=now,
            attempt=f"{self.owner}#1",
        )

    def take(self, limit: int) -> list[InboxItem]:
        """Lease up to `limit` requests nobody holds (unleased, or their lease ran out), oldest first."""
        if limit <= 0:
            return []
        now = self.clock.now()
        available = and_(_T.c.finished_at.is_(None), or_(_T.c.lease_until.is_(None), _T.c.lease_until < now))
        # SKIP LOCKED: two instances polling at once take different rows instead of waiting on each
        # other (and on a row whose request is writing its effect mark). SQLite has one writer anyway.
        candidates = (
            select(_T.c.id).where(available).order_by(_T.c.id).limit(limit).with_for_update(skip_locked=True)
        )
        statement = (
            update(_T)
            .where(_T.c.id.in_(candidates.scalar_subquery()), available)
            .values(lease_owner=self.owner, lease_until=now + self.lease, attempts=_T.c.attempts + 1)
            .returning(
                _T.c.id,
                _T.c.kind,
                _T.c.body,
                _T.c.query,
                _T.c.headers,
                _T.c.received_at,
                _T.c.attempts,
                _T.c.effect_owner,
            )
        )
        with self.engine.begin() as connection:
            rows = connection.execute(statement).all()
        items = [
            InboxItem(
                id=row.id,
                kind=row.kind,
                body=row.body,
                query=row.query,
                headers=json.loads(row.headers or "{}"),
                received_at=_aware(row.received_at),
                attempt=f"{self.owner}#{row.attempts}",
                effect_owner=row.effect_owner,
            )
            for row in rows
        ]
        return sorted(items, key=lambda item: item.id)

    def renew(self, ids: Iterable[int]) -> None:
        """Extend this process's leases on `ids` (requests still being processed)."""
        wanted = list(ids)
        if not wanted:
            return
        with self.engine.begin() as connection:
            connection.execute(
                update(_T)
                .where(_T.c.id.in_(wanted), _T.c.lease_owner == self.owner, _T.c.finished_at.is_(None))
                .values(lease_until=self.clock.now() + self.lease)
            )

    def finish(self, item: InboxItem, outcome: str) -> None:
        """Mark a request processed (`outcome`: "done", "already applied", "expired", "error")."""
        with self.engine.begin() as connection:
            connection.execute(self._finish, {"row_id": item.id, "done_at": self.clock.now(), "how": outcome})

    def release(self, ids: Iterable[int]) -> int:
        """Hand requests back unfinished (a graceful stop): any instance may take them at once."""
        wanted = list(ids)
        if not wanted:
            return 0
        with self.engine.begin() as connection:
            result = connection.execute(
                update(_T)
                .where(_T.c.id.in_(wanted), _T.c.lease_owner == self.owner, _T.c.finished_at.is_(None))
                .values(lease_owner=None, lease_until=None)
            )
        return int(result.rowcount or 0)

    def prune(self) -> int:
        """Delete rows finished longer than `keep_finished` ago; the number deleted."""
        cutoff = self.clock.now() - self.keep_finished
        with self.engine.begin() as connection:
            result = connection.execute(delete(_T).where(_T.c.finished_at < cutoff))
        return int(result.rowcount or 0)

    def waiting(self) -> int:
        """How many recorded requests are not finished (for metrics and tests)."""
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).where(_T.c.finished_at.is_(None))) or 0)


def _insert_ignoring_duplicates(engine: Engine) -> Any:
    """`INSERT … ON CONFLICT DO NOTHING` for the engine's dialect (both supported back ends have it)."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(_T).on_conflict_do_nothing(index_elements=[_T.c.replay_key])
    if engine.dialect.name == "sqlite":
        return sqlite.insert(_T).on_conflict_do_nothing(index_elements=[_T.c.replay_key])
    return insert(_T)  # pragma: no cover - other back ends are not supported


def _aware(value: datetime) -> datetime:
    # Core statements on a UTCDateTime column already return aware instants; this keeps it explicit.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class InboxWorker:
    """Runs inbox requests on the listener pool, at most `capacity` in memory, and polls for the rest.

    Args:
        inbox: The table.
        executor: The listener pool.
        process: Runs one request to its end and says how it ended (the outcome `Inbox.finish` records).
        capacity: Requests queued or running in this process at most; more wait in the table.
        poll_seconds: How often to look for requests nobody holds.
        expire_after: Requests older than this are not run any more (a command's `response_url`
            lasts 30 minutes; an event this old is news nobody waits for).
    """

    def __init__(
        self,
        inbox: Inbox,
        executor: Executor,
        process: Callable[[InboxItem], str],
        *,
        capacity: int,
        poll_seconds: float = 1.0,
        expire_after: timedelta = timedelta(minutes=25),
    ) -> None:
        self.inbox = inbox
        self.executor = executor
        self.process = process
        self.capacity = capacity
        self.poll_seconds = poll_seconds
        self.expire_after = expire_after
        self._lock = threading.Lock()
        self._held: dict[int, InboxItem] = {}
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
            return len(self._held) < self.capacity

    def held(self) -> int:
        """Requests queued or running in this process."""
        with self._lock:
            return len(self._held)

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
        if self._thread is not None:
            self._thread.join(timeout=5)

    def hand_back(self) -> int:
        """Release the leases of every request still held (call after the pool stopped running them)."""
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
            try:
                self.inbox.finish(item, outcome)
            except SQLAlchemyError as error:
                # The lease runs out and the request runs again; its effects are guarded.
                logger.warning("could not mark an inbox request finished: %s", first_line(error))
            with self._lock:
                self._held.pop(item.id, None)
            if self._backlog.is_set():
                self._wake.set()

    def poll_once(self) -> int:
        """Renew leases due for renewal, prune now and then, and take what there is room for."""
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
            room = self.capacity - len(self._held)
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
        while not self._stop.is_set():
            try:
                taken = self.poll_once()
            except SQLAlchemyError as error:
                logger.warning("the inbox could not be polled: %s", first_line(error))
                taken = 0
            if taken and self.has_room():
                continue  # there may be more waiting
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
