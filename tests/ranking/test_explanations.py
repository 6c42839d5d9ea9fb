"""Which project sentence each suggested person is quoted against."""

from __future__ import annotations

import numpy as np

from bot.domain.experts.explanations import matched_sentences


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_each_person_gets_the_sentence_they_match_in_particular() -> None:
    # Sentence 0 is the project's summary: close to everyone. Sentences 1 and 2 are specific.
    sentences = np.stack([unit(1, 1, 1), unit(1, 0, 0.1), unit(0, 1, 0.1)])
    lawyer = np.stack([unit(1, 0.5, 0.8)])
    designer = np.stack([unit(0.5, 1, 0.8)])
    # Closest-only would quote the summary for both.
    assert int(np.argmax(sentences @ lawyer[0])) == int(np.argmax(sentences @ designer[0])) == 0
    assert matched_sentences(sentences, [lawyer, designer]) == [1, 2]


def test_a_person_without_items_or_a_project_without_sentences_gets_none() -> None:
    sentences = np.stack([unit(1, 0), unit(0, 1)])
    empty = np.zeros((0, 2), dtype=np.float32)
    assert matched_sentences(sentences, [empty, np.stack([unit(0, 1)])]) == [None, 1]
    assert matched_sentences(np.zeros((0, 2), dtype=np.float32), [np.stack([unit(1, 0)])]) == [None]
    assert matched_sentences(sentences, [empty]) == [None]


def test_one_suggestion_quotes_their_closest_sentence() -> None:
    sentences = np.stack([unit(1, 0), unit(0.6, 0.8)])
    assert matched_sentences(sentences, [np.stack([unit(0.7, 0.7)])]) == [1]
