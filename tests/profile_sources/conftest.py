"""Fixtures of the profile-sources tests: the fake ORCID/OpenAlex server, settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.cli.console.fake_scholarly import FakeScholarlyApi, demo_researcher, many_works_researcher
from bot.experts.sources import http_client
from bot.settings import Settings
from tests.conftest import SIGNING_SECRET
from tests.fakes.slack_api import FakeSlackApi

CONTACT = "liaison-admin@example.org"


@pytest.fixture
def scholarly() -> Iterator[FakeScholarlyApi]:
    with FakeScholarlyApi([demo_researcher(), many_works_researcher()]) as api:
        yield api


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # Retries wait 0.5 s, 1 s, 2 s in production; tests keep the order, not the wait.
    monkeypatch.setattr(http_client, "_BACKOFF_SECONDS", 0.01)


@pytest.fixture
def settings(slack_api: FakeSlackApi, scholarly: FakeScholarlyApi) -> Settings:
    return Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_api.url,
            "DATABASE_URL": "sqlite://",
            "LIAISON_TIMEZONE": "Europe/Amsterdam",
            "LIAISON_ADMINS": "U0ADMIN",
            "LIAISON_ORCID_API_URL": scholarly.url,
            "LIAISON_OPENALEX_API_URL": scholarly.url,
            "LIAISON_SCHOLARLY_CONTACT": CONTACT,
            "LIAISON_SCHOLARLY_TIMEOUT_SECONDS": "2",
        }
    )
