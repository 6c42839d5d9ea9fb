"""Expert suggestions: rank people by how well their profile texts match a need.

Each person has a few profile items (an expertise paragraph, publication titles), each embedded as a
unit vector. For a query vector, every item gets a cosine similarity (one matrix product over all
items), a person's item similarities are combined into one score by an `Aggregation`, and the best
people are picked with maximal marginal relevance (MMR) so that five suggestions are not five people
from the same discipline.

Everything here is numpy: no database, no Slack, no model. `ExpertIndex` holds the item matrix
(built once, reused for every query: at 100k people x 5 items that is a 768 MB float32 matrix, and a
query costs one pass over it). Large indexes also keep a float16 copy, which torch (imported only
then) multiplies in half the time; the best candidates are then re-scored in float32, so the
suggestions and their scores are those of the exact pass (`HalfPrecisionMatrix`). `score_people` is
the same exact scoring without the ranking policy; the offline evaluation (`bot.experts.evaluation`)
uses it so that what we measure is what we ship.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, NamedTuple

import numpy as np

EXPERTISE = "expertise"
PUBLICATION = "publication"
ITEM_KINDS = frozenset({EXPERTISE, PUBLICATION})

DEFAULT_TOP_K = 5
# Up to this many items explain a match ("matched on: <publication> (0.61)").
MATCHED_ITEMS = 2
# The second-best item is shown only if it is nearly as relevant as the best one; a 0.2 publication
# next to a 0.6 expertise paragraph explains nothing and looks like noise.
SECOND_MATCH_MARGIN = 0.15
OVER_CAP_NOTE = "Has had as many intro requests this week as they accept: expect a slow answer."

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
# Indexes with at least this many items (20k people x 5) also keep a float16 copy of the item matrix
# for the first pass (`HalfPrecisionMatrix`). The pass reads the whole matrix and is memory-bound: at
# 500k items torch's float16 product takes ~18 ms against ~42 ms for numpy's float32 one. Measured on
# the whole ranking: 12 -> 9 ms at 20k people, 29 -> 13 ms at 40k, but only ~1 ms of 6-7 at 10k,
# which does not pay for holding half the matrix again in memory.
HALF_PRECISION_MIN_ITEMS = 100_000


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


@dataclass(frozen=True)
class ProfileItem:
    """One embedded text of a person's profile.

    Attributes:
        person_id: The person it belongs to.
        kind: ``"expertise"`` or ``"publication"``.
        text: The text shown to users as the reason for a match.
        vector: Unit-length embedding of `text`. Left out of equality and hashing (numpy arrays have
            neither), so two items are equal when person, kind and text are.
    """

    person_id: str
    kind: str
    text: str
    vector: np.ndarray = field(compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in ITEM_KINDS:
            raise ValueError(f"item kind must be one of {sorted(ITEM_KINDS)}, got {self.kind!r}")


@dataclass(frozen=True)
class ExpertProfile:
    """A person who can be suggested.

    Attributes:
        person_id: Stable id (a Slack user id in the bot).
        name: Display name.
        discipline: E.g. ``"Auction theory & economics"``; diversity and exclusions compare it
            case-insensitively.
        organisation: Employer.
        sector: ``"academia"``, ``"industry"``, ...
        opted_out: Never suggested.
        over_cap: Already asked for as many intros this week as they accept; suggested only after
            everyone else.
    """

    person_id: str
    name: str
    discipline: str
    organisation: str = ""
    sector: str = ""
    opted_out: bool = False
    over_cap: bool = False


class MatchedItem(NamedTuple):
    """An item with its similarity to the query; unpacks as ``item, similarity``."""

    item: ProfileItem
    similarity: float


@dataclass(frozen=True)
class PersonScore:
    """A person's score for one query.

    Attributes:
        score: The aggregated score.
        best_items: The best item and, if within SECOND_MATCH_MARGIN of it, the second best.
    """

    score: float
    best_items: tuple[MatchedItem, ...]


@dataclass(frozen=True)
class ExpertMatch:
    """A suggested expert.

    Attributes:
        person: Who.
        score: Their aggregated relevance score (not the MMR value that ordered the list).
        matched_items: Why: the best item and possibly the second best, with similarities.
        note: Set when the person is at their weekly intro-request cap (OVER_CAP_NOTE).
    """

    person: ExpertProfile
    score: float
    matched_items: tuple[MatchedItem, ...]
    note: str | None = None


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


@dataclass(frozen=True, eq=False)
class ExpertIndex:
    """Profiles and their item vectors, laid out for one-matrix-product scoring.

    Build with `build_expert_index`, keep it while the directory is unchanged and rank with
    `rank_indexed_experts`. The arrays are read-only, so one index can serve many threads.

    Attributes:
        profiles: People with at least one item, in the order given.
        items: All items, grouped by person in `profiles` order; their vectors are rows of `matrix`.
        matrix: ``(len(items), dimension)`` float32 item vectors, row i is ``items[i]``.
        layout: ``(widest profile, len(profiles))`` row numbers of each person's items: column p holds
            person p's rows, padded with ``len(items)`` (one past the end, read as "no item"). People
            run along the contiguous axis so per-person reductions are a few passes over long rows,
            not 100k tiny ones (0.2 ms instead of 5 ms at 100k people).
        counts: Items per person.
        opted_out: Per person.
        over_cap: Per person.
        discipline_codes: Per person, an index into `disciplines`.
        disciplines: Distinct casefolded disciplines.
        positions: Person id to position in `profiles`.
        half_precision: A float16 copy of `matrix` for the first pass of ranking, kept for indexes of
            at least HALF_PRECISION_MIN_ITEMS items when torch is installed; None otherwise.
    """

    profiles: tuple[ExpertProfile, ...]
    items: tuple[ProfileItem, ...]
    matrix: np.ndarray
    layout: np.ndarray
    counts: np.ndarray
    opted_out: np.ndarray
    over_cap: np.ndarray
    discipline_codes: np.ndarray
    disciplines: tuple[str, ...]
    positions: dict[str, int]
    half_precision: HalfPrecisionMatrix | None = None

    @property
    def dimension(self) -> int:
        """Vector length."""
        return int(self.matrix.shape[1])

    def __len__(self) -> int:
        return len(self.profiles)


@dataclass(frozen=True, eq=False)
class _Grouping:
    person_ids: tuple[str, ...]
    items: tuple[ProfileItem, ...]
    matrix: np.ndarray
    layout: np.ndarray
    counts: np.ndarray


def build_expert_index(
    profiles: Sequence[ExpertProfile],
    items: Sequence[ProfileItem],
    *,
    half_precision_min_items: int = HALF_PRECISION_MIN_ITEMS,
) -> ExpertIndex:
    """Lay out profiles and items for fast ranking.

    Args:
        profiles: Everyone who may be suggested (opted-out people may be included; they are filtered
            at ranking time). People without items cannot be scored and are left out.
        items: Their embedded profile items, in any order.
        half_precision_min_items: From this many items on, also keep a float16 copy of the matrix
            for ranking (`HalfPrecisionMatrix`; needs torch, else ranking stays float32 only). Costs
            half the matrix's memory again.

    Returns:
        The index.

    Raises:
        ValueError: Duplicate person ids, items of unknown people, or vectors of different lengths.
    """
    positions: dict[str, int] = {}
    for profile in profiles:
        if profile.person_id in positions:
            raise ValueError(f"duplicate profile for person {profile.person_id!r}")
        positions[profile.person_id] = len(positions)
    unknown = {item.person_id for item in items if item.person_id not in positions}
    if unknown:
        raise ValueError(f"items refer to people without a profile: {sorted(unknown)[:5]}")
    grouping = _group_items(items, order=[profile.person_id for profile in profiles])
    by_id = {profile.person_id: profile for profile in profiles}
    kept = tuple(by_id[person_id] for person_id in grouping.person_ids)
    disciplines: dict[str, int] = {}
    codes = [disciplines.setdefault(profile.discipline.casefold(), len(disciplines)) for profile in kept]
    # Rebind every item to its row of the index matrix, so the caller's copies of the vectors can be
    # freed: at 100k people x 5 items that is 768 MB instead of twice as much.
    items_in_index = tuple(
        ProfileItem(item.person_id, item.kind, item.text, grouping.matrix[row])
        for row, item in enumerate(grouping.items)
    )
    return ExpertIndex(
        profiles=kept,
        items=items_in_index,
        matrix=grouping.matrix,
        layout=grouping.layout,
        counts=grouping.counts,
        opted_out=_frozen_array(np.array([p.opted_out for p in kept], dtype=bool)),
        over_cap=_frozen_array(np.array([p.over_cap for p in kept], dtype=bool)),
        discipline_codes=_frozen_array(np.array(codes, dtype=np.int64)),
        disciplines=tuple(disciplines),
        positions={profile.person_id: position for position, profile in enumerate(kept)},
        half_precision=(
            _half_precision_copy(grouping.matrix) if len(grouping.items) >= half_precision_min_items else None
        ),
    )


def with_over_cap(index: ExpertIndex, person_ids: Collection[str]) -> ExpertIndex:
    """The same index with exactly `person_ids` marked over their cap.

    Caps change with every intro request while the item matrix does not, so a cached index is
    re-marked per query instead of rebuilt; the matrix and item arrays are shared, not copied.

    Args:
        index: From `build_expert_index`.
        person_ids: People now at their cap (ids not in the index are ignored).

    Returns:
        A new index sharing `index`'s arrays, with `over_cap` and the profiles' flags replaced.
    """
    over_cap = np.zeros(len(index.profiles), dtype=bool)
    positions = [index.positions[p] for p in person_ids if p in index.positions]
    if positions:
        over_cap[positions] = True
    profiles = tuple(
        profile if profile.over_cap == flag else replace(profile, over_cap=bool(flag))
        for profile, flag in zip(index.profiles, over_cap, strict=True)
    )
    return replace(index, profiles=profiles, over_cap=_frozen_array(over_cap))


def score_people(
    query_vec: np.ndarray,
    items: Sequence[ProfileItem],
    aggregation: Aggregation = DEFAULT_AGGREGATION,
) -> dict[str, PersonScore]:
    """Score every person who has items against a query.

    This is the scoring `rank_experts` uses, without exclusions, caps or diversity.

    Args:
        query_vec: The query embedding (normalised here, so any non-zero length works).
        items: Profile items of any number of people, in any order.
        aggregation: How item similarities combine.

    Returns:
        Person id to score, in order of first appearance in `items`.
    """
    if not items:
        return {}
    grouping = _group_items(items, order=None)
    query = _unit_query(query_vec, grouping.matrix.shape[1])
    table = _similarity_table(grouping.matrix @ query, grouping.layout)
    scores = _aggregate(table, grouping.counts, aggregation)
    best = _best_item_rows(table, grouping.layout, np.arange(len(grouping.person_ids)))
    return {
        person_id: PersonScore(
            score=float(scores[position]),
            best_items=tuple(
                MatchedItem(grouping.items[row], similarity) for row, similarity in best[position]
            ),
        )
        for position, person_id in enumerate(grouping.person_ids)
    }


def rank_experts(
    query_vec: np.ndarray,
    profiles: Sequence[ExpertProfile],
    items: Sequence[ProfileItem],
    *,
    top_k: int = DEFAULT_TOP_K,
    exclude_person_ids: Collection[str] = (),
    exclude_disciplines: Collection[str] = (),
    diversity_lambda: float = DEFAULT_DIVERSITY_LAMBDA,
    aggregation: Aggregation = DEFAULT_AGGREGATION,
    min_score: float | None = None,
) -> list[ExpertMatch]:
    """Suggest experts for a query, building the index on the fly.

    For a large or frequently queried directory, build the index once with `build_expert_index` and
    call `rank_indexed_experts`; this function is that, for small directories and tests.

    Args:
        query_vec: The query embedding.
        profiles: Everyone who may be suggested.
        items: Their embedded profile items.
        top_k: See `rank_indexed_experts`, which documents the ranking rules.
        exclude_person_ids: See `rank_indexed_experts`.
        exclude_disciplines: See `rank_indexed_experts`.
        diversity_lambda: See `rank_indexed_experts`.
        aggregation: See `rank_indexed_experts`.
        min_score: See `rank_indexed_experts`.

    Returns:
        Suggestions, best first.
    """
    return rank_indexed_experts(
        query_vec,
        build_expert_index(profiles, items),
        top_k=top_k,
        exclude_person_ids=exclude_person_ids,
        exclude_disciplines=exclude_disciplines,
        diversity_lambda=diversity_lambda,
        aggregation=aggregation,
        min_score=min_score,
    )


def rank_indexed_experts(
    query_vec: np.ndarray,
    index: ExpertIndex,
    *,
    top_k: int = DEFAULT_TOP_K,
    exclude_person_ids: Collection[str] = (),
    exclude_disciplines: Collection[str] = (),
    diversity_lambda: float = DEFAULT_DIVERSITY_LAMBDA,
    aggregation: Aggregation = DEFAULT_AGGREGATION,
    min_score: float | None = None,
) -> list[ExpertMatch]:
    """Suggest up to `top_k` experts for a query.

    Rules:

    1. Opted-out people are never returned; nor are `exclude_person_ids` (e.g. the project's own
       members), people whose discipline is in `exclude_disciplines` (case-insensitive; e.g. the
       project's disciplines, to find someone from outside), or people scoring below `min_score`.
    2. Everyone else who is not over their cap comes first, ordered by MMR; people over their cap
       come after all of them (also by MMR) and carry OVER_CAP_NOTE.
    3. MMR: repeatedly pick the candidate maximising ``(1 - diversity_lambda) * score -
       diversity_lambda * redundancy``, where redundancy is the highest similarity to anyone picked
       so far (DISCIPLINE_REDUNDANCY_WEIGHT on same discipline, the rest on profile-centroid
       cosine). ``diversity_lambda=0`` is pure score order. Ties go to the higher score, then to the
       earlier profile.

    Cost: one matrix-vector product over all items plus O(people) numpy work; no Python loop over
    people. With a half-precision copy in the index (large directories) the product reads float16 and
    the few people who could make the MMR pool are re-scored in float32: same result, about half the
    time (`HalfPrecisionMatrix`).

    Args:
        query_vec: The query embedding (normalised here).
        index: From `build_expert_index`.
        top_k: Maximum number of suggestions.
        exclude_person_ids: Never suggested.
        exclude_disciplines: Disciplines never suggested.
        diversity_lambda: Weight of diversity in [0, 1].
        aggregation: How a person's item similarities combine.
        min_score: If set, people scoring below it are not suggested.

    Returns:
        Suggestions, best first.

    Raises:
        ValueError: `top_k` negative, `diversity_lambda` outside [0, 1], or a query of the wrong length.
    """
    if top_k < 0:
        raise ValueError(f"top_k must be >= 0, got {top_k}")
    if not 0.0 <= diversity_lambda <= 1.0:
        raise ValueError(f"diversity_lambda must be in [0, 1], got {diversity_lambda}")
    if top_k == 0 or len(index) == 0:
        return []
    query = _unit_query(query_vec, index.dimension)

    eligible = ~index.opted_out
    excluded_positions = [index.positions[p] for p in exclude_person_ids if p in index.positions]
    if excluded_positions:
        eligible[excluded_positions] = False
    excluded_names = {discipline.casefold() for discipline in exclude_disciplines}
    excluded_codes = [code for code, name in enumerate(index.disciplines) if name in excluded_names]
    if excluded_codes:
        eligible &= ~np.isin(index.discipline_codes, excluded_codes)

    # `table` holds exact similarities, one column per person in `columns` (everyone, or the candidates
    # the half-precision pass kept), laid out by `layout`; `scores` is exact for them, -inf for others.
    scored = None
    if index.half_precision is not None and aggregation.kind is not AggregationKind.SOFTMAX:
        tiers = (eligible & ~index.over_cap, eligible & index.over_cap)
        scored = _score_candidates(
            index, query, aggregation, tiers, _pool_size(top_k, diversity_lambda), index.half_precision
        )
    if scored is None:
        table = _similarity_table(index.matrix @ query, index.layout)
        scores = _aggregate(table, index.counts, aggregation)
        layout, columns = index.layout, None
    else:
        table, scores, layout, columns = scored
        eligible &= scores > -np.inf
    if min_score is not None:
        eligible &= scores >= min_score

    selected: list[int] = []
    for tier in (eligible & ~index.over_cap, eligible & index.over_cap):
        wanted = top_k - len(selected)
        if wanted <= 0:
            break
        pool = _top_positions(scores, tier, _pool_size(wanted, diversity_lambda))
        selected.extend(_mmr_order(pool, scores, index, selected, wanted, diversity_lambda))

    positions = np.array(selected, dtype=np.int64)
    best = _best_item_rows(
        table, layout, positions if columns is None else np.searchsorted(columns, positions)
    )
    return [
        ExpertMatch(
            person=index.profiles[position],
            score=float(scores[position]),
            matched_items=tuple(MatchedItem(index.items[row], similarity) for row, similarity in best[i]),
            note=OVER_CAP_NOTE if index.over_cap[position] else None,
        )
        for i, position in enumerate(selected)
    ]


# --- Internals ------------------------------------------------------------------------------------


def _pool_size(wanted: int, diversity_lambda: float) -> int:
    """How many of the best-scoring candidates MMR chooses `wanted` people from."""
    return wanted if diversity_lambda == 0 else max(wanted * MMR_POOL_FACTOR, MMR_POOL_MIN)


def _score_candidates(
    index: ExpertIndex,
    query: np.ndarray,
    aggregation: Aggregation,
    tiers: Sequence[np.ndarray],
    pool_size: int,
    half: HalfPrecisionMatrix,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Exact scores of everyone who might be among the best `pool_size` of a tier.

    Every item similarity from `half` is within `half.error` of the float32 one, and every aggregation
    but softmax moves a score by at most the largest change of its inputs, so approximate and exact
    scores differ by at most ``e = half.error`` (plus rounding in the aggregation). If the
    `pool_size`-th best approximate score in a tier is ``t``, at least `pool_size` people score
    ``>= t - e`` exactly, so everyone in the exact top `pool_size` scores at least that and has an
    approximate score ``>= t - 2e``: re-scoring those people in float32 finds the exact pool. A
    smaller pool (fewer people wanted, a `min_score`) is a prefix of it.

    Returns:
        ``(table, scores, layout, columns)``: the exact similarity table of the candidates, per person
        the exact score or -inf if not a candidate, and the candidates' `index.layout` columns and
        positions (ascending), one per column of the table.
        None when so many people are within the margin (near-duplicate profiles) that one exact pass
        over everyone is cheaper.
    """
    approximate = _aggregate(
        _similarity_table(half.similarities(query), index.layout), index.counts, aggregation
    )
    margin = 2.0 * half.error + _AGGREGATION_ROUNDING
    chosen = []
    for tier in tiers:
        members = np.flatnonzero(tier)
        if members.size > pool_size:
            values = approximate[members]
            threshold = np.partition(values, members.size - pool_size)[members.size - pool_size]
            members = members[values >= threshold - margin]
        chosen.append(members)
    columns = np.sort(np.concatenate(chosen))
    if columns.size * 4 > len(index):
        return None
    layout = index.layout[:, columns]
    valid = layout < len(index.items)
    table = np.full(layout.shape, -np.inf, dtype=np.float32)
    table[valid] = index.matrix[layout[valid]] @ query
    scores = np.full(len(index), -np.inf)
    scores[columns] = _aggregate(table, index.counts[columns], aggregation)
    return table, scores, layout, columns


# Slack for the aggregation's own rounding (float32 table, float64 sums) in `_score_candidates`.
_AGGREGATION_ROUNDING = 1e-6


def _half_precision_copy(matrix: np.ndarray) -> HalfPrecisionMatrix | None:
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
        # As bot.experts.embeddings does before loading the model: torch reads the OpenMP wait policy once,
        # when it loads, and spinning threads would steal the second core from numpy (and back).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        # importlib keeps mypy from type-checking all of torch; the tensor is used through `Any`.
        return importlib.import_module("torch")
    except ImportError:
        return None


def _frozen_array(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _group_items(items: Sequence[ProfileItem], *, order: Sequence[str] | None) -> _Grouping:
    """Group items by person (in `order`, else first appearance) and stack their vectors."""
    groups: dict[str, list[ProfileItem]] = {person_id: [] for person_id in order} if order is not None else {}
    for item in items:
        groups.setdefault(item.person_id, []).append(item)
    groups = {person_id: group for person_id, group in groups.items() if group}
    ordered = tuple(item for group in groups.values() for item in group)
    dimensions = {np.shape(item.vector) for item in ordered}
    if len(dimensions) > 1:
        raise ValueError(f"item vectors have different shapes: {sorted(dimensions)[:3]}")
    if ordered and len(next(iter(dimensions))) != 1:
        raise ValueError("item vectors must be 1-D")
    matrix = np.ascontiguousarray(np.stack([item.vector for item in ordered]), dtype=np.float32)
    counts = np.fromiter((len(group) for group in groups.values()), dtype=np.int64, count=len(groups))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    slots = np.arange(int(counts.max()))[:, None]
    layout = starts[None, :] + slots
    layout[slots >= counts[None, :]] = len(ordered)
    return _Grouping(
        person_ids=tuple(groups),
        items=ordered,
        matrix=_frozen_array(matrix),
        layout=_frozen_array(layout),
        counts=_frozen_array(counts),
    )


def _unit_query(query_vec: np.ndarray, dimension: int) -> np.ndarray:
    query = np.asarray(query_vec, dtype=np.float32)
    if query.shape != (dimension,):
        raise ValueError(f"query vector must have shape ({dimension},), got {query.shape}")
    norm = float(np.linalg.norm(query))
    if not np.isfinite(norm) or norm == 0.0:
        raise ValueError("query vector must be finite and non-zero")
    return query / np.float32(norm)


def _similarity_table(similarities: np.ndarray, layout: np.ndarray) -> np.ndarray:
    """Item similarities laid out like `layout` (one column per person), padded with -inf.

    float32, like the similarities themselves: a row of 100k people then fits in the 2 MB L2 cache,
    and every row operation below costs half as much as in float64.
    """
    extended = np.empty(similarities.shape[0] + 1, dtype=np.float32)
    extended[:-1] = similarities
    extended[-1] = -np.inf
    return extended[layout]


def _aggregate(table: np.ndarray, counts: np.ndarray, aggregation: Aggregation) -> np.ndarray:
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


def _top_positions(scores: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Positions of the `n` highest scores where `mask`, best first; ties by position."""
    candidates = np.flatnonzero(mask)
    if candidates.size > n:
        values = scores[candidates]
        # The n-th largest value; everything above it is in, ties at it are admitted by position so the
        # result never depends on argpartition's internal order.
        threshold = np.partition(values, candidates.size - n)[candidates.size - n]
        above = candidates[values > threshold]
        tied = candidates[values == threshold][: n - above.size]
        candidates = np.concatenate((above, tied))
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order]


def _mmr_order(
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


def _best_item_rows(
    table: np.ndarray, layout: np.ndarray, positions: np.ndarray
) -> list[list[tuple[int, float]]]:
    """For each person at `positions`: (item row, similarity) of the best item and a close second."""
    if positions.size == 0:
        return []
    columns = table[:, positions]
    # Stable sort of the negated similarities: equal similarities keep item order.
    order = np.argsort(-columns, axis=0, kind="stable")[:MATCHED_ITEMS]
    result: list[list[tuple[int, float]]] = []
    for person, position in enumerate(positions):
        slots = order[:, person]
        similarities = columns[slots, person]
        best = float(similarities[0])
        matched = [(int(layout[slots[0], position]), best)]
        for slot, similarity in zip(slots[1:], similarities[1:], strict=True):
            if similarity > -np.inf and similarity >= best - SECOND_MATCH_MARGIN:
                matched.append((int(layout[slot, position]), float(similarity)))
        result.append(matched)
    return result
