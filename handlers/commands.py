"""Slash commands: one listener per command declared in `bot.commands`, under its configured name.

`/project`, `/milestone`, `/blocker` and `/liaison` share the interpreter (`bot.slack.commands`); `/ask`,
`/expert` and `/profile` have listeners of their own because they answer in several steps.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.commands import COMMANDS, Listener
from bot.services import Services
from bot.settings import Settings
from bot.slack.answer_publisher import respond_answer
from bot.slack.commands import execute_command
from bot.slack.outcome_delivery import run_slash_command
from bot.slack.questions import Question
from handlers.agreements import handle_agreement_command
from handlers.experts.suggestions import handle_expert_command
from handlers.papers import handle_paper_command
from handlers.profiles import handle_profile_command

logger = logging.getLogger(__name__)


def register(app: App, settings: Settings) -> None:
    """Register one listener for every declared slash command, under the commands' configured names.

    One listener, not one per command: Bolt asks each registered listener in turn whether a request is
    its own, and each question builds every listener argument Bolt knows (about 30 µs). A command then
    costs one question instead of up to seven, and a button or event one more rather than seven more.
    `handlers/__init__.py` registers it first.
    """
    routes = {settings.commands[command.key]: LISTENERS[command.listener] for command in COMMANDS}
    names = "|".join(re.escape(name) for name in sorted(routes, key=len, reverse=True))
    app.command(re.compile(f"^(?:{names})$"))(command_route(routes))


def command_route(routes: Mapping[str, Callable[..., None]]) -> Callable[..., None]:
    """The one slash command listener: it calls the command's own listener with the arguments it takes."""
    wanted = {name: tuple(inspect.signature(listener).parameters) for name, listener in routes.items()}

    def route_command(
        ack: Ack,
        command: dict[str, Any],
        respond: Respond,
        client: WebClient,
        context: BoltContext,
        services: Services,
    ) -> None:
        name = command["command"]
        available = {
            "ack": ack,
            "command": command,
            "respond": respond,
            "client": client,
            "context": context,
            "services": services,
        }
        routes[name](**{argument: available[argument] for argument in wanted[name]})

    return route_command


def handle_slash_command(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, services: Services
) -> None:
    """Any Liaison slash command: ack at once, then interpret, answer ephemerally, refresh homes."""
    ack()
    run_slash_command(execute_command, command, client=client, respond=respond, services=services)


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


# The function of each kind of command listener (tests/test_commands_registry.py checks they match).
LISTENERS: dict[Listener, Callable[..., None]] = {
    Listener.INTERPRETER: handle_slash_command,
    Listener.ASK: handle_ask_command,
    Listener.EXPERT: handle_expert_command,
    Listener.PROFILE: handle_profile_command,
    Listener.AGREEMENT: handle_agreement_command,
    Listener.PAPER: handle_paper_command,
}
