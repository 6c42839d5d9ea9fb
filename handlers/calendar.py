"""The "Reset address" button under `/liaison calendar [PROJECT]` (bot/slack/calendar_commands.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.settings import Settings
from bot.slack import ids
from bot.slack.calendar_commands import execute_calendar_reset
from bot.slack.private_replies import responder
from bot.slack.requesters import requester_of


def register(app: App, settings: Settings) -> None:
    """Register the calendar button."""
    app.action(ids.CALENDAR_RESET_ACTION)(handle_calendar_reset_action)


def handle_calendar_reset_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Reset address: a new URL for the clicker's own feed, shown in place of the old one."""
    ack()
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    value = action.get("value")
    reply = execute_calendar_reset(
        services.session_factory,
        services.settings,
        services.clock.now(),
        requester_of(body),
        value if isinstance(value, str) else "",
    )
    # The old message shows the old (now dead) address: replace it.
    responder(body, respond, client)(response_type="ephemeral", replace_original=True, **reply.as_kwargs())
