"""Fixtures the security tests share."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import SystemClock
from bot.experts.embeddings.cache import CachingEmbedder
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.services import Services
from bot.settings import Settings
from bot.slack.notifier import build_notifier


@pytest.fixture
def on_postgres(postgres_url: str, shared_database: sessionmaker[Session], settings: Settings) -> Services:
    """The demo workspace on PostgreSQL (migrated, imported, dates moved to today), on the real clock."""
    return Services(
        settings=dataclasses.replace(settings, database_url=postgres_url),
        session_factory=shared_database,
        clock=SystemClock(),
        notifier=build_notifier(settings, timeout=5),
        # Deterministic embeddings, so question answering and expert ranking run in full.
        embedder=CachingEmbedder(HashingEmbedder()),
    )
