"""Gunicorn configuration for Liaison's HTTP processes: `gunicorn -c python:bot.serving.gunicorn_conf`.

Gunicorn reads a configuration module's top-level names, so this module (unlike the rest of `bot`)
computes values when it is imported; only gunicorn imports it. Everything comes from the same
environment variables as `liaison serve` (see `.env.example` and docs/deployment.md):

- `wsgi_app`: `bot.serving.wsgi:create_wsgi_app()`, built in each worker after the fork (no `preload_app`), so
  each worker has its own database pool, scheduler (per role) and embedding model;
- `gthread` workers: `LIAISON_WEB_WORKERS` processes (1 recommended: the model costs ~490 MB in each)
  of `LIAISON_WEB_THREADS` threads each; Bolt acks from the request thread and finishes listeners
  on a pool of the same size;
- SIGTERM is graceful: a worker stops accepting, finishes the requests it has (up to
  `LIAISON_SHUTDOWN_SECONDS`, gunicorn's `graceful_timeout`), and `worker_exit` then waits for the
  listener work after the acks and stops the scheduler;
- logs: gunicorn's own lines use Liaison's format (`LOG_FORMAT`) and redaction; the access log is off
  because `bot.serving.web` logs every Slack request with its request id.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

from bot.serving.logs import RequestIdFilter, build_formatter, install_redaction, settings_secrets
from bot.serving.process_exit import exit_now, exit_now_if_torch_was_imported
from bot.settings import Settings, SettingsError


def _settings() -> Settings:
    try:
        return Settings.from_env(os.environ, require_slack=True)
    except SettingsError as error:
        # SystemExit (not an Exception) passes gunicorn's config loader: one line, no traceback.
        sys.exit(f"Configuration error: {error}")


_SETTINGS = _settings()

wsgi_app = "bot.serving.wsgi:create_wsgi_app()"
bind = [f"{_SETTINGS.http_host}:{_SETTINGS.http_port}"]
worker_class = "gthread"
workers = _SETTINGS.web_workers
threads = _SETTINGS.web_threads
graceful_timeout = _SETTINGS.shutdown_seconds
# gthread workers report to the master from their main loop, not from request threads, so a slow
# request never trips this; it only catches a worker whose loop hangs.
timeout = 60
# Behind a load balancer that reuses connections; longer than gunicorn's 2 s default so the
# balancer closes idle connections first (the usual cause of spurious 502s otherwise).
keepalive = 75
accesslog = None
errorlog = "-"
loglevel = _SETTINGS.log_level.lower()
logger_class = "bot.serving.gunicorn_conf.LiaisonGunicornLogger"
# Request line and headers stay at gunicorn's limits (4094 bytes, 100 headers of 8190 bytes); the body
# cap (LIAISON_MAX_BODY_BYTES) is enforced by bot.serving.web, which gunicorn has no setting for.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# Gunicorn's runtime control socket (under $HOME by default, often read-only in containers) is not used.
control_socket_disable = True


class LiaisonGunicornLogger(GunicornLogger):
    """Gunicorn's logger with Liaison's formatter (text or JSON), request ids and token redaction."""

    def setup(self, cfg: Any) -> None:
        """Set gunicorn's handlers up, then give them Liaison's format and filters."""
        super().setup(cfg)
        settings = _SETTINGS
        handlers: list[logging.Handler] = [*self.error_log.handlers, *self.access_log.handlers]
        for handler in handlers:
            handler.setFormatter(build_formatter(settings.log_format))
            if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
                handler.addFilter(RequestIdFilter())
        install_redaction(handlers, settings_secrets(settings))


def worker_exit(server: Any, worker: Any) -> None:
    """After a worker's requests are done (or its grace time is up): finish the work after the acks."""
    # The master calls this too, for a worker that was already gone; only the worker has an app.
    shutdown = getattr(getattr(worker, "wsgi", None), "shutdown", None)
    if callable(shutdown):
        if shutdown() is False:
            # Threads still run past the drain limit (their work was handed back): do not wait for them.
            exit_now(0)
        _exit_without_finalizing_torch()


def _exit_without_finalizing_torch() -> None:
    # gunicorn calls worker_exit from a `finally` while the worker's SystemExit(0) propagates; our
    # shutdown has already drained requests, listeners and the scheduler. Any other exit (errors, boot
    # failures) is left alone.
    error = sys.exc_info()[1]
    if isinstance(error, SystemExit) and error.code in (0, None):
        exit_now_if_torch_was_imported(0)
