"""Engine, sessions and the declarative base.

Nothing here runs at import time: the CLI and tests call `make_engine` and `make_session_factory`.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Executable,
    MetaData,
    Numeric,
    Table,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Compiled, Dialect, make_url
from sqlalchemy.exc import DisconnectionError, MultipleResultsFound, NoResultFound
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, SessionTransaction, sessionmaker
from sqlalchemy.pool import NullPool, SingletonThreadPool, StaticPool
from sqlalchemy.sql.compiler import SQLCompiler

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
    if "poolclass" not in kwargs:
        # The connection used last goes out first. Under light traffic a request then finds a connection
        # whose database side is still warm (on PostgreSQL its backend process, on SQLite its page
        # cache), where first-in-first-out hands out the one idle the longest: after a burst had opened
        # ten, every request woke a backend idle for ten requests' time (docs/benchmarks.md, sixth
        # pass). Connections left idle past a burst may be closed by the server; the pool replaces them.
        kwargs.setdefault("pool_use_lifo", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif not isinstance(engine.pool, NullPool):
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", _check_long_idle_connection)
    return engine


# A pooled PostgreSQL connection idle for longer than this is checked with `SELECT 1` before it is handed
# out. The pool hands out the connection used last first, so under light traffic the others may sit idle
# for a long time, and a server, a proxy or a load balancer may have closed them meanwhile (idle timeouts
# of a few minutes are common); a request would then fail on a dead connection. The one in use stays
# unchecked, so the check costs a round trip only after such a pause.
IDLE_CHECK_SECONDS = 30.0
_CHECKED_IN_AT = "liaison_checked_in_at"


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN_AT] = time.monotonic()


def _check_long_idle_connection(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    checked_in_at = record.info.get(_CHECKED_IN_AT)
    if checked_in_at is None or time.monotonic() - checked_in_at < IDLE_CHECK_SECONDS:
        return
    autocommit = dbapi_connection.autocommit
    try:
        dbapi_connection.autocommit = True  # the check opens no transaction
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.autocommit = autocommit
    except Exception as error:
        # The pool discards this connection and checks out another (a new one if need be).
        raise DisconnectionError(f"a pooled connection was closed while idle: {error}") from error


def shares_one_connection(engine: Engine) -> bool:
    """Whether every thread uses the same connection (an in-memory SQLite database: `StaticPool` or
    `SingletonThreadPool`), which must then only be used the way the pool hands it out, never read while
    another thread writes on it."""
    return isinstance(engine.pool, StaticPool | SingletonThreadPool)


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
    event.listen(factory, "before_flush", _refuse_writes_when_read_only)
    event.listen(factory, "after_flush", _claim_effect_after_flush)
    event.listen(factory, "do_orm_execute", _claim_effect_before_dml)
    return factory


# `Session.info` key of a session that must not write (`read_only_session`).
_READ_ONLY = "liaison_read_only"


class ReadOnlyViolation(RuntimeError):
    """A session opened to only read (`read_only_session`) was asked to write."""


@contextmanager
def read_only_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for work that only reads (the read-only slash commands): it refuses every write.

    On PostgreSQL its connection runs in autocommit: no BEGIN and COMMIT round trips around the reads.
    Each statement then reads what was committed when it started, exactly as it does inside a READ
    COMMITTED transaction (PostgreSQL's default, which Liaison uses), so the reads see the same data;
    only row locks (`FOR UPDATE`), which reads do not take, would differ. SQLite is left as it is.

    Inside `read_only_sessions_closed_at_end` the session is closed when that scope ends rather than
    when the block does (after an error in the block, at once).

    Raises:
        ReadOnlyViolation: The block flushed ORM changes or ran an INSERT, UPDATE or DELETE through
            the session (nothing is written).
    """
    session = session_factory()
    try:
        session.info[_READ_ONLY] = True
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session
    except BaseException:
        session.close()
        raise
    deferred = _DEFERRED_CLOSES.get()
    if deferred is None:
        session.close()
    else:
        deferred.callback(session.close)


# The scope whose end closes the read-only sessions opened in it (`read_only_sessions_closed_at_end`).
_DEFERRED_CLOSES: ContextVar[ExitStack | None] = ContextVar("liaison_deferred_closes", default=None)


@contextmanager
def read_only_sessions_closed_at_end() -> Iterator[None]:
    """A scope at whose end the read-only sessions opened in it are closed (`read_only_session`).

    A slash command's run and the delivery of its answer are one such scope: closing a session (its
    connection reset and given back to the pool) costs a few tenths of a millisecond that would
    otherwise come before the answer is posted (docs/benchmarks.md, seventh pass). Nothing is read
    after the command's block ends; the connection is only held for the answer's post.
    """
    with ExitStack() as stack:
        token = _DEFERRED_CLOSES.set(stack)
        try:
            yield
        finally:
            _DEFERRED_CLOSES.reset(token)


def _refuse_writes_when_read_only(session: Session, _flush_context: Any, _instances: Any) -> None:
    if session.info.get(_READ_ONLY) and (session.new or session.dirty or session.deleted):
        raise ReadOnlyViolation("a read-only session was asked to write")


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
        if state.session.info.get(_READ_ONLY):
            raise ReadOnlyViolation("a read-only session was asked to write")
        _claim_effect(state.session)


def refresh_planner_statistics(engine: Engine) -> None:
    """Give PostgreSQL's planner statistics on the tables, after a bulk load (`liaison import`, the demo).

    Autovacuum analyzes a table once more than 50 rows plus a tenth of it changed since the last time,
    so the tables of a small alliance (a few dozen people, projects and milestones) may never get
    statistics. The planner then assumes about a thousand rows each, and plans the status of a project
    as nested loops that probe every milestone for every open one: 0.54 ms to execute against 0.29 ms
    once analyzed, on every `/project status` (docs/benchmarks.md, seventh pass). PostgreSQL's manual
    advises ANALYZE after populating a database. Milliseconds on such tables; SQLite is left alone (its
    planner needs no statistics for these plans).
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


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


# -- reads in the driver's own SQL --------------------------------------------------------------------

# Prepared reads kept per process (statement, dialect); the statements every command runs are built
# once, so this only bounds what a caller building statements per call could grow.
_PREPARED_READS_LIMIT = 512
# IN-list lengths rendered per statement (beyond them, SQLAlchemy renders the SQL on each call).
_EXPANSIONS_LIMIT = 64


class ReadRows:
    """The rows of a read (`run_read`), fetched at once: iterate them, or take `all`, `one`, `first`,
    `one_or_none`. Each row is a named tuple (attribute access by the selected column's key, as a
    SQLAlchemy `Row`)."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> list[Any]:
        """Every row."""
        return self._rows

    def first(self) -> Any | None:
        """The first row, or None."""
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        """The only row.

        Raises:
            sqlalchemy.exc.NoResultFound: No row.
            sqlalchemy.exc.MultipleResultsFound: More than one.
        """
        if len(self._rows) == 1:
            return self._rows[0]
        if not self._rows:
            raise NoResultFound("No row was found when one was required")
        raise MultipleResultsFound("Multiple rows were found when exactly one was required")

    def one_or_none(self) -> Any | None:
        """The only row, or None when there is none.

        Raises:
            sqlalchemy.exc.MultipleResultsFound: More than one.
        """
        return self.one() if self._rows else None


# A statement's SQL for given IN-list lengths: the SQL, its parameter order, each list's parameter names.
_Expansion = tuple[str, tuple[str, ...] | None, Mapping[str, Sequence[str]]]


@dataclass(frozen=True, slots=True)
class _PreparedRead:
    """A SELECT compiled once for a dialect, with what executing it takes besides the driver."""

    statement: Executable  # held so that the cache key (its id) stays its own
    dialect: Dialect
    compiled: Compiled
    expanding_names: tuple[str, ...]  # IN lists: SQLAlchemy renders the SQL for their lengths
    sql: str
    positional: tuple[str, ...] | None  # parameter names in order (qmark), or None (named)
    defaults: dict[str, Any]  # values the statement itself binds (literals in its conditions)
    bind_processors: tuple[tuple[str, Callable[[Any], Any]], ...]
    bind_processor_by_name: dict[str, Callable[[Any], Any]]
    row_type: Callable[[Iterable[Any]], Any]  # a named tuple's `_make`
    result_processors: tuple[tuple[int, Callable[[Any], Any]], ...]
    expansions: dict[tuple[int, ...], _Expansion] = field(default_factory=dict)  # by the lists' lengths

    @property
    def expanding(self) -> bool:
        """Whether the statement has IN lists (its SQL depends on their lengths)."""
        return bool(self.expanding_names)


_prepared_reads: OrderedDict[tuple[int, int], _PreparedRead | None] = OrderedDict()
_prepared_reads_lock = threading.Lock()


def run_read(connection: Connection, statement: Executable, params: Mapping[str, Any]) -> ReadRows:
    """Run a SELECT of columns on `connection` with the driver's cursor, its SQL compiled once.

    `Connection.execute` compiles from a cache, builds an execution context, reads the cursor's
    description and builds a result's metadata on every call: for the small reads each command makes,
    more CPU than the database's work (about 0.1 ms a statement). Here the statement is compiled once per
    dialect; each call binds the parameters (with the column types' processors), runs the SQL on the
    connection's driver connection (its transaction), and converts the rows with the same result
    processors SQLAlchemy would use. Driver errors are handled as SQLAlchemy handles them (wrapped in
    `DBAPIError`, a broken connection invalidated).

    Statements this cannot run exactly as SQLAlchemy would (text, types that read the driver's column
    description, keys that are not identifiers) and connections with cursor-execution event listeners
    (tests that count statements) go through `Connection.execute`.

    Args:
        connection: The connection (usually a session's, in its transaction).
        statement: A SELECT of columns, built once per process with bound parameters.
        params: The bound parameters by key.
    """
    if connection.dispatch.before_cursor_execute or connection.dispatch.after_cursor_execute:
        return ReadRows(list(connection.execute(statement, params)))
    prepared = _prepared_read(statement, connection.dialect)
    if prepared is None:
        return ReadRows(list(connection.execute(statement, params)))
    values = {**prepared.defaults, **params}
    if prepared.expanding:
        sql, positional, expansion = _expanded(prepared, values)
        for name, names in expansion.items():
            items = values.pop(name)
            process = prepared.bind_processor_by_name.get(name)
            for expanded_name, item in zip(names, items, strict=True):
                values[expanded_name] = process(item) if process is not None else item
        for name, process in prepared.bind_processors:
            if name not in expansion:
                values[name] = process(values[name])
    else:
        sql, positional = prepared.sql, prepared.positional
        for name, process in prepared.bind_processors:
            values[name] = process(values[name])
    arguments: Any = tuple(values[name] for name in positional) if positional is not None else values
    driver_connection = connection.connection.dbapi_connection
    assert driver_connection is not None  # a connection in use has one; SQLAlchemy's raises otherwise
    cursor = None
    try:
        cursor = driver_connection.cursor()
        cursor.execute(sql, arguments)
        fetched = cursor.fetchall()
        cursor.close()
    except Exception as error:  # SQLAlchemy's handler decides: wrap, invalidate, raise
        connection._handle_dbapi_exception(error, sql, arguments, cursor, None)  # always raises
    make = prepared.row_type
    processors = prepared.result_processors
    if not processors:
        return ReadRows([make(row) for row in fetched])
    rows = []
    for row in fetched:
        columns = list(row)
        for index, process in processors:
            columns[index] = process(columns[index])
        rows.append(make(columns))
    return ReadRows(rows)


def _expanded(prepared: _PreparedRead, values: Mapping[str, Any]) -> _Expansion:
    """The SQL of a statement with IN lists for these lists' lengths (rendered once per lengths by
    SQLAlchemy), its parameter order, and each list's parameter names."""
    shape = tuple(len(values[name]) for name in prepared.expanding_names)
    with _prepared_reads_lock:
        found = prepared.expansions.get(shape)
    if found is None:
        state = cast(Any, prepared.compiled).construct_expanded_state(values, escape_names=False)
        positional = tuple(state.positiontup) if state.positiontup is not None else None
        found = (state.statement, positional, dict(state.parameter_expansion))
        with _prepared_reads_lock:
            if len(prepared.expansions) < _EXPANSIONS_LIMIT:
                prepared.expansions[shape] = found
    return found


def _prepared_read(statement: Executable, dialect: Dialect) -> _PreparedRead | None:
    key = (id(statement), id(dialect))
    with _prepared_reads_lock:
        if key in _prepared_reads:
            prepared = _prepared_reads[key]
            if prepared is None or (prepared.statement is statement and prepared.dialect is dialect):
                _prepared_reads.move_to_end(key)
                return prepared
    prepared = _prepare_read(statement, dialect)
    with _prepared_reads_lock:
        # A statement that cannot be prepared is remembered as None only while it is alive (by `key`);
        # an id reused by a new object is checked against the prepared one above.
        _prepared_reads[key] = prepared
        while len(_prepared_reads) > _PREPARED_READS_LIMIT:
            _prepared_reads.popitem(last=False)
    return prepared


def _prepare_read(statement: Executable, dialect: Dialect) -> _PreparedRead | None:
    """Compile `statement` for `dialect`, or None when `run_read` must leave it to SQLAlchemy."""
    compiled = cast(Any, statement).compile(dialect=dialect)
    result_columns = getattr(compiled, "_result_columns", None)
    if not isinstance(compiled, SQLCompiler) or not result_columns or compiled.literal_execute_params:
        return None
    keys = tuple(column.keyname for column in result_columns)
    if len(set(keys)) != len(keys) or not all(key.isidentifier() and not key.startswith("_") for key in keys):
        return None
    result_processors = []
    for index, column in enumerate(result_columns):
        type_ = column.type
        if isinstance(type_._type_affinity, type) and issubclass(type_._type_affinity, Numeric):
            return None  # Numeric's processors read the driver's column type
        process = type_._cached_result_processor(dialect, None)
        if process is not None:
            result_processors.append((index, process))
    binds_by_name = {name: bind for bind, name in compiled.bind_names.items()}
    if any(bind.key != name for name, bind in binds_by_name.items() if bind.required):
        return None  # a caller's key renamed in the SQL: leave the mapping to SQLAlchemy
    defaults = {name: bind.effective_value for name, bind in binds_by_name.items() if not bind.required}
    positional = tuple(compiled.positiontup) if compiled.positiontup is not None else None
    bind_processors = []
    for name, process in compiled._bind_processors.items():
        if not callable(process):
            return None  # a tuple type's processors, one per element
        bind_processors.append((name, process))
    return _PreparedRead(
        statement=statement,
        dialect=dialect,
        compiled=compiled,
        expanding_names=tuple(compiled.bind_names[bind] for bind in compiled.post_compile_params),
        sql=compiled.string,
        positional=positional,
        defaults=defaults,
        bind_processors=tuple(bind_processors),
        bind_processor_by_name=dict(bind_processors),
        row_type=cast(Any, namedtuple("ReadRow", keys))._make,
        result_processors=tuple(result_processors),
    )
