"""One Liaison process, built for its role, and the WSGI entry point for production servers.

`build_runtime(settings)` makes everything a process runs for `LIAISON_PROCESS_ROLE`: the database
engine, the embedding model (loading in the background), the Bolt app with its listener pool, the
scheduler and the WSGI application (`bot.serving.web`). `liaison serve` and gunicorn both use it:

    gunicorn -c python:bot.serving.gunicorn_conf        # which names bot.serving.wsgi:create_wsgi_app()

The `Runtime` is itself the WSGI application, with a `shutdown()` that gunicorn's `worker_exit` hook and
`liaison serve` call after the server has stopped taking requests: it waits for the listener work
that Bolt still runs after its acks, then stops the scheduler (waiting for a running tick) and closes
the database pool. docs/deployment.md describes the layouts.
"""

from __future__ import annotations

import contextvars
import gc
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from bot.clock import SystemClock
from bot.db import make_serving_engine, make_session_factory
from bot.services import Services
from bot.serving.intake import RecordedRequests
from bot.serving.logs import configure_logging, settings_secrets
from bot.serving.metrics import Metrics
from bot.serving.readiness import Readiness
from bot.serving.web import LiaisonWsgiApp, build_intake, build_wsgi_app
from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

    from apscheduler.schedulers.background import BackgroundScheduler
    from slack_bolt import App
    from slack_sdk import WebClient
    from sqlalchemy import Engine

    from bot.experts.embeddings.cache import CachingEmbedder

logger = logging.getLogger(__name__)

_P = ParamSpec("_P")
_T = TypeVar("_T")


class ListenerExecutor(ThreadPoolExecutor):
    """Bolt's listener pool: runs each listener in a copy of the request's context, and can be drained.

    The copy carries the request id (`bot.serving.logs.REQUEST_ID`) into the listener's log lines. Draining
    waits for the work Bolt still does after it acked (answers via `response_url`, modals, App Home
    refreshes) — the part of a request a graceful shutdown must not cut off.
    """

    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="bolt-listener")
        self._pending: set[Future[Any]] = set()
        self._pending_lock = threading.Lock()

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        """Schedule `fn` in a copy of the caller's context."""
        context = contextvars.copy_context()

        def run_in_context() -> _T:
            return context.run(fn, *args, **kwargs)

        future = super().submit(run_in_context)
        with self._pending_lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[Any]) -> None:
        with self._pending_lock:
            self._pending.discard(future)

    def drain(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for every task submitted so far; True when all finished."""
        with self._pending_lock:
            pending = set(self._pending)
        _, not_done = wait(pending, timeout=max(timeout, 0))
        return not not_done


@dataclass
class Runtime:
    """Everything one process runs; call it as a WSGI application, `start()` it, `shutdown()` it."""

    settings: Settings
    engine: Engine
    services: Services
    metrics: Metrics
    web: LiaisonWsgiApp
    app: App | None = None
    embedder: CachingEmbedder | None = None
    scheduler: BackgroundScheduler | None = None
    listeners: ListenerExecutor | None = None
    # The inbox of requests acked before their listener runs (HTTP or Socket Mode).
    intake: RecordedRequests | None = None
    _started: bool = field(default=False, init=False)
    _stopped: bool = field(default=False, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Handle one HTTP request (WSGI)."""
        return self.web(environ, start_response)

    def start(self) -> None:
        """Start the background work: load the model (then embed the records once) and run the scheduler."""
        with self._lock:
            if self._started:
                return
            self._started = True
        self._reconnect_reinstalled_workspace()
        if self.intake is not None:
            self.intake.start()
        if self.embedder is not None:
            from bot.questions.answers.warm_up import start_warm_up

            self.embedder.start_loading()
            start_warm_up(self.services.session_factory, self.embedder)
        if self.scheduler is not None:
            self.scheduler.start()
        logger.info(
            "Liaison %s process started (model: %s, scheduler: %s)",
            self.settings.process_role.value,
            "loading" if self.embedder is not None else "none",
            "on" if self.scheduler is not None else "off",
        )

    def _reconnect_reinstalled_workspace(self) -> None:
        """One workspace (`SLACK_BOT_TOKEN`): a workspace disconnected by an uninstall is reconnected once
        its token works again (OAuth installs reconnect in their install callback instead)."""
        from slack_sdk.errors import SlackApiError
        from sqlalchemy import exists, select

        from bot.models import Workspace
        from bot.slack.workspaces import reconnect_single_workspace

        notifier = self.services.notifier
        if self.settings.oauth_enabled or notifier is None:
            return
        with self.services.session_factory() as session:
            # The usual case costs one query and no call to Slack.
            if not session.scalar(select(exists().where(Workspace.disconnected_at.is_not(None)))):
                return
        try:
            team_id = notifier.client_for(None).auth_test().get("team_id")
        except (SlackApiError, OSError) as error:
            logger.warning("a workspace is disconnected and its token could not be checked: %s", error)
            return
        reconnect_single_workspace(
            self.services.session_factory,
            team_id,
            now=self.services.clock.now(),
            defaults=self.settings.reminder_policy,
        )

    def shutdown(self, timeout: float | None = None) -> bool:
        """Stop gracefully within the drain limit: not ready, work finished or handed back, pool closed.

        Call after the server stopped taking requests. Requests taken from the inbox and not finished
        within the limit (queued or still running) are handed back: their leases are released, so any
        other instance takes them at once (their database effects are written once all the same,
        `bot.serving.inbox`). Safe to call twice.

        Args:
            timeout: The drain limit in seconds; `LIAISON_SHUTDOWN_SECONDS` by default.

        Returns:
            True when nothing was left running; False when listener or scheduler threads still run,
            which the caller must not wait for at exit (`bot.serving.process_exit.exit_now`).
        """
        with self._lock:
            if self._stopped:
                return True
            self._stopped = True
        self.web.start_draining()
        if self.intake is not None:
            self.intake.stop_taking_work()
        wait_seconds = self.settings.shutdown_seconds if timeout is None else timeout
        deadline = time.monotonic() + wait_seconds
        clean = True
        if self.listeners is not None:
            if not self.listeners.drain(deadline - time.monotonic()):
                clean = False
                logger.warning(
                    "shutdown: listener work still running after %.0f s; handing it back", wait_seconds
                )
            self.listeners.shutdown(wait=False, cancel_futures=True)
        if self.intake is not None:
            handed = self.intake.hand_back(max(0.0, deadline - time.monotonic()))
            if handed:
                logger.info("shutdown: %d unfinished requests handed back to the other instances", handed)
        if self.scheduler is not None and self.scheduler.running:
            clean = _stop_scheduler(self.scheduler, deadline - time.monotonic()) and clean
        self.engine.dispose()
        logger.info("Liaison %s process stopped", self.settings.process_role.value)
        return clean


def _stop_scheduler(scheduler: BackgroundScheduler, seconds: float) -> bool:
    """Stop the scheduler, letting a running reminder tick finish its batch for up to `seconds`.

    Reminder claims are leased, so a tick cut off here only delays those deliveries until the lease
    expires. True when the scheduler stopped in time.
    """
    stopper = threading.Thread(
        target=scheduler.shutdown, kwargs={"wait": True}, name="scheduler-stop", daemon=True
    )
    stopper.start()
    stopper.join(timeout=max(seconds, 0.5))
    if stopper.is_alive():
        logger.warning("shutdown: a reminder tick is still running; leaving it to its lease")
        return False
    return True


def build_runtime(
    settings: Settings,
    *,
    client: WebClient | None = None,
    embedder: CachingEmbedder | None = None,
    load_model: bool | None = None,
    token_verification_enabled: bool = True,
    signature_clock: Callable[[], float] = time.time,
) -> Runtime:
    """Build (not start) the process for `settings.process_role`.

    Args:
        settings: Validated settings.
        client: The Slack WebClient for Bolt (tests point one at the fake API); built from settings
            otherwise.
        embedder: A ready-made embedder; by default the sentence-transformers model, loaded in the
            background from `start()` on, when the role serves Slack and `LIAISON_EMBEDDINGS` is on.
        load_model: Override whether a model is loaded (the default follows `settings.loads_model`).
        token_verification_enabled: Check the bot token with `auth.test` now (fail fast).
        signature_clock: Clock of the request signature check.

    Returns:
        The runtime; `start()` starts its scheduler.

    Raises:
        slack_bolt.error.BoltError: Slack rejected the bot token (one workspace, SLACK_BOT_TOKEN; with
            OAuth installs there is no token to check at start).
        OSError: Slack could not be reached for that check.
    """
    from bot.app import create_app
    from bot.slack.notifier import build_notifier

    role = settings.process_role
    engine = make_serving_engine(
        settings.database_url,
        statement_timeout=settings.database_statement_timeout_seconds,
        pool_timeout=settings.database_pool_timeout_seconds,
    )
    if embedder is None and (settings.loads_model if load_model is None else load_model):
        # Loading starts in `Runtime.start()`: a process that fails to start (token, port) never
        # spends the ~10 s and ~450 MB on it.
        embedder = make_embedder(settings)
    services = Services(
        settings=settings,
        session_factory=make_session_factory(engine),
        clock=SystemClock(),
        embedder=embedder,
    )
    installations = None
    if settings.oauth_enabled:
        from bot.slack.client import build_web_client
        from bot.slack.oauth import build_installation_tokens

        # One set of stored tokens per process, shared by requests and jobs: one cache, and one
        # rotation lock per installation (docs/deployment.md, "Several workspaces").
        installations = build_installation_tokens(services, client or build_web_client(settings))
    services.notifier = build_notifier(settings, installations=installations)
    metrics = Metrics()
    app = None
    listeners = None
    http_slack = role.serves_slack and not settings.slack_app_token
    if role.serves_slack:
        listeners = ListenerExecutor(settings.web_threads)
        try:
            app = create_app(
                settings,
                services,
                client=client,
                token_verification_enabled=token_verification_enabled,
                # Over HTTP, bot.serving.web checks signatures before its replay check (and Bolt would check
                # them again against a second clock); Socket Mode requests carry none.
                verify_signatures=not http_slack,
                # bot.serving.web (HTTP) and bot.serving.socket_mode ack Slack themselves and dispatch on
                # `listeners`, so Bolt runs each listener to its end in that task.
                process_before_response=True,
                listener_executor=listeners,
                installations=installations,
            )
        except BaseException:
            listeners.shutdown(wait=False)
            engine.dispose()
            raise
    scheduler = None
    if role.runs_scheduler:
        from jobs.scheduler import build_scheduler

        scheduler = build_scheduler(services)
        metrics.watch_deliveries(services.session_factory)
    if embedder is not None:
        model = embedder
        metrics.watch_model(lambda: model.ready)
    readiness = Readiness(
        services,
        embedder=embedder,
        scheduler_running=(lambda: bool(scheduler.running)) if scheduler is not None else None,
    )
    web = build_wsgi_app(
        app if http_slack else None,
        services,
        readiness=readiness,
        metrics=metrics,
        clock=signature_clock,
        background=listeners if http_slack else None,
    )
    intake = web.intake
    if app is not None and listeners is not None and not http_slack:
        # Socket Mode: the socket handler records envelopes in the same inbox before acking them.
        intake = build_intake(app, services, listeners, ack_priority=web.ack_priority, metrics=metrics)
    return Runtime(
        settings=settings,
        engine=engine,
        services=services,
        metrics=metrics,
        web=web,
        app=app,
        embedder=embedder,
        scheduler=scheduler,
        listeners=listeners,
        intake=intake,
    )


def make_embedder(settings: Settings) -> CachingEmbedder:
    """The sentence-embedding model of `EMBEDDING_MODEL`, not loaded yet (see `start_embedder`)."""
    from bot.experts.embeddings.cache import CachingEmbedder
    from bot.experts.embeddings.sentence_transformers import SentenceTransformerEmbedder

    return CachingEmbedder(SentenceTransformerEmbedder(settings.embedding_model))


def start_embedder(settings: Settings) -> CachingEmbedder:
    """The sentence-embedding model, loading in a background thread from now on (~10 s, ~450 MB).

    Until it is loaded, questions the rules understand are answered at once and the others wait for
    it (off the request path); `/readyz` reports the instance not ready meanwhile.
    """
    embedder = make_embedder(settings)
    embedder.start_loading()
    return embedder


def check_schema(database_url: str) -> None:
    """Refuse to serve from a database that is not migrated to this code's schema.

    Several web instances must not race to migrate at start; a deployment runs `liaison db upgrade`
    once first (docs/deployment.md).

    Raises:
        RuntimeError: The database is behind (or ahead of) the code; the message says what to run.
    """
    from bot.schema import current_revision, head_revision

    current, head = current_revision(database_url), head_revision()
    if current != head:
        raise RuntimeError(
            f"the database schema is at revision {current or 'none'}, this code needs {head}: "
            "run `liaison db upgrade` first"
        )


def settle_after_start() -> None:
    """Move what the process built at start out of the garbage collector's sight.

    A web process holds about 135,000 long-lived objects once it is built (SQLAlchemy's mappers and
    caches, Bolt, slack_sdk, the settings): every full collection scanned them all again, 50-60 ms
    of CPU each (two in a load benchmark run of 1,100 requests, landing on whatever answers were in
    flight). What is garbage now is collected first; objects made later are collected as usual.
    A process with the model freezes again after its warm-up
    (`bot.questions.answers.warm_up.settle_after_warm_up`).
    """
    gc.collect()
    gc.freeze()


def create_wsgi_app(env: Mapping[str, str] | None = None) -> Runtime:
    """The WSGI application for gunicorn (or any WSGI server): `bot.serving.wsgi:create_wsgi_app()`.

    Reads the settings from the environment (`.env` is not read: give the server the environment),
    configures logging, checks the schema, builds the runtime for the role and starts it. Call once
    per worker process, after the fork (gunicorn without `preload_app`), so that every process has
    its own model, scheduler and database pool.

    Args:
        env: Variables to read instead of `os.environ` (tests).

    Raises:
        SettingsError: A variable is missing or malformed, or Socket Mode is configured.
        RuntimeError: The database schema is not at this code's revision.
    """
    settings = Settings.from_env(os.environ if env is None else env, require_slack=True)
    if settings.slack_app_token and settings.process_role.serves_slack:
        raise SettingsError(
            "SLACK_APP_TOKEN is set: Socket Mode runs with `liaison serve`, not under a WSGI server "
            "(unset it to serve Slack over HTTP)"
        )
    configure_logging(settings.log_level, settings.log_format, secrets=settings_secrets(settings))
    check_schema(settings.database_url)
    runtime = build_runtime(settings)
    runtime.start()
    settle_after_start()
    return runtime
