"""Carrying out a command's outcome in Slack: its form, its ephemeral reply, the DMs it owes people
and the App Homes it changed. Every slash command listener ends here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.db import read_only_sessions_closed_at_end
from bot.services import Services
from bot.settings import Settings
from bot.slack.blocks import DirectMessage
from bot.slack.commands import CommandOutcome, CommandRequest
from bot.slack.home_publisher import publish_homes

# Runs one slash command in its own transaction: `execute_command`, `execute_agreement_command`.
CommandExecutor = Callable[[sessionmaker[Session], Settings, datetime, CommandRequest], CommandOutcome]

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


def deliver_outcome(
    outcome: CommandOutcome,
    *,
    client: WebClient,
    respond: Respond,
    services: Services,
    trigger_id: str | None,
    team_id: str | None,
    replace_original: bool = False,
) -> None:
    """Carry out a command's outcome: open its modal, send its reply, republish affected homes."""
    if outcome.modal is not None and trigger_id:
        client.views_open(trigger_id=trigger_id, view=outcome.modal)
    if outcome.reply is not None:
        respond(response_type="ephemeral", replace_original=replace_original, **outcome.reply.as_kwargs())
    post_direct_messages(client, outcome.messages)
    if outcome.refresh_homes:
        publish_homes(client, services, team_id, outcome.refresh_homes)


def run_slash_command(
    execute: CommandExecutor,
    command: dict[str, Any],
    *,
    client: WebClient,
    respond: Respond,
    services: Services,
) -> None:
    """Run a slash command's payload with `execute` and carry out its outcome (`deliver_outcome`).

    Args:
        execute: The command family's executor (one transaction per command).
        command: The payload Bolt passes as `command`.
        client: The Web API client.
        respond: Bolt's `respond` for the command's response_url.
        services: The app's services.
    """
    request = CommandRequest(
        command=command["command"],
        text=command.get("text") or "",
        user_id=command["user_id"],
        team_id=command.get("team_id"),
        channel_id=command.get("channel_id"),
    )
    # A read-only command's session is closed after its answer is posted, not before.
    with read_only_sessions_closed_at_end():
        outcome = execute(services.session_factory, services.settings, services.clock.now(), request)
        deliver_outcome(
            outcome,
            client=client,
            respond=respond,
            services=services,
            trigger_id=command.get("trigger_id"),
            team_id=command.get("team_id"),
        )
