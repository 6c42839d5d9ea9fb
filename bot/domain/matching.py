"""Fuzzy resolution of what people type ("bid shading", "Prof. Banerjee") to a known key.

The same rule resolves projects (key ``bidshade``, name "Bid shading for first-price auctions") and
people (key = Slack user id, name = full name). It is deliberately conservative: a command only acts
on an EXACT or CONFIDENT match; anything else goes back to the user as "did you mean" buttons.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz, process

_NOT_ASCII_ALNUM = re.compile(r"[^0-9a-z]+")
# "any agreements for this project?", "papers here?": in a project's channel, that project (the
# questions read before the general interpreter, which has its own context words).
THIS_PROJECT = re.compile(r"\b(?:this|our|the) (?:project|team)\b|\bhere\b", re.I)
# "my projects", "our team": the asker's own projects, whichever channel they ask in.
OWN_PROJECTS = re.compile(r"\b(my|our) (projects?|teams?)\b")

_Scorer = Callable[..., float]

# --- Thresholds (rapidfuzz scores run 0..100) -------------------------------------------------------
#
# A candidate's score is the best of several views of the query (see `match_name`, rule 4): WRatio
# against the name and word-like key, token_set_ratio on the name without filler words, and a
# per-word score that tolerates typos and prefixes ("lena k", "kovalenco").
#
# CONFIDENT_SCORE: every intended match in our tables (partial names such as "bid shading" at 100,
# one-letter typos such as "fatige"/"brandsaf" at 90-94, "lena k" at 100) clears 85, while the best
# unrelated pair we have seen ("weather forecast" vs "Creative fatigue in video ads") stays below 60.
CONFIDENT_SCORE = 85.0
# CONFIDENT_MARGIN: a high score is only trusted when the runner-up is clearly behind. "privacy" scores
# 100 against both "Privacy-preserving conversion measurement" and "Privacy budget accounting"; a
# margin of 10 points sends that to the user instead of picking one by accident.
CONFIDENT_MARGIN = 10.0
# PLAUSIBLE_SCORE: below this the best candidate is not a believable reading of the query and the
# result is NONE. Between PLAUSIBLE_SCORE and CONFIDENT_SCORE (or within the margin) it is AMBIGUOUS.
PLAUSIBLE_SCORE = 70.0
# ALTERNATIVE_FLOOR: candidates below this are never offered as "did you mean", even for NONE, so an
# unrelated query ("quantum chromodynamics") gets no noise buttons.
ALTERNATIVE_FLOOR = 60.0
# MAX_ALTERNATIVES: how many "did you mean" buttons a Slack message offers.
MAX_ALTERNATIVES = 3
# MIN_FUZZY_LENGTH: queries shorter than this (after dropping spaces and punctuation) only match
# exactly; a single letter is a substring of almost every name.
MIN_FUZZY_LENGTH = 2
# SUBSTRING_MIN_LENGTH: queries shorter than this are matched word by word only (whole words, typo
# ratio, prefixes), never as substrings: WRatio scores "li" inside "Oliver Tanaka" at 90.
SUBSTRING_MIN_LENGTH = 4
# Minimum query-word length for a prefix to count as a full word match on its own ("fair" ->
# "fairness"). Shorter prefixes count only alongside other words ("lena k").
_MIN_PREFIX_LENGTH = 3

# Words that carry no identity: articles and prepositions in project names, titles in people's names.
# The word-level scores ignore them ("Prof. Banerjee" matches on "banerjee", "bid shading for
# auctions" is not pulled towards every name containing "for") unless the query has nothing else, and
# a query made only of them is never CONFIDENT.
_FILLER_WORDS = frozenset(
    {"a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"}
    | {"dr", "prof", "professor", "mr", "mrs", "ms", "mx", "sir"}
)


@dataclass(frozen=True)
class Candidate:
    """Something a query can resolve to.

    Attributes:
        key: Stable identifier, e.g. ``"bidshade"`` or a Slack user id ``"U01MLOSEI"``.
        name: Human name, e.g. ``"Bid shading for first-price auctions"`` or ``"Kwame Osei"``.
    """

    key: str
    name: str


class MatchKind(StrEnum):
    """How sure `match_name` is."""

    EXACT = "exact"
    CONFIDENT = "confident"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True)
class Match:
    """Result of `match_name`.

    Attributes:
        kind: How sure the match is.
        best: The candidate to act on. Set only for EXACT and CONFIDENT, so ``if match.best`` never
            acts on a guess; for AMBIGUOUS and NONE look at `alternatives`.
        alternatives: Up to three closest candidates, best first, for "did you mean" buttons. Empty
            for EXACT. For CONFIDENT the first one is `best`. For NONE only candidates scoring at
            least ALTERNATIVE_FLOOR are listed, so it may be empty.
    """

    kind: MatchKind
    best: Candidate | None
    alternatives: tuple[Candidate, ...]


def match_name(query: str, candidates: Sequence[Candidate]) -> Match:
    """Resolve a typed name to one of `candidates`.

    Rules, in order:

    1. Empty query (or only spaces/punctuation): NONE without alternatives.
    2. Exact key, ignoring case, spaces, hyphens, underscores and other punctuation ("bid shade",
       "BIDSHADE", "bid-shade" all name ``bidshade``): EXACT. Otherwise an exact name under the same
       normalisation (accents are folded too: "lucia garcia" is "Lucia García"): EXACT. If several
       candidates match exactly at the same level (two people called "Priya Rao"), AMBIGUOUS.
    3. Queries shorter than MIN_FUZZY_LENGTH characters match nothing else: NONE.
    4. Fuzzy score (0..100) per candidate, the best of: token_set_ratio against the name without
       filler words (a query whose words all appear in the name scores 100: "conversion
       measurement", "ingrid"); a per-word score where each query word takes its best typo ratio or
       prefix match among the name's words ("kovalenco", "lena k"); the ratio against a word-like
       key; and, for queries of at least SUBSTRING_MIN_LENGTH characters, WRatio (which includes a
       down-weighted substring match) against the name, the name without spaces ("bidshading") and
       a word-like key ("shade"). Opaque keys (containing digits, like Slack ids) are not scored;
       they only match exactly. Candidates are ranked by score, then key, so the result does not
       depend on input order.
    5. CONFIDENT if the best score is at least CONFIDENT_SCORE and at least CONFIDENT_MARGIN ahead of
       the runner-up; AMBIGUOUS if it is at least PLAUSIBLE_SCORE otherwise; NONE below that. A query
       of only filler words or titles ("of", "prof") is at most AMBIGUOUS.

    Args:
        query: What the user typed.
        candidates: The names to choose from; keys should be unique.

    Returns:
        The match; see `Match` for what each field holds per kind.
    """
    query_norm = fold(query)
    query_compact = query_norm.replace(" ", "")
    if not query_compact or not candidates:
        return Match(MatchKind.NONE, None, ())

    names = [fold(c.name) for c in candidates]
    keys = [fold(c.key).replace(" ", "") for c in candidates]
    exact = [c for c, key in zip(candidates, keys, strict=True) if key == query_compact]
    if not exact:
        exact = [c for c, nm in zip(candidates, names, strict=True) if nm.replace(" ", "") == query_compact]
    if len(exact) == 1:
        return Match(MatchKind.EXACT, exact[0], ())
    if exact:
        ordered = tuple(sorted(exact, key=lambda c: (c.key, c.name)))
        return Match(MatchKind.AMBIGUOUS, None, ordered[:MAX_ALTERNATIVES])
    if len(query_compact) < MIN_FUZZY_LENGTH:
        return Match(MatchKind.NONE, None, ())

    scores = _score_all(query_norm, names, keys)
    ranked = sorted(
        (i for i, score in enumerate(scores) if score >= ALTERNATIVE_FLOOR),
        key=lambda i: (-scores[i], candidates[i].key, candidates[i].name),
    )
    alternatives = tuple(candidates[i] for i in ranked[:MAX_ALTERNATIVES])
    if not ranked or scores[ranked[0]] < PLAUSIBLE_SCORE:
        return Match(MatchKind.NONE, None, alternatives)
    top = scores[ranked[0]]
    runner_up = scores[ranked[1]] if len(ranked) > 1 else 0.0
    # A query made only of filler words ("of", "dr") identifies nothing by itself, however well it scores.
    filler_only = all(word in _FILLER_WORDS for word in query_norm.split())
    if top >= CONFIDENT_SCORE and top - runner_up >= CONFIDENT_MARGIN and not filler_only:
        return Match(MatchKind.CONFIDENT, candidates[ranked[0]], alternatives)
    return Match(MatchKind.AMBIGUOUS, None, alternatives)


def fold(text: str) -> str:
    """Casefold, strip accents, turn punctuation into spaces and collapse runs of spaces.

    The one normalisation of names, questions and profile texts before they are compared.
    """
    if text.isascii():
        # The same result without decomposing every character: most texts are ASCII, and expert
        # keyword matching folds a whole directory's profile texts.
        return " ".join(_NOT_ASCII_ALNUM.sub(" ", text.lower()).split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = (" " if not ch.isalnum() else ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join("".join(kept).split())


def _content_words(normalized: str) -> list[str]:
    """Words of a normalized string without filler words (all words if nothing else is left)."""
    words = normalized.split()
    content = [w for w in words if w not in _FILLER_WORDS]
    return content or words


def _score_all(query_norm: str, names: list[str], keys: list[str]) -> list[float]:
    """Best-of-several fuzzy score (0..100) per candidate, from normalized names and compact keys."""
    query_words = _content_words(query_norm)
    if all(word in _FILLER_WORDS for word in query_words):
        # The user typed only a title ("prof", "dr"): match it against every word of the names.
        name_words = [name.split() for name in names]
    else:
        name_words = [_content_words(name) for name in names]
    scores = [0.0] * len(names)

    def take(query: str, choices: Sequence[str] | dict[int, str], scorer: _Scorer) -> None:
        for _, score, index in process.extract(
            query, choices, scorer=scorer, processor=None, limit=None, score_cutoff=ALTERNATIVE_FLOOR
        ):
            scores[index] = max(scores[index], score)

    take(" ".join(query_words), [" ".join(words) for words in name_words], fuzz.token_set_ratio)
    # Word-like keys ("bidshade") are scored like names; opaque ones with digits (Slack ids) only ever
    # match exactly, since a name fragment inside a random id ("osei" in "U9OSEI123") means nothing.
    word_keys = {i: key for i, key in enumerate(keys) if not any(c.isdigit() for c in key)}
    query_compact = query_norm.replace(" ", "")
    take(query_compact, word_keys, fuzz.ratio)
    if len(query_compact) >= SUBSTRING_MIN_LENGTH:
        # WRatio includes a down-weighted best-substring score: "bid shading" inside the full name,
        # "shade" inside the key, and, on the name without spaces, "bidshading" or "jiwoo".
        take(query_norm, names, fuzz.WRatio)
        take(query_compact, [name.replace(" ", "") for name in names], fuzz.WRatio)
        take(query_compact, word_keys, fuzz.WRatio)
    for index, words in enumerate(name_words):
        scores[index] = max(scores[index], _word_score(query_words, words))
    return [round(score, 2) for score in scores]


def _word_score(query_words: list[str], name_words: list[str]) -> float:
    """Length-weighted mean, over query words, of each word's best match among the name's words.

    A query word matches a name word fully when it is a prefix of it ("fair" -> "fairness"; "k" ->
    "kovalenko" only next to other words), otherwise by typo ratio ("kovalenco" -> "kovalenko").
    """
    total = 0.0
    weight = 0
    for query_word in query_words:
        prefix_ok = len(query_word) >= _MIN_PREFIX_LENGTH or len(query_words) > 1
        best = 0.0
        for name_word in name_words:
            if prefix_ok and name_word.startswith(query_word):
                best = 100.0
                break
            best = max(best, fuzz.ratio(query_word, name_word))
        total += best * len(query_word)
        weight += len(query_word)
    return total / weight if weight else 0.0
