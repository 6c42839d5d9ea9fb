"""A float16 copy of a large index's item matrix, for a first ranking pass that reads half the bytes.

torch is imported only when an index is large enough to keep such a copy; ranking re-scores the best
candidates in float32 (`bot.domain.experts.ranking`), so suggestions and scores are the exact pass's.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

# Indexes with at least this many items (20k people x 5) may also keep a float16 copy of the item
# matrix for the first pass (`HalfPrecisionMatrix`). Where torch's float16 product is memory-bound it
# reads half the bytes: at 500k items ~18 ms against ~42 ms for numpy's float32 one (whole ranking:
# 12 -> 9 ms at 20k people, 29 -> 13 ms at 40k, ~1 ms of 6-7 at 10k, which does not pay for the
# memory). Where the CPU converts float16 in software it is compute-bound and slower: 37 ms against
# 27 ms on the same VM with torch 2.13.0 (docs/benchmarks.md). So the copy is kept only when a timing
# at build shows it faster (`half_precision_pays`).
HALF_PRECISION_MIN_ITEMS = 100_000
# The float16 product must take at most this share of the float32 one's time for the copy to be kept.
HALF_PRECISION_MIN_GAIN = 0.8


@dataclass(frozen=True, eq=False)
class HalfPrecisionMatrix:
    """A float16 copy of an index's item matrix, for a first pass that reads half the bytes.

    Ranking with it: every item's similarity is computed from the copy, people are scored from those,
    and only the people who could be in the MMR pool given `error` (a few dozen more than the pool)
    are re-scored from the float32 matrix. Those exact scores decide everything that follows, so the
    suggestions, their order, scores and matched items are the exact pass's (similarities may differ
    in the last float32 bit, ~1e-8, because BLAS sums a few rows in another order than the whole
    matrix). Only aggregations that never move more than their inputs do (everything but softmax)
    use it; softmax falls back to the exact pass.

    Attributes:
        tensor: ``(items, dimension)`` float16 torch tensor on the CPU, row i is ``items[i]``; never
            written.
        error: Bound on ``|approximate - float32 similarity|`` for any item and unit query
            (`_half_precision_error`); about 1.5e-3 for unit vectors of dimension 384.
    """

    tensor: Any
    error: float

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """Approximate similarities of every item to a unit `query`, as a float16 array."""
        torch = _import_torch()
        assert torch is not None  # a HalfPrecisionMatrix exists only if torch imported
        return self.tensor.mv(torch.from_numpy(query.astype(np.float16))).numpy()


def half_precision_copy(matrix: np.ndarray) -> HalfPrecisionMatrix | None:
    """A float16 copy of `matrix` with its error bound; None without torch or for huge components."""
    torch = _import_torch()
    if torch is None or matrix.size == 0:
        return None
    lowest, highest = float(matrix.min()), float(matrix.max())
    if not (math.isfinite(lowest) and math.isfinite(highest) and max(-lowest, highest) <= 60_000.0):
        return None  # float16 overflows past 65,504
    # Row by row so no float64 temporary of the whole matrix is made.
    max_norm = float(np.sqrt(np.einsum("ij,ij->i", matrix, matrix).max()))
    return HalfPrecisionMatrix(
        tensor=torch.from_numpy(matrix.astype(np.float16)),
        error=_half_precision_error(matrix.shape[1], max_norm),
    )


def half_precision_pays(matrix: np.ndarray, half: HalfPrecisionMatrix, *, rounds: int = 3) -> bool:
    """Whether the float16 first pass is faster than a float32 product on this machine, measured.

    Each product is timed `rounds` times, alternately, with one unit query, and the best of each is
    compared: a few of them cost ~0.2 s at 500k items, once per index build.

    Args:
        matrix: The float32 item matrix.
        half: Its float16 copy.
        rounds: Timings of each.

    Returns:
        True when the float16 product takes at most HALF_PRECISION_MIN_GAIN of the float32 one's time.
    """
    query = np.zeros(matrix.shape[1], dtype=np.float32)
    query[0] = 1.0
    best_full = best_half = math.inf
    for _ in range(rounds):
        started = time.perf_counter()
        matrix @ query
        best_full = min(best_full, time.perf_counter() - started)
        started = time.perf_counter()
        half.similarities(query)
        best_half = min(best_half, time.perf_counter() - started)
    return best_half <= HALF_PRECISION_MIN_GAIN * best_full


def _half_precision_error(dimension: int, max_norm: float) -> float:
    """Bound on |float16-pass similarity - float32 similarity| for rows of norm <= `max_norm`.

    The float16 pass rounds each row element and the query to float16 (relative error <= u = 2^-11
    each, or an absolute 2^-25 below float16's normal range), multiplies exactly and sums in float32
    (torch's CPU kernel widens float16 to float32; error <= d * 2^-24 * max_norm), and rounds the
    result to float16 (<= u * max_norm). The float32 pass has its own summation error (the same
    d * 2^-24 * max_norm). For unit vectors of dimension 384 the bound is about 1.5e-3; the worst
    errors measured are a fifth of it (rounding the result when a similarity is close to 1).
    """
    unit, tiny = 2.0**-11, 2.0**-25
    rounding = (3 * unit + 3 * unit**2 + unit**3) * max_norm
    subnormal = tiny * (1 + unit) * (1 + max_norm) * math.sqrt(dimension) + tiny**2 * dimension + tiny
    summation = 2 * dimension * 2.0**-24 * (1 + unit) ** 2 * max_norm
    return 1.01 * (rounding + subnormal + summation)


def _import_torch() -> Any | None:
    """torch, imported on first use by a half-precision index; None if it is not installed."""
    if "torch" not in sys.modules:
        # As bot.experts.embeddings.sentence_transformers does before loading the model: torch reads
        # the OpenMP wait policy once, when it loads, and spinning threads would steal the second core
        # from numpy (and back).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        # importlib keeps mypy from type-checking all of torch; the tensor is used through `Any`.
        return importlib.import_module("torch")
    except ImportError:
        return None
