"""Answers posted to a request's `response_url` over kept-alive connections.

Bolt's own `respond` builds a webhook client and opens a new connection for every answer (in
production a TCP and TLS handshake to hooks.slack.com per reply), which made the answer the dearest
step of a cheap command after the command itself (docs/benchmarks.md, issue 16). `ResponseUrlPoster`
keeps one HTTP/1.1 connection per listener thread and host, and `PooledRespond` is a drop-in `Respond`
that posts through it; `bot.app` puts one in every request's context that has a `response_url`. An
answer may be held until its request is recorded (`ANSWER_HOLD`).

A kept connection the other side has closed while it sat idle is noticed before it is reused (it reads
as end-of-file), and a post that fails on a reused connection before any answer came back is sent once
more on a new one: that is the server's keep-alive timeout, not a lost answer. A post that fails on a
new connection raises, as Bolt's does.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import select
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from ssl import SSLContext
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import Respond
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookResponse

# A kept connection idle longer than this is closed rather than reused: load balancers in front of
# Slack drop idle connections after a minute or so, and a fresh handshake is cheaper than a failure.
MAX_IDLE_SECONDS = 30.0
# Linux's socket option to acknowledge received data at once (see `_ack_at_once`); None elsewhere.
_TCP_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)
# Errors of a reused connection that the other side closed between two answers.
_STALE_CONNECTION_ERRORS = (
    http.client.RemoteDisconnected,
    http.client.BadStatusLine,
    ConnectionResetError,
    BrokenPipeError,
)


class _Kept:
    """One kept connection and when it was last used."""

    def __init__(self, connection: http.client.HTTPConnection) -> None:
        self.connection = connection
        self.idle_since = time.monotonic()


class ResponseUrlPoster:
    """Posts JSON to `response_url`s, keeping one connection per thread and host.

    Args:
        timeout: Seconds for connecting and for the answer (Bolt's webhook client waits 30).
        ssl: The TLS context for https URLs (the Web API client's, so both trust the same roots).
        user_agent: The User-Agent header.
    """

    def __init__(self, *, timeout: float = 30.0, ssl: SSLContext | None = None, user_agent: str = "") -> None:
        self._timeout = timeout
        self._ssl = ssl
        self._headers = {"Content-Type": "application/json;charset=utf-8"}
        if user_agent:
            self._headers["User-Agent"] = user_agent
        self._local = threading.local()

    def post(self, url: str, message: Mapping[str, Any]) -> WebhookResponse:
        """Post `message` as JSON to `url` and return Slack's answer (status and body).

        Raises:
            OSError: The post could not be delivered (refused, timed out, reset on a new connection).
            ValueError: `url` is not an http(s) URL.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        target = parts.path or "/"
        if parts.query:
            target += f"?{parts.query}"
        body = json.dumps(message).encode("utf-8")
        key = (parts.scheme, parts.netloc)
        kept = self._take(key)
        reused = kept is not None
        if kept is None:
            kept = _Kept(self._connect(parts.scheme, parts.hostname, parts.port))
        try:
            status, headers, text = self._exchange(kept.connection, target, body)
        except _STALE_CONNECTION_ERRORS:
            kept.connection.close()
            if not reused:
                raise
            kept = _Kept(self._connect(parts.scheme, parts.hostname, parts.port))
            try:
                status, headers, text = self._exchange(kept.connection, target, body)
            except OSError:
                kept.connection.close()
                raise
        except OSError:
            kept.connection.close()
            raise
        if headers.get("connection", "").lower() == "close":
            kept.connection.close()
        else:
            kept.idle_since = time.monotonic()
            self._connections()[key] = kept
        return WebhookResponse(url=url, status_code=status, body=text, headers=dict(headers))

    def close(self) -> None:
        """Close this thread's kept connections."""
        for kept in self._connections().values():
            kept.connection.close()
        self._connections().clear()

    def _connections(self) -> dict[tuple[str, str], _Kept]:
        connections: dict[tuple[str, str], _Kept] | None = getattr(self._local, "connections", None)
        if connections is None:
            connections = self._local.connections = {}
        return connections

    def _take(self, key: tuple[str, str]) -> _Kept | None:
        kept = self._connections().pop(key, None)
        if kept is None:
            return None
        if time.monotonic() - kept.idle_since > MAX_IDLE_SECONDS or _closed_by_peer(kept.connection):
            kept.connection.close()
            return None
        return kept

    def _connect(self, scheme: str, host: str, port: int | None) -> http.client.HTTPConnection:
        if scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=self._timeout, context=self._ssl)
        return http.client.HTTPConnection(host, port, timeout=self._timeout)

    def _exchange(
        self, connection: http.client.HTTPConnection, target: str, body: bytes
    ) -> tuple[int, http.client.HTTPMessage, str]:
        connection.request("POST", target, body=body, headers=self._headers)
        _ack_at_once(connection)
        response = connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        return response.status, response.headers, text


def _ack_at_once(connection: http.client.HTTPConnection) -> None:
    """Have the kernel acknowledge the answer's segments as they are read, not up to 40 ms later.

    A request/response exchange on a kept connection puts Linux in its "interactive" mode, where the
    acknowledgement of a received segment waits (up to 40 ms) for data to ride along with. A server
    that writes the answer's headers and body in two sends with Nagle's algorithm on (Python's
    `http.server`, the fake Slack's, among them) holds the body back until the headers are
    acknowledged: each answer then took 40 ms, the listener thread blocked for all of it (in a burst of
    200, eight threads answering one per 45 ms doubled the last answer's time). A new connection per
    answer (Bolt's) never showed it: a connection starts in quick-acknowledgement mode. Set after the
    request is sent, because sending re-enters the interactive mode; elsewhere than Linux, a no-op.
    """
    sock = connection.sock
    if sock is None or _TCP_QUICKACK is None:
        return
    with contextlib.suppress(OSError):  # only an optimisation: the answer still comes, if later
        sock.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)


def _closed_by_peer(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle kept connection was closed by the other side (or has unexpected bytes)."""
    sock = connection.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    # An idle HTTP/1.1 connection has nothing to read: readable means end-of-file or garbage.
    return bool(readable)


# Set around a listener that runs before its request is recorded (`bot.serving.intake`, read-only
# commands answered while their record is written): called before an answer is posted, it waits for the
# record and says whether the answer may go. False (a replay, a record that failed or is late) posts
# nothing: such a request either did nothing or is run again from its record.
ANSWER_HOLD: ContextVar[Callable[[], bool] | None] = ContextVar("answer_hold", default=None)


class PooledRespond(Respond):
    """Bolt's `respond`, posting through a `ResponseUrlPoster` (same arguments, same return value)."""

    def __init__(self, *, response_url: str, poster: ResponseUrlPoster) -> None:
        super().__init__(response_url=response_url)
        self._poster = poster

    def __call__(
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[dict[str, Any] | Block] | None = None,
        attachments: Sequence[dict[str, Any] | Attachment] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        """Post a message to the request's `response_url` (a whole message dict may be given as `text`)."""
        if isinstance(text, dict):
            message = response_message(**text)
        else:
            message = response_message(
                text=text,
                blocks=blocks,
                attachments=attachments,
                response_type=response_type,
                replace_original=replace_original,
                delete_original=delete_original,
                unfurl_links=unfurl_links,
                unfurl_media=unfurl_media,
                thread_ts=thread_ts,
                metadata=metadata,
            )
        assert self.response_url is not None  # set in __init__
        hold = ANSWER_HOLD.get()
        if hold is not None and not hold():
            return WebhookResponse(url=self.response_url, status_code=204, body="", headers={})
        return self._poster.post(self.response_url, message)


def response_message(text: str = "", **fields: Any) -> dict[str, Any]:
    """The JSON body of a `response_url` post, as Bolt builds it: `text` always, the other fields when
    set (blocks and attachments when not empty, as dicts)."""
    message: dict[str, Any] = {"text": text}
    for name, value in fields.items():
        if value is None:
            continue
        if name in ("blocks", "attachments"):
            if not value:
                continue
            value = [item.to_dict() if hasattr(item, "to_dict") else item for item in value]
        message[name] = value
    return message
