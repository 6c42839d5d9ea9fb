"""HTTP mode: a WSGI app serving Slack's requests and a health check, and a threaded server for it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

WsgiApp = Callable[["WSGIEnvironment", "StartResponse"], Iterable[bytes]]


def build_wsgi_app(app: App, services: Services) -> WsgiApp:
    """Route `/slack/events` to Bolt and answer `/healthz` (liveness plus a database ping)."""
    slack = SlackRequestHandler(app, path=SLACK_EVENTS_PATH)

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            return _health(services, start_response)
        return slack(environ, start_response)

    return wsgi


def _health(services: Services, start_response: StartResponse) -> Iterable[bytes]:
    try:
        with services.session_factory() as session:
            session.execute(text("SELECT 1"))
        status, body = "200 OK", {"status": "ok"}
    except SQLAlchemyError as error:
        logger.warning("health check: database unreachable: %s", error)
        status, body = "503 Service Unavailable", {"status": "database unreachable"}
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("http: %s", format % args)


def make_http_server(wsgi_app: WsgiApp, host: str, port: int) -> WSGIServer:
    """A threaded HTTP server (one thread per request, so a slow listener never blocks an ack)."""
    return make_server(host, port, wsgi_app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
