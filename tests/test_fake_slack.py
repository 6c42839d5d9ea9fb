"""The fake Slack Web API itself: its fault injection, seen through the real slack_sdk client and its
retry policy (`bot.slack.client.build_web_client`)."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from bot.slack.client import build_web_client
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi


@pytest.fixture
def client(slack_api: FakeSlackApi) -> WebClient:
    return build_web_client(Settings(slack_bot_token="xoxb-fake", slack_api_url=slack_api.url), timeout=1)


def test_rate_limit_is_retried_after_retry_after(client: WebClient, slack_api: FakeSlackApi) -> None:
    slack_api.rate_limit("chat.postMessage", retry_after=1, times=3)

    result = client.chat_postMessage(channel="C1", text="hello")

    assert result["ok"] is True
    attempts = slack_api.calls("chat.postMessage")
    assert len(attempts) == 4
    gaps = [later.at - earlier.at for earlier, later in zip(attempts, attempts[1:], strict=False)]
    assert all(gap >= 1.0 for gap in gaps), gaps


def test_rate_limit_beyond_retries_surfaces_429(client: WebClient, slack_api: FakeSlackApi) -> None:
    slack_api.rate_limit("users.info", retry_after=0, times=4)

    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U1")

    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "0"
    assert len(slack_api.calls("users.info")) == 4


def test_server_error_is_retried(client: WebClient, slack_api: FakeSlackApi) -> None:
    slack_api.server_error("chat.postMessage", status=503, times=2)

    result = client.chat_postMessage(channel="C1", text="hello")

    assert result["ok"] is True
    assert result["channel"] == "C1"
    assert len(slack_api.calls("chat.postMessage")) == 3


def test_dropped_connection_is_retried(client: WebClient, slack_api: FakeSlackApi) -> None:
    slack_api.drop("chat.postMessage")

    result = client.chat_postMessage(channel="C1", text="hello")

    assert result["ok"] is True
    assert len(slack_api.calls("chat.postMessage")) == 2


def test_fail_raises_slack_api_error_with_that_error(client: WebClient, slack_api: FakeSlackApi) -> None:
    slack_api.fail("chat.postMessage", "channel_not_found")

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C404", text="hello")

    assert raised.value.response["error"] == "channel_not_found"
    # Only the next call fails.
    assert client.chat_postMessage(channel="C1", text="again")["ok"] is True


def test_delay_longer_than_timeout_raises_timeout(client: WebClient, slack_api: FakeSlackApi) -> None:
    slack_api.delay("chat.postMessage", 2.5)
    started = time.monotonic()

    with pytest.raises(TimeoutError):
        client.chat_postMessage(channel="C1", text="hello")

    assert time.monotonic() - started < 2.0  # the client gave up at its 1 s timeout


def test_delay_shorter_than_timeout_still_answers(client: WebClient, slack_api: FakeSlackApi) -> None:
    slack_api.delay("chat.postMessage", 0.3)
    started = time.monotonic()

    result = client.chat_postMessage(channel="C1", text="hello")

    assert result["ok"] is True
    assert time.monotonic() - started >= 0.3


def test_calls_record_method_arguments_and_token(client: WebClient, slack_api: FakeSlackApi) -> None:
    client.chat_postMessage(channel="C1", text="hi", blocks=[{"type": "divider"}])

    (call,) = slack_api.calls("chat.postMessage")
    assert call.params["channel"] == "C1"
    assert call.params["blocks"] == [{"type": "divider"}]
    assert call.authorization == "Bearer xoxb-fake"


def test_users_info_answers_from_directory(client: WebClient, slack_api: FakeSlackApi) -> None:
    slack_api.add_user("U02ECBANE", name="Prof. Ingrid Banerjee", tz="Europe/Amsterdam")

    user = client.users_info(user="U02ECBANE")["user"]

    assert (user["real_name"], user["tz"]) == ("Prof. Ingrid Banerjee", "Europe/Amsterdam")
    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U0NOBODY")
    assert raised.value.response["error"] == "user_not_found"


def test_respond_overrides_the_default_answer(client: WebClient, slack_api: FakeSlackApi) -> None:
    slack_api.respond("conversations.info", {"channel": {"id": "C1", "name": "bidshade"}})

    assert client.conversations_info(channel="C1")["channel"]["name"] == "bidshade"


def test_response_url_posts_are_recorded(slack_api: FakeSlackApi) -> None:
    from slack_sdk.webhook import WebhookClient

    response = WebhookClient(slack_api.response_url("r7")).send(text="only you", response_type="ephemeral")

    assert response.status_code == 200
    (call,) = slack_api.wait_for(RESPONSE_URL_METHOD)
    assert call.params["text"] == "only you"
    assert call.params["_response_token"] == "r7"


def test_reset_forgets_calls_and_pending_faults(client: WebClient, slack_api: FakeSlackApi) -> None:
    client.chat_postMessage(channel="C1", text="hello")
    slack_api.fail("chat.postMessage", "channel_not_found")

    slack_api.reset()

    assert slack_api.calls() == []
    assert client.chat_postMessage(channel="C1", text="hello")["ok"] is True
