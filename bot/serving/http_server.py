"""The threaded HTTP server of `liaison serve`: one thread per request, and a graceful stop.

Gunicorn runs the same WSGI application in production (`bot.serving.wsgi`); this server is for one
process without it (development, the demo, small installs, tests).
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from socketserver import BaseServer
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

WsgiApp = Callable[["WSGIEnvironment", "StartResponse"], Iterable[bytes]]

# Lingering close: how long to wait for, and how much to drain of, a body left unread.
_LINGER_SECONDS = 2.0
_LINGER_BYTES = 1024 * 1024
_LINGER_CHUNK_BYTES = 64 * 1024
_QUERY_RE = re.compile(r"\?[^\s\"]*")
# A calendar feed's path is its secret (docs/calendar.md).
_CALENDAR_TOKEN_RE = re.compile(r"/calendar/[^\s\"?]+")


class _QuietHandler(WSGIRequestHandler):
    # A client that stops sending mid-request is dropped after this many seconds instead of holding
    # its thread (and a graceful shutdown) forever.
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        # Never a query string (the OAuth redirect's carries the install code and state), nor a
        # calendar feed's token.
        line = _CALENDAR_TOKEN_RE.sub("/calendar/…", _QUERY_RE.sub("?…", format % args))
        logger.debug("http: %s", line)


class GracefulWSGIServer(WSGIServer):
    """A WSGI server with one thread per request that can wait for the requests it is serving.

    `socketserver.ThreadingMixIn` can only join its threads without a time limit (or not at all); a
    graceful shutdown needs "wait up to N seconds for in-flight requests".
    """

    # The listen backlog: Python's default of 5 resets connections in a burst of Slack requests
    # (gunicorn uses 2048; the kernel may cap it at net.core.somaxconn).
    request_queue_size = 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._active: set[threading.Thread] = set()
        self._active_lock = threading.Lock()
        self._idle = threading.Condition(self._active_lock)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Handle each connection in its own (daemon) thread, tracked until it finishes."""
        thread = threading.Thread(
            target=self._handle, args=(request, client_address), name="http-request", daemon=True
        )
        with self._active_lock:
            self._active.add(thread)
        thread.start()

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            with self._idle:
                self._active.discard(threading.current_thread())
                self._idle.notify_all()

    def shutdown_request(self, request: Any) -> None:
        """Close a connection without losing the answer to an unread body (a lingering close).

        After a 413 the body was never read; closing a socket with unread data makes the kernel send
        a reset, which can destroy the response the client has not read yet. So: end our side, read
        and discard a little of what the client still sends, then close.
        """
        try:
            request.shutdown(socket.SHUT_WR)
            request.settimeout(_LINGER_SECONDS)
            discarded = 0
            while discarded < _LINGER_BYTES:
                chunk = request.recv(_LINGER_CHUNK_BYTES)
                if not chunk:
                    break
                discarded += len(chunk)
        except OSError:
            pass
        self.close_request(request)

    def wait_for_requests(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the requests in progress; True when none is left."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._active:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True


def make_http_server(wsgi_app: WsgiApp, host: str, port: int) -> GracefulWSGIServer:
    """A threaded HTTP server (one thread per request, so a slow listener never blocks an ack).

    Args:
        wsgi_app: The application, normally a `LiaisonWsgiApp`.
        host: Address to listen on.
        port: Port; 0 asks the OS for a free one (see `server_port`).
    """
    server = GracefulWSGIServer((host, port), _QuietHandler)
    server.set_app(wsgi_app)
    return server


def stop_http_server(server: BaseServer, wait_seconds: float) -> bool:
    """Stop accepting, then wait up to `wait_seconds` for the requests in flight.

    Call from a thread other than the one in `serve_forever`.

    Returns:
        True when every request finished in time.
    """
    server.shutdown()
    finished = server.wait_for_requests(wait_seconds) if isinstance(server, GracefulWSGIServer) else True
    server.server_close()
    return finished
