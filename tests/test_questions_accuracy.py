"""The dev question set, through the real Bolt path with the hashing embedder: accuracy ≥ 95%."""

from __future__ import annotations

import pytest
from slack_bolt import App

from bench.question_set import load_question_set, run_question_set
from bot.cli.console.payloads import SlackPayloads
from bot.experts.embeddings.cache import CachingEmbedder
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.services import Services
from tests.fakes.slack_api import FakeSlackApi

TARGET = 0.95


@pytest.mark.usefixtures("demo")
def test_question_set_accuracy(
    app: App, payloads: SlackPayloads, slack_api: FakeSlackApi, services: Services
) -> None:
    services.embedder = CachingEmbedder(HashingEmbedder())
    cases = load_question_set()
    assert len(cases) >= 60

    report = run_question_set(app, payloads, slack_api, cases)

    print(f"\nquestion set: {report.accuracy:.1%} of {len(cases)} answered correctly")  # noqa: T201
    assert report.accuracy >= TARGET, report.describe_failures()
    traps = [r for r in report.results if r.case.must_not_contain]
    assert all(r.passed for r in traps), report.describe_failures()
