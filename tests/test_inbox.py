"""The durable inbox (bot/serving/inbox.py) and the effect guard (bot/db.py), on SQLite and PostgreSQL.

The crash tests with real processes are in tests/test_inbox_crash.py; here, the rules they rely on:
a body is recorded once, leases are taken, renewed, handed back and taken over, a request's database
effects are written by one attempt only, and a full in-memory queue leaves requests in the table
until there is room.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.console.payloads import SlackPayloads
from bot.clock import FixedClock
from bot.db import EFFECT_CLAIM, EffectAlreadyApplied, EffectClaim, make_engine, make_session_factory
from bot.models import AuditEntry, Blocker, InboxRequest, Workspace
from bot.schema import upgrade_database
from bot.services import Services
from bot.serving.inbox import Inbox, InboxItem, NewRequest
from bot.serving.inbox_sql import HeldConnection
from bot.serving.inbox_worker import InboxWorker
from bot.serving.intake import RecordWriter
from bot.settings import Settings
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.migrated import DATABASE_KINDS, migrated_database
from tests.security.served import ServerPool

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PCM_MEMBER = "U11DEAHME"


@pytest.fixture(params=DATABASE_KINDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database of each supported kind."""
    engine = make_engine(migrated_database(request, tmp_path))
    yield engine
    engine.dispose()


def _inbox(engine: Engine, clock: FixedClock, owner: str) -> Inbox:
    return Inbox(engine, clock, owner=owner, lease_seconds=30)


def _record(inbox: Inbox, key: str, *, leased: bool = True) -> object:
    return inbox.record(
        key=key,
        kind="command",
        body="text=hello",
        query="",
        headers={"x-slack-signature": "v0=x"},
        leased=leased,
    )


def test_a_body_is_recorded_once_and_its_repeat_is_a_replay(database: Engine) -> None:
    inbox = _inbox(database, FixedClock(NOW), "a")

    first = _record(inbox, "k1")
    repeat = _record(inbox, "k1")

    assert first is not None and repeat is None
    assert inbox.waiting() == 1


def test_leases_are_taken_over_when_they_run_out_and_at_once_when_handed_back(database: Engine) -> None:
    clock = FixedClock(NOW)
    a, b = _inbox(database, clock, "a"), _inbox(database, clock, "b")
    held = _record(a, "held")
    _record(a, "waiting", leased=False)

    # B takes the unleased one at once, not A's leased one.
    unleased = b.take(10)
    assert [item.attempt for item in unleased] == ["b#1"]
    assert b.take(10) == []
    b.finish(unleased[0], "done")
    # A dies: after its lease B takes its request over, as attempt 2.
    clock.advance(timedelta(seconds=31))
    taken = b.take(10)
    assert held is not None and [item.id for item in taken] == [held.id]  # type: ignore[attr-defined]
    assert taken[0].attempt == "b#2"
    # B stops gracefully: what it hands back is taken at once by another instance.
    assert b.release([item.id for item in taken]) == 1
    again = _inbox(database, clock, "c").take(10)
    assert [item.attempt for item in again] == ["c#3"]


def test_renewed_leases_are_kept_and_finished_rows_are_pruned_after_an_hour(database: Engine) -> None:
    clock = FixedClock(NOW)
    a, b = _inbox(database, clock, "a"), _inbox(database, clock, "b")
    item = _record(a, "k")
    assert item is not None
    clock.advance(timedelta(seconds=20))
    a.renew([item.id])  # type: ignore[attr-defined]
    clock.advance(timedelta(seconds=20))
    assert b.take(10) == []  # 40 s after the record, 20 s after the renewal

    a.finish(item, "done")  # type: ignore[arg-type]
    assert a.waiting() == 0
    clock.advance(timedelta(minutes=59))
    assert a.prune() == 0
    clock.advance(timedelta(minutes=2))
    assert a.prune() == 1


def _workspace_id(factory: sessionmaker[Session]) -> int:
    with factory.begin() as session:
        workspace = Workspace(name="Inbox test", timezone="UTC", slack_team_id="T0INBOX")
        session.add(workspace)
        session.flush()
        return workspace.id


def _audit(factory: sessionmaker[Session], workspace_id: int, action: str) -> None:
    with factory.begin() as session:
        session.add(
            AuditEntry(
                workspace_id=workspace_id, actor="U1", action=action, entity="test", entity_id=None, at=NOW
            )
        )


def test_a_requests_effects_are_written_by_one_attempt_only(database: Engine) -> None:
    factory = make_session_factory(database)
    workspace_id = _workspace_id(factory)
    inbox = _inbox(database, FixedClock(NOW), "a")
    item = _record(inbox, "effect")
    assert item is not None
    row_id = item.id  # type: ignore[attr-defined]

    token = EFFECT_CLAIM.set(EffectClaim(row_id, "a#1"))
    try:
        _audit(factory, workspace_id, "first write")
        _audit(factory, workspace_id, "second write of the same attempt")
    finally:
        EFFECT_CLAIM.reset(token)
    # A second attempt (the first one's instance died after committing) must not write again.
    token = EFFECT_CLAIM.set(EffectClaim(row_id, "b#2"))
    try:
        with pytest.raises(EffectAlreadyApplied):
            _audit(factory, workspace_id, "written twice")
        with factory() as session:  # reads are free
            assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2
    finally:
        EFFECT_CLAIM.reset(token)

    with factory() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        owner = session.scalar(select(InboxRequest.effect_owner).where(InboxRequest.id == row_id))
    assert actions == ["first write", "second write of the same attempt"]
    assert owner == "a#1"
    # Outside any request, writes are not guarded.
    _audit(factory, workspace_id, "a job's write")


def test_a_full_queue_leaves_requests_in_the_inbox_until_there_is_room(
    demo_db: str, slack_api: FakeSlackApi, payloads: SlackPayloads, settings: Settings, clock: FixedClock
) -> None:
    engine = make_engine(demo_db)
    limited = dataclasses.replace(settings, database_url=demo_db, inbox_queue_limit=2)
    services = Services(settings=limited, session_factory=make_session_factory(engine), clock=clock)
    # Slow answers keep the two requests in memory busy while the others arrive.
    slack_api.delay(RESPONSE_URL_METHOD, 0.1, times=100)
    pool = ServerPool()
    try:
        served = pool.start(services, poll_inbox=True)
        assert served.web.intake is not None
        worker = served.web.intake.worker
        peak = 0
        for n in range(8):
            reply = served.post(
                payloads.slash_command("/blocker", f"add pcm queued blocker {n}", user_id=PCM_MEMBER),
                settle=False,
            )
            assert reply.status == 200 and reply.body == b""
            peak = max(peak, worker.held())
        answered = slack_api.wait_for(RESPONSE_URL_METHOD, count=8, timeout=30)
        with services.session_factory() as session:
            texts = session.scalars(select(Blocker.text).where(Blocker.text.like("queued blocker %"))).all()
    finally:
        pool.stop_all()
        engine.dispose()

    assert answered
    assert sorted(texts) == [f"queued blocker {n}" for n in range(8)]
    assert peak <= 2


def _finished(engine: Engine, row_id: int) -> tuple[str | None, datetime | None]:
    with engine.connect() as connection:
        row = connection.execute(
            select(InboxRequest.outcome, InboxRequest.finished_at).where(InboxRequest.id == row_id)
        ).one()
    return row.outcome, row.finished_at


def test_finish_marks_wait_in_memory_and_are_written_together_off_the_ack_path(database: Engine) -> None:
    inbox = _inbox(database, FixedClock(NOW), "a")
    first, second = _record(inbox, "first"), _record(inbox, "second")
    assert isinstance(first, InboxItem) and isinstance(second, InboxItem)

    inbox.finish_later(first, "done")
    inbox.finish_later(second, "error")
    assert _finished(database, first.id) == (None, None) and inbox.unwritten() == 2
    # A record (an ack) does not write them: acks never wait for other requests' marks.
    assert isinstance(_record(inbox, "third"), InboxItem)
    assert _finished(database, first.id) == (None, None) and inbox.unwritten() == 2
    # `write_finished` (the poller, every `mark_seconds`; a graceful stop) writes them in one go.
    assert inbox.write_finished() == 2 and inbox.write_finished() == 0
    assert _finished(database, first.id)[0] == "done" and _finished(database, second.id)[0] == "error"
    assert inbox.waiting() == 1  # "third"


def test_the_poller_writes_the_finish_marks_within_a_fraction_of_a_second(database: Engine) -> None:
    inbox = _inbox(database, FixedClock(NOW), "a")
    pool = ThreadPoolExecutor(1)
    worker = InboxWorker(inbox, pool, lambda _item: "done", capacity=4, poll_seconds=30)
    item = _record(inbox, "finished")
    assert isinstance(item, InboxItem)
    worker.start()
    try:
        time.sleep(0.1)  # the first full round is over; the next one is 30 s away
        inbox.finish_later(item, "done")
        started = time.monotonic()
        while _finished(database, item.id)[0] is None and time.monotonic() - started < 5:
            time.sleep(0.02)
        took = time.monotonic() - started
    finally:
        worker.stop_polling()
        pool.shutdown()
    assert _finished(database, item.id)[0] == "done"
    assert took < 2 * worker.mark_seconds + 0.5  # written by a mark round, not the next full round


def _mark_written_after(database: Engine, item: InboxItem, *, within: float) -> float | None:
    """Seconds until the request's finish mark is in the table, or None if not within `within`."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if _finished(database, item.id)[0] is not None:
            return time.monotonic() - started
        time.sleep(0.01)
    return None


class _Rounds:
    """Tells when the worker's poller enters a round's wait for a quiet moment (and when it did last)."""

    def __init__(self, worker: InboxWorker) -> None:
        self.entered = threading.Event()
        self.entered_at = 0.0
        wait = worker._wait_for_a_quiet_moment

        def spied() -> None:
            self.entered_at = time.monotonic()
            self.entered.set()
            wait()

        worker._wait_for_a_quiet_moment = spied  # type: ignore[method-assign]

    def next_one(self) -> None:
        """Block until a round starts after this call (so it sees what was set up before it)."""
        self.entered.clear()
        assert self.entered.wait(5), "the poller started no round"


def _quiet_worker(
    inbox: Inbox, pool: ThreadPoolExecutor, *, quiet: float, no_acks: threading.Event | None = None
) -> InboxWorker:
    return InboxWorker(
        inbox,
        pool,
        lambda _item: "done",
        capacity=4,
        poll_seconds=30,
        mark_seconds=0.05,
        wait_for_no_acks=no_acks.wait if no_acks is not None else (lambda _timeout: True),
        quiet_wait_seconds=quiet,
    )


@pytest.mark.parametrize("busy", ["reserved", "held", "acking"])
def test_a_mark_round_waits_for_no_request_to_be_in_flight(database: Engine, busy: str) -> None:
    # A round's statements beside a request in flight add their time to its answer: the round waits
    # for a quiet moment (a request reserved, held, or being acked) and runs as soon as there is one.
    inbox = _inbox(database, FixedClock(NOW), "a")
    no_acks = threading.Event()
    no_acks.set()
    with ThreadPoolExecutor(1) as pool:
        worker = _quiet_worker(inbox, pool, quiet=30, no_acks=no_acks)
        rounds = _Rounds(worker)
        finished = _record(inbox, "finished")
        in_flight = _record(inbox, "in flight")
        assert isinstance(finished, InboxItem) and isinstance(in_flight, InboxItem)
        worker.start()
        try:
            if busy == "reserved":
                assert worker.reserve()
            elif busy == "held":
                assert worker.reserve()
                worker.adopt(in_flight)
            else:
                no_acks.clear()  # an ack in progress
            rounds.next_one()  # waiting now, and no other round runs meanwhile
            inbox.finish_later(finished, "done")
            assert _mark_written_after(database, finished, within=0.3) is None  # held back
            if busy == "reserved":
                worker.unreserve()
            elif busy == "held":
                worker.finished(in_flight, "done")
            else:
                no_acks.set()
            took = _mark_written_after(database, finished, within=5)
        finally:
            worker.stop_polling()
    assert took is not None and took < 1  # at once, not after the 30 s the wait may last


@contextmanager
def _a_round_waiting_for_a_reserved_request(
    database: Engine, *, quiet: float
) -> Iterator[tuple[Inbox, InboxWorker, _Rounds, InboxItem]]:
    """A started worker whose poller waits in a round for a request reserved (and never let go of), and a
    recorded request to mark finished meanwhile; the worker is stopped after the block."""
    inbox = _inbox(database, FixedClock(NOW), "a")
    with ThreadPoolExecutor(1) as pool:
        worker = _quiet_worker(inbox, pool, quiet=quiet)
        rounds = _Rounds(worker)
        item = _record(inbox, "finished")
        assert isinstance(item, InboxItem)
        worker.start()
        try:
            assert worker.reserve()
            rounds.next_one()
            yield inbox, worker, rounds, item
        finally:
            worker.stop_polling()


def test_a_mark_round_waits_for_a_quiet_moment_only_so_long(database: Engine) -> None:
    # In a burst there is no quiet moment: the marks are written when the wait is over all the same.
    with _a_round_waiting_for_a_reserved_request(database, quiet=0.3) as (inbox, _worker, rounds, item):
        inbox.finish_later(item, "done")
        assert _mark_written_after(database, item, within=5) is not None
        written_at = time.monotonic()
    assert written_at >= rounds.entered_at + 0.3  # after the whole wait


def test_a_stop_or_requests_waiting_in_the_table_end_the_wait_for_a_quiet_moment(database: Engine) -> None:
    # Requests left in the table for want of room go before the quiet moment (the marks are written
    # and the poll runs at once), and a stop does not wait for it either.
    with _a_round_waiting_for_a_reserved_request(database, quiet=30) as (inbox, worker, rounds, item):
        inbox.finish_later(item, "done")
        worker.notify_waiting()  # a request was left in the table
        took = _mark_written_after(database, item, within=5)
        rounds.next_one()  # a later round, waiting again for the reserved request
        started = time.monotonic()
        worker.stop_polling()
        stopped = time.monotonic() - started
    assert took is not None and took < 1
    assert stopped < 2  # not the 30 s of the wait


def test_a_request_taken_over_by_another_instance_is_not_marked_finished_by_the_first(
    database: Engine,
) -> None:
    clock = FixedClock(NOW)
    a, b = _inbox(database, clock, "a"), _inbox(database, clock, "b")
    item = _record(a, "slow")
    assert isinstance(item, InboxItem)
    # A's request outlives its lease; B takes it over and runs it.
    clock.advance(timedelta(seconds=31))
    assert [taken.attempt for taken in b.take(10)] == ["b#2"]

    a.finish(item, "done")

    assert _finished(database, item.id) == (None, None)
    assert b.waiting() == 1


def test_many_requests_are_recorded_in_one_statement_and_a_repeated_body_once(database: Engine) -> None:
    inbox = _inbox(database, FixedClock(NOW), "a")
    _record(inbox, "old")

    def new(key: str, leased: bool = True) -> NewRequest:
        return NewRequest(key, "command", f"text={key}", "", {"x-slack-signature": "v0=x"}, leased)

    items = inbox.record_many([new("k1"), new("old"), new("k2", leased=False), new("k1")])

    assert [item is None for item in items] == [False, True, False, True]
    assert [item.body for item in items if item is not None] == ["text=k1", "text=k2"]
    assert inbox.waiting() == 3
    # The unleased one is left for whoever polls; the leased one is this process's.
    assert [taken.body for taken in _inbox(database, FixedClock(NOW), "b").take(10)] == ["text=k2"]


def test_the_record_writer_writes_what_queued_meanwhile_in_one_batch(database: Engine) -> None:
    inbox = _inbox(database, FixedClock(NOW), "a")
    batches: list[int] = []
    writing, gate = threading.Event(), threading.Event()
    record_many = inbox.record_many

    def slow_record_many(requests: Sequence[NewRequest], **options: Any) -> list[InboxItem | None]:
        batches.append(len(requests))
        writing.set()
        gate.wait(5)  # the first batch is being written while the others arrive
        return record_many(requests, **options)

    def new(n: int) -> NewRequest:
        return NewRequest(f"k{n}", "command", "text=x", "", {}, True)

    inbox.record_many = slow_record_many  # type: ignore[method-assign]
    writer = RecordWriter(inbox, threads=1)
    try:
        futures = [writer.submit(new(0))]
        assert writing.wait(5)
        futures += [writer.submit(new(n)) for n in range(1, 5)]
        gate.set()
        items = [future.result(timeout=5) for future in futures]
    finally:
        writer.shutdown()

    assert all(item is not None for item in items)
    assert batches == [1, 4]


def test_the_record_writer_hands_a_database_error_to_every_request_of_the_batch(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")  # no slack_inbox table
    writer = RecordWriter(_inbox(engine, FixedClock(NOW), "a"))
    try:
        futures = [writer.submit(NewRequest(f"k{n}", "command", "text=x", "", {}, True)) for n in range(3)]
        for future in futures:
            with pytest.raises(SQLAlchemyError) as raised:
                future.result(timeout=5)
            # Request bodies are never part of the error (it is logged).
            assert "text=x" not in str(raised.value)
    finally:
        writer.shutdown()
        engine.dispose()
    with pytest.raises(RuntimeError):
        writer.submit(NewRequest("late", "command", "text=x", "", {}, True))


def _keys(engine: Engine) -> list[str]:
    """The replay keys committed, as another connection sees them."""
    with engine.connect() as connection:
        return list(connection.scalars(select(InboxRequest.replay_key).order_by(InboxRequest.id)))


def test_a_writer_is_told_what_its_insert_said_before_the_commit(database: Engine) -> None:
    # A read-only command's answer waits for its insert, not for the commit (on PostgreSQL, the WAL's
    # flush): the writer's connection reads the insert's rows while its transaction is still open.
    inbox = _inbox(database, FixedClock(NOW), "a")
    held = HeldConnection(database)
    seen: list[tuple[list[InboxItem | None], list[str]]] = []

    def inserted(items: list[InboxItem | None]) -> None:
        seen.append((items, _keys(database)))

    def record(*keys: str) -> list[InboxItem | None]:
        requests = [NewRequest(key, "command", f"text={key}", "", {}, True) for key in keys]
        return inbox.record_many(requests, connection=held, on_inserted=inserted)

    try:
        first = record("k1", "k2")
        assert seen[-1] == (first, [])  # told the records while nobody else could see them yet…
        assert _keys(database) == ["k1", "k2"]  # …and committed after
        replay = record("k1", "k3")
        assert replay[0] is None and replay[1] is not None
        assert seen[-1] == (replay, ["k1", "k2"])
        assert _keys(database) == ["k1", "k2", "k3"]
    finally:
        held.close()


def test_an_error_raised_when_told_of_the_insert_commits_nothing(database: Engine) -> None:
    inbox = _inbox(database, FixedClock(NOW), "a")
    held = HeldConnection(database)

    def refuse(_items: list[InboxItem | None]) -> None:
        raise RuntimeError("the commit is not to happen")

    try:
        with pytest.raises(RuntimeError):
            inbox.record_many(
                [NewRequest("k1", "command", "text=x", "", {}, True)], connection=held, on_inserted=refuse
            )
        assert _keys(database) == []
        # The connection is usable, and the key free, for the next write.
        assert inbox.record_many([NewRequest("k1", "command", "text=x", "", {}, True)], connection=held)[0]
        assert _keys(database) == ["k1"]
    finally:
        held.close()


def test_the_record_writer_tells_each_request_of_a_batch_what_its_insert_said(database: Engine) -> None:
    inbox = _inbox(database, FixedClock(NOW), "a")
    told: dict[str, tuple[InboxItem | None, bool, bool]] = {}
    writing, gate = threading.Event(), threading.Event()
    record_many = inbox.record_many

    def gated_record_many(requests: Sequence[NewRequest], **options: Any) -> list[InboxItem | None]:
        writing.set()
        gate.wait(5)  # the first batch is being written while the others queue
        return record_many(requests, **options)

    def new(key: str) -> NewRequest:
        return NewRequest(key, "command", f"text={key}", "", {}, True)

    inbox.record_many = gated_record_many  # type: ignore[method-assign]
    writer = RecordWriter(inbox, threads=1)
    futures = {}
    try:
        futures["first"] = writer.submit(new("first"))
        assert writing.wait(5)
        for key in ("a", "b", "first"):  # "first" again: a replay
            futures[f"{key}-told"] = writer.submit(
                new(key),
                on_inserted=lambda item, committed, key=key: told.__setitem__(
                    key, (item, committed.done(), committed is futures[f"{key}-told"])
                ),
            )
        futures["untold"] = writer.submit(new("untold"))
        gate.set()
        results = {name: future.result(timeout=5) for name, future in futures.items()}
    finally:
        writer.shutdown()

    assert set(told) == {"a", "b", "first"}
    for key, (item, done_when_told, the_writes_future) in told.items():
        assert item == results[f"{key}-told"]
        assert not done_when_told  # told before the write was over…
        assert the_writes_future  # …with the future the commit settles
    assert told["first"][0] is None and told["a"][0] is not None
    assert results["untold"] is not None


@pytest.mark.postgres
def test_a_writers_block_refused_at_its_commit_drops_the_connection_and_the_next_write_works(
    postgres_url: str,
) -> None:
    # A pipelined block (`results_before_commit`) whose commit the server refuses (here a deferred
    # unique constraint; a serialization failure would do the same) leaves psycopg in pipeline mode: the
    # connection is dropped, and the next block gets a new one.
    engine = make_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(
            text("CREATE TABLE deferred_keys (key text, UNIQUE (key) DEFERRABLE INITIALLY DEFERRED)")
        )
    held = HeldConnection(engine)
    try:
        with pytest.raises(SQLAlchemyError) as refused, held.cursor(results_before_commit=True) as cursor:
            cursor.execute("INSERT INTO deferred_keys VALUES ('k'), ('k') RETURNING key")
            assert len(cursor.fetchall()) == 2  # the insert said yes; the commit says no
        assert refused.value.connection_invalidated  # type: ignore[attr-defined]
        with held.cursor(results_before_commit=True) as cursor:
            cursor.execute("INSERT INTO deferred_keys VALUES ('k') RETURNING key")
            assert cursor.fetchall() == [("k",)]
        with engine.connect() as connection:
            assert list(connection.scalars(text("SELECT key FROM deferred_keys"))) == ["k"]
    finally:
        held.close()
        engine.dispose()


@pytest.mark.postgres
def test_a_writer_connection_the_server_closed_is_replaced_for_the_next_write(postgres_url: str) -> None:
    upgrade_database(postgres_url)
    engine = make_engine(postgres_url)
    inbox = _inbox(engine, FixedClock(NOW), "a")
    held = HeldConnection(engine)
    try:

        def record(key: str) -> InboxItem | None:
            return inbox.record_many([NewRequest(key, "command", "text=x", "", {}, True)], connection=held)[0]

        assert record("before") is not None
        with engine.connect() as admin:  # the server ends the writer's session (a restart, a proxy)
            admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        with pytest.raises(SQLAlchemyError):
            record("lost")
        assert record("after") is not None
        assert inbox.waiting() == 2
    finally:
        held.close()
        engine.dispose()


def _sqlite_file_size(engine: Engine) -> int:
    database = engine.url.database
    assert database is not None
    return Path(database).stat().st_size


def _autocheckpoint(engine: Engine) -> int:
    connection = engine.raw_connection()
    try:
        return int(connection.driver_connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    finally:
        connection.close()


def test_sqlite_records_are_checkpointed_by_the_poller_never_inside_an_acks_write(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'inbox.db'}"
    upgrade_database(url)
    engine = make_engine(url, pool_use_lifo=True)  # the next checkout gets the last connection returned
    inbox = _inbox(engine, FixedClock(NOW), "a")
    held = HeldConnection(engine)
    body = "text=" + "x" * 3000  # a few pages each: 600 records are far past SQLite's 1,000-page threshold
    try:
        before = _sqlite_file_size(engine)
        for n in range(600):
            inbox.record_many([NewRequest(f"k{n}", "command", body, "", {}, True)], connection=held)
        # Every page is still in the WAL: no record's commit copied it into the database file.
        assert _sqlite_file_size(engine) == before

        assert inbox.checkpoint() is True
        assert _sqlite_file_size(engine) > before + 600 * 3000
        assert inbox.checkpoint() is False  # nothing written since
        assert _count_rows(engine) == 600
    finally:
        held.close()
    # The writer's connection goes back to the pool checkpointing as every other one does.
    assert _autocheckpoint(engine) == 1000
    engine.dispose()


def test_sqlite_the_pollers_mark_round_checkpoints_what_the_writers_wrote(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'inbox.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    inbox = _inbox(engine, FixedClock(NOW), "a")
    pool = ThreadPoolExecutor(1)
    worker = InboxWorker(inbox, pool, lambda _item: "done", capacity=4, poll_seconds=30)
    writer = RecordWriter(inbox)
    before = _sqlite_file_size(engine)
    try:
        worker.start()
        time.sleep(0.1)  # the first full round is over; from now on only mark rounds
        futures = [
            writer.submit(NewRequest(f"k{n}", "command", "text=" + "y" * 3000, "", {}, False))
            for n in range(50)
        ]
        for future in futures:
            future.result(timeout=5)
        started = time.monotonic()
        while _sqlite_file_size(engine) < before + 50 * 3000 and time.monotonic() - started < 5:
            time.sleep(0.02)
        took = time.monotonic() - started
    finally:
        writer.shutdown()
        worker.stop_polling()
        pool.shutdown()
        engine.dispose()
    assert took < 2 * worker.mark_seconds + 0.5


def _count_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(InboxRequest)).scalar_one())


def test_room_reserved_for_a_request_running_before_its_record_counts_until_given_back(
    database: Engine,
) -> None:
    inbox = _inbox(database, FixedClock(NOW), "a")
    with ThreadPoolExecutor(1) as pool:
        worker = InboxWorker(inbox, pool, lambda _item: "done", capacity=2)

    assert worker.reserve() and worker.reserve()
    assert not worker.has_room() and not worker.reserve() and worker.held() == 2
    _record(inbox, "waiting for room", leased=False)
    assert worker.poll_once() == 0  # reserved room is no room for the poller either
    worker.unreserve()  # a replay: nothing was recorded
    item = _record(inbox, "recorded")
    assert isinstance(item, InboxItem)
    worker.adopt(item)  # recorded while it ran: held like any other request
    assert worker.held() == 1 and worker.has_room()
    worker.finished(item, "done")
    assert worker.held() == 0
    assert inbox.write_finished() == 1 and _finished(database, item.id)[0] == "done"
