"""Two questions in one message: where a message splits, and the answers through the real Bolt path."""

from __future__ import annotations

import pytest

from bot.experts.embeddings.hashing import HashingEmbedder
from bot.questions.interpret.compound import split_two_questions
from bot.services import Services
from tests.fakes.driver import SlackDriver, message_text
from tests.questions.asking import ask_in_dm, the_answer

pytestmark = pytest.mark.usefixtures("demo")

OSEI = "U01MLOSEI"  # not on the private fairdelivery


@pytest.fixture(autouse=True)
def _hashing_embedder(services: Services) -> None:
    services.embedder = HashingEmbedder()


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("who leads pcm and what's next?", ("who leads pcm?", "what's next?")),
        ("who leads pcm? what's next?", ("who leads pcm?", "what's next?")),
        (
            "is bidshade on track, and when is the live test?",
            ("is bidshade on track?", "when is the live test?"),
        ),
        ("when is pcm-3 due and who owns it?", ("when is pcm-3 due?", "who owns it?")),
    ],
)
def test_a_message_with_two_questions_splits_where_the_second_starts(
    text: str, parts: tuple[str, str]
) -> None:
    assert split_two_questions(text) == parts


@pytest.mark.parametrize(
    "text",
    [
        "who is on pcm and uplift?",  # one question about two projects
        "what's due this week and next week?",
        "what is waiting on me and when",
        "status of bidshade, pcm and uplift",
        "who leads pcm and what's next and who is on it?",  # three: read as one
    ],
)
def test_one_question_does_not_split(text: str) -> None:
    assert split_two_questions(text) is None


def test_the_second_question_takes_the_firsts_project(slack: SlackDriver) -> None:
    text = message_text(the_answer(ask_in_dm(slack, OSEI, "who leads pcm and what's next?")))

    assert "led by" in text and "<@U06CRWONG>" in text  # Mei Wong leads pcm
    assert "pcm-3" in text and "bidshade-" not in text  # pcm's next, not the asker's projects'


def test_a_hidden_project_in_the_second_question_is_told_as_unknown(slack: SlackDriver) -> None:
    hidden = message_text(the_answer(ask_in_dm(slack, OSEI, "who leads pcm and who is on fairdelivery?")))
    nobody = message_text(the_answer(ask_in_dm(slack, OSEI, "who leads pcm and who is on zorbulon?")))

    assert "led by" in hidden and "Rebecca" not in hidden and "Lena" not in hidden
    assert hidden == nobody.replace("zorbulon", "fairdelivery")


def test_a_second_part_it_cannot_read_is_said_to_be_left(slack: SlackDriver) -> None:
    text = message_text(the_answer(ask_in_dm(slack, OSEI, "who leads pcm and what's the weather like?")))

    assert "led by" in text and "on its own" in text
