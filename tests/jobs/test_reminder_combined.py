"""Issue 13, defect 15: one DM per person per tick, combining what is due, each milestone mentioned once.
The real tick, the ledger and the fake Slack Web API over HTTP (SQLite); buttons through signed
requests into the Bolt app."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.domain.reminders import DeliveryKind
from bot.models import DeliveryStatus, ReminderDelivery
from bot.services import Services
from bot.slack import ids
from bot.slack.notifier import build_notifier
from jobs.reminders import plan_reminders, send_due_reminders
from tests.fakes.driver import SlackDriver, buttons_of, message_text
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.reminder_support import (
    deliveries,
    keys_of,
    milestone,
    plan_and_tick_until,
    posted_keys,
    seed_due_deliveries,
    utc,
)

pytestmark = pytest.mark.usefixtures("demo")

OSEI = "U01MLOSEI"  # London; owns bidshade-3 (due Fri 11 Dec 17:00 Amsterdam) and fatigue-2 (Wed 16 Dec)
OSEI_DM = "D01MLOSEI"
# 09:00 in London on Thursday 10 Dec: bidshade-3's one-day reminder and Osei's "waiting on you" list.
THURSDAY_0900 = utc(2026, 12, 10, 9, 0)


def _shown(message: dict[str, Any]) -> str:
    """What the message shows (its blocks; the fallback text is for notifications only)."""
    return message_text({"blocks": message["blocks"]})


def _due_together(services: Services, session_factory: sessionmaker[Session]) -> list[ReminderDelivery]:
    """Osei's deliveries due at Thursday 09:00: the one-day reminder and the waiting list."""
    plan_and_tick_until(services, THURSDAY_0900 - timedelta(days=1, hours=9), THURSDAY_0900)
    plan_reminders(services, now=THURSDAY_0900)
    due = [
        r
        for r in deliveries(session_factory, status=DeliveryStatus.PLANNED, send_at=THURSDAY_0900)
        if r.recipient_id is not None and r.kind in (DeliveryKind.LEAD_TIME, DeliveryKind.WAITING)
    ]
    bidshade_3 = milestone(session_factory, "bidshade", 3)
    mine = [r for r in due if r.milestone_id == bidshade_3.id or r.kind == DeliveryKind.WAITING]
    osei = {r.recipient_id for r in mine if r.milestone_id == bidshade_3.id}
    return [r for r in mine if r.recipient_id in osei]


def test_reminder_and_waiting_list_due_in_one_tick_arrive_as_one_dm_naming_the_milestone_once(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    rows = _due_together(services, session_factory)
    assert sorted(r.kind for r in rows) == [DeliveryKind.LEAD_TIME, DeliveryKind.WAITING]
    before = len(slack_api.messages(OSEI_DM))

    send_due_reminders(services, now=THURSDAY_0900)

    (dm,) = slack_api.messages(OSEI_DM)[before:]
    shown = _shown(dm)
    assert shown.count("bidshade-3") == 1  # the reminder, not again in the waiting list
    assert "Reminder: `bidshade-3`" in shown and "is due tomorrow" in shown
    assert "Also waiting on you" in shown and shown.count("fatigue-2") == 1
    # One post settles both rows: each is sent, with that post's ts, and its key is in the metadata.
    settled = [deliveries(session_factory, id=r.id)[0] for r in rows]
    assert {(r.status, r.slack_channel, r.slack_ts) for r in settled} == {
        (DeliveryStatus.SENT, OSEI_DM, dm["ts"])
    }
    assert keys_of(dm) == {r.key for r in rows}
    assert send_due_reminders(services, now=THURSDAY_0900 + timedelta(minutes=1)) == 0
    assert set(posted_keys(slack_api).values()) == {1}


def test_done_on_a_combined_dm_redraws_the_whole_message(
    services: Services,
    slack: SlackDriver,
    clock: FixedClock,
    slack_api: FakeSlackApi,
    session_factory: sessionmaker[Session],
) -> None:
    _due_together(services, session_factory)
    before = len(slack_api.messages(OSEI_DM))
    send_due_reminders(services, now=THURSDAY_0900)
    (dm,) = slack_api.messages(OSEI_DM)[before:]
    done = next(b for b in buttons_of(dm["blocks"]) if b["action_id"] == ids.REMINDER_DONE_ACTION)
    clock.set(THURSDAY_0900 + timedelta(minutes=5))

    exchange = slack.send(
        slack.payloads.block_action(
            user_id=OSEI,
            action_id=ids.REMINDER_DONE_ACTION,
            value=done["value"],
            block_id=next(b["block_id"] for b in dm["blocks"] if done in b.get("elements", [])),
            channel_id=dm["channel"],
            message_ts=dm["ts"],
        )
    )

    (update,) = exchange.of("chat.update")
    shown = message_text({"blocks": update.params["blocks"]})
    assert ":white_check_mark: `bidshade-3`" in shown and f"done by <@{OSEI}>" in shown
    assert "Also waiting on you" in shown and "fatigue-2" in shown  # the rest of the message stays
    assert shown.count("bidshade-3") == 1 and buttons_of(update.params["blocks"]) == []
    assert OSEI in {c.params["user_id"] for c in exchange.of("views.publish")}


def test_unanswered_combined_post_that_lands_is_found_by_each_key_and_not_posted_again(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    rows = _due_together(services, session_factory)
    services.notifier = build_notifier(services.settings, timeout=1)
    slack_api.stall("chat.postMessage", 1.5, channel=OSEI)  # Slack posts it after the client gave up
    before = len(slack_api.messages(OSEI_DM))
    posts_before = len(slack_api.calls_to("chat.postMessage", OSEI_DM))

    send_due_reminders(services, now=THURSDAY_0900)
    deadline = time.monotonic() + 5
    while len(slack_api.messages(OSEI_DM)) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r.status for r in deliveries(session_factory, id=rows[0].id)] == [DeliveryStatus.PLANNED]
    send_due_reminders(services, now=THURSDAY_0900 + timedelta(minutes=5))

    (dm,) = slack_api.messages(OSEI_DM)[before:]
    settled = [deliveries(session_factory, id=r.id)[0] for r in rows]
    assert {(r.status, r.found_in_history, r.ambiguous_attempts, r.slack_ts) for r in settled} == {
        (DeliveryStatus.SENT, True, 1, dm["ts"])
    }
    assert len(slack_api.calls_to("chat.postMessage", OSEI_DM)) == posts_before + 1


def test_several_reminders_for_one_person_in_one_tick_are_one_post_per_person(
    services: Services, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    due = utc(2026, 11, 20, 12, 0)
    with session_factory.begin() as session:
        keys = seed_due_deliveries(session, count=12, channels=4, due=due)

    send_due_reminders(services, now=due)

    assert {k: posted_keys(slack_api)[k] for k in keys} == dict.fromkeys(keys, 1)
    for person in range(4):
        (dm,) = slack_api.messages(f"D{person:06d}")
        assert len(keys_of(dm)) == 3 and len(buttons_of(dm["blocks"])) == 3 * 6
        block_ids = [b["block_id"] for b in dm["blocks"] if "block_id" in b]
        assert len(block_ids) == len(set(block_ids)) == 3  # Slack refuses a message with duplicates
