"""Keyword evidence of the expert ranking: the matching rule, its index, and how ranking uses it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bot.domain.experts.keywords import (
    KEYWORD_MATCH,
    KEYWORD_WEIGHT,
    MAX_QUERY_WORDS,
    KeywordIndex,
    KeywordMatch,
    fold,
    keyword_share,
)
from bot.domain.experts.profiles import OVER_CAP_NOTE, ExpertProfile, ProfileItem
from bot.domain.experts.ranking import rank_by_keywords, rank_experts

TEXTS = {
    "wong": [
        "Secure multi-party computation, differential privacy for aggregate measurement APIs.",
        "Differentially private aggregate reporting for advertising APIs",
        "Cryptography & security",
    ],
    "jansen": ["Streaming pipelines with Kafka and Flink", "Data engineering"],
    "dubois": ["Consent fatigue and the legality of cookie walls under the GDPR", "Privacy law & policy"],
    "stein": ["Algorithmic fairness, discrimination in ad delivery", "Économie et équité"],
}
QUERIES = [
    "differential privacy",
    "kafka pipelines",
    "kafak pipeline",  # typos
    "consent law for cookie walls",
    "cookie wall GDPR",
    "economie",  # accents are folded
    "algorithmic fairness in ad delivery",
    "of",  # nothing to look for
    "sourdough bread recipe",
]


@pytest.mark.parametrize("query", QUERIES)
def test_index_gives_the_shares_of_the_one_text_rule(query: str) -> None:
    found = KeywordIndex(TEXTS).matches(query)
    for person, texts in TEXTS.items():
        shares = [keyword_share(query, text) for text in texts]
        best = max(shares)
        if best == 0:
            assert person not in found
            continue
        assert found[person].share == pytest.approx(best)
        assert found[person].text == texts[shares.index(best)]  # the first best text


def test_word_forms_typos_and_accents_count_and_short_words_do_not() -> None:
    # "differential" in "differentially" by ratio (92.3), "privacy" in "private" by its prefix (90).
    assert keyword_share("differential privacy", TEXTS["wong"][1]) == pytest.approx(
        (92.3 + 90) / 200, abs=1e-3
    )
    assert keyword_share("kafak", "Kafka and Flink") == pytest.approx(0.8)  # a swap: ratio 80, just enough
    assert keyword_share("bread", "breakfast") == 0.0  # neither close enough nor sharing five letters
    assert keyword_share("economie", "Économie et équité") == 1.0
    assert keyword_share("of ad", "of ad") == 0.0


def test_folding_ignores_case_accents_and_punctuation() -> None:
    assert fold("Kafka_&-Flink  2.0, GDPR") == "kafka flink 2 0 gdpr"
    assert fold("Économie et équité — Müller") == "economie et equite muller"


def test_matches_are_strong_from_the_threshold_and_only_then_add_a_bonus() -> None:
    assert KeywordMatch(KEYWORD_MATCH, "x").strong
    assert KeywordMatch(KEYWORD_MATCH, "x").bonus == pytest.approx(KEYWORD_WEIGHT * KEYWORD_MATCH)
    assert not KeywordMatch(KEYWORD_MATCH - 0.01, "x").strong
    assert KeywordMatch(KEYWORD_MATCH - 0.01, "x").bonus == 0.0


def test_long_queries_are_matched_by_meaning_alone() -> None:
    index = KeywordIndex(TEXTS)
    query = " ".join(["kafka"] * (MAX_QUERY_WORDS + 1))
    assert index.matches(query) == {}
    assert "jansen" in index.matches(" ".join(["kafka"] * MAX_QUERY_WORDS))


# --- ranking with keyword evidence ------------------------------------------------------------------

DIMENSION = 4
QUERY = np.eye(DIMENSION, dtype=np.float32)[0]


def _item(person: str, similarity: float) -> ProfileItem:
    vector = np.zeros(DIMENSION, dtype=np.float32)
    vector[0], vector[1] = similarity, math.sqrt(1 - similarity**2)
    return ProfileItem(person, "expertise", f"{person} text", vector)


PROFILES = [
    ExpertProfile("near", "Near", "economics"),
    ExpertProfile("words", "Words", "law"),
    ExpertProfile("far", "Far", "statistics"),
]
ITEMS = [_item("near", 0.5), _item("words", 0.1), _item("far", 0.05)]


def test_a_keyword_match_passes_the_floor_and_adds_its_bonus() -> None:
    matches = {"words": KeywordMatch(1.0, "the exact words"), "far": KeywordMatch(0.5, "some words")}
    ranked = rank_experts(
        QUERY,
        PROFILES,
        ITEMS,
        min_score=0.3,
        keyword_matches=matches,
        diversity_lambda=0,
        generality_weight=0,
    )
    assert [m.person.person_id for m in ranked] == ["words", "near"]  # "far" is a weak match: below the floor
    assert ranked[0].score == pytest.approx(0.1 + KEYWORD_WEIGHT, abs=1e-6)
    assert ranked[0].keyword_text == "the exact words" and ranked[1].keyword_text is None
    assert ranked[0].matched_items  # still explained by its best items too


def test_without_keyword_matches_the_ranking_is_unchanged() -> None:
    plain = rank_experts(QUERY, PROFILES, ITEMS, min_score=0.3)
    assert [m.person.person_id for m in plain] == ["near"]
    assert rank_experts(QUERY, PROFILES, ITEMS, min_score=0.3, keyword_matches={}) == plain


def test_keywords_alone_rank_strong_matches_by_share_then_name_with_caps_and_exclusions_kept() -> None:
    profiles = [
        ExpertProfile("a", "Zoe", "law"),
        ExpertProfile("b", "Ann", "law"),
        ExpertProfile("c", "Bob", "economics", over_cap=True),
        ExpertProfile("d", "Cid", "economics"),
        ExpertProfile("e", "Eve", "statistics", opted_out=True),
    ]
    matches = {p.person_id: KeywordMatch(0.8, f"{p.name} text") for p in profiles}
    matches["a"] = KeywordMatch(1.0, "all the words")
    matches["d"] = KeywordMatch(0.4, "weak")
    ranked = rank_by_keywords(profiles, matches, top_k=5, exclude_person_ids={"zz"})
    assert [m.person.person_id for m in ranked] == ["a", "b", "c"]
    assert ranked[0].keyword_text == "all the words" and ranked[0].matched_items == ()
    assert ranked[2].note == OVER_CAP_NOTE
    assert [m.person.person_id for m in rank_by_keywords(profiles, matches, exclude_disciplines={"LAW"})] == [
        "c"
    ]
    assert rank_by_keywords(profiles, matches, top_k=1, exclude_person_ids={"a"})[0].person.person_id == "b"


def test_a_headline_word_counts_in_every_text_of_its_person() -> None:
    index = KeywordIndex(
        {
            "dubois": ["Consent fatigue and the legality of cookie walls under the GDPR"],
            "okonkwo": ["Dark patterns in cookie consent banners", "Usability studies of consent dialogs"],
        },
        headlines={
            "dubois": "Professor of Information Law · Privacy law & policy",
            "okonkwo": "HCI Researcher · Human-computer interaction",
        },
    )
    found = index.matches("consent law")
    # "consent" in her paper, "law" in her discipline: the paper is the match that explains her.
    assert found["dubois"].strong
    assert found["dubois"].share == pytest.approx(1.0)
    assert found["dubois"].text.startswith("Consent fatigue")
    # Consent without law is half the query: not a keyword match.
    assert found["okonkwo"].share == pytest.approx(0.5)
    assert not found["okonkwo"].strong
    # A headline alone is a text of its own.
    assert (
        index.matches("information law")["dubois"].text
        == "Professor of Information Law · Privacy law & policy"
    )
    # People with a headline and no texts still count.
    assert KeywordIndex({}, headlines={"x": "Privacy law"}).matches("privacy law")["x"].share == 1.0
