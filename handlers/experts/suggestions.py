"""`/expert` searches: the slash command, "did you mean" project buttons and the App Home button.

Every listener acks first: ranking may have to wait for the language model and embed changed
profiles, which can take seconds. Answers to `/expert` and to buttons on messages go through
`response_url` (ephemeral); the App Home button has none, so its answer is a DM from Liaison.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.access import Requester
from bot.errors import NotFound, UserFacingError
from bot.experts.expert_command import ExpertCommand, ExpertMode, parse_expert_command
from bot.experts.ranking import find_experts
from bot.services import Services
from bot.slack.blocks import Reply
from bot.slack.expert_blocks import (
    build_expert_error_reply,
    build_expert_results_reply,
    build_looking_reply,
)
from bot.slack.help import build_help_reply
from bot.slack.private_replies import Responder, responder
from bot.slack.requesters import requester_of
from handlers.experts.payload import button_value

# -- delivering a search's answer ----------------------------------------------------------------


class _ResponseUrl:
    """Answers through `response_url`; the final answer replaces a "looking…" note if one was sent."""

    def __init__(self, respond: Responder, *, replace_original: bool = False) -> None:
        self._respond = respond
        self._replace = replace_original

    def note(self, reply: Reply) -> None:
        self._respond(response_type="ephemeral", replace_original=self._replace, **reply.as_kwargs())
        self._replace = True

    def final(self, reply: Reply) -> None:
        self._respond(response_type="ephemeral", replace_original=self._replace, **reply.as_kwargs())


class _DirectMessage:
    """Answers in Liaison's DM with the user (the App Home has no response_url); a note is updated."""

    def __init__(self, client: WebClient, user_id: str) -> None:
        self._client = client
        self._user_id = user_id
        self._posted: tuple[str, str] | None = None

    def note(self, reply: Reply) -> None:
        response = self._client.chat_postMessage(channel=self._user_id, **reply.as_kwargs())
        self._posted = (str(response["channel"]), str(response["ts"]))

    def final(self, reply: Reply) -> None:
        if self._posted is not None:
            channel, ts = self._posted
            self._client.chat_update(channel=channel, ts=ts, **reply.as_kwargs())
        else:
            self._client.chat_postMessage(channel=self._user_id, **reply.as_kwargs())


def _suggest(
    services: Services,
    command: ExpertCommand,
    *,
    requester: Requester,
    note: Callable[[Reply], None],
    final: Callable[[Reply], None],
) -> None:
    """Answer one search: usage, an error (with "did you mean" buttons), or the suggestions."""
    names = services.settings.commands
    if command.mode is ExpertMode.HELP:
        final(build_help_reply(names, focus=names.expert))
        return
    try:
        result = find_experts(
            services.session_factory,
            services.settings,
            services.embedder,
            services.expert_indexes,
            command,
            requester=requester,
            now=services.clock.now(),
            on_wait=lambda: note(build_looking_reply()),
        )
    except NotFound as error:
        retry = ExpertCommand(ExpertMode.PROJECT, "{key}", command.all_disciplines).text
        final(build_expert_error_reply(error.message, alternatives=error.alternatives, retry=retry))
        return
    except UserFacingError as error:
        final(build_expert_error_reply(error.message))
        return
    final(build_expert_results_reply(result, command=names.expert, now=services.clock.now()))


def handle_expert_command(ack: Ack, command: dict[str, Any], respond: Respond, services: Services) -> None:
    """`/expert TEXT` or `/expert project KEY`: ack at once, then suggest experts privately."""
    ack()
    delivery = _ResponseUrl(respond)
    _suggest(
        services,
        parse_expert_command(command.get("text") or ""),
        requester=requester_of(command),
        note=delivery.note,
        final=delivery.final,
    )


def handle_expert_pick_project_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """A "did you mean" project under an `/expert` error: search again with that project."""
    ack()
    delivery = _ResponseUrl(responder(body, respond, client), replace_original=True)
    _suggest(
        services,
        parse_expert_command(button_value(body)),
        requester=requester_of(body),
        note=delivery.note,
        final=delivery.final,
    )


def handle_expert_home_action(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    """ "Find experts" next to a project in the App Home: DM the suggestions to whoever clicked."""
    ack()
    requester = requester_of(body)
    delivery = _DirectMessage(client, requester.user_id)
    _suggest(
        services,
        ExpertCommand(ExpertMode.PROJECT, button_value(body)),
        requester=requester,
        note=delivery.note,
        final=delivery.final,
    )
