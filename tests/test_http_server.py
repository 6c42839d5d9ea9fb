"""HTTP mode: the WSGI app and threaded server `liaison serve` runs, over real sockets on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine

from bot.app import create_app
from bot.console.payloads import SlackPayloads
from bot.db import make_session_factory
from bot.services import Services
from bot.settings import Settings
from bot.slack.client import build_web_client
from bot.web import build_wsgi_app, make_http_server
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str | None
    seconds: float

    def json(self) -> object:
        return json.loads(self.body)


def _request(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
            return Reply(response.status, body, response.headers["Content-Type"], time.monotonic() - started)
    except urllib.error.HTTPError as error:
        body = error.read()
        return Reply(error.code, body, error.headers["Content-Type"], time.monotonic() - started)


ServerFactory = Callable[[Services], str]


@pytest.fixture
def serve(settings: Settings) -> Iterator[ServerFactory]:
    """Start the real WSGI app (Bolt without process_before_response, as `serve` runs it) on port 0."""
    servers = []

    def start(services: Services) -> str:
        app = create_app(settings, services, client=build_web_client(settings, timeout=5))
        server = make_http_server(build_wsgi_app(app, services), "127.0.0.1", 0)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def base_url(serve: ServerFactory, services: Services, demo: None) -> str:
    return serve(services)


def _post(base_url: str, signed_body: str, headers: dict[str, str], path: str = "/slack/events") -> Reply:
    return _request(f"{base_url}{path}", data=signed_body.encode("utf-8"), headers=headers)


def test_slash_command_is_acked_before_listener_finishes(
    base_url: str, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    # The reply to Slack's response_url hangs for 2 s; the HTTP ack must not wait for it.
    slack_api.delay(RESPONSE_URL_METHOD, 2.0)
    signed = payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE")

    reply = _post(base_url, signed.body, signed.headers)

    assert reply.status == 200
    assert reply.body == b""
    assert reply.seconds < 1.5
    posted = slack_api.wait_for(RESPONSE_URL_METHOD, timeout=5)
    assert len(posted) == 1
    assert "Bid shading for first-price auctions" in json.dumps(posted[0].params["blocks"])
    assert posted[0].params["_response_token"] in signed.body


def test_url_verification_challenge_is_echoed(base_url: str, payloads: SlackPayloads) -> None:
    signed = payloads.sign(
        json.dumps({"token": "legacy", "challenge": "c4allenge", "type": "url_verification"}),
        "application/json",
    )

    reply = _post(base_url, signed.body, signed.headers)

    assert reply.status == 200
    assert b"c4allenge" in reply.body


def test_request_with_bad_signature_is_rejected(
    base_url: str, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    signed = payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE")
    headers = {**signed.headers, "X-Slack-Signature": "v0=" + "0" * 64}

    reply = _post(base_url, signed.body, headers)

    assert reply.status == 401
    assert slack_api.calls(RESPONSE_URL_METHOD) == []


def test_request_with_tampered_body_is_rejected(base_url: str, payloads: SlackPayloads) -> None:
    signed = payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE")

    reply = _post(base_url, signed.body.replace("U02ECBANE", "U12ETSTEI"), signed.headers)

    assert reply.status == 401


def test_request_older_than_five_minutes_is_rejected(
    base_url: str, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    body = payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE").body
    # Correctly signed, but replayed six minutes later.
    stale = payloads.sign(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 6 * 60)

    reply = _post(base_url, stale.body, stale.headers)

    assert reply.status == 401
    assert slack_api.calls(RESPONSE_URL_METHOD) == []


def test_request_without_signature_headers_is_rejected(base_url: str) -> None:
    body = urlencode({"command": "/project", "text": "status bidshade", "user_id": "U02ECBANE"})

    reply = _post(base_url, body, {"Content-Type": "application/x-www-form-urlencoded"})

    assert reply.status == 401


def test_health_reports_ok_when_database_answers(base_url: str) -> None:
    reply = _request(f"{base_url}/healthz")

    assert reply.status == 200
    assert reply.content_type == "application/json"
    assert reply.json() == {"status": "ok"}


def test_health_reports_503_when_database_is_unreachable(
    serve: ServerFactory, services: Services, tmp_path: Path
) -> None:
    not_a_directory = tmp_path / "plain-file"
    not_a_directory.write_text("", encoding="utf-8")
    # SQLite cannot create a database inside a regular file, so every connection attempt fails.
    broken = create_engine(f"sqlite:///{not_a_directory / 'liaison.db'}")
    base_url = serve(
        Services(
            settings=services.settings, session_factory=make_session_factory(broken), clock=services.clock
        )
    )

    reply = _request(f"{base_url}/healthz")

    assert reply.status == 503
    assert reply.json() == {"status": "database unreachable"}
    broken.dispose()


def test_unknown_path_is_404(base_url: str, payloads: SlackPayloads) -> None:
    signed = payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE")

    assert _request(f"{base_url}/nope").status == 404
    assert _post(base_url, signed.body, signed.headers, path="/slack/other").status == 404


def test_slow_client_does_not_block_other_requests(base_url: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    # A client that sends half a request and stalls: a single-threaded server would hang on it.
    with socket.create_connection((host, int(port)), timeout=5) as stalled:
        stalled.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")

        reply = _request(f"{base_url}/healthz")

    assert reply.status == 200
    assert reply.seconds < 2
