"""Conversation memory on both back ends (migrated schema): upserts, expiry, concurrent writers."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from bot.conversations.memory import (
    TURN_LIFETIME,
    ConversationKey,
    Record,
    Turn,
    load_assistant_thread,
    load_turn,
    mark_assistant_thread_titled,
    remember_assistant_thread,
    save_turn,
)
from bot.conversations.tables import ConversationTurn
from bot.db import make_engine, make_session_factory
from bot.schema import upgrade_database

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
TURN = Turn(
    intent="when_milestone",
    milestones=("pcm-2",),
    records=(Record("milestone", "pcm-2", "pcm"), Record("project", "pcm", "pcm")),
    choices=("when is pcm-2 due",),
)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'liaison.db'}"
    upgrade_database(url)
    engine = make_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO workspace (id, name, timezone) VALUES (1, 'Alliance', 'UTC')"))
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(migrated: Engine) -> sessionmaker[Session]:
    return make_session_factory(migrated)


def _key(user: str = "U1", thread: str = "") -> ConversationKey:
    return ConversationKey(1, "D1", thread, user)


def test_a_turn_round_trips_and_is_replaced(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        save_turn(session, _key(), TURN, NOW)
    with sessions() as session:
        assert load_turn(session, _key(), NOW) == TURN
        assert load_turn(session, _key(user="U2"), NOW) is None
        assert load_turn(session, _key(thread="1.2"), NOW) is None

    later = Turn(intent="lead", projects=("uplift",))
    with sessions.begin() as session:
        save_turn(session, _key(), later, NOW + timedelta(minutes=1))
    with sessions() as session:
        assert load_turn(session, _key(), NOW + timedelta(minutes=1)) == later
        assert session.scalar(select(func.count()).select_from(ConversationTurn)) == 1


def test_a_turn_expires_after_a_day(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        save_turn(session, _key(), TURN, NOW)

    with sessions() as session:
        assert load_turn(session, _key(), NOW + TURN_LIFETIME - timedelta(seconds=1)) == TURN
        assert load_turn(session, _key(), NOW + TURN_LIFETIME) is None


def test_concurrent_saves_of_one_conversation_leave_one_row(sessions: sessionmaker[Session]) -> None:
    def save(n: int) -> None:
        with sessions.begin() as session:
            save_turn(session, _key(), Turn(intent="lead", projects=(f"p{n}",)), NOW)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(save, range(12)))

    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ConversationTurn)) == 1
        turn = load_turn(session, _key(), NOW)
    assert turn is not None and turn.projects[0].startswith("p")


def test_assistant_thread_context_and_title_mark(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        remember_assistant_thread(session, 1, "D1", "1.1", user_id="U1", context_channel_id="C1", now=NOW)
    with sessions.begin() as session:
        remember_assistant_thread(session, 1, "D1", "1.1", user_id="U1", context_channel_id="C2", now=NOW)
    with sessions.begin() as session:
        assert mark_assistant_thread_titled(session, 1, "D1", "1.1", NOW)
    with sessions.begin() as session:
        assert not mark_assistant_thread_titled(session, 1, "D1", "1.1", NOW)
        state = load_assistant_thread(session, 1, "D1", "1.1")
    assert state is not None and (state.user_id, state.context_channel_id, state.titled) == ("U1", "C2", True)
