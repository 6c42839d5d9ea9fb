"""The SQLite file database's connection settings (bot/db.py): WAL, foreign keys, a lock wait, and
`synchronous=NORMAL` (docs/deployment.md, "What survives a fault")."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from bot.db import make_engine


def test_a_file_database_runs_wal_with_normal_sync_foreign_keys_and_a_lock_wait(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'liaison.db'}")
    try:
        with engine.connect() as connection:
            pragmas = {
                name: connection.execute(text(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()
    # synchronous: 1 is NORMAL (2 FULL, SQLite's default).
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "busy_timeout": 30000}
