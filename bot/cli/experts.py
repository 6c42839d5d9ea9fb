"""`liaison experts ...`: offline tools for expert suggestions.

Mounted into the main CLI with ``main.add_command(experts)``; also runnable on its own as
``python -m bot.cli.experts evaluate FILE``.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from bot.domain.experts.aggregation import AGGREGATIONS, DEFAULT_AGGREGATION, Aggregation, parse_aggregation
from bot.domain.experts.diversity import DEFAULT_DIVERSITY_LAMBDA
from bot.domain.experts.generality import GENERALITY_WEIGHT
from bot.domain.experts.hygiene import MAX_WORKS
from bot.domain.experts.lexical import DEFAULT_LEXICAL_WEIGHT
from bot.domain.experts.ranking import DEFAULT_TOP_K
from bot.domain.experts.sentences import SENTENCE_WEIGHT
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
    configuration_name,
    embed_evaluation_set,
    load_evaluation_set,
    query_folds,
    score_evaluation_set,
    with_hygiene,
)
from bot.experts.suggestion_quality import suggestion_quality

# (aggregation, lexical weight, recency half-life in years, sentence weight): one configuration.
# (aggregation, lexical weight, recency half-life, sentence weight, generality weight)
Config = tuple[Aggregation, float, float, float, float]


@click.group()
def experts() -> None:
    """Expert suggestions: evaluation tools."""


@experts.command("evaluate")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--aggregation",
    "aggregation_name",
    default=DEFAULT_AGGREGATION.name,
    show_default=True,
    help="How a person's item similarities combine (max, mean, topk:2, softmax:0.05, lse:0.05, "
    "max+mean:0.5), or 'all' to compare the standard set.",
)
@click.option(
    "--lexical-weight",
    "lexical_weights",
    default=f"{DEFAULT_LEXICAL_WEIGHT:g}",
    show_default=True,
    help="Weight of the TF-IDF cosine added to each item's embedding similarity (the hybrid ranking); "
    "comma-separated to compare several, 0 for the embedding alone.",
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
    help=f"Embedding model: {DEFAULT_MODEL_NAME} (bundled; any letter case) or the path of a local "
    "sentence-transformers model directory.",
)
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=0,
    help="Add the loss difference to the production default with a 95 percent interval from N paired "
    "bootstrap resamples of people (0: off).",
)
@click.option(
    "--folds",
    type=click.IntRange(min=0),
    default=0,
    help="Also split the queries into N folds: per-fold losses, and the configuration picked on the "
    "other folds scored on each held-out fold (0: off).",
)
@click.option(
    "--sentence-weight",
    "sentence_weights",
    default=f"{SENTENCE_WEIGHT:g}",
    show_default=True,
    help="For needs of several sentences, the weight of an item's best single-sentence cosine in its "
    "similarity (sentence-level matching); comma-separated to compare, 0 for the whole text only.",
)
@click.option(
    "--generality-weight",
    "generality_weights",
    default=f"{GENERALITY_WEIGHT:g}",
    show_default=True,
    help="Weight of the discount for profiles close to everyone's work (the ranking's generality "
    "discount); comma-separated to compare, 0 for none. It moves only the across-people loss.",
)
@click.option(
    "--recency-half-life",
    "half_lives",
    default="0",
    show_default=True,
    help="Evaluate recency weighting: a publication's similarity halves every N years before the file's "
    "latest year (comma-separated to compare; 0: off, as in production).",
)
@click.option(
    "--max-works",
    type=click.IntRange(min=0),
    default=MAX_WORKS,
    show_default=True,
    help="Publications kept per person, most recent first, after dropping duplicates (0: all).",
)
@click.option(
    "--no-hygiene",
    is_flag=True,
    help="Embed profiles as before profile hygiene (every work, duplicates included, title and abstract "
    "joined with '. ' whatever the title ends in), for comparison.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the results as one JSON object instead of tables."
)
@click.option(
    "--dump-scores",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write every rated (person, query) score of every configuration to this CSV file "
    "(file, configuration, person, query, expertise, score), to score with other tools.",
)
def evaluate_command(
    files: tuple[Path, ...],
    aggregation_name: str,
    lexical_weights: str,
    fake_embedder: bool,
    model: str,
    bootstrap: int,
    folds: int,
    sentence_weights: str,
    generality_weights: str,
    half_lives: str,
    max_works: int,
    no_hygiene: bool,
    as_json: bool,
    dump_scores: Path | None,
) -> None:
    """Score each FILE's rated (person, query) pairs and print the pairwise loss (lower is better).

    Each configuration also gets the across-people loss: the same loss over pairs of people rated
    for one query, which is how a suggestion list is ordered. With several files, also the mean losses
    over them per configuration. The file format is in docs/experts.md (Evaluating the ranking).
    """
    if aggregation_name.strip().lower() == "all":
        aggregations = list(AGGREGATIONS)
    else:
        aggregations = [_aggregation(aggregation_name)]
    configs = [
        (aggregation, weight, half_life, sentence_weight, generality_weight)
        for aggregation in aggregations
        for weight in _weights(lexical_weights, "--lexical-weight")
        for sentence_weight in _weights(sentence_weights, "--sentence-weight")
        for generality_weight in _weights(generality_weights, "--generality-weight")
        for half_life in _weights(half_lives, "--recency-half-life")
    ]
    default: Config = (DEFAULT_AGGREGATION, DEFAULT_LEXICAL_WEIGHT, 0.0, SENTENCE_WEIGHT, GENERALITY_WEIGHT)
    datasets = [
        (file, with_hygiene(_load(file), hygiene=not no_hygiene, max_works=max_works)) for file in files
    ]
    for file, data in datasets:
        if folds == 1 or folds > len(data.queries):
            raise click.BadParameter(f"{file}: use 0 or 2 to {len(data.queries)} folds", param_hint="--folds")
    embedder = _embedder(model, fake_embedder=fake_embedder)
    reports = []
    for file, data in datasets:
        embedded = _embed(data, embedder, label=str(file))
        reports.append(_evaluate_file(file, embedded, configs, default, bootstrap=bootstrap, folds=folds))
    if dump_scores is not None:
        _dump_scores(dump_scores, reports)
    if as_json:
        click.echo(json.dumps(_json_report(reports, configs, default), indent=2))
        return
    for report in reports:
        _echo_report(report, default)
    if len(reports) > 1:
        _echo_means(reports, configs, default)


@dataclass(frozen=True)
class _Row:
    """One configuration's results on one file."""

    name: str
    config: Config
    result: EvaluationResult
    fold_losses: tuple[float, ...]
    versus_default: tuple[float, float, float] | None
    across_versus_default: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class _FileReport:
    file: Path
    data: EvaluationSet
    model_name: str
    rows: tuple[_Row, ...]
    cross_validation: tuple[tuple[str, float, float], ...]
    across_cross_validation: tuple[tuple[str, float, float], ...] = ()


def _config_name(config: Config) -> str:
    return configuration_name(*config)


def _evaluate_file(
    file: Path,
    embedded: EmbeddedEvaluationSet,
    configs: list[Config],
    default: Config,
    *,
    bootstrap: int,
    folds: int,
) -> _FileReport:
    def score(config: Config, query_ids: frozenset[str] | None = None) -> EvaluationResult:
        return score_evaluation_set(
            embedded,
            config[0],
            query_ids=query_ids,
            lexical_weight=config[1],
            recency_half_life=config[2],
            sentence_weight=config[3],
            generality_weight=config[4],
        )

    baseline = score(default) if bootstrap else None
    fold_sets = query_folds(embedded.data, folds) if folds else ()
    rows = []
    for config in configs:
        result = score(config)
        versus = (
            bootstrap_loss_difference(result, baseline, resamples=bootstrap) if baseline is not None else None
        )
        across_versus = (
            bootstrap_loss_difference(result.across, baseline.across, resamples=bootstrap)
            if baseline is not None and result.across is not None and baseline.across is not None
            else None
        )
        fold_losses = tuple(score(config, fold).loss for fold in fold_sets)
        rows.append(_Row(_config_name(config), config, result, fold_losses, versus, across_versus))
    cross_validation: list[tuple[str, float, float]] = []
    across_cross_validation: list[tuple[str, float, float]] = []
    if fold_sets and len(configs) > 1:
        # Pick the configuration on all folds but one, score the pick on the held-out fold; once by
        # the pairwise loss, once by the across-people loss.
        for fold in fold_sets:
            training_queries = frozenset(embedded.data.queries) - fold
            trained = [score(config, training_queries) for config in configs]
            held = [score(config, fold) for config in configs]
            for picks, measure in ((cross_validation, _loss), (across_cross_validation, _across_loss)):
                losses = [measure(result) for result in trained]
                pick = min(range(len(configs)), key=lambda choice: losses[choice])
                picks.append((rows[pick].name, losses[pick], measure(held[pick])))
    return _FileReport(
        file,
        embedded.data,
        embedded.model_name,
        tuple(rows),
        tuple(cross_validation),
        tuple(across_cross_validation),
    )


def _loss(result: EvaluationResult) -> float:
    return result.loss


def _across_loss(result: EvaluationResult) -> float:
    return result.across.loss if result.across is not None else float("nan")


def _echo_report(report: _FileReport, default: Config) -> None:
    data = report.data
    click.echo(
        f"{report.file}: {len(data.documents)} people, {len(data.queries)} queries, {len(data.ratings)} "
        f"ratings; embedder {report.model_name}"
    )
    click.echo("Pairwise loss (Stelmakh et al. 2023): 0 = perfect, 0.5 = constant scores.")
    click.echo("")
    n_folds = len(report.rows[0].fold_losses)
    with_bootstrap = report.rows[0].versus_default is not None
    width = max(22, *(len(row.name) + 2 for row in report.rows))
    header = f"{'configuration':<{width}} {'loss':>7} {'easy acc':>9} {'hard acc':>9} {'pairs':>6}"
    header += "".join(f" {f'fold {i + 1} loss':>12}" for i in range(n_folds))
    if with_bootstrap:
        header += f" {'vs default [95% CI]':>28}"
    header += f" {'across':>7} {'pairs':>6}"
    if with_bootstrap:
        header += f" {'across vs default [95% CI]':>28}"
    click.echo(header)
    click.echo("-" * len(header))
    for row in report.rows:
        marker = " *" if row.config == default else ""
        result = row.result
        line = (
            f"{row.name + marker:<{width}} {_number(result.loss):>7} {_number(result.easy_accuracy):>9} "
            f"{_number(result.hard_accuracy):>9} {result.n_pairs:>6}"
        )
        line += "".join(f" {_number(loss):>12}" for loss in row.fold_losses)
        if row.versus_default is not None:
            difference, low, high = row.versus_default
            line += f" {f'{difference:+.3f} [{low:+.3f}, {high:+.3f}]':>28}"
        across = result.across
        line += f" {_number(_across_loss(result)):>7} {across.n_pairs if across is not None else 0:>6}"
        if row.across_versus_default is not None:
            difference, low, high = row.across_versus_default
            line += f" {f'{difference:+.3f} [{low:+.3f}, {high:+.3f}]':>28}"
        click.echo(line)
    click.echo("")
    first = report.rows[0].result
    click.echo(
        f"* = production default ({_config_name(default)}). {first.n_easy} easy pairs (one rating >= 4, "
        f"the other <= 2), {first.n_hard} hard pairs (both >= 4). across = the same loss over pairs of "
        "people rated for one query (the order of a suggestion list); its interval resamples queries."
    )
    if report.cross_validation:
        click.echo("")
        click.echo(
            "Cross-validation by query (pick the lowest loss on the other folds, score on the held-out one):"
        )
        for fold, (name, training, held_out) in enumerate(report.cross_validation):
            click.echo(
                f"  fold {fold + 1}: picked {name} (loss {_number(training)} on the other folds), "
                f"held-out loss {_number(held_out)}"
            )
        mean = sum(held_out for _, _, held_out in report.cross_validation) / len(report.cross_validation)
        click.echo(f"  mean held-out loss: {_number(mean)}")
        click.echo("The same, picking by the across-people loss:")
        for fold, (name, training, held_out) in enumerate(report.across_cross_validation):
            click.echo(
                f"  fold {fold + 1}: picked {name} (across {_number(training)} on the other folds), "
                f"held-out across {_number(held_out)}"
            )
        mean = sum(held_out for _, _, held_out in report.across_cross_validation) / len(
            report.across_cross_validation
        )
        click.echo(f"  mean held-out across-people loss: {_number(mean)}")
    click.echo("")


def _mean_losses(
    reports: list[_FileReport], measure: Callable[[EvaluationResult], float] = _loss
) -> list[float]:
    return [
        sum(measure(report.rows[i].result) for report in reports) / len(reports)
        for i in range(len(reports[0].rows))
    ]


def _echo_means(reports: list[_FileReport], configs: list[Config], default: Config) -> None:
    click.echo(f"Mean over {len(reports)} files (each file weighs the same):")
    width = max(22, *(len(_config_name(config)) + 2 for config in configs))
    click.echo(f"  {'configuration':<{width}} {'loss':>7} {'across':>7}")
    means = zip(configs, _mean_losses(reports), _mean_losses(reports, _across_loss), strict=True)
    for config, mean, across in means:
        marker = " *" if config == default else ""
        click.echo(f"  {_config_name(config) + marker:<{width}} {_number(mean):>7} {_number(across):>7}")


def _json_report(reports: list[_FileReport], configs: list[Config], default: Config) -> dict[str, object]:
    def number(value: float) -> float | None:
        return None if math.isnan(value) else round(value, 6)

    def interval(versus: tuple[float, float, float] | None) -> dict[str, float | None] | None:
        """A difference to the default with its interval, as ``{difference, low, high}``."""
        return (
            None
            if versus is None
            else dict(zip(("difference", "low", "high"), map(number, versus), strict=True))
        )

    return {
        "model": reports[0].model_name,
        "default": _config_name(default),
        "files": [
            {
                "file": str(report.file),
                "people": len(report.data.documents),
                "queries": len(report.data.queries),
                "ratings": len(report.data.ratings),
                "results": [
                    {
                        "configuration": row.name,
                        "aggregation": row.config[0].name,
                        "lexical_weight": row.config[1],
                        "recency_half_life": row.config[2],
                        "sentence_weight": row.config[3],
                        "generality_weight": row.config[4],
                        "loss": number(row.result.loss),
                        "easy_accuracy": number(row.result.easy_accuracy),
                        "hard_accuracy": number(row.result.hard_accuracy),
                        "pairs": row.result.n_pairs,
                        "easy_pairs": row.result.n_easy,
                        "hard_pairs": row.result.n_hard,
                        "fold_losses": [number(loss) for loss in row.fold_losses],
                        "across_loss": number(_across_loss(row.result)),
                        "across_pairs": row.result.across.n_pairs if row.result.across is not None else 0,
                        "across_versus_default": interval(row.across_versus_default),
                        "versus_default": interval(row.versus_default),
                    }
                    for row in report.rows
                ],
                "cross_validation": [
                    {"picked": name, "training_loss": number(training), "held_out_loss": number(held_out)}
                    for name, training, held_out in report.cross_validation
                ],
                "across_cross_validation": [
                    {"picked": name, "training_loss": number(training), "held_out_loss": number(held_out)}
                    for name, training, held_out in report.across_cross_validation
                ],
            }
            for report in reports
        ],
        "mean_loss": {
            _config_name(config): number(mean)
            for config, mean in zip(configs, _mean_losses(reports), strict=True)
        },
        "mean_across_loss": {
            _config_name(config): number(mean)
            for config, mean in zip(configs, _mean_losses(reports, _across_loss), strict=True)
        },
    }


def _dump_scores(path: Path, reports: list[_FileReport]) -> None:
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "configuration", "person", "query", "expertise", "score"])
            for report in reports:
                for row in report.rows:
                    for rating in report.data.ratings:
                        score = row.result.predictions[(rating.person, rating.query)]
                        writer.writerow(
                            [
                                report.file,
                                row.name,
                                rating.person,
                                rating.query,
                                f"{rating.expertise:g}",
                                f"{score:.6f}",
                            ]
                        )
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error}") from error


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
    embedded = _embed(data, _embedder(model, fake_embedder=fake_embedder), label=str(file))
    click.echo(
        f"{file}: top {top_k} suggestions for each of {len(data.queries)} queries; "
        f"embedder {embedded.model_name}, aggregation {aggregation.name}, lexical weight "
        f"{DEFAULT_LEXICAL_WEIGHT:g}"
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
        quality = suggestion_quality(
            embedded, aggregation, weight, top_k=top_k, lexical_weight=DEFAULT_LEXICAL_WEIGHT
        )
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


def _weights(text: str, option: str) -> list[float]:
    try:
        weights = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from error
    if not weights or not all(0.0 <= weight <= 100.0 and math.isfinite(weight) for weight in weights):
        raise click.BadParameter("give numbers from 0 to 100", param_hint=option)
    return list(dict.fromkeys(weights))


def _embedder(model: str, *, fake_embedder: bool) -> Embedder:
    """The embedder to evaluate with; a clear error for a model that is neither bundled nor on disk."""
    if fake_embedder:
        return HashingEmbedder()
    if model.strip().casefold() == DEFAULT_MODEL_NAME.casefold():
        return SentenceTransformerEmbedder(DEFAULT_MODEL_NAME)
    if Path(model).expanduser().is_dir():
        return SentenceTransformerEmbedder(model)
    raise click.BadParameter(
        f"unknown model {model!r}: the valid choices are {DEFAULT_MODEL_NAME} (bundled, any letter case) "
        "or the path of a local sentence-transformers model directory",
        param_hint="--model",
    )


def _embed(data: EvaluationSet, embedder: Embedder, *, label: str) -> EmbeddedEvaluationSet:
    """Embed a set, with progress on stderr (stdout stays a clean table or JSON)."""

    def progress(done: int, total: int) -> None:
        click.echo(f"\r{label}: embedded {done}/{total} texts", err=True, nl=done == total)

    try:
        return embed_evaluation_set(data, embedder, progress=progress)
    except EmbedderLoadError as error:
        raise click.ClickException(str(error)) from error


def _number(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"


if __name__ == "__main__":
    experts()
