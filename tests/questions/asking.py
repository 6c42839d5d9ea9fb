"""Asking Liaison one question in a DM through the real Bolt path, and reading its one answer."""

from __future__ import annotations

from typing import Any

from tests.fakes.driver import Exchange, SlackDriver


def ask_in_dm(slack: SlackDriver, user: str, text: str, *, ts: str = "1790000001.000100") -> Exchange:
    """A DM message event from `user` (each test's DM starts a new conversation)."""
    event = {"type": "message", "channel_type": "im", "user": user, "channel": "D" + user[1:], "text": text}
    return slack.event({**event, "ts": ts})


def the_answer(exchange: Exchange) -> dict[str, Any]:
    """The one message the question was answered with (posted or ephemeral)."""
    posts = exchange.of("chat.postMessage") + exchange.of("chat.postEphemeral")
    assert exchange.status == 200 and len(posts) == 1, posts
    return posts[0].params
