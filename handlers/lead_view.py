"""Buttons of the App Home's lead view and of the handover notice: Resolve, Move date…, Hand them to me.

- **Resolve** (a blocker) runs `/blocker resolve REF` as whoever clicked, like the milestone Done button
  runs `/milestone done`.
- **Move date…** opens a form for the new date; its submission moves the milestone
  (`bot.projects.home.move_from_home`), or keeps the form open with the problem.
- **Hand them to me** (in the App Home, or in the DM sent before someone's last day) gives the clicker
  the person's open milestones on the project (`bot.projects.end_dates.take_over_milestones`); the
  person is told.

A click in the App Home has no `response_url`: errors open a modal, and the republished Home shows a
success.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.access import act_as
from bot.errors import UserFacingError
from bot.projects.end_dates import take_over_milestones
from bot.projects.home import milestone_to_move, move_from_home
from bot.services import Services
from bot.settings import Settings
from bot.slack import ids
from bot.slack.blocks import Reply, build_error_reply
from bot.slack.commands import CommandOutcome, CommandRequest, execute_command
from bot.slack.end_date_blocks import build_take_over_reply, read_take_over, take_over_messages
from bot.slack.home import build_home_move_modal, build_reply_modal, read_home_move_metadata
from bot.slack.home_publisher import publish_homes
from bot.slack.outcome_delivery import deliver_outcome, post_direct_messages
from bot.slack.payload_values import input_state, string_of
from bot.slack.private_replies import responder
from bot.slack.requesters import requester_of

_STALE = "That button is out of date; open the App Home again."


def register(app: App, settings: Settings) -> None:
    """Register the lead view's listeners."""
    app.action(ids.BLOCKER_RESOLVE_ACTION)(handle_blocker_resolve_action)
    app.action(ids.HOME_MOVE_ACTION)(handle_home_move_action)
    app.view(ids.HOME_MOVE_MODAL)(handle_home_move_submission)
    app.action(ids.TAKE_OVER_ACTION)(handle_take_over_action)


def _value(body: dict[str, Any]) -> str:
    return str(body["actions"][0].get("value") or "")


def _answer(
    reply: Reply, body: dict[str, Any], client: WebClient, respond: Respond, *, is_error: bool = True
) -> None:
    """Show a reply to whoever clicked: ephemerally under a message, in a modal over the App Home."""
    if body.get("response_url"):
        respond(response_type="ephemeral", replace_original=False, **reply.as_kwargs())
    elif is_error and body.get("trigger_id"):
        client.views_open(trigger_id=body["trigger_id"], view=build_reply_modal(reply))
    else:
        responder(body, respond, client)(**reply.as_kwargs())


def handle_blocker_resolve_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Resolve button on a blocker (App Home lead view): `/blocker resolve REF` as the clicker."""
    ack()
    requester = requester_of(body)
    request = CommandRequest(
        services.settings.commands.blocker, f"resolve {_value(body)}", requester.user_id, requester.team_id
    )
    outcome = execute_command(services.session_factory, services.settings, services.clock.now(), request)
    if body.get("response_url"):
        deliver_outcome(
            outcome,
            client=client,
            respond=respond,
            services=services,
            trigger_id=None,
            team_id=requester.team_id,
        )
        return
    _show_in_home(outcome, body, client, respond, services)


def _show_in_home(
    outcome: CommandOutcome, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    requester = requester_of(body)
    if outcome.is_error and outcome.reply is not None:
        _answer(outcome.reply, body, client, respond)
    post_direct_messages(client, outcome.messages)
    publish_homes(client, services, requester.team_id, {*outcome.refresh_homes, requester.user_id})


def handle_home_move_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Move date… on a milestone (App Home lead view): open the form asking for the new date."""
    ack()
    now = services.clock.now()
    try:
        with services.session_factory() as session:
            actor = act_as(session, services.settings, requester_of(body))
            line = milestone_to_move(session, actor, _value(body), now)
            zone = actor.zone
    except UserFacingError as error:
        _answer(build_error_reply(error.message), body, client, respond)
        return
    client.views_open(trigger_id=body["trigger_id"], view=build_home_move_modal(line, zone, now))


def handle_home_move_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services
) -> None:
    """The Move-date form from the App Home: move the milestone, or keep the form open with the problem."""
    ref = read_home_move_metadata(view.get("private_metadata"))
    if ref is None:
        ack(response_action="errors", errors={ids.DUE_INPUT: _STALE})
        return
    text = string_of(input_state((view.get("state") or {}).get("values") or {}, ids.DUE_INPUT)) or ""
    requester = requester_of(body)
    try:
        with services.session_factory.begin() as session:
            actor = act_as(session, services.settings, requester)
            moved = move_from_home(
                session, actor, ref, text, services.clock.now(), reminders=services.settings.reminder_policy
            )
    except UserFacingError as error:
        # Field errors must travel in the ack itself: it is the only way to keep the modal open.
        ack(response_action="errors", errors={ids.DUE_INPUT: error.message})
        return
    ack()
    publish_homes(client, services, requester.team_id, {*moved.affected, requester.user_id})


def handle_take_over_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Hand them to me (handover notice or App Home): take over someone's open milestones on a project."""
    ack()
    target = read_take_over(_value(body))
    if target is None:
        _answer(build_error_reply(_STALE), body, client, respond)
        return
    requester = requester_of(body)
    now = services.clock.now()
    try:
        with services.session_factory.begin() as session:
            actor = act_as(session, services.settings, requester)
            taken = take_over_milestones(
                session, actor, target[0], target[1], now, reminders=services.settings.reminder_policy
            )
            zone = actor.zone
    except UserFacingError as error:
        _answer(build_error_reply(error.message), body, client, respond)
        return
    if body.get("response_url"):
        _answer(build_take_over_reply(taken, zone, now), body, client, respond, is_error=False)
    by = next((a.by for a in taken.assignments), None)
    if by is not None:
        post_direct_messages(client, take_over_messages(taken, by))
    publish_homes(client, services, requester.team_id, {*taken.affected, requester.user_id})
