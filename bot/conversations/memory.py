"""Reading and writing what a conversation remembers (the tables in `bot.conversations.tables`).

Everything is in the database, keyed by workspace, conversation and person, so that any instance can
answer the next message of a conversation. Rows are upserted on their unique key: two instances
answering the same person at once leave one row (the last answer), never an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.conversations.tables import AssistantThread, ConversationTurn
from bot.domain.dates import DateRange
from bot.projects.reports import PersonRef
from bot.questions.answers.core import Answer
from bot.questions.interpret import Intent, Interpretation

# Follow-ups resolve against an answer for a day; after that "it" means nothing any more.
TURN_LIFETIME = timedelta(days=1)
# An assistant thread's context (the channel in view) is kept while the thread is used.
ASSISTANT_THREAD_LIFETIME = timedelta(days=30)


@dataclass(frozen=True)
class ConversationKey:
    """One person in one conversation.

    Attributes:
        workspace_id: The workspace.
        channel_id: The DM or channel.
        thread_ts: The thread; "" for the top level of a DM.
        user_id: The person asking.
    """

    workspace_id: int
    channel_id: str
    thread_ts: str
    user_id: str


@dataclass(frozen=True)
class Record:
    """A record an answer named: a project (key), milestone (`key-N`) or blocker (`key-bN`)."""

    kind: str
    ref: str
    project_key: str


@dataclass(frozen=True)
class Turn:
    """What a follow-up can refer to: the previous question's reading and its answer's records.

    Attributes:
        intent: The intent answered (a `bot.questions.interpret.Intent` value).
        projects: Project keys the question was about.
        people: Slack ids it was about.
        milestones: Milestone refs it was about.
        me: Whether it was about the asker.
        records: The records the answer named, in the order shown.
        choices: The "did you mean" questions offered, in order (when the answer was unsure).
        topic: An expert answer's topic ("who else?" asks it again).
        named: The people an expert answer named (Slack ids), in order.
        asked: An agreement question as typed ("what about pcm?" asks it again about pcm).
        period: The date range the question named: its start and end (ISO instants, UTC), label and
            whether it stood for "soon" ("and the week after?" asks the same of the next one).
        rest_from: Where the list the answer cut goes on, 0 when it showed everything; "show me the
            rest" asks the question again from there, with what follows (kept only then).
        disciplines: The disciplines the question named.
        own_projects: Whether it was about the asker's projects.
        text: The question as the interpreter read it (its normalised text).
        agreements: The keys of the agreements an agreement answer listed ("is it signed?" asks of them).
        papers: The ids of the papers a paper answer listed ("when is it due?" asks of them).
    """

    intent: str
    projects: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    milestones: tuple[str, ...] = ()
    me: bool = False
    records: tuple[Record, ...] = ()
    choices: tuple[str, ...] = ()
    topic: str = ""
    named: tuple[str, ...] = ()
    asked: str = ""
    period: tuple[str, ...] = ()
    rest_from: int = 0
    disciplines: tuple[str, ...] = ()
    own_projects: bool = False
    text: str = ""
    agreements: tuple[str, ...] = ()
    papers: tuple[str, ...] = ()

    @property
    def date_range(self) -> DateRange | None:
        """The date range the question named, if any (and if it reads back)."""
        if len(self.period) != 4:
            return None
        try:
            start, end = (datetime.fromisoformat(moment) for moment in self.period[:2])
        except ValueError:
            return None
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            return None
        return DateRange(start, end, self.period[2], soon=self.period[3] == "soon")

    @property
    def refers_to_something(self) -> bool:
        """Whether a follow-up could point at anything in this turn."""
        return bool(
            self.projects
            or self.people
            or self.milestones
            or self.me
            or self.records
            or self.choices
            or self.topic
            or self.asked
            or self.period
            or self.rest_from
            or self.papers
        )

    def to_state(self) -> dict[str, Any]:
        """The turn as JSON-ready data (without the intent, which has its own column)."""
        return {
            "projects": list(self.projects),
            "people": list(self.people),
            "milestones": list(self.milestones),
            "me": self.me,
            "records": [[r.kind, r.ref, r.project_key] for r in self.records],
            "choices": list(self.choices),
            "topic": self.topic,
            "named": list(self.named),
            "asked": self.asked,
            "period": list(self.period),
            "rest_from": self.rest_from,
            "disciplines": list(self.disciplines),
            "own_projects": self.own_projects,
            "text": self.text,
            "agreements": list(self.agreements),
            "papers": list(self.papers),
        }

    @classmethod
    def from_state(cls, intent: str, state: dict[str, Any]) -> Turn:
        """Read a turn back from its stored form; unknown or malformed parts are dropped."""

        def strings(name: str) -> tuple[str, ...]:
            value = state.get(name)
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        records = []
        for item in state.get("records") or []:
            if isinstance(item, list) and len(item) == 3:
                records.append(Record(str(item[0]), str(item[1]), str(item[2])))
        return cls(
            intent=intent,
            projects=strings("projects"),
            people=strings("people"),
            milestones=strings("milestones"),
            me=bool(state.get("me")),
            records=tuple(records),
            choices=strings("choices"),
            topic=str(state.get("topic") or ""),
            named=strings("named"),
            asked=str(state.get("asked") or ""),
            period=strings("period"),
            rest_from=_count(state.get("rest_from")),
            disciplines=strings("disciplines"),
            own_projects=bool(state.get("own_projects")),
            text=str(state.get("text") or ""),
            agreements=strings("agreements"),
            papers=strings("papers"),
        )


_NAMING_PEOPLE = frozenset({Intent.EXPERTS, Intent.LEAD, Intent.LEAVING})


def turn_of(interpretation: Interpretation, answer: Answer) -> Turn:
    """The turn to remember after answering.

    Args:
        interpretation: How the question was read.
        answer: What was answered.

    Returns:
        The turn.
    """
    entities = interpretation.entities
    experts = answer.intent == Intent.EXPERTS
    # The people an answer about people named: "who else?" leaves an expert answer's out, and "what's
    # she working on?" means the one a lead's or a last-days answer named.
    named = (
        [s.slack_id for line in answer.lines for s in line if isinstance(s, PersonRef) and s.slack_id]
        if answer.intent in _NAMING_PEOPLE
        else []
    )
    return Turn(
        intent=str(answer.intent),
        projects=entities.projects,
        people=entities.people,
        milestones=entities.milestones,
        me=entities.me,
        records=tuple(Record(s.kind, s.ref, s.project_key) for s in answer.sources),
        choices=tuple(c.question for c in answer.choices),
        topic=entities.topic if experts else "",
        named=(*entities.not_people, *dict.fromkeys(named)),
        period=_period_of(entities.date_range),
        rest_from=answer.rest_from,
        disciplines=entities.disciplines if answer.rest_from else (),
        own_projects=entities.own_projects and bool(answer.rest_from),
        text=interpretation.text if answer.rest_from else "",
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10_000 else 0


def _period_of(date_range: DateRange | None) -> tuple[str, ...]:
    if date_range is None:
        return ()
    soon = "soon" if date_range.soon else ""
    return (date_range.start.isoformat(), date_range.end.isoformat(), date_range.label, soon)


def load_turn(session: Session, key: ConversationKey, now: datetime) -> Turn | None:
    """The last turn of a conversation, if it is less than `TURN_LIFETIME` old.

    Args:
        session: The request's session.
        key: The conversation and person.
        now: The current instant.

    Returns:
        The turn, or None.
    """
    row = session.execute(
        select(ConversationTurn.intent, ConversationTurn.state).where(
            ConversationTurn.workspace_id == key.workspace_id,
            ConversationTurn.channel_id == key.channel_id,
            ConversationTurn.thread_ts == key.thread_ts,
            ConversationTurn.user_id == key.user_id,
            ConversationTurn.updated_at > now - TURN_LIFETIME,
        )
    ).first()
    if row is None or not isinstance(row.state, dict):
        return None
    return Turn.from_state(row.intent, row.state)


def save_turn(session: Session, key: ConversationKey, turn: Turn, now: datetime) -> None:
    """Remember a turn (replacing the conversation's previous one) and forget the workspace's expired ones.

    Args:
        session: A session in a transaction (the caller commits).
        key: The conversation and person.
        turn: What to remember.
        now: The current instant.
    """
    values = {
        "workspace_id": key.workspace_id,
        "channel_id": key.channel_id,
        "thread_ts": key.thread_ts,
        "user_id": key.user_id,
        "intent": turn.intent,
        "state": turn.to_state(),
        "updated_at": now,
    }
    _upsert(
        session,
        ConversationTurn,
        values,
        ["workspace_id", "channel_id", "thread_ts", "user_id"],
        ("intent", "state", "updated_at"),
    )
    session.execute(
        delete(ConversationTurn).where(
            ConversationTurn.workspace_id == key.workspace_id,
            ConversationTurn.updated_at <= now - TURN_LIFETIME,
        )
    )


@dataclass(frozen=True)
class AssistantThreadState:
    """An assistant thread as remembered: who opened it, the channel in view, whether it has a title."""

    user_id: str
    context_channel_id: str | None
    titled: bool


def remember_assistant_thread(
    session: Session,
    workspace_id: int,
    channel_id: str,
    thread_ts: str,
    *,
    user_id: str,
    context_channel_id: str | None,
    now: datetime,
) -> None:
    """Record an assistant thread (started) or its new context (the person looked at another channel).

    Args:
        session: A session in a transaction (the caller commits).
        workspace_id: The workspace.
        channel_id: The assistant DM.
        thread_ts: The thread.
        user_id: The person in the thread.
        context_channel_id: The channel in view, or None.
        now: The current instant.
    """
    values = {
        "workspace_id": workspace_id,
        "channel_id": channel_id,
        "thread_ts": thread_ts,
        "user_id": user_id,
        "context_channel_id": context_channel_id,
        "titled": False,
        "updated_at": now,
    }
    _upsert(
        session,
        AssistantThread,
        values,
        ["workspace_id", "channel_id", "thread_ts"],
        ("context_channel_id", "updated_at"),
    )
    session.execute(
        delete(AssistantThread).where(
            AssistantThread.workspace_id == workspace_id,
            AssistantThread.updated_at <= now - ASSISTANT_THREAD_LIFETIME,
        )
    )


def load_assistant_thread(
    session: Session, workspace_id: int, channel_id: str, thread_ts: str
) -> AssistantThreadState | None:
    """An assistant thread Liaison knows (None: a plain DM thread, or one started before the upgrade)."""
    row = session.execute(
        select(AssistantThread.user_id, AssistantThread.context_channel_id, AssistantThread.titled).where(
            AssistantThread.workspace_id == workspace_id,
            AssistantThread.channel_id == channel_id,
            AssistantThread.thread_ts == thread_ts,
        )
    ).first()
    if row is None:
        return None
    return AssistantThreadState(row.user_id, row.context_channel_id, bool(row.titled))


def mark_assistant_thread_titled(
    session: Session, workspace_id: int, channel_id: str, thread_ts: str, now: datetime
) -> bool:
    """Note that the thread got its title; True only for the one caller that set the mark.

    The update is conditional, so two instances answering the thread's first two messages at once
    title it once.
    """
    result = session.execute(
        update(AssistantThread)
        .where(
            AssistantThread.workspace_id == workspace_id,
            AssistantThread.channel_id == channel_id,
            AssistantThread.thread_ts == thread_ts,
            AssistantThread.titled.is_(False),
        )
        .values(titled=True, updated_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def _upsert(
    session: Session,
    table: type[ConversationTurn] | type[AssistantThread],
    values: dict[str, Any],
    key_columns: list[str],
    updated: Sequence[str],
) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg_insert = postgresql.insert(table).values(values)
        session.execute(
            pg_insert.on_conflict_do_update(
                index_elements=key_columns, set_={c: pg_insert.excluded[c] for c in updated}
            )
        )
    elif dialect == "sqlite":
        lite_insert = sqlite.insert(table).values(values)
        session.execute(
            lite_insert.on_conflict_do_update(
                index_elements=key_columns, set_={c: lite_insert.excluded[c] for c in updated}
            )
        )
    else:  # pragma: no cover - Liaison runs on SQLite and PostgreSQL only
        raise NotImplementedError(dialect)
