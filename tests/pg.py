"""Pytest plugin: a fresh PostgreSQL database per test.

Enable it with `pytest_plugins = ["tests.pg"]` in tests/conftest.py (or `pytest -p tests.pg`). Tests that
use `postgres_url` are marked `@pytest.mark.postgres`, so `-m "not postgres"` deselects them. The server
is `LIAISON_TEST_POSTGRES_URL` (default `postgresql://postgres@127.0.0.1:5432/test`). If it cannot be
reached the tests are skipped, except on CI (`CI=true`), where that is a failure: CI must run them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from bot.db import make_engine

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE_PREFIX = "liaison_t_"


def server_url() -> str:
    """The PostgreSQL URL whose server the test databases are created on."""
    return os.environ.get("LIAISON_TEST_POSTGRES_URL", DEFAULT_SERVER_URL)


def admin_engine(url: str) -> Engine:
    # CREATE/DROP DATABASE cannot run inside a transaction. The timeout keeps an unreachable host from
    # hanging the run.
    return make_engine(
        url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )


def _unreachable(url: str, error: OperationalError) -> None:
    reason = str(error.orig or error).strip().splitlines()[0]
    shown = make_url(url).render_as_string(hide_password=True)
    message = f"PostgreSQL not reachable at {shown}: {reason}; set LIAISON_TEST_POSTGRES_URL"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL (`postgresql://…/liaison_t_<hex>`) of a new empty database, dropped after the test."""
    url = server_url()
    name = f"{DATABASE_PREFIX}{uuid.uuid4().hex[:16]}"
    admin = admin_engine(url)
    try:
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except OperationalError as error:
            _unreachable(url, error)
        try:
            yield make_url(url).set(database=name).render_as_string(hide_password=False)
        finally:
            # FORCE (PostgreSQL 13+) ends connections the test leaked, e.g. an undisposed engine.
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses `postgres_url` directly as `postgres`, in case its author forgot."""
    for item in items:
        if (
            "postgres_url" in getattr(item, "fixturenames", ())
            and item.get_closest_marker("postgres") is None
        ):
            item.add_marker(pytest.mark.postgres)
