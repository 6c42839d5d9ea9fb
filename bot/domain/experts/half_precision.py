"""A 16-bit copy of a large index's item matrix, for a first ranking pass that reads half the bytes.

torch is imported only when an index is large enough to keep such a copy; ranking re-scores the best
candidates in float32 (`bot.domain.experts.ranking`), so suggestions and scores are the exact pass's.
The copy is bfloat16 or float16, whichever measures faster than the float32 product on the machine
(`half_precision_pays`): CPUs with AVX-512 BF16 multiply bfloat16 in hardware, while torch may
convert float16 in software.
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
# The 16-bit product must take at most this share of the float32 one's time for the copy to be kept.
HALF_PRECISION_MIN_GAIN = 0.9
# The 16-bit formats tried at production size, in order; the first that pays is kept.
HALF_PRECISION_DTYPES = ("bfloat16", "float16")
# Seconds before each timing of `half_precision_pays`, for the other library's threads to go idle.
_PAUSE = 0.25
# Rows converted to bfloat16 at a time.
_CONVERT_ROWS = 65_536
# Unit roundoff (half the spacing of numbers in [1, 2)) and half the smallest subnormal, per format.
_ROUNDING = {"float16": (2.0**-11, 2.0**-25), "bfloat16": (2.0**-8, 2.0**-134)}


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
        tensor: ``(items, dimension)`` float16 or bfloat16 torch tensor on the CPU, row i is
            ``items[i]``; never written.
        error: Bound on ``|approximate - float32 similarity|`` for any item and unit query
            (`_half_precision_error`); for unit vectors of dimension 384 about 1.5e-3 in float16 and
            1.2e-2 in bfloat16 (8 bits of mantissa against 11).
    """

    tensor: Any
    error: float

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """Approximate similarities of every item to a unit `query` (float16 or float32 array)."""
        torch = _import_torch()
        assert torch is not None  # a HalfPrecisionMatrix exists only if torch imported
        product = self.tensor.mv(torch.from_numpy(np.asarray(query, dtype=np.float32)).to(self.tensor.dtype))
        # numpy has no bfloat16: its results are widened (exactly) to float32.
        return (product if product.dtype == torch.float16 else product.float()).numpy()


def half_precision_copy(matrix: np.ndarray, dtype: str = "float16") -> HalfPrecisionMatrix | None:
    """A 16-bit copy of `matrix` with its error bound; None without torch or for huge components.

    Args:
        matrix: The float32 item matrix.
        dtype: "float16" or "bfloat16".
    """
    torch = _import_torch()
    if torch is None or matrix.size == 0:
        return None
    lowest, highest = float(matrix.min()), float(matrix.max())
    if not (math.isfinite(lowest) and math.isfinite(highest) and max(-lowest, highest) <= 60_000.0):
        return None  # float16 overflows past 65,504 (bfloat16 has float32's range: kept alike)
    # Row by row so no float64 temporary of the whole matrix is made.
    max_norm = float(np.sqrt(np.einsum("ij,ij->i", matrix, matrix).max()))
    if dtype == "float16":
        tensor = torch.from_numpy(matrix.astype(np.float16))
    else:
        # numpy has no bfloat16, so torch converts; chunk by chunk, from writable copies (torch will not
        # wrap a read-only array), so no float32 copy of the whole matrix is made.
        tensor = torch.empty(matrix.shape, dtype=torch.bfloat16)
        for start in range(0, matrix.shape[0], _CONVERT_ROWS):
            rows = slice(start, start + _CONVERT_ROWS)
            tensor[rows] = torch.from_numpy(np.array(matrix[rows]))
    unit, tiny = _ROUNDING[dtype]
    return HalfPrecisionMatrix(
        tensor=tensor, error=_half_precision_error(matrix.shape[1], max_norm, unit=unit, tiny=tiny)
    )


def half_precision_pays(matrix: np.ndarray, half: HalfPrecisionMatrix, *, rounds: int = 2) -> bool:
    """Whether the float16 first pass is faster than a float32 product on this machine, measured.

    Each product is timed `rounds` times, alternately, with one unit query, and the best of each is
    compared. Each timing follows a short pause, as requests do: right after numpy's float32 product
    its BLAS threads still spin for a while and take the cores from torch's (a bfloat16 product of
    500k items measured 37-39 ms 50 ms after one, 20-22 ms after 0.3 s). About 1 s per format tried,
    once per process (`bot.domain.experts.index` keeps the verdict).

    Args:
        matrix: The float32 item matrix.
        half: Its float16 copy.
        rounds: Timings of each.

    Returns:
        True when the 16-bit product takes at most HALF_PRECISION_MIN_GAIN of the float32 one's time.
    """
    query = np.zeros(matrix.shape[1], dtype=np.float32)
    query[0] = 1.0
    best_full = best_half = math.inf
    for _ in range(rounds):
        time.sleep(_PAUSE)
        started = time.perf_counter()
        matrix @ query
        best_full = min(best_full, time.perf_counter() - started)
        time.sleep(_PAUSE)
        started = time.perf_counter()
        half.similarities(query)
        best_half = min(best_half, time.perf_counter() - started)
    return best_half <= HALF_PRECISION_MIN_GAIN * best_full


def _half_precision_error(
    dimension: int, max_norm: float, *, unit: float = 2.0**-11, tiny: float = 2.0**-25
) -> float:
    """Bound on |16-bit-pass similarity - float32 similarity| for rows of norm <= `max_norm`.

    The 16-bit pass rounds each row element and the query to the format (relative error <= u each:
    2^-11 in float16, 2^-8 in bfloat16; or an absolute `tiny` below the normal range), multiplies
    exactly and sums in float32 (torch's CPU kernels widen to float32; error <= d * 2^-24 * max_norm),
    and rounds the result to the format (<= u * max_norm). The float32 pass has its own summation
    error (the same d * 2^-24 * max_norm). For unit vectors of dimension 384 the bound is about 1.5e-3
    in float16 and 1.2e-2 in bfloat16; the worst errors measured are a fifth of it (rounding the
    result when a similarity is close to 1).
    """
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
