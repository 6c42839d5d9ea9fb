"""The dev question set, through the real Bolt path: accuracy ≥ 98% with rules alone and with an embedder.

Rules alone is what answers while the model loads (and where no model is installed); the hashing
embedder stands in for the model in CI, so the embedding second opinion's code path runs on every
question the rules are unsure of. The real model's accuracy is measured by `python -m bench.questions`
(docs/benchmarks.md, "Questions").
"""

from __future__ import annotations

from collections import Counter

import pytest
from slack_bolt import App

from bench.question_set import QuestionCase, Report, load_question_set, run_question_set
from bot.cli.console.payloads import SlackPayloads
from bot.experts.embeddings.cache import CachingEmbedder
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.services import Services
from tests.fakes.slack_api import FakeSlackApi

TARGET = 0.98
# Every intent is tested by a family of paraphrases, never by a single question.
MIN_FAMILY = 5


def _check(report: Report, cases: list[QuestionCase], label: str) -> None:
    print(f"\nquestion set ({label}): {report.accuracy:.1%} of {len(cases)} answered correctly")  # noqa: T201
    assert report.accuracy >= TARGET, report.describe_failures()
    traps = [r for r in report.results if r.case.must_not_contain]
    assert all(r.passed for r in traps), report.describe_failures()


def test_question_set_has_paraphrase_families() -> None:
    cases = load_question_set()
    families = Counter(case.id.split("-")[0] for case in cases)

    assert len(cases) >= 200
    small = {family: n for family, n in families.items() if n < MIN_FAMILY}
    assert not small, f"families with fewer than {MIN_FAMILY} phrasings: {small}"


@pytest.mark.usefixtures("demo")
def test_question_set_accuracy_with_rules_alone(
    app: App, payloads: SlackPayloads, slack_api: FakeSlackApi, services: Services
) -> None:
    services.embedder = None
    cases = load_question_set()

    _check(run_question_set(app, payloads, slack_api, cases), cases, "rules alone")


@pytest.mark.usefixtures("demo")
def test_question_set_accuracy_with_an_embedder(
    app: App, payloads: SlackPayloads, slack_api: FakeSlackApi, services: Services
) -> None:
    services.embedder = CachingEmbedder(HashingEmbedder())
    cases = load_question_set()

    _check(run_question_set(app, payloads, slack_api, cases), cases, "hashing embedder")
