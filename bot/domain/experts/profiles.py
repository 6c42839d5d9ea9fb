"""What the expert ranking works on and returns: people, their embedded profile items and matches.

No numpy work happens here; `bot.domain.experts.index` lays these out for ranking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

EXPERTISE = "expertise"
PUBLICATION = "publication"
ITEM_KINDS = frozenset({EXPERTISE, PUBLICATION})

OVER_CAP_NOTE = "Has had as many intro requests this week as they accept: expect a slow answer."


@dataclass(frozen=True)
class ProfileItem:
    """One embedded text of a person's profile.

    Attributes:
        person_id: The person it belongs to.
        kind: ``"expertise"`` or ``"publication"``.
        text: The text shown to users as the reason for a match.
        vector: Unit-length embedding of `text`. Left out of equality and hashing (numpy arrays have
            neither), so two items are equal when person, kind and text are.
    """

    person_id: str
    kind: str
    text: str
    vector: np.ndarray = field(compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in ITEM_KINDS:
            raise ValueError(f"item kind must be one of {sorted(ITEM_KINDS)}, got {self.kind!r}")


@dataclass(frozen=True)
class ExpertProfile:
    """A person who can be suggested.

    Attributes:
        person_id: Stable id (a Slack user id in the bot).
        name: Display name.
        discipline: E.g. ``"Auction theory & economics"``; diversity and exclusions compare it
            case-insensitively.
        organisation: Employer.
        sector: ``"academia"``, ``"industry"``, ...
        opted_out: Never suggested.
        over_cap: Already asked for as many intros this week as they accept; suggested only after
            everyone else.
    """

    person_id: str
    name: str
    discipline: str
    organisation: str = ""
    sector: str = ""
    opted_out: bool = False
    over_cap: bool = False


class MatchedItem(NamedTuple):
    """An item with its similarity to the query; unpacks as ``item, similarity``."""

    item: ProfileItem
    similarity: float


@dataclass(frozen=True)
class PersonScore:
    """A person's score for one query.

    Attributes:
        score: The aggregated score.
        best_items: The best item and, if within SECOND_MATCH_MARGIN of it, the second best.
    """

    score: float
    best_items: tuple[MatchedItem, ...]


@dataclass(frozen=True)
class ExpertMatch:
    """A suggested expert.

    Attributes:
        person: Who.
        score: Their aggregated relevance score (not the MMR value that ordered the list).
        matched_items: Why: the best item and possibly the second best, with similarities (empty when
            the ranking had no vectors, only keywords).
        note: Set when the person is at their weekly intro-request cap (OVER_CAP_NOTE).
        keyword_text: The profile text holding most of the query's words, when that made a keyword
            match (`bot.domain.experts.keywords`).
    """

    person: ExpertProfile
    score: float
    matched_items: tuple[MatchedItem, ...]
    note: str | None = None
    keyword_text: str | None = None
