"""Migrated databases from a template, for tests that need an empty database at the head revision.

Running every migration costs Alembic's start-up and 14 revisions of DDL, and some forty tests need a
migrated database. Each pytest process migrates one template per kind of database once and copies
it: PostgreSQL's CREATE DATABASE … TEMPLATE, a file copy for SQLite. tests/test_migrations.py keeps
running the migrations themselves.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import OperationalError

from bot.schema import MIGRATIONS_DIR, upgrade_database

_templates: dict[tuple[str, str], str] = {}

# What fills a template after its migrations: a name (part of the template's key) and a function of
# the template's URL. Templates of different fillings are kept apart.
Filling = tuple[str, Callable[[str], None]]

# The databases Liaison runs on, as a fixture's `params` (those needing PostgreSQL are marked).
DATABASE_KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def migrated_database(request: pytest.FixtureRequest, folder: Path, *, filled: Filling | None = None) -> str:
    """The URL of a new database at the head revision, of the kind a fixture parametrized with
    `DATABASE_KINDS` is at (`request.param`): a SQLite file in `folder`, or a fresh PostgreSQL
    database (`postgres_url`); with `filled`, holding what its function wrote into the template."""
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'liaison.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    migrate_from_template(url, filled=filled)
    return url


def _migrations_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS_DIR.glob("versions/*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def migrate_from_template(url: str, *, filled: Filling | None = None) -> None:
    """Bring a new empty database to the head revision, as `upgrade_database(url)` would, by copying
    a template this process migrated once.

    Args:
        url: A `postgresql://` URL of an empty database no one is connected to (from `postgres_url`),
            or a `sqlite:///path` file URL whose file does not exist yet or is empty.
        filled: Also what this function wrote into the template once migrated (importing the demo
            workspace takes a quarter of a second on SQLite and more on PostgreSQL; copying it, none).
            The function must leave no connection open (a SQLite file is copied as it is on disk).
    """
    filling = filled[0] if filled is not None else ""
    # Imported here: tests.pg is a pytest plugin, which pytest must import first (to rewrite its asserts).
    from tests.pg import DATABASE_PREFIX, admin_engine, server_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if parsed.database in (None, "", ":memory:") or (path.exists() and path.stat().st_size > 0):
            upgrade_database(url)  # in memory, or not empty: nothing to copy over
            if filled is not None:
                filled[1](url)
            return
        template = _templates.get(("sqlite", filling))
        if template is None:
            folder = Path(tempfile.mkdtemp(prefix="liaison-template-"))
            atexit.register(shutil.rmtree, folder, True)
            template = str(folder / "migrated.db")
            upgrade_database(f"sqlite:///{template}")
            if filled is not None:
                filled[1](f"sqlite:///{template}")
            _templates[("sqlite", filling)] = template
        shutil.copyfile(template, path)
        return
    server = parsed.set(database=make_url(server_url()).database).render_as_string(hide_password=False)
    template = _templates.get((server, filling))
    admin = admin_engine(server)
    try:
        if template is None:
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            template = (
                f"{DATABASE_PREFIX}template_{_migrations_fingerprint()}{filling and '_' + filling}"
                f"_{worker}_{os.getpid()}"
            )
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{template}"'))
                connection.execute(text(f'CREATE DATABASE "{template}"'))
            template_url = parsed.set(database=template).render_as_string(hide_password=False)
            upgrade_database(template_url)
            if filled is not None:
                filled[1](template_url)
            _templates[(server, filling)] = template
            atexit.register(_drop_database, server, template)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{parsed.database}" TEMPLATE "{template}"'))
    finally:
        admin.dispose()


def _drop_database(server: str, name: str) -> None:
    from tests.pg import admin_engine

    admin = admin_engine(server)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except OperationalError:
        pass  # the server went away first; the name carries the pid, so nothing reuses it
    finally:
        admin.dispose()
