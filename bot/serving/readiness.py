"""What `/readyz` reports: whether this process should be sent traffic now."""

from __future__ import annotations

import logging
import threading
import time
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
    # A stalled database (connections accepted, never answered) must not hold `/readyz` callers, nor
    # pile up server threads: one probe at a time runs in the background, callers wait for it at most
    # `probe_wait` seconds, and a finished probe's answer is reused for `probe_reuse` seconds.
    probe_wait: float = 0.8
    probe_reuse: float = 1.0
    _probe_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _probe: threading.Thread | None = field(default=None, repr=False)
    _last_probe: tuple[float, str] | None = field(default=None, repr=False)

    def check(self) -> tuple[bool, dict[str, str]]:
        """Run every check; returns (ready, a short state per check)."""
        checks: dict[str, str] = {}
        if self.draining.is_set():
            checks["process"] = "shutting down"
        checks["database"] = self._database_state()
        if self.embedder is not None:
            try:
                checks["model"] = "ok" if self.embedder.wait_ready(0) else "loading"
            except EmbedderLoadError as error:
                checks["model"] = f"failed to load: {first_line(error)}"
        if self.scheduler_running is not None:
            checks["scheduler"] = "ok" if self.scheduler_running() else "stopped"
        return all(state == "ok" for state in checks.values()), checks

    def _database_state(self) -> str:
        """The database's state from the running or a recent probe, waiting `probe_wait` at most."""
        with self._probe_lock:
            if self._last_probe is not None and time.monotonic() - self._last_probe[0] < self.probe_reuse:
                return self._last_probe[1]
            if self._probe is None or not self._probe.is_alive():
                self._probe = threading.Thread(target=self._run_probe, name="readiness-probe", daemon=True)
                self._probe.start()
            probe = self._probe
        probe.join(self.probe_wait)
        with self._probe_lock:
            if not probe.is_alive() and self._last_probe is not None:
                return self._last_probe[1]
        return f"no answer within {self.probe_wait:g} s"

    def _run_probe(self) -> None:
        state = "probe failed"  # whatever happens, this probe's answer replaces the last one
        try:
            with self.services.session_factory() as session:
                session.execute(text("SELECT 1"))
            state = "ok"
        except SQLAlchemyError as error:
            logger.warning("readiness: database unreachable: %s", first_line(error))
            state = "unreachable"
        except Exception:
            logger.exception("readiness: the database probe failed")
        finally:
            with self._probe_lock:
                self._last_probe = (time.monotonic(), state)
