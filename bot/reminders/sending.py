"""How a reminder leaves the process: the `Sender` protocol and the errors a sender raises.

The tick (`bot.reminders.dispatch`) hands a sender domain content (`bot.reminders.content.Content`),
never a chat message: rendering and posting are the sender's business. In production the sender is
`bot.slack.notifier.SlackNotifier`, which renders the content as Block Kit and posts it; the benchmark
passes a stand-in. Errors are sorted by what the tick should do next, so it never needs to know the
chat platform's error codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.reminders.content import Content


@dataclass(frozen=True)
class PostedMessage:
    """Where a message landed: the conversation (a DM's `D…` id for a user) and its `ts`."""

    channel: str
    ts: str


class DeliveryError(Exception):
    """A message could not be delivered (or looked for); `error` is the platform's error code or a
    short description."""

    def __init__(self, error: str, *, retry_after: float | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.retry_after = retry_after


class NotInstalledError(DeliveryError):
    """Liaison is not installed in the message's workspace (never, uninstalled, or its token revoked)."""


class PermanentDeliveryError(DeliveryError):
    """The message was refused for a reason retrying will not change."""


class TransientDeliveryError(DeliveryError):
    """The message was not delivered this time (rate limit, platform or network trouble); retry later."""


class AmbiguousDeliveryError(TransientDeliveryError):
    """The request was sent but no answer came (timeout, dropped connection): it may have been posted."""


class HistoryUnavailableError(DeliveryError):
    """The conversation's history cannot be read (no permission, no such conversation), now or later:
    whether an earlier attempt was posted cannot be found out."""


class Sender(Protocol):
    """Delivers composed reminders and finds ones already delivered, by their delivery key.

    Implementations must be safe to call from several threads at once (the tick sends from a pool).
    The leading arguments are positional-only, so implementations may name them as they like.
    """

    def send_reminder(
        self, target: str, content: Content, /, *, key: str, team_id: str | None = None
    ) -> PostedMessage:
        """Deliver `content` to `target`, tagged with the delivery `key` so `find_reminder` finds it.

        A combined DM (`bot.reminders.content.DirectMessage`) settles several deliveries: it must be
        tagged with every key in `content.keys`, and `find_reminder` must find it by any of them.

        Args:
            target: A channel id, or a user id for the app's DM with that user.
            content: What the reminder says.
            key: The delivery's unique key (a combined DM's first).
            team_id: The workspace it goes to.

        Returns:
            Where it was posted.

        Raises:
            NotInstalledError: Nothing can be sent to that workspace.
            PermanentDeliveryError: It was refused for good.
            AmbiguousDeliveryError: It may or may not have been posted.
            TransientDeliveryError: It was not posted; try again later.
        """
        ...

    def find_reminder(
        self, target: str, /, *, key: str, since: datetime, team_id: str | None = None
    ) -> PostedMessage | None:
        """Look for a reminder with this delivery key posted since `since` (before sending it again).

        Args:
            target: Where it would have been posted.
            key: Its delivery key.
            since: The first attempt's time (with some margin).
            team_id: The workspace.

        Returns:
            The message if found, else None.

        Raises:
            HistoryUnavailableError: The conversation's history cannot be read, now or later.
            DeliveryError: It could not be looked for this time.
        """
        ...
