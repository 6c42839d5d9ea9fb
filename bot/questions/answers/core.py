"""What an answer is made of, and the builder every topic puts its answer together with.

An `Answer` is short lines of text segments (plain text, people, instants, record references)
rendered later in the asker's zone (`bot/slack/answer_blocks.py`), the records the answer came from,
and "did you mean" choices when the question was unclear. Each topic module answers one or more
intents from an `AnswerRequest`; `bot.questions.answers.dispatch` picks the topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from bot.access import Actor
from bot.agreements.waiting import WaitingOn
from bot.commands import CommandNames
from bot.experts.embeddings.cache import CachingEmbedder
from bot.models import Blocker, Milestone, MilestoneStatus, Person, Project
from bot.projects.reports import PersonRef, milestone_ref, person_ref
from bot.questions.interpret import Directory, Entities, Intent, Interpretation

# How many records one answer lists before saying "and N more".
MAX_ITEMS = 10
T = TypeVar("T")


@dataclass(frozen=True)
class When:
    """An instant, shown in the reader's zone with a relative hint ("in 3 days")."""

    instant: datetime
    relative: bool = True


@dataclass(frozen=True)
class Source:
    """A record an answer came from: a project (key), milestone (`key-N`) or blocker (`key-bN`)."""

    kind: str
    ref: str
    title: str
    project_key: str


Segment = str | PersonRef | When | Source
Line = tuple[Segment, ...]


@dataclass(frozen=True)
class Choice:
    """A "did you mean" button: its label and the question it re-asks."""

    label: str
    question: str


@dataclass(frozen=True)
class Answer:
    """What to tell the asker.

    Attributes:
        intent: What was answered.
        lines: The answer, first line first; each line is a tuple of segments.
        sources: Records the answer came from, for buttons.
        choices: Readings to offer when the question was unclear.
        unsure: The answer says it is unsure (and offers `choices` or related records).
        private: The answer names a private project, so it may only be shown to the asker.
        rest_from: Where the list the answer cut goes on (the number of items shown, counting those
            of earlier pages), 0 when nothing was left out: "show me the rest" asks from there.
    """

    intent: Intent
    lines: tuple[Line, ...]
    sources: tuple[Source, ...] = ()
    choices: tuple[Choice, ...] = ()
    unsure: bool = False
    private: bool = False
    rest_from: int = 0


@dataclass(frozen=True)
class AnswerRequest:
    """An interpreted question, with what answering it needs.

    Attributes:
        session: The request's session (read only).
        actor: The asker; visibility follows `bot.access`.
        entities: What the question is about.
        now: The current instant (UTC).
        directory: The snapshot the question was interpreted against.
        embedder: For semantic search and expert suggestions; None means keyword matching.
        interpretation: The whole interpretation (its normalised text is the search fallback).
        commands: The workspace's slash command names (how-to answers name them; defaults when None).
    """

    session: Session
    actor: Actor
    entities: Entities
    now: datetime
    directory: Directory
    embedder: CachingEmbedder | None
    interpretation: Interpretation
    commands: CommandNames | None = None


@dataclass
class AnswerBuilder:
    """Collects lines and sources while an answer is put together."""

    intent: Intent
    lines: list[Line] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    private_keys: set[str] = field(default_factory=set)
    skipped: int = 0  # items of the paged list shown by earlier answers
    rest_from: int = 0

    def line(self, *segments: Segment) -> None:
        """Add a line of segments."""
        self.lines.append(tuple(segments))

    def cite(self, source: Source, private: bool = False) -> Source:
        """Record a source (once per ref); a private one makes the whole answer private."""
        self.sources.setdefault(source.ref, source)
        if private:
            self.private_keys.add(source.project_key)
        return source

    def project(self, project: Project) -> Source:
        """Cite a project."""
        return self.cite(Source("project", project.key, project.name, project.key), project.private)

    def milestone(self, milestone: Milestone) -> Source:
        """Cite a milestone."""
        project = milestone.project
        return self.cite(
            Source("milestone", milestone_ref(milestone), milestone.title, project.key), project.private
        )

    def milestone_segments(
        self, milestone: Milestone, now: datetime, *, with_project: bool, flag_overdue: bool = False
    ) -> Line:
        """A cited milestone as segments: ref, title, (project), due or done, owner.

        Args:
            milestone: The milestone, with its project and owner loaded.
            now: The current instant.
            with_project: Whether to name the project (answers across several projects).
            flag_overdue: Say "overdue" of an open milestone past its due time (in lists that mix
                overdue and upcoming ones).

        Returns:
            The segments, to put in a line.
        """
        source = self.milestone(milestone)
        parts: list[Segment] = [source, " ", milestone.title]
        if with_project:
            parts += [" (", milestone.project.name, ")"]
        if milestone.status == MilestoneStatus.DONE:
            parts += [
                " — done",
                *((" ", When(milestone.done_at, relative=False)) if milestone.done_at else ()),
            ]
        elif flag_overdue and milestone.due_at < now:
            parts += [" — overdue, was due ", When(milestone.due_at)]
        else:
            parts += [" — due ", When(milestone.due_at)]
        if milestone.owner is not None:
            parts += [" · owner ", person_segment(milestone.owner)]
        return tuple(parts)

    def blocker_segments(self, blocker: Blocker) -> Line:
        """A cited blocker as segments: ref, text, who raised it."""
        project = blocker.project
        source = self.cite(
            Source("blocker", f"{project.key}-b{blocker.number}", blocker.text, project.key), project.private
        )
        parts: list[Segment] = [source, " ", blocker.text]
        if blocker.raised_by is not None:
            parts += [" · raised by ", person_segment(blocker.raised_by)]
        return tuple(parts)

    def page(self, items: Sequence[T], skip: int = 0) -> Sequence[T]:
        """The items of a long list this answer shows: `MAX_ITEMS` of them, after the `skip` that
        earlier answers showed ("show me the rest"), whose numbers it says first.

        Args:
            items: The whole list, in the order shown.
            skip: How many the previous answers showed (`Entities.skip`).
        """
        self.skipped = min(skip, len(items))
        shown = items[self.skipped : self.skipped + MAX_ITEMS]
        if self.skipped and shown:
            last = self.skipped + len(shown)
            self.line(f"(continued: {self.skipped + 1}–{last} of {len(items)})")
        elif self.skipped:
            self.line(f"That was all {len(items)}: nothing more to show.")
        return shown

    def more(self, total: int, shown: int = MAX_ITEMS) -> None:
        """Say how many were left out of a list, if any (after the items of earlier pages)."""
        end = self.skipped + shown
        if total > end:
            self.line(f"…and {total - end} more.")
            self.rest_from = end

    def build(self, *, choices: Sequence[Choice] = (), unsure: bool = False) -> Answer:
        """The answer put together so far."""
        return Answer(
            intent=self.intent,
            lines=tuple(self.lines),
            sources=tuple(self.sources.values()),
            choices=tuple(choices),
            unsure=unsure,
            private=bool(self.private_keys),
            rest_from=self.rest_from,
        )


def person_segment(person: Person) -> PersonRef:
    """A person as an answer segment (rendered as a mention or name).

    Args:
        person: A person from the database.

    Returns:
        The reference.
    """
    ref = person_ref(person)
    assert ref is not None
    return ref


def waiting_on_text(wait: WaitingOn, today: date) -> str:
    """What a milestone waits on, after its other segments: " · waiting on dua-1 (legal review, 23 days
    in this status)" (`today` in the asker's calendar)."""
    return f" · waiting on {wait.key} ({wait.status}, {wait.days_in_status(today)} days in this status)"


def counted(n: int, noun: str) -> str:
    """ "1 milestone", "3 milestones".

    Args:
        n: How many.
        noun: The singular noun.

    Returns:
        The count and the noun, plural unless n is 1.
    """
    return f"{n} {noun}{'' if n == 1 else 's'}"
