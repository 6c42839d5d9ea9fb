"""Signed but malformed bodies are refused with 400 before any listener, never answered with a 500.

Slack never sends these, but a valid signature proves only who sent a body, not that it is well formed
(issue 16, D5): JSON nested thousands of levels deep (a RecursionError in the parser), a `payload` that is
not JSON or not an object, an envelope that is a list, a view submission without `state`.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from bot.cli.console.payloads import SlackPayloads
from bot.services import Services
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.security.served import ServerPool

FORM = "application/x-www-form-urlencoded"
DEEP = "[" * 5000 + "]" * 5000


def _view_submission_without_state() -> str:
    payload = {
        "type": "view_submission",
        "team": {"id": "T0DEMO"},
        "user": {"id": "U02ECBANE"},
        "view": {"id": "V1", "callback_id": "milestone_modal", "private_metadata": "{}"},
    }
    return urlencode({"payload": json.dumps(payload)})


MALFORMED = {
    "json nested 5,000 deep": ('{"type": "event_callback", "event": ' + DEEP + "}", "application/json"),
    "json envelope is a list": ("[1, 2, 3]", "application/json"),
    "json envelope does not parse": ('{"type": "event_callback", ', "application/json"),
    "payload is not json": (urlencode({"payload": "not json at all"}), FORM),
    "payload is a list": (urlencode({"payload": "[1, 2]"}), FORM),
    "payload nested 5,000 deep": (urlencode({"payload": DEEP}), FORM),
    "view submission without state": (_view_submission_without_state(), FORM),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_signed_body_is_refused_with_400_and_the_server_keeps_answering(
    case: str,
    pool: ServerPool,
    services: Services,
    payloads: SlackPayloads,
    slack_api: FakeSlackApi,
    demo: None,
) -> None:
    served = pool.start(services)
    body, content_type = MALFORMED[case]

    refused = served.post(payloads.sign(body, content_type))

    assert refused.status == 400, refused.body
    assert b"Traceback" not in refused.body
    # Nothing reached a listener, and the next well-formed request is answered as usual.
    answered = served.post(payloads.slash_command("/project", "status bidshade", user_id="U02ECBANE"))
    assert answered.status == 200
    assert len(slack_api.calls(RESPONSE_URL_METHOD)) == 1
