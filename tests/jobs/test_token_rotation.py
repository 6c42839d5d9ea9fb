"""Token rotation in jobs: an expiring token is refreshed before use, once across processes."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.db import Base, make_engine, make_session_factory
from bot.models import DeliveryStatus, Workspace, slack_bots, slack_installations
from bot.settings import Settings
from jobs.reminders import send_due_reminders
from tests.concurrency import release_together
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.reminder_support import deliveries, utc
from tests.oauth_support import CLIENT_ID, CLIENT_SECRET, TEAM_A, OAuthWorld, build_world, oauth_settings

BIDSHADE_2_DUE_REMINDER = utc(2026, 11, 20, 8, 0)
TEAM = FakeSlackApi.team_id
# Expiring within the two-hour window, so the first use refreshes; tokens issued later live 12 hours.
SOON = 3600
DAY = 12 * 3600


def _later_tokens_live_long(slack_api: FakeSlackApi) -> None:
    slack_api.installs.register_app(CLIENT_ID, CLIENT_SECRET, token_expires_in=DAY)


def _refreshes(slack_api: FakeSlackApi) -> int:
    return len(
        [c for c in slack_api.calls("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"]
    )


@pytest.fixture
def world(
    slack_api: FakeSlackApi, session_factory: sessionmaker[Session], clock: FixedClock, demo: None
) -> OAuthWorld:
    """The demo workspace bound to its team and installed with a token that expires within the hour."""
    with session_factory.begin() as session:
        session.execute(update(Workspace).values(slack_team_id=TEAM))
    installed = build_world(
        oauth_settings(slack_api), session_factory, slack_api, clock, token_expires_in=SOON
    )
    installed.install_directly(TEAM)
    _later_tokens_live_long(slack_api)
    slack_api.reset()
    return installed


def test_job_rotates_an_expiring_token_and_sends_with_the_new_one(
    world: OAuthWorld, slack_api: FakeSlackApi, engine: Engine
) -> None:
    (old,) = slack_api.installs.issued_tokens(TEAM)

    assert send_due_reminders(world.services, now=BIDSHADE_2_DUE_REMINDER) == 1

    assert _refreshes(slack_api) == 1
    old, new = slack_api.installs.issued_tokens(TEAM)
    assert {c.authorization for c in slack_api.calls("chat.postMessage")} == {f"Bearer {new.token}"}
    # The fake refuses the old token from now on; the stored installation holds the new one.
    with pytest.raises(SlackApiError) as refused:
        WebClient(token=old.token, base_url=slack_api.url).auth_test()
    assert refused.value.response["error"] == "invalid_auth"
    with engine.connect() as connection:
        stored = connection.execute(
            select(slack_installations.c.bot_token, slack_installations.c.bot_refresh_token)
        ).one()
        bot = connection.execute(select(slack_bots.c.bot_token)).scalar_one()
    assert tuple(stored) == (new.token, new.refresh_token)
    assert bot == new.token


def test_fresh_token_is_not_refreshed_again(world: OAuthWorld, slack_api: FakeSlackApi) -> None:
    world.tokens.bot_token_for_team(TEAM)
    world.tokens.forget(TEAM)

    world.tokens.bot_token_for_team(TEAM)

    assert _refreshes(slack_api) == 1


def test_refused_refresh_is_retried_later_not_cancelled(
    world: OAuthWorld, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    slack_api.fail("oauth.v2.access", "invalid_refresh_token")

    assert send_due_reminders(world.services, now=BIDSHADE_2_DUE_REMINDER) == 0

    (row,) = deliveries(session_factory, status=DeliveryStatus.PLANNED, attempts=1)
    assert row.last_error is not None and "token refresh failed: invalid_refresh_token" in row.last_error
    assert slack_api.calls("chat.postMessage") == []


# -- several processes at once -----------------------------------------------------------------


def _race(worlds: list[OAuthWorld], per_world: int) -> list[str | None]:
    """Every world's threads ask for the team's token at the same moment; the tokens they got."""
    tokens, errors = release_together(
        [functools.partial(w.tokens.bot_token_for_team, TEAM_A) for w in worlds for _ in range(per_world)],
        timeout=30,
    )
    assert not errors, errors
    return tokens


def _processes(
    settings: Settings, slack_api: FakeSlackApi, clock: FixedClock, url: str, count: int
) -> Iterator[tuple[OAuthWorld, Engine]]:
    # Separate engines and InstallationTokens: no lock or cache in common, as separate processes.
    for _ in range(count):
        engine = make_engine(url)
        yield (
            build_world(settings, make_session_factory(engine), slack_api, clock, token_expires_in=SOON),
            engine,
        )


@pytest.mark.postgres
def test_processes_rotating_at_once_on_postgresql_refresh_once(
    postgres_url: str, slack_api: FakeSlackApi, clock: FixedClock
) -> None:
    settings = oauth_settings(slack_api, database_url=postgres_url)
    schema = make_engine(postgres_url)
    Base.metadata.create_all(schema)
    schema.dispose()
    pairs = list(_processes(settings, slack_api, clock, postgres_url, 2))
    worlds = [world for world, _engine in pairs]
    try:
        worlds[0].install_directly(TEAM_A)
        _later_tokens_live_long(slack_api)
        # A slow answer: every other thread reaches the row lock while the first one waits on Slack.
        slack_api.delay("oauth.v2.access", 0.5)

        tokens = _race(worlds, per_world=3)
    finally:
        for _world, engine in pairs:
            engine.dispose()

    assert _refreshes(slack_api) == 1
    _first, current = slack_api.installs.issued_tokens(TEAM_A)
    assert tokens == [current.token] * 6
    assert current.error is None


def test_refresh_refused_because_another_process_used_it_recovers(
    tmp_path: Path, slack_api: FakeSlackApi, clock: FixedClock
) -> None:
    # SQLite has no row locks: two processes on one file can both try; the one Slack refuses finds
    # the other's result in the database.
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    schema = make_engine(url)
    Base.metadata.create_all(schema)
    schema.dispose()
    pairs = list(_processes(oauth_settings(slack_api, database_url=url), slack_api, clock, url, 2))
    slow, fast = (world for world, _engine in pairs)
    try:
        slow.install_directly(TEAM_A)
        _later_tokens_live_long(slack_api)
        slack_api.delay("oauth.v2.access", 0.6)  # only the first refresh (the slow process's)
        results: dict[str, str | None] = {}
        first = threading.Thread(target=lambda: results.update(slow=slow.tokens.bot_token_for_team(TEAM_A)))
        first.start()
        time.sleep(0.2)
        results["fast"] = fast.tokens.bot_token_for_team(TEAM_A)
        first.join(timeout=10)
    finally:
        for _world, engine in pairs:
            engine.dispose()

    assert _refreshes(slack_api) == 2
    _first, current = slack_api.installs.issued_tokens(TEAM_A)
    assert results == {"slow": current.token, "fast": current.token}
    assert current.error is None
