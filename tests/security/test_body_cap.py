"""The body cap: too-large requests get 413 before their body is read or their signature computed."""

from __future__ import annotations

import dataclasses
import io
import socket
from collections.abc import Iterable
from typing import Any

import pytest

from bot.cli.console.payloads import SlackPayloads
from bot.services import Services
from bot.serving.checks import SignatureCheck
from bot.serving.web import LiaisonWsgiApp, build_wsgi_app
from tests.security.served import Served, ServerPool

CAP = 4096


class CountingCheck(SignatureCheck):
    """The real check, counting how often it ran."""

    calls = 0

    def failure(self, body: bytes, timestamp: str | None, signature: str | None) -> str | None:
        CountingCheck.calls += 1
        return super().failure(body, timestamp, signature)


@pytest.fixture
def capped(services: Services) -> Services:
    CountingCheck.calls = 0
    return dataclasses.replace(services, settings=dataclasses.replace(services.settings, max_body_bytes=CAP))


@pytest.fixture
def served(pool: ServerPool, capped: Services) -> Served:
    served = pool.start(capped)
    served.web.signature = CountingCheck(capped.settings.slack_signing_secret)
    return served


def _raw_post(served: Served, head: bytes, body: bytes = b"") -> bytes:
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(head + body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def _head(length: int | str, signature: str = "v0=" + "0" * 64) -> bytes:
    return (
        "POST /slack/events HTTP/1.1\r\nHost: test\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"X-Slack-Request-Timestamp: 1800000000\r\nX-Slack-Signature: {signature}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


@pytest.mark.parametrize("length", [CAP + 1, 10 * 1024**3], ids=["cap+1", "10GiB"])
def test_announced_oversized_body_gets_413_unread_and_unsigned(served: Served, length: int) -> None:
    # Only the headers are sent: a 413 proves the server answered without waiting for the body.
    answer = _raw_post(served, _head(length))

    assert answer.split(b"\r\n", 1)[0].endswith(b"413 Request Entity Too Large")
    assert b'"error": "body of' in answer
    assert CountingCheck.calls == 0


def test_body_exactly_at_the_cap_reaches_the_signature_check(served: Served) -> None:
    answer = _raw_post(served, _head(CAP), b"x" * CAP)

    assert answer.split(b"\r\n", 1)[0].endswith(b"401 Unauthorized")
    assert CountingCheck.calls == 1


def test_oversized_body_with_a_valid_signature_is_refused_too(
    served: Served, payloads: SlackPayloads
) -> None:
    signed = payloads.slash_command("/project", "status " + "x" * CAP, user_id="U02ECBANE")

    reply = served.post(signed)

    assert reply.status == 413
    assert CountingCheck.calls == 0


class _EndlessChunks(io.RawIOBase):
    """A request stream that never ends (a chunked upload that keeps coming), counting bytes read."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = 65536 if size is None or size < 0 else size
        self.read_bytes += size
        return b"a" * size


def _call(app: LiaisonWsgiApp, environ: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []

    def start_response(line: str, headers: Iterable[tuple[str, str]]) -> None:
        status.append(line)

    body = b"".join(app(environ, start_response))  # type: ignore[arg-type]
    return status[0], body


def _environ(stream: Any, **extra: Any) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": stream,
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": "1800000000",
        "HTTP_X_SLACK_SIGNATURE": "v0=" + "0" * 64,
        **extra,
    }


@pytest.fixture
def wsgi_app(capped: Services, app: Any) -> LiaisonWsgiApp:
    web = build_wsgi_app(app, capped)
    web.signature = CountingCheck(capped.settings.slack_signing_secret)
    return web


def test_chunked_body_is_cut_off_one_byte_past_the_cap(wsgi_app: LiaisonWsgiApp) -> None:
    stream = _EndlessChunks()

    status, body = _call(wsgi_app, _environ(stream, **{"wsgi.input_terminated": True}))

    assert status == "413 Request Entity Too Large"
    assert b"chunked body over" in body
    assert stream.read_bytes == CAP + 1
    assert CountingCheck.calls == 0


def test_chunked_body_under_the_cap_is_read_and_checked(wsgi_app: LiaisonWsgiApp) -> None:
    status, _ = _call(wsgi_app, _environ(io.BytesIO(b"y" * CAP), **{"wsgi.input_terminated": True}))

    assert status == "401 Unauthorized"
    assert CountingCheck.calls == 1


def test_body_without_length_on_a_server_that_cannot_end_it_gets_411(wsgi_app: LiaisonWsgiApp) -> None:
    status, _ = _call(wsgi_app, _environ(_EndlessChunks()))

    assert status == "411 Length Required"
    assert CountingCheck.calls == 0


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "١٢"])
def test_malformed_content_length_gets_400(wsgi_app: LiaisonWsgiApp, length: str) -> None:
    status, _ = _call(wsgi_app, _environ(io.BytesIO(b"x"), CONTENT_LENGTH=length))

    assert status == "400 Bad Request"


def test_body_shorter_than_announced_gets_400(wsgi_app: LiaisonWsgiApp) -> None:
    status, _ = _call(wsgi_app, _environ(io.BytesIO(b"short"), CONTENT_LENGTH="100"))

    assert status == "400 Bad Request"


def test_validly_signed_body_that_is_not_utf8_gets_400(served: Served, payloads: SlackPayloads) -> None:
    raw = b"command=%2Fproject&text=\xff\xfe"
    signature = payloads.sign("", "x").headers  # only for the timestamp
    check = SignatureCheck("test-signing-secret")
    import hashlib
    import hmac

    timestamp = signature["X-Slack-Request-Timestamp"]
    digest = hmac.new(b"test-signing-secret", b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    head = _head(len(raw), "v0=" + digest.hexdigest()).replace(b"1800000000", timestamp.encode())
    assert check.failure(raw, timestamp, "v0=" + digest.hexdigest()) is None

    answer = _raw_post(served, head, raw)

    assert answer.split(b"\r\n", 1)[0].endswith(b"400 Bad Request")
