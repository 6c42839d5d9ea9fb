"""Telling people about a change someone else made, in their DM with the app."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks import DirectMessage

logger = logging.getLogger(__name__)


def post_direct_messages(client: WebClient, messages: Iterable[DirectMessage]) -> None:
    """Tell people about a change someone else made, in their DM with the app.

    The change is committed already: a DM that fails is logged, and the others are still sent.
    """
    for message in messages:
        try:
            client.chat_postMessage(channel=message.user_id, **message.reply.as_kwargs())
        except SlackApiError as error:
            logger.warning("DM to %s failed: %s", message.user_id, error.response.get("error"))
        except OSError as error:  # connection failures left after the client's retries
            logger.warning("DM to %s failed: %s", message.user_id, error)
