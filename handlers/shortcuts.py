"""Shortcuts: the message shortcut "Ask Liaison about this"."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.settings import Settings
from bot.slack import ids
from bot.slack.answer_publisher import respond_answer
from bot.slack.private_replies import responder
from bot.slack.questions import Question
from bot.slack.requesters import requester_of


def register(app: App, settings: Settings) -> None:
    """Register the shortcut listeners."""
    app.shortcut(ids.ASK_SHORTCUT)(handle_ask_shortcut)


def handle_ask_shortcut(
    ack: Ack,
    shortcut: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    services: Services,
) -> None:
    """Message shortcut: take the message as the question and answer it privately."""
    ack()
    message = shortcut.get("message")
    message = message if isinstance(message, dict) else {}
    channel = shortcut.get("channel")
    thread_ts = message.get("thread_ts")
    requester = requester_of(shortcut)
    question = Question(
        text=str(message.get("text") or ""),
        user_id=requester.user_id,
        team_id=requester.team_id,
        channel_id=channel.get("id") if isinstance(channel, dict) else None,
        thread_ts=thread_ts if isinstance(thread_ts, str) and thread_ts else None,
        bot_user_id=context.bot_user_id,
    )
    # A message shortcut has a response_url; a global shortcut (none is declared under this callback
    # id, but one can arrive) has not, and is answered in the app's DM.
    respond_answer(responder(shortcut, respond, client), services, question, client=client)
