"""Moving a milestone: `/milestone move` and the reminder's Move-date form read dates the same way.

Issue 13, defect 9: the written forms people use ("dec 20", "20 december 2026", "end of week",
"yesterday"…) are accepted by both, day-and-month numbers ("12/20") are refused by both with the
unambiguous spellings, and a date without a time keeps the milestone's time of day and time zone
instead of taking the mover's. Everything goes through signed requests → Bolt → the fake Slack Web
API, on the demo workspace at Fri 20 Nov 2026 09:00 in Amsterdam.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.models import Milestone
from bot.services import Services
from bot.slack import ids
from jobs.reminders import send_due_reminders
from tests.fakes.driver import Exchange, SlackDriver, buttons_of, message_text, opened_view
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.reminder_support import milestone, utc

pytestmark = pytest.mark.usefixtures("demo")

BANERJEE = "U02ECBANE"  # Europe/Amsterdam; owns bidshade-2 (due Fri 27 Nov 12:00 CET) and leads bidshade
OSEI = "U01MLOSEI"  # Europe/London; owns bidshade-3 (due Fri 11 Dec 17:00 CET)
T7 = utc(2026, 11, 20, 8, 0)  # bidshade-2's seven-day reminder, and the tests' clock

# What Banerjee types for bidshade-2, and where it lands (UTC). A date alone keeps 12:00 Amsterdam.
MOVES = [
    ("dec 18", utc(2026, 12, 18, 11, 0)),
    ("December 18th", utc(2026, 12, 18, 11, 0)),
    ("18 dec", utc(2026, 12, 18, 11, 0)),
    ("18 december 2026", utc(2026, 12, 18, 11, 0)),
    ("Dec 18, 2026", utc(2026, 12, 18, 11, 0)),
    ("Fri 18 Dec 2026", utc(2026, 12, 18, 11, 0)),
    ("2026-12-18", utc(2026, 12, 18, 11, 0)),
    ("2026-12-18 15:00", utc(2026, 12, 18, 14, 0)),
    ("dec 18 3pm", utc(2026, 12, 18, 14, 0)),
    ("tuesday", utc(2026, 11, 24, 11, 0)),
    ("in 2 weeks", utc(2026, 12, 4, 11, 0)),
    ("yesterday", utc(2026, 11, 19, 11, 0)),
    ("eod", utc(2026, 11, 20, 16, 0)),  # the end of the working day names its time: 17:00
    ("end of week", utc(2026, 11, 20, 16, 0)),  # a Friday: today, 17:00
    ("by end of the week", utc(2026, 11, 20, 16, 0)),
]
REFUSALS = [
    ("12/18", "Write 2026-12-18 or dec 18"),
    ("18/12/2026", "Write 2026-12-18 or dec 18"),
    ("3/4", "2027-03-04 or mar 4 for one reading, 2027-04-03 or apr 3 for the other"),
    ("dec 32", "December has at most 31 days"),
    ("sun 18 dec 2026", "Fri 18 Dec 2026 is a Friday, not a Sunday"),
    ("someday", "couldn't read"),
]


def _move_by_command(slack: SlackDriver, user: str, ref: str, text: str) -> Exchange:
    """`/milestone move`, confirming when the reply asks first (a relative or past date)."""
    asked = slack.command(user, f"/milestone move {ref} {text}")
    confirm = [b for b in asked.buttons() if b["action_id"] == ids.CONFIRM_MOVE_ACTION]
    return slack.click(user, confirm[0]) if confirm else asked


@pytest.fixture
def reminder(services: Services, slack_api: FakeSlackApi) -> dict[str, Any]:
    """The reminder message the tick posted to Banerjee about bidshade-2."""
    assert send_due_reminders(services, now=T7) == 1
    (message,) = slack_api.messages()
    return message


def _open_move_form(slack: SlackDriver, user: str, message: dict[str, Any]) -> dict[str, Any]:
    button = next(b for b in buttons_of(message["blocks"]) if b["action_id"] == ids.REMINDER_MOVE_ACTION)
    exchange = slack.send(
        slack.payloads.block_action(
            user_id=user,
            action_id=ids.REMINDER_MOVE_ACTION,
            value=button["value"],
            block_id=ids.REMINDER_ACTIONS_BLOCK,
            channel_id=message["channel"],
            message_ts=message["ts"],
        )
    )
    assert exchange.status == 200, exchange.body
    return opened_view(exchange)


def _submit_form(slack: SlackDriver, user: str, view: dict[str, Any], text: str) -> Exchange:
    return slack.submit(
        user, view, {ids.DUE_INPUT: {ids.DUE_INPUT: {"type": "plain_text_input", "value": text}}}
    )


def _form_errors(exchange: Exchange) -> dict[str, str]:
    body = json.loads(exchange.body or "{}")
    return dict(body.get("errors") or {})


@pytest.mark.parametrize(("text", "due"), MOVES, ids=[text for text, _ in MOVES])
def test_command_accepts_the_written_forms(
    slack: SlackDriver, session_factory: sessionmaker[Session], text: str, due: datetime
) -> None:
    done = _move_by_command(slack, BANERJEE, "bidshade-2", text)

    assert "Moved `bidshade-2`" in done.reply_text, done.reply_text
    moved = milestone(session_factory, "bidshade", 2)
    assert (moved.due_at, moved.due_timezone) == (due, "Europe/Amsterdam")


# The form has no confirm step: a date in the past is asked again (the command asks to confirm it).
FORM_MOVES = [(text, due) for text, due in MOVES if text != "yesterday"]


@pytest.mark.parametrize(("text", "due"), FORM_MOVES, ids=[text for text, _ in FORM_MOVES])
def test_move_date_form_accepts_what_the_command_accepts(
    slack: SlackDriver,
    reminder: dict[str, Any],
    session_factory: sessionmaker[Session],
    text: str,
    due: datetime,
) -> None:
    view = _open_move_form(slack, BANERJEE, reminder)

    submitted = _submit_form(slack, BANERJEE, view, text)

    assert submitted.status == 200 and submitted.body == "", submitted.body
    assert "moved this to" in message_text(submitted.of("chat.update")[0].params)
    moved = milestone(session_factory, "bidshade", 2)
    assert (moved.due_at, moved.due_timezone) == (due, "Europe/Amsterdam")


@pytest.mark.parametrize(("text", "fragment"), REFUSALS, ids=[text for text, _ in REFUSALS])
def test_command_and_form_refuse_the_same_dates_alike(
    slack: SlackDriver,
    reminder: dict[str, Any],
    session_factory: sessionmaker[Session],
    text: str,
    fragment: str,
) -> None:
    before = milestone(session_factory, "bidshade", 2).due_at

    by_command = slack.command(BANERJEE, f"/milestone move bidshade-2 {text}")
    by_form = _form_errors(_submit_form(slack, BANERJEE, _open_move_form(slack, BANERJEE, reminder), text))

    assert ":warning:" in by_command.reply_text and fragment in by_command.reply_text
    assert fragment in by_form[ids.DUE_INPUT]
    assert milestone(session_factory, "bidshade", 2).due_at == before


def test_command_date_without_time_keeps_the_milestones_time_and_zone(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    # Osei is in London; bidshade-3 is due at 17:00 in Amsterdam and stays at 17:00 there.
    done = slack.command(OSEI, "/milestone move bidshade-3 dec 18")

    assert "to *Fri 18 Dec 2026, 16:00 GMT*" in done.reply_text  # shown in Osei's zone
    moved = milestone(session_factory, "bidshade", 3)
    assert (moved.due_at, moved.due_timezone) == (utc(2026, 12, 18, 16, 0), "Europe/Amsterdam")


def test_command_date_with_time_is_the_movers(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    slack.command(OSEI, "/milestone move bidshade-3 dec 18 10:00")

    moved = milestone(session_factory, "bidshade", 3)
    assert (moved.due_at, moved.due_timezone) == (utc(2026, 12, 18, 10, 0), "Europe/London")


def test_confirmed_relative_move_keeps_the_milestones_time_and_zone(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    asked = slack.command(OSEI, "/milestone move bidshade-3 tomorrow")
    assert "Sat 21 Nov 2026, 16:00 GMT" in asked.reply_text  # 17:00 Amsterdam, in Osei's zone

    _move_by_command(slack, OSEI, "bidshade-3", "tomorrow")

    moved = milestone(session_factory, "bidshade", 3)
    assert (moved.due_at, moved.due_timezone) == (utc(2026, 11, 21, 16, 0), "Europe/Amsterdam")


def test_form_date_without_time_keeps_the_milestones_zone_not_the_movers(
    slack: SlackDriver, reminder: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    # bidshade-2's deadline, the same instant, written in Kolkata: 16:30 there.
    with session_factory.begin() as session:
        row = session.get(Milestone, milestone(session_factory, "bidshade", 2).id)
        assert row is not None
        row.due_timezone = "Asia/Kolkata"
    view = _open_move_form(slack, BANERJEE, reminder)
    assert "a date alone keeps 16:30 Asia/Kolkata" in view["blocks"][1]["hint"]["text"]

    _submit_form(slack, BANERJEE, view, "dec 11")

    moved = milestone(session_factory, "bidshade", 2)
    assert (moved.due_at, moved.due_timezone) == (utc(2026, 12, 11, 11, 0), "Asia/Kolkata")


@pytest.mark.parametrize(
    "line", ["/milestone move", "/milestone move bidshade-2", "/milestone move bidshade-2  "]
)
def test_a_move_without_a_date_shows_usage_in_code_spans_that_do_not_nest(
    slack: SlackDriver, line: str
) -> None:
    text = slack.command(BANERJEE, line).reply_text

    assert "Usage: `/milestone move ID DATE`" in text
    # Slack's code spans do not nest: every span is a whole command, none opens inside another.
    spans = re.findall(r"`([^`]*)`", text)
    assert spans[:2] == ["/milestone move ID DATE", "/milestone move bidshade-2 2026-12-04 17:00"], spans
    assert all(span.startswith("/milestone move") for span in spans)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("yesterday", "is in the past; pick a later date"),
        ("nov 1", "almost a year away: type the year if you mean it"),  # 1 Nov 2027, typed on 20 Nov 2026
    ],
)
def test_move_date_form_asks_again_for_a_past_or_rolled_over_date(
    slack: SlackDriver,
    reminder: dict[str, Any],
    session_factory: sessionmaker[Session],
    text: str,
    said: str,
) -> None:
    before = milestone(session_factory, "bidshade", 2).due_at
    view = _open_move_form(slack, BANERJEE, reminder)

    submitted = _submit_form(slack, BANERJEE, view, text)

    assert said in _form_errors(submitted).get("due", ""), submitted.body
    assert milestone(session_factory, "bidshade", 2).due_at == before
    assert not submitted.of("chat.update")
