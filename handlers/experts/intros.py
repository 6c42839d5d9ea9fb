"""Introductions: "Ask for an intro" on a suggestion, and the expert's Accept / Decline.

Introductions never leave half a state behind: the request is recorded, then the expert is DMed; if
that DM fails the request is withdrawn and the requester told to try again. An acceptance is claimed,
then the group DM opened; if that fails the request goes back to pending and the expert is told to
press Accept again.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import UserFacingError
from bot.experts.intros import (
    IntroView,
    decide_intro,
    record_expert_message,
    record_group,
    reopen_acceptance,
    request_intro,
    withdraw_unsent,
)
from bot.services import Services
from bot.slack.blocks import Reply, build_error_reply
from bot.slack.expert_blocks import (
    build_already_decided_reply,
    build_declined_notice,
    build_expert_decided_message,
    build_expert_request_message,
    build_group_introduction,
    build_intro_repeat_reply,
    build_intro_sent_reply,
    decode_ticket,
)
from handlers.experts.payload import button_value, intro_id_of, team_of

logger = logging.getLogger(__name__)

_STALE = "That button is out of date; run the command again."


def _tell(respond: Respond, reply: Reply) -> None:
    # Never replace the message the button is on: the results (or the expert's DM) stay usable.
    respond(response_type="ephemeral", replace_original=False, **reply.as_kwargs())


def _slack_error(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "slack_error")
    return type(error).__name__


def handle_expert_intro_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """ "Ask for an intro" on a suggestion: record the request, DM the expert, confirm to the requester."""
    ack()
    ticket = decode_ticket(button_value(body))
    if ticket is None:
        _tell(respond, build_error_reply(_STALE))
        return
    user_id, team_id = body["user"]["id"], team_of(body)
    settings = services.settings
    try:
        creation = request_intro(
            services.session_factory,
            settings,
            services.clock.now(),
            user_id=user_id,
            team_id=team_id,
            ticket=ticket,
        )
    except UserFacingError as error:
        _tell(respond, build_error_reply(error.message))
        return
    intro = creation.intro
    if not creation.created:
        _tell(respond, build_intro_repeat_reply(intro))
        return
    try:
        # A user id as channel posts in Liaison's DM with them (the im:write scope opens it).
        posted = client.chat_postMessage(
            channel=intro.expert.slack_id, **build_expert_request_message(intro).as_kwargs()
        )
    except (SlackApiError, OSError) as error:
        # Not sent (or, after a timeout, perhaps sent without us knowing): withdraw the request so it
        # neither counts against the expert's cap nor blocks asking again.
        reason = _slack_error(error)
        logger.warning("intro request %s: DM to %s failed: %s", intro.id, intro.expert.slack_id, reason)
        withdraw_unsent(
            services.session_factory,
            settings,
            services.clock.now(),
            intro_id=intro.id,
            user_id=user_id,
            team_id=team_id,
            error=reason,
        )
        _tell(
            respond,
            build_error_reply(
                f"I could not send your request to {intro.expert.name} just now ({reason}), so nothing was "
                "sent or counted. Please try again in a moment."
            ),
        )
        return
    record_expert_message(
        services.session_factory, intro.id, channel=str(posted["channel"]), ts=str(posted["ts"])
    )
    _tell(respond, build_intro_sent_reply(intro))


def _update_expert_message(client: WebClient, intro: IntroView, body: dict[str, Any]) -> None:
    container = body.get("container") or {}
    channel = intro.expert_channel or container.get("channel_id")
    ts = intro.expert_ts or container.get("message_ts")
    if not channel or not ts:
        return
    try:
        client.chat_update(channel=channel, ts=ts, **build_expert_decided_message(intro).as_kwargs())
    except (SlackApiError, OSError) as error:
        # The decision is recorded either way; a stale message only shows buttons that now answer
        # "already decided".
        logger.warning("could not update the DM of intro request %s: %s", intro.id, _slack_error(error))


def _decide(body: dict[str, Any], respond: Respond, services: Services, *, accept: bool) -> IntroView | None:
    """Record the click's decision; None (after telling the clicker why) if there is nothing to do."""
    intro_id = intro_id_of(body)
    if intro_id is None:
        _tell(respond, build_error_reply(_STALE))
        return None
    try:
        decision = decide_intro(
            services.session_factory,
            services.settings,
            services.clock.now(),
            user_id=body["user"]["id"],
            team_id=team_of(body),
            intro_id=intro_id,
            accept=accept,
        )
    except UserFacingError as error:
        _tell(respond, build_error_reply(error.message))
        return None
    if not decision.changed:
        _tell(respond, build_already_decided_reply(decision.intro))
        return None
    return decision.intro


def handle_intro_accept_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Accept in the expert's DM: open a group DM with both, introduce them, update the DM."""
    ack()
    intro = _decide(body, respond, services, accept=True)
    if intro is None:
        return
    users = f"{intro.requester.slack_id},{intro.expert.slack_id}"
    try:
        opened = client.conversations_open(users=users)
        group = str(opened["channel"]["id"])
        client.chat_postMessage(channel=group, **build_group_introduction(intro).as_kwargs())
    except (SlackApiError, OSError) as error:
        reason = _slack_error(error)
        logger.warning("intro request %s: group DM failed: %s", intro.id, reason)
        reopen_acceptance(
            services.session_factory,
            services.settings,
            services.clock.now(),
            intro_id=intro.id,
            user_id=body["user"]["id"],
            team_id=team_of(body),
            error=reason,
        )
        _tell(
            respond,
            build_error_reply(
                f"I could not open a group DM with you and {intro.requester.name} just now ({reason}). "
                "The request is still open: please press Accept again in a moment."
            ),
        )
        return
    intro = record_group(
        services.session_factory,
        services.settings,
        services.clock.now(),
        intro_id=intro.id,
        team_id=team_of(body),
        channel=group,
    )
    _update_expert_message(client, intro, body)


def handle_intro_decline_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Decline in the expert's DM: record it, update the DM, tell the requester."""
    ack()
    intro = _decide(body, respond, services, accept=False)
    if intro is None:
        return
    _update_expert_message(client, intro, body)
    notice = build_declined_notice(intro, command=services.settings.commands.expert)
    try:
        client.chat_postMessage(channel=intro.requester.slack_id, **notice.as_kwargs())
    except (SlackApiError, OSError) as error:
        # The decline is recorded; the requester sees it as "they declined" if they ask again.
        logger.warning("intro request %s: decline notice failed: %s", intro.id, _slack_error(error))
