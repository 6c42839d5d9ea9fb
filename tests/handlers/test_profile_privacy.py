"""A hidden profile is never named as an expert in plain-language answers.

Regression test for bot/questions/answers/experts.py.

"who knows about GDPR?" names Prof. Camille Dubois, whose profile is all GDPR, and Marek Novak, privacy
counsel. Once Dubois is hidden — in the database or through her own /profile form — nothing of hers
may reach Slack, while Novak is still suggested: the filter removes the hidden person, not the answer.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.experts.embeddings.hashing import HashingEmbedder
from bot.models import ExpertVisibility, Person
from bot.services import Services
from bot.slack import ids
from tests.fakes.driver import Exchange, SlackDriver, opened_view
from tests.fakes.slack_api import FakeSlackApi

pytestmark = pytest.mark.usefixtures("demo")

QUESTION = "who knows about GDPR?"
ASKER = "U01MLOSEI"  # Kwame Osei, an ML researcher with a privacy question
DUBOIS = "U05PLDUBO"
NOVAK = "U05PLNOVA"
# Words that could only come from Dubois's profile (her name, her texts).
DUBOIS_WORDS = ("Dubois", DUBOIS, "consent management platforms", "cookie walls", "Université de Lille")


def _sent(exchange: Exchange) -> str:
    """Everything the bot sent to Slack for one request."""
    return json.dumps([c.params for c in exchange.calls], ensure_ascii=False)


def _hide_in_db(session_factory: sessionmaker[Session], slack_id: str) -> None:
    with session_factory.begin() as session:
        session.execute(
            update(Person)
            .where(Person.slack_id == slack_id)
            .values(expert_visibility=ExpertVisibility.HIDDEN)
        )


def _assert_only_novak(said: str) -> None:
    assert f"<@{NOVAK}>" in said or "Marek Novak" in said, said
    for word in DUBOIS_WORDS:
        assert word not in said, word


def _ask(slack: SlackDriver, surface: str) -> Exchange:
    """Ask QUESTION as ASKER on one surface: /ask, an @mention in a channel, or a DM."""
    if surface == "ask":
        return slack.command(ASKER, f"/ask {QUESTION}")
    event: dict[str, Any] = {"type": "message", "user": ASKER, "text": QUESTION, "ts": "1790000001.000100"}
    if surface == "mention":
        event.update(
            type="app_mention", channel="C0GENERAL", text=f"<@{FakeSlackApi.bot_user_id}> {QUESTION}"
        )
    else:
        event.update(channel_type="im", channel="D" + ASKER[1:])
    exchange = slack.event(event)
    assert exchange.status == 200
    return exchange


# -- with the test embedder: every surface, and hiding through /profile --------------------------------


@pytest.fixture
def keyword_experts(demo: None, services: Services, session_factory: sessionmaker[Session]) -> None:
    """The hashing embedder matches words, not meanings: give Novak's profile the word "GDPR" too, so
    the question has a listed expert to fall back on once Dubois is hidden."""
    services.embedder = HashingEmbedder()
    with session_factory.begin() as session:
        novak = session.scalars(select(Person).where(Person.slack_id == NOVAK)).one()
        novak.expertise = f"GDPR compliance reviews. {novak.expertise}"


@pytest.mark.usefixtures("keyword_experts")
@pytest.mark.parametrize("surface", ["ask", "mention", "dm"])
def test_hidden_expert_is_never_named_on_any_surface(
    slack: SlackDriver, session_factory: sessionmaker[Session], surface: str
) -> None:
    before = _sent(_ask(slack, surface))
    assert f"<@{DUBOIS}>" in before and f"<@{NOVAK}>" in before

    _hide_in_db(session_factory, DUBOIS)

    _assert_only_novak(_sent(_ask(slack, surface)))


@pytest.mark.usefixtures("keyword_experts")
def test_hiding_through_the_profile_form_removes_the_expert_at_once(slack: SlackDriver) -> None:
    assert f"<@{DUBOIS}>" in _sent(_ask(slack, "ask"))
    view = opened_view(slack.command(DUBOIS, "/profile edit"))
    radio = next(b for b in view["blocks"] if b.get("block_id") == ids.VISIBILITY_INPUT)
    hidden = next(o for o in radio["element"]["options"] if o["value"] == "hidden")

    saved = slack.submit(
        DUBOIS,
        view,
        {ids.VISIBILITY_INPUT: {ids.VISIBILITY_INPUT: {"type": "radio_buttons", "selected_option": hidden}}},
    )

    assert saved.body == ""
    _assert_only_novak(_sent(_ask(slack, "ask")))
