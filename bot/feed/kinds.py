"""The kinds of change a channel may subscribe to, and their text form (`status,blockers`)."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from bot.errors import InvalidInput


class FeedKind(enum.StrEnum):
    """A kind of project change."""

    STATUS = "status"
    BLOCKERS = "blockers"
    MILESTONES = "milestones"
    MEMBERS = "members"


ALL_KINDS: frozenset[FeedKind] = frozenset(FeedKind)
# Singular forms are accepted too ("blocker,milestone").
_WORDS = {kind.value: kind for kind in FeedKind} | {kind.value.rstrip("s"): kind for kind in FeedKind}


def is_kinds_text(text: str) -> bool:
    """Whether `text` reads as a list of kinds (every comma-separated word is one)."""
    words = [w for w in text.lower().split(",") if w]
    return bool(words) and all(w.strip() in _WORDS for w in words)


def parse_kinds(text: str) -> frozenset[FeedKind]:
    """Read `status,blockers,milestones,members` (any subset, any order, singular or plural).

    Raises:
        InvalidInput: An unknown word, naming the valid ones.
    """
    kinds = set()
    for word in (w.strip() for w in text.lower().split(",")):
        if not word:
            continue
        kind = _WORDS.get(word)
        if kind is None:
            raise InvalidInput(f"“{word}” is not a kind of change. Use any of: {format_kinds(ALL_KINDS)}.")
        kinds.add(kind)
    if not kinds:
        raise InvalidInput(f"Name the kinds of change: any of {format_kinds(ALL_KINDS)}.")
    return frozenset(kinds)


def format_kinds(kinds: Iterable[FeedKind]) -> str:
    """The kinds as stored and shown: comma-separated, in the enum's order (empty for none)."""
    chosen = set(kinds)
    return ",".join(kind.value for kind in FeedKind if kind in chosen)


def read_kinds(stored: str) -> frozenset[FeedKind]:
    """Kinds as stored in `feed_subscription.kinds` (unknown words, from a newer version, are skipped)."""
    return frozenset(_WORDS[w] for w in stored.split(",") if w in _WORDS)
