"""What `/readyz` reports: whether this process should be sent traffic now."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.experts.embeddings.protocol import EmbedderLoadError
from bot.services import Services
from bot.serving.logs import first_line

if TYPE_CHECKING:
    from bot.experts.embeddings.cache import CachingEmbedder

logger = logging.getLogger(__name__)


@dataclass
class Readiness:
    """What `/readyz` checks: the database answers, the model is loaded where needed, not stopping.

    Args:
        services: For the database.
        embedder: The model this process must have loaded before it takes traffic; None when this
            process runs without one (worker role, or `LIAISON_EMBEDDINGS=false`).
        scheduler_running: Reports whether this process's scheduler runs; None without a scheduler.
    """

    services: Services
    embedder: CachingEmbedder | None = None
    scheduler_running: Callable[[], bool] | None = None
    draining: threading.Event = field(default_factory=threading.Event)

    def check(self) -> tuple[bool, dict[str, str]]:
        """Run every check; returns (ready, a short state per check)."""
        checks: dict[str, str] = {}
        if self.draining.is_set():
            checks["process"] = "shutting down"
        try:
            with self.services.session_factory() as session:
                session.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except SQLAlchemyError as error:
            logger.warning("readiness: database unreachable: %s", first_line(error))
            checks["database"] = "unreachable"
        if self.embedder is not None:
            try:
                checks["model"] = "ok" if self.embedder.wait_ready(0) else "loading"
            except EmbedderLoadError as error:
                checks["model"] = f"failed to load: {first_line(error)}"
        if self.scheduler_running is not None:
            checks["scheduler"] = "ok" if self.scheduler_running() else "stopped"
        return all(state == "ok" for state in checks.values()), checks
