"""The change feed in Slack: Block Kit for feed posts, and the `FeedSender` that posts them.

A feed post is built from segments (`bot.feed.messages`), each escaped here: user text never becomes
markup, and a person becomes a mention only from an id shaped like Slack's. The notification text
(`text`) names people instead of mentioning them and is escaped too (`Reply.as_kwargs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.feed.messages import FeedLine, FeedPost, Segment, Style, plain
from bot.projects.people import is_slack_user_id
from bot.reminders.sending import PostedMessage
from bot.slack import blocks as kit
from bot.slack.notifier import SlackNotifier

# Message metadata event type of feed posts (reminders use `liaison_reminder`).
FEED_EVENT_TYPE = "liaison_feed"


def render_segment(segment: Segment) -> str:
    """One segment as escaped mrkdwn."""
    if segment.style is Style.PERSON:
        if is_slack_user_id(segment.text):
            return f"<@{segment.text}>"
        return kit.escape(f"@{segment.name}")
    escaped = kit.escape(segment.text)
    if segment.style is Style.STRONG:
        return f"*{escaped}*"
    if segment.style is Style.CODE:
        return "`" + escaped.replace("`", "'") + "`"
    return escaped


def render_line(line: FeedLine) -> str:
    """A line as escaped mrkdwn, its emoji first."""
    return f"{line.icon} " + "".join(render_segment(s) for s in line.segments)


def build_feed_reply(post: FeedPost) -> kit.Reply:
    """A feed post: a channel's heading (project and number of changes) and one section per change."""
    sections = [kit.section(render_line(line)) for line in post.lines]
    summary = "; ".join(plain(line.segments) for line in post.lines)
    if post.personal:
        return kit.Reply(text=summary, blocks=sections)
    name = post.project_name or ""
    count = len(post.lines)
    heading = kit.context(
        f":newspaper: *{kit.truncate_escaped(name, 150)}* (`{kit.escape(post.project_key or '')}`)"
        + (f" · {count} changes" if count > 1 else "")
    )
    return kit.Reply(text=f"{name}: {summary}", blocks=[heading, *sections])


class SlackFeedSender:
    """Posts feed messages through the reminders' notifier (pacing, typed errors, token per workspace),
    tagged `liaison_feed` with every item key in the metadata, and finds them again by key.

    Args:
        notifier: The jobs' notifier (`bot.slack.notifier.build_notifier`).
    """

    def __init__(self, notifier: SlackNotifier) -> None:
        self._notifier = notifier

    def send_feed(self, post: FeedPost, /) -> PostedMessage:
        """Post a feed message (`bot.feed.sending.FeedSender`)."""
        keys: Sequence[str] = post.keys
        return self._notifier.post_reminder(
            post.target,
            build_feed_reply(post),
            key=keys[0],
            keys=keys,
            team_id=post.team_id,
            event_type=FEED_EVENT_TYPE,
        )

    def find_feed(
        self, target: str, /, *, key: str, since: datetime, team_id: str | None = None
    ) -> PostedMessage | None:
        """Look for a feed post carrying `key` (`bot.feed.sending.FeedSender`)."""
        return self._notifier.find_reminder(
            target, key=key, since=since, team_id=team_id, event_type=FEED_EVENT_TYPE
        )
