"""Embedders: the hashing fake, vector storage, lazy model loading, and one test with the real model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.experts.embeddings.calibration import DEFAULT_MODEL_NAME
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.experts.embeddings.protocol import EmbedderLoadError
from bot.experts.embeddings.sentence_transformers import SentenceTransformerEmbedder
from bot.experts.embeddings.storage import bytes_to_vector, vector_to_bytes

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


# --- HashingEmbedder ------------------------------------------------------------------------------


def test_hashing_embedder_returns_unit_float32_rows() -> None:
    texts = ["Auction theory and bid shading", "", "   ", "GDPR consent, GDPR consent!"]
    vectors = HashingEmbedder().embed(texts)
    assert vectors.shape == (4, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_hashing_embedder_is_deterministic_within_a_process() -> None:
    texts = ["measure conversions without user-level data", "first-price auctions"]
    assert np.array_equal(HashingEmbedder().embed(texts), HashingEmbedder().embed(texts))
    assert np.array_equal(HashingEmbedder().embed_query(texts[0]), HashingEmbedder().embed(texts)[0])


def test_hashing_embedder_is_deterministic_across_processes() -> None:
    # Python's hash() of a str changes with PYTHONHASHSEED; the embedder must not depend on it.
    code = (
        "from bot.experts.embeddings.hashing import HashingEmbedder\n"
        "from bot.experts.embeddings.storage import vector_to_bytes\n"
        "vector = HashingEmbedder(64).embed_query('Privacy-preserving conversion measurement')\n"
        "print(vector_to_bytes(vector).hex())\n"
    )
    assert run_python(code, PYTHONHASHSEED="1") == run_python(code, PYTHONHASHSEED="2")


def test_hashing_embedder_puts_texts_sharing_words_closer() -> None:
    query, related, unrelated = HashingEmbedder().embed(
        [
            "bid shading in first-price auctions",
            "equilibrium bid shading for auctions",
            "eye tracking of video ads",
        ]
    )
    assert query @ related > query @ unrelated + 0.2


def test_hashing_embedder_uses_bigrams_and_ignores_case() -> None:
    embedder = HashingEmbedder()
    assert np.array_equal(embedder.embed_query("Bid Shading"), embedder.embed_query("bid shading"))
    # Same words, different order: equal unigrams, different bigrams.
    forward, backward = embedder.embed(["shading bid price", "price bid shading"])
    assert 0.3 < float(forward @ backward) < 0.99


def test_hashing_embedder_handles_empty_input_and_rejects_a_bare_string() -> None:
    assert HashingEmbedder(16).embed([]).shape == (0, 16)
    with pytest.raises(TypeError):
        HashingEmbedder().embed("a bare string")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        HashingEmbedder(1)


# --- Storage ----------------------------------------------------------------------------------------


def test_vector_bytes_round_trip() -> None:
    vector = np.random.default_rng(0).standard_normal(384).astype(np.float32)
    data = vector_to_bytes(vector)
    assert len(data) == 384 * 4
    restored = bytes_to_vector(data, dimension=384)
    assert np.array_equal(restored, vector)
    assert restored.dtype == np.float32
    assert restored.flags.writeable


def test_vector_bytes_are_little_endian_float32() -> None:
    assert vector_to_bytes(np.array([1.0, -2.0])) == bytes.fromhex("0000803f000000c0")
    assert bytes_to_vector(bytes.fromhex("0000803f000000c0")).tolist() == [1.0, -2.0]


def test_vector_bytes_reject_bad_input() -> None:
    with pytest.raises(ValueError):
        vector_to_bytes(np.ones((2, 2), dtype=np.float32))
    with pytest.raises(ValueError):
        bytes_to_vector(b"\x00\x00\x00")
    with pytest.raises(ValueError):
        bytes_to_vector(vector_to_bytes(np.ones(3, dtype=np.float32)), dimension=4)


# --- SentenceTransformerEmbedder without the model -------------------------------------------------


def test_importing_and_constructing_the_embedder_loads_nothing() -> None:
    code = (
        "import sys\n"
        "import bot.experts.embeddings.sentence_transformers as e\n"
        "embedder = e.SentenceTransformerEmbedder()\n"
        "heavy = [m for m in ('sentence_transformers', 'torch', 'transformers') if m in sys.modules]\n"
        "print(heavy, embedder.ready, embedder.model_name)\n"
    )
    assert run_python(code) == f"[] False {DEFAULT_MODEL_NAME}"


def test_missing_model_directory_fails_clearly_without_downloading(tmp_path: Path) -> None:
    embedder = SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))
    with pytest.raises(EmbedderLoadError, match="not found"):
        embedder.embed(["text"])
    # The failure is remembered: waiting reports it instead of hanging.
    with pytest.raises(EmbedderLoadError):
        embedder.wait_ready(timeout=5)
    assert not embedder.ready


def test_background_load_failure_is_reported_by_wait_ready(tmp_path: Path) -> None:
    embedder = SentenceTransformerEmbedder(str(tmp_path / "missing"))
    embedder.start_loading()
    embedder.start_loading()  # idempotent
    with pytest.raises(EmbedderLoadError, match="not found"):
        embedder.wait_ready(timeout=30)


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        SentenceTransformerEmbedder(batch_size=0)
