"""The objects a handler or job needs, built once per process and passed in explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.settings import Settings


@dataclass
class Services:
    """Dependencies shared by handlers and jobs; Bolt hands them to listeners as `services`."""

    settings: Settings
    session_factory: sessionmaker[Session]
    clock: Clock
