""" "why?" after an answer: what holds up what it was about, as DM transcripts through the Bolt path."""

from __future__ import annotations

import pytest

from bot.experts.embeddings.hashing import HashingEmbedder
from bot.services import Services
from tests.conversations.transcripts import OSEI, PRIVATE_WORDS, RAO, DirectMessages, said
from tests.fakes.driver import SlackDriver

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture(autouse=True)
def _hashing_embedder(services: Services) -> None:
    services.embedder = HashingEmbedder()


@pytest.mark.parametrize("ask", ["why?", "how come?", "and why is that?"])
def test_why_after_the_overdue_says_what_holds_each_up(slack: SlackDriver, ask: str) -> None:
    dm = DirectMessages(slack, RAO)

    said(dm.say("what's overdue?"))
    reply = said(dm.say(ask))

    # uplift-1 waits on the data-use agreement in legal review; pcm has no recorded reason.
    assert "uplift-1" in reply and "dua-1" in reply and "pcm-2" in reply
    assert "don't know how to answer" not in reply


def test_why_is_it_late_after_one_milestone_is_about_its_project(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, RAO)

    said(dm.say("when is pcm-2 due?"))
    reply = said(dm.say("why is it late?"))

    assert "pcm-2" in reply and "uplift" not in reply


def test_why_never_names_a_private_project_to_a_non_member(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)

    said(dm.say("what's overdue?"))
    reply = said(dm.say("why?"))

    for word in PRIVATE_WORDS:
        assert word not in reply
