"""Answering a check-in (the form, or replies in the question's thread) and the one-click blocker.

Only the person asked may answer, and only until the round's cut-off; answering again replaces the
answers. A "blocking" answer is offered to its author as a blocker record: the click raises it with
`bot.projects.blockers.add_blocker`, the function behind `/blocker add`, so the same permissions and
audit apply; a second click (or a double click) finds the blocker already recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import Actor
from bot.checkins.tables import CheckinAsk, CheckinRound
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.models import Blocker, DeliveryStatus, Person, Project
from bot.projects.blockers import MAX_BLOCKER_TEXT, add_blocker

MAX_ANSWER = 2000
NOTHING = re.compile(r"^(no|none|nothing|n/?a|-+|no blockers?|nope|nothing blocking)[.!]*$", re.IGNORECASE)
_STALE = "That check-in is not yours, or no longer exists."


@dataclass(frozen=True)
class AnswerForm:
    """What the answer form shows: the project, the deadline and any answers given already."""

    ask_id: int
    project_key: str
    project_name: str
    cutoff_at: datetime
    zone: ZoneInfo
    done: str
    next: str
    blocking: str


@dataclass(frozen=True)
class SavedAnswers:
    """Answers saved; `offer_blocker` when the blocking answer names something and is not recorded yet."""

    ask_id: int
    project_key: str
    blocking: str
    offer_blocker: bool
    channel: str | None  # the question's DM and ts, to reply in its thread
    ts: str | None
    first_time: bool


def _own_ask(
    session: Session, actor: Actor, ask_id: int, now: datetime, *, lock: bool = False
) -> tuple[CheckinAsk, CheckinRound, Project]:
    query = select(CheckinAsk).where(CheckinAsk.id == ask_id)
    if lock:
        query = query.with_for_update()
    ask = session.scalars(query).first()
    person = session.get(Person, ask.person_id) if ask is not None else None
    if (
        ask is None
        or person is None
        or person.slack_id != actor.slack_id
        or person.workspace_id != actor.workspace_id
    ):
        raise Forbidden(_STALE)
    round_ = session.get(CheckinRound, ask.round_id)
    project = session.get(Project, round_.project_id) if round_ is not None else None
    if round_ is None or project is None or ask.status != DeliveryStatus.SENT:
        raise NotFound(_STALE)
    if project.archived_at is not None:
        raise Forbidden(f"*{project.key}* is archived; its check-ins are closed.")
    return ask, round_, project


def _require_open(round_: CheckinRound, now: datetime) -> None:
    if now >= round_.cutoff_at:
        raise Forbidden(
            "This check-in closed at its cut-off and its summary is out; the next one comes next week."
        )


def open_answers(session: Session, actor: Actor, ask_id: int, now: datetime) -> AnswerForm:
    """The form of a check-in the actor was asked, with the answers they gave so far.

    Raises:
        UserFacingError: Not theirs, closed, or the project is archived.
    """
    ask, round_, project = _own_ask(session, actor, ask_id, now)
    _require_open(round_, now)
    return AnswerForm(
        ask_id=ask.id,
        project_key=project.key,
        project_name=project.name,
        cutoff_at=round_.cutoff_at,
        zone=ZoneInfo(ask.ask_zone),
        done=ask.done_text or "",
        next=ask.next_text or "",
        blocking=ask.blocking_text or "",
    )


def is_nothing(text: str) -> bool:
    """Whether a blocking answer says there is nothing blocking ("no", "none", "-", …)."""
    return not text.strip() or NOTHING.match(text.strip()) is not None


def save_answers(
    session: Session,
    actor: Actor,
    ask_id: int,
    now: datetime,
    *,
    done: str | None,
    next_: str | None,
    blocking: str | None,
    via: str,
) -> SavedAnswers:
    """Save a member's answers (None leaves an answer as it was).

    Raises:
        UserFacingError: Not theirs, closed, nothing answered, or an answer too long.
    """
    ask, round_, project = _own_ask(session, actor, ask_id, now, lock=True)
    _require_open(round_, now)
    given = {"done": done, "next": next_, "blocking": blocking}
    for name, text in given.items():
        if text is not None and len(text) > MAX_ANSWER:
            raise InvalidInput(f"Answers have at most {MAX_ANSWER} characters ({name} has {len(text)}).")
    if done is not None:
        ask.done_text = done.strip() or None
    if next_ is not None:
        ask.next_text = next_.strip() or None
    if blocking is not None:
        ask.blocking_text = blocking.strip() or None
    if not (ask.done_text or ask.next_text or ask.blocking_text):
        raise InvalidInput("Answer at least one of the three questions.")
    first_time = ask.answered_at is None
    ask.answered_at, ask.answered_via, ask.updated_at = now, via, now
    text = ask.blocking_text or ""
    return SavedAnswers(
        ask_id=ask.id,
        project_key=project.key,
        blocking=text,
        offer_blocker=ask.blocker_id is None and not is_nothing(text),
        channel=ask.slack_channel,
        ts=ask.slack_ts,
        first_time=first_time,
    )


def record_blocker(session: Session, actor: Actor, ask_id: int, now: datetime) -> tuple[Blocker, bool]:
    """Raise the blocker a check-in answer named, once (the "Record as a blocker" button).

    Returns:
        The blocker, and whether it was raised now (False: it was recorded before).

    Raises:
        UserFacingError: Not theirs, no blocking answer, or what `/blocker add` refuses.
    """
    ask, _, project = _own_ask(session, actor, ask_id, now, lock=True)
    if ask.blocker_id is not None:
        existing = session.get(Blocker, ask.blocker_id)
        if existing is not None:
            return existing, False
    text = " ".join((ask.blocking_text or "").split())
    if is_nothing(text):
        raise InvalidInput("Your check-in names nothing blocking, so there is no blocker to record.")
    if len(text) > MAX_BLOCKER_TEXT:
        text = text[: MAX_BLOCKER_TEXT - 1].rstrip() + "…"
    blocker = add_blocker(session, actor, project.key, text, now)
    ask.blocker_id, ask.updated_at = blocker.id, now
    return blocker, True


def thread_ask(session: Session, workspace_id: int, channel: str, thread_ts: str) -> int | None:
    """The check-in question posted as `thread_ts` in a DM, if there is one (thread replies answer it)."""
    return session.scalar(
        select(CheckinAsk.id).where(
            CheckinAsk.workspace_id == workspace_id,
            CheckinAsk.slack_channel == channel,
            CheckinAsk.slack_ts == thread_ts,
        )
    )


@dataclass(frozen=True)
class ThreadReading:
    """Which answers a thread reply gives; the rest stay as they were."""

    done: str | None = None
    next: str | None = None
    blocking: str | None = None


_LABEL = re.compile(
    r"^\s*[*_]*(done|did|yesterday|last week|next|today|this week|plan|blocking|blocked|blockers?|"
    r"anything blocking)[*_]*\s*[:\-–]\s*",
    re.IGNORECASE,
)
_FIELD = {
    "done": "done",
    "did": "done",
    "yesterday": "done",
    "last week": "done",
    "next": "next",
    "today": "next",
    "this week": "next",
    "plan": "next",
}


def read_thread_reply(text: str, form: AnswerForm) -> ThreadReading:
    """Read a reply in the question's thread.

    Labelled lines (`done: …`, `next: …`, `blocking: …`) set those answers; an unlabelled reply answers
    the first question not answered yet (so three replies answer the three questions in order).
    """
    fields: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        match = _LABEL.match(line)
        if match is not None:
            current = _FIELD.get(match.group(1).lower(), "blocking")
            fields.setdefault(current, []).append(line[match.end() :])
        elif current is not None:
            fields[current].append(line)
    if not fields:
        current = next(
            (name for name, value in (("done", form.done), ("next", form.next)) if not value), "blocking"
        )
        fields[current] = [text]
    joined = {name: "\n".join(lines).strip() for name, lines in fields.items()}
    return ThreadReading(joined.get("done"), joined.get("next"), joined.get("blocking"))
