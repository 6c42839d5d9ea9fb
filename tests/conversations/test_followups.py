"""Follow-ups with context, as multi-turn transcripts through the real Bolt path (DMs, @mention threads).

"and who owns it?", "when is that due?", "what about pcm?", "the second one" resolve against the
asker's previous answer in the same conversation, kept in the database for a day; "the private one"
never reveals a private project the asker cannot see.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_bolt import App
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import create_app
from bot.cli.console.payloads import SlackPayloads
from bot.clock import FixedClock
from bot.conversations.tables import ConversationTurn
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.models import Membership, Person, Project
from bot.services import Services
from bot.settings import Settings
from bot.slack.client import build_web_client
from tests.conversations.transcripts import (
    BANERJEE,
    KOVALENKO,
    OSEI,
    PRIVATE_WORDS,
    RAO,
    ChannelThread,
    DirectMessages,
    dm_channel,
    posts,
    said,
)
from tests.fakes.driver import SlackDriver
from tests.fakes.slack_api import FakeSlackApi

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture(autouse=True)
def _hashing_embedder(services: Services) -> None:
    services.embedder = HashingEmbedder()


def _no_private_words(text: str) -> None:
    for word in PRIVATE_WORDS:
        assert word not in text, word


# -- DMs --------------------------------------------------------------------------------------------


def test_dm_follow_ups_resolve_it_that_and_what_about(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)

    assert "pcm-2" in said(dm.say("when is pcm-2 due?"))

    owner = said(dm.say("and who owns it?"))
    assert "pcm-2" in owner and "<@U03MSRAO>" in owner  # Priya Rao owns the legal memo

    other = said(dm.say("what about pcm-3?"))
    assert other.startswith("pcm-3 ") and "<@U11DEAHME>" in other
    # pcm-2 only as what pcm-3 comes after, not answered again as a subject of its own.
    assert "comes after pcm-2 " in other
    assert not any(line.replace("`", "").startswith("pcm-2 ") for line in other.splitlines())

    lead = said(dm.say("who leads it?"))  # pcm-3's project
    assert "<@U06CRWONG>" in lead and "led by" in lead


def test_dm_the_one_after_and_before_that_step_through_the_projects_milestones(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)

    assert said(dm.say("who owns pcm-3?")).startswith("pcm-3 ")
    after = said(dm.say("and the one after that?"))
    assert after.startswith("pcm-4 ") and "Noise calibration study" in after
    before = said(dm.say("who owns the one before it?"))
    assert before.startswith("pcm-3 ") and "<@U11DEAHME>" in before
    dm.say("and the one after that?")  # pcm-4, pcm's last
    last = said(dm.say("and the one after that?"))
    assert "`pcm-4` has no milestone after it on `pcm` that you can see." in last


def test_dm_who_owns_it_after_a_projects_next_milestones_is_the_next_ones_owner(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)

    listed = said(dm.say("what's next for pcm?"))
    assert "pcm-2" in listed and "pcm-3" in listed

    owner = said(dm.say("& who owns it?"))
    assert owner.startswith("pcm-2 ") and "<@U03MSRAO>" in owner  # the first listed, Priya Rao's memo
    due = said(dm.say("what's next for bidshade?"))
    assert "bidshade-2" in due
    when = said(dm.say("and when is it due?"))
    assert when.startswith("bidshade-2 ") and "Fri 27 Nov 2026" in when
    # A project question of the same answer is still about the project.
    lead = said(dm.say("who leads it?"))
    assert "led by" in lead and "<@U02ECBANE>" in lead


def test_dm_who_else_after_people_who_know_about_a_topic(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, BANERJEE)

    first = said(dm.say("who knows about kafka?"))
    assert "People who know about “kafka”" in first and "<@U11DEJANS>" in first  # Pieter Jansen
    more = said(dm.say("who else?"))
    # More people on the same topic, never one named already; or, when none is left, that no one is.
    assert "<@U11DEJANS>" not in more
    assert "More people who know about “kafka”" in more or "No one else's profile fits “kafka”" in more
    again = said(dm.say("anyone else?"))
    assert "<@U11DEJANS>" not in again and "kafka" in again

    overdue = said(dm.say("what about the overdue stuff?"))
    assert "overdue" in overdue and "who know about" not in overdue
    assert "People who know about" in said(dm.say("who knows about kafka?"))
    other = said(dm.say("what about eye tracking?"))
    assert "People who know about “eye tracking”" in other
    project = said(dm.say("and for pcm?"))
    # People for the project's work (the status answer would say "is at risk" and fit nobody).
    assert "Privacy-preserving conversion measurement" in project and "fits" in project
    assert "is at risk" not in project
    assert "<@U06CRWONG>" not in project  # pcm's own lead is not suggested for it


def test_dm_what_about_another_project_after_an_agreement_answer(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)

    uplift = said(dm.say("which agreements cover uplift?"))
    assert "dua-1" in uplift and "nda-2" not in uplift
    pcm = said(dm.say("what about pcm?"))
    assert "nda-2" in pcm and "dsa-3" in pcm and "dua-1" not in pcm
    bidshade = said(dm.say("and for bidshade?"))
    assert "ca-4" in bidshade and "nda-2" not in bidshade
    # The answer's project is "it" for the next question.
    assert "led by" in said(dm.say("who leads it?")) and "<@U02ECBANE>" in said(dm.say("who leads it?"))
    # A private project the asker cannot see is told like one that does not exist.
    hidden = said(dm.say("what about fairdelivery?"))
    assert "ra-5" not in hidden and "fairness" not in hidden.lower()
    # Someone named after an agreement answer is asked about on their own, not as a party.
    assert "dua-1" in said(dm.say("which agreements cover uplift?"))
    person = said(dm.say("what about Priya?"))
    assert "Priya Rao" in person and "dua-1" not in person and "Agreements" not in person


def test_dm_how_does_this_work_after_a_project_answer_is_help(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)

    assert "pcm-2" in said(dm.say("what's next for pcm?"))
    help_text = said(dm.say("how does this work?"))
    assert "for example" in help_text.lower() and "pcm-2" not in help_text


def test_dm_when_is_that_due_after_a_list_of_one(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, BANERJEE)

    waiting = said(dm.say("what is waiting on me?"))
    assert "bidshade-2" in waiting

    due = said(dm.say("when is that due?"))
    assert "bidshade-2" in due and "Fri 27 Nov 2026" in due


def test_dm_the_second_one_picks_from_the_previous_list(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, RAO)

    listed = said(dm.say("what is overdue for me?"))
    first, second = (
        ("uplift-1", "pcm-2") if listed.index("uplift-1") < listed.index("pcm-2") else ("pcm-2", "uplift-1")
    )

    picked = said(dm.say("the second one"))
    assert second in picked and first not in picked
    assert "<@U03MSRAO>" in picked  # the milestone's own answer: due date and owner

    again = said(dm.say("and the first one?"))
    # The previous answer is now the second one's: its only milestone is the first of its list.
    assert second in again


def test_dm_what_about_keeps_the_question_and_swaps_the_project(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, BANERJEE)

    assert "pcm-2" in said(dm.say("what is overdue on pcm?"))

    uplift = said(dm.say("what about uplift?"))
    assert "uplift-1" in uplift and "overdue" in uplift and "pcm-2" not in uplift


def test_dm_there_and_a_bare_and_go_on_about_the_previous_project(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, BANERJEE)

    assert "at risk" in said(dm.say("how is pcm doing?"))

    overdue = said(dm.say("and whats overdue there?"))
    assert "pcm-2" in overdue and "uplift-1" not in overdue  # pcm's only, not everything overdue

    assert "blocked" in said(dm.say("how is uplift?"))
    late = said(dm.say("what's late over there?"))
    assert "uplift-1" in late and "pcm-2" not in late

    following = said(dm.say("and when's the next deadline?"))
    assert "uplift-2" in following and "bidshade" not in following  # uplift's, not the asker's own

    members = said(dm.say("so who is on the team?"))
    assert "<@U07STNAKA>" in members and "<@U02ECBANE>" not in members  # uplift's members

    # "is there …" is not "there": a question of its own.
    anything = said(dm.say("is there anything overdue?"))
    assert "uplift-1" in anything and "pcm-2" in anything


def test_dm_a_list_of_projects_does_not_make_its_first_one_the_subject(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, KOVALENKO)

    assert "projects you can see" in said(dm.say("how many projects are there"))

    # "Our disciplines" are those of Lena's one active project (fairdelivery), not of bidshade, the
    # first project the list named.
    experts = said(dm.say("who outside our disciplines knows about GDPR"))
    assert "Outside ethics &amp; fairness and machine learning" in experts
    assert "auction" not in experts.split("\n")[0]


def test_dm_the_2nd_one_is_a_position_not_a_day(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)
    dm.say("what's next for pcm?")

    reply = said(dm.say("who owns the 2nd one"))

    assert "pcm-3" in reply and "Nothing is due" not in reply


def test_dm_the_first_one_about_is_a_pick_though_first_is_a_word_of_a_project(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)
    dm.say("what's next for pcm?")

    # "first" is also a word of bidshade's name (first-price auctions): the pointer is all that names it.
    reply = said(dm.say("whats the first one about"))

    assert "pcm-2" in reply and "Bid shading" not in reply


def test_dm_a_day_of_the_month_after_a_list_is_a_date_not_a_pick(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)
    dm.say("what's next for pcm?")

    reply = said(dm.say("whats due on the 27th"))

    assert "say which by its number" not in reply and "bidshade-2" in reply  # due Fri 27 Nov


def test_dm_the_second_one_answers_a_did_you_mean(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, BANERJEE)

    unsure = said(dm.say("when is the replay due?"))
    assert "bidshade-1" in unsure and "bidshade-3" in unsure

    picked = said(dm.say("the second one"))
    assert "bidshade-3" in picked and "Fri 11 Dec 2026" in picked and "not sure" not in picked


def test_dm_a_position_past_the_list_says_how_many_there_were(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, BANERJEE)
    dm.say("when is the replay due?")

    reply = said(dm.say("the fifth one"))

    assert "listed 2 choices" in reply


def test_dm_without_a_previous_answer_it_is_not_guessed(slack: SlackDriver) -> None:
    reply = said(DirectMessages(slack, OSEI).say("and who owns it?"))

    assert "pcm-2" not in reply and "bidshade-3" not in reply


def test_dm_thread_and_dm_top_level_are_separate_conversations(slack: SlackDriver) -> None:
    DirectMessages(slack, OSEI).say("when is pcm-2 due?")

    in_thread = said(DirectMessages(slack, OSEI, thread_ts="1780000000.000100").say("and who owns it?"))

    assert "pcm-2" not in in_thread


# -- privacy -----------------------------------------------------------------------------------------


def test_the_private_one_never_reveals_a_project_the_asker_cannot_see(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)
    listed = said(dm.say("list all projects"))
    assert "Bid shading" in listed
    _no_private_words(listed)

    for follow_up in ("and the private one?", "the private one", "who leads the private project?"):
        reply = said(dm.say(follow_up))
        _no_private_words(reply)


def test_the_private_one_is_the_members_own_private_project(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, KOVALENKO)
    assert "Fairness audit of ad delivery" in said(dm.say("list all projects"))

    private = said(dm.say("the private one"))
    assert "Fairness audit of ad delivery" in private and "fairdelivery-1" in private

    members = said(dm.say("who is on it?"))
    assert "has 2 members" in members and "<@U12ETSTEI>" in members


def test_a_follow_up_after_leaving_the_private_project_reveals_nothing(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    dm = DirectMessages(slack, KOVALENKO)
    assert "fairdelivery-1" in said(dm.say("when is fairdelivery-1 due?"))
    with session_factory.begin() as session:
        project = session.scalars(select(Project).where(Project.key == "fairdelivery")).one()
        person = session.scalars(select(Person).where(Person.slack_id == KOVALENKO)).one()
        session.delete(session.get(Membership, (project.id, person.id)))

    for follow_up in ("and who owns it?", "when is that due?", "the first one", "who leads it?"):
        _no_private_words(said(dm.say(follow_up)))


def test_another_person_in_the_thread_never_gets_the_askers_records(slack: SlackDriver) -> None:
    thread = ChannelThread(slack)
    listed = thread.mention(KOVALENKO, "list all projects")
    # Naming a private project, the answer went to Kovalenko alone.
    assert [c.method for c in posts(listed.calls)] == ["chat.postEphemeral"]
    assert "Fairness audit" in said(listed)

    for follow_up in ("and the private one?", "the private one", "the fourth one", "who is on it?"):
        _no_private_words(said(thread.mention(OSEI, follow_up)))

    mine = thread.mention(KOVALENKO, "the private one")
    assert [c.method for c in posts(mine.calls)] == ["chat.postEphemeral"]
    assert mine.of("chat.postEphemeral")[0].params["user"] == KOVALENKO
    assert "fairdelivery-1" in said(mine)


# -- @mention threads -----------------------------------------------------------------------------------


def test_mention_thread_follow_ups_answer_in_the_thread(slack: SlackDriver) -> None:
    thread = ChannelThread(slack)
    lead = thread.mention(OSEI, "who leads pcm?")
    assert "<@U06CRWONG>" in said(lead)

    overdue = thread.mention(OSEI, "and what is overdue on it?")
    post = overdue.of("chat.postMessage")[0]
    assert post.params["thread_ts"] == thread.thread_ts
    assert "pcm-2" in said(overdue)

    owner = thread.mention(OSEI, "who owns it?")
    assert "pcm-2" in said(owner) and "<@U03MSRAO>" in said(owner)


def test_follow_ups_are_kept_per_person_and_conversation(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    thread = ChannelThread(slack)
    thread.mention(OSEI, "when is pcm-2 due?")
    thread.mention(BANERJEE, "when is bidshade-3 due?")
    DirectMessages(slack, OSEI).say("when is fatigue-2 due?")

    with session_factory() as session:
        rows = session.execute(
            select(ConversationTurn.channel_id, ConversationTurn.thread_ts, ConversationTurn.user_id)
        ).all()
    assert sorted(rows) == sorted(
        [
            ("C0GENERAL", thread.thread_ts, OSEI),
            ("C0GENERAL", thread.thread_ts, BANERJEE),
            (dm_channel(OSEI), "", OSEI),
        ]
    )
    assert "pcm-2" in said(thread.mention(OSEI, "who owns it?"))
    assert "bidshade-3" in said(thread.mention(BANERJEE, "who owns it?"))


# -- expiry and several instances --------------------------------------------------------------------


def test_follow_ups_resolve_for_a_day_then_expire(slack: SlackDriver, clock: FixedClock) -> None:
    dm = DirectMessages(slack, OSEI)
    start = clock.now()
    dm.say("when is pcm-2 due?")

    clock.set(start + timedelta(hours=23))
    assert "pcm-2" in said(dm.say("who owns it?"))  # and this answer is remembered from now on

    clock.set(start + timedelta(hours=23) + timedelta(days=1, seconds=1))
    assert "pcm-2" not in said(dm.say("who owns it?"))


def test_expired_turns_are_deleted_when_the_next_is_saved(
    slack: SlackDriver, clock: FixedClock, session_factory: sessionmaker[Session]
) -> None:
    start = clock.now()
    DirectMessages(slack, OSEI).say("when is pcm-2 due?")
    clock.set(start + timedelta(days=2))

    DirectMessages(slack, BANERJEE).say("when is bidshade-3 due?")

    with session_factory() as session:
        users = session.scalars(select(ConversationTurn.user_id)).all()
    assert users == [BANERJEE]


def test_a_follow_up_is_resolved_by_another_instance(
    slack: SlackDriver,
    settings: Settings,
    services: Services,
    payloads: SlackPayloads,
    slack_api: FakeSlackApi,
) -> None:
    DirectMessages(slack, OSEI).say("when is pcm-2 due?")
    # A second app over the same database: nothing of the conversation lives in the first one.
    other: App = create_app(
        settings, services, client=build_web_client(settings, timeout=5), process_before_response=True
    )

    reply = said(DirectMessages(SlackDriver(other, payloads, slack_api), OSEI).say("and who owns it?"))

    assert "pcm-2" in reply and "<@U03MSRAO>" in reply


def test_a_repeated_event_is_remembered_once(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "user": OSEI,
        "channel": dm_channel(OSEI),
        "text": "when is pcm-2 due?",
        "ts": "1790999999.000100",
    }
    slack.event(event, event_id="Ev0FOLLOWUP1")
    slack.event(event, event_id="Ev0FOLLOWUP1", retry_num=1)

    with session_factory() as session:
        assert len(session.scalars(select(ConversationTurn)).all()) == 1


@pytest.mark.parametrize("pick", ["#2", "number 2", "the 2nd one", "the last one", "and the second?"])
def test_ways_of_saying_the_second_of_two(slack: SlackDriver, pick: str) -> None:
    dm = DirectMessages(slack, BANERJEE)
    dm.say("when is the replay due?")  # did you mean bidshade-1 or bidshade-3?

    picked = said(dm.say(pick))

    assert "bidshade-3" in picked and "bidshade-1" not in picked


@pytest.mark.parametrize(
    "swap",
    [
        "same for uplift",
        "and uplift?",
        "how about uplift?",
        "no, I meant uplift",
        "sorry, uplift",
        "actually uplift",
    ],
)
def test_ways_of_asking_the_same_about_another_project(slack: SlackDriver, swap: str) -> None:
    dm = DirectMessages(slack, BANERJEE)
    dm.say("what is overdue on pcm?")

    reply = said(dm.say(swap))

    assert "uplift-1" in reply and "pcm-2" not in reply


def test_this_month_is_a_date_not_a_pointer(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)
    dm.say("when is pcm-2 due?")

    reply = said(dm.say("what is due this month?"))

    # The month's list, not pcm-2 alone; pcm-2 (due on the 19th, still open) is in it as overdue.
    assert "due this month" in reply and "fatigue-1" in reply and "2 of them overdue" in reply
    assert "uplift-1" in reply and "pcm-2" in reply


def test_an_answer_naming_nothing_keeps_the_previous_one_to_refer_to(slack: SlackDriver) -> None:
    dm = DirectMessages(slack, OSEI)
    dm.say("when is pcm-2 due?")
    assert "pcm-2" not in said(dm.say("thanks"))

    owner = said(dm.say("and who owns it?"))

    assert "pcm-2" in owner and "<@U03MSRAO>" in owner
