"""Where the console's user speaks (a channel, Liaison's DM, an assistant thread; optionally a thread
in it) and the Events API payloads Slack sends for what they type there.

The shapes follow Slack's documented events: `app_mention` in a channel, `message` with
`channel_type: "im"` in the app's DM, and for the AI-app split view `assistant_thread_started` (then
`assistant_thread_context_changed` when the user looks at another channel) followed by `message.im`
events that carry the assistant thread's `thread_ts`.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from bot.access import Requester, act_as, visible_projects
from bot.domain.matching import Candidate, MatchKind, match_name
from bot.errors import UserFacingError
from bot.settings import Settings

# Where slash commands and mentions go when the user has not chosen a channel (`:in`).
CONSOLE_CHANNEL = "C0CONSOLE"
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
_TS = re.compile(r"^\d{1,12}\.\d{1,6}$")


class Surface(enum.Enum):
    """The kind of conversation."""

    CHANNEL = "channel"
    DM = "dm"
    ASSISTANT = "assistant"


@dataclass(frozen=True)
class Place:
    """Where the next message goes.

    Attributes:
        surface: Channel, DM or assistant thread.
        channel_id: The conversation (`C…`/`G…` for channels, `D…` for the DM and assistant threads).
        thread_ts: The thread replied in, if any (an assistant thread always has one).
        context_channel_id: For an assistant thread, the channel the user is looking at.
        chosen: Whether the user chose this channel (`:in`, `--in`); there a plain line is a mention.
    """

    surface: Surface
    channel_id: str
    thread_ts: str | None = None
    context_channel_id: str | None = None
    chosen: bool = False

    def in_thread(self, thread_ts: str | None) -> Place:
        """The same conversation, in thread `thread_ts` (None: at the top level)."""
        return replace(self, thread_ts=thread_ts)


def default_place() -> Place:
    """The console's channel, where slash commands and @mentions go unless told otherwise."""
    return Place(Surface.CHANNEL, CONSOLE_CHANNEL)


def dm_channel(user_id: str) -> str:
    """The id of Liaison's DM with a user (the fake Slack answers `conversations.open` the same way)."""
    return "D" + user_id[1:]


def is_thread_ts(text: str) -> bool:
    """Whether `text` looks like a Slack message ts (`1733480000.123456`)."""
    return bool(_TS.match(text))


def resolve_channel(session: Session, settings: Settings, user_id: str, target: str) -> str:
    """The channel a `:in`/`--in` target names: a channel id, or a project the user may see by key or name.

    Args:
        session: A database session.
        settings: For the admins (who see private projects).
        user_id: Who speaks (private projects are found only for their members).
        target: `C1PCM`, `pcm`, `#pcm` or "privacy-preserving conversion".

    Raises:
        UserFacingError: No such project, several match, or the project has no channel.
    """
    target = target.strip().lstrip("#")
    if _CHANNEL_ID.match(target):
        return target
    actor = act_as(session, settings, Requester(user_id=user_id, team_id=None))
    projects = visible_projects(session, actor)
    by_key = {p.key.lower(): p for p in projects}
    project = by_key.get(target.lower())
    if project is None:
        match = match_name(target, [Candidate(p.key, p.name) for p in projects])
        if match.kind not in (MatchKind.EXACT, MatchKind.CONFIDENT) or match.best is None:
            options = ", ".join(c.key for c in match.alternatives)
            hint = f" Did you mean: {options}?" if options else " Give a channel id (C…) or a project key."
            raise UserFacingError(f"No project “{target}” that you can see.{hint}")
        project = by_key[match.best.key.lower()]
    if not project.channel_id:
        raise UserFacingError(f"Project {project.key} has no channel; give a channel id (C…) instead.")
    return project.channel_id


def new_event_id() -> str:
    """An event id unique across processes (`liaison say` runs one process per line, one database)."""
    return "Ev" + uuid.uuid4().hex[:16].upper()


def app_mention(user_id: str, place: Place, text: str, ts: str, bot_user_id: str) -> dict[str, Any]:
    """The `app_mention` event of `@liaison text` posted at `ts` in a channel (in its thread, if any)."""
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user_id,
        "text": f"<@{bot_user_id}> {text}",
        "ts": ts,
        "channel": place.channel_id,
        "event_ts": ts,
    }
    if place.thread_ts:
        event["thread_ts"] = place.thread_ts
    return event


def direct_message(user_id: str, place: Place, text: str, ts: str) -> dict[str, Any]:
    """The `message.im` event of `text` posted at `ts` in Liaison's DM (or an assistant thread there)."""
    event: dict[str, Any] = {
        "type": "message",
        "channel_type": "im",
        "user": user_id,
        "text": text,
        "ts": ts,
        "channel": place.channel_id,
        "event_ts": ts,
        "client_msg_id": str(uuid.uuid4()),
    }
    if place.thread_ts:
        event["thread_ts"] = place.thread_ts
    return event


def assistant_thread_event(
    kind: str, user_id: str, place: Place, team_id: str, event_ts: str
) -> dict[str, Any]:
    """`assistant_thread_started` or `assistant_thread_context_changed` for the assistant thread `place`.

    Args:
        kind: The event type.
        user_id: Who opened the thread.
        place: The assistant thread (its DM channel, thread ts and the channel the user looks at).
        team_id: The workspace.
        event_ts: When it happened.
    """
    context: dict[str, Any] = {"team_id": team_id, "enterprise_id": None}
    if place.context_channel_id:
        context["channel_id"] = place.context_channel_id
    return {
        "type": kind,
        "assistant_thread": {
            "user_id": user_id,
            "context": context,
            "channel_id": place.channel_id,
            "thread_ts": place.thread_ts,
        },
        "event_ts": event_ts,
    }


def describe_place(place: Place, name_of: Callable[[str], str]) -> str:
    """Where the user is, for the prompt and `:where` (e.g. `#pcm`, `DM with Liaison, thread 17…`).

    Args:
        place: Where the user speaks.
        name_of: A channel's display name (`#pcm`) from its id.
    """
    if place.surface is Surface.ASSISTANT:
        looking = f", looking at {name_of(place.context_channel_id)}" if place.context_channel_id else ""
        return f"assistant thread {place.thread_ts}{looking}"
    where = "DM with Liaison" if place.surface is Surface.DM else name_of(place.channel_id)
    return f"{where}, thread {place.thread_ts}" if place.thread_ts else where
