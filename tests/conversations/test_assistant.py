"""The assistant surface (Slack's AI-app split view) through the real Bolt path.

Events are shaped as Slack documents them: `assistant_thread_started` and
`assistant_thread_context_changed` carry `assistant_thread` {user_id, context {channel_id, team_id,
enterprise_id}, channel_id, thread_ts}; the person's messages arrive as `message` events
(`channel_type: im`) in the thread.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.tables import AssistantThread
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.services import Services
from bot.slack.assistant import MAX_TITLE, THINKING_STATUS, greeting_name
from tests.conversations.transcripts import (
    KOVALENKO,
    OSEI,
    PRIVATE_WORDS,
    RAO,
    dm_channel,
    next_ts,
    posts,
    said,
)
from tests.fakes.driver import Exchange, SlackDriver
from tests.fakes.slack_api import FakeSlackApi, RecordedCall

TEAM = FakeSlackApi.team_id


@pytest.fixture(autouse=True)
def _hashing_embedder(services: Services) -> None:
    services.embedder = HashingEmbedder()


def _thread_event(kind: str, user: str, thread_ts: str, channel_in_view: str | None) -> dict[str, Any]:
    context: dict[str, Any] = {"team_id": TEAM, "enterprise_id": None}
    if channel_in_view:
        context["channel_id"] = channel_in_view
    return {
        "type": kind,
        "assistant_thread": {
            "user_id": user,
            "context": context,
            "channel_id": dm_channel(user),
            "thread_ts": thread_ts,
        },
        "event_ts": next_ts(),
    }


class AssistantPane:
    """One person's assistant thread."""

    def __init__(self, slack: SlackDriver, user: str) -> None:
        self.slack = slack
        self.user = user
        self.thread_ts = next_ts()

    def open(self, channel_in_view: str | None = None) -> Exchange:
        exchange = self.slack.event(
            _thread_event("assistant_thread_started", self.user, self.thread_ts, channel_in_view)
        )
        assert exchange.status == 200
        return exchange

    def look_at(self, channel: str) -> Exchange:
        exchange = self.slack.event(
            _thread_event("assistant_thread_context_changed", self.user, self.thread_ts, channel)
        )
        assert exchange.status == 200
        return exchange

    def say(self, text: str) -> Exchange:
        exchange = self.slack.event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": dm_channel(self.user),
                "user": self.user,
                "text": text,
                "ts": next_ts(),
                "thread_ts": self.thread_ts,
            }
        )
        assert exchange.status == 200
        return exchange


def _prompts(call: RecordedCall) -> list[dict[str, str]]:
    prompts = call.params["prompts"]
    return json.loads(prompts) if isinstance(prompts, str) else list(prompts)


def _no_private_words(text: str) -> None:
    for word in PRIVATE_WORDS:
        assert word not in text, word


# -- opening a thread --------------------------------------------------------------------------------


@pytest.mark.usefixtures("demo")
def test_thread_started_greets_in_the_thread_with_prompts_for_the_person(slack: SlackDriver) -> None:
    pane = AssistantPane(slack, RAO)

    exchange = pane.open()

    greeting = exchange.of("chat.postMessage")
    assert len(greeting) == 1
    assert greeting[0].params["channel"] == dm_channel(RAO)
    assert greeting[0].params["thread_ts"] == pane.thread_ts
    assert "Hi Priya!" in greeting[0].params["text"]
    suggested = exchange.of("assistant.threads.setSuggestedPrompts")
    assert len(suggested) == 1 and suggested[0].params["thread_ts"] == pane.thread_ts
    prompts = _prompts(suggested[0])
    messages = [p["message"] for p in prompts]
    assert messages[:2] == [
        "What is overdue for me?",  # she owns pcm-2 and uplift-1, both overdue
        "When is uplift-3 due?",  # her next milestone
    ]
    assert sorted(messages[2:]) == ["How is pcm doing?", "How is uplift doing?"]  # her projects
    assert prompts[0]["title"] == "My 2 overdue items"
    assert all(0 < len(p["title"]) <= 60 for p in prompts)


@pytest.mark.usefixtures("demo")
def test_prompts_start_with_the_project_in_view(slack: SlackDriver) -> None:
    prompts = _prompts(
        AssistantPane(slack, RAO).open(channel_in_view="C1PCM").of("assistant.threads.setSuggestedPrompts")[0]
    )

    assert prompts[0] == {"title": "What's next for this project?", "message": "What's next for pcm?"}
    assert "How is pcm doing?" not in [p["message"] for p in prompts]


@pytest.mark.usefixtures("demo")
def test_prompts_never_name_a_private_project_the_person_cannot_see(slack: SlackDriver) -> None:
    exchange = AssistantPane(slack, OSEI).open(channel_in_view="C1FAIR")

    prompts = _prompts(exchange.of("assistant.threads.setSuggestedPrompts")[0])
    _no_private_words(json.dumps(prompts) + said(exchange))
    assert not any("this project" in p["title"] for p in prompts)
    # Kovalenko is on fairdelivery: her own prompts may name it.
    mine = _prompts(
        AssistantPane(slack, KOVALENKO).open("C1FAIR").of("assistant.threads.setSuggestedPrompts")[0]
    )
    assert mine[0]["message"] == "What's next for fairdelivery?"


def test_thread_started_in_a_workspace_without_data_says_so_and_suggests_nothing(
    slack: SlackDriver,
) -> None:
    exchange = AssistantPane(slack, OSEI).open()

    assert "no projects for this Slack workspace yet" in said(exchange)
    assert not exchange.of("assistant.threads.setSuggestedPrompts")


# -- answering in the thread ----------------------------------------------------------------------------


@pytest.mark.usefixtures("demo")
def test_message_gets_status_title_and_answer_in_the_thread(slack: SlackDriver) -> None:
    pane = AssistantPane(slack, OSEI)
    pane.open()

    exchange = pane.say("when is pcm-2 due?")

    methods = [c.method for c in exchange.calls if c.method.startswith(("assistant.", "chat."))]
    assert methods == ["assistant.threads.setStatus", "assistant.threads.setTitle", "chat.postMessage"]
    assert exchange.of("assistant.threads.setStatus")[0].params["status"] == THINKING_STATUS
    assert exchange.of("assistant.threads.setTitle")[0].params["title"] == "when is pcm-2 due?"
    answer = exchange.of("chat.postMessage")[0]
    assert answer.params["channel"] == dm_channel(OSEI) and answer.params["thread_ts"] == pane.thread_ts
    assert "pcm-2" in answer.params["text"]

    # The title is the first question's; later ones only get the status.
    later = pane.say("what is overdue on uplift?")
    assert not later.of("assistant.threads.setTitle")
    assert len(later.of("assistant.threads.setStatus")) == 1


@pytest.mark.usefixtures("demo")
def test_long_first_question_gives_a_short_title(slack: SlackDriver) -> None:
    pane = AssistantPane(slack, OSEI)
    pane.open()

    exchange = pane.say("could you please tell me " * 6 + "when pcm-2 is due?")

    title = exchange.of("assistant.threads.setTitle")[0].params["title"]
    assert len(title) <= MAX_TITLE and title.endswith("…")


@pytest.mark.usefixtures("demo")
def test_follow_ups_in_the_assistant_thread(slack: SlackDriver) -> None:
    pane = AssistantPane(slack, OSEI)
    pane.open()

    assert "pcm-2" in said(pane.say("when is pcm-2 due?"))
    owner = said(pane.say("and who owns it?"))
    assert "pcm-2" in owner and "<@U03MSRAO>" in owner
    assert "pcm-3" in said(pane.say("what about pcm-3?"))


@pytest.mark.usefixtures("demo")
def test_this_project_is_the_channel_in_view_and_follows_it(slack: SlackDriver) -> None:
    pane = AssistantPane(slack, OSEI)
    pane.open(channel_in_view="C1PCM")

    lead = said(pane.say("who leads this project?"))
    assert "<@U06CRWONG>" in lead  # Mei Wong leads pcm

    pane.look_at("C1FATIGUE")
    lead = said(pane.say("who leads this project?"))
    assert "<@U04CPMUEL>" in lead and "<@U06CRWONG>" not in lead  # Hannah Müller leads fatigue


@pytest.mark.usefixtures("demo")
def test_context_changes_are_stored_for_every_instance(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    pane = AssistantPane(slack, OSEI)
    pane.open(channel_in_view="C1PCM")
    pane.look_at("C1UPLIFT")

    with session_factory() as session:
        row = session.scalars(select(AssistantThread)).one()
    assert (row.channel_id, row.thread_ts, row.user_id) == (dm_channel(OSEI), pane.thread_ts, OSEI)
    assert row.context_channel_id == "C1UPLIFT"


@pytest.mark.usefixtures("demo")
def test_a_private_channel_in_view_is_not_this_project_for_a_non_member(slack: SlackDriver) -> None:
    pane = AssistantPane(slack, OSEI)
    pane.open(channel_in_view="C1FAIR")

    for question in ("what's next for this project?", "who leads this project?", "and the private one?"):
        _no_private_words(said(pane.say(question)))


@pytest.mark.usefixtures("demo")
def test_a_private_answer_in_the_assistant_thread_goes_to_its_person(slack: SlackDriver) -> None:
    pane = AssistantPane(slack, KOVALENKO)
    pane.open(channel_in_view="C1FAIR")

    exchange = pane.say("what's next for this project?")

    # The assistant thread is the person's own DM: the private project's answer is posted there.
    answer = exchange.of("chat.postMessage")
    assert len(answer) == 1 and answer[0].params["channel"] == dm_channel(KOVALENKO)
    assert "fairdelivery-1" in said(exchange)


# -- without the assistant surface ------------------------------------------------------------------


@pytest.mark.usefixtures("demo")
def test_a_plain_dm_thread_is_answered_without_assistant_calls(slack: SlackDriver) -> None:
    thread_ts = next_ts()
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": dm_channel(OSEI),
        "user": OSEI,
        "text": "when is pcm-2 due?",
        "ts": next_ts(),
        "thread_ts": thread_ts,
    }

    exchange = slack.event(event)

    assert not [c for c in exchange.calls if c.method.startswith("assistant.")]
    answer = exchange.of("chat.postMessage")
    assert len(answer) == 1 and answer[0].params["thread_ts"] == thread_ts
    assert "pcm-2" in answer[0].params["text"]
    # Follow-ups work in it too.
    owner = slack.event({**event, "text": "and who owns it?", "ts": next_ts()})
    assert "<@U03MSRAO>" in said(owner)


@pytest.mark.usefixtures("demo")
def test_refused_status_and_title_still_answer(slack: SlackDriver, slack_api: FakeSlackApi) -> None:
    pane = AssistantPane(slack, OSEI)
    pane.open()
    slack_api.fail("assistant.threads.setStatus", "missing_scope")
    slack_api.fail("assistant.threads.setTitle", "missing_scope")

    exchange = pane.say("when is pcm-2 due?")

    assert len(posts(exchange.calls)) == 1 and "pcm-2" in said(exchange)


@pytest.mark.usefixtures("demo")
def test_bot_posts_and_edits_in_the_thread_are_not_answered(slack: SlackDriver) -> None:
    pane = AssistantPane(slack, OSEI)
    pane.open()
    base = {"type": "message", "channel_type": "im", "channel": dm_channel(OSEI), "thread_ts": pane.thread_ts}

    ours = slack.event(
        {**base, "user": FakeSlackApi.bot_user_id, "bot_id": "B0LIAISON", "text": "hi", "ts": next_ts()}
    )
    edit = slack.event(
        {
            **base,
            "subtype": "message_changed",
            "message": {"text": "edited", "thread_ts": pane.thread_ts, "user": OSEI},
            "ts": next_ts(),
        }
    )

    assert ours.status == edit.status == 200
    assert not posts(ours.calls) and not posts(edit.calls)


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(
    "event",
    [
        {"type": "assistant_thread_started"},
        {"type": "assistant_thread_started", "assistant_thread": {"user_id": OSEI, "context": {}}},
        {"type": "assistant_thread_context_changed", "assistant_thread": {"channel_id": "D01MLOSEI"}},
    ],
    ids=["no-thread", "no-channel", "no-user"],
)
def test_malformed_assistant_events_are_acknowledged_and_ignored(
    slack: SlackDriver, session_factory: sessionmaker[Session], event: dict[str, Any]
) -> None:
    exchange = slack.event(event)

    assert exchange.status == 200 and not posts(exchange.calls)
    with session_factory() as session:
        assert session.scalars(select(AssistantThread)).all() == []


@pytest.mark.parametrize(
    ("name", "greeted"),
    [
        ("Prof. Ingrid Banerjee", "Ingrid"),
        ("Dr. Mei Wong", "Mei"),
        ("Priya Rao", "Priya"),
        ("Dr.", None),
        (None, None),
    ],
)
def test_the_greeting_uses_the_given_name_not_a_title(name: str | None, greeted: str | None) -> None:
    assert greeting_name(name) == greeted
