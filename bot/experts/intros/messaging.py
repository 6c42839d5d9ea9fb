"""How the intro flow reaches the requester and the expert: a protocol that the Slack layer implements.

The flow (`bot.experts.intros.flow`) decides what must be said to whom and what to undo when it cannot
be; an implementation (`bot.slack.intro_messenger.SlackIntroMessenger`) decides how it looks and sends
it. Every method raises `DeliveryFailed` when the message could not be sent (or, after a timeout, may
not have been).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.experts.intros.views import IntroView


@dataclass(frozen=True)
class MessageRef:
    """A posted message: its channel and timestamp, enough to update it later."""

    channel: str
    ts: str


class DeliveryFailed(Exception):
    """A message could not be delivered.

    Attributes:
        reason: A short code for logs and for the person told about it (Slack's error code, or the
            kind of network failure).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IntroMessenger(Protocol):
    """The messages of an introduction."""

    def send_request(self, intro: IntroView) -> MessageRef:
        """DM the expert the request with Accept and Decline buttons; returns the posted message.

        Raises:
            DeliveryFailed: The DM was not sent.
        """
        ...

    def introduce(self, intro: IntroView) -> str:
        """Open a group DM with the requester and the expert and introduce them; returns its channel.

        Raises:
            DeliveryFailed: The group DM could not be opened or posted to.
        """
        ...

    def show_decision(self, intro: IntroView, message: MessageRef) -> None:
        """Replace the expert's request DM (`message`) with their decision, without buttons.

        Raises:
            DeliveryFailed: The DM was not updated.
        """
        ...

    def tell_declined(self, intro: IntroView) -> None:
        """DM the requester that the expert declined.

        Raises:
            DeliveryFailed: The DM was not sent.
        """
        ...
