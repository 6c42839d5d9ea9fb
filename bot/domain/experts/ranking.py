"""Rank people by how well their profile items match a query vector.

For a query vector, every item gets a cosine similarity (one matrix product over all items), a person's
item similarities are combined into one score by an `Aggregation`, and the best people are picked with
maximal marginal relevance (`bot.domain.experts.diversity`). `score_people` is the same exact scoring
without the ranking policy; the offline evaluation uses it so that what we measure is what we ship.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from bot.domain.experts.aggregation import (
    DEFAULT_AGGREGATION,
    Aggregation,
    AggregationKind,
    aggregate,
    similarity_table,
)
from bot.domain.experts.diversity import DEFAULT_DIVERSITY_LAMBDA, mmr_order, pool_size
from bot.domain.experts.generality import GENERALITY_WEIGHT
from bot.domain.experts.half_precision import HalfPrecisionMatrix
from bot.domain.experts.index import ExpertIndex, build_expert_index, group_items
from bot.domain.experts.keywords import KeywordMatch
from bot.domain.experts.profiles import (
    OVER_CAP_NOTE,
    ExpertMatch,
    ExpertProfile,
    MatchedItem,
    PersonScore,
    ProfileItem,
)

DEFAULT_TOP_K = 5
# Up to this many items explain a match ("matched on: <publication> (0.61)").
MATCHED_ITEMS = 2
# The second-best item is shown only if it is nearly as relevant as the best one; a 0.2 publication
# next to a 0.6 expertise paragraph explains nothing and looks like noise.
SECOND_MATCH_MARGIN = 0.15


def score_people(
    query_vec: np.ndarray,
    items: Sequence[ProfileItem],
    aggregation: Aggregation = DEFAULT_AGGREGATION,
    item_boost: np.ndarray | None = None,
) -> dict[str, PersonScore]:
    """Score every person who has items against a query.

    This is the scoring `rank_experts` uses, without exclusions, caps or diversity.

    Args:
        query_vec: The query embedding (normalised here, so any non-zero length works).
        items: Profile items of any number of people, in any order.
        aggregation: How item similarities combine.
        item_boost: Per item of `items` (same order), added to its similarity before aggregating:
            the weighted lexical cosine of the hybrid ranking (`bot.domain.experts.lexical`). The best
            items reported stay those closest in meaning.

    Returns:
        Person id to score, in order of first appearance in `items`.
    """
    if not items:
        return {}
    grouping = group_items(items, order=None)
    query = _unit_query(query_vec, grouping.matrix.shape[1])
    table = similarity_table(grouping.matrix @ query, grouping.layout)
    fused = table
    if item_boost is not None:
        boost = _padded(_grouped(np.asarray(item_boost, dtype=np.float32), items))
        fused = table + boost[grouping.layout]
    scores = aggregate(fused, grouping.counts, aggregation)
    # The items that explain a score are those closest in meaning, as in `rank_indexed_experts`.
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


def _grouped(values: np.ndarray, items: Sequence[ProfileItem]) -> np.ndarray:
    """`values` (one per item of `items`) in the order `group_items` puts the items: by person in
    order of first appearance, each person's items in input order."""
    first: dict[str, int] = {}
    rank = np.fromiter(
        (first.setdefault(item.person_id, len(first)) for item in items), dtype=np.int64, count=len(items)
    )
    return values[np.lexsort((np.arange(len(items)), rank))]


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
    keyword_matches: Mapping[str, KeywordMatch] | None = None,
    item_boost: np.ndarray | None = None,
    generality_weight: float = GENERALITY_WEIGHT,
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
        keyword_matches: See `rank_indexed_experts`.
        item_boost: Per item of `items`, see `rank_indexed_experts`.
        generality_weight: See `rank_indexed_experts`.

    Returns:
        Suggestions, best first.
    """
    if item_boost is not None:
        item_boost = _grouped(np.asarray(item_boost, dtype=np.float32), items)
    return rank_indexed_experts(
        query_vec,
        build_expert_index(profiles, items),
        top_k=top_k,
        exclude_person_ids=exclude_person_ids,
        exclude_disciplines=exclude_disciplines,
        diversity_lambda=diversity_lambda,
        aggregation=aggregation,
        min_score=min_score,
        keyword_matches=keyword_matches,
        item_boost=item_boost,
        generality_weight=generality_weight,
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
    keyword_matches: Mapping[str, KeywordMatch] | None = None,
    item_boost: np.ndarray | None = None,
    generality_weight: float = GENERALITY_WEIGHT,
) -> list[ExpertMatch]:
    """Suggest up to `top_k` experts for a query.

    Rules:

    1. Opted-out people are never returned; nor are `exclude_person_ids` (e.g. the project's own
       members), people whose discipline is in `exclude_disciplines` (case-insensitive; e.g. the
       project's disciplines, to find someone from outside), or people scoring below `min_score`
       unless their profile is a keyword match for the query (`KeywordMatch.strong`).
    2. A person's score is discounted by `generality_weight` times their profile's generality
       (`bot.domain.experts.generality`: how close it is to everyone else's work), after the floor;
       a keyword match adds its `KeywordMatch.bonus`.
    3. Everyone else who is not over their cap comes first, ordered by MMR; people over their cap
       come after all of them (also by MMR) and carry OVER_CAP_NOTE.
    4. MMR: repeatedly pick the candidate maximising ``(1 - diversity_lambda) * score -
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
        min_score: If set, people scoring below it are not suggested (keyword matches excepted).
        keyword_matches: The query's words on people's profiles, by person id
            (`bot.domain.experts.keywords.KeywordIndex.matches`); None: meaning alone.
        item_boost: Per item row of `index`, added to its similarity before aggregating (the weighted
            lexical cosine of the hybrid ranking, >= 0); None: embedding similarity alone. The
            relevance floor (`min_score`) and the matched items go by meaning alone.
        generality_weight: Weight of the generality discount in the order (0: none).

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

    bonus = _keyword_bonus(index, keyword_matches or {})
    discount = (
        generality_weight * index.generality.astype(np.float64)
        if generality_weight and index.generality.size == len(index)
        else None
    )

    # `table` holds exact similarities, one column per person in `columns` (everyone, or the candidates
    # the half-precision pass kept), laid out by `layout`; `scores` is exact for them, -inf for others.
    # The half-precision pass picks its candidates by score before any keyword bonus, so it could miss
    # a boosted person: with a bonus, the exact pass runs.
    scored = None
    if index.half_precision is not None and aggregation.kind is not AggregationKind.SOFTMAX and bonus is None:
        tiers = (eligible & ~index.over_cap, eligible & index.over_cap)
        scored = _score_candidates(
            index,
            query,
            aggregation,
            tiers,
            pool_size(top_k, diversity_lambda),
            index.half_precision,
            item_boost,
            min_score,
            discount,
        )
    if scored is None:
        # `table` is by meaning alone (the floor and the explanations use it), `scores` add the boost.
        table = similarity_table(index.matrix @ query, index.layout)
        layout, columns = index.layout, None
    else:
        table, layout, columns = scored
    fused = table if item_boost is None else table + _padded(item_boost)[layout]
    people = np.arange(len(index)) if columns is None else columns
    scores = np.full(len(index), -np.inf)
    scores[people] = aggregate(fused, index.counts[people], aggregation)
    if columns is not None:
        eligible &= scores > -np.inf
    if min_score is not None:
        # The floor is on meaning: shared words alone ("knitting patterns" and "dark patterns") must not
        # lift anyone over it; a keyword match (most of a short need's words) still does.
        passes = scores >= min_score
        if item_boost is not None:
            # A boost only adds, so only people whose boosted score passes can pass by meaning.
            slots = np.flatnonzero(passes[people])
            passes[:] = False
            passes[people[slots]] = (
                aggregate(table[:, slots], index.counts[people[slots]], aggregation) >= min_score
            )
        eligible &= passes if bonus is None else passes | (bonus > 0)
    if discount is not None:
        scores = scores - discount
    if bonus is not None:
        scores = scores + bonus

    selected: list[int] = []
    for tier in (eligible & ~index.over_cap, eligible & index.over_cap):
        wanted = top_k - len(selected)
        if wanted <= 0:
            break
        pool = _top_positions(scores, tier, pool_size(wanted, diversity_lambda))
        selected.extend(mmr_order(pool, scores, index, selected, wanted, diversity_lambda))

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
            keyword_text=_keyword_text(keyword_matches, index.profiles[position].person_id),
        )
        for i, position in enumerate(selected)
    ]


def rank_by_keywords(
    profiles: Sequence[ExpertProfile],
    keyword_matches: Mapping[str, KeywordMatch],
    *,
    top_k: int = DEFAULT_TOP_K,
    exclude_person_ids: Collection[str] = (),
    exclude_disciplines: Collection[str] = (),
) -> list[ExpertMatch]:
    """Suggest experts by keywords alone, for when no model is loaded.

    The rules of `rank_indexed_experts` without vectors: only keyword matches are suggested, scored by
    their bonus; people under their cap come first, each tier best first (ties by name); exclusions
    and opt-outs as there. Without vectors there is no diversity pass and no matched item.

    Args:
        profiles: Everyone who may be suggested.
        keyword_matches: The query's words on their profiles, by person id.
        top_k: Maximum number of suggestions.
        exclude_person_ids: Never suggested.
        exclude_disciplines: Disciplines never suggested (case-insensitive).

    Returns:
        Suggestions, best first.
    """
    excluded_people = set(exclude_person_ids)
    excluded_disciplines = {discipline.casefold() for discipline in exclude_disciplines}
    found = [
        (profile, match)
        for profile in profiles
        if (match := keyword_matches.get(profile.person_id)) is not None
        and match.strong
        and not profile.opted_out
        and profile.person_id not in excluded_people
        and profile.discipline.casefold() not in excluded_disciplines
    ]
    found.sort(key=lambda pair: (pair[0].over_cap, -pair[1].bonus, pair[0].name))
    return [
        ExpertMatch(
            person=profile,
            score=match.bonus,
            matched_items=(),
            note=OVER_CAP_NOTE if profile.over_cap else None,
            keyword_text=match.text,
        )
        for profile, match in found[:top_k]
    ]


def _keyword_bonus(index: ExpertIndex, keyword_matches: Mapping[str, KeywordMatch]) -> np.ndarray | None:
    """Per person of `index`, the bonus of their keyword match; None when nobody has one."""
    strong = [
        (index.positions[p], m.bonus) for p, m in keyword_matches.items() if m.strong and p in index.positions
    ]
    if not strong:
        return None
    bonus = np.zeros(len(index), dtype=np.float64)
    for position, value in strong:
        bonus[position] = value
    return bonus


def _keyword_text(keyword_matches: Mapping[str, KeywordMatch] | None, person_id: str) -> str | None:
    match = (keyword_matches or {}).get(person_id)
    return match.text if match is not None and match.strong else None


def _score_candidates(
    index: ExpertIndex,
    query: np.ndarray,
    aggregation: Aggregation,
    tiers: Sequence[np.ndarray],
    pool_size: int,
    half: HalfPrecisionMatrix,
    item_boost: np.ndarray | None = None,
    min_score: float | None = None,
    discount: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Exact scores of everyone who might be among the best `pool_size` of a tier.

    Every item similarity from `half` is within `half.error` of the float32 one, and every aggregation
    but softmax moves a score by at most the largest change of its inputs, so approximate and exact
    scores differ by at most ``e = half.error`` (plus rounding in the aggregation). If the
    `pool_size`-th best approximate score among a tier's people who are eligible for sure is ``t``,
    at least `pool_size` eligible people score ``>= t - e`` exactly, so everyone in the exact top
    `pool_size` scores at least that and has an approximate score ``>= t - 2e``: re-scoring those
    people in float32 finds the exact pool. A smaller pool (fewer people wanted) is a prefix of it.

    An `item_boost` and a per-person `discount` are exact and the same in both passes, so they move no
    bound: the pool is chosen by the boosted, discounted score, as the ranking orders. `min_score`
    applies to meaning alone, so it does not follow that order: people whose approximate meaning is
    more than the margin under the floor fail it for sure and are left out, and ``t`` is taken only
    among those more than the margin over it (who pass for sure). When fewer than `pool_size` pass
    for sure, everyone who may pass is re-scored.

    Returns:
        ``(table, layout, columns)``: the exact similarity table (by meaning, without the boost) of the
        candidates, and the candidates' `index.layout` columns and positions (ascending), one per
        column of the table.
        None when so many people are within the margin (near-duplicate profiles) that one exact pass
        over everyone is cheaper.
    """
    approximate_similarities = half.similarities(query)
    margin = 2.0 * half.error + _AGGREGATION_ROUNDING
    if item_boost is None:
        approximate = aggregate(
            similarity_table(approximate_similarities, index.layout), index.counts, aggregation
        )
        by_meaning = approximate
    else:
        approximate = aggregate(
            similarity_table(approximate_similarities + item_boost, index.layout), index.counts, aggregation
        )
        if min_score is not None:
            # Meaning is at most the boosted score: only people near or above the floor by that need it.
            maybe = np.flatnonzero(approximate >= min_score - margin)
            by_meaning = np.full(len(index), -np.inf)
            by_meaning[maybe] = aggregate(
                similarity_table(approximate_similarities, index.layout[:, maybe]),
                index.counts[maybe],
                aggregation,
            )
    # Who may pass the floor (by meaning, within the margin) and who passes it for sure.
    certain = np.ones(len(index), dtype=bool)
    if min_score is not None:
        tiers = [tier & (by_meaning >= min_score - margin) for tier in tiers]
        certain = by_meaning >= min_score + margin
    if discount is not None:
        approximate = approximate - discount
    chosen = []
    for tier in tiers:
        members = np.flatnonzero(tier)
        # The threshold comes from people who pass the floor for sure: someone who may fail it must not
        # push out someone who passes (the ranking orders by the discounted, boosted score, not by
        # meaning, so those who pass are not a prefix of that order).
        sure = np.flatnonzero(tier & certain)
        if sure.size >= pool_size and members.size > pool_size:
            values = approximate[sure]
            threshold = np.partition(values, sure.size - pool_size)[sure.size - pool_size]
            members = members[approximate[members] >= threshold - margin]
        chosen.append(members)
    columns = np.sort(np.concatenate(chosen))
    if columns.size * 4 > len(index):
        return None
    layout = index.layout[:, columns]
    valid = layout < len(index.items)
    table = np.full(layout.shape, -np.inf, dtype=np.float32)
    table[valid] = index.matrix[layout[valid]] @ query
    return table, layout, columns


def _padded(item_boost: np.ndarray) -> np.ndarray:
    """`item_boost` with a 0 for the padding row number of `ExpertIndex.layout` (one past the end)."""
    return np.append(np.asarray(item_boost, dtype=np.float32), np.float32(0.0))


# Slack for the aggregation's own rounding (float32 table, float64 sums) in `_score_candidates`.
_AGGREGATION_ROUNDING = 1e-6


def _unit_query(query_vec: np.ndarray, dimension: int) -> np.ndarray:
    query = np.asarray(query_vec, dtype=np.float32)
    if query.shape != (dimension,):
        raise ValueError(f"query vector must have shape ({dimension},), got {query.shape}")
    norm = float(np.linalg.norm(query))
    if not np.isfinite(norm) or norm == 0.0:
        raise ValueError("query vector must be finite and non-zero")
    return query / np.float32(norm)


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
