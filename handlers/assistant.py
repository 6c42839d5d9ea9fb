"""The assistant surface (Slack's AI-app split view), through Bolt's `Assistant` middleware.

`assistant_thread_started` greets with suggested prompts, `assistant_thread_context_changed` records
the channel in view, and a message in an assistant thread is answered like a DM (bot/slack/assistant.py
says what each does). Workspaces that do not enable the surface keep the DM and @mention paths
(handlers/events.py); their threaded DM messages come here too and are answered the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.context.set_status import SetStatus
from slack_bolt.context.set_suggested_prompts import SetSuggestedPrompts
from slack_bolt.context.set_title import SetTitle
from slack_bolt.middleware import Middleware
from slack_bolt.middleware.assistant import Assistant
from slack_sdk import WebClient

from bot.services import Services
from bot.settings import Settings
from bot.slack.answer_publisher import post_answer
from bot.slack.assistant import (
    PROMPTS_TITLE,
    THINKING_STATUS,
    AssistantThreadRef,
    call_quietly,
    change_context,
    prompt_payload,
    start_thread,
    thread_of,
    thread_question,
    thread_title,
    visit_thread,
)


def register(app: App, settings: Settings) -> None:
    """Register the assistant's listeners (a global middleware: it runs before the event listeners)."""
    assistant = Assistant()
    # Bolt's Assistant fails with a 500 (and Slack retries) on a thread event it cannot place: such
    # events are left unmatched instead, and acknowledged like any event nobody handles.
    # A list, although Bolt 1.30 annotates one callable: it adds the list to its own matchers.
    well_formed: Any = [is_well_formed_thread_event]
    assistant.thread_started(handle_assistant_thread_started, matchers=well_formed)
    assistant.thread_context_changed(handle_assistant_context_changed, matchers=well_formed)
    assistant.user_message(handle_assistant_message)
    app.use(_EventsOnly(assistant))


class _EventsOnly(Middleware):
    """Runs Bolt's `Assistant` for events only.

    The assistant asks each of its listeners whether a request is theirs, and each question builds every
    listener argument Bolt knows: on every slash command and click that was three such builds for
    nothing (assistant requests are always events).
    """

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        if req.body.get("type") != "event_callback":
            return next()
        return self._assistant.process(req=req, resp=resp, next=next)


def is_well_formed_thread_event(body: dict[str, Any]) -> bool:
    """Whether an `assistant_thread_*` event names its thread's channel, ts and person."""
    thread = (body.get("event") or {}).get("assistant_thread")
    return isinstance(thread, dict) and all(
        isinstance(thread.get(key), str) and thread[key] for key in ("channel_id", "thread_ts", "user_id")
    )


def handle_assistant_thread_started(
    event: dict[str, Any],
    body: dict[str, Any],
    client: WebClient,
    services: Services,
    set_suggested_prompts: SetSuggestedPrompts,
) -> None:
    """`assistant_thread_started`: remember the thread and its channel in view, greet, suggest prompts."""
    ref, user_id, channel_in_view = thread_of(event, body.get("team_id"))
    greeting = start_thread(services, ref, user_id, channel_in_view)
    client.chat_postMessage(channel=ref.channel_id, thread_ts=ref.thread_ts, **greeting.reply.as_kwargs())
    if greeting.prompts:
        prompts = prompt_payload(greeting.prompts)
        call_quietly("prompts", lambda: set_suggested_prompts(prompts=prompts, title=PROMPTS_TITLE))


def handle_assistant_context_changed(event: dict[str, Any], body: dict[str, Any], services: Services) -> None:
    """`assistant_thread_context_changed`: the person looks at another channel ("this project")."""
    ref, user_id, channel_in_view = thread_of(event, body.get("team_id"))
    change_context(services, ref, user_id, channel_in_view)


def handle_assistant_message(
    event: dict[str, Any],
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    services: Services,
    set_status: SetStatus,
    set_title: SetTitle,
) -> None:
    """A person's message in an assistant thread (or any DM thread): answer it in the thread."""
    if event.get("subtype") or not event.get("user") or event.get("user") == context.bot_user_id:
        return  # files without a question, and our own posts
    if not isinstance(event.get("channel"), str) or not isinstance(event.get("thread_ts"), str):
        return
    ref = AssistantThreadRef(body.get("team_id"), event["channel"], event["thread_ts"])
    visit = visit_thread(services, ref, str(event["user"]))
    if visit.state is not None:
        call_quietly("status", lambda: set_status(THINKING_STATUS))
        if visit.first_question:
            call_quietly("title", lambda: set_title(thread_title(str(event.get("text") or ""))))
    post_answer(
        client,
        services,
        thread_question(event, ref, visit, context.bot_user_id),
        reply_thread_ts=ref.thread_ts,
        message_ts=event.get("ts"),
    )
