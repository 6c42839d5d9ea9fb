"""Fixtures of the calendar tests: the demo alliance served over real HTTP (`bot.serving.web`)."""

from __future__ import annotations

import pytest

from bot.cli.console.payloads import SlackPayloads
from bot.services import Services
from tests.calendar.support import Feeds
from tests.fakes.slack_api import FakeSlackApi
from tests.security.served import Served, ServerPool


@pytest.fixture
def served(pool: ServerPool, services: Services, demo: None) -> Served:
    return pool.start(services)


@pytest.fixture
def feeds(served: Served, payloads: SlackPayloads, slack_api: FakeSlackApi) -> Feeds:
    return Feeds(served, payloads, slack_api)
