"""How one person's item similarities become one score: the `Aggregation` strategies.

`aggregate` is the single implementation of every strategy: ranking (`bot.domain.experts.ranking`) and
the offline evaluation (`bot.experts.evaluation`, through `score_people`) both call it, so what we
measure is what we ship.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class AggregationKind(StrEnum):
    """How a person's item similarities become one score."""

    MAX = "max"
    MEAN = "mean"
    TOP_K_MEAN = "topk"
    SOFTMAX = "softmax"
    LOG_SUM_EXP = "lse"
    MAX_PLUS_MEAN = "max+mean"


_PARAMETER_KINDS = frozenset(
    {
        AggregationKind.TOP_K_MEAN,
        AggregationKind.SOFTMAX,
        AggregationKind.LOG_SUM_EXP,
        AggregationKind.MAX_PLUS_MEAN,
    }
)


@dataclass(frozen=True)
class Aggregation:
    """A strategy for combining one person's item similarities ``s_1..s_n`` into a score.

    - ``max``: the best item. A person with one spot-on paper is a strong match.
    - ``mean``: all items equally; rewards people whose whole profile is on topic.
    - ``topk:K``: mean of the K best items (of all items if fewer than K).
    - ``softmax:T``: softmax-weighted mean ``sum(w_i s_i)`` with ``w = softmax(s / T)``; lies between
      mean (T large) and max (T small).
    - ``lse:T``: log-mean-exp ``T * log(mean(exp(s / T)))``, a smooth maximum. Averaging inside the log
      (rather than summing) keeps people with many items from winning by item count alone.
    - ``max+mean:L``: ``(max + L * mean of the other items) / (1 + L)``; the best item plus a bonus for
      breadth. With one item the score is that item's similarity.

    Attributes:
        kind: The strategy.
        parameter: K, T or L as above; None for max and mean.
    """

    kind: AggregationKind
    parameter: float | None = None

    def __post_init__(self) -> None:
        if self.kind in _PARAMETER_KINDS:
            if self.parameter is None:
                raise ValueError(f"aggregation {self.kind} needs a parameter, e.g. {self.kind}:0.1")
            if self.kind is AggregationKind.TOP_K_MEAN and (
                self.parameter < 1 or self.parameter != int(self.parameter)
            ):
                raise ValueError(f"topk needs a whole number of items >= 1, got {self.parameter}")
            if self.kind in (AggregationKind.SOFTMAX, AggregationKind.LOG_SUM_EXP) and self.parameter <= 0:
                raise ValueError(f"{self.kind} needs a temperature > 0, got {self.parameter}")
            if self.kind is AggregationKind.MAX_PLUS_MEAN and self.parameter < 0:
                raise ValueError(f"max+mean needs a weight >= 0, got {self.parameter}")
        elif self.parameter is not None:
            raise ValueError(f"aggregation {self.kind} takes no parameter")

    @property
    def name(self) -> str:
        """Canonical name, e.g. ``"max"`` or ``"lse:0.05"``; `parse_aggregation` reads it back."""
        if self.parameter is None:
            return str(self.kind)
        return f"{self.kind}:{self.parameter:g}"

    def __str__(self) -> str:
        return self.name


def parse_aggregation(name: str) -> Aggregation:
    """Read an aggregation name such as ``"max"``, ``"topk:2"`` or ``"softmax:0.05"``.

    Args:
        name: ``KIND`` or ``KIND:PARAMETER``; see `Aggregation`.

    Returns:
        The aggregation.

    Raises:
        ValueError: Unknown kind, or a missing, extra or invalid parameter.
    """
    kind_text, _, parameter_text = name.strip().lower().partition(":")
    try:
        kind = AggregationKind(kind_text)
    except ValueError:
        known = ", ".join(str(kind) for kind in AggregationKind)
        raise ValueError(f"unknown aggregation {name!r}; known kinds: {known}") from None
    if not parameter_text:
        return Aggregation(kind)
    try:
        parameter = float(parameter_text)
    except ValueError:
        raise ValueError(f"aggregation parameter must be a number, got {parameter_text!r}") from None
    return Aggregation(kind, parameter)


# The strategies compared by `liaison experts evaluate --aggregation all` (docs/benchmarks.md).
AGGREGATIONS: tuple[Aggregation, ...] = (
    Aggregation(AggregationKind.MAX),
    Aggregation(AggregationKind.MEAN),
    Aggregation(AggregationKind.TOP_K_MEAN, 2),
    Aggregation(AggregationKind.TOP_K_MEAN, 3),
    Aggregation(AggregationKind.SOFTMAX, 0.02),
    Aggregation(AggregationKind.SOFTMAX, 0.05),
    Aggregation(AggregationKind.SOFTMAX, 0.1),
    Aggregation(AggregationKind.LOG_SUM_EXP, 0.02),
    Aggregation(AggregationKind.LOG_SUM_EXP, 0.05),
    Aggregation(AggregationKind.LOG_SUM_EXP, 0.1),
    Aggregation(AggregationKind.MAX_PLUS_MEAN, 0.25),
    Aggregation(AggregationKind.MAX_PLUS_MEAN, 0.5),
    Aggregation(AggregationKind.MAX_PLUS_MEAN, 1.0),
)
# Chosen on the dev set with the real model ("Expert suggestions: evaluation" in docs/benchmarks.md):
# max-like strategies lose clearly (pairwise loss 0.164 for max against 0.142-0.146 for mean-like
# ones); topk:3 (0.142), mean, lse:0.1 and max+mean:0.5/1 are statistically tied. topk:3 is preferred
# over mean because real profiles can list many publications on several topics, and a plain mean
# would dilute an expert's three relevant papers with the rest.
DEFAULT_AGGREGATION = Aggregation(AggregationKind.TOP_K_MEAN, 3)


def similarity_table(similarities: np.ndarray, layout: np.ndarray) -> np.ndarray:
    """Item similarities laid out like `layout` (one column per person), padded with -inf.

    float32, like the similarities themselves: a row of 100k people then fits in the 2 MB L2 cache,
    and every row operation below costs half as much as in float64.
    """
    extended = np.empty(similarities.shape[0] + 1, dtype=np.float32)
    extended[:-1] = similarities
    extended[-1] = -np.inf
    return extended[layout]


def aggregate(table: np.ndarray, counts: np.ndarray, aggregation: Aggregation) -> np.ndarray:
    """Combine each column of `table` (similarities padded with -inf) into one score per person.

    The single implementation of every strategy: ranking and evaluation both call it. Works on the
    float32 table and returns float64 scores; sums are accumulated in float64.
    """
    kind, parameter = aggregation.kind, aggregation.parameter
    best = table.max(axis=0)
    if kind is AggregationKind.MAX:
        return best.astype(np.float64)
    valid = table > -np.inf
    values = np.where(valid, table, np.float32(0.0))
    totals = values.sum(axis=0, dtype=np.float64)
    if kind is AggregationKind.MEAN:
        return totals / counts
    assert parameter is not None  # Aggregation.__post_init__ guarantees it for the kinds below
    if kind is AggregationKind.TOP_K_MEAN:
        k = int(parameter)
        if k >= table.shape[0]:
            return totals / counts
        # k bubble passes over every person's slots at once: pass p carries the p-th largest
        # similarity up to slot p. Each comparator is an elementwise max/min of two contiguous rows,
        # so at 100k people and 5 slots the whole selection costs ~1 ms, where argmax, sort or
        # partition along the short axis cost 5-16 ms.
        work = table.copy()
        scratch = np.empty_like(work[0])
        for position in range(k):
            for slot in range(work.shape[0] - 1, position, -1):
                upper, lower = work[slot - 1], work[slot]
                np.maximum(upper, lower, out=scratch)
                np.minimum(upper, lower, out=lower)
                upper[...] = scratch
        top = work[:k]
        return np.where(top > -np.inf, top, np.float32(0.0)).sum(axis=0, dtype=np.float64) / np.minimum(
            counts, k
        )
    if kind in (AggregationKind.SOFTMAX, AggregationKind.LOG_SUM_EXP):
        # Shifting by the maximum keeps exp() in range for any temperature; padding gives exp(-inf) = 0.
        weights = np.exp((table - best) / np.float32(parameter))
        weight_sums = weights.sum(axis=0, dtype=np.float64)
        if kind is AggregationKind.SOFTMAX:
            return (weights * values).sum(axis=0, dtype=np.float64) / weight_sums
        return best + parameter * np.log(weight_sums / counts)
    if kind is AggregationKind.MAX_PLUS_MEAN:
        others = np.maximum(counts - 1, 1)
        best64 = best.astype(np.float64)
        rest_mean = (totals - best64) / others
        return np.where(counts > 1, (best64 + parameter * rest_mean) / (1.0 + parameter), best64)
    raise AssertionError(f"unhandled aggregation {aggregation}")
