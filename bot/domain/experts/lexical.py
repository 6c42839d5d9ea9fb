"""Lexical evidence for the hybrid ranking: TF-IDF cosine between a need and each profile item.

Sentence embeddings find paraphrases but blur rare technical terms ("ePrivacy", "k-anonymity",
"pacing") into their neighbourhood; a word-level score keeps them sharp. Every item gets a TF-IDF
vector over the same texts the model embeds (sublinear term frequency, smoothed inverse document
frequency over the directory's items, unit length), a need gets one with the same weights, and their
dot product is a cosine in [0, 1], on the scale of the embedding's. The ranking adds
``lexical_weight * lexical`` to each item's embedding similarity before aggregating
(`bot.domain.experts.ranking`); the weight was chosen on the dev set's folds (docs/benchmarks.md).

`LexicalIndex` is an inverted index in numpy arrays (postings sorted by term), so a need costs one
`bincount` over the postings of its few distinct terms rather than a pass over every item.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.domain.matching import fold

# The weight of the lexical cosine added to an item's embedding similarity (chosen on the dev folds,
# docs/benchmarks.md). 0 turns the lexical part off.
DEFAULT_LEXICAL_WEIGHT = 0.5

_WORD = re.compile(r"[a-z0-9]+")
# Function words and the filler of project and profile prose: they carry no topic, and a need that
# shares only them with a profile ("the", "for", "research") must score 0.
_STOP_WORD_TEXT = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours ourselves out over
own same she should so some such than that the their theirs them themselves then there these
they this those through to too under until up very was we were what when where which while who
whom why will with would you your yours yourself yourselves us via using use used based new
towards toward within without across among per whether need needs want wants help find someone
anyone know knows project projects work working study studies research approach approaches
method methods paper
"""
STOP_WORDS = frozenset(_STOP_WORD_TEXT.split())


def terms(text: str) -> list[str]:
    """The index terms of `text`: folded words without stop words, lightly stemmed.

    Stemming only merges plurals and a few endings ("auctions"/"auction", "studies"/"study"): enough to
    match word forms without a language-specific stemmer's surprises.
    """
    return [_stem(word) for word in _WORD.findall(fold(text)) if word not in STOP_WORDS and len(word) > 1]


# Texts whose term counts are remembered between index builds: a reload after one profile edit then
# tokenises that profile only (tokenising is most of a build: ~0.9 s for 50k items).
TERM_CACHE_SIZE = 250_000


@functools.lru_cache(maxsize=TERM_CACHE_SIZE)
def _term_counts(text: str) -> tuple[tuple[str, int], ...]:
    return tuple(Counter(terms(text)).items())


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass(frozen=True, eq=False)
class LexicalIndex:
    """TF-IDF vectors of a list of texts, stored as postings sorted by term.

    Attributes:
        vocabulary: Term to term id.
        idf: Per term id, its smoothed inverse document frequency ``log((1 + n) / (1 + df)) + 1``.
        starts: Per term id, where its postings start in `documents` / `weights` (plus one end entry).
        documents: Text positions, grouped by term.
        weights: The unit-length TF-IDF weight of that term in that text.
        size: Number of texts.
    """

    vocabulary: dict[str, int]
    idf: np.ndarray
    starts: np.ndarray
    documents: np.ndarray
    weights: np.ndarray
    size: int

    def query_weights(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Term ids of `text` known to the index and their unit-length TF-IDF weights."""
        counts = Counter(term for term in terms(text) if term in self.vocabulary)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        ids = np.fromiter((self.vocabulary[term] for term in counts), dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        weights = tf * self.idf[ids]
        return ids, (weights / np.linalg.norm(weights)).astype(np.float32)

    def similarities(self, text: str) -> np.ndarray:
        """Cosine of `text`'s TF-IDF vector with every indexed text, in [0, 1].

        Args:
            text: The need; words the index has never seen count for nothing.

        Returns:
            A float32 array of length `size` (all zeros when no word of `text` is indexed).
        """
        ids, query = self.query_weights(text)
        if ids.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        spans = [(int(self.starts[i]), int(self.starts[i + 1])) for i in ids]
        documents = np.concatenate([self.documents[start:end] for start, end in spans])
        weights = np.concatenate([self.weights[start:end] * query[k] for k, (start, end) in enumerate(spans)])
        return np.bincount(documents, weights=weights, minlength=self.size).astype(np.float32)


def build_lexical_index(texts: Sequence[str]) -> LexicalIndex:
    """Index `texts` for `LexicalIndex.similarities`.

    Args:
        texts: The items' texts (what the model embeds), in item order.

    Returns:
        The index; the inverse document frequencies are those of these texts.
    """
    vocabulary: dict[str, int] = {}
    term_ids: list[int] = []
    document_ids: list[int] = []
    frequencies: list[int] = []
    for position, text in enumerate(texts):
        for term, count in _term_counts(text):
            term_ids.append(vocabulary.setdefault(term, len(vocabulary)))
            document_ids.append(position)
            frequencies.append(count)
    term_array = np.array(term_ids, dtype=np.int64)
    document_array = np.array(document_ids, dtype=np.int64)
    tf = 1.0 + np.log(np.array(frequencies, dtype=np.float64))
    df = np.bincount(term_array, minlength=len(vocabulary)).astype(np.float64)
    idf = np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0
    raw = tf * idf[term_array] if term_array.size else tf
    norms = np.sqrt(np.bincount(document_array, weights=raw * raw, minlength=len(texts)))
    weights = raw / np.where(norms > 0, norms, 1.0)[document_array] if raw.size else raw
    order = np.argsort(term_array, kind="stable")
    starts = np.searchsorted(term_array[order], np.arange(len(vocabulary) + 1))
    return LexicalIndex(
        vocabulary=vocabulary,
        idf=idf,
        starts=starts,
        # int32 halves the postings' memory (500k items: ~8M postings); positions stay far below 2**31.
        documents=document_array[order].astype(np.int32),
        weights=weights[order].astype(np.float32),
        size=len(texts),
    )
