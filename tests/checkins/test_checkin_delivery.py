"""Exactly once when Slack does not answer: a question whose post may have landed is looked for by its key
before any resend; the summary likewise."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.tables import CheckinAsk
from bot.models import DeliveryStatus, Person
from bot.services import Services
from bot.slack.notifier import build_notifier
from tests.checkins.conftest import SEOUL, Tick, asked, utc
from tests.fakes.slack_api import FakeSlackApi

pytestmark = pytest.mark.usefixtures("alliance")

SEOUL_TEN = utc(2026, 10, 26, 1, 0)  # only Seoul is due


@pytest.fixture
def impatient(services: Services) -> None:
    """A notifier that gives up after one second (the fake is told to answer later)."""
    fast = dataclasses.replace(services.settings, channel_posts_per_second=50.0)
    services.notifier = build_notifier(fast, timeout=1)


def _status(session_factory: sessionmaker[Session]) -> tuple[str, bool]:
    """Seoul's question: its status, and whether an attempt may have been posted."""
    with session_factory() as session:
        ask = session.scalars(
            select(CheckinAsk).join(Person, Person.id == CheckinAsk.person_id).where(Person.slack_id == SEOUL)
        ).one()
        return ask.status, ask.uncertain


@pytest.mark.usefixtures("impatient")
def test_a_question_that_landed_after_a_timeout_is_found_not_resent(
    tick: Tick, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    slack_api.delay("chat.postMessage", 1.5)  # Slack posts it, but after the client gave up

    first = tick(SEOUL_TEN)
    assert (first.asked, first.retried) == (0, 1)
    assert _status(session_factory) == (DeliveryStatus.PLANNED, True)
    slack_api.wait_for("chat.postMessage", 1)

    tick(SEOUL_TEN + timedelta(seconds=61))  # after the landing window: looked for, found
    tick(SEOUL_TEN + timedelta(minutes=5))

    assert asked(slack_api) == [SEOUL]
    assert _status(session_factory)[0] == DeliveryStatus.SENT


@pytest.mark.usefixtures("impatient")
def test_a_question_lost_on_the_way_is_posted_once_the_lookup_proves_it_absent(
    tick: Tick, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    slack_api.drop("chat.postMessage")  # the connection closes unanswered; nothing was posted

    tick(SEOUL_TEN)
    tick(SEOUL_TEN + timedelta(seconds=30))  # within the landing window: not posted again yet
    assert asked(slack_api) == []
    tick(SEOUL_TEN + timedelta(seconds=61))

    assert asked(slack_api) == [SEOUL]


def test_slack_refusing_a_question_for_good_fails_it_without_retrying(
    tick: Tick, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    slack_api.fail("chat.postMessage", "user_not_found")

    tick(SEOUL_TEN)
    tick(SEOUL_TEN + timedelta(minutes=10))

    assert asked(slack_api) == []
    assert _status(session_factory)[0] == DeliveryStatus.FAILED
