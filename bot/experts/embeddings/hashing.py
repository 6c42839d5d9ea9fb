"""A deterministic fake embedder for tests and `--fake-embedder` runs: no model, no dependencies."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from bot.experts.embeddings.calibration import HASHING_MODEL_NAME

_TOKEN_PATTERN = re.compile(r"\w+")


class HashingEmbedder:
    """A deterministic fake embedder: signed feature hashing of word unigrams and bigrams.

    Texts sharing words get similar vectors, which is enough to test ranking without a model. The
    hash is blake2b (Python's `hash()` is salted per process), so vectors are identical across runs
    and machines.

    Args:
        dimension: Vector length.
    """

    model_name = HASHING_MODEL_NAME
    # Declared, not measured (`bot.experts.embeddings.floor`): word counts cannot tell topics apart
    # (stop words are shared by everything), so no calibration means anything; 0.1 drops people who
    # share almost no words with a need, which keeps the tests' "nobody matched" path honest.
    relevance_floor = 0.1

    def __init__(self, dimension: int = 384):
        if dimension < 2:
            raise ValueError(f"dimension must be at least 2, got {dimension}")
        self.dimension = dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts`; see `Embedder.embed`."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts; use embed_query() for one text")
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _TOKEN_PATTERN.findall(text.lower())
            # An empty text still gets a unit vector (of a reserved token) so every row has norm 1.
            tokens = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)] or ["\x00empty"]
            for token in tokens:
                index, sign = _hashed_feature(token, self.dimension)
                vectors[row, index] += sign
            norm = float(np.linalg.norm(vectors[row]))
            if norm == 0.0:
                # Every token cancelled out (opposite signs on one bucket): fall back to the first.
                index, sign = _hashed_feature(tokens[0], self.dimension)
                vectors[row, index] = sign
                norm = 1.0
            vectors[row] /= norm
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one text; see `SentenceTransformerEmbedder.embed_query`."""
        return self.embed([text])[0]


@lru_cache(maxsize=65536)
def _hashed_feature(token: str, dimension: int) -> tuple[int, float]:
    digest = int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")
    # The lowest bit picks the sign so that colliding tokens cancel on average instead of piling up.
    return (digest >> 1) % dimension, 1.0 if digest & 1 else -1.0
