"""Sentence embeddings for questions: intent similarity and semantic ranking of record texts.

Vectors come through `bot.experts.embeddings.cache.CachingEmbedder`, which embeds each record text once
per process, so a question costs one embedding (~20 ms on two cores) plus a matrix product.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from bot.experts.embeddings.cache import CachingEmbedder
from bot.questions.interpret import INTENT_EXEMPLARS, Intent, question_topic, rank_intents


def exemplar_vectors(embedder: CachingEmbedder) -> tuple[np.ndarray, tuple[Intent, ...]]:
    """The intent exemplars' vectors (embedded once per embedder) and their intents, row for row."""
    texts = [text for _, text in INTENT_EXEMPLARS]
    return embedder.matrix(texts, pinned=True), tuple(intent for intent, _ in INTENT_EXEMPLARS)


def intent_similarity(embedder: CachingEmbedder) -> Callable[[str], Mapping[Intent, float]]:
    """A similarity function for `bot.questions.interpret.interpret`, backed by `embedder`."""

    def similarity(masked_question: str) -> Mapping[Intent, float]:
        vectors, intents = exemplar_vectors(embedder)
        # The topic a search (or expert suggestion) would then embed, in the same batch: two short
        # texts cost a tenth more than one, a second call the whole again.
        texts = [masked_question]
        topic = question_topic(masked_question)
        if topic and topic != masked_question:
            texts.append(topic)
        question = embedder.embed(texts)[0]
        return rank_intents(question, vectors, intents)

    return similarity


def rank_texts(
    embedder: CachingEmbedder, query: str, texts: Sequence[str], *, top_k: int = 5
) -> list[tuple[int, float]]:
    """Indexes of the `top_k` texts most similar to `query`, with their cosine similarities.

    Args:
        embedder: Embeds the query and (once each, cached) the texts.
        query: What the asker is looking for.
        texts: Candidate texts.
        top_k: How many to return.

    Returns:
        (index into `texts`, similarity), best first.
    """
    if not texts:
        return []
    matrix = embedder.matrix(texts)
    query_vector = embedder.embed([query])[0]
    scores = matrix @ query_vector
    order = np.argsort(-scores, kind="stable")[:top_k]
    return [(int(i), float(scores[i])) for i in order]
