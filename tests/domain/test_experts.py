"""Expert ranking: aggregation math, exclusions, caps, diversity, and vectorised == naive."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from bot.domain.experts import aggregation as aggregation_module
from bot.domain.experts import half_precision as half_precision_module
from bot.domain.experts import index as index_module
from bot.domain.experts import ranking as ranking_module
from bot.domain.experts.aggregation import (
    AGGREGATIONS,
    DEFAULT_AGGREGATION,
    Aggregation,
    AggregationKind,
    parse_aggregation,
)
from bot.domain.experts.diversity import DISCIPLINE_REDUNDANCY_WEIGHT
from bot.domain.experts.generality import GENERALITY_NEIGHBOURS, GENERALITY_WEIGHT
from bot.domain.experts.index import build_expert_index, with_over_cap
from bot.domain.experts.profiles import OVER_CAP_NOTE, ExpertMatch, ExpertProfile, ProfileItem
from bot.domain.experts.ranking import SECOND_MATCH_MARGIN, rank_experts, rank_indexed_experts, score_people

DIMENSION = 8
QUERY = np.eye(DIMENSION, dtype=np.float32)[0]


def vector_with_similarity(similarity: float, direction: int = 1) -> np.ndarray:
    """A unit vector whose cosine with QUERY is `similarity`; `direction` picks the orthogonal part."""
    vector = np.zeros(DIMENSION, dtype=np.float32)
    vector[0] = similarity
    vector[direction] = math.sqrt(1.0 - similarity**2)
    return vector


def item(person_id: str, similarity: float, text: str | None = None, direction: int = 1) -> ProfileItem:
    return ProfileItem(
        person_id=person_id,
        kind="publication",
        text=text or f"{person_id} at {similarity}",
        vector=vector_with_similarity(similarity, direction),
    )


def ids(matches: Sequence[ExpertMatch]) -> list[str]:
    return [match.person.person_id for match in matches]


# --- Aggregation math -----------------------------------------------------------------------------

SIMILARITIES = [0.9, 0.1, 0.5]


def expected_scores(similarities: list[float]) -> dict[str, float]:
    s = np.array(similarities, dtype=np.float64)
    best, others = s.max(), np.sort(s)[::-1][1:]

    def softmax_mean(t: float) -> float:
        w = np.exp(s / t)
        return float((w * s).sum() / w.sum())

    def log_mean_exp(t: float) -> float:
        return float(t * np.log(np.exp(s / t).mean()))

    def max_plus_mean(weight: float) -> float:
        return float((best + weight * others.mean()) / (1 + weight)) if others.size else float(best)

    return {
        "max": float(best),
        "mean": float(s.mean()),
        "topk:2": float(np.sort(s)[::-1][:2].mean()),
        "topk:3": float(np.sort(s)[::-1][:3].mean()),
        "softmax:0.02": softmax_mean(0.02),
        "softmax:0.05": softmax_mean(0.05),
        "softmax:0.1": softmax_mean(0.1),
        "lse:0.02": log_mean_exp(0.02),
        "lse:0.05": log_mean_exp(0.05),
        "lse:0.1": log_mean_exp(0.1),
        "max+mean:0.25": max_plus_mean(0.25),
        "max+mean:0.5": max_plus_mean(0.5),
        "max+mean:1": max_plus_mean(1.0),
    }


@pytest.mark.parametrize("aggregation", AGGREGATIONS, ids=lambda a: a.name)
def test_aggregation_matches_formula_on_hand_made_vectors(aggregation: Aggregation) -> None:
    items = [item("ana", s) for s in SIMILARITIES] + [item("ben", 0.6)]
    scores = score_people(QUERY, items, aggregation)
    assert scores["ana"].score == pytest.approx(expected_scores(SIMILARITIES)[aggregation.name], abs=1e-6)
    # A single item: every strategy reduces to that item's similarity (topk with fewer than k items
    # averages what there is; max+mean without "other items" is the max).
    assert scores["ben"].score == pytest.approx(0.6, abs=1e-6)


def test_aggregations_order_breadth_against_peak_as_documented() -> None:
    # One spot-on item versus a consistently good profile.
    items = [item("peak", 0.8), item("peak", 0.0), item("peak", 0.0), item("broad", 0.6), item("broad", 0.55)]
    by_max = score_people(QUERY, items, parse_aggregation("max"))
    by_mean = score_people(QUERY, items, parse_aggregation("mean"))
    assert by_max["peak"].score > by_max["broad"].score
    assert by_mean["broad"].score > by_mean["peak"].score


def test_log_mean_exp_is_not_rewarded_by_item_count() -> None:
    one = [item("one", 0.5)]
    many = [item("many", 0.5, text=f"paper {i}") for i in range(10)]
    scores = score_people(QUERY, one + many, parse_aggregation("lse:0.05"))
    assert scores["one"].score == pytest.approx(scores["many"].score, abs=1e-6)


def test_softmax_and_lse_stay_finite_at_tiny_temperatures() -> None:
    items = [item("ana", 0.9), item("ana", -0.9)]
    for name in ("softmax:0.0001", "lse:0.0001"):
        score = score_people(QUERY, items, parse_aggregation(name))["ana"].score
        assert math.isfinite(score)
        assert score == pytest.approx(0.9, abs=1e-3)


@pytest.mark.parametrize("name", ["max", "mean", "topk:2", "softmax:0.05", "lse:0.1", "max+mean:0.5"])
def test_aggregation_names_round_trip(name: str) -> None:
    assert parse_aggregation(name).name == name


@pytest.mark.parametrize(
    "name",
    ["median", "max:1", "topk", "topk:0", "topk:1.5", "softmax:0", "lse:-1", "max+mean:-0.1", "mean:x"],
)
def test_invalid_aggregation_names_are_rejected(name: str) -> None:
    with pytest.raises(ValueError):
        parse_aggregation(name)


def test_score_people_reports_best_item_and_a_close_second() -> None:
    close = [
        item("ana", 0.7, "best"),
        item("ana", 0.7 - SECOND_MATCH_MARGIN + 0.01, "close"),
        item("ana", 0.1),
    ]
    far = [item("ben", 0.7, "best"), item("ben", 0.7 - SECOND_MATCH_MARGIN - 0.05, "far")]
    scores = score_people(QUERY, close + far)
    assert [matched.item.text for matched in scores["ana"].best_items] == ["best", "close"]
    assert [matched.item.text for matched in scores["ben"].best_items] == ["best"]
    matched_item, similarity = scores["ana"].best_items[0]
    assert matched_item.person_id == "ana"
    assert similarity == pytest.approx(0.7, abs=1e-6)


def test_score_people_normalises_the_query() -> None:
    items = [item("ana", 0.5)]
    assert score_people(QUERY * 3, items)["ana"].score == pytest.approx(0.5, abs=1e-6)


# --- Ranking policy -------------------------------------------------------------------------------


def directory() -> tuple[list[ExpertProfile], list[ProfileItem]]:
    """Five people from three disciplines with clearly ordered relevance."""
    people = [
        ("ana", "Economics", 0.9),
        ("ben", "Statistics", 0.8),
        ("cho", "Economics", 0.7),
        ("dev", "Law", 0.6),
        ("eli", "Statistics", 0.5),
    ]
    profiles = [ExpertProfile(p, p.title(), discipline) for p, discipline, _ in people]
    items = [item(p, similarity, direction=1 + i) for i, (p, _, similarity) in enumerate(people)]
    return profiles, items


def test_rank_orders_by_score_without_diversity() -> None:
    profiles, items = directory()
    matches = rank_experts(QUERY, profiles, items, diversity_lambda=0.0, generality_weight=0.0)
    assert ids(matches) == ["ana", "ben", "cho", "dev", "eli"]
    assert [m.score for m in matches] == pytest.approx([0.9, 0.8, 0.7, 0.6, 0.5], abs=1e-6)
    assert all(m.note is None for m in matches)
    assert matches[0].matched_items[0].item.person_id == "ana"


def test_rank_respects_top_k() -> None:
    profiles, items = directory()
    assert ids(rank_experts(QUERY, profiles, items, top_k=2, diversity_lambda=0.0)) == ["ana", "ben"]
    assert rank_experts(QUERY, profiles, items, top_k=0) == []


def test_excluded_people_are_not_suggested() -> None:
    profiles, items = directory()
    matches = rank_experts(QUERY, profiles, items, exclude_person_ids={"ana", "nobody"}, diversity_lambda=0.0)
    assert ids(matches) == ["ben", "cho", "dev", "eli"]


def test_excluded_disciplines_are_not_suggested_case_insensitively() -> None:
    profiles, items = directory()
    matches = rank_experts(QUERY, profiles, items, exclude_disciplines=["economics", "LAW"])
    assert ids(matches) == ["ben", "eli"]


def test_opted_out_person_is_never_suggested_even_as_the_best_match() -> None:
    profiles, items = directory()
    profiles[0] = ExpertProfile("ana", "Ana", "Economics", opted_out=True)
    for top_k in (1, 5, 50):
        assert "ana" not in ids(rank_experts(QUERY, profiles, items, top_k=top_k))
    # Not even when over cap too, and not when she is the only person.
    only = [ExpertProfile("ana", "Ana", "Economics", opted_out=True, over_cap=True)]
    assert rank_experts(QUERY, only, [item("ana", 0.9)]) == []


def test_over_cap_people_come_after_everyone_else_with_a_note() -> None:
    profiles, items = directory()
    profiles[0] = ExpertProfile("ana", "Ana", "Economics", over_cap=True)
    matches = rank_experts(QUERY, profiles, items, top_k=5, diversity_lambda=0.0)
    assert ids(matches) == ["ben", "cho", "dev", "eli", "ana"]
    assert matches[-1].note == OVER_CAP_NOTE
    assert all(m.note is None for m in matches[:-1])
    # With fewer slots than available people, the over-cap best match does not appear at all.
    assert "ana" not in ids(rank_experts(QUERY, profiles, items, top_k=4))


def test_with_over_cap_re_marks_a_cached_index_without_copying_vectors() -> None:
    profiles, items = directory()
    index = build_expert_index(profiles, items)

    marked = with_over_cap(index, {"ana", "nobody"})

    assert marked.matrix is index.matrix
    assert [p.over_cap for p in marked.profiles] == [True, False, False, False, False]
    assert not index.over_cap.any()  # the original is untouched
    assert ids(rank_indexed_experts(QUERY, marked, diversity_lambda=0.0)) == [
        "ben",
        "cho",
        "dev",
        "eli",
        "ana",
    ]
    assert ids(rank_indexed_experts(QUERY, with_over_cap(marked, ()), diversity_lambda=0.0))[0] == "ana"


def test_min_score_drops_weak_matches_and_lets_over_cap_people_fill_in() -> None:
    profiles, items = directory()
    profiles[0] = ExpertProfile("ana", "Ana", "Economics", over_cap=True)
    matches = rank_experts(QUERY, profiles, items, min_score=0.65, diversity_lambda=0.0)
    assert ids(matches) == ["ben", "cho", "ana"]
    assert matches[-1].note == OVER_CAP_NOTE


def test_people_without_items_are_not_suggested() -> None:
    profiles, items = directory()
    profiles.append(ExpertProfile("fay", "Fay", "Law"))
    assert "fay" not in ids(rank_experts(QUERY, profiles, items, top_k=10))


def test_ties_go_to_the_earlier_profile() -> None:
    profiles = [ExpertProfile(p, p, "X") for p in ("b", "a", "c")]
    items = [item(p, 0.5) for p in ("c", "a", "b")]
    assert ids(rank_experts(QUERY, profiles, items, diversity_lambda=0.0)) == ["b", "a", "c"]


def test_mmr_brings_another_discipline_into_the_top_three() -> None:
    # Four economists with near-identical profiles narrowly beat a statistician on relevance.
    economists = [ExpertProfile(f"econ{i}", f"Econ {i}", "Economics") for i in range(4)]
    statistician = ExpertProfile("stat", "Stat", "Statistics")
    items = [item(f"econ{i}", 0.62 - 0.005 * i, direction=1) for i in range(4)] + [
        item("stat", 0.6, direction=2)
    ]
    profiles = [*economists, statistician]
    # Without the generality discount, which would also favour the one statistician among four
    # near-identical economists (tested on its own below).
    plain = rank_experts(QUERY, profiles, items, top_k=3, diversity_lambda=0.0, generality_weight=0.0)
    diverse = rank_experts(QUERY, profiles, items, top_k=3, diversity_lambda=0.1, generality_weight=0.0)
    assert ids(plain) == ["econ0", "econ1", "econ2"]
    assert ids(diverse) == ["econ0", "stat", "econ1"]
    # The reported score is relevance, not the MMR value.
    assert diverse[1].score == pytest.approx(0.6, abs=1e-6)


def test_mmr_never_picks_an_irrelevant_person_for_diversity_at_the_default_weight() -> None:
    profiles = [ExpertProfile(f"econ{i}", f"Econ {i}", "Economics") for i in range(5)] + [
        ExpertProfile("far", "Far", "Law")
    ]
    items = [item(f"econ{i}", 0.6 - 0.01 * i) for i in range(5)] + [item("far", 0.1, direction=3)]
    assert "far" not in ids(rank_experts(QUERY, profiles, items))


def test_invalid_arguments_are_rejected() -> None:
    profiles, items = directory()
    with pytest.raises(ValueError):
        rank_experts(QUERY, profiles, items, diversity_lambda=1.5)
    with pytest.raises(ValueError):
        rank_experts(QUERY, profiles, items, top_k=-1)
    with pytest.raises(ValueError):
        rank_experts(QUERY[:4], profiles, items)
    with pytest.raises(ValueError):
        rank_experts(np.zeros(DIMENSION, dtype=np.float32), profiles, items)


def test_index_rejects_inconsistent_input() -> None:
    profiles, items = directory()
    with pytest.raises(ValueError, match="duplicate"):
        build_expert_index([*profiles, profiles[0]], items)
    with pytest.raises(ValueError, match="without a profile"):
        build_expert_index(profiles, [*items, item("zed", 0.5)])
    odd = ProfileItem("ana", "expertise", "short", np.ones(3, dtype=np.float32))
    with pytest.raises(ValueError, match="shapes"):
        build_expert_index(profiles, [*items, odd])
    with pytest.raises(ValueError, match="kind"):
        ProfileItem("ana", "tweet", "text", QUERY)


def test_index_arrays_are_read_only() -> None:
    index = build_expert_index(*directory())
    with pytest.raises(ValueError):
        index.matrix[0, 0] = 1.0


def test_profile_items_compare_by_text_not_vector() -> None:
    first = ProfileItem("ana", "expertise", "auctions", QUERY)
    second = ProfileItem("ana", "expertise", "auctions", -QUERY)
    assert first == second
    assert len({first, second}) == 1


# --- Vectorised result equals a naive loop ----------------------------------------------------------


def random_directory(
    rng: np.random.Generator, people: int, dimension: int = 16
) -> tuple[list[ExpertProfile], list[ProfileItem]]:
    disciplines = ["Economics", "Statistics", "Law", "Psychology"]
    profiles = [
        ExpertProfile(
            person_id=f"p{i}",
            name=f"Person {i}",
            discipline=disciplines[int(rng.integers(len(disciplines)))],
            opted_out=bool(rng.random() < 0.1),
            over_cap=bool(rng.random() < 0.15),
        )
        for i in range(people)
    ]
    items = []
    for i in range(people):
        for j in range(int(rng.integers(1, 7))):
            vector = rng.standard_normal(dimension).astype(np.float32)
            items.append(
                ProfileItem(f"p{i}", "publication", f"p{i} item {j}", vector / np.linalg.norm(vector))
            )
    # Shuffled, so grouping by person is exercised.
    order = rng.permutation(len(items))
    return profiles, [items[k] for k in order]


def naive_score(similarities: list[float], aggregation: Aggregation) -> float:
    s = sorted(similarities, reverse=True)
    kind, parameter = aggregation.kind, aggregation.parameter
    if kind is AggregationKind.MAX:
        return s[0]
    if kind is AggregationKind.MEAN:
        return sum(s) / len(s)
    assert parameter is not None
    if kind is AggregationKind.TOP_K_MEAN:
        top = s[: int(parameter)]
        return sum(top) / len(top)
    if kind is AggregationKind.SOFTMAX:
        weights = [math.exp((x - s[0]) / parameter) for x in s]
        return sum(w * x for w, x in zip(weights, s, strict=True)) / sum(weights)
    if kind is AggregationKind.LOG_SUM_EXP:
        return s[0] + parameter * math.log(sum(math.exp((x - s[0]) / parameter) for x in s) / len(s))
    rest = s[1:]
    return (s[0] + parameter * sum(rest) / len(rest)) / (1 + parameter) if rest else s[0]


def naive_similarities(query: np.ndarray, items: Sequence[ProfileItem]) -> dict[str, list[float]]:
    query = query / np.linalg.norm(query)
    result: dict[str, list[float]] = {}
    for profile_item in items:
        similarity = sum(float(a) * float(b) for a, b in zip(profile_item.vector, query, strict=True))
        result.setdefault(profile_item.person_id, []).append(similarity)
    return result


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("aggregation", AGGREGATIONS, ids=lambda a: a.name)
def test_vectorised_scores_equal_naive_loop(seed: int, aggregation: Aggregation) -> None:
    rng = np.random.default_rng(seed)
    _, items = random_directory(rng, people=60)
    query = rng.standard_normal(16).astype(np.float32)
    scores = score_people(query, items, aggregation)
    naive = naive_similarities(query, items)
    assert set(scores) == set(naive)
    for person_id, similarities in naive.items():
        assert scores[person_id].score == pytest.approx(naive_score(similarities, aggregation), abs=1e-5)
        assert scores[person_id].best_items[0].similarity == pytest.approx(max(similarities), abs=1e-5)


def naive_generality(person: str, items: Sequence[ProfileItem]) -> float:
    """The documented generality, one person at a time: the mean cosine of the centroid of their unit
    item vectors to the GENERALITY_NEIGHBOURS closest items of everyone else."""
    units = [i.vector.astype(np.float64) / np.linalg.norm(i.vector) for i in items]
    own = [u for u, i in zip(units, items, strict=True) if i.person_id == person]
    centroid = np.sum(own, axis=0) / np.linalg.norm(np.sum(own, axis=0))
    others = sorted(
        (float(centroid @ u) for u, i in zip(units, items, strict=True) if i.person_id != person),
        reverse=True,
    )
    return float(np.mean(others[:GENERALITY_NEIGHBOURS])) if others else 0.0


def naive_rank(
    query: np.ndarray,
    profiles: Sequence[ExpertProfile],
    items: Sequence[ProfileItem],
    *,
    top_k: int,
    exclude_person_ids: set[str],
    exclude_disciplines: set[str],
    diversity_lambda: float,
    aggregation: Aggregation,
) -> list[str]:
    """The documented ranking rules, one person at a time."""
    similarities = naive_similarities(query, items)
    vectors: dict[str, list[np.ndarray]] = {}
    for profile_item in items:
        vectors.setdefault(profile_item.person_id, []).append(profile_item.vector.astype(np.float64))
    centroids = {p: np.sum(v, axis=0) / np.linalg.norm(np.sum(v, axis=0)) for p, v in vectors.items()}
    scores = {
        p: naive_score(s, aggregation) - GENERALITY_WEIGHT * naive_generality(p, items)
        for p, s in similarities.items()
    }
    by_id = {p.person_id: p for p in profiles}
    order = {p.person_id: i for i, p in enumerate(profiles)}

    def eligible(p: ExpertProfile) -> bool:
        return (
            p.person_id in scores
            and not p.opted_out
            and p.person_id not in exclude_person_ids
            and p.discipline.casefold() not in {d.casefold() for d in exclude_disciplines}
        )

    def redundancy(a: str, b: str) -> float:
        same = 1.0 if by_id[a].discipline.casefold() == by_id[b].discipline.casefold() else 0.0
        cosine = max(0.0, float(centroids[a] @ centroids[b]))
        return DISCIPLINE_REDUNDANCY_WEIGHT * same + (1 - DISCIPLINE_REDUNDANCY_WEIGHT) * cosine

    picked: list[str] = []
    for over_cap in (False, True):
        candidates = [p.person_id for p in profiles if eligible(p) and p.over_cap is over_cap]
        candidates.sort(key=lambda p: (-scores[p], order[p]))
        while candidates and len(picked) < top_k:

            def value(p: str) -> float:
                if diversity_lambda == 0:
                    return scores[p]
                worst = max((redundancy(p, q) for q in picked), default=0.0)
                return (1 - diversity_lambda) * scores[p] - diversity_lambda * worst

            best = max(candidates, key=lambda p: (value(p), -candidates.index(p)))
            picked.append(best)
            candidates.remove(best)
    return picked


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("diversity_lambda", [0.0, 0.05, 0.3])
def test_vectorised_ranking_equals_naive_loop(seed: int, diversity_lambda: float) -> None:
    rng = np.random.default_rng(100 + seed)
    # Few enough people that the MMR pool holds everyone, so the naive full MMR is the reference.
    profiles, items = random_directory(rng, people=40)
    query = rng.standard_normal(16).astype(np.float32)
    aggregation = AGGREGATIONS[seed * 3 % len(AGGREGATIONS)]
    options = {
        "top_k": 8,
        "exclude_person_ids": {"p3", "p7"},
        "exclude_disciplines": {"law"},
        "diversity_lambda": diversity_lambda,
        "aggregation": aggregation,
    }
    fast = rank_experts(query, profiles, items, **options)  # type: ignore[arg-type]
    assert ids(fast) == naive_rank(query, profiles, items, **options)  # type: ignore[arg-type]
    naive = naive_similarities(query, items)
    for match in fast:
        person = match.person.person_id
        discount = GENERALITY_WEIGHT * naive_generality(person, items)
        expected = naive_score(naive[person], aggregation) - discount
        assert match.score == pytest.approx(expected, abs=1e-5)
        assert (match.note == OVER_CAP_NOTE) is match.person.over_cap


def test_indexed_ranking_equals_building_the_index_each_time() -> None:
    rng = np.random.default_rng(7)
    profiles, items = random_directory(rng, people=200)
    index = build_expert_index(profiles, items)
    for _ in range(5):
        query = rng.standard_normal(16).astype(np.float32)
        assert ids(rank_indexed_experts(query, index)) == ids(rank_experts(query, profiles, items))


# --- Half-precision first pass (large directories) ------------------------------------------------


def clustered_directory(
    rng: np.random.Generator, people: int, dimension: int = 32, spread: float = 0.01
) -> tuple[list[ExpertProfile], list[ProfileItem]]:
    """People whose items sit close to one of a few topic vectors: many scores within float16 error."""
    profiles, items = random_directory(rng, people, dimension)
    topics = rng.standard_normal((6, dimension)).astype(np.float32)
    clustered = []
    for profile_item in items:
        vector = topics[int(profile_item.person_id[1:]) % len(topics)] + spread * rng.standard_normal(
            dimension
        ).astype(np.float32)
        clustered.append(replace(profile_item, vector=vector / np.linalg.norm(vector)))
    return profiles, clustered


def matches_as_tuples(matches: Sequence[ExpertMatch]) -> list[tuple[str, str | None, list[str]]]:
    return [(m.person.person_id, m.note, [i.item.text for i in m.matched_items]) for m in matches]


def assert_same_suggestions(expected: Sequence[ExpertMatch], actual: Sequence[ExpertMatch]) -> None:
    assert matches_as_tuples(actual) == matches_as_tuples(expected)
    for want, got in zip(expected, actual, strict=True):
        # BLAS may sum a few gathered rows in another order than the whole matrix: last-bit changes.
        assert got.score == pytest.approx(want.score, abs=1e-6)
        for want_item, got_item in zip(want.matched_items, got.matched_items, strict=True):
            assert got_item.similarity == pytest.approx(want_item.similarity, abs=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("make_directory", [random_directory, clustered_directory])
def test_half_precision_ranking_equals_exact_ranking(
    make_directory: Callable[..., tuple[list[ExpertProfile], list[ProfileItem]]],
    dtype: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    profiles, items = make_directory(rng, people=3000, dimension=32)
    exact = build_expert_index(profiles, items)
    fast = build_expert_index(profiles, items, half_precision_min_items=1000, half_precision_dtype=dtype)
    assert exact.half_precision is None
    assert fast.half_precision is not None
    assert fast.matrix.dtype == np.float32  # the exact matrix stays, for re-scoring
    rescored = []
    score_candidates = ranking_module._score_candidates

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = score_candidates(*args, **kwargs)
        rescored.append(result is not None)
        return result

    monkeypatch.setattr(ranking_module, "_score_candidates", spy)
    for n in range(60):
        query = rng.standard_normal(32).astype(np.float32)
        if make_directory is clustered_directory:
            query = items[int(rng.integers(len(items)))].vector + 0.05 * query
        options: dict[str, Any] = {
            "top_k": (1, 5, 12)[n % 3],
            "diversity_lambda": (0.0, 0.05, 0.3)[n // 3 % 3],
            "aggregation": AGGREGATIONS[n % len(AGGREGATIONS)],
            "exclude_person_ids": {f"p{k}" for k in range(0, 3000, 7)} if n % 4 == 0 else set(),
            "exclude_disciplines": {"law"} if n % 5 == 0 else set(),
            "min_score": 0.2 if n % 6 == 0 else None,
        }
        assert_same_suggestions(
            rank_indexed_experts(query, exact, **options), rank_indexed_experts(query, fast, **options)
        )
    # Softmax (3 of the 13 aggregations) always takes the exact pass; the others take the fast one.
    assert rescored.count(True) >= 40


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_pass_is_needed_and_rescoring_fixes_its_order(dtype: str) -> None:
    pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    profiles, items = clustered_directory(rng, people=3000, dimension=32, spread=0.003)
    index = build_expert_index(profiles, items, half_precision_min_items=0, half_precision_dtype=dtype)
    assert index.half_precision is not None
    exact_index = build_expert_index(profiles, items)  # the same for every query: built once
    differs = 0
    for _ in range(20):
        query = items[int(rng.integers(len(items)))].vector
        unit = query / np.linalg.norm(query)
        exact = aggregation_module.aggregate(
            aggregation_module.similarity_table(index.matrix @ unit, index.layout),
            index.counts,
            DEFAULT_AGGREGATION,
        )
        rough = aggregation_module.aggregate(
            aggregation_module.similarity_table(index.half_precision.similarities(unit), index.layout),
            index.counts,
            DEFAULT_AGGREGATION,
        )
        assert np.abs(rough - exact).max() <= index.half_precision.error
        differs += list(np.argsort(-exact, kind="stable")[:50]) != list(
            np.argsort(-rough, kind="stable")[:50]
        )
        assert_same_suggestions(rank_indexed_experts(query, exact_index), rank_indexed_experts(query, index))
    # Without re-scoring, float16 would have reordered the pool for most of these queries.
    assert differs >= 10


@pytest.mark.parametrize(("dtype", "bound"), [("float16", 1.53e-3), ("bfloat16", 1.2e-2)])
@pytest.mark.parametrize("norm", [1.0, 3.0])
def test_half_precision_error_bound_holds_for_hard_vectors(norm: float, dtype: str, bound: float) -> None:
    pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    dimension = 384
    rows = rng.standard_normal((2000, dimension)).astype(np.float32)
    rows[:500, 100:] *= 1e-6  # components in float16's subnormal range
    rows[500:1000] = np.abs(rows[500:1000])  # all positive: rounding errors do not cancel
    rows *= norm / np.linalg.norm(rows, axis=1, keepdims=True)
    half = half_precision_module.half_precision_copy(rows, dtype)
    assert half is not None
    assert half.error == pytest.approx(norm * bound, rel=0.01)
    worst = 0.0
    for k in range(0, 2000, 50):
        query = rows[k] / np.linalg.norm(rows[k])  # similarity up to `norm`: the largest rounding
        exact = rows.astype(np.float64) @ query.astype(np.float64)
        worst = max(worst, float(np.abs(half.similarities(query).astype(np.float64) - exact).max()))
    assert worst <= half.error / 2


def test_small_index_has_no_half_precision_copy_and_shares_it_when_re_marked() -> None:
    profiles, items = directory()
    assert build_expert_index(profiles, items).half_precision is None
    pytest.importorskip("torch")
    large = build_expert_index(profiles, items, half_precision_min_items=1)
    assert with_over_cap(large, {"ana"}).half_precision is large.half_precision


def test_ranking_stays_exact_without_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(half_precision_module, "_import_torch", lambda: None)
    rng = np.random.default_rng(14)
    profiles, items = random_directory(rng, people=300)
    index = build_expert_index(profiles, items, half_precision_min_items=1)
    assert index.half_precision is None
    query = rng.standard_normal(16).astype(np.float32)
    assert ids(rank_indexed_experts(query, index)) == ids(rank_experts(query, profiles, items))


def test_near_duplicate_profiles_fall_back_to_one_exact_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    rng = np.random.default_rng(15)
    profiles, items = clustered_directory(rng, people=400, dimension=32, spread=0.0)  # six identical groups
    index = build_expert_index(profiles, items, half_precision_min_items=0)
    results = []
    score_candidates = ranking_module._score_candidates

    def spy(*args: Any, **kwargs: Any) -> Any:
        results.append(score_candidates(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(ranking_module, "_score_candidates", spy)
    query = items[0].vector
    assert_same_suggestions(
        rank_indexed_experts(query, build_expert_index(profiles, items)), rank_indexed_experts(query, index)
    )
    assert results == [None]


class _TimedHalf(half_precision_module.HalfPrecisionMatrix):
    """A float16 copy whose product takes as long as `delay` says (the machine's speed, simulated)."""

    delay = 0.0

    def similarities(self, query: np.ndarray) -> np.ndarray:
        time.sleep(self.delay)
        return np.zeros(3, dtype=np.float16)


def test_a_16_bit_copy_is_kept_only_where_it_measures_faster(monkeypatch: pytest.MonkeyPatch) -> None:
    matrix = np.eye(3, dtype=np.float32)
    slow, fast = _TimedHalf(tensor=None, error=0.0), _TimedHalf(tensor=None, error=0.0)
    slow.delay = 0.05  # far slower than a 3 x 3 float32 product
    assert not half_precision_module.half_precision_pays(matrix, slow, rounds=2)
    monkeypatch.setattr(half_precision_module, "HALF_PRECISION_MIN_GAIN", 1e6)  # any speed will do
    assert half_precision_module.half_precision_pays(matrix, fast, rounds=2)


def test_a_production_size_index_drops_a_16_bit_copy_that_is_slower(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(15)
    profiles, items = random_directory(rng, people=40)
    made: list[str] = []

    def copy(matrix: np.ndarray, dtype: str) -> half_precision_module.HalfPrecisionMatrix:
        made.append(dtype)
        return half_precision_module.HalfPrecisionMatrix(tensor=None, error=0.0)

    monkeypatch.setattr(index_module, "half_precision_copy", copy)
    monkeypatch.setattr(index_module, "HALF_PRECISION_MIN_ITEMS", 10)
    monkeypatch.setattr(index_module, "_PAYS_BY_FORMAT", {})
    monkeypatch.setattr(index_module, "half_precision_pays", lambda matrix, half: False)
    assert build_expert_index(profiles, items, half_precision_min_items=10).half_precision is None
    # Measured once per process: a format that did not pay is not copied or timed again.
    assert build_expert_index(profiles, items, half_precision_min_items=10).half_precision is None
    monkeypatch.setattr(index_module, "_PAYS_BY_FORMAT", {})
    monkeypatch.setattr(index_module, "half_precision_pays", lambda matrix, half: True)
    assert build_expert_index(profiles, items, half_precision_min_items=10).half_precision is not None
    # Below production size (tests, small directories asking for a copy) nothing is timed.
    monkeypatch.setattr(index_module, "HALF_PRECISION_MIN_ITEMS", 10**9)
    monkeypatch.setattr(index_module, "half_precision_pays", lambda matrix, half: False)
    assert build_expert_index(profiles, items, half_precision_min_items=10).half_precision is not None
    # Both formats tried when neither paid, bfloat16 kept at once when it did, float16 for tests.
    assert made == ["bfloat16", "float16", "bfloat16", "float16"]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("boosted", [False, True])
def test_half_precision_keeps_people_over_the_floor_whom_the_discount_ranks_low(
    dtype: str, boosted: bool
) -> None:
    # Three generic people pass the floor; three hundred specific ones fall just under it but, with
    # their smaller generality discount, rank above the three. The first pass must not let the ones
    # who fail the floor fill the pool and push out the ones who pass (found in review).
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    people, dimension = 5300, 16
    query = np.eye(dimension, dtype=np.float32)[0]
    profiles = [ExpertProfile(f"p{i}", f"p{i}", "x") for i in range(people)]
    items, generality = [], np.zeros(people, np.float32)
    for i in range(people):
        if i < 3:
            similarity, generality[i] = 0.85, 0.9
        elif i < 303:
            similarity, generality[i] = rng.uniform(0.785, 0.7995), 0.1
        else:
            similarity, generality[i] = rng.uniform(0.0, 0.3), 0.5
        vector = np.zeros(dimension, np.float32)
        vector[0], vector[1 + i % (dimension - 1)] = similarity, np.sqrt(1 - similarity**2)
        items.append(ProfileItem(f"p{i}", "publication", f"t{i}", vector))
    boost = np.zeros(people, np.float32) if boosted else None
    exact = build_expert_index(profiles, items, generality=generality)
    fast = build_expert_index(
        profiles, items, generality=generality, half_precision_min_items=1, half_precision_dtype=dtype
    )
    options: dict[str, Any] = {"top_k": 5, "min_score": 0.8, "item_boost": boost}
    assert ids(rank_indexed_experts(query, exact, **options)) == ["p0", "p1", "p2"]
    assert_same_suggestions(
        rank_indexed_experts(query, exact, **options), rank_indexed_experts(query, fast, **options)
    )
