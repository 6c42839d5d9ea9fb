"""Weekly check-ins (docs/checkins.md): `/project checkins`, the Answer form, thread replies, blocker offer.

`/project checkins` is a subcommand of the command interpreter (`bot.slack.commands`, which calls
`bot.slack.checkin_commands`). Replies in DM threads are shared with questions to Liaison and the
assistant: replies in the thread of a check-in question are taken by a middleware registered before the
assistant's (Bolt's `Assistant` takes every reply in a DM thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse, Respond
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.access import Requester, act_as
from bot.checkins.answers import open_answers, read_thread_reply, record_blocker, save_answers
from bot.checkins.tables import CheckinAsk
from bot.errors import UserFacingError
from bot.services import Services
from bot.settings import Settings
from bot.slack import ids
from bot.slack.blocks import Reply, build_error_reply, escape, section
from bot.slack.checkin_blocks import (
    QUESTIONS,
    build_answer_modal,
    build_blocker_recorded_reply,
    build_saved_reply,
    parse_answer_submission,
)
from bot.slack.payload_values import row_id
from bot.slack.requesters import requester_of, team_id_of

logger = logging.getLogger(__name__)


def register(app: App, settings: Settings) -> None:
    """Register the check-in listeners (before `handlers.commands` and `handlers.events`)."""
    app.action(ids.CHECKIN_ANSWER_ACTION)(handle_checkin_answer_action)
    app.view(ids.CHECKIN_MODAL)(handle_checkin_submission)
    app.action(ids.CHECKIN_BLOCKER_ACTION)(handle_checkin_blocker_action)
    # A global middleware, not an event listener: Bolt's `Assistant` middleware (handlers/assistant.py)
    # takes every reply in a DM thread, so replies to a check-in question are taken before it.
    app.use(CheckinThreadReplies())


def _answer(body: dict[str, Any], respond: Respond, reply: Reply) -> None:
    if body.get("response_url"):
        respond(response_type="ephemeral", replace_original=False, **reply.as_kwargs())


def _button_value(body: dict[str, Any]) -> int | None:
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    return row_id(action.get("value"))


def handle_checkin_answer_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """ "Answer" under a check-in question: open the form, for the person asked only."""
    ack()
    ask_id = _button_value(body)
    try:
        with services.session_factory() as session:
            actor = act_as(session, services.settings, requester_of(body))
            if ask_id is None:
                raise UserFacingError("That button is out of date.")
            form = open_answers(session, actor, ask_id, services.clock.now())
    except UserFacingError as error:
        _answer(body, respond, build_error_reply(error.message))
        return
    trigger_id = body.get("trigger_id")
    if isinstance(trigger_id, str) and trigger_id:
        client.views_open(trigger_id=trigger_id, view=build_answer_modal(form))


def handle_checkin_submission(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    """The answer form: save (re-checking who submits), thank in the question's thread, offer a blocker."""
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    ask_id, done, next_, blocking = parse_answer_submission(view or {})
    try:
        if ask_id is None:
            raise UserFacingError("This form is out of date; press Answer again.")
        with services.session_factory.begin() as session:
            actor = act_as(session, services.settings, requester_of(body))
            saved = save_answers(
                session,
                actor,
                ask_id,
                services.clock.now(),
                done=done,
                next_=next_,
                blocking=blocking,
                via="form",
            )
    except UserFacingError as error:
        ack(response_action="errors", errors={ids.CHECKIN_DONE_INPUT: error.message[:150]})
        return
    ack()
    if saved.channel:
        _post(client, saved.channel, saved.ts, build_saved_reply(saved))


def handle_checkin_blocker_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """ "Record as a blocker" under saved answers: raise it once, as `/blocker add` would."""
    ack()
    ask_id = _button_value(body)
    try:
        if ask_id is None:
            raise UserFacingError("That button is out of date.")
        with services.session_factory.begin() as session:
            actor = act_as(session, services.settings, requester_of(body))
            blocker, created = record_blocker(session, actor, ask_id, services.clock.now())
            reply = build_blocker_recorded_reply(
                f"{blocker.project.key}-b{blocker.number}", blocker.text, created=created
            )
    except UserFacingError as error:
        reply = build_error_reply(error.message)
    _answer(body, respond, reply)


class CheckinThreadReplies(Middleware):
    """Answers a reply in a check-in question's thread here and passes anything else on.

    A `Middleware` subclass, which Bolt calls as it is: a function middleware costs a build of every
    listener argument on every request.
    """

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        event = body.get("event") if body.get("type") == "event_callback" else None
        context = req.context
        services = context.get("services")
        if (
            isinstance(event, dict)
            and event.get("type") == "message"
            and isinstance(services, Services)
            and is_checkin_thread_reply(event, context, services)
        ):
            handle_checkin_thread_reply(event, body, context.client, services)
            return BoltResponse(status=200, body="")
        return next()


def is_checkin_thread_reply(event: dict[str, Any], context: BoltContext, services: Services) -> bool:
    """Whether a message is someone's reply in the thread of a check-in question (in their DM)."""
    if not isinstance(event, dict) or event.get("channel_type") != "im" or event.get("subtype"):
        return False
    thread_ts, channel = event.get("thread_ts"), event.get("channel")
    if not isinstance(thread_ts, str) or not isinstance(channel, str) or thread_ts == event.get("ts"):
        return False
    if event.get("bot_id") or (context.bot_user_id and event.get("user") == context.bot_user_id):
        return False
    with services.session_factory() as session:
        found = session.scalar(
            select(CheckinAsk.id).where(CheckinAsk.slack_channel == channel, CheckinAsk.slack_ts == thread_ts)
        )
    return found is not None


def handle_checkin_thread_reply(
    event: dict[str, Any], body: dict[str, Any], client: WebClient, services: Services
) -> None:
    """A reply in a check-in question's thread: save it as the next answer, ask the next question."""
    channel, thread_ts = str(event["channel"]), str(event["thread_ts"])
    now = services.clock.now()
    try:
        with services.session_factory.begin() as session:
            ask_id = session.scalar(
                select(CheckinAsk.id).where(
                    CheckinAsk.slack_channel == channel, CheckinAsk.slack_ts == thread_ts
                )
            )
            requester = Requester(user_id=str(event.get("user") or ""), team_id=team_id_of(body))
            actor = act_as(session, services.settings, requester)
            if ask_id is None:
                raise UserFacingError("That check-in no longer exists.")
            form = open_answers(session, actor, ask_id, now)
            reading = read_thread_reply(str(event.get("text") or ""), form)
            saved = save_answers(
                session,
                actor,
                ask_id,
                now,
                done=reading.done,
                next_=reading.next,
                blocking=reading.blocking,
                via="thread",
            )
            answered = session.get(CheckinAsk, ask_id)
            missing = (
                [
                    q
                    for q, text in zip(
                        QUESTIONS,
                        (answered.done_text, answered.next_text, answered.blocking_text),
                        strict=True,
                    )
                    if not text
                ]
                if answered is not None
                else []
            )
    except UserFacingError as error:
        _post(client, channel, thread_ts, build_error_reply(error.message))
        return
    if missing and reading.blocking is None:
        _post(client, channel, thread_ts, Reply(text=missing[0], blocks=[section(escape(missing[0]))]))
        return
    _post(client, channel, thread_ts, build_saved_reply(saved))


def _post(client: WebClient, channel: str, thread_ts: str | None, reply: Reply) -> None:
    """Reply in the question's thread; the answers are saved already, so a failure is only logged."""
    try:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, **reply.as_kwargs())
    except SlackApiError as error:
        logger.warning("check-in reply to %s failed: %s", channel, error.response.get("error"))
    except OSError as error:
        logger.warning("check-in reply to %s failed: %s", channel, error)
