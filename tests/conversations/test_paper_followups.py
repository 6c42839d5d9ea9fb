"""Follow-ups after a paper answer: "when is it due?", "when is the first one due?", "who's writing the
second one?", as DM transcripts through the real Bolt path."""

from __future__ import annotations

import pytest

from bot.experts.embeddings.hashing import HashingEmbedder
from bot.services import Services
from tests.conversations.transcripts import OSEI, PRIVATE_WORDS, DirectMessages, said
from tests.fakes.driver import SlackDriver

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture(autouse=True)
def _hashing_embedder(services: Services) -> None:
    services.embedder = HashingEmbedder()


def test_ordinals_after_a_paper_list_pick_from_that_list(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)

    listed = said(dm.say("what papers does fatigue have?"))
    first = said(dm.say("when is the first one due?"))
    second = said(dm.say("who's writing the second one?"))

    order = [ref for ref in ("fatigue-p1", "fatigue-p2") if ref in listed]
    assert len(order) == 2
    ahead = sorted(order, key=listed.index)
    assert ahead[0] in first and ahead[1] not in first
    assert ahead[1] in second and ahead[0] not in second
    assert "You are on" not in second  # not the asker's own projects


def test_it_after_one_paper_is_that_paper(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)

    said(dm.say("tell me about paper fatigue-p2"))
    reply = said(dm.say("when is it due?"))

    assert "fatigue-p2" in reply and "deadline" in reply
    for word in PRIVATE_WORDS:
        assert word not in reply
