"""Alembic environment for Liaison: PostgreSQL and SQLite (batch mode), online and offline (`--sql`).

The database comes from the first of:

1. `config.attributes["connection"]`: an open SQLAlchemy `Connection`, used as is. If it is already
   inside a transaction, Alembic leaves committing to its owner.
2. `-x url=...` on the `alembic` command line.
3. `sqlalchemy.url` in the Alembic config (`bot.schema.alembic_config` sets it; alembic.ini does not).
4. The `DATABASE_URL` environment variable.

URLs go through `bot.db.make_engine`, so `postgresql://` means psycopg 3 and a SQLite file's directory
is created. Revision scripts never import `bot`: `render_item` writes `UTCDateTime` as its plain
`sa.DateTime()` implementation, and `process_revision_directives` writes every non-native enum (in a
new table or added to an existing one) as a `sa.String` column plus an explicitly named CHECK
constraint, so constraint names are frozen in the script instead of depending on the naming convention
at run time. See docs/migrations.md.
"""

from __future__ import annotations

import os
from logging.config import fileConfig
from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

import bot.models  # noqa: F401  (importing the models registers every table on Base.metadata)
from bot.db import Base, UTCDateTime, make_engine

config = context.config
target_metadata = Base.metadata

# Only the `alembic` command line reads the logging setup in alembic.ini. bot.schema builds its
# Config without a file, so upgrading from the application never resets the application's logging.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render `UTCDateTime` as the type it stores, so revision scripts never import `bot`."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return f"sa.{obj.impl!r}"
    return False


def process_revision_directives(
    migration_context: MigrationContext, revision: Any, directives: list[ops.MigrationScript]
) -> None:
    """Write non-native enums as strings with explicitly named CHECK constraints.

    Left alone, autogenerate writes `sa.Enum(..., create_constraint=True)`, whose CHECK constraint is
    named only when the migration runs, from whatever naming convention `target_metadata` has then; and
    on SQLite the downgrade of an added enum column fails, because batch mode copies the CHECK on the
    dropped column. So: new tables get `sa.String` columns plus `sa.CheckConstraint(..., name=op.f(...))`;
    an added column is followed by `create_check_constraint`, and its downgrade drops that constraint
    before the column.
    """
    for script in directives:
        for container in script.upgrade_ops_list:
            for op in container.ops:
                if isinstance(op, ops.CreateTableOp):
                    _explicit_checks_in_new_table(op, migration_context)
                elif isinstance(op, ops.ModifyTableOps):
                    op.ops = [
                        new for old in op.ops for new in _explicit_checks_on_add(old, migration_context)
                    ]
        for downgrade in script.downgrade_ops_list:
            for op in downgrade.ops:
                if isinstance(op, ops.ModifyTableOps):
                    op.ops = [new for old in op.ops for new in _explicit_checks_on_drop(old)]


def _enum_check(column: Any) -> sa.CheckConstraint | None:
    """The CHECK constraint a model column gets from its non-native `sa.Enum` type, if any."""
    table = getattr(column, "table", None)
    if table is None or not isinstance(column.type, sa.Enum):
        return None
    for constraint in table.constraints:
        columns = list(getattr(constraint, "columns", ()))
        if getattr(constraint, "_type_bound", False) and len(columns) == 1 and columns[0] is column:
            return constraint
    return None


def _string_column(column: sa.Column[Any]) -> sa.Column[Any]:
    enum_type = column.type
    assert isinstance(enum_type, sa.Enum)
    return sa.Column(
        column.name,
        sa.String(length=enum_type.length),
        nullable=column.nullable,
        primary_key=column.primary_key,
        server_default=getattr(column.server_default, "arg", None),
        comment=column.comment,
    )


def _explicit_checks_in_new_table(op: ops.CreateTableOp, migration_context: MigrationContext) -> None:
    items: list[Any] = []
    checks: list[sa.CheckConstraint] = []
    for item in op.columns:
        check = _enum_check(item) if isinstance(item, sa.Column) else None
        if isinstance(item, sa.Column) and check is not None:
            items.append(_string_column(item))
            sqltext = migration_context.impl.render_ddl_sql_expr(check.sqltext)
            checks.append(sa.CheckConstraint(sqltext, name=check.name))
        elif not (isinstance(item, sa.CheckConstraint) and getattr(item, "_type_bound", False)):
            items.append(item)
    op.columns = items + checks


def _explicit_checks_on_add(op: ops.MigrateOperation, migration_context: MigrationContext) -> list[Any]:
    check = _enum_check(op.column) if isinstance(op, ops.AddColumnOp) else None
    if check is None or check.name is None:
        return [op]
    assert isinstance(op, ops.AddColumnOp)
    return [
        ops.AddColumnOp(op.table_name, _string_column(op.column), schema=op.schema),
        ops.CreateCheckConstraintOp(
            check.name,
            op.table_name,
            migration_context.impl.render_ddl_sql_expr(check.sqltext),
            schema=op.schema,
        ),
    ]


def _explicit_checks_on_drop(op: ops.MigrateOperation) -> list[Any]:
    if not isinstance(op, ops.DropColumnOp) or op._reverse is None:
        return [op]
    check = _enum_check(op._reverse.column)
    if check is None or check.name is None:
        return [op]
    return [ops.DropConstraintOp(check.name, op.table_name, type_="check", schema=op.schema), op]


def _database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    url = url or os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("no database URL: pass `-x url=...`, set sqlalchemy.url or DATABASE_URL")
    return url


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode copies the table, which also works elsewhere.
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
        process_revision_directives=process_revision_directives,
        **kwargs,
    )


def _migrate(connection: Connection, **kwargs: Any) -> None:
    _configure(connection=connection, **kwargs)
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            # Batch mode ran with foreign keys off: check the copied tables before committing.
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"foreign key violations after migrating: {problems}")


def _sqlite_engine_for_migrations(engine: Engine) -> None:
    # Batch mode drops and recreates tables. With foreign keys on, dropping a parent table would run
    # its ON DELETE CASCADE on the children, so they are off; the pragma is a no-op inside a
    # transaction, hence on connect. The pysqlite driver also starts transactions only before DML,
    # which would commit every DDL statement on its own: emit BEGIN ourselves so that an upgrade is
    # all or nothing (SQLAlchemy's documented pysqlite recipe).
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def run_migrations_offline() -> None:
    """Write the migration SQL to stdout (`alembic upgrade head --sql`) instead of running it."""
    engine = make_engine(_database_url(), poolclass=NullPool)
    _configure(url=engine.url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate over the connection passed in `config.attributes`, or over a new engine."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = make_engine(_database_url(), poolclass=NullPool)
    transactional_ddl = None
    if engine.dialect.name == "sqlite":
        _sqlite_engine_for_migrations(engine)
        transactional_ddl = True
    try:
        with engine.connect() as connection:
            _migrate(connection, transactional_ddl=transactional_ddl)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
