"""Follow-ups after an agreement answer: "and pcm?", "is it signed?", "which one is not signed?", as DM
transcripts through the real Bolt path; never the milestone "… signed off" a word happens to fit."""

from __future__ import annotations

import pytest

from bot.experts.embeddings.hashing import HashingEmbedder
from bot.services import Services
from tests.conversations.transcripts import RAO, DirectMessages, said
from tests.fakes.driver import SlackDriver

pytestmark = pytest.mark.usefixtures("demo")

NAKAMURA = "U07STNAKA"  # leads uplift, which dua-1 (in legal review) covers
KOVALENKO = "U01MLKOV"  # member of the private fairdelivery (ra-5)


@pytest.fixture(autouse=True)
def _hashing_embedder(services: Services) -> None:
    services.embedder = HashingEmbedder()


def test_and_another_project_asks_the_agreement_question_of_it(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, RAO)

    said(dm.say("which agreements cover uplift?"))
    pcm = said(dm.say("and pcm?"))

    assert "nda-2" in pcm and "dsa-3" in pcm and "dua-1" not in pcm
    assert "on track" not in pcm and "at risk" not in pcm  # not pcm's status


@pytest.mark.parametrize("ask", ["is it signed?", "when does it expire?", "who owns it?"])
def test_it_after_one_agreement_is_that_agreement(slack: SlackDriver, ask: str) -> None:
    dm = DirectMessages(slack, NAKAMURA)

    said(dm.say("which agreements cover uplift?"))
    reply = said(dm.say(ask))

    assert "dua-1" in reply and "legal review" in reply
    assert "uplift-3" not in reply and "signed off" not in reply  # not the "… signed off" milestone


def test_which_one_after_several_agreements_shows_each_ones_state(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, NAKAMURA)

    said(dm.say("what agreements are there?"))
    reply = said(dm.say("which one is not signed?"))

    assert "dua-1" in reply and "not signed" in reply
    assert "uplift-3" not in reply and "did you mean" not in reply.lower()


def test_a_question_of_its_own_after_an_agreement_answer_is_read_on_its_own(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, NAKAMURA)

    said(dm.say("which agreements cover uplift?"))
    reply = said(dm.say("who leads pcm?"))

    assert "led by" in reply and "dua-1" not in reply


def test_a_private_projects_agreement_stays_with_its_member(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, KOVALENKO)

    said(dm.say("which agreements cover fairdelivery?"))
    reply = said(dm.say("is it signed?"))

    assert "ra-5" in reply and "negotiation" in reply
