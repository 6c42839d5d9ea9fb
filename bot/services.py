"""The objects a handler or job needs, built once per process and passed in explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.experts.index import ExpertIndexCache
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.experts.embeddings.protocol import Embedder
    from bot.slack.notifier import SlackNotifier


@dataclass
class Services:
    """Dependencies shared by handlers and jobs; Bolt hands them to listeners as `services`."""

    settings: Settings
    session_factory: sessionmaker[Session]
    clock: Clock
    # How jobs reach Slack (reminders); None where nothing is sent in the background.
    notifier: SlackNotifier | None = None
    # Sentence embeddings for questions (loaded in the background at start); None means rules only.
    embedder: Embedder | None = None
    # Expert ranking indexes of this process, one per workspace, reloaded when profiles change.
    expert_indexes: ExpertIndexCache = field(default_factory=ExpertIndexCache)

    @property
    def engine(self) -> Engine:
        """The database engine the sessions are bound to."""
        bind = self.session_factory.kw["bind"]
        assert isinstance(bind, Engine)
        return bind
