"""Typos of the question vocabulary are fixed; real words that merely resemble it are left alone."""

from __future__ import annotations

import pytest

from bot.questions.interpret.interpreter import question_topic
from bot.questions.interpret.normalise import prepare_text


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("whats overdeu on pcm", "what is overdue on pcm"),
        ("stauts of uplift", "status of uplift"),
        ("memebrs of pcm", "members of pcm"),
        ("blokced projects", "blocked projects"),
        ("deadine for fatigue", "deadline for fatigue"),
        ("whats upcomign", "what is upcoming"),
    ],
)
def test_typos_of_question_words_are_fixed(typed: str, read: str) -> None:
    assert prepare_text(typed, None, frozenset()).text == read


@pytest.mark.parametrize(
    "question",
    [
        # Expert topics: "auditing" is one edit-ratio away from "waiting", "delivery" from "deliver".
        "who knows about fairness auditing of ad delivery",
        "anyone with experience in editing video ads",
        "who knows about planning experiments",
    ],
)
def test_real_words_that_resemble_question_words_are_kept(question: str) -> None:
    assert prepare_text(question, None, frozenset()).text == question


@pytest.mark.parametrize(
    ("masked", "topic"),
    [
        ("any1 w differential privacy", "differential privacy"),
        ("anyone who can understand reserve prices", "reserve prices"),
        ("a person for ad fraud detection", "ad fraud detection"),
    ],
)
def test_words_of_asking_for_someone_are_not_the_topic(masked: str, topic: str) -> None:
    assert question_topic(masked) == topic
