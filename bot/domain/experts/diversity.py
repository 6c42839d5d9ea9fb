"""Diversity by maximal marginal relevance (MMR): five suggestions, not five people of one discipline."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.domain.experts.index import ExpertIndex

# MMR picks argmax of (1 - lambda) * score - lambda * redundancy, where redundancy is the highest
# similarity to anyone already picked (about 0.8 for a second person from the same discipline, 0.1-0.3
# across disciplines). Scores are cosine-like: relevant people sit around 0.3-0.6 with all-MiniLM-L6-v2,
# neighbours a few hundredths apart. At 0.05 someone from a new discipline overtakes a same-discipline
# candidate scoring up to ~0.03 higher, not an irrelevant one. On the dev set this raised the distinct
# disciplines in the top 5 from 3.8 to 4.3 with no drop in strongly rated suggestions; 0.1 and above
# start to cost relevance (docs/benchmarks.md, `liaison experts diversity`).
DEFAULT_DIVERSITY_LAMBDA = 0.05
# Redundancy between two people: this weight on "same discipline" (0 or 1) plus the rest on the cosine
# of their profile centroids, so two economists are redundant even with different topics, and an
# economist and a statistician writing about the same experiments are partly redundant.
DISCIPLINE_REDUNDANCY_WEIGHT = 0.5
# MMR reorders only the best candidates by score; a pool of 10x the requested number is far deeper than
# any diversity trade-off with lambda <= 0.3 can reach, and keeps MMR cost independent of directory size.
MMR_POOL_FACTOR = 10
MMR_POOL_MIN = 50


def pool_size(wanted: int, diversity_lambda: float) -> int:
    """How many of the best-scoring candidates MMR chooses `wanted` people from."""
    return wanted if diversity_lambda == 0 else max(wanted * MMR_POOL_FACTOR, MMR_POOL_MIN)


def mmr_order(
    pool: np.ndarray,
    scores: np.ndarray,
    index: ExpertIndex,
    already: Sequence[int],
    n: int,
    diversity_lambda: float,
) -> list[int]:
    """Pick up to `n` of `pool` (sorted by score) by MMR, given people `already` picked."""
    if diversity_lambda == 0.0 or pool.size == 0:
        return [int(position) for position in pool[:n]]
    previous = np.array(already, dtype=np.int64)
    centroids = _profile_centroids(index, np.concatenate((pool, previous)))
    pool_centroids, previous_centroids = centroids[: pool.size], centroids[pool.size :]
    pool_codes = index.discipline_codes[pool]
    relevance = (1.0 - diversity_lambda) * scores[pool]
    redundancy = np.zeros(pool.size, dtype=np.float64)
    if previous.size:
        redundancy = _redundancy(
            pool_codes, pool_centroids, index.discipline_codes[previous], previous_centroids
        )
    available = np.ones(pool.size, dtype=bool)
    picked: list[int] = []
    for _ in range(min(n, pool.size)):
        value = np.where(available, relevance - diversity_lambda * redundancy, -np.inf)
        # argmax returns the first maximum: the pool is in score order, so ties go to the higher score.
        choice = int(np.argmax(value))
        picked.append(int(pool[choice]))
        available[choice] = False
        redundancy = np.maximum(
            redundancy,
            _redundancy(
                pool_codes,
                pool_centroids,
                pool_codes[choice : choice + 1],
                pool_centroids[choice : choice + 1],
            ),
        )
    return picked


def _redundancy(
    codes: np.ndarray, centroids: np.ndarray, other_codes: np.ndarray, other_centroids: np.ndarray
) -> np.ndarray:
    """For each of `codes`/`centroids`, the highest redundancy with any of the others."""
    same_discipline = codes[:, None] == other_codes[None, :]
    cosine = np.clip(centroids @ other_centroids.T, 0.0, None)
    pairwise = DISCIPLINE_REDUNDANCY_WEIGHT * same_discipline + (1.0 - DISCIPLINE_REDUNDANCY_WEIGHT) * cosine
    return pairwise.max(axis=1)


def _profile_centroids(index: ExpertIndex, positions: np.ndarray) -> np.ndarray:
    """Unit-length mean item vector of each person at `positions`."""
    rows = index.layout[:, positions]
    valid = rows < len(index.items)
    vectors = index.matrix[np.where(valid, rows, 0)] * valid[:, :, None]
    sums = vectors.sum(axis=0, dtype=np.float64)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return sums / np.where(norms > 0, norms, 1.0)
