"""Plain-language questions about joint papers (`/ask`, DMs, mentions) through Bolt, with privacy rules.

The demo alliance has `fatigue-p1` (AdSys 2027, 12 Feb 2027 23:59 AoE, partner review from 13 Jan) by
Kwame Osei, Hannah Müller, Isabelle Bell and Ana Lima, and `fatigue-p2` (CAMW 2026) by Bell and Müller.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.experts.embeddings.hashing import HashingEmbedder
from bot.services import Services
from tests.fakes.driver import SlackDriver, message_text
from tests.publications.conftest import BANERJEE, BELL, KOVALENKO, MUELLER, OSEI, STEIN, AddPaper

pytestmark = pytest.mark.usefixtures("demo")

P1 = "When creatives wear out"
P2 = "Attention decay as a fatigue signal"
PRIVATE = "Auditing delivery skew in lookalike audiences"


@pytest.fixture(autouse=True)
def _hashing_embedder(services: Services) -> None:
    services.embedder = HashingEmbedder()


@pytest.fixture
def private_paper(demo: None, add_paper: AddPaper) -> None:
    """A paper of the private project fairdelivery (Stein leads, Kovalenko is a member)."""
    added = add_paper(STEIN, "fairdelivery", title=PRIVATE, people=[STEIN, KOVALENKO], venue="adsys27")
    assert "fairdelivery-p1" in message_text(added.of("chat.postMessage")[0].params)


def _ask(slack: SlackDriver, user: str, text: str) -> str:
    return slack.command(user, f"/ask {text}").reply_text


def _dm(slack: SlackDriver, user: str, text: str) -> str:
    event: dict[str, Any] = {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "channel": "D" + user[1:],
        "text": text,
        "ts": "1790000001.000100",
    }
    posts = slack.event(event).of("chat.postMessage")
    return "\n".join(message_text(p.params) for p in posts)


# -- a paper's dates ---------------------------------------------------------------------------------


def test_when_partner_review_for_the_fatigue_paper_starts(slack: SlackDriver) -> None:
    reply = _dm(slack, OSEI, "when does partner review for the fatigue paper have to start?")

    assert "Papers of Creative fatigue in video ads" in reply
    assert "Partner review starts Wed 13 Jan 2027, 23:59 AoE" in reply and "for you" in reply
    assert "`fatigue-p1`" in reply and "`fatigue-p2`" in reply
    # Soonest deadline first: the CAMW paper (15 Dec) before the AdSys one (12 Feb).
    assert reply.index("`fatigue-p2`") < reply.index("`fatigue-p1`")
    # The workshop paper's 30-day review should have started on 15 November: said, not hidden.
    late = reply[reply.index("`fatigue-p2`") : reply.index("`fatigue-p1`")]
    assert "Partner review should have started on Sun 15 Nov 2026, 23:59 AoE" in late


@pytest.mark.parametrize("question", ["when is the fatigue paper due?", "deadline for the fatigue papers?"])
def test_when_the_fatigue_paper_is_due(slack: SlackDriver, question: str) -> None:
    reply = _ask(slack, BELL, question)

    assert "deadline Fri 12 Feb 2027, 23:59 AoE" in reply and "deadline Tue 15 Dec 2026, 23:59 AoE" in reply
    assert "Next: Draft complete" in reply


def test_deadline_for_a_paper_by_its_id(slack: SlackDriver) -> None:
    reply = _ask(slack, OSEI, "deadline for fatigue-p1?")

    assert "`fatigue-p1`" in reply and P1 in reply and "`adsys27`" in reply
    assert "deadline Fri 12 Feb 2027, 23:59 AoE" in reply and "Partner review starts" in reply
    assert "fatigue-p2" not in reply


def test_an_unknown_paper_id_is_said_plainly(slack: SlackDriver) -> None:
    reply = _ask(slack, OSEI, "deadline for fatigue-p9?")

    assert "No paper `fatigue-p9` that you can see" in reply


# -- papers of a person, of a project --------------------------------------------------------------


@pytest.mark.parametrize(
    "question", ["which papers does Kwame author?", "what papers is Kwame on?", "Kwame's papers"]
)
def test_papers_of_a_person(slack: SlackDriver, question: str) -> None:
    reply = _ask(slack, BANERJEE, question)

    assert "Papers of Kwame Osei" in reply and "`fatigue-p1`" in reply and P1 in reply
    assert "fatigue-p2" not in reply  # Osei is not among its authors


def test_papers_of_ingrid_once_she_authors_one(slack: SlackDriver, add_paper: AddPaper) -> None:
    assert "none that you can see" in _ask(slack, OSEI, "what papers is Ingrid on?")
    add_paper(BANERJEE, "bidshade", title="Shading bids in first-price auctions", people=[BANERJEE])

    reply = _ask(slack, OSEI, "what papers is Ingrid on?")

    assert "Papers of Prof. Ingrid Banerjee" in reply and "`bidshade-p1`" in reply
    assert "(no venue yet)" in reply and "fatigue" not in reply


def test_papers_on_a_project(slack: SlackDriver) -> None:
    reply = _ask(slack, MUELLER, "papers on fatigue?")

    assert "`fatigue-p1`" in reply and "`fatigue-p2`" in reply and P2 in reply


@pytest.mark.parametrize(
    "question", ["papers on this project?", "any papers here?", "what are our team's papers"]
)
def test_papers_of_this_project_in_its_channel(slack: SlackDriver, question: str) -> None:
    reply = slack.command(OSEI, f"/ask {question}", channel="C1FATIGUE").reply_text

    assert "`fatigue-p1`" in reply and "`fatigue-p2`" in reply and "Papers about" not in reply


@pytest.mark.usefixtures("private_paper")
def test_this_project_outside_a_projects_channel_is_no_project(slack: SlackDriver) -> None:
    reply = slack.command(OSEI, "/ask papers on this project?", channel="C0GENERAL").reply_text

    assert PRIVATE not in reply and "fairdelivery" not in reply


# -- privacy ---------------------------------------------------------------------------------------


@pytest.mark.usefixtures("private_paper")
def test_members_see_their_private_projects_papers(slack: SlackDriver) -> None:
    by_id = _ask(slack, KOVALENKO, "when is fairdelivery-p1 due?")
    by_person = _ask(slack, STEIN, "what papers is Kovalenko on?")

    assert PRIVATE in by_id and "deadline Fri 12 Feb 2027" in by_id
    assert PRIVATE in by_person


@pytest.mark.usefixtures("private_paper")
def test_private_papers_are_answered_as_unknown_ones(slack: SlackDriver) -> None:
    by_id = _ask(slack, OSEI, "when is fairdelivery-p1 due?")
    unknown_id = _ask(slack, OSEI, "when is zorbulon-p1 due?")
    by_project = _ask(slack, BANERJEE, "papers on fairdelivery?")
    unknown_project = _ask(slack, BANERJEE, "papers on zorbulon?")
    by_person = _ask(slack, OSEI, "what papers is Kovalenko on?")
    in_a_dm = _dm(slack, OSEI, "Stein's papers")

    assert by_id.replace("fairdelivery", "zorbulon") == unknown_id
    assert "No paper `fairdelivery-p1` that you can see" in by_id
    assert by_project.replace("fairdelivery", "zorbulon") == unknown_project
    for reply in (by_id, by_project, by_person, in_a_dm):
        assert PRIVATE not in reply and "Auditing" not in reply and "lookalike" not in reply
    assert "none that you can see" in by_person


# -- a venue named without the word "paper" ----------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("when is the CAMW deadline", P2),
        ("what do i need to submit for camw?", P2),
        ("what's the adsys deadline", P1),
    ],
)
def test_a_venue_named_with_a_deadline_word_answers_with_its_papers(
    slack: SlackDriver, question: str, title: str
) -> None:
    reply = _ask(slack, BELL, question)

    assert reply.startswith("Papers for") and title in reply


@pytest.mark.usefixtures("private_paper")
def test_a_venues_private_papers_are_left_out_for_non_members(slack: SlackDriver) -> None:
    outsider = _ask(slack, OSEI, "when is the adsys deadline?")
    member = _ask(slack, KOVALENKO, "when is the adsys deadline?")

    assert P1 in outsider and PRIVATE not in outsider
    assert PRIVATE in member


# -- venues and their deadlines -------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "which venues are we targeting",
        "what conferences are we submitting to?",
        "any submission deadlines coming up",
        "list the venues",
        "upcoming conference deadlines?",
    ],
)
@pytest.mark.usefixtures("private_paper")
def test_venues_are_listed_soonest_deadline_first_with_the_papers_the_asker_may_see(
    slack: SlackDriver, question: str
) -> None:
    outsider = _ask(slack, BANERJEE, question)
    member = _ask(slack, KOVALENKO, question)

    assert outsider.startswith("Venues and their deadlines")
    # CAMW (15 Dec 2026) before AdSys (12 Feb 2027) before the funding call (15 Mar 2027).
    assert outsider.index("`camw26`") < outsider.index("`adsys27`") < outsider.index("`rarc27`")
    assert f"`fatigue-p2` {P2}" in outsider and "`fatigue-p1`" in outsider
    assert "No paper you can see is bound for it" in outsider  # rarc27
    assert PRIVATE not in outsider and "fairdelivery" not in outsider
    assert PRIVATE in member


def test_a_venue_named_without_papers_still_gives_its_deadline(slack: SlackDriver) -> None:
    reply = _ask(slack, BANERJEE, "when is the rarc funding call due")

    assert "`rarc27`" in reply and "Mon 15 Mar 2027, 17:00" in reply
    assert "No paper you can see is bound for it" in reply


def test_asking_who_knows_about_conferences_is_not_a_venue_question(slack: SlackDriver) -> None:
    assert not _ask(slack, BANERJEE, "who knows about conference organisation?").startswith("Venues")


def test_papers_asked_for_by_someone_without_any_are_the_alliances(slack: SlackDriver) -> None:
    reply = _ask(slack, BANERJEE, "what papers are we writing?")  # bidshade has none; she authors none

    assert reply.startswith("None on your projects; the papers you can see")
    assert P1 in reply and P2 in reply


@pytest.mark.parametrize(
    ("question", "kept", "left_out"),
    [
        ("when is the workshop paper due?", P2, P1),
        ("who's writing the adsys paper", P1, P2),
        ("when does partner review start for the adsys paper?", P1, P2),
        ("any conference papers?", P1, P2),
    ],
)
def test_a_paper_named_by_its_venue_or_venue_kind_is_the_one_answered(
    slack: SlackDriver, question: str, kept: str, left_out: str
) -> None:
    reply = _ask(slack, MUELLER, question)  # she authors both

    assert kept in reply and left_out not in reply


@pytest.mark.usefixtures("private_paper")
def test_papers_on_a_topic_keep_the_titles_that_fit_and_never_a_private_one(slack: SlackDriver) -> None:
    outsider = _ask(slack, BANERJEE, "any papers on delivery skew?")
    unknown = _ask(slack, BANERJEE, "any papers on zorbulon skew?")
    member = _ask(slack, KOVALENKO, "any papers on delivery skew?")

    assert "none that you can see" in outsider and PRIVATE not in outsider
    assert unknown == outsider.replace("delivery skew", "zorbulon skew")
    assert PRIVATE in member


def test_a_list_of_papers_says_how_many(slack: SlackDriver) -> None:
    assert "Papers of your projects and those you author* (2)" in slack.command(
        MUELLER, "/ask how many papers do we have?"
    ).reply_text.replace("*Papers", "Papers")


# -- other questions fall through ------------------------------------------------------------------


def test_questions_not_about_papers_are_untouched(slack: SlackDriver) -> None:
    overdue = _ask(slack, OSEI, "what is overdue on fatigue?")
    lead = _ask(slack, OSEI, "who leads fatigue?")

    for reply in (overdue, lead):
        assert "Papers of" not in reply and "`fatigue-p1`" not in reply
    assert "Müller" in lead


@pytest.mark.parametrize(
    ("question", "kept", "left_out"),
    [
        # As of Fri 20 Nov 2026: CAMW's deadline is 15 Dec 2026, AdSys's 12 Feb 2027.
        ("what papers are due before christmas?", "`fatigue-p2`", "`fatigue-p1`"),
        ("any paper deadlines next month?", "`fatigue-p2`", "`fatigue-p1`"),
        ("which papers are due in february?", "`fatigue-p1`", "`fatigue-p2`"),
    ],
)
def test_a_date_in_a_paper_question_keeps_the_deadlines_in_it(
    slack: SlackDriver, question: str, kept: str, left_out: str
) -> None:
    reply = _ask(slack, MUELLER, question)

    assert kept in reply and left_out not in reply


def test_venues_with_a_deadline_in_a_month(slack: SlackDriver) -> None:
    february = _ask(slack, MUELLER, "what conference deadlines are in february?")
    coming_up = _ask(slack, MUELLER, "any submission deadlines coming up?")

    assert "`adsys27`" in february and "`camw26`" not in february and "`rarc27`" not in february
    # A vague "coming up" keeps every deadline ahead.
    assert "`camw26`" in coming_up and "`adsys27`" in coming_up
