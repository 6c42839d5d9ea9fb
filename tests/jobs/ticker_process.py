"""A reminder ticker in its own process, as a second bot process would run it (for multiprocessing).

`run_ticker` builds its own engine, notifier and services from plain arguments (spawned processes
share nothing with the test) and ticks on the real clock until told to stop.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from typing import Any

from bot.clock import SystemClock
from bot.db import make_engine, make_session_factory
from bot.services import Services
from bot.settings import Settings
from bot.slack.notifier import build_notifier
from jobs.reminders import run_reminder_tick

# A fork server, not a plain spawn: each ticker still starts from a fresh process that shares nothing
# with the test (no inherited engine, socket or thread), but it is forked from a server that imported
# Liaison once, instead of importing it again (about a second of CPU per process).
SPAWN = multiprocessing.get_context("forkserver")
SPAWN.set_forkserver_preload(["tests.conftest", "jobs.reminders", __name__])


def ticker_settings(database_url: str, api_url: str, **overrides: Any) -> Settings:
    """Settings for a test ticker: fast pacing and small batches, so tickers really interleave.

    The fake Slack carries posts out within a fraction of a second here, so a taken-over delivery need
    not wait a production landing window (a minute) before it is proven absent and posted.
    """
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-ticker",
        "slack_api_url": api_url,
        "database_url": database_url,
        "reminder_batch_size": 100,
        "reminder_lease_seconds": 5,
        "reminder_landing_seconds": 2.0,
        "reminder_workers": 8,
        "channel_posts_per_second": 100.0,
    }
    values.update(overrides)
    return Settings(**values)


def run_ticker(database_url: str, api_url: str, stop: Any, overrides: dict[str, Any] | None = None) -> None:
    """Tick until `stop` (a multiprocessing Event) is set; idle ticks pause briefly."""
    logging.basicConfig(level=logging.WARNING)
    settings = ticker_settings(database_url, api_url, **(overrides or {}))
    engine = make_engine(database_url, pool_size=4)
    services = Services(
        settings=settings,
        session_factory=make_session_factory(engine),
        clock=SystemClock(),
        notifier=build_notifier(settings, timeout=5),
    )
    try:
        while not stop.is_set():
            if run_reminder_tick(services).claimed == 0:
                time.sleep(0.02)
    finally:
        engine.dispose()


def start_ticker(database_url: str, api_url: str, stop: Any, **overrides: Any) -> Any:
    """Start `run_ticker` in a spawned process (it shares nothing with the test)."""
    process = SPAWN.Process(target=run_ticker, args=(database_url, api_url, stop, overrides), daemon=True)
    process.start()
    return process
