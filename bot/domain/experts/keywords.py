"""Keyword evidence: how many of a short query's words a person's profile texts contain.

Embeddings find paraphrases ("ad auctions" for "bid shading"); literal words keep exact technical terms
("Kafka", "GDPR") on top, and are all there is when no model is loaded. A query word is found in a text
when one of the text's words is within a small edit of it (rapidfuzz ratio >= 80: typos, plurals) or,
for words of five letters or more, starts with its first five letters (word forms: "differential" in
"differentially"). A text's share is the mean over the query's words of how well each was found.

A person's headline (title and discipline) qualifies each of their texts: a query word found in the
headline counts as found in every text of theirs. So "consent law" finds a privacy lawyer's paper on
consent (with "law" in their discipline), while an HCI researcher's paper on consent banners holds only
half of it: the literal reading of a short query is who works on that topic *in that field*.

`KeywordIndex` folds and indexes a directory's texts once, so a query costs one fuzzy pass over the
distinct words of the directory (in C) plus the texts that contain the words it matched.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.domain.matching import fold

# A text holding at least this share of the query's words is a keyword match: the person is suggested
# even below the model's relevance floor, and the text is what explains the match.
KEYWORD_MATCH = 0.6
# A keyword match adds this weight times its share to the person's relevance score: enough to put a
# profile that names the query's exact terms ahead of one that is only about the same topic.
KEYWORD_WEIGHT = 0.5
# Query words this short ("of", "ad") carry no topic and are not looked for.
MIN_WORD_LENGTH = 3
# rapidfuzz ratio (0-100) from which a text word counts as the query word, and the score of a match on
# the first PREFIX_LENGTH letters alone.
WORD_MATCH = 80.0
PREFIX_LENGTH = 5
PREFIX_SCORE = 90.0
# Queries with more words than this (a project's description) are matched by meaning alone: no profile
# text holds most of a paragraph's words, and matching them all would cost more than the ranking.
MAX_QUERY_WORDS = 12


def query_words(query: str) -> list[str]:
    """The words of `query` that are looked for in profile texts."""
    return [word for word in fold(query).split() if len(word) >= MIN_WORD_LENGTH]


def keyword_share(query: str, text: str) -> float:
    """The share of `query`'s words found in one `text`, 0-1: the rule `KeywordIndex` applies to many.

    For a few texts at a time (a search through project records); a directory's profiles are matched
    through `KeywordIndex`, which gives the same shares without comparing every word of every text.

    Args:
        query: What is looked for.
        text: Where it is looked for.

    Returns:
        1 when every word is found, 0 when none is.
    """
    words = query_words(query)
    if not words or not text:
        return 0.0
    text_words = fold(text).split()
    found = 0.0
    for word in words:
        best = max((fuzz.ratio(word, candidate) for candidate in text_words), default=0.0)
        if len(word) >= PREFIX_LENGTH and any(t.startswith(word[:PREFIX_LENGTH]) for t in text_words):
            best = max(best, PREFIX_SCORE)
        found += best / 100.0 if best >= WORD_MATCH else 0.0
    return found / len(words)


@dataclass(frozen=True)
class KeywordMatch:
    """How well one person's profile texts contain a query's words.

    Attributes:
        share: The best text's share of the query's words, 0-1 (a word found with a typo counts
            partly, as its ratio / 100).
        text: That text, as given to the index (the first such text if several tie).
    """

    share: float
    text: str

    @property
    def strong(self) -> bool:
        """Whether this is a keyword match (share of at least KEYWORD_MATCH)."""
        return self.share >= KEYWORD_MATCH

    @property
    def bonus(self) -> float:
        """What the match adds to the person's relevance score (0 unless it is strong)."""
        return KEYWORD_WEIGHT * self.share if self.strong else 0.0


class KeywordIndex:
    """The profile texts of a directory, indexed by folded word on first use.

    Indexing waits for the first query with words to look for, so a directory only ever searched by
    meaning (projects' texts) never pays for it. Thread-safe: an index is shared by every request.

    Args:
        texts: Person id to their texts (profile items' labels), in the order in which a tie between
            two texts goes to the earlier one.
        headlines: Person id to their headline (title, discipline): its words count as found in every
            text of theirs, and it is a text of its own (the match shown when it alone holds the words).
    """

    def __init__(
        self, texts: Mapping[str, Sequence[str]], headlines: Mapping[str, str] | None = None
    ) -> None:
        # Per text id: (person id, text); text ids follow the order the texts were given in, each
        # person's headline after their texts.
        self._owners: list[tuple[str, str]] = []
        self._headline_ids: dict[str, int] = {}
        headlines = headlines or {}
        for person_id in dict.fromkeys([*texts, *headlines]):
            self._owners.extend((person_id, text) for text in texts.get(person_id, ()))
            if headlines.get(person_id):
                self._headline_ids[person_id] = len(self._owners)
                self._owners.append((person_id, headlines[person_id]))
        self._lock = threading.Lock()
        self._vocabulary: list[str] | None = None
        self._postings: list[list[int]] = []  # per vocabulary word: ids of the texts containing it
        self._by_prefix: dict[str, list[int]] = {}  # first PREFIX_LENGTH letters: vocabulary words

    def _vocabulary_of_texts(self) -> list[str]:
        """The distinct folded words of the texts, indexing them (postings, prefixes) the first time."""
        with self._lock:
            if self._vocabulary is not None:
                return self._vocabulary
            vocabulary: dict[str, int] = {}
            for text_id, (_, text) in enumerate(self._owners):
                for word in set(fold(text).split()):
                    word_id = vocabulary.setdefault(word, len(vocabulary))
                    if word_id == len(self._postings):
                        self._postings.append([])
                    self._postings[word_id].append(text_id)
            for word, word_id in vocabulary.items():
                if len(word) >= PREFIX_LENGTH:
                    self._by_prefix.setdefault(word[:PREFIX_LENGTH], []).append(word_id)
            self._vocabulary = list(vocabulary)
            return self._vocabulary

    def __len__(self) -> int:
        return len(self._owners)

    def matches(self, query: str) -> dict[str, KeywordMatch]:
        """Every person with at least one of the query's words, with their best text.

        Args:
            query: What the asker is looking for, as typed.

        Returns:
            Person id to match, for people whose best text has a share above 0; empty for a query
            without words to look for or with more than MAX_QUERY_WORDS of them.
        """
        words = query_words(query)
        if not words or len(words) > MAX_QUERY_WORDS or not self._owners:
            return {}
        vocabulary = self._vocabulary_of_texts()
        found: dict[int, list[float]] = {}  # text id -> how well each query word was found in it
        for position, word in enumerate(words):
            scores = {
                word_id: float(score)
                for _, score, word_id in process.extract(
                    word, vocabulary, scorer=fuzz.ratio, score_cutoff=WORD_MATCH, limit=None
                )
            }
            if len(word) >= PREFIX_LENGTH:
                for word_id in self._by_prefix.get(word[:PREFIX_LENGTH], ()):
                    scores[word_id] = max(scores.get(word_id, 0.0), PREFIX_SCORE)
            for word_id, score in scores.items():
                for text_id in self._postings[word_id]:
                    row = found.setdefault(text_id, [0.0] * len(words))
                    row[position] = max(row[position], score)
        best: dict[str, KeywordMatch] = {}
        # Text ids follow the order texts were given in, so the first best text of a person wins ties.
        for text_id in sorted(found):
            person_id, text = self._owners[text_id]
            row = found[text_id]
            headline = found.get(self._headline_ids.get(person_id, -1))
            if headline is not None:
                row = [max(in_text, in_headline) for in_text, in_headline in zip(row, headline, strict=True)]
            share = sum(row) / 100.0 / len(words)
            current = best.get(person_id)
            if current is None or share > current.share:
                best[person_id] = KeywordMatch(share, text)
        return best
