"""Answering through the real Bolt path: the form, replies in the question's thread, the one-click
blocker, the summary posted once at the cut-off, and the weekly digest that quotes it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.tables import CheckinAsk
from bot.clock import FixedClock
from bot.models import Blocker, Person
from bot.services import Services
from bot.slack import ids
from jobs.reminders import plan_reminders, send_due_reminders
from tests.checkins.conftest import CHANNEL, LEAD, NEW_YORK, SEOUL, Tick, checkin_messages, utc
from tests.fakes.driver import SlackDriver, buttons_of, message_text, opened_view
from tests.fakes.slack_api import FakeSlackApi

pytestmark = pytest.mark.usefixtures("alliance")

ASKED_ALL = utc(2026, 10, 26, 14, 0)  # Monday: everyone on pcm has been asked by now
CUTOFF = utc(2026, 10, 27, 9, 0)  # Tuesday 10:00 in Amsterdam


def _question(slack_api: FakeSlackApi, user: str) -> dict[str, Any]:
    (message,) = [m for m in checkin_messages(slack_api, user) if not m.get("thread_ts")]
    return message


def _button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    (button,) = [b for b in buttons_of(message.get("blocks") or []) if b["action_id"] == action_id]
    return button


def _values(done: str, next_: str, blocking: str) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        block: {block: {"type": "plain_text_input", "value": text}}
        for block, text in (
            (ids.CHECKIN_DONE_INPUT, done),
            (ids.CHECKIN_NEXT_INPUT, next_),
            (ids.CHECKIN_BLOCKING_INPUT, blocking),
        )
    }


def _thread(slack_api: FakeSlackApi, user: str, ts: str) -> list[dict[str, Any]]:
    """What the bot posted in the thread of a question (the DM's calls, not the question itself)."""
    return [c.params for c in slack_api.calls_to("chat.postMessage", user) if c.params.get("thread_ts") == ts]


def _answers(session_factory: sessionmaker[Session], user: str) -> tuple[Any, ...]:
    with session_factory() as session:
        ask = session.scalars(
            select(CheckinAsk).join(Person, Person.id == CheckinAsk.person_id).where(Person.slack_id == user)
        ).one()
        return ask.done_text, ask.next_text, ask.blocking_text, ask.answered_via, ask.blocker_id


def _answer_by_form(slack: SlackDriver, slack_api: FakeSlackApi, user: str, *texts: str) -> dict[str, Any]:
    question = _question(slack_api, user)
    view = opened_view(slack.click(user, _button(question, ids.CHECKIN_ANSWER_ACTION)))
    assert view["callback_id"] == ids.CHECKIN_MODAL
    exchange = slack.submit(user, view, _values(*texts))
    assert exchange.status == 200 and "errors" not in exchange.body, exchange.body
    return question


def test_answers_via_the_form_offer_a_blocker_that_one_click_records(
    tick: Tick, slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    tick(ASKED_ALL)
    question = _answer_by_form(
        slack,
        slack_api,
        NEW_YORK,
        "Shipped the <!channel> draft",
        "Pilot with two publishers",
        "Waiting for legal",
    )

    assert _answers(session_factory, NEW_YORK)[:4] == (
        "Shipped the <!channel> draft",
        "Pilot with two publishers",
        "Waiting for legal",
        "form",
    )
    (thanks,) = _thread(slack_api, NEW_YORK, question["ts"])
    assert "Waiting for legal" in message_text(thanks)
    offer = _button(thanks, ids.CHECKIN_BLOCKER_ACTION)

    first = slack.click(NEW_YORK, offer)
    again = slack.click(NEW_YORK, offer)

    assert "pcm-b1" in first.reply_text and "raised" in first.reply_text
    assert "Already recorded" in again.reply_text
    with session_factory() as session:
        (blocker,) = session.scalars(select(Blocker)).all()
        raiser = session.get(Person, blocker.raised_by_id)
    assert (blocker.text, raiser.slack_id if raiser else None) == ("Waiting for legal", NEW_YORK)
    assert _answers(session_factory, NEW_YORK)[4] == blocker.id


def test_nothing_blocking_offers_no_blocker(tick: Tick, slack: SlackDriver, slack_api: FakeSlackApi) -> None:
    tick(ASKED_ALL)
    question = _answer_by_form(slack, slack_api, SEOUL, "Survey done", "Write-up", "none")

    (thanks,) = _thread(slack_api, SEOUL, question["ts"])
    assert buttons_of(thanks.get("blocks") or []) == []


def test_only_the_person_asked_may_answer_or_record_the_blocker(
    tick: Tick, slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    tick(ASKED_ALL)
    question = _question(slack_api, NEW_YORK)

    opened = slack.click(SEOUL, _button(question, ids.CHECKIN_ANSWER_ACTION))
    assert opened.of("views.open") == []
    assert "not yours" in opened.reply_text

    _answer_by_form(slack, slack_api, NEW_YORK, "a", "b", "Waiting for legal")
    (thanks,) = _thread(slack_api, NEW_YORK, question["ts"])
    forged = slack.click(SEOUL, _button(thanks, ids.CHECKIN_BLOCKER_ACTION))
    assert "not yours" in forged.reply_text
    forged_form = slack.submit(
        SEOUL,
        {"callback_id": ids.CHECKIN_MODAL, "private_metadata": json.dumps({"ask": 1})},
        _values("forged", "", ""),
    )
    assert json.loads(forged_form.body)["response_action"] == "errors"
    with session_factory() as session:
        assert session.scalars(select(Blocker)).all() == []
    assert _answers(session_factory, NEW_YORK)[0] == "a"


def test_the_form_is_closed_after_the_cut_off(
    tick: Tick, slack: SlackDriver, slack_api: FakeSlackApi, clock: FixedClock
) -> None:
    tick(ASKED_ALL)
    question = _question(slack_api, LEAD)
    view = opened_view(slack.click(LEAD, _button(question, ids.CHECKIN_ANSWER_ACTION)))
    clock.set(CUTOFF)

    late = slack.submit(LEAD, view, _values("late", "", ""))

    answer = json.loads(late.body)
    assert answer["response_action"] == "errors"
    assert "closed" in answer["errors"][ids.CHECKIN_DONE_INPUT]


def test_replies_in_the_thread_answer_the_questions_in_turn(
    tick: Tick, slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    tick(ASKED_ALL)
    question = _question(slack_api, SEOUL)
    dm = question["channel"]
    for n, text in enumerate(
        ("Finished the survey", "Write up the results", "waiting for the data agreement")
    ):
        exchange = slack.event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": dm,
                "user": SEOUL,
                "text": text,
                "ts": f"2000000000.00000{n}",
                "thread_ts": question["ts"],
            }
        )
        assert exchange.status == 200

    assert _answers(session_factory, SEOUL)[:4] == (
        "Finished the survey",
        "Write up the results",
        "waiting for the data agreement",
        "thread",
    )
    replies = [message_text(m) for m in _thread(slack_api, SEOUL, question["ts"])]
    assert "What's next?" in replies[0] and "Anything blocking you?" in replies[1]
    assert "Record it as a blocker" in replies[2]


def test_labelled_lines_in_one_reply_answer_several_questions(
    tick: Tick, slack: SlackDriver, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    tick(ASKED_ALL)
    question = _question(slack_api, LEAD)
    slack.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": question["channel"],
            "user": LEAD,
            "text": "done: the review\nnext: the budget\nblocking: no",
            "ts": "2000000000.000009",
            "thread_ts": question["ts"],
        }
    )

    assert _answers(session_factory, LEAD)[:3] == ("the review", "the budget", "no")


def test_one_summary_at_the_cut_off_and_the_digest_quotes_it(
    tick: Tick,
    slack: SlackDriver,
    slack_api: FakeSlackApi,
    services: Services,
) -> None:
    tick(ASKED_ALL)
    _answer_by_form(slack, slack_api, NEW_YORK, "Shipped the <!channel> draft", "Pilot", "Waiting for legal")
    (thanks,) = _thread(slack_api, NEW_YORK, _question(slack_api, NEW_YORK)["ts"])
    slack.click(NEW_YORK, _button(thanks, ids.CHECKIN_BLOCKER_ACTION))

    tick(utc(2026, 10, 27, 8, 59))
    assert checkin_messages(slack_api, CHANNEL) == []
    tick(CUTOFF)
    tick(utc(2026, 10, 27, 9, 5))

    (summary,) = checkin_messages(slack_api, CHANNEL)
    text = message_text(summary)
    assert f"<@{NEW_YORK}>" in text and "Shipped the &lt;!channel&gt; draft" in text
    assert "<!channel>" not in text and "pcm-b1" in text
    assert "No answer from" in text and f"<@{SEOUL}>" in text and f"<@{LEAD}>" in text
    assert "Privacy &lt;!channel&gt; &amp; consent" in text

    plan_reminders(services, now=utc(2026, 10, 27, 9, 30))
    send_due_reminders(services, now=utc(2026, 11, 2, 8, 0))  # Monday 09:00 CET: the weekly digest
    digests = [m for m in slack_api.messages(CHANNEL) if "Weekly digest" in message_text(m)]
    assert digests, [message_text(m) for m in slack_api.messages(CHANNEL)]
    digest = message_text(digests[-1])
    assert "Latest check-in" in digest and "1 of 3 answered" in digest and "Pilot" in digest
