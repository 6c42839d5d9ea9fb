"""The HTTP side of the fake Slack Web API (`bot.cli.console.fake_slack`): a server on 127.0.0.1.

It turns a POST to `/api/<method>` (or to a `response_url`, `/response/<token>`) into one call of a
`WebApiCalls` with the arguments as Slack's clients send them (form-encoded or JSON), and writes the
`WebApiReply` it gets back onto the wire: a JSON answer, a plain-text one, or a connection closed
unanswered. What to answer is entirely the `WebApiCalls`' business.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl

# `response_url` posts are handled (and recorded) as calls of a method of this name.
RESPONSE_URL_METHOD = "response_url"
# Seconds between the fakes' checks for `shutdown()` (socketserver's default is 0.5): every test
# starts and stops a fake, and a stop waits for the next check. Polling this often costs ~0.1% CPU.
FAKE_POLL_INTERVAL = 0.005


@dataclass(frozen=True)
class WebApiReply:
    """What to send back for one call.

    Args:
        status: The HTTP status.
        body: A JSON answer.
        text: A plain-text answer, when `body` is None (what Slack answers at a `response_url`).
        headers: Extra headers (`Retry-After`).
        drop: Close the connection without an answer instead.
    """

    status: int = 200
    body: dict[str, Any] | None = None
    text: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


class WebApiCalls(Protocol):
    """What answers the calls the server receives (`FakeSlackApi`)."""

    def handle_call(self, method: str, params: dict[str, Any], authorization: str | None) -> WebApiReply:
        """Answer one call of `method` with `params`, sent with the `Authorization` header given."""
        ...


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when many clients post at once (the
    # reminder load tests); Slack itself does not.
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a `delay` longer than its timeout) leaves a broken pipe behind: that
        # is the fault working, not a crash worth a traceback on stderr.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def start_web_api_server(calls: WebApiCalls) -> ThreadingHTTPServer:
    """Serve `calls` on 127.0.0.1, on a port the OS picks, from a daemon thread.

    Stop it with `shutdown()`, then `server_close()`.
    """
    server = _Server(("127.0.0.1", 0), _make_handler(calls))
    # A short poll interval keeps `shutdown()` (and so every test using the fake) fast: it waits for
    # the serving loop's next poll (50 ms a test at 0.05, across two thousand tests).
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": FAKE_POLL_INTERVAL},
        name="fake-slack",
        daemon=True,
    )
    thread.start()
    return server


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "application/json" in content_type:
        parsed = json.loads(raw.decode("utf-8"))
        return parsed if isinstance(parsed, dict) else {"payload": parsed}
    params: dict[str, Any] = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    # slack_sdk form-encodes lists and dicts (blocks, attachments, view) as JSON strings.
    for key in ("blocks", "attachments", "view", "metadata"):
        value = params.get(key)
        if isinstance(value, str) and value[:1] in "[{":
            params[key] = json.loads(value)
    return params


def _make_handler(calls: WebApiCalls) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # keep test and console output clean

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            params = _parse_body(raw, self.headers.get("Content-Type", ""))
            # GET-style query args (some clients send them on the URL).
            if "?" in self.path:
                path, query = self.path.split("?", 1)
                params = {**dict(parse_qsl(query)), **params}
            else:
                path = self.path
            if path.startswith("/response/"):
                method = RESPONSE_URL_METHOD
                params = {**params, "_response_token": path.removeprefix("/response/")}
            elif path.startswith("/api/"):
                method = path.removeprefix("/api/")
            else:
                self._send(404, "application/json", _json({"ok": False, "error": "unknown_path"}))
                return
            reply = calls.handle_call(method, params, self.headers.get("Authorization"))
            if reply.drop:
                self.close_connection = True
                self.connection.close()
            elif reply.body is not None:
                self._send(reply.status, "application/json", _json(reply.body), reply.headers)
            else:
                self._send(reply.status, "text/plain", reply.text.encode("utf-8"), reply.headers)

        def _send(
            self, status: int, media_type: str, data: bytes, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", f"{media_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode("utf-8")
