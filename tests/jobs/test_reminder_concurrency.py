"""Exactly one post per delivery with several ticker processes on PostgreSQL, a ticker killed mid-run,
and two tickers on one SQLite file; all against one fake Slack Web API over HTTP."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import SystemClock
from bot.db import make_engine, make_session_factory
from bot.models import DeliveryStatus, ReminderDelivery
from bot.reminders.claims import claim_due
from bot.schema import upgrade_database
from bot.services import Services
from bot.slack.notifier import build_notifier
from jobs.reminders import run_reminder_tick
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.reminder_support import posted_keys, release, seed_due_deliveries
from tests.jobs.ticker_process import run_ticker, ticker_settings

SPAWN = multiprocessing.get_context("spawn")
ROUNDS = 20
PER_ROUND = 500


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    upgrade_database(postgres_url)
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


def _count(session_factory: sessionmaker[Session], keys: list[str], status: DeliveryStatus) -> int:
    with session_factory() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(ReminderDelivery)
                .where(ReminderDelivery.key.in_(keys), ReminderDelivery.status == status)
            )
            or 0
        )


def _wait_until_sent(session_factory: sessionmaker[Session], keys: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _count(session_factory, keys, DeliveryStatus.SENT) < len(keys):
        assert time.monotonic() < deadline, f"only {_count(session_factory, keys, DeliveryStatus.SENT)} sent"
        time.sleep(0.05)


def _start(database_url: str, api_url: str, stop: Any, **overrides: Any) -> Any:
    process = SPAWN.Process(target=run_ticker, args=(database_url, api_url, stop, overrides), daemon=True)
    process.start()
    return process


@pytest.mark.postgres
@pytest.mark.parametrize("tickers", [2, 4])
def test_concurrent_ticker_processes_post_each_delivery_exactly_once(
    tickers: int, postgres_url: str, pg_engine: Engine, slack_api: FakeSlackApi
) -> None:
    session_factory = make_session_factory(pg_engine)
    later = SystemClock().now() + timedelta(days=365)
    with session_factory.begin() as session:
        rounds = [
            seed_due_deliveries(session, count=PER_ROUND, channels=100, due=later, round_number=n)
            for n in range(ROUNDS)
        ]
    stop = SPAWN.Event()
    processes = [_start(postgres_url, slack_api.url, stop) for _ in range(tickers)]
    all_keys: list[str] = []
    try:
        for keys in rounds:
            with session_factory.begin() as session:
                release(session, keys, SystemClock().now() - timedelta(seconds=1))
            _wait_until_sent(session_factory, keys, timeout=60)
            all_keys += keys
    finally:
        stop.set()
        for process in processes:
            process.join(timeout=20)

    assert all(p.exitcode == 0 for p in processes)
    counts = posted_keys(slack_api)
    assert len(all_keys) == ROUNDS * PER_ROUND
    assert {k: counts[k] for k in all_keys} == dict.fromkeys(all_keys, 1)
    with session_factory() as session:
        rows = session.execute(
            select(
                ReminderDelivery.claimed_by, ReminderDelivery.ambiguous_attempts, ReminderDelivery.slack_ts
            )
        ).all()
    assert {ambiguous for _, ambiguous, _ in rows} == {0}
    assert len({ts for _, _, ts in rows}) == len(rows)  # every row records its own message
    # The work really was shared: every process claimed some of it.
    assert len({claimed_by.split(":")[1] for claimed_by, _, _ in rows}) == tickers


@pytest.mark.postgres
def test_ticker_killed_mid_run_and_restarted_posts_everything_once(
    postgres_url: str, pg_engine: Engine, slack_api: FakeSlackApi
) -> None:
    session_factory = make_session_factory(pg_engine)
    # Slow answers keep many posts in flight, so the kill lands between Slack accepting a post and
    # the ticker recording it.
    slack_api.delay("chat.postMessage", 0.03, times=100_000)
    with session_factory.begin() as session:
        keys = seed_due_deliveries(
            session, count=600, channels=200, due=SystemClock().now() - timedelta(seconds=1)
        )
    stop = SPAWN.Event()
    victim = _start(postgres_url, slack_api.url, stop, reminder_lease_seconds=2, reminder_batch_size=200)
    deadline = time.monotonic() + 60
    while len(slack_api.messages()) < 150:
        assert time.monotonic() < deadline and victim.is_alive()
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    victim.join(timeout=10)
    assert victim.exitcode == -signal.SIGKILL
    time.sleep(0.2)  # posts that were in flight at the kill finish on Slack's side
    accepted_before_restart = len(slack_api.messages())
    with session_factory() as session:
        in_limbo = session.scalar(
            select(func.count())
            .select_from(ReminderDelivery)
            .where(ReminderDelivery.status == DeliveryStatus.CLAIMED)
        )
    assert in_limbo, "the kill should have left claimed rows behind"

    successor = _start(postgres_url, slack_api.url, stop, reminder_lease_seconds=2, reminder_batch_size=200)
    try:
        _wait_until_sent(session_factory, keys, timeout=90)
    finally:
        stop.set()
        successor.join(timeout=20)

    counts = posted_keys(slack_api)
    assert {k: counts[k] for k in keys} == dict.fromkeys(keys, 1)
    with session_factory() as session:
        taken_over = session.scalar(
            select(func.count()).select_from(ReminderDelivery).where(ReminderDelivery.uncertain.is_(True))
        )
    # Rows whose claim died with the victim were looked up in Slack before anything was posted again.
    assert taken_over and slack_api.calls("conversations.history")
    assert accepted_before_restart < len(keys)


@pytest.mark.postgres
def test_postgres_claims_are_disjoint_under_concurrency(pg_engine: Engine) -> None:
    session_factory = make_session_factory(pg_engine)
    now = SystemClock().now()
    with session_factory.begin() as session:
        seed_due_deliveries(session, count=400, channels=20, due=now - timedelta(seconds=1))
    claimed: list[list[int]] = []
    barrier = threading.Barrier(4)

    def claim() -> None:
        barrier.wait()
        while True:
            with session_factory.begin() as session:
                batch = claim_due(
                    session,
                    now,
                    limit=25,
                    lease=timedelta(minutes=5),
                    claimer=threading.current_thread().name,
                    grace=timedelta(hours=24),
                )
            if not batch:
                return
            claimed.append([c.id for c in batch])

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ids = [i for batch in claimed for i in batch]
    assert len(ids) == len(set(ids)) == 400


def test_two_tickers_on_one_sqlite_file_post_each_delivery_once(
    tmp_path: Path, slack_api: FakeSlackApi
) -> None:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    session_factory = make_session_factory(engine)
    with session_factory.begin() as session:
        keys = seed_due_deliveries(
            session, count=300, channels=30, due=SystemClock().now() - timedelta(seconds=1)
        )
    settings = ticker_settings(url, slack_api.url)

    def tick() -> None:
        services = Services(
            settings=settings,
            session_factory=session_factory,
            clock=SystemClock(),
            notifier=build_notifier(settings, timeout=5),
        )
        while _count(session_factory, keys, DeliveryStatus.SENT) < len(keys):
            run_reminder_tick(services)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    engine.dispose()

    counts = posted_keys(slack_api)
    assert {k: counts[k] for k in keys} == dict.fromkeys(keys, 1)
