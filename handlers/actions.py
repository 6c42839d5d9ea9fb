"""Button clicks (`block_actions`) on messages, the App Home and modals."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.settings import Settings
from bot.slack import ids
from bot.slack.answer_publisher import respond_answer
from bot.slack.archive_commands import execute_undo_delete
from bot.slack.blocks import Reply
from bot.slack.commands import CommandOutcome, CommandRequest, execute_command, execute_confirmed_move
from bot.slack.home_publisher import publish_homes
from bot.slack.milestone_details import execute_move_dependants
from bot.slack.outcome_delivery import deliver_outcome, post_direct_messages
from bot.slack.payload_values import loads_clean
from bot.slack.private_replies import responder
from bot.slack.questions import Question
from bot.slack.requesters import requester_of, team_id_of


def register(app: App, settings: Settings) -> None:
    """Register the button listeners."""
    app.action(re.compile(rf"^{ids.PICK_PROJECT_ACTION}(:\d+)?$"))(handle_rerun_command_action)
    app.action(ids.MILESTONE_DONE_ACTION)(handle_milestone_done_action)
    app.action(ids.CONFIRM_MOVE_ACTION)(handle_confirm_move_action)
    app.action(ids.CANCEL_ACTION)(handle_cancel_action)
    app.action(ids.HANDOVER_ACTION)(handle_rerun_command_action)
    app.action(ids.OPEN_PROJECT_ACTION)(handle_open_project_action)
    app.action(ids.HOME_REFRESH_ACTION)(handle_home_refresh_action)
    app.action(ids.UNDO_MILESTONE_DELETE_ACTION)(handle_undo_delete_action)
    app.action(ids.MOVE_DEPENDANTS_ACTION)(handle_move_dependants_action)
    app.action(ids.UNDO_BLOCKER_DELETE_ACTION)(handle_undo_delete_action)
    # Answers carry several of these in one block, and Slack wants action ids unique within a block.
    app.action(re.compile(rf"^{ids.ASK_CHOICE_ACTION}(:\d+)?$"))(handle_ask_choice_action)
    app.action(re.compile(rf"^{ids.ANSWER_SOURCE_ACTION}(:\d+)?$"))(handle_answer_source_action)


def _request(body: dict[str, Any], command: str, text: str) -> CommandRequest:
    requester = requester_of(body)
    channel = body.get("channel")
    return CommandRequest(
        command=command,
        text=text,
        user_id=requester.user_id,
        team_id=requester.team_id,
        channel_id=channel.get("id") if isinstance(channel, dict) else None,
    )


def _value(body: dict[str, Any]) -> str:
    return str(body["actions"][0].get("value") or "")


def _deliver(
    outcome: CommandOutcome,
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    services: Services,
    *,
    replace_original: bool,
    refresh_viewer: bool = False,
) -> None:
    team_id = team_id_of(body)
    user_id = body["user"]["id"]
    if body.get("response_url"):
        deliver_outcome(
            outcome,
            client=client,
            respond=respond,
            services=services,
            trigger_id=body.get("trigger_id"),
            team_id=team_id,
            replace_original=replace_original,
        )
        return
    # Clicked in the App Home (a view): there is no response_url, so a reply shows in a modal —
    # except a plain success when the refreshed Home itself shows the result.
    if outcome.modal is not None:
        client.views_open(trigger_id=body["trigger_id"], view=outcome.modal)
    elif outcome.reply is not None and (outcome.is_error or not refresh_viewer):
        client.views_open(trigger_id=body["trigger_id"], view=_reply_modal(outcome.reply))
    post_direct_messages(client, outcome.messages)
    publish_homes(client, services, team_id, {*outcome.refresh_homes, *([user_id] if refresh_viewer else [])})


def _reply_modal(reply: Reply) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Liaison"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": reply.as_kwargs()["blocks"][:100],
    }


def _rerun_command_button(
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    services: Services,
    *,
    replace_original: bool,
    stale: str,
) -> None:
    """Run the command a button carries as JSON `{"command", "text"}`, as the user who clicked it."""
    try:
        choice = loads_clean(_value(body))
        command, text = str(choice["command"]), str(choice["text"])
    except (ValueError, KeyError, TypeError):
        responder(body, respond, client)(text=stale, replace_original=False)
        return
    outcome = execute_command(
        services.session_factory, services.settings, services.clock.now(), _request(body, command, text)
    )
    _deliver(outcome, body, client, respond, services, replace_original=replace_original)


def handle_rerun_command_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """A button that carries a command to re-run for whoever clicks: "did you mean" (the original
    command with the chosen project), "Hand them to <lead> and leave" (or "… and remove": the leave or
    remove again, with `--to`)."""
    ack()
    _rerun_command_button(
        body,
        client,
        respond,
        services,
        replace_original=True,
        stale="That button is out of date; run the command again.",
    )


def handle_milestone_done_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Done button on a milestone (in a message or the App Home)."""
    ack()
    outcome = execute_command(
        services.session_factory,
        services.settings,
        services.clock.now(),
        _request(body, services.settings.commands.milestone, f"done {_value(body)}"),
    )
    _deliver(outcome, body, client, respond, services, replace_original=False, refresh_viewer=True)


def handle_confirm_move_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """ "Move it" on the confirmation a relative date produced."""
    ack()
    outcome = execute_confirmed_move(
        services.session_factory,
        services.settings,
        services.clock.now(),
        _request(body, services.settings.commands.milestone, ""),
        _value(body),
    )
    _deliver(outcome, body, client, respond, services, replace_original=True)


def handle_cancel_action(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    """Cancel on a confirmation: replace it with a note that nothing changed."""
    ack()
    responder(body, respond, client)(text="Cancelled; nothing was changed.", replace_original=True)


def handle_open_project_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Status button next to a project: show its status."""
    ack()
    outcome = execute_command(
        services.session_factory,
        services.settings,
        services.clock.now(),
        _request(body, services.settings.commands.project, f"status {_value(body)}"),
    )
    _deliver(outcome, body, client, respond, services, replace_original=False)


def handle_undo_delete_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Undo under "Deleted …": restore the milestone or blocker, as whoever clicked (checked again)."""
    ack()
    done = execute_undo_delete(
        services.session_factory,
        services.settings,
        services.clock.now(),
        requester_of(body),
        action_id=str(body["actions"][0].get("action_id") or ""),
        value=_value(body),
    )
    outcome = CommandOutcome(reply=done.reply, refresh_homes=done.refresh_homes, is_error=done.is_error)
    # A failed undo leaves the message (and its button) as it was; a done one replaces it.
    _deliver(outcome, body, client, respond, services, replace_original=not done.is_error)


def handle_move_dependants_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """ "Move them too" under a move: the dependants now due before it move by the same shift."""
    ack()
    reply, homes, failed = execute_move_dependants(
        services.session_factory, services.settings, services.clock.now(), requester_of(body), _value(body)
    )
    outcome = CommandOutcome(reply=reply, refresh_homes=homes, is_error=failed)
    # Done, the offer is answered and goes; refused, it stays for another try.
    _deliver(outcome, body, client, respond, services, replace_original=not failed)


def handle_home_refresh_action(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    """Refresh button in the App Home."""
    ack()
    publish_homes(client, services, team_id_of(body), [body["user"]["id"]])


def handle_ask_choice_action(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
    services: Services,
) -> None:
    """A "did you mean" reading under an answer: answer it for whoever clicked, privately."""
    ack()
    container = body.get("container") or {}
    question = Question(
        text=_value(body),
        user_id=body["user"]["id"],
        team_id=team_id_of(body),
        channel_id=(body.get("channel") or {}).get("id"),
        bot_user_id=context.bot_user_id,
    )
    # Only an ephemeral original is replaced: a public one stays for everyone else in the channel.
    replace = bool(container.get("is_ephemeral"))
    respond_answer(responder(body, respond, client), services, question, replace_original=replace)


def handle_answer_source_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """A record button under an answer: show that project's status or milestones, privately."""
    ack()
    _rerun_command_button(
        body,
        client,
        respond,
        services,
        replace_original=False,
        stale="That button is out of date; ask again.",
    )
