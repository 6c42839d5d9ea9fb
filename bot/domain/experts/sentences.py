"""Sentence-level matching of long needs: a project is scored by its sentences as well as as a whole.

A project's text covers several topics (the law, the protocol, the pipeline); embedded as one text,
each topic is diluted by the others, so a cryptographer who fits one sentence exactly scores like
someone who half-fits all of them. An item's similarity to a long need is therefore the mean of its
cosine with the whole text and its best cosine with any one sentence:

    similarity(item) = (1 - SENTENCE_WEIGHT) * cos(item, whole) + SENTENCE_WEIGHT * max_s cos(item, s)

Measured on multi-topic needs built from the dev set (docs/benchmarks.md): loss 0.189 whole-text,
0.155 with the sentence half (0.134 with the TF-IDF half too). The ranking applies it to the people a
whole-text pass retrieves (`bot.experts.ranking`), so it costs a few hundred small products instead of
one pass over the directory per sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from bot.domain.experts.index import ExpertIndex, build_expert_index

# The weight of the best single sentence in an item's similarity to a long need.
SENTENCE_WEIGHT = 0.5
# A sentence ends at . ? ! or ; followed by a space (abbreviations rarely matter for matching).
_SENTENCE_END = re.compile(r"(?<=[.?!;])\s+")


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, whitespace collapsed, empty ones dropped, duplicates once."""
    parts = (" ".join(part.split()) for part in _SENTENCE_END.split(text))
    return list(dict.fromkeys(part for part in parts if part))


def sentence_boost(
    items: np.ndarray, whole: np.ndarray, sentences: np.ndarray, weight: float = SENTENCE_WEIGHT
) -> np.ndarray:
    """What to add to each item's whole-text cosine to get its sentence-level similarity.

    Args:
        items: ``(n, dimension)`` unit item vectors.
        whole: The need's unit vector.
        sentences: ``(s, dimension)`` unit vectors of its sentences (at least one).
        weight: The weight of the best sentence (SENTENCE_WEIGHT in production).

    Returns:
        Per item, ``weight * (max_s cos(item, s) - cos(item, whole))``, float32.
    """
    best = (items @ np.asarray(sentences, dtype=np.float32).T).max(axis=1)
    return (weight * (best - items @ np.asarray(whole, dtype=np.float32))).astype(np.float32)


# A long need's sentence-level scores are computed for this many people retrieved by the whole text.
RERANK_POOL = 50


def sentence_rerank_index(
    index: ExpertIndex,
    person_ids: Sequence[str],
    whole: np.ndarray,
    sentences: np.ndarray,
    item_boost: np.ndarray | None = None,
) -> tuple[ExpertIndex, np.ndarray]:
    """An index of just `person_ids` and the item boost that gives their sentence-level similarities.

    Ranking a long need in two stages costs one pass over the directory: the whole text retrieves the
    RERANK_POOL best people (with the floor, exclusions and caps), and this index re-ranks them with
    each item's similarity ``(1 - w) * whole + w * best sentence`` (plus the lexical boost).

    Args:
        index: The directory's index.
        person_ids: The retrieved people, all in `index`.
        whole: The need's vector.
        sentences: ``(s, dimension)`` vectors of its sentences.
        item_boost: The directory's per-item boost (lexical), if any.

    Returns:
        ``(sub_index, sub_boost)``: the people's profiles (with their cap flags) and items, and per
        item of `sub_index` the boost to rank it with.
    """
    positions = np.array([index.positions[person_id] for person_id in person_ids], dtype=np.int64)
    slots = index.layout[:, positions].T  # person by person, items in index order
    rows = slots[slots < len(index.items)]
    # The people keep the generality measured against the whole directory, not against each other.
    sub = build_expert_index(
        [index.profiles[p] for p in positions],
        [index.items[r] for r in rows],
        generality=index.generality[positions],
    )
    unit_whole = np.asarray(whole, dtype=np.float32) / np.float32(np.linalg.norm(whole))
    unit_sentences = np.asarray(sentences, dtype=np.float32)
    unit_sentences = unit_sentences / np.linalg.norm(unit_sentences, axis=1, keepdims=True)
    boost = sentence_boost(index.matrix[rows], unit_whole, unit_sentences)
    if item_boost is not None:
        boost = boost + np.asarray(item_boost, dtype=np.float32)[rows]
    return sub, boost
