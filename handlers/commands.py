"""Slash commands: `/project`, `/milestone`, `/blocker`, `/liaison`, `/ask` (names come from settings)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.settings import Settings
from bot.slack.answer_publisher import respond_answer
from bot.slack.commands import CommandOutcome, CommandRequest, execute_command
from bot.slack.home_publisher import publish_homes
from bot.slack.questions import Question


def register(app: App, settings: Settings) -> None:
    """Register the slash command listeners."""
    names = settings.commands
    for name in (names.project, names.milestone, names.blocker, names.help):
        app.command(name)(handle_slash_command)
    app.command(names.ask)(handle_ask_command)


def handle_slash_command(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, services: Services
) -> None:
    """Any Liaison slash command: ack at once, then interpret, answer ephemerally, refresh homes."""
    ack()
    request = CommandRequest(
        command=command["command"],
        text=command.get("text") or "",
        user_id=command["user_id"],
        team_id=command.get("team_id"),
        channel_id=command.get("channel_id"),
    )
    outcome = execute_command(services.session_factory, services.settings, services.clock.now(), request)
    deliver_outcome(
        outcome,
        client=client,
        respond=respond,
        services=services,
        trigger_id=command.get("trigger_id"),
        team_id=command.get("team_id"),
    )


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
    if outcome.refresh_homes:
        publish_homes(client, services, team_id, outcome.refresh_homes)


def handle_ask_command(
    ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext, services: Services
) -> None:
    """`/ask QUESTION`: ack at once, then answer privately from the records (may wait for the model)."""
    ack()
    question = Question(
        text=command.get("text") or "",
        user_id=command["user_id"],
        team_id=command.get("team_id"),
        channel_id=command.get("channel_id"),
        bot_user_id=context.bot_user_id,
    )
    respond_answer(respond, services, question)
