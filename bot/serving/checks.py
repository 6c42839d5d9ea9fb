"""The checks a request to `/slack/events` passes before Bolt sees it: body cap, signature, replay.

`bot.serving.web` applies them in that order, cheapest refusal first (its module docstring tells the
whole path of a request):

- `read_body`: a `Content-Length` over the cap is refused with 413 before a byte of the body is read,
  and a body without a length (chunked) as soon as it grows past the cap;
- `SignatureCheck`: HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret, and the timestamp
  within 300 s of now either way (Slack's rule, as `slack_sdk.signature.SignatureVerifier` applies it:
  `abs(now - ts) > 300` is refused), on one injectable clock so tests can check the exact edges;
- `claim_first_delivery`: the SHA-256 of the body (which contains the trigger id, response URL and
  action timestamps, and cannot change without breaking the signature) is claimed once in the
  database (`bot.slack.replay.claim_once`, shared by every instance), because Slack's signatures stay
  valid for five minutes and carry no nonce.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO

from bot.services import Services
from bot.slack.replay import claim_once

if TYPE_CHECKING:
    from wsgiref.types import WSGIEnvironment

SIGNATURE_WINDOW_SECONDS = 300
REPLAY_KEY_PREFIX = "replay:"
READ_CHUNK_BYTES = 64 * 1024


class RequestRefused(Exception):
    """A request refused before it reached Bolt; carries the HTTP status and the metrics outcome."""

    def __init__(self, status: int, outcome: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.outcome = outcome


def read_body(environ: WSGIEnvironment, limit: int) -> bytes:
    """Read a request body of at most `limit` bytes, refusing a bigger one as early as possible.

    Args:
        environ: The WSGI environment.
        limit: The largest body accepted, in bytes.

    Returns:
        The raw body.

    Raises:
        RequestRefused: 413 when the body is (or announces it is) bigger than `limit`, without reading
            it; 411 when there is neither a length nor a server that ends the stream (reading would
            wait for the client to hang up); 400 for a malformed length or a body cut short.
    """
    stream: BinaryIO = environ["wsgi.input"]
    raw_length = str(environ.get("CONTENT_LENGTH") or "").strip()
    if raw_length:
        if not raw_length.isascii() or not raw_length.isdigit():
            raise RequestRefused(400, "bad_request", "Content-Length is not a number")
        length = int(raw_length)
        if length > limit:
            raise RequestRefused(413, "too_large", f"body of {length} bytes is over the {limit}-byte cap")
        body = _read_up_to(stream, length)
        if len(body) < length:
            raise RequestRefused(400, "bad_request", "body shorter than its Content-Length")
        return body
    if environ.get("wsgi.input_terminated"):
        # A chunked body (gunicorn de-chunks it and ends the stream): read one byte past the cap at most.
        body = _read_up_to(stream, limit + 1)
        if len(body) > limit:
            raise RequestRefused(413, "too_large", f"chunked body over the {limit}-byte cap")
        return body
    raise RequestRefused(411, "bad_request", "no Content-Length")


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(min(READ_CHUNK_BYTES, remaining))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class SignatureCheck:
    """Slack's request signature (v0) with the 300-second window, on the raw body bytes.

    Args:
        signing_secret: The app's signing secret.
        clock: Seconds since the epoch; `time.time` except in tests.
        window: Accepted distance between the request's timestamp and now, either way.
    """

    def __init__(
        self,
        signing_secret: str,
        *,
        clock: Callable[[], float] = time.time,
        window: int = SIGNATURE_WINDOW_SECONDS,
    ) -> None:
        if not signing_secret:
            raise ValueError("a signing secret is required to verify Slack's requests")
        self._secret = signing_secret.encode("utf-8")
        self._clock = clock
        self._window = window

    def failure(self, body: bytes, timestamp: str | None, signature: str | None) -> str | None:
        """Why the request is not genuine, or None when it is.

        Args:
            body: The raw body, exactly as received.
            timestamp: `X-Slack-Request-Timestamp`.
            signature: `X-Slack-Signature` (`v0=<hex>`).

        Returns:
            `"missing"`, `"malformed"`, `"stale"` or `"bad_signature"`; None for a valid request.
        """
        if not timestamp or not signature:
            return "missing"
        # Digits only: int() would also take " 12", "+12", "1_2" and non-ASCII digits.
        if not timestamp.isascii() or not timestamp.isdigit():
            return "malformed"
        if abs(self._clock() - int(timestamp)) > self._window:
            return "stale"
        digest = hmac.new(self._secret, b"v0:" + timestamp.encode("ascii") + b":" + body, hashlib.sha256)
        expected = b"v0=" + digest.hexdigest().encode("ascii")
        # WSGI header values are latin-1 strings; bytes make compare_digest accept any of them.
        if not hmac.compare_digest(expected, signature.encode("latin-1", "replace")):
            return "bad_signature"
        return None


def replay_key(raw_body: bytes) -> str:
    """The replay ledger's key for a request: its body's SHA-256, under `REPLAY_KEY_PREFIX`."""
    return REPLAY_KEY_PREFIX + hashlib.sha256(raw_body).hexdigest()


def claim_first_delivery(services: Services, key: str) -> bool:
    """Record a request's replay key; True the first time it is seen, False for a replay.

    Args:
        services: For the database (the ledger every instance shares) and the clock.
        key: The request's `replay_key`.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: The database is out of reach.
    """
    return claim_once(services.session_factory, key, services.clock.now())
