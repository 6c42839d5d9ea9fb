"""Answers to `response_url` over kept-alive connections (bot/slack/response_url.py), against a real
HTTP server on 127.0.0.1 that counts connections and can close them behind the client's back."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.cli.console.fake_slack_http import FAKE_POLL_INTERVAL
from bot.slack import response_url
from bot.slack.response_url import PooledRespond, ResponseUrlPoster


class _Hooks(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.connections = 0
        self.posts: list[dict[str, Any]] = []
        self.close_after_answer = False  # a keep-alive timeout, without saying so
        self.drop_before_answer = False
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self) -> Any:
        accepted = super().get_request()
        self.connections += 1
        return accepted

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/commands/T1/123/abc"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Hooks

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.server.drop_before_answer:
            self.close_connection = True
            return
        self.server.posts.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        if self.server.close_after_answer:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hooks() -> Iterator[_Hooks]:
    server = _Hooks()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": FAKE_POLL_INTERVAL}, daemon=True
    )
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_answers_from_one_thread_share_one_connection(hooks: _Hooks) -> None:
    poster = ResponseUrlPoster(timeout=5)
    for n in range(3):
        response = PooledRespond(response_url=hooks.url, poster=poster)(
            text=f"answer {n}", response_type="ephemeral"
        )
        assert (response.status_code, response.body) == (200, "ok")
    assert [post["text"] for post in hooks.posts] == ["answer 0", "answer 1", "answer 2"]
    assert hooks.posts[0] == {"text": "answer 0", "response_type": "ephemeral"}
    assert hooks.connections == 1


def test_every_answer_is_read_with_quick_acknowledgements(
    hooks: _Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each answer, on a new or a kept connection, is read after the request went out, with the
    # connected socket set to acknowledge at once (a server that sends headers and body apart would
    # otherwise hold the body back until a delayed acknowledgement of the headers, up to 40 ms).
    sent_before: list[bool] = []
    original = response_url._ack_at_once

    def recording(connection: Any) -> None:
        sent_before.append(connection.sock is not None)
        original(connection)

    monkeypatch.setattr(response_url, "_ack_at_once", recording)
    poster = ResponseUrlPoster(timeout=5)
    for n in range(3):
        assert PooledRespond(response_url=hooks.url, poster=poster)(text=f"answer {n}").status_code == 200
    assert sent_before == [True, True, True]
    assert hooks.connections == 1


def test_a_connection_closed_while_idle_is_replaced_and_nothing_is_sent_twice(hooks: _Hooks) -> None:
    poster = ResponseUrlPoster(timeout=5)
    hooks.close_after_answer = True
    for n in range(3):
        assert PooledRespond(response_url=hooks.url, poster=poster)(text=f"answer {n}").status_code == 200
    assert [post["text"] for post in hooks.posts] == ["answer 0", "answer 1", "answer 2"]
    assert hooks.connections == 3


def test_a_post_dropped_on_a_new_connection_raises(hooks: _Hooks) -> None:
    poster = ResponseUrlPoster(timeout=5)
    hooks.drop_before_answer = True
    with pytest.raises(OSError):
        PooledRespond(response_url=hooks.url, poster=poster)(text="lost")
    assert hooks.posts == []


def test_a_whole_message_and_block_lists_are_sent_as_bolt_sends_them(hooks: _Hooks) -> None:
    poster = ResponseUrlPoster(timeout=5)
    respond = PooledRespond(response_url=hooks.url, poster=poster)
    respond({"text": "t", "replace_original": True})
    respond(text="b", blocks=[{"type": "divider"}], attachments=[])
    assert hooks.posts == [
        {"text": "t", "replace_original": True},
        {"text": "b", "blocks": [{"type": "divider"}]},
    ]


def test_only_http_urls_are_posted_to() -> None:
    with pytest.raises(ValueError, match="not an http"):
        ResponseUrlPoster().post("file:///etc/passwd", {"text": "x"})
