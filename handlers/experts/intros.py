"""Introductions: "Ask for an intro" on a suggestion, and the expert's Accept / Decline.

Each listener acks, reads the click, hands it to `bot.experts.intros.flow.IntroFlow` (which records the
step, sends its messages through `SlackIntroMessenger` and undoes the step if they fail) and tells the
clicker how it went.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.errors import UserFacingError
from bot.experts.intros.flow import IntroFlow
from bot.services import Services
from bot.slack.blocks import Reply, build_error_reply
from bot.slack.expert_blocks import (
    build_already_decided_reply,
    build_intro_repeat_reply,
    build_intro_sent_reply,
    decode_ticket,
)
from bot.slack.intro_messenger import SlackIntroMessenger
from bot.slack.private_replies import Responder, responder
from bot.slack.requesters import requester_of
from handlers.experts.payload import button_value, clicked_message, intro_id_of

_STALE = "That button is out of date; run the command again."


def _tell(say: Responder, reply: Reply) -> None:
    # Never replace the message the button is on: the results (or the expert's DM) stay usable.
    say(response_type="ephemeral", replace_original=False, **reply.as_kwargs())


def _flow(client: WebClient, services: Services) -> IntroFlow:
    messenger = SlackIntroMessenger(client, expert_command=services.settings.commands.expert)
    return IntroFlow(services.session_factory, services.settings, services.clock, messenger)


def handle_expert_intro_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """ "Ask for an intro" on a suggestion: record the request, DM the expert, confirm to the requester."""
    ack()
    say = responder(body, respond, client)
    ticket = decode_ticket(button_value(body))
    if ticket is None:
        _tell(say, build_error_reply(_STALE))
        return
    try:
        creation = _flow(client, services).ask(requester_of(body), ticket)
    except UserFacingError as error:
        _tell(say, build_error_reply(error.message))
        return
    reply = build_intro_sent_reply if creation.created else build_intro_repeat_reply
    _tell(say, reply(creation.intro))


def handle_intro_accept_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Accept in the expert's DM: open a group DM with both, introduce them, update the DM."""
    ack()
    _decide(body, client, respond, services, accept=True)


def handle_intro_decline_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Decline in the expert's DM: record it, update the DM, tell the requester."""
    ack()
    _decide(body, client, respond, services, accept=False)


def _decide(
    body: dict[str, Any], client: WebClient, respond: Respond, services: Services, *, accept: bool
) -> None:
    say = responder(body, respond, client)
    intro_id = intro_id_of(body)
    if intro_id is None:
        _tell(say, build_error_reply(_STALE))
        return
    flow = _flow(client, services)
    decide = flow.accept if accept else flow.decline
    try:
        decision = decide(requester_of(body), intro_id, clicked=clicked_message(body))
    except UserFacingError as error:
        _tell(say, build_error_reply(error.message))
        return
    if not decision.changed:
        _tell(say, build_already_decided_reply(decision.intro))
