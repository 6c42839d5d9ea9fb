"""Record the SQL statements an engine executes, to assert how many round trips a read takes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, event


@contextmanager
def recorded_statements(engine: Engine | Connection) -> Iterator[list[str]]:
    """The statements `engine` (or a connection) executes inside the block, in order, as they run."""
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))  # (conn, cursor, statement, parameters, context, executemany)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
