"""`liaison experts ...`: offline tools for expert suggestions.

Mounted into the main CLI with ``main.add_command(experts)``; also runnable on its own as
``python -m bot.cli.experts evaluate FILE``.
"""

from __future__ import annotations

import math
from pathlib import Path

import click

from bot.domain.experts.aggregation import AGGREGATIONS, DEFAULT_AGGREGATION, Aggregation, parse_aggregation
from bot.domain.experts.diversity import DEFAULT_DIVERSITY_LAMBDA
from bot.domain.experts.ranking import DEFAULT_TOP_K
from bot.experts.embeddings.calibration import DEFAULT_MODEL_NAME
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.experts.embeddings.protocol import Embedder, EmbedderLoadError
from bot.experts.embeddings.sentence_transformers import SentenceTransformerEmbedder
from bot.experts.evaluation import (
    EmbeddedEvaluationSet,
    EvaluationFileError,
    EvaluationResult,
    EvaluationSet,
    bootstrap_loss_difference,
    embed_evaluation_set,
    load_evaluation_set,
    query_folds,
    score_evaluation_set,
    suggestion_quality,
)


@click.group()
def experts() -> None:
    """Expert suggestions: evaluation tools."""


@experts.command("evaluate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--aggregation",
    "aggregation_name",
    default=DEFAULT_AGGREGATION.name,
    show_default=True,
    help="How a person's item similarities combine (max, mean, topk:2, softmax:0.05, lse:0.05, "
    "max+mean:0.5), or 'all' to compare the standard set.",
)
@click.option(
    "--fake-embedder",
    is_flag=True,
    help="Use the deterministic hashing embedder instead of the model (fast; for tests).",
)
@click.option(
    "--model",
    envvar="EMBEDDING_MODEL",
    default=DEFAULT_MODEL_NAME,
    show_default=True,
    help="Embedding model: the bundled all-MiniLM-L6-v2 or a local sentence-transformers directory.",
)
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=0,
    help="Add the loss difference to the production default with a 95%% interval from N paired "
    "bootstrap resamples of people (0: off).",
)
@click.option(
    "--folds",
    type=click.IntRange(min=0),
    default=0,
    help="Also split the queries into N folds: per-fold losses, and the aggregation picked on the other "
    "folds scored on each held-out fold (0: off).",
)
def evaluate_command(
    file: Path, aggregation_name: str, fake_embedder: bool, model: str, bootstrap: int, folds: int
) -> None:
    """Score FILE's rated (person, query) pairs and print the pairwise loss (lower is better)."""
    if aggregation_name.strip().lower() == "all":
        aggregations = list(AGGREGATIONS)
    else:
        aggregations = [_aggregation(aggregation_name)]
    data = _load(file)
    if folds == 1 or folds > len(data.queries):
        raise click.BadParameter(f"use 0 or 2 to {len(data.queries)} folds", param_hint="--folds")
    embedded = _embed(data, fake_embedder=fake_embedder, model=model)

    results = [score_evaluation_set(embedded, aggregation) for aggregation in aggregations]
    baseline = score_evaluation_set(embedded, DEFAULT_AGGREGATION) if bootstrap else None
    fold_sets = query_folds(data, folds) if folds else ()
    fold_results = [
        [score_evaluation_set(embedded, aggregation, query_ids=fold) for fold in fold_sets]
        for aggregation in aggregations
    ]

    click.echo(
        f"{file}: {len(data.documents)} people, {len(data.queries)} queries, {len(data.ratings)} ratings; "
        f"embedder {embedded.model_name}"
    )
    click.echo("Pairwise loss (Stelmakh et al. 2023): 0 = perfect, 0.5 = constant scores.")
    click.echo("")
    header = f"{'aggregation':<16} {'loss':>7} {'easy acc':>9} {'hard acc':>9} {'pairs':>6}"
    header += "".join(f" {f'fold {i + 1} loss':>12}" for i in range(len(fold_sets)))
    if baseline is not None:
        header += f" {'vs default [95% CI]':>28}"
    click.echo(header)
    click.echo("-" * len(header))
    for aggregation, result, per_fold in zip(aggregations, results, fold_results, strict=True):
        marker = " *" if aggregation == DEFAULT_AGGREGATION else ""
        row = (
            f"{result.aggregation + marker:<16} {_number(result.loss):>7} {_number(result.easy_accuracy):>9} "
            f"{_number(result.hard_accuracy):>9} {result.n_pairs:>6}"
        )
        row += "".join(f" {_number(fold.loss):>12}" for fold in per_fold)
        if baseline is not None:
            difference, low, high = bootstrap_loss_difference(result, baseline, resamples=bootstrap)
            row += f" {f'{difference:+.3f} [{low:+.3f}, {high:+.3f}]':>28}"
        click.echo(row)
    click.echo("")
    click.echo(
        f"* = production default. {results[0].n_easy} easy pairs (one rating >= 4, the other <= 2), "
        f"{results[0].n_hard} hard pairs (both >= 4)."
    )
    if fold_sets and len(aggregations) > 1:
        _echo_cross_validation(embedded, aggregations, fold_sets, fold_results)


@experts.command("diversity")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--aggregation",
    "aggregation_name",
    default=DEFAULT_AGGREGATION.name,
    show_default=True,
    help="How a person's item similarities combine.",
)
@click.option(
    "--lambdas",
    default="0,0.05,0.1,0.2,0.3",
    show_default=True,
    help="Comma-separated MMR diversity weights to compare.",
)
@click.option("--top-k", type=click.IntRange(min=1), default=DEFAULT_TOP_K, show_default=True)
@click.option("--fake-embedder", is_flag=True, help="Use the deterministic hashing embedder.")
@click.option("--model", envvar="EMBEDDING_MODEL", default=DEFAULT_MODEL_NAME, show_default=True)
def diversity_command(
    file: Path, aggregation_name: str, lambdas: str, top_k: int, fake_embedder: bool, model: str
) -> None:
    """Rank everyone for each of FILE's queries and rate the top suggestions per diversity weight."""
    aggregation = _aggregation(aggregation_name)
    try:
        weights = [float(part) for part in lambdas.split(",") if part.strip()]
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--lambdas") from error
    if not weights or not all(0.0 <= weight <= 1.0 for weight in weights):
        raise click.BadParameter("give weights between 0 and 1", param_hint="--lambdas")
    data = _load(file)
    embedded = _embed(data, fake_embedder=fake_embedder, model=model)
    click.echo(
        f"{file}: top {top_k} suggestions for each of {len(data.queries)} queries; "
        f"embedder {embedded.model_name}, aggregation {aggregation.name}"
    )
    click.echo(
        "Mean rating counts an unrated suggestion as 1; disciplines = distinct disciplines per query; "
        "most from one = the largest same-discipline group in any query's suggestions."
    )
    click.echo("")
    header = f"{'lambda':>7} {'mean rating':>12} {'rated >= 4':>11} {'disciplines':>12} {'most from one':>14}"
    click.echo(header)
    click.echo("-" * len(header))
    for weight in weights:
        quality = suggestion_quality(embedded, aggregation, weight, top_k=top_k)
        marker = " *" if weight == DEFAULT_DIVERSITY_LAMBDA else ""
        click.echo(
            f"{weight:>7g} {quality.mean_rating:>12.2f} {quality.strong_share:>11.1%} "
            f"{quality.mean_disciplines:>12.2f} {quality.most_from_one_discipline:>14}{marker}"
        )
    click.echo("")
    click.echo("* = production default.")


def _aggregation(name: str) -> Aggregation:
    try:
        return parse_aggregation(name)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--aggregation") from error


def _load(file: Path) -> EvaluationSet:
    try:
        return load_evaluation_set(file)
    except EvaluationFileError as error:
        raise click.ClickException(str(error)) from error


def _embed(data: EvaluationSet, *, fake_embedder: bool, model: str) -> EmbeddedEvaluationSet:
    embedder: Embedder = HashingEmbedder() if fake_embedder else SentenceTransformerEmbedder(model)
    try:
        return embed_evaluation_set(data, embedder)
    except EmbedderLoadError as error:
        raise click.ClickException(str(error)) from error


def _echo_cross_validation(
    embedded: EmbeddedEvaluationSet,
    aggregations: list[Aggregation],
    fold_sets: tuple[frozenset[str], ...],
    fold_results: list[list[EvaluationResult]],
) -> None:
    """Pick the aggregation on all folds but one, score the pick on the held-out fold."""
    click.echo("")
    click.echo(
        "Cross-validation by query (pick the lowest loss on the other folds, score on the held-out one):"
    )
    held_out_losses = []
    for held_out, fold in enumerate(fold_sets):
        training_queries = frozenset(embedded.data.queries) - fold
        training = [
            score_evaluation_set(embedded, aggregation, query_ids=training_queries)
            for aggregation in aggregations
        ]
        pick = min(range(len(aggregations)), key=lambda choice: training[choice].loss)
        loss = fold_results[pick][held_out].loss
        held_out_losses.append(loss)
        click.echo(
            f"  fold {held_out + 1}: picked {aggregations[pick].name} (loss {_number(training[pick].loss)} "
            f"on the other folds), held-out loss {_number(loss)}"
        )
    click.echo(f"  mean held-out loss: {_number(sum(held_out_losses) / len(fold_sets))}")


def _number(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"


if __name__ == "__main__":
    experts()
