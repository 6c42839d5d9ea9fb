"""The inbox statements every request costs, in the driver's own SQL, run on a pooled connection.

Each acked request costs the inbox (`bot.serving.inbox`) one record before its ack and one finish
mark after its listener. Through SQLAlchemy's Core, building, compiling and executing those two small
statements cost more CPU than the database work itself (bench/command_cpu.py), so they are written
here once per dialect and executed with the driver's cursor on a connection of the engine's pool
(which keeps the engine's connect and statement timeouts). Everything else of the inbox (polling,
leases, pruning) uses Core statements.

Driver errors are raised as SQLAlchemy's (`DBAPIError` subclasses) with their parameters hidden (they
hold request bodies), and a connection the error broke is invalidated, as SQLAlchemy itself would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from functools import cache
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from bot.db import shares_one_connection

# The columns a record writes (the others start NULL), in the order of its VALUES.
RECORD_COLUMNS = (
    "replay_key",
    "kind",
    "body",
    "query",
    "headers",
    "received_at",
    "attempts",
    "lease_owner",
    "lease_until",
)


# SQLite's default `wal_autocheckpoint`, which connections other than the inbox writers' keep.
SQLITE_AUTOCHECKPOINT_PAGES = 1000

# Mark finished requests given as arrays of ids and outcomes (PostgreSQL: one statement for any number).
_FINISH_MANY = (
    "UPDATE slack_inbox SET finished_at = %(done_at)s, outcome = done.how, lease_until = NULL "
    "FROM unnest(%(done_ids)s::bigint[], %(done_how)s::text[]) AS done(id, how) "
    "WHERE slack_inbox.id = done.id AND slack_inbox.lease_owner = %(owner)s "
    "AND slack_inbox.finished_at IS NULL"
)


class InboxSql:
    """The statements for one database, with named parameters in its driver's style.

    Attributes:
        postgres: PostgreSQL (psycopg); else SQLite (the standard library's driver).
        finish_one: Mark one request finished (executed for many at once), if this process still holds
            its lease: a request another instance took over is not marked by this one.
        finish_many: PostgreSQL: the same for the arrays `done_ids` and `done_how` in one statement.

    Args:
        engine: The database (PostgreSQL or SQLite).
    """

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in ("postgresql", "sqlite"):
            raise ValueError(f"the inbox needs PostgreSQL or SQLite, not {engine.dialect.name}")
        self.postgres = engine.dialect.name == "postgresql"
        self.finish_one = (
            f"UPDATE slack_inbox SET finished_at = {_param(self.postgres, 'done_at')}, "
            f"outcome = {_param(self.postgres, 'how')}, lease_until = NULL "
            f"WHERE id = {_param(self.postgres, 'id')} AND lease_owner = {_param(self.postgres, 'owner')} "
            "AND finished_at IS NULL"
        )
        self.finish_many = _FINISH_MANY if self.postgres else None

    def record(self, count: int) -> str:
        """Insert `count` requests (parameters `<column>_<n>`, n from 0) unless their replay key is
        recorded (`ON CONFLICT DO NOTHING`, which both back ends have), returning `id, replay_key` of
        those inserted."""
        return _record_statement(self.postgres, count)


def _param(postgres: bool, name: str) -> str:
    return f"%({name})s" if postgres else f":{name}"


@cache
def _record_statement(postgres: bool, count: int) -> str:
    columns = ", ".join('"query"' if c == "query" else c for c in RECORD_COLUMNS)  # a keyword in SQLite
    rows = ", ".join(
        "(" + ", ".join(_param(postgres, f"{c}_{n}") for c in RECORD_COLUMNS) + ")" for n in range(count)
    )
    return (
        f"INSERT INTO slack_inbox ({columns}) VALUES {rows} "
        "ON CONFLICT (replay_key) DO NOTHING RETURNING id, replay_key"
    )


@contextmanager
def driver_cursor(engine: Engine, *, autocommit: bool) -> Iterator[Any]:
    """A driver cursor on a connection of the engine's pool, committed when the block ends.

    Args:
        engine: The database.
        autocommit: The block runs one statement, which PostgreSQL then runs without BEGIN and COMMIT
            (two round trips fewer). SQLite's driver begins a transaction before the first write either
            way, so a block of several statements is one transaction there.

    Raises:
        sqlalchemy.exc.DBAPIError: The driver failed (nothing of the block was committed).
    """
    dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
    try:
        connection = engine.raw_connection()
    except dbapi_error as error:
        raise _wrapped(engine, error, invalidated=False) from error
    cursor = None
    try:
        driver: Any = connection.driver_connection
        switch = autocommit and engine.dialect.name == "postgresql" and driver is not None
        if switch:
            driver.autocommit = True
        try:
            cursor = connection.cursor()
            yield cursor
            if not switch:
                connection.commit()
        finally:
            if switch:
                with suppress(dbapi_error):
                    driver.autocommit = False
    except dbapi_error as error:
        invalidated = engine.dialect.is_disconnect(cast(Any, error), connection.dbapi_connection, cursor)
        if invalidated:
            connection.invalidate(error)
        raise _wrapped(engine, error, invalidated=invalidated) from error
    finally:
        if cursor is not None:
            with suppress(dbapi_error):
                cursor.close()
        connection.close()  # back to the pool, rolled back if anything was left open


def _wrapped(engine: Engine, error: Exception, *, invalidated: bool) -> BaseException:
    return DBAPIError.instance(
        None,
        None,
        error,
        engine.dialect.loaded_dbapi.Error,
        hide_parameters=True,
        connection_invalidated=invalidated,
        dialect=engine.dialect,
    )


class HeldConnection:
    """A connection of the engine's pool that one writer thread keeps between its writes.

    Checking a connection out of SQLAlchemy's pool and back in (with its reset) costs about as much CPU
    as the insert it would carry, and the writer threads (`bot.serving.intake.RecordWriter`) write for
    every ack. On PostgreSQL the connection stays in autocommit: every write of theirs is one statement.
    A driver error that broke the connection drops it (the next write checks out a new one), as the
    pool would; after any other failure it is rolled back and kept.

    Attributes:
        defers_checkpoints: SQLite: the connection does not checkpoint the WAL itself (`Inbox.checkpoint`
            does, off the ack path).

    Args:
        engine: The database.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        # Whether this connection leaves SQLite's checkpoints to `Inbox.checkpoint`: a database file, not
        # an in-memory one, whose one connection every thread shares and which has no WAL anyway (a
        # statement here could run while another thread's).
        self.defers_checkpoints = not self._postgres and not shares_one_connection(engine)
        self._autocheckpoint_pages = SQLITE_AUTOCHECKPOINT_PAGES  # what the connection had, restored on close
        self._dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._connection: Any = None

    @contextmanager
    def cursor(self, *, results_before_commit: bool = False) -> Iterator[Any]:
        """A cursor whose block is committed when it ends (one transaction on SQLite).

        Args:
            results_before_commit: A statement's results are read before it is committed, so that the
                block may act on them while the commit (on PostgreSQL, the WAL's flush to disk: the
                slowest part of a small write, and the most variable) is still to come. SQLite commits
                when the block ends anyway; on PostgreSQL the block is a pipeline (`_pipelined`), which
                costs the driver about 0.06 ms of CPU more.

        Raises:
            sqlalchemy.exc.DBAPIError: The driver failed (nothing of the block was committed).
        """
        connection = self._connection
        if connection is None:
            try:
                connection = self.engine.raw_connection()
            except self._dbapi_error as error:
                raise _wrapped(self.engine, error, invalidated=False) from error
            driver: Any = connection.driver_connection
            try:
                if self._postgres:
                    driver.autocommit = True
                elif self.defers_checkpoints:
                    # What to restore on close (SQLite's default if it was already off: a leftover).
                    current = int(driver.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
                    self._autocheckpoint_pages = current or SQLITE_AUTOCHECKPOINT_PAGES
                    # A commit that finds the WAL past SQLite's threshold (1,000 pages, a few hundred
                    # records) copies it into the database file before returning: 2-4 ms, paid by
                    # whichever ack waited on that record. The inbox poller checkpoints instead
                    # (`Inbox.checkpoint`), off the ack path.
                    driver.execute("PRAGMA wal_autocheckpoint=0")
            except self._dbapi_error as error:
                self._discard(connection, error)
                raise _wrapped(self.engine, error, invalidated=True) from error
            self._connection = connection
        cursor = None
        pipelined = results_before_commit and self._postgres
        try:
            cursor = connection.cursor()
            with _pipelined(connection, cursor, self._dbapi_error) if pipelined else nullcontext():
                yield cursor
            if not self._postgres:
                connection.commit()
        except self._dbapi_error as error:
            # A pipeline that failed as it ended (a commit refused, say) may leave the driver in pipeline
            # mode, unusable: it is dropped, as a broken connection is.
            invalidated = pipelined or self.engine.dialect.is_disconnect(
                cast(Any, error), connection.dbapi_connection, cursor
            )
            if invalidated:
                self._discard(connection, error)
            else:
                self._roll_back(connection)
            raise _wrapped(self.engine, error, invalidated=invalidated) from error
        except BaseException:
            self._roll_back(connection)
            raise
        finally:
            if cursor is not None:
                with suppress(self._dbapi_error):
                    cursor.close()

    def close(self) -> None:
        """Give the connection back to the pool (out of autocommit; on SQLite, checkpointing again)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            with suppress(self._dbapi_error):
                driver: Any = connection.driver_connection  # None once the pool invalidated it
                if driver is not None and self._postgres:
                    driver.autocommit = False
                elif driver is not None and self.defers_checkpoints:
                    driver.execute(f"PRAGMA wal_autocheckpoint={self._autocheckpoint_pages}")
        finally:
            with suppress(self._dbapi_error):
                connection.close()

    def _roll_back(self, connection: Any) -> None:
        try:
            connection.rollback()
        except self._dbapi_error as error:
            self._discard(connection, error)

    def _discard(self, connection: Any, error: BaseException) -> None:
        self._connection = None
        with suppress(self._dbapi_error):
            connection.invalidate(error)


@contextmanager
def _pipelined(connection: Any, cursor: Any, driver_error: type[Exception]) -> Iterator[None]:
    """PostgreSQL, in autocommit: the block's statements as one pipeline, which the server runs as one
    implicit transaction committed at the pipeline's sync, when the block ends (`HeldConnection.cursor`).

    A block that fails is rolled back instead: leaving the pipeline syncs it, which would commit what
    the block wrote. In the implicit transaction, ROLLBACK marks it aborted (with a warning that no
    transaction is in progress). A driver's error (`driver_error`) needs none: a statement the server
    failed aborted the transaction, and one the driver refused was never sent.
    """
    if not _pipelines_supported():
        yield
        return
    block_ended = False
    try:
        with connection.driver_connection.pipeline():
            try:
                yield
            except driver_error:
                raise
            except BaseException:
                with suppress(driver_error):
                    cursor.execute("ROLLBACK")
                raise
            block_ended = True
    except driver_error:
        raise
    except Exception as error:
        if not block_ended:
            raise
        # psycopg itself may fail to leave a pipeline whose sync the server refused (seen: IndexError
        # from its result queue): a driver error, so that the connection is dropped.
        raise driver_error(f"the pipeline could not end: {error!r}") from error


@cache
def _pipelines_supported() -> bool:
    """Whether psycopg runs pipelines (over libpq 14 or later)."""
    import psycopg  # here, not at the top: an installation on SQLite never imports the driver

    return bool(psycopg.Pipeline.is_supported())
