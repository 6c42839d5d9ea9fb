"""The WSGI application every HTTP deployment runs: routing, the fast ack, dispatch to the listener pool.

Routes: `POST /slack/events` (Bolt), `GET /healthz` (liveness: the process answers), `GET /readyz`
(readiness, `bot.serving.readiness`: database reachable, embedding model loaded where this process
needs it, not shutting down) and `GET /metrics` (Prometheus); with OAuth installs (`SLACK_CLIENT_ID`),
also `GET /slack/install` and `GET /slack/oauth_redirect`; `GET|HEAD /calendar/<token>.ics` serves calendar
feeds (`bot.serving.calendar_route`, docs/calendar.md). The same application runs under gunicorn
(`bot.serving.wsgi`) and in `liaison serve`'s threaded server (`bot.serving.http_server`), so both
paths share every check below.

The two OAuth routes are visited by an installer's browser, not by Slack: they carry no signature
and are protected by the OAuth state instead (a one-time value in the database, matched against a
cookie set on the installer's browser, expiring after ten minutes). Only the body cap applies to
them; they skip the signature and replay checks.

A request to `/slack/events` passes, in this order, and the cheap refusals come first (steps 1-3 are
`bot.serving.checks`):

1. the body cap: a `Content-Length` over `LIAISON_MAX_BODY_BYTES` is refused with 413 before a byte of
   the body is read, and a body without a length (chunked) is refused as soon as it grows past the
   cap; no signature is computed for either;
2. the signature: HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret, and the timestamp
   within 300 s of now either way (Slack's rule, as `slack_sdk.signature.SignatureVerifier` applies
   it: `abs(now - ts) > 300` is refused), else 401. The clock is injectable so tests can check the exact
   edges. Bolt's own check is switched off behind this one (one clock, one answer);
3. replay: Slack's signatures stay valid for five minutes and carry no nonce, so a captured request
   could be sent again. The SHA-256 of the body (which contains the trigger id, response URL and
   action timestamps, and cannot change without breaking the signature) is recorded once in the
   database, shared by every instance; a repeat is acked with an empty 200 and not acted on. Slack's
   own retries of an event are repeats too (the same body), and the app also drops every repeated
   event by its `event_id` before any listener runs (`bot.slack.replay.once_per_event`);
4. Bolt, built by the runtime with `process_before_response` on: a dispatch runs the listener to its
   end in the dispatching thread. Requests whose ack never carries content in Liaison (slash
   commands, `block_actions`, events, `shortcut` and `message_action`) are recorded in the durable
   inbox first (`bot.serving.inbox`: one insert, whose unique body hash is also step 3's check), then
   answered with an empty 200 and run from the record on the runtime's listener pool (`ack()` there
   only records the ack: the HTTP answer was already sent), so an ack waits for no listener thread
   and no other request's work, and a process killed after the ack leaves the request to another
   instance instead of losing it. A record the database refuses is answered at once: a command with
   its ephemeral "cannot reach the database" answer in the ack, a click through its `response_url`,
   an event with a 503 (Slack retries it); a record still unwritten after `ACK_WRITE_BUDGET_SECONDS`
   is settled after the ack. Everything whose ack can carry a body (`view_submission` errors,
   `view_closed`, `block_suggestion` options, the `url_verification` challenge, `ssl_check` and
   anything unrecognised) is replay-checked in the ledger (`bot.slack.replay.claim_once`), dispatched
   here and answered with Bolt's ack once its listener has finished (Liaison's form handlers validate,
   save, ack, then send one confirmation; a form a crash cut off shows the user Slack's own error);
5. acks first: steps 2-4 run inside `AckPriority.acking()` (a form's synchronous dispatch excepted:
   its listener mostly waits on Slack's API), and work on the listener pool waits until no request is
   being acked (at most 1.5 s), because acks and listeners share the interpreter lock and only the ack
   has a deadline (`bot.serving.ack_priority`).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from contextlib import ExitStack
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.db import shares_one_connection
from bot.services import Services
from bot.serving.ack_priority import AckPriority
from bot.serving.calendar_route import CALENDAR_PREFIX, serve_calendar
from bot.serving.checks import RequestRefused, SignatureCheck, claim_first_delivery, read_body, replay_key
from bot.serving.inbox import Inbox, process_identity
from bot.serving.intake import DATABASE_UNREACHABLE, Recorded, RecordedRequests
from bot.serving.logs import REQUEST_ID, first_line
from bot.serving.metrics import Metrics
from bot.serving.readiness import Readiness
from bot.serving.slack_body import parse_body
from bot.slack.read_only import reads_only

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
# An id a load balancer or proxy passed on is reused if it looks like one; anything else is replaced.
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
# Acked here with an empty 200 before Bolt sees them: their acks never carry content in Liaison.
FAST_ACK_KINDS = frozenset({"command", "block_actions", "event", "shortcut", "message_action"})


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


def _json(status: int, data: dict[str, Any]) -> _Response:
    return _Response(status, json.dumps(data).encode("utf-8"), (("Content-Type", "application/json"),))


class LiaisonWsgiApp:
    """The WSGI application: Slack's requests through the checks above, plus health, readiness, metrics.

    Args:
        bolt: The Bolt app; None in a process that does not serve Slack (worker role), where
            `/slack/events` is 404.
        services: For the replay ledger and the clock.
        readiness: What `/readyz` checks.
        signature: The signature check; required when `bolt` is given.
        max_body_bytes: The body cap.
        metrics: Where to count; a fresh `Metrics` by default.
        background: Where requests acked here are dispatched to Bolt (see `build_wsgi_app`).
        ack_priority: Holds work dispatched to `background` back while other requests are being acked;
            a fresh `AckPriority` by default.
        intake: Where requests acked before their listener runs are recorded and run from (required
            with `background`); see `bot.serving.intake`.
    """

    def __init__(
        self,
        *,
        bolt: App | None,
        services: Services,
        readiness: Readiness,
        signature: SignatureCheck | None,
        max_body_bytes: int,
        metrics: Metrics | None = None,
        background: Executor | None = None,
        ack_priority: AckPriority | None = None,
        intake: RecordedRequests | None = None,
    ) -> None:
        if bolt is not None and signature is None:
            raise ValueError("serving Slack over HTTP needs a signature check")
        if bolt is not None and background is not None and intake is None:
            raise ValueError("requests acked before their listener runs need an inbox")
        self.bolt = bolt
        self.services = services
        self.readiness = readiness
        self.signature = signature
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics or Metrics()
        # Where fast-acked requests go to Bolt; None dispatches every request here (tests, no runtime).
        self.background = background
        self.ack_priority = ack_priority or AckPriority()
        self.intake = intake if bolt is not None else None

    def start(self) -> None:
        """Start taking recorded requests from the inbox (those this process did not ack itself)."""
        if self.intake is not None:
            self.intake.start()

    def start_draining(self) -> None:
        """Report not ready from now on, so load balancers stop sending new requests."""
        self.readiness.draining.set()

    def stop_taking_work(self) -> None:
        """Take no more requests from the inbox (a graceful stop; the ones held are handed back later)."""
        if self.intake is not None:
            self.intake.stop_taking_work()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Handle one request (WSGI)."""
        request_id = _request_id(environ)
        token = REQUEST_ID.set(request_id)
        self.metrics.in_flight.inc()
        route = "other"
        try:
            path = environ.get("PATH_INFO") or "/"
            method = environ.get("REQUEST_METHOD", "GET")
            if path == SLACK_EVENTS_PATH and self.bolt is not None:
                route = "slack"
                response = self._slack(environ, method)
            elif self._is_oauth_path(path):
                route = "oauth"
                response = self._oauth(environ, method, path)
            elif path in (HEALTH_PATH, READY_PATH, METRICS_PATH) and method not in ("GET", "HEAD"):
                route = path.strip("/")
                response = _Response(405, b"", (("Allow", "GET, HEAD"),))
            elif path.startswith(CALENDAR_PREFIX):
                route = "calendar"  # the path is a secret: never in a log line or a metric label
                response = _Response(*serve_calendar(self.services, environ, method, path))
            elif path == HEALTH_PATH:
                route = "healthz"
                response = _json(200, {"status": "ok"})
            elif path == READY_PATH:
                route = "readyz"
                response = self._ready()
            elif path == METRICS_PATH:
                route = "metrics"
                data, content_type = self.metrics.exposition()
                response = _Response(200, data, (("Content-Type", content_type),))
            else:
                response = _Response(404, b"Not Found", (("Content-Type", "text/plain; charset=utf-8"),))
        except Exception:
            logger.exception("request to %s failed", environ.get("PATH_INFO"))
            response = _json(500, {"error": "internal error"})
        finally:
            self.metrics.in_flight.dec()
            REQUEST_ID.reset(token)
        self.metrics.count_http_request(route, response.status)
        body = b"" if environ.get("REQUEST_METHOD") == "HEAD" else response.body
        headers = [
            *response.headers,
            ("Content-Length", str(len(body))),
            ("X-Request-Id", request_id),
        ]
        start_response(f"{response.status} {HTTPStatus(response.status).phrase}", headers)
        return [body]

    def _is_oauth_path(self, path: str) -> bool:
        flow = self.bolt.oauth_flow if self.bolt is not None else None
        return flow is not None and path in (flow.install_path, flow.redirect_uri_path)

    def _oauth(self, environ: WSGIEnvironment, method: str, path: str) -> _Response:
        """The installer's browser: start an install, or come back from Slack's consent page."""
        assert self.bolt is not None and self.bolt.oauth_flow is not None
        flow = self.bolt.oauth_flow
        if method not in ("GET", "HEAD"):
            return _Response(405, b"", (("Allow", "GET, HEAD"),))
        try:
            # A browser's GET has no body; one that says it has a big one is refused unread all the same.
            length = str(environ.get("CONTENT_LENGTH") or "").strip()
            raw = read_body(environ, self.max_body_bytes) if length not in ("", "0") else b""
        except RequestRefused as refused:
            logger.info("refused an OAuth request with %d: %s", refused.status, refused)
            return _json(refused.status, {"error": str(refused)})
        request = BoltRequest(
            body=raw.decode("utf-8", "replace"),
            query=environ.get("QUERY_STRING", ""),
            headers=dict(_headers(environ)),
        )
        try:
            if path == flow.install_path:
                answer = flow.handle_installation(request)
            else:
                answer = flow.handle_callback(request)
        except SQLAlchemyError as error:
            # The state store is out of reach; never the query string in the line (code and state).
            logger.error("OAuth %s failed, the database is unreachable: %s", path, first_line(error))
            return _json(503, {"error": "database unavailable"})
        return _from_bolt(answer)

    def _ready(self) -> _Response:
        ready, checks = self.readiness.check()
        if ready:
            return _json(200, {"status": "ready", "checks": checks})
        reasons = [f"{name}: {state}" for name, state in checks.items() if state != "ok"]
        return _json(503, {"status": "not ready", "reason": "; ".join(reasons), "checks": checks})

    def _slack(self, environ: WSGIEnvironment, method: str) -> _Response:
        assert self.bolt is not None and self.signature is not None
        started = time.monotonic()
        kind = "unknown"
        if method != "POST":
            return _Response(405, b"", (("Allow", "POST"),))
        try:
            raw = read_body(environ, self.max_body_bytes)
        except RequestRefused as refused:
            return self._refused(kind, refused)
        # Reading waited on the client (a slow one must not hold listener work back); what follows
        # is CPU work, the ack proper, which listener work waits for (`AckPriority`).
        with ExitStack() as ack_mark:
            ack_mark.enter_context(self.ack_priority.acking())
            return self._ack(environ, raw, started, end_ack_mark=ack_mark.close)

    def _ack(
        self, environ: WSGIEnvironment, raw: bytes, started: float, *, end_ack_mark: Callable[[], None]
    ) -> _Response:
        assert self.bolt is not None and self.signature is not None
        kind = "unknown"
        try:
            headers = _headers(environ)
            failure = self.signature.failure(
                raw, headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
            )
            if failure is not None:
                # Never the body or the signature: a log line must not help anyone forge one.
                raise RequestRefused(
                    401, "stale" if failure == "stale" else "bad_signature", f"signature check: {failure}"
                )
            try:
                body = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise RequestRefused(400, "bad_request", "body is not UTF-8") from None
            parsed = parse_body(body)
            kind = parsed.kind
            if parsed.problem is not None:
                raise RequestRefused(400, "bad_request", parsed.problem)
            query = environ.get("QUERY_STRING", "")
            if kind in FAST_ACK_KINDS and self.intake is not None:
                return self._record_then_ack(raw, body, query, headers, parsed.payload, kind, started)
            slack_retry = kind == "event" and "x-slack-retry-num" in headers
            if not slack_retry and not self._claim(raw):
                return self._replayed(kind)
            request = BoltRequest(body=body, query=query, headers=dict(headers))
            # A form's listener runs here to its end, mostly waiting on Slack's API: listener work
            # need not wait for that, only for the checks above.
            end_ack_mark()
            try:
                answer = self.bolt.dispatch(request)
            except Exception:
                # Bolt hands listener errors to the app's error handler; this is a failure around them.
                logger.exception("Bolt failed on a Slack %s request", kind)
                self.metrics.count_slack_request(kind, "error")
                return _json(500, {"error": "internal error"})
        except RequestRefused as refused:
            return self._refused(kind, refused)
        except SQLAlchemyError as error:
            # The replay ledger is out of reach; so is everything a listener would do. Slack retries
            # events on a 5xx; a user sees "failed with the error dispatch_failed" and can try again.
            logger.error("cannot record a Slack request, the database is unreachable: %s", first_line(error))
            self.metrics.count_slack_request(kind, "error")
            return _json(503, {"error": "database unavailable"})
        response = _from_bolt(answer)
        outcome = "accepted" if response.status < 500 else "error"
        self.metrics.count_slack_request(kind, outcome)
        return self._acked(kind, started, response)

    def _refused(self, kind: str, refused: RequestRefused) -> _Response:
        logger.info("refused a Slack request with %d: %s", refused.status, refused)
        self.metrics.count_slack_request(kind, refused.outcome)
        error = "invalid request" if refused.status == 401 else str(refused)
        return _json(refused.status, {"error": error})

    def _acked(self, kind: str, started: float, response: _Response) -> _Response:
        elapsed = time.monotonic() - started
        self.metrics.observe_ack(kind, elapsed)
        logger.info("slack %s answered %d in %.1f ms", kind, response.status, elapsed * 1000)
        return response

    def _replayed(self, kind: str) -> _Response:
        logger.warning("dropped a replayed Slack request (%s)", kind)
        self.metrics.count_slack_request(kind, "replay")
        return _Response(200)

    def _record_then_ack(
        self,
        raw: bytes,
        body: str,
        query: str,
        headers: dict[str, str],
        payload: dict[str, Any],
        kind: str,
        started: float,
    ) -> _Response:
        """Record the request in the inbox, then ack it; its listener runs from the record."""
        assert self.intake is not None
        # Liaison's own headers are set by Liaison only (`x-liaison-transport`), never by a client.
        headers = {name: value for name, value in headers.items() if not name.startswith("x-liaison-")}
        recorded = self.intake.record(
            kind=kind, key=replay_key(raw), body=body, query=query, headers=headers, parsed=payload
        )
        if recorded is Recorded.REPLAY:
            return _Response(200)  # counted and logged by the intake
        if recorded is Recorded.UNREACHABLE and kind == "command":
            # A slash command's ack may carry its answer: the user reads it at once.
            return self._acked(
                kind, started, _json(200, {"response_type": "ephemeral", "text": DATABASE_UNREACHABLE})
            )
        if kind == "event" and recorded is not Recorded.ACCEPTED:
            # Slack retries an event answered with a 5xx (a retry of a slow write that landed after all
            # is then dropped as a replay).
            return self._acked(kind, started, _json(503, {"error": "database unavailable"}))
        return self._acked(kind, started, _Response(200))

    def _claim(self, raw: bytes) -> bool:
        return claim_first_delivery(self.services, replay_key(raw))


def build_wsgi_app(
    app: App | None,
    services: Services,
    *,
    readiness: Readiness | None = None,
    metrics: Metrics | None = None,
    clock: Callable[[], float] = time.time,
    background: Executor | None = None,
) -> LiaisonWsgiApp:
    """The WSGI application for `app`, configured from `services.settings` (secret, body cap).

    Args:
        app: The Bolt app, or None for a process that only reports health and metrics.
        services: Settings, sessions and clock.
        readiness: What `/readyz` checks; the database only by default.
        metrics: Where to count; a fresh set by default.
        clock: The signature check's clock (seconds since the epoch).
        background: Where requests acked here are dispatched to Bolt (the runtime's listener pool,
            drained on shutdown); the Bolt app must then run listeners to their end when dispatched
            (`process_before_response`). None: every request is dispatched before answering.
    """
    settings = services.settings
    signature = SignatureCheck(settings.slack_signing_secret, clock=clock) if app is not None else None
    metrics = metrics or Metrics()
    ack_priority = AckPriority()
    intake = None
    if app is not None and background is not None:
        intake = build_intake(app, services, background, ack_priority=ack_priority, metrics=metrics)
    return LiaisonWsgiApp(
        bolt=app,
        services=services,
        readiness=readiness or Readiness(services),
        signature=signature,
        max_body_bytes=settings.max_body_bytes,
        metrics=metrics,
        background=background,
        ack_priority=ack_priority,
        intake=intake,
    )


def build_intake(
    app: App, services: Services, listeners: Executor, *, ack_priority: AckPriority, metrics: Metrics
) -> RecordedRequests:
    """The inbox of requests acked before their listener runs, for one process (HTTP or Socket Mode)."""
    settings = services.settings
    inbox = Inbox(
        services.engine, services.clock, owner=process_identity(), lease_seconds=settings.inbox_lease_seconds
    )
    return RecordedRequests(
        app,
        inbox,
        listeners,
        ack_priority=ack_priority,
        metrics=metrics,
        queue_limit=settings.inbox_queue_limit,
        # Each request thread may wait on one write, and stuck writes (a stalled database) keep theirs.
        writers=2 * settings.web_threads,
        # A pool of one shared connection (an in-memory SQLite database) cannot read while it writes.
        answers_early=None
        if shares_one_connection(services.engine)
        else lambda payload: reads_only(
            settings, str(payload.get("command", "")), str(payload.get("text", ""))
        ),
    )


def _from_bolt(answer: BoltResponse) -> _Response:
    # Bolt's headers are lists per name; the WSGI layer sets Content-Length itself.
    headers = tuple(
        (name, value)
        for name, values in answer.headers.items()
        if name.lower() != "content-length"
        for value in values
    )
    return _Response(answer.status, answer.body.encode("utf-8"), headers)


def _headers(environ: WSGIEnvironment) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key in ("CONTENT_LENGTH", "CONTENT_TYPE"):
            headers[key.lower().replace("_", "-")] = str(value)
        elif key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-")] = str(value)
    return headers


def _request_id(environ: WSGIEnvironment) -> str:
    given = str(environ.get("HTTP_X_REQUEST_ID") or "")
    return given if _REQUEST_ID_RE.match(given) else uuid.uuid4().hex[:16]
