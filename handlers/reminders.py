"""Buttons on reminder messages (Done, Snooze, Move date) and the Move-date modal.

Each listener reads the payload, asks `bot.reminders.actions` what the press does, renders the result
with `bot.slack.reminder_blocks` in place of the message, and republishes the App Homes that show the
milestone (as `/milestone done` does, with `bot.slack.home_publisher.publish_homes`).
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.domain.reminders import SnoozeOption
from bot.reminders.actions import (
    OUT_OF_DATE,
    ClickResult,
    ReminderClick,
    open_move,
    press_done,
    press_snooze,
    submit_move,
)
from bot.services import Services
from bot.settings import Settings
from bot.slack import ids
from bot.slack.blocks import Reply, escape
from bot.slack.home_publisher import publish_homes
from bot.slack.payload_values import input_state, string_of
from bot.slack.private_replies import responder
from bot.slack.reminder_blocks import (
    MoveTarget,
    build_move_modal,
    build_redrawn_reply,
    parse_move_metadata,
    parse_reminder_value,
)
from bot.slack.requesters import requester_of

_STALE = "That button is out of date."


def register(app: App, settings: Settings) -> None:
    """Register the reminder listeners."""
    app.action(ids.REMINDER_DONE_ACTION)(handle_reminder_done_action)
    app.action(re.compile("^" + re.escape(ids.REMINDER_SNOOZE_ACTION_PREFIX)))(handle_reminder_snooze_action)
    app.action(ids.REMINDER_MOVE_ACTION)(handle_reminder_move_action)
    app.view(ids.REMINDER_MOVE_MODAL)(handle_reminder_move_submission)


def _click(body: dict[str, Any]) -> ReminderClick | None:
    parsed = parse_reminder_value(str(body["actions"][0].get("value") or ""))
    if parsed is None:
        return None
    requester = requester_of(body)
    return ReminderClick(parsed[0], parsed[1], requester.user_id, requester.team_id)


def _message(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The conversation and ts of the message whose button was pressed."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    return channel, container.get("message_ts") or (body.get("message") or {}).get("ts")


def _redrawn(result: ClickResult) -> Reply | None:
    """The reminder message as it should now read (all of it, for a combined DM); None if it is gone."""
    if result.message is None:
        return None
    return build_redrawn_reply(result.message, note=result.note, pressed=result.pressed)


def _show(
    result: ClickResult, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    update = _redrawn(result)
    if result.denial is not None or update is None:
        say = responder(body, respond, client)
        # A denial may quote what the button carried (a forged ref): escaped like all text we send.
        say(text=escape(result.denial or _STALE), response_type="ephemeral", replace_original=False)
        return
    channel, ts = _message(body)
    if channel and ts:
        # The original message shows who did what, for everyone who sees it.
        client.chat_update(channel=channel, ts=ts, **update.as_kwargs())
    _refresh_homes(result, body, client, services)


def _refresh_homes(result: ClickResult, body: dict[str, Any], client: WebClient, services: Services) -> None:
    """Republish the App Homes showing the milestone, and the presser's own (an admin may not be on it)."""
    requester = requester_of(body)
    publish_homes(client, services, requester.team_id, {*result.refresh_homes, requester.user_id})


def handle_reminder_done_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Done on a reminder: complete the milestone and mark the message."""
    ack()
    click = _click(body)
    result = (
        press_done(services.session_factory, services.settings, services.clock.now(), click)
        if click
        else ClickResult(denial=_STALE)
    )
    _show(result, body, client, respond, services)


def handle_reminder_snooze_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Snooze (1 h, tomorrow, next week) on a reminder."""
    ack()
    click = _click(body)
    option = str(body["actions"][0]["action_id"]).removeprefix(ids.REMINDER_SNOOZE_ACTION_PREFIX)
    if click is None or option not in set(SnoozeOption):
        _show(ClickResult(denial=_STALE), body, client, respond, services)
        return
    result = press_snooze(
        services.session_factory, services.settings, services.clock.now(), click, SnoozeOption(option)
    )
    _show(result, body, client, respond, services)


def handle_reminder_move_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """Move date… on a reminder: open the modal asking for the new date."""
    ack()
    click = _click(body)
    say = responder(body, respond, client)
    if click is None:
        say(text=_STALE, response_type="ephemeral", replace_original=False)
        return
    form = open_move(services.session_factory, services.settings, services.clock.now(), click)
    if form.reminder is None:
        say(text=escape(form.denial or _STALE), response_type="ephemeral", replace_original=False)
        return
    channel, ts = _message(body)
    target = MoveTarget(click.delivery_id, click.ref, channel, ts)
    client.views_open(trigger_id=body["trigger_id"], view=build_move_modal(form.reminder, target))


def handle_reminder_move_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services
) -> None:
    """The Move-date modal submitted: move the milestone, or keep the modal open with the problem."""
    values = view["state"]["values"]
    target = parse_move_metadata(view.get("private_metadata") or "")
    # Field errors must travel in the ack itself: it is the only way to keep the modal open.
    if target is None:
        ack(response_action="errors", errors={ids.DUE_INPUT: OUT_OF_DATE})
        return
    requester = requester_of(body)
    click = ReminderClick(target.delivery_id, target.ref, requester.user_id, requester.team_id)
    result = submit_move(
        services.session_factory,
        services.settings,
        services.clock.now(),
        click,
        due_text=string_of(input_state(values, ids.DUE_INPUT)) or "",
    )
    if result.denial is not None:
        ack(response_action="errors", errors={ids.DUE_INPUT: result.denial})
        return
    ack()
    update = _redrawn(result)
    if update is not None and target.channel and target.ts:
        client.chat_update(channel=target.channel, ts=target.ts, **update.as_kwargs())
    _refresh_homes(result, body, client, services)
