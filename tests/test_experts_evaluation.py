"""Offline evaluation: the pairwise loss, the file format, and the `experts` CLI on the dev set."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from bot.cli.experts import experts
from bot.domain.experts.aggregation import AGGREGATIONS, DEFAULT_AGGREGATION, parse_aggregation
from bot.domain.experts.generality import GENERALITY_WEIGHT
from bot.domain.experts.lexical import DEFAULT_LEXICAL_WEIGHT
from bot.domain.experts.ranking import score_people
from bot.domain.experts.sentences import SENTENCE_WEIGHT
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.experts.evaluation import (
    EvaluationFileError,
    Rating,
    across_people_loss,
    bootstrap_loss_difference,
    embed_evaluation_set,
    evaluate,
    load_evaluation_set,
    pairwise_loss,
    parse_evaluation_set,
    query_folds,
    score_evaluation_set,
    with_hygiene,
)
from bot.experts.suggestion_quality import suggestion_quality

DEV_SET = Path(__file__).resolve().parent / "data" / "experts_dev.json"
LONG_DEV_SET = DEV_SET.with_name("experts_dev_long.json")


def ratings(*rows: tuple[str, str, float]) -> list[Rating]:
    return [Rating(person, query, expertise) for person, query, expertise in rows]


# --- The loss ----------------------------------------------------------------------------------------

EXAMPLE = ratings(
    ("ana", "q1", 5), ("ana", "q2", 3), ("ana", "q3", 1),
    ("ben", "q1", 4), ("ben", "q2", 4), ("ben", "q3", 2),
    ("cy", "q1", 5), ("cy", "q2", 4),
)  # fmt: skip
EXAMPLE_PREDICTIONS = {
    ("ana", "q1"): 0.9, ("ana", "q2"): 0.9, ("ana", "q3"): 0.95,
    ("ben", "q1"): 0.5, ("ben", "q2"): 0.1, ("ben", "q3"): 0.3,
    ("cy", "q1"): 0.2, ("cy", "q2"): 0.2,
}  # fmt: skip


def test_pairwise_loss_on_a_hand_computed_example() -> None:
    # ana: (q1,q2) w=2 tie -> 1.0; (q1,q3) w=4 wrong -> 4; (q2,q3) w=2 wrong -> 2.   cost 7 of 8
    # ben: (q1,q2) equal ratings, skipped; (q1,q3) w=2 right -> 0; (q2,q3) w=2 wrong -> 2.   cost 2 of 4
    # cy:  (q1,q2) w=1 tie -> 0.5.   cost 0.5 of 1
    result = pairwise_loss(EXAMPLE, EXAMPLE_PREDICTIONS)
    assert result.loss == pytest.approx((7 + 2 + 0.5) / (8 + 4 + 1))
    assert result.n_pairs == 6
    # Easy pairs (one >= 4, other <= 2): ana q1/q3 wrong, ben q1/q3 right, ben q2/q3 wrong.
    assert result.n_easy == 3
    assert result.easy_accuracy == pytest.approx(1 / 3)
    # Hard pairs (both >= 4, different): cy q1/q2, a tie, which the accuracies do not count as correct.
    assert result.n_hard == 1
    assert result.hard_accuracy == 0.0
    assert result.per_person == {"ana": (7.0, 8.0), "ben": (2.0, 4.0), "cy": (0.5, 1.0)}


def test_constant_predictor_scores_exactly_one_half() -> None:
    constant = {key: 0.42 for key in EXAMPLE_PREDICTIONS}
    result = pairwise_loss(EXAMPLE, constant)
    assert result.loss == 0.5
    # It resolves no pair.
    assert result.easy_accuracy == 0.0
    assert result.hard_accuracy == 0.0


def test_random_predictions_average_one_half() -> None:
    rng = np.random.default_rng(0)
    losses = [
        pairwise_loss(EXAMPLE, {key: float(rng.random()) for key in EXAMPLE_PREDICTIONS}).loss
        for _ in range(2000)
    ]
    assert float(np.mean(losses)) == pytest.approx(0.5, abs=0.02)


def test_perfect_and_reversed_predictors_score_zero_and_one() -> None:
    truth = {(r.person, r.query): r.expertise for r in EXAMPLE}
    assert pairwise_loss(EXAMPLE, truth).loss == 0.0
    assert pairwise_loss(EXAMPLE, {key: -value for key, value in truth.items()}).loss == 1.0


def test_loss_only_compares_queries_within_one_person() -> None:
    # ben's scores are all higher than ana's, which no within-person pair can see.
    rows = ratings(("ana", "q1", 5), ("ana", "q2", 1), ("ben", "q1", 1), ("ben", "q2", 5))
    predictions = {("ana", "q1"): 0.2, ("ana", "q2"): 0.1, ("ben", "q1"): 0.8, ("ben", "q2"): 0.9}
    assert pairwise_loss(rows, predictions).loss == 0.0


def test_loss_without_pairs_is_nan() -> None:
    result = pairwise_loss(
        ratings(("ana", "q1", 3), ("ana", "q2", 3)), {("ana", "q1"): 1.0, ("ana", "q2"): 0.0}
    )
    assert math.isnan(result.loss)
    assert result.n_pairs == 0


def test_missing_prediction_raises() -> None:
    with pytest.raises(KeyError):
        pairwise_loss(EXAMPLE, {})


def test_bootstrap_difference_of_a_result_with_itself_is_zero() -> None:
    result = pairwise_loss(EXAMPLE, EXAMPLE_PREDICTIONS)
    assert bootstrap_loss_difference(result, result, resamples=200) == (0.0, 0.0, 0.0)
    truth = pairwise_loss(EXAMPLE, {(r.person, r.query): r.expertise for r in EXAMPLE})
    difference, low, high = bootstrap_loss_difference(result, truth, resamples=200)
    assert difference == pytest.approx(result.loss)
    assert 0.0 <= low <= difference <= high <= 1.0


# --- File format and the evaluation pipeline ---------------------------------------------------------


def tiny_set() -> dict[str, Any]:
    return {
        "people": [
            {"id": "ana", "documents": ["auction theory and bid shading", "reserve prices in ad exchanges"]},
            {"id": "ben", "documents": ["eye tracking of video ads", "attention and memory for banners"]},
        ],
        "queries": [
            {"id": "q1", "text": "bid shading for first-price auctions"},
            {"id": "q2", "text": "eye tracking attention to ads"},
        ],
        "ratings": [
            {"person": "ana", "query": "q1", "expertise": 5},
            {"person": "ana", "query": "q2", "expertise": 1},
            {"person": "ben", "query": "q1", "expertise": 1},
            {"person": "ben", "query": "q2", "expertise": 5},
        ],
    }


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "set.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_evaluate_scores_with_the_production_scoring_function(tmp_path: Path) -> None:
    file = write(tmp_path, tiny_set())
    embedder = HashingEmbedder()
    result = evaluate(file, embedder, DEFAULT_AGGREGATION)
    assert result.loss == 0.0
    assert (result.n_pairs, result.n_easy, result.n_hard, result.n_ratings) == (2, 2, 0, 4)
    assert result.aggregation == DEFAULT_AGGREGATION.name
    assert result.model_name == "hashing-v1"

    # Same numbers as scoring by hand with score_people.
    data = load_evaluation_set(file)
    embedded = embed_evaluation_set(data, embedder)
    predictions = {}
    for query_id, vector in embedded.query_vectors.items():
        for person_id, score in score_people(vector, embedded.items, DEFAULT_AGGREGATION).items():
            predictions[(person_id, query_id)] = score.score
    assert pairwise_loss(data.ratings, predictions).loss == result.loss


def test_first_document_is_the_expertise_paragraph(tmp_path: Path) -> None:
    embedded = embed_evaluation_set(load_evaluation_set(write(tmp_path, tiny_set())), HashingEmbedder())
    kinds = [(item.person_id, item.kind) for item in embedded.items]
    assert kinds == [
        ("ana", "expertise"),
        ("ana", "publication"),
        ("ben", "expertise"),
        ("ben", "publication"),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["ratings"].append({"person": "zed", "query": "q1", "expertise": 3}), "unknown person"),
        (lambda d: d["ratings"].append({"person": "ana", "query": "q9", "expertise": 3}), "unknown query"),
        (lambda d: d["ratings"].append({"person": "ana", "query": "q1", "expertise": 4}), "twice"),
        (lambda d: d["ratings"][0].update(expertise=6), "1 to 5"),
        (lambda d: d["ratings"][0].update(expertise=True), "1 to 5"),
        (lambda d: d["people"][0].update(documents=[]), "documents"),
        (lambda d: d["people"].append(dict(d["people"][0])), "duplicate person"),
        (lambda d: d["queries"][0].update(text=" "), "text"),
        (lambda d: d.pop("queries"), "queries must be a list"),
        (lambda d: d["people"][0].update(documents=[{"title": "x"}]), "expertise paragraph"),
        (lambda d: d["people"][0]["documents"].append({"abstract": "no title"}), "title"),
        (lambda d: d["people"][0]["documents"].append({"title": "t", "year": "2020"}), "year"),
        (lambda d: d["people"][0]["documents"].append({"title": "t", "doi": 10}), "doi"),
        (lambda d: d["people"][0]["documents"].append(3), "string or an object"),
    ],
)
def test_malformed_files_are_rejected_with_the_location(change: Any, message: str) -> None:
    data = tiny_set()
    change(data)
    with pytest.raises(EvaluationFileError, match=message):
        parse_evaluation_set(data, source="set.json")


def test_works_as_objects_get_production_hygiene_and_can_be_compared_without_it() -> None:
    data = tiny_set()
    data["people"][0]["documents"] = [
        "auction theory",
        {"title": "Is bid shading optimal?", "abstract": "We test it.", "year": 2024, "doi": "10.1/X"},
        {"title": "Is Bid Shading Optimal", "year": 2024, "doi": "https://doi.org/10.1/x"},
        {"title": "Reserve prices.", "abstract": "Old work.", "year": 2001},
    ]
    parsed = parse_evaluation_set(data)
    assert parsed.documents["ana"] == (
        "auction theory",
        "Is bid shading optimal? We test it.",
        "Reserve prices. Old work.",
    )
    assert parsed.years["ana"] == (None, 2024, 2001)
    assert with_hygiene(parsed, max_works=1).documents["ana"] == (
        "auction theory",
        "Is bid shading optimal? We test it.",
    )
    assert with_hygiene(parsed, hygiene=False).documents["ana"] == (
        "auction theory",
        "Is bid shading optimal?. We test it.",
        "Is Bid Shading Optimal",
        "Reserve prices.. Old work.",
    )


def test_recency_weighting_discounts_old_works_only() -> None:
    data = tiny_set()
    data["people"][0]["documents"] = [
        "economics",
        {"title": "bid shading for first-price auctions", "year": 2004},
        {"title": "eye tracking attention to ads", "year": 2024},
    ]
    embedded = embed_evaluation_set(parse_evaluation_set(data), HashingEmbedder())
    plain = score_evaluation_set(embedded, DEFAULT_AGGREGATION)
    recent = score_evaluation_set(embedded, DEFAULT_AGGREGATION, recency_half_life=5)
    assert recent.aggregation == "topk:3+recency:5"
    # ana's 2004 paper (on q1) counts 1/16, her 2024 one (on q2) in full: q1 loses ground to q2.
    assert recent.predictions[("ana", "q1")] < plain.predictions[("ana", "q1")]
    assert (recent.predictions[("ana", "q1")] - recent.predictions[("ana", "q2")]) < (
        plain.predictions[("ana", "q1")] - plain.predictions[("ana", "q2")]
    )
    # ben has no dated works.
    assert recent.predictions[("ben", "q1")] == plain.predictions[("ben", "q1")]


def test_long_dev_set_has_long_profiles_cross_discipline_needs_and_full_ratings() -> None:
    data = load_evaluation_set(LONG_DEV_SET)
    raw_works = [len(works) for works in data.works.values()]
    assert len(data.documents) == 16 and min(raw_works) >= 5 and max(raw_works) >= 10
    assert len(data.ratings) == len(data.documents) * len(data.queries), "everyone rated for every need"
    # Duplicates (same DOI, or the same title) are in the file and dropped by hygiene.
    assert sum(raw_works) > sum(len(texts) - 1 for texts in data.documents.values())
    by_person: dict[str, set[float]] = {}
    for rating in data.ratings:
        by_person.setdefault(rating.person, set()).add(rating.expertise)
    assert all(len(levels) >= 3 for levels in by_person.values())
    consent = {r.person: r.expertise for r in data.ratings if r.query == "q01"}
    assert consent["L1"] > consent["H1"] > consent["C1"] and consent["L2"] > consent["H1"]
    pacing = {r.person: r.expertise for r in data.ratings if r.query == "q05"}
    assert pacing["O1"] > pacing["H2"] and pacing["O1"] > pacing["V1"]


def test_query_folds_partition_the_queries() -> None:
    data = load_evaluation_set(DEV_SET)
    folds = query_folds(data, 2)
    assert folds[0] | folds[1] == set(data.queries)
    assert not folds[0] & folds[1]
    assert abs(len(folds[0]) - len(folds[1])) <= 1
    with pytest.raises(ValueError):
        query_folds(data, 1)


# --- The dev set and the CLI ----------------------------------------------------------------------------


def test_dev_set_meets_its_contract() -> None:
    raw = json.loads(DEV_SET.read_text(encoding="utf-8"))
    data = load_evaluation_set(DEV_SET)
    assert len(data.documents) >= 40
    assert len(set(data.disciplines.values())) >= 8
    assert len(data.queries) >= 25
    assert len(data.ratings) >= 300
    for person in raw["people"]:
        assert 2 <= len(person["documents"]) - 1 <= 4, person["id"]
    by_person: dict[str, set[float]] = {}
    for rating in data.ratings:
        by_person.setdefault(rating.person, set()).add(rating.expertise)
    assert set(by_person) == set(data.documents), "everyone is rated"
    assert all(len(values) >= 3 for values in by_person.values()), "each person uses at least 3 levels"
    top_rating: dict[str, float] = {}
    for rating in data.ratings:
        top_rating[rating.query] = max(top_rating.get(rating.query, 0.0), rating.expertise)
    assert set(top_rating) == set(data.queries)
    assert min(top_rating.values()) >= 4, "every query has someone strong"


def test_cli_evaluates_the_dev_set_with_the_fake_embedder() -> None:
    result = CliRunner().invoke(
        experts,
        [
            "evaluate",
            str(DEV_SET),
            "--aggregation",
            "all",
            "--fake-embedder",
            "--folds",
            "2",
            "--bootstrap",
            "50",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "embedder hashing-v1" in result.output
    for aggregation in AGGREGATIONS:
        assert aggregation.name in result.output
    default = (
        f"{DEFAULT_AGGREGATION.name}+lex:{DEFAULT_LEXICAL_WEIGHT:g}+sent:{SENTENCE_WEIGHT:g}"
        f"+gen:{GENERALITY_WEIGHT:g}"
    )
    assert f"{default} *" in result.output
    assert "fold 2 loss" in result.output
    assert "mean held-out loss" in result.output
    assert "vs default [95% CI]" in result.output


def test_cli_single_aggregation_prints_one_row() -> None:
    result = CliRunner().invoke(
        experts,
        [
            "evaluate",
            str(DEV_SET),
            *("--aggregation", "lse:0.1", "--lexical-weight", "0", "--sentence-weight", "0"),
            "--fake-embedder",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("lse:0.1")]
    assert len(rows) == 1
    loss = float(rows[0].split()[1])
    expected = evaluate(DEV_SET, HashingEmbedder(), parse_aggregation("lse:0.1")).loss
    assert loss == pytest.approx(expected, abs=5e-4)


def test_cli_lexical_weights_are_rows_scored_like_the_library() -> None:
    result = CliRunner().invoke(
        experts,
        [
            "evaluate",
            str(DEV_SET),
            *("--lexical-weight", "0,0.5", "--sentence-weight", "0", "--generality-weight", "0"),
            "--fake-embedder",
        ],
    )
    assert result.exit_code == 0, result.output
    hybrid = [line for line in result.output.splitlines() if line.startswith("topk:3+lex:0.5")]
    plain = [line for line in result.output.splitlines() if line.startswith("topk:3 ")]
    assert len(hybrid) == len(plain) == 1
    expected = evaluate(DEV_SET, HashingEmbedder(), DEFAULT_AGGREGATION, lexical_weight=0.5).loss
    assert float(hybrid[0].split()[2 if "*" in hybrid[0] else 1]) == pytest.approx(expected, abs=5e-4)
    # The words the hashing embedder shares with the lexical index still leave room for TF-IDF to help.
    assert expected < evaluate(DEV_SET, HashingEmbedder(), DEFAULT_AGGREGATION).loss


def test_cli_evaluates_several_files_with_the_mean_as_json(tmp_path: Path) -> None:
    raw = json.loads(DEV_SET.read_text(encoding="utf-8"))
    half = dict(raw, ratings=raw["ratings"][: len(raw["ratings"]) // 2])
    second = tmp_path / "half.json"
    second.write_text(json.dumps(half), encoding="utf-8")
    scores = tmp_path / "scores.csv"
    result = CliRunner().invoke(
        experts,
        [
            "evaluate",
            str(DEV_SET),
            str(second),
            "--fake-embedder",
            "--lexical-weight",
            "0,0.5",
            "--sentence-weight",
            "0",
            "--generality-weight",
            "0",
            "--json",
            "--dump-scores",
            str(scores),
            "--folds",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [entry["file"] for entry in report["files"]] == [str(DEV_SET), str(second)]
    losses = {
        entry["file"]: {row["configuration"]: row["loss"] for row in entry["results"]}
        for entry in report["files"]
    }
    for configuration in ("topk:3", "topk:3+lex:0.5"):
        mean = (losses[str(DEV_SET)][configuration] + losses[str(second)][configuration]) / 2
        assert report["mean_loss"][configuration] == pytest.approx(mean, abs=1e-6)
    assert report["default"] == (
        f"topk:3+lex:{DEFAULT_LEXICAL_WEIGHT:g}+sent:{SENTENCE_WEIGHT:g}+gen:{GENERALITY_WEIGHT:g}"
    )
    assert len(report["files"][0]["results"][0]["fold_losses"]) == 2
    assert len(report["files"][0]["cross_validation"]) == 2
    # Progress goes to stderr, so stdout is clean JSON.
    assert "embedded 241/241 texts" in result.stderr  # 239 documents and queries, 2 sentences of one
    lines = scores.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "file,configuration,person,query,expertise,score"
    assert len(lines) == 1 + 2 * (536 + len(half["ratings"]))
    # The dumped scores give back the printed loss.
    rows = [line.split(",") for line in lines[1:]]
    dev_plain = [row for row in rows if row[0] == str(DEV_SET) and row[1] == "topk:3"]
    loss = pairwise_loss(
        [Rating(row[2], row[3], float(row[4])) for row in dev_plain],
        {(row[2], row[3]): float(row[5]) for row in dev_plain},
    ).loss
    assert loss == pytest.approx(losses[str(DEV_SET)]["topk:3"], abs=1e-5)


def test_cli_names_the_valid_models_and_takes_the_bundled_name_in_any_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = CliRunner().invoke(experts, ["evaluate", str(DEV_SET), "--model", "mini-lm-typo"])
    assert result.exit_code == 2
    assert "all-MiniLM-L6-v2" in result.output and "local sentence-transformers" in result.output
    assert "directory not found" not in result.output
    chosen: list[str] = []

    def fake_model(name: str) -> HashingEmbedder:
        chosen.append(name)
        return HashingEmbedder()

    monkeypatch.setattr("bot.cli.experts.SentenceTransformerEmbedder", fake_model)
    result = CliRunner().invoke(experts, ["evaluate", str(DEV_SET), "--model", "all-minilm-l6-v2"])
    assert result.exit_code == 0, result.output
    assert chosen == ["all-MiniLM-L6-v2"]


def test_cli_help_has_no_doubled_percent_sign() -> None:
    result = CliRunner().invoke(experts, ["evaluate", "--help"])
    assert result.exit_code == 0
    assert "%%" not in result.output and "--dump-scores" in result.output and "--json" in result.output


def test_cli_rejects_an_unknown_aggregation_and_a_bad_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        experts, ["evaluate", str(DEV_SET), "--aggregation", "median", "--fake-embedder"]
    )
    assert result.exit_code == 2
    assert "unknown aggregation" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(experts, ["evaluate", str(bad), "--fake-embedder"])
    assert result.exit_code == 1
    assert "bad.json" in result.output


def test_cli_diversity_reports_each_weight() -> None:
    result = CliRunner().invoke(experts, ["diversity", str(DEV_SET), "--fake-embedder", "--lambdas", "0,0.3"])
    assert result.exit_code == 0, result.output
    assert "most from one" in result.output


def test_more_diversity_raises_distinct_disciplines_on_the_dev_set() -> None:
    embedded = embed_evaluation_set(load_evaluation_set(DEV_SET), HashingEmbedder())
    plain = suggestion_quality(embedded, DEFAULT_AGGREGATION, 0.0)
    diverse = suggestion_quality(embedded, DEFAULT_AGGREGATION, 0.5)
    assert diverse.mean_disciplines > plain.mean_disciplines
    assert plain.n_queries == len(embedded.query_vectors)


def test_scoring_a_subset_of_queries_uses_only_their_ratings() -> None:
    embedded = embed_evaluation_set(load_evaluation_set(DEV_SET), HashingEmbedder())
    fold = query_folds(embedded.data, 2)[0]
    result = score_evaluation_set(embedded, DEFAULT_AGGREGATION, query_ids=fold)
    assert result.n_ratings == sum(r.query in fold for r in embedded.data.ratings)


def test_evaluate_is_mounted_in_the_liaison_cli() -> None:
    from click.testing import CliRunner

    from bot.cli.main import main

    result = CliRunner().invoke(main, ["experts", "evaluate", str(DEV_SET), "--fake-embedder"])
    assert result.exit_code == 0, result.output
    assert "Pairwise loss" in result.output and "536 ratings" in result.output


def test_across_people_loss_orders_people_for_one_query() -> None:
    ratings = [Rating("ana", "q1", 5), Rating("ben", "q1", 2), Rating("ana", "q2", 1), Rating("ben", "q2", 4)]
    right = {("ana", "q1"): 0.9, ("ben", "q1"): 0.1, ("ana", "q2"): 0.2, ("ben", "q2"): 0.3}
    assert across_people_loss(ratings, right).loss == 0.0
    # Ben is scored above Ana for q1, where she rated herself higher: one of two pairs wrong, weight 3 of 6.
    wrong = {**right, ("ben", "q1"): 0.95}
    loss = across_people_loss(ratings, wrong)
    assert loss.loss == pytest.approx(3 / 6)
    assert sorted(loss.per_person) == ["q1", "q2"]  # resampled by query
    # A constant per person (what the generality discount adds) moves it, never the pairwise loss.
    shifted = {
        (person, query): score + (1.0 if person == "ben" else 0.0) for (person, query), score in right.items()
    }
    assert pairwise_loss(ratings, shifted).loss == pairwise_loss(ratings, right).loss
    assert across_people_loss(ratings, shifted).loss > 0


def test_cli_generality_weight_moves_only_the_across_people_loss(tmp_path: Path) -> None:
    scores = tmp_path / "scores.csv"
    result = CliRunner().invoke(
        experts,
        [
            "evaluate",
            str(DEV_SET),
            *("--generality-weight", "0,0.5", "--sentence-weight", "0", "--fake-embedder", "--json"),
            *("--dump-scores", str(scores)),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {row["configuration"]: row for row in json.loads(result.stdout)["files"][0]["results"]}
    plain, discounted = rows["topk:3+lex:0.5"], rows["topk:3+lex:0.5+gen:0.5"]
    assert plain["loss"] == discounted["loss"]
    assert plain["across_loss"] != discounted["across_loss"]
    assert plain["across_pairs"] == discounted["across_pairs"] > 0
    # The printed across-people loss is the one the dumped scores give.
    lines = [line.split(",") for line in scores.read_text(encoding="utf-8").splitlines()[1:]]
    for name, row in rows.items():
        mine = [line for line in lines if line[1] == name]
        loss = across_people_loss(
            [Rating(line[2], line[3], float(line[4])) for line in mine],
            {(line[2], line[3]): float(line[5]) for line in mine},
        ).loss
        assert loss == pytest.approx(row["across_loss"], abs=1e-5)
