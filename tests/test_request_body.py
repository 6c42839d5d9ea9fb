"""A request body is parsed once, on the ack path, and its listeners read exactly what was checked.

`bot.serving.slack_body.parse_body` decides the kind and the refusals and hands its parse on to Bolt
(`bot.serving.intake`), instead of Bolt parsing the text again. For every body Slack sends, that is
what Bolt's own parser reads; where Bolt's parser goes wrong (a slash command whose text contains
"payload" reaches it as an empty body), the listener still gets the command.
"""

from __future__ import annotations

import pytest
from slack_bolt.request.internals import parse_body as bolt_parse_body

from bot.cli.console.payloads import SignedBody, SlackPayloads
from bot.services import Services
from bot.serving.slack_body import classify_body, parse_body
from tests.fakes.driver import message_text
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.security.served import ServerPool

PCM_MEMBER = "U11DEAHME"


def _bodies(payloads: SlackPayloads) -> list[SignedBody]:
    return [
        payloads.slash_command("/project", "status bidshade", user_id=PCM_MEMBER),
        payloads.block_action(user_id=PCM_MEMBER, action_id="open_project", value="bidshade"),
        payloads.view_submission(user_id=PCM_MEMBER, callback_id="new_blocker", values={"b": {}}),
        payloads.event(
            {"type": "app_mention", "user": PCM_MEMBER, "text": "hi", "channel": "C1", "ts": "1.2"}
        ),
    ]


def test_the_parsed_body_is_what_bolt_parses_from_the_text(payloads: SlackPayloads) -> None:
    for signed in _bodies(payloads):
        parsed = parse_body(signed.body)

        assert parsed.problem is None
        assert parsed.payload == bolt_parse_body(signed.body, signed.headers["Content-Type"])
        assert (parsed.kind, parsed.problem) == classify_body(signed.body)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{not json", "the JSON body does not parse"),
        ("payload=%5B1%5D", "the interaction payload is not a JSON object"),
    ],
)
def test_a_malformed_body_is_refused_and_carries_no_payload(body: str, problem: str) -> None:
    parsed = parse_body(body)

    assert parsed.problem == problem
    assert parsed.kind == "other"


def test_a_command_whose_text_says_payload_reaches_its_listener(
    services: Services, demo: None, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    signed = payloads.slash_command("/project", "status payload", user_id=PCM_MEMBER)
    # Bolt's own parser would have given the listener an empty body: "payload" is in the text.
    assert bolt_parse_body(signed.body, signed.headers["Content-Type"]) == {}
    pool = ServerPool()
    try:
        served = pool.start(services)
        reply = served.post(signed)
    finally:
        pool.stop_all()

    assert reply.status == 200 and reply.body == b""
    answers = [message_text(call.params) for call in slack_api.calls(RESPONSE_URL_METHOD)]
    assert len(answers) == 1 and "payload" in answers[0]
