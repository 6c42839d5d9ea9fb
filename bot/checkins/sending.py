"""How check-in messages leave the process: the `CheckinSender` protocol (bot/slack implements it).

The errors are the reminders' (`bot.reminders.sending`): not installed, permanent, transient and
ambiguous; the check-in tick acts on those alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.checkins.content import CheckinQuestion, CheckinSummary
from bot.reminders.sending import PostedMessage


class CheckinSender(Protocol):
    """Posts questions and summaries tagged with their key, and finds them again by that key."""

    def send_question(self, question: CheckinQuestion, /) -> PostedMessage:
        """DM the three questions to `question.target`, tagged with `question.key`.

        Raises:
            NotInstalledError: Nothing can be sent to that workspace.
            PermanentDeliveryError: It was refused for good.
            AmbiguousDeliveryError: It may or may not have been posted.
            TransientDeliveryError: It was not posted; try again later.
        """
        ...

    def send_summary(self, summary: CheckinSummary, /) -> PostedMessage:
        """Post a round's summary to `summary.target`, tagged with `summary.key` (errors as above)."""
        ...

    def find_checkin(
        self, target: str, /, *, key: str, since: datetime, team_id: str | None = None
    ) -> PostedMessage | None:
        """Look for a check-in message carrying `key` posted to `target` since `since`.

        Raises:
            HistoryUnavailableError: The conversation's history cannot be read, now or later.
            DeliveryError: It could not be looked for this time.
        """
        ...
