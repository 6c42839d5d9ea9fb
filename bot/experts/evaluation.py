"""Offline evaluation of expert suggestions against self-rated expertise.

The metric is the pairwise loss of the reviewer-paper similarity gold standard (Stelmakh, Wieting,
Xi, Neubig and Shah, 2023): people rate their own expertise (1-5) for some queries; for each person,
every pair of their rated queries with different ratings is a test of whether the scores order the two
queries the same way. A wrong order costs the rating difference, a tie half of it:

    loss = sum(cost * |e1 - e2|) / sum(|e1 - e2|)    (0 = perfect, 0.5 = constant scores)

Only comparisons within one person count, so a model is not rewarded for ranking "generally strong"
people high; what matters is whether it knows which needs a person fits best. That is the question the
bot answers when it decides whom to suggest for a need.

Scores come from `bot.domain.experts.ranking.score_people`, the scoring ranking uses, so what we
measure is what we ship.

Input (JSON)::

    {"people": [{"id": "p01", "documents": ["expertise paragraph", "publication", ...]}, ...],
     "queries": [{"id": "q01", "text": "..."}, ...],
     "ratings": [{"person": "p01", "query": "q01", "expertise": 4}, ...]}

A person's first document is their expertise paragraph, the others are publications. Other keys (a
person's name and discipline, a query's topic) are allowed and ignored.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from bot.domain.experts.aggregation import Aggregation
from bot.domain.experts.index import build_expert_index
from bot.domain.experts.profiles import EXPERTISE, PUBLICATION, ExpertProfile, ProfileItem
from bot.domain.experts.ranking import DEFAULT_TOP_K, rank_indexed_experts, score_people
from bot.experts.embeddings.protocol import Embedder

MIN_EXPERTISE = 1.0
MAX_EXPERTISE = 5.0
# "Easy" pairs: an expert query against one the person is not qualified for. "Hard" pairs: two
# queries the person knows well, at different levels. Thresholds as in Stelmakh et al. (2023).
EASY_HIGH = 4.0
EASY_LOW = 2.0
HARD_LOW = 4.0


class EvaluationFileError(ValueError):
    """The evaluation file is malformed; the message says where."""


@dataclass(frozen=True)
class Rating:
    """A person's self-assessed expertise for a query (1 = not qualified, 5 = expert)."""

    person: str
    query: str
    expertise: float


@dataclass(frozen=True)
class EvaluationSet:
    """A parsed evaluation file.

    Attributes:
        documents: Person id to their texts (expertise paragraph first).
        queries: Query id to text, in file order.
        ratings: All ratings, in file order.
        disciplines: Person id to discipline, from the optional ``discipline`` key ("" if absent); only
            `suggestion_quality` uses it.
    """

    documents: Mapping[str, tuple[str, ...]]
    queries: Mapping[str, str]
    ratings: tuple[Rating, ...]
    disciplines: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class PairwiseLoss:
    """Result of `pairwise_loss`.

    Attributes:
        loss: Weighted share of mis-ordered pairs (ties count half); NaN without pairs.
        easy_accuracy: Share of easy pairs ordered strictly correctly (a tie is not correct, as in the
            reference scoring code); NaN without any.
        hard_accuracy: The same for hard pairs.
        n_pairs: Pairs with different ratings.
        n_easy: Easy pairs.
        n_hard: Hard pairs.
        per_person: Person id to (weighted cost, total weight) of their pairs; the loss is the ratio of
            the sums. Kept for resampling people in `bootstrap_loss_difference`.
    """

    loss: float
    easy_accuracy: float
    hard_accuracy: float
    n_pairs: int
    n_easy: int
    n_hard: int
    per_person: Mapping[str, tuple[float, float]] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class EvaluationResult:
    """The evaluation of one aggregation on one file (or on a subset of its queries).

    Attributes:
        aggregation: Aggregation name, e.g. ``"max"``.
        model_name: The embedder's model name.
        loss: See `PairwiseLoss`.
        easy_accuracy: See `PairwiseLoss`.
        hard_accuracy: See `PairwiseLoss`.
        n_pairs: See `PairwiseLoss`.
        n_easy: See `PairwiseLoss`.
        n_hard: See `PairwiseLoss`.
        n_ratings: Ratings used.
        per_person: See `PairwiseLoss`.
    """

    aggregation: str
    model_name: str
    loss: float
    easy_accuracy: float
    hard_accuracy: float
    n_pairs: int
    n_easy: int
    n_hard: int
    n_ratings: int
    per_person: Mapping[str, tuple[float, float]] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, eq=False)
class EmbeddedEvaluationSet:
    """An evaluation set with every document and query embedded once, to score many aggregations.

    Attributes:
        data: The parsed file.
        model_name: The embedder's model name.
        items: One `ProfileItem` per document.
        query_vectors: Query id to vector.
    """

    data: EvaluationSet
    model_name: str
    items: tuple[ProfileItem, ...]
    query_vectors: Mapping[str, np.ndarray]


def pairwise_loss(ratings: Sequence[Rating], predictions: Mapping[tuple[str, str], float]) -> PairwiseLoss:
    """Compute the Stelmakh et al. (2023) pairwise loss and the easy/hard accuracies.

    Args:
        ratings: Ratings to test; several people and queries.
        predictions: ``(person, query)`` to predicted score, for every rating.

    Returns:
        The loss and accuracies. Exactly equal predictions count as a tie: half a mistake in the loss,
        not correct in the accuracies (both as in scripts/scoring.py of the gold-standard repository,
        github.com/niharshah/goldstandard-reviewer-paper-match).

    Raises:
        KeyError: A rating has no prediction.
    """
    by_person: dict[str, list[Rating]] = defaultdict(list)
    for rating in ratings:
        by_person[rating.person].append(rating)
    per_person: dict[str, tuple[float, float]] = {}
    easy_correct = hard_correct = 0.0
    n_pairs = n_easy = n_hard = 0
    for person, person_ratings in by_person.items():
        weighted_cost = total_weight = 0.0
        for first, second in combinations(person_ratings, 2):
            if first.expertise == second.expertise:
                continue
            high, low = (first, second) if first.expertise > second.expertise else (second, first)
            high_score, low_score = predictions[(person, high.query)], predictions[(person, low.query)]
            correct = 1.0 if high_score > low_score else 0.5 if high_score == low_score else 0.0
            weight = high.expertise - low.expertise
            weighted_cost += (1.0 - correct) * weight
            total_weight += weight
            n_pairs += 1
            resolved = 1.0 if correct == 1.0 else 0.0
            if high.expertise >= EASY_HIGH and low.expertise <= EASY_LOW:
                n_easy += 1
                easy_correct += resolved
            elif low.expertise >= HARD_LOW:
                n_hard += 1
                hard_correct += resolved
        if total_weight:
            per_person[person] = (weighted_cost, total_weight)
    weighted_cost = sum(cost for cost, _ in per_person.values())
    total_weight = sum(weight for _, weight in per_person.values())
    return PairwiseLoss(
        loss=weighted_cost / total_weight if total_weight else float("nan"),
        easy_accuracy=easy_correct / n_easy if n_easy else float("nan"),
        hard_accuracy=hard_correct / n_hard if n_hard else float("nan"),
        n_pairs=n_pairs,
        n_easy=n_easy,
        n_hard=n_hard,
        per_person=per_person,
    )


def bootstrap_loss_difference(
    first: PairwiseLoss | EvaluationResult,
    second: PairwiseLoss | EvaluationResult,
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Loss of `first` minus loss of `second`, with a 95% paired bootstrap interval over people.

    People, not pairs, are resampled: one person's pairs share their ratings and profile, so treating
    pairs as independent would make intervals far too narrow.

    Args:
        first: A result on some ratings.
        second: A result on the same ratings (another aggregation or model).
        resamples: Bootstrap resamples.
        seed: Random seed, for reproducible intervals.

    Returns:
        ``(difference, low, high)``.
    """
    people = sorted(first.per_person)
    if people != sorted(second.per_person):
        raise ValueError("results are on different people")
    a = np.array([first.per_person[person] for person in people])
    b = np.array([second.per_person[person] for person in people])
    difference = a[:, 0].sum() / a[:, 1].sum() - b[:, 0].sum() / b[:, 1].sum()
    samples = np.random.default_rng(seed).integers(0, len(people), size=(resamples, len(people)))
    resampled = a[samples, 0].sum(axis=1) / a[samples, 1].sum(axis=1) - b[samples, 0].sum(axis=1) / b[
        samples, 1
    ].sum(axis=1)
    low, high = np.percentile(resampled, [2.5, 97.5])
    return float(difference), float(low), float(high)


def load_evaluation_set(file: Path) -> EvaluationSet:
    """Read and validate an evaluation file (format in the module docstring).

    Args:
        file: The JSON file.

    Returns:
        The parsed set.

    Raises:
        EvaluationFileError: Invalid JSON, missing keys, duplicate ids, empty texts, ratings outside
            1-5, duplicate ratings, or ratings of unknown people or queries.
    """
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise EvaluationFileError(f"{file}: {error}") from error
    return parse_evaluation_set(raw, source=str(file))


def parse_evaluation_set(raw: Any, *, source: str = "evaluation set") -> EvaluationSet:
    """Validate an already-decoded evaluation file; see `load_evaluation_set`."""
    if not isinstance(raw, dict):
        raise EvaluationFileError(f"{source}: expected an object with people, queries and ratings")
    documents: dict[str, tuple[str, ...]] = {}
    disciplines: dict[str, str] = {}
    for i, person in enumerate(_list(raw, "people", source)):
        where = f"{source}: people[{i}]"
        person_id = _text(person, "id", where)
        texts = person.get("documents")
        if (
            not isinstance(texts, list)
            or not texts
            or not all(isinstance(t, str) and t.strip() for t in texts)
        ):
            raise EvaluationFileError(f"{where}: documents must be a non-empty list of non-empty strings")
        if person_id in documents:
            raise EvaluationFileError(f"{where}: duplicate person id {person_id!r}")
        documents[person_id] = tuple(texts)
        discipline = person.get("discipline", "")
        if not isinstance(discipline, str):
            raise EvaluationFileError(f"{where}: discipline must be a string")
        disciplines[person_id] = discipline
    queries: dict[str, str] = {}
    for i, query in enumerate(_list(raw, "queries", source)):
        where = f"{source}: queries[{i}]"
        query_id = _text(query, "id", where)
        if query_id in queries:
            raise EvaluationFileError(f"{where}: duplicate query id {query_id!r}")
        queries[query_id] = _text(query, "text", where)
    ratings: list[Rating] = []
    seen: set[tuple[str, str]] = set()
    for i, rating in enumerate(_list(raw, "ratings", source)):
        where = f"{source}: ratings[{i}]"
        person_id, query_id = _text(rating, "person", where), _text(rating, "query", where)
        expertise = rating.get("expertise")
        if person_id not in documents:
            raise EvaluationFileError(f"{where}: unknown person {person_id!r}")
        if query_id not in queries:
            raise EvaluationFileError(f"{where}: unknown query {query_id!r}")
        if (
            isinstance(expertise, bool)
            or not isinstance(expertise, int | float)
            or not MIN_EXPERTISE <= expertise <= MAX_EXPERTISE
        ):
            raise EvaluationFileError(f"{where}: expertise must be a number from 1 to 5, got {expertise!r}")
        if (person_id, query_id) in seen:
            raise EvaluationFileError(f"{where}: {person_id!r} rated {query_id!r} twice")
        seen.add((person_id, query_id))
        ratings.append(Rating(person_id, query_id, float(expertise)))
    return EvaluationSet(
        documents=documents, queries=queries, ratings=tuple(ratings), disciplines=disciplines
    )


def embed_evaluation_set(data: EvaluationSet, embedder: Embedder) -> EmbeddedEvaluationSet:
    """Embed every document and query once.

    Args:
        data: The parsed set.
        embedder: Any embedder; the same one production uses to measure production.

    Returns:
        The embedded set.
    """
    owners = [
        (person_id, position) for person_id, texts in data.documents.items() for position in range(len(texts))
    ]
    texts = [data.documents[person_id][position] for person_id, position in owners]
    document_vectors = embedder.embed(texts)
    items = tuple(
        ProfileItem(
            person_id=person_id,
            kind=EXPERTISE if position == 0 else PUBLICATION,
            text=text,
            vector=vector,
        )
        for (person_id, position), text, vector in zip(owners, texts, document_vectors, strict=True)
    )
    query_ids = list(data.queries)
    query_vectors = embedder.embed([data.queries[query_id] for query_id in query_ids])
    return EmbeddedEvaluationSet(
        data=data,
        model_name=embedder.model_name,
        items=items,
        query_vectors=dict(zip(query_ids, query_vectors, strict=True)),
    )


def score_evaluation_set(
    embedded: EmbeddedEvaluationSet,
    aggregation: Aggregation,
    *,
    query_ids: Collection[str] | None = None,
) -> EvaluationResult:
    """Score every rated pair with `score_people` and compute the pairwise loss.

    Args:
        embedded: From `embed_evaluation_set`.
        aggregation: The aggregation to evaluate.
        query_ids: If given, only ratings of these queries count (for cross-validation by query).

    Returns:
        The result.
    """
    ratings = tuple(r for r in embedded.data.ratings if query_ids is None or r.query in query_ids)
    rated_people: dict[str, set[str]] = defaultdict(set)
    for rating in ratings:
        rated_people[rating.query].add(rating.person)
    items_by_person: dict[str, list[ProfileItem]] = defaultdict(list)
    for item in embedded.items:
        items_by_person[item.person_id].append(item)
    predictions: dict[tuple[str, str], float] = {}
    for query_id, people in rated_people.items():
        scores = score_people(
            embedded.query_vectors[query_id],
            [item for person in sorted(people) for item in items_by_person[person]],
            aggregation,
        )
        predictions.update({(person, query_id): scores[person].score for person in people})
    result = pairwise_loss(ratings, predictions)
    return EvaluationResult(
        aggregation=aggregation.name,
        model_name=embedded.model_name,
        loss=result.loss,
        easy_accuracy=result.easy_accuracy,
        hard_accuracy=result.hard_accuracy,
        n_pairs=result.n_pairs,
        n_easy=result.n_easy,
        n_hard=result.n_hard,
        n_ratings=len(ratings),
        per_person=result.per_person,
    )


def evaluate(file: Path, embedder: Embedder, aggregation: Aggregation) -> EvaluationResult:
    """Evaluate one aggregation on an evaluation file.

    Args:
        file: The JSON evaluation file.
        embedder: The embedder to evaluate with.
        aggregation: The aggregation to evaluate.

    Returns:
        The result.

    Raises:
        EvaluationFileError: The file is malformed.
    """
    return score_evaluation_set(embed_evaluation_set(load_evaluation_set(file), embedder), aggregation)


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
) -> SuggestionQuality:
    """Rank everyone for every query with `rank_experts` and rate the top `top_k`.

    This checks the diversity trade-off (the pairwise loss cannot: it compares queries within one
    person, never people).

    Args:
        embedded: From `embed_evaluation_set`.
        aggregation: How item similarities combine.
        diversity_lambda: MMR weight.
        top_k: Suggestions per query.

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
        matches = rank_indexed_experts(
            vector, index, top_k=top_k, diversity_lambda=diversity_lambda, aggregation=aggregation
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


def query_folds(data: EvaluationSet, n_folds: int) -> tuple[frozenset[str], ...]:
    """Split the queries into `n_folds` folds, dealing them out in file order.

    Dealing rather than cutting keeps each fold's topics mixed when the file groups queries by topic.

    Args:
        data: The parsed set.
        n_folds: Number of folds, at least 2 and at most the number of queries.

    Returns:
        One set of query ids per fold.
    """
    if not 2 <= n_folds <= len(data.queries):
        raise ValueError(f"need 2 to {len(data.queries)} folds, got {n_folds}")
    query_ids = list(data.queries)
    return tuple(frozenset(query_ids[fold::n_folds]) for fold in range(n_folds))


def _list(raw: dict[str, Any], key: str, source: str) -> list[dict[str, Any]]:
    value = raw.get(key)
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise EvaluationFileError(f"{source}: {key} must be a list of objects")
    return value


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise EvaluationFileError(f"{where}: {key} must be a non-empty string")
    return value
