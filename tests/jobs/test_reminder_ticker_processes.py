"""Exactly one post per delivery with two and four ticker processes on one PostgreSQL database.

Ten thousand deliveries in twenty rounds for four processes (five thousand in ten for two), each round
released at once and posted through one fake Slack Web API over HTTP; every process must have claimed
some of them. (A file of its own: the longest test of the
suite runs beside the other reminder concurrency tests, not after them.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from bot.clock import SystemClock
from bot.db import make_session_factory
from bot.models import ReminderDelivery
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.reminder_support import (
    keys_of,
    posted_keys,
    release_round,
    seed_due_deliveries,
    wait_until_round_sent,
)
from tests.jobs.ticker_process import SPAWN, start_ticker

PER_ROUND = 500


@pytest.mark.postgres
@pytest.mark.parametrize(("tickers", "rounds_of_deliveries"), [(2, 10), (4, 20)])
def test_concurrent_ticker_processes_post_each_delivery_exactly_once(
    tickers: int, rounds_of_deliveries: int, postgres_url: str, pg_engine: Engine, slack_api: FakeSlackApi
) -> None:
    session_factory = make_session_factory(pg_engine)
    later = SystemClock().now() + timedelta(days=365)
    with session_factory.begin() as session:
        rounds = [
            seed_due_deliveries(session, count=PER_ROUND, channels=100, due=later, round_number=n)
            for n in range(rounds_of_deliveries)
        ]
    stop = SPAWN.Event()
    processes = [start_ticker(postgres_url, slack_api.url, stop) for _ in range(tickers)]
    all_keys: list[str] = []
    try:
        for round_number, keys in enumerate(rounds):
            with session_factory.begin() as session:
                release_round(session, round_number, SystemClock().now() - timedelta(seconds=1))
            wait_until_round_sent(session_factory, round_number, len(keys), timeout=60)
            all_keys += keys
    finally:
        stop.set()
        for process in processes:
            process.join(timeout=20)

    assert all(p.exitcode == 0 for p in processes)
    counts = posted_keys(slack_api)
    assert len(all_keys) == rounds_of_deliveries * PER_ROUND
    assert {k: counts[k] for k in all_keys} == dict.fromkeys(all_keys, 1)
    with session_factory() as session:
        rows = session.execute(
            select(
                ReminderDelivery.claimed_by,
                ReminderDelivery.ambiguous_attempts,
                ReminderDelivery.key,
                ReminderDelivery.slack_channel,
                ReminderDelivery.slack_ts,
            )
        ).all()
    assert {row.ambiguous_attempts for row in rows} == {0}
    # Every row records the message that carries its key (one person's deliveries due together share
    # one DM: bot.reminders.combining).
    carried = {(m["channel"], m["ts"]): keys_of(m) for m in slack_api.messages()}
    assert all(row.key in carried[(row.slack_channel, row.slack_ts)] for row in rows)
    # The work really was shared: every process claimed some of it.
    assert len({row.claimed_by.split(":")[1] for row in rows}) == tickers
