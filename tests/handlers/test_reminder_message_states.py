"""Issue 13, defects 2 and 3, through signed requests → Bolt → the fake Slack Web API over HTTP, on
reminders and escalations the real tick posted:

- Done, Snooze and Move date on a reminder republish the App Homes that show the milestone, as
  `/milestone done` does;
- an escalation says how overdue the milestone is once, counted from one instant in the reader's zone;
- after Move date or Done the message (DM or channel alert) reads as its new state: moved → the new due
  date as upcoming with only the buttons that still make sense; done → who did it, without buttons.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.services import Services
from bot.slack import ids
from jobs.reminders import send_due_reminders
from tests.fakes.driver import Exchange, SlackDriver, buttons_of, message_text, opened_view
from tests.fakes.slack_api import FakeSlackApi, RecordedCall
from tests.jobs.reminder_support import message_for, milestone, utc

pytestmark = pytest.mark.usefixtures("demo")

BANERJEE = "U02ECBANE"  # owns bidshade-2 and leads bidshade
OSEI = "U01MLOSEI"  # on bidshade
WONG = "U06CRWONG"  # leads pcm (Europe/Zurich)
AHMED = "U11DEAHME"  # owns pcm-3, due Fri 4 Dec 2026 17:00 Amsterdam
ADMIN = "U0ADMIN"
T7 = utc(2026, 11, 20, 8, 0)  # bidshade-2's seven-day reminder
LEAD_STEP = utc(2026, 12, 6, 16, 0)  # pcm-3 + 2 days, 17:00 in Zurich (weekends allowed)
CHANNEL_STEP = utc(2026, 12, 9, 16, 0)  # pcm-3 + 5 days


def _press(slack: SlackDriver, user: str, message: dict[str, Any], action_id: str) -> Exchange:
    button = next(b for b in buttons_of(message["blocks"]) if b["action_id"] == action_id)
    block = next(b for b in message["blocks"] if button in b.get("elements", []))
    exchange = slack.send(
        slack.payloads.block_action(
            user_id=user,
            action_id=action_id,
            value=button["value"],
            block_id=block["block_id"],
            channel_id=message["channel"],
            message_ts=message["ts"],
        )
    )
    assert exchange.status == 200, exchange.body
    return exchange


def _move(slack: SlackDriver, user: str, message: dict[str, Any], text: str) -> Exchange:
    view = opened_view(_press(slack, user, message, ids.REMINDER_MOVE_ACTION))
    submitted = slack.submit(
        user, view, {ids.DUE_INPUT: {ids.DUE_INPUT: {"type": "plain_text_input", "value": text}}}
    )
    assert submitted.status == 200 and submitted.body == "", submitted.body
    return submitted


def _homes(exchange: Exchange) -> dict[str, str]:
    """User → text of the App Home published to them during the exchange."""
    published: dict[str, str] = {}
    for call in exchange.of("views.publish"):
        view = call.params["view"]
        view = view if isinstance(view, dict) else json.loads(view)
        published[call.params["user_id"]] = message_text({"blocks": view["blocks"]})
    return published


def _labels(call: RecordedCall) -> list[str]:
    return [b["text"]["text"] for b in buttons_of(call.params["blocks"])]


@pytest.fixture
def reminder(services: Services, slack_api: FakeSlackApi) -> dict[str, Any]:
    """The seven-day reminder the tick posted to Banerjee about bidshade-2."""
    assert send_due_reminders(services, now=T7) == 1
    (message,) = slack_api.messages()
    return message


# -- defect 2: App Home ------------------------------------------------------------------------------


def test_done_on_a_reminder_republishes_the_app_homes_of_the_milestone(
    slack: SlackDriver, reminder: dict[str, Any]
) -> None:
    before = _homes(slack.event({"type": "app_home_opened", "user": BANERJEE, "tab": "home"}))[BANERJEE]
    assert "bidshade-2" in before

    homes = _homes(_press(slack, BANERJEE, reminder, ids.REMINDER_DONE_ACTION))

    # The presser's Home and those of the project's other people, as `/milestone done` republishes.
    assert {BANERJEE, OSEI} <= set(homes)
    assert "bidshade-2" not in homes[BANERJEE]


def test_move_date_on_a_reminder_republishes_the_app_homes_with_the_new_date(
    slack: SlackDriver, reminder: dict[str, Any]
) -> None:
    homes = _homes(_move(slack, BANERJEE, reminder, "2026-12-01 12:00"))

    assert {BANERJEE, OSEI} <= set(homes)
    assert "Tue 1 Dec 2026, 12:00 CET" in homes[BANERJEE]


def test_snooze_on_a_reminder_republishes_the_app_homes(slack: SlackDriver, reminder: dict[str, Any]) -> None:
    homes = _homes(_press(slack, BANERJEE, reminder, ids.REMINDER_SNOOZE_ACTION_PREFIX + "1h"))

    assert {BANERJEE, OSEI} <= set(homes)


def test_a_denied_press_republishes_no_home(slack: SlackDriver, reminder: dict[str, Any]) -> None:
    exchange = _press(slack, OSEI, reminder, ids.REMINDER_DONE_ACTION)

    assert exchange.reply["response_type"] == "ephemeral" and exchange.of("views.publish") == []


# -- defect 3: one overdue phrase, and the message in its new state ----------------------------------


@pytest.fixture
def escalations(services: Services, slack: SlackDriver, slack_api: FakeSlackApi) -> dict[str, dict[str, Any]]:
    """pcm-3's escalations to its lead (2 days overdue) and to #C1PCM (5 days), as the tick posted them.

    Weekends are allowed, so the lead hears exactly two days after the due time (Sunday 17:00).
    """
    assert "saved" in slack.command(ADMIN, "/milestone remind workspace weekends allow").reply_text
    send_due_reminders(services, now=LEAD_STEP)
    send_due_reminders(services, now=CHANNEL_STEP)
    m = milestone(services.session_factory, "pcm", 3)
    basis = m.due_at.strftime("%Y%m%dT%H%M%SZ")
    return {
        "lead": message_for(slack_api, f"m{m.id}:escalate_lead:2d@{basis}"),
        "channel": message_for(slack_api, f"m{m.id}:escalate_channel:5d@{basis}"),
    }


def test_escalation_says_how_overdue_once_from_one_instant(escalations: dict[str, dict[str, Any]]) -> None:
    lead = message_text(escalations["lead"])
    channel = message_text(escalations["channel"])

    assert escalations["lead"]["channel"] == "D06CRWONG"
    # One phrase, counted on the lead's calendar at the message's own instant.
    assert lead.count("overdue") == 1 and "is *2 days overdue* (due Fri 4 Dec 2026, 17:00 CET)" in lead
    assert "3 days" not in lead
    assert escalations["channel"]["channel"] == "C1PCM"
    assert channel.count("overdue") == 1 and "is *5 days overdue* (due Fri 4 Dec 2026, 17:00 CET)" in channel


def test_move_on_the_channel_alert_redraws_it_as_upcoming_with_the_buttons_that_still_make_sense(
    slack: SlackDriver, clock: FixedClock, slack_api: FakeSlackApi, escalations: dict[str, dict[str, Any]]
) -> None:
    alert = escalations["channel"]
    clock.set(CHANNEL_STEP)  # Wed 9 Dec 17:00 in Amsterdam

    moved = _move(slack, WONG, alert, "dec 13")  # a date alone keeps 17:00 Amsterdam

    (update,) = moved.of("chat.update")
    assert (update.params["channel"], update.params["ts"]) == ("C1PCM", alert["ts"])
    text = message_text(update.params)
    assert "overdue" not in text
    assert "was moved and is due in 4 days (Sun 13 Dec 2026, 17:00 CET)" in text
    assert f"<@{WONG}> moved this to Sun 13 Dec 2026, 17:00 CET (was Fri 4 Dec 2026, 17:00 CET)" in text
    assert _labels(update) == ["Done", "Move date…", "Open project"]
    assert "overdue" not in message_text(slack_api.messages("C1PCM")[-1])  # what the channel now shows


def test_done_on_the_lead_escalation_redraws_it_as_done_without_buttons(
    slack: SlackDriver, clock: FixedClock, escalations: dict[str, dict[str, Any]]
) -> None:
    clock.set(CHANNEL_STEP)

    done = _press(slack, WONG, escalations["lead"], ids.REMINDER_DONE_ACTION)

    (update,) = done.of("chat.update")
    text = message_text(update.params)
    assert f"done by <@{WONG}>" in text and ":white_check_mark:" in text
    assert "overdue" not in text and buttons_of(update.params["blocks"]) == []


def test_done_after_a_move_on_the_channel_alert_reads_done(
    slack: SlackDriver, clock: FixedClock, escalations: dict[str, dict[str, Any]]
) -> None:
    clock.set(CHANNEL_STEP)
    moved = _move(slack, WONG, escalations["channel"], "dec 13")
    redrawn = {**escalations["channel"], "blocks": moved.of("chat.update")[0].params["blocks"]}

    done = _press(slack, AHMED, redrawn, ids.REMINDER_DONE_ACTION)

    (update,) = done.of("chat.update")
    text = message_text(update.params)
    assert f"done by <@{AHMED}>" in text and "overdue" not in text and "moved" not in text
    assert buttons_of(update.params["blocks"]) == []


def test_snooze_keeps_the_escalation_overdue_phrase_once(
    slack: SlackDriver, clock: FixedClock, session_factory: sessionmaker[Session], escalations: dict[str, Any]
) -> None:
    clock.set(CHANNEL_STEP)

    snoozed = _press(slack, WONG, escalations["lead"], ids.REMINDER_SNOOZE_ACTION_PREFIX + "1h")

    text = message_text(snoozed.of("chat.update")[0].params)
    # Redrawn at the press, three days later: one phrase, as of then.
    assert text.count("overdue") == 1 and "is *5 days overdue*" in text
    assert f"<@{WONG}> snoozed this until" in text
