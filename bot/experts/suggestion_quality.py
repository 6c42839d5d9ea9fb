"""Suggestion quality: what the ranking would suggest for each need of an evaluation set, rated.

The pairwise loss (`bot.experts.evaluation`) compares needs within one person, so it cannot see who
comes first among people, nor diversity; this ranks everyone for every need with the production
ranking and rates the top suggestions (`liaison experts diversity`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from bot.domain.experts.aggregation import Aggregation
from bot.domain.experts.index import build_expert_index
from bot.domain.experts.profiles import ExpertProfile
from bot.domain.experts.ranking import DEFAULT_TOP_K, rank_indexed_experts
from bot.experts.evaluation import EASY_HIGH, MIN_EXPERTISE, EmbeddedEvaluationSet


@dataclass(frozen=True)
class SuggestionQuality:
    """What `rank_experts` would suggest for every query of an evaluation set.

    Ratings are incomplete, so an unrated suggestion is counted as expertise 1 (the dev set rates
    everyone with relevant expertise for a query; a person left unrated was judged unrelated).

    Attributes:
        diversity_lambda: The MMR weight used.
        mean_rating: Mean self-rated expertise of the suggestions, unrated counted as 1.
        strong_share: Share of suggestions rated 4 or 5.
        mean_disciplines: Mean number of distinct disciplines among each query's suggestions.
        most_from_one_discipline: The largest number of one query's suggestions sharing a discipline.
        n_queries: Queries ranked.
    """

    diversity_lambda: float
    mean_rating: float
    strong_share: float
    mean_disciplines: float
    most_from_one_discipline: int
    n_queries: int


def suggestion_quality(
    embedded: EmbeddedEvaluationSet,
    aggregation: Aggregation,
    diversity_lambda: float,
    *,
    top_k: int = DEFAULT_TOP_K,
    lexical_weight: float = 0.0,
) -> SuggestionQuality:
    """Rank everyone for every query with `rank_experts` and rate the top `top_k`.

    This checks the diversity trade-off (the pairwise loss cannot: it compares queries within one
    person, never people).

    Args:
        embedded: From `embed_evaluation_set`.
        aggregation: How item similarities combine.
        diversity_lambda: MMR weight.
        top_k: Suggestions per query.
        lexical_weight: See `score_evaluation_set`.

    Returns:
        The averages over queries.
    """
    expertise = {(rating.person, rating.query): rating.expertise for rating in embedded.data.ratings}
    profiles = [
        ExpertProfile(
            person_id=person_id, name=person_id, discipline=embedded.data.disciplines.get(person_id, "")
        )
        for person_id in embedded.data.documents
    ]
    index = build_expert_index(profiles, embedded.items)
    ratings: list[float] = []
    discipline_counts: list[int] = []
    largest_groups: list[int] = []
    for query_id, vector in embedded.query_vectors.items():
        boost = None
        if lexical_weight:
            # The index keeps the items' order (grouped by person, as `embed_evaluation_set` made them).
            boost = lexical_weight * embedded.lexical_index().similarities(embedded.data.queries[query_id])
        matches = rank_indexed_experts(
            vector,
            index,
            top_k=top_k,
            diversity_lambda=diversity_lambda,
            aggregation=aggregation,
            item_boost=boost,
        )
        ratings.extend(expertise.get((match.person.person_id, query_id), MIN_EXPERTISE) for match in matches)
        disciplines = Counter(match.person.discipline for match in matches)
        discipline_counts.append(len(disciplines))
        largest_groups.append(max(disciplines.values(), default=0))
    return SuggestionQuality(
        diversity_lambda=diversity_lambda,
        mean_rating=float(np.mean(ratings)),
        strong_share=float(np.mean([rating >= EASY_HIGH for rating in ratings])),
        mean_disciplines=float(np.mean(discipline_counts)),
        most_from_one_discipline=max(largest_groups, default=0),
        n_queries=len(embedded.query_vectors),
    )
