"""Exactly one post per delivery when a ticker is killed mid-run, with disjoint claims on PostgreSQL, and
with two tickers on one SQLite file; all against one fake Slack Web API over HTTP. (Two and four ticker
processes on PostgreSQL: test_reminder_ticker_processes.py.)"""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bot.clock import SystemClock
from bot.db import make_engine, make_session_factory
from bot.models import DeliveryStatus, ReminderDelivery
from bot.reminders.claims import claim_due
from bot.services import Services
from bot.slack.notifier import build_notifier
from jobs.reminders import run_reminder_tick
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.reminder_support import count_with_status, posted_keys, seed_due_deliveries, wait_until_sent
from tests.jobs.ticker_process import SPAWN, start_ticker, ticker_settings
from tests.migrated import migrate_from_template


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
    victim = start_ticker(
        postgres_url, slack_api.url, stop, reminder_lease_seconds=2, reminder_batch_size=200
    )
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

    successor = start_ticker(
        postgres_url, slack_api.url, stop, reminder_lease_seconds=2, reminder_batch_size=200
    )
    try:
        wait_until_sent(session_factory, keys, timeout=90)
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
    migrate_from_template(url)
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
        while count_with_status(session_factory, keys, DeliveryStatus.SENT) < len(keys):
            run_reminder_tick(services)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    engine.dispose()

    counts = posted_keys(slack_api)
    assert {k: counts[k] for k in keys} == dict.fromkeys(keys, 1)
