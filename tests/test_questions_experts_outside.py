"""Experts from other disciplines: "who outside our disciplines can help with consent law?".

The paraphrase family `outside-*` of the dev question set (tests/data/questions.yaml) is read as an
expert question with the expected entities (the topic without its framing, the disciplines left out),
even where the topic's words resemble a project ("consent", "bid shading"); and, through the real Bolt
path (signed @mentions and DMs, answers read back from the fake Slack Web API), the answer leaves out
the disciplines of the project in context (the channel's, the conversation's), else of the asker's one
active project, else the asker's own, and says which.

Each answer test runs with the rules alone (the model still loading) and with an embedder (the hashing
fake standing in for the model), since either may answer a question.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bench.question_set import QuestionCase, load_question_set
from bot.access import Requester, act_as
from bot.experts.embeddings.cache import CachingEmbedder
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.models import Person
from bot.questions.answers.directory import load_directory
from bot.questions.interpret import Intent, Interpretation, canonical_question, index_directory, interpret
from bot.services import Services
from bot.settings import Settings
from tests.conftest import DEMO_NOW
from tests.fakes.driver import Exchange, SlackDriver, message_text
from tests.fakes.slack_api import FakeSlackApi
from tests.questions.asking import ask_in_dm, the_answer

pytestmark = pytest.mark.usefixtures("demo")

BANERJEE = "U02ECBANE"  # leads bidshade, her one project
RAO = "U03MSRAO"  # on pcm and uplift: her own discipline counts
KOVALENKO = "U01MLKOV"  # on private fairdelivery only
DUBOIS = "U05PLDUBO"  # on no project
BOT = FakeSlackApi.bot_user_id
BIDSHADE_FIELDS = ("Auction theory & economics", "Machine learning", "Data engineering")
CONSENTUX_FIELDS = ("Human-computer interaction", "Product management")
PCM_FIELDS = (
    "Cryptography & security",
    "Data engineering",
    "Causal inference & statistics",
    "Marketing science",
)
MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")

# Per id of the family: (leaves out "our" disciplines, disciplines named to leave out, topic).
FAMILY: dict[str, tuple[bool, tuple[str, ...], str]] = {
    "outside-consent-law-dm": (True, (), "consent law"),
    "outside-bid-shading": (True, (), "bid shading"),
    "outside-who-else-not-economist": (True, ("Auction theory & economics",), "bid shading"),
    "outside-my-field-eye-tracking": (True, (), "eye tracking"),
    "outside-other-disciplines-own-discipline": (True, (), "media mix models"),
    "outside-another-discipline-channel": (True, (), "consent"),
    "outside-not-from-our-fields": (True, (), "creative fatigue"),
    "outside-teams-disciplines": (True, (), "uplift modelling"),
    "outside-trailing-phrase": (True, (), "brand safety"),
    "outside-thread-project": (True, (), "consent law"),
    "outside-kafka-from-other-fields": (True, (), "kafka"),
    "outside-privacy-law-named": (False, ("Privacy law & policy",), "gdpr consent"),
    "outside-uplift-topic": (True, (), "uplift"),
}


def _family() -> list[QuestionCase]:
    return [case for case in load_question_set() if case.id.split("-")[0] == "outside"]


def _interpret(
    session_factory: sessionmaker[Session], settings: Settings, case: QuestionCase
) -> Interpretation:
    with session_factory() as session:
        actor = act_as(session, settings, Requester(user_id=case.asker))
        index = index_directory(load_directory(session, actor))
    return interpret(case.text, index, now=DEMO_NOW, zone=actor.zone, channel_id=case.channel)


# -- understanding (the dev set's family, and questions that must keep their meaning) --------------


def test_the_family_is_in_the_dev_set_and_every_phrasing_has_expectations() -> None:
    cases = _family()

    assert len(cases) >= 10
    assert {case.id for case in cases} == set(FAMILY)


@pytest.mark.parametrize("case", _family(), ids=lambda case: case.id)
def test_each_phrasing_is_an_expert_question_outside_disciplines(
    session_factory: sessionmaker[Session], settings: Settings, case: QuestionCase
) -> None:
    own, named, topic = FAMILY[case.id]

    found = _interpret(session_factory, settings, case)

    assert found.intent == Intent.EXPERTS and found.confident
    entities = found.entities
    assert (entities.outside_own, entities.outside_disciplines, entities.topic) == (own, named, topic)


@pytest.mark.parametrize(
    ("text", "intent", "projects"),
    [
        ("who leads consentux?", Intent.LEAD, ("consentux",)),
        ("who is on bidshade?", Intent.MEMBERS, ("bidshade",)),
        ("who owns the next bidshade milestone?", Intent.NEXT_MILESTONE, ("bidshade",)),
        ("what's the status of bid shading?", Intent.PROJECT_STATUS, ("bidshade",)),
        ("what is the current state of the consent project", Intent.PROJECT_STATUS, ("consentux",)),
    ],
)
def test_questions_about_a_project_keep_their_meaning(
    session_factory: sessionmaker[Session],
    settings: Settings,
    text: str,
    intent: Intent,
    projects: tuple[str, ...],
) -> None:
    found = _interpret(session_factory, settings, QuestionCase("x", BANERJEE, text))

    assert found.intent == intent
    assert found.entities.projects == projects and not found.entities.outside


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("who can help with consent law?", "consent law"),
        ("who in the alliance can help with bid shading?", "bid shading"),
        ("who is an expert on bid shading?", "bid shading"),
        ("who would be good to ask about brand safety?", "brand safety"),
    ],
)
def test_who_can_help_with_a_topic_like_a_project_is_an_expert_question(
    session_factory: sessionmaker[Session], settings: Settings, text: str, topic: str
) -> None:
    found = _interpret(session_factory, settings, QuestionCase("x", BANERJEE, text))

    assert found.intent == Intent.EXPERTS and found.confident
    assert found.entities.topic == topic and not found.entities.outside


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        # Being pointed to someone: tell/explain, whom to ping or contact, needing or recommending
        # someone, the go-to person, who somewhere has done it.
        ("who can tell me about brand lift?", "brand lift"),
        ("who could explain differential privacy to us?", "differential privacy"),
        ("who could I talk to about geo experiments", "geo experiments"),
        ("who should I ping about kafka", "kafka"),
        ("who do we contact about consent law?", "consent law"),
        ("need someone for identity resolution", "identity resolution"),
        ("we need somebody for ad fraud", "ad fraud"),
        ("can you recommend someone for bid shading?", "bid shading"),
        ("who's the go-to for graph neural nets", "graph neural nets"),
        ("who is the go-to person for data engineering", "data engineering"),
        ("who on the team has done eye-tracking", "eye tracking"),
        ("who in the alliance has worked on fraud detection?", "fraud detection"),
        ("who's good with A/B test peeking?", "ab test peeking"),
        ("who knows a lot about bandits?", "bandits"),
    ],
)
def test_asking_to_be_pointed_to_someone_is_an_expert_question(
    session_factory: sessionmaker[Session], settings: Settings, text: str, topic: str
) -> None:
    found = _interpret(session_factory, settings, QuestionCase("x", BANERJEE, text))

    assert found.intent == Intent.EXPERTS
    assert found.entities.topic == topic and not found.entities.outside


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        # The same words inside a topic say something else (found in review): the topic keeps them.
        ("who knows about interdisciplinary research methods?", "interdisciplinary research methods"),
        ("who can help with multidisciplinary team management", "multidisciplinary management"),
        ("who can help with transfer learning from another domain", "transfer learning another domain"),
        ("who knows about data from other domains", "data other domains"),
    ],
)
def test_other_fields_inside_a_topic_leave_nothing_out(
    session_factory: sessionmaker[Session], settings: Settings, text: str, topic: str
) -> None:
    found = _interpret(session_factory, settings, QuestionCase("x", BANERJEE, text))

    assert found.intent == Intent.EXPERTS
    assert found.entities.topic == topic and not found.entities.outside
    assert topic in found.entities.topic


@pytest.mark.parametrize("case", _family(), ids=lambda case: case.id)
def test_the_canonical_question_of_each_reading_reads_back_the_same(
    session_factory: sessionmaker[Session], settings: Settings, case: QuestionCase
) -> None:
    found = _interpret(session_factory, settings, case)
    question = canonical_question(found.intent, found.entities)

    again = _interpret(
        session_factory, settings, QuestionCase("x", case.asker, question, channel=case.channel)
    )

    assert again.intent == Intent.EXPERTS
    assert (again.entities.outside_own, again.entities.outside_disciplines, again.entities.topic) == FAMILY[
        case.id
    ]


# -- answers through the Bolt path ------------------------------------------------------------------


@pytest.fixture(params=["rules", "embedder"])
def _embedder(request: pytest.FixtureRequest, services: Services) -> None:
    services.embedder = None if request.param == "rules" else CachingEmbedder(HashingEmbedder())


def _mention(slack: SlackDriver, user: str, text: str, *, channel: str = "C0GENERAL") -> Exchange:
    event = {"type": "app_mention", "user": user, "channel": channel, "text": f"<@{BOT}> {text}"}
    return slack.event({**event, "ts": "1790000000.000100"})


_dm = ask_in_dm
_answer = the_answer


def _text(params: dict[str, Any]) -> str:
    """The answer's text and blocks, Slack's escapes (`&amp;`) undone."""
    return html.unescape(message_text(params))


def _disciplines_of_suggested(session_factory: sessionmaker[Session], text: str) -> dict[str, str | None]:
    suggested = MENTION.findall(text)
    with session_factory() as session:
        rows = session.execute(
            select(Person.slack_id, Person.discipline).where(Person.slack_id.in_(suggested))
        )
        return {slack_id: discipline for slack_id, discipline in rows}


@pytest.mark.usefixtures("_embedder")
@pytest.mark.parametrize(
    ("question", "expert"),
    [
        ("who outside our disciplines can help with consent law?", "U05PLDUBO"),  # Camille Dubois
        ("who outside our disciplines can help with bid shading?", None),
        ("who else, not an economist, can help with bid shading?", None),
    ],
)
def test_a_lead_asking_in_a_dm_gets_experts_outside_their_projects_disciplines(
    slack: SlackDriver, session_factory: sessionmaker[Session], question: str, expert: str | None
) -> None:
    text = _text(_answer(_dm(slack, BANERJEE, question)))

    # "Outside …:" before the list, or "Nobody outside … has a profile that fits" instead of one.
    assert "outside auction theory & economics, machine learning and data engineering" in text.casefold()
    assert "on track" not in text and "is done" not in text  # not a project's status
    suggested = _disciplines_of_suggested(session_factory, text)
    assert not {d for d in suggested.values()} & set(BIDSHADE_FIELDS)
    assert BANERJEE not in suggested
    if expert is not None:
        assert expert in suggested and "People who know about “consent law”" in text
    elif not suggested:
        assert "Nobody outside auction theory & economics" in text  # said plainly, not an empty list
    else:
        assert "Outside auction theory & economics, machine learning and data engineering:" in text


@pytest.mark.usefixtures("_embedder")
def test_in_a_projects_channel_its_disciplines_are_left_out(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    text = _text(
        _answer(
            _mention(
                slack, BANERJEE, "who outside our disciplines knows about consent law?", channel="C1CONSENT"
            )
        )
    )

    assert "Outside human-computer interaction and product management:" in text
    assert "is done" not in text  # not consentux's status
    suggested = _disciplines_of_suggested(session_factory, text)
    assert "U05PLDUBO" in suggested and not set(suggested.values()) & set(CONSENTUX_FIELDS)


@pytest.mark.usefixtures("_embedder")
def test_in_a_conversation_about_a_project_its_disciplines_are_left_out(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    first = _text(_answer(_dm(slack, BANERJEE, "how is pcm going?", ts="1790000001.000100")))
    assert "pcm" in first

    text = _text(
        _answer(
            _dm(slack, BANERJEE, "who from another discipline knows about consent?", ts="1790000002.000100")
        )
    )

    fields = "cryptography & security, data engineering, causal inference & statistics and marketing science"
    assert f"Outside {fields}:" in text
    suggested = _disciplines_of_suggested(session_factory, text)
    assert "U05PLDUBO" in suggested and not set(suggested.values()) & set(PCM_FIELDS)


@pytest.mark.usefixtures("_embedder")
def test_someone_on_several_projects_has_their_own_discipline_left_out(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    text = _text(_answer(_dm(slack, RAO, "anyone outside my field who knows about eye tracking?")))

    assert "Outside marketing science:" in text
    suggested = _disciplines_of_suggested(session_factory, text)
    assert "U04CPMUEL" in suggested  # Hannah Müller, consumer psychology
    assert "Marketing science" not in set(suggested.values())


@pytest.mark.usefixtures("_embedder")
def test_nobody_outside_is_said_plainly(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        # Everyone works in one of bidshade's disciplines.
        session.execute(update(Person).values(discipline="Data engineering"))

    text = _text(_answer(_dm(slack, BANERJEE, "who outside our disciplines can help with consent law?")))

    assert "Nobody outside data engineering has a profile that fits “consent law”" in text
    assert not MENTION.findall(text)


@pytest.mark.usefixtures("_embedder")
def test_without_a_project_or_a_discipline_nothing_is_left_out_and_the_answer_says_so(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        session.execute(update(Person).where(Person.slack_id == DUBOIS).values(discipline=None))

    text = _text(_answer(_dm(slack, DUBOIS, "who outside my field can help with kafka pipelines?")))

    assert "I don't know which disciplines are yours" in text
    assert "<@U11DEJANS>" in text  # Pieter Jansen


@pytest.mark.usefixtures("_embedder")
def test_a_private_projects_disciplines_are_shown_to_the_asker_only(slack: SlackDriver) -> None:
    exchange = _mention(slack, KOVALENKO, "who outside our disciplines can help with consent law?")

    posts = exchange.of("chat.postEphemeral")
    assert exchange.status == 200 and len(posts) == 1 and not exchange.of("chat.postMessage")
    text = _text(posts[0].params)
    assert "Outside ethics & fairness and machine learning" in text


@pytest.mark.usefixtures("_embedder")
def test_a_teammate_without_a_discipline_is_not_suggested_as_outside(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    # Pieter Jansen works on bidshade, Banerjee's project; with no discipline on his profile nothing
    # but his being on the team keeps him out of "outside our disciplines" (found in review).
    with session_factory.begin() as session:
        session.execute(update(Person).where(Person.slack_id == "U11DEJANS").values(discipline=None))

    outside = _text(
        _answer(_dm(slack, BANERJEE, "who outside our disciplines can help with kafka pipelines?"))
    )
    anyone = _text(
        _answer(_dm(slack, BANERJEE, "who can help with kafka pipelines?", ts="1790000009.000100"))
    )

    assert "<@U11DEJANS>" in anyone
    assert "<@U11DEJANS>" not in outside
