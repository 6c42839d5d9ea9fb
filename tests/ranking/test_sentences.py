"""Sentence-level matching of long needs: scoring, the two-stage re-rank, and the derived dev set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.domain.experts.aggregation import DEFAULT_AGGREGATION
from bot.domain.experts.index import build_expert_index, with_over_cap
from bot.domain.experts.profiles import ExpertProfile, ProfileItem
from bot.domain.experts.ranking import rank_indexed_experts
from bot.domain.experts.sentences import (
    SENTENCE_WEIGHT,
    sentence_boost,
    sentence_rerank_index,
    split_sentences,
)
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.experts.evaluation import embed_evaluation_set, load_evaluation_set, score_evaluation_set

PROJECTS = Path(__file__).resolve().parents[1] / "data" / "experts_dev_projects.json"


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_split_sentences() -> None:
    assert split_sentences("Measure lift.  Keep it legal?  Ship it!  Ship it!") == [
        "Measure lift.",
        "Keep it legal?",
        "Ship it!",
    ]
    assert split_sentences("One sentence, no end") == ["One sentence, no end"]
    assert split_sentences("  ") == []


def test_an_items_similarity_is_the_mean_of_whole_and_best_sentence() -> None:
    items = np.stack([unit(1, 0, 0), unit(0, 1, 0)])
    whole = unit(1, 1, 1)
    sentences = np.stack([unit(1, 0, 0), unit(0, 0, 1)])
    boost = sentence_boost(items, whole, sentences)
    similarity = items @ whole + boost
    expected = (1 - SENTENCE_WEIGHT) * (items @ whole) + SENTENCE_WEIGHT * np.array([1.0, 0.0])
    assert similarity == pytest.approx(expected, abs=1e-6)


def _directory() -> tuple[list[ExpertProfile], list[ProfileItem]]:
    # A need with two sentences (directions x and y). "gen" half-fits both, "x1" fits sentence x exactly.
    rows = {
        "gen": [unit(1, 1, 0.3), unit(1, 1, 0.4)],
        "x1": [unit(1, 0, 0), unit(1, 0.05, 0)],
        "far": [unit(0, 0, 1)],
        "mate": [unit(1, 1, 0.2)],
    }
    profiles = [ExpertProfile(person, person, f"d-{person}") for person in rows]
    items = [
        ProfileItem(person, "publication", f"{person} {n}", v)
        for person, vs in rows.items()
        for n, v in enumerate(vs)
    ]
    return profiles, items


def test_the_re_rank_lifts_the_person_who_fits_one_sentence_exactly() -> None:
    profiles, items = _directory()
    index = with_over_cap(build_expert_index(profiles, items), {"mate"})
    whole, sentences = unit(1, 1, 0), np.stack([unit(1, 0, 0), unit(0, 1, 0)])
    retrieved = rank_indexed_experts(whole, index, top_k=10, diversity_lambda=0.0, min_score=0.2)
    assert [m.person.person_id for m in retrieved][:2] == ["gen", "x1"] and "far" not in {
        m.person.person_id for m in retrieved
    }
    sub, boost = sentence_rerank_index(index, [m.person.person_id for m in retrieved], whole, sentences)
    assert [p.person_id for p in sub.profiles] == [m.person.person_id for m in retrieved]
    assert [p.over_cap for p in sub.profiles] == [p.person_id == "mate" for p in sub.profiles]
    assert len(boost) == len(sub.items)
    reranked = rank_indexed_experts(whole, sub, top_k=3, diversity_lambda=0.0, item_boost=boost)
    assert [m.person.person_id for m in reranked] == ["x1", "gen", "mate"]  # mate is at their cap: last
    # The explanation still names the item closest in meaning to the whole need.
    assert reranked[0].matched_items[0].item.text.startswith("x1")


def test_lexical_boost_is_carried_into_the_re_rank() -> None:
    profiles, items = _directory()
    index = build_expert_index(profiles, items)
    lexical = np.zeros(len(index.items), dtype=np.float32)
    lexical[[i for i, item in enumerate(index.items) if item.person_id == "gen"]] = 0.3
    sub, boost = sentence_rerank_index(
        index, ["x1", "gen"], unit(1, 1, 0), np.stack([unit(1, 0, 0), unit(0, 1, 0)]), lexical
    )
    plain = sentence_rerank_index(
        index, ["x1", "gen"], unit(1, 1, 0), np.stack([unit(1, 0, 0), unit(0, 1, 0)])
    )[1]
    gen_rows = [i for i, item in enumerate(sub.items) if item.person_id == "gen"]
    assert boost[gen_rows] == pytest.approx(plain[gen_rows] + 0.3)


def test_sentence_level_matching_lowers_the_loss_on_the_multi_topic_dev_set() -> None:
    data = load_evaluation_set(PROJECTS)
    assert len(data.queries) == 40 and len(data.documents) == 48
    embedded = embed_evaluation_set(data, HashingEmbedder())
    assert len(embedded.sentence_vectors) == 40
    whole = score_evaluation_set(embedded, DEFAULT_AGGREGATION)
    by_sentence = score_evaluation_set(embedded, DEFAULT_AGGREGATION, sentence_weight=SENTENCE_WEIGHT)
    assert by_sentence.loss < whole.loss - 0.01
