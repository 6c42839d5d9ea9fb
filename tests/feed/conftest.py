"""Fixtures and helpers of the change feed tests: run the feed tick, read the feed posts Slack accepted."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.clock import FixedClock
from bot.db import make_engine
from bot.feed.dispatch import FeedReport
from bot.services import Services
from bot.slack.feed_blocks import FEED_EVENT_TYPE
from bot.slack.notifier import build_notifier
from jobs.feed import run_feed_tick
from tests.fakes.driver import message_text
from tests.fakes.slack_api import FakeSlackApi
from tests.migrated import migrate_from_template

BANERJEE = "U02ECBANE"  # leads bidshade (channel C1BIDSHADE), owns bidshade-2
OSEI = "U01MLOSEI"  # member of bidshade, owns bidshade-3; Europe/London
MORALES = "U02ECMORA"  # member of bidshade, owns bidshade-4
JANSEN = "U11DEJANS"  # member of bidshade, owns only a done milestone
LINDQVIST = "U03MSLIND"  # on no project
STEIN = "U12ETSTEI"  # leads the private project fairdelivery (channel C1FAIR)
LENA = "U01MLKOV"  # member of fairdelivery
ADMIN = "U0ADMIN"
BIDSHADE_CHANNEL = "C1BIDSHADE"

FeedRunner = Callable[..., FeedReport]


@pytest.fixture(autouse=True)
def _fast_pacing(request: pytest.FixtureRequest) -> None:
    """Posts to one channel are paced at 1/s in production; these tests post several in a row."""
    if "services" in request.fixturenames:
        services: Services = request.getfixturevalue("services")
        fast = dataclasses.replace(services.settings, channel_posts_per_second=50.0)
        services.notifier = build_notifier(fast, timeout=5)


@pytest.fixture
def feed(services: Services, clock: FixedClock) -> FeedRunner:
    """Run one feed tick at the test clock's time (or `now=`), batching as in production."""

    def run(**kwargs: Any) -> FeedReport:
        kwargs.setdefault("now", clock.now())
        return run_feed_tick(services, **kwargs)

    return run


def feed_messages(slack_api: FakeSlackApi, channel: str | None = None) -> list[dict[str, Any]]:
    """Feed posts Slack accepted (a user id as `channel` means the app's DM with them), oldest first."""
    return [
        m
        for m in slack_api.messages(channel)
        if isinstance(m.get("metadata"), dict) and m["metadata"].get("event_type") == FEED_EVENT_TYPE
    ]


def texts(messages: list[dict[str, Any]]) -> list[str]:
    """Each message's notification text and block texts, joined."""
    return [message_text(m) for m in messages]


def feed_keys(message: dict[str, Any]) -> list[str]:
    """The item keys a feed post carries in its metadata."""
    payload = message["metadata"]["event_payload"]
    return list(payload.get("keys") or [payload["key"]])


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """A migrated, empty PostgreSQL database of this test."""
    migrate_from_template(postgres_url)
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()
