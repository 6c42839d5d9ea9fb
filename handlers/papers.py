"""Listeners of joint papers: `/paper` and its add form.

Every answer is ephemeral; the add form's confirmation goes to the app's DM with the submitter (a
modal submission has no response_url). The "review no longer fits" notice goes by DM to the project's
lead and the paper's authors once the change is committed.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.settings import Settings
from bot.slack.ids import PAPER_MODAL
from bot.slack.outcome_delivery import post_direct_messages
from bot.slack.paper_commands import execute_paper_command, submit_paper_form
from bot.slack.requesters import requester_of


def register(app: App, settings: Settings) -> None:
    """Register the add form's listener (`/paper` itself is routed by `handlers.commands`)."""
    app.view(PAPER_MODAL)(handle_paper_submission)


def handle_paper_command(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, services: Services
) -> None:
    """`/paper …`: ack at once, run the subcommand, answer privately, open the form or DM people."""
    ack()
    outcome = execute_paper_command(
        services.session_factory,
        services.settings,
        services.clock.now(),
        requester_of(command),
        command["command"],
        command.get("text") or "",
    )
    if outcome.modal is not None and command.get("trigger_id"):
        client.views_open(trigger_id=command["trigger_id"], view=outcome.modal)
    if outcome.reply is not None:
        respond(response_type="ephemeral", **outcome.reply.as_kwargs())
    post_direct_messages(client, outcome.messages)


def handle_paper_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services
) -> None:
    """The add form submitted: field errors keep it open; else save, close, confirm by DM."""
    requester = requester_of(body)
    result = submit_paper_form(
        services.session_factory,
        services.settings,
        services.clock.now(),
        requester,
        (view.get("state") or {}).get("values") or {},
        services.settings.commands["paper"],
    )
    if result.errors is not None:
        # Field errors must travel in the ack itself: it is the only way to keep the modal open.
        ack(response_action="errors", errors=result.errors)
        return
    ack()
    if result.reply is not None:
        client.chat_postMessage(channel=requester.user_id, **result.reply.as_kwargs())
    post_direct_messages(client, result.messages)
