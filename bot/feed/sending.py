"""How a feed post leaves the process: the `FeedSender` protocol (bot/slack implements it).

The errors are the reminders' (`bot.reminders.sending`): a sender sorts the chat platform's failures into
not installed, permanent, transient and ambiguous, and the feed tick acts on those alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.feed.messages import FeedPost
from bot.reminders.sending import PostedMessage


class FeedSender(Protocol):
    """Posts feed messages and finds ones already posted, by an item key in the message's metadata."""

    def send_feed(self, post: FeedPost, /) -> PostedMessage:
        """Post `post` to `post.target`, tagged with every key in `post.keys`.

        Returns:
            Where it was posted.

        Raises:
            NotInstalledError: Nothing can be sent to that workspace.
            PermanentDeliveryError: It was refused for good.
            AmbiguousDeliveryError: It may or may not have been posted.
            TransientDeliveryError: It was not posted; try again later.
        """
        ...

    def find_feed(
        self, target: str, /, *, key: str, since: datetime, team_id: str | None = None
    ) -> PostedMessage | None:
        """Look for a feed post carrying `key` posted to `target` since `since`.

        Raises:
            HistoryUnavailableError: The conversation's history cannot be read, now or later.
            DeliveryError: It could not be looked for this time.
        """
        ...
