"""Fixtures of the workspace file tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.db import Base, make_engine, make_session_factory


@pytest.fixture
def other_session_factory() -> Iterator[sessionmaker[Session]]:
    """A second, empty in-memory database for round trips."""
    engine: Engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()
