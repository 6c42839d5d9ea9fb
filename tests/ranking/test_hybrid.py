"""The hybrid ranking: TF-IDF cosine per item (`bot.domain.experts.lexical`) added to the embedding."""

from __future__ import annotations

import numpy as np
import pytest

from bot.domain.experts.index import build_expert_index
from bot.domain.experts.lexical import STOP_WORDS, build_lexical_index, terms
from bot.domain.experts.profiles import ExpertProfile, ProfileItem
from bot.domain.experts.ranking import rank_experts, rank_indexed_experts, score_people

TEXTS = [
    "Valid consent under the GDPR and the ePrivacy directive",
    "Consent dialogs and dark patterns in cookie banners",
    "Zero-knowledge proofs of consent for auditors",
    "Budget pacing for advertising campaigns",
]


def test_terms_fold_case_and_accents_drop_stop_words_and_merge_plurals() -> None:
    assert terms("The Auctions of Café studies, for the GDPR") == ["auction", "cafe", "gdpr"]
    assert "research" in STOP_WORDS and "consent" not in STOP_WORDS


def test_similarities_are_cosines_of_tfidf_vectors() -> None:
    index = build_lexical_index(TEXTS)
    # A text is most similar to itself: cosine 1.
    assert index.similarities(TEXTS[3])[3] == pytest.approx(1.0, abs=1e-6)
    consent = index.similarities("consent")
    assert consent[3] == 0.0 and all(consent[:3] > 0)
    # "epriv acy"-style rare words weigh more than common ones: ePrivacy occurs once, consent thrice.
    rare = index.similarities("ePrivacy consent")
    assert rare[0] > rare[1] and rare[0] > rare[2]
    # Unknown or stop words only: zeros, never NaN.
    assert not index.similarities("the of sourdough").any()
    assert build_lexical_index([]).similarities("consent").shape == (0,)


def test_naive_tfidf_cosine_agrees() -> None:
    index = build_lexical_index(TEXTS)
    vocabulary = sorted({term for text in TEXTS for term in terms(text)})
    df = {term: sum(term in terms(text) for text in TEXTS) for term in vocabulary}

    def vector(text: str) -> np.ndarray:
        words = terms(text)
        raw = np.array(
            [
                (1 + np.log(words.count(t))) * (np.log((1 + len(TEXTS)) / (1 + df[t])) + 1)
                if t in words
                else 0.0
                for t in vocabulary
            ]
        )
        norm = np.linalg.norm(raw)
        return raw / norm if norm else raw

    query = "consent for GDPR cookie banners and consent dialogs"
    expected = np.array([vector(query) @ vector(text) for text in TEXTS])
    assert index.similarities(query) == pytest.approx(expected, abs=1e-5)


def _items(vectors: dict[str, list[list[float]]]) -> tuple[list[ExpertProfile], list[ProfileItem]]:
    profiles = [ExpertProfile(person, person, "d") for person in vectors]
    items = [
        ProfileItem(
            person, "publication", f"{person} {n}", np.asarray(v, dtype=np.float32) / np.linalg.norm(v)
        )
        for person, rows in vectors.items()
        for n, v in enumerate(rows)
    ]
    return profiles, items


def test_item_boost_reorders_people_and_is_aligned_with_the_items_given() -> None:
    # ana and ben tie on meaning; ben's second item holds the need's words.
    profiles, items = _items({"ana": [[1, 0], [1, 1]], "ben": [[1, 0], [1, 1]]})
    interleaved = [items[0], items[2], items[1], items[3]]  # ana, ben, ana, ben
    boost = np.array([0.0, 0.0, 0.0, 0.4], dtype=np.float32)  # ben's second item
    query = np.array([1.0, 0.0], dtype=np.float32)
    plain = score_people(query, interleaved)
    boosted = score_people(query, interleaved, item_boost=boost)
    assert plain["ana"].score == pytest.approx(plain["ben"].score)
    assert boosted["ben"].score == pytest.approx(plain["ben"].score + 0.4 / 2)  # topk:3 of 2 items
    assert boosted["ana"].score == pytest.approx(plain["ana"].score)
    ranked = rank_experts(query, profiles, interleaved, top_k=2, diversity_lambda=0.0, item_boost=boost)
    assert [match.person.person_id for match in ranked] == ["ben", "ana"]
    # Explanations go by meaning: ben's first item is the closer one.
    assert ranked[0].matched_items[0].item.text == "ben 0"
    assert boosted["ben"].best_items[0].item.text == "ben 0"


def test_the_floor_is_on_meaning_so_shared_words_alone_do_not_pass_it() -> None:
    profiles, items = _items({"ana": [[1, 0]], "ben": [[0.15, 1]]})
    query = np.array([1.0, 0.0], dtype=np.float32)
    boost = np.array([0.0, 0.5], dtype=np.float32)
    ranked = rank_experts(query, profiles, items, min_score=0.3, item_boost=boost)
    assert [match.person.person_id for match in ranked] == ["ana"]
    # Above the floor, the boost reorders.
    ranked = rank_experts(query, profiles, items, min_score=0.1, item_boost=np.array([0.0, 0.95], np.float32))
    assert [match.person.person_id for match in ranked] == ["ben", "ana"]


def test_half_precision_pass_with_a_boost_equals_the_exact_pass() -> None:
    pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    people, dimension = 2000, 16
    profiles = [ExpertProfile(f"p{i}", f"p{i}", f"d{i % 5}") for i in range(people)]
    vectors = rng.standard_normal((people * 3, dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    items = [ProfileItem(f"p{row // 3}", "publication", f"t{row}", vectors[row]) for row in range(people * 3)]
    exact = build_expert_index(profiles, items)
    fast = build_expert_index(profiles, items, half_precision_min_items=100)
    assert fast.half_precision is not None
    for _ in range(20):
        query = rng.standard_normal(dimension).astype(np.float32)
        boost = np.where(rng.random(len(items)) < 0.02, rng.random(len(items)), 0.0).astype(np.float32) * 0.5
        want = rank_indexed_experts(query, exact, item_boost=boost, min_score=0.1)
        got = rank_indexed_experts(query, fast, item_boost=boost, min_score=0.1)
        assert [m.person.person_id for m in got] == [m.person.person_id for m in want]
        assert [m.score for m in got] == pytest.approx([m.score for m in want], abs=1e-6)
