"""The console reaches every surface: a project's channel (`:in`), Liaison's DM (`:dm`), threads
(`:thread`) and the assistant view (`:assistant`), each as the event Slack sends, through the real
Bolt app and the fake Slack over HTTP; and every post says where it went."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.cli.console.fake_slack import FakeSlackApi
from bot.cli.console.payloads import SignedBody
from bot.cli.console.render import CallRenderer, Destinations
from bot.cli.console.session import ConsoleResult, ConsoleSession
from bot.settings import Settings

BANERJEE = "U02ECBANE"  # leads bidshade; not in pcm (public) nor fairdelivery (private)
RAO = "U03MSRAO"  # in pcm, owns pcm-2 (overdue)
NAMES = {BANERJEE: "Prof. Ingrid Banerjee", RAO: "Priya Rao"}


@dataclass
class Console:
    session: ConsoleSession
    output: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def type(self, line: str) -> str:
        """Feed one line; return what the console printed for it."""
        self.output.clear()
        self.errors.clear()
        self.events.clear()
        assert self.session.handle_line(line) is True
        return "\n".join(self.output)

    def posts(self) -> list[dict[str, Any]]:
        return [c.params for c in self.session.fake.calls("chat.postMessage")]


@pytest.fixture
def console(demo_db: str) -> Iterator[Console]:
    output: list[str] = []
    errors: list[str] = []
    session = ConsoleSession(
        Settings(database_url=demo_db, default_timezone="Europe/Amsterdam"),
        output=output.append,
        error_output=errors.append,
        with_scheduler=False,
    )
    session.start()
    console = Console(session, output, errors)
    send = session.send

    def recording_send(signed: SignedBody) -> ConsoleResult:
        body = json.loads(signed.body) if signed.body.startswith("{") else {}
        if body.get("type") == "event_callback":
            console.events.append(body["event"])
        return send(signed)

    session.send = recording_send  # type: ignore[method-assign]
    try:
        assert session.switch_user(BANERJEE)
        yield console
    finally:
        session.stop()


def test_dm_sends_message_im_and_the_answer_goes_to_the_dm(console: Console) -> None:
    assert console.type(":dm") == "You are in DM with Liaison."
    assert console.session.prompt() == f"{BANERJEE} DM> "

    text = console.type("what is overdue on pcm?")

    (event,) = console.events
    assert event["type"] == "message" and event["channel_type"] == "im"
    assert event["channel"] == "D02ECBANE" and event["user"] == BANERJEE
    assert "thread_ts" not in event
    (post,) = console.posts()
    assert post["channel"] == "D02ECBANE" and not post.get("thread_ts")
    assert text.startswith("── Liaison → DM to @Prof. Ingrid Banerjee · ts ")
    assert "pcm-2" in text and "uplift-1" not in text


def test_in_project_channel_makes_this_project_mean_it(console: Console) -> None:
    assert console.type(":in pcm") == "You are in #pcm."
    assert console.session.prompt() == f"{BANERJEE} #pcm> "

    # In a channel Liaison hears mentions only, so a plain line there is sent as one.
    text = console.type("what's overdue in this project?")

    (event,) = console.events
    assert event["type"] == "app_mention" and event["channel"] == "C1PCM"
    assert event["text"] == "<@U0LIAISONBOT> what's overdue in this project?"
    (post,) = console.posts()
    assert post["channel"] == "C1PCM" and post["thread_ts"] == event["ts"]
    assert text.startswith(f"── Liaison → #C1PCM (in thread {event['ts']}) · #pcm\n")
    # Only pcm's overdue milestone: "this project" is the channel's, not every overdue item.
    assert "pcm-2" in text and "uplift-1" not in text


def test_slash_command_in_a_channel_says_where_its_reply_showed(console: Console) -> None:
    console.type(":in C1BIDSHADE")

    text = console.type("/project status bidshade")

    assert text.startswith("── Liaison → only you see this, in #C1BIDSHADE · #bidshade\n")
    assert "BID SHADING FOR FIRST-PRICE AUCTIONS (BIDSHADE)" in text


def test_thread_follow_up_goes_to_the_same_thread(console: Console) -> None:
    console.type(":in pcm")
    console.type("what's overdue in this project?")
    first_ts = console.events[0]["ts"]

    assert console.type(":thread") == f"You are in #pcm, thread {first_ts}."
    text = console.type("and who owns it?")

    (event,) = console.events
    assert event["type"] == "app_mention" and event["thread_ts"] == first_ts
    assert console.posts()[-1]["thread_ts"] == first_ts
    assert text.startswith(f"── Liaison → #C1PCM (in thread {first_ts}) · #pcm\n")
    assert "@Priya Rao" in text  # the owner of pcm-2, the milestone of the first answer
    # The fake keeps the thread as Slack would: the question, the answer, the follow-up and its answer.
    thread = console.session.fake.messages("C1PCM")
    assert [m["user"] for m in thread] == [BANERJEE, "U0LIAISONBOT", BANERJEE, "U0LIAISONBOT"]

    assert console.type(":thread off") == "You are in #pcm."


def test_thread_with_explicit_ts_and_bad_ts(console: Console) -> None:
    console.type(":dm")

    assert (
        console.type(":thread 1796000000.000100") == "You are in DM with Liaison, thread 1796000000.000100."
    )
    console.type("what is overdue on pcm?")
    assert console.events[0]["thread_ts"] == "1796000000.000100"

    console.type(":thread next tuesday")
    assert console.errors == [
        "“next tuesday” is not a message ts (like 1733480000.000100; posts print theirs)."
    ]


def test_in_refuses_unknown_and_private_projects_alike(console: Console) -> None:
    console.type(":in nosuchproject")
    unknown = list(console.errors)
    console.type(":in fairdelivery")  # private, and Banerjee is not in it

    assert unknown == [
        "No project “nosuchproject” that you can see. Give a channel id (C…) or a project key."
    ]
    assert console.errors == [
        "No project “fairdelivery” that you can see. Give a channel id (C…) or a project key."
    ]
    assert console.session.where() == "#C0CONSOLE"


def test_assistant_thread_started_then_messages_in_the_thread(console: Console) -> None:
    console.type(":in bidshade")

    opened = console.type(":assistant")

    started = console.events[0]
    assert started["type"] == "assistant_thread_started"
    thread = started["assistant_thread"]
    ts = thread["thread_ts"]
    assert thread["user_id"] == BANERJEE and thread["channel_id"] == "D02ECBANE"
    assert thread["context"]["channel_id"] == "C1BIDSHADE"
    assert opened.startswith(
        f"── You are in assistant thread {ts}, looking at #bidshade "
        "(Slack sends Liaison assistant_thread_started)"
    )
    assert f"── Liaison → DM to @Prof. Ingrid Banerjee (assistant thread {ts})" in opened
    assert f"── Liaison suggests (assistant thread {ts})" in opened
    assert console.session.prompt() == f"{BANERJEE} assistant thread {ts}> "

    text = console.type("what's next for this project?")

    (message,) = console.events
    assert message["type"] == "message" and message["channel_type"] == "im"
    assert message["channel"] == "D02ECBANE" and message["thread_ts"] == ts
    answer = console.posts()[-1]
    assert answer["channel"] == "D02ECBANE" and answer["thread_ts"] == ts
    assert f"── Liaison → DM to @Prof. Ingrid Banerjee (assistant thread {ts})" in text
    assert "Bid shading for first-price auctions" in text

    # Looking at another channel: Slack says so, and "this project" follows.
    moved = console.type(":in pcm")
    assert console.events[0]["type"] == "assistant_thread_context_changed"
    assert console.events[0]["assistant_thread"]["context"]["channel_id"] == "C1PCM"
    assert moved.startswith(f"── You are in assistant thread {ts}, looking at #pcm")
    text = console.type("what's next for this project?")
    assert "Privacy-preserving conversion measurement" in text and "Bid shading" not in text


def test_suggested_prompt_click_posts_its_message_in_the_thread(console: Console) -> None:
    opened = console.type(":assistant")
    ts = console.events[0]["assistant_thread"]["thread_ts"]
    assert "[1: " in opened, opened

    text = console.type(":click 1")

    (message,) = console.events
    assert message["type"] == "message" and message["thread_ts"] == ts
    assert text.startswith(f"── You → {message['text']}\n")
    assert console.posts()[-1]["thread_ts"] == ts


def test_switching_user_leaves_someone_elses_dm(console: Console) -> None:
    console.type(":dm")
    console.type(f":as {RAO}")

    assert console.session.place.channel_id == "D03MSRAO"
    assert console.type(":in") == "You are in #C0CONSOLE."


def test_group_dm_and_channel_names_in_post_headers() -> None:
    with FakeSlackApi() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        group = client.conversations_open(users=f"{BANERJEE},{RAO}")["channel"]["id"]
        client.chat_postMessage(channel=group, text="Meet Priya")
        client.chat_postMessage(channel="C1PCM", text="Weekly summary")
        names = {"C1PCM": "#pcm"}
        renderer = CallRenderer(
            lambda user: NAMES.get(user, user),
            destinations=Destinations(channel_name=names.get, group_members=fake.group_members),
        )
        to_group, to_channel = (renderer.render(c) for c in fake.calls("chat.postMessage"))

    assert group.startswith("G")
    assert to_group is not None and to_channel is not None
    assert to_group.startswith("── Liaison → group DM with @Prof. Ingrid Banerjee, @Priya Rao · ts ")
    assert to_channel.startswith("── Liaison → #C1PCM · #pcm · ts ")
