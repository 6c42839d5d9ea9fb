"""Engine, sessions and the declarative base.

Nothing here runs at import time: the CLI and tests call `make_engine` and `make_session_factory`.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DateTime,
    Engine,
    MetaData,
    Table,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, SessionTransaction, sessionmaker
from sqlalchemy.pool import StaticPool

# How long opening a PostgreSQL connection may take (libpq `connect_timeout`, seconds; its least):
# short enough that a user whose command cannot reach the database is told so within Slack's 3 s.
CONNECT_TIMEOUT_SECONDS = 2

# Stable constraint names so Alembic migrations (and batch mode on SQLite) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every Liaison table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored as naive UTC and always returned timezone-aware.

    SQLite has no time zone type, so storing naive UTC everywhere keeps both back ends identical;
    refusing naive input catches wall-clock times that were never converted.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for SQLite or PostgreSQL.

    Args:
        url: SQLAlchemy URL; `sqlite://` (in memory) gets a `StaticPool` so every thread shares it.
        **kwargs: Passed to `create_engine`.

    Returns:
        The engine. SQLite connections enforce foreign keys and wait on a locked file instead of
        failing, because Bolt runs listeners on worker threads next to the scheduler thread.
    """
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs.setdefault("poolclass", StaticPool)
        else:
            Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgresql+psycopg://") and not _connect_timeout_given(url, kwargs):
        # libpq waits forever for a server that accepts the connection and never answers (a stalled
        # proxy, a blackholed network); every wait must end. A timeout in DATABASE_URL
        # (`?connect_timeout=10`), in connect_args or in PGCONNECT_TIMEOUT wins. Checkouts from a full
        # pool end after SQLAlchemy's pool_timeout (30 s).
        kwargs["connect_args"] = {
            **kwargs.get("connect_args", {}),
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        }
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL lets the web threads read while the scheduler writes (a no-op for in-memory databases).
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL (SQLite's advice for WAL) keeps a commit across a killed process but not a
    # power cut, and saves a disk flush per commit: every acked request commits its inbox record
    # (docs/deployment.md, "What survives a fault"; production durability is PostgreSQL's).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit (handlers render after commit).

    Its sessions honour `EFFECT_CLAIM`: see `EffectClaim`.
    """
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "after_flush", _claim_effect_after_flush)
    event.listen(factory, "do_orm_execute", _claim_effect_before_dml)
    return factory


@dataclass(frozen=True)
class EffectClaim:
    """The inbox request (`models.InboxRequest`) the current context works for, and which attempt this is.

    A request recorded in the inbox is processed at least once: an instance killed while processing it
    leaves it to another. So that a second attempt never writes what the first one committed, every
    transaction that writes anything while a claim is set (`EFFECT_CLAIM`) also marks the request's row
    as written by this attempt, in the same transaction; if another attempt already did, the transaction
    fails with `EffectAlreadyApplied` and nothing of it is kept.

    Attributes:
        inbox_id: The `slack_inbox` row.
        attempt: This attempt's identity (lease owner and attempt number).
    """

    inbox_id: int
    attempt: str


EFFECT_CLAIM: ContextVar[EffectClaim | None] = ContextVar("liaison_effect_claim", default=None)
_CLAIMED_IN = "liaison_effect_claimed_in"
# Plain SQL: bot.models imports this module, and the guard must not load the ORM mapping of the inbox.
_MARK_EFFECT = text(
    "UPDATE slack_inbox SET effect_owner = :attempt "
    "WHERE id = :id AND (effect_owner IS NULL OR effect_owner = :attempt)"
)


class EffectAlreadyApplied(RuntimeError):
    """Another attempt at the same inbox request already committed its effects; this one's are dropped."""


def _claim_effect(session: Session) -> None:
    claim = EFFECT_CLAIM.get()
    if claim is None:
        return
    transaction: SessionTransaction | None = session.get_transaction()
    if transaction is None or session.info.get(_CLAIMED_IN) is transaction:
        return
    result = session.connection().execute(_MARK_EFFECT, {"id": claim.inbox_id, "attempt": claim.attempt})
    if getattr(result, "rowcount", 1) == 0:
        raise EffectAlreadyApplied(f"inbox request {claim.inbox_id} was already applied by another attempt")
    session.info[_CLAIMED_IN] = transaction


def _claim_effect_after_flush(session: Session, _flush_context: Any) -> None:
    _claim_effect(session)


def _claim_effect_before_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _claim_effect(state.session)


def make_serving_engine(url: str, *, statement_timeout: int, pool_timeout: int) -> Engine:
    """The engine of a serving process (`serve`, gunicorn): every database wait bounded.

    Args:
        url: The database URL.
        statement_timeout: Seconds one statement may run (PostgreSQL `statement_timeout`); SQLite waits
            at most this long for a lock held by another connection.
        pool_timeout: Seconds a request may wait for a connection from a full pool (PostgreSQL).

    Returns:
        The engine (connections to PostgreSQL also give up after `CONNECT_TIMEOUT_SECONDS`).
    """
    if url.startswith("sqlite"):
        return make_engine(url, connect_args={"check_same_thread": False, "timeout": statement_timeout})
    options = f"-c statement_timeout={statement_timeout * 1000}"
    return make_engine(url, pool_timeout=pool_timeout, connect_args={"options": options})


def _connect_timeout_given(url: str, kwargs: dict[str, Any]) -> bool:
    """Whether the URL, the connect_args or libpq's environment already set a connect timeout."""
    return (
        "connect_timeout" in make_url(url).query
        or "connect_timeout" in kwargs.get("connect_args", {})
        or bool(os.environ.get("PGCONNECT_TIMEOUT"))
    )


def upsert_insert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for `table` in the session's dialect, with `on_conflict_do_nothing`: PostgreSQL's or
    SQLite's (the two databases Liaison runs on)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignoring_conflicts(
    session: Session,
    table: Table,
    rows: Any,
    *,
    index_elements: list[str] | None = None,
) -> None:
    """Insert `rows` (a dict or a list of them), skipping those whose unique key is already taken.

    For rows that several processes (or a double click) may write at the same moment: the unique key
    keeps one row and no transaction fails.

    Args:
        session: The caller's session (its transaction).
        table: The table.
        rows: One row or several, as column → value dicts.
        index_elements: The unique key's columns; None: any unique constraint.
    """
    statement = upsert_insert(session, table).on_conflict_do_nothing(index_elements=index_elements)
    session.execute(statement, rows)
