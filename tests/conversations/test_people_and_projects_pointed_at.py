"""Follow-ups that point at people or at several projects: "who is he?", "what are her milestones?",
"who leads them?", as DM transcripts through the real Bolt path."""

from __future__ import annotations

import pytest

from bot.experts.embeddings.hashing import HashingEmbedder
from bot.services import Services
from tests.conversations.transcripts import DirectMessages, said
from tests.fakes.driver import SlackDriver

pytestmark = pytest.mark.usefixtures("demo")

NAKAMURA = "U07STNAKA"  # leads uplift
ADEYEMI = "U04CPADEY"  # on fatigue
KWAME = "U01MLOSEI"  # on bidshade and fatigue
SARA = "U11DEAHME"  # on pcm and uplift, owns pcm-3
MEI = "U06CRWONG"  # leads pcm


@pytest.fixture(autouse=True)
def _hashing_embedder(services: Services) -> None:
    services.embedder = HashingEmbedder()


def test_he_is_the_person_the_previous_question_named(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, NAKAMURA)

    said(dm.say("is Kwame on uplift?"))
    who = said(dm.say("who is he?"))
    due = said(dm.say("what's he got due?"))

    assert f"<@{KWAME}>" in who and "bidshade" in who and "fatigue" in who
    assert "You are" not in who
    assert "bidshade-3" in due and "uplift-" not in due


def test_she_after_a_lead_answer_is_the_lead(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, NAKAMURA)

    said(dm.say("who leads pcm?"))
    projects = said(dm.say("what's she working on?"))

    assert f"<@{MEI}>" in projects and "pcm" in projects and "You are" not in projects


def test_her_as_a_possessive_and_as_an_object(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, ADEYEMI)

    said(dm.say("who is Sara Ahmed?"))
    owned = said(dm.say("what are her milestones?"))
    overdue = said(dm.say("what's overdue for her?"))

    assert "pcm-3" in owned and "Nothing is waiting on you" not in owned
    assert "Sara Ahmed" in overdue and "pcm-2" not in overdue  # Priya's, not hers


def test_he_with_nobody_to_point_at_asks_who(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, NAKAMURA)

    said(dm.say("who leads brandsafe and pcm?"))  # two leads: "he" could be either
    reply = said(dm.say("what's he working on?"))

    assert "Who do you mean by “he”?" in reply and "You are" not in reply


def test_them_after_a_list_of_projects_is_each_of_them(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, ADEYEMI)

    said(dm.say("which projects is Sara on?"))
    leads = said(dm.say("who leads them?"))
    members = said(dm.say("and who is on them?"))

    assert f"<@{MEI}>" in leads and f"<@{NAKAMURA}>" in leads and "Answering for" not in leads
    assert "has 4 members" in members and "has 3 members" in members


def test_is_someone_on_it_after_a_projects_people_says_yes_or_no(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, ADEYEMI)

    said(dm.say("who is on pcm?"))
    sara = said(dm.say("is sara on it?"))
    diego = said(dm.say("is diego on it?"))

    assert "Yes:" in sara and "project called" not in sara
    assert "No:" in diego and "is not on Privacy-preserving conversion measurement" in diego


def test_and_outside_a_field_after_experts_leaves_that_field_out_of_the_same_topic(
    slack: SlackDriver,
) -> None:
    dm = DirectMessages(slack, ADEYEMI)

    said(dm.say("who knows about auction theory?"))
    reply = said(dm.say("and outside economics?"))

    assert "Outside auction theory &amp; economics" in reply and "“auction theory”" in reply
    assert "<@U02ECBANE>" not in reply and "<@U02ECMORA>" not in reply  # the economists
