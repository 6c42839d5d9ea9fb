"""The reminder notifier against the fake Slack Web API: pacing, error kinds, finding a lost post."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.reminders.sending import (
    AmbiguousDeliveryError,
    HistoryUnavailableError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from bot.settings import Settings
from bot.slack.blocks import Reply
from bot.slack.client import CappedBackoff
from bot.slack.notifier import SlackNotifier, build_notifier
from tests.fakes.slack_api import FakeSlackApi

REPLY = Reply(text="hello", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}])


def _notifier(slack_api: FakeSlackApi, *, rate: float = 5.0, timeout: int = 5) -> SlackNotifier:
    settings = Settings(
        slack_bot_token="xoxb-notifier", slack_api_url=slack_api.url, channel_posts_per_second=rate
    )
    return build_notifier(settings, timeout=timeout)


def test_posts_to_one_channel_are_paced_and_others_are_not_held_up(slack_api: FakeSlackApi) -> None:
    slack_api.limit_channel_rate(5.0)  # the fake answers 429 to anything faster
    notifier = _notifier(slack_api, rate=5.0)

    threads = [
        threading.Thread(
            target=notifier.post_reminder, args=(channel, REPLY), kwargs={"key": f"{channel}{n}"}
        )
        for n in range(4)
        for channel in ("C1", "C2")
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(slack_api.messages()) == 8
    assert len(slack_api.calls("chat.postMessage")) == 8  # no 429 was provoked
    for channel in ("C1", "C2"):
        times = sorted(m["at"] for m in slack_api.messages(channel))
        assert all(b - a >= 0.2 for a, b in zip(times, times[1:], strict=False))
    # Both channels went in parallel: four paced posts each take about 0.6 s, not 1.4 s.
    assert time.monotonic() - started < 1.2


def test_a_user_id_posts_to_the_dm_and_metadata_carries_the_key(slack_api: FakeSlackApi) -> None:
    posted = _notifier(slack_api).post_reminder("U02ECBANE", REPLY, key="m1:lead_time:T-0@x")

    assert posted.channel == "D02ECBANE"
    (message,) = slack_api.messages("U02ECBANE")
    assert message["metadata"] == {
        "event_type": "liaison_reminder",
        "event_payload": {"key": "m1:lead_time:T-0@x"},
    }


def test_errors_are_sorted_into_permanent_transient_and_ambiguous(slack_api: FakeSlackApi) -> None:
    notifier = _notifier(slack_api, timeout=1)
    slack_api.fail("chat.postMessage", "channel_not_found")
    with pytest.raises(PermanentDeliveryError, match="channel_not_found"):
        notifier.post_reminder("C404", REPLY, key="k1")

    slack_api.server_error("chat.postMessage", status=502, times=3)  # more than the client retries
    with pytest.raises(TransientDeliveryError):
        notifier.post_reminder("C1", REPLY, key="k2")

    slack_api.drop("chat.postMessage")  # dropped after sending: not resent blindly by the client
    with pytest.raises(AmbiguousDeliveryError):
        notifier.post_reminder("C1", REPLY, key="k3")
    assert len(slack_api.calls("chat.postMessage")) == 1 + 3 + 1


def test_find_reminder_finds_a_post_whose_answer_was_lost(slack_api: FakeSlackApi) -> None:
    notifier = _notifier(slack_api, timeout=1)
    since = datetime.now(UTC) - timedelta(minutes=2)
    slack_api.delay("chat.postMessage", 1.5)
    with pytest.raises(AmbiguousDeliveryError):
        notifier.post_reminder("U01MLOSEI", REPLY, key="m7:lead_time:T-1d@x")
    deadline = time.monotonic() + 3
    while not slack_api.messages() and time.monotonic() < deadline:
        time.sleep(0.05)

    found = notifier.find_reminder("U01MLOSEI", key="m7:lead_time:T-1d@x", since=since)

    assert found is not None and found.channel == "D01MLOSEI"
    assert found.ts == slack_api.messages()[0]["ts"]
    assert notifier.find_reminder("U01MLOSEI", key="m7:other", since=since) is None


@pytest.mark.parametrize(
    "error", ["missing_scope", "not_allowed_token_type", "not_in_channel", "is_archived"]
)
def test_find_reminder_says_when_the_history_will_never_be_readable(
    slack_api: FakeSlackApi, error: str
) -> None:
    slack_api.fail("conversations.history", error)

    with pytest.raises(HistoryUnavailableError) as raised:
        _notifier(slack_api).find_reminder("C1", key="k1", since=datetime.now(UTC))

    assert raised.value.error == error


def test_find_reminder_failing_for_now_is_not_history_unavailable(slack_api: FakeSlackApi) -> None:
    slack_api.fail("conversations.history", "internal_error")

    with pytest.raises(TransientDeliveryError) as raised:
        _notifier(slack_api).find_reminder("C1", key="k1", since=datetime.now(UTC))

    assert not isinstance(raised.value, HistoryUnavailableError)


def test_capped_backoff_grows_with_jitter_and_stops_growing() -> None:
    low, high = CappedBackoff(random_fraction=lambda: 0.0), CappedBackoff(random_fraction=lambda: 1.0)

    assert [low.calculate_sleep_duration(n) for n in range(6)] == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]
    assert [high.calculate_sleep_duration(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_find_reminder_cannot_prove_absence_in_a_longer_history_than_it_searches(
    slack_api: FakeSlackApi,
) -> None:
    # Every page says there is more: a miss in the pages searched proves nothing.
    slack_api.respond("conversations.history", {"messages": [], "response_metadata": {"next_cursor": "more"}})

    with pytest.raises(HistoryUnavailableError) as raised:
        _notifier(slack_api).find_reminder("C1", key="k1", since=datetime.now(UTC))

    assert raised.value.error == "history_too_long"
    assert len(slack_api.calls("conversations.history")) == 5


def test_a_stalled_post_lands_only_when_the_stall_ends_or_never(slack_api: FakeSlackApi) -> None:
    notifier = _notifier(slack_api, timeout=1)
    since = datetime.now(UTC) - timedelta(minutes=2)
    slack_api.stall("chat.postMessage", 1.5, channel="C1")
    slack_api.stall("chat.postMessage", 1.5, channel="C2", lands=False)

    with pytest.raises(AmbiguousDeliveryError):
        notifier.post_reminder("C1", REPLY, key="C1:k")
    assert notifier.find_reminder("C1", key="C1:k", since=since) is None  # still stalling
    with pytest.raises(AmbiguousDeliveryError):
        notifier.post_reminder("C2", REPLY, key="C2:k")
    time.sleep(0.8)

    assert notifier.find_reminder("C1", key="C1:k", since=since) is not None
    assert notifier.find_reminder("C2", key="C2:k", since=since) is None
    assert [m["channel"] for m in slack_api.messages()] == ["C1"]
