"""Sentence embeddings for questions: a memoising embedder, intent similarity and semantic ranking.

Record texts (project descriptions, milestone titles, blockers, people's profiles) are embedded once
per process and kept in memory by text, so a question costs one embedding (~20 ms on two cores) plus a
matrix product; a text that changes is simply a new key. The cache is bounded; the least recently
added texts are dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from bot.experts.embeddings import Embedder
from bot.questions.interpret import INTENT_EXEMPLARS, Intent, rank_intents

# Enough for the synthetic 1,000-project / 10,000-milestone workspace with room to spare (~150 MB at
# 384 float32 dimensions).
MAX_CACHED_TEXTS = 100_000


class CachingEmbedder:
    """An `Embedder` that remembers vectors by text and forwards readiness to the wrapped one.

    Args:
        inner: The real embedder (e.g. `SentenceTransformerEmbedder`, or `HashingEmbedder` in tests).
        max_texts: How many texts to remember.
    """

    def __init__(self, inner: Embedder, *, max_texts: int = MAX_CACHED_TEXTS) -> None:
        self.inner = inner
        self._max_texts = max_texts
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._exemplars: tuple[np.ndarray, tuple[Intent, ...]] | None = None
        self._matrices: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()

    @property
    def model_name(self) -> str:
        """The wrapped model's name."""
        return self.inner.model_name

    @property
    def dimension(self) -> int:
        """The wrapped model's vector length."""
        return self.inner.dimension

    @property
    def ready(self) -> bool:
        """Whether the wrapped model can embed without waiting for a load."""
        return is_ready(self.inner)

    def start_loading(self) -> None:
        """Start loading the wrapped model in the background, if it loads lazily."""
        start: Callable[[], None] | None = getattr(self.inner, "start_loading", None)
        if start is not None:
            start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait up to `timeout` seconds for the wrapped model; True once it can embed."""
        wait: Callable[[float | None], bool] | None = getattr(self.inner, "wait_ready", None)
        return True if wait is None else bool(wait(timeout))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts`, computing only those not seen before (in one batch)."""
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        with self._lock:
            found: dict[str, np.ndarray] = {t: self._vectors[t] for t in texts if t in self._vectors}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            fresh = self.inner.embed(missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    found[text] = vector
                    self._vectors[text] = vector
                while len(self._vectors) > self._max_texts:
                    self._vectors.popitem(last=False)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        """`embed(texts)` as one array, kept for the last few distinct lists (one per directory)."""
        key = tuple(texts)
        with self._lock:
            found = self._matrices.get(key)
            if found is not None:
                self._matrices.move_to_end(key)
                return found
        matrix = self.embed(key)
        matrix.flags.writeable = False
        with self._lock:
            self._matrices[key] = matrix
            while len(self._matrices) > 8:
                self._matrices.popitem(last=False)
        return matrix

    def embed_uncached(self, texts: Sequence[str]) -> np.ndarray:
        """Embed without the cache (for measuring the model itself)."""
        return self.inner.embed(texts)

    def exemplar_vectors(self) -> tuple[np.ndarray, tuple[Intent, ...]]:
        """The intent exemplars' vectors (embedded once) and their intents."""
        if self._exemplars is None:
            texts = [text for _, text in INTENT_EXEMPLARS]
            self._exemplars = (self.embed(texts), tuple(intent for intent, _ in INTENT_EXEMPLARS))
        return self._exemplars


def is_ready(embedder: Any) -> bool:
    """Whether an embedder can embed now; embedders without a `ready` flag always can."""
    return bool(getattr(embedder, "ready", True))


def intent_similarity(embedder: CachingEmbedder) -> Callable[[str], Mapping[Intent, float]]:
    """A similarity function for `bot.questions.interpret.interpret`, backed by `embedder`."""

    def similarity(masked_question: str) -> Mapping[Intent, float]:
        vectors, intents = embedder.exemplar_vectors()
        question = embedder.embed([masked_question])[0]
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
