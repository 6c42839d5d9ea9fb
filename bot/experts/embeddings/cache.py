"""A memoising embedder: record and profile texts are embedded once per process and kept by text.

A question then costs one embedding (~20 ms on two cores) plus a matrix product; a text that changes is
simply a new key. The cache is bounded; the least recently added texts are dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from bot.experts.embeddings.protocol import Embedder, is_ready

# Enough for the synthetic 1,000-project / 10,000-milestone workspace with room to spare (~150 MB at
# 384 float32 dimensions).
MAX_CACHED_TEXTS = 100_000
# Distinct text lists whose stacked matrix `matrix` keeps (about one per workspace directory).
MAX_CACHED_MATRICES = 8


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
        self._matrices: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()
        self._pinned: dict[tuple[str, ...], np.ndarray] = {}

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

    def matrix(self, texts: Sequence[str], *, pinned: bool = False) -> np.ndarray:
        """`embed(texts)` as one read-only array, kept for the last few distinct lists.

        Args:
            texts: The texts, in row order.
            pinned: Keep this list's matrix for the embedder's lifetime instead of among the last
                MAX_CACHED_MATRICES: for small fixed lists every question needs (intent exemplars),
                which a busy directory must not evict.

        Returns:
            A ``(len(texts), dimension)`` float32 array; never write to it.
        """
        key = tuple(texts)
        with self._lock:
            found = self._pinned.get(key)
            if found is None:
                found = self._matrices.get(key)
                if found is not None:
                    self._matrices.move_to_end(key)
            if found is not None:
                return found
        matrix = self.embed(key)
        matrix.flags.writeable = False
        with self._lock:
            if pinned:
                self._pinned[key] = matrix
            else:
                self._matrices[key] = matrix
                while len(self._matrices) > MAX_CACHED_MATRICES:
                    self._matrices.popitem(last=False)
        return matrix

    def embed_uncached(self, texts: Sequence[str]) -> np.ndarray:
        """Embed without the cache (for measuring the model, and for vectors stored elsewhere)."""
        return self.inner.embed(texts)
