"""The generality discount: a profile close to everyone's work is not suggested for everything."""

from __future__ import annotations

import numpy as np
import pytest

from bot.domain.experts.generality import GENERALITY_NEIGHBOURS, GENERALITY_WEIGHT, profile_generality
from bot.domain.experts.index import build_expert_index
from bot.domain.experts.profiles import ExpertProfile, ProfileItem
from bot.domain.experts.ranking import rank_experts, rank_indexed_experts
from bot.domain.experts.sentences import sentence_rerank_index

DIMENSION = 8
AXES = np.eye(DIMENSION, dtype=np.float32)


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def item(person_id: str, vector: np.ndarray) -> ProfileItem:
    return ProfileItem(person_id=person_id, kind="publication", text=person_id, vector=unit(vector))


def directory() -> tuple[list[ExpertProfile], list[ProfileItem]]:
    """Specialists on axes 1-5 (two items each) and one generalist whose items point at all of them."""
    profiles = [ExpertProfile(f"s{axis}", f"Specialist {axis}", f"Field {axis}") for axis in range(1, 6)]
    items = [item(f"s{axis}", AXES[axis] + 0.1 * AXES[6] * k) for axis in range(1, 6) for k in (1, 2)]
    profiles.append(ExpertProfile("general", "Generalist", "Field 0"))
    everything = AXES[1:6].sum(axis=0)
    items += [item("general", everything + 0.1 * AXES[7] * k) for k in (1, 2)]
    return profiles, items


def test_a_profile_close_to_everyone_is_the_most_general() -> None:
    profiles, items = directory()
    index = build_expert_index(profiles, items)
    generality = dict(zip((p.person_id for p in index.profiles), index.generality, strict=True))
    assert max(generality, key=lambda person: generality[person]) == "general"
    # Its own items do not count: alone with one specialist, the generalist measures against that one.
    alone = build_expert_index(
        profiles[:1] + profiles[-1:], [i for i in items if i.person_id in {"s1", "general"}]
    )
    centroid = unit(items[-2].vector + items[-1].vector)
    expected = (float(centroid @ items[0].vector) + float(centroid @ items[1].vector)) / 2
    assert alone.generality[1] == pytest.approx(expected, abs=1e-5)


def test_nobody_else_means_no_generality() -> None:
    one = build_expert_index([ExpertProfile("a", "A", "X")], [item("a", AXES[1]), item("a", AXES[2])])
    assert one.generality.tolist() == [0.0]


def test_a_stride_of_reference_items_approximates_all_of_them() -> None:
    rng = np.random.default_rng(7)
    counts = rng.integers(1, 6, size=300)
    matrix = rng.standard_normal((int(counts.sum()), 16)).astype(np.float32)
    exact = profile_generality(matrix, counts, reference_items=10_000)
    assert np.array_equal(exact, profile_generality(matrix, counts, reference_items=int(counts.sum())))
    strided = profile_generality(matrix, counts, reference_items=400)
    assert strided.shape == (300,) and np.isfinite(strided).all()
    # The nearest neighbours among fewer items are never closer than among all of them.
    assert (strided <= exact + 1e-6).all()
    assert strided.mean() < exact.mean()


def test_equal_relevance_goes_to_the_specialist() -> None:
    profiles, items = directory()
    # A need mostly on axis 1, a little closer to the generalist's items than to specialist 1's.
    need = unit(3.0 * AXES[1] + AXES[2] + AXES[3] + AXES[4] + AXES[5])
    plain = rank_experts(need, profiles, items, top_k=2, diversity_lambda=0, generality_weight=0)
    discounted = rank_experts(need, profiles, items, top_k=2, diversity_lambda=0)
    assert plain[0].person.person_id == "general"
    assert discounted[0].person.person_id == "s1"
    everyone = rank_experts(need, profiles, items, top_k=6, diversity_lambda=0, generality_weight=0)
    raw = {match.person.person_id: match.score for match in everyone}
    index = build_expert_index(profiles, items)
    expected = raw["s1"] - GENERALITY_WEIGHT * float(index.generality[index.positions["s1"]])
    assert discounted[0].score == pytest.approx(expected, abs=1e-5)


def test_the_floor_is_on_meaning_before_the_discount() -> None:
    profiles, items = directory()
    need = unit(AXES[1] + 0.2 * AXES[6])
    plain = rank_experts(need, profiles, items, top_k=1, diversity_lambda=0, generality_weight=0)
    floor = plain[0].score - 1e-3
    kept = rank_experts(
        need, profiles, items, top_k=1, diversity_lambda=0, min_score=floor, generality_weight=2.0
    )
    # Discounted below the floor, still suggested: the floor says whether someone fits, not the order.
    assert [m.person.person_id for m in kept] == ["s1"]
    assert kept[0].score < floor


def test_a_sentence_sub_index_keeps_the_directory_generality() -> None:
    profiles, items = directory()
    index = build_expert_index(profiles, items)
    sub, _ = sentence_rerank_index(index, ["general", "s2"], AXES[2], AXES[[2, 3]])
    assert sub.generality.tolist() == pytest.approx(
        [index.generality[index.positions["general"]], index.generality[index.positions["s2"]]]
    )
    ranked = rank_indexed_experts(unit(AXES[2]), sub, diversity_lambda=0)
    assert {m.person.person_id for m in ranked} == {"general", "s2"}


def test_each_person_averages_their_own_neighbours_however_uneven_the_profiles() -> None:
    # One person with many items must not shrink everyone's neighbourhood to what they have in reach
    # (found in review): the others still average their GENERALITY_NEIGHBOURS closest items.
    rng = np.random.default_rng(3)
    counts = np.array([1, 60, 3])
    matrix = rng.standard_normal((int(counts.sum()), 8)).astype(np.float32)
    generality = profile_generality(matrix, counts)
    units = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    owner = np.repeat(np.arange(3), counts)
    for person in range(3):
        centroid = units[owner == person].sum(axis=0)
        centroid /= np.linalg.norm(centroid)
        others = np.sort(units[owner != person] @ centroid)[::-1][:GENERALITY_NEIGHBOURS]
        assert generality[person] == pytest.approx(float(others.mean()), abs=1e-5)
