"""Shortcuts: the message shortcut "Ask Liaison about this"."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.settings import Settings
from bot.slack import ids
from bot.slack.answer_publisher import respond_answer
from bot.slack.questions import Question
from bot.slack.requesters import team_id_of


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
    message = shortcut.get("message") or {}
    question = Question(
        text=str(message.get("text") or ""),
        user_id=shortcut["user"]["id"],
        team_id=team_id_of(shortcut),
        channel_id=(shortcut.get("channel") or {}).get("id"),
        thread_ts=message.get("thread_ts"),
        bot_user_id=context.bot_user_id,
    )
    respond_answer(respond, services, question, client=client)
