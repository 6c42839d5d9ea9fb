"""Offline evaluation of expert suggestions against self-rated expertise.

The metric is the pairwise loss of the reviewer-paper similarity gold standard (Stelmakh, Wieting,
Xi, Neubig and Shah, 2023): people rate their own expertise (1-5) for some queries; for each person,
every pair of their rated queries with different ratings is a test of whether the scores order the two
queries the same way. A wrong order costs the rating difference, a tie half of it:

    loss = sum(cost * |e1 - e2|) / sum(|e1 - e2|)    (0 = perfect, 0.5 = constant scores)

Only comparisons within one person count, so a model is not rewarded for ranking "generally strong"
people high; what matters is whether it knows which needs a person fits best. The ranking also has to
order *people* for one need, which that loss cannot see (a per-person constant changes nothing in it),
so `across_people_loss` is the same loss with the roles swapped: for each query, every pair of its
rated people with different ratings. Files where everyone is rated for every need
(tests/data/experts_dev_long.json) measure it best; the generality discount
(`bot.domain.experts.generality`) is chosen on it.

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
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from bot.domain.experts.aggregation import Aggregation
from bot.domain.experts.generality import profile_generality
from bot.domain.experts.hygiene import MAX_WORKS, Work, select_works, work_text
from bot.domain.experts.index import group_items
from bot.domain.experts.lexical import LexicalIndex, build_lexical_index
from bot.domain.experts.profiles import EXPERTISE, PUBLICATION, ProfileItem
from bot.domain.experts.ranking import score_people
from bot.domain.experts.sentences import sentence_boost, split_sentences
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
        works: Person id to their publications as given (strings become title-only works), before
            profile hygiene; `with_hygiene` rebuilds `documents` from them.
        years: Per person, the year of each of `documents` (None: the expertise paragraph, or unknown).
    """

    documents: Mapping[str, tuple[str, ...]]
    queries: Mapping[str, str]
    ratings: tuple[Rating, ...]
    disciplines: Mapping[str, str] = field(default_factory=dict, compare=False)
    works: Mapping[str, tuple[Work, ...]] = field(default_factory=dict, compare=False, repr=False)
    years: Mapping[str, tuple[int | None, ...]] = field(default_factory=dict, compare=False, repr=False)


def with_hygiene(data: EvaluationSet, *, hygiene: bool = True, max_works: int = MAX_WORKS) -> EvaluationSet:
    """`data` with each person's documents rebuilt from their works, as the bot would build them.

    Args:
        data: A parsed set.
        hygiene: True: production's profile hygiene (`bot.domain.experts.hygiene`: duplicates dropped,
            the `max_works` most recent kept, no doubled punctuation). False: the behaviour before it,
            for comparison: every work, title and abstract joined with ". " whatever the title ends in.
        max_works: Works kept per person with `hygiene` (0: all).

    Returns:
        The same set with `documents` and `years` rebuilt (the expertise paragraph stays first).
    """
    documents: dict[str, tuple[str, ...]] = {}
    years: dict[str, tuple[int | None, ...]] = {}
    for person_id, texts in data.documents.items():
        works = data.works.get(person_id, ())
        if hygiene:
            kept = select_works(works, limit=max_works or len(works))
            publication_texts = [work_text(work.title, work.abstract) for work in kept]
        else:
            kept = [work for work in works if work.title.strip()]
            publication_texts = [
                f"{work.title}. {work.abstract}" if work.abstract else work.title for work in kept
            ]
        documents[person_id] = (texts[0], *publication_texts)
        years[person_id] = (None, *(work.year for work in kept))
    return replace(data, documents=documents, years=years)


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
        predictions: ``(person, query)`` to the score used, for every rating counted.
        across: The across-people loss of the same predictions (`across_people_loss`): its
            `per_person` is keyed by query.
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
    predictions: Mapping[tuple[str, str], float] = field(default_factory=dict, compare=False, repr=False)
    across: PairwiseLoss | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, eq=False)
class EmbeddedEvaluationSet:
    """An evaluation set with every document and query embedded once, to score many aggregations.

    Attributes:
        data: The parsed file.
        model_name: The embedder's model name.
        items: One `ProfileItem` per document.
        query_vectors: Query id to vector.
        sentence_vectors: For queries of several sentences, their sentences' vectors (one row each).
    """

    data: EvaluationSet
    model_name: str
    items: tuple[ProfileItem, ...]
    query_vectors: Mapping[str, np.ndarray]
    sentence_vectors: Mapping[str, np.ndarray] = field(default_factory=dict)
    _lexical: list[LexicalIndex] = field(default_factory=list, repr=False)
    _generality: dict[str, float] = field(default_factory=dict, repr=False)

    def lexical_index(self) -> LexicalIndex:
        """The TF-IDF index of every document (built once, on first use)."""
        if not self._lexical:
            self._lexical.append(build_lexical_index([item.text for item in self.items]))
        return self._lexical[0]

    def generality(self) -> Mapping[str, float]:
        """Person id to profile generality over the whole file's documents (built once), as the
        ranking measures it over the whole directory."""
        if not self._generality and self.items:
            grouping = group_items(self.items, order=None)
            values = profile_generality(grouping.matrix, grouping.counts)
            self._generality.update(zip(grouping.person_ids, map(float, values), strict=True))
        return self._generality


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


def across_people_loss(
    ratings: Sequence[Rating], predictions: Mapping[tuple[str, str], float]
) -> PairwiseLoss:
    """The pairwise loss with people and queries swapped: for each query, its rated people in pairs.

    This is how well the scores order people for one need, which is what a suggestion list shows;
    easy and hard pairs are defined by the ratings as in `pairwise_loss`. Its `per_person` is keyed by
    query, so `bootstrap_loss_difference` resamples queries.

    Args:
        ratings: Ratings to test.
        predictions: ``(person, query)`` to predicted score, for every rating.

    Returns:
        The loss and accuracies over pairs of people.
    """
    swapped = [Rating(person=r.query, query=r.person, expertise=r.expertise) for r in ratings]
    return pairwise_loss(swapped, {(query, person): score for (person, query), score in predictions.items()})


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
    works: dict[str, tuple[Work, ...]] = {}
    disciplines: dict[str, str] = {}
    for i, person in enumerate(_list(raw, "people", source)):
        where = f"{source}: people[{i}]"
        person_id = _text(person, "id", where)
        texts = person.get("documents")
        if not isinstance(texts, list) or not texts or not isinstance(texts[0], str) or not texts[0].strip():
            raise EvaluationFileError(
                f"{where}: documents must be a non-empty list starting with the expertise paragraph "
                "(a string)"
            )
        if person_id in documents:
            raise EvaluationFileError(f"{where}: duplicate person id {person_id!r}")
        documents[person_id] = (texts[0],)
        works[person_id] = tuple(
            _work(entry, position, f"{where}.documents[{position + 1}]")
            for position, entry in enumerate(texts[1:])
        )
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
    parsed = EvaluationSet(
        documents=documents, queries=queries, ratings=tuple(ratings), disciplines=disciplines, works=works
    )
    return with_hygiene(parsed)


def _work(entry: Any, position: int, where: str) -> Work:
    """A publication: a non-empty string (its whole text), or an object with a title and optionally
    an abstract, a year and a DOI."""
    if isinstance(entry, str):
        if not entry.strip():
            raise EvaluationFileError(f"{where}: a document must be a non-empty string or an object")
        return Work(position, entry)
    if not isinstance(entry, dict):
        raise EvaluationFileError(f"{where}: a document must be a non-empty string or an object")
    title = _text(entry, "title", where)
    abstract, year, doi = entry.get("abstract"), entry.get("year"), entry.get("doi")
    if abstract is not None and not isinstance(abstract, str):
        raise EvaluationFileError(f"{where}: abstract must be a string")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise EvaluationFileError(f"{where}: year must be a whole number")
    if doi is not None and not isinstance(doi, str):
        raise EvaluationFileError(f"{where}: doi must be a string")
    return Work(position, title, abstract, year, doi)


# Texts embedded per call by `embed_evaluation_set`, so progress can be reported between calls.
EMBED_CHUNK = 64


def embed_evaluation_set(
    data: EvaluationSet,
    embedder: Embedder,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> EmbeddedEvaluationSet:
    """Embed every document and query once.

    Args:
        data: The parsed set.
        embedder: Any embedder; the same one production uses to measure production.
        progress: Called with (texts embedded so far, texts in all) after each chunk of EMBED_CHUNK.

    Returns:
        The embedded set.
    """
    owners = [
        (person_id, position) for person_id, texts in data.documents.items() for position in range(len(texts))
    ]
    texts = [data.documents[person_id][position] for person_id, position in owners]
    query_ids = list(data.queries)
    sentences = {query_id: split_sentences(data.queries[query_id]) for query_id in query_ids}
    sentences = {query_id: parts for query_id, parts in sentences.items() if len(parts) > 1}
    everything = [
        *texts,
        *(data.queries[query_id] for query_id in query_ids),
        *(part for parts in sentences.values() for part in parts),
    ]
    chunks = []
    for start in range(0, len(everything), EMBED_CHUNK):
        chunks.append(np.asarray(embedder.embed(everything[start : start + EMBED_CHUNK]), dtype=np.float32))
        if progress is not None:
            progress(min(start + EMBED_CHUNK, len(everything)), len(everything))
    vectors = np.concatenate(chunks) if chunks else np.zeros((0, 0), dtype=np.float32)
    document_vectors = vectors[: len(texts)]
    query_vectors = vectors[len(texts) : len(texts) + len(query_ids)]
    sentence_rows = iter(range(len(texts) + len(query_ids), len(vectors)))
    sentence_vectors = {
        query_id: vectors[[next(sentence_rows) for _ in parts]] for query_id, parts in sentences.items()
    }
    items = tuple(
        ProfileItem(
            person_id=person_id,
            kind=EXPERTISE if position == 0 else PUBLICATION,
            text=text,
            vector=vector,
        )
        for (person_id, position), text, vector in zip(owners, texts, document_vectors, strict=True)
    )
    return EmbeddedEvaluationSet(
        data=data,
        model_name=embedder.model_name,
        items=items,
        query_vectors=dict(zip(query_ids, query_vectors, strict=True)),
        sentence_vectors=sentence_vectors,
    )


def score_evaluation_set(
    embedded: EmbeddedEvaluationSet,
    aggregation: Aggregation,
    *,
    query_ids: Collection[str] | None = None,
    lexical_weight: float = 0.0,
    recency_half_life: float = 0.0,
    sentence_weight: float = 0.0,
    generality_weight: float = 0.0,
) -> EvaluationResult:
    """Score every rated pair with `score_people` and compute the pairwise loss.

    Args:
        embedded: From `embed_evaluation_set`.
        aggregation: The aggregation to evaluate.
        query_ids: If given, only ratings of these queries count (for cross-validation by query).
        lexical_weight: Weight of the items' TF-IDF cosine added to their embedding similarity (the
            hybrid ranking, `bot.domain.experts.lexical`; inverse document frequencies over the whole
            file's documents, as production takes them over the whole directory); 0: embedding alone.
        recency_half_life: If > 0, a publication's similarity is multiplied by
            ``0.5 ** ((latest year in the file - its year) / recency_half_life)`` (an evaluated option,
            not shipped: docs/benchmarks.md); the expertise paragraph and undated works keep theirs.
        sentence_weight: For a query of several sentences, the weight of an item's best sentence
            cosine in its similarity (`bot.domain.experts.sentences`); 0: the whole text only.
        generality_weight: Subtract this times a person's profile generality over the whole file
            (`bot.domain.experts.generality`) from their scores, as the ranking does; it moves only the
            across-people loss.

    Returns:
        The result.
    """
    ratings = tuple(r for r in embedded.data.ratings if query_ids is None or r.query in query_ids)
    rated_people: dict[str, set[str]] = defaultdict(set)
    for rating in ratings:
        rated_people[rating.query].add(rating.person)
    rows_by_person: dict[str, list[int]] = defaultdict(list)
    for row, item in enumerate(embedded.items):
        rows_by_person[item.person_id].append(row)
    lexical = embedded.lexical_index() if lexical_weight else None
    decay = _recency_factors(embedded, recency_half_life)
    predictions: dict[tuple[str, str], float] = {}
    for query_id, people in rated_people.items():
        rows = [row for person in sorted(people) for row in rows_by_person[person]]
        boost = None
        if lexical is not None:
            boost = lexical_weight * lexical.similarities(embedded.data.queries[query_id])[rows]
        if sentence_weight and query_id in embedded.sentence_vectors:
            query = embedded.query_vectors[query_id] / np.linalg.norm(embedded.query_vectors[query_id])
            by_sentence = sentence_boost(
                np.stack([embedded.items[row].vector for row in rows]),
                query,
                embedded.sentence_vectors[query_id],
                sentence_weight,
            )
            boost = by_sentence if boost is None else boost + by_sentence
        if decay is not None:
            # Recency scales an item's whole similarity: factor * (dense + lexical), as a boost.
            query = embedded.query_vectors[query_id] / np.linalg.norm(embedded.query_vectors[query_id])
            dense = np.stack([embedded.items[row].vector for row in rows]) @ query
            factors = decay[rows]
            boost = (factors - 1.0) * dense + (0.0 if boost is None else factors * boost)
        scores = score_people(
            embedded.query_vectors[query_id], [embedded.items[row] for row in rows], aggregation, boost
        )
        predictions.update({(person, query_id): scores[person].score for person in people})
    if generality_weight:
        generality = embedded.generality()
        predictions = {
            (person, query): score - generality_weight * generality[person]
            for (person, query), score in predictions.items()
        }
    result = pairwise_loss(ratings, predictions)
    return EvaluationResult(
        aggregation=configuration_name(
            aggregation, lexical_weight, recency_half_life, sentence_weight, generality_weight
        ),
        model_name=embedded.model_name,
        loss=result.loss,
        easy_accuracy=result.easy_accuracy,
        hard_accuracy=result.hard_accuracy,
        n_pairs=result.n_pairs,
        n_easy=result.n_easy,
        n_hard=result.n_hard,
        n_ratings=len(ratings),
        per_person=result.per_person,
        predictions=predictions,
        across=across_people_loss(ratings, predictions),
    )


def configuration_name(
    aggregation: Aggregation,
    lexical_weight: float,
    recency_half_life: float = 0.0,
    sentence_weight: float = 0.0,
    generality_weight: float = 0.0,
) -> str:
    """E.g. ``"topk:3"``, ``"topk:3+lex:0.5"`` or ``"topk:3+lex:0.5+sent:0.5+gen:0.5+recency:5"``."""
    name = aggregation.name
    if lexical_weight:
        name += f"+lex:{lexical_weight:g}"
    if sentence_weight:
        name += f"+sent:{sentence_weight:g}"
    if generality_weight:
        name += f"+gen:{generality_weight:g}"
    if recency_half_life:
        name += f"+recency:{recency_half_life:g}"
    return name


def _recency_factors(embedded: EmbeddedEvaluationSet, half_life: float) -> np.ndarray | None:
    """Per item of `embedded`, its recency factor (see `score_evaluation_set`); None when off."""
    if half_life <= 0:
        return None
    years = [year for person_years in embedded.data.years.values() for year in person_years]
    dated = [year for year in years if year is not None]
    if not dated:
        return None
    latest = max(dated)
    return np.array(
        [1.0 if year is None else 0.5 ** ((latest - year) / half_life) for year in years], dtype=np.float32
    )


def evaluate(
    file: Path, embedder: Embedder, aggregation: Aggregation, *, lexical_weight: float = 0.0
) -> EvaluationResult:
    """Evaluate one aggregation on an evaluation file.

    Args:
        file: The JSON evaluation file.
        embedder: The embedder to evaluate with.
        aggregation: The aggregation to evaluate.
        lexical_weight: See `score_evaluation_set`.

    Returns:
        The result.

    Raises:
        EvaluationFileError: The file is malformed.
    """
    return score_evaluation_set(
        embed_evaluation_set(load_evaluation_set(file), embedder), aggregation, lexical_weight=lexical_weight
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
