"""Schema migrations from Python: what `liaison db upgrade`, `serve`, `demo` and the tests call.

The Alembic scripts live in `migrations/` at the repository root (see docs/migrations.md). The
configuration is built in code, so no alembic.ini is read and the application's logging is left alone;
alembic.ini only serves developers running the `alembic` command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.pool import NullPool

# Importing these registers every table on Base.metadata: the core's and the ones features own.
import bot
import bot.agreements.tables
import bot.calendar.tables
import bot.checkins.tables
import bot.conversations.tables
import bot.experts.sources.tables
import bot.models
import bot.proposals.tables
import bot.publications.tables
from bot.db import Base, make_engine

MIGRATIONS_DIR = Path(bot.__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """Build the Alembic configuration for a database, without reading alembic.ini.

    Args:
        database_url: SQLAlchemy URL; `postgresql://` is run with psycopg 3 (see `bot.db.make_engine`).

    Returns:
        A config for `alembic.command` functions. `migrations/env.py` takes the URL from
        `sqlalchemy.url`, unless a connection is put in `config.attributes["connection"]`.

    Raises:
        FileNotFoundError: The migration scripts are not next to the `bot` package (e.g. a wheel
            install, which does not ship them).
    """
    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise FileNotFoundError(f"Alembic migrations not found at {MIGRATIONS_DIR}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    # Config values go through configparser interpolation: a `%` in the URL (an escaped password
    # character) must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Migrate a database to `revision`; a database already there is left untouched.

    Args:
        database_url: SQLAlchemy URL. The directory of a SQLite file is created if missing.
        revision: Target revision, `head` by default.
    """
    command.upgrade(alembic_config(database_url), revision)


def head_revision() -> str | None:
    """The newest revision in `migrations/versions`, or None if there is none.

    Returns:
        The head revision id, e.g. `"0001"`.
    """
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def current_revision(database_url: str) -> str | None:
    """The revision a database is at.

    Args:
        database_url: SQLAlchemy URL.

    Returns:
        The revision id, or None if the database has never been migrated.
    """
    engine = _engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def schema_drift(database_url: str) -> list[str]:
    """Differences between the ORM models and a migrated database, as `alembic check` finds them.

    A non-empty result after `upgrade_database` means a model changed without a migration.

    Args:
        database_url: SQLAlchemy URL of a database migrated to head.

    Returns:
        One line per difference (e.g. `add_column project.archived_at`); empty when none.
    """
    engine = _engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "target_metadata": Base.metadata}
            )
            diffs = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    lines: list[str] = []
    for diff in diffs:
        # Changes to one column come grouped in a list; everything else is a tuple.
        lines.extend(_describe(item) for item in (diff if isinstance(diff, list) else [diff]))
    return lines


def _engine(database_url: str) -> Engine:
    return make_engine(database_url, poolclass=NullPool)


def _describe(diff: tuple[Any, ...]) -> str:
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        return f"{kind} {diff[1].name}"
    if kind in ("add_column", "remove_column"):
        return f"{kind} {diff[2]}.{diff[3].name}"
    if kind.startswith("modify_"):
        _, _schema, table, column, _existing, old, new = diff
        return f"{kind} {table}.{column}: {old!r} -> {new!r}"
    if kind in ("add_index", "remove_index", "add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        return f"{kind} {diff[1].name} on {diff[1].table.name}"
    return " ".join(str(getattr(part, "name", part)) for part in diff if part is not None)
