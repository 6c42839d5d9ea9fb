"""Plain-language questions through the real Bolt path: @mentions, DMs, /ask, the message shortcut,
"did you mean" buttons, private projects, Slack's retries, a loading model and the optional LLM."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pytest

from bot.cli.console.fake_slack_http import FAKE_POLL_INTERVAL
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.services import Services
from bot.slack import answer_publisher, ids
from bot.slack import questions as question_service
from bot.slack.answer_blocks import THINKING_TEXT
from tests.fakes.driver import SlackDriver, buttons_of, message_text
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi, RecordedCall

pytestmark = pytest.mark.usefixtures("demo")

BANERJEE = "U02ECBANE"
OSEI = "U01MLOSEI"
KOVALENKO = "U01MLKOV"  # member of the private project fairdelivery
STEIN = "U12ETSTEI"  # its lead
BOT = FakeSlackApi.bot_user_id
# What only members may read (questions may echo the asker's own words, e.g. "fairness audit").
PRIVATE_WORDS = (
    "fairdelivery",
    "Fairness audit of ad delivery",
    "Audit protocol",
    "Paired-campaign",
    "C1FAIR",
)


@pytest.fixture(autouse=True)
def _hashing_embedder(services: Services) -> None:
    services.embedder = HashingEmbedder()


def _mention(
    user: str, text: str, *, channel: str = "C0GENERAL", ts: str = "1790000000.000100", **extra: Any
) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": user,
        "channel": channel,
        "text": f"<@{BOT}> {text}",
        "ts": ts,
        **extra,
    }


def _dm(user: str, text: str, *, ts: str = "1790000001.000100", **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "channel": "D" + user[1:],
        "text": text,
        "ts": ts,
        **extra,
    }


def _posts(calls: Sequence[RecordedCall]) -> list[RecordedCall]:
    return [c for c in calls if c.method in ("chat.postMessage", "chat.postEphemeral")]


def _text(calls: Sequence[RecordedCall]) -> str:
    return "\n".join(message_text(c.params) for c in calls)


# -- surfaces -------------------------------------------------------------------------------------


def test_mention_in_thread_answers_in_that_thread(slack: SlackDriver) -> None:
    exchange = slack.event(_mention(OSEI, "who leads pcm?", thread_ts="1789999999.000001"))

    posts = exchange.of("chat.postMessage")
    assert exchange.status == 200 and len(posts) == 1
    assert posts[0].params["channel"] == "C0GENERAL"
    assert posts[0].params["thread_ts"] == "1789999999.000001"
    assert "Mei Wong" in posts[0].params["text"] and "<@U06CRWONG>" in message_text(posts[0].params)


def test_top_level_mention_starts_a_thread_on_the_question(slack: SlackDriver) -> None:
    exchange = slack.event(_mention(BANERJEE, "what's overdue?", ts="1790000000.000555"))

    post = exchange.of("chat.postMessage")[0]
    assert post.params["thread_ts"] == "1790000000.000555"
    assert "uplift-1" in post.params["text"] and "pcm-2" in post.params["text"]


def test_retries_of_one_event_are_answered_once(slack: SlackDriver) -> None:
    event = _mention(OSEI, "what is due next week?")

    first = slack.event(event, event_id="Ev0QUESTION1")
    retries = [slack.event(event, event_id="Ev0QUESTION1", retry_num=n) for n in (1, 2, 3)]

    answers = _posts(first.calls) + [c for r in retries for c in _posts(r.calls)]
    assert len(answers) == 1
    assert all(r.status == 200 for r in [first, *retries])


def test_direct_message_is_answered_in_the_dm(slack: SlackDriver) -> None:
    exchange = slack.event(_dm(OSEI, "what is waiting on me?"))

    posts = exchange.of("chat.postMessage")
    assert len(posts) == 1 and posts[0].params["channel"] == "D01MLOSEI"
    assert "thread_ts" not in posts[0].params  # a plain reply in the DM, not a thread
    assert "bidshade-3" in posts[0].params["text"] and "fatigue-2" in posts[0].params["text"]


@pytest.mark.parametrize(
    "event",
    [
        _dm(OSEI, "I answered myself", bot_id="B0LIAISONBOT"),
        _dm(BOT, "my own reply"),
        _dm(OSEI, "edited", subtype="message_changed"),
        {**_dm(OSEI, "in a channel"), "channel_type": "channel", "channel": "C0GENERAL"},
        _mention(OSEI, "a mention inside a DM is the DM's message", channel="D01MLOSEI"),
    ],
    ids=["bot-id", "bot-user", "edit", "channel-message", "mention-in-dm"],
)
def test_bots_edits_and_other_messages_are_not_answered(slack: SlackDriver, event: dict[str, Any]) -> None:
    exchange = slack.event(event)

    assert exchange.status == 200 and not _posts(exchange.calls)


def test_ask_command_acks_at_once_and_answers_privately(slack: SlackDriver) -> None:
    exchange = slack.command(BANERJEE, "/ask when is the legal memo due?")

    assert exchange.body == ""  # the ack carries nothing; the answer follows via response_url
    reply = exchange.reply
    assert reply["response_type"] == "ephemeral"
    assert "pcm-2" in reply["text"] and "Thu 19 Nov 2026, 17:00 CET" in reply["text"]


def test_overlong_question_is_refused_with_the_limit_not_interpreted(slack: SlackDriver) -> None:
    text = "when is the legal memo due? " * 40  # 1,120 characters

    reply = slack.command(BANERJEE, "/ask " + text.strip()).reply

    assert reply["response_type"] == "ephemeral"
    assert "long question" in reply["text"] and "under 1,000" in reply["text"]
    assert "pcm-2" not in reply["text"]
    # One below the limit is answered normally.
    assert "pcm-2" in slack.command(BANERJEE, "/ask " + text[:990]).reply_text


def test_empty_ask_command_explains_what_can_be_asked(slack: SlackDriver) -> None:
    assert "For example" in slack.command(BANERJEE, "/ask").reply_text


def _shortcut(slack: SlackDriver, user: str, text: str, **message: Any) -> Any:
    payload = {
        "type": "message_action",
        "callback_id": ids.ASK_SHORTCUT,
        "team": {"id": FakeSlackApi.team_id, "domain": "liaison-demo"},
        "user": {"id": user, "team_id": FakeSlackApi.team_id},
        "channel": {"id": "C1BIDSHADE", "name": "bidshade"},
        "message": {
            "type": "message",
            "user": "U02ECMORA",
            "ts": "1790000000.000900",
            "text": text,
            **message,
        },
        "message_ts": "1790000000.000900",
        "response_url": slack.slack_api.response_url("shortcut1"),
        "trigger_id": "1.2.shortcut",
        "action_ts": "1790000000.1",
    }
    body = urlencode({"payload": json.dumps(payload)})
    return slack.send(slack.payloads.sign(body, "application/x-www-form-urlencoded"))


def test_message_shortcut_answers_the_message_privately(slack: SlackDriver) -> None:
    # Asked in the project's channel: "this" means bidshade.
    exchange = _shortcut(slack, OSEI, "Is the live test still on track? When is it due?")

    assert exchange.status == 200
    reply = exchange.reply
    assert reply["response_type"] == "ephemeral"
    assert "bidshade-4" in message_text(reply)


# -- did you mean ---------------------------------------------------------------------------------


def test_ambiguous_question_offers_choices_that_answer_when_clicked(slack: SlackDriver) -> None:
    exchange = slack.event(_mention(BANERJEE, "when is the replay due?"))

    post = exchange.of("chat.postMessage")[0]
    assert "not sure" in post.params["text"]
    choices = [
        b for b in buttons_of(post.params["blocks"]) if b["action_id"].startswith(ids.ASK_CHOICE_ACTION)
    ]
    assert [c["action_id"] for c in choices] == ["ask_choice:0", "ask_choice:1"]  # unique within the block
    assert "bidshade-1" in choices[0]["text"]["text"] and "bidshade-3" in choices[1]["text"]["text"]

    # Clicked on the public answer: the choice is answered for the clicker alone, the post stays.
    clicked = slack.send(
        slack.payloads.block_action(
            user_id=OSEI,
            action_id=choices[1]["action_id"],
            value=choices[1]["value"],
            message_ts="1790000000.2",
        )
    )

    reply = clicked.reply
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    assert "bidshade-3" in reply["text"] and "Fri 11 Dec 2026, 16:00 GMT" in reply["text"]  # Osei's zone


def test_unknown_project_is_said_and_near_misses_offered(slack: SlackDriver) -> None:
    post = slack.event(_mention(BANERJEE, "who leads bid shadowing?")).of("chat.postMessage")[0]

    assert "Ingrid" in post.params["text"] or "bidshade" in message_text(post.params)


def test_record_buttons_open_the_record(slack: SlackDriver) -> None:
    post = slack.event(_mention(BANERJEE, "how is pcm going?")).of("chat.postMessage")[0]
    sources = [
        b for b in buttons_of(post.params["blocks"]) if b["action_id"].startswith(ids.ANSWER_SOURCE_ACTION)
    ]
    assert len({b["action_id"] for b in sources}) == len(sources) >= 2

    clicked = slack.click(BANERJEE, sources[0])

    assert (
        "Privacy-preserving conversion measurement" in clicked.reply_text and "Members" in clicked.reply_text
    )


# -- private projects -----------------------------------------------------------------------------


def test_member_asking_in_a_channel_gets_private_answer_only_for_them(slack: SlackDriver) -> None:
    exchange = slack.event(_mention(KOVALENKO, "what am I working on?"))

    assert not exchange.of("chat.postMessage")
    (ephemeral,) = exchange.of("chat.postEphemeral")
    assert ephemeral.params["user"] == KOVALENKO and "fairdelivery" in ephemeral.params["text"]


def test_member_asking_in_a_dm_gets_the_answer_there(slack: SlackDriver) -> None:
    post = slack.event(_dm(STEIN, "what is due next week?")).of("chat.postMessage")[0]

    assert "fairdelivery-1" in post.params["text"]


@pytest.mark.parametrize(
    "question",
    [
        "how is the fairness audit going?",
        "when is the ethics board approval due?",
        "what is Lena working on?",
        "which projects is Rebecca Stein on?",
        "what is due next week?",
        "which projects involve machine learning?",
        "list all projects",
        "who knows about auditing ad delivery?",
        "ethics board",
    ],
)
def test_private_project_is_never_shown_to_non_members(slack: SlackDriver, question: str) -> None:
    exchange = slack.event(_mention(OSEI, question))

    said = _text(_posts(exchange.calls))
    assert said
    assert not any(word.casefold() in said.casefold() for word in PRIVATE_WORDS), said
    assert "7 projects" not in said


def test_private_project_channel_means_nothing_to_non_members(slack: SlackDriver) -> None:
    said = _text(_posts(slack.event(_mention(OSEI, "who is on this project?", channel="C1FAIR")).calls))

    assert "Which project" in said and "fairdelivery" not in said and "Lena" not in said


def test_user_text_is_escaped(slack: SlackDriver) -> None:
    exchange = slack.event(_mention(OSEI, "status of <!channel> & <@U0HACKER|x> widgets"))

    for call in _posts(exchange.calls):
        assert "<!channel>" not in json.dumps(call.params)


# -- while the model loads ------------------------------------------------------------------------


class SlowModel:
    """An embedder whose model finishes loading when the test says so."""

    model_name = "slow-fake"
    dimension = 384

    def __init__(self) -> None:
        self.loaded = threading.Event()
        self.inner = HashingEmbedder()
        self.embedded: list[str] = []

    @property
    def ready(self) -> bool:
        return self.loaded.is_set()

    def start_loading(self) -> None:
        return None

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self.loaded.wait(timeout)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        assert self.loaded.is_set(), "embedded before the model was loaded"
        self.embedded += list(texts)
        return self.inner.embed(texts)


@pytest.fixture
def slow_model(services: Services, monkeypatch: pytest.MonkeyPatch) -> SlowModel:
    model = SlowModel()
    services.embedder = model
    monkeypatch.setattr(question_service, "QUIET_WAIT", 0.05)
    return model


def test_confident_question_is_answered_while_the_model_loads(
    slack: SlackDriver, slow_model: SlowModel
) -> None:
    started = time.monotonic()
    exchange = slack.event(_mention(OSEI, "who leads pcm?"))

    assert time.monotonic() - started < 2
    texts = [c.params["text"] for c in _posts(exchange.calls)]
    assert len(texts) == 1 and "Mei Wong" in texts[0]
    assert not slow_model.embedded


def test_unclear_question_waits_for_the_model_with_a_thinking_note(
    slack: SlackDriver, slow_model: SlowModel
) -> None:
    timer = threading.Timer(1.0, slow_model.loaded.set)
    timer.start()
    try:
        exchange = slack.event(_mention(OSEI, "give me the lowdown on deadlines and owners"))
    finally:
        timer.cancel()

    posts = _posts(exchange.calls)
    assert [c.method for c in posts] == ["chat.postEphemeral", "chat.postMessage"]
    assert THINKING_TEXT in posts[0].params["text"] and posts[0].params["user"] == OSEI
    assert THINKING_TEXT not in posts[1].params["text"]
    assert slow_model.embedded  # the answer used the model once it was there


def test_model_that_never_loads_still_gets_an_answer(
    slack: SlackDriver, slow_model: SlowModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(question_service, "MODEL_WAIT", 0.1)

    posts = _posts(slack.event(_mention(OSEI, "give me the lowdown on deadlines and owners")).calls)

    assert [c.method for c in posts] == ["chat.postEphemeral", "chat.postMessage"]
    assert posts[1].params["text"]


def test_ack_is_not_delayed_by_a_loading_model(slack: SlackDriver, slow_model: SlowModel) -> None:
    # /ask acks before anything else; the respond() that follows waits, the ack does not.
    timer = threading.Timer(1.0, slow_model.loaded.set)
    timer.start()
    try:
        exchange = slack.command(OSEI, "/ask give me the lowdown on deadlines and owners")
    finally:
        timer.cancel()
    replies = exchange.of(RESPONSE_URL_METHOD)
    assert THINKING_TEXT in replies[0].params["text"]
    assert replies[-1].params["replace_original"] is True and THINKING_TEXT not in replies[-1].params["text"]


# -- optional LLM phrasing ------------------------------------------------------------------------


class FakeLlm:
    """A tiny OpenAI-compatible /chat/completions server on 127.0.0.1."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply: str | None = "Mei Wong leads it [pcm]."
        self.status = 200
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                data = json.dumps({"choices": [{"message": {"role": "assistant", "content": fake.reply}}]})
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": FAKE_POLL_INTERVAL}, daemon=True
        ).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def llm(services: Services) -> Iterator[FakeLlm]:
    import dataclasses

    fake = FakeLlm()
    services.settings = dataclasses.replace(
        services.settings, llm_base_url=fake.url, llm_model="tiny-test-model", llm_api_key="sk-test"
    )
    yield fake
    fake.close()


def test_llm_phrases_the_answer_from_the_retrieved_records_only(slack: SlackDriver, llm: FakeLlm) -> None:
    post = slack.event(_mention(OSEI, "who leads pcm?")).of("chat.postMessage")[0]

    assert "Mei Wong leads it [pcm]." in message_text(post.params)
    assert "tiny-test-model" in message_text(post.params)  # credited, with the records it came from
    (request,) = llm.requests
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test"
    sent = json.dumps(request["body"])
    assert "Mei Wong" in sent and "who leads pcm?" in sent
    # Only the records of the answer: nothing about other projects, and never a private one.
    assert "bidshade" not in sent and "fairdelivery" not in sent


def test_llm_failure_falls_back_to_the_template_answer(slack: SlackDriver, llm: FakeLlm) -> None:
    llm.status = 500

    post = slack.event(_mention(OSEI, "who leads pcm?")).of("chat.postMessage")[0]

    assert "is led by" in post.params["text"] and "tiny-test-model" not in message_text(post.params)


def test_llm_reply_citing_no_record_is_not_used(slack: SlackDriver, llm: FakeLlm) -> None:
    llm.reply = "Probably someone from the marketing team."

    post = slack.event(_mention(OSEI, "who leads pcm?")).of("chat.postMessage")[0]

    assert "Probably" not in message_text(post.params) and "Mei Wong" in post.params["text"]


def test_llm_unreachable_falls_back(slack: SlackDriver, llm: FakeLlm) -> None:
    llm.close()

    post = slack.event(_mention(OSEI, "who leads pcm?")).of("chat.postMessage")[0]

    assert "is led by" in post.params["text"]


def test_no_llm_call_without_the_setting(slack: SlackDriver) -> None:
    # The default settings have no endpoint: nothing but the fake Slack API is contacted.
    exchange = slack.event(_mention(OSEI, "who leads pcm?"))
    assert {c.method for c in exchange.calls} <= {"chat.postMessage", "auth.test"}


def test_thread_reader_survives_missing_scope(slack: SlackDriver, slack_api: FakeSlackApi) -> None:
    slack_api.fail("conversations.replies", "missing_scope")

    exchange = slack.event(_mention(OSEI, "who leads it?", thread_ts="1789999999.000001"))

    assert "Which project" in exchange.of("chat.postMessage")[0].params["text"]


def test_answer_publisher_knows_dms() -> None:
    assert answer_publisher.is_direct_message("D01MLOSEI") and not answer_publisher.is_direct_message("C1PCM")
