"""What resolving a follow-up gives, and what the ways of resolving one share.

`bot.conversations.followups` resolves pointers into the previous answer ("it", "the second one");
`bot.conversations.continuations` questions that go on from it ("who is he?", "and the week after?",
"show me the rest"). Both return a `FollowUp`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.conversations.memory import Record
from bot.questions.interpret import CONFIDENT, Interpretation

Reinterpret = Callable[[str], Interpretation]


@dataclass(frozen=True)
class FollowUp:
    """How a follow-up was resolved: an interpretation to answer, or a sentence to say instead.

    Attributes:
        interpretation: What to answer (None when `message` is set).
        message: A plain sentence when the pointer leads nowhere ("my last answer listed 2 records").
    """

    interpretation: Interpretation | None = None
    message: str = ""


def listed(records: tuple[Record, ...]) -> list[Record]:
    """The records an answer enumerated, in order.

    An answer about a project cites the project and then lists its milestones or blockers: the list
    is those (of the most frequent kind); an answer naming only projects lists the projects.
    """
    items = [r for r in records if r.kind != "project"] or list(records)
    if not items:
        return []
    counts = Counter(r.kind for r in items)
    kind = max(counts, key=lambda k: (counts[k], -next(i for i, r in enumerate(items) if r.kind == k)))
    return [r for r in items if r.kind == kind]


def settled(reading: Interpretation) -> Interpretation:
    """A reading the follow-up settled: answer it rather than ask "did you mean" again."""
    if reading.confident or not has_subject(reading):
        return reading
    return replace(reading, confidence=max(reading.confidence, CONFIDENT), alternatives=())


def has_subject(reading: Interpretation) -> bool:
    entities = reading.entities
    return bool(entities.milestones or entities.projects or entities.people)
