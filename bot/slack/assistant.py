"""Liaison as a Slack AI app: the assistant surface's threads (Bolt's `Assistant`, handlers/assistant.py).

A person opens the assistant pane: `assistant_thread_started` is greeted with prompts chosen for them
(`bot.conversations.prompts`), and the channel they are looking at is remembered with the thread
(`bot.conversations.memory`), as is every later `assistant_thread_context_changed`, so "this project"
means that channel's project. Their messages are answered by the same path as DMs
(`bot.slack.answer_publisher.post_answer`), with a "thinking…" status meanwhile and the first
question as the thread's title.

The context lives in our database rather than in Bolt's default store (which rewrites the thread's
first bot message through `chat.update` on every change): any instance reads it with one query.
Bolt's Assistant also takes every threaded DM message, including in workspaces that never enabled
the assistant surface; those threads are unknown here and are answered exactly as a DM thread,
without status or title (Slack would refuse both outside an assistant thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import Actor, Requester, act_as, visible_condition
from bot.conversations.memory import (
    AssistantThreadState,
    load_assistant_thread,
    mark_assistant_thread_titled,
    remember_assistant_thread,
)
from bot.conversations.prompts import Prompt, suggested_prompts
from bot.errors import NotSetUp
from bot.models import Person, Project
from bot.services import Services
from bot.slack.blocks import Reply, context, escape, section
from bot.slack.questions import Question

logger = logging.getLogger(__name__)

THINKING_STATUS = "thinking…"
PROMPTS_TITLE = "Try asking"
# Thread titles show in the assistant's history list: a line, not a paragraph.
MAX_TITLE = 60


@dataclass(frozen=True)
class AssistantThreadRef:
    """Where an assistant thread is: its team, the assistant DM and the thread's ts."""

    team_id: str | None
    channel_id: str
    thread_ts: str


@dataclass(frozen=True)
class Greeting:
    """The first message of an assistant thread and the prompts to suggest with it."""

    reply: Reply
    prompts: tuple[Prompt, ...]


def thread_of(event: dict[str, Any], team_id: str | None) -> tuple[AssistantThreadRef, str, str | None]:
    """The thread, its person and the channel in view, from an `assistant_thread_*` event.

    Args:
        event: The event (`assistant_thread_started` or `assistant_thread_context_changed`).
        team_id: The team the event came from.

    Returns:
        The thread, the person's user id and the channel they are looking at (None: none).
    """
    thread = event.get("assistant_thread") or {}
    view = thread.get("context") or {}
    channel = view.get("channel_id")
    return (
        AssistantThreadRef(team_id, str(thread.get("channel_id") or ""), str(thread.get("thread_ts") or "")),
        str(thread.get("user_id") or ""),
        str(channel) if channel else None,
    )


def start_thread(
    services: Services, ref: AssistantThreadRef, user_id: str, context_channel_id: str | None
) -> Greeting:
    """Remember a new assistant thread and say hello with prompts chosen for the person.

    Args:
        services: Shared dependencies.
        ref: The thread.
        user_id: Who opened it.
        context_channel_id: The channel they are looking at.

    Returns:
        The greeting.
    """
    now = services.clock.now()
    with services.session_factory.begin() as session:
        try:
            actor = act_as(session, services.settings, Requester(user_id=user_id, team_id=ref.team_id))
        except NotSetUp as error:
            return Greeting(Reply(text=error.message, blocks=[section(escape(error.message))]), ())
        remember_assistant_thread(
            session,
            actor.workspace_id,
            ref.channel_id,
            ref.thread_ts,
            user_id=user_id,
            context_channel_id=context_channel_id,
            now=now,
        )
        project = _project_in_view(session, actor, context_channel_id)
        prompts = suggested_prompts(session, actor, now, context_project=project)
        name = session.scalar(select(Person.name).where(Person.id == actor.person_id))
    return Greeting(build_greeting(name), tuple(prompts))


def change_context(
    services: Services, ref: AssistantThreadRef, user_id: str, context_channel_id: str | None
) -> None:
    """The person looks at another channel: "this project" is now that channel's project.

    Args:
        services: Shared dependencies.
        ref: The thread.
        user_id: Its person.
        context_channel_id: The channel now in view.
    """
    with services.session_factory.begin() as session:
        try:
            actor = act_as(session, services.settings, Requester(user_id=user_id, team_id=ref.team_id))
        except NotSetUp:
            return  # nothing to answer about; the greeting already said so
        remember_assistant_thread(
            session,
            actor.workspace_id,
            ref.channel_id,
            ref.thread_ts,
            user_id=user_id,
            context_channel_id=context_channel_id,
            now=services.clock.now(),
        )


@dataclass(frozen=True)
class ThreadVisit:
    """An assistant thread as a message in it finds it."""

    state: AssistantThreadState | None
    first_question: bool


def visit_thread(services: Services, ref: AssistantThreadRef, user_id: str) -> ThreadVisit:
    """Look up the thread a message was posted in; claim its title if this is its first question.

    Args:
        services: Shared dependencies.
        ref: The thread.
        user_id: Who wrote the message.

    Returns:
        The thread's state (None: not an assistant thread Liaison knows), and whether this message
        gives the thread its title.
    """
    with services.session_factory.begin() as session:
        try:
            actor = act_as(session, services.settings, Requester(user_id=user_id, team_id=ref.team_id))
        except NotSetUp:
            return ThreadVisit(None, False)
        state = load_assistant_thread(session, actor.workspace_id, ref.channel_id, ref.thread_ts)
        if state is None or state.user_id != user_id:
            return ThreadVisit(None, False)
        first = not state.titled and mark_assistant_thread_titled(
            session, actor.workspace_id, ref.channel_id, ref.thread_ts, services.clock.now()
        )
    return ThreadVisit(state, first)


def thread_question(
    event: dict[str, Any], ref: AssistantThreadRef, visit: ThreadVisit, bot_user_id: str | None
) -> Question:
    """The question a message in an assistant (or plain DM) thread asks.

    Args:
        event: The `message` event.
        ref: Its thread.
        visit: What is known of the thread.
        bot_user_id: Liaison's user id.

    Returns:
        The question: the thread is the conversation, the channel in view its "this project".
    """
    return Question(
        text=str(event.get("text") or ""),
        user_id=str(event.get("user") or ""),
        team_id=ref.team_id,
        channel_id=ref.channel_id,
        thread_ts=ref.thread_ts,
        bot_user_id=bot_user_id,
        conversation_ts=ref.thread_ts,
        context_channel_id=visit.state.context_channel_id if visit.state else None,
    )


# Titles that come before a name in the directory ("Prof. Ingrid Banerjee", "Dr. Mei Wong").
_TITLES = frozenset({"prof", "professor", "dr", "doctor", "mr", "mrs", "ms", "mx", "sir", "dame"})


def greeting_name(name: str | None) -> str | None:
    """The name to greet someone by: the first word of their name that is not a title ("Ingrid")."""
    words = (name or "").split()
    given = next((w for w in words if w.rstrip(".").casefold() not in _TITLES), None)
    return given


def build_greeting(name: str | None) -> Reply:
    """The first message of an assistant thread.

    Args:
        name: The person's name, if Liaison knows them.

    Returns:
        The message.
    """
    given = greeting_name(name)
    hello = f"Hi {given}!" if given else "Hi!"
    text = (
        f"{hello} Ask me about the alliance's projects: what is due or overdue, who leads or owns "
        "what, what is blocked, who knows about a topic. Follow up in this thread (“and who owns "
        "it?”, “the second one”); in a project's channel, “this project” means that one."
    )
    return Reply(
        text=text,
        blocks=[section(escape(text)), context("Only you see this thread. Answers come from the records.")],
    )


def thread_title(text: str) -> str:
    """A thread's title from its first question: one line, Slack markup left out, cut to `MAX_TITLE`.

    Args:
        text: The question as typed.

    Returns:
        The title.
    """
    words = [w for w in text.split() if not (w.startswith("<") and w.endswith(">"))]
    title = " ".join(words) or "Question"
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "…"


def prompt_payload(prompts: tuple[Prompt, ...]) -> list[dict[str, str]]:
    """Suggested prompts as `assistant.threads.setSuggestedPrompts` takes them."""
    return [{"title": p.title, "message": p.message} for p in prompts]


def call_quietly(name: str, call: Callable[[], Any]) -> bool:
    """Run an optional assistant call (status, title, prompts); a refusal is logged, not raised.

    Slack refuses them where the surface is not enabled (or the install lacks `assistant:write`);
    the answer itself must still be posted.

    Returns:
        Whether the call succeeded.
    """
    try:
        call()
    except SlackApiError as error:
        logger.info("assistant %s refused: %s", name, error.response.get("error"))
        return False
    return True


def _project_in_view(session: Session, actor: Actor, channel_id: str | None) -> str | None:
    if not channel_id:
        return None
    # A private project's channel counts only for its members: the prompt would name it.
    return session.scalar(
        select(Project.key).where(visible_condition(actor), Project.channel_id == channel_id).limit(1)
    )
