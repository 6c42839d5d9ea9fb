"""How generic a profile is: close to many other people's work, and so suggested for everything.

Embedding spaces have hubs: a profile written in broad terms ("machine learning for text, NLP for
advertising, language models") sits near the middle of everyone else's work, so it scores a little
above chance for any need and turns up in the tail of unrelated projects' suggestions. Hubness
reduction (cross-domain similarity local scaling, Conneau et al. 2018, "Word translation without
parallel data") discounts a candidate by its mean similarity to its nearest neighbours. Here a
person's *generality* is the mean cosine of their profile's centroid to the GENERALITY_NEIGHBOURS
closest items of *other* people, and the ranking orders people by

    score - GENERALITY_WEIGHT * generality

The term is a constant per person, so it never changes how one person's needs compare with each other
(the within-person pairwise loss): it only moves people against each other for one need. Measured on
the dev sets by the across-people loss (docs/benchmarks.md): the mean over the three dev files goes
from 0.139 to 0.125 at weight 0.5, most on multi-topic project needs. The relevance floor stays on
meaning alone, so the discount reorders suggestions without hiding anyone.

Cost: one product of the people's centroids with at most REFERENCE_ITEMS items (an even stride over
the directory for larger ones), computed once when an index is built: about 2.5 s at 100k people
(5 items each).
"""

from __future__ import annotations

import numpy as np

# Neighbours a person's generality is averaged over.
GENERALITY_NEIGHBOURS = 20
# Weight of the generality discount in the ranking order (chosen on the dev folds, docs/benchmarks.md).
GENERALITY_WEIGHT = 0.5
# Larger directories measure generality against an even stride of this many items.
REFERENCE_ITEMS = 2048
# People per block of the centroid-by-reference product: bounds the temporary matrices to ~32 MB.
_BLOCK = 4096


def profile_generality(
    matrix: np.ndarray,
    counts: np.ndarray,
    *,
    neighbours: int = GENERALITY_NEIGHBOURS,
    reference_items: int = REFERENCE_ITEMS,
) -> np.ndarray:
    """Per person, the mean cosine of their centroid to the nearest items of other people.

    Args:
        matrix: ``(items, dimension)`` item vectors grouped by person: the first ``counts[0]`` rows
            are the first person's, and so on (`ExpertIndex.matrix`). Need not be unit length.
        counts: Items per person (each at least 1).
        neighbours: How many of the closest other people's items are averaged.
        reference_items: At most this many items are compared with (an even stride over all).

    Returns:
        float32 per person; 0 for everyone when nobody else has items.
    """
    people = int(counts.size)
    generality = np.zeros(people, dtype=np.float32)
    if people < 2 or matrix.shape[0] == 0:
        return generality
    lengths = np.maximum(np.linalg.norm(matrix, axis=1), np.float32(1e-12))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    # Centroids slot by slot (every person's first item, then every second one, ...): one gather of
    # the directory in all, where `np.add.reduceat` over rows took seconds at 100k people.
    centroids = np.zeros((people, matrix.shape[1]), dtype=np.float32)
    for slot in range(int(counts.max())):
        having = np.flatnonzero(counts > slot)
        rows = starts[having] + slot
        centroids[having] += matrix[rows] / lengths[rows, None]
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), np.float32(1e-12))
    owner = np.repeat(np.arange(people), counts)
    rows = np.arange(matrix.shape[0])
    if rows.size > reference_items:
        rows = np.unique(np.linspace(0, rows.size - 1, reference_items).astype(np.int64))
    reference = np.ascontiguousarray((matrix[rows] / lengths[rows, None]).T)
    reference_owner = owner[rows]
    for start in range(0, people, _BLOCK):
        block = np.arange(start, min(start + _BLOCK, people))
        similarities = centroids[block] @ reference
        similarities[reference_owner[None, :] == block[:, None]] = -np.inf  # one's own items
        # The k largest per row (partitioning at the far end is several times faster than the near one).
        # A person with fewer than k other items in reach averages those there are: each row its own
        # count, so one person with many items does not shrink everyone's neighbourhood.
        k = min(neighbours, rows.size)
        nearest = np.partition(similarities, rows.size - k, axis=1)[:, rows.size - k :]
        found = np.isfinite(nearest)
        totals = np.where(found, nearest, 0.0).sum(axis=1)
        generality[block] = totals / np.maximum(found.sum(axis=1), 1)
    return generality
