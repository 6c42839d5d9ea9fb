"""The agreements register (docs/agreements.md): `/agreement`, its add form, join approval buttons.

`/agreement` is declared in `bot.commands` with its own listener kind (`Listener.AGREEMENT`), routed by
`handlers.commands`; the form and the buttons are registered here.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import Services
from bot.settings import Settings
from bot.slack import ids
from bot.slack.agreement_commands import execute_agreement_command, submit_agreement
from bot.slack.agreement_joins import decide_join_request
from bot.slack.blocks import DirectMessage, Reply
from bot.slack.outcome_delivery import run_slash_command
from bot.slack.payload_values import row_id
from bot.slack.requesters import requester_of

logger = logging.getLogger(__name__)


def register(app: App, settings: Settings) -> None:
    """Register the add form and the join approval buttons (the command is routed by `handlers.commands`)."""
    app.view(ids.AGREEMENT_MODAL)(handle_agreement_submission)
    app.action(ids.JOIN_APPROVE_ACTION)(handle_join_approve_action)
    app.action(ids.JOIN_DECLINE_ACTION)(handle_join_decline_action)


def handle_agreement_command(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, services: Services
) -> None:
    """`/agreement …`: ack at once, run it in one transaction, answer ephemerally or open the form."""
    ack()
    run_slash_command(execute_agreement_command, command, client=client, respond=respond, services=services)


def handle_agreement_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], services: Services, client: WebClient
) -> None:
    """The add form submitted: record it (errors keep the form open), confirm by DM."""
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    errors, notice = submit_agreement(
        services.session_factory,
        services.settings,
        services.clock.now(),
        requester=requester_of(body),
        values=values if isinstance(values, dict) else {},
    )
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    if notice is not None:
        _dm(client, DirectMessage(user_id=requester_of(body).user_id, reply=notice))


def handle_join_approve_action(
    ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, services: Services
) -> None:
    """ "Approve" under a join request: the lead adds the requester."""
    _decide(ack, body, respond, client, services, approve=True)


def handle_join_decline_action(
    ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, services: Services
) -> None:
    """ "Decline" under a join request."""
    _decide(ack, body, respond, client, services, approve=False)


def _decide(
    ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, services: Services, *, approve: bool
) -> None:
    ack()
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    reply, told = decide_join_request(
        services.session_factory,
        services.settings,
        services.clock.now(),
        requester=requester_of(body),
        request_id=row_id(action.get("value")),
        approve=approve,
    )
    _answer(body, respond, reply, replace=told is not None)
    if told is not None:
        _dm(client, told)


def _answer(body: dict[str, Any], respond: Respond, reply: Reply, *, replace: bool) -> None:
    if isinstance(body.get("response_url"), str) and body["response_url"]:
        respond(replace_original=replace, **reply.as_kwargs())


def _dm(client: WebClient, message: DirectMessage) -> None:
    # The change is committed: a DM that fails is logged, never undone.
    try:
        client.chat_postMessage(channel=message.user_id, **message.reply.as_kwargs())
    except SlackApiError as error:
        logger.warning("DM to %s failed: %s", message.user_id, error.response.get("error"))
    except OSError as error:
        logger.warning("DM to %s failed: %s", message.user_id, error)
