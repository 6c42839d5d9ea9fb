"""Helpers for multi-turn transcripts: DMs, @mentions and assistant threads through the real Bolt path."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tests.fakes.driver import Exchange, SlackDriver, message_text
from tests.fakes.slack_api import FakeSlackApi, RecordedCall

BOT = FakeSlackApi.bot_user_id
BANERJEE = "U02ECBANE"  # leads bidshade
OSEI = "U01MLOSEI"  # on bidshade and fatigue; not on the private fairdelivery
RAO = "U03MSRAO"  # owns the overdue pcm-2 and uplift-1
KOVALENKO = "U01MLKOV"  # member of the private project fairdelivery
# What only fairdelivery's members may read.
PRIVATE_WORDS = (
    "fairdelivery",
    "Fairness audit of ad delivery",
    "Audit protocol",
    "Paired-campaign",
    "C1FAIR",
    "U12ETSTEI",
    "Rebecca Stein",
)

_timestamps = itertools.count(1)


def next_ts() -> str:
    """A fresh, increasing Slack message ts."""
    return f"1790{next(_timestamps):06d}.000100"


def posts(calls: Sequence[RecordedCall]) -> list[RecordedCall]:
    """The messages (public or ephemeral) among the calls."""
    return [c for c in calls if c.method in ("chat.postMessage", "chat.postEphemeral")]


def said(exchange: Exchange) -> str:
    """Everything the bot posted in reply to one request."""
    return "\n".join(message_text(c.params) for c in posts(exchange.calls))


def dm_channel(user: str) -> str:
    """The user's DM with Liaison, as the demo names it."""
    return "D" + user[1:]


@dataclass
class DirectMessages:
    """A person writing to Liaison in its DM (top level, or in a thread of it)."""

    slack: SlackDriver
    user: str
    thread_ts: str | None = None

    def say(self, text: str) -> Exchange:
        """Send one message and return what it caused."""
        event: dict[str, Any] = {
            "type": "message",
            "channel_type": "im",
            "user": self.user,
            "channel": dm_channel(self.user),
            "text": text,
            "ts": next_ts(),
        }
        if self.thread_ts:
            event["thread_ts"] = self.thread_ts
        exchange = self.slack.event(event)
        assert exchange.status == 200
        return exchange


@dataclass
class ChannelThread:
    """@mentions of Liaison in one channel thread (started by the first mention)."""

    slack: SlackDriver
    channel: str = "C0GENERAL"
    thread_ts: str | None = None

    def mention(self, user: str, text: str) -> Exchange:
        """@liaison in the thread (the first one starts it, as a top-level message)."""
        ts = next_ts()
        event: dict[str, Any] = {
            "type": "app_mention",
            "user": user,
            "channel": self.channel,
            "text": f"<@{BOT}> {text}",
            "ts": ts,
        }
        if self.thread_ts is None:
            self.thread_ts = ts
        else:
            event["thread_ts"] = self.thread_ts
        exchange = self.slack.event(event)
        assert exchange.status == 200
        return exchange
