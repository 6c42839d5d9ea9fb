"""Confirm / Cancel under a change asked for in plain language (bot/slack/proposals.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.settings import Settings
from bot.slack import ids
from bot.slack.home_publisher import publish_homes
from bot.slack.outcome_delivery import post_direct_messages
from bot.slack.private_replies import responder
from bot.slack.proposals import execute_decision
from bot.slack.requesters import requester_of, team_id_of


def register(app: App, settings: Settings) -> None:
    """Register the proposal buttons."""
    app.action(ids.PROPOSAL_CONFIRM_ACTION)(handle_proposal_confirm_action)
    app.action(ids.PROPOSAL_CANCEL_ACTION)(handle_proposal_cancel_action)


def handle_proposal_confirm_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Confirm: make the change, if the presser asked for it and the record is as they saw it."""
    ack()
    _decide(body, client, respond, services, confirm=True)


def handle_proposal_cancel_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Cancel: drop the proposal (its asker only); nothing changes."""
    ack()
    _decide(body, client, respond, services, confirm=False)


def _decide(
    body: dict[str, Any], client: WebClient, respond: Respond, services: Services, *, confirm: bool
) -> None:
    value = body["actions"][0].get("value")
    token = value if isinstance(value, str) else ""
    decided = execute_decision(services, requester_of(body), token, confirm=confirm)
    outcome = decided.outcome
    if outcome.reply is not None:
        # Buttons on messages come with a response_url; anything else (a forged container) gets a DM.
        responder(body, respond, client)(
            response_type="ephemeral", replace_original=decided.replace_original, **outcome.reply.as_kwargs()
        )
    post_direct_messages(client, outcome.messages)
    if outcome.refresh_homes:
        publish_homes(client, services, team_id_of(body), outcome.refresh_homes)
