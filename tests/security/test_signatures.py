"""Request signatures: a known-answer vector, the exact ±300 s edges, and malformed headers (401, not 500).

The server's signature check runs on an injected clock, so the edges are tested at exactly 300 and
301 seconds, not approximately.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import itertools

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.cli.console.payloads import SignedBody, SlackPayloads
from bot.services import Services
from bot.serving.checks import SignatureCheck
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.security.served import ManualClock, ServerPool, http_request

# Slack's worked example ("Verifying requests from Slack"): secret, timestamp, body and the signature
# Slack publishes for them.
DOCS_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOCS_TIMESTAMP = "1531420618"
DOCS_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
DOCS_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
NOW = 1_800_000_000


def _independent_signature(secret: str, timestamp: str, body: str) -> str:
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()


def _post(url: str, body: str, timestamp: str, signature: str) -> int:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    return http_request(f"{url}/slack/events", data=body.encode(), headers=headers).status


def test_known_answer_vector_is_accepted_and_nothing_else(pool: ServerPool, services: Services) -> None:
    assert _independent_signature(DOCS_SECRET, DOCS_TIMESTAMP, DOCS_BODY) == DOCS_SIGNATURE
    settings = dataclasses.replace(services.settings, slack_signing_secret=DOCS_SECRET)
    served = pool.start(
        dataclasses.replace(services, settings=settings), clock=ManualClock(int(DOCS_TIMESTAMP))
    )
    hex_part = DOCS_SIGNATURE.removeprefix("v0=")
    near_misses = [
        "v0=" + hex_part[:-1] + ("4" if hex_part[-1] != "4" else "5"),  # one hex digit off
        "v0=" + hex_part.upper(),
        hex_part,
        "v1=" + hex_part,
        DOCS_SIGNATURE + "0",
        "v0=" + _independent_signature("another-secret", DOCS_TIMESTAMP, DOCS_BODY)[3:],
    ]

    refused = [_post(served.url, DOCS_BODY, DOCS_TIMESTAMP, signature) for signature in near_misses]
    accepted = _post(served.url, DOCS_BODY, DOCS_TIMESTAMP, DOCS_SIGNATURE)

    assert refused == [401] * len(near_misses)
    assert accepted == 200  # an unknown command: Bolt acks it, nothing else happens
    assert _post(served.url, DOCS_BODY + "&x=1", DOCS_TIMESTAMP, DOCS_SIGNATURE) == 401


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-301, 401), (-300, 200), (-1, 200), (0, 200), (1, 200), (300, 200), (301, 401)],
    ids=lambda value: str(value),
)
def test_timestamp_window_edges(
    offset: int,
    status: int,
    pool: ServerPool,
    services: Services,
    payloads: SlackPayloads,
    slack_api: FakeSlackApi,
    demo: None,
) -> None:
    served = pool.start(services, clock=ManualClock(NOW))
    body = payloads.slash_command("/project", "list", user_id="U02ECBANE").body
    signed = payloads.sign(body, "application/x-www-form-urlencoded", timestamp=NOW + offset)
    assert signed.headers["X-Slack-Signature"] == _independent_signature(
        "test-signing-secret", str(NOW + offset), body
    )

    reply = served.post(signed)

    assert reply.status == status
    assert len(slack_api.calls(RESPONSE_URL_METHOD)) == (1 if status == 200 else 0)


def test_check_agrees_with_slack_sdk_on_every_offset_around_the_window() -> None:
    body = b"token=x&command=%2Fproject&text=list"
    for now, offset in itertools.product((NOW, NOW + 0.25, NOW + 0.999), [x / 4 for x in range(-1212, 1213)]):
        timestamp = str(int(NOW + offset))
        signature = _independent_signature("s3cret", timestamp, body.decode())

        ours = SignatureCheck("s3cret", clock=lambda now=now: now).failure(body, timestamp, signature) is None
        theirs = SignatureVerifier("s3cret", clock=_SdkClock(now)).is_valid(body, timestamp, signature)

        assert ours == theirs, (now, timestamp)


class _SdkClock:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


@pytest.mark.parametrize(
    "timestamp",
    ["", "abc", "1e9", " 1800000000", "+1800000000", "-5", "1_800_000_000", "9" * 400, "１８００"],
)
def test_malformed_timestamp_is_refused_without_error(timestamp: str) -> None:
    check = SignatureCheck("s3cret", clock=lambda: NOW)
    body = b"command=%2Fproject"

    assert (
        check.failure(body, timestamp, _independent_signature("s3cret", timestamp, body.decode())) is not None
    )


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [("abc", "v0=00"), ("1e9", "v0=00"), ("", ""), ("9" * 400, "v0=00"), (str(NOW), "v0=\xe9\xff")],
    ids=["letters", "exponent", "empty", "huge", "latin1-signature"],
)
def test_malformed_signature_headers_get_401_not_500(
    timestamp: str, signature: str, pool: ServerPool, services: Services
) -> None:
    served = pool.start(services, clock=ManualClock(NOW))
    signed = SignedBody(
        "command=%2Fproject&text=list",
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        },
    )

    assert served.post(signed).status == 401
