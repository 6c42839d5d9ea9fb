"""The tables of `bot.conversations` (registered on `bot.db.Base` by `bot.schema`).

`conversation_turn` is what Liaison last answered one person in one conversation (a DM, a thread of
a DM or of a channel, an assistant thread): the records the answer named and how the question was
read, so that "and who owns it?" can be resolved by whichever instance receives it. A row older than
`bot.conversations.memory.TURN_LIFETIME` is never read and is deleted by the next save.

`assistant_thread` is one thread of Slack's assistant surface: who opened it, and the channel the
person was looking at (`assistant_thread_context_changed`), which makes "this project" mean that
channel's project.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime


class ConversationTurn(Base):
    """The last answer one person got in one conversation (one row per person and conversation).

    Attributes:
        channel_id: The conversation (a DM `D…` or a channel `C…`).
        thread_ts: The thread within it; "" for the top level of a DM.
        user_id: Who asked: follow-ups resolve only against the asker's own answers, so a thread
            shared with others never lends one person's (possibly private) records to another.
        intent: The interpreter's intent for the answered question.
        state: The interpretation's entities, the answer's records and its "did you mean" questions
            (`bot.conversations.memory.Turn`), as JSON.
        updated_at: When the answer was given; a day later the row is forgotten.
    """

    __tablename__ = "conversation_turn"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel_id", "thread_ts", "user_id"),
        Index("ix_conversation_turn_workspace_id_updated_at", "workspace_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    intent: Mapped[str] = mapped_column(String(32))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AssistantThread(Base):
    """A thread of Slack's assistant surface and the channel its person is looking at.

    Attributes:
        channel_id: The assistant DM (`D…`).
        thread_ts: The thread.
        user_id: The person who opened it.
        context_channel_id: The channel in view when the thread started or last changed (None: none).
        titled: Whether the thread got its title (from its first question).
        updated_at: Last started, changed or used; rows unused for `ASSISTANT_THREAD_LIFETIME` go.
    """

    __tablename__ = "assistant_thread"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel_id", "thread_ts"),
        Index("ix_assistant_thread_workspace_id_updated_at", "workspace_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    context_channel_id: Mapped[str | None] = mapped_column(String(32))
    titled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
