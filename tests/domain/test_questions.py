"""Understanding questions (pure): intents, entities, readings (date ranges: tests/domain/test_dates.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bot.questions.interpret import (
    Directory,
    Entities,
    Intent,
    MilestoneName,
    PersonName,
    ProjectName,
    canonical_question,
    index_directory,
    interpret,
    projects_named,
    rank_intents,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # Friday, 09:00 in Amsterdam
DIRECTORY = Directory(
    projects=(
        ProjectName("bidshade", "Bid shading for first-price auctions", "C1BIDSHADE"),
        ProjectName("pcm", "Privacy-preserving conversion measurement", "C1PCM"),
        ProjectName("fatigue", "Creative fatigue in video ads", "C1FATIGUE"),
    ),
    people=(
        PersonName("U01MLOSEI", "Kwame Osei"),
        PersonName("U03MSRAO", "Priya Rao"),
        PersonName("U02ECBANE", "Prof. Ingrid Banerjee"),
    ),
    milestones=(
        MilestoneName("bidshade-1", "Replay dataset of Q3 auction logs ready", "bidshade"),
        MilestoneName("bidshade-3", "Offline replay comparison of shading policies", "bidshade"),
        MilestoneName("pcm-2", "Legal basis memo for processing conversions", "pcm"),
        MilestoneName("fatigue-2", "Fatigue signal from impression logs", "fatigue"),
    ),
    disciplines=("Auction theory & economics", "Machine learning", "Privacy law & policy"),
)


def ask(text: str, **kwargs: object) -> object:
    return interpret(text, DIRECTORY, now=NOW, zone=AMSTERDAM, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "intent", "projects", "people", "milestones"),
    [
        ("what's the status of bid shading?", Intent.PROJECT_STATUS, ("bidshade",), (), ()),
        ("statsu of creativ fatige", Intent.PROJECT_STATUS, ("fatigue",), (), ()),
        ("who leads pcm", Intent.LEAD, ("pcm",), (), ()),
        ("who's on the fatigue team?", Intent.MEMBERS, ("fatigue",), (), ()),
        ("overdeu milestones", Intent.OVERDUE, (), (), ()),
        ("what is blocked", Intent.BLOCKED, (), (), ()),
        ("what is waiting on <@U03MSRAO>?", Intent.WAITING_ON, (), ("U03MSRAO",), ()),
        ("what does Priya owe", Intent.WAITING_ON, (), ("U03MSRAO",), ()),
        ("when is the legal memo due?", Intent.WHEN_MILESTONE, (), (), ("pcm-2",)),
        ("when is bidshade-3 due", Intent.WHEN_MILESTONE, (), (), ("bidshade-3",)),
        ("which projects is Kwame on", Intent.PERSON_PROJECTS, (), ("U01MLOSEI",), ()),
        ("who is Ingrid Banerjee?", Intent.PERSON_PROJECTS, (), ("U02ECBANE",), ()),
        ("what's next for bidshade?", Intent.NEXT_MILESTONE, ("bidshade",), (), ()),
        ("list all projects", Intent.LIST_PROJECTS, (), (), ()),
        ("help", Intent.HELP, (), (), ()),
        ("", Intent.HELP, (), (), ()),
    ],
)
def test_intent_and_entities(
    text: str, intent: Intent, projects: tuple[str, ...], people: tuple[str, ...], milestones: tuple[str, ...]
) -> None:
    found = ask(text)
    assert found.intent == intent and found.confident  # type: ignore[attr-defined]
    entities = found.entities  # type: ignore[attr-defined]
    assert (entities.projects, entities.people, entities.milestones) == (projects, people, milestones)


def test_discipline_by_role_noun_and_name() -> None:
    assert ask("which projects involve economists?").entities.disciplines == ("Auction theory & economics",)  # type: ignore[attr-defined]
    # "privacy law" is the discipline, not the project whose name merely contains "privacy".
    found = ask("which projects involve privacy law?")
    assert found.intent == Intent.DISCIPLINE_PROJECTS  # type: ignore[attr-defined]
    assert found.entities.disciplines == ("Privacy law & policy",) and not found.entities.projects  # type: ignore[attr-defined]


def test_expert_topic_is_what_follows_the_asking_phrase() -> None:
    found = ask("who knows about differential privacy?")
    assert found.intent == Intent.EXPERTS and found.entities.topic == "differential privacy"  # type: ignore[attr-defined]


def test_ambiguous_milestone_offers_each_as_a_reading() -> None:
    found = ask("when is the replay due?")

    assert not found.confident  # type: ignore[attr-defined]
    assert [r.entities.milestones for r in found.alternatives] == [("bidshade-1",), ("bidshade-3",)]  # type: ignore[attr-defined]
    assert [r.question for r in found.alternatives] == ["when is bidshade-1 due", "when is bidshade-3 due"]  # type: ignore[attr-defined]


def test_partial_name_is_not_taken_for_a_record() -> None:
    # "approval" alone would fit no milestone here; "ethics board approval" names something unknown.
    found = ask("when is the ethics board memo due?")
    assert found.entities.milestones == ()  # type: ignore[attr-defined]
    assert found.unknown_name == "ethics board memo"  # type: ignore[attr-defined]


def test_unknown_project_is_reported_not_guessed() -> None:
    found = ask("status of quantum widgets")
    assert found.needs_project and found.unknown_name == "quantum widgets"  # type: ignore[attr-defined]


def test_channel_makes_this_project_the_subject() -> None:
    found = ask("who leads this project?", channel_id="C1PCM")
    assert found.entities.projects == ("pcm",) and found.entities.from_context  # type: ignore[attr-defined]


def test_channel_link_names_the_project() -> None:
    assert ask("who is on <#C1FATIGUE|fatigue>?").entities.projects == ("fatigue",)  # type: ignore[attr-defined]


def test_thread_context_and_when_it_due() -> None:
    found = ask("when is it due?", context_projects=("bidshade",))
    assert found.intent == Intent.NEXT_MILESTONE and found.entities.projects == ("bidshade",)  # type: ignore[attr-defined]


def test_without_context_a_project_question_asks_which() -> None:
    found = ask("who leads it?")
    assert found.needs_project and found.unknown_name == ""  # type: ignore[attr-defined]


def test_projects_named_in_a_thread_message() -> None:
    index = index_directory(DIRECTORY)
    assert projects_named("The PCM legal memo is late again", index) == ["pcm"]
    assert projects_named("see <#C1BIDSHADE> and fatigue-2", index) == ["bidshade", "fatigue"]


def test_bot_mention_is_removed_and_other_mentions_kept() -> None:
    found = ask("<@U0BOT> which projects is <@U01MLOSEI> on?", bot_user_id="U0BOT")
    assert found.entities.people == ("U01MLOSEI",)  # type: ignore[attr-defined]


def test_tell_me_does_not_make_the_asker_the_subject() -> None:
    assert not ask("tell me about bidshade").entities.me  # type: ignore[attr-defined]
    assert ask("what am I working on?").entities.me  # type: ignore[attr-defined]


def test_every_canonical_question_reads_back_as_itself() -> None:
    cases = [
        (Intent.PROJECT_STATUS, Entities(projects=("pcm",))),
        (Intent.LEAD, Entities(projects=("bidshade",))),
        (Intent.MEMBERS, Entities(projects=("fatigue",))),
        (Intent.NEXT_MILESTONE, Entities(projects=("pcm",))),
        (Intent.OVERDUE, Entities(projects=("pcm",))),
        (Intent.BLOCKED, Entities(projects=("pcm",))),
        (Intent.WAITING_ON, Entities(people=("U03MSRAO",))),
        (Intent.WHEN_MILESTONE, Entities(milestones=("bidshade-3",))),
        (Intent.PERSON_PROJECTS, Entities(people=("U01MLOSEI",))),
        (Intent.DISCIPLINE_PROJECTS, Entities(disciplines=("Machine learning",))),
        (Intent.EXPERTS, Entities(topic="auction theory")),
        (Intent.LIST_PROJECTS, Entities()),
        (Intent.HELP, Entities()),
    ]
    for intent, entities in cases:
        found = ask(canonical_question(intent, entities))
        assert found.intent == intent and found.confident, (intent, found)  # type: ignore[attr-defined]
        for field_name in ("projects", "people", "milestones", "disciplines"):
            assert getattr(found.entities, field_name) == getattr(entities, field_name)  # type: ignore[attr-defined]


def test_similarity_decides_when_rules_are_silent() -> None:
    def similarity(_: str) -> dict[Intent, float]:
        return {Intent.OVERDUE: 0.8, Intent.LEAD: 0.3}

    found = ask("anything that fell through the cracks recently", similarity=similarity)
    assert found.intent == Intent.OVERDUE and found.confident and found.used_similarity  # type: ignore[attr-defined]


def test_weak_similarity_gives_readings_not_a_guess() -> None:
    def similarity(_: str) -> dict[Intent, float]:
        return {Intent.OVERDUE: 0.42, Intent.NEXT_MILESTONE: 0.41, Intent.LEAD: 0.2}

    found = ask("deadlines and owners, roughly", similarity=similarity)
    assert not found.confident and len(found.alternatives) >= 2  # type: ignore[attr-defined]


def test_rank_intents_takes_the_best_exemplar_per_intent() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    ranked = rank_intents(np.array([1.0, 0.0]), vectors, [Intent.LEAD, Intent.OVERDUE, Intent.OVERDUE])
    assert ranked == pytest.approx({Intent.LEAD: 1.0, Intent.OVERDUE: 0.6})
