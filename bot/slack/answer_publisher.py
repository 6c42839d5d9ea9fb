"""Delivering answers to questions: in the conversation (mentions, DMs) or via `response_url`.

An answer that names a private project is only ever shown to the asker: in a channel it goes out as
an ephemeral message, never as a post the whole channel reads. The "thinking…" note for a slow answer
is ephemeral too, so it says nothing to anyone else.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import Services
from bot.slack.answer_blocks import build_thinking_reply
from bot.slack.private_replies import Responder
from bot.slack.proposals import answer_change_request
from bot.slack.questions import Question, QuestionOutcome, answer_question

logger = logging.getLogger(__name__)

# Earlier messages of a thread read for its subject.
THREAD_MESSAGES = 20


def is_direct_message(channel_id: str | None) -> bool:
    """Whether a conversation id is a DM with Liaison (only the asker reads it)."""
    return bool(channel_id) and str(channel_id).startswith("D")


def _thread_reader(client: WebClient, question: Question, current_ts: str | None) -> Any:
    def read() -> Sequence[str]:
        if not question.channel_id or not question.thread_ts:
            return []
        try:
            response = client.conversations_replies(
                channel=question.channel_id, ts=question.thread_ts, limit=THREAD_MESSAGES
            )
        except SlackApiError as error:
            # Not in the channel, or a scope the install lacks: answer without the thread's subject.
            logger.info("could not read thread %s: %s", question.thread_ts, error.response.get("error"))
            return []
        messages = [m for m in response.get("messages") or [] if m.get("ts") != current_ts]
        return [str(m.get("text") or "") for m in reversed(messages)]

    return read


def post_answer(
    client: WebClient,
    services: Services,
    question: Question,
    *,
    reply_thread_ts: str | None,
    message_ts: str | None = None,
) -> QuestionOutcome:
    """Answer a question asked in a conversation, in that conversation.

    Args:
        client: The Web API client.
        services: Shared dependencies.
        question: The question (its channel is where the answer goes).
        reply_thread_ts: Thread to answer in (the question's own ts for a top-level mention).
        message_ts: The question's own ts, left out when the thread is read for context.

    Returns:
        What was answered.
    """
    # "mark pcm-2 done" and the like: proposed with Confirm / Cancel, never answered as a question.
    proposed = answer_change_request(client, services, question, reply_thread_ts=reply_thread_ts)
    if proposed is not None:
        return proposed
    channel = question.channel_id or question.user_id
    private_conversation = is_direct_message(channel)

    def thinking() -> None:
        client.chat_postEphemeral(
            channel=channel,
            user=question.user_id,
            thread_ts=reply_thread_ts,
            **build_thinking_reply().as_kwargs(),
        )

    outcome = answer_question(
        services, question, read_thread=_thread_reader(client, question, message_ts), on_wait=thinking
    )
    kwargs = outcome.reply.as_kwargs()
    if outcome.private and not private_conversation:
        client.chat_postEphemeral(channel=channel, user=question.user_id, thread_ts=reply_thread_ts, **kwargs)
    else:
        client.chat_postMessage(channel=channel, thread_ts=reply_thread_ts, **kwargs)
    return outcome


def respond_answer(
    respond: Responder,
    services: Services,
    question: Question,
    *,
    client: WebClient | None = None,
    replace_original: bool = False,
) -> QuestionOutcome:
    """Answer privately through `response_url` (/ask, the message shortcut, "did you mean" buttons).

    Args:
        respond: Bolt's `respond` for the request, or a `bot.slack.private_replies.DirectMessage`.
        services: Shared dependencies.
        question: The question.
        client: For reading the thread the question came from (the message shortcut).
        replace_original: Replace the message the button was on (only ever an ephemeral one).

    Returns:
        What was answered.
    """
    noted = False

    def thinking() -> None:
        nonlocal noted
        respond(
            response_type="ephemeral", replace_original=replace_original, **build_thinking_reply().as_kwargs()
        )
        noted = True

    reader = _thread_reader(client, question, None) if client is not None else None
    outcome = answer_question(services, question, read_thread=reader, on_wait=thinking)
    respond(
        response_type="ephemeral", replace_original=replace_original or noted, **outcome.reply.as_kwargs()
    )
    return outcome
