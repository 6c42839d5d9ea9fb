"""The engine's pool hands out the connection used last first (bot/db.py, `make_engine`).

Under light traffic a request then finds a connection whose database side is still warm (a PostgreSQL
backend process, a SQLite connection's page cache) instead of the one idle the longest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.db import make_engine
from tests.migrated import DATABASE_KINDS, migrated_database


@pytest.fixture(params=DATABASE_KINDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(migrated_database(request, tmp_path))
    yield engine
    engine.dispose()


def test_the_connection_used_last_is_handed_out_first(engine: Engine) -> None:
    older, newer = engine.connect(), engine.connect()
    older_driver, newer_driver = older.connection.dbapi_connection, newer.connection.dbapi_connection
    assert older_driver is not newer_driver
    older.close()
    newer.close()  # back in the pool last
    with engine.connect() as again:
        assert again.connection.dbapi_connection is newer_driver
    with engine.connect() as first, engine.connect() as second:
        assert {first.connection.dbapi_connection, second.connection.dbapi_connection} == {
            older_driver,
            newer_driver,
        }
