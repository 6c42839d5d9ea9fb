"""Tests for bot.domain.matching: resolving typed project and people names."""

from __future__ import annotations

import dataclasses
import random
import time

import pytest

from bot.domain.matching import (
    ALTERNATIVE_FLOOR,
    CONFIDENT_MARGIN,
    CONFIDENT_SCORE,
    MAX_ALTERNATIVES,
    PLAUSIBLE_SCORE,
    Candidate,
    Match,
    MatchKind,
    match_name,
)

# The demo workspace (bot/data/adtech-alliance.yaml), copied so domain tests do no I/O.
PROJECTS = (
    Candidate("bidshade", "Bid shading for first-price auctions"),
    Candidate("pcm", "Privacy-preserving conversion measurement"),
    Candidate("fatigue", "Creative fatigue in video ads"),
    Candidate("uplift", "Uplift modelling for campaign incrementality"),
    Candidate("brandsafe", "Multilingual brand safety classifier"),
    Candidate("fairdelivery", "Fairness audit of ad delivery"),
    Candidate("consentux", "Consent dialog redesign"),
)
PRIVACY_BUDGET = Candidate("budget", "Privacy budget accounting")

PEOPLE = (
    Candidate("U01MLKOV", "Lena Kovalenko"),
    Candidate("U01MLOSEI", "Kwame Osei"),
    Candidate("U01MLHARA", "Prof. Yuki Harada"),
    Candidate("U02ECBANE", "Prof. Ingrid Banerjee"),
    Candidate("U02ECMORA", "Diego Morales"),
    Candidate("U03MSLIND", "Dr. Sofia Lindqvist"),
    Candidate("U03MSRAO", "Priya Rao"),
    Candidate("U04CPMUEL", "Dr. Hannah Müller"),
    Candidate("U04CPADEY", "Dr. Tunde Adeyemi"),
    Candidate("U05PLDUBO", "Prof. Camille Dubois"),
    Candidate("U05PLNOVA", "Marek Novak"),
    Candidate("U06CRWONG", "Dr. Mei Wong"),
    Candidate("U06CRSILV", "Rafael Silva"),
    Candidate("U07STNAKA", "Dr. Kenji Nakamura"),
    Candidate("U07STGARC", "Lucia García"),
    Candidate("U08NLPETR", "Dr. Alexei Petrov"),
    Candidate("U08NLKIMJ", "Ji-woo Kim"),
    Candidate("U09CVFERR", "Dr. Giulia Ferraro"),
    Candidate("U10HCOKON", "Dr. Chidi Okonkwo"),
    Candidate("U11DEJANS", "Pieter Jansen"),
    Candidate("U11DEAHME", "Sara Ahmed"),
    Candidate("U12ETSTEI", "Prof. Rebecca Stein"),
    Candidate("U13PMTANA", "Oliver Tanaka"),
    Candidate("U14CRBELL", "Isabelle Bell"),
)


def _keys(match: Match) -> list[str]:
    return [c.key for c in match.alternatives]


def _assert_well_formed(match: Match) -> None:
    assert len(match.alternatives) <= MAX_ALTERNATIVES
    assert len({c.key for c in match.alternatives}) == len(match.alternatives)
    if match.kind is MatchKind.EXACT:
        assert match.best is not None
        assert match.alternatives == ()
    elif match.kind is MatchKind.CONFIDENT:
        assert match.best is not None
        assert match.alternatives[0] == match.best
    elif match.kind is MatchKind.AMBIGUOUS:
        assert match.best is None
        assert match.alternatives
    else:
        assert match.best is None


# --- Projects ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("bidshade", "bidshade"),
        ("BIDSHADE", "bidshade"),
        ("bid shade", "bidshade"),
        ("bid-shade", "bidshade"),
        ("bid_shade", "bidshade"),
        ("  BidShade  ", "bidshade"),
        ("pcm", "pcm"),
        ("PCM", "pcm"),
        ("fair delivery", "fairdelivery"),
        ("Consent-UX", "consentux"),
        ("uplift", "uplift"),
        ("Bid shading for first-price auctions", "bidshade"),
        ("bid shading for first price auctions", "bidshade"),
        ("PRIVACY-PRESERVING CONVERSION MEASUREMENT", "pcm"),
        ("Consent dialog redesign", "consentux"),
    ],
)
def test_exact_project_key_or_name(query: str, key: str) -> None:
    match = match_name(query, PROJECTS)
    assert match.kind is MatchKind.EXACT
    assert match.best is not None and match.best.key == key
    assert match.alternatives == ()


@pytest.mark.parametrize(
    ("query", "key"),
    [
        # Partial names.
        ("bid shading", "bidshade"),
        ("Bid Shading", "bidshade"),
        ("shading", "bidshade"),
        ("first price", "bidshade"),
        ("auctions", "bidshade"),
        ("conversion measurement", "pcm"),
        ("measurement", "pcm"),
        ("fairness audit", "fairdelivery"),
        ("fairness", "fairdelivery"),
        ("ad delivery", "fairdelivery"),
        ("creative fatigue", "fatigue"),
        ("video ads", "fatigue"),
        ("uplift modelling", "uplift"),
        ("incrementality", "uplift"),
        ("campaign", "uplift"),
        ("brand safety", "brandsafe"),
        ("multilingual", "brandsafe"),
        ("classifier", "brandsafe"),
        ("consent", "consentux"),
        ("consent dialog", "consentux"),
        ("redesign", "consentux"),
        # Part of a key.
        ("shade", "bidshade"),
        ("bidshading", "bidshade"),
        # Typos.
        ("brandsaf", "brandsafe"),
        ("fatige", "fatigue"),
        ("bid shadng", "bidshade"),
        ("uplift modeling", "uplift"),
        ("incrementalty", "uplift"),
        ("multilingal", "brandsafe"),
        ("consnet dialog", "consentux"),
        ("fairnes audit", "fairdelivery"),
    ],
)
def test_confident_project_match(query: str, key: str) -> None:
    match = match_name(query, PROJECTS)
    assert match.kind is MatchKind.CONFIDENT, match
    assert match.best is not None and match.best.key == key
    _assert_well_formed(match)


def test_shared_word_is_ambiguous_and_ties_break_by_key() -> None:
    match = match_name("privacy", (*PROJECTS, PRIVACY_BUDGET))
    assert match.kind is MatchKind.AMBIGUOUS
    assert match.best is None
    assert _keys(match)[:2] == ["budget", "pcm"]


def test_typo_in_one_of_two_similar_names_is_still_confident() -> None:
    match = match_name("privcy budget", (*PROJECTS, PRIVACY_BUDGET))
    assert match.kind is MatchKind.CONFIDENT
    assert match.best == PRIVACY_BUDGET


@pytest.mark.parametrize("query", ["quantum chromodynamics", "quantum", "weather forecast", "mobile games"])
def test_unrelated_query_matches_nothing(query: str) -> None:
    match = match_name(query, PROJECTS)
    assert match == Match(MatchKind.NONE, None, ())


def test_weak_match_is_none_but_offered_as_alternative() -> None:
    match = match_name("bidding", PROJECTS)
    assert match.kind is MatchKind.NONE
    assert match.best is None
    assert _keys(match) == ["bidshade"]


@pytest.mark.parametrize("query", ["", "   ", "--", "_ - _"])
def test_empty_query_is_none(query: str) -> None:
    assert match_name(query, PROJECTS) == Match(MatchKind.NONE, None, ())


def test_no_candidates_is_none() -> None:
    assert match_name("bidshade", []) == Match(MatchKind.NONE, None, ())


def test_single_character_only_matches_exactly() -> None:
    assert match_name("x", PROJECTS).kind is MatchKind.NONE
    assert match_name("b", PROJECTS).kind is MatchKind.NONE
    only_x = match_name("X", (Candidate("x", "Project X"), *PROJECTS))
    assert only_x.kind is MatchKind.EXACT


@pytest.mark.parametrize("query", ["of", "for", "the"])
def test_filler_word_alone_is_never_confident(query: str) -> None:
    match = match_name(query, PROJECTS)
    assert match.kind in (MatchKind.AMBIGUOUS, MatchKind.NONE)
    assert match.best is None


def test_short_query_does_not_match_inside_words() -> None:
    # "li" appears inside "Oliver" and "Lindqvist", which is no reason to pick either.
    assert match_name("li", PEOPLE).kind is MatchKind.NONE


# --- People ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("Kwame Osei", "U01MLOSEI"),
        ("kwame osei", "U01MLOSEI"),
        ("U01MLOSEI", "U01MLOSEI"),
        ("u01mlosei", "U01MLOSEI"),
        ("Prof. Ingrid Banerjee", "U02ECBANE"),
        ("lucia garcia", "U07STGARC"),  # accents folded
        ("Lucia García", "U07STGARC"),
        ("ji woo kim", "U08NLKIMJ"),
    ],
)
def test_exact_person(query: str, key: str) -> None:
    match = match_name(query, PEOPLE)
    assert match.kind is MatchKind.EXACT
    assert match.best is not None and match.best.key == key


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("kwame", "U01MLOSEI"),
        ("osei", "U01MLOSEI"),
        ("Prof. Banerjee", "U02ECBANE"),
        ("banerjee", "U02ECBANE"),
        ("banerje", "U02ECBANE"),
        ("ingrid", "U02ECBANE"),
        ("lena k", "U01MLKOV"),
        ("lena", "U01MLKOV"),
        ("kovalenco", "U01MLKOV"),
        ("hannah muller", "U04CPMUEL"),
        ("Hannah Müller", "U04CPMUEL"),
        ("mueller", "U04CPMUEL"),
        ("dr muller", "U04CPMUEL"),
        ("tanaka", "U13PMTANA"),
        ("nakamura", "U07STNAKA"),
        ("kenji", "U07STNAKA"),
        ("kim", "U08NLKIMJ"),
        ("jiwoo", "U08NLKIMJ"),
        ("sofia", "U03MSLIND"),
        ("priya", "U03MSRAO"),
        ("rao", "U03MSRAO"),
        ("alexei", "U08NLPETR"),
        ("giulia", "U09CVFERR"),
        ("isabelle", "U14CRBELL"),
        ("sarah", "U11DEAHME"),
        ("pieter", "U11DEJANS"),
        ("rebecca stein", "U12ETSTEI"),
    ],
)
def test_confident_person(query: str, key: str) -> None:
    match = match_name(query, PEOPLE)
    assert match.kind is MatchKind.CONFIDENT, match
    assert match.best is not None and match.best.key == key
    _assert_well_formed(match)


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("sophia", "U03MSLIND"),  # close to Sofia, but not a safe guess
        ("julia", "U09CVFERR"),  # Giulia?
    ],
)
def test_near_miss_person_is_ambiguous(query: str, first: str) -> None:
    match = match_name(query, PEOPLE)
    assert match.kind is MatchKind.AMBIGUOUS
    assert _keys(match)[0] == first


@pytest.mark.parametrize("query", ["prof", "Dr.", "dr"])
def test_title_alone_is_ambiguous(query: str) -> None:
    match = match_name(query, PEOPLE)
    assert match.kind is MatchKind.AMBIGUOUS
    assert len(match.alternatives) == MAX_ALTERNATIVES
    titled = {c.key for c in PEOPLE if c.name.lower().startswith(query.lower().rstrip("."))}
    assert set(_keys(match)) <= titled


def test_shared_first_name_is_ambiguous() -> None:
    people = (*PEOPLE, Candidate("U99NEWSHAH", "Priya Shah"))
    match = match_name("priya", people)
    assert match.kind is MatchKind.AMBIGUOUS
    assert _keys(match)[:2] == ["U03MSRAO", "U99NEWSHAH"]
    assert match_name("priya shah", people).best == Candidate("U99NEWSHAH", "Priya Shah")


def test_two_people_with_the_same_name_are_ambiguous_not_exact() -> None:
    people = (*PEOPLE, Candidate("U00OTHERRAO", "Priya Rao"))
    match = match_name("Priya Rao", people)
    assert match.kind is MatchKind.AMBIGUOUS
    assert match.best is None
    assert _keys(match) == ["U00OTHERRAO", "U03MSRAO"]
    # The Slack id still picks one exactly.
    assert match_name("U03MSRAO", people).kind is MatchKind.EXACT


def test_name_fragment_inside_opaque_id_is_ignored() -> None:
    # A Slack id that happens to contain "OSEI" must not compete with Kwame Osei.
    people = (*PEOPLE, Candidate("U9OSEI123", "Maria Lopez"))
    match = match_name("osei", people)
    assert match.kind is MatchKind.CONFIDENT
    assert match.best is not None and match.best.key == "U01MLOSEI"
    assert "U9OSEI123" not in _keys(match)


def test_unrelated_person_query_is_none() -> None:
    assert match_name("quantum chromodynamics", PEOPLE) == Match(MatchKind.NONE, None, ())


# --- Rules across the board --------------------------------------------------------------------------


def test_exact_key_wins_over_another_candidates_exact_name() -> None:
    candidates = (Candidate("zzz", "pcm"), *PROJECTS)
    match = match_name("pcm", candidates)
    assert match.kind is MatchKind.EXACT
    assert match.best is not None and match.best.key == "pcm"


def test_identical_names_tie_break_by_key() -> None:
    candidates = (Candidate("b-budget", "Privacy budget"), Candidate("a-budget", "Privacy budget"))
    match = match_name("privacy", candidates)
    assert match.kind is MatchKind.AMBIGUOUS
    assert _keys(match) == ["a-budget", "b-budget"]


@pytest.mark.parametrize(
    "query", ["privacy", "bid shading", "fatige", "quantum", "prof", "lena k", "priya", "bidding", "for"]
)
def test_result_does_not_depend_on_candidate_order(query: str) -> None:
    candidates = [*PROJECTS, PRIVACY_BUDGET, *PEOPLE, Candidate("U99NEWSHAH", "Priya Shah")]
    expected = match_name(query, candidates)
    rng = random.Random(20261120)
    for _ in range(5):
        shuffled = candidates[:]
        rng.shuffle(shuffled)
        assert match_name(query, shuffled) == expected


@pytest.mark.parametrize(
    "query",
    ["privacy", "bid shading", "fatige", "prof", "dr", "a", "ad", "of", "kim", "u", "1", "x y z", "bidding"],
)
def test_every_result_is_well_formed(query: str) -> None:
    _assert_well_formed(match_name(query, (*PROJECTS, PRIVACY_BUDGET)))
    _assert_well_formed(match_name(query, PEOPLE))


def _synthetic_candidates(count: int, seed: int) -> list[Candidate]:
    words = (
        "graph neural ranking query latency cache fraud detection survey panel lookalike audience",
        "pacing reach frequency creative budget bidding attribution viewability supply chain header",
        "identity cookie context retrieval forecast inventory clearing floor",
    )
    vocabulary = [word for line in words for word in line.split()]
    rng = random.Random(seed)
    names = [" ".join(rng.sample(vocabulary, rng.randint(2, 5))).capitalize() for _ in range(count)]
    return [Candidate(f"proj{i:04d}", name) for i, name in enumerate(names)]


def test_fast_and_correct_with_a_thousand_candidates() -> None:
    candidates = _synthetic_candidates(993, seed=7) + list(PROJECTS)
    started = time.perf_counter()
    results = {
        query: match_name(query, candidates)
        for query in ("bid shading", "conversion measurement", "fatige", "brandsaf", "quantum chromodynamics")
    }
    elapsed = time.perf_counter() - started
    assert elapsed < 2.5, f"5 queries over 1,000 candidates took {elapsed:.2f}s"
    for query, key in [
        ("bid shading", "bidshade"),
        ("conversion measurement", "pcm"),
        ("fatige", "fatigue"),
        ("brandsaf", "brandsafe"),
    ]:
        best = results[query].best
        assert best is not None and best.key == key, query
    assert results["quantum chromodynamics"].kind is MatchKind.NONE


def test_thresholds_are_ordered() -> None:
    assert 0 < ALTERNATIVE_FLOOR < PLAUSIBLE_SCORE < CONFIDENT_SCORE <= 100
    assert 0 < CONFIDENT_MARGIN < CONFIDENT_SCORE - PLAUSIBLE_SCORE + CONFIDENT_MARGIN


def test_value_types_are_frozen_and_kind_is_a_string() -> None:
    match = match_name("pcm", PROJECTS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.kind = MatchKind.NONE  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROJECTS[0].key = "other"  # type: ignore[misc]
    assert MatchKind("confident") is MatchKind.CONFIDENT
    assert f"{MatchKind.AMBIGUOUS}" == "ambiguous"
    assert [kind.value for kind in MatchKind] == ["exact", "confident", "ambiguous", "none"]
