"""`IntroMessenger` over Slack's Web API: the messages of an introduction, rendered and sent."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.experts.intros.messaging import DeliveryFailed, MessageRef
from bot.experts.intros.views import IntroView
from bot.slack.expert_blocks import (
    build_declined_notice,
    build_expert_decided_message,
    build_expert_request_message,
    build_group_introduction,
)


class SlackIntroMessenger:
    """Sends an introduction's messages as Liaison; Slack errors and timeouts become `DeliveryFailed`.

    Args:
        client: The Web API client of the workspace the click came from.
        expert_command: The `/expert` command's name, quoted in the decline notice.
    """

    def __init__(self, client: WebClient, *, expert_command: str) -> None:
        self._client = client
        self._expert_command = expert_command

    def send_request(self, intro: IntroView) -> MessageRef:
        """DM the expert the request with Accept and Decline buttons."""
        try:
            # A user id as channel posts in Liaison's DM with them (the im:write scope opens it).
            posted = self._client.chat_postMessage(
                channel=intro.expert.slack_id, **build_expert_request_message(intro).as_kwargs()
            )
        except (SlackApiError, OSError) as error:
            raise DeliveryFailed(_reason(error)) from error
        return MessageRef(channel=str(posted["channel"]), ts=str(posted["ts"]))

    def introduce(self, intro: IntroView) -> str:
        """Open a group DM with both people and post the introduction there; returns its channel."""
        try:
            opened = self._client.conversations_open(
                users=f"{intro.requester.slack_id},{intro.expert.slack_id}"
            )
            group = str(opened["channel"]["id"])
            self._client.chat_postMessage(channel=group, **build_group_introduction(intro).as_kwargs())
        except (SlackApiError, OSError) as error:
            raise DeliveryFailed(_reason(error)) from error
        return group

    def show_decision(self, intro: IntroView, message: MessageRef) -> None:
        """Replace the expert's request DM with their decision."""
        try:
            self._client.chat_update(
                channel=message.channel, ts=message.ts, **build_expert_decided_message(intro).as_kwargs()
            )
        except (SlackApiError, OSError) as error:
            raise DeliveryFailed(_reason(error)) from error

    def tell_declined(self, intro: IntroView) -> None:
        """DM the requester that the expert declined."""
        notice = build_declined_notice(intro, command=self._expert_command)
        try:
            self._client.chat_postMessage(channel=intro.requester.slack_id, **notice.as_kwargs())
        except (SlackApiError, OSError) as error:
            raise DeliveryFailed(_reason(error)) from error


def _reason(error: Exception) -> str:
    """Slack's error code, or the kind of network failure."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "slack_error")
    return type(error).__name__
