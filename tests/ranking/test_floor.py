"""The relevance floor is measured for the loaded embedder, not looked up by its model name."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from bot.experts.embeddings.cache import CachingEmbedder
from bot.experts.embeddings.floor import (
    MIN_FLOOR,
    OFF_TOPIC_PROBES,
    REFERENCE_PROFILES,
    calibrated_floor,
    measure_floor,
)
from bot.experts.embeddings.hashing import HashingEmbedder


class WordEmbedder:
    """Bag of content words (no stop words), optionally pulled towards one shared direction.

    `shared` > 0 raises every cosine, as models with a narrow cosine range do.
    """

    model_name = "all-MiniLM-L6-v2"  # the name must not matter

    def __init__(self, shared: float = 0.0) -> None:
        self.shared = shared
        self.calls = 0
        self.words = HashingEmbedder(dimension=256)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        vectors = np.asarray(self.words.embed(texts), dtype=np.float32)
        vectors[:, 0] += self.shared
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_model_with_a_narrower_cosine_range_gets_a_higher_floor_whatever_its_name() -> None:
    plain, squeezed = measure_floor(WordEmbedder()), measure_floor(WordEmbedder(shared=3.0))
    assert MIN_FLOOR <= plain < squeezed
    assert squeezed > 0.5


def test_the_floor_is_measured_once_per_embedder_and_shared_by_its_memoising_wrapper() -> None:
    model = WordEmbedder(shared=1.0)
    first = calibrated_floor(model)
    assert calibrated_floor(model) == first and model.calls == 1
    assert calibrated_floor(CachingEmbedder(model)) == first and model.calls == 1
    assert first == pytest.approx(measure_floor(WordEmbedder(shared=1.0)))


def test_the_hashing_embedder_declares_its_floor() -> None:
    assert calibrated_floor(HashingEmbedder()) == 0.1
    assert calibrated_floor(CachingEmbedder(HashingEmbedder())) == 0.1


def test_reference_directory_and_probes_are_what_the_docstring_says() -> None:
    assert len(REFERENCE_PROFILES) == 12 and {len(profile) for profile in REFERENCE_PROFILES} == {3}
    assert len(OFF_TOPIC_PROBES) == 19
