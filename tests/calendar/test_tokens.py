"""Feed tokens (bot/calendar/tokens.py): derived, stored hashed, shown again, reset, rotated."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.calendar.tables import CalendarFeed
from bot.calendar.tokens import TOKEN_RE, ensure_feed, find_feed, reset_feed
from bot.errors import InvalidInput
from bot.models import Person
from bot.settings import Settings
from tests.conftest import DEMO_NOW


@pytest.fixture
def person_id(session_factory: sessionmaker[Session], demo: None) -> int:
    with session_factory() as session:
        return session.scalars(select(Person.id).where(Person.slack_id == "U01MLOSEI")).one()


def _ensure(session: Session, settings: Settings, person_id: int) -> str:
    return ensure_feed(
        session, settings, workspace_id=1, person_id=person_id, project_id=None, now=DEMO_NOW
    ).token


def test_token_is_stored_only_as_its_hash_and_shown_again(
    session_factory: sessionmaker[Session], settings: Settings, person_id: int
) -> None:
    with session_factory.begin() as session:
        token = _ensure(session, settings, person_id)
    with session_factory.begin() as session:
        again = _ensure(session, settings, person_id)
        feeds = session.scalars(select(CalendarFeed)).all()

    assert TOKEN_RE.fullmatch(token) and again == token
    assert len(feeds) == 1
    assert feeds[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {feeds[0].salt, feeds[0].token_hash, feeds[0].scope}


def test_reset_and_a_new_secret_retire_the_old_token(
    session_factory: sessionmaker[Session], settings: Settings, person_id: int
) -> None:
    with session_factory.begin() as session:
        first = _ensure(session, settings, person_id)
        second = reset_feed(
            session, settings, workspace_id=1, person_id=person_id, project_id=None, now=DEMO_NOW
        ).token
    rotated = dataclasses.replace(settings, calendar_secret="a-new-calendar-secret")
    with session_factory.begin() as session:
        assert find_feed(session, first) is None
        assert find_feed(session, second) is not None
        third = _ensure(session, rotated, person_id)
    with session_factory() as session:
        assert find_feed(session, second) is None
        assert find_feed(session, third) is not None
    assert len({first, second, third}) == 3


def test_no_secret_means_no_feeds_and_a_clear_message(
    session_factory: sessionmaker[Session], settings: Settings, person_id: int
) -> None:
    bare = dataclasses.replace(settings, slack_signing_secret="", calendar_secret=None)
    with session_factory() as session, pytest.raises(InvalidInput, match="LIAISON_CALENDAR_SECRET"):
        _ensure(session, bare, person_id)


@pytest.mark.parametrize("token", ["", "x" * 43 + "\n", "../" * 15, "A" * 44, "é" * 43])
def test_malformed_tokens_open_nothing(session_factory: sessionmaker[Session], token: str) -> None:
    with session_factory() as session:
        assert find_feed(session, token) is None
