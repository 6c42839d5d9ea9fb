"""Fixtures of the reminder job tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.db import make_engine
from tests.migrated import migrate_from_template


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """A migrated, empty PostgreSQL database of this test."""
    migrate_from_template(postgres_url)
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()
