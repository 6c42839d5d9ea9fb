"""The engine's pool hands out the connection used last first (bot/db.py, `make_engine`), and checks a
PostgreSQL connection that sat idle for long before handing it out.

Under light traffic a request then finds a connection whose database side is still warm (a PostgreSQL
backend process, a SQLite connection's page cache) instead of the one idle the longest; the others may
idle long enough for a server or proxy to close them, so a long-idle one is checked and replaced.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

import bot.db
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


def _end_every_other_backend(postgres: Engine) -> int:
    """What a server, proxy or load balancer does to idle connections: end the database's other sessions."""
    with postgres.connect() as admin:
        ended = admin.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    return int(ended)


@pytest.mark.postgres
@pytest.mark.parametrize("checked", [True, False])
def test_a_connection_closed_while_idle_is_replaced_before_a_request_uses_it(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, checked: bool
) -> None:
    # The pool reuses the connection used last, so the others may idle long enough for the server side to
    # close them; one idle past IDLE_CHECK_SECONDS is checked first, and replaced if it is dead.
    monkeypatch.setattr(bot.db, "IDLE_CHECK_SECONDS", 0.0 if checked else 3600.0)
    engine = make_engine(postgres_url)
    admin = make_engine(postgres_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert _end_every_other_backend(admin) >= 1
        if checked:
            with engine.connect() as connection:
                assert connection.execute(text("SELECT 2")).scalar_one() == 2
        else:  # without the check the request meets the dead connection (what the check is for)
            with pytest.raises(OperationalError), engine.connect() as connection:
                connection.execute(text("SELECT 2"))
    finally:
        engine.dispose()
        admin.dispose()
