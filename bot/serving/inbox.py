"""The durable inbox: a Slack request acked before its listener runs is recorded, and runs at least once.

A slash command, click, shortcut or event is answered with an empty 200 before its listener runs
(`bot.serving.web`). Without a record, a process killed after the ack loses what it acked. So the ack
waits for one insert into `slack_inbox` (`models.InboxRequest`), and the request is then processed
from that row by whichever instance holds its lease:

- the instance that acked it takes it at once, leased to itself, onto its listener pool, unless its
  in-memory queue is full (`InboxWorker.capacity`): then the row waits unleased in the table;
- every instance polls the table (`bot.serving.inbox_worker.InboxWorker`) for rows nobody holds:
  unleased ones, and ones whose lease ran out because their instance died (kill -9, a lost machine)
  or hung;
- a graceful stop hands back what it has not finished (leases released), so another instance takes it
  at once rather than after the lease.

At least once means twice after a crash at the wrong moment. A request's database effects are
written once all the same: while it is processed, `bot.db.EFFECT_CLAIM` names the row and the attempt,
and the first transaction that writes anything marks the row with the attempt in the same transaction
(`bot.db.EffectClaim`); a later attempt that finds the mark of another skips the request. What Slack
was told (an answer at `response_url`, a published App Home) may be repeated: docs/deployment.md,
"What survives a fault".

The same row's unique `replay_key` (the body's hash, `bot.serving.checks.replay_key`) is the replay
check of these requests: a body delivered twice (a replay within the signature's five minutes, or
Slack's retry of an event) is acked and dropped.

A processed request is marked finished without a transaction of its own: the mark waits in memory
(`Inbox.finish_later`) and the poller thread writes the marks waiting every `mark_seconds` (0.2 s;
one statement for all of them, in a moment when no request is in flight here, 0.1 s later at most:
`InboxWorker._wait_for_a_quiet_moment`), and before a graceful stop hands anything back. A commit per request
would be the dearest step of a cheap one (round trips on PostgreSQL, a WAL write on SQLite:
bench/command_cpu.py), and the ack path does none: the marks used to ride along with the next
request's record, which made every ack wait for the previous request's update (docs/benchmarks.md,
issue 16's fourth pass). A process killed before the mark was written leaves the request to be run
again after its lease, as for any request it had not finished: its database effects are guarded
(above), and only what Slack was told may be repeated (docs/deployment.md, "What survives a fault").

On SQLite the same round checkpoints the WAL (`Inbox.checkpoint`): the writers' connections never do
it themselves, since SQLite's own checkpoint runs inside the commit that finds the WAL past its
threshold (every few hundred records), 2-4 ms added to that request's ack and answer.

Nothing here uses an ORM session, so that the effect guard does not mistake the inbox's own
bookkeeping for a request's effects. The statements every request costs (its record, with the finish
marks waiting) are the driver's own SQL (`bot.serving.inbox_sql`); the rest (polling, leases,
pruning) uses Core statements.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, and_, delete, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import Clock
from bot.models import InboxRequest
from bot.serving.inbox_sql import HeldConnection, InboxSql, driver_cursor

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
        parsed: The body as the ack parsed it (`bot.serving.slack_body.ParsedBody.payload`), so that
            it is not parsed again for Bolt; None when polled (it is parsed from `body` then).
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
    parsed: dict[str, Any] | None = field(default=None, compare=False, repr=False)


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


@dataclass(frozen=True)
class NewRequest:
    """A request to record (`Inbox.record_many`).

    Attributes:
        key: The body's replay key.
        kind: What the request is.
        body: The verified body.
        query: The query string.
        headers: The request's headers (only `kept_headers` are stored).
        leased: Lease it to this process (it goes onto this process's queue); False leaves it for
            whichever instance polls first.
    """

    key: str
    kind: str
    body: str
    query: str
    headers: dict[str, str]
    leased: bool


# A finish mark not written yet: the row, its outcome, when it finished, and when (monotonic).
_Mark = tuple[int, str, datetime, float]


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
        self._sql = InboxSql(engine)
        # Instants as the column type binds them (naive UTC; a string in SQLite's format).
        self._db_time = cast(Callable[[datetime], Any], _T.c.received_at.type.bind_processor(engine.dialect))
        self._unwritten: list[_Mark] = []
        self._unwritten_lock = threading.Lock()
        # SQLite: records written since the last checkpoint on connections that leave it to `checkpoint`.
        self._uncheckpointed = False

    def record(
        self, *, key: str, kind: str, body: str, query: str, headers: dict[str, str], leased: bool
    ) -> InboxItem | None:
        """Record one request before its ack (`record_many` of one).

        Returns:
            The recorded request, or None when the body was recorded before (a replay).

        Raises:
            sqlalchemy.exc.SQLAlchemyError: The database is out of reach (nothing was written).
        """
        return self.record_many([NewRequest(key, kind, body, query, headers, leased)])[0]

    def record_many(
        self,
        requests: Sequence[NewRequest],
        *,
        connection: HeldConnection | None = None,
        on_inserted: Callable[[list[InboxItem | None]], None] | None = None,
    ) -> list[InboxItem | None]:
        """Record requests before their acks, in one statement.

        Args:
            requests: What to record (at least one).
            connection: The caller's own connection (a writer thread's); else one from the pool.
            on_inserted: Told what the insert said (each request's record, or None for a replay) once it
                has said it: before the commit on a writer's connection (`HeldConnection.cursor`'s
                `results_before_commit`), possibly after it otherwise. It must not block (the commit
                waits for it); an error it raises fails the write (nothing is committed).

        Returns:
            Each request's record, in order; None for a body recorded before (a replay, or the same
            body twice in `requests`: the first one is recorded).

        Raises:
            sqlalchemy.exc.SQLAlchemyError: The database is out of reach (nothing was written).
        """
        now = self.clock.now()
        received_at = self._db_time(now)
        lease_until = self._db_time(now + self.lease)
        stored = [kept_headers(request.headers) for request in requests]
        values: dict[str, Any] = {}
        for n, (request, headers) in enumerate(zip(requests, stored, strict=True)):
            values[f"replay_key_{n}"] = request.key
            values[f"kind_{n}"] = request.kind
            values[f"body_{n}"] = request.body
            values[f"query_{n}"] = request.query
            values[f"headers_{n}"] = json.dumps(headers)
            values[f"received_at_{n}"] = received_at
            values[f"attempts_{n}"] = 1 if request.leased else 0
            values[f"lease_owner_{n}"] = self.owner if request.leased else None
            values[f"lease_until_{n}"] = lease_until if request.leased else None
        with (
            connection.cursor(results_before_commit=on_inserted is not None)
            if connection
            else driver_cursor(self.engine, autocommit=True)
        ) as cursor:
            cursor.execute(self._sql.record(len(requests)), values)
            ids = {key: row_id for row_id, key in cursor.fetchall()}
            items: list[InboxItem | None] = []
            for request, headers in zip(requests, stored, strict=True):
                row_id = ids.pop(request.key, None)
                items.append(
                    None
                    if row_id is None
                    else InboxItem(
                        id=row_id,
                        kind=request.kind,
                        body=request.body,
                        query=request.query,
                        headers=headers,
                        received_at=now,
                        attempt=f"{self.owner}#1",
                    )
                )
            if on_inserted is not None:
                on_inserted(items)
        if connection is not None and connection.defers_checkpoints:
            self._uncheckpointed = True
        return items

    def finish(self, item: InboxItem, outcome: str) -> None:
        """Mark a request processed now, in a transaction of its own (with the marks waiting).

        Args:
            item: The request, leased to this process.
            outcome: "done", "already applied", "expired" or "error".
        """
        self._write_marks([*self._take_unwritten(), (item.id, outcome, self.clock.now(), time.monotonic())])

    def finish_later(self, item: InboxItem, outcome: str) -> None:
        """Mark a request processed with the next `write_finished` (see the module's docstring)."""
        with self._unwritten_lock:
            self._unwritten.append((item.id, outcome, self.clock.now(), time.monotonic()))

    def write_finished(self) -> int:
        """Write the finish marks still waiting; how many were written (0 when none waited).

        Raises:
            sqlalchemy.exc.SQLAlchemyError: The database is out of reach (the marks wait for the next try).
        """
        marks = self._take_unwritten()
        if marks:
            self._write_marks(marks)
        return len(marks)

    def checkpoint(self) -> bool:
        """SQLite: copy the WAL written since the last call into the database file, if records were written.

        The writers' connections do not checkpoint (`bot.serving.inbox_sql.HeldConnection`): SQLite's own
        checkpoint would run inside whichever record's commit found the WAL past its threshold, adding
        milliseconds to that ack. A passive checkpoint waits for nobody: it copies what no reader still
        needs, and readers and writers carry on meanwhile. PostgreSQL checkpoints on its own.

        Returns:
            Whether a checkpoint ran.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: The database is out of reach (the next call tries again).
        """
        if not self._uncheckpointed:
            return False
        self._uncheckpointed = False  # before, so that a record written meanwhile asks for the next one
        try:
            with driver_cursor(self.engine, autocommit=False) as cursor:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except SQLAlchemyError:
            self._uncheckpointed = True
            raise
        return True

    def unwritten(self) -> int:
        """How many finish marks wait to be written."""
        with self._unwritten_lock:
            return len(self._unwritten)

    def _take_unwritten(self) -> list[_Mark]:
        with self._unwritten_lock:
            marks, self._unwritten = self._unwritten, []
        return marks

    def _keep_unwritten(self, marks: list[_Mark]) -> None:
        """Put marks whose write failed back, for the next try; those older than a lease are dropped:
        their requests' leases have run out, so they may run again anyway (their effects are guarded)."""
        if not marks:
            return
        oldest_kept = time.monotonic() - self.lease.total_seconds()
        kept = [mark for mark in marks if mark[3] >= oldest_kept]
        if len(kept) < len(marks):
            logger.warning(
                "%d inbox requests could not be marked finished and may run again", len(marks) - len(kept)
            )
        with self._unwritten_lock:
            self._unwritten[:0] = kept

    def _write_marks(self, marks: list[_Mark]) -> None:
        try:
            with driver_cursor(self.engine, autocommit=True) as cursor:
                if self._sql.finish_many is not None:
                    cursor.execute(self._sql.finish_many, self._finish_params(marks))
                else:
                    cursor.executemany(self._sql.finish_one, self._finish_rows(marks))
        except SQLAlchemyError:
            self._keep_unwritten(marks)
            raise

    def _finish_rows(self, marks: Sequence[_Mark]) -> list[dict[str, Any]]:
        return [
            {"id": row_id, "how": outcome, "done_at": self._db_time(at), "owner": self.owner}
            for row_id, outcome, at, _ in marks
        ]

    def _finish_params(self, marks: Sequence[_Mark]) -> dict[str, Any]:
        return {
            "done_ids": [row_id for row_id, _, _, _ in marks],
            "done_how": [outcome for _, outcome, _, _ in marks],
            "done_at": self._db_time(marks[-1][2]),
            "owner": self.owner,
        }

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


def _aware(value: datetime) -> datetime:
    # Core statements on a UTCDateTime column already return aware instants; this keeps it explicit.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
